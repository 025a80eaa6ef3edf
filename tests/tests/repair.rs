//! Repairs over a real sshd on 127.0.0.1 against the real OpenClaw 2026.9.6 CLI on the gateway
//! side: `clawauth sync`, `token paste`, `api-key paste`. The only stand-in is `systemctl`
//! (no systemd runs here), which records what it is asked.

use camino::Utf8Path;
use clawauth_tests::lab::{ANTHROPIC, Lab, fake_token, openclaw_check, openclaw_state, text};
use clawauth_tests::openclaw_cli::{OpenClaw, openclaw};
use clawauth_tests::repair_lab::{
    ArgvWatch, RepairGateway, clawauth_with_stdin, now_ms, openclaw_profiles, phone_path_with,
};
use std::collections::BTreeMap;

use clawauth_tests::tree_hashes;
use serde_json::Value;

const HOUR: i64 = 3600 * 1000;

/// The profile `id` as `openclaw models status --json` shows it.
fn openclaw_profile(oc: &OpenClaw, home: &Utf8Path, id: &str) -> Option<Value> {
    openclaw_profiles(oc, home)
        .into_iter()
        .find(|p| p["profileId"] == id)
}

/// The state's files and hashes, without what OpenClaw's own reads leave behind: SQLite's
/// shared-memory index and an empty write-ahead log (a write would fill the log).
fn snapshot(state: &Utf8Path) -> BTreeMap<String, String> {
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let mut t = tree_hashes(state.as_std_path());
    let noise =
        |k: &str, v: &str| k.ends_with("-shm") || (k.ends_with("-wal") && v.starts_with(EMPTY));
    t.retain(|k, v| !noise(k, v));
    t
}

/// All bytes under `dir`, for "this secret is nowhere in the state" checks.
fn contains_bytes(dir: &Utf8Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = camino::Utf8PathBuf::from_path_buf(e.path()).expect("utf-8");
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p)
                && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            {
                hits.push(p.to_string());
            }
        }
    }
    hits
}

/// One run of clawauth as the phone, asserting it opened exactly one SSH connection.
fn one_connection(lab: &Lab, args: &[&str]) -> std::process::Output {
    let before = lab.sshd.connections();
    let out = lab.clawauth(args, &[]);
    lab.sshd.assert_one_connection_since(
        before,
        &format!("for `clawauth {}`: {}", args.join(" "), text(&out)),
    );
    out
}

