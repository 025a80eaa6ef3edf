//! The human report: verdict first, then per agent its routes and profiles, Claude Code's own
//! login, and the commands that fix what is wrong. Color only when the caller says so (a
//! terminal without `NO_COLOR`).
//!
//! Every string in a Report may come from outside — a gateway's clawauth writes the whole
//! document, OpenClaw's state names the profiles and models — so each field is made visible
//! ([`v`]) where it is written into a line: a label holding `ESC[2J`, a carriage return or a
//! line feed with a fake `✓ OK` after it shows as `\e[2J`, `\r`, `\n`, never as a cleared
//! screen or a second line. clawauth's own colours are added afterwards, so they stay.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::{AgentReport, ExternalCredential, RemoteSource, Report, RunsOn, Verdict};
use crate::display::visible as v;
use crate::health::{ProfileStatus, RouteOutcome};
use crate::time::{format_remaining, format_window};

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    fn magenta(&self, s: &str) -> String {
        self.paint("35", s)
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }

    fn verdict(&self, v: Verdict) -> String {
        match v {
            Verdict::Ok => self.green("✓ OK"),
            Verdict::Expiring => self.yellow("! EXPIRING"),
            Verdict::Expired => self.red("✗ EXPIRED"),
            Verdict::Unknown => self.magenta("? UNKNOWN"),
        }
    }

    fn outcome(&self, o: RouteOutcome) -> String {
        let text = format!("{:<13}", o.as_str());
        match o {
            RouteOutcome::Ok => self.green(&text),
            RouteOutcome::Expiring => self.yellow(&text),
            RouteOutcome::NeedsCli => self.magenta(&text),
            RouteOutcome::Indeterminate | RouteOutcome::Missing | RouteOutcome::Incompatible => {
                self.red(&text)
            }
        }
    }

    fn status(&self, s: ProfileStatus) -> String {
        let text = format!("{:<9}", s.as_str());
        match s {
            ProfileStatus::Ok | ProfileStatus::Static => self.green(&text),
            ProfileStatus::Expiring => self.yellow(&text),
            ProfileStatus::Expired | ProfileStatus::Missing => self.red(&text),
        }
    }
}

fn remaining(ms: i64) -> String {
    if ms > 0 {
        format!("{} left", format_remaining(ms))
    } else {
        format!("expired {} ago", format_remaining(ms))
    }
}

/// Renders the report for a person.
pub fn render(report: &Report, color: bool) -> String {
    let st = Style { color };
    let mut out = String::new();
    let as_of = if report.as_of == report.taken_at {
        format!("now ({})", report.as_of.format("%Y-%m-%d %H:%M UTC"))
    } else {
        format!("{} (forecast)", report.as_of.format("%Y-%m-%d %H:%M UTC"))
    };
    let _ = writeln!(
        out,
        "{}  {}",
        st.bold(&v(&report.host)),
        st.dim(&format!(
            "as of {as_of} · warn window {}",
            format_window(report.warn_after_ms)
        ))
    );
    let _ = writeln!(
        out,
        "{} — {}",
        st.bold(&st.verdict(report.verdict)),
        v(&headline(report))
    );
    if let Some(last) = &report.last_good {
        let _ = writeln!(
            out,
            "{}",
            st.dim(&format!(
                "last good check {} ago ({}): {} — {}",
                format_remaining(last.age_ms),
                last.kept_at.format("%Y-%m-%d %H:%M UTC"),
                last.verdict.as_str(),
                v(&last.headline)
            ))
        );
    }
    if !report.state_dir.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            st.dim(&if report.config_path.is_empty() {
                format!("OpenClaw state {}", v(&report.state_dir))
            } else {
                format!(
                    "OpenClaw state {} · config {}",
                    v(&report.state_dir),
                    v(&report.config_path)
                )
            })
        );
    }
    if let Some(via) = &report.via {
        via_line(&mut out, &st, via);
    }

    for a in &report.agents {
        agent_section(&mut out, &st, a);
    }
    if let Some(c) = &report.claude_code {
        external_section(&mut out, &st, "Claude Code", c);
    }
    if let Some(c) = &report.codex {
        external_section(&mut out, &st, "Codex", c);
    }
    if !report.errors.is_empty() {
        let title = if report.via.is_some() {
            "Could not check"
        } else {
            "Could not read"
        };
        let _ = writeln!(out, "\n{}", st.bold(title));
        for e in &report.errors {
            let mut lines = error_lines(report, e).into_iter();
            let _ = writeln!(
                out,
                "  {} {}",
                st.red("✗"),
                lines.next().unwrap_or_default()
            );
            for more in lines {
                let _ = writeln!(out, "    {more}");
            }
        }
    }
    if !report.hints.is_empty() {
        let _ = writeln!(out, "\n{}", st.bold("To fix"));
        fix_lines(&mut out, &st, report);
    }
    out
}

