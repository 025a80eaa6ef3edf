//! Hostile state files on the gateway host: documents nested 100 000 levels deep, FIFOs and
//! devices where a file belongs, SQLite files whose bytes claim terabytes, and a state that takes
//! longer to read than the deadline. Each must end the check promptly with a clear error naming
//! the file — exit 3, `UNREACHABLE` — in every format, and in the monitor; none may crash, hang
//! or take gigabytes. The states are the real CLI's recordings (`tests/fixtures/openclaw`), made
//! hostile with real parts (`mkfifo`, SQLite's own file format).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use clawauth_tests::hostile::{
    deep_json, fifo, output_within, row_claiming_length, wal_claiming_pages,
};
use clawauth_tests::lab::text;
use clawauth_tests::{Case, RestoredHome, clawauth_bin, conformance_cases};

/// Long enough for any honest check on a loaded machine; a hang is caught, not timed.
const HANG_GUARD: Duration = Duration::from_secs(20);
const DEEP: usize = 100_000;

fn case(prefix: &str) -> Case {
    conformance_cases()
        .into_iter()
        .find(|c| c.name.starts_with(prefix))
        .unwrap_or_else(|| panic!("no case {prefix}"))
}

/// A 2026.9.6 state (SQLite store, one anthropic token expiring in 23 h) or a 2026.6.1 one
/// (`auth-profiles.json`).
fn restored(prefix: &str) -> (RestoredHome, i64) {
    let c = case(prefix);
    (RestoredHome::new(&c), c.now_ms)
}

fn current() -> (RestoredHome, i64) {
    restored("current-new/a_token_expiring_23h/pinned")
}

fn legacy() -> (RestoredHome, i64) {
    restored("legacy-2026.6.1/l1_oauth_ok_30d/pinned")
}

fn state_db(home: &Path) -> PathBuf {
    home.join(".openclaw/state/openclaw.sqlite")
}

/// `clawauth ARGS` as the gateway host's user, under the hang guard.
fn run(home: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(clawauth_bin());
    cmd.args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin");
    output_within(&mut cmd, HANG_GUARD)
}

/// `status --check` in the three formats: each exits `code` and, but for `simple`, says
/// `needle`; `simple` prints `word`.
fn status_everywhere(home: &Path, now: i64, extra: &[&str], code: i32, word: &str, needle: &str) {
    let now = now.to_string();
    for format in ["json", "human", "simple"] {
        let mut args = vec!["status", "--check", "--at", &now, "--format", format];
        args.extend_from_slice(extra);
        let out = run(home, &args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(code), "--format {format}: {all}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        if format == "simple" {
            assert_eq!(stdout.trim(), word, "{all}");
        } else {
            let shown = if format == "json" {
                // JSON escapes nothing in these messages but quotes: compare unescaped.
                serde_json::from_str::<serde_json::Value>(&stdout)
                    .map(|v| v.to_string().replace("\\\"", "\""))
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {all}"))
            } else {
                stdout.into_owned()
            };
            assert!(
                shown.contains(needle),
                "--format {format} lacks {needle:?}: {all}"
            );
        }
    }
}

/// The monitor checking this machine: it names the unreadable file and finishes.
fn monitor_names(home: &Path, now: i64, needle: &str) {
    let state = home.join("monitor.json");
    let out = run(
        home,
        &[
            "monitor",
            "--local",
            "--dry-run",
            "--at",
            &now.to_string(),
            "--state-file",
            state.to_str().expect("utf-8"),
        ],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("unreadable (1 run in a row)") && stdout.contains(needle),
        "{all}"
    );
}

/// The check refuses the state, naming why (`needle`), everywhere it is shown.
fn refused_everywhere(home: &Path, now: i64, needle: &str) {
    status_everywhere(home, now, &[], 3, "UNREACHABLE", needle);
    monitor_names(home, now, needle);
}

fn nesting(path: &Path) -> String {
    format!("{}: nesting deeper than 64 levels", path.display())
}

#[test]
fn status_names_a_deeply_nested_config_instead_of_crashing() {
    let (home, now) = current();
    let cfg = home.path().join(".openclaw/openclaw.json");
    std::fs::write(&cfg, format!("{{agents: {}}}", deep_json(DEEP))).expect("write");
    refused_everywhere(home.path(), now, &nesting(&cfg));
}

#[test]
fn status_names_a_deeply_nested_include_instead_of_crashing() {
    let (home, now) = current();
    let cfg = home.path().join(".openclaw/openclaw.json");
    let inc = home.path().join(".openclaw/models.json5");
    let original = std::fs::read_to_string(&cfg).expect("read config");
    let mut doc: serde_json::Value = serde_json::from_str(&original).expect("config is JSON");
    doc["$include"] = "./models.json5".into();
    std::fs::write(&cfg, doc.to_string()).expect("write");
    std::fs::write(&inc, format!("// models\n{{x: {}}}", deep_json(DEEP))).expect("write");
    refused_everywhere(home.path(), now, &nesting(&inc));
}

#[test]
fn status_names_a_deeply_nested_store_row_instead_of_calling_it_openclaws_failure() {
    let (home, now) = current();
    let db = state_db(home.path());
    rusqlite::Connection::open(&db)
        .expect("open")
        .execute(
            "UPDATE config_machine_state SET value_json = ?1 WHERE state_key = 'authProfiles.store'",
            [format!("{{\"version\":1,\"profiles\":{}}}", deep_json(DEEP))],
        )
        .expect("update");
    // OpenClaw's JSON.parse reads such a row; only clawauth's bound refuses it: unknown, not
    // OpenClaw's "unreadable" (exit 1).
    refused_everywhere(home.path(), now, &nesting(&db));
}

