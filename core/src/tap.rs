//! One tap on the phone: what a gateway's [`Report`] comes down to at a glance — how bad it is,
//! one line for a toast ("Auth OK · 6d 4h left"), which credential decides, and how to fix it.
//! Every front end that shows a check in a few words (the Termux shortcuts, the widget) renders
//! a [`Glance`]; none decides on its own. Pure: no I/O, no clock (the report's `as_of` is now).

use serde::Serialize;

use crate::monitor::config::Policy;
use crate::monitor::observe::{self, Class, Level, Memory, Observation, What};
use crate::reauth::Method;
use crate::report::{Report, Verdict};
use crate::time::format_remaining;

/// Longest reason shown in a toast.
const MAX_REASON: usize = 160;

/// A report at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Glance {
    pub host: String,
    /// ok, expiring, expired, missing; unreachable when the gateway could not be read.
    pub level: Level,
    /// One line for a toast: `gw: Auth OK · 6d 4h left`.
    pub headline: String,
    /// A few lines for a notification or dialog: which credential, what it serves, the fix.
    pub detail: String,
    /// The credential that decides (the soonest to expire, or the one that lapsed).
    pub subject: Option<Subject>,
    /// The page that fixes it in the browser (the provider's key page).
    pub page: Option<String>,
    /// The clawauth command that fixes it (`clawauth reauth --host gw`).
    pub fix: Option<String>,
    /// The verdict's exit code (0 ok, 1 expired or missing, 2 expiring, 3 unreachable).
    pub exit_code: i32,
}

/// The credential a glance is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subject {
    pub provider: String,
    /// The stored profile, when one serves (or served) the provider's routes.
    pub profile_id: Option<String>,
    pub agent: Option<String>,
    pub remaining_ms: Option<i64>,
    /// How it is renewed: setup-token for Anthropic tokens, api-key for API keys, else login.
    pub method: Method,
}

/// A first look: nothing remembered (the monitor's memory only refines thresholds).
struct Unremembered;

impl Memory for Unremembered {
    fn first_seen(&self, _: &str, _: i64) -> Option<i64> {
        None
    }
    fn last_profile(&self, _: &str) -> Option<(String, Option<i64>)> {
        None
    }
}

