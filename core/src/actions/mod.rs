//! Repairs (DESIGN.md §Core 7): sync Claude Code's login into OpenClaw, paste a token or an API
//! key through OpenClaw's CLI (secrets on stdin, never argv), restart the gateway service when it
//! runs, and re-check — all over one [`Gateway`] connection (a [`Session`]).
//!
//! Writes go through OpenClaw's own CLI (`openclaw models auth paste-token` /
//! `paste-api-key`), except for the legacy JSON store of OpenClaw 2026.6 and older, which
//! [`legacy`] edits under OpenClaw's lock protocol.

pub mod input;
pub mod legacy;
pub mod sync;

use std::time::Duration;

use chrono::Utc;
use serde::Serialize;

use crate::gateway::{Command, Gateway, GatewayError, Limits, quote};
use crate::report::Report;
use crate::secrets::Secret;
use crate::source::remote::{self, Connection, Probe, RemoteRequest};

pub use input::{PasteRefused, SecretKind};

/// Where and what to repair.
#[derive(Debug, Clone)]
pub struct Target {
    pub req: RemoteRequest,
    /// The gateway's systemd user service (`openclaw-gateway` unless configured).
    pub service: String,
}

/// Why a repair step failed. Messages name what failed and how to fix it, and never hold a
/// secret: OpenClaw's output is scrubbed before it is quoted.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// Something needed is not on the gateway.
    #[error("{0}")]
    Missing(String),
    /// OpenClaw (or Claude Code) refused; the old credential is still in place.
    #[error("{0}")]
    Refused(String),
    /// The input cannot be used.
    #[error("{0}")]
    Invalid(String),
}

/// One connection to a gateway, probed once, for a whole repair.
pub struct Session<'g, G: Gateway> {
    pub gw: &'g G,
    pub conn: Connection,
    pub probe: Probe,
    pub target: Target,
}

/// Time allowed for one `openclaw models auth paste-*` (Node start-up is seconds on a Pi).
const PASTE_TIMEOUT: Duration = Duration::from_secs(90);
const SYSTEMCTL_TIMEOUT: Duration = Duration::from_secs(60);

/// What `paste-token` / `paste-api-key` did.
#[derive(Debug, Clone, Serialize)]
pub struct Pasted {
    /// The profile OpenClaw says it wrote (`Auth profile: <id> (…)`).
    pub profile_id: Option<String>,
    /// OpenClaw's warnings (scrubbed), e.g. that the running gateway could not reload.
    pub warnings: Vec<String>,
}

/// What a paste should write.
#[derive(Debug, Clone)]
pub struct PasteRequest {
    pub kind: SecretKind,
    pub provider: String,
    pub profile_id: Option<String>,
    /// Tokens only: stored by OpenClaw as `expires = now + this`.
    pub expires_in_ms: Option<i64>,
}

/// The gateway service after a repair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "detail", rename_all = "kebab-case")]
pub enum ServiceRestart {
    /// It was active and has been restarted.
    Restarted,
    /// Not running (`inactive`, `failed`) or not installed; left alone.
    NotActive(String),
    /// systemd could not be asked (no `systemctl`, no user bus); the text says why.
    Unavailable(String),
    /// It was active, but the restart failed.
    Failed(String),
}

impl<'g, G: Gateway> Session<'g, G> {
    /// Probes the gateway (clock, home, login `PATH`, programs) over `gw`.
    pub async fn open(gw: &'g G, conn: Connection, target: Target) -> Result<Self, ActionError> {
        crate::config::validate_service_name(&target.service)
            .map_err(|e| ActionError::Invalid(format!("service {:?}: {e}", target.service)))?;
        let probe = remote::probe(gw, &target.req)
            .await
            .map_err(ActionError::Missing)?;
        Ok(Self {
            gw,
            conn,
            probe,
            target,
        })
    }

    pub fn name(&self) -> &str {
        self.gw.name()
    }

    /// The gateway's Report, over this connection.
    pub async fn check(&self) -> Report {
        remote::status_probed(
            self.gw,
            &self.conn,
            Ok(&self.probe),
            &self.target.req,
            Utc::now(),
        )
        .await
    }

    /// The gateway's clock now, as this machine's clock corrected by the measured skew.
    pub fn gateway_now_ms(&self) -> i64 {
        crate::time::to_ms(Utc::now()) + self.probe.clock_skew_ms.unwrap_or(0)
    }

    fn openclaw(&self) -> Result<String, ActionError> {
        self.probe.openclaw.clone().ok_or_else(|| {
            ActionError::Missing(self.probe.missing(
                "openclaw",
                &format!(
                    "openclaw was not found on {} (not on the login PATH); set `openclaw = \"/path/to/openclaw\"` \
                     for the host in config.toml",
                    self.name()
                ),
            ))
        })
    }

