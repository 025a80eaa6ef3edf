//! `clawauth sync`: Claude Code's login on the gateway → OpenClaw, over one connection.
//!
//! - OpenClaw 2026.7 and later (SQLite store): only the **access token**, with its real expiry,
//!   through `openclaw models auth paste-token --provider anthropic --profile-id
//!   anthropic:claude-code --expires-in <remaining>ms` on stdin. The refresh token stays with
//!   Claude Code, so the two programs never invalidate each other's refreshes.
//! - OpenClaw 2026.6 and older (JSON store): what 2026.6.1's own sync does — `access`, `refresh`,
//!   `expires` of `anthropic:claude-cli` — but also when 2026.6.1 would not (no such profile
//!   yet, or one that still works), under OpenClaw's lock protocol ([`super::legacy`]).
//!
//! It syncs only when Claude Code's login is valid and expires later than every Anthropic
//! credential OpenClaw holds that expires; then it restarts the service when it runs, re-checks,
//! and reports the new expiry.

use serde::Serialize;
use serde_json::Value;
use zeroize::Zeroizing;

use super::legacy::{self, ClaudeOauth, LockPolicy, Splice, WriteOutcome};
use super::{ActionError, PasteRequest, SecretKind, ServiceRestart, Session};
use crate::gateway::{Gateway, Limits};
use crate::report::Report;
use crate::secrets::Secret;

/// The profile a sync writes on OpenClaw 2026.7 and later.
pub const MODERN_PROFILE: &str = "anthropic:claude-code";
/// Claude Code's login must last at least this long to be worth handing over (OpenClaw calls
/// a credential with ≤ 5 min left unusable).
const MIN_LEFT_MS: i64 = 5 * 60 * 1000;
/// OpenClaw turns `--expires-in` into an expiry when it has started (seconds on a loaded
/// gateway, more on a Pi), so the duration handed over ends this much before Claude Code's own
/// expiry: OpenClaw may think the token ends a little early, never late.
pub const EXPIRY_MARGIN_MS: i64 = 5 * 60 * 1000;
/// Expiries this close count as equal (the margin plus OpenClaw's start-up time).
const SAME_EXPIRY_MS: i64 = 2 * EXPIRY_MARGIN_MS;
const CLAUDE_FILE_CAP: usize = 1024 * 1024;

#[derive(Default)]
pub struct SyncOptions {
    pub dry_run: bool,
    pub lock: LockPolicy,
}

/// Facts about Claude Code's login (never a token).
#[derive(Debug, Clone, Serialize)]
pub struct ClaudeFacts {
    pub path: String,
    pub expires_at_ms: Option<i64>,
    pub has_refresh_token: bool,
}

/// Which store the sync writes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum StoreTarget {
    /// OpenClaw 2026.7+: through `paste-token`.
    Sqlite { profile_id: String },
    /// OpenClaw ≤ 2026.6: `auth-profiles.json` edited in place.
    LegacyJson { profile_id: String, path: String },
}

impl StoreTarget {
    pub fn profile_id(&self) -> &str {
        match self {
            Self::Sqlite { profile_id } | Self::LegacyJson { profile_id, .. } => profile_id,
        }
    }
}

/// What the sync decided and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncAction {
    /// `--dry-run`: this would have been written.
    WouldSync,
    Synced,
    /// OpenClaw's credential already lasts as long as Claude Code's.
    UpToDate,
    /// Nothing to hand over (no login, expired login, …); `error` says why.
    NotSynced,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncResult {
    pub host: String,
    pub action: SyncAction,
    pub claude_code: Option<ClaudeFacts>,
    pub store: Option<StoreTarget>,
    /// The latest expiry among OpenClaw's Anthropic credentials before the sync.
    pub openclaw_expires_at_ms: Option<i64>,
    /// What changed or would change, one line each (no secrets).
    pub changes: Vec<String>,
    pub restart: Option<ServiceRestart>,
    /// The synced profile's expiry as the re-check sees it.
    pub new_expires_at_ms: Option<i64>,
    pub error: Option<String>,
    /// The check before (and, after a write, the re-check).
    pub before: Option<Report>,
    pub after: Option<Report>,
}

