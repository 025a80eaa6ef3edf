//! Source `cli`: `openclaw models status --json --check [--agent ID]`, run with a hard timeout.
//!
//! Only ever the `--json` form: the human report refreshes OAuth tokens and, when the refresh
//! fails offline, destroys them (SPEC §4.1). The verdict is the CLI's exit code, made stricter
//! by what its JSON shows (2026.6.1 exits 0 over an expiring `anthropic:claude-cli` profile).

use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};

use crate::gateway::{Command, Gateway, GatewayError, Limits};
use crate::health::env_auth::auth_provider;
use crate::health::evaluate::{ProviderRollup, RouteResult, UnusableProfile};
use crate::health::model_ref::{ModelRef, parse_plain};
use crate::health::profile::status_for_remaining;
use crate::health::routes::RouteKind;
use crate::health::{ProfileHealth, ProfileStatus, RouteOutcome};
use crate::openclaw::credentials::{CredentialType, REFRESH_MARGIN_MS};
use crate::openclaw::env::Environment;
use crate::openclaw::status_json::{self, StatusJson, StatusOutput};
use crate::openclaw::store::OpenClawFailure;
use crate::redact::last_line;
use crate::report::{AgentReport, CliRun, ModelSettings, SourceKind, Verdict, verdict_of_routes};

/// Largest stdout accepted from the CLI.
pub(crate) const STDOUT_CAP: usize = 8 * 1024 * 1024;
pub(crate) const STDERR_CAP: usize = 256 * 1024;

/// Finds the `openclaw` program: `--openclaw-bin`, `$OPENCLAW_BIN`, `PATH`, then the usual
/// npm install locations.
pub fn find_openclaw(env: &Environment, explicit: Option<&Utf8Path>) -> Option<Utf8PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_owned());
    }
    if let Some(p) = env.get("OPENCLAW_BIN") {
        return Some(Utf8PathBuf::from(p));
    }
    let mut dirs = env.path_dirs();
    if let Some(home) = env.os_home() {
        for d in [
            ".npm-global/bin",
            ".local/bin",
            ".volta/bin",
            ".bun/bin",
            ".local/share/pnpm",
        ] {
            dirs.push(home.join(d));
        }
    }
    dirs.extend(["/usr/local/bin", "/usr/bin", "/opt/homebrew/bin"].map(Utf8PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join("openclaw"))
        .find(|p| crate::fsutil::is_executable(p))
}

/// What one CLI run produced.
#[derive(Debug)]
pub struct CliOutput {
    pub program: Utf8PathBuf,
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub duration: Duration,
}

/// Why a CLI run gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot start {program}: {reason}")]
    Spawn {
        program: Utf8PathBuf,
        reason: String,
    },
    #[error("`{program} models status --json --check` did not finish within {}s", .timeout.as_secs())]
    Timeout {
        program: Utf8PathBuf,
        timeout: Duration,
    },
    #[error("reading the output of {program}: {reason}")]
    Read {
        program: Utf8PathBuf,
        reason: String,
    },
}

/// The command `openclaw models status --json --check [--agent ID]`, with `OPENCLAW_STATE_DIR`
/// when a state dir was given and auto-update turned off (a check never updates or prompts).
pub fn command(program: &str, state_dir: Option<&str>, agent: Option<&str>) -> Command {
    let mut cmd = Command::new(program).args(check_args(agent));
    if let Some(d) = state_dir {
        cmd = cmd.env("OPENCLAW_STATE_DIR", d);
    }
    cmd.env("OPENCLAW_NO_AUTO_UPDATE", "1")
}

/// The arguments of [`command`]: `models status --json --check [--agent ID]`.
pub(crate) fn check_args(agent: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = ["models", "status", "--json", "--check"]
        .map(str::to_owned)
        .into();
    if let Some(a) = agent {
        args.extend(["--agent".to_owned(), a.to_owned()]);
    }
    args
}

