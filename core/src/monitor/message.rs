//! The words of an alert: title, Markdown body, priority, tags, the page a tap opens, actions,
//! and the sequence id that makes ntfy update one notification in place. Every alert names the
//! host, agent, provider, profile, the time left and the exact commands that fix it.

use serde::Serialize;
use sha2::Digest;

use super::config::Policy;
use super::decide::Kind;
use super::observe::{Level, Observation, What};
use super::state::Sent;
use crate::time::{format_moment, format_remaining};

/// A button on the notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub label: String,
    pub url: String,
}

/// One alert, ready for any notifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub key: String,
    pub host: String,
    pub level: Level,
    pub kind: Kind,
    pub title: String,
    /// Markdown.
    pub body: String,
    /// The same without Markdown (for programs and terminal notifications).
    pub text: String,
    /// 1 (min) … 5 (urgent).
    pub priority: u8,
    pub tags: Vec<String>,
    pub click: Option<String>,
    /// At most three.
    pub actions: Vec<Action>,
    /// Stable per subject: reminders, escalations and the recovery replace one notification.
    pub sequence_id: String,
    /// The clawauth command that fixes it (for a notification button).
    pub fix: Option<String>,
}

/// `clawauth-` and 20 hex digits of the subject key's SHA-256: what ntfy accepts as a
/// sequence id, and no host or profile name leaks into it.
pub fn sequence_id(key: &str) -> String {
    let d = sha2::Sha256::digest(key.as_bytes());
    format!("clawauth-{}", &crate::fsutil::hex(&d)[..20])
}

/// The priority of an alert.
pub fn priority(o: &Observation, kind: Kind, policy: &Policy) -> u8 {
    let p = &policy.priorities;
    if kind == Kind::Recovered {
        return p.recovered;
    }
    match o.level {
        Level::Ok => p.recovered,
        Level::Expiring if o.last_threshold => p.expiring,
        Level::Expiring => p.notice,
        Level::Expired | Level::Missing => p.expired,
        Level::Unreachable => p.unreachable,
    }
}

/// `anthropic:manual` / `anthropic` / `OpenClaw` / the host.
fn name(o: &Observation) -> String {
    match &o.what {
        What::Credential { profile_id, .. } => profile_id.clone(),
        What::Provider { provider } => format!("{provider} credentials"),
        What::OpenClaw => "OpenClaw".to_owned(),
        What::Host => o.host.clone(),
    }
}

fn provider(o: &Observation) -> Option<&str> {
    match &o.what {
        What::Credential { provider, .. } | What::Provider { provider } => Some(provider),
        _ => None,
    }
}

/// The title: `gw: anthropic:manual expired`, `gw: anthropic:manual expires in 6d 23h`, …
fn title(o: &Observation, kind: Kind) -> String {
    let host = &o.host;
    let n = name(o);
    if o.what == What::Host {
        return match o.level {
            Level::Ok => format!("{host} is reachable again"),
            _ => format!("{host} is unreachable"),
        };
    }
    if kind == Kind::Recovered {
        return format!("{host}: {n} is fixed");
    }
    match o.level {
        Level::Expiring => match o.remaining_ms {
            Some(ms) => format!("{host}: {n} expires in {}", format_remaining(ms)),
            None => format!("{host}: {n} expires soon"),
        },
        Level::Expired => format!("{host}: {n} expired"),
        Level::Missing if o.what == What::OpenClaw => {
            format!("{host}: OpenClaw cannot check credentials")
        }
        Level::Missing => format!("{host}: {n} missing"),
        Level::Unreachable => format!("{host} is unreachable"),
        Level::Ok => format!("{host}: {n} is fine"),
    }
}

