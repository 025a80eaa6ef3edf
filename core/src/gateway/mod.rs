//! How a gateway is reached (DESIGN.md §Core 4): one trait — run a command with stdin and get
//! stdout, stderr and exit status; open a PTY; read a file; forward a port — with a local
//! implementation ([`local::LocalGateway`]) and an SSH one ([`crate::ssh::SshGateway`]).
//! The status sources are written against the trait, so local and remote share one code path.
//!
//! Commands are argv vectors, never strings: the SSH implementation renders them with
//! [`quote`], so no value (host name, agent id, path) ever reaches a remote shell unquoted.

pub mod local;

use std::future::Future;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

/// A program to run on the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// An absolute path, a `~/`-relative path (the gateway user's home), or a bare name looked
    /// up in the gateway's `PATH`.
    pub program: String,
    pub args: Vec<String>,
    /// Extra environment for the program (names must be `[A-Z_][A-Z0-9_]*`).
    pub env: Vec<(String, String)>,
}

impl Command {
    pub fn new(program: impl Into<String>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }

    /// `program arg…` for messages (not for a shell).
    pub fn describe(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The POSIX shell command line for this command: every word quoted, `~/` kept outside the
    /// quotes as `"$HOME"/`, environment as `NAME='value'` assignments.
    pub fn to_shell(&self) -> Result<String, GatewayError> {
        let mut out = String::new();
        for (k, v) in &self.env {
            if !valid_env_name(k) {
                return Err(GatewayError::Invalid(format!(
                    "environment variable name {k:?} is not allowed"
                )));
            }
            out.push_str(k);
            out.push('=');
            out.push_str(&quote(v)?);
            out.push(' ');
        }
        if self.program.is_empty() {
            return Err(GatewayError::Invalid("empty program name".into()));
        }
        out.push_str("exec ");
        // A program name that looks like an option would be read as one by `exec`.
        if self.program.starts_with('-') {
            return Err(GatewayError::Invalid(format!(
                "program {:?} starts with '-'",
                self.program
            )));
        }
        out.push_str(&quote_path(&self.program)?);
        for a in &self.args {
            out.push(' ');
            out.push_str(&quote(a)?);
        }
        Ok(out)
    }
}

fn valid_env_name(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Quotes `s` as one word for a POSIX shell: `'…'` with each `'` written as `'\''`. Refuses NUL
/// (it cannot be passed at all) and the other control characters but tab (a newline inside
/// quotes is safe for the shell, but nothing clawauth sends has one, so it signals hostile input).
pub fn quote(s: &str) -> Result<String, GatewayError> {
    if let Some(c) = s.chars().find(|c| c.is_control() && *c != '\t') {
        return Err(GatewayError::Invalid(format!(
            "a value for a remote command contains the control character {:?}",
            c
        )));
    }
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(&b))
    {
        return Ok(s.to_owned());
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    Ok(out)
}

/// Like [`quote`], but a leading `~/` stays unquoted as `"$HOME"/` so it means the gateway
/// user's home.
pub fn quote_path(p: &str) -> Result<String, GatewayError> {
    match p.strip_prefix("~/") {
        Some("") => Ok("\"$HOME\"".to_owned()),
        Some(rest) => Ok(format!("\"$HOME\"/{}", quote(rest)?)),
        None => quote(p),
    }
}

/// Limits for one command.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The command is abandoned (and killed where possible) after this long.
    pub timeout: Duration,
    /// At most this many bytes of stdout are kept; more marks the output truncated and stops
    /// the command.
    pub stdout_cap: usize,
    /// At most this many bytes of stderr are kept (the rest is dropped).
    pub stderr_cap: usize,
}

impl Limits {
    pub fn new(timeout: Duration, stdout_cap: usize) -> Self {
        Self {
            timeout,
            stdout_cap,
            stderr_cap: 64 * 1024,
        }
    }
}

/// What a command produced.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The exit status, when the command exited normally.
    pub status: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<String>,
    /// Stdout went past the cap: the command was stopped and `stdout` holds the first bytes.
    pub truncated: bool,
    pub duration: Duration,
}

/// Why a gateway operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GatewayError {
    #[error("{what} did not finish within {}s", .after.as_secs_f32())]
    Timeout { what: String, after: Duration },
    #[error("the connection to the gateway was lost{}", .0.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Disconnected(Option<String>),
    #[error("cannot start {program}: {reason}")]
    Spawn { program: String, reason: String },
    #[error("{0}")]
    Io(String),
    #[error("refused: {0}")]
    Invalid(String),
}

/// A byte stream to a port reached through the gateway.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Terminal size for a PTY.
#[derive(Debug, Clone, Copy)]
pub struct PtySize {
    pub cols: u32,
    pub rows: u32,
}

impl Default for PtySize {
    fn default() -> Self {
        Self { cols: 80, rows: 24 }
    }
}

/// Something that happened on a PTY.
#[derive(Debug)]
pub enum PtyEvent {
    Output(Vec<u8>),
    Exit(Option<i32>),
}

/// An interactive program running in a PTY on the gateway.
pub trait Pty: Send {
    fn write(&mut self, bytes: &[u8]) -> impl Future<Output = Result<(), GatewayError>> + Send;
    /// The next output chunk or the exit; `None` once the PTY is closed.
    fn next(&mut self) -> impl Future<Output = Option<PtyEvent>> + Send;
    fn resize(&mut self, size: PtySize) -> impl Future<Output = Result<(), GatewayError>> + Send;
    fn close(&mut self) -> impl Future<Output = ()> + Send;
}

