//! A gateway for the repair tests: a HOME reached through the lab's sshd, the real OpenClaw CLI
//! and the systemctl stand-in (`tests/standins/systemctl`) on its login PATH, and Claude Code's
//! `.credentials.json` written as Claude Code writes it. Plus [`ArgvWatch`], which samples every
//! process's command line while a flow runs.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};

use crate::lab::{Lab, login_path};
use crate::openclaw_cli::OpenClaw;

/// A test gateway's home and what is installed there.
pub struct RepairGateway {
    pub home: Utf8PathBuf,
    /// `~/bin`: the stand-ins.
    pub bin: Utf8PathBuf,
}

/// Directory of a file as UTF-8.
fn dir_of(p: &std::path::Path) -> Utf8PathBuf {
    Utf8PathBuf::from_path_buf(p.parent().expect("parent").to_path_buf()).expect("utf-8")
}

impl RepairGateway {
    /// A gateway home `name` whose login PATH has the systemctl stand-in and `oc` (with node),
    /// and which the lab's phone key logs in to.
    pub fn new(lab: &Lab, name: &str, oc: &OpenClaw) -> Self {
        let home = lab.new_home(name);
        let bin = home.join("bin");
        std::fs::create_dir_all(&bin).expect("mkdir bin");
        install(&crate::repo_root().join("tests/standins/systemctl"), &bin);
        let oc_dir = dir_of(&oc.bin);
        let node_dir = Utf8PathBuf::from_path_buf(oc.node_bin_dir.clone()).expect("utf-8 node dir");
        login_path(&home, &[&bin, &oc_dir, &node_dir]);
        lab.gateway(&home);
        Self { home, bin }
    }

    fn standin_dir(&self) -> Utf8PathBuf {
        self.home.join(".standin-systemctl")
    }

    /// Makes the stand-in service active (or not).
    pub fn set_service_active(&self, active: bool) {
        let d = self.standin_dir();
        std::fs::create_dir_all(&d).expect("mkdir");
        if active {
            std::fs::write(d.join("active"), "").expect("mark active");
        } else {
            let _ = std::fs::remove_file(d.join("active"));
        }
    }

    /// Every `systemctl` call recorded so far (`ARGS | XDG_RUNTIME_DIR=…`).
    pub fn systemctl_calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.standin_dir().join("calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The `systemctl … restart …` calls recorded so far.
    pub fn restarts(&self) -> Vec<String> {
        std::fs::read_to_string(self.standin_dir().join("restarts"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Writes Claude Code's `~/.claude/.credentials.json` (mode 0600, as Claude Code does).
    pub fn claude_login(&self, access: &str, refresh: Option<&str>, expires_at_ms: i64) {
        let dir = self.home.join(".claude");
        std::fs::create_dir_all(&dir).expect("mkdir .claude");
        let mut oauth = serde_json::json!({
            "accessToken": access,
            "expiresAt": expires_at_ms,
            "scopes": ["user:inference", "user:profile"],
            "subscriptionType": "max",
        });
        if let Some(r) = refresh {
            oauth["refreshToken"] = serde_json::Value::from(r);
        }
        let doc = serde_json::json!({ "claudeAiOauth": oauth });
        let path = dir.join(".credentials.json");
        std::fs::write(&path, serde_json::to_string(&doc).expect("json")).expect("write creds");
        crate::set_mode(path.as_std_path(), 0o600);
    }
}

/// Copies an executable into `dir`.
pub fn install(src: &std::path::Path, dir: &Utf8Path) {
    let name = src.file_name().expect("file name");
    let dst = dir.as_std_path().join(name);
    std::fs::copy(src, &dst).unwrap_or_else(|e| panic!("install {}: {e}", src.display()));
    crate::set_mode(&dst, 0o755);
}

/// `openclaw models status --json` on a gateway home: its `auth.oauth.profiles`, without the
/// `remainingMs` that moves with the clock.
pub fn openclaw_profiles(oc: &OpenClaw, home: &Utf8Path) -> Vec<serde_json::Value> {
    let out = oc.run(home.as_std_path(), &["models", "status", "--json"], None);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "openclaw status JSON: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut ps = doc
        .pointer("/auth/oauth/profiles")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    for p in &mut ps {
        if let Some(o) = p.as_object_mut() {
            o.remove("remainingMs");
        }
    }
    ps
}

/// Runs the built clawauth as the phone (see [`Lab::clawauth`]) with `input` on its stdin and
/// `env` on top of the phone's environment.
pub fn clawauth_with_stdin(
    lab: &Lab,
    args: &[&str],
    env: &[(&str, &str)],
    input: &str,
) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(crate::clawauth_bin());
    cmd.args(args)
        .env_clear()
        .env("HOME", lab.phone.as_str())
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("CLAWAUTH_SECRET_STORE", "file")
        .env("TZ", "UTC")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run clawauth");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_owned();
    // Written from a thread: clawauth reads it line by line, as the flow asks.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    out
}

/// Now, Unix ms.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

/// Samples `/proc/*/cmdline` (and `environ` where readable) of every process until stopped,
/// remembering each one that contains one of the needles.
pub struct ArgvWatch {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<(Vec<String>, usize)>>,
}

impl ArgvWatch {
    pub fn start(needles: Vec<String>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut hits = Vec::new();
            let mut samples = 0usize;
            while !flag.load(Ordering::Relaxed) {
                samples += 1;
                let Ok(dir) = std::fs::read_dir("/proc") else {
                    break;
                };
                for e in dir.flatten() {
                    let p: PathBuf = e.path();
                    if !e
                        .file_name()
                        .to_string_lossy()
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                    {
                        continue;
                    }
                    let Ok(raw) = std::fs::read(p.join("cmdline")) else {
                        continue;
                    };
                    let line = String::from_utf8_lossy(&raw).replace('\0', " ");
                    if needles.iter().any(|n| line.contains(n.as_str())) {
                        hits.push(line);
                    }
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            (hits, samples)
        });
        Self {
            stop,
            handle: Some(handle),
        }
    }

    /// Stops sampling: the command lines that held a needle, and how many samples were taken.
    pub fn stop(mut self) -> (Vec<String>, usize) {
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .take()
            .expect("running")
            .join()
            .expect("watcher thread")
    }
}
