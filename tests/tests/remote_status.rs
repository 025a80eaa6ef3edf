//! `clawauth status --host` against a real OpenSSH sshd on 127.0.0.1: each remote source
//! (clawauth on the gateway, the real OpenClaw CLI, the legacy files), one connection per check,
//! and the same verdict as OpenClaw's own `models status --json --check` on that gateway's state.

use camino::Utf8PathBuf;
use clawauth_tests::lab::{
    ANTHROPIC, Lab, host_report, login_path, openclaw_check, openclaw_state, text,
};
use clawauth_tests::openclaw_cli::openclaw;
use clawauth_tests::{Set, clawauth_bin, conformance_cases, restore};
use serde_json::Value;

/// Runs one remote check and returns (exit code, report); asserts exactly one new connection,
/// and exactly one command on it when clawauth or OpenClaw answered there (the probe, the
/// program and Claude Code's files in one script).
fn check_once(lab: &Lab, args: &[&str]) -> (i32, Value) {
    let before = lab.sshd.connections();
    let sessions_before = lab.sshd.sessions();
    let mut full = vec!["status", "--check", "--format", "json"];
    full.extend_from_slice(args);
    let out = lab.clawauth(&full, &[]);
    let code = out.status.code().expect("exit code");
    let report = host_report(&out);
    lab.sshd
        .assert_one_connection_since(before, &format!("per check: {}", text(&out)));
    if matches!(
        report["via"]["source"].as_str(),
        Some("clawauth" | "openclaw-cli")
    ) {
        assert_eq!(
            lab.sshd.sessions() - sessions_before,
            1,
            "one command per check: {}",
            lab.sshd.log_tail(20)
        );
    }
    (code, report)
}

