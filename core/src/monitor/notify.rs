//! Notifiers: ntfy over HTTP, a program of the user's with the message on stdin, and
//! termux-notification on the phone. Each returns `Ok` only when the alert was delivered (ntfy
//! answered 2xx, the program exited 0); errors say what failed and never carry a secret.

use std::process::Stdio;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use tokio::io::AsyncWriteExt;

use super::config::{CommandConfig, NtfyConfig};
use super::message::Message;
use crate::monitor::termux_notification as termux_api;
use crate::openclaw::env::Environment;
use crate::secrets::{Secret, SecretStore};

/// The secret-store key of the ntfy access token.
pub const NTFY_TOKEN_KEY: &str = "ntfy-token";
/// Environment variable that may hold the ntfy access token (e.g. from a systemd
/// `EnvironmentFile=`).
pub const ENV_NTFY_TOKEN: &str = "CLAWAUTH_NTFY_TOKEN";
/// Attempts per alert within one run (the next run tries again anyway).
const ATTEMPTS: u32 = 2;
/// How much of a notifier program's stderr is kept (for the error when it fails).
const NOTIFIER_STDERR_CAP: usize = 64 * 1024;
/// The longest `Retry-After` honoured within a run.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// Checks an ntfy access token's shape (never echoing it).
pub fn validate_ntfy_token(t: &str) -> Result<(), String> {
    if t.is_empty() {
        return Err("the ntfy token is empty".to_owned());
    }
    if t.len() > 512 {
        return Err("the ntfy token is longer than 512 characters".to_owned());
    }
    if t.chars()
        .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
    {
        return Err(
            "the ntfy token contains spaces, line breaks or non-ASCII characters".to_owned(),
        );
    }
    Ok(())
}

/// Reads a token file: `NTFY_TOKEN=…` / `CLAWAUTH_NTFY_TOKEN=…` lines (quotes allowed, `#`
/// comments), or the bare token. The file must not be readable by others.
pub fn read_token_file(path: &Utf8Path) -> Result<Secret, String> {
    use std::os::unix::fs::MetadataExt;
    let file = crate::openclaw::files::open_regular(path)
        .map_err(|e| format!("cannot read the ntfy token file: {e}"))?
        .ok_or_else(|| format!("the ntfy token file {path} does not exist"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read the ntfy token file {path}: {e}"))?;
    if meta.mode() & 0o077 != 0 {
        return Err(format!(
            "the ntfy token file {path} may be read by other users (mode {:04o}); run `chmod 600 {path}`",
            meta.mode() & 0o7777
        ));
    }
    if meta.len() > 64 * 1024 {
        return Err(format!("the ntfy token file {path} is larger than 64 KiB"));
    }
    let mut text = zeroize::Zeroizing::new(String::with_capacity(
        usize::try_from(meta.len().min(64 * 1024)).unwrap_or(0) + 1,
    ));
    std::io::Read::read_to_string(&mut std::io::Read::take(file, 64 * 1024), &mut text)
        .map_err(|e| format!("cannot read the ntfy token file {path}: {e}"))?;
    let mut found: Option<String> = None;
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let line = line.strip_prefix("export ").unwrap_or(line);
        let value = match line.split_once('=') {
            Some((k, v)) if matches!(k.trim(), "NTFY_TOKEN" | "CLAWAUTH_NTFY_TOKEN") => v.trim(),
            Some(_) => continue,
            None => line,
        };
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        found = Some(value.to_owned());
        break;
    }
    let token = found.ok_or_else(|| {
        format!("{path} holds no ntfy token: write a line NTFY_TOKEN=tk_… (or just the token)")
    })?;
    let token = Secret::new(token);
    validate_ntfy_token(token.expose()).map_err(|e| format!("{path}: {e}"))?;
    Ok(token)
}

/// The ntfy access token: the configured token file, else `$CLAWAUTH_NTFY_TOKEN`, else the
/// secret store's `ntfy-token`, else none (a public topic).
pub fn ntfy_token(
    cfg: &NtfyConfig,
    env: &Environment,
    store: Option<&dyn SecretStore>,
) -> Result<Option<Secret>, String> {
    if let Some(f) = &cfg.token_file {
        let path = expand_home(f, env);
        return read_token_file(&path).map(Some);
    }
    if let Some(t) = env.get(ENV_NTFY_TOKEN).filter(|t| !t.is_empty()) {
        validate_ntfy_token(t).map_err(|e| format!("{ENV_NTFY_TOKEN}: {e}"))?;
        return Ok(Some(Secret::new(t)));
    }
    match store {
        Some(s) => s
            .get(NTFY_TOKEN_KEY)
            .map_err(|e| format!("cannot read the ntfy token from the secret store: {e}")),
        None => Ok(None),
    }
}

/// `~/x` → `$HOME/x`.
pub fn expand_home(p: &Utf8Path, env: &Environment) -> Utf8PathBuf {
    match (p.as_str().strip_prefix("~/"), env.os_home()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => p.to_owned(),
    }
}

/// RFC 2047 encoding for a header value that is not plain ASCII (ntfy decodes it).
pub fn header_text(s: &str) -> String {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        s.to_owned()
    } else {
        use base64::Engine;
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
        )
    }
}