/// The glance of `report`; `remote` says it was taken over SSH (fix commands then name the
/// host).
pub fn glance(report: &Report, remote: bool) -> Glance {
    let host = report.host.clone();
    if !observe::readable(report) {
        return unreachable(&host, &observe::unreadable_reason(report), remote);
    }
    let observations = observe::observe(report, &Policy::default(), remote, &Unremembered);
    let credentials: Vec<&Observation> = observations
        .iter()
        .filter(|o| matches!(o.what, What::Credential { .. } | What::Provider { .. }))
        .collect();
    let mut level = match report.verdict {
        Verdict::Ok => Level::Ok,
        Verdict::Expiring => Level::Expiring,
        // Expired or missing: the observations tell which.
        Verdict::Expired => Level::Expired,
        Verdict::Unknown => Level::Unreachable,
    };
    // The deciding observation: for a bad verdict the worst (then soonest) one; for ok the one
    // expiring soonest.
    let wanted = |o: &&&Observation| match level {
        Level::Expired | Level::Missing => o.level.rank() >= 2,
        _ => o.remaining_ms.is_some(),
    };
    let decisive = credentials
        .iter()
        .filter(wanted)
        .min_by_key(|o| o.remaining_ms.unwrap_or(i64::MAX))
        .map(|o| (*o).clone());
    if level == Level::Expired && decisive.as_ref().is_none_or(|o| o.level == Level::Missing) {
        level = Level::Missing;
    }
    let openclaw_failure = observations
        .iter()
        .find(|o| o.what == What::OpenClaw && o.level.is_bad());
    let subject = decisive.as_ref().and_then(subject_of);
    let name = subject
        .as_ref()
        .map(|s| s.profile_id.clone().unwrap_or_else(|| s.provider.clone()));
    let left = decisive.as_ref().and_then(|o| o.remaining_ms);
    let headline = match (level, left, &name) {
        (Level::Ok, Some(ms), _) => format!("{host}: Auth OK · {} left", format_remaining(ms)),
        (Level::Ok, None, _) => format!("{host}: Auth OK · no expiry"),
        (Level::Expiring, Some(ms), Some(n)) => {
            format!("{host}: Auth expiring · {n} in {}", format_remaining(ms))
        }
        (Level::Expired, Some(ms), Some(n)) if ms <= 0 => {
            format!("{host}: Auth expired · {n} {} ago", format_remaining(ms))
        }
        (Level::Expired, _, Some(n)) => format!("{host}: Auth expired · {n}"),
        (Level::Missing, _, Some(n)) => format!("{host}: Auth missing · {n}"),
        (Level::Missing, _, None) if openclaw_failure.is_some() => {
            format!("{host}: OpenClaw cannot check its credentials")
        }
        (l, _, _) => format!("{host}: Auth {}", l.as_str()),
    };
    let mut detail = Vec::new();
    if let Some(o) = decisive.as_ref().or(openclaw_failure) {
        let who = match &o.what {
            What::Credential {
                profile_id, label, ..
            } if label != profile_id && !label.is_empty() => format!("{profile_id} ({label})"),
            What::Credential { profile_id, .. } => profile_id.clone(),
            What::Provider { provider } => format!("{provider} (no stored profile)"),
            What::OpenClaw => "OpenClaw".to_owned(),
            What::Host => host.clone(),
        };
        detail.push(format!("{who}: {}", o.detail));
        if !o.serves.is_empty() {
            detail.push(format!("Serves {}", o.serves.join(", ")));
        }
    }
    let fix = decisive
        .as_ref()
        .filter(|_| level.is_bad())
        .and_then(|o| o.fixes.clawauth.clone())
        .or_else(|| openclaw_failure.and_then(|o| o.fixes.gateway.clone()));
    if let Some(f) = &fix {
        detail.push(format!("Fix: {f}"));
    }
    Glance {
        host,
        level,
        headline,
        detail: detail.join("\n"),
        page: decisive
            .as_ref()
            .filter(|_| level.is_bad())
            .and_then(|o| o.page.clone()),
        subject,
        fix,
        exit_code: report.exit_code,
    }
}

/// The glance of a gateway that could not be reached or read (`why`).
pub fn unreachable(host: &str, why: &str, remote: bool) -> Glance {
    let reason = crate::redact::last_line(why, MAX_REASON);
    Glance {
        host: host.to_owned(),
        level: Level::Unreachable,
        headline: format!("{host} unreachable · {reason}"),
        detail: format!("{host} could not be checked: {reason}"),
        subject: None,
        page: None,
        fix: Some(if remote {
            format!("clawauth status --host {host}")
        } else {
            "clawauth status".to_owned()
        }),
        exit_code: 3,
    }
}

fn subject_of(o: &Observation) -> Option<Subject> {
    let (provider, profile_id, class) = match &o.what {
        What::Credential {
            provider,
            profile_id,
            class,
            ..
        } => (
            crate::health::env_auth::auth_provider(provider).to_owned(),
            Some(profile_id.clone()),
            Some(*class),
        ),
        What::Provider { provider } => (provider.clone(), None, None),
        What::OpenClaw | What::Host => return None,
    };
    let method = match class {
        Some(Class::ApiKey) => Method::ApiKey,
        _ if provider == "anthropic" => Method::SetupToken,
        _ if crate::reauth::key_page(&provider).is_some() && provider != "openai" => Method::ApiKey,
        _ => Method::Login,
    };
    Some(Subject {
        provider,
        profile_id,
        agent: o.agent.clone(),
        remaining_ms: o.remaining_ms,
        method,
    })
}
