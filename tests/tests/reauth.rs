//! `clawauth reauth` over a real sshd, with the real OpenClaw 2026.9.6 CLI on the gateway side.
//! Stand-ins, each for something that cannot run here: `claude` (Claude Code's `claude
//! setup-token`, which needs Anthropic's servers; tests/standins/claude), `systemctl` (no
//! systemd) and `termux-open-url` on the phone side (needs Android).

use camino::Utf8PathBuf;
use clawauth_tests::lab::{ANTHROPIC, Lab, openclaw_check, openclaw_state, text};
use clawauth_tests::openclaw_cli::{OpenClaw, openclaw};
use clawauth_tests::repair_lab::{
    ArgvWatch, RepairGateway, clawauth_with_stdin, now_ms, openclaw_profiles, phone_path_with,
};
use clawauth_tests::standins::{ClaudeConf, ClaudeMode, install_claude_standin};

const DAY: i64 = 24 * 3600 * 1000;

/// A gateway with OpenClaw's Anthropic token 2 h from expiry and the `claude` stand-in; the
/// phone with the `termux-open-url` stand-in. Returns the phone's PATH and the URL log.
struct Setup {
    lab: Lab,
    oc: OpenClaw,
    gw: RepairGateway,
    phone_path: String,
    opened: Utf8PathBuf,
}

fn setup(mode: ClaudeMode) -> (Setup, ClaudeConf) {
    let oc = openclaw();
    let lab = Lab::new();
    lab.trust();
    let gw = RepairGateway::new(&lab, "gw", &oc);
    openclaw_state(&oc, &gw.home, ANTHROPIC, Some("2h"));
    let mut conf = ClaudeConf::new("reauth-test");
    conf.mode = mode;
    install_claude_standin(&gw.home, &gw.bin, &conf);
    gw.set_service_active(true);
    lab.add_host("gw", &[]);
    let phone_path = phone_path_with(&lab, &["termux-open-url"]);
    let opened = lab.scratch.join("opened-urls");
    (
        Setup {
            lab,
            oc,
            gw,
            phone_path,
            opened,
        },
        conf,
    )
}

impl Setup {
    fn reauth(&self, args: &[&str], input: &str) -> std::process::Output {
        let mut full = vec!["reauth", "--host", "gw"];
        full.extend_from_slice(args);
        clawauth_with_stdin(
            &self.lab,
            &full,
            &[
                ("PATH", &self.phone_path),
                ("CLAWAUTH_STANDIN_LOG", self.opened.as_str()),
                ("CLAWAUTH_LOG", "trace"),
            ],
            input,
        )
    }

    fn opened_urls(&self) -> Vec<String> {
        clawauth_tests::standins::standin_calls(&self.opened)
            .into_iter()
            .filter(|call| call[0] == "termux-open-url")
            .filter_map(|call| call.get(1).cloned())
            .collect()
    }
}

/// The whole setup-token flow: the wrapped 346-character URL is found and opened on the phone,
/// the code goes into the PTY, the token comes back out of it and into OpenClaw through stdin
/// (never argv, output or trace logs), the active service is restarted, and the real CLI shows
/// the new token with ~365 days left. One SSH connection.
#[test]
fn setup_token_flow_stores_the_new_token_for_365_days() {
    for mode in [ClaudeMode::Ok, ClaudeMode::Osc8] {
        let (s, conf) = setup(mode);
        let before = s.lab.sshd.connections();
        let watch = ArgvWatch::start(vec![conf.token.clone()]);
        let out = s.reauth(&[], &format!("{}\n", conf.code));
        let sampled = watch.stop();
        let shown = text(&out);
        sampled.assert_no_leaks("the token");
        assert!(sampled.rounds > 10, "sampled {} times", sampled.rounds);
        assert!(
            !shown.contains(&conf.token),
            "token in output or logs: {shown}"
        );
        assert!(
            !shown.contains(&conf.token[13..60]),
            "part of the token in output or logs"
        );
        assert!(
            shown.contains("TRACE") || shown.contains("DEBUG"),
            "trace logs were on"
        );
        assert_eq!(
            s.opened_urls(),
            vec![conf.authorize_url()],
            "{mode:?}: the exact URL opened on the phone: {shown}"
        );
        assert!(shown.contains("re-authenticated"), "{shown}");
        assert!(shown.contains("restarted openclaw-gateway"), "{shown}");
        assert_eq!(s.gw.restarts().len(), 1);
        assert_eq!(
            out.status.code(),
            Some(openclaw_check(&s.oc, &s.gw.home)),
            "{shown}"
        );
        assert_eq!(out.status.code(), Some(0), "{shown}");
        let p = openclaw_profiles(&s.oc, &s.gw.home)
            .into_iter()
            .find(|p| p["profileId"] == "anthropic:manual")
            .expect("anthropic:manual");
        let left = p["expiresAt"].as_i64().expect("expiresAt") - now_ms();
        assert!(
            (364 * DAY..=365 * DAY).contains(&left),
            "~365 d left: {left} ms ({p})"
        );
        s.lab.sshd.assert_one_connection_since(before, &shown);
        println!(
            "setup-token ({mode:?}): {:.2} days left on the new token, {} argv samples clean",
            left as f64 / DAY as f64,
            sampled.rounds
        );
    }
}