/// Sync on OpenClaw 2026.9.6: the access token with Claude Code's expiry lands in the profile
/// that serves the Anthropic routes, here anthropic:manual (never the refresh token);
/// `--dry-run` writes nothing; a second sync changes nothing; the service is restarted once,
/// because it was active. (`repair_targets.rs` covers profiles other than manual; a gateway
/// without any Anthropic profile gets anthropic:claude-code, below.)
#[test]
fn sync_hands_claude_codes_access_token_to_openclaw_2026_9() {
    let oc = openclaw();
    let lab = Lab::new();
    lab.trust();
    let gw = RepairGateway::new(&lab, "gw", &oc);
    // OpenClaw's own token runs out in 2 h; Claude Code's login lasts 20 h.
    openclaw_state(&oc, &gw.home, ANTHROPIC, Some("2h"));
    let access = fake_token("claude-code-access");
    let refresh = "sk-ant-ort01-FAKE-claude-code-refresh-never-copied".to_owned();
    let claude_exp = now_ms() + 20 * HOUR;
    gw.claude_login(&access, Some(&refresh), claude_exp);
    gw.set_service_active(true);
    lab.add_host("gw", &[]);
    let state = gw.home.join(".openclaw");

    // --dry-run: says what it would write, writes nothing, restarts nothing.
    let before = snapshot(&state);
    let out = one_connection(&lab, &["sync", "--host", "gw", "--dry-run"]);
    let shown = text(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "dry run exits as the check (expiring): {shown}"
    );
    assert!(shown.contains("would write anthropic:manual"), "{shown}");
    assert!(shown.contains("dry run: nothing changed"), "{shown}");
    assert_eq!(snapshot(&state), before, "--dry-run wrote nothing");
    assert!(gw.restarts().is_empty(), "--dry-run restarted nothing");

    // The sync.
    let watch = ArgvWatch::start(vec![access.clone(), refresh.clone()]);
    let out = one_connection(&lab, &["sync", "--host", "gw"]);
    let sampled = watch.stop();
    let shown = text(&out);
    sampled.assert_no_leaks("a token");
    assert!(
        sampled.rounds > 10,
        "the argv watch sampled ({})",
        sampled.rounds
    );
    assert!(
        !shown.contains(&access) && !shown.contains(&refresh),
        "{shown}"
    );
    assert!(shown.contains("wrote anthropic:manual"), "{shown}");
    assert!(shown.contains("restarted openclaw-gateway"), "{shown}");
    assert!(shown.contains("re-check"), "{shown}");
    assert_eq!(
        out.status.code(),
        Some(openclaw_check(&oc, &gw.home)),
        "the sync's exit is OpenClaw's own verdict afterwards: {shown}"
    );
    let profile = openclaw_profile(&oc, &gw.home, "anthropic:manual")
        .unwrap_or_else(|| panic!("openclaw shows anthropic:manual after the sync: {shown}"));
    let stored = profile["expiresAt"].as_i64().expect("expiresAt");
    assert!(
        stored <= claude_exp - 4 * 60_000 && claude_exp - stored <= 6 * 60_000,
        "OpenClaw's expiry {stored} is Claude Code's {claude_exp} less the 5-minute margin \
         (never later)"
    );
    assert_eq!(profile["type"], "token", "{profile}");
    assert!(
        contains_bytes(&state, &refresh).is_empty(),
        "the refresh token never reaches OpenClaw's state"
    );
    assert_eq!(
        gw.restarts().len(),
        1,
        "restarted once: {:?}",
        gw.systemctl_calls()
    );
    assert!(
        gw.systemctl_calls()
            .iter()
            .any(|c| c.contains("--user is-active --quiet") && c.contains("XDG_RUNTIME_DIR=/")),
        "asked systemd whether the service runs, with XDG_RUNTIME_DIR set: {:?}",
        gw.systemctl_calls()
    );
    println!(
        "sync: OpenClaw's anthropic:manual expires {} ms before Claude Code's login",
        claude_exp - stored
    );

    // A second sync changes nothing.
    let before = snapshot(&state);
    let out = one_connection(&lab, &["sync", "--host", "gw"]);
    let shown = text(&out);
    assert!(shown.contains("nothing to sync"), "{shown}");
    assert_eq!(snapshot(&state), before, "second sync wrote nothing");
    assert_eq!(gw.restarts().len(), 1, "no second restart");

    // A gateway whose OpenClaw has no Anthropic credential yet: the login becomes
    // anthropic:claude-code, which then serves the routes.
    let gw2 = RepairGateway::new(&lab, "gw2", &oc);
    openclaw_state(&oc, &gw2.home, ANTHROPIC, None);
    gw2.claude_login(&access, Some(&refresh), claude_exp);
    assert_eq!(
        openclaw_check(&oc, &gw2.home),
        1,
        "nothing serves the routes"
    );
    let out = one_connection(&lab, &["sync", "--host", "gw"]);
    let shown = text(&out);
    assert!(shown.contains("wrote anthropic:claude-code"), "{shown}");
    assert!(
        shown.contains("now use anthropic:claude-code (expiring"),
        "{shown}"
    );
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert_eq!(
        openclaw_check(&oc, &gw2.home),
        2,
        "the real CLI: served again"
    );
}

/// Without a Claude Code login, or with one that has itself expired, the sync says so and
/// touches nothing.
#[test]
fn sync_without_a_usable_claude_login_changes_nothing() {
    let oc = openclaw();
    let lab = Lab::new();
    lab.trust();
    let gw = RepairGateway::new(&lab, "gw", &oc);
    openclaw_state(&oc, &gw.home, ANTHROPIC, Some("2h"));
    gw.set_service_active(true);
    lab.add_host("gw", &[]);
    let state = gw.home.join(".openclaw");
    let before = snapshot(&state);

    let out = lab.clawauth(&["sync", "--host", "gw"], &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("Claude Code is not logged in"), "{shown}");

    gw.claude_login(
        &fake_token("old"),
        Some("sk-ant-ort01-FAKE-r"),
        now_ms() - HOUR,
    );
    let out = lab.clawauth(&["sync", "--host", "gw"], &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("has expired"), "{shown}");
    assert_eq!(snapshot(&state), before);
    assert!(gw.restarts().is_empty());
}