/// The report's fixes, as the human report's "To fix" section lists them: each problem, then
/// its commands, the one to try first first (over SSH the one to run here, then the gateway's,
/// labelled). For front ends that print a report's advice after something else (sync's
/// re-check).
pub fn fixes(report: &Report, color: bool) -> String {
    let mut out = String::new();
    fix_lines(&mut out, &Style { color }, report);
    out
}

fn fix_lines(out: &mut String, st: &Style, report: &Report) {
    let remote = report.remote_host().is_some();
    for h in &report.hints {
        let _ = writeln!(out, "  {} {}", st.dim("•"), v(&h.about));
        if h.commands.is_empty() {
            let _ = writeln!(out, "    {}", st.bold(&v(&h.command)));
        }
        for c in &h.commands {
            let label = match c.runs_on {
                RunsOn::Gateway if remote => "on the gateway: ",
                _ => "",
            };
            let _ = writeln!(out, "    {label}{}", st.bold(&v(&c.line)));
        }
    }
}

/// An error's lines, each made visible. clawauth's own messages may span lines (a changed
/// host key shows both fingerprints); a gateway's clawauth wrote its errors itself, so there
/// a line break is data, shown as `\n` on one line.
fn error_lines<'a>(report: &Report, e: &'a str) -> Vec<Cow<'a, str>> {
    let theirs = report
        .via
        .as_ref()
        .is_some_and(|via| via.source == RemoteSource::Clawauth);
    if theirs {
        vec![v(e)]
    } else {
        e.lines().map(v).collect()
    }
}

fn via_line(out: &mut String, st: &Style, via: &super::Via) {
    let source = match via.source {
        RemoteSource::Clawauth => "answered by clawauth on the gateway",
        RemoteSource::OpenclawCli => "answered by `openclaw models status` on the gateway",
        RemoteSource::Files => "evaluated here from the gateway's files",
        RemoteSource::None => "no source answered",
    };
    let skew = match via.clock_skew_ms {
        Some(ms) if ms.unsigned_abs() >= 1000 => format!(
            " · gateway clock {}{}",
            if ms > 0 { "+" } else { "-" },
            format_remaining(ms)
        ),
        Some(_) => " · clocks agree".to_owned(),
        None => String::new(),
    };
    let line = if via.source == RemoteSource::None && via.connect_ms == 0 {
        format!("via {} {} · not reached", via.transport, via.destination)
    } else {
        format!(
            "via {} {} (connected in {} ms) · {source}{skew}",
            via.transport, via.destination, via.connect_ms
        )
    };
    let _ = writeln!(out, "{}", st.dim(&v(&line)));
    for s in &via.skipped {
        let _ = writeln!(out, "{}", st.dim(&format!("  skipped {}", v(s))));
    }
    for w in &via.warnings {
        let _ = writeln!(out, "{} {}", st.yellow("!"), v(w));
    }
    if let Some(ms) = via.clock_skew_ms
        && ms.unsigned_abs() >= 5 * 60 * 1000
    {
        let _ = writeln!(
            out,
            "{} the gateway's clock is off by {}: OpenClaw judges expiry by it (fix with NTP: `timedatectl set-ntp true`)",
            st.yellow("!"),
            format_remaining(ms)
        );
    }
}