/// Runs `cmd` (see [`command`]) on the gateway with no stdin, a hard timeout and capped output.
/// `program` names the OpenClaw CLI in the report.
pub async fn run<G: Gateway>(
    gw: &G,
    cmd: &Command,
    program: &str,
    timeout: Duration,
) -> Result<CliOutput, CliError> {
    let mut limits = Limits::new(timeout, STDOUT_CAP);
    limits.stderr_cap = STDERR_CAP;
    match gw.exec(cmd, None, limits).await {
        Ok(out) => Ok(CliOutput {
            program: Utf8PathBuf::from(program),
            exit_code: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            duration: out.duration,
        }),
        Err(GatewayError::Timeout { .. }) => Err(CliError::Timeout {
            program: Utf8PathBuf::from(program),
            timeout,
        }),
        Err(GatewayError::Spawn { reason, .. }) => Err(CliError::Spawn {
            program: Utf8PathBuf::from(program),
            reason,
        }),
        Err(e) => Err(CliError::Read {
            program: Utf8PathBuf::from(program),
            reason: e.to_string(),
        }),
    }
}

/// Overrides when the verdict is recomputed from the JSON for another moment or window.
#[derive(Debug, Clone, Copy)]
pub struct Reclassify {
    pub now_ms: i64,
    pub warn_ms: i64,
}

impl Reclassify {
    /// Needed when the check is for another moment (`--at`) or another warn window than the
    /// CLI's own: then the JSON decides, not the exit code the CLI gave for now.
    pub fn when(
        at: Option<chrono::DateTime<chrono::Utc>>,
        now_ms: i64,
        warn_ms: i64,
    ) -> Option<Self> {
        (at.is_some() || warn_ms != crate::openclaw::credentials::WARN_MS as i64)
            .then_some(Self { now_ms, warn_ms })
    }
}

fn profile_from_json(p: &status_json::ProfileHealthJson, re: Option<Reclassify>) -> ProfileHealth {
    let kind = match p.kind.as_str() {
        "api_key" => CredentialType::ApiKey,
        "token" => CredentialType::Token,
        _ => CredentialType::OAuth,
    };
    let mut status = ProfileStatus::parse(&p.status);
    let mut remaining = p.remaining_ms.map(|r| r as i64);
    if let (Some(re), Some(at)) = (re, p.expires_at) {
        let left = (at as i64).saturating_sub(re.now_ms);
        remaining = Some(left);
        if matches!(
            status,
            ProfileStatus::Ok | ProfileStatus::Expiring | ProfileStatus::Expired
        ) {
            let window = if kind == CredentialType::OAuth {
                re.warn_ms.max(REFRESH_MARGIN_MS as i64)
            } else {
                re.warn_ms
            };
            status = status_for_remaining(left, window);
        }
    }
    ProfileHealth {
        profile_id: p.profile_id.clone(),
        provider: p.provider.clone(),
        kind,
        status,
        reason_code: p.reason_code.as_deref().map(|r| intern_reason(r).into()),
        expires_at_ms: p.expires_at.map(|e| e as i64),
        remaining_ms: remaining,
        label: p.label.clone().unwrap_or_else(|| p.profile_id.clone()),
        source: "store".into(),
        shared: false,
    }
}

fn intern_reason(r: &str) -> &'static str {
    const KNOWN: [&str; 7] = [
        "expired",
        "missing_credential",
        "invalid_expires",
        "unresolved_ref",
        "malformed_api_key",
        "setup_inactive",
        "profile_missing",
    ];
    KNOWN.iter().copied().find(|k| *k == r).unwrap_or("other")
}

