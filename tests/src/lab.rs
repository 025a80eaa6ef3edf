//! A phone and a gateway on one machine: a real sshd on 127.0.0.1 ([`crate::sshd`]) whose
//! sessions get their own HOME (the gateway's), and a separate HOME for the `clawauth` that
//! connects to it (the phone's: `~/.ssh`, `~/.config/clawauth`).

use std::ffi::OsStr;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};

use crate::openclaw_cli::OpenClaw;
use crate::sshd::{ClientKey, Sshd, SshdOptions, client_key};

/// An anthropic-only gateway config.
pub const ANTHROPIC: &str =
    r#"{"agents":{"defaults":{"model":{"primary":"anthropic/claude-opus-5"}}}}"#;

/// The moment the sample state in `examples/gateway` is pinned to (it is `expiring` then).
pub const SAMPLE_AT: &str = "2026-11-21T10:00:00Z";

/// An obviously fake Anthropic setup-token (OpenClaw requires the prefix and ≥ 80 characters).
pub fn fake_token(tag: &str) -> String {
    format!("sk-ant-oat01-FAKE-{tag}-{}", "x".repeat(80))
}

pub struct Lab {
    pub sshd: Sshd,
    _tmp: tempfile::TempDir,
    /// The phone's HOME.
    pub phone: Utf8PathBuf,
    /// The phone's key, at `~/.ssh/id_ed25519`.
    pub key: ClientKey,
    /// Scratch space for gateway homes and markers.
    pub scratch: Utf8PathBuf,
}

impl Lab {
    /// An sshd and a phone HOME with a client key; the host key is not trusted yet.
    pub fn new() -> Lab {
        Self::with(SshdOptions::default())
    }

    pub fn with(opts: SshdOptions) -> Lab {
        let sshd = Sshd::start(opts);
        let tmp = tempfile::Builder::new()
            .prefix("clawauth-lab.")
            .tempdir()
            .expect("tempdir");
        let root = Utf8PathBuf::from_path_buf(tmp.path().to_path_buf()).expect("utf-8");
        let phone = root.join("phone");
        std::fs::create_dir_all(phone.join(".ssh")).expect("mkdir");
        let key = client_key(&phone.join(".ssh"), "id_ed25519", "ed25519", None);
        let scratch = root.join("scratch");
        std::fs::create_dir_all(&scratch).expect("mkdir");
        Lab {
            sshd,
            _tmp: tmp,
            phone,
            key,
            scratch,
        }
    }

    /// `user@host:port` of the sshd.
    pub fn target(&self) -> String {
        format!("root@127.0.0.1:{}", self.sshd.port)
    }

    /// Trusts the host key the way OpenSSH users do (a plain known_hosts line).
    pub fn trust(&self) {
        let kh = self.phone.join(".ssh/known_hosts");
        let mut text = std::fs::read_to_string(&kh).unwrap_or_default();
        text.push_str(&self.sshd.known_hosts_line());
        text.push('\n');
        std::fs::write(kh, text).expect("write known_hosts");
    }

    /// Makes `key` log in to a session with HOME=`home` and PATH=`path` (replacing earlier
    /// authorizations).
    pub fn gateway_for(&self, key: &ClientKey, home: &Utf8Path, path: &str) {
        std::fs::write(&self.sshd.authorized_keys, "").expect("reset authorized_keys");
        self.sshd.authorize(
            &key.public_line,
            &format!("environment=\"HOME={home}\",environment=\"PATH={path}\""),
        );
    }

    /// The phone's key logs in to a gateway whose HOME is `home` and whose PATH is the system's.
    pub fn gateway(&self, home: &Utf8Path) {
        self.gateway_for(&self.key, home, "/usr/local/bin:/usr/bin:/bin");
    }

    /// A fresh gateway home under scratch.
    pub fn new_home(&self, name: &str) -> Utf8PathBuf {
        let h = self.scratch.join(name);
        std::fs::create_dir_all(&h).expect("mkdir gateway home");
        h
    }

    /// A gateway home holding the sample state shipped in `examples/gateway` (verdict: expiring
    /// at [`SAMPLE_AT`]), with clawauth — the freshly built binary — installed there.
    pub fn sample_gateway(&self, name: &str) -> Utf8PathBuf {
        let home = self.new_home(name);
        for d in [".openclaw", ".claude"] {
            let status = Command::new("cp")
                .arg("-a")
                .arg(crate::repo_root().join("examples/gateway").join(d))
                .arg(home.join(d).as_str())
                .status()
                .expect("cp");
            assert!(status.success(), "copy the sample state");
        }
        home
    }

    /// The built clawauth, as the gateway's `clawauth = …` setting.
    pub fn clawauth_path() -> String {
        crate::clawauth_bin().to_str().expect("utf-8").to_owned()
    }

