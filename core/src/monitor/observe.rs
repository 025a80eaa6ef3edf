//! From Reports to what the monitor watches: per agent, one [`Observation`] per provider whose
//! credentials serve model routes — named by the profile that serves them, or that lapsed —
//! plus OpenClaw failing and each host's reachability, each with a [`Level`] under the policy's
//! thresholds. A subject is the provider, not the profile, so a token that expires and drops
//! out of OpenClaw's selection, or is replaced by a new profile, stays one story: expiring,
//! expired, fixed. Pure: no I/O, no clock.

use serde::{Deserialize, Serialize};

use super::config::{Policy, Threshold};
use crate::health::RouteOutcome;
use crate::health::{ProfileHealth, ProfileStatus};
use crate::openclaw::credentials::CredentialType;
use crate::report::{FixCommand, Renewal, Report, RunsOn, Verdict};

/// How bad a subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    /// Within one of its type's thresholds.
    Expiring,
    Expired,
    /// No usable credential for a route (or OpenClaw itself fails).
    Missing,
    /// The host could not be read for `unreachable_after` runs in a row.
    Unreachable,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Expiring => "expiring",
            Self::Expired => "expired",
            Self::Missing => "missing",
            Self::Unreachable => "unreachable",
        }
    }

    /// Severity: ok < expiring < expired = missing = unreachable.
    pub fn rank(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Expiring => 1,
            Self::Expired | Self::Missing | Self::Unreachable => 2,
        }
    }

    pub fn is_bad(self) -> bool {
        self != Self::Ok
    }
}

/// Which thresholds a credential gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Oauth,
    Token,
    SetupToken,
    ApiKey,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oauth => "OAuth",
            Self::Token => "token",
            Self::SetupToken => "setup-token",
            Self::ApiKey => "API key",
        }
    }
}

/// What an observation is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum What {
    /// A stored profile that serves the provider's routes (or lapsed and no longer can).
    Credential {
        profile_id: String,
        label: String,
        provider: String,
        class: Class,
    },
    /// Routes of a provider served by no profile (an env key, or nothing at all).
    Provider { provider: String },
    /// OpenClaw itself refuses to evaluate this agent.
    OpenClaw,
    /// The host's reachability.
    Host,
}

/// The commands that fix a subject (built by [`crate::report::Renewal`], as the report's hints).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fixes {
    /// Run where clawauth runs (the phone, or the gateway itself for a local monitor).
    pub clawauth: Option<FixCommand>,
    /// Run on the gateway.
    pub gateway: Option<FixCommand>,
}

/// One subject's state in this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// `host/agent/provider` (the credentials of a provider whose routes the agent uses),
    /// `host/agent/openclaw` (OpenClaw failing) or `host` (reachability).
    pub key: String,
    pub host: String,
    pub agent: Option<String>,
    pub what: What,
    pub level: Level,
    /// For `expiring`: the smallest threshold crossed (ms before expiry) and how it was given.
    pub threshold_ms: Option<i64>,
    pub threshold: Option<String>,
    /// For `expiring`: the crossed threshold is the type's last (smallest) one.
    pub last_threshold: bool,
    pub expires_at_ms: Option<i64>,
    pub remaining_ms: Option<i64>,
    /// The routes it serves: `default anthropic/claude-opus-4-6`, …
    pub serves: Vec<String>,
    /// Why, in words (OpenClaw's or the reachability error).
    pub detail: String,
    pub fixes: Fixes,
    /// The page that fixes it (the provider's key page).
    pub page: Option<String>,
    /// `clawauth://reauth?host=…` for the widget (remote hosts only).
    pub reauth_link: Option<String>,
}

impl Observation {
    /// A subject that is now fine (or gone) in words.
    fn resolved(key: &str, host: &str, what: What, detail: String) -> Self {
        Self {
            key: key.to_owned(),
            host: host.to_owned(),
            agent: None,
            what,
            level: Level::Ok,
            threshold_ms: None,
            threshold: None,
            last_threshold: false,
            expires_at_ms: None,
            remaining_ms: None,
            serves: Vec::new(),
            detail,
            fixes: Fixes::default(),
            page: None,
            reauth_link: None,
        }
    }

