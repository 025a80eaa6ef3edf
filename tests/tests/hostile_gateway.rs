//! Hostile gateways over SSH (the real sshd of the harness): one whose clawauth prints a report
//! nested 100 000 levels deep with garbage on stderr and a strange exit code, whose openclaw
//! does the same, and whose legacy `openclaw.json` — evaluated on the phone — is as deep. That
//! host must come out unknown with the reasons while every other host is checked normally, in
//! `status --all` (json, human, simple), a tap and the monitor. And the legacy-files rung must
//! read only the gateway's files: an absolute `agentDir` and `$include` are fetched from the
//! gateway, never read from the phone's disk (the phone runs in its own mount namespace, where
//! those paths hold other files).

use std::process::Output;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use clawauth_tests::hostile::{deep_json, wait_within};
use clawauth_tests::lab::{Lab, SAMPLE_AT, text};
use clawauth_tests::repair_lab::phone_path_with;
use clawauth_tests::set_mode;
use clawauth_tests::standins::standin_calls;
use serde_json::Value;

const HANG_GUARD: Duration = Duration::from_secs(120);
const DEEP: usize = 100_000;

/// Runs the phone's clawauth under the hang guard.
fn phone(lab: &Lab, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = lab.phone_command(clawauth_tests::clawauth_bin());
    cmd.args(args).envs(env.iter().copied());
    wait_within(cmd.spawn().expect("spawn clawauth"), HANG_GUARD)
}

fn script(path: &Utf8Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}")).expect("script");
    set_mode(path.as_std_path(), 0o755);
}

/// Host `good`: the sample gateway with clawauth installed (expiring at [`SAMPLE_AT`]). Host
/// `bad`: a legacy state whose `openclaw.json` is 100 000 levels deep, and a clawauth and an
/// openclaw that answer with such JSON, terminal escapes on stderr and exit codes 0 and 42.
fn two_gateways() -> (Lab, Utf8PathBuf) {
    let lab = Lab::new();
    lab.trust();
    let home = lab.sample_gateway("gateways");
    let bad = home.join("bad/.openclaw");
    std::fs::create_dir_all(bad.join("agents/main/agent")).expect("mkdir");
    std::fs::write(
        bad.join("openclaw.json"),
        format!("{{agents: {}}}", deep_json(DEEP)),
    )
    .expect("deep config");
    std::fs::write(
        bad.join("agents/main/agent/auth-profiles.json"),
        "{\"version\":1,\"profiles\":{}}",
    )
    .expect("store");
    let deep_out = home.join("bad/deep.json");
    std::fs::write(&deep_out, deep_json(DEEP)).expect("deep output");
    let fake_clawauth = home.join("bad/clawauth");
    script(
        &fake_clawauth,
        &format!("cat {deep_out}\nprintf '\\033[2J\\033]0;pwned\\007 boom\\n' >&2\nexit 0\n"),
    );
    let fake_openclaw = home.join("bad/openclaw");
    script(
        &fake_openclaw,
        &format!("cat {deep_out}\nprintf '\\033[31mred alert\\033[0m\\n' >&2\nexit 42\n"),
    );
    lab.gateway(&home);
    lab.add_host(
        "good",
        &[
            "--clawauth",
            &Lab::clawauth_path(),
            "--state-dir",
            "~/.openclaw",
        ],
    );
    lab.add_host(
        "bad",
        &[
            "--clawauth",
            fake_clawauth.as_str(),
            "--openclaw",
            fake_openclaw.as_str(),
            "--state-dir",
            "~/bad/.openclaw",
        ],
    );
    (lab, bad)
}

