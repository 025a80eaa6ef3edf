//! Bad input: malformed JSON / JSON5, truncated, damaged or locked SQLite, unknown credential
//! types, `expires` in seconds or as a string, oversized and unreadable files, wrong flags and
//! hostile values. Where OpenClaw defines the outcome clawauth gives the same; otherwise a clear
//! error naming the file and what is wrong, exit 3 — and never a secret in the output.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use clawauth_tests::{Case, RestoredHome, clawauth, conformance_cases};
use serde_json::Value;

/// A secret planted in every credential these tests write; it must never be printed.
const SECRET: &str =
    "sk-ant-oat01-FAKE-never-print-me-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV";

fn case(prefix: &str) -> Case {
    conformance_cases()
        .into_iter()
        .find(|c| c.name.starts_with(prefix))
        .unwrap_or_else(|| panic!("no case {prefix}"))
}

/// A restored state tree (2026.9.6, one anthropic token expiring in 23 h; config model anthropic).
fn home() -> (RestoredHome, i64) {
    let c = case("current-new/a_token_expiring_23h/pinned");
    (RestoredHome::new(&c), c.now_ms)
}

fn state_db(home: &Path) -> PathBuf {
    home.join(".openclaw/state/openclaw.sqlite")
}

fn set_store(home: &Path, row: &str) {
    let db = rusqlite::Connection::open(state_db(home)).expect("open");
    db.execute(
        "UPDATE config_machine_state SET value_json = ?1 WHERE state_key = 'authProfiles.store'",
        [row],
    )
    .expect("update");
}

fn status(home: &Path, now: i64, extra: &[&str]) -> (Output, Value) {
    let now = now.to_string();
    let mut args = vec![
        "status", "--check", "--source", "direct", "--at", &now, "--format", "json",
    ];
    args.extend_from_slice(extra);
    let out = clawauth(&args, &[("HOME", home.to_str().expect("utf-8"))]);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert_no_secret(&out);
    (out, doc)
}

fn assert_no_secret(out: &Output) {
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains("never-print-me"), "a secret leaked: {text}");
    }
}

fn text_of(doc: &Value) -> String {
    doc.to_string()
}

#[test]
fn malformed_json5_config_fails_like_openclaw_and_names_the_file() {
    let (home, now) = home();
    let cfg = home.path().join(".openclaw/openclaw.json");
    std::fs::write(
        &cfg,
        "{ agents: { defaults: { model: 'anthropic/claude-opus-5' ",
    )
    .expect("write");
    let (out, doc) = status(home.path(), now, &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "OpenClaw cannot load it: exit 1"
    );
    let msg = doc["agents"][0]["openclaw_error"]["message"]
        .as_str()
        .expect("message");
    assert!(
        msg.contains(cfg.to_str().expect("utf-8")) && msg.contains("JSON5"),
        "{msg}"
    );
    assert!(msg.contains("line"), "names the position: {msg}");

    std::fs::write(&cfg, "[1, 2]").expect("write");
    let (out, doc) = status(home.path(), now, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text_of(&doc).contains("expected an object"), "{doc}");
}

#[test]
fn malformed_store_row_is_unreadable_as_openclaw_says() {
    let (home, now) = home();
    for row in [
        "{\"version\":1,\"profiles\":",
        "{\"anthropic\":{\"type\":\"token\"}}",
        "null",
        "[1]",
    ] {
        set_store(home.path(), row);
        let (out, doc) = status(home.path(), now, &[]);
        assert_eq!(out.status.code(), Some(1), "row {row}");
        let msg = doc["agents"][0]["openclaw_error"]["message"]
            .as_str()
            .expect("message");
        assert_eq!(
            msg,
            "Auth profile store ~/.openclaw/state/openclaw.sqlite is unreadable; run openclaw doctor --fix."
        );
    }
}

#[test]
fn truncated_or_garbage_sqlite_is_a_clear_error_with_exit_3() {
    let (home, now) = home();
    let db = state_db(home.path());
    let bytes = std::fs::read(&db).expect("read");

    std::fs::write(&db, &bytes[..bytes.len() - 1000]).expect("truncate mid-page");
    let (out, doc) = status(home.path(), now, &[]);
    assert_eq!(out.status.code(), Some(3));
    let err = doc["errors"][0].as_str().expect("error");
    assert!(
        err.contains(db.to_str().expect("utf-8")) && err.contains("truncated"),
        "{err}"
    );

    std::fs::write(&db, &bytes[..4096 * 3]).expect("truncate at a page boundary");
    let (out, doc) = status(home.path(), now, &[]);
    assert_eq!(out.status.code(), Some(3), "{doc}");
    assert!(
        text_of(&doc["errors"]).contains("damaged or truncated"),
        "{doc}"
    );

    std::fs::write(&db, b"PK\x03\x04 this is a zip file, not a database, padded to more than one hundred bytes ........").expect("garbage");
    let (out, doc) = status(home.path(), now, &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text_of(&doc["errors"]).contains("not an SQLite database"),
        "{doc}"
    );
}

