//! Nothing from outside reaches a screen raw. A gateway — its clawauth's JSON report, its
//! `openclaw`'s JSON, stderr and exit code, its state files — can hold any string: escape
//! sequences that clear the screen or retitle the window, a bell, a carriage return or line
//! feed followed by a fake `✓ OK` line, C1 controls, DEL, bidi overrides, shell syntax. Each is
//! driven here through every front end that shows it — `status` (human, `--color always`,
//! simple, JSON), the taps (`termux quick|guided|sync`, whose Termux:API stand-ins record
//! their argv), `sync`, and the monitor (the test's ntfy receiver, termux-notification and its
//! Re-auth button) — and the bytes are checked: no control character but our own colours and
//! our own line breaks, commands shell-quoted, links percent-encoded, Android arguments that
//! cannot split. Real parts throughout: the sshd on 127.0.0.1, the built clawauth on both
//! sides, the real OpenClaw CLI and real SQLite; the stand-ins are a gateway-side `clawauth` /
//! `openclaw` that print what a hostile gateway would, Termux:API's commands and Android's `am`.

use std::process::{Command, Output};

use camino::{Utf8Path, Utf8PathBuf};
use clawauth_core::display::{is_hidden, percent_decode};
use clawauth_tests::lab::{ANTHROPIC, Lab, SAMPLE_AT, login_path, openclaw_state, text};
use clawauth_tests::ntfy::NtfyServer;
use clawauth_tests::openclaw_cli::{OpenClaw, openclaw};
use clawauth_tests::repair_lab::{
    RepairGateway, TERMUX_API, TermuxApi, install, now_ms, phone_path_with,
};
use clawauth_tests::standins::{am_string_array, standin_calls, standin_path};
use clawauth_tests::{clawauth_bin, fixtures};
use serde_json::{Value, json};

const HOUR: i64 = 3_600_000;

/// What a hostile gateway writes into every string: clear the screen, retitle the window, ring
/// the bell, return and feed a line to print a fake verdict, Markdown that would turn into a
/// link, a C1 CSI, DEL, a right-to-left override, and shell syntax that would touch a marker.
const EVIL: &str = "x\u{1b}[2J\u{1b}]0;owned\u{7}\r\n✓ OK — **fine** [tap](https://evil.example)\u{9b}31m\u{7f}\u{202e}$(touch clawauth-hostile-marker);'";
/// How [`EVIL`] shows once made visible.
const EVIL_SHOWN: &str = "x\\e[2J\\e]0;owned\\a\\r\\n✓ OK — **fine**";
/// A provider id without control characters but with a comma, a space and shell syntax: it
/// can be passed on, and must arrive as one word.
const SPLITTY: &str = "evil,--yes $(touch clawauth-hostile-marker)'";

/// The colours clawauth writes; every other ESC is foreign.
const OUR_COLOURS: [&str; 7] = [
    "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[35m", "\x1b[1m", "\x1b[2m", "\x1b[0m",
];

/// Fails when `text` holds a character that must not reach a screen raw — C0 (ESC, BEL, CR,
/// tab…) but line feed, DEL, C1, bidi controls — except, with `color`, clawauth's own colours.
fn assert_inert(what: &str, text: &str, color: bool) {
    let mut rest = text;
    while let Some(i) = rest.find('\u{1b}') {
        let at = &rest[i..];
        let ours = OUR_COLOURS.iter().find(|c| at.starts_with(*c));
        assert!(
            color && ours.is_some(),
            "{what}: a foreign ESC at {:?} in:\n{text}",
            at.chars().take(12).collect::<String>()
        );
        rest = &at[ours.map_or(1, |c| c.len())..];
    }
    if let Some(c) = text
        .chars()
        .find(|c| *c != '\n' && *c != '\u{1b}' && is_hidden(*c))
    {
        panic!("{what}: {c:?} reached the screen raw in:\n{text}");
    }
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("✓ OK") || l.contains("\x1b[32m✓ OK")),
        "{what}: a line that reads like a verdict came from outside:\n{text}"
    );
}

/// [`assert_inert`] on stdout and stderr of a run, without colour.
fn assert_run_inert(what: &str, out: &Output) {
    assert_inert(
        &format!("{what} stdout"),
        &String::from_utf8_lossy(&out.stdout),
        false,
    );
    assert_inert(
        &format!("{what} stderr"),
        &String::from_utf8_lossy(&out.stderr),
        false,
    );
}

/// Every argument a Termux:API (or `am`) stand-in recorded is inert; only a notification's
/// content has line breaks (its own lines).
fn assert_calls_inert(what: &str, calls: &[Vec<String>]) {
    for c in calls {
        for (i, a) in c.iter().enumerate() {
            assert_inert(&format!("{what}: {} argument {i}", c[0]), a, false);
            let content = i > 0 && c[i - 1] == "--content";
            assert!(
                content || !a.contains('\n'),
                "{what}: a line break in {c:?}"
            );
        }
    }
}

/// The argument after `flag` in a recorded call.
fn arg<'a>(call: &'a [String], flag: &str) -> &'a str {
    call.iter()
        .position(|a| a == flag)
        .and_then(|i| call.get(i + 1))
        .map_or("", String::as_str)
}

