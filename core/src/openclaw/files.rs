//! Bounded, read-only file access. Every file clawauth reads from a gateway goes through here, so
//! a huge or unreadable file becomes a clear error instead of an out-of-memory kill.

use std::io::Read;

use camino::Utf8Path;

use crate::error::{Error, Result};

/// Largest JSON / JSON5 document read (config, legacy stores, CLI credential files).
pub const JSON_LIMIT: u64 = 16 * 1024 * 1024;
/// Largest SQLite database (plus its WAL) read into memory.
pub const SQLITE_LIMIT: u64 = 512 * 1024 * 1024;

/// Reads a whole file, refusing files larger than `limit`. `Ok(None)` when it does not exist.
pub fn read_capped(path: &Utf8Path, limit: u64) -> Result<Option<Vec<u8>>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::Invalid(format!(
            "{path} is a directory where a file was expected"
        )));
    }
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
