//! Strictly read-only access to OpenClaw's SQLite databases.
//!
//! Even `mode=ro` connections write: they create or update `-shm` (reader marks) and may create an
//! empty `-wal`. OpenClaw's state must not change by a byte because we looked at it, so we never
//! hand OpenClaw's files to SQLite. Instead we read the database file and its write-ahead log as
//! bytes, replay the WAL's committed frames in memory (the "WAL recovery" algorithm of
//! <https://www.sqlite.org/fileformat2.html#walformat>: salts must match the WAL header and the
//! cumulative checksums must hold; only frames up to the last commit frame count), and deserialize
//! the resulting image into a private in-memory connection. Uncommitted frames of a writer that is
//! busy right now are ignored, so a locked database still reads as of its last commit.
//!
//! The bundled SQLite is current: OpenClaw's per-agent schema uses `octet_length()` (SQLite 3.43+).

use camino::Utf8Path;
use rusqlite::{Connection, OpenFlags};

use super::files::{SQLITE_LIMIT, read_capped};
use crate::error::{Error, Result};

const DB_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const WAL_MAGIC_LE: u32 = 0x377f_0682;
const WAL_MAGIC_BE: u32 = 0x377f_0683;
const WAL_HEADER: usize = 32;
const FRAME_HEADER: usize = 24;
const JOURNAL_MAGIC: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];
/// A rollback journal or a WAL reset seen while reading: try again this many times.
const ATTEMPTS: u32 = 20;
const RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);
/// The longest string or blob SQLite may hand out (`SQLITE_LIMIT_LENGTH`): a credential
/// document is JSON, held to the JSON limit. A row that claims more is refused before SQLite
/// allocates for it, so a small file cannot make it reserve gigabytes.
const VALUE_LIMIT: u64 = super::files::JSON_LIMIT;
/// The longest SQL statement, the schema's included (`SQLITE_LIMIT_SQL_LENGTH`).
const SQL_LIMIT: i32 = 1024 * 1024;
/// What SQLite may allocate in all, process-wide (`PRAGMA hard_heap_limit`): the images it
/// holds at once (the state database and one agent database, each at most [`SQLITE_LIMIT`])
/// plus working memory. A backstop behind the limits above.
const HEAP_LIMIT: u64 = 2 * SQLITE_LIMIT + 256 * 1024 * 1024;

/// A consistent, private, in-memory snapshot of one database file.
pub struct Snapshot {
    conn: Connection,
}

impl Snapshot {
    /// Reads `path` (and `path-wal` when present). `Ok(None)` when the database does not exist.
    pub fn open(path: &Utf8Path) -> Result<Option<Self>> {
        for attempt in 0..ATTEMPTS {
            match read_image(path)? {
                Read::Missing => return Ok(None),
                Read::Image(image) => return Ok(Some(Self::deserialize(path, &image)?)),
                Read::Unstable if attempt + 1 < ATTEMPTS => std::thread::sleep(RETRY_PAUSE),
                Read::Unstable => break,
            }
        }
        Err(Error::Locked {
            path: path.to_owned(),
        })
    }

    fn deserialize(path: &Utf8Path, image: &[u8]) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_in_memory_with_flags(flags)
            .map_err(|e| Error::sqlite(path, e.to_string()))?;
        let bounded = || -> rusqlite::Result<()> {
            use rusqlite::limits::Limit;
            conn.set_limit(
                Limit::SQLITE_LIMIT_LENGTH,
                i32::try_from(VALUE_LIMIT).unwrap_or(i32::MAX),
            )?;
            conn.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, SQL_LIMIT)?;
            // Only ever lowers the limit; the first snapshot sets it for the process.
            conn.query_row(
                &format!("PRAGMA hard_heap_limit = {HEAP_LIMIT}"),
                [],
                |_| Ok(()),
            )
        };
        bounded().map_err(|e| Error::sqlite(path, e.to_string()))?;
        conn.deserialize_read_exact("main", image, image.len(), true)
            .map_err(|e| Error::sqlite(path, e.to_string()))?;
        // Touch the schema now so a damaged file fails here with a clear error.
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| Error::sqlite(path, describe(&e)))?;
        Ok(Self { conn })
    }

    /// Whether a table exists.
    pub fn has_table(&self, name: &str) -> bool {
        self.conn
            .query_row(
                "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [name],
                |_| Ok(()),
            )
            .is_ok()
    }

    /// One text column of one row: `SELECT <column> FROM <table> WHERE <key_column> = ?`.
    /// `Ok(None)` when the table or the row does not exist. Identifiers are ours, never input.
    pub fn text(
        &self,
        path: &Utf8Path,
        table: &'static str,
        column: &'static str,
        key_column: &'static str,
        key: &str,
    ) -> Result<Option<String>> {
        if !self.has_table(table) {
            return Ok(None);
        }
        let sql = format!("SELECT {column} FROM {table} WHERE {key_column} = ?1");
        match self
            .conn
            .query_row(&sql, [key], |r| r.get::<_, Option<String>>(0))
        {
            Ok(v) => Ok(v),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(Error::sqlite(path, describe(&e))),
        }
    }
}