#[test]
fn status_all_checks_every_other_host_when_one_gateway_answers_with_hostile_json() {
    let (lab, bad) = two_gateways();
    let deep_config = format!("{bad}/openclaw.json: nesting deeper than 64 levels");
    let base = ["status", "--all", "--check", "--at", SAMPLE_AT];

    let out = phone(&lab, &[&base[..], &["--format", "json"]].concat(), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let reports: Vec<Value> =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    let by_host = |h: &str| {
        reports
            .iter()
            .find(|r| r["host"] == h)
            .unwrap_or_else(|| panic!("no report for {h}: {}", text(&out)))
    };
    let good = by_host("good");
    assert_eq!(good["verdict"], "expiring", "{good}");
    assert_eq!(good["via"]["source"], "clawauth", "{good}");
    let bad_report = by_host("bad");
    assert_eq!(bad_report["verdict"], "unknown", "{bad_report}");
    let skipped = bad_report["via"]["skipped"].to_string();
    assert!(
        skipped.contains("report nests deeper than 64 levels")
            && skipped.contains("failed (exit 42)"),
        "{skipped}"
    );
    assert!(
        bad_report["errors"].to_string().contains(&deep_config),
        "{bad_report}"
    );

    let out = phone(&lab, &[&base[..], &["--format", "human"]].concat(), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        human.contains("EXPIRING") && human.contains(&deep_config),
        "{}",
        text(&out)
    );

    let out = phone(&lab, &[&base[..], &["--format", "simple"]].concat(), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        ["bad UNREACHABLE", "good CLAUDE_EXPIRING"],
        "{}",
        text(&out)
    );
}

#[test]
fn the_monitor_and_a_tap_report_the_hostile_gateway_and_check_the_other() {
    let (lab, bad) = two_gateways();
    let deep_config = format!("{bad}/openclaw.json: nesting deeper than 64 levels");
    let state = lab.phone.join("monitor.json");
    let out = phone(
        &lab,
        &[
            "monitor",
            "--all",
            "--dry-run",
            "--at",
            SAMPLE_AT,
            "--state-file",
            state.as_str(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = |host: &str, what: &str| {
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with(host) && l.contains(what))
    };
    assert!(
        line("bad ", "unreadable (1 run in a row)") && stdout.contains(&deep_config),
        "{}",
        text(&out)
    );
    assert!(
        line("good ", "expiring"),
        "the other gateway is checked: {}",
        text(&out)
    );

    let path = phone_path_with(
        &lab,
        &["termux-toast", "termux-vibrate", "termux-notification"],
    );
    let log = lab.scratch.join("termux-api.log");
    let env = [
        ("PATH", path.as_str()),
        ("CLAWAUTH_STANDIN_LOG", log.as_str()),
    ];
    let out = phone(
        &lab,
        &["termux", "quick", "--host", "bad", "--at", SAMPLE_AT],
        &env,
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let toasts: Vec<String> = standin_calls(&log)
        .into_iter()
        .filter(|c| c.first().is_some_and(|p| p.ends_with("termux-toast")))
        .map(|c| c.join(" "))
        .collect();
    assert!(
        toasts
            .iter()
            .any(|t| t.contains("nesting deeper than 64 levels")),
        "{toasts:?}"
    );
    let out = phone(
        &lab,
        &["termux", "quick", "--host", "good", "--at", SAMPLE_AT],
        &env,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// `program` run as the phone, in a mount namespace of its own where `views` (directories that
/// exist on the shared disk of this one-machine lab) hold the given files instead: what the
/// phone would find at those paths on its own disk.
fn with_own_view(
    lab: &Lab,
    views: &[(&Utf8Path, &[(&str, &str)])],
    program: &str,
    args: &[&str],
) -> Output {
    let mut setup = String::from("set -e\n");
    let mut env: Vec<(String, String)> = Vec::new();
    for (i, (dir, files)) in views.iter().enumerate() {
        setup.push_str(&format!("mount -t tmpfs phone-view \"$DIR{i}\"\n"));
        env.push((format!("DIR{i}"), dir.to_string()));
        for (j, (name, body)) in files.iter().enumerate() {
            setup.push_str(&format!(
                "mkdir -p \"$(dirname \"$DIR{i}/{name}\")\"\nprintf '%s' \"$BODY{i}_{j}\" > \"$DIR{i}/{name}\"\n"
            ));
            env.push((format!("BODY{i}_{j}"), (*body).to_owned()));
        }
    }
    setup.push_str("exec \"$@\"\n");
    let mut cmd = lab.phone_command("unshare");
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        &setup,
        "sh",
        program,
    ])
    .args(args)
    .envs(env);
    wait_within(cmd.spawn().expect("spawn unshare"), HANG_GUARD)
}

fn legacy_store(profile: &str, expires_ms: i64) -> String {
    serde_json::json!({
        "version": 1,
        "profiles": {
            profile: {
                "type": "token",
                "provider": "anthropic",
                "token": format!("sk-ant-oat01-FAKE-{profile}-{}", "x".repeat(80)),
                "expires": expires_ms,
            }
        }
    })
    .to_string()
}

#[test]
fn legacy_files_rung_reads_agent_dirs_and_includes_on_the_gateway_never_on_the_phone() {
    let lab = Lab::new();
    lab.trust();
    let home = lab.new_home("legacy-gw");
    let config_dir = home.join(".openclaw");
    // An agent dir outside the state dir, named by an absolute path.
    let agents = lab.scratch.join("elsewhere");
    let agent_dir = agents.join("main-agent");
    std::fs::create_dir_all(&agent_dir).expect("mkdir");
    std::fs::create_dir_all(config_dir.join("agents/main/agent")).expect("mkdir");
    let at: i64 = 1_795_256_745_000;
    let day = 86_400_000;
    std::fs::write(
        agent_dir.join("auth-profiles.json"),
        legacy_store("anthropic:gateway-side", at + 30 * day),
    )
    .expect("gateway store");
    std::fs::write(
        config_dir.join("openclaw.json"),
        format!(
            "// the gateway's config\n{{\"$include\": \"{config_dir}/models.json5\", agents: {{list: [{{id: \"main\", agentDir: \"{agent_dir}\"}}]}}}}\n"
        ),
    )
    .expect("config");
    std::fs::write(
        config_dir.join("models.json5"),
        "{agents: {defaults: {model: {primary: 'anthropic/claude-opus-5'}}}}",
    )
    .expect("include");
    lab.gateway(&home);
    lab.add_host("old", &[]);

    let phone_store = legacy_store("anthropic:phone-marker", at + 30 * day);
    let phone_config = "{\"$include\": \"./models.json5\"}";
    let phone_models = "{agents: {defaults: {model: {primary: 'openrouter/phone-marker'}}}}";
    let views: [(&Utf8Path, &[(&str, &str)]); 2] = [
        (&agents, &[("main-agent/auth-profiles.json", &phone_store)]),
        (
            &config_dir,
            &[
                ("openclaw.json", phone_config),
                ("models.json5", phone_models),
            ],
        ),
    ];
    // The phone's own view really differs: a phone-side read would find the marker.
    let store_path = agent_dir.join("auth-profiles.json");
    let seen = with_own_view(&lab, &views, "cat", &[store_path.as_str()]);
    assert!(
        String::from_utf8_lossy(&seen.stdout).contains("phone-marker"),
        "the phone's view: {}",
        text(&seen)
    );
    let clawauth = clawauth_tests::clawauth_bin();
    let clawauth = clawauth.to_str().expect("utf-8");

    let at_arg = at.to_string();
    for format in ["json", "human", "simple"] {
        let out = with_own_view(
            &lab,
            &views,
            clawauth,
            &[
                "status", "--host", "old", "--check", "--at", &at_arg, "--format", format,
            ],
        );
        let all = text(&out);
        assert!(
            !all.contains("phone-marker"),
            "the phone's files were read: {all}"
        );
        assert_eq!(out.status.code(), Some(0), "{all}");
        if format == "json" {
            let r: Value = serde_json::from_slice(&out.stdout).expect("report");
            assert_eq!(r["via"]["source"], "files", "{r}");
            let agent = &r["agents"][0];
            assert_eq!(agent["store_path"], store_path.as_str(), "{r}");
            assert_eq!(
                agent["routes"][0]["model"], "anthropic/claude-opus-5",
                "{r}"
            );
            assert_eq!(
                agent["routes"][0]["profile"], "anthropic:gateway-side",
                "{r}"
            );
        }
    }

    // A file the config names that the gateway lacks is missing there, not read here.
    std::fs::remove_file(agent_dir.join("auth-profiles.json")).expect("rm");
    let out = with_own_view(
        &lab,
        &views,
        clawauth,
        &[
            "status", "--host", "old", "--check", "--at", &at_arg, "--format", "json",
        ],
    );
    let all = text(&out);
    assert!(
        !all.contains("phone-marker"),
        "the phone's files were read: {all}"
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "no credential on the gateway: {all}"
    );
}