    /// A subject that disappeared from a report that was read fine (its profile was replaced or
    /// no longer serves a route): resolved.
    pub fn gone(key: &str, host: &str, what: What) -> Self {
        let detail = match what {
            What::OpenClaw => "OpenClaw evaluates its credentials again",
            _ => "no longer used by any model route",
        };
        Self::resolved(key, host, what, detail.to_owned())
    }
}

/// The key of host `host`'s reachability.
pub fn host_key(host: &str) -> String {
    host.to_owned()
}

/// Whether a report could be read well enough to judge its credentials.
pub fn readable(report: &Report) -> bool {
    report.errors.is_empty() && report.verdict != Verdict::Unknown
}

/// Why a report could not be judged.
pub fn unreadable_reason(report: &Report) -> String {
    if let Some(e) = report.errors.first() {
        return crate::redact::last_line(e, 400);
    }
    let undecided: Vec<String> = report
        .agents
        .iter()
        .filter(|a| a.verdict == Verdict::Unknown)
        .map(|a| {
            if a.needs_cli.is_empty() {
                // The first note says why (a file that cannot be read, and which).
                match a.notes.first() {
                    Some(why) => format!(
                        "agent {} could not be evaluated: {}",
                        a.agent,
                        crate::redact::last_line(why, 300)
                    ),
                    None => format!("agent {} could not be evaluated", a.agent),
                }
            } else {
                format!(
                    "only the OpenClaw CLI can decide agent {} ({})",
                    a.agent,
                    a.needs_cli.join("; ")
                )
            }
        })
        .collect();
    if undecided.is_empty() {
        "the gateway's state could not be read".to_owned()
    } else {
        undecided.join("; ")
    }
}

/// The reachability observation of a host that failed `failures` runs in a row.
pub fn host_observation(
    report: &Report,
    failures: u32,
    policy: &Policy,
    remote: bool,
) -> Observation {
    let host = report.host.as_str();
    let mut o = Observation::resolved(&host_key(host), host, What::Host, String::new());
    if readable(report) {
        o.detail = "reachable again".to_owned();
        return o;
    }
    o.detail = unreadable_reason(report);
    if failures >= policy.unreachable_after {
        o.level = Level::Unreachable;
    }
    o.fixes.clawauth = Some(status_fix(remote.then_some(host)));
    o
}

/// `clawauth status [--host NAME]`: what shows why a gateway could not be read.
pub fn status_fix(host: Option<&str>) -> FixCommand {
    let mut argv = vec!["clawauth".to_owned(), "status".to_owned()];
    if let Some(h) = host {
        argv.extend(["--host".to_owned(), h.to_owned()]);
    }
    FixCommand::of(RunsOn::Here, vec![argv])
}

/// `clawauth://reauth?host=NAME[&provider=P][&agent=A]`, the widget's link that starts a
/// re-auth; every value percent-encoded.
pub fn reauth_link(host: &str, provider: &str, agent: Option<&str>) -> String {
    use crate::display::percent_encode;
    let mut link = format!("clawauth://reauth?host={}", percent_encode(host));
    if provider != "anthropic" {
        link.push_str(&format!("&provider={}", percent_encode(provider)));
    }
    if let Some(a) = agent {
        link.push_str(&format!("&agent={}", percent_encode(a)));
    }
    link
}

/// The class a credential's thresholds come from; `lifetime_ms` is how long it lives, as far as
/// the monitor has seen (expiry minus the first time it saw this expiry).
pub fn class_of(kind: CredentialType, lifetime_ms: Option<i64>, policy: &Policy) -> Class {
    match kind {
        CredentialType::OAuth => Class::Oauth,
        CredentialType::ApiKey => Class::ApiKey,
        CredentialType::Token => {
            if lifetime_ms.is_some_and(|l| l >= policy.thresholds.long_lived_ms) {
                Class::SetupToken
            } else {
                Class::Token
            }
        }
    }
}

/// The level of a credential with `remaining_ms` left under `thresholds`:
/// (level, smallest crossed threshold in ms, its text, whether it is the last one).
pub fn threshold_level(
    remaining_ms: i64,
    thresholds: &[Threshold],
    lifetime_ms: Option<i64>,
) -> (Level, Option<i64>, Option<String>, bool) {
    if remaining_ms <= 0 {
        return (Level::Expired, None, None, false);
    }
    let resolved: Vec<(i64, Threshold)> = thresholds
        .iter()
        .filter_map(|t| t.resolve(lifetime_ms).map(|ms| (ms, *t)))
        .filter(|(ms, _)| *ms > 0)
        .collect();
    let smallest = resolved.iter().map(|(ms, _)| *ms).min();
    match resolved
        .iter()
        .filter(|(ms, _)| remaining_ms <= *ms)
        .min_by_key(|(ms, _)| *ms)
    {
        Some((ms, t)) => (
            Level::Expiring,
            Some(*ms),
            Some(t.describe()),
            Some(*ms) == smallest,
        ),
        None => (Level::Ok, None, None, false),
    }
}