/// A gateway behind the lab's sshd with the real OpenClaw CLI (and the systemctl stand-in) on
/// its login PATH, and a phone with the Termux:API stand-ins (and Android's `am`).
struct Hostile {
    lab: Lab,
    oc: OpenClaw,
    gw: RepairGateway,
    api: TermuxApi,
}

impl Hostile {
    fn new() -> Hostile {
        let oc = openclaw();
        let lab = Lab::new();
        lab.trust();
        let gw = RepairGateway::new(&lab, "gw-home", &oc);
        let api = TermuxApi::new(&lab, &[&TERMUX_API[..], &["am"]].concat());
        Hostile { lab, oc, gw, api }
    }

    /// Host `gw` on the phone, with the gateway's `clawauth` and `openclaw` at these paths
    /// (else found on its login PATH).
    fn add_host(&self, clawauth: Option<&Utf8Path>, openclaw: Option<&Utf8Path>) {
        let mut extra = Vec::new();
        if let Some(c) = clawauth {
            extra.extend(["--clawauth", c.as_str()]);
        }
        if let Some(o) = openclaw {
            extra.extend(["--openclaw", o.as_str()]);
        }
        self.lab.add_host("gw", &extra);
    }

    /// A gateway-side program `name` (a stand-in for a hostile gateway's own program) running
    /// `body`; its path.
    fn gateway_program(&self, name: &str, body: &str) -> Utf8PathBuf {
        let p = self.gw.home.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write program");
        clawauth_tests::set_mode(p.as_std_path(), 0o755);
        p
    }

    /// clawauth as the phone (no Termux:API on its PATH).
    fn run(&self, args: &[&str]) -> Output {
        self.lab.clawauth(args, &[])
    }

    /// A tap: clawauth with the Termux:API stand-ins and dialog `answers`; (exit code, calls,
    /// output).
    fn tap(&self, args: &[&str], answers: &[&str]) -> (i32, Vec<Vec<String>>, Output) {
        let mut cmd = self.lab.phone_command(clawauth_bin());
        cmd.args(args);
        self.api.run(cmd, answers)
    }

    /// Runs a notification button's shell line as Termux does (a shell, no terminal, in the
    /// scratch directory) with `am` played by its stand-in; the calls it made.
    fn press(&self, action: &str) -> Vec<Vec<String>> {
        let mut cmd = self.lab.phone_command("sh");
        cmd.args(["-c", action])
            .current_dir(self.lab.scratch.as_std_path());
        let (code, calls, out) = self.api.run(cmd, &[]);
        assert_eq!(code, 0, "the button's line: {}", text(&out));
        calls
    }

    /// The phone's config.toml, with `extra` appended.
    fn configure(&self, extra: &str) {
        let path = self.lab.phone.join(".config/clawauth/config.toml");
        let mut t = std::fs::read_to_string(&path).expect("config.toml");
        t.push_str(extra);
        std::fs::write(&path, t).expect("write config.toml");
    }

    /// Edits the credential document in the gateway's OpenClaw store (real SQLite).
    fn edit_store(&self, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) {
        let db = self.gw.home.join(".openclaw/state/openclaw.sqlite");
        let c = rusqlite::Connection::open(&db).expect("open the store");
        let doc: String = c
            .query_row(
                "SELECT value_json FROM config_machine_state WHERE state_key = 'authProfiles.store'",
                [],
                |r| r.get(0),
            )
            .expect("the credential document");
        let mut doc: Value = serde_json::from_str(&doc).expect("json");
        edit(doc["profiles"].as_object_mut().expect("profiles"));
        c.execute(
            "UPDATE config_machine_state SET value_json = ?1 WHERE state_key = 'authProfiles.store'",
            [doc.to_string()],
        )
        .expect("update");
    }
}

/// A Report as a hostile gateway's clawauth prints it, as of now: an Anthropic token (its id,
/// label and the route's model hostile) that expired two hours ago, a route of a provider with
/// control characters and one of a provider with a comma and shell syntax, a profile in
/// cooldown, notes, Claude Code's login. `trouble` adds errors and an OpenClaw failure (which
/// make the verdict unknown).
fn hostile_report(trouble: bool) -> Value {
    let now = now_ms();
    let at = chrono::DateTime::from_timestamp_millis(now)
        .expect("now")
        .to_rfc3339();
    let id = format!("anthropic:{EVIL}");
    let mut agent = json!({
        "agent": "main", "source": "direct", "verdict": "expired",
        "store_path": EVIL,
        "models": {"default_model": EVIL, "fallbacks": [EVIL], "image_fallbacks": []},
        "routes": [
            {"kind": "default", "model": format!("anthropic/{EVIL}"), "provider": "anthropic",
             "outcome": "missing", "profile": id, "detail": EVIL},
            {"kind": "fallback", "model": EVIL, "provider": EVIL, "runtime": EVIL,
             "outcome": "missing", "detail": EVIL},
            {"kind": "image", "model": EVIL, "provider": SPLITTY,
             "outcome": "missing", "detail": EVIL}
        ],
        "profiles": [{
            "profile_id": id, "provider": "anthropic", "type": "token",
            "status": "expired", "reason_code": "x\u{1b}[2J", "label": EVIL, "source": EVIL,
            "expires_at_ms": now - 2 * HOUR, "remaining_ms": -2 * HOUR
        }],
        "providers": [{"provider": EVIL, "status": "expired", "profiles": [EVIL],
                       "effective_profiles": [EVIL]}],
        "unusable_profiles": [{
            "profile_id": id, "provider": EVIL, "kind": "cooldown", "reason": EVIL,
            "recovery_hint": EVIL, "until_ms": now + HOUR, "remaining_ms": HOUR
        }],
        "notes": [EVIL]
    });
    if trouble {
        agent["openclaw_error"] = json!({"code": EVIL, "message": EVIL, "fix": EVIL});
    }
    json!({
        "schema": 1, "host": EVIL, "taken_at": at, "as_of": at,
        "warn_after_ms": 86_400_000, "verdict": "ok", "exit_code": 0,
        "state_dir": EVIL, "config_path": EVIL,
        "agents": [agent],
        "claude_code": {"path": EVIL, "status": "expiring", "kind": EVIL, "subscription": EVIL,
                        "rate_limit_tier": EVIL, "email": EVIL, "expires_at_ms": now + HOUR,
                        "remaining_ms": HOUR},
        "codex": {"path": EVIL, "error": EVIL},
        "via": {"transport": EVIL, "destination": EVIL, "source": "files", "connect_ms": 1,
                "skipped": [EVIL]},
        "errors": if trouble { json!([EVIL, format!("second\n{EVIL}")]) } else { json!([]) },
        "hints": [{"about": EVIL, "command": EVIL}]
    })
}