/// The one line that says what a report comes to.
pub fn headline(report: &Report) -> String {
    if let Some(e) = report.errors.first() {
        let lines = error_lines(report, e);
        let first = lines.first().map(Cow::as_ref).unwrap_or_default();
        return if report.via.is_some() || first.starts_with(super::NO_OPENCLAW_HERE) {
            first.to_owned()
        } else {
            format!("could not read the state: {first}")
        };
    }
    let agents = &report.agents;
    if let Some(n) = agents
        .iter()
        .flat_map(|a| a.notes.iter())
        .find(|n| n.starts_with("no OpenClaw state"))
    {
        return n.clone();
    }
    for a in agents.iter().filter(|a| a.verdict == report.verdict) {
        if let Some(e) = &a.openclaw_error {
            return format!("OpenClaw refuses: {}", e.message);
        }
        let prefix = if agents.len() > 1 {
            format!("agent {}: ", a.agent)
        } else {
            String::new()
        };
        let route = a.routes.iter().find(|r| match report.verdict {
            Verdict::Expired => r.outcome.fails(),
            Verdict::Expiring => r.outcome == RouteOutcome::Expiring,
            Verdict::Unknown => r.outcome == RouteOutcome::NeedsCli,
            Verdict::Ok => false,
        });
        if let Some(r) = route {
            let left = r
                .profile
                .as_ref()
                .and_then(|id| a.profiles.iter().find(|p| &p.profile_id == id))
                .and_then(|p| p.remaining_ms)
                .map(|ms| format!(" ({})", remaining(ms)))
                .unwrap_or_default();
            return format!(
                "{prefix}{} route {}: {}{left}",
                r.kind.as_str(),
                r.model,
                r.detail
            );
        }
        if report.verdict == Verdict::Unknown
            && let Some(n) = a.notes.first()
        {
            return format!("{prefix}{n}");
        }
    }
    match report.verdict {
        Verdict::Ok => "every model route has a working credential".to_owned(),
        Verdict::Unknown => "no agent could be checked".to_owned(),
        _ => "see below".to_owned(),
    }
}

fn agent_section(out: &mut String, st: &Style, a: &AgentReport) {
    let source = match (&a.cli, &a.store_path) {
        (Some(c), _) => format!(
            "via `openclaw models status --json --check` ({} ms)",
            c.duration_ms
        ),
        (None, Some(p)) => format!("read directly from {}", v(p)),
        (None, None) => "direct".to_owned(),
    };
    let _ = writeln!(
        out,
        "\n{} {}  {}",
        st.bold("Agent"),
        st.bold(&v(&a.agent)),
        st.dim(&source)
    );
    if let Some(e) = &a.openclaw_error {
        let _ = writeln!(
            out,
            "  {} OpenClaw refuses to check this state: {}",
            st.red("✗"),
            v(&e.message)
        );
    }
    if !a.routes.is_empty() {
        let _ = writeln!(out, "  Routes");
        let models: Vec<String> = a
            .routes
            .iter()
            .map(|r| match &r.runtime {
                Some(rt) => format!("{} [{}]", v(&r.model), v(rt)),
                None => v(&r.model).into_owned(),
            })
            .collect();
        let model_w = models.iter().map(|m| m.chars().count()).max().unwrap_or(0);
        for (r, model) in a.routes.iter().zip(&models) {
            let profile = r
                .profile
                .as_ref()
                .and_then(|id| a.profiles.iter().find(|p| &p.profile_id == id));
            let detail = match (profile, r.outcome) {
                (Some(p), RouteOutcome::Ok | RouteOutcome::Expiring) => {
                    let left = p
                        .remaining_ms
                        .map(|ms| format!(", {}", remaining(ms)))
                        .unwrap_or_default();
                    format!("{} ({}{left})", v(&p.profile_id), p.status.as_str())
                }
                (None, RouteOutcome::Ok) => r.via.as_deref().map_or_else(
                    || v(&r.detail).into_owned(),
                    |via| format!("via {}", v(via)),
                ),
                _ => v(&r.detail).into_owned(),
            };
            let _ = writeln!(
                out,
                "    {} {:<15} {model:<model_w$}  {detail}",
                st.outcome(r.outcome),
                r.kind.as_str(),
            );
        }
    }
    if !a.profiles.is_empty() {
        let _ = writeln!(out, "  Profiles");
        let labels: Vec<Cow<'_, str>> = a.profiles.iter().map(|p| v(&p.label)).collect();
        let label_w = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let routed: Vec<&str> = a
            .routes
            .iter()
            .filter_map(|r| r.profile.as_deref())
            .collect();
        for (p, label) in a.profiles.iter().zip(&labels) {
            let expiry = match (p.expires_at_ms, p.remaining_ms) {
                (Some(at), Some(left)) => {
                    format!("{} ({})", remaining(left), crate::time::format_moment(at))
                }
                _ if p.status == ProfileStatus::Static => "no expiry".to_owned(),
                _ => p
                    .reason_code
                    .as_deref()
                    .map(|r| v(r).replace('_', " "))
                    .unwrap_or_else(|| "expiry unknown".to_owned()),
            };
            let unusable = a
                .unusable_profiles
                .iter()
                .find(|u| u.profile_id == p.profile_id)
                .map(|u| {
                    format!(
                        " [{}{} {}]",
                        v(&u.kind),
                        u.reason
                            .as_deref()
                            .map(|r| format!(":{}", v(r)))
                            .unwrap_or_default(),
                        format_remaining(u.remaining_ms)
                    )
                })
                .unwrap_or_default();
            let mut extra = String::new();
            match p.source.as_ref() {
                "claude-code" => extra.push_str(" (Claude Code's login)"),
                "minimax-cli" => extra.push_str(" (MiniMax CLI's login)"),
                _ => {}
            }
            if !a.routes.is_empty() && !routed.contains(&p.profile_id.as_str()) {
                extra.push_str(" · not used by any route");
            }
            let _ = writeln!(
                out,
                "    {} {:<8} {label:<label_w$}  {expiry}{unusable}{}",
                st.status(p.status),
                p.kind.as_str(),
                st.dim(&extra)
            );
        }
    } else if a.openclaw_error.is_none() && (a.cli.is_some() || a.store_path.is_some()) {
        let _ = writeln!(out, "  {}", st.dim("no stored profiles"));
    }
    for n in &a.notes {
        let _ = writeln!(out, "  {} {}", st.dim("note:"), v(n));
    }
}

