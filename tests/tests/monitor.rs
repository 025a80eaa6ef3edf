//! `clawauth monitor` end to end: a real sshd, a gateway state written by the real OpenClaw CLI,
//! the built clawauth on both sides, and the test's own ntfy server (tests/src/ntfy.rs) receiving
//! the alerts. Time moves with `--at`; the gateway's clawauth evaluates the state as of then.

use std::process::Output;

use camino::Utf8PathBuf;
use clawauth_tests::lab::{
    ANTHROPIC, Lab, fake_token, login_path, openclaw_state, paste_token_args, text,
};
use clawauth_tests::ntfy::{Behaviour, NtfyServer, Published};
use clawauth_tests::openclaw_cli::{OpenClaw, openclaw};
use clawauth_tests::repair_lab::{ArgvWatch, openclaw_profiles, phone_path_with};
use clawauth_tests::standins::standin_calls;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// A made-up ntfy access token.
const NTFY_TOKEN: &str = "tk_FAKEntfyTokenForClawauthTests0123";

/// A phone monitoring gateway `gw` over SSH, alerting through the test's ntfy server.
struct MonitorLab {
    lab: Lab,
    oc: OpenClaw,
    /// The gateway's HOME.
    gw: Utf8PathBuf,
    ntfy: NtfyServer,
    /// config.toml as `hosts add` wrote it, before any [monitor] table.
    hosts_toml: String,
}

fn dir_of(p: &std::path::Path) -> Utf8PathBuf {
    Utf8PathBuf::from_path_buf(p.parent().expect("parent").to_path_buf()).expect("utf-8")
}

impl MonitorLab {
    /// A gateway whose `anthropic:manual` token expires in `expires_in` (written by the real
    /// CLI), with clawauth and openclaw on its login PATH.
    fn new(expires_in: &str) -> Self {
        let lab = Lab::new();
        lab.trust();
        let oc = openclaw();
        let gw = lab.new_home("gw");
        openclaw_state(&oc, &gw, ANTHROPIC, Some(expires_in));
        let clawauth_dir = dir_of(&clawauth_tests::clawauth_bin());
        login_path(
            &gw,
            &[
                &clawauth_dir,
                &dir_of(&oc.bin),
                &dir_of(&oc.node_bin_dir.join("node")),
            ],
        );
        lab.gateway(&gw);
        lab.add_host("gw", &[]);
        let hosts_toml = std::fs::read_to_string(Self::config_path(&lab)).expect("config.toml");
        let token_file = lab.phone.join(".config/clawauth/ntfy.env");
        std::fs::write(&token_file, format!("NTFY_TOKEN={NTFY_TOKEN}\n")).expect("token file");
        clawauth_tests::set_mode(token_file.as_std_path(), 0o600);
        let ntfy = NtfyServer::with_token(NTFY_TOKEN);
        let me = Self {
            lab,
            oc,
            gw,
            ntfy,
            hosts_toml,
        };
        me.configure("");
        me
    }

    fn config_path(lab: &Lab) -> Utf8PathBuf {
        lab.phone.join(".config/clawauth/config.toml")
    }

    fn state_path(&self) -> Utf8PathBuf {
        self.lab.phone.join(".local/state/clawauth/monitor.json")
    }

    /// Rewrites the [monitor] part of config.toml: ntfy at the test server (token from a 0600
    /// file), plus `extra` (more tables or keys under [monitor]).
    fn configure(&self, extra: &str) {
        let text = format!(
            "{}\n[monitor]\n{extra}\n[monitor.ntfy]\nserver = \"{}\"\ntopic = \"gw-alerts\"\ntoken_file = \"~/.config/clawauth/ntfy.env\"\ntimeout = \"2s\"\n",
            self.hosts_toml,
            self.ntfy.url()
        );
        std::fs::write(Self::config_path(&self.lab), text).expect("write config.toml");
    }

    /// `anthropic:manual`'s expiry, as the real CLI reports it.
    fn expiry(&self) -> i64 {
        openclaw_profiles(&self.oc, &self.gw)
            .iter()
            .find(|p| p["profileId"] == "anthropic:manual")
            .and_then(|p| p["expiresAt"].as_i64())
            .expect("anthropic:manual has an expiry")
    }