/// Publishes to an ntfy topic.
pub struct Ntfy {
    client: reqwest::Client,
    server: String,
    topic: String,
    token: Option<Secret>,
}

impl Ntfy {
    pub fn new(cfg: &NtfyConfig, env: &Environment, token: Option<Secret>) -> Result<Self, String> {
        let timeout = Duration::from_millis(cfg.timeout_ms.unsigned_abs());
        Ok(Self {
            client: super::http::client(env, timeout)?,
            server: cfg.server.clone(),
            topic: cfg.topic.clone(),
            token,
        })
    }

    fn url(&self) -> String {
        format!("{}/{}", self.server, self.topic)
    }

    /// One POST; `Err((why, retry_after))`, where a retry makes sense.
    async fn post(&self, m: &Message) -> Result<(), (String, Option<Duration>)> {
        let actions: Vec<serde_json::Value> = m
            .actions
            .iter()
            .map(|a| serde_json::json!({"action": "view", "label": a.label, "url": a.url, "clear": true}))
            .collect();
        let mut req = self
            .client
            .post(self.url())
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("Title", header_text(&m.title))
            .header("Priority", m.priority.to_string())
            .header("Tags", header_text(&m.tags.join(",")))
            .header("Markdown", "yes")
            .header("X-Sequence-ID", m.sequence_id.as_str())
            .body(m.body.clone());
        if let Some(c) = &m.click {
            req = req.header("Click", header_text(c));
        }
        if !actions.is_empty() {
            req = req.header(
                "Actions",
                header_text(&serde_json::Value::Array(actions).to_string()),
            );
        }
        if let Some(t) = &self.token {
            let mut v = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", t.expose()))
                .map_err(|_| {
                (
                    "the ntfy token is not a valid header value".to_owned(),
                    None,
                )
            })?;
            v.set_sensitive(true);
            req = req.header(reqwest::header::AUTHORIZATION, v);
        }
        let resp = req.send().await.map_err(|e| {
            let retry = (!e.is_timeout()).then_some(Duration::from_secs(1));
            (
                format!("ntfy at {}: {}", self.server, super::http::describe(&e)),
                retry,
            )
        })?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // An error body is read only so far: a hostile server may send gigabytes, or forever.
        let body = super::http::body_capped(resp, super::http::BODY_CAP)
            .await
            .map_err(|e| super::http::describe(&e));
        Err(ntfy_refusal(
            &self.url(),
            status.as_u16(),
            retry_after.as_deref(),
            body.as_ref().map(|(b, cut)| (b.as_slice(), *cut)),
        ))
    }

