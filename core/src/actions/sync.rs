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
//! On 2026.7+ the token goes where OpenClaw will use it ([`super::placement`]): the profile that
//! serves the Anthropic routes (`anthropic:claude-code` only when nothing does), so the routes
//! really run on it afterwards. It syncs only when Claude Code's login is valid and expires
//! later than the credential that serves the Anthropic routes — an API key, a token without a
//! recorded expiry and an OAuth login that still works (OpenClaw refreshes it itself) are left
//! alone. Then it restarts the service when it runs, re-checks those routes, and reports what
//! serves them.

use serde::Serialize;
use serde_json::Value;
use zeroize::Zeroizing;

use super::legacy::{self, ClaudeOauth, LockPolicy, Splice, WriteOutcome};
use super::placement::{self, Choice, Judgement, Placement};
use super::{ActionError, SecretKind, ServiceRestart, Session};
use crate::gateway::{Gateway, Limits};
use crate::openclaw::credentials::CredentialType;
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
    /// OpenClaw 2026.7+: where Claude Code's token goes (the profiles that serve the Anthropic
    /// routes), decided from the check before the sync.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placements: Vec<Placement>,
    /// The expiry of the credential that serves the Anthropic routes before the sync (the
    /// earliest, when several do); on 2026.6 the latest Anthropic expiry.
    pub openclaw_expires_at_ms: Option<i64>,
    /// Why nothing was written although Claude Code's login is fine (an API key, a token
    /// without expiry, or an OAuth login OpenClaw refreshes itself serves the routes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What changed or would change, one line each (no secrets).
    pub changes: Vec<String>,
    pub restart: Option<ServiceRestart>,
    /// The synced profile's expiry as the re-check sees it.
    pub new_expires_at_ms: Option<i64>,
    /// What the re-check says about the Anthropic routes the sync was for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judgement: Option<Judgement>,
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
            placements: Vec::new(),
            openclaw_expires_at_ms: None,
            note: None,
            changes: Vec::new(),
            restart: None,
            new_expires_at_ms: None,
            judgement: None,
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
    // 2026.7+ writes go through OpenClaw's own CLI, so without a working `openclaw` there is
    // nothing that could write them (a dry run must not pretend otherwise).
    match s.openclaw_version().await {
        Ok(v) if v >= (2026, 7) => Ok(modern()),
        Ok(_) => Ok(legacy()),
        Err(_) if has("legacy") && !has("sqlite") => Ok(legacy()),
        Err(e) => Err(ActionError::Missing(format!(
            "OpenClaw keeps its credentials on {} in SQLite, which only its own CLI writes, and \
             that CLI cannot be run: {e}",
            s.name()
        ))),
    }
}

/// The latest expiry among the Anthropic credentials OpenClaw holds (2026.6 files Claude Code's
/// login under provider `claude-cli`, which its own sync keeps in step).
fn openclaw_anthropic_expiry(report: &Report) -> Option<i64> {
    report
        .agents
        .iter()
        .flat_map(|a| &a.profiles)
        .filter(|p| p.provider == "anthropic" || p.provider == "claude-cli")
        .filter_map(|p| p.expires_at_ms)
        .max()
}

/// Until when the credential of placement `p` serves its routes: `Ok(ms)` (`i64::MIN` when
/// nothing serves them), or `Err(why)` when a sync must leave it alone.
fn serving_until(p: &Placement) -> Result<i64, String> {
    let routes_fail = p.routes.iter().any(|r| r.outcome.fails());
    // Routes on a working credential of another kind: that one stays.
    let (id, kind, expires) = match (p.choice, &p.served_by, &p.held) {
        (Choice::OwnKind, Some(other), _) => (other, p.served_by_kind, None),
        (_, _, Some(held)) => (&p.profile_id, Some(held.kind), held.expires_at_ms),
        (_, _, None) => return Ok(i64::MIN),
    };
    let Some(kind) = kind else {
        return Ok(i64::MIN);
    };
    match (kind, expires) {
        (CredentialType::ApiKey, _) if !routes_fail => Err(format!(
            "the Anthropic routes use {id}, an API key, which does not expire"
        )),
        (CredentialType::Token, None) if !routes_fail => Err(format!(
            "the Anthropic routes use {id}, a token without a recorded expiry (a setup-token \
             pasted without one); sync does not replace it"
        )),
        (CredentialType::OAuth, _) if !routes_fail => Err(format!(
            "the Anthropic routes use {id}, an OAuth login that OpenClaw refreshes itself; sync \
             does not replace it (a re-auth replaces it with a setup-token)"
        )),
        (_, Some(e)) if !routes_fail => Ok(e),
        // A failing route: whatever holds the profile does not work.
        _ => Ok(i64::MIN),
    }
}