impl Snapshot {
    /// `PRAGMA user_version`; `None` when unset (0).
    pub fn user_version(&self, path: &Utf8Path) -> Result<Option<i64>> {
        let v: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| Error::sqlite(path, describe(&e)))?;
        Ok((v != 0).then_some(v))
    }

    /// The agent id an agent database belongs to (`schema_meta` row `primary`, role `agent`).
    pub fn agent_owner(&self, path: &Utf8Path) -> Result<Option<String>> {
        if !self.has_table("schema_meta") {
            return Ok(None);
        }
        match self.conn.query_row(
            "SELECT role, agent_id FROM schema_meta WHERE meta_key = 'primary'",
            [],
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                ))
            },
        ) {
            Ok((Some(role), Some(agent))) if role == "agent" => Ok(Some(agent)),
            Ok(_) | Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(Error::sqlite(path, describe(&e))),
        }
    }
}

fn describe(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DatabaseCorrupt => {
            "the database is damaged or truncated (SQLite: database disk image is malformed); \
             restore it from a backup or let OpenClaw recreate it with `openclaw doctor`"
                .to_owned()
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
            "not an SQLite database".to_owned()
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::TooBig => {
            format!(
                "a value or statement in it is larger than the {VALUE_LIMIT} bytes clawauth reads \
                 (SQLite: string or blob too big); the database is damaged or not OpenClaw's"
            )
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::OutOfMemory => {
            format!(
                "reading it would take more than the {HEAP_LIMIT} bytes of memory clawauth allows \
                 SQLite; the database is damaged or not OpenClaw's"
            )
        }
        other => other.to_string(),
    }
}

enum Read {
    Missing,
    Image(Vec<u8>),
    /// A writer was active mid-read (hot rollback journal, or the WAL was reset): read again.
    Unstable,
}

fn read_image(path: &Utf8Path) -> Result<Read> {
    let wal_path = camino::Utf8PathBuf::from(format!("{path}-wal"));
    let journal_path = camino::Utf8PathBuf::from(format!("{path}-journal"));

    let wal_before = wal_header(&wal_path)?;
    let Some(mut db) = read_capped(path, SQLITE_LIMIT)? else {
        return Ok(Read::Missing);
    };
    if db.is_empty() {
        // SQLite treats an empty file as an empty database.
        return Ok(Read::Image(db));
    }
    if db.len() < 100 || &db[..16] != DB_MAGIC {
        return Err(Error::sqlite(path, "not an SQLite database (bad header)"));
    }
    let page_size = match u16::from_be_bytes([db[16], db[17]]) {
        1 => 65_536usize,
        n if n >= 512 && n.is_power_of_two() => usize::from(n),
        n => {
            return Err(Error::sqlite(
                path,
                format!("not an SQLite database (page size {n})"),
            ));
        }
    };
    if db.len() % page_size != 0 {
        return Err(Error::sqlite(
            path,
            format!(
                "the file is truncated: {} bytes is not a whole number of {page_size}-byte pages; \
                 restore it from a backup",
                db.len()
            ),
        ));
    }
    let wal_mode = db[18] == 2 || db[19] == 2;

    if !wal_mode && hot_journal(&journal_path)? {
        return Ok(Read::Unstable);
    }
    if wal_mode {
        if let Some(wal) = read_capped(&wal_path, SQLITE_LIMIT)? {
            if wal_header_of(&wal) != wal_before {
                return Ok(Read::Unstable);
            }
            replay_wal(&mut db, &wal, page_size).map_err(|pages| {
                Error::sqlite(
                    &wal_path,
                    format!(
                        "its last commit claims a database of {pages} pages of {page_size} bytes, \
                         more than the {SQLITE_LIMIT} bytes clawauth reads; the file is damaged or \
                         not SQLite's"
                    ),
                )
            })?;
        }
        if wal_header(&wal_path)? != wal_before {
            return Ok(Read::Unstable);
        }
    }
    finish_header(&mut db, page_size);
    Ok(Read::Image(db))
}

fn hot_journal(journal: &Utf8Path) -> Result<bool> {
    let Some(bytes) = read_capped(journal, SQLITE_LIMIT)? else {
        return Ok(false);
    };
    Ok(bytes.len() >= 8 && bytes[..8] == JOURNAL_MAGIC)
}

fn wal_header(wal: &Utf8Path) -> Result<Option<[u8; WAL_HEADER]>> {
    use std::io::Read as _;
    let Some(mut f) = super::files::open_regular(wal)? else {
        return Ok(None);
    };
    let mut h = [0u8; WAL_HEADER];
    match f.read_exact(&mut h) {
        Ok(()) => Ok(Some(h)),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(Error::io(wal, e)),
    }
}

fn wal_header_of(wal: &[u8]) -> Option<[u8; WAL_HEADER]> {
    wal.get(..WAL_HEADER).and_then(|h| h.try_into().ok())
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing from `(s0, s1)`.
fn wal_checksum(big_endian: bool, data: &[u8], mut s0: u32, mut s1: u32) -> (u32, u32) {
    let word = |c: &[u8]| {
        let w = [c[0], c[1], c[2], c[3]];
        if big_endian {
            u32::from_be_bytes(w)
        } else {
            u32::from_le_bytes(w)
        }
    };
    for pair in data.chunks_exact(8) {
        s0 = s0.wrapping_add(word(&pair[..4])).wrapping_add(s1);
        s1 = s1.wrapping_add(word(&pair[4..])).wrapping_add(s0);
    }
    (s0, s1)
}

/// Applies every committed frame of `wal` to `db`. An invalid WAL (bad magic, page size or
/// header checksum) holds no committed data, exactly as SQLite's own recovery treats it.
/// `Err(pages)` when the last commit claims a database larger than [`SQLITE_LIMIT`]: nothing is
/// allocated for it.
fn replay_wal(db: &mut Vec<u8>, wal: &[u8], db_page_size: usize) -> Result<(), u64> {
    if wal.len() < WAL_HEADER {
        return Ok(());
    }
    let magic = be32(wal, 0);
    let big_endian = match magic {
        WAL_MAGIC_BE => true,
        WAL_MAGIC_LE => false,
        _ => return Ok(()),
    };
    let page_size = be32(wal, 8) as usize;
    if page_size != db_page_size {
        return Ok(());
    }
    let (salt1, salt2) = (be32(wal, 16), be32(wal, 20));
    let (mut s0, mut s1) = wal_checksum(big_endian, &wal[..24], 0, 0);
    if (s0, s1) != (be32(wal, 24), be32(wal, 28)) {
        return Ok(());
    }

    let frame_len = FRAME_HEADER + page_size;
    let mut committed: Vec<(u32, usize)> = Vec::new(); // (page number, frame offset)
    let mut pending: Vec<(u32, usize)> = Vec::new();
    let mut db_pages: Option<usize> = None;
    let mut at = WAL_HEADER;
    while at + frame_len <= wal.len() {
        let frame = &wal[at..at + frame_len];
        let pgno = be32(frame, 0);
        let commit_size = be32(frame, 4);
        if pgno == 0 || be32(frame, 8) != salt1 || be32(frame, 12) != salt2 {
            break;
        }
        let (c0, c1) = wal_checksum(big_endian, &frame[..8], s0, s1);
        let (c0, c1) = wal_checksum(big_endian, &frame[FRAME_HEADER..], c0, c1);
        if (c0, c1) != (be32(frame, 16), be32(frame, 20)) {
            break;
        }
        (s0, s1) = (c0, c1);
        pending.push((pgno, at + FRAME_HEADER));
        if commit_size != 0 {
            committed.append(&mut pending);
            db_pages = Some(commit_size as usize);
        }
        at += frame_len;
    }
    let Some(pages) = db_pages else {
        return Ok(());
    };
    if (pages as u64).saturating_mul(page_size as u64) > SQLITE_LIMIT {
        return Err(pages as u64);
    }
    db.resize(pages * page_size, 0);
    for (pgno, data_at) in committed {
        let pgno = pgno as usize;
        if pgno <= pages {
            let dst = (pgno - 1) * page_size;
            db[dst..dst + page_size].copy_from_slice(&wal[data_at..data_at + page_size]);
        }
    }
    Ok(())
}

/// Makes the private image a self-consistent rollback-journal database: WAL mode is switched off
/// in the header (an in-memory database cannot use a WAL) and the in-header page count is set to
/// the image's real size.
fn finish_header(db: &mut [u8], page_size: usize) {
    if db.len() < 100 {
        return;
    }
    db[18] = 1;
    db[19] = 1;
    let pages = u32::try_from(db.len() / page_size).unwrap_or(u32::MAX);
    db[28..32].copy_from_slice(&pages.to_be_bytes());
    let change_counter: [u8; 4] = [db[24], db[25], db[26], db[27]];
    db[92..96].copy_from_slice(&change_counter);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> (tempfile::TempDir, camino::Utf8PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = camino::Utf8PathBuf::from_path_buf(dir.path().join("db.sqlite")).expect("utf8");
        (dir, path)
    }

    fn count(path: &Utf8Path) -> i64 {
        let snap = Snapshot::open(path).expect("open").expect("exists");
        snap.conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .expect("count")
    }

    #[test]
    fn reads_committed_wal_frames_and_ignores_uncommitted_ones() {
        let (_dir, path) = tmp();
        let writer = Connection::open(&path).expect("writer");
        writer
            .pragma_update(None, "journal_mode", "wal")
            .expect("wal");
        writer
            .execute_batch(
                "PRAGMA wal_autocheckpoint=0; CREATE TABLE t(x); INSERT INTO t VALUES (1),(2);",
            )
            .expect("seed");
        assert_eq!(count(&path), 2, "committed rows live only in the WAL");

        writer
            .execute_batch(
                "BEGIN IMMEDIATE; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) \
                 INSERT INTO t SELECT x FROM c;",
            )
            .expect("open write transaction");
        assert_eq!(count(&path), 2, "an open transaction is not visible");
        writer.execute_batch("COMMIT").expect("commit");
        assert_eq!(count(&path), 5002);
    }

    #[test]
    fn missing_database_is_none_and_garbage_is_a_clear_error() {
        let (_dir, path) = tmp();
        assert!(Snapshot::open(&path).expect("missing is fine").is_none());
        std::fs::write(&path, b"this is not sqlite at all, just some text that is long enough to pass the size check of one hundred bytes")
            .expect("write");
        let err = Snapshot::open(&path)
            .err()
            .expect("garbage fails")
            .to_string();
        assert!(err.contains("not an SQLite database"), "{err}");
    }
}

#[cfg(test)]
mod version_tests {
    /// OpenClaw's agent schema uses `octet_length()` (SQLite 3.43+): the bundled SQLite must
    /// know it.
    #[test]
    fn bundled_sqlite_is_current() {
        let v = rusqlite::version_number();
        assert!(
            v >= 3_043_000,
            "bundled SQLite {} is older than 3.43",
            rusqlite::version()
        );
        let conn = rusqlite::Connection::open_in_memory().expect("open");
        let n: i64 = conn
            .query_row("SELECT octet_length('héllo')", [], |r| r.get(0))
            .expect("octet_length");
        assert_eq!(n, 6);
    }
}