/// What the monitor remembers of a subject from earlier runs.
pub trait Memory {
    /// When it first saw subject `key` with this expiry (the credential's issue, as far as it
    /// knows: lifetimes come from it).
    fn first_seen(&self, key: &str, expires_at_ms: i64) -> Option<i64>;
    /// The profile that served subject `key` last time, and its expiry then.
    fn last_profile(&self, key: &str) -> Option<(String, Option<i64>)>;
}

/// Everything a report shows about its credentials (call only for [`readable`] reports);
/// `remote` says the host is reached over SSH.
pub fn observe(
    report: &Report,
    policy: &Policy,
    remote: bool,
    memory: &dyn Memory,
) -> Vec<Observation> {
    let host = report.host.as_str();
    let now = crate::time::to_ms(report.as_of);
    let mut out: Vec<Observation> = Vec::new();
    for a in &report.agents {
        let agent = crate::report::agent_flag(report, &a.agent);
        if let Some(e) = &a.openclaw_error {
            let key = format!("{host}/{}/openclaw", a.agent);
            let mut o = Observation::resolved(&key, host, What::OpenClaw, e.message.clone());
            o.agent = Some(a.agent.clone());
            o.level = Level::Missing;
            o.fixes.gateway = Some(FixCommand::advice(RunsOn::Gateway, &e.fix));
            out.push(o);
            continue;
        }
        for r in &a.routes {
            if r.outcome == RouteOutcome::NeedsCli {
                continue;
            }
            let auth = crate::report::auth_provider_of(r).to_owned();
            let key = format!("{host}/{}/{auth}", a.agent);
            // The profile behind the route; when the route fails for want of one, the
            // provider's expired or missing profile (OpenClaw no longer selects it).
            let previous = memory.last_profile(&key);
            let profile = r
                .profile
                .as_ref()
                .and_then(|id| a.profiles.iter().find(|p| &p.profile_id == id))
                .or_else(|| {
                    r.outcome
                        .fails()
                        .then(|| {
                            lapsed_profile(
                                &a.profiles,
                                &auth,
                                previous.as_ref().map(|p| p.0.as_str()),
                            )
                        })
                        .flatten()
                });
            let what = match profile {
                Some(p) => What::Credential {
                    profile_id: p.profile_id.clone(),
                    label: p.label.clone(),
                    provider: p.provider.clone(),
                    class: class_of(p.kind, None, policy),
                },
                None => What::Provider {
                    provider: auth.clone(),
                },
            };
            let mut o = Observation::resolved(&key, host, what, r.detail.clone());
            o.agent = Some(a.agent.clone());
            o.serves.push(format!("{} {}", r.kind.as_str(), r.model));
            if let Some(p) = profile {
                // OpenClaw stops showing an expired token's expiry; the monitor saw it before.
                let known = previous
                    .as_ref()
                    .filter(|(id, _)| *id == p.profile_id)
                    .and_then(|(_, e)| *e);
                credential(&mut o, p, known, policy, now, memory);
            }
            if r.outcome.fails() && o.level.rank() < Level::Missing.rank() {
                o.level = Level::Missing;
                o.detail = r.detail.clone();
            }
            fixes(&mut o, profile, &auth, agent, host, remote);
            match out.iter_mut().find(|x| x.key == key) {
                None => out.push(o),
                Some(x) => {
                    let mut serves = std::mem::take(&mut x.serves);
                    for s in o.serves.drain(..) {
                        if !serves.contains(&s) {
                            serves.push(s);
                        }
                    }
                    if worse(&o, x) {
                        *x = o;
                    }
                    x.serves = serves;
                }
            }
        }
    }
    out
}