/// The per-route outcomes and verdict a `models status --json` document implies
/// (SPEC §4.5 + §10 applied to the output instead of the state). The output does not always
/// say which profile a route selected (profiles of aliased providers sit in separate roll-ups;
/// a config key can override them); `exit` — the CLI's own verdict, when known — picks the
/// selection that agrees with it.
pub fn analyze(
    doc: &StatusJson,
    re: Option<Reclassify>,
    exit: Option<Verdict>,
) -> (Vec<RouteResult>, Vec<ProfileHealth>, Verdict) {
    let profiles: Vec<ProfileHealth> = doc
        .auth
        .oauth
        .profiles
        .iter()
        .map(|p| profile_from_json(p, re))
        .collect();
    let status_of = |id: &str| profiles.iter().find(|p| p.profile_id == id);
    let unusable: Vec<&str> = doc
        .auth
        .unusable_profiles
        .iter()
        .map(|u| u.profile_id.as_str())
        .collect();
    let issues = doc.auth.model_route_issues.as_deref().unwrap_or_default();
    let alias_of = |raw: &str| -> Option<ModelRef> {
        doc.aliases
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(raw.trim()))
            .and_then(|(_, v)| v.as_str().or_else(|| v.get("ref").and_then(|r| r.as_str())))
            .and_then(parse_plain)
    };
    let mut raw_routes: Vec<(RouteKind, String)> = Vec::new();
    if let Some(d) = doc.default_model.as_ref().or(doc.resolved_default.as_ref()) {
        raw_routes.push((RouteKind::Default, d.clone()));
    }
    raw_routes.extend(
        doc.fallbacks
            .iter()
            .map(|f| (RouteKind::Fallback, f.clone())),
    );
    raw_routes.extend(
        doc.image_model
            .iter()
            .map(|f| (RouteKind::Image, f.clone())),
    );
    raw_routes.extend(
        doc.image_fallbacks
            .iter()
            .map(|f| (RouteKind::ImageFallback, f.clone())),
    );
    if let Some(u) = doc.utility_model.as_ref().and_then(|u| u.model_ref.clone()) {
        raw_routes.push((RouteKind::Utility, u));
    }

    let mut routes = Vec::new();
    for (kind, raw) in raw_routes {
        let stripped = crate::health::model_ref::strip_profile_pin(&raw);
        let Some(m) = alias_of(stripped).or_else(|| parse_plain(stripped)) else {
            continue;
        };
        let runtime = if matches!(kind, RouteKind::Default | RouteKind::Fallback) {
            doc.auth
                .runtime_auth_routes
                .iter()
                .find(|r| r.provider == m.provider)
        } else {
            None
        };
        let mut r = RouteResult {
            kind,
            model: m.key(),
            provider: m.provider.clone(),
            runtime: runtime.map(|r| r.runtime.clone()),
            outcome: RouteOutcome::Ok,
            profile: None,
            via: None,
            detail: String::new(),
        };
        let issue = issues
            .iter()
            .find(|i| i.provider == m.provider && i.model.eq_ignore_ascii_case(&m.model));
        let in_missing = |p: &str| doc.auth.missing_providers_in_use.iter().any(|x| x == p);
        if let Some(i) = issue {
            r.outcome = match i.kind.as_str() {
                "incompatible" => RouteOutcome::Incompatible,
                "missing-auth" => RouteOutcome::Missing,
                _ => RouteOutcome::Indeterminate,
            };
            r.detail = i.message.clone();
        } else if let Some(rt) =
            runtime.filter(|rt| rt.status == "unavailable" || rt.status == "missing")
        {
            r.outcome = RouteOutcome::Missing;
            r.detail = format!(
                "runtime {} is {}{}",
                rt.runtime,
                rt.status,
                rt.runtime_detail
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            );
        } else if in_missing(&m.provider) || runtime.is_some_and(|rt| in_missing(&rt.runtime)) {
            r.outcome = RouteOutcome::Missing;
            r.detail = format!(
                "OpenClaw lists {} among providers in use without usable credentials",
                m.provider
            );
        } else if !kind.is_image() {
            // The selected profile: the first usable one of the provider's effective order.
            let alias = auth_provider(&m.provider);
            let rollups: Vec<&status_json::ProviderRollupJson> =
                doc.auth
                    .oauth
                    .providers
                    .iter()
                    .filter(|p| p.provider == m.provider)
                    .chain(doc.auth.oauth.providers.iter().filter(|p| {
                        p.provider != m.provider && auth_provider(&p.provider) == alias
                    }))
                    .collect();
            // Candidates OpenClaw can select: ready ones, and openai OAuth, which it refreshes
            // read-only (so an expired one is selected, and fails the route).
            let candidates: Vec<&ProfileHealth> = rollups
                .iter()
                .flat_map(|p| p.effective_profiles.iter())
                .filter(|ep| !unusable.contains(&ep.profile_id.as_str()))
                .filter_map(|ep| status_of(&ep.profile_id))
                .filter(|h| match h.status {
                    ProfileStatus::Ok | ProfileStatus::Static => true,
                    ProfileStatus::Expiring => {
                        h.kind != CredentialType::OAuth
                            || h.remaining_ms.is_some_and(|r| r as f64 > REFRESH_MARGIN_MS)
                    }
                    ProfileStatus::Expired => {
                        h.kind == CredentialType::OAuth && auth_provider(&h.provider) == "openai"
                    }
                    ProfileStatus::Missing => false,
                })
                .collect();
            let selected = match exit {
                Some(Verdict::Ok) => candidates
                    .iter()
                    .find(|h| matches!(h.status, ProfileStatus::Ok | ProfileStatus::Static))
                    .or(candidates.first()),
                _ => candidates.first(),
            };
            match selected {
                Some(h) => {
                    r.profile = Some(h.profile_id.clone());
                    r.via = Some("profile".to_owned());
                    r.outcome = match h.status {
                        ProfileStatus::Expiring => RouteOutcome::Expiring,
                        ProfileStatus::Expired | ProfileStatus::Missing => RouteOutcome::Missing,
                        ProfileStatus::Ok | ProfileStatus::Static => RouteOutcome::Ok,
                    };
                    r.detail = format!("{} is {}", h.label, h.status.as_str());
                }
                None => {
                    let first = rollups
                        .iter()
                        .flat_map(|p| p.effective_profiles.iter())
                        .filter_map(|ep| status_of(&ep.profile_id))
                        .find(|h| !unusable.contains(&h.profile_id.as_str()));
                    match (first, re.is_some()) {
                        (Some(h), true) if h.status == ProfileStatus::Expired => {
                            r.outcome = RouteOutcome::Missing;
                            r.detail = format!("{} will have expired", h.label);
                        }
                        _ => {
                            r.detail =
                                "credential outside the profile store (env or config)".to_owned()
                        }
                    }
                }
            }
        }
        routes.push(r);
    }
    let mut verdict = verdict_of_routes(&routes);
    let global_fail = !doc.auth.missing_providers_in_use.is_empty()
        || issues.iter().any(|i| {
            matches!(
                i.kind.as_str(),
                "incompatible" | "indeterminate" | "missing-auth"
            )
        })
        || doc
            .auth
            .runtime_auth_routes
            .iter()
            .any(|r| r.status == "unavailable");
    if global_fail {
        verdict = Verdict::Expired;
    }
    (routes, profiles, verdict)
}