/// A rollback-journal database in the middle of another process's write: clawauth waits a
/// little, then says so (exit 3) instead of reading half a transaction.
#[test]
fn a_database_being_written_is_reported_as_locked_then_read_once_free() {
    let (home, now) = home();
    let db = state_db(home.path());
    let writer = rusqlite::Connection::open(&db).expect("open");
    writer
        .pragma_update(None, "journal_mode", "delete")
        .expect("rollback journal");
    writer
        .pragma_update(None, "cache_size", 1)
        .expect("tiny cache: spill to the file");
    writer
        .execute_batch(
            "BEGIN EXCLUSIVE; CREATE TABLE filler(x); \
             WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000) \
             INSERT INTO filler SELECT randomblob(200) FROM c;",
        )
        .expect("big write");
    assert!(
        db.with_file_name("openclaw.sqlite-journal").is_file(),
        "a hot journal exists"
    );
    clawauth_tests::clawauth_bin(); // build first: the deadline is clawauth's, not cargo's
    let started = Instant::now();
    let (out, doc) = status(home.path(), now, &[]);
    assert_eq!(out.status.code(), Some(3), "{doc}");
    assert!(
        text_of(&doc["errors"]).contains("being written by another process"),
        "{doc}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "gives up within seconds"
    );
    writer.execute_batch("ROLLBACK").expect("rollback");
    let (out, _) = status(home.path(), now, &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "readable again once the writer is done"
    );
}

#[test]
fn unknown_credential_types_are_dropped_as_openclaw_does() {
    let (home, now) = home();
    let expires = now + 3 * 3_600_000;
    set_store(
        home.path(),
        &format!(
            r#"{{"version":1,"profiles":{{
              "anthropic:weird":{{"type":"passkey","provider":"anthropic","token":"{SECRET}"}},
              "anthropic:noprov":{{"type":"token","token":"{SECRET}"}},
              "anthropic:manual":{{"type":"token","provider":"anthropic","token":"{SECRET}","expires":{expires}}}}}}}"#
        ),
    );
    let (out, doc) = status(home.path(), now, &[]);
    assert_eq!(out.status.code(), Some(2));
    let notes = text_of(&doc["agents"][0]["notes"]);
    assert!(
        notes.contains("anthropic:weird (invalid_type)")
            && notes.contains("anthropic:noprov (missing_provider)"),
        "{notes}"
    );
}