    pub async fn send(&self, m: &Message) -> Result<(), String> {
        let mut attempt = 1;
        loop {
            match self.post(m).await {
                Ok(()) => return Ok(()),
                Err((why, Some(wait))) if attempt < ATTEMPTS => {
                    tracing::info!(
                        "{why}; trying again in {}s",
                        wait.min(MAX_RETRY_AFTER).as_secs_f32()
                    );
                    tokio::time::sleep(wait.min(MAX_RETRY_AFTER)).await;
                    attempt += 1;
                }
                Err((why, _)) => return Err(why),
            }
        }
    }
}

/// What an ntfy server's refusal means, from what it sent: the status, its `Retry-After`
/// header and its body (at most [`super::http::BODY_CAP`] bytes and whether there was more, or
/// why it could not be read). Returns the words for the person and, when trying again may
/// help, how long to wait first (a 429's `Retry-After` in seconds, at most
/// [`MAX_RETRY_AFTER`]).
pub fn ntfy_refusal(
    url: &str,
    status: u16,
    retry_after: Option<&str>,
    body: Result<(&[u8], bool), &String>,
) -> (String, Option<Duration>) {
    let why = match body {
        Ok((body, cut)) => ntfy_error_text(body, cut),
        Err(e) => format!("its answer could not be read ({e})"),
    };
    let hint = match status {
        401 | 403 => {
            " (check the access token: the stored ntfy token, or token_file in [monitor.ntfy])"
        }
        404 => " (check server and topic in [monitor.ntfy])",
        _ => "",
    };
    let retry = match status {
        429 => Some(
            retry_after
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map_or(Duration::from_secs(1), Duration::from_secs)
                .min(MAX_RETRY_AFTER),
        ),
        500..=599 => Some(Duration::from_secs(1)),
        _ => None,
    };
    let status = reqwest::StatusCode::from_u16(status)
        .map_or_else(|_| status.to_string(), |s| s.to_string());
    (
        format!("ntfy at {url} answered {status}: {why}{hint}"),
        retry,
    )
}

/// What an ntfy error answer says: its JSON `error`, else its text (one line, at most 200
/// characters, control characters made visible).
fn ntfy_error_text(body: &[u8], cut: bool) -> String {
    let text = String::from_utf8_lossy(body);
    let line = |t: &str| crate::display::visible_cut(&crate::redact::last_line(t, 200), 200);
    if !cut
        && let Some(e) = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
    {
        return line(&e);
    }
    if cut {
        format!(
            "{} (an answer longer than {} bytes, not read further)",
            line(text.lines().next().unwrap_or_default()),
            super::http::BODY_CAP
        )
    } else {
        line(&text)
    }
}

/// Runs a program with the alert on stdin.
pub struct CommandNotifier {
    cfg: CommandConfig,
}

impl CommandNotifier {
    pub fn new(cfg: &CommandConfig, env: &Environment) -> Self {
        let mut cfg = cfg.clone();
        cfg.program = expand_home(&cfg.program, env);
        Self { cfg }
    }