    /// `openclaw ARGS` on the gateway with the service's state dir, the login `PATH` and the
    /// gateway's own `timeout` around it.
    pub(crate) fn openclaw_command(
        &self,
        args: &[&str],
        timeout: Duration,
    ) -> Result<Command, ActionError> {
        let mut cmd = Command::new(self.openclaw()?).args(args.iter().copied());
        if let Some(d) = &self.target.req.state_dir {
            cmd = cmd.env("OPENCLAW_STATE_DIR", self.probe.absolute(d));
        }
        cmd = cmd.env("OPENCLAW_NO_AUTO_UPDATE", "1").env("NO_COLOR", "1");
        Ok(self.probe.bounded(self.probe.with_path(cmd), timeout))
    }

    /// `openclaw --version` as `(year, month)`, e.g. `(2026, 9)`.
    pub async fn openclaw_version(&self) -> Result<(u32, u32), ActionError> {
        let cmd = self.openclaw_command(&["--version"], Duration::from_secs(30))?;
        let out = self
            .gw
            .exec(&cmd, None, Limits::new(Duration::from_secs(35), 4096))
            .await?;
        let text = String::from_utf8_lossy(&out.stdout);
        parse_version(&text).ok_or_else(|| {
            ActionError::Missing(format!(
                "`openclaw --version` on {} did not print a version (exit {:?}): {}",
                self.name(),
                out.status,
                crate::redact::last_line(&String::from_utf8_lossy(&out.stderr), 200)
            ))
        })
    }

    /// Hands `secret` to `openclaw models auth paste-token` / `paste-api-key` on its stdin.
    pub async fn paste(&self, req: &PasteRequest, secret: &Secret) -> Result<Pasted, ActionError> {
        input::validate_provider(&req.provider).map_err(|e| ActionError::Invalid(e.0))?;
        let sub = match req.kind {
            SecretKind::Token => "paste-token",
            SecretKind::ApiKey => "paste-api-key",
        };
        let mut args: Vec<String> = ["models", "auth", sub, "--provider", &req.provider]
            .map(str::to_owned)
            .to_vec();
        if let Some(id) = &req.profile_id {
            input::validate_profile_id(id, &req.provider).map_err(|e| ActionError::Invalid(e.0))?;
            args.extend(["--profile-id".to_owned(), id.clone()]);
        }
        if let Some(ms) = req.expires_in_ms {
            if req.kind != SecretKind::Token || ms <= 0 {
                return Err(ActionError::Invalid(
                    "--expires-in needs a token and a positive duration".into(),
                ));
            }
            args.extend(["--expires-in".to_owned(), format!("{ms}ms")]);
        }
        if let Some(a) = &self.target.req.agent {
            args.extend(["--agent".to_owned(), a.clone()]);
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let cmd = self.openclaw_command(&argv, PASTE_TIMEOUT)?;
        // The secret goes on stdin, followed by end-of-file (OpenClaw reads piped input to EOF).
        let mut stdin = zeroize::Zeroizing::new(secret.expose().as_bytes().to_vec());
        stdin.push(b'\n');
        let out = self
            .gw
            .exec(
                &cmd,
                Some(&stdin),
                Limits::new(PASTE_TIMEOUT + Duration::from_secs(5), 256 * 1024),
            )
            .await?;
        let stdout = scrub_secret(&String::from_utf8_lossy(&out.stdout), secret);
        let stderr = scrub_secret(&String::from_utf8_lossy(&out.stderr), secret);
        if out.status != Some(0) {
            let why = stderr
                .lines()
                .map(str::trim)
                .rfind(|l| !l.is_empty() && !l.starts_with("Try:"))
                .unwrap_or("no message")
                .to_owned();
            return Err(ActionError::Refused(format!(
                "OpenClaw on {} refused the {} (`openclaw models auth {sub}` exit {}): {why}; \
                 nothing was changed",
                self.name(),
                req.kind.noun(),
                out.status
                    .map_or_else(|| "by a signal".to_owned(), |c| c.to_string()),
            )));
        }
        let profile_id = stdout.lines().find_map(|l| {
            l.trim()
                .strip_prefix("Auth profile: ")
                .and_then(|r| r.split_whitespace().next())
                .map(str::to_owned)
        });
        let warnings = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| crate::redact::last_line(l, 300))
            .collect();
        Ok(Pasted {
            profile_id,
            warnings,
        })
    }