/// A gateway whose clawauth prints [`hostile_report`] (and a hostile line on stderr).
fn hostile_clawauth(h: &Hostile, trouble: bool) -> Utf8PathBuf {
    let doc = h.gw.home.join("hostile-report.json");
    std::fs::write(&doc, hostile_report(trouble).to_string()).expect("report");
    h.gateway_program(
        "fake-clawauth",
        &format!("cat '{doc}'\nprintf 'warn\\033[2J\\a\\r\\n' >&2\nexit 0"),
    )
}

/// Runs each hint command's line in a real shell where `clawauth`, `openclaw` and `claude` are
/// functions that record their argv: the line must give exactly the hint's `argv` — quoting
/// holds, nothing is expanded, nothing split. Commands whose words hold control characters
/// cannot be copied as they are (they show `\e`): those only have to be inert.
fn assert_hint_lines_run_as_their_words(hints: &Value, dir: &Utf8Path) {
    let mut checked = 0;
    for h in hints.as_array().expect("hints") {
        for c in h["commands"].as_array().into_iter().flatten() {
            let line = c["line"].as_str().expect("line");
            assert_inert("a hint's command", line, false);
            let argv: Vec<Vec<String>> = serde_json::from_value(c["argv"].clone()).expect("argv");
            if argv.is_empty() || argv.iter().flatten().any(|w| w.chars().any(is_hidden)) {
                continue;
            }
            let script = format!(
                "rec() {{ for a; do printf '%s\\000' \"$a\"; done; printf '\\036'; }}\n\
                 clawauth() {{ rec clawauth \"$@\"; }}\n\
                 openclaw() {{ rec openclaw \"$@\"; }}\n\
                 claude() {{ rec claude \"$@\"; }}\n\
                 {line}\n"
            );
            let out = Command::new("/bin/sh")
                .arg("-c")
                .arg(&script)
                .current_dir(dir.as_std_path())
                .output()
                .expect("sh");
            let ran: Vec<Vec<String>> = out
                .stdout
                .split(|b| *b == 0x1e)
                .filter(|r| !r.is_empty())
                .map(|r| {
                    r.strip_suffix(&[0])
                        .unwrap_or(r)
                        .split(|b| *b == 0)
                        .map(|w| String::from_utf8_lossy(w).into_owned())
                        .collect()
                })
                .collect();
            assert_eq!(ran, argv, "{line}");
            checked += 1;
        }
    }
    assert!(checked > 0, "no hint command was run: {hints}");
    assert!(
        !dir.join("clawauth-hostile-marker").exists(),
        "a hint's command ran the gateway's shell syntax"
    );
}

