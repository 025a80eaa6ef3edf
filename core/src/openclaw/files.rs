//! Bounded, read-only file access. Every file clawauth reads from a gateway goes through here, so
//! a huge or unreadable file becomes a clear error instead of an out-of-memory kill.

use std::io::Read;

use camino::Utf8Path;

use crate::error::{Error, Result};

/// Largest JSON / JSON5 document read (config, legacy stores, CLI credential files).
pub const JSON_LIMIT: u64 = 16 * 1024 * 1024;
/// Largest SQLite database (plus its WAL) read into memory.
pub const SQLITE_LIMIT: u64 = 512 * 1024 * 1024;

/// What a non-regular file is, in words.
fn file_kind(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

/// Opens a regular file for reading; `Ok(None)` when it does not exist. A FIFO, device, socket
/// or directory is refused at once, naming what it is: its type is checked before the open, and
/// the open itself never blocks (`O_NONBLOCK`; a FIFO without a writer would hang a plain open),
/// then the opened file is checked again, in case it was swapped in between.
pub fn open_regular(path: &Utf8Path) -> Result<Option<std::fs::File>> {
    use rustix::fs::{Mode, OFlags};
    let refuse = |t: std::fs::FileType| Error::NotRegular {
        path: path.to_owned(),
        kind: file_kind(t),
    };
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => return Err(refuse(m.file_type())),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    }
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = match rustix::fs::open(path.as_std_path(), flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Ok(None),
        Err(e) => return Err(Error::io(path, e.into())),
    };
    let file = std::fs::File::from(fd);
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(refuse(meta.file_type()));
    }
    Ok(Some(file))
}

/// Reads a whole file, refusing files larger than `limit` and anything but a regular file
/// ([`open_regular`]). `Ok(None)` when it does not exist.
pub fn read_capped(path: &Utf8Path, limit: u64) -> Result<Option<Vec<u8>>> {
    let Some(file) = open_regular(path)? else {
        return Ok(None);
    };
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.len() > limit {
        return Err(Error::TooLarge {
            path: path.to_owned(),
            size: meta.len(),
            limit,
        });
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // `take` guards against a file that grows while we read it.
    file.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, e))?;
    if buf.len() as u64 > limit {
        return Err(Error::TooLarge {
            path: path.to_owned(),
            size: buf.len() as u64,
            limit,
        });
    }
    Ok(Some(buf))
}

/// Reads a UTF-8 text file (JSON, JSON5) with the JSON size limit.
pub fn read_text(path: &Utf8Path) -> Result<Option<String>> {
    let Some(bytes) = read_capped(path, JSON_LIMIT)? else {
        return Ok(None);
    };
    String::from_utf8(bytes).map(Some).map_err(|e| {
        Error::malformed(
            path,
            "UTF-8 text",
            format!("invalid byte at offset {}", e.utf8_error().valid_up_to()),
        )
    })
}

/// Whether a path exists (file or directory), treating permission errors as "exists".
pub fn exists(path: &Utf8Path) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(_) => true,
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

/// Reads a text file that holds secrets. The buffer is wiped when dropped, so parse it and let
/// it go: nothing but presence, expiry and OpenClaw-style masked labels may outlive it.
pub fn read_secret_text(path: &Utf8Path) -> Result<Option<zeroize::Zeroizing<String>>> {
    Ok(read_text(path)?.map(zeroize::Zeroizing::new))
}