/// A wrong code, a program that ends, hangs or prints no token: each ends in a clear failure,
/// and OpenClaw's credentials are exactly as before, with no restart.
#[test]
fn failures_leave_the_old_credential_in_place() {
    let cases: [(ClaudeMode, &str, &[&str], &str); 4] = [
        (
            ClaudeMode::Ok,
            "wrong-code#nope\n",
            &[],
            "the code was not accepted: OAuth error",
        ),
        (
            ClaudeMode::ExitBeforeUrl,
            "",
            &[],
            "ended (exit 1) before showing a sign-in URL",
        ),
        (
            ClaudeMode::HangBeforeUrl,
            "",
            &["--timeout", "3s"],
            "nothing happened for 3s while waiting for claude setup-token to show its sign-in URL",
        ),
        (
            ClaudeMode::NoToken,
            "CODE\n",
            &["--timeout", "3s"],
            "without printing a token",
        ),
    ];
    for (mode, input, extra, expect) in cases {
        let (s, conf) = setup(mode);
        let before = openclaw_profiles(&s.oc, &s.gw.home);
        let input = input.replace("CODE", &conf.code);
        let out = s.reauth(extra, &input);
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(1), "{mode:?}: {shown}");
        assert!(
            shown.contains(expect),
            "{mode:?}: expected {expect:?}: {shown}"
        );
        assert!(
            shown.contains("the old credential is still in place"),
            "{mode:?}: {shown}"
        );
        assert_eq!(
            openclaw_profiles(&s.oc, &s.gw.home),
            before,
            "{mode:?}: unchanged"
        );
        assert!(s.gw.restarts().is_empty(), "{mode:?}: no restart");
    }
}

/// The api-key method opens the provider's key page and stores the key with paste-api-key.
#[test]
fn api_key_method_opens_the_key_page_and_stores_the_key() {
    let (s, _) = setup(ClaudeMode::Ok);
    let key = format!("sk-ant-api03-FAKE-{}", "z".repeat(70));
    let out = s.reauth(
        &[
            "--method",
            "api-key",
            "--provider",
            "anthropic",
            "--profile-id",
            "anthropic:api",
        ],
        &format!("{key}\n"),
    );
    let shown = text(&out);
    assert!(!shown.contains(&key), "{shown}");
    assert_eq!(
        s.opened_urls(),
        vec!["https://console.anthropic.com/settings/keys".to_owned()],
        "{shown}"
    );
    // OpenClaw's own writer puts a key first in the order when the provider's other profiles
    // are of another kind, so the routes run on it.
    assert!(
        shown.contains("new credential stored as anthropic:api"),
        "{shown}"
    );
    assert!(shown.contains("now use anthropic:api (static)"), "{shown}");
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert_eq!(openclaw_check(&s.oc, &s.gw.home), 0, "the real CLI: fixed");
    assert!(
        openclaw_profiles(&s.oc, &s.gw.home)
            .iter()
            .any(|p| p["profileId"] == "anthropic:api"),
        "OpenClaw lists the key"
    );
    // A key broken by a space is refused before it is sent.
    let before = openclaw_profiles(&s.oc, &s.gw.home);
    let out = s.reauth(
        &[
            "--method",
            "api-key",
            "--profile-id",
            "anthropic:api2",
            "--yes",
        ],
        &format!("{} {}\n", &key[..30], &key[30..]),
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("a space after 30"), "{shown}");
    assert!(shown.contains("nothing was sent"), "{shown}");
    assert_eq!(openclaw_profiles(&s.oc, &s.gw.home), before);
}

/// `--method login` relays the real `openclaw models auth login --provider openai` in a PTY:
/// its sign-in URL is opened on the phone and its question asked; the code exchange cannot
/// succeed here (no network, a made-up code), which ends clearly with nothing changed.
#[test]
fn login_method_relays_the_real_openclaw_login() {
    let (s, _) = setup(ClaudeMode::Ok);
    let before = openclaw_profiles(&s.oc, &s.gw.home);
    let out = s.reauth(
        &[
            "--method",
            "login",
            "--provider",
            "openai",
            "--timeout",
            "60s",
            "--yes",
        ],
        "made-up-code\n",
    );
    let shown = text(&out);
    let urls = s.opened_urls();
    assert!(
        urls.iter()
            .any(|u| u.starts_with("https://auth.openai.com/oauth/authorize?")),
        "the sign-in URL was opened: {urls:?}\n{shown}"
    );
    assert!(
        shown.contains("Paste the authorization code"),
        "the question was asked: {shown}"
    );
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("the old credential is still in place"),
        "{shown}"
    );
    assert_eq!(openclaw_profiles(&s.oc, &s.gw.home), before);
    assert!(s.gw.restarts().is_empty());
}