/// Runs the sync over `s`.
pub async fn sync<G: Gateway>(s: &Session<'_, G>, opts: &SyncOptions) -> SyncResult {
    let mut r = SyncResult::new(s.name());
    let before = s.check().await;
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
             run `claude` there and log in, or re-auth {host} instead"
        ))
    })?;
    r.claude_code = Some(login.facts.clone());
    let now = s.gateway_now_ms();
    let Some(claude_exp) = login.facts.expires_at_ms else {
        return Err(ActionError::Invalid(format!(
            "Claude Code's login on {host} has no expiry (expiresAt), so it cannot be synced with one: \
             paste a setup-token on {host} instead"
        )));
    };
    if claude_exp.saturating_sub(now) <= MIN_LEFT_MS + EXPIRY_MARGIN_MS {
        return Err(ActionError::Refused(format!(
            "Claude Code's own login on {host} {} ({}): run `claude` on the gateway once so it renews \
             its token, then sync again — or re-auth {host} instead",
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
    let when = crate::time::from_ms(claude_exp).format("%Y-%m-%d %H:%M:%S UTC");
    match &target {
        StoreTarget::Sqlite { .. } => {
            if before.agents.is_empty() {
                return Err(ActionError::Missing(format!(
                    "cannot tell which credential serves the Anthropic routes on {host}: the check \
                     failed ({})",
                    before
                        .errors
                        .first()
                        .map_or("no agent could be read", String::as_str)
                )));
            }
            let mut placements = placement::place(
                before,
                &placement::Want {
                    default_id: Some(MODERN_PROFILE),
                    ..placement::Want::new("anthropic", CredentialType::Token)
                },
            );
            let mut kept = Vec::new();
            let mut until = Vec::new();
            placements.retain(|p| match serving_until(p) {
                Ok(ms) => {
                    until.push(ms);
                    true
                }
                Err(why) => {
                    kept.push(why);
                    false
                }
            });
            r.openclaw_expires_at_ms = until.iter().copied().filter(|&ms| ms > i64::MIN).min();
            if placements.is_empty() {
                r.note = Some(kept.join("; "));
                r.action = SyncAction::UpToDate;
                return Ok(());
            }
            if until
                .iter()
                .all(|&ms| claude_exp <= ms.saturating_add(SAME_EXPIRY_MS))
            {
                r.placements = placements;
                r.action = SyncAction::UpToDate;
                return Ok(());
            }
            if let Some(first) = placements.first() {
                r.store = Some(StoreTarget::Sqlite {
                    profile_id: first.profile_id.clone(),
                });
            }
            for p in &placements {
                let agent = p
                    .agent
                    .as_deref()
                    .map(|a| format!(" (agent {a})"))
                    .unwrap_or_default();
                let why = match p.choice {
                    Choice::Default if p.routes.is_empty() => String::new(),
                    _ => format!(" — {}", p.reason()),
                };
                r.changes.push(format!(
                    "{}{agent}: Claude Code's access token, expiring {when} less a 5-minute margin \
                     (through `openclaw models auth paste-token`; the refresh token stays with Claude \
                     Code){why}",
                    p.profile_id
                ));
            }
            r.placements = placements;
            if !kept.is_empty() {
                r.note = Some(kept.join("; "));
            }
            if opts.dry_run {
                r.action = SyncAction::WouldSync;
                return Ok(());
            }
            let expires_in = claude_exp - EXPIRY_MARGIN_MS - s.gateway_now_ms();
            let (stored, error) = s
                .store(
                    &r.placements,
                    SecretKind::Token,
                    "anthropic",
                    Some(expires_in),
                    &login.access,
                )
                .await;
            r.changes.extend(
                stored
                    .iter()
                    .flat_map(|st| st.pasted.warnings.iter())
                    .filter(|w| {
                        !w.contains("could not refresh") && !w.contains("has not confirmed")
                    })
                    .map(|w| format!("OpenClaw: {w}")),
            );
            if let Some(e) = error {
                if stored.is_empty() {
                    return Err(e);
                }
                r.error = Some(e.to_string());
            }
        }
        StoreTarget::LegacyJson { profile_id, path } => {
            r.openclaw_expires_at_ms = openclaw_anthropic_expiry(before);
            if let Some(best) = r.openclaw_expires_at_ms
                && claude_exp <= best + SAME_EXPIRY_MS
            {
                r.action = SyncAction::UpToDate;
                return Ok(());
            }
            let Some(refresh) = &login.refresh else {
                return Err(ActionError::Invalid(format!(
                    "Claude Code's login on {host} has no refresh token, and OpenClaw 2026.6 only takes \
                     Claude Code logins with one: paste a setup-token on {host} instead"
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
    r.new_expires_at_ms = r
        .store
        .as_ref()
        .and_then(|t| after.profile_expiry(t.profile_id()));
    if !r.placements.is_empty() {
        r.judgement = Some(placement::judge(&r.placements, &after));
    }
    r.after = Some(after);
    Ok(())
}