impl SyncResult {
    fn new(host: &str) -> Self {
        Self {
            host: host.to_owned(),
            action: SyncAction::NotSynced,
            claude_code: None,
            store: None,
            openclaw_expires_at_ms: None,
            changes: Vec::new(),
            restart: None,
            new_expires_at_ms: None,
            error: None,
            before: None,
            after: None,
        }
    }

    /// 0 when the gateway is fine afterwards; the re-check's (or check's) exit code otherwise;
    /// 1 when the sync itself failed or had nothing to hand over.
    pub fn exit_code(&self) -> i32 {
        if self.error.is_some() {
            return match &self.before {
                Some(r) if r.exit_code == 3 => 3,
                _ => 1,
            };
        }
        self.after
            .as_ref()
            .or(self.before.as_ref())
            .map_or(3, |r| r.exit_code)
    }
}

/// Claude Code's login, read on the gateway.
pub struct ClaudeLogin {
    pub facts: ClaudeFacts,
    pub access: Secret,
    pub refresh: Option<Secret>,
}

/// Reads Claude Code's `.credentials.json` on the gateway (`$CLAUDE_CONFIG_DIR` or `~/.claude`).
pub async fn read_claude_login<G: Gateway>(
    s: &Session<'_, G>,
) -> Result<Option<ClaudeLogin>, ActionError> {
    let script = "C=\"${CLAUDE_SECURESTORAGE_CONFIG_DIR:-${CLAUDE_CONFIG_DIR:-$HOME/.claude}}\"\n\
                  f=\"$C/.credentials.json\"\n\
                  printf '%s\\n' \"$f\"\n\
                  [ -f \"$f\" ] || exit 66\n\
                  exec cat -- \"$f\"\n";
    let out =
        s.gw.exec_script(
            script,
            None,
            Limits::new(std::time::Duration::from_secs(20), CLAUDE_FILE_CAP + 4096),
        )
        .await?;
    let stdout = Zeroizing::new(out.stdout);
    let nl = stdout
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(stdout.len());
    let path = String::from_utf8_lossy(&stdout[..nl]).into_owned();
    match out.status {
        Some(66) => return Ok(None),
        Some(0) => {}
        other => {
            return Err(ActionError::Missing(format!(
                "cannot read Claude Code's credentials {path} on {} (exit {other:?}): {}",
                s.name(),
                crate::redact::last_line(&String::from_utf8_lossy(&out.stderr), 200)
            )));
        }
    }
    let body = &stdout[(nl + 1).min(stdout.len())..];
    if crate::openclaw::json::nests_deeper_than(body, crate::openclaw::json::MAX_DEPTH) {
        return Err(ActionError::Invalid(format!(
            "Claude Code's {path} on {} nests deeper than {} levels, more than clawauth reads; run `claude` there and log in again",
            s.name(),
            crate::openclaw::json::MAX_DEPTH
        )));
    }
    let doc = crate::openclaw::json::Wiped(serde_json::from_slice::<Value>(body).map_err(|e| {
        ActionError::Invalid(format!(
            "Claude Code's {path} on {} is not valid JSON (line {}); run `claude` there and log in again",
            s.name(),
            e.line()
        ))
    })?);
    let Some(oauth) = doc.get("claudeAiOauth").filter(|v| v.is_object()) else {
        return Ok(None);
    };
    let text = |k: &str| crate::openclaw::json::str_field(oauth, k).map(Secret::new);
    let Some(access) = text("accessToken") else {
        return Ok(None);
    };
    let refresh = text("refreshToken");
    let expires_at_ms = crate::openclaw::external::claude_expires_at_ms(oauth);
    Ok(Some(ClaudeLogin {
        facts: ClaudeFacts {
            path,
            expires_at_ms,
            has_refresh_token: refresh.is_some(),
        },
        access,
        refresh,
    }))
}