    pub async fn send(&self, m: &Message) -> Result<(), String> {
        let program = &self.cfg.program;
        let mut cmd = tokio::process::Command::new(program.as_std_path());
        cmd.args(&self.cfg.args)
            .env("CLAWAUTH_ALERT_TITLE", &m.title)
            .env("CLAWAUTH_ALERT_PRIORITY", m.priority.to_string())
            .env("CLAWAUTH_ALERT_LEVEL", m.level.as_str())
            .env("CLAWAUTH_ALERT_KIND", m.kind.as_str())
            .env("CLAWAUTH_ALERT_HOST", &m.host)
            .env("CLAWAUTH_ALERT_SEQUENCE_ID", &m.sequence_id)
            .env("CLAWAUTH_ALERT_CLICK", m.click.as_deref().unwrap_or(""))
            .env(
                "CLAWAUTH_ALERT_FIX",
                m.fix.as_ref().map_or("", |f| f.line.as_str()),
            )
            .env_remove(ENV_NTFY_TOKEN)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Its own process group, so a hung notifier is killed with everything it started.
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {program}: {e}; check [monitor.command] program"))?;
        let group = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(rustix::process::Pid::from_raw);
        let input = format!("{}\n\n{}\n", m.title, m.text);
        let timeout = Duration::from_millis(self.cfg.timeout_ms.unsigned_abs());
        // Its stderr is collected beside the wait, at most 64 KiB of it, and never waited for:
        // a child it left running may hold the pipe open long after it exited.
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let reader = child.stderr.take().map(|mut pipe| {
            let sink = std::sync::Arc::clone(&stderr);
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut s) = sink.lock() {
                        let room = NOTIFIER_STDERR_CAP.saturating_sub(s.len());
                        s.extend_from_slice(&buf[..n.min(room)]);
                    }
                }
            })
        });
        let stdin = child.stdin.take();
        let run = async {
            if let Some(mut stdin) = stdin {
                // A program that does not read its stdin is fine.
                let _ = stdin.write_all(input.as_bytes()).await;
            }
            child.wait().await
        };
        let outcome = tokio::time::timeout(timeout, run).await;
        if outcome.is_err() {
            // The whole group: the program and whatever it started.
            if let Some(g) = group {
                let _ = rustix::process::kill_process_group(g, rustix::process::Signal::KILL);
            }
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
        }
        if let Some(mut reader) = reader {
            // What it wrote before it exited is there by now, or soon; its children may keep
            // the pipe open, so stop listening after a moment.
            if tokio::time::timeout(Duration::from_millis(200), &mut reader)
                .await
                .is_err()
            {
                reader.abort();
            }
        }
        let last = stderr
            .lock()
            .map(|s| crate::redact::last_line(&String::from_utf8_lossy(&s), 300))
            .unwrap_or_default();
        match outcome {
            Err(_) => Err(format!(
                "{program} did not finish within {}s and was killed with the processes it started (raise [monitor.command] timeout)",
                timeout.as_secs_f32()
            )),
            Ok(Err(e)) => Err(format!("{program} failed: {e}")),
            Ok(Ok(status)) if status.success() => Ok(()),
            Ok(Ok(status)) => Err(format!(
                "{program} exited with {status}{}",
                if last.is_empty() {
                    String::new()
                } else {
                    format!(": {}", crate::display::visible(&last))
                }
            )),
        }
    }
}

/// `termux-notification` from Termux:API, on the phone.
pub struct Termux {
    /// The `clawauth` binary the Re-auth button starts (in a new Termux session).
    clawauth: String,
}

impl Termux {
    pub fn new(clawauth: impl Into<String>) -> Self {
        Self {
            clawauth: clawauth.into(),
        }
    }

    /// The notification for `m`.
    pub fn notification(&self, m: &Message) -> termux_api::Notification {
        let priority = match m.priority {
            5 => "max",
            4 => "high",
            3 => "default",
            2 => "low",
            _ => "min",
        };
        let mut n = termux_api::Notification {
            id: m.sequence_id.clone(),
            group: Some("clawauth".into()),
            title: m.title.clone(),
            content: m.text.clone(),
            priority: Some(priority),
            ..Default::default()
        };
        if m.level.rank() >= 2 && m.kind != super::decide::Kind::Recovered {
            n.vibrate = Some("300,150,300".into());
        }
        // The button opens a Termux session running the fix (Termux's RUN_COMMAND service;
        // `clawauth termux setup` says how to allow it). Its arguments are the fix's words
        // (after `clawauth`), never a line split at spaces.
        let action = m
            .fix
            .as_ref()
            .and_then(|f| f.argv.first())
            .filter(|argv| argv.first().is_some_and(|p| p == "clawauth"))
            .and_then(|argv| termux_api::run_command_action(&self.clawauth, &argv[1..]).ok());
        if let Some(action) = action {
            n.buttons.push(termux_api::Button {
                label: "Re-auth".into(),
                action,
            });
        }
        n
    }