fn rollups_from_json(doc: &StatusJson) -> Vec<ProviderRollup> {
    doc.auth
        .oauth
        .providers
        .iter()
        .map(|p| ProviderRollup {
            provider: p.provider.clone(),
            status: ProfileStatus::parse(&p.status),
            profiles: p.profiles.iter().map(|x| x.profile_id.clone()).collect(),
            effective_profiles: p
                .effective_profiles
                .iter()
                .map(|x| x.profile_id.clone())
                .collect(),
            expires_at_ms: p.expires_at.map(|e| e as i64),
            remaining_ms: p.remaining_ms.map(|e| e as i64),
        })
        .collect()
}

fn unusable_from_json(doc: &StatusJson) -> Vec<UnusableProfile> {
    doc.auth
        .unusable_profiles
        .iter()
        .map(|u| UnusableProfile {
            profile_id: u.profile_id.clone(),
            provider: (!u.provider.is_empty()).then(|| u.provider.clone()),
            kind: if u.kind == "disabled" {
                "disabled"
            } else {
                "cooldown"
            }
            .into(),
            reason: u.reason.clone(),
            classification: u.classification.clone(),
            recovery_hint: u.recovery_hint.clone().unwrap_or_default(),
            until_ms: u.until.unwrap_or_default() as i64,
            remaining_ms: u.remaining_ms.unwrap_or_default() as i64,
        })
        .collect()
}

