//! The renderers on the first-round corpus (`fixtures/openclaw/corpus/`): every recorded
//! `openclaw models status --json --check` output, read as the `cli` source reads it, rendered
//! as human text, JSON and one word — plus `--help`, color and the CLI source's fault handling.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clawauth_core::report::{Report, human, simple};
use clawauth_core::source::cli::{CliOutput, agent_report};
use clawauth_core::time::from_ms;
use clawauth_tests::{clawauth, fixtures};
use serde_json::Value;

struct Recorded {
    scenario: String,
    stdout: String,
    exit_code: i32,
    now_ms: i64,
}

/// Every `*models-status-json-check` run of the corpus with its exit code.
fn corpus_runs() -> Vec<Recorded> {
    let root = fixtures().join("corpus");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let runs = std::fs::read_to_string(dir.join("runs.jsonl")).unwrap_or_default();
        for line in runs.lines() {
            let run: Value = serde_json::from_str(line).expect("runs.jsonl");
            let name = run["name"].as_str().unwrap_or_default();
            if !name.ends_with("models-status-json-check") {
                continue;
            }
            let stdout_path = dir.join("runs").join(format!("{name}.stdout"));
            let Ok(stdout) = std::fs::read_to_string(&stdout_path) else {
                continue;
            };
            out.push(Recorded {
                scenario: format!(
                    "{}/{name}",
                    dir.file_name().and_then(|n| n.to_str()).unwrap_or_default()
                ),
                stdout,
                exit_code: run["exit_code"].as_i64().expect("exit") as i32,
                now_ms: run["start_ms"].as_i64().expect("start"),
            });
        }
    }
    out
}

fn report_of(r: &Recorded) -> Report {
    let out = CliOutput {
        program: "openclaw".into(),
        exit_code: Some(r.exit_code),
        stdout: r.stdout.clone(),
        stderr: String::new(),
        duration: Duration::from_millis(1800),
    };
    let t = from_ms(r.now_ms);
    let mut report = Report::new("gateway", t, t, 86_400_000);
    report.agents.push(agent_report("main", &out, None));
    report.finish();
    report
}

#[test]
fn every_corpus_output_renders_in_all_three_formats_without_secrets() {
    let runs = corpus_runs();
    assert!(runs.len() >= 20, "found {} corpus runs", runs.len());
    for r in &runs {
        let report = report_of(r);
        assert_eq!(
            report.exit_code, r.exit_code,
            "{}: verdict from the CLI's answer",
            r.scenario
        );

        let json: Value = serde_json::from_str(&report.to_json()).expect("valid JSON");
        assert_eq!(json["schema"], 1);
        assert_eq!(json["exit_code"], r.exit_code);
        let text = json.to_string();
        assert!(
            !text.contains("sk-") && !text.contains("FAKE"),
            "{}: a credential reached the JSON: {text}",
            r.scenario
        );

        let plain = human::render(&report, false);
        assert!(
            !plain.contains('\x1b'),
            "{}: no color unless asked",
            r.scenario
        );
        assert!(
            !plain.contains("sk-") && !plain.contains("FAKE"),
            "{}: a credential reached the text",
            r.scenario
        );
        let first_verdict = plain.lines().nth(1).unwrap_or_default();
        let want = ["✓ OK", "✗ EXPIRED", "! EXPIRING"][r.exit_code.clamp(0, 2) as usize];
        assert!(
            first_verdict.starts_with(want),
            "{}: {first_verdict}",
            r.scenario
        );
        assert!(
            human::render(&report, true).contains("\x1b["),
            "color when asked"
        );
    }
}

#[test]
fn the_one_word_format_keeps_the_old_scripts_vocabulary() {
    let runs = corpus_runs();
    let word = |scenario: &str| {
        let r = runs
            .iter()
            .find(|r| r.scenario.starts_with(scenario))
            .unwrap_or_else(|| panic!("no run {scenario}"));
        simple::word(&report_of(r))
    };
    assert_eq!(word("a_oauth_valid_30d/"), "OK");
    assert_eq!(word("b_oauth_expiring_3h/"), "CLAUDE_EXPIRING");
    assert_eq!(word("g_token_expiring_6h/"), "CLAUDE_EXPIRING");
    assert_eq!(word("m2_two_profiles_expiring_first/"), "CLAUDE_EXPIRING");
    assert_eq!(
        word("c2_oauth_expired_doctor_refresh_failed/"),
        "CLAUDE_EXPIRED"
    );
    assert_eq!(word("d2_config_no_profiles/"), "CLAUDE_EXPIRED");
    assert_eq!(
        word("h2_mixed_openai_fallback/"),
        "OPENCLAW_EXPIRED",
        "the openai route fails, not Claude"
    );
    assert_eq!(word("d1_no_state_dir/"), "OPENCLAW_EXPIRED");
    assert_eq!(word("l_legacy_json_unmigrated/"), "OPENCLAW_EXPIRED");
    assert_eq!(word("h_mixed_providers/"), "OK");
    assert_eq!(word("n1_cooldown_backup_profile/"), "OK");
}