#[test]
fn expires_in_seconds_is_expired_and_as_a_string_is_invalid_like_openclaw() {
    let (home, now) = home();
    for (expires, status_want, reason) in [
        ("1795342802", "expired", "expired"), // epoch seconds: read as ms in 1970
        ("\"2027-01-01T00:00:00Z\"", "missing", "invalid_expires"),
        ("\"1800000000000\"", "missing", "invalid_expires"),
        ("-5", "missing", "invalid_expires"),
    ] {
        set_store(
            home.path(),
            &format!(
                r#"{{"version":1,"profiles":{{"anthropic:manual":{{"type":"token","provider":"anthropic","token":"{SECRET}","expires":{expires}}}}}}}"#
            ),
        );
        let (out, doc) = status(home.path(), now, &[]);
        assert_eq!(out.status.code(), Some(1), "expires {expires}");
        let p = &doc["agents"][0]["profiles"][0];
        assert_eq!(
            (p["status"].as_str(), p["reason_code"].as_str()),
            (Some(status_want), Some(reason)),
            "expires {expires}"
        );
    }
    // OAuth: seconds → expired (no reason code); a string → missing.
    set_store(
        home.path(),
        &format!(
            r#"{{"version":1,"profiles":{{"anthropic:default":{{"type":"oauth","provider":"anthropic","access":"{SECRET}","refresh":"{SECRET}","expires":"soon"}}}}}}"#
        ),
    );
    let (out, doc) = status(home.path(), now, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(doc["agents"][0]["profiles"][0]["status"], "missing");
}

#[test]
fn oversized_files_are_refused_with_their_size() {
    let (home, now) = home();
    let cfg = home.path().join(".openclaw/openclaw.json");
    let mut big = String::from(
        "{ \"agents\": { \"defaults\": { \"model\": \"anthropic/claude-opus-5\" } }, \"pad\": \"",
    );
    big.push_str(&"x".repeat(17 * 1024 * 1024));
    big.push_str("\" }");
    std::fs::write(&cfg, big).expect("write");
    let (out, doc) = status(home.path(), now, &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text_of(&doc["errors"]).contains("more than the 16777216 bytes"),
        "{doc}"
    );

    let (home, now) = self::home();
    let db = state_db(home.path());
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .expect("open")
        .set_len(600 * 1024 * 1024)
        .expect("sparse 600 MiB");
    let (out, doc) = status(home.path(), now, &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text_of(&doc["errors"]).contains("more than the 536870912 bytes"),
        "{doc}"
    );
}

#[test]
fn unreadable_files_name_the_file() {
    let (home, now) = home();
    let cfg = home.path().join(".openclaw/openclaw.json");
    std::fs::remove_file(&cfg).expect("rm");
    std::fs::create_dir(&cfg).expect("a directory where the config should be");
    let (out, doc) = status(home.path(), now, &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text_of(&doc["errors"]).contains("is a directory"), "{doc}");

    // Permission denied: as root, drop to `nobody` (util-linux setpriv), else chmod suffices.
    let (home, now) = self::home();
    clawauth_tests::set_mode(&state_db(home.path()), 0o000);
    for dir in [
        home.path().to_path_buf(),
        home.path().join(".openclaw"),
        home.path().join(".openclaw/state"),
    ] {
        clawauth_tests::set_mode(&dir, 0o755);
    }
    clawauth_tests::set_mode(&home.path().join(".openclaw/openclaw.json"), 0o644);
    let bin = clawauth_tests::clawauth_bin();
    let now_s = now.to_string();
    let args = [
        "status",
        "--check",
        "--source",
        "direct",
        "--at",
        now_s.as_str(),
        "--format",
        "json",
    ];
    let mut cmd = if clawauth_tests::openclaw_cli::is_root() {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        std::process::Command::new(&bin)
    };
    let out = cmd
        .args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("run (setpriv is in util-linux)");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{doc} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = text_of(&doc["errors"]);
    assert!(
        err.contains("openclaw.sqlite") && err.contains("ermission denied"),
        "{err}"
    );
}

#[test]
fn a_malformed_claude_code_file_is_named_without_changing_the_verdict() {
    let (home, now) = home();
    let dir = home.path().join(".claude");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join(".credentials.json"),
        format!("{{\"claudeAiOauth\":{{\"accessToken\":\"{SECRET}\","),
    )
    .expect("write");
    let (out, doc) = status(home.path(), now, &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "OpenClaw 2026.9 does not read this file"
    );
    let err = doc["claude_code"]["error"].as_str().expect("error");
    assert!(
        err.contains(".claude/.credentials.json") && err.contains("line 1"),
        "{err}"
    );
}

#[test]
fn a_malformed_legacy_store_is_empty_like_openclaw_2026_6_1_and_named() {
    let c = case("legacy-2026.6.1/l8_malformed_json/pinned");
    let home = RestoredHome::new(&c);
    let (out, doc) = status(home.path(), c.now_ms, &[]);
    assert_eq!(out.status.code(), Some(1));
    let notes = text_of(&doc["agents"][0]["notes"]);
    assert!(
        notes.contains("auth-profiles.json is not valid JSON") && notes.contains("empty store"),
        "{notes}"
    );
}

#[test]
fn wrong_flags_are_usage_errors_that_never_look_like_a_verdict() {
    let (home, _) = home();
    let h = home.path_str();
    for (args, needle) in [
        (
            &["status", "--source", "bogus"][..],
            "invalid value 'bogus'",
        ),
        (&["status", "--format", "xml"], "invalid value 'xml'"),
        (
            &["status", "--at", "tomorrow"],
            "--at: invalid moment 'tomorrow'",
        ),
        (
            &["status", "--warn", "0"],
            "--warn must be longer than zero",
        ),
        (&["status", "--warn", "1y"], "--warn: invalid duration"),
        (
            &["status", "--cli-timeout", "0s"],
            "--cli-timeout must be longer than zero",
        ),
        (
            &["status", "--state-dir", "/nonexistent/clawauth"],
            "no such directory",
        ),
        (
            &["status", "--openclaw-bin", "/nonexistent/openclaw"],
            "no such file",
        ),
        (&["status", "--bogus"], "unexpected argument '--bogus'"),
        (&["stauts"], "unrecognized subcommand"),
    ] {
        let out = clawauth(args, &[("HOME", h)]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn hostile_agent_ids_are_refused_and_never_run() {
    let (home, now) = home();
    let marker = home.path().join("pwned");
    let hostile = format!("x$(touch {0});touch {0}\n`touch {0}`", marker.display());
    for source in ["direct", "cli", "auto"] {
        let now_s = now.to_string();
        let out = clawauth(
            &[
                "status", "--check", "--source", source, "--at", &now_s, "--agent", &hostile,
                "--format", "json",
            ],
            &[("HOME", home.path_str())],
        );
        let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(out.status.code(), Some(1), "{doc}");
        assert!(text_of(&doc).contains("Unknown agent id"), "{doc}");
        assert!(!marker.exists(), "a hostile agent id reached a shell");
    }
}