    /// `clawauth monitor --host gw --at AT`.
    fn monitor(&self, at_ms: i64, env: &[(&str, &str)]) -> Output {
        let at = at_ms.to_string();
        self.lab
            .clawauth(&["monitor", "--host", "gw", "--at", &at], env)
    }

    /// Runs the monitor at `at_ms` and returns what ntfy published during the run.
    fn step(&self, label: &str, at_ms: i64) -> Vec<Published> {
        let before = self.ntfy.published().len();
        let out = self.monitor(at_ms, &[("CLAWAUTH_LOG", "trace")]);
        assert_eq!(out.status.code(), Some(0), "{label}: {}", text(&out));
        assert_no_secret(&out, &[NTFY_TOKEN, &fake_token("remote-3d")], label);
        self.ntfy.published()[before..].to_vec()
    }

    /// Pastes a new token on the gateway with the real CLI.
    fn paste(&self, expires_in: &str, tag: &str) {
        let args = paste_token_args("anthropic:manual", expires_in, None);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.oc.run(
            self.gw.as_std_path(),
            &args,
            Some(&format!("{}\n", fake_token(tag))),
        );
        assert!(
            out.status.success(),
            "paste-token: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn assert_no_secret(out: &Output, secrets: &[&str], label: &str) {
    for s in secrets {
        let half = &s[..s.len() / 2];
        for (name, stream) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !String::from_utf8_lossy(stream).contains(half),
                "{label}: a secret is in {name}"
            );
        }
    }
}

/// The one alert of a step.
fn one(label: &str, got: Vec<Published>) -> Published {
    assert_eq!(
        got.len(),
        1,
        "{label}: expected exactly one alert, got {got:#?}"
    );
    got.into_iter().next().expect("one")
}

fn quiet(label: &str, got: Vec<Published>) {
    assert!(got.is_empty(), "{label}: expected no alert, got {got:#?}");
}

