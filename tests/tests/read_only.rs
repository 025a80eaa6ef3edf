//! Read-only proof: `clawauth status` never writes to OpenClaw's state — not a byte, not a WAL
//! checkpoint, not a `-shm` reader mark, not a lock file. Every file under the HOME (content,
//! mode and mtime) hashes the same before and after each run, WAL files included, and nothing
//! appears in TMPDIR.

use std::path::Path;

use clawauth_tests::openclaw_cli::openclaw;
use clawauth_tests::{RestoredHome, clawauth, conformance_cases, tree_hashes};

fn status_runs(home: &Path, tmp: &Path) {
    let home = home.to_str().expect("utf-8");
    let tmp = tmp.to_str().expect("utf-8");
    for args in [
        &["status", "--source", "direct"][..],
        &[
            "status", "--source", "direct", "--check", "--format", "json",
        ],
        &["status", "--check", "--format", "simple"], // auto, with no openclaw on PATH
        &[
            "status", "--source", "direct", "--at", "+400d", "--format", "json",
        ],
    ] {
        let out = clawauth(args, &[("HOME", home), ("TMPDIR", tmp)]);
        assert!(
            out.status.code().is_some_and(|c| c <= 3),
            "clawauth {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn assert_untouched(home: &Path, tmp: &Path, what: &str) {
    let before = tree_hashes(home);
    assert!(!before.is_empty(), "{what}: empty tree");
    status_runs(home, tmp);
    let after = tree_hashes(home);
    if before != after {
        let changed: Vec<_> = before
            .iter()
            .filter(|(k, v)| after.get(*k) != Some(v))
            .map(|(k, _)| k.clone())
            .chain(after.keys().filter(|k| !before.contains_key(*k)).cloned())
            .collect();
        panic!("{what}: clawauth changed {changed:?}");
    }
    let tmp_entries: Vec<_> = std::fs::read_dir(tmp)
        .expect("tmp")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(
        tmp_entries.is_empty(),
        "{what}: clawauth left files in TMPDIR: {tmp_entries:?}"
    );
}

#[test]
fn status_writes_nothing_to_any_recorded_state() {
    let mut seen = std::collections::BTreeSet::new();
    for case in conformance_cases() {
        if !seen.insert((case.scenario.clone(), case.tree.clone())) {
            continue;
        }
        let home = RestoredHome::new(&case);
        let tmp = tempfile::tempdir().expect("tmp");
        assert_untouched(home.path(), tmp.path(), &case.name);
    }
    assert!(seen.len() >= 30, "only {} trees checked", seen.len());
}

/// A live WAL database: another connection holds it open in WAL mode with committed frames
/// that exist only in `-wal` (no checkpoint), plus an open write transaction. clawauth must
/// see the committed change and leave `-wal` and `-shm` byte-identical.
#[test]
fn status_reads_through_a_live_wal_without_touching_it() {
    let case = conformance_cases()
        .into_iter()
        .find(|c| {
            c.name
                .starts_with("current-new/b_token_expiring_25h/pinned")
        })
        .expect("b_token_expiring_25h");
    let home = RestoredHome::new(&case);
    let db_path = home.path().join(".openclaw/state/openclaw.sqlite");
    let writer = rusqlite::Connection::open(&db_path).expect("open");
    writer
        .pragma_update(None, "journal_mode", "wal")
        .expect("wal");
    writer
        .pragma_update(None, "wal_autocheckpoint", 0)
        .expect("no autocheckpoint");
    // Committed only in the WAL: the token now expires 3 h after the recorded moment.
    let expires = case.now_ms + 3 * 3_600_000;
    let store = format!(
        r#"{{"version":1,"profiles":{{"anthropic:manual":{{"type":"token","provider":"anthropic","token":"sk-ant-oat01-FAKE-wal-only-token","expires":{expires}}}}}}}"#
    );
    writer
        .execute(
            "UPDATE config_machine_state SET value_json = ?1 WHERE state_key = 'authProfiles.store'",
            [&store],
        )
        .expect("update");
    // An open write transaction whose frames must be ignored.
    writer
        .execute_batch(
            "BEGIN IMMEDIATE; UPDATE config_machine_state SET value_json = '{\"version\":1,\"profiles\":{}}' \
             WHERE state_key = 'authProfiles.store';",
        )
        .expect("open write");
    let wal = db_path.with_file_name("openclaw.sqlite-wal");
    assert!(
        wal.is_file() && std::fs::metadata(&wal).expect("wal").len() > 0,
        "the change lives in the WAL"
    );

    let now = case.now_ms.to_string();
    let out = clawauth(
        &[
            "status", "--check", "--source", "direct", "--at", &now, "--format", "simple",
        ],
        &[("HOME", home.path_str())],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "the committed WAL-only expiry (3 h) must be seen, the uncommitted empty store not: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let tmp = tempfile::tempdir().expect("tmp");
    assert_untouched(home.path(), tmp.path(), "live WAL");

    // Control: the detector sees what an ordinary `mode=ro` SQLite reader does to the same
    // files once new frames are committed (it records a new reader mark in `-shm`).
    writer.execute_batch("ROLLBACK").expect("rollback");
    writer
        .execute(
            "UPDATE config_machine_state SET updated_at_ms = updated_at_ms + 1",
            [],
        )
        .expect("commit new frames");
    let before = tree_hashes(home.path());
    let reader = rusqlite::Connection::open_with_flags(
        &db_path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )
    .expect("read-only open");
    let _: i64 = reader
        .query_row("SELECT count(*) FROM config_machine_state", [], |r| {
            r.get(0)
        })
        .expect("read");
    drop(reader);
    assert_ne!(
        before,
        tree_hashes(home.path()),
        "a plain read-only SQLite reader writes -shm; the proof must notice"
    );
}

/// The state as OpenClaw itself leaves it after a run (it switches the state DB to WAL).
#[test]
fn status_writes_nothing_after_openclaw_switched_the_state_to_wal() {
    let oc = openclaw();
    let case = conformance_cases()
        .into_iter()
        .find(|c| {
            c.name
                .starts_with("current/n1_cooldown_backup_profile[home]/pinned")
        })
        .expect("n1");
    let home = RestoredHome::new(&case);
    let out = oc.run(home.path(), &["models", "status", "--json"], None);
    assert!(
        out.status.success(),
        "openclaw: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tmp = tempfile::tempdir().expect("tmp");
    assert_untouched(home.path(), tmp.path(), "after openclaw models status");
}
