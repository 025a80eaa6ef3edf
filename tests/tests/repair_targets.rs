//! Repairs that really repair: on states written by the real OpenClaw 2026.9.6 CLI where the
//! routes are served by a profile other than `<provider>:manual` — a synced
//! `anthropic:claude-code`, a stored auth order, two agents with their own profiles — `token
//! paste`, `api-key paste`, `reauth` and `sync` store the new credential where OpenClaw will use
//! it, say so before writing, and speak about the routes afterwards. Each is judged by the real
//! CLI afterwards (`openclaw models status --json --check`), never by clawauth's own output.
//! Over a real sshd on 127.0.0.1; stand-ins only for `systemctl` and `claude setup-token`.

use camino::Utf8Path;
use clawauth_tests::lab::{ANTHROPIC, Lab, fake_token, openclaw_check, text};
use clawauth_tests::openclaw_cli::{OpenClaw, openclaw};
use clawauth_tests::repair_lab::{RepairGateway, clawauth_with_stdin, now_ms, openclaw_profiles};
use clawauth_tests::standins::{ClaudeConf, install_claude_standin};
use serde_json::Value;

const HOUR: i64 = 3600 * 1000;
const DAY: i64 = 24 * HOUR;

/// `openclaw ARGS` on the gateway home (as its operator would run it), which must succeed.
fn oc_ok(oc: &OpenClaw, home: &Utf8Path, args: &[&str], stdin: Option<&str>) {
    let out = oc.run(home.as_std_path(), args, stdin);
    assert!(
        out.status.success(),
        "openclaw {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `paste-token` for `id`, expiring in `expires_in`, optionally for an agent.
fn token(oc: &OpenClaw, home: &Utf8Path, id: &str, expires_in: &str, agent: Option<&str>) {
    let args = clawauth_tests::lab::paste_token_args(id, expires_in, agent);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    oc_ok(
        oc,
        home,
        &args,
        Some(&format!("{}\n", fake_token(&id.replace(':', "-")))),
    );
}

/// The real CLI's verdict for one agent (`--agent`), or OpenClaw's default.
fn check(oc: &OpenClaw, home: &Utf8Path, agent: Option<&str>) -> i32 {
    let mut args = vec!["models", "status", "--json", "--check"];
    if let Some(a) = agent {
        args.extend(["--agent", a]);
    }
    oc.run(home.as_std_path(), &args, None)
        .status
        .code()
        .expect("openclaw exited")
}

/// OpenClaw's own view of profile `id` (for `agent`).
fn profile(oc: &OpenClaw, home: &Utf8Path, id: &str, agent: Option<&str>) -> Option<Value> {
    let mut args = vec!["models", "status", "--json"];
    if let Some(a) = agent {
        args.extend(["--agent", a]);
    }
    let out = oc.run(home.as_std_path(), &args, None);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    doc.pointer("/auth/oauth/profiles")?
        .as_array()?
        .iter()
        .find(|p| p["profileId"] == id)
        .cloned()
}

fn days_left(p: &Value) -> f64 {
    (p["expiresAt"].as_i64().expect("expiresAt") - now_ms()) as f64 / DAY as f64
}

struct Gw {
    lab: Lab,
    oc: OpenClaw,
    gw: RepairGateway,
}

fn gateway(config: &str) -> Gw {
    let oc = openclaw();
    let lab = Lab::new();
    lab.trust();
    let gw = RepairGateway::new(&lab, "gw", &oc);
    std::fs::create_dir_all(gw.home.join(".openclaw")).expect("mkdir");
    std::fs::write(gw.home.join(".openclaw/openclaw.json"), config).expect("config");
    gw.set_service_active(true);
    lab.add_host("gw", &[]);
    Gw { lab, oc, gw }
}

impl Gw {
    fn home(&self) -> &Utf8Path {
        &self.gw.home
    }

    /// `openclaw models auth order set --provider anthropic IDS… [--agent A]`: a stored order.
    fn order_set(&self, ids: &[&str], agent: Option<&str>) {
        let mut args = vec!["models", "auth", "order", "set", "--provider", "anthropic"];
        args.extend_from_slice(ids);
        if let Some(a) = agent {
            args.extend(["--agent", a]);
        }
        oc_ok(&self.oc, self.home(), &args, None);
    }

    fn paste(&self, args: &[&str], secret: &str) -> std::process::Output {
        clawauth_with_stdin(&self.lab, args, &[], &format!("{secret}\n"))
    }

    /// `clawauth token paste --host gw --provider anthropic EXTRA… --expires-in EXPIRES_IN`
    /// with `secret` on stdin.
    fn token_paste(&self, extra: &[&str], expires_in: &str, secret: &str) -> std::process::Output {
        let mut args = vec!["token", "paste", "--host", "gw", "--provider", "anthropic"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--expires-in", expires_in]);
        self.paste(&args, secret)
    }
}

/// The issue's case: the routes run on a synced `anthropic:claude-code` token 5 h from expiry.
/// A fresh 365-day token pasted without `--profile-id` replaces that one — not a new
/// `anthropic:manual` the routes would never use — and the real CLI agrees it is fixed. With
/// `--profile-id anthropic:manual` it goes where it was told, clawauth says before writing that
/// OpenClaw uses another profile for the routes, and plainly afterwards that they are not fixed.
#[test]
fn token_paste_renews_the_synced_profile_that_serves_the_routes() {
    let g = gateway(ANTHROPIC);
    token(&g.oc, g.home(), "anthropic:claude-code", "5h", None);
    assert_eq!(check(&g.oc, g.home(), None), 2, "expiring before");

    // --profile-id still overrides, and says it will not help.
    let stray = fake_token("stray-manual");
    let out = g.token_paste(&["--profile-id", "anthropic:manual"], "365d", &stray);
    let shown = text(&out);
    assert!(
        shown.contains("storing the token as anthropic:manual")
            && shown.contains("OpenClaw uses anthropic:claude-code")
            && shown.contains("the re-check will tell whether it takes this one instead"),
        "said before writing: {shown}"
    );
    assert!(
        shown.contains("still use anthropic:claude-code (expiring"),
        "the re-check speaks about the routes: {shown}"
    );
    assert!(shown.contains("not fixed"), "{shown}");
    assert!(
        !shown.contains("re-check: expiring — anthropic:manual"),
        "never about a profile no route uses: {shown}"
    );
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert_eq!(
        check(&g.oc, g.home(), None),
        2,
        "the real CLI: still expiring"
    );

    // Without --profile-id: the profile that serves the routes.
    let fresh = fake_token("fresh-365d");
    let out = g.token_paste(&[], "365d", &fresh);
    let shown = text(&out);
    assert!(
        shown.contains(
            "storing the token as anthropic:claude-code — the profile OpenClaw uses for default \
             anthropic/claude-opus-5, utility anthropic/claude-haiku-4-5"
        ),
        "said before writing: {shown}"
    );
    assert!(
        shown.contains(
            "re-check: ok — default anthropic/claude-opus-5, utility anthropic/claude-haiku-4-5 \
             now use anthropic:claude-code (ok, 36"
        ),
        "{shown}"
    );
    assert!(!shown.contains(&fresh), "{shown}");
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert_eq!(
        check(&g.oc, g.home(), None),
        0,
        "the real CLI agrees the routes are fixed"
    );
    let p = profile(&g.oc, g.home(), "anthropic:claude-code", None).expect("claude-code");
    assert!(days_left(&p) > 364.0, "{p}");
}

/// A stored auth order (`openclaw models auth order set`): [work, backup], work a token 3 h
/// from expiry. The paste renews work, the head of the order — a new `anthropic:manual` would
/// not even be a candidate. Then work lapses entirely (nothing serves the route, exit 1): the
/// next paste goes to the head of the order again, which brings the route back.
#[test]
fn token_paste_follows_a_stored_auth_order() {
    let g = gateway(ANTHROPIC);
    token(&g.oc, g.home(), "anthropic:work", "3h", None);
    token(&g.oc, g.home(), "anthropic:backup", "30d", None);
    g.order_set(&["anthropic:work", "anthropic:backup"], None);
    assert_eq!(check(&g.oc, g.home(), None), 2);
    let out = g.token_paste(&[], "90d", &fake_token("work-renewed"));
    let shown = text(&out);
    assert!(
        shown.contains("storing the token as anthropic:work — the profile OpenClaw uses"),
        "{shown}"
    );
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert_eq!(check(&g.oc, g.home(), None), 0);
    assert!(profile(&g.oc, g.home(), "anthropic:manual", None).is_none());

    // Nothing serves: an order holding only an expired token.
    token(&g.oc, g.home(), "anthropic:solo", "2s", None);
    g.order_set(&["anthropic:solo"], None);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(check(&g.oc, g.home(), None), 1, "missing before");
    let out = g.token_paste(&[], "30d", &fake_token("solo-renewed"));
    let shown = text(&out);
    assert!(
        shown.contains("storing the token as anthropic:solo — first in OpenClaw's order"),
        "{shown}"
    );
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert_eq!(check(&g.oc, g.home(), None), 0, "the real CLI: fixed");
}

/// Two agents. First both run on `anthropic:shared` in the shared state database (the second
/// agent's own `anthropic:default` comes later in the config's order): one write through the
/// store's owner renews it for both — no override is left in the second agent's database.
/// Then the second agent's stored order puts its own profile first: one paste without
/// `--agent` stores the token for each agent where that agent's routes are served, and the real
/// CLI checks each agent ok.
#[test]
fn token_paste_renews_each_agents_serving_profile() {
    let g = gateway(
        r#"{"agents":{"ownership":"explicit","defaults":{"model":{"primary":"anthropic/claude-opus-5"}},"entries":{"main":{},"second":{"agentDir":"~/.openclaw/agent-second"}}}}"#,
    );
    token(&g.oc, g.home(), "anthropic:shared", "3h", Some("main"));
    token(&g.oc, g.home(), "anthropic:default", "3h", Some("second"));
    // OpenClaw's CLI checks one agent per run and refuses without --agent here; clawauth on the
    // gateway checks every agent, which is what tells where each agent's routes are served.
    g.lab.add_host("gw", &["--clawauth", &Lab::clawauth_path()]);
    assert_eq!(check(&g.oc, g.home(), Some("main")), 2);
    assert_eq!(check(&g.oc, g.home(), Some("second")), 2);
    let second_db = g
        .home()
        .join(".openclaw/agent-second/openclaw-agent.sqlite");
    let out = g.token_paste(&[], "365d", &fake_token("shared-renewed"));
    let shown = text(&out);
    assert!(
        shown.contains("storing the token as anthropic:shared for agent main")
            && !shown.contains("for agent second —"),
        "one write, through the shared store's owner: {shown}"
    );
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert_eq!(check(&g.oc, g.home(), Some("main")), 0, "main fixed");
    assert_eq!(check(&g.oc, g.home(), Some("second")), 0, "second fixed");
    let db = std::fs::read(&second_db).expect("second's database");
    assert!(
        !db.windows(16).any(|w| w == b"anthropic:shared"),
        "no override of the shared profile in the second agent's database"
    );

    // The second agent's own profile first in its order.
    g.order_set(&["anthropic:default"], Some("second"));
    assert_eq!(check(&g.oc, g.home(), Some("second")), 2);
    token(&g.oc, g.home(), "anthropic:shared", "3h", Some("main"));
    assert_eq!(check(&g.oc, g.home(), Some("main")), 2);
    let out = g.token_paste(&[], "365d", &fake_token("both-agents"));
    let shown = text(&out);
    assert!(
        shown.contains("storing the token as anthropic:shared for agent main")
            && shown.contains("storing the token as anthropic:default for agent second"),
        "{shown}"
    );
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert_eq!(check(&g.oc, g.home(), Some("main")), 0, "main fixed");
    assert_eq!(check(&g.oc, g.home(), Some("second")), 0, "second fixed");
    let p = profile(&g.oc, g.home(), "anthropic:default", Some("second")).expect("second's");
    assert!(days_left(&p) > 364.0, "{p}");
}

/// An API key pasted for routes served by an expiring token: OpenClaw keeps API keys only in
/// API-key profiles (`paste-api-key` refuses to write over a token), so the key goes to
/// `anthropic:manual`, which OpenClaw's writer puts first in `auth.order` — said before
/// writing — and the routes run on the key, as the real CLI confirms; the token is kept. Then a
/// stored order (`order set`, which outranks `auth.order`) names only the token: the next key
/// is stored, the re-check still finds the token in use, so clawauth puts the key first in the
/// stored order, says so, and the real CLI agrees the routes are fixed.
#[test]
fn api_key_paste_goes_first_for_token_served_routes() {
    let g = gateway(ANTHROPIC);
    token(&g.oc, g.home(), "anthropic:claude-code", "5h", None);
    let key = format!("sk-ant-api03-FAKE-{}", "k".repeat(90));
    let args = [
        "api-key",
        "paste",
        "--host",
        "gw",
        "--provider",
        "anthropic",
    ];
    let out = g.paste(&args, &key);
    let shown = text(&out);
    assert!(
        shown.contains(
            "storing the API key as anthropic:manual — default anthropic/claude-opus-5, utility \
             anthropic/claude-haiku-4-5 run on anthropic:claude-code, which it does not replace"
        ),
        "{shown}"
    );
    assert!(!shown.contains(&key), "{shown}");
    assert!(
        shown.contains("now use anthropic:manual (static)"),
        "{shown}"
    );
    assert!(
        !shown.contains("a stored auth order kept"),
        "no order needed: {shown}"
    );
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert_eq!(check(&g.oc, g.home(), None), 0, "the real CLI: fixed");
    let p = profile(&g.oc, g.home(), "anthropic:claude-code", None).expect("profile");
    assert_eq!(p["type"], "token", "the token profile is kept: {p}");

    // A stored order that names only the token.
    g.order_set(&["anthropic:claude-code"], None);
    assert_eq!(
        check(&g.oc, g.home(), None),
        2,
        "back on the expiring token"
    );
    let out = g.paste(&args, &format!("sk-ant-api03-FAKE-{}", "j".repeat(90)));
    let shown = text(&out);
    assert!(
        shown.contains("storing the API key as anthropic:manual"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "a stored auth order kept anthropic:manual from being used: set it to \
             anthropic:manual, anthropic:claude-code"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("now use anthropic:manual (static)"),
        "{shown}"
    );
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert_eq!(check(&g.oc, g.home(), None), 0, "the real CLI: fixed");
}

/// The guided re-auth (the `claude setup-token` stand-in) on the synced-profile gateway: the
/// new year-long token lands in `anthropic:claude-code`, and the real CLI agrees.
#[test]
fn reauth_renews_the_profile_that_serves_the_routes() {
    let g = gateway(ANTHROPIC);
    token(&g.oc, g.home(), "anthropic:claude-code", "5h", None);
    let conf = ClaudeConf::new("reauth-targets");
    install_claude_standin(&g.gw.home, &g.gw.bin, &conf);
    let out = clawauth_with_stdin(
        &g.lab,
        &["reauth", "--host", "gw"],
        &[],
        &format!("{}\n", conf.code),
    );
    let shown = text(&out);
    assert!(
        shown.contains("storing it as anthropic:claude-code — the profile OpenClaw uses"),
        "{shown}"
    );
    assert!(
        shown.contains("re-authenticated: new credential stored as anthropic:claude-code"),
        "{shown}"
    );
    assert!(!shown.contains(&conf.token), "{shown}");
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert_eq!(check(&g.oc, g.home(), None), 0);
    assert!(profile(&g.oc, g.home(), "anthropic:manual", None).is_none());
    let p = profile(&g.oc, g.home(), "anthropic:claude-code", None).expect("profile");
    assert!(days_left(&p) > 364.0, "{p}");
}

/// Sync compares Claude Code's login with the credential that serves the Anthropic routes:
/// here `anthropic:manual`, 2 h from expiry, first in the stored order — while an unused
/// `anthropic:spare` lasts 300 days. The old comparison (the longest-lived Anthropic profile
/// anywhere) said "nothing to sync"; now the 3-day login goes to the serving profile and the
/// real CLI sees the route fixed.
#[test]
fn sync_compares_with_the_credential_that_serves_the_routes() {
    let g = gateway(ANTHROPIC);
    token(&g.oc, g.home(), "anthropic:manual", "2h", None);
    token(&g.oc, g.home(), "anthropic:spare", "300d", None);
    g.order_set(&["anthropic:manual"], None);
    assert_eq!(check(&g.oc, g.home(), None), 2);
    let claude_exp = now_ms() + 72 * HOUR;
    g.gw.claude_login(
        &fake_token("claude-code-access"),
        Some("sk-ant-ort01-FAKE-refresh"),
        claude_exp,
    );
    let out = g.lab.clawauth(&["sync", "--host", "gw", "--dry-run"], &[]);
    let shown = text(&out);
    assert!(
        shown.contains("OpenClaw's anthropic:manual (it serves default anthropic/claude-opus-5"),
        "compared with the serving credential: {shown}"
    );
    assert!(shown.contains("would write anthropic:manual"), "{shown}");
    let out = g.lab.clawauth(&["sync", "--host", "gw"], &[]);
    let shown = text(&out);
    assert!(shown.contains("wrote anthropic:manual"), "{shown}");
    assert!(
        shown.contains("now use anthropic:manual (ok, 2d 23h"),
        "the re-check speaks about the routes: {shown}"
    );
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert_eq!(check(&g.oc, g.home(), None), 0, "the real CLI: fixed");
    assert_eq!(out.status.code(), Some(openclaw_check(&g.oc, g.home())));
    let spare = openclaw_profiles(&g.oc, g.home())
        .into_iter()
        .find(|p| p["profileId"] == "anthropic:spare")
        .expect("spare kept");
    assert!(days_left(&spare) > 299.0, "the spare is untouched: {spare}");
}

/// `sync --dry-run` says what would really happen: on a gateway whose OpenClaw keeps its
/// credentials in SQLite but whose `openclaw` cannot be found, nothing could write them, so the
/// dry run does not say "would write" — it says why not, exits as the real sync would (3: with
/// neither clawauth nor openclaw there, the state cannot even be read), and changes nothing.
#[test]
fn sync_dry_run_without_openclaw_on_the_gateway_says_it_could_not_write() {
    let g = gateway(ANTHROPIC);
    token(&g.oc, g.home(), "anthropic:manual", "2h", None);
    g.gw.claude_login(
        &fake_token("dry-run"),
        Some("sk-ant-ort01-FAKE-refresh"),
        now_ms() + 72 * HOUR,
    );
    // The gateway's login PATH without OpenClaw (the systemctl stand-in only).
    clawauth_tests::lab::login_path(g.home(), &[&g.gw.bin]);
    let before = openclaw_profiles(&g.oc, g.home());
    for args in [
        &["sync", "--host", "gw", "--dry-run"][..],
        &["sync", "--host", "gw"][..],
    ] {
        let out = g.lab.clawauth(args, &[]);
        let shown = text(&out);
        assert!(!shown.contains("would write"), "{shown}");
        assert!(
            shown.contains("only its own CLI writes") && shown.contains("openclaw"),
            "says why nothing can be written: {shown}"
        );
        assert_ne!(out.status.code(), Some(0), "{shown}");
        assert_eq!(
            out.status.code(),
            Some(3),
            "{}: exit 3, the state could not be read: {shown}",
            args.join(" ")
        );
    }
    assert_eq!(
        openclaw_profiles(&g.oc, g.home()),
        before,
        "nothing changed"
    );
    assert!(g.gw.restarts().is_empty());
}