#[test]
fn status_names_a_deeply_nested_legacy_store_instead_of_crashing() {
    let (home, now) = legacy();
    let store = home
        .path()
        .join(".openclaw/agents/main/agent/auth-profiles.json");
    std::fs::write(&store, deep_json(DEEP)).expect("write");
    refused_everywhere(home.path(), now, &nesting(&store));
}

#[test]
fn status_names_a_deeply_nested_claude_code_login_and_keeps_the_verdict() {
    let (home, now) = current();
    let creds = home.path().join(".claude/.credentials.json");
    std::fs::create_dir_all(creds.parent().expect("dir")).expect("mkdir");
    std::fs::write(&creds, deep_json(DEEP)).expect("write");
    // Claude Code's own login is shown beside the verdict, never part of it: still expiring.
    status_everywhere(
        home.path(),
        now,
        &[],
        2,
        "CLAUDE_EXPIRING",
        &nesting(&creds),
    );
}

#[test]
fn status_refuses_fifos_and_devices_where_state_files_belong_at_once() {
    let fifo_msg = |p: &Path| format!("{} is a FIFO (named pipe), not a regular file", p.display());

    let (home, now) = current();
    let cfg = home.path().join(".openclaw/openclaw.json");
    fifo(&cfg);
    refused_everywhere(home.path(), now, &fifo_msg(&cfg));
    std::fs::remove_file(&cfg).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", &cfg).expect("symlink");
    let device = format!(
        "{} is a character device, not a regular file",
        cfg.display()
    );
    status_everywhere(home.path(), now, &[], 3, "UNREACHABLE", &device);

    let (home, now) = current();
    let db = state_db(home.path());
    fifo(&db);
    refused_everywhere(home.path(), now, &fifo_msg(&db));

    let (home, now) = current();
    let db = state_db(home.path());
    let mut image = std::fs::read(&db).expect("read db");
    image[18] = 2; // WAL mode: the -wal file is read too
    image[19] = 2;
    std::fs::write(&db, image).expect("write db");
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    fifo(&wal);
    status_everywhere(home.path(), now, &[], 3, "UNREACHABLE", &fifo_msg(&wal));

    let (home, now) = legacy();
    let store = home
        .path()
        .join(".openclaw/agents/main/agent/auth-profiles.json");
    fifo(&store);
    refused_everywhere(home.path(), now, &fifo_msg(&store));

    let (home, now) = current();
    let creds = home.path().join(".claude/.credentials.json");
    std::fs::create_dir_all(creds.parent().expect("dir")).expect("mkdir");
    fifo(&creds);
    status_everywhere(
        home.path(),
        now,
        &[],
        2,
        "CLAUDE_EXPIRING",
        &fifo_msg(&creds),
    );
}

#[test]
fn status_refuses_a_write_ahead_log_claiming_terabytes() {
    let (home, now) = current();
    let db = state_db(home.path());
    wal_claiming_pages(&db, u32::MAX);
    let needle = format!(
        "{}-wal: its last commit claims a database of 4294967295 pages of 4096 bytes",
        db.display()
    );
    refused_everywhere(home.path(), now, &needle);
}

#[test]
fn status_refuses_a_row_claiming_a_hundred_megabytes() {
    let (home, now) = current();
    let db = state_db(home.path());
    let conn = rusqlite::Connection::open(&db).expect("open");
    let row: String = conn
        .query_row(
            "SELECT value_json FROM config_machine_state WHERE state_key = 'authProfiles.store'",
            [],
            |r| r.get(0),
        )
        .expect("store row");
    let mut doc: serde_json::Value = serde_json::from_str(&row).expect("row is JSON");
    doc["padding"] = "x".repeat(2_200_000).into();
    conn.execute(
        "UPDATE config_machine_state SET value_json = ?1 WHERE state_key = 'authProfiles.store'",
        [doc.to_string()],
    )
    .expect("update");
    drop(conn);
    // Sanity: the padded row is an honest store, read as before (expiring).
    status_everywhere(
        home.path(),
        now,
        &[],
        2,
        "CLAUDE_EXPIRING",
        "anthropic:manual",
    );
    // The file stays 2 MB; the row now claims 120 MB. SQLite must refuse before allocating.
    row_claiming_length(
        &db,
        "config_machine_state",
        "authProfiles.store",
        120_000_000,
    );
    let needle = format!(
        "{}: a value or statement in it is larger than the 16777216 bytes clawauth reads",
        db.display()
    );
    refused_everywhere(home.path(), now, &needle);
}

#[test]
fn status_deadline_bounds_a_local_check() {
    let (home, now) = current();
    // A hot rollback journal: a writer is mid-transaction, so the read is retried for 2 s.
    let journal = PathBuf::from(format!("{}-journal", state_db(home.path()).display()));
    let mut bytes = vec![0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];
    bytes.resize(512, 0);
    std::fs::write(&journal, bytes).expect("write journal");
    status_everywhere(
        home.path(),
        now,
        &["--deadline", "1s"],
        3,
        "UNREACHABLE",
        "the check did not finish within the 1s deadline",
    );
    // Once the writer is done, the same check answers well within its deadline.
    std::fs::remove_file(&journal).expect("rm journal");
    status_everywhere(
        home.path(),
        now,
        &["--deadline", "30s"],
        2,
        "CLAUDE_EXPIRING",
        "anthropic:manual",
    );
    let out = run(home.path(), &["status", "--deadline", "0s"]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--deadline must be longer than zero"),
        "{}",
        text(&out)
    );
}