/// Whether `a` is worse than `b` (rank, then a smaller threshold crossed).
fn worse(a: &Observation, b: &Observation) -> bool {
    match a.level.rank().cmp(&b.level.rank()) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => match (a.threshold_ms, b.threshold_ms) {
            (Some(x), Some(y)) => x < y,
            (Some(_), None) => true,
            _ => false,
        },
    }
}

/// The provider's profile that lapsed (expired or missing): the one that served its routes
/// last time when it is among them, else the expired one whose expiry is latest (OpenClaw
/// hides an expired token's expiry: such a token counts as the latest).
fn lapsed_profile<'a>(
    profiles: &'a [ProfileHealth],
    auth: &str,
    previous: Option<&str>,
) -> Option<&'a ProfileHealth> {
    let lapsed = || {
        profiles
            .iter()
            .filter(|p| crate::health::env_auth::auth_provider(&p.provider) == auth)
            .filter(|p| matches!(p.status, ProfileStatus::Expired | ProfileStatus::Missing))
    };
    lapsed()
        .find(|p| Some(p.profile_id.as_str()) == previous)
        .or_else(|| {
            lapsed().max_by_key(|p| {
                (
                    p.status == ProfileStatus::Expired,
                    p.expires_at_ms.unwrap_or(i64::MAX),
                )
            })
        })
}

/// Fills a credential's expiry, class and level.
fn credential(
    o: &mut Observation,
    p: &ProfileHealth,
    known_expiry: Option<i64>,
    policy: &Policy,
    now: i64,
    memory: &dyn Memory,
) {
    o.expires_at_ms = p.expires_at_ms.or(known_expiry);
    o.remaining_ms = p
        .remaining_ms
        .or(known_expiry.map(|e| e.saturating_sub(now)));
    let lifetime = o
        .expires_at_ms
        .map(|e| e - memory.first_seen(&o.key, e).unwrap_or(now).min(now));
    let class = class_of(p.kind, lifetime, policy);
    if let What::Credential { class: c, .. } = &mut o.what {
        *c = class;
    }
    o.detail = match o.remaining_ms {
        Some(ms) if ms > 0 => format!(
            "expires in {} ({})",
            crate::time::format_remaining(ms),
            o.expires_at_ms
                .map(crate::time::format_moment)
                .unwrap_or_default()
        ),
        Some(ms) => format!("expired {} ago", crate::time::format_remaining(ms)),
        None if p.status == ProfileStatus::Expired => "has expired".to_owned(),
        None if p.status == ProfileStatus::Static => "does not expire".to_owned(),
        None => format!("status {}", p.status.as_str()),
    };
    match p.status {
        ProfileStatus::Expired => o.level = Level::Expired,
        ProfileStatus::Missing => {
            o.level = Level::Missing;
            o.detail = format!(
                "missing ({})",
                p.reason_code.as_deref().unwrap_or("no usable credential")
            );
        }
        ProfileStatus::Ok | ProfileStatus::Expiring | ProfileStatus::Static => {
            let Some(rem) = o.remaining_ms else { return };
            let t = &policy.thresholds;
            let list = match class {
                Class::Oauth => &t.oauth,
                Class::Token => &t.token,
                Class::SetupToken => &t.setup_token,
                Class::ApiKey => &t.api_key,
            };
            let (level, ms, text, last) = threshold_level(rem, list, lifetime);
            o.level = level;
            o.threshold_ms = ms;
            o.threshold = text;
            o.last_threshold = last;
        }
    }
}

