//! Repairs (DESIGN.md §Core 7): sync Claude Code's login into OpenClaw, paste a token or an API
//! key through OpenClaw's CLI (secrets on stdin, never argv), restart the gateway service when it
//! runs, and re-check — all over one [`Gateway`] connection (a [`Session`]).
//!
//! Writes go through OpenClaw's own CLI (`openclaw models auth paste-token` /
//! `paste-api-key`), except for the legacy JSON store of OpenClaw 2026.6 and older, which
//! [`legacy`] edits under OpenClaw's lock protocol.

pub mod input;
pub mod legacy;
pub mod outcome;
pub mod placement;
pub mod run;
pub mod sync;

use std::time::Duration;

use chrono::Utc;
use serde::Serialize;

use crate::gateway::{Command, Gateway, GatewayError, Limits, quote};
use crate::report::Report;
use crate::secrets::Secret;
use crate::source::remote::{self, Connection, Probe, RemoteRequest};

pub use input::{PasteRefused, SecretKind};
pub use placement::{Judgement, Placement};

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
    /// What the opening check's command ran after the probe, for the first [`Session::check`]
    /// (a repair's "before"), so opening a session costs no command of its own.
    opened: std::sync::Mutex<Option<Option<remote::Ran>>>,
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
    /// `--agent` for this write (else the session's agent, if any).
    pub agent: Option<String>,
}

/// One credential handed to OpenClaw by a repair: where, and what OpenClaw said.
#[derive(Debug, Clone, Serialize)]
pub struct Stored {
    pub placement: Placement,
    pub pasted: Pasted,
}

/// How a paste went: where it was meant to go and why, what was stored, and what the re-check
/// says about the routes it was for. Never holds the secret.
#[derive(Debug, Clone, Serialize)]
pub struct PasteOutcome {
    pub host: String,
    /// `token` or `api key`.
    pub kind: &'static str,
    pub provider: String,
    /// Where the credential goes, decided from the check before the write.
    pub placements: Vec<Placement>,
    /// The writes that happened (a failed one ends the list; `error` says why).
    pub stored: Vec<Stored>,
    /// The first profile written (kept for scripts that read it).
    pub profile_id: Option<String>,
    /// OpenClaw's warnings (scrubbed).
    pub warnings: Vec<String>,
    /// What else was done along the way (an auth order put right).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<ServiceRestart>,
    /// The first profile's expiry as the re-check sees it.
    pub new_expires_at_ms: Option<i64>,
    /// What the re-check says about the routes the paste was for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judgement: Option<Judgement>,
    pub before: Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Report>,
}

impl PasteOutcome {
    /// The re-check's exit code; 1 when a write failed (3 when the gateway could not be
    /// reached).
    pub fn exit_code(&self) -> i32 {
        match (&self.error, &self.after) {
            (Some(_), _) if self.before.exit_code == 3 => 3,
            (Some(_), _) => 1,
            (None, Some(after)) => after.exit_code,
            (None, None) => 1,
        }
    }
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
    /// Checks the gateway over `gw` (one command: the probe of its clock, home, login `PATH`
    /// and programs, and the source that answers), keeping the answer for the first
    /// [`Session::check`].
    pub async fn open(gw: &'g G, conn: Connection, target: Target) -> Result<Self, ActionError> {
        crate::validate::validate_service_name(&target.service)
            .map_err(|e| ActionError::Invalid(format!("service {:?}: {e}", target.service)))?;
        let answer = remote::check(gw, &target.req)
            .await
            .map_err(ActionError::Missing)?;
        Ok(Self {
            gw,
            conn,
            probe: answer.probe,
            target,
            opened: std::sync::Mutex::new(Some(answer.ran)),
        })
    }

    pub fn name(&self) -> &str {
        self.gw.name()
    }

    /// The gateway's Report, over this connection: the opening check's the first time, a new
    /// check (one command) after that.
    pub async fn check(&self) -> Report {
        let opened = self.opened.lock().ok().and_then(|mut o| o.take());
        let ran = match opened {
            Some(ran) => ran,
            None => match remote::check(self.gw, &self.target.req).await {
                Ok(answer) => answer.ran,
                Err(e) => {
                    return remote::status_probed(
                        self.gw,
                        &self.conn,
                        Err(&e),
                        None,
                        &self.target.req,
                        Utc::now(),
                    )
                    .await;
                }
            },
        };
        remote::status_probed(
            self.gw,
            &self.conn,
            Ok(&self.probe),
            ran,
            &self.target.req,
            Utc::now(),
        )
        .await
    }

