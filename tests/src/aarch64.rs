//! The phone's build of clawauth: the static aarch64-unknown-linux-musl binary made by
//! `termux/build-static.sh aarch64` (tests/run-all.sh builds it before the tests), run here under
//! Debian's `qemu-aarch64-static`. Either one missing fails the test with the command that makes
//! it; nothing is skipped.

use std::path::{Path, PathBuf};

/// Debian's user-mode emulator (package qemu-user-static).
pub const QEMU: &str = "/usr/bin/qemu-aarch64-static";

/// `target/static/clawauth-aarch64-linux-musl` (`$CARGO_TARGET_DIR` honoured); panics when it has
/// not been built.
pub fn static_bin() -> PathBuf {
    let bin = crate::target_dir().join("static/clawauth-aarch64-linux-musl");
    assert!(
        bin.is_file(),
        "the aarch64 binary is missing: run termux/build-static.sh aarch64 (expected at {})",
        bin.display()
    );
    bin
}

/// [`QEMU`]; panics with the install command when it is missing.
pub fn qemu() -> PathBuf {
    assert!(
        Path::new(QEMU).is_file(),
        "{QEMU} not found: install qemu-user-static (apt-get install qemu-user-static, or run \
         tests/install-tools.sh)"
    );
    PathBuf::from(QEMU)
}