/// `clawauth status --host gw` against a gateway whose clawauth answers with hostile JSON:
/// human (plain and coloured), simple and JSON show every field inert, the JSON keeps the
/// strings exactly, and the fixes are quoted words with the phone's command first.
#[test]
fn status_over_ssh_shows_a_hostile_gateways_report_inert() {
    let h = Hostile::new();
    let fake = hostile_clawauth(&h, true);
    h.add_host(Some(&fake), None);

    let out = h.run(&["status", "--host", "gw"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_run_inert("status", &out);
    let plain = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(plain.contains(EVIL_SHOWN), "{plain}");
    assert!(
        plain.contains(&format!("  ✗ second\\n{EVIL_SHOWN}")),
        "the gateway's line break is data: {plain}"
    );

    let out = h.run(&["status", "--host", "gw", "--color", "always", "--check"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let coloured = String::from_utf8_lossy(&out.stdout);
    assert_inert("status --color always", &coloured, true);
    assert!(
        coloured.contains("\x1b[35m? UNKNOWN\x1b[0m"),
        "our colours stay: {coloured}"
    );

    let out = h.run(&["status", "--host", "gw", "--format", "simple"]);
    assert_run_inert("status --format simple", &out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "gw UNREACHABLE\n");

    let out = h.run(&["status", "--host", "gw", "--format", "json"]);
    assert_run_inert("status --format json", &out);
    let raw = String::from_utf8_lossy(&out.stdout);
    assert!(
        raw.contains("\\u001b") && raw.contains("\\u009b") && raw.contains("\\u007f"),
        "escaped in the JSON: {raw}"
    );
    let doc = clawauth_tests::lab::host_report(&out);
    assert_eq!(doc["state_dir"], EVIL, "the same strings come back");
    assert_eq!(doc["errors"][0], EVIL);
    assert_eq!(doc["agents"][0]["profiles"][0]["label"], EVIL);
    assert_eq!(doc["agents"][0]["openclaw_error"]["message"], EVIL);
    assert_eq!(doc["claude_code"]["email"], EVIL);
    assert_eq!(doc["host"], "gw", "the host is the phone's name for it");

    // The Anthropic token's hint: here first, then on the gateway, every word quoted.
    let hints = &doc["hints"];
    let hint = |field: &str, needle: &str| {
        hints
            .as_array()
            .expect("hints")
            .iter()
            .find(|h| h[field].as_str().is_some_and(|t| t.contains(needle)))
            .unwrap_or_else(|| panic!("no hint with {needle:?} in its {field}: {hints}"))
    };
    let token = hint("about", "(token)");
    assert_eq!(token["command"], "clawauth reauth --host gw");
    assert_eq!(token["commands"][0]["runs_on"], "here");
    assert_eq!(token["commands"][1]["runs_on"], "gateway");
    assert_eq!(
        token["commands"][1]["argv"][1][7],
        format!("anthropic:{EVIL}")
    );
    assert!(
        token["commands"][1]["line"]
            .as_str()
            .is_some_and(|l| l.contains("--profile-id 'anthropic:x\\e[2J")),
        "{token}"
    );
    let splitty = hint("command", "evil,");
    assert_eq!(
        splitty["command"],
        "clawauth reauth --host gw --provider 'evil,--yes $(touch clawauth-hostile-marker)'\\'''"
    );
    assert_hint_lines_run_as_their_words(hints, &h.lab.scratch);
    let here = plain.find("    clawauth reauth --host gw\n").expect(&plain);
    let there = plain
        .find("    on the gateway: claude setup-token && ")
        .expect(&plain);
    assert!(here < there, "the phone's command first: {plain}");
}

/// The gateway's `openclaw` answers with hostile JSON (exit 1), then fails with a hostile
/// stderr and exit 7: both reports are inert, the JSON keeps the strings.
#[test]
fn status_over_ssh_quotes_a_hostile_openclaw_answer_stderr_and_exit_code() {
    let h = Hostile::new();
    let recorded = std::fs::read_to_string(
        fixtures().join("corpus/g_token_expiring_6h/runs/models-status-json-check.stdout"),
    )
    .expect("a recorded answer");
    let escaped = |s: &str| {
        let q = serde_json::to_string(s).expect("json");
        q[1..q.len() - 1].to_owned()
    };
    let answer = recorded
        .replace("anthropic:manual", &escaped(&format!("anthropic:{EVIL}")))
        .replace("claude-opus-5", &escaped(EVIL))
        .replace(
            "/home/gateway/.openclaw/state/openclaw.sqlite",
            &escaped(EVIL),
        );
    serde_json::from_str::<Value>(&answer).expect("still JSON");
    let doc = h.gw.home.join("answer.json");
    std::fs::write(&doc, &answer).expect("answer");
    let fake = h.gateway_program(
        "fake-openclaw",
        &format!(
            "cat '{doc}'\nprintf 'boom\\r\\033[2K\\342\\234\\223 OK\\a\\302\\233\\n' >&2\nexit 1"
        ),
    );
    h.add_host(None, Some(&fake));

    let out = h.run(&["status", "--host", "gw", "--source", "cli"]);
    assert_run_inert("status, openclaw's JSON", &out);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains(&format!("anthropic:{EVIL_SHOWN}")),
        "{shown}"
    );
    assert!(
        shown.contains("answered by `openclaw models status` on the gateway"),
        "{shown}"
    );
    let out = h.run(&[
        "status", "--host", "gw", "--source", "cli", "--format", "json",
    ]);
    assert_run_inert("status --format json, openclaw's JSON", &out);
    let doc: Value = clawauth_tests::lab::host_report(&out);
    assert_eq!(
        doc["agents"][0]["profiles"][0]["profile_id"],
        format!("anthropic:{EVIL}")
    );
    let out = h.run(&[
        "status", "--host", "gw", "--source", "cli", "--color", "always",
    ]);
    assert_inert(
        "status --color always, openclaw's JSON",
        &String::from_utf8_lossy(&out.stdout),
        true,
    );

    // Now it fails: stderr quoted as one visible line, the exit code named.
    std::fs::write(
        &fake,
        "#!/bin/sh\nprintf 'ok line\\nTypeError: boom\\r\\033[2K\\342\\234\\223 OK\\a\\302\\233\\177\\n' >&2\nexit 7\n",
    )
    .expect("rewrite");
    for (format, color) in [("human", false), ("human", true), ("json", false)] {
        let mut args = vec![
            "status", "--host", "gw", "--source", "cli", "--format", format,
        ];
        if color {
            args.extend(["--color", "always"]);
        }
        let out = h.run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_inert(&format!("openclaw failing, {format}"), &stdout, color);
        let quoted = "failed (exit 7): TypeError: boom\\r\\e[2K✓ OK\\a\\x9b\\x7f";
        if format == "json" {
            let doc = clawauth_tests::lab::host_report(&out);
            assert!(
                doc["errors"][0]
                    .as_str()
                    .is_some_and(|e| e.contains(quoted)),
                "{doc}"
            );
        } else {
            assert!(stdout.contains(quoted), "{stdout}");
        }
    }
}

/// The quick, guided and sync taps, and `clawauth sync`, against a gateway whose clawauth
/// answers with hostile JSON: every toast, dialog, notification and line printed is inert,
/// the notification's fixes name the phone's command first, and nothing splits or runs.
#[test]
fn taps_and_sync_show_a_hostile_gateways_report_inert() {
    let h = Hostile::new();
    let fake = hostile_clawauth(&h, false);
    h.add_host(Some(&fake), None);
    h.gw.claude_login(
        &clawauth_tests::lab::fake_token("hostile-sync"),
        Some("sk-ant-ort01-FAKE-refresh"),
        now_ms() + 7 * HOUR,
    );

    let (code, calls, out) = h.tap(&["termux", "quick", "--host", "gw"], &[]);
    assert_eq!(code, 1, "{}", text(&out));
    assert_run_inert("quick tap", &out);
    assert_calls_inert("quick tap", &calls);
    let programs: Vec<&str> = calls.iter().map(|c| c[0].as_str()).collect();
    assert_eq!(
        programs,
        [
            "termux-vibrate",
            "termux-toast",
            "termux-open-url",
            "termux-notification"
        ],
        "{calls:?}"
    );
    let toast = &calls[1][1];
    assert!(
        toast.starts_with(&format!("gw: Auth expired · anthropic:{EVIL_SHOWN}"))
            && toast.contains(" 2h ago · opening the fix page"),
        "{toast}"
    );
    let n = &calls[3];
    let content = arg(n, "--content");
    let lines: Vec<&str> = content.lines().collect();
    let fix = lines
        .iter()
        .position(|l| *l == "Fix: clawauth reauth --host gw")
        .expect(content);
    assert!(
        lines[fix + 1].starts_with(
            "On the gateway: claude setup-token && openclaw models auth paste-token --provider anthropic --profile-id 'anthropic:x\\e[2J"
        ),
        "{content}"
    );
    assert!(
        lines[0].starts_with(&format!("anthropic:{EVIL_SHOWN}")),
        "one line per field: {content}"
    );
    let bin = clawauth_core::gateway::quote(clawauth_bin().to_str().expect("utf-8")).expect("q");
    assert_eq!(
        arg(n, "--button1-action"),
        format!("{bin} termux guided --host gw")
    );

    let (code, calls, out) = h.tap(
        &["termux", "guided", "--host", "gw"],
        &[r#"{"code":-1,"text":"Later","index":1}"#],
    );
    assert_eq!(code, 1, "{}", text(&out));
    assert_run_inert("guided tap", &out);
    assert_calls_inert("guided tap", &calls);
    let dialog = calls
        .iter()
        .find(|c| c[0] == "termux-dialog")
        .expect("a dialog");
    assert!(
        arg(dialog, "-t").contains(&format!("anthropic:{EVIL_SHOWN}")),
        "{dialog:?}"
    );

    let (code, calls, out) = h.tap(&["termux", "sync", "--host", "gw"], &[]);
    assert_run_inert("sync tap", &out);
    assert_calls_inert("sync tap", &calls);
    assert_eq!(
        code,
        1,
        "the re-check is the hostile report: {}",
        text(&out)
    );

    let out = h.run(&["sync", "--host", "gw"]);
    assert_run_inert("sync", &out);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("gw: OpenClaw's anthropic:")
            && said.contains(" expired ")
            && said.contains(" (2h ago)")
            && !said.contains("(in -"),
        "a past expiry reads 'ago': {said}"
    );
    let to_fix = said.find("gw: to fix:").expect(&said);
    let here = said[to_fix..]
        .find("\n    clawauth reauth --host gw\n")
        .expect(&said);
    let there = said[to_fix..]
        .find("\n    on the gateway: claude setup-token && ")
        .expect(&said);
    assert!(here < there, "the phone's command first: {said}");
    assert!(!h.lab.scratch.join("clawauth-hostile-marker").exists());
}

/// The monitor alerts about a hostile gateway: ntfy gets inert titles and bodies (no
/// Markdown from the gateway), plain tags, percent-encoded links that decode to the
/// provider; termux-notification gets inert text, and its Re-auth button, run by a shell with
/// `am` recording, hands clawauth exactly its words — a comma in a provider adds no argument.
#[test]
fn monitor_alerts_about_a_hostile_gateway_are_inert_and_its_links_encoded() {
    let h = Hostile::new();
    let fake = hostile_clawauth(&h, false);
    h.add_host(Some(&fake), None);
    let ntfy = NtfyServer::start();
    h.configure(&format!(
        "\n[monitor]\n[monitor.ntfy]\nserver = \"{}\"\ntopic = \"alerts\"\ntimeout = \"2s\"\n[monitor.termux]\nenabled = true\n",
        ntfy.url()
    ));
    let (code, calls, out) = h.tap(&["monitor", "--host", "gw"], &[]);
    assert_eq!(code, 0, "{}", text(&out));
    assert_run_inert("monitor", &out);
    assert_calls_inert("monitor's termux notifications", &calls);

    let published = ntfy.published();
    assert_eq!(published.len(), 3, "{published:#?}");
    for p in &published {
        let title = p.title.as_deref().unwrap_or_default();
        assert_inert("ntfy title", title, false);
        assert!(!title.contains('\n'), "{title}");
        assert_inert("ntfy message", &p.message, false);
        // Outside code spans (where Markdown is not read) the gateway's Markdown is escaped.
        let prose: String = p
            .message
            .lines()
            .map(|l| match (l.find('`'), l.rfind('`')) {
                (Some(a), Some(b)) if a < b => format!("{}{}", &l[..a], &l[b + 1..]),
                _ => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            !prose.contains("**fine**") && !prose.contains("[tap]("),
            "the gateway's Markdown is inert: {}",
            p.message
        );
        for t in &p.tags {
            assert!(
                t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)),
                "a tag from outside: {:?}",
                p.tags
            );
        }
        for url in p
            .click
            .iter()
            .map(String::as_str)
            .chain(p.actions.iter().filter_map(|a| a["url"].as_str()))
        {
            let Some(query) = url.strip_prefix("clawauth://reauth?") else {
                assert_eq!(url, "https://console.anthropic.com/settings/keys");
                continue;
            };
            for pair in query.split('&') {
                let (k, v) = pair.split_once('=').expect("k=v");
                assert!(
                    v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)),
                    "{url}"
                );
                if k == "provider" {
                    let provider = percent_decode(v).expect("decodes");
                    assert!(provider == EVIL || provider == SPLITTY, "{url}");
                }
            }
        }
    }
    let splitty = published
        .iter()
        .find(|p| p.title.as_deref().is_some_and(|t| t.contains("evil,")))
        .expect("the comma provider's alert");
    assert!(
        splitty
            .message
            .contains("`clawauth reauth --host gw --provider 'evil,--yes $(touch clawauth-hostile-marker)'\\'''`"),
        "{}",
        splitty.message
    );

    // The comma provider's Re-auth button: exactly clawauth's words reach RUN_COMMAND.
    let button = calls
        .iter()
        .find(|c| arg(c, "--title").contains("evil,"))
        .map(|c| arg(c, "--button1-action").to_owned())
        .expect("a notification about the comma provider");
    let am = h.press(&button);
    assert_eq!(am.len(), 1, "{am:?}");
    let list = arg(&am[0], "com.termux.RUN_COMMAND_ARGUMENTS");
    let words = am_string_array(list);
    assert_eq!(words, ["reauth", "--host", "gw", "--provider", SPLITTY]);
    assert_eq!(
        arg(&am[0], "com.termux.RUN_COMMAND_PATH"),
        clawauth_bin().to_str().expect("utf-8")
    );
    assert!(!h.lab.scratch.join("clawauth-hostile-marker").exists());
}