    /// The gateway's clock now, as this machine's clock corrected by the measured skew.
    pub fn gateway_now_ms(&self) -> i64 {
        crate::time::to_ms(Utc::now()).saturating_add(self.probe.clock_skew_ms.unwrap_or(0))
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
                    "an expiry applies only to a token, and must be a positive duration".into(),
                ));
            }
            args.extend(["--expires-in".to_owned(), format!("{ms}ms")]);
        }
        if let Some(a) = req.agent.as_ref().or(self.target.req.agent.as_ref()) {
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

    /// Hands `secret` to OpenClaw once per placement (the same credential for each agent that
    /// needs it). Stops at the first refusal: the writes before it stay, and are returned.
    pub async fn store(
        &self,
        placements: &[Placement],
        kind: SecretKind,
        provider: &str,
        expires_in_ms: Option<i64>,
        secret: &Secret,
    ) -> (Vec<Stored>, Option<ActionError>) {
        let mut stored = Vec::new();
        for p in placements {
            let req = PasteRequest {
                kind,
                provider: provider.to_owned(),
                profile_id: Some(p.profile_id.clone()),
                expires_in_ms,
                agent: p.agent.clone(),
            };
            let pasted = match self.paste(&req, secret).await {
                Ok(pasted) => pasted,
                Err(e) => return (stored, Some(e)),
            };
            stored.push(Stored {
                placement: p.clone(),
                pasted,
            });
        }
        (stored, None)
    }

    /// Restarts the service when it runs, re-checks and judges the routes of `placements`;
    /// when a stored auth order kept a new profile from being used
    /// ([`Placement::order_if_needed`]), puts it first there and re-checks once more.
    pub async fn finish_repair(
        &self,
        placements: &[Placement],
        provider: &str,
    ) -> (ServiceRestart, Report, Judgement, Vec<String>) {
        let restart = self.restart_service().await;
        let mut after = self.check().await;
        let mut judgement = placement::judge(placements, &after);
        let mut notes = Vec::new();
        let mut reordered = false;
        for p in placements {
            let Some(order) = &p.order_if_needed else {
                continue;
            };
            let unused = judgement
                .routes
                .iter()
                .any(|r| !r.uses_new && p.routes.contains(&r.route) && r.outcome.is_some());
            if !unused {
                continue;
            }
            match self.set_order(provider, order, p.agent.as_deref()).await {
                Ok(()) => {
                    notes.push(format!(
                        "a stored auth order kept {} from being used: set it to {}",
                        p.profile_id,
                        order.join(", ")
                    ));
                    reordered = true;
                }
                Err(e) => notes.push(e.to_string()),
            }
        }
        if reordered {
            after = self.check().await;
            judgement = placement::judge(placements, &after);
        }
        (restart, after, judgement, notes)
    }

    /// `openclaw models auth order set --provider P IDS…`: the stored order OpenClaw picks the
    /// provider's credential by (SPEC §2.4, §5).
    pub async fn set_order(
        &self,
        provider: &str,
        ids: &[String],
        agent: Option<&str>,
    ) -> Result<(), ActionError> {
        input::validate_provider(provider).map_err(|e| ActionError::Invalid(e.0))?;
        let mut args: Vec<&str> = vec!["models", "auth", "order", "set", "--provider", provider];
        for id in ids {
            input::validate_profile_id(id, provider).map_err(|e| ActionError::Invalid(e.0))?;
            args.push(id);
        }
        if let Some(a) = agent.or(self.target.req.agent.as_deref()) {
            args.extend(["--agent", a]);
        }
        let cmd = self.openclaw_command(&args, PASTE_TIMEOUT)?;
        let out = self
            .gw
            .exec(
                &cmd,
                None,
                Limits::new(PASTE_TIMEOUT + Duration::from_secs(5), 64 * 1024),
            )
            .await?;
        if out.status == Some(0) {
            return Ok(());
        }
        Err(ActionError::Refused(format!(
            "the credential was stored, but OpenClaw on {} refused to put it first in the auth \
             order for {provider} (`openclaw models auth order set` exit {}): {}",
            self.name(),
            out.status
                .map_or_else(|| "by a signal".to_owned(), |c| c.to_string()),
            crate::redact::last_line(&String::from_utf8_lossy(&out.stderr), 200)
        )))
    }

    /// `token paste` / `api-key paste`: check, store where the flagged routes are served
    /// ([`placement::place`]), restart the service when it runs, re-check, judge. `show` is
    /// called with the placements before anything is written.
    pub async fn paste_repair(
        &self,
        req: &PasteRequest,
        secret: &Secret,
        show: impl FnOnce(&[Placement]),
    ) -> PasteOutcome {
        let before = self.check().await;
        let placements = placement::place(
            &before,
            &placement::Want {
                requested: req.profile_id.as_deref(),
                ..placement::Want::new(&req.provider, req.kind.credential_type())
            },
        );
        let mut out = PasteOutcome {
            host: self.name().to_owned(),
            kind: req.kind.noun(),
            provider: req.provider.clone(),
            placements,
            stored: Vec::new(),
            profile_id: None,
            warnings: Vec::new(),
            notes: Vec::new(),
            error: None,
            restart: None,
            new_expires_at_ms: None,
            judgement: None,
            before,
            after: None,
        };
        show(&out.placements);
        let (stored, error) = self
            .store(
                &out.placements,
                req.kind,
                &req.provider,
                req.expires_in_ms,
                secret,
            )
            .await;
        out.profile_id = stored.first().map(|s| s.placement.profile_id.clone());
        out.warnings = stored
            .iter()
            .flat_map(|s| s.pasted.warnings.iter().cloned())
            .collect();
        out.stored = stored;
        out.error = error.map(|e| e.to_string());
        if out.stored.is_empty() {
            return out;
        }
        let (restart, after, judgement, notes) =
            self.finish_repair(&out.placements, &req.provider).await;
        out.restart = Some(restart);
        out.notes = notes;
        out.new_expires_at_ms = out
            .profile_id
            .as_deref()
            .and_then(|id| after.profile_expiry(id));
        out.judgement = Some(judgement);
        out.after = Some(after);
        out
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