/// Turns a CLI run into an agent's report section.
pub fn agent_report(agent: &str, out: &CliOutput, re: Option<Reclassify>) -> AgentReport {
    let mut report = AgentReport::new(agent, SourceKind::Cli);
    report.cli = Some(CliRun {
        program: out.program.to_string(),
        exit_code: out.exit_code,
        duration_ms: out.duration.as_millis() as u64,
    });
    let exit_verdict = match out.exit_code {
        Some(c @ (0..=2)) => Verdict::from_exit_code(c),
        // Killed by a signal or an unexpected code: the gateway-side command failed.
        _ => Verdict::Expired,
    };
    match status_json::parse(&out.stdout) {
        Ok(StatusOutput::Failure(f)) => {
            report.verdict = Verdict::Expired;
            report.openclaw_error = Some(OpenClawFailure {
                code: "CLI_ERROR".into(),
                message: crate::redact::scrub(&f.error.message),
                fix: if f.error.message.contains("doctor") {
                    "openclaw doctor --fix".to_owned()
                } else if f.error.message.contains("--agent") {
                    "openclaw models status --agent <id>   # one per agent".to_owned()
                } else {
                    "openclaw doctor".to_owned()
                },
            });
        }
        Ok(StatusOutput::Status(doc)) => {
            let (routes, profiles, json_verdict) =
                analyze(&doc, re, re.is_none().then_some(exit_verdict));
            // 2026.7+ prints route issues: its exit code is the verdict. 2026.6.1's output lacks
            // them and its exit code hides an expiring anthropic:claude-cli profile, so there the
            // stricter of the two counts.
            let modern = doc.auth.model_route_issues.is_some();
            report.verdict = match re {
                // Another moment or window: the JSON decides, the exit code was for now.
                Some(_) => json_verdict,
                None if modern => exit_verdict,
                None => Verdict::worst(exit_verdict, json_verdict),
            };
            if re.is_none() && !modern && report.verdict != exit_verdict {
                report.notes.push(format!(
                    "OpenClaw exited {} but its own report shows a {} route; clawauth reports the stricter verdict \
                     (OpenClaw 2026.6.1 ignores an expiring anthropic:claude-cli profile)",
                    exit_verdict.exit_code(),
                    json_verdict.as_str()
                ));
            }
            report.agent_dir = doc.agent_dir.clone();
            report.store_path = doc.auth.store_path.clone();
            report.models = ModelSettings {
                default_model: doc.default_model.clone(),
                fallbacks: doc.fallbacks.clone(),
                image_model: doc.image_model.clone(),
                image_fallbacks: doc.image_fallbacks.clone(),
                utility_model: doc.utility_model.as_ref().and_then(|u| u.model_ref.clone()),
                utility_source: doc.utility_model.as_ref().and_then(|u| u.source.clone()),
            };
            report.providers = rollups_from_json(&doc);
            report.unusable_profiles = unusable_from_json(&doc);
            report.routes = routes;
            report.profiles = profiles;
        }
        Err(why) => {
            if exit_verdict == Verdict::Ok || out.exit_code == Some(2) {
                report.verdict = Verdict::Unknown;
                report
                    .notes
                    .push(format!("cannot read the CLI's answer: {why}"));
            } else {
                report.verdict = Verdict::Expired;
                report.openclaw_error = Some(OpenClawFailure {
                    code: "CLI_FAILED".into(),
                    message: format!(
                        "`openclaw models status --json --check` failed (exit {}): {}",
                        out.exit_code.map_or("signal".to_owned(), |c| c.to_string()),
                        last_line(&out.stderr, 300)
                    ),
                    fix: "openclaw doctor".to_owned(),
                });
            }
        }
    }
    report
}