/// Three gateway states written by the real CLI: ok, expiring, missing. Through every source,
/// `clawauth status --host gw --check` exits as `openclaw models status --json --check` does.
#[test]
fn every_source_agrees_with_openclaw_on_the_gateway() {
    let oc = openclaw();
    let lab = Lab::new();
    lab.trust();
    let bin = Utf8PathBuf::from_path_buf(clawauth_bin()).expect("utf-8");
    let oc_dir =
        Utf8PathBuf::from_path_buf(oc.bin.parent().expect("dir").to_path_buf()).expect("utf-8");
    let node_dir = Utf8PathBuf::from_path_buf(oc.node_bin_dir.clone()).expect("utf-8");
    let mut failures = Vec::new();
    let mut rows = 0;
    for (name, expires) in [
        ("ok", Some("365d")),
        ("expiring", Some("6h")),
        ("missing", None),
    ] {
        let home = lab.new_home(name);
        openclaw_state(&oc, &home, ANTHROPIC, expires);
        let expected = openclaw_check(&oc, &home);
        // Local clawauth on the same state, for the record.
        let local = lab.clawauth(
            &["status", "--check", "--format", "simple"],
            &[("HOME", home.as_str())],
        );
        let local_code = local.status.code().unwrap_or(-1);
        lab.gateway(&home);

        // (a) clawauth installed on the gateway, found through the login shell's PATH.
        login_path(&home, &[bin.parent().expect("dir"), &oc_dir, &node_dir]);
        lab.add_host("gw", &[]);
        let (a_code, a) = check_once(&lab, &["--host", "gw"]);
        // (b) only the OpenClaw CLI.
        login_path(&home, &[&oc_dir, &node_dir]);
        let (b_code, b) = check_once(&lab, &["--host", "gw"]);
        // (b') the CLI at a configured path, nothing on the login PATH.
        std::fs::remove_file(home.join(".profile")).expect("rm .profile");
        lab.add_host("gw", &["--openclaw", oc.bin.to_str().expect("utf-8")]);
        let (c_code, c) = {
            // node must still be found: the configured openclaw is a `#!/usr/bin/env node` script.
            lab.gateway_for(
                &lab.key,
                &home,
                &format!("{node_dir}:/usr/local/bin:/usr/bin:/bin"),
            );
            check_once(&lab, &["--host", "gw"])
        };
        for (label, code, report, source) in [
            ("clawauth on the gateway", a_code, &a, "clawauth"),
            ("openclaw on the login PATH", b_code, &b, "openclaw-cli"),
            ("openclaw at a configured path", c_code, &c, "openclaw-cli"),
        ] {
            rows += 1;
            let got_source = report["via"]["source"].as_str().unwrap_or("?");
            if code != expected || got_source != source || local_code != expected {
                failures.push(format!(
                    "{name} via {label}: exit {code} (openclaw {expected}, local clawauth {local_code}), source {got_source} (want {source})"
                ));
            }
            assert_eq!(report["host"], "gw");
            assert!(
                report["via"]["clock_skew_ms"]
                    .as_i64()
                    .is_some_and(|s| s.abs() < 5_000)
            );
        }
        lab.gateway(&home);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("{rows} remote checks agree with `openclaw models status --json --check`");
}

/// Old installs (OpenClaw 2026.6.1's JSON store) with neither clawauth nor openclaw on the
/// gateway: the files are read over the connection and evaluated here, with the verdict the
/// recorded 2026.6.1 CLI gave and the one local clawauth gives on the same tree.
#[test]
fn legacy_files_are_read_over_the_connection() {
    let lab = Lab::new();
    lab.trust();
    lab.add_host("old", &[]);
    let cases: Vec<_> = conformance_cases()
        .into_iter()
        .filter(|c| c.set == Set::Legacy && c.agent.is_none() && !c.stub_on_path)
        .collect();
    assert!(cases.len() >= 5, "legacy cases: {}", cases.len());
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let home = lab.new_home(&format!("legacy-{}", case.name));
        restore(&case.scenario, &case.tree, home.as_std_path());
        lab.gateway(&home);
        let at = case.now_ms.to_string();
        let local = lab.clawauth(
            &[
                "status", "--check", "--source", "direct", "--at", &at, "--format", "json",
            ],
            &[("HOME", home.as_str())],
        );
        let (code, report) = check_once(&lab, &["--host", "old", "--at", &at]);
        checked += 1;
        let source = report["via"]["source"].as_str().unwrap_or("?").to_owned();
        if code != local.status.code().unwrap_or(-1) || source != "files" {
            failures.push(format!(
                "{}: remote exit {code} via {source}, local {:?}, recorded CLI {}",
                case.name,
                local.status.code(),
                case.exit_code
            ));
        }
        // The report names the gateway's paths, not the temporary copy.
        let store = report["agents"][0]["store_path"]
            .as_str()
            .unwrap_or_default();
        assert!(
            store.is_empty() || store.starts_with(home.as_str()),
            "{}: store path {store}",
            case.name
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("{checked} legacy states read over SSH agree with local clawauth");
}

/// No source on a modern (SQLite) gateway: unknown, exit 3, and the report says how to fix it.
#[test]
fn nothing_to_ask_is_unknown_with_a_fix() {
    let lab = Lab::new();
    lab.trust();
    let home = lab.new_home("bare");
    let src = clawauth_tests::repo_root().join("examples/gateway/.openclaw");
    let status = std::process::Command::new("cp")
        .args(["-a"])
        .arg(&src)
        .arg(home.join(".openclaw").as_str())
        .status()
        .expect("cp");
    assert!(status.success());
    lab.gateway(&home);
    lab.add_host("gw", &[]);
    let (code, report) = check_once(&lab, &["--host", "gw"]);
    assert_eq!(code, 3, "{report}");
    let skipped = report["via"]["skipped"].to_string();
    assert!(skipped.contains("clawauth: not installed"), "{skipped}");
    assert!(skipped.contains("SQLite store"), "{skipped}");
    let out = lab.clawauth(&["status", "--host", "gw", "--format", "simple"], &[]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "gw UNREACHABLE\n");
}