/// Hostile state files on the gateway — profile ids, emails and display names in OpenClaw's
/// SQLite store (written by the real CLI, then edited with SQLite), model names in
/// openclaw.json, Claude Code's subscription in its .credentials.json — read by the real
/// clawauth there and here: status (local and over SSH, every format), the quick tap and the
/// monitor's ntfy alert all show them inert.
#[test]
fn hostile_state_files_reach_every_front_end_inert() {
    let h = Hostile::new();
    let evil_id = format!("anthropic:{EVIL}");
    let config = json!({
        "agents": {"defaults": {"model": {
            "primary": "anthropic/claude-opus-5",
            "fallbacks": [format!("anthropic/{EVIL}")]
        }}},
        "auth": {
            "profiles": {
                (evil_id.clone()): {"provider": "anthropic", "mode": "token", "email": EVIL,
                                     "displayName": EVIL}
            },
            "order": {"anthropic": [evil_id.clone()]}
        }
    });
    openclaw_state(&h.oc, &h.gw.home, ANTHROPIC, Some("3d"));
    // Written after the real CLI stored its token (it would check the config first).
    std::fs::write(
        h.gw.home.join(".openclaw/openclaw.json"),
        config.to_string(),
    )
    .expect("config");
    h.edit_store(|profiles| {
        // Only the hostile profile serves anthropic: it decides the verdict.
        profiles.remove("anthropic:manual");
        profiles.insert(
            evil_id.clone(),
            json!({
                "type": "token", "provider": "anthropic",
                "token": clawauth_tests::lab::fake_token("hostile-state"),
                "expires": now_ms() + 5 * HOUR, "email": EVIL, "displayName": EVIL
            }),
        );
    });
    h.gw.claude_login(
        &clawauth_tests::lab::fake_token("hostile-claude"),
        None,
        now_ms() + 2 * HOUR,
    );
    let creds = h.gw.home.join(".claude/.credentials.json");
    let mut c: Value =
        serde_json::from_str(&std::fs::read_to_string(&creds).expect("creds")).expect("json");
    c["claudeAiOauth"]["subscriptionType"] = json!(EVIL);
    c["claudeAiOauth"]["rateLimitTier"] = json!(EVIL);
    std::fs::write(&creds, c.to_string()).expect("write creds");

    // On the gateway itself.
    let home = h.gw.home.as_str();
    let local = |extra: &[&str]| {
        let mut args = vec!["status", "--source", "direct"];
        args.extend_from_slice(extra);
        clawauth_tests::clawauth(&args, &[("HOME", home)])
    };
    let out = local(&[]);
    assert_run_inert("local status", &out);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains(EVIL_SHOWN), "{shown}");
    assert!(shown.contains("subscription x\\e[2J"), "{shown}");
    let out = local(&["--color", "always"]);
    assert_inert(
        "local status --color always",
        &String::from_utf8_lossy(&out.stdout),
        true,
    );
    assert_run_inert(
        "local status --format simple",
        &local(&["--format", "simple"]),
    );
    let out = local(&["--format", "json"]);
    assert_run_inert("local status --format json", &out);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let profiles = doc["agents"][0]["profiles"].as_array().expect("profiles");
    assert!(
        profiles.iter().any(|p| p["profile_id"] == evil_id.as_str()),
        "{doc}"
    );
    assert_eq!(doc["claude_code"]["subscription"], EVIL);

    // From the phone, over SSH, with clawauth on the gateway.
    h.gw.clawauth_on_login_path(&h.oc);
    h.add_host(None, None);
    for (args, color) in [
        (vec!["status", "--host", "gw"], false),
        (vec!["status", "--host", "gw", "--color", "always"], true),
        (vec!["status", "--host", "gw", "--format", "simple"], false),
        (vec!["status", "--host", "gw", "--format", "json"], false),
    ] {
        let out = h.run(&args);
        assert_inert(
            &args.join(" "),
            &String::from_utf8_lossy(&out.stdout),
            color,
        );
        assert_inert(
            &args.join(" "),
            &String::from_utf8_lossy(&out.stderr),
            false,
        );
    }
    let out = h.run(&["status", "--host", "gw", "--format", "json"]);
    let doc: Value = clawauth_tests::lab::host_report(&out);
    assert!(
        doc["agents"][0]["profiles"]
            .as_array()
            .expect("profiles")
            .iter()
            .any(|p| p["profile_id"] == evil_id.as_str()),
        "{doc}"
    );
    assert_hint_lines_run_as_their_words(&doc["hints"], &h.lab.scratch);

    // Six hours on, the hostile profile has lapsed: the quick tap and the monitor say so.
    let (code, calls, out) = h.tap(&["termux", "quick", "--host", "gw", "--at", "+6h"], &[]);
    assert_ne!(code, 0, "{}", text(&out));
    assert_run_inert("quick tap, hostile state", &out);
    assert_calls_inert("quick tap, hostile state", &calls);
    let ntfy = NtfyServer::start();
    h.configure(&format!(
        "\n[monitor]\n[monitor.ntfy]\nserver = \"{}\"\ntopic = \"alerts\"\ntimeout = \"2s\"\n",
        ntfy.url()
    ));
    let out = h.run(&["monitor", "--host", "gw", "--at", "+6h"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_run_inert("monitor, hostile state", &out);
    let published = ntfy.published();
    assert!(!published.is_empty(), "{}", text(&out));
    for p in &published {
        assert_inert(
            "ntfy title, hostile state",
            p.title.as_deref().unwrap_or_default(),
            false,
        );
        assert_inert("ntfy message, hostile state", &p.message, false);
    }
}

/// A login that expired two hours ago reads "2h ago" — never "in 2h" — in the quick tap's
/// toast and notification and in `clawauth sync`'s report of OpenClaw's credential.
#[test]
fn taps_and_sync_say_how_long_ago_a_past_expiry_was() {
    let h = Hostile::new();
    openclaw_state(&h.oc, &h.gw.home, ANTHROPIC, Some("3d"));
    // An OAuth login (OpenClaw keeps showing its expiry once it has passed, as it does not
    // for a token), expired two hours and a minute ago.
    h.edit_store(|profiles| {
        profiles.remove("anthropic:manual");
        profiles.insert(
            "anthropic:default".into(),
            json!({
                "type": "oauth", "provider": "anthropic",
                "access": clawauth_tests::lab::fake_token("ago-access"),
                "refresh": "sk-ant-ort01-FAKE-ago-refresh",
                "expires": now_ms() - 2 * HOUR - 60_000
            }),
        );
    });
    h.gw.clawauth_on_login_path(&h.oc);
    h.add_host(None, None);

    let (code, calls, out) = h.tap(&["termux", "quick", "--host", "gw"], &[]);
    assert_eq!(code, 1, "{}", text(&out));
    let shown: Vec<&str> = calls
        .iter()
        .filter(|c| c[0] == "termux-toast" || c[0] == "termux-notification")
        .flat_map(|c| c[1..].iter().map(String::as_str))
        .collect();
    let all = shown.join("\n");
    assert!(all.contains("2h 1m ago"), "{all}");
    assert!(!all.contains("in 2h"), "{all}");

    h.gw.claude_login(
        &clawauth_tests::lab::fake_token("ago-sync"),
        Some("sk-ant-ort01-FAKE-refresh"),
        now_ms() + 7 * HOUR,
    );
    let out = h.run(&["sync", "--host", "gw"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("gw: OpenClaw's anthropic:default (first in its order for default ")
            && said.contains(" expired ")
            && said.contains(" (2h 1m ago)"),
        "{}",
        text(&out)
    );
    let openclaw_line = said
        .lines()
        .find(|l| l.contains("gw: OpenClaw's anthropic:default"))
        .expect(&said);
    assert!(
        !openclaw_line.contains("(in ") && !openclaw_line.contains("expires "),
        "{openclaw_line}"
    );
    assert!(
        said.contains("gw: Claude Code's login (") && said.contains(" (in 6h 5"),
        "a moment ahead still reads 'in': {said}"
    );
}

/// Checked over SSH, the fix names the phone's command first — `clawauth reauth --host gw` —
/// then OpenClaw's on the gateway, in the human status, the JSON and the quick tap's
/// notification alike.
#[test]
fn over_ssh_the_fix_names_the_phone_command_first() {
    let lab = Lab::new();
    lab.trust();
    let home = lab.sample_gateway("sample");
    let bin = Utf8PathBuf::from_path_buf(clawauth_bin()).expect("utf-8");
    login_path(&home, &[bin.parent().expect("dir")]);
    lab.gateway(&home);
    lab.add_host("gw", &[]);

    let out = lab.clawauth(&["status", "--host", "gw", "--at", SAMPLE_AT], &[]);
    let shown = String::from_utf8_lossy(&out.stdout);
    let fixes = &shown[shown.find("To fix").expect(&shown)..];
    assert!(
        fixes.contains(
            "    clawauth reauth --host gw\n    on the gateway: claude setup-token && openclaw models auth paste-token --provider anthropic --profile-id anthropic:claude-code --expires-in 365d\n"
        ),
        "{shown}"
    );
    let out = lab.clawauth(
        &[
            "status", "--host", "gw", "--at", SAMPLE_AT, "--format", "json",
        ],
        &[],
    );
    let doc: Value = clawauth_tests::lab::host_report(&out);
    let hint = &doc["hints"][0];
    assert_eq!(hint["command"], "clawauth reauth --host gw");
    assert_eq!(
        hint["commands"][0],
        json!({"runs_on": "here", "argv": [["clawauth", "reauth", "--host", "gw"]],
               "line": "clawauth reauth --host gw"})
    );
    assert_eq!(hint["commands"][1]["runs_on"], "gateway");

    // Checked on the gateway itself: OpenClaw's command only, unlabelled.
    let local = clawauth_tests::clawauth(
        &["status", "--at", SAMPLE_AT],
        &[
            ("OPENCLAW_STATE_DIR", home.join(".openclaw").as_str()),
            ("CLAUDE_CONFIG_DIR", home.join(".claude").as_str()),
            ("HOME", home.as_str()),
        ],
    );
    let shown = String::from_utf8_lossy(&local.stdout);
    assert!(
        shown.contains("\n    claude setup-token && openclaw models auth paste-token")
            && !shown.contains("clawauth reauth")
            && !shown.contains("on the gateway:"),
        "{shown}"
    );

    // The quick tap after the token lapsed: its notification lists the same two, in order.
    let path = phone_path_with(
        &lab,
        &[
            "termux-toast",
            "termux-vibrate",
            "termux-notification",
            "termux-open-url",
        ],
    );
    let log = lab.scratch.join("tap.log");
    let out = lab
        .phone_command(clawauth_bin())
        .args([
            "termux",
            "quick",
            "--host",
            "gw",
            "--at",
            "2026-11-21T16:00:00Z",
        ])
        .env("PATH", &path)
        .env("CLAWAUTH_STANDIN_LOG", log.as_str())
        .output()
        .expect("tap");
    let calls = standin_calls(&log);
    let n = calls
        .iter()
        .find(|c| c[0] == "termux-notification")
        .unwrap_or_else(|| panic!("a notification: {calls:?} {}", text(&out)));
    let content = arg(n, "--content");
    assert!(
        content.contains("\nFix: clawauth reauth --host gw\nOn the gateway: claude setup-token && openclaw models auth paste-token --provider anthropic --profile-id anthropic:claude-code --expires-in 365d"),
        "{content}"
    );
}

/// `tests/standins/am` records the words the shell gave it, and [`am_string_array`] splits an
/// `--esa` value as `am` does: what the button test above relies on.
#[test]
fn the_am_standin_records_its_words_and_splits_like_am() {
    let dir = tempfile::tempdir().expect("dir");
    let bin = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).expect("utf-8");
    install(standin_path("am").as_std_path(), &bin);
    let log = bin.join("log");
    let out = Command::new(bin.join("am").as_std_path())
        .args(["startservice", "a,b\\,c", ""])
        .env("CLAWAUTH_STANDIN_LOG", log.as_str())
        .output()
        .expect("am");
    assert!(out.status.success());
    assert_eq!(
        standin_calls(&log),
        [vec!["am", "startservice", "a,b\\,c", ""]]
    );
    assert_eq!(am_string_array("a,b\\,c,,d\\e"), ["a", "b,c", "", "d\\e"]);
}
