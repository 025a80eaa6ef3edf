//! The words of an alert: title, Markdown body, priority, tags, the page a tap opens, actions,
//! and the sequence id that makes ntfy update one notification in place. Every alert names the
//! host, agent, provider, profile, the time left and the exact commands that fix it.
//!
//! Every name and detail in an observation comes from a gateway or a state file: each is made
//! [`visible`] where it enters the alert, and in the Markdown body also stripped of the
//! characters that would format it ([`md`]), so a profile label can neither start a line, move
//! the cursor on a terminal that shows the alert, nor turn into a link.

use serde::Serialize;
use sha2::Digest;

use super::config::Policy;
use super::decide::Kind;
use super::observe::{Level, Observation, What};
use super::state::Sent;
use crate::display::visible;
use crate::report::FixCommand;
use crate::time::{expires_in, format_moment, format_remaining};

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
    pub fix: Option<FixCommand>,
}

/// Outside text for the Markdown body: [`visible`], with the characters that would emphasise,
/// link or quote it escaped with a backslash (CommonMark's backslash escapes).
pub fn md(s: &str) -> String {
    let v = visible(s);
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '~' | '|' | '#' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A command as a Markdown code span: fenced by more backticks than it holds in a row (with a
/// space inside when it starts or ends with one), so a backtick in a quoted word cannot end it.
pub fn code(line: &str) -> String {
    let longest = line.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if line.starts_with('`') || line.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{line}{pad}{fence}")
}

/// A tag for ntfy's comma-separated `Tags` header: kept only when it is a plain word.
fn tag(s: &str) -> Option<String> {
    (!s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')))
    .then(|| s.to_owned())
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

/// `anthropic:manual` / `anthropic` / `OpenClaw` / the host (raw: callers escape).
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
    visible(&raw_title(o, kind)).into_owned()
}

fn raw_title(o: &Observation, kind: Kind) -> String {
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
            Some(ms) => format!("{host}: {n} {}", expires_in(ms)),
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

/// A piece of an alert's line.
enum Part<'a> {
    /// clawauth's own words (no control characters, no Markdown).
    Ours(&'a str),
    /// A name or detail from a gateway or a state file.
    Theirs(&'a str),
    /// Like [`Part::Theirs`], bold in Markdown.
    Bold(&'a str),
    /// A command line to copy (already quoted and [`visible`]).
    Code(&'a str),
}

/// The body, as Markdown (ntfy) and as plain text (programs, terminal notifications).
#[derive(Default)]
struct Body {
    md: Vec<String>,
    text: Vec<String>,
}

impl Body {
    fn line(&mut self, parts: &[Part<'_>]) {
        let (mut m, mut t) = (String::new(), String::new());
        for p in parts {
            match p {
                Part::Ours(s) => {
                    m.push_str(s);
                    t.push_str(s);
                }
                Part::Theirs(s) => {
                    m.push_str(&md(s));
                    t.push_str(&visible(s));
                }
                Part::Bold(s) => {
                    m.push_str(&format!("**{}**", md(s)));
                    t.push_str(&visible(s));
                }
                Part::Code(s) => {
                    m.push_str(&code(s));
                    t.push_str(s);
                }
            }
        }
        self.md.push(m);
        self.text.push(t);
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
    use Part::{Bold, Code, Ours, Theirs};
    let mut body = Body::default();
    let agent = o.agent.as_deref().unwrap_or("main");
    let since = last
        .filter(|s| s.level.is_bad())
        .map(|s| s.since_ms)
        .unwrap_or(now_ms);
    match (&o.what, o.level) {
        (What::Host, Level::Ok) => {
            body.line(&[Ours("clawauth reads "), Bold(&o.host), Ours(" again.")])
        }
        (What::Host, _) => {
            body.line(&[
                Ours("clawauth could not read "),
                Bold(&o.host),
                Ours(&format!(" in {failures} runs in a row: ")),
                Theirs(&o.detail),
            ]);
            body.line(&[Ours(
                "Its credentials may be fine, but nobody is watching them until it answers.",
            )]);
        }
        (What::OpenClaw, _) if kind != Kind::Recovered => body.line(&[
            Ours("OpenClaw on "),
            Bold(&o.host),
            Ours(" (agent "),
            Theirs(agent),
            Ours(") cannot check its credentials: "),
            Theirs(&o.detail),
        ]),
        _ => {
            let n = name(o);
            let (who, what) = match &o.what {
                What::Credential { label, class, .. } => {
                    (label.as_str(), format!(" ({})", class.as_str()))
                }
                What::Provider { provider } => {
                    (provider.as_str(), " (no stored profile)".to_owned())
                }
                _ => (n.as_str(), String::new()),
            };
            let state = if kind == Kind::Recovered {
                "is fine again: "
            } else {
                ""
            };
            let warning = match (kind, o.level, o.threshold.as_deref()) {
                (Kind::Recovered, _, _) => String::new(),
                (_, Level::Expiring, Some(t)) => format!(" — within the {t} warning"),
                _ => String::new(),
            };
            let provider = provider(o);
            body.line(&[
                Bold(who),
                Ours(&what),
                Ours(" on "),
                Bold(&o.host),
                Ours(" (agent "),
                Theirs(agent),
                Ours(if provider.is_some() {
                    ", provider "
                } else {
                    ""
                }),
                Theirs(provider.unwrap_or_default()),
                Ours(") "),
                Ours(state),
                Theirs(&o.detail),
                Ours(&warning),
                Ours("."),
            ]);
            if !o.serves.is_empty() && kind != Kind::Recovered {
                body.line(&[Ours("Serves: "), Theirs(&o.serves.join(", ")), Ours(".")]);
            }
        }
    }
    if kind == Kind::Reminder {
        let n = last.map_or(1, |s| s.count).saturating_add(1);
        body.line(&[Ours(&format!(
            "Reminder {n}: still {}; first alerted {} ({} ago).",
            o.level.as_str(),
            format_moment(since),
            format_remaining(now_ms.saturating_sub(since))
        ))]);
    }
    if kind != Kind::Recovered && o.level.is_bad() {
        if let Some(c) = &o.fixes.clawauth {
            body.line(&[Ours("Fix with clawauth: "), Code(&c.line)]);
        }
        if let Some(c) = &o.fixes.gateway {
            body.line(&[Ours("Or on the gateway: "), Code(&c.line)]);
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
    ];
    tags.extend(tag(&o.host));
    tags.extend(provider(o).and_then(tag));
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
        body: body.md.join("\n\n"),
        text: body.text.join("\n"),
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
    let shown = visible(host);
    Message {
        key: format!("{host}/test"),
        host: host.to_owned(),
        level: Level::Ok,
        kind: Kind::Recovered,
        title: format!("clawauth test alert from {shown}"),
        body: format!(
            "If you read this, clawauth's alerts from **{}** reach you. Nothing needs fixing.",
            md(host)
        ),
        text: format!(
            "If you read this, clawauth's alerts from {shown} reach you. Nothing needs fixing."
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
    use crate::report::Renewal;

    const RENEWAL: Renewal<'static> = Renewal {
        auth: "anthropic",
        kind: None,
        profile_id: None,
        agent: None,
    };

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
                clawauth: Some(RENEWAL.clawauth(Some("gw"))),
                gateway: Some(RENEWAL.openclaw()),
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
            "`claude setup-token && openclaw models auth paste-token --provider anthropic --expires-in 365d`",
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

    /// A hostile gateway's names and details: visible in the title and plain text, inert in
    /// Markdown, no extra tag, the fix quoted and a backtick unable to end its code span.
    #[test]
    fn hostile_names_cannot_format_or_drive_the_alert() {
        let mut o = credential(Level::Expired, Some(-60_000));
        let evil =
            "x\u{1b}[2J\u{7}\r\n✓ OK **fine** [tap](https://evil) `rm`\u{9b}31m\u{7f}\u{202e}";
        o.what = What::Credential {
            profile_id: format!("anthropic:{evil}"),
            label: evil.into(),
            provider: "anthr,opic".into(),
            class: Class::Token,
        };
        o.detail = evil.into();
        o.serves = vec![format!("default {evil}")];
        let r = Renewal {
            auth: "anthr,opic`x",
            kind: None,
            profile_id: Some(evil),
            agent: None,
        };
        o.fixes = Fixes {
            clawauth: Some(r.clawauth(Some("gw"))),
            gateway: Some(r.openclaw()),
        };
        let m = build(&o, Kind::Problem, None, &Policy::default(), 0, 0);
        for (what, s) in [("title", &m.title), ("text", &m.text), ("body", &m.body)] {
            assert!(
                !s.chars().any(|c| crate::display::is_hidden(c) && c != '\n'),
                "{what}: {s:?}"
            );
        }
        assert!(!m.title.contains('\n'), "{:?}", m.title);
        assert_eq!(m.text.lines().count(), 4, "one line per part: {}", m.text);
        assert!(m.text.contains("x\\e[2J\\a\\r\\n✓ OK"), "{}", m.text);
        assert!(
            !m.body.contains("**fine**") && !m.body.contains("[tap]"),
            "{}",
            m.body
        );
        assert!(m.body.contains("\\*\\*fine\\*\\* \\[tap\\]"), "{}", m.body);
        assert_eq!(m.tags, vec!["rotating_light", "gw"], "no tag from a comma");
        assert!(
            m.body
                .contains("``clawauth reauth --host gw --provider 'anthr,opic`x'``"),
            "{}",
            m.body
        );
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
    }
}
