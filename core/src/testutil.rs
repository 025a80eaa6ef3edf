//! Helpers shared by the unit tests: a scratch directory with UTF-8 paths and file modes.

use std::os::unix::fs::PermissionsExt;

use camino::{Utf8Path, Utf8PathBuf};

/// A temporary directory (removed on drop) and its UTF-8 path.
pub fn tmp() -> (tempfile::TempDir, Utf8PathBuf) {
    let t = tempfile::tempdir().expect("tempdir");
    let p = Utf8Path::from_path(t.path()).expect("utf8").to_owned();
    (t, p)
}

/// A file's permission bits.
pub fn mode(p: &Utf8Path) -> u32 {
    std::fs::metadata(p).expect("meta").permissions().mode() & 0o777
}

/// A scratch directory that writes files by relative path.
pub struct Scratch {
    _t: tempfile::TempDir,
    pub dir: Utf8PathBuf,
}

impl Scratch {
    pub fn new() -> Self {
        let (t, dir) = tmp();
        Self { _t: t, dir }
    }

    /// Writes `text` to `rel` (parents created) and returns its path.
    pub fn write(&self, rel: &str, text: &str) -> Utf8PathBuf {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
        p
    }
}

/// Runs `work` on its own thread and fails the test when it has not finished after `limit`: a
/// hang guard for inputs at a reader's size cap (the bound is many times what the work needs
/// even in a debug build; speed itself is measured by the fuzz run, not here).
pub fn finishes_within<T: Send + 'static>(
    limit: std::time::Duration,
    what: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked"),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what} did not finish within {limit:?}: its work grows faster than the input")
        }
    }
}
