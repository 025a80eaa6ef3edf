//! Hostile inputs for the robustness tests, made of real parts: deeply nested documents, FIFOs
//! (`mkfifo`), and SQLite files whose bytes lie — a write-ahead log whose last commit claims a
//! database of billions of pages, a row whose record claims a value of a hundred megabytes —
//! written byte for byte as SQLite's file format defines them
//! (<https://www.sqlite.org/fileformat2.html>), with valid checksums where the format has them.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `depth` nested arrays.
pub fn deep_json(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// A FIFO (named pipe) at `path`, made by `mkfifo`, replacing whatever was there.
pub fn fifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Runs `cmd` to completion, failing the test if it is still running after `guard` (a hang
/// guard, not a timing assertion: it is killed then).
pub fn output_within(cmd: &mut Command, guard: Duration) -> Output {
    output_measured(cmd, guard).0
}

/// Waits for `child`, killing it and failing the test if it runs longer than `guard`.
pub fn wait_within(child: Child, guard: Duration) -> Output {
    wait_measured(child, guard).0
}

/// [`output_within`], and the process's peak resident set in KiB (its `VmHWM`, read every
/// 20 ms while it runs: a process that grows for longer than that is seen growing).
pub fn output_measured(cmd: &mut Command, guard: Duration) -> (Output, u64) {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_measured(child, guard)
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn wait_measured(mut child: Child, guard: Duration) -> (Output, u64) {
    // The pipes are drained while it runs: a large report would fill them and stall it.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = peak_rss_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if started.elapsed() > guard {
            let _ = child.kill();
            let _ = child.wait();
            let err = stderr.join().unwrap_or_default();
            panic!(
                "still running after {guard:?} (hung):\n{}",
                String::from_utf8_lossy(&err)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    };
    (output, peak)
}

/// SQLite's WAL checksum (little-endian words, magic 0x377f0682), continuing from `(s0, s1)`.
fn wal_checksum(data: &[u8], (mut s0, mut s1): (u32, u32)) -> (u32, u32) {
    for pair in data.chunks_exact(8) {
        let w = |c: &[u8]| u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        s0 = s0.wrapping_add(w(&pair[..4])).wrapping_add(s1);
        s1 = s1.wrapping_add(w(&pair[4..])).wrapping_add(s0);
    }
    (s0, s1)
}

/// Switches the database at `db` to WAL mode in its header and writes `<db>-wal` with one
/// valid frame — page 1, unchanged — whose commit claims the database has `claimed_pages`
/// pages. The WAL is a few kilobytes; what it claims is terabytes.
pub fn wal_claiming_pages(db: &Path, claimed_pages: u32) {
    let mut image = std::fs::read(db).expect("read db");
    let page_size = usize::from(u16::from_be_bytes([image[16], image[17]]));
    image[18] = 2;
    image[19] = 2;
    std::fs::write(db, &image).expect("write db");

    let mut wal = Vec::new();
    wal.extend_from_slice(&0x377f_0682u32.to_be_bytes());
    wal.extend_from_slice(&3_007_000u32.to_be_bytes());
    wal.extend_from_slice(&(page_size as u32).to_be_bytes());
    wal.extend_from_slice(&0u32.to_be_bytes()); // checkpoint sequence
    let (salt1, salt2) = (0x1234_5678u32, 0x9abc_def0u32);
    wal.extend_from_slice(&salt1.to_be_bytes());
    wal.extend_from_slice(&salt2.to_be_bytes());
    let header_sum = wal_checksum(&wal[..24], (0, 0));
    wal.extend_from_slice(&header_sum.0.to_be_bytes());
    wal.extend_from_slice(&header_sum.1.to_be_bytes());

    let mut frame = Vec::new();
    frame.extend_from_slice(&1u32.to_be_bytes()); // page number
    frame.extend_from_slice(&claimed_pages.to_be_bytes()); // commit: the database's size
    frame.extend_from_slice(&salt1.to_be_bytes());
    frame.extend_from_slice(&salt2.to_be_bytes());
    let page = &image[..page_size];
    let sum = wal_checksum(page, wal_checksum(&frame[..8], header_sum));
    frame.extend_from_slice(&sum.0.to_be_bytes());
    frame.extend_from_slice(&sum.1.to_be_bytes());
    frame.extend_from_slice(page);
    wal.extend_from_slice(&frame);
    std::fs::write(format!("{}-wal", db.display()), wal).expect("write wal");
}

/// A SQLite varint at `at`: (value, length).
fn varint(b: &[u8], at: usize) -> (u64, usize) {
    let mut v = 0u64;
    for i in 0..8 {
        let byte = b[at + i];
        v = (v << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return (v, i + 1);
        }
    }
    ((v << 8) | u64::from(b[at + 8]), 9)
}

/// A four-byte SQLite varint (values from 2^21 to 2^28).
fn varint4(v: u64) -> [u8; 4] {
    assert!(
        (1 << 21..1 << 28).contains(&v),
        "{v} is not a four-byte varint"
    );
    [
        ((v >> 21) as u8 & 0x7f) | 0x80,
        ((v >> 14) as u8 & 0x7f) | 0x80,
        ((v >> 7) as u8 & 0x7f) | 0x80,
        v as u8 & 0x7f,
    ]
}

/// Makes the row of `table` whose first column is `key` claim that its second column holds
/// about `claimed` bytes of text, though the file keeps the value it had (which must be 2 to
/// 100 MiB, so the lengths stay four-byte varints). The payload size grows by whole overflow
/// pages' worth, so SQLite still finds the row's overflow chain where it was: only reading the
/// value shows the lie. The table's root page must be a leaf (a table of a few rows).
pub fn row_claiming_length(db: &Path, table: &str, key: &str, claimed: u64) {
    let root: u32 = {
        let conn = rusqlite::Connection::open(db).expect("open");
        conn.query_row(
            "SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )
        .expect("root page")
    };
    let mut image = std::fs::read(db).expect("read db");
    let page_size = usize::from(u16::from_be_bytes([image[16], image[17]]));
    let usable = (page_size - usize::from(image[20])) as u64;
    let page = (root as usize - 1) * page_size;
    let header = if root == 1 { page + 100 } else { page };
    assert_eq!(
        image[header], 0x0d,
        "the root of {table} is not a leaf page"
    );
    let cells = usize::from(u16::from_be_bytes([image[header + 3], image[header + 4]]));
    for c in 0..cells {
        let ptr = header + 8 + 2 * c;
        let cell = page + usize::from(u16::from_be_bytes([image[ptr], image[ptr + 1]]));
        let (payload, n_payload) = varint(&image, cell);
        let (_rowid, n_rowid) = varint(&image, cell + n_payload);
        let record = cell + n_payload + n_rowid;
        let (header_len, n_header) = varint(&image, record);
        let (t_key, n_key) = varint(&image, record + n_header);
        let t_value_at = record + n_header + n_key;
        let (t_value, n_value) = varint(&image, t_value_at);
        let key_at = record + header_len as usize;
        let key_len = ((t_key - 13) / 2) as usize;
        if &image[key_at..key_at + key_len] != key.as_bytes() {
            continue;
        }
        assert!(t_value >= 13 && t_value % 2 == 1, "the value is not text");
        assert_eq!(
            (n_payload, n_value),
            (4, 4),
            "the row is too small to patch"
        );
        // Whole multiples of (usable - 4): the local part and the overflow pointer stay put.
        let step = usable - 4;
        let extra = claimed.saturating_sub((t_value - 13) / 2).div_ceil(step) * step;
        image[cell..cell + 4].copy_from_slice(&varint4(payload + extra));
        image[t_value_at..t_value_at + 4].copy_from_slice(&varint4(t_value + 2 * extra));
        std::fs::write(db, image).expect("write db");
        return;
    }
    panic!("no row {key:?} in {table}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        for v in [1u64 << 21, 4_400_013, (1 << 28) - 1] {
            assert_eq!(varint(&varint4(v), 0), (v, 4));
        }
        assert_eq!(varint(&[0x81, 0x00], 0), (128, 2));
    }
}
