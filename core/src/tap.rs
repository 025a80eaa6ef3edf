//! One tap on the phone: what a gateway's [`Report`] comes down to at a glance — how bad it is,
//! one line for a toast ("Auth OK · 6d 4h left"), which credential decides, and how to fix it.
//! Every front end that shows a check in a few words (the Termux shortcuts, the widget) renders
//! a [`Glance`]; none decides on its own. Pure: no I/O, no clock (the report's `as_of` is now).
//!
//! The headline and detail are text for a screen: every name and reason in them (from the
//! gateway) is made [`visible`], so a profile id cannot break a toast's line or drive a
//! terminal; the subject keeps the raw values.

use serde::Serialize;

use crate::display::visible;
use crate::monitor::config::Policy;
use crate::monitor::observe::{self, Class, Level, Memory, Observation, What};
use crate::reauth::Method;
use crate::report::{FixCommand, Report, RunsOn, Verdict};
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
    /// The clawauth command that fixes it (`clawauth reauth --host gw`), as one line.
    pub fix: Option<String>,
    /// Every command that fixes it, the one to try first first: clawauth's here, then
    /// OpenClaw's on the gateway.
    pub fixes: Vec<FixCommand>,
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

/// The guided tap's offer: re-authenticate `provider` now (or later), for a glance whose
/// credential is expiring or gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offer {
    pub provider: String,
    pub method: Method,
    /// The credential already stopped working (expired, missing): the models are down until it
    /// is renewed, so "later" leaves a notification behind; an expiring one only a reminder.
    pub lapsed: bool,
}

impl Offer {
    /// The request the accepted offer runs.
    pub fn request(&self) -> crate::reauth::ReauthRequest {
        crate::reauth::ReauthRequest::new(self.provider.clone(), self.method)
    }
}

/// What the guided tap offers for `g`: nothing when it is fine or the gateway could not be
/// read (a re-auth cannot help), else a re-auth of the credential that decides.
pub fn offer(g: &Glance) -> Option<Offer> {
    match g.level {
        Level::Ok | Level::Unreachable => None,
        Level::Expiring | Level::Expired | Level::Missing => g.subject.as_ref().map(|s| Offer {
            provider: s.provider.clone(),
            method: s.method,
            lapsed: g.level != Level::Expiring,
        }),
    }
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
        let mut g = unreachable(&host, &observe::unreadable_reason(report), remote);
        if let Some(last) = &report.last_good {
            // What was known, and how old it is: the gateway may well be fine.
            g.detail.push_str(&format!(
                "\nlast good check {} ago: {} — {}",
                crate::time::format_remaining(last.age_ms),
                last.verdict.as_str(),
                visible(&last.headline)
            ));
        }
        return g;
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
        .map(|s| visible(s.profile_id.as_deref().unwrap_or(&s.provider)).into_owned());
    let left = decisive.as_ref().and_then(|o| o.remaining_ms);
    let shown = visible(&host);
    let headline = match (level, left, &name) {
        (Level::Ok, Some(ms), _) => format!("{shown}: Auth OK · {} left", format_remaining(ms)),
        (Level::Ok, None, _) => format!("{shown}: Auth OK · no expiry"),
        (Level::Expiring, Some(ms), Some(n)) => {
            format!("{shown}: Auth expiring · {n} in {}", format_remaining(ms))
        }
        (Level::Expired, Some(ms), Some(n)) if ms <= 0 => {
            format!("{shown}: Auth expired · {n} {} ago", format_remaining(ms))
        }
        (Level::Expired, _, Some(n)) => format!("{shown}: Auth expired · {n}"),
        (Level::Missing, _, Some(n)) => format!("{shown}: Auth missing · {n}"),
        (Level::Missing, _, None) if openclaw_failure.is_some() => {
            format!("{shown}: OpenClaw cannot check its credentials")
        }
        (l, _, _) => format!("{shown}: Auth {}", l.as_str()),
    };
    let mut detail = Vec::new();
    if let Some(o) = decisive.as_ref().or(openclaw_failure) {
        let who = match &o.what {
            What::Credential {
                profile_id, label, ..
            } if label != profile_id && !label.is_empty() => {
                format!("{} ({})", visible(profile_id), visible(label))
            }
            What::Credential { profile_id, .. } => visible(profile_id).into_owned(),
            What::Provider { provider } => format!("{} (no stored profile)", visible(provider)),
            What::OpenClaw => "OpenClaw".to_owned(),
            What::Host => visible(&host).into_owned(),
        };
        detail.push(format!("{who}: {}", visible(&o.detail)));
        if !o.serves.is_empty() {
            detail.push(format!("Serves {}", visible(&o.serves.join(", "))));
        }
    }
    let fixes: Vec<FixCommand> = match decisive.as_ref().filter(|_| level.is_bad()) {
        Some(o) => o
            .fixes
            .clawauth
            .iter()
            .chain(o.fixes.gateway.iter().filter(|_| remote))
            .cloned()
            .collect(),
        None => openclaw_failure
            .and_then(|o| o.fixes.gateway.clone())
            .into_iter()
            .collect(),
    };
    for f in &fixes {
        match f.runs_on {
            RunsOn::Gateway if remote => detail.push(format!("On the gateway: {}", f.line)),
            _ => detail.push(format!("Fix: {}", f.line)),
        }
    }
    let fix = fixes.first().map(|f| f.line.clone());
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
        fixes,
        exit_code: report.exit_code,
    }
}