/// Where the gateway keeps credentials, and so how the sync writes.
async fn store_target<G: Gateway>(
    s: &Session<'_, G>,
    before: &Report,
) -> Result<StoreTarget, ActionError> {
    let agent = s.target.req.agent.clone().unwrap_or_else(|| "main".into());
    // The check already located a legacy store.
    if let Some(a) = before
        .agents
        .iter()
        .find(|a| a.agent == agent || s.target.req.agent.is_none())
        && a.store_format == Some(crate::openclaw::store::StoreFlavor::LegacyJson)
        && let Some(p) = &a.store_path
    {
        return Ok(StoreTarget::LegacyJson {
            profile_id: legacy::PROFILE_ID.into(),
            path: p.clone(),
        });
    }
    let state = crate::source::remote::state_dir_script(s.target.req.state_dir.as_deref())
        .map_err(|e| ActionError::Invalid(e.to_string()))?;
    let agent_q = crate::gateway::quote(&agent).map_err(|e| ActionError::Invalid(e.to_string()))?;
    let script = format!(
        "{state}\
         printf 'state %s\\n' \"$S\"\n\
         [ -e \"$S/state/openclaw.sqlite\" ] && printf 'sqlite\\n'\n\
         [ -e \"$S/agents/\"{agent_q}\"/agent/auth-profiles.json\" ] && printf 'legacy\\n'\n\
         exit 0\n"
    );
    let out =
        s.gw.exec_script(
            &script,
            None,
            Limits::new(std::time::Duration::from_secs(20), 64 * 1024),
        )
        .await?;
    let text = String::from_utf8_lossy(&out.stdout);
    let state_dir = text
        .lines()
        .find_map(|l| l.strip_prefix("state "))
        .unwrap_or("~/.openclaw")
        .to_owned();
    let legacy_path = format!("{state_dir}/agents/{agent}/agent/auth-profiles.json");
    let modern = || StoreTarget::Sqlite {
        profile_id: MODERN_PROFILE.into(),
    };
    let legacy = || StoreTarget::LegacyJson {
        profile_id: legacy::PROFILE_ID.into(),
        path: legacy_path.clone(),
    };
    // 2026.6 already keeps other state in SQLite, so the version decides; without a CLI, the
    // files do.
    let has = |what: &str| text.lines().any(|l| l == what);
    match s.openclaw_version().await {
        Ok(v) if v >= (2026, 7) => Ok(modern()),
        Ok(_) => Ok(legacy()),
        Err(_) if has("legacy") => Ok(legacy()),
        Err(_) if has("sqlite") => Ok(modern()),
        Err(e) => Err(e),
    }
}

/// The latest expiry among the Anthropic credentials OpenClaw holds (2026.6 files Claude Code's
/// login under provider `claude-cli`).
fn openclaw_anthropic_expiry(report: &Report) -> Option<i64> {
    report
        .agents
        .iter()
        .flat_map(|a| &a.profiles)
        .filter(|p| p.provider == "anthropic" || p.provider == "claude-cli")
        .filter_map(|p| p.expires_at_ms)
        .max()
}

/// Runs the sync over `s`.
pub async fn sync<G: Gateway>(s: &Session<'_, G>, opts: &SyncOptions) -> SyncResult {
    let mut r = SyncResult::new(s.name());
    let before = s.check().await;
    r.openclaw_expires_at_ms = openclaw_anthropic_expiry(&before);
    r.before = Some(before);
    if let Err(e) = run(s, opts, &mut r).await {
        r.error = Some(e.to_string());
    }
    r
}