    /// Adds a host to the phone's config with `clawauth hosts add NAME --ssh TARGET ARGS…`.
    pub fn add_host(&self, name: &str, extra: &[&str]) {
        let target = self.target();
        let mut args = vec!["hosts", "add", name, "--ssh", target.as_str(), "--force"];
        args.extend_from_slice(extra);
        let out = self.clawauth(&args, &[]);
        assert!(out.status.success(), "hosts add: {}", text(&out));
    }

    /// Runs the built clawauth as the phone: a clean environment with the phone's HOME, the file
    /// secret store, no agent, no terminal.
    pub fn clawauth(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.clawauth_timed(args, env).0
    }

    /// Like [`Lab::clawauth`], also returning how long it took.
    pub fn clawauth_timed(&self, args: &[&str], env: &[(&str, &str)]) -> (Output, Duration) {
        let mut cmd = self.phone_command(crate::clawauth_bin());
        cmd.args(args).envs(env.iter().copied());
        let started = Instant::now();
        let out = cmd.output().expect("run clawauth");
        (out, started.elapsed())
    }

    /// The phone's build (the static aarch64 binary, [`crate::aarch64::static_bin`]) run under
    /// `qemu-aarch64-static` in the phone's environment (see [`Lab::phone_command`]), `env` on
    /// top.
    pub fn qemu_clawauth(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let bin = crate::aarch64::static_bin();
        let mut cmd = self.phone_command(crate::aarch64::qemu());
        cmd.arg(bin).args(args).envs(env.iter().copied());
        cmd.output()
            .expect("run clawauth under qemu-aarch64-static")
    }

    /// `program` as the phone runs it: a clean environment with only the phone's HOME, a PATH of
    /// system directories, the file secret store (no keyring, as on Termux) and TZ=UTC — no
    /// ssh-agent, no terminal (stdin is /dev/null, stdout and stderr are piped).
    pub fn phone_command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("HOME", self.phone.as_str())
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("CLAWAUTH_SECRET_STORE", "file")
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }
}

impl Default for Lab {
    fn default() -> Self {
        Self::new()
    }
}

/// The report of the one host a `clawauth status --host NAME --format json` run printed: its
/// output is one document listing the hosts (`{"schema":1,"verdict":…,"hosts":[Report]}`).
/// Panics with the run's output when it is anything else.
pub fn host_report(out: &Output) -> serde_json::Value {
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)));
    match doc["hosts"].as_array().map(Vec::as_slice) {
        Some([one]) => one.clone(),
        _ => panic!("not a document listing one host: {}", text(out)),
    }
}

/// stdout and stderr of a run, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `models auth paste-token --provider anthropic --profile-id PROFILE [--expires-in D] [--agent A]`
/// (no `--expires-in` when `expires_in` is empty).
pub fn paste_token_args(profile: &str, expires_in: &str, agent: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = [
        "models",
        "auth",
        "paste-token",
        "--provider",
        "anthropic",
        "--profile-id",
        profile,
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    if !expires_in.is_empty() {
        args.extend(["--expires-in".to_owned(), expires_in.to_owned()]);
    }
    if let Some(a) = agent {
        args.extend(["--agent".to_owned(), a.to_owned()]);
    }
    args
}

/// Writes a gateway state with the real OpenClaw CLI: `openclaw.json` = `config`, then
/// `paste-token` for `anthropic:manual` expiring in `expires_in` (none when empty; no
/// credential at all when `None`).
pub fn openclaw_state(oc: &OpenClaw, home: &Utf8Path, config: &str, expires_in: Option<&str>) {
    std::fs::create_dir_all(home.join(".openclaw")).expect("mkdir .openclaw");
    std::fs::write(home.join(".openclaw/openclaw.json"), config).expect("write config");
    if let Some(exp) = expires_in {
        let args = paste_token_args("anthropic:manual", exp, None);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = oc.run(
            home.as_std_path(),
            &args,
            Some(&format!("{}\n", fake_token(&format!("remote-{exp}")))),
        );
        assert!(
            out.status.success(),
            "paste-token failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `openclaw models status --json --check` on a gateway home, run locally: the exit code.
pub fn openclaw_check(oc: &OpenClaw, home: &Utf8Path) -> i32 {
    let out = oc.run(
        home.as_std_path(),
        &["models", "status", "--json", "--check"],
        None,
    );
    out.status.code().expect("openclaw exited normally")
}

/// Makes the gateway user's login shell find `dirs` (as npm's global bin in ~/.profile does).
pub fn login_path(home: &Utf8Path, dirs: &[&Utf8Path]) {
    let joined = dirs
        .iter()
        .map(|d| d.as_str())
        .collect::<Vec<_>>()
        .join(":");
    std::fs::write(
        home.join(".profile"),
        format!("echo 'welcome to the gateway'\nexport PATH=\"{joined}:$PATH\"\n"),
    )
    .expect("write .profile");
}