/// Wrapped, truncated and whitespace-carrying pastes are refused on the phone: no connection
/// is made and nothing changes on the gateway.
#[test]
fn bad_pastes_are_refused_before_anything_is_sent() {
    let oc = openclaw();
    let lab = Lab::new();
    lab.trust();
    let gw = RepairGateway::new(&lab, "gw", &oc);
    openclaw_state(&oc, &gw.home, ANTHROPIC, Some("2h"));
    lab.add_host("gw", &[]);
    let state = gw.home.join(".openclaw");
    let before = snapshot(&state);
    let token = format!("sk-ant-oat01-FAKE-{}y", "Ab3_-x".repeat(15)); // 109 characters
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrapped at 80 columns",
            format!("{}\n{}\n", &token[..80], &token[80..]),
            "line break after 80 of its 109",
        ),
        ("cut at the wrap", format!("{}\n", &token[..79]), "has 79 characters"),
        (
            "with a space",
            format!("{} {}\n", &token[..60], &token[60..]),
            "a space after 60",
        ),
        ("with a leading tab", format!("\t{token}\n"), "leading whitespace"),
        ("wrapped with CRLF", format!("{}\r\n{}", &token[..40], &token[40..]), "line break after 40"),
        ("an API key", "sk-ant-api03-FAKE-abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789\n".into(), "API key"),
        ("empty", "\n".into(), "empty"),
    ];
    let connections = lab.sshd.connections();
    // The same pastes typed into stdin and taken from the clipboard (termux-clipboard-get, a
    // stand-in here for Termux:API's).
    let phone_path = phone_path_with(&lab, &["termux-clipboard-get"]);
    let clip = lab.scratch.join("clipboard");
    let args = [
        "token",
        "paste",
        "--host",
        "gw",
        "--provider",
        "anthropic",
        "--expires-in",
        "365d",
    ];
    for (what, paste, expect) in &cases {
        std::fs::write(&clip, paste).expect("clipboard");
        let mut from_clipboard = args.to_vec();
        from_clipboard.push("--from-clipboard");
        for (how, out) in [
            ("stdin", paste_via_stdin(&lab, &args, paste)),
            (
                "clipboard",
                clawauth_with_stdin(
                    &lab,
                    &from_clipboard,
                    &[
                        ("PATH", &phone_path),
                        ("CLAWAUTH_STANDIN_CLIPBOARD", clip.as_str()),
                    ],
                    "",
                ),
            ),
        ] {
            let shown = text(&out);
            assert_eq!(out.status.code(), Some(65), "{what} ({how}): {shown}");
            assert!(
                shown.contains(expect),
                "{what} ({how}): expected {expect:?}: {shown}"
            );
            assert!(
                shown.contains("nothing was sent"),
                "{what} ({how}): {shown}"
            );
            assert!(
                !shown.contains(&token[20..60]),
                "{what} ({how}): the paste is not echoed"
            );
        }
    }
    // Without Termux:API the clipboard cannot be read, and the message says how to get it.
    let mut from_clipboard = args.to_vec();
    from_clipboard.push("--from-clipboard");
    let out = clawauth_with_stdin(&lab, &from_clipboard, &[], "");
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(65), "{shown}");
    assert!(shown.contains("pkg install termux-api"), "{shown}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        lab.sshd.connections(),
        connections,
        "no connection was made"
    );
    assert_eq!(snapshot(&state), before, "nothing changed");
    println!(
        "{} bad pastes refused before connecting, from stdin and from the clipboard",
        cases.len()
    );
}

fn paste_via_stdin(lab: &Lab, args: &[&str], input: &str) -> std::process::Output {
    clawauth_with_stdin(lab, args, &[("CLAWAUTH_LOG", "trace")], input)
}