/// Reads a PTY until its program exits or `timeout` has passed: everything it printed, and its
/// exit (`None` when the time ran out first).
pub async fn transcript<P: Pty>(pty: &mut P, timeout: Duration) -> (Vec<u8>, Option<Option<i32>>) {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, pty.next()).await {
            Ok(Some(PtyEvent::Output(b))) => seen.extend(b),
            Ok(Some(PtyEvent::Exit(code))) => return (seen, Some(code)),
            Ok(None) => return (seen, Some(None)),
            Err(_) => return (seen, None),
        }
    }
}

/// How clawauth reaches a gateway (DESIGN.md §Core 4).
pub trait Gateway: Send + Sync {
    type Pty: Pty;

    /// The gateway's name in reports (the configured host name, or this machine's name).
    fn name(&self) -> &str;

    /// Runs `cmd`, feeding `stdin` (then end-of-file; no stdin means an empty one).
    fn exec(
        &self,
        cmd: &Command,
        stdin: Option<&[u8]>,
        limits: Limits,
    ) -> impl Future<Output = Result<Output, GatewayError>> + Send;

    /// Runs a fixed POSIX shell script (built by clawauth from constants and [`quote`]d values),
    /// feeding `stdin` (then end-of-file). The script text is visible in the gateway's process
    /// list, so anything secret goes through `stdin`.
    fn exec_script(
        &self,
        script: &str,
        stdin: Option<&[u8]>,
        limits: Limits,
    ) -> impl Future<Output = Result<Output, GatewayError>> + Send;

    /// Reads a file (`~/`-relative paths are in the gateway user's home): `None` when it does
    /// not exist; an error when it is larger than `cap`.
    fn read_file(
        &self,
        path: &str,
        cap: usize,
        timeout: Duration,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, GatewayError>> + Send {
        async move {
            let script = format!(
                "p={}; [ -e \"$p\" ] || exit 66; exec cat -- \"$p\"",
                quote_path(path)?
            );
            let out = self
                .exec_script(&script, None, Limits::new(timeout, cap.saturating_add(1)))
                .await?;
            match out.status {
                Some(66) => Ok(None),
                Some(0) if out.stdout.len() > cap => Err(GatewayError::Io(format!(
                    "{path} is larger than the {cap} bytes clawauth reads from it"
                ))),
                Some(0) => Ok(Some(out.stdout)),
                _ => Err(GatewayError::Io(format!(
                    "cannot read {path}: {}",
                    crate::redact::last_line(&String::from_utf8_lossy(&out.stderr), 200)
                ))),
            }
        }
    }

    /// Starts `cmd` in a pseudo-terminal (for `claude setup-token` and interactive logins).
    fn open_pty(
        &self,
        cmd: &Command,
        size: PtySize,
    ) -> impl Future<Output = Result<Self::Pty, GatewayError>> + Send;

    /// Opens a byte stream to `host:port` as seen from the gateway.
    fn forward(
        &self,
        host: &str,
        port: u16,
    ) -> impl Future<Output = Result<Box<dyn Stream>, GatewayError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_hostile_values_one_word() {
        assert_eq!(quote("main").expect("q"), "main");
        assert_eq!(quote("").expect("q"), "''");
        assert_eq!(quote("a b").expect("q"), "'a b'");
        assert_eq!(
            quote("x'; touch /tmp/m #").expect("q"),
            "'x'\\''; touch /tmp/m #'"
        );
        assert_eq!(quote("$(touch m)").expect("q"), "'$(touch m)'");
        assert_eq!(quote("`id`").expect("q"), "'`id`'");
        assert!(quote("a\nb").is_err());
        assert!(quote("a\0b").is_err());
        assert_eq!(quote_path("~/bin/x y").expect("q"), "\"$HOME\"/'bin/x y'");
        assert_eq!(quote_path("/opt/$(x)").expect("q"), "'/opt/$(x)'");
    }

    #[test]
    fn commands_render_with_env_and_exec() {
        let c = Command::new("~/.npm-global/bin/openclaw")
            .args(["models", "status", "--agent", "a;b"])
            .env("OPENCLAW_STATE_DIR", "/srv/o c");
        assert_eq!(
            c.to_shell().expect("render"),
            "OPENCLAW_STATE_DIR='/srv/o c' exec \"$HOME\"/.npm-global/bin/openclaw models status --agent 'a;b'"
        );
        assert!(Command::new("x").env("A;B", "1").to_shell().is_err());
        assert!(Command::new("-x").to_shell().is_err());
    }

    /// The quoting is proven against a real shell: every hostile word comes back unchanged.
    #[test]
    fn quoted_words_survive_a_real_shell() {
        let words = [
            "x'; touch /tmp/clawauth-marker #",
            "$(touch /tmp/clawauth-marker)",
            "`touch /tmp/clawauth-marker`",
            "a\"b\\c",
            "*",
            "~",
            "it's",
            "\t",
        ];
        for w in words {
            let script = format!("printf %s {}", quote(w).expect("quote"));
            let out = std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(&script)
                .output()
                .expect("sh");
            assert_eq!(String::from_utf8_lossy(&out.stdout), w, "{script}");
        }
    }
}