async fn run<G: Gateway>(
    s: &Session<'_, G>,
    opts: &SyncOptions,
    r: &mut SyncResult,
) -> Result<(), ActionError> {
    let host = s.name().to_owned();
    let login = read_claude_login(s).await?.ok_or_else(|| {
        ActionError::Missing(format!(
            "Claude Code is not logged in on {host} (no claudeAiOauth login in its .credentials.json): \
             run `claude` there and log in, or use `clawauth reauth --host {host}`"
        ))
    })?;
    r.claude_code = Some(login.facts.clone());
    let now = s.gateway_now_ms();
    let Some(claude_exp) = login.facts.expires_at_ms else {
        return Err(ActionError::Invalid(format!(
            "Claude Code's login on {host} has no expiry (expiresAt), so it cannot be synced with one: \
             use `clawauth token paste --host {host}` for a setup-token"
        )));
    };
    if claude_exp - now <= MIN_LEFT_MS + EXPIRY_MARGIN_MS {
        return Err(ActionError::Refused(format!(
            "Claude Code's own login on {host} {} ({}): run `claude` on the gateway once so it renews \
             its token, then sync again — or use `clawauth reauth --host {host}`",
            if claude_exp <= now {
                "has expired"
            } else {
                "expires within 10 minutes"
            },
            crate::time::format_moment(claude_exp)
        )));
    }
    let before = r.before.as_ref().expect("set by sync");
    let target = store_target(s, before).await?;
    r.store = Some(target.clone());
    if let Some(best) = r.openclaw_expires_at_ms
        && claude_exp <= best + SAME_EXPIRY_MS
    {
        r.action = SyncAction::UpToDate;
        return Ok(());
    }
    let when = crate::time::from_ms(claude_exp).format("%Y-%m-%d %H:%M:%S UTC");
    match &target {
        StoreTarget::Sqlite { profile_id } => {
            r.changes.push(format!(
                "{profile_id}: Claude Code's access token, expiring {when} less a 5-minute margin (through \
                 `openclaw models auth paste-token`; the refresh token stays with Claude Code)"
            ));
            if opts.dry_run {
                r.action = SyncAction::WouldSync;
                return Ok(());
            }
            let req = PasteRequest {
                kind: SecretKind::Token,
                provider: "anthropic".into(),
                profile_id: Some(profile_id.clone()),
                expires_in_ms: Some(claude_exp - EXPIRY_MARGIN_MS - s.gateway_now_ms()),
            };
            let pasted = s.paste(&req, &login.access).await?;
            r.changes.extend(
                pasted
                    .warnings
                    .into_iter()
                    .filter(|w| {
                        !w.contains("could not refresh") && !w.contains("has not confirmed")
                    })
                    .map(|w| format!("OpenClaw: {w}")),
            );
        }
        StoreTarget::LegacyJson { profile_id, path } => {
            let Some(refresh) = &login.refresh else {
                return Err(ActionError::Invalid(format!(
                    "Claude Code's login on {host} has no refresh token, and OpenClaw 2026.6 only takes \
                     Claude Code logins with one: use `clawauth token paste --host {host}`"
                )));
            };
            let cred = ClaudeOauth {
                access: Secret::new(login.access.expose()),
                refresh: Secret::new(refresh.expose()),
                expires_ms: claude_exp,
            };
            // (created file, created profile, and for a write: lock wait and reclaim)
            let (created_file, created_profile, lock) = if opts.dry_run {
                match legacy::preview(s.gw, path, &cred)
                    .await
                    .map_err(|e| ActionError::Invalid(e.to_string()))?
                {
                    Splice::Unchanged => (None, false, None),
                    Splice::Changed {
                        created_profile,
                        created_file,
                        ..
                    } => (Some(created_file), created_profile, None),
                }
            } else {
                match legacy::write(s.gw, path, &cred, &opts.lock)
                    .await
                    .map_err(|e| ActionError::Refused(e.to_string()))?
                {
                    WriteOutcome::Unchanged => (None, false, None),
                    WriteOutcome::Written {
                        created_profile,
                        created_file,
                        waited_for_lock,
                        reclaimed_stale_lock,
                    } => (
                        Some(created_file),
                        created_profile,
                        Some((waited_for_lock, reclaimed_stale_lock)),
                    ),
                }
            };
            let Some(created_file) = created_file else {
                r.action = SyncAction::UpToDate;
                return Ok(());
            };
            let verb = match (opts.dry_run, created_file, created_profile) {
                (true, true, _) => "create the file with",
                (true, false, true) => "add",
                (true, false, false) => "update",
                (false, true, _) => "created with",
                (false, false, true) => "added",
                (false, false, false) => "updated",
            };
            r.changes.push(format!(
                "{path}: {verb} {profile_id} with Claude Code's access and refresh tokens, expiring {when}"
            ));
            if opts.dry_run {
                r.action = SyncAction::WouldSync;
                return Ok(());
            }
            if let Some((waited, reclaimed)) = lock {
                if waited.as_millis() >= 500 {
                    r.changes.push(format!(
                        "waited {:.1}s for OpenClaw's lock on the file",
                        waited.as_secs_f32()
                    ));
                }
                if reclaimed {
                    r.changes
                        .push("removed a stale lock left by a process that is gone".into());
                }
            }
        }
    }
    r.action = SyncAction::Synced;
    r.restart = Some(s.restart_service().await);
    let after = s.check().await;
    r.new_expires_at_ms = after.profile_expiry(target.profile_id());
    r.after = Some(after);
    Ok(())
}
