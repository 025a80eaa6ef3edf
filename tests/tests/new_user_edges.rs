//! The edges a new user hits first, each proven end to end with the built binary: durations
//! without a unit, the output shape of `--host`/`--all`, a mistyped host, a machine without
//! OpenClaw, the three ways an SSH log-in fails, help on a narrow terminal and the TOML examples,
//! a configured path that is not on the gateway, and the small conveniences of `monitor install
//! --print`, `hosts trust -y`, `token paste` and `hosts add`. The gateway is a real OpenSSH sshd
//! on 127.0.0.1 ([`Lab`]); OpenClaw is the real CLI.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use clawauth_tests::lab::{
    ANTHROPIC, Lab, SAMPLE_AT, host_report, login_path, openclaw_state, text,
};
use clawauth_tests::openclaw_cli::openclaw;
use clawauth_tests::sshd::{client_key, closed_port};
use clawauth_tests::{clawauth, clawauth_bin, repo_root, run_with_stdin, tree_hashes};
use serde_json::Value;

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn all(out: &Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

/// The sample gateway (`examples/gateway`, expiring at [`SAMPLE_AT`]) behind `lab`, with
/// clawauth installed there, added as host `name`.
fn sample(lab: &Lab, name: &str) {
    let home = lab.sample_gateway(&format!("{name}-home"));
    lab.gateway(&home);
    lab.add_host(name, &["--clawauth", &Lab::clawauth_path()]);
}

/// A lab whose host key is trusted, with the sample gateway as host `gw` (home `gw-home`).
fn sample_lab() -> Lab {
    let lab = Lab::new();
    lab.trust();
    sample(&lab, "gw");
    lab
}

/// The phone's config.toml, replaced by `text`.
fn write_config(lab: &Lab, text: &str) -> Utf8PathBuf {
    let path = lab.phone.join(".config/clawauth/config.toml");
    std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    std::fs::write(&path, text).expect("write config.toml");
    path
}

/// The environment of a local check of the sample gateway.
fn sample_env() -> Vec<(&'static str, String)> {
    let g = repo_root().join("examples/gateway");
    vec![
        (
            "OPENCLAW_STATE_DIR",
            g.join(".openclaw").to_str().expect("utf-8").to_owned(),
        ),
        (
            "CLAUDE_CONFIG_DIR",
            g.join(".claude").to_str().expect("utf-8").to_owned(),
        ),
        ("HOME", "/nonexistent".to_owned()),
    ]
}

fn borrow<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Item 15: `--connect-timeout 5` once gave up after 5 ms and `--expires-in 365` stored a token
/// that was already expired. A number without a unit is now refused everywhere a duration is
/// taken, with the units to add; `--at 1795256402000` (a moment, Unix ms) still works.
#[test]
fn a_duration_without_a_unit_is_refused_with_a_hint() {
    let lab = Lab::new();
    write_config(&lab, "[hosts.gw]\nssh = \"root@127.0.0.1:1\"\n");
    for (args, flag) in [
        (&["status", "--warn", "5"][..], "--warn"),
        (
            &["status", "--host", "gw", "--connect-timeout", "5"][..],
            "--connect-timeout",
        ),
        (
            &["status", "--host", "gw", "--deadline", "60"][..],
            "--deadline",
        ),
        (&["status", "--cli-timeout", "30"][..], "--cli-timeout"),
        (
            &["hosts", "trust", "gw", "--connect-timeout", "5"][..],
            "--connect-timeout",
        ),
        (&["status", "--at", "+5"][..], "--at"),
    ] {
        let out = lab.clawauth(args, &[]);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {}", text(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("error: {flag}")) && err.contains("has no unit — add one: "),
            "{args:?}: {err}"
        );
        assert!(err.contains("hint:"), "{args:?}: {err}");
        assert!(stdout(&out).is_empty(), "{args:?}: {}", text(&out));
    }
    // The bare number is named with the units it could have meant.
    let out = lab.clawauth(&["status", "--warn", "5"], &[]);
    assert!(stderr(&out).contains("5s, 5m, 5h or 5d"), "{}", text(&out));

    // A token is refused before it is even read: 365 is not 365 days.
    let out = lab.clawauth(&["token", "paste", "--expires-in", "365"], &[]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    assert!(stderr(&out).contains("365d"), "{}", text(&out));

    // config.toml: a string without a unit, and a bare TOML integer.
    for (value, says) in [
        ("\"5\"", "5 has no unit — add one: 5s, 5m, 5h or 5d"),
        ("5", "a duration also needs a unit"),
    ] {
        let path = write_config(&lab, &format!("[defaults]\nconnect_timeout = {value}\n"));
        let out = lab.clawauth(&["hosts", "list"], &[]);
        assert_eq!(out.status.code(), Some(64), "{value}: {}", text(&out));
        let err = stderr(&out);
        assert!(err.contains(says), "{value}: {err}");
        assert!(err.contains(path.as_str()), "names the file: {err}");
    }
    write_config(&lab, "[monitor]\nremind_expired = \"60\"\n");
    let out = lab.clawauth(&["monitor", "--local", "--dry-run"], &[]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    assert!(
        stderr(&out).contains("monitor.remind_expired") && stderr(&out).contains("60s, 60m"),
        "{}",
        text(&out)
    );

    // A moment in Unix milliseconds is not a duration: still read as one.
    let env = sample_env();
    let out = clawauth(
        &["status", "--format", "json", "--at", "1795256402000"],
        &borrow(&env),
    );
    assert!(out.status.success(), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["as_of"], "2026-11-21T10:20:02Z", "{doc}");
}

/// Item 16: one host or several, `--host`/`--all` print one shape: `NAME WORD` lines, or one
/// JSON document listing the hosts. The local check keeps its single report.
#[test]
fn checking_hosts_prints_one_shape_whatever_their_number() {
    let lab = sample_lab();
    lab.add_host("pi", &["--clawauth", &Lab::clawauth_path()]);
    let simple = |args: &[&str]| {
        let mut a = vec!["status", "--check", "--format", "simple", "--at", SAMPLE_AT];
        a.extend_from_slice(args);
        let out = lab.clawauth(&a, &[]);
        assert_eq!(out.status.code(), Some(2), "{a:?}: {}", text(&out));
        stdout(&out)
    };
    assert_eq!(simple(&["--host", "gw"]), "gw CLAUDE_EXPIRING\n");
    assert_eq!(
        simple(&["--host", "gw", "--host", "pi"]),
        "gw CLAUDE_EXPIRING\npi CLAUDE_EXPIRING\n"
    );
    assert_eq!(
        simple(&["--all"]),
        "gw CLAUDE_EXPIRING\npi CLAUDE_EXPIRING\n"
    );

    for (args, hosts) in [
        (&["--host", "gw"][..], &["gw"][..]),
        (&["--all"][..], &["gw", "pi"][..]),
    ] {
        let mut a = vec!["status", "--check", "--format", "json", "--at", SAMPLE_AT];
        a.extend_from_slice(args);
        let out = lab.clawauth(&a, &[]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
        assert_eq!(doc["schema"], 1, "{doc}");
        assert_eq!(doc["verdict"], "expiring", "{doc}");
        assert_eq!(doc["exit_code"], 2, "{doc}");
        let listed: Vec<&str> = doc["hosts"]
            .as_array()
            .expect("hosts")
            .iter()
            .map(|r| r["host"].as_str().expect("host"))
            .collect();
        assert_eq!(listed, hosts, "{doc}");
        for r in doc["hosts"].as_array().expect("hosts") {
            assert_eq!(r["schema"], 1);
            assert_eq!(r["via"]["source"], "clawauth", "{r}");
        }
    }

    // The local check: a bare word, and a single Report.
    let env = sample_env();
    let out = clawauth(
        &["status", "--format", "simple", "--at", SAMPLE_AT],
        &borrow(&env),
    );
    assert_eq!(stdout(&out), "CLAUDE_EXPIRING\n", "{}", text(&out));
    let out = clawauth(
        &["status", "--format", "json", "--at", SAMPLE_AT],
        &borrow(&env),
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        doc.get("hosts").is_none() && doc["agents"].is_array(),
        "{doc}"
    );
}

/// Item 17: `--host gww` (a typo of `gw`) is not a host in config.toml, not an ssh_config alias
/// and does not resolve: refused before anything connects, listing the configured hosts. An
/// alias, and a name the hosts file resolves, are taken.
#[test]
fn a_mistyped_host_is_refused_with_the_configured_hosts() {
    let lab = sample_lab();
    // Hosts that are not in config.toml find clawauth on the gateway's login PATH.
    let bin = Utf8PathBuf::from_path_buf(clawauth_bin()).expect("utf-8");
    login_path(&lab.scratch.join("gw-home"), &[bin.parent().expect("dir")]);
    // DNS that cannot answer, so the test never depends on the network.
    let resolv = lab.scratch.join("resolv.conf");
    std::fs::write(&resolv, format!("nameserver 127.0.0.1:{}\n", closed_port()))
        .expect("resolv.conf");
    let hosts = lab.scratch.join("hosts");
    std::fs::write(&hosts, "127.0.0.1 gw-by-name\n").expect("hosts");
    let env = [
        ("CLAWAUTH_RESOLV_CONF", resolv.as_str()),
        ("CLAWAUTH_HOSTS", hosts.as_str()),
    ];

    let before = lab.sshd.connections();
    let started = Instant::now();
    let out = lab.clawauth(&["status", "--host", "gww", "--check"], &env);
    assert!(started.elapsed() < Duration::from_secs(20), "hangs");
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("error: gww is not a host in")
            && err.contains("not an ssh_config alias, and does not resolve"),
        "{err}"
    );
    assert!(
        err.contains("hint: the hosts in")
            && err.contains(": gw (")
            && err.contains("clawauth hosts add"),
        "{err}"
    );
    assert!(stdout(&out).is_empty(), "{}", text(&out));
    assert_eq!(lab.sshd.connections(), before, "nothing connected");
    // The other commands that take a host say the same.
    for args in [
        &["hosts", "trust", "gww"][..],
        &["sync", "--host", "gww"][..],
    ] {
        let out = lab.clawauth(args, &env);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {}", text(&out));
        assert!(
            stderr(&out).contains("gww is not a host in"),
            "{}",
            text(&out)
        );
    }

    // An ssh_config alias is a host; so is a name the hosts file resolves (here with the port
    // and user from the catch-all `Host *`, which alone does not make an alias).
    std::fs::write(
        lab.phone.join(".ssh/config"),
        format!(
            "Host gw-alias\n  HostName 127.0.0.1\n\n\
             Host *\n  User root\n  Port {}\n  HostKeyAlias 127.0.0.1\n",
            lab.sshd.port
        ),
    )
    .expect("ssh config");
    for name in ["gw-alias", "gw-by-name"] {
        let out = lab.clawauth(
            &["status", "--host", name, "--check", "--at", SAMPLE_AT],
            &env,
        );
        assert_eq!(out.status.code(), Some(2), "{name}: {}", text(&out));
    }
    assert_eq!(lab.sshd.connections(), before + 2);
}

/// Item 18: on the phone — or any machine OpenClaw was never installed on — a local check says
/// there is no OpenClaw here (unknown, 3) and suggests `--host`, inventing no routes. With the
/// `openclaw` program there but never configured, the verdict is OpenClaw's own: 1, as the real
/// CLI gives on that empty home.
#[test]
fn status_where_openclaw_was_never_installed_says_so_and_suggests_host() {
    let home = tempfile::tempdir().expect("home");
    let h = home.path().to_str().expect("utf-8");
    let out = clawauth(&["status", "--check", "--format", "json"], &[("HOME", h)]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["verdict"], "unknown", "{doc}");
    assert_eq!(
        doc["agents"],
        serde_json::json!([]),
        "no invented routes: {doc}"
    );
    let error = doc["errors"][0].as_str().expect("error");
    assert!(
        error.starts_with("no OpenClaw on this machine") && error.contains("no openclaw program"),
        "{doc}"
    );
    assert!(
        doc["hints"]
            .as_array()
            .expect("hints")
            .iter()
            .any(|h| h["command"]
                .as_str()
                .is_some_and(|c| c.ends_with("&& clawauth status --host NAME"))),
        "{doc}"
    );
    let out = clawauth(&["status"], &[("HOME", h)]);
    let shown = stdout(&out);
    assert!(
        shown.contains("? UNKNOWN — no OpenClaw on this machine")
            && shown.contains("clawauth status --host NAME")
            && !shown.contains("Routes"),
        "{shown}"
    );

    // The openclaw program on PATH, nothing configured: OpenClaw's own verdict.
    let oc = openclaw();
    let expected = oc
        .run(
            home.path(),
            &["models", "status", "--json", "--check"],
            None,
        )
        .status
        .code()
        .expect("openclaw exit code");
    assert_eq!(expected, 1, "the real CLI on an empty home");
    let path = format!(
        "{}:{}",
        oc.bin.parent().expect("bin dir").display(),
        oc.path_env()
    );
    let out = Command::new(clawauth_bin())
        .args(["status", "--check", "--format", "json"])
        .env_clear()
        .env("HOME", h)
        .env("PATH", &path)
        .output()
        .expect("run clawauth");
    assert_eq!(out.status.code(), Some(expected), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(doc["errors"].is_null(), "{doc}");
    assert_eq!(
        std::fs::read_dir(home.path()).expect("home").count(),
        0,
        "clawauth wrote nothing (the CLI did not either)"
    );
}

/// Item 19: the three reasons an SSH log-in fails are told apart, each with its fix: no key at
/// all, an encrypted key without a passphrase (naming where one was looked for), and a gateway
/// that refused the key. `passphrase set` says where it stored it; README documents the choice.
#[test]
fn each_key_problem_says_what_happened_and_how_to_fix_it() {
    let lab = sample_lab();
    let check = || {
        let out = lab.clawauth(
            &["status", "--host", "gw", "--check", "--at", SAMPLE_AT],
            &[],
        );
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
        all(&out)
    };
    let ssh = lab.phone.join(".ssh");
    let remove_key = || {
        for f in ["id_ed25519", "id_ed25519.pub"] {
            std::fs::remove_file(ssh.join(f)).expect("rm key");
        }
    };
    let home = lab.scratch.join("gw-home");

    // 1. Refused: the gateway knows another key.
    let other = client_key(&lab.scratch, "other", "ed25519", None);
    lab.gateway_for(&other, &home, "/usr/bin:/bin");
    let shown = check();
    assert!(
        shown.contains("refused every key clawauth offered")
            && shown.contains(&format!("add the public key ({ssh}/id_ed25519.pub)"))
            && shown.contains("authorized_keys"),
        "{shown}"
    );
    assert!(
        !shown.contains("ssh-keygen") && !shown.contains("passphrase set"),
        "{shown}"
    );

    // 2. No key at all.
    remove_key();
    let shown = check();
    assert!(
        shown.contains("no SSH key to offer")
            && shown.contains("ssh-keygen -t ed25519")
            && shown.contains("clawauth hosts trust gw"),
        "{shown}"
    );
    assert!(!shown.contains("refused every key"), "{shown}");

    // 3. An encrypted key, no passphrase stored, no terminal to ask on.
    let passphrase = "fake test passphrase";
    let enc = client_key(&ssh, "id_ed25519", "ed25519", Some(passphrase));
    lab.gateway_for(&enc, &home, "/usr/bin:/bin");
    let store = lab.phone.join(".config/clawauth/secrets.json");
    let shown = check();
    assert!(
        shown.contains(&format!(
            "{} is encrypted and clawauth has no passphrase for it",
            enc.private
        )) && shown.contains(&format!("none in the file store {store}"))
            && shown.contains(&format!("clawauth passphrase set {}", enc.private)),
        "{shown}"
    );
    assert!(!shown.contains("refused every key"), "{shown}");

    // `passphrase set` says where it went; the check then logs in.
    let mut cmd = lab.phone_command(clawauth_bin());
    cmd.args(["passphrase", "set", enc.private.as_str()]);
    let out = run_with_stdin(cmd, format!("{passphrase}\n").as_bytes());
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains(&format!(
            "stored the passphrase of {} in the file store {store} (mode 0600)",
            enc.private
        )),
        "{}",
        text(&out)
    );
    let out = lab.clawauth(
        &["status", "--host", "gw", "--check", "--at", SAMPLE_AT],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!all(&out).contains(passphrase));

    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README");
    for needle in [
        "secret_store",
        "CLAWAUTH_SECRET_STORE",
        "forgets what it holds at every reboot",
    ] {
        assert!(
            readme.contains(needle),
            "README does not document {needle:?}"
        );
    }
}

/// `clawauth ARGS --help` (or `-h`) at `columns`.
fn help(args: &[&str], flag: &str, columns: usize) -> String {
    let mut a = args.to_vec();
    a.push(flag);
    let out = clawauth(&a, &[("COLUMNS", &columns.to_string())]);
    assert_eq!(out.status.code(), Some(0), "{a:?}: {}", text(&out));
    stdout(&out)
}

/// The subcommands `help` lists under `Commands:` (without `help` itself).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_owned)
        .collect()
}

/// Every command path: `[]`, `["status"]`, `["hosts", "add"]`, …
fn command_paths() -> Vec<Vec<String>> {
    let mut paths = vec![Vec::new()];
    let mut i = 0;
    while i < paths.len() {
        let p: Vec<&str> = paths[i].iter().map(String::as_str).collect();
        for s in subcommands(&help(&p, "--help", 100)) {
            let mut next = paths[i].clone();
            next.push(s);
            paths.push(next);
        }
        i += 1;
    }
    paths
}

/// The lines of a help text outside clap's own sections (Usage, Arguments, Options, Commands):
/// the hand-written about and after-help text.
fn hand_written(help: &str) -> Vec<&str> {
    let mut in_clap = false;
    let mut out = Vec::new();
    for l in help.lines() {
        if matches!(l, "Options:" | "Commands:" | "Arguments:") || l.starts_with("Usage:") {
            in_clap = true;
            continue;
        }
        if !l.is_empty() && !l.starts_with(' ') {
            in_clap = false;
        }
        if !in_clap {
            out.push(l);
        }
    }
    out
}

/// TOML examples in a help text: the indented block under each heading that names config.toml
/// (`CONFIG (config.toml):`, `POLICY (config.toml, defaults shown):`).
fn toml_in_help(help: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut lines = help.lines().peekable();
    while let Some(l) = lines.next() {
        if !(l.contains("(config.toml") && l.ends_with(':') && !l.starts_with(' ')) {
            continue;
        }
        let mut block = String::new();
        while let Some(next) = lines.peek() {
            if !next.is_empty() && !next.starts_with("  ") {
                break;
            }
            block.push_str(next.strip_prefix("  ").unwrap_or(next));
            block.push('\n');
            lines.next();
        }
        blocks.push(block);
    }
    blocks
}

/// The ```toml blocks of a Markdown text, dedented.
fn toml_in_markdown(md: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for l in md.lines() {
        let trimmed = l.trim_start();
        let indent = l.len() - trimmed.len();
        match &mut current {
            None if trimmed == "```toml" => current = Some((indent, String::new())),
            Some((_, block)) if trimmed == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some((indent, block)) => {
                block.push_str(l.get(*indent..).unwrap_or(trimmed));
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// Item 20: Termux is narrow. Every command's help fits 60 and 80 columns; the hand-written
/// blocks (lists, examples, TOML) keep their lines within 60 columns, so clap never re-wraps
/// them and breaks their indentation; and every TOML example in the help and the README parses
/// with clawauth's own config loader.
#[test]
fn help_fits_60_and_80_columns_and_every_toml_example_parses() {
    let paths = command_paths();
    assert!(paths.len() > 20, "every subcommand found: {paths:?}");
    let mut problems = Vec::new();
    let mut examples = Vec::new();
    for p in &paths {
        let args: Vec<&str> = p.iter().map(String::as_str).collect();
        for flag in ["--help", "-h"] {
            for columns in [60, 80] {
                for l in help(&args, flag, columns).lines() {
                    if l.chars().count() > columns {
                        problems.push(format!("{args:?} {flag} at {columns}: {l}"));
                    }
                }
            }
        }
        let wide = help(&args, "--help", 100);
        for l in hand_written(&wide) {
            if l.starts_with(' ') && l.chars().count() > 60 {
                problems.push(format!("{args:?}: an indented line over 60 columns: {l}"));
            }
        }
        for block in toml_in_help(&help(&args, "--help", 60)) {
            examples.push((format!("clawauth {} --help", p.join(" ")), block));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README");
    let in_readme = toml_in_markdown(&readme);
    assert!(in_readme.len() >= 2, "README's TOML blocks: {in_readme:?}");
    assert!(
        examples.len() >= 3,
        "the help's TOML examples: {examples:?}"
    );
    examples.extend(in_readme.into_iter().map(|b| ("README.md".to_owned(), b)));
    for (from, block) in &examples {
        assert!(block.contains('['), "{from}: not a TOML table:\n{block}");
        clawauth_core::config::Config::parse(Utf8Path::new("example.toml"), block)
            .unwrap_or_else(|e| panic!("{from}: its TOML example does not load: {e}\n{block}"));
    }
}

/// Item 21: a configured `clawauth` path that is not on the gateway is said plainly; the next
/// source still answers and the report warns about the setting. A `state_dir` (or
/// `--state-dir`) that is not there makes the check unknown, instead of OpenClaw's defaults
/// answering for an empty state after four seconds of Node.js.
#[test]
fn a_configured_path_missing_on_the_gateway_is_reported_as_such() {
    let oc = openclaw();
    let lab = Lab::new();
    lab.trust();
    let home = lab.new_home("gw-home");
    openclaw_state(&oc, &home, ANTHROPIC, Some("365d"));
    let oc_dir =
        Utf8PathBuf::from_path_buf(oc.bin.parent().expect("dir").to_path_buf()).expect("utf-8");
    let node_dir = Utf8PathBuf::from_path_buf(oc.node_bin_dir.clone()).expect("utf-8");
    login_path(&home, &[&oc_dir, &node_dir]);
    lab.gateway(&home);
    let missing = "/opt/nowhere/clawauth";
    lab.add_host("gw", &["--clawauth", missing]);

    let out = lab.clawauth(
        &["status", "--host", "gw", "--check", "--format", "json"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = host_report(&out);
    let said = format!("clawauth = \"{missing}\" (config.toml) does not exist on gw");
    assert_eq!(report["via"]["source"], "openclaw-cli", "{report}");
    let skipped: Vec<&str> = report["via"]["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let skipped = skipped.join("\n");
    assert!(skipped.contains(&said), "{skipped}");
    assert!(
        !skipped.contains("not installed"),
        "no wrong advice: {skipped}"
    );
    assert!(
        report["via"]["warnings"][0]
            .as_str()
            .is_some_and(|w| w.starts_with(&said)),
        "{report}"
    );
    let out = lab.clawauth(&["status", "--host", "gw"], &[]);
    assert!(
        stdout(&out).contains(&format!("! {said}")),
        "{}",
        text(&out)
    );

    // A state dir that is not there: unknown, said as such, no source tried.
    lab.add_host(
        "gw",
        &[
            "--clawauth",
            &Lab::clawauth_path(),
            "--state-dir",
            "/nonexistent/state",
        ],
    );
    for (extra, said) in [
        (
            &[][..],
            "state_dir = \"/nonexistent/state\" (config.toml) does not exist on gw",
        ),
        (
            &["--state-dir", "/also/missing"][..],
            "the state dir /also/missing given for this run does not exist on gw",
        ),
    ] {
        let mut args = vec!["status", "--host", "gw", "--check", "--format", "json"];
        args.extend_from_slice(extra);
        let out = lab.clawauth(&args, &[]);
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
        let report = host_report(&out);
        assert!(
            report["errors"][0]
                .as_str()
                .is_some_and(|e| e.starts_with(said)),
            "{report}"
        );
        assert_eq!(report["via"]["source"], "none", "{report}");
        assert!(
            report["via"]["skipped"].is_null(),
            "no source ran: {report}"
        );
        assert!(
            report["agents"].as_array().is_some_and(Vec::is_empty),
            "{report}"
        );
    }
}

/// Item 22: `monitor install --print` alone shows the systemd units; `hosts trust` takes `-y`;
/// `token paste` defaults to `--provider anthropic` like `reauth`; `hosts add` sends the user to
/// `hosts trust` only when the host key is not already known.
#[test]
fn install_print_trust_y_paste_and_add_need_no_extra_words() {
    // monitor install --print: no --systemd needed; writes and runs nothing.
    let home = tempfile::tempdir().expect("home");
    let h = home.path().to_str().expect("utf-8");
    let before = tree_hashes(home.path());
    let out = clawauth(&["monitor", "install", "--print"], &[("HOME", h)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let printed = stdout(&out);
    assert!(
        printed.contains("clawauth-monitor.service")
            && printed.contains("clawauth-monitor.timer")
            && printed.contains("[Timer]"),
        "{printed}"
    );
    assert_eq!(tree_hashes(home.path()), before, "nothing written");
    let out = clawauth(&["monitor", "install", "--print", "--cron"], &[("HOME", h)]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));

    // token paste without --provider: an Anthropic token is expected (and this one refused
    // before anything is sent).
    let mut cmd = Command::new(clawauth_bin());
    cmd.args(["token", "paste", "--expires-in", "365d"])
        .env_clear()
        .env("HOME", h)
        .env("PATH", "/usr/bin:/bin");
    let out = run_with_stdin(cmd, b"not-a-token\n");
    assert_eq!(out.status.code(), Some(65), "{}", text(&out));
    assert!(stderr(&out).contains("sk-ant-oat01-"), "{}", text(&out));

    // hosts add: trust first when the key is unknown; `hosts trust -y`; then no trust advice.
    let lab = Lab::new();
    let target = lab.target();
    let out = lab.clawauth(&["hosts", "add", "gw", "--ssh", &target], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("next: clawauth hosts trust gw"),
        "{}",
        text(&out)
    );
    let out = lab.clawauth(&["hosts", "trust", "gw", "-y"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("trusted: stored a hashed entry"),
        "{}",
        text(&out)
    );
    let out = lab.clawauth(&["hosts", "add", "pi", "--ssh", &target], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let said = stdout(&out);
    assert!(
        said.contains("already in known_hosts; next: clawauth status --host pi")
            && !said.contains("hosts trust"),
        "{said}"
    );
}