/// The glance of a gateway that could not be reached or read (`why`).
pub fn unreachable(host: &str, why: &str, remote: bool) -> Glance {
    let reason = crate::redact::last_line(why, MAX_REASON);
    let shown = visible(host);
    let fix = observe::status_fix(remote.then_some(host));
    Glance {
        host: host.to_owned(),
        level: Level::Unreachable,
        headline: format!("{shown} unreachable · {reason}"),
        detail: format!("{shown} could not be checked: {reason}"),
        subject: None,
        page: None,
        fix: Some(fix.line.clone()),
        fixes: vec![fix],
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::LastGoodSummary;

    /// A gateway that cannot be read: the glance says so, and with a last good check kept,
    /// what it said and how old it is (its outside headline made visible).
    #[test]
    fn an_unreadable_report_glances_with_its_last_good_check() {
        let t = crate::time::from_ms(1_795_256_402_000);
        let mut r = Report::new("gw", t, t, 86_400_000);
        r.errors.push("cannot connect".into());
        r.finish();
        let g = glance(&r, true);
        assert_eq!(g.level, Level::Unreachable);
        assert!(!g.detail.contains("last good"), "{}", g.detail);
        r.last_good = Some(LastGoodSummary {
            kept_at: crate::time::from_ms(1_795_256_402_000 - 7_500_000),
            age_ms: 7_500_000,
            verdict: Verdict::Expiring,
            headline: "anthropic:manual expires in 20h\u{1b}[2J".into(),
        });
        let g = glance(&r, true);
        assert!(
            g.detail.ends_with(
                "last good check 2h 5m ago: expiring — anthropic:manual expires in 20h\\e[2J"
            ),
            "{}",
            g.detail
        );
        assert_eq!(g.exit_code, 3);
    }

    /// The guided tap offers a re-auth only where one can help: an expiring or lapsed
    /// credential with a subject; never for a fine or unreadable gateway.
    #[test]
    fn the_offer_follows_the_level() {
        let subject = Subject {
            provider: "anthropic".into(),
            profile_id: Some("anthropic:manual".into()),
            agent: None,
            remaining_ms: Some(3_600_000),
            method: Method::SetupToken,
        };
        let at = |level, subject: Option<Subject>| Glance {
            host: "gw".into(),
            level,
            headline: String::new(),
            detail: String::new(),
            subject,
            page: None,
            fix: None,
            fixes: Vec::new(),
            exit_code: 0,
        };
        assert_eq!(offer(&at(Level::Ok, Some(subject.clone()))), None);
        assert_eq!(offer(&at(Level::Unreachable, None)), None);
        assert_eq!(
            offer(&at(Level::Expired, None)),
            None,
            "no subject, nothing to renew"
        );
        let o = offer(&at(Level::Expiring, Some(subject.clone()))).expect("offer");
        assert_eq!(
            (o.provider.as_str(), o.method, o.lapsed),
            ("anthropic", Method::SetupToken, false)
        );
        assert!(
            offer(&at(Level::Missing, Some(subject)))
                .expect("offer")
                .lapsed
        );
    }
}
