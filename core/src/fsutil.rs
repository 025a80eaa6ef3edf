//! Writing files safely: every file clawauth writes goes through [`write_atomic`] (DESIGN.md
//! §Security: temp file in the same directory, fsync, rename, mode kept or set).

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

use camino::Utf8Path;

use crate::{Error, Result};

/// Replaces `path` with `bytes` atomically: a reader sees the old file or the new one, never a
/// mix, and a crash leaves the old file intact. The new file gets `mode` when given, else the
/// old file's mode, else 0600. Parent directories are created with mode 0700.
pub fn write_atomic(path: &Utf8Path, bytes: &[u8], mode: Option<u32>) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_str().is_empty() => d,
        _ => Utf8Path::new("."),
    };
    create_private_dir(dir)?;
    let mode = mode.unwrap_or_else(|| {
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o600)
    });
    let name = path.file_name().unwrap_or("file");
    let mut nonce = [0u8; 6];
    rand::fill(&mut nonce);
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        hex(&nonce)
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Io {
            path: path.to_owned(),
            source: e,
        });
    }
    Ok(())
}

/// Creates `dir` and its missing parents with mode 0700 (existing ones are left as they are).
pub fn create_private_dir(dir: &Utf8Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::Io {
            path: dir.to_owned(),
            source: e,
        })
}

/// Opens (creating, mode 0600, never truncating) the file that `<x>.lock` advisory locks are
/// taken on; its directory must exist.
pub fn open_lock_file(path: &Utf8Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

/// Whether `p` is a regular file someone may execute.
pub fn is_executable(p: &Utf8Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Lower-case hex of `bytes` (nonces, digests).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_keeps_mode() {
        let t = tempfile::tempdir().expect("tempdir");
        let dir = Utf8Path::from_path(t.path()).expect("utf8");
        let p = dir.join("sub/f.txt");
        write_atomic(&p, b"one", None).expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"one");
        let mode = |p: &Utf8Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&p), 0o600);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        write_atomic(&p, b"two", None).expect("write");
        assert_eq!(mode(&p), 0o644);
        assert_eq!(std::fs::read(&p).expect("read"), b"two");
        let leftovers: Vec<_> = std::fs::read_dir(p.parent().expect("parent"))
            .expect("ls")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