/// Builds the alert of `kind` about `o`. `last` is what this notifier was told before (for
/// "since"), `failures` the host's consecutive failed runs.
pub fn build(
    o: &Observation,
    kind: Kind,
    last: Option<&Sent>,
    policy: &Policy,
    now_ms: i64,
    failures: u32,
) -> Message {
    let mut md = Vec::<String>::new();
    let mut text = Vec::<String>::new();
    let mut both = |m: String, t: String| {
        md.push(m);
        text.push(t);
    };
    let agent = o.agent.as_deref().unwrap_or("main");
    let since = last
        .filter(|s| s.level.is_bad())
        .map(|s| s.since_ms)
        .unwrap_or(now_ms);
    match (&o.what, o.level) {
        (What::Host, Level::Ok) => both(
            format!("clawauth reads **{}** again.", o.host),
            format!("clawauth reads {} again.", o.host),
        ),
        (What::Host, _) => {
            both(
                format!(
                    "clawauth could not read **{}** in {failures} runs in a row: {}",
                    o.host, o.detail
                ),
                format!(
                    "clawauth could not read {} in {failures} runs in a row: {}",
                    o.host, o.detail
                ),
            );
            both(
                "Its credentials may be fine, but nobody is watching them until it answers."
                    .to_owned(),
                "Its credentials may be fine, but nobody is watching them until it answers."
                    .to_owned(),
            );
        }
        (What::OpenClaw, _) if kind != Kind::Recovered => both(
            format!(
                "OpenClaw on **{}** (agent {agent}) cannot check its credentials: {}",
                o.host, o.detail
            ),
            format!(
                "OpenClaw on {} (agent {agent}) cannot check its credentials: {}",
                o.host, o.detail
            ),
        ),
        _ => {
            let what = match &o.what {
                What::Credential { label, class, .. } => {
                    format!("**{label}** ({})", class.as_str())
                }
                What::Provider { provider } => format!("**{provider}** (no stored profile)"),
                _ => format!("**{}**", name(o)),
            };
            let state = if kind == Kind::Recovered {
                format!("is fine again: {}", o.detail)
            } else {
                match o.level {
                    Level::Expiring => format!(
                        "{}{}",
                        o.detail,
                        o.threshold
                            .as_deref()
                            .map(|t| format!(" — within the {t} warning"))
                            .unwrap_or_default()
                    ),
                    _ => o.detail.clone(),
                }
            };
            let provider = provider(o)
                .map(|p| format!(", provider {p}"))
                .unwrap_or_default();
            let line = format!(
                "{what} on **{}** (agent {agent}{provider}) {state}.",
                o.host
            );
            both(line.clone(), line.replace("**", ""));
            if !o.serves.is_empty() && kind != Kind::Recovered {
                let s = format!("Serves: {}.", o.serves.join(", "));
                both(s.clone(), s);
            }
        }
    }
    if kind == Kind::Reminder {
        let n = last.map_or(1, |s| s.count) + 1;
        let s = format!(
            "Reminder {n}: still {}; first alerted {} ({} ago).",
            o.level.as_str(),
            format_moment(since),
            format_remaining(now_ms - since)
        );
        both(s.clone(), s);
    }
    if kind != Kind::Recovered && o.level.is_bad() {
        if let Some(c) = &o.fixes.clawauth {
            both(
                format!("Fix with clawauth: `{c}`"),
                format!("Fix with clawauth: {c}"),
            );
        }
        if let Some(c) = &o.fixes.gateway {
            both(
                format!("Or on the gateway: `{c}`"),
                format!("Or on the gateway: {c}"),
            );
        }
    }
    let mut tags = vec![
        match (kind, o.level) {
            (Kind::Recovered, _) | (_, Level::Ok) => "white_check_mark",
            (_, Level::Expired | Level::Missing) => "rotating_light",
            (_, Level::Unreachable) => "electric_plug",
            (_, Level::Expiring) if o.last_threshold => "warning",
            (_, Level::Expiring) => "hourglass_flowing_sand",
        }
        .to_owned(),
        o.host.clone(),
    ];
    if let Some(p) = provider(o) {
        tags.push(p.to_owned());
    }
    let mut actions = Vec::new();
    if kind != Kind::Recovered && o.level.is_bad() {
        if let Some(page) = &o.page {
            actions.push(Action {
                label: "Open key page".to_owned(),
                url: page.clone(),
            });
        }
        if let Some(link) = &o.reauth_link {
            actions.push(Action {
                label: "Re-auth".to_owned(),
                url: link.clone(),
            });
        }
    }
    actions.truncate(3);
    let click = if kind == Kind::Recovered || !o.level.is_bad() {
        None
    } else {
        let api_key = matches!(
            &o.what,
            What::Credential {
                class: super::observe::Class::ApiKey,
                ..
            }
        );
        if api_key {
            o.page.clone().or_else(|| o.reauth_link.clone())
        } else {
            o.reauth_link.clone().or_else(|| o.page.clone())
        }
    };
    Message {
        key: o.key.clone(),
        host: o.host.clone(),
        level: o.level,
        kind,
        title: title(o, kind),
        body: md.join("\n\n"),
        text: text.join("\n"),
        priority: priority(o, kind, policy),
        tags,
        click,
        actions,
        sequence_id: sequence_id(&o.key),
        fix: if o.level.is_bad() && kind != Kind::Recovered {
            o.fixes.clawauth.clone()
        } else {
            None
        },
    }
}