#[test]
fn the_human_report_names_time_left_and_the_fix_command() {
    let runs = corpus_runs();
    let r = runs
        .iter()
        .find(|r| r.scenario.starts_with("b_oauth_expiring_3h/"))
        .expect("b");
    let text = human::render(&report_of(r), false);
    assert!(
        text.contains("! EXPIRING — default route anthropic/claude-opus-5"),
        "{text}"
    );
    assert!(text.contains("2h 59m left"), "{text}");
    assert!(
        text.contains("openclaw models auth login --provider anthropic"),
        "{text}"
    );

    let r = runs
        .iter()
        .find(|r| r.scenario.starts_with("n1_cooldown_backup_profile/"))
        .expect("n1");
    let text = human::render(&report_of(r), false);
    assert!(text.contains("[cooldown:rate_limit"), "{text}");
    assert!(
        text.contains("Wait for cooldown or switch provider."),
        "{text}"
    );

    let r = runs
        .iter()
        .find(|r| r.scenario.starts_with("l_legacy_json_unmigrated/"))
        .expect("l");
    let text = human::render(&report_of(r), false);
    assert!(
        text.contains("requires legacy credential migration")
            && text.contains("openclaw doctor --fix"),
        "{text}"
    );
}

#[test]
fn help_documents_every_flag_source_format_and_exit_code() {
    let out = clawauth(&["status", "--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--state-dir",
        "--agent",
        "--source",
        "--openclaw-bin",
        "--at",
        "--warn",
        "--format",
        "--check",
        "--cli-timeout",
        "--color",
        "auto",
        "direct",
        "cli",
        "human",
        "json",
        "simple",
        "OK",
        "CLAUDE_EXPIRING",
        "OPENCLAW_EXPIRING",
        "CLAUDE_EXPIRED",
        "OPENCLAW_EXPIRED",
        "UNREACHABLE",
        "EXIT CODES",
        "0   ok",
        "1   expired",
        "2   a route",
        "3   unknown",
        "64",
        "NO_COLOR",
    ] {
        assert!(
            help.contains(needle),
            "`clawauth status --help` does not mention {needle}:\n{help}"
        );
    }
    let top = clawauth(&["--help"], &[]);
    assert!(String::from_utf8_lossy(&top.stdout).contains("status"));
}

/// Color only on a terminal (a real pty from util-linux `script`), never with NO_COLOR.
#[test]
fn color_only_on_a_terminal_and_never_with_no_color() {
    let home = tempfile::tempdir().expect("home");
    let bin = clawauth_tests::clawauth_bin();
    let run = |no_color: bool| {
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec", &format!("{} status", bin.display()), "/dev/null"])
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", "/usr/bin:/bin")
            .env("TERM", "xterm");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd
            .output()
            .expect("script (util-linux) runs clawauth in a pty");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(run(false).contains("\x1b["), "a terminal gets color");
    assert!(!run(true).contains("\x1b["), "NO_COLOR is honoured");
    let piped = clawauth(
        &["status"],
        &[("HOME", home.path().to_str().expect("utf-8"))],
    );
    assert!(
        !String::from_utf8_lossy(&piped.stdout).contains("\x1b["),
        "a pipe gets none"
    );
}

/// Stand-ins for a broken OpenClaw CLI (they stand for the real failures the corpus saw: a CLI
/// that hangs, e.g. offline plugin installs, one that crashes, one that prints garbage).
fn stub(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write stub");
    clawauth_tests::set_mode(&p, 0o755);
    p
}

#[test]
fn the_cli_source_survives_a_hung_crashing_or_garbled_cli() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path().to_str().expect("utf-8");
    let marker = dir.path().join("grandchild-alive");

    // Hangs, with a grandchild: both must be killed at the deadline.
    let hang = stub(
        dir.path(),
        "hang",
        &format!("(sleep 2; touch {}) & sleep 60", marker.display()),
    );
    clawauth_tests::clawauth_bin(); // build first: the deadline is clawauth's, not cargo's
    let started = std::time::Instant::now();
    let out = clawauth(
        &[
            "status",
            "--check",
            "--source",
            "cli",
            "--openclaw-bin",
            hang.to_str().expect("utf-8"),
            "--cli-timeout",
            "1s",
            "--format",
            "json",
        ],
        &[("HOME", home)],
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the timeout holds"
    );
    assert_eq!(out.status.code(), Some(3), "a hung CLI gives no verdict");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        doc.to_string().contains("did not finish within 1s"),
        "{doc}"
    );

    let crash = stub(
        dir.path(),
        "crash",
        "echo 'TypeError: boom sk-ant-oat01-FAKE-leaky-token-abcdefghijklmnop' >&2; exit 7",
    );
    let out = clawauth(
        &[
            "status",
            "--check",
            "--source",
            "cli",
            "--openclaw-bin",
            crash.to_str().expect("utf-8"),
            "--format",
            "json",
        ],
        &[("HOME", home)],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the gateway-side command failed"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("failed (exit 7)") && text.contains("TypeError: boom"),
        "{text}"
    );
    assert!(
        !text.contains("FAKE-leaky"),
        "stderr is scrubbed of tokens: {text}"
    );

    let garbage = stub(dir.path(), "garbage", "echo 'not json'; exit 0");
    let out = clawauth(
        &[
            "status",
            "--check",
            "--source",
            "cli",
            "--openclaw-bin",
            garbage.to_str().expect("utf-8"),
        ],
        &[("HOME", home)],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "exit 0 without a readable answer is not ok"
    );

    // The grandchild would touch the marker 2 s after it started, had it survived the kill.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        !marker.exists(),
        "the hung CLI's whole process group was killed"
    );
}
