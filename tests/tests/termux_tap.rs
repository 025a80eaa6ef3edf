//! The one-tap flows behind the Termux:Widget shortcuts — `clawauth termux quick`, `guided` and
//! `sync` — against a gateway behind the real sshd with a state written by the real OpenClaw
//! CLI. On the phone side the only stand-ins are Termux:API's commands (tests/standins:
//! termux-recorder under each one-shot command's name, termux-dialog with scripted answers),
//! which need Android; they record their argv, so each test checks exactly which toasts,
//! vibrations, notifications, dialogs and URLs a tap produced — and that it opened one SSH
//! connection.

use std::process::Command;

use clawauth_tests::lab::{ANTHROPIC, Lab, openclaw_state, text};
use clawauth_tests::openclaw_cli::{OpenClaw, openclaw};
use clawauth_tests::repair_lab::{RepairGateway, TERMUX_API, TermuxApi, now_ms};
use clawauth_tests::standins::{ClaudeConf, install_claude_standin};
use clawauth_tests::{clawauth_bin, sshd::closed_port};

struct Phone {
    lab: Lab,
    oc: OpenClaw,
    gw: RepairGateway,
    api: TermuxApi,
}

impl Phone {
    /// A gateway (real CLI, clawauth installed there too) whose anthropic token lives
    /// `expires_in`, and a phone with the Termux:API stand-ins and hosts `gw` and `down` (a
    /// closed port).
    fn new(expires_in: &str) -> Phone {
        let oc = openclaw();
        let lab = Lab::new();
        lab.trust();
        let gw = RepairGateway::new(&lab, "gw-home", &oc);
        openclaw_state(&oc, &gw.home, ANTHROPIC, Some(expires_in));
        lab.add_host("gw", &[]);
        let out = lab.clawauth(
            &[
                "hosts",
                "add",
                "down",
                "--ssh",
                &format!("root@127.0.0.1:{}", closed_port()),
                "--force",
            ],
            &[],
        );
        assert!(out.status.success(), "{}", text(&out));
        let api = TermuxApi::new(&lab, &TERMUX_API);
        Phone { lab, oc, gw, api }
    }

    /// clawauth on the gateway's login PATH, so checks read the state directly (ms, no Node).
    fn clawauth_on_gateway(&self) {
        self.gw.clawauth_on_login_path(&self.oc);
    }

    /// One tap of the phone's real build: the static aarch64 binary under qemu-aarch64-static,
    /// with the same stand-ins; returns (exit code, calls, output) and asserts one connection.
    fn qemu_tap(&self, args: &[&str]) -> (i32, Vec<Vec<String>>, String) {
        let mut cmd = self.lab.phone_command(clawauth_tests::aarch64::qemu());
        cmd.arg(clawauth_tests::aarch64::static_bin());
        self.run_tap(cmd, args, &[])
    }

    /// One tap: `clawauth ARGS` with the dialog answers `answers`; returns (exit code, the
    /// Termux:API calls it made, output) and asserts it opened at most one SSH connection
    /// (exactly one unless `host` is unreachable).
    fn tap(&self, args: &[&str], answers: &[&str]) -> (i32, Vec<Vec<String>>, String) {
        let mut cmd = self.lab.phone_command(clawauth_bin());
        cmd.env("CLAWAUTH_LOG", "debug");
        self.run_tap(cmd, args, answers)
    }

    /// Runs `cmd ARGS` as a tap on the phone (its PATH has the stand-ins).
    fn run_tap(
        &self,
        mut cmd: Command,
        args: &[&str],
        answers: &[&str],
    ) -> (i32, Vec<Vec<String>>, String) {
        let before = self.lab.sshd.connections();
        cmd.args(args);
        let (code, calls, out) = self.api.run(cmd, answers);
        let shown = text(&out);
        if args.contains(&"down") {
            assert_eq!(self.lab.sshd.connections(), before, "{shown}");
        } else {
            self.lab
                .sshd
                .assert_one_connection_since(before, &format!("one tap: {shown}"));
        }
        (code, calls, shown)
    }
}

/// The argument after `flag` in a recorded call.
fn arg<'a>(call: &'a [String], flag: &str) -> &'a str {
    call.iter()
        .position(|a| a == flag)
        .and_then(|i| call.get(i + 1))
        .map_or("", String::as_str)
}

fn programs(calls: &[Vec<String>]) -> Vec<&str> {
    calls.iter().map(|c| c[0].as_str()).collect()
}