/// The alert `clawauth monitor test` sends: priority default, nothing to fix.
pub fn test_message(host: &str) -> Message {
    Message {
        key: format!("{host}/test"),
        host: host.to_owned(),
        level: Level::Ok,
        kind: Kind::Recovered,
        title: format!("clawauth test alert from {host}"),
        body: format!(
            "If you read this, clawauth's alerts from **{host}** reach you. Nothing needs fixing."
        ),
        text: format!(
            "If you read this, clawauth's alerts from {host} reach you. Nothing needs fixing."
        ),
        priority: 3,
        tags: vec!["white_check_mark".to_owned(), "test".to_owned()],
        click: None,
        actions: Vec::new(),
        sequence_id: sequence_id(&format!("{host}/test")),
        fix: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::observe::{Class, Fixes};

    fn credential(level: Level, remaining: Option<i64>) -> Observation {
        Observation {
            key: "gw/main/anthropic:manual".into(),
            host: "gw".into(),
            agent: Some("main".into()),
            what: What::Credential {
                profile_id: "anthropic:manual".into(),
                label: "anthropic:manual".into(),
                provider: "anthropic".into(),
                class: Class::SetupToken,
            },
            level,
            threshold_ms: Some(86_400_000),
            threshold: Some("24h".into()),
            last_threshold: true,
            expires_at_ms: None,
            remaining_ms: remaining,
            serves: vec!["default anthropic/claude-opus-4-6".into()],
            detail: "expires in 11h 59m (2026-11-21 22:00 UTC)".into(),
            fixes: Fixes {
                clawauth: Some("clawauth reauth --host gw".into()),
                gateway: Some(
                    "claude setup-token && openclaw models auth paste-token --provider anthropic"
                        .into(),
                ),
            },
            page: Some("https://console.anthropic.com/settings/keys".into()),
            reauth_link: Some("clawauth://reauth?host=gw".into()),
        }
    }

    #[test]
    fn an_expiring_alert_names_everything() {
        let o = credential(Level::Expiring, Some(11 * 3_600_000 + 59 * 60_000));
        let m = build(&o, Kind::Problem, None, &Policy::default(), 0, 0);
        assert_eq!(m.title, "gw: anthropic:manual expires in 11h 59m");
        assert_eq!(m.priority, 4);
        for needle in [
            "**anthropic:manual** (setup-token) on **gw** (agent main, provider anthropic)",
            "expires in 11h 59m",
            "within the 24h warning",
            "Serves: default anthropic/claude-opus-4-6.",
            "`clawauth reauth --host gw`",
            "`claude setup-token && openclaw models auth paste-token --provider anthropic`",
        ] {
            assert!(m.body.contains(needle), "{needle:?} not in {}", m.body);
        }
        assert!(
            !m.text.contains("**") && !m.text.contains('`'),
            "{}",
            m.text
        );
        assert_eq!(m.tags, vec!["warning", "gw", "anthropic"]);
        assert_eq!(m.click.as_deref(), Some("clawauth://reauth?host=gw"));
        assert_eq!(m.actions.len(), 2);
        assert_eq!(m.sequence_id, sequence_id("gw/main/anthropic:manual"));
        assert_eq!(m.sequence_id.len(), "clawauth-".len() + 20);
    }

    #[test]
    fn priorities_follow_the_level() {
        let p = Policy::default();
        let mut o = credential(Level::Expired, Some(-60_000));
        assert_eq!(build(&o, Kind::Worse, None, &p, 0, 0).priority, 5);
        o.level = Level::Expiring;
        o.last_threshold = false;
        assert_eq!(build(&o, Kind::Problem, None, &p, 0, 0).priority, 3);
        o.level = Level::Ok;
        let m = build(&o, Kind::Recovered, None, &p, 0, 0);
        assert_eq!(
            (m.priority, m.title.as_str()),
            (3, "gw: anthropic:manual is fixed")
        );
        assert!(m.actions.is_empty() && m.click.is_none() && m.fix.is_none());
    }
}