    pub async fn send(&self, m: &Message) -> Result<(), String> {
        let n = self.notification(m);
        tokio::task::spawn_blocking(move || termux_api::notify(&n))
            .await
            .map_err(|e| format!("termux-notification: {e}"))?
            .map_err(|e| e.to_string())
    }
}

/// The alerts for an app that posts them itself (the widget's notifications): delivering one
/// keeps it here for the app to take.
#[derive(Debug, Default)]
pub struct Inbox {
    messages: std::sync::Mutex<Vec<Message>>,
}

impl Inbox {
    /// The alerts delivered so far, in order; the inbox is empty afterwards.
    pub fn take(&self) -> Vec<Message> {
        self.messages
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }
}

/// One configured notifier.
pub enum Notifier {
    Ntfy(Ntfy),
    Command(CommandNotifier),
    Termux(Termux),
    /// An app's own notifications ([`Inbox`]).
    App(std::sync::Arc<Inbox>),
    /// Configured but not usable (an unreadable token file, say): every send fails with `why`,
    /// so its alerts stay due and are retried once it is fixed.
    Unavailable {
        channel: &'static str,
        why: String,
    },
}

impl Notifier {
    /// The name under which its deliveries are recorded in the state.
    pub fn channel(&self) -> &'static str {
        match self {
            Self::Ntfy(_) => "ntfy",
            Self::Command(_) => "command",
            Self::Termux(_) => "termux",
            Self::App(_) => "app",
            Self::Unavailable { channel, .. } => channel,
        }
    }

    /// Where it delivers, for people (no secrets).
    pub fn describe(&self) -> String {
        match self {
            Self::Ntfy(n) => format!("ntfy {}", n.url()),
            Self::Command(c) => format!("command {}", c.cfg.program),
            Self::Termux(_) => "termux-notification".to_owned(),
            Self::App(_) => "the app's notifications".to_owned(),
            Self::Unavailable { channel, .. } => format!("{channel} (not usable)"),
        }
    }

    pub async fn send(&self, m: &Message) -> Result<(), String> {
        match self {
            Self::Ntfy(n) => n.send(m).await,
            Self::Command(c) => c.send(m).await,
            Self::Termux(t) => t.send(m).await,
            Self::App(inbox) => inbox
                .messages
                .lock()
                .map(|mut all| all.push(m.clone()))
                .map_err(|_| "the app's inbox is unusable".to_owned()),
            Self::Unavailable { why, .. } => Err(why.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_files_take_env_lines_or_the_bare_token() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = Utf8PathBuf::from_path_buf(dir.path().join("ntfy.env")).expect("utf8");
        let write = |text: &str, mode: u32| {
            std::fs::write(&path, text).expect("write");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        };
        write("# ntfy\nOTHER=1\nNTFY_TOKEN=\"tk_FAKE0123456789\"\n", 0o600);
        assert_eq!(
            read_token_file(&path).expect("token").expose(),
            "tk_FAKE0123456789"
        );
        write("tk_FAKEbare\n", 0o600);
        assert_eq!(
            read_token_file(&path).expect("token").expose(),
            "tk_FAKEbare"
        );
        write("NTFY_TOKEN=tk_FAKE0123456789\n", 0o644);
        let e = read_token_file(&path).expect_err("world-readable");
        assert!(e.contains("chmod 600") && !e.contains("tk_FAKE"), "{e}");
        write("NTFY_TOKEN=tk FAKE\n", 0o600);
        let e = read_token_file(&path).expect_err("space");
        assert!(e.contains("spaces") && !e.contains("FAKE"), "{e}");
    }

    #[test]
    fn non_ascii_headers_are_rfc2047() {
        assert_eq!(header_text("gw: ok"), "gw: ok");
        assert_eq!(header_text("gw — ok"), "=?UTF-8?B?Z3cg4oCUIG9r?=");
    }
}