/// ok, expiring, expired and unreachable: the quick check's toasts, buzzes, fix page and
/// notification — whose Re-auth button really starts the guided flow.
#[test]
fn quick_check_tap_shows_each_state_with_one_connection() {
    let p = Phone::new("3d");
    p.clawauth_on_gateway();

    let (connections, sessions) = (p.lab.sshd.connections(), p.lab.sshd.sessions());
    let (code, calls, shown) = p.tap(&["termux", "quick", "--host", "gw"], &[]);
    assert_eq!(code, 0, "{shown}");
    p.lab
        .sshd
        .assert_one_connection_since(connections, "one connection per quick tap");
    assert_eq!(
        p.lab.sshd.sessions() - sessions,
        1,
        "one command per quick tap: {}",
        p.lab.sshd.log_tail(20)
    );
    assert_eq!(programs(&calls), ["termux-toast"], "{calls:?}");
    assert_eq!(calls[0][1], "-s", "a short toast for ok");
    let ok = &calls[0][2];
    assert!(
        ok.starts_with("gw: Auth OK · 2d 23h left") || ok.starts_with("gw: Auth OK · 3d left"),
        "{ok}"
    );

    let (code, calls, shown) = p.tap(&["termux", "quick", "--host", "gw", "--at", "+2d12h"], &[]);
    assert_eq!(code, 2, "{shown}");
    assert_eq!(
        programs(&calls),
        ["termux-vibrate", "termux-toast"],
        "{calls:?}"
    );
    assert_eq!(calls[0][1..], ["-d", "150"]);
    let toast = &calls[1][1];
    assert!(
        toast.starts_with("gw: Auth expiring · anthropic:manual in 11h")
            && toast.ends_with("· re-auth soon"),
        "{toast}"
    );

    let (code, calls, shown) = p.tap(&["termux", "quick", "--host", "gw", "--at", "+4d"], &[]);
    assert_eq!(code, 1, "{shown}");
    assert_eq!(
        programs(&calls),
        [
            "termux-vibrate",
            "termux-toast",
            "termux-open-url",
            "termux-notification"
        ],
        "{calls:?}"
    );
    assert_eq!(calls[0][1..], ["-d", "400"]);
    assert!(
        calls[1][1].starts_with("gw: Auth expired · anthropic:manual")
            && calls[1][1].ends_with("· opening the fix page"),
        "{:?}",
        calls[1]
    );
    assert_eq!(calls[2][1], "https://console.anthropic.com/settings/keys");
    let n = &calls[3];
    assert_eq!(arg(n, "--id"), "clawauth-gw");
    assert_eq!(arg(n, "--priority"), "high");
    assert!(arg(n, "--title").starts_with("gw: Auth expired"), "{n:?}");
    let content = arg(n, "--content");
    assert!(
        content.contains("anthropic:manual") && content.contains("clawauth reauth --host gw"),
        "{content}"
    );
    assert_eq!(arg(n, "--button1"), "Re-auth");
    let action = arg(n, "--button1-action").to_owned();
    let bin = clawauth_bin();
    let quoted = clawauth_core::gateway::quote(bin.to_str().expect("utf-8")).expect("quote");
    assert_eq!(action, format!("{quoted} termux guided --host gw"));

    // Termux runs the button's action with a shell, without a terminal: it starts the guided
    // flow (answered "Later" here; now the token is fine, so no dialog even comes).
    let mut button = p.lab.phone_command("sh");
    button.args(["-c", &action]);
    let (code, calls, out) = p.api.run(button, &[]);
    assert_eq!(code, 0, "{}", text(&out));
    assert_eq!(
        programs(&calls),
        ["termux-toast", "termux-vibrate", "termux-toast"],
        "the guided flow ran: {calls:?}"
    );
    assert_eq!(calls[0][1..], ["-s", "Checking gw…"]);

    let (code, calls, shown) = p.tap(&["termux", "quick", "--host", "down"], &[]);
    assert_eq!(code, 3, "{shown}");
    assert_eq!(programs(&calls), ["termux-toast"], "{calls:?}");
    let t = &calls[0][1];
    assert!(
        t.starts_with("down unreachable · ") && t.contains("refused"),
        "names the host and the reason: {t}"
    );
}

/// Without Termux:API the quick check falls back to the terminal and says how to install it.
#[test]
fn quick_check_without_termux_api_prints_and_says_how_to_install_it() {
    let p = Phone::new("3d");
    p.clawauth_on_gateway();
    let before = p.lab.sshd.connections();
    let out = p.lab.clawauth(
        &["termux", "quick", "--host", "gw", "--at", "+4d"],
        &[("CLAWAUTH_STANDIN_LOG", p.api.log.as_str())],
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    p.lab.sshd.assert_one_connection_since(before, &shown);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("gw: Auth expired · anthropic:manual"),
        "{shown}"
    );
    assert!(
        stdout.contains("https://console.anthropic.com/settings/keys"),
        "{shown}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("pkg install termux-api").count(),
        1,
        "said once: {shown}"
    );
}