/// A good token goes through stdin into OpenClaw (never argv, never output, not even in trace
/// logs); the service is restarted only when it was active.
#[test]
fn token_and_api_key_paste_store_through_stdin_and_restart_only_an_active_service() {
    let oc = openclaw();
    let lab = Lab::new();
    lab.trust();
    let gw = RepairGateway::new(&lab, "gw", &oc);
    openclaw_state(&oc, &gw.home, ANTHROPIC, Some("2h"));
    lab.add_host("gw", &[]);
    let token = format!("sk-ant-oat01-FAKE-rotated-{}", "Q".repeat(90));

    // Inactive service: stored, not restarted.
    gw.set_service_active(false);
    let watch = ArgvWatch::start(vec![token.clone()]);
    let out = paste_via_stdin(
        &lab,
        &[
            "token",
            "paste",
            "--host",
            "gw",
            "--provider",
            "anthropic",
            "--profile-id",
            "anthropic:manual",
            "--expires-in",
            "30d",
        ],
        &format!("{token}\n"),
    );
    let sampled = watch.stop();
    let shown = text(&out);
    sampled.assert_no_leaks("the token");
    assert!(sampled.rounds > 10);
    assert!(
        !shown.contains(&token),
        "the token is not in the output or trace logs"
    );
    assert!(!shown.contains(&token[30..70]), "no part of it either");
    assert!(
        shown.contains("TRACE") || shown.contains("DEBUG") || shown.contains("stored"),
        "{shown}"
    );
    assert!(
        shown.contains("stored the token as anthropic:manual"),
        "{shown}"
    );
    assert!(
        shown.contains("openclaw-gateway is inactive; not restarted"),
        "{shown}"
    );
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert_eq!(out.status.code(), Some(openclaw_check(&oc, &gw.home)));
    assert!(
        gw.restarts().is_empty(),
        "inactive: no restart: {:?}",
        gw.systemctl_calls()
    );
    let p = openclaw_profile(&oc, &gw.home, "anthropic:manual").expect("profile");
    let left = p["expiresAt"].as_i64().expect("expiresAt") - now_ms();
    assert!(
        (29 * 24 * HOUR..=30 * 24 * HOUR).contains(&left),
        "~30 d left: {p}"
    );

    // Active service: an API key from the clipboard (the termux-clipboard-get stand-in), then a
    // restart.
    gw.set_service_active(true);
    let key = format!("sk-ant-api03-FAKE-{}", "k".repeat(60));
    let phone_path = phone_path_with(&lab, &["termux-clipboard-get"]);
    let clip = lab.scratch.join("clipboard");
    std::fs::write(&clip, format!("{key}\n")).expect("clipboard");
    let watch = ArgvWatch::start(vec![key.clone()]);
    let out = clawauth_with_stdin(
        &lab,
        &[
            "api-key",
            "paste",
            "--host",
            "gw",
            "--provider",
            "anthropic",
            "--profile-id",
            "anthropic:api",
            "--from-clipboard",
        ],
        &[
            ("PATH", &phone_path),
            ("CLAWAUTH_STANDIN_CLIPBOARD", clip.as_str()),
            ("CLAWAUTH_LOG", "trace"),
        ],
        "",
    );
    let sampled = watch.stop();
    sampled.assert_no_leaks("the key");
    let shown = text(&out);
    assert!(!shown.contains(&key), "{shown}");
    assert!(shown.contains("stored the API key"), "{shown}");
    assert!(shown.contains("restarted openclaw-gateway"), "{shown}");
    assert_eq!(gw.restarts().len(), 1, "{:?}", gw.systemctl_calls());

    // OpenClaw refusing a value ends clearly, changes no credential and restarts nothing.
    // (OpenClaw's own bookkeeping may touch its database even when it refuses, so the
    // credentials are compared as OpenClaw itself reports them.)
    let before = openclaw_profiles(&oc, &gw.home);
    let out = paste_via_stdin(
        &lab,
        &["token", "paste", "--host", "gw", "--provider", "openai"],
        "sk-proj-FAKE-an-api-key-pasted-as-a-token-0123456789\n",
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("OpenClaw on gw refused the token"),
        "{shown}"
    );
    assert!(shown.contains("nothing was changed"), "{shown}");
    assert_eq!(openclaw_profiles(&oc, &gw.home), before);
    assert_eq!(gw.restarts().len(), 1);
}