    /// Restarts the gateway's systemd user service when it is active (as OpenClaw asks it:
    /// `systemctl --user is-active --quiet`; exit 3 or 4 means not running / not installed).
    pub async fn restart_service(&self) -> ServiceRestart {
        let unit = match quote(&self.target.service) {
            Ok(u) => u,
            Err(e) => return ServiceRestart::Unavailable(e.to_string()),
        };
        // Without a login session systemctl finds the user manager through XDG_RUNTIME_DIR.
        let script = format!(
            "XDG_RUNTIME_DIR=\"${{XDG_RUNTIME_DIR:-/run/user/$(id -u)}}\"; export XDG_RUNTIME_DIR\n\
             command -v systemctl >/dev/null 2>&1 || {{ printf 'nosystemctl\\n'; exit 0; }}\n\
             systemctl --user is-active --quiet -- {unit}; rc=$?\n\
             case $rc in\n\
               0) ;;\n\
               3|4) printf 'inactive %s %s\\n' \"$rc\" \"$(systemctl --user is-active -- {unit} 2>/dev/null)\"; exit 0 ;;\n\
               *) printf 'error %s\\n' \"$rc\"; exit 0 ;;\n\
             esac\n\
             if systemctl --user restart -- {unit}; then printf 'restarted\\n'; else printf 'failed %s\\n' \"$?\"; fi\n"
        );
        let script = match &self.probe.path {
            Some(p) => match quote(p) {
                Ok(q) => format!("PATH={q}; export PATH\n{script}"),
                Err(_) => script,
            },
            None => script,
        };
        let out = match self
            .gw
            .exec_script(&script, None, Limits::new(SYSTEMCTL_TIMEOUT, 16 * 1024))
            .await
        {
            Ok(o) => o,
            Err(e) => return ServiceRestart::Unavailable(e.to_string()),
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let err = match crate::redact::last_line(&String::from_utf8_lossy(&out.stderr), 200) {
            e if e.is_empty() => e,
            e => format!(": {e}"),
        };
        let unit = &self.target.service;
        let line = text.lines().last().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        match words.next() {
            Some("restarted") => ServiceRestart::Restarted,
            Some("inactive") => {
                let rc = words.next().unwrap_or("");
                let state = words.next().unwrap_or("inactive");
                ServiceRestart::NotActive(if rc == "4" {
                    format!("{unit} is not installed as a systemd user service")
                } else {
                    format!("{unit} is {state}")
                })
            }
            Some("nosystemctl") => ServiceRestart::Unavailable(
                "systemctl is not on the gateway's PATH (restart the gateway yourself: `openclaw gateway restart`)"
                    .into(),
            ),
            Some("error") => ServiceRestart::Unavailable(format!(
                "`systemctl --user is-active {unit}` failed (exit {}){err}; on a server without a login \
                 session run `sudo loginctl enable-linger $USER` once",
                words.next().unwrap_or("?"),
            )),
            Some("failed") => ServiceRestart::Failed(format!(
                "`systemctl --user restart {unit}` failed (exit {}){err}",
                words.next().unwrap_or("?"),
            )),
            _ => ServiceRestart::Unavailable(format!(
                "the restart script did not answer (exit {:?}){err}",
                out.status,
            )),
        }
    }
}

/// `OpenClaw 2026.6.1 (2e08f0f)` → `(2026, 6)`.
fn parse_version(text: &str) -> Option<(u32, u32)> {
    text.split_whitespace().find_map(|w| {
        let mut parts = w.trim_start_matches('v').split('.');
        let year: u32 = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        (year >= 2000 && (1..=12).contains(&month)).then_some((year, month))
    })
}

/// `text` with the secret (and anything else token-shaped) replaced.
pub fn scrub_secret(text: &str, secret: &Secret) -> String {
    let s = secret.expose();
    let text = if s.len() >= 8 {
        text.replace(s, "[redacted]")
    } else {
        text.to_owned()
    };
    crate::redact::scrub(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            parse_version("OpenClaw 2026.6.1 (2e08f0f)\n"),
            Some((2026, 6))
        );
        assert_eq!(
            parse_version("OpenClaw 2026.9.6 (eb377ac)"),
            Some((2026, 9))
        );
        assert_eq!(parse_version("v2026.10.2"), Some((2026, 10)));
        assert_eq!(parse_version("command not found"), None);
    }

    #[test]
    fn scrubbing_removes_the_secret_even_when_it_is_not_token_shaped() {
        let s = Secret::new("hunter2-password");
        assert_eq!(
            scrub_secret("got hunter2-password here", &s),
            "got [redacted] here"
        );
    }
}