/// ok → expiring → expired → fixed, as time passes: exactly the expected notifications, one
/// story under one sequence id, every one with the host, agent, provider, profile, time left
/// and the fix commands; nothing in between; and no secret in argv, logs or the state.
#[test]
fn a_token_expires_and_is_fixed_one_notification_story() {
    let m = MonitorLab::new("3d");
    let e = m.expiry();
    let watch = ArgvWatch::start(vec![NTFY_TOKEN.to_owned(), fake_token("remote-3d")]);

    quiet("ok, two days before", m.step("ok", e - 48 * HOUR));
    quiet("still ok", m.step("ok again", e - 25 * HOUR));

    let a = one("expiring", m.step("expiring", e - 12 * HOUR));
    assert_eq!(a.topic, "gw-alerts");
    assert_eq!(
        a.title.as_deref(),
        Some("gw: anthropic:manual expires in 12h")
    );
    assert_eq!(a.priority, 4, "expiring is high");
    assert!(a.markdown);
    assert_eq!(a.tags, vec!["warning", "gw", "anthropic"]);
    for needle in [
        "**anthropic:manual** (token) on **gw** (agent main, provider anthropic) expires in 12h",
        "within the 24h warning",
        "Serves: default anthropic/claude-opus-5",
        "`clawauth reauth --host gw`",
        "`claude setup-token && openclaw models auth paste-token --provider anthropic --profile-id anthropic:manual --expires-in 365d`",
    ] {
        assert!(
            a.message.contains(needle),
            "{needle:?} not in:\n{}",
            a.message
        );
    }
    assert_eq!(a.click.as_deref(), Some("clawauth://reauth?host=gw"));
    let labels: Vec<&str> = a
        .actions
        .iter()
        .filter_map(|x| x["label"].as_str())
        .collect();
    assert_eq!(labels, ["Open key page", "Re-auth"]);
    assert_eq!(
        a.actions[0]["url"],
        "https://console.anthropic.com/settings/keys"
    );
    assert_eq!(a.actions[1]["url"], "clawauth://reauth?host=gw");
    let seq = a.sequence_id.clone().expect("a sequence id");
    // The request as the server received it (README: "what arrives").
    let raw = m
        .ntfy
        .requests()
        .into_iter()
        .rfind(|r| r.published.is_some())
        .expect("the publish request");
    println!("{} {}", raw.method, raw.path);
    for (k, v) in &raw.headers {
        let v = if k == "authorization" {
            "Bearer tk_… (redacted)"
        } else {
            v.as_str()
        };
        println!("{k}: {v}");
    }
    println!("\n{}", raw.body);

    quiet(
        "30 minutes later",
        m.step("expiring +30m", e - 11 * HOUR - 30 * MIN),
    );
    quiet("5 hours later", m.step("expiring +5h", e - 7 * HOUR));
    let r = one("reminder after 6 h", m.step("expiring +6h", e - 6 * HOUR));
    assert_eq!(
        (r.priority, r.sequence_id.as_deref()),
        (4, Some(seq.as_str()))
    );
    assert!(
        r.message.contains("Reminder 2: still expiring"),
        "{}",
        r.message
    );

    let x = one("expired", m.step("expired", e + MIN));
    assert_eq!(x.title.as_deref(), Some("gw: anthropic:manual expired"));
    assert_eq!(x.priority, 5, "expired is urgent");
    assert_eq!(x.tags[0], "rotating_light");
    assert!(
        x.message.contains("`clawauth reauth --host gw`"),
        "{}",
        x.message
    );
    assert_eq!(x.sequence_id.as_deref(), Some(seq.as_str()));
    quiet("expired +30m", m.step("expired +30m", e + 31 * MIN));
    let x2 = one("hourly reminder", m.step("expired +1h", e + HOUR + MIN));
    assert_eq!(
        (x2.priority, x2.sequence_id.as_deref()),
        (5, Some(seq.as_str()))
    );
    assert!(x2.message.contains("Reminder"), "{}", x2.message);

    // Fixed on the gateway with the real CLI: a year-long token.
    m.paste("365d", "renewed");
    let f = one("recovered", m.step("fixed", e + 90 * MIN));
    assert_eq!(f.title.as_deref(), Some("gw: anthropic:manual is fixed"));
    assert_eq!(f.priority, 3, "a recovery is default priority");
    assert_eq!(f.tags[0], "white_check_mark");
    assert_eq!(f.sequence_id.as_deref(), Some(seq.as_str()));
    assert!(f.actions.is_empty() && f.click.is_none());
    quiet("fine afterwards", m.step("fine", e + 2 * HOUR));

    let all = m.ntfy.published();
    assert_eq!(all.len(), 5, "five notifications in all");
    assert!(
        all.iter()
            .all(|p| p.authorized_as.as_deref() == Some("bearer")),
        "every publish carried the token"
    );
    let sampled = watch.stop();
    assert!(
        sampled.rounds > 10,
        "the /proc sampler ran ({} rounds)",
        sampled.rounds
    );
    sampled.assert_no_leaks("a secret");
    let state = std::fs::read_to_string(m.state_path()).expect("state file");
    assert!(
        !state.contains(&NTFY_TOKEN[..12]) && !state.contains("sk-ant-"),
        "a secret in the state file"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(m.state_path())
        .expect("stat")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

/// Setup-tokens get 30- and 7-day notices (sent once each, default priority), then the 24-hour
/// warning (high, with reminders); shares of the lifetime work; `--dry-run` sends and writes
/// nothing.
#[test]
fn thresholds_per_type_and_shares_of_the_lifetime() {
    let m = MonitorLab::new("365d");
    let e = m.expiry();
    let first = e - 40 * DAY;
    quiet("40 days left", m.step("40d", first));
    let n30 = one("30-day notice", m.step("30d", e - 30 * DAY + HOUR));
    assert_eq!(n30.priority, 3);
    assert_eq!(n30.tags[0], "hourglass_flowing_sand");
    assert!(
        n30.message.contains("(setup-token)") && n30.message.contains("within the 30d warning"),
        "{}",
        n30.message
    );
    quiet("no reminder of a notice", m.step("20d", e - 20 * DAY));
    let n7 = one("7-day notice", m.step("7d", e - 7 * DAY + HOUR));
    assert_eq!(n7.priority, 3);
    assert!(
        n7.message.contains("within the 7d warning"),
        "{}",
        n7.message
    );
    let w = one("24-hour warning", m.step("24h", e - 23 * HOUR));
    assert_eq!(w.priority, 4);

    // Dry run: says what would go, sends and writes nothing.
    let before = std::fs::read(m.state_path()).expect("state");
    let out = m.lab.clawauth(
        &[
            "monitor",
            "--host",
            "gw",
            "--dry-run",
            "--at",
            &(e - 16 * HOUR).to_string(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("would send ntfy [reminder high] gw: anthropic:manual expires in 16h"),
        "{stdout}"
    );
    assert_eq!(std::fs::read(m.state_path()).expect("state"), before);
    assert_eq!(m.ntfy.published().len(), 3);

    // A share of the lifetime: 10 % of the ~40 days the monitor has seen this token live.
    m.configure("[monitor.thresholds]\nsetup_token = [\"10%\"]\n");
    let _ = std::fs::remove_file(m.state_path());
    quiet("first sight, 40 days left", m.step("share: first", first));
    quiet("5 days left: above 10 %", m.step("share: 5d", e - 5 * DAY));
    let s = one("within 10 %", m.step("share: 3d", e - 3 * DAY));
    assert!(
        s.message.contains("within the 10% warning"),
        "{}",
        s.message
    );
    assert_eq!(s.priority, 4, "the only threshold is the last one: high");
}

/// A host that cannot be reached is reported only after two failed runs in a row, once, and a
/// recovery follows when it answers again; a notifier that is down gets the alert on a later
/// run; a crash between a delivery and its record repeats it at most once; the heartbeat pings
/// start, success and failure.
#[test]
fn unreachable_hosts_retries_crashes_and_heartbeats() {
    let m = MonitorLab::new("365d");
    let e = m.expiry();
    let t0 = e - 100 * DAY;
    // The host points at a closed port first.
    let closed = clawauth_tests::sshd::closed_port();
    let hosts_down = m
        .hosts_toml
        .replace(&m.lab.target(), &format!("root@127.0.0.1:{closed}"));
    assert_ne!(hosts_down, m.hosts_toml);
    let beat = format!("{}/ping/0f1e2d3c-FAKE-uuid", m.ntfy.url());
    let with_beat = format!("[monitor.heartbeat]\nurl = \"{beat}\"\ntimeout = \"2s\"\n");
    let write = |hosts: &str| {
        std::fs::write(
            MonitorLab::config_path(&m.lab),
            format!(
                "{hosts}\n[monitor]\n[monitor.ntfy]\nserver = \"{}\"\ntopic = \"gw-alerts\"\ntoken_file = \"~/.config/clawauth/ntfy.env\"\ntimeout = \"2s\"\n{with_beat}",
                m.ntfy.url()
            ),
        )
        .expect("config");
    };
    write(&hosts_down);
    quiet("first failure", m.step("down 1", t0));
    let u = one("second failure", m.step("down 2", t0 + 30 * MIN));
    assert_eq!(u.title.as_deref(), Some("gw is unreachable"));
    assert_eq!(u.priority, 4);
    assert!(
        u.message.contains("in 2 runs in a row")
            && u.message.contains("`clawauth status --host gw`"),
        "{}",
        u.message
    );
    quiet("third failure", m.step("down 3", t0 + 60 * MIN));
    write(&m.hosts_toml);
    let back = one("reachable", m.step("up", t0 + 90 * MIN));
    assert_eq!(back.title.as_deref(), Some("gw is reachable again"));
    assert_eq!(back.sequence_id, u.sequence_id);

    // Heartbeats: start and success of each run, paired by rid.
    let pings = m.ntfy.pings();
    let paths: Vec<&str> = pings.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths.len(), 8, "{paths:?}");
    assert!(
        paths
            .chunks(2)
            .all(|c| c[0].ends_with("/start") && c[1] == "/ping/0f1e2d3c-FAKE-uuid"),
        "{paths:?}"
    );
    assert!(pings.iter().all(|p| p.query.contains("rid=")));
    assert_eq!(
        pings[0].query, pings[1].query,
        "start and finish share the rid"
    );

    // The notifier is down (500 twice: the run's two attempts): not sent, exit 1, retried.
    let t1 = e - 23 * HOUR;
    // (The server's failures apply to pings too: the run's /start ping goes through first.)
    m.ntfy.fail_next([
        Behaviour::Normal,
        Behaviour::Status(500),
        Behaviour::Status(500),
    ]);
    let out = m.monitor(t1, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("NOT SENT ntfy") && stdout.contains("retried on the next run"),
        "{stdout}"
    );
    assert!(
        m.ntfy
            .pings()
            .last()
            .is_some_and(|p| p.path.ends_with("/1")),
        "failure ping with the exit status"
    );
    let a = one("sent once it is up", m.step("up again", t1 + 30 * MIN));
    assert_eq!(a.priority, 4);
    // A 429 with Retry-After is retried within the run.
    m.ntfy
        .fail_next([Behaviour::Normal, Behaviour::Status(429)]);
    let x = one("429 then delivered", m.step("expired", e + MIN));
    assert_eq!(x.priority, 5);
    // A server that hangs: the send times out (2 s), nothing recorded, then delivered. The
    // heartbeat hangs too: its pings time out with a warning, which does not fail the run.
    m.ntfy.set_default(Behaviour::Hang);
    let out = m.monitor(e + HOUR + 5 * MIN, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("timed out"),
        "{}",
        text(&out)
    );
    m.ntfy.set_default(Behaviour::Normal);
    one(
        "reminder after the hang",
        m.step("after hang", e + HOUR + 10 * MIN),
    );

    // Crash between delivery and record: delivered, not recorded, so sent again — once.
    // (Renewed for two years: the run is a year ahead, past the first token's expiry.)
    m.paste("730d", "renewed");
    let before = m.ntfy.published().len();
    let out = m.monitor(
        e + 2 * HOUR,
        &[("CLAWAUTH_FAILPOINT", "monitor-after-send")],
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal(),
        Some(6),
        "aborted by the failpoint: {}",
        text(&out)
    );
    assert_eq!(
        m.ntfy.published().len(),
        before + 1,
        "the recovery went out before the crash"
    );
    let again = one("repeated once", m.step("after crash", e + 2 * HOUR + MIN));
    assert_eq!(
        again.title.as_deref(),
        Some("gw: anthropic:manual is fixed")
    );
    quiet("then quiet", m.step("quiet", e + 3 * HOUR));
}

/// The command notifier gets the alert on stdin (and no token in its environment); the
/// termux-notification stand-in gets an id, priority and a Re-auth button; a failing command is
/// retried on the next run.
#[test]
fn command_and_termux_notifiers() {
    let m = MonitorLab::new("3d");
    let e = m.expiry();
    let out_dir = m.lab.scratch.join("alerts");
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    let script = m.lab.scratch.join("send-alert");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ -e {dir}/fail ] && {{ echo 'relay refused the message' >&2; exit 3; }}\nn=$(ls {dir} | wc -l)\ncat > {dir}/alert-$n.txt\nenv > {dir}/env-$n.txt\n",
            dir = out_dir
        ),
    )
    .expect("script");
    clawauth_tests::set_mode(script.as_std_path(), 0o755);
    let log = m.lab.scratch.join("termux.log");
    m.configure(&format!(
        "[monitor.command]\nprogram = \"{script}\"\nargs = [\"--channel\", \"ops\"]\n[monitor.termux]\nenabled = true\n"
    ));
    let path = phone_path_with(&m.lab, &["termux-notification"]);
    let env = [
        ("PATH", path.as_str()),
        ("CLAWAUTH_STANDIN_LOG", log.as_str()),
        ("CLAWAUTH_NTFY_TOKEN", "tk_FAKEfromTheEnvironment"),
    ];
    std::fs::write(out_dir.join("fail"), "").expect("fail marker");
    let out = m.monitor(e - 12 * HOUR, &env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("relay refused the message"),
        "{}",
        text(&out)
    );
    std::fs::remove_file(out_dir.join("fail")).expect("rm");
    let out = m.monitor(e - 11 * HOUR, &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let alert =
        std::fs::read_to_string(out_dir.join("alert-0.txt")).expect("the command got the alert");
    assert!(
        alert.starts_with("gw: anthropic:manual expires in 11h\n\n"),
        "{alert}"
    );
    assert!(
        alert.contains("Fix with clawauth: clawauth reauth --host gw"),
        "{alert}"
    );
    assert!(!alert.contains("**"), "plain text on stdin: {alert}");
    let envs = std::fs::read_to_string(out_dir.join("env-1.txt").as_std_path())
        .or_else(|_| std::fs::read_to_string(out_dir.join("env-0.txt")))
        .expect("env");
    assert!(
        envs.contains("CLAWAUTH_ALERT_PRIORITY=4") && envs.contains("CLAWAUTH_ALERT_HOST=gw"),
        "{envs}"
    );
    assert!(
        !envs.contains("tk_FAKE"),
        "the ntfy token leaked into the command's environment"
    );
    // ntfy, command and termux each delivered once: the ntfy one on the first run already.
    assert_eq!(m.ntfy.published().len(), 1);
    let calls = standin_calls(&log);
    assert_eq!(
        calls.len(),
        1,
        "termux delivered on the first run, not again: {calls:#?}"
    );
    let c = &calls[0];
    assert_eq!(c[0], "termux-notification");
    let arg = |flag: &str| c.iter().position(|a| a == flag).map(|i| c[i + 1].clone());
    assert!(arg("--id").is_some_and(|id| id.starts_with("clawauth-")));
    assert_eq!(arg("--priority").as_deref(), Some("high"));
    assert_eq!(
        arg("--title").as_deref(),
        Some("gw: anthropic:manual expires in 12h")
    );
    assert_eq!(arg("--button1").as_deref(), Some("Re-auth"));
    let action = arg("--button1-action").expect("button action");
    assert!(
        action.contains("com.termux.RUN_COMMAND") && action.contains("reauth,--host,gw"),
        "{action}"
    );
}

/// A malformed [monitor] table is refused with its line and key, before anything is checked.
#[test]
fn bad_monitor_config_names_the_key() {
    let m = MonitorLab::new("365d");
    m.configure("remind_expired = \"soonish\"\n");
    let out = m.monitor(m.expiry() - DAY, &[]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("monitor.remind_expired") && err.contains("line "),
        "{err}"
    );
    assert!(m.ntfy.requests().is_empty());
}

/// `--changes-only` (what the phone's scheduled check runs): news still goes out — the first
/// "unreachable" after two failed runs — but a reminder that is due is not sent, and the run
/// records nothing that would postpone it for a later run without the flag. No sshd: the host
/// points at a closed port; the alerts go to a command notifier.
#[test]
fn changes_only_sends_news_but_no_reminders() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = Utf8PathBuf::from_path_buf(tmp.path().to_path_buf()).expect("utf-8");
    let home = root.join("home");
    let alerts = root.join("alerts");
    std::fs::create_dir_all(home.join(".config/clawauth")).expect("mkdir");
    std::fs::create_dir_all(&alerts).expect("mkdir");
    let script = root.join("send-alert");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nn=$(ls {alerts} | wc -l)\ncat > {alerts}/alert-$n.txt\n"),
    )
    .expect("script");
    clawauth_tests::set_mode(script.as_std_path(), 0o755);
    let closed = clawauth_tests::sshd::closed_port();
    std::fs::write(
        home.join(".config/clawauth/config.toml"),
        format!(
            "[hosts.gw]\nssh = \"root@127.0.0.1:{closed}\"\n\n[monitor]\n[monitor.command]\nprogram = \"{script}\"\n"
        ),
    )
    .expect("config.toml");
    let sent = || std::fs::read_dir(&alerts).expect("ls").count();
    let run = |at_ms: i64, flag: &str| {
        let at = at_ms.to_string();
        let out = clawauth_tests::clawauth(
            &["monitor", "--all", "--at", &at, flag],
            &[("HOME", home.as_str()), ("TZ", "UTC")],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let t0 = clawauth_tests::repair_lab::now_ms();

    run(t0, "--changes-only");
    assert_eq!(sent(), 0, "one failed run is no news yet");
    let second = run(t0 + 30 * MIN, "--changes-only");
    assert_eq!(sent(), 1, "unreachable is news: {second}");
    assert!(
        second.contains("sent command [problem high] gw is unreachable"),
        "{second}"
    );

    // Seven hours on, the 6-hour reminder is due…
    let due = run(t0 + 7 * HOUR, "--dry-run");
    assert!(
        due.contains("would send command [reminder high] gw is unreachable"),
        "{due}"
    );
    // …but not with --changes-only.
    let quiet = run(t0 + 7 * HOUR, "--changes-only");
    assert_eq!(sent(), 1, "no reminder with --changes-only: {quiet}");
    assert!(!quiet.contains("sent command"), "{quiet}");
    // It stays due for a run without the flag.
    let later = run(t0 + 7 * HOUR + MIN, "--dry-run");
    assert!(later.contains("would send command [reminder"), "{later}");
}
