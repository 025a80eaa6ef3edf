//! A gateway for the repair tests: a HOME reached through the lab's sshd, the real OpenClaw CLI
//! and the systemctl stand-in (`tests/standins/systemctl`) on its login PATH, and Claude Code's
//! `.credentials.json` written as Claude Code writes it; [`TermuxApi`], the phone's Termux:API
//! played by the stand-ins. Plus [`ArgvWatch`], which samples every process's command line
//! while a flow runs.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

    /// The built clawauth (and the real CLI with node) on the login PATH too, so checks over
    /// SSH are answered by clawauth there (ms, no Node).
    pub fn clawauth_on_login_path(&self, oc: &OpenClaw) {
        let node = Utf8PathBuf::from_path_buf(oc.node_bin_dir.clone()).expect("utf-8");
        login_path(
            &self.home,
            &[
                &self.bin,
                &dir_of(&crate::clawauth_bin()),
                &dir_of(&oc.bin),
                &node,
            ],
        );
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
    let mut cmd = lab.phone_command(crate::clawauth_bin());
    cmd.args(args)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped());
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

/// Installs the stand-ins `tests/standins/<name>` into the phone's `~/bin` and returns a `PATH`
/// that finds them first.
pub fn phone_path_with(lab: &Lab, standins: &[&str]) -> String {
    let bin = lab.phone.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir phone bin");
    for name in standins {
        install(crate::standins::standin_path(name).as_std_path(), &bin);
    }
    format!("{bin}:/usr/local/bin:/usr/bin:/bin")
}

/// Termux:API's commands the taps use, each played by a stand-in of `tests/standins`.
pub const TERMUX_API: [&str; 6] = [
    "termux-toast",
    "termux-vibrate",
    "termux-notification",
    "termux-notification-remove",
    "termux-open-url",
    "termux-dialog",
];

/// Termux:API on the phone, played by the stand-ins of `tests/standins` (they need Android):
/// a PATH that finds them first, the log they record their calls in, and the file
/// termux-dialog takes its answers from.
pub struct TermuxApi {
    pub path: String,
    pub log: Utf8PathBuf,
    pub answers: Utf8PathBuf,
}

impl TermuxApi {
    /// The stand-ins `standins` installed in the phone's `~/bin`.
    pub fn new(lab: &Lab, standins: &[&str]) -> Self {
        let path = phone_path_with(lab, standins);
        let answers = lab.scratch.join("dialog-answers");
        std::fs::write(&answers, "").expect("answers");
        Self {
            path,
            log: lab.scratch.join("termux-api.log"),
            answers,
        }
    }

    /// Runs `cmd` (a phone command: [`Lab::phone_command`]) with the stand-ins on its PATH and
    /// termux-dialog answering `answers` in order; (exit code, the calls recorded, output).
    pub fn run(
        &self,
        mut cmd: std::process::Command,
        answers: &[&str],
    ) -> (i32, Vec<Vec<String>>, std::process::Output) {
        let _ = std::fs::remove_file(&self.log);
        let _ = std::fs::remove_file(format!("{}.used", self.answers));
        let mut a = answers.join("\n");
        a.push('\n');
        std::fs::write(&self.answers, a).expect("answers");
        let out = cmd
            .env("PATH", &self.path)
            .env("CLAWAUTH_STANDIN_LOG", self.log.as_str())
            .env("CLAWAUTH_STANDIN_DIALOG", self.answers.as_str())
            .output()
            .expect("run on the phone");
        let calls = crate::standins::standin_calls(&self.log);
        (out.status.code().unwrap_or(-1), calls, out)
    }
}

/// Now, Unix ms.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

/// Samples every process's `/proc/<pid>/cmdline` and `environ` on a thread until stopped,
/// recording each file that holds a secret — or half of one, a wrapped or cut copy counts.
/// With a witness (a command line that must show up, e.g. the stand-in holding the token),
/// [`ArgvWatch::settle`] proves the sampling looked while it ran.
pub struct ArgvWatch {
    stop: Arc<AtomicBool>,
    /// Finished rounds, and rounds in which the witness was seen.
    rounds: Arc<(AtomicUsize, AtomicUsize)>,
    handle: JoinHandle<Sampled>,
}

/// What an [`ArgvWatch`] saw.
#[derive(Debug, Default)]
pub struct Sampled {
    pub rounds: usize,
    /// Rounds in which the witness was seen.
    pub saw_witness: usize,
    /// `/proc/<pid>/<file>` that held a secret (the path only, never the content).
    pub leaks: BTreeSet<String>,
}

impl Sampled {
    /// Fails when any process's argv or environ held a secret (the paths are listed, never the
    /// secret).
    pub fn assert_no_leaks(&self, what: &str) {
        assert!(
            self.leaks.is_empty(),
            "{what} was in a process's argv or environ: {:?}",
            self.leaks
        );
    }
}

/// Whether `hay` contains the (non-empty) byte string `needle`.
pub fn holds(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

impl ArgvWatch {
    pub fn start(secrets: Vec<String>) -> Self {
        Self::with_witness(secrets, None)
    }

    /// Like [`ArgvWatch::start`], also counting rounds in which a command line contains
    /// `witness` (NUL-separated argv).
    pub fn with_witness(secrets: Vec<String>, witness: Option<Vec<u8>>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let rounds = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
        let (flag, counts) = (stop.clone(), rounds.clone());
        let halves: Vec<Vec<u8>> = secrets
            .iter()
            .map(|s| s.as_bytes()[..s.len() / 2].to_vec())
            .collect();
        let handle = std::thread::spawn(move || {
            let mut r = Sampled::default();
            while !flag.load(Ordering::SeqCst) {
                let mut saw = false;
                for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
                    let name = entry.file_name();
                    let Some(pid) = name
                        .to_str()
                        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
                    else {
                        continue;
                    };
                    for file in ["cmdline", "environ"] {
                        let Ok(bytes) = std::fs::read(format!("/proc/{pid}/{file}")) else {
                            continue;
                        };
                        if file == "cmdline" && witness.as_deref().is_some_and(|w| holds(&bytes, w))
                        {
                            saw = true;
                        }
                        if halves.iter().any(|h| holds(&bytes, h)) {
                            r.leaks.insert(format!("/proc/{pid}/{file}"));
                        }
                    }
                }
                r.rounds += 1;
                r.saw_witness += usize::from(saw);
                counts.1.fetch_add(usize::from(saw), Ordering::SeqCst);
                counts.0.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(1));
            }
            r
        });
        Self {
            stop,
            rounds,
            handle,
        }
    }

    /// Waits until a whole round ran after this call and saw the witness (alive now).
    pub async fn settle(&self) {
        let (done, saw) = (&self.rounds.0, &self.rounds.1);
        let (d0, s0) = (done.load(Ordering::SeqCst), saw.load(Ordering::SeqCst));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while done.load(Ordering::SeqCst) < d0 + 2 || saw.load(Ordering::SeqCst) <= s0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the /proc sampler never saw the witness"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops sampling and returns what was seen.
    pub fn stop(self) -> Sampled {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().expect("sampler thread")
    }
}