/// The fix commands and pages for a route subject.
fn fixes(
    o: &mut Observation,
    profile: Option<&ProfileHealth>,
    auth: &str,
    agent: Option<&str>,
    host: &str,
    remote: bool,
) {
    let renewal = Renewal {
        auth,
        kind: profile.map(|p| p.kind),
        profile_id: profile.map(|p| p.profile_id.as_str()),
        agent,
    };
    o.fixes.gateway = Some(renewal.openclaw());
    o.fixes.clawauth = Some(renewal.clawauth(remote.then_some(host)));
    o.page = crate::reauth::key_page(auth).map(str::to_owned);
    if remote {
        o.reauth_link = Some(reauth_link(host, auth, agent));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;
    const D: i64 = 24 * H;

    #[test]
    fn thresholds_pick_the_smallest_crossed() {
        let th = [
            Threshold::Before(30 * D),
            Threshold::Before(7 * D),
            Threshold::Before(D),
        ];
        assert_eq!(threshold_level(31 * D, &th, None).0, Level::Ok);
        let (l, ms, text, last) = threshold_level(20 * D, &th, None);
        assert_eq!(
            (l, ms, text.as_deref(), last),
            (Level::Expiring, Some(30 * D), Some("30d"), false)
        );
        assert_eq!(threshold_level(7 * D, &th, None).1, Some(7 * D));
        let (l, ms, _, last) = threshold_level(H, &th, None);
        assert_eq!((l, ms, last), (Level::Expiring, Some(D), true));
        assert_eq!(threshold_level(0, &th, None).0, Level::Expired);
        assert_eq!(threshold_level(-5, &[], None).0, Level::Expired);
        assert_eq!(threshold_level(5, &[], None).0, Level::Ok);
    }

    #[test]
    fn shares_need_a_lifetime() {
        let th = [Threshold::Share(2000)];
        // 20 % of a 10-day lifetime is 2 days.
        assert_eq!(threshold_level(3 * D, &th, Some(10 * D)).0, Level::Ok);
        let (l, ms, text, last) = threshold_level(2 * D, &th, Some(10 * D));
        assert_eq!(
            (l, ms, text.as_deref(), last),
            (Level::Expiring, Some(2 * D), Some("20%"), true)
        );
        assert_eq!(
            threshold_level(H, &th, None).0,
            Level::Ok,
            "unknown lifetime: no share"
        );
    }

    /// A report of gateway `gw` at `as_of` (ms): agent main, a default route on anthropic
    /// served by `route_profile` with `outcome`, and the stored `profiles`.
    fn report(route_profile: Option<&str>, outcome: &str, profiles: serde_json::Value) -> Report {
        let mut route = serde_json::json!({
            "kind": "default", "model": "anthropic/claude-opus-5", "provider": "anthropic",
            "outcome": outcome, "detail": "no usable anthropic credential"
        });
        if let Some(p) = route_profile {
            route["profile"] = serde_json::json!(p);
        }
        let doc = serde_json::json!({
            "schema": 1, "host": "gw",
            "taken_at": "2026-11-21T10:00:00Z", "as_of": "2026-11-21T10:00:00Z",
            "warn_after_ms": 86_400_000, "verdict": "expiring", "exit_code": 2,
            "state_dir": "/g/.openclaw", "config_path": "/g/.openclaw/openclaw.json",
            "agents": [{
                "agent": "main", "source": "direct", "verdict": "expiring",
                "models": {"fallbacks": [], "image_fallbacks": []},
                "routes": [route], "profiles": profiles,
                "providers": [], "unusable_profiles": []
            }],
            "hints": []
        });
        serde_json::from_value(doc).expect("a report")
    }

    /// No memory (a first run).
    struct Forgetful;

    impl Memory for Forgetful {
        fn first_seen(&self, _: &str, _: i64) -> Option<i64> {
            None
        }
        fn last_profile(&self, _: &str) -> Option<(String, Option<i64>)> {
            None
        }
    }

    struct Remembers(&'static str, i64);

    impl Memory for Remembers {
        fn first_seen(&self, _: &str, _: i64) -> Option<i64> {
            None
        }
        fn last_profile(&self, _: &str) -> Option<(String, Option<i64>)> {
            Some((self.0.to_owned(), Some(self.1)))
        }
    }

    #[test]
    fn a_route_subject_is_the_provider_named_by_its_profile() {
        let now = crate::time::to_ms(
            chrono::DateTime::parse_from_rfc3339("2026-11-21T10:00:00Z")
                .expect("t")
                .into(),
        );
        let token = |id: &str, status: &str, remaining: Option<i64>| {
            let mut p = serde_json::json!({
                "profile_id": id, "provider": "anthropic", "type": "token", "status": status,
                "label": id, "source": "store"
            });
            if let Some(r) = remaining {
                p["remaining_ms"] = serde_json::json!(r);
                p["expires_at_ms"] = serde_json::json!(now + r);
            }
            p
        };
        let p = Policy::default();
        // Expiring in 12 h: one subject, the provider, named by the token serving it.
        let r = report(
            Some("anthropic:manual"),
            "expiring",
            serde_json::json!([token("anthropic:manual", "expiring", Some(12 * H))]),
        );
        let o = observe(&r, &p, true, &Forgetful);
        assert_eq!(o.len(), 1);
        let o = &o[0];
        assert_eq!(
            (o.key.as_str(), o.level, o.threshold_ms),
            ("gw/main/anthropic", Level::Expiring, Some(D))
        );
        assert!(
            matches!(&o.what, What::Credential { profile_id, class: Class::Token, .. } if profile_id == "anthropic:manual")
        );
        assert_eq!(
            o.fixes.clawauth.as_ref().map(|f| f.line.as_str()),
            Some("clawauth reauth --host gw")
        );
        assert_eq!(o.reauth_link.as_deref(), Some("clawauth://reauth?host=gw"));
        assert_eq!(o.serves, ["default anthropic/claude-opus-5"]);

        // Expired: OpenClaw no longer selects it (no expiry shown); the route is missing. The
        // monitor names the token that served before, with the expiry it saw then.
        let lapsed = serde_json::json!([
            token("anthropic:old", "expired", Some(-5 * D)),
            token("anthropic:manual", "expired", None),
        ]);
        let r = report(None, "missing", lapsed.clone());
        let o = &observe(&r, &p, false, &Remembers("anthropic:manual", now - H))[0];
        assert_eq!(
            (o.key.as_str(), o.level),
            ("gw/main/anthropic", Level::Expired)
        );
        assert!(
            matches!(&o.what, What::Credential { profile_id, .. } if profile_id == "anthropic:manual")
        );
        assert_eq!(o.detail, "expired 1h ago");
        assert_eq!(
            o.fixes.clawauth.as_ref().map(|f| f.line.as_str()),
            Some("clawauth reauth"),
            "local: no --host"
        );
        assert!(o.reauth_link.is_none());
        // Without memory: the expired token whose expiry OpenClaw hides counts as the latest.
        let o = &observe(&r, &p, false, &Forgetful)[0];
        assert!(
            matches!(&o.what, What::Credential { profile_id, .. } if profile_id == "anthropic:manual")
        );
        assert_eq!(o.detail, "has expired");
        // No profile at all: the provider itself is missing.
        let o = &observe(
            &report(None, "missing", serde_json::json!([])),
            &p,
            true,
            &Forgetful,
        )[0];
        assert_eq!(
            (o.level, &o.what),
            (
                Level::Missing,
                &What::Provider {
                    provider: "anthropic".into()
                }
            )
        );
    }

    #[test]
    fn unreachable_needs_n_failures() {
        let mut r = report(None, "missing", serde_json::json!([]));
        r.errors.push("cannot reach gw: connection refused".into());
        let p = Policy {
            unreachable_after: 3,
            ..Policy::default()
        };
        assert!(!readable(&r));
        assert_eq!(host_observation(&r, 2, &p, true).level, Level::Ok);
        let o = host_observation(&r, 3, &p, true);
        assert_eq!(
            (o.level, o.detail.as_str()),
            (Level::Unreachable, "cannot reach gw: connection refused")
        );
        assert_eq!(
            o.fixes.clawauth.as_ref().map(|f| f.line.as_str()),
            Some("clawauth status --host gw")
        );
    }

    #[test]
    fn reauth_links_are_percent_encoded() {
        assert_eq!(
            reauth_link("gw", "anthropic", None),
            "clawauth://reauth?host=gw"
        );
        let l = reauth_link("gw", "evil&host=x y\u{1b}", Some("work"));
        assert_eq!(
            l,
            "clawauth://reauth?host=gw&provider=evil%26host%3Dx%20y%1B&agent=work"
        );
        let provider = l
            .split("provider=")
            .nth(1)
            .and_then(|v| v.split('&').next());
        assert_eq!(
            provider.and_then(crate::display::percent_decode).as_deref(),
            Some("evil&host=x y\u{1b}")
        );
    }

    #[test]
    fn long_lived_tokens_are_setup_tokens() {
        let p = Policy::default();
        assert_eq!(
            class_of(CredentialType::Token, Some(365 * D), &p),
            Class::SetupToken
        );
        assert_eq!(
            class_of(CredentialType::Token, Some(29 * D), &p),
            Class::Token
        );
        assert_eq!(class_of(CredentialType::Token, None, &p), Class::Token);
        assert_eq!(
            class_of(CredentialType::OAuth, Some(365 * D), &p),
            Class::Oauth
        );
        assert_eq!(class_of(CredentialType::ApiKey, None, &p), Class::ApiKey);
    }
}
