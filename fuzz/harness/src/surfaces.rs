//! Every surface clawauth shows a report on, with the properties each must have: the targets
//! whose reader ends in a report show it here.

/// Whatever the reader made of outside input, every surface clawauth shows it on, with the
/// properties every surface must have (issue 15, items 6–7; issue 16):
/// - the JSON report escapes C0 and C1 and reads back to the same document;
/// - the human report (without colour) holds no control character but its own line breaks,
///   and with colour only its own SGR sequences;
/// - the one word is one of the six; the glance's headline is one visible line, its detail
///   and fixes visible lines, its links percent-encoded;
/// - the monitor observes, decides against `last` and builds alerts whose title, text and
///   Markdown are visible lines and whose buttons' URLs cannot split.
pub(crate) fn show_report(
    report: &clawauth_core::report::Report,
    remote: bool,
    last: Option<&clawauth_core::monitor::state::Sent>,
    now_ms: i64,
    failures: u32,
) {
    use clawauth_core::display::{is_hidden, to_json};
    use clawauth_core::monitor::{decide, message, observe};
    use clawauth_core::report::{Report, human, simple};

    let lines_only = |what: &str, s: &str| {
        if let Some(c) = s.chars().find(|&c| c != '\n' && is_hidden(c)) {
            panic!("{what}: a raw {c:?} reaches the screen in {s:?}");
        }
    };
    let one_line = |what: &str, s: &str| {
        if let Some(c) = s.chars().find(|&c| is_hidden(c)) {
            panic!("{what}: a raw {c:?} in one line {s:?}");
        }
    };

    let json = to_json(report).expect("a report serialises");
    if let Some(c) = json
        .chars()
        .find(|&c| ('\u{7f}'..='\u{9f}').contains(&c) || (c < ' ' && c != '\n'))
    {
        panic!("JSON: a raw {c:?}");
    }
    let back: Report = serde_json::from_str(&json).expect("the JSON report reads back");
    assert_eq!(
        to_json(&back).expect("serialises"),
        json,
        "the JSON report reads back to itself"
    );

    lines_only("human", &human::render(report, false));
    lines_only("fixes", &human::fixes(report, false));
    let coloured = human::render(report, true);
    lines_only("human (colour)", &strip_own_sgr(&coloured));

    let word = simple::word(report);
    assert!(
        [
            "OK",
            "CLAUDE_EXPIRING",
            "OPENCLAW_EXPIRING",
            "CLAUDE_EXPIRED",
            "OPENCLAW_EXPIRED",
            "UNREACHABLE"
        ]
        .contains(&word),
        "{word}"
    );

    let g = clawauth_core::tap::glance(report, remote);
    one_line("glance headline", &g.headline);
    lines_only("glance detail", &g.detail);
    for f in g.fix.iter().chain(g.page.iter()) {
        one_line("glance fix or page", f);
    }
    for f in &g.fixes {
        one_line("glance fix command", &f.line);
    }

    let policy = clawauth_core::monitor::config::Policy::default();
    let observations = if observe::readable(report) {
        observe::observe(report, &policy, remote, &Remembered(last))
    } else {
        vec![observe::host_observation(report, failures, &policy, remote)]
    };
    for o in &observations {
        let Some(kind) = decide::decide(o, last, &policy, now_ms) else {
            continue;
        };
        let m = message::build(o, kind, last, &policy, now_ms, failures);
        one_line("alert title", &m.title);
        lines_only("alert text", &m.text);
        lines_only("alert markdown", &m.body);
        for a in &m.actions {
            one_line("alert button", &a.label);
            assert!(
                !a.url.contains(|c: char| c.is_whitespace() || is_hidden(c)),
                "a button URL that can split: {:?}",
                a.url
            );
        }
        let _ = decide::record(o, kind, last, now_ms);
    }
}

/// The monitor's memory, as a hostile state file could leave it.
struct Remembered<'a>(Option<&'a clawauth_core::monitor::state::Sent>);

impl clawauth_core::monitor::observe::Memory for Remembered<'_> {
    fn first_seen(&self, _: &str, _: i64) -> Option<i64> {
        self.0.map(|s| s.since_ms)
    }
    fn last_profile(&self, _: &str) -> Option<(String, Option<i64>)> {
        self.0
            .map(|s| ("fuzz:remembered".to_owned(), s.threshold_ms))
    }
}

/// `s` without clawauth's own colour sequences (`ESC [ digits;… m`).
fn strip_own_sgr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("\u{1b}[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let n = after
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b';')
            .count();
        if after.as_bytes().get(n) == Some(&b'm') {
            rest = &after[n + 1..];
        } else {
            // Not ours: keep the escape for the check to find.
            out.push('\u{1b}');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// A `Sent` record as a monitor state file may hold it, from a few fuzzer bytes.
pub(crate) fn sent_of(
    level: u8,
    threshold_ms: Option<i64>,
    at_ms: i64,
    since_ms: i64,
    count: u32,
) -> clawauth_core::monitor::state::Sent {
    use clawauth_core::monitor::observe::Level;
    let level = [
        Level::Ok,
        Level::Expiring,
        Level::Expired,
        Level::Missing,
        Level::Unreachable,
    ][usize::from(level) % 5];
    clawauth_core::monitor::state::Sent {
        level,
        threshold_ms,
        at_ms,
        since_ms,
        count,
    }
}