/// The guided flow: ok; expiring answered "Later"; expired answered "Re-auth now", which runs
/// `claude setup-token` on the gateway over the same connection, takes the code from a dialog
/// and stores a 365-day token.
#[test]
fn guided_tap_offers_reauth_and_renews_over_the_same_connection() {
    let p = Phone::new("3s");
    p.clawauth_on_gateway();
    let conf = ClaudeConf::new("guided-tap");
    install_claude_standin(&p.gw.home, &p.gw.bin, &conf);
    p.gw.set_service_active(true);
    std::thread::sleep(std::time::Duration::from_secs(4));

    // Expired, "Later": a notification remains.
    let (code, calls, shown) = p.tap(
        &["termux", "guided", "--host", "gw"],
        &[r#"{"code":-1,"text":"Later","index":1}"#],
    );
    assert_eq!(code, 1, "{shown}");
    assert_eq!(
        programs(&calls),
        [
            "termux-toast",
            "termux-vibrate",
            "termux-dialog",
            "termux-toast",
            "termux-notification"
        ],
        "{calls:?}"
    );
    assert_eq!(calls[1][1..], ["-d", "400"]);
    let d = &calls[2];
    assert_eq!(d[1], "radio");
    assert!(arg(d, "-t").starts_with("gw: Auth expired"), "{d:?}");
    assert_eq!(arg(d, "-v"), "Re-auth now,Later");
    assert!(p.gw.restarts().is_empty());

    // Expired, "Re-auth now": the sign-in page opens, a dialog takes the code, the token
    // is stored for 365 days and the service restarted.
    let code_answer = serde_json::json!({"code": -1, "text": conf.code}).to_string();
    let (code, calls, shown) = p.tap(
        &["termux", "guided", "--host", "gw"],
        &[
            r#"{"code":-1,"text":"Re-auth now","index":0}"#,
            &code_answer,
        ],
    );
    assert_eq!(code, 0, "{shown}");
    let progs = programs(&calls);
    assert_eq!(
        progs.iter().filter(|p| **p == "termux-dialog").count(),
        2,
        "{calls:?}"
    );
    let url = calls
        .iter()
        .find(|c| c[0] == "termux-open-url")
        .map(|c| c[1].clone());
    assert_eq!(url, Some(conf.authorize_url()), "{calls:?}");
    let text_dialog = calls
        .iter()
        .filter(|c| c[0] == "termux-dialog")
        .nth(1)
        .expect("code dialog");
    assert_eq!(text_dialog[1], "text");
    assert!(
        !text_dialog.contains(&"-p".to_owned()),
        "the code is shown as typed"
    );
    let last_toast = calls
        .iter()
        .rev()
        .find(|c| c[0] == "termux-toast")
        .expect("toast");
    assert!(
        last_toast[1].starts_with(
            "gw: anthropic re-authenticated · default anthropic/claude-opus-5, utility \
             anthropic/claude-haiku-4-5 now use anthropic:manual (ok, 364d"
        ),
        "{last_toast:?}"
    );
    assert_eq!(
        calls.last().map(|c| c[..2].to_vec()),
        Some(vec![
            "termux-notification-remove".to_owned(),
            "clawauth-gw".to_owned()
        ])
    );
    assert_eq!(p.gw.restarts().len(), 1, "{shown}");
    assert!(
        !shown.contains(&conf.token[20..60]),
        "the token never shows: {shown}"
    );

    // Now ok: a nudge and the time left.
    let (code, calls, shown) = p.tap(&["termux", "guided", "--host", "gw"], &[]);
    assert_eq!(code, 0, "{shown}");
    assert_eq!(
        programs(&calls),
        ["termux-toast", "termux-vibrate", "termux-toast"]
    );
    assert!(calls[2][2].starts_with("gw: Auth OK · 364d"), "{calls:?}");

    // Expiring (time-travelled), "Later": a reminder toast, nothing else.
    let (code, calls, shown) = p.tap(
        &["termux", "guided", "--host", "gw", "--at", "+364d12h"],
        &[r#"{"code":-1,"text":"Later","index":1}"#],
    );
    assert_eq!(code, 2, "{shown}");
    assert_eq!(
        programs(&calls),
        [
            "termux-toast",
            "termux-vibrate",
            "termux-dialog",
            "termux-toast"
        ],
        "{calls:?}"
    );
    assert_eq!(calls[1][1..], ["-d", "150"]);
    assert!(
        calls[3][1].starts_with("Reminder: gw: Auth expiring"),
        "{calls:?}"
    );

    // Unreachable: a toast naming the host and why.
    let (code, calls, shown) = p.tap(&["termux", "guided", "--host", "down"], &[]);
    assert_eq!(code, 3, "{shown}");
    assert_eq!(
        programs(&calls),
        ["termux-toast", "termux-vibrate", "termux-toast"]
    );
    assert!(
        calls[2][1].starts_with("down unreachable · ") && calls[2][1].contains("refused"),
        "{calls:?}"
    );
}

/// Sync: Claude Code's fresher login goes to OpenClaw — into the profile that serves the routes —
/// the service restarts, and the toast says what serves the routes now and how long it lasts;
/// a second tap finds nothing to do; an unreachable host says why.
#[test]
fn sync_tap_hands_over_the_login_restarts_and_toasts_the_expiry() {
    let p = Phone::new("2h");
    p.gw.set_service_active(true);
    let expires = now_ms() + 7 * 3_600_000;
    p.gw.claude_login(
        &clawauth_tests::lab::fake_token("sync-tap"),
        Some("sk-ant-ort01-FAKE-refresh"),
        expires,
    );

    // Exit 2: the handed-over login lives 7 hours, within the 24-hour warn window.
    let (code, calls, shown) = p.tap(&["termux", "sync", "--host", "gw"], &[]);
    assert_eq!(code, 2, "{shown}");
    assert_eq!(
        programs(&calls),
        [
            "termux-toast",
            "termux-vibrate",
            "termux-toast",
            "termux-notification-remove"
        ],
        "{calls:?}"
    );
    assert_eq!(calls[0][1..], ["-s", "Syncing gw…"]);
    let toast = &calls[2][1];
    assert!(
        toast.starts_with("gw: synced · default anthropic/claude-opus-5, utility ")
            && toast.contains("now use anthropic:manual (expiring, 6h ")
            && toast.ends_with("· gateway restarted"),
        "{toast}"
    );
    assert_eq!(p.gw.restarts().len(), 1);

    let (code, calls, shown) = p.tap(&["termux", "sync", "--host", "gw"], &[]);
    assert_eq!(code, 2, "{shown}");
    assert_eq!(
        programs(&calls),
        ["termux-toast", "termux-toast"],
        "{calls:?}"
    );
    assert!(
        calls[1][1].starts_with("gw: already in sync · expires "),
        "{calls:?}"
    );
    assert_eq!(p.gw.restarts().len(), 1, "no second restart");

    let (code, calls, shown) = p.tap(&["termux", "sync", "--host", "down"], &[]);
    assert_eq!(code, 3, "{shown}");
    assert!(
        calls[2][1].starts_with("Sync failed · down unreachable · ")
            && calls[2][1].contains("refused"),
        "{calls:?}"
    );
}

/// The phone's real build — the static aarch64 binary under qemu-aarch64-static — taps the
/// quick check (ok, expired) and sync against the real sshd, with the same results.
#[test]
fn quick_check_and_sync_taps_from_the_aarch64_binary() {
    let p = Phone::new("3d");
    p.clawauth_on_gateway();
    p.gw.set_service_active(true);

    let (code, calls, shown) = p.qemu_tap(&["termux", "quick", "--host", "gw"]);
    assert_eq!(code, 0, "{shown}");
    assert_eq!(programs(&calls), ["termux-toast"], "{calls:?}");
    assert!(
        calls[0][2].starts_with("gw: Auth OK · 2d 23h left"),
        "{calls:?}"
    );

    let (code, calls, shown) = p.qemu_tap(&["termux", "quick", "--host", "gw", "--at", "+4d"]);
    assert_eq!(code, 1, "{shown}");
    assert_eq!(
        programs(&calls),
        [
            "termux-vibrate",
            "termux-toast",
            "termux-open-url",
            "termux-notification"
        ],
        "{calls:?}"
    );
    assert_eq!(calls[2][1], "https://console.anthropic.com/settings/keys");

    // Claude Code's login outlasts OpenClaw's token: sync hands it over.
    p.gw.claude_login(
        &clawauth_tests::lab::fake_token("qemu-sync"),
        Some("sk-ant-ort01-FAKE-refresh"),
        now_ms() + 5 * 24 * 3_600_000,
    );
    let (code, calls, shown) = p.qemu_tap(&["termux", "sync", "--host", "gw"]);
    assert_eq!(code, 0, "{shown}");
    let toast = &calls[2][1];
    assert!(
        toast.starts_with("gw: synced · default anthropic/claude-opus-5, utility ")
            && toast.contains("now use anthropic:manual (ok, 4d 23h left)")
            && toast.ends_with("· gateway restarted"),
        "{calls:?}"
    );
    assert_eq!(p.gw.restarts().len(), 1);
}