fn external_section(out: &mut String, st: &Style, name: &str, c: &ExternalCredential) {
    let _ = writeln!(
        out,
        "\n{} {}",
        st.bold(name),
        st.dim(&format!("({})", v(&c.path)))
    );
    if let Some(e) = &c.error {
        let _ = writeln!(out, "  {} {}", st.red("✗"), v(e));
        return;
    }
    let mut facts = Vec::new();
    if let Some(s) = &c.subscription {
        facts.push(format!("subscription {}", v(s)));
    }
    if let Some(t) = &c.rate_limit_tier {
        facts.push(format!("rate tier {}", v(t)));
    }
    if let Some(e) = &c.email {
        facts.push(v(e).into_owned());
    }
    if let Some(k) = &c.kind {
        facts.push(format!("{} login", v(k)));
    }
    if !facts.is_empty() {
        let _ = writeln!(out, "  {}", facts.join(" · "));
    }
    let expiry = match (c.expires_at_ms, c.remaining_ms) {
        (Some(at), Some(left)) => {
            format!("{} ({})", remaining(left), crate::time::format_moment(at))
        }
        _ => "no expiry recorded".to_owned(),
    };
    if let Some(s) = c.status {
        let _ = writeln!(out, "  {} {expiry}", st.status(s));
    }
    if name == "Claude Code" {
        let _ = writeln!(
            out,
            "  {}",
            st.dim("OpenClaw 2026.9 does not read this file; it matters for `claude setup-token` and the claude-cli runtime")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::display::is_hidden;

    /// Text a hostile gateway puts in every string: clear screen, bell, CR and LF with a fake
    /// verdict line, C1 CSI, DEL, a right-to-left override, and shell syntax.
    const EVIL: &str =
        "x\u{1b}[2J\u{1b}]0;owned\u{7}\r\n✓ OK — fine\u{9b}31m\u{7f}\u{202e}$(reboot);'";

    /// The colours this renderer writes; any other ESC is foreign.
    const OURS: [&str; 7] = [
        "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[35m", "\x1b[1m", "\x1b[2m", "\x1b[0m",
    ];

    /// `text` holds no hidden character but line feeds and (with `color`) our own SGR codes.
    pub fn assert_inert(text: &str, color: bool) {
        let mut rest = text;
        while let Some(i) = rest.find('\u{1b}') {
            let at = &rest[i..];
            let ours = OURS.iter().find(|c| at.starts_with(*c));
            assert!(
                color && ours.is_some(),
                "a foreign ESC at {:?}",
                &at[..at.len().min(20)]
            );
            rest = &at[ours.map_or(1, |c| c.len())..];
        }
        for c in text.chars().filter(|c| *c != '\n' && *c != '\u{1b}') {
            assert!(!is_hidden(c), "{c:?} reached the screen raw in:\n{text}");
        }
    }

    fn hostile_report() -> Report {
        let doc = serde_json::json!({
            "schema": 1, "host": "gw",
            "taken_at": "2026-11-21T10:00:00Z", "as_of": "2026-11-21T10:00:00Z",
            "warn_after_ms": 86_400_000, "verdict": "expired", "exit_code": 1,
            "state_dir": EVIL, "config_path": EVIL,
            "agents": [{
                "agent": "main", "source": "direct", "verdict": "expired",
                "store_path": EVIL,
                "models": {"fallbacks": [], "image_fallbacks": []},
                "routes": [
                    {"kind": "default", "model": EVIL, "provider": "anthropic", "runtime": EVIL,
                     "outcome": "expiring", "profile": format!("anthropic:{EVIL}"), "detail": EVIL},
                    {"kind": "fallback", "model": EVIL, "provider": EVIL,
                     "outcome": "missing", "detail": EVIL}
                ],
                "profiles": [{
                    "profile_id": format!("anthropic:{EVIL}"), "provider": "anthropic",
                    "type": "token", "status": "expiring", "label": EVIL, "source": EVIL,
                    "reason_code": "x\u{1b}[2J", "expires_at_ms": 1_795_266_400_000_i64,
                    "remaining_ms": 7_200_000
                }],
                "providers": [],
                "unusable_profiles": [{
                    "profile_id": format!("anthropic:{EVIL}"), "provider": EVIL,
                    "kind": "cooldown", "reason": EVIL, "recovery_hint": EVIL,
                    "until_ms": 1_795_266_400_000_i64, "remaining_ms": 60_000
                }],
                "openclaw_error": {"code": "X", "message": EVIL, "fix": EVIL},
                "notes": [EVIL], "needs_cli": [EVIL]
            }],
            "claude_code": {"path": EVIL, "status": "expired", "kind": EVIL,
                            "subscription": EVIL, "rate_limit_tier": EVIL, "email": EVIL},
            "via": {"transport": "ssh", "destination": "root@gw:22", "source": "clawauth",
                    "connect_ms": 5, "skipped": [EVIL]},
            "errors": [EVIL],
            "hints": [{"about": EVIL, "command": EVIL}]
        });
        let mut r: Report = serde_json::from_value(doc).expect("a report");
        r.finish();
        r
    }

    /// Found by fuzzing: a report whose clock skew or times are the extremes of an i64 (a
    /// hostile or broken gateway) overflowed taking their magnitude. They are shown by
    /// magnitude, never wrapped, and nothing panics.
    #[test]
    fn extreme_times_in_a_report_are_shown_never_wrapped() {
        for ms in [i64::MIN, i64::MIN + 1, i64::MAX] {
            let mut r = hostile_report();
            if let Some(v) = r.via.as_mut() {
                v.clock_skew_ms = Some(ms);
            }
            for p in &mut r.agents[0].profiles {
                p.expires_at_ms = Some(ms);
                p.remaining_ms = Some(ms);
            }
            for u in &mut r.agents[0].unusable_profiles {
                u.until_ms = ms;
                u.remaining_ms = ms;
            }
            let shown = render(&r, false);
            assert!(shown.contains("gateway clock"), "{shown}");
            assert_inert(&shown, false);
        }
    }

    #[test]
    fn a_hostile_report_reaches_the_screen_inert_with_our_colours() {
        let r = hostile_report();
        for color in [false, true] {
            let text = render(&r, color);
            assert_inert(&text, color);
            assert!(
                !text.lines().any(|l| l.trim_start().starts_with("✓ OK")),
                "a fake verdict line:\n{text}"
            );
            assert!(text.contains("x\\e[2J\\e]0;owned\\a\\r\\n✓ OK"), "{text}");
            assert_eq!(color, text.contains("\x1b[31m"), "our colours stay");
        }
        // The first fix is the phone's, then the gateway's, every word quoted.
        let plain = render(&r, false);
        let token = plain.find("(token) expires in 2h").expect(&plain);
        let reauth = plain[token..]
            .find("\n    clawauth reauth --host gw\n")
            .expect(&plain);
        let gateway = plain[token..]
            .find("\n    on the gateway: claude setup-token && openclaw models auth paste-token --provider anthropic --profile-id 'anthropic:x\\e[2J")
            .expect(&plain);
        assert!(reauth < gateway, "{plain}");
        assert!(
            plain.contains("clawauth reauth --host gw --provider 'x\\e[2J"),
            "quoted: {plain}"
        );
        let json = r.to_json();
        assert!(!json.chars().any(|c| is_hidden(c) && c != '\n'), "{json}");
        let back: Report = serde_json::from_str(&json).expect("parses back");
        assert_eq!(back.state_dir, EVIL);
        assert_eq!(back.agents[0].profiles[0].label, EVIL);
    }
}
