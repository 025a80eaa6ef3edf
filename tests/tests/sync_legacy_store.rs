//! `actions::legacy::write` over a real SSH connection (OpenSSH sshd on 127.0.0.1) into a legacy
//! `auth-profiles.json` that OpenClaw 2026.6.1 itself wrote, then read back by 2026.6.1's own
//! `openclaw models status --json`. Fake tokens only.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use clawauth_core::actions::legacy::{self, ClaudeOauth, LegacyError, LockPolicy, WriteOutcome};
use clawauth_core::openclaw::env::Environment;
use clawauth_core::secrets::Secret;
use clawauth_core::ssh::{ConnectOptions, SshGateway, connect};
use clawauth_tests::lab::{ANTHROPIC, Lab, fake_token, paste_token_args, text};
use clawauth_tests::openclaw_cli::{OpenClaw, openclaw_legacy};
use serde_json::Value;

const STORE: &str = ".openclaw/agents/main/agent/auth-profiles.json";
const REMOTE_STORE: &str = "~/.openclaw/agents/main/agent/auth-profiles.json";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn cred(tag: &str, expires_ms: i64) -> ClaudeOauth {
    ClaudeOauth {
        access: Secret::new(fake_token(&format!("{tag}-access"))),
        refresh: Secret::new(fake_token(&format!("{tag}-refresh"))),
        expires_ms,
    }
}

/// A gateway home whose legacy store was written by OpenClaw 2026.6.1 itself: an Anthropic
/// setup-token (`paste-token`) and, with `api_key`, an OpenAI key (`paste-api-key`).
fn legacy_home(oc: &OpenClaw, lab: &Lab, name: &str, api_key: bool) -> Utf8PathBuf {
    let home = lab.new_home(name);
    legacy_state(oc, &home, "365d", api_key);
    home
}

/// Writes [`legacy_home`]'s state into `home`, the token expiring in `token_expires_in`.
fn legacy_state(oc: &OpenClaw, home: &Utf8Path, token_expires_in: &str, api_key: bool) {
    std::fs::create_dir_all(home.join(".openclaw")).expect("mkdir");
    std::fs::write(home.join(".openclaw/openclaw.json"), ANTHROPIC).expect("config");
    let args = paste_token_args("anthropic:manual", token_expires_in, None);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = oc.run(
        home.as_std_path(),
        &args,
        Some(&format!("{}\n", fake_token("manual"))),
    );
    assert!(out.status.success(), "2026.6.1 paste-token: {}", text(&out));
    if api_key {
        let out = oc.run(
            home.as_std_path(),
            &["models", "auth", "paste-api-key", "--provider", "openai"],
            Some("sk-openai-FAKE-0123456789abcdefghijklmnop\n"),
        );
        assert!(
            out.status.success(),
            "2026.6.1 paste-api-key: {}",
            text(&out)
        );
    }
    let store = home.join(STORE);
    assert!(store.is_file(), "2026.6.1 wrote no legacy store at {store}");
}

async fn ssh(lab: &Lab) -> SshGateway {
    let opts = ConnectOptions::new(Environment::empty().with("HOME", lab.phone.as_str()));
    connect("gw", &lab.target(), &opts).await.expect("connect")
}

fn mode(p: &Utf8Path) -> u32 {
    std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
}

/// The exact bytes of profile `id` in a 2-space store as OpenClaw writes it:
/// from `    "id": {` to its closing `    }`.
fn profile_span<'a>(doc: &'a str, id: &str) -> &'a str {
    let open = format!("\n    \"{id}\": {{");
    let start = doc
        .find(&open)
        .unwrap_or_else(|| panic!("no {id} in {doc}"))
        + 1;
    let end = start + doc[start..].find("\n    }").expect("profile end") + "\n    }".len();
    &doc[start..end]
}

/// OpenClaw 2026.6.1's `models status --json` on the gateway home.
fn status_json(oc: &OpenClaw, home: &Utf8Path) -> Value {
    let out = oc.run(home.as_std_path(), &["models", "status", "--json"], None);
    assert!(
        out.status.success(),
        "2026.6.1 models status: {}",
        text(&out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("models status is not JSON ({e}): {}", text(&out)))
}

fn oauth_profile<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["auth"]["oauth"]["profiles"]
        .as_array()
        .expect("auth.oauth.profiles")
        .iter()
        .find(|p| p["profileId"] == id)
        .unwrap_or_else(|| panic!("2026.6.1 lists no {id}: {status}"))
}

#[test]
fn openclaw_2026_6_1_reads_what_sync_writes_over_ssh() {
    let oc = openclaw_legacy();
    let lab = Lab::new();
    lab.trust();
    let home = legacy_home(&oc, &lab, "gw", true);
    lab.gateway(&home);
    let store = home.join(STORE);
    let original = std::fs::read_to_string(&store).expect("read");
    assert_eq!(mode(&store), 0o600, "2026.6.1 writes its store 0600");
    let manual = profile_span(&original, "anthropic:manual").to_owned();
    let openai = profile_span(&original, "openai:manual").to_owned();
    // Everything up to the end of the last profile stays; our profile is appended after it.
    let kept_head = &original[..original.rfind("\n  }").expect("end of profiles")];

    let expires = now_ms() + 5 * 3_600_000;
    let first = cred("one", expires);
    let policy = LockPolicy::default();
    let (out1, again, out2) = rt().block_on(async {
        let gw = ssh(&lab).await;
        let out1 = legacy::write(&gw, REMOTE_STORE, &first, &policy).await;
        let again = legacy::write(&gw, REMOTE_STORE, &first, &policy).await;
        let out2 = legacy::write(&gw, REMOTE_STORE, &cred("two", expires + 1), &policy).await;
        gw.close().await;
        (out1, again, out2)
    });
    match out1.expect("first write") {
        WriteOutcome::Written {
            created_profile: true,
            created_file: false,
            reclaimed_stale_lock: false,
            ..
        } => {}
        other => panic!("first write: {other:?}"),
    }
    assert_eq!(again.expect("second write"), WriteOutcome::Unchanged);
    match out2.expect("third write") {
        WriteOutcome::Written {
            created_profile: false,
            ..
        } => {}
        other => panic!("third write: {other:?}"),
    }
    let written = std::fs::read_to_string(&store).expect("read");
    assert!(
        written.starts_with(kept_head),
        "bytes before our profile changed:\n--- before\n{original}\n--- after\n{written}"
    );
    assert_eq!(profile_span(&written, "anthropic:manual"), manual);
    assert_eq!(profile_span(&written, "openai:manual"), openai);
    assert!(written.ends_with("\n    }\n  }\n}\n"), "{written}");
    assert_eq!(mode(&store), 0o600);
    assert!(
        !home.join(format!("{STORE}.lock")).exists(),
        "lock left behind"
    );
    let dir = store.parent().expect("dir");
    let leftovers: Vec<String> = std::fs::read_dir(dir)
        .expect("readdir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.ends_with(".lock") || n.ends_with(".seen"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // OpenClaw 2026.6.1 reads it: our profile with our expiry, the others as before.
    let status = status_json(&oc, &home);
    let ours = oauth_profile(&status, "anthropic:claude-cli");
    assert_eq!(ours["type"], "oauth", "{ours}");
    assert_eq!(ours["provider"], "claude-cli", "{ours}");
    assert_eq!(ours["expiresAt"], expires + 1, "{ours}");
    assert_eq!(ours["status"], "expiring", "5 h left: {ours}");
    assert_eq!(oauth_profile(&status, "anthropic:manual")["status"], "ok");
    assert_eq!(oauth_profile(&status, "openai:manual")["status"], "static");
    // It had nothing to sync (the profile is usable), so it left the file alone.
    assert_eq!(std::fs::read_to_string(&store).expect("read"), written);
    let doc: Value = serde_json::from_str(&written).expect("json");
    assert_eq!(
        doc["profiles"]["anthropic:claude-cli"]["access"],
        fake_token("two-access")
    );
    assert_eq!(
        legacy::current_claude_cli_expiry(written.as_bytes()).expect("expiry"),
        Some(expires + 1)
    );
}

/// `{pid, createdAt, starttime}` as 2026.6.1's asynchronous writers put it in the lock.
fn lock_payload(pid: u32, with_starttime: bool) -> String {
    let created = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
    if with_starttime {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
        let st = stat[stat.rfind(')').expect(")") + 2..]
            .split_whitespace()
            .nth(19)
            .expect("field 22")
            .to_owned();
        format!(
            "{{\n  \"pid\": {pid},\n  \"createdAt\": \"{created}\",\n  \"starttime\": {st}\n}}\n"
        )
    } else {
        format!("{{\n  \"pid\": {pid},\n  \"createdAt\": \"{created}\"\n}}\n")
    }
}

struct Holder(std::process::Child);
impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn openclaw_locks_are_honoured_over_ssh() {
    let oc = openclaw_legacy();
    let lab = Lab::new();
    lab.trust();
    let home = legacy_home(&oc, &lab, "gw", false);
    lab.gateway(&home);
    let store = home.join(STORE);
    let lock = Utf8PathBuf::from(format!("{store}.lock"));
    let original = std::fs::read(&store).expect("read");
    let holder = Holder(
        std::process::Command::new("sleep")
            .arg("120")
            .spawn()
            .expect("sleep"),
    );
    let pid = holder.0.id();
    let tiny = LockPolicy {
        retries: 3,
        min_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
        stale: Duration::from_secs(30),
    };
    let expires = now_ms() + 3 * 3_600_000;

    rt().block_on(async {
        let gw = ssh(&lab).await;

        // A live holder that never lets go: we give up, the lock and the store untouched.
        let payload = lock_payload(pid, true);
        std::fs::write(&lock, &payload).expect("lock");
        let err = legacy::write(&gw, REMOTE_STORE, &cred("a", expires), &tiny)
            .await
            .expect_err("locked");
        let msg = err.to_string();
        assert!(matches!(err, LegacyError::Locked { .. }), "{msg}");
        assert!(
            msg.contains(&pid.to_string()) && !msg.contains("FAKE"),
            "{msg}"
        );
        assert_eq!(std::fs::read_to_string(&lock).expect("lock"), payload);
        assert_eq!(std::fs::read(&store).expect("store"), original);

        // A live holder that lets go after 1.5 s (default 2026.6.1 policy): we wait, then write.
        let payload = lock_payload(pid, false);
        std::fs::write(&lock, &payload).expect("lock");
        let l = lock.clone();
        let p = payload.clone();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1500));
            let intact = std::fs::read_to_string(&l).ok() == Some(p);
            std::fs::remove_file(&l).expect("release");
            intact
        });
        let out = legacy::write(
            &gw,
            REMOTE_STORE,
            &cred("b", expires),
            &LockPolicy::default(),
        )
        .await
        .expect("write after release");
        assert!(release.join().expect("join"), "the live lock was broken");
        match out {
            WriteOutcome::Written {
                waited_for_lock,
                reclaimed_stale_lock: false,
                created_profile: true,
                ..
            } => assert!(
                waited_for_lock >= Duration::from_millis(700),
                "{waited_for_lock:?}"
            ),
            other => panic!("{other:?}"),
        }
        assert!(!lock.exists());

        // A lock left by a dead process is reclaimed at once.
        let mut dead = std::process::Command::new("true").spawn().expect("true");
        let dead_pid = dead.id();
        dead.wait().expect("wait");
        std::fs::write(&lock, lock_payload(dead_pid, false)).expect("lock");
        let out = legacy::write(&gw, REMOTE_STORE, &cred("c", expires), &tiny)
            .await
            .expect("write over a dead lock");
        assert!(
            matches!(
                out,
                WriteOutcome::Written {
                    reclaimed_stale_lock: true,
                    created_profile: false,
                    ..
                }
            ),
            "{out:?}"
        );
        assert!(!lock.exists());
        gw.close().await;
    });
    assert_eq!(mode(&store), 0o600);
    let written = std::fs::read_to_string(&store).expect("read");
    let before = String::from_utf8(original).expect("utf8");
    assert_eq!(
        profile_span(&written, "anthropic:manual"),
        profile_span(&before, "anthropic:manual")
    );
    let status = status_json(&oc, &home);
    let ours = oauth_profile(&status, "anthropic:claude-cli");
    assert_eq!(ours["expiresAt"], expires, "{ours}");
}

/// `clawauth sync --host gw` end to end on an OpenClaw 2026.6.1 gateway (the CLI found on the
/// login PATH): `--dry-run` writes nothing; the sync creates `anthropic:claude-cli` with Claude
/// Code's expiry, keeps every other profile byte for byte and the file 0600, restarts the active
/// service once; 2026.6.1 reads it; a second sync changes nothing.
#[test]
fn clawauth_sync_on_an_openclaw_2026_6_1_gateway() {
    use clawauth_tests::repair_lab::RepairGateway;
    let oc = openclaw_legacy();
    let lab = Lab::new();
    lab.trust();
    let gw = RepairGateway::new(&lab, "gw61", &oc);
    let home = gw.home.clone();
    legacy_state(&oc, &home, "1h", true);
    let store = home.join(STORE);
    let original = std::fs::read_to_string(&store).expect("store");
    let access = fake_token("cli-sync-access");
    let refresh = fake_token("cli-sync-refresh");
    let claude_exp = now_ms() + 20 * 3600 * 1000;
    gw.claude_login(&access, Some(&refresh), claude_exp);
    gw.set_service_active(true);
    lab.add_host("gw", &[]);

    let out = lab.clawauth(&["sync", "--host", "gw", "--dry-run"], &[]);
    let shown = text(&out);
    assert!(shown.contains("would write"), "{shown}");
    assert!(shown.contains("add anthropic:claude-cli"), "{shown}");
    assert_eq!(
        std::fs::read_to_string(&store).expect("store"),
        original,
        "dry run"
    );
    assert!(gw.restarts().is_empty());

    let out = lab.clawauth(&["sync", "--host", "gw"], &[]);
    let shown = text(&out);
    assert!(
        !shown.contains(&access) && !shown.contains(&refresh),
        "{shown}"
    );
    assert!(shown.contains("wrote"), "{shown}");
    assert!(shown.contains("added anthropic:claude-cli"), "{shown}");
    assert!(shown.contains("restarted openclaw-gateway"), "{shown}");
    let after = std::fs::read_to_string(&store).expect("store");
    assert_eq!(mode(&store), 0o600);
    for id in ["anthropic:manual", "openai:default", "openai:manual"] {
        if original.contains(&format!("\"{id}\"")) {
            assert_eq!(
                profile_span(&after, id),
                profile_span(&original, id),
                "{id} byte-identical"
            );
        }
    }
    let status = status_json(&oc, &home);
    let p = oauth_profile(&status, "anthropic:claude-cli");
    assert_eq!(p["expiresAt"].as_i64(), Some(claude_exp), "{p}");
    assert_eq!(gw.restarts().len(), 1);

    let out = lab.clawauth(&["sync", "--host", "gw"], &[]);
    let shown = text(&out);
    assert!(shown.contains("nothing to sync"), "{shown}");
    assert_eq!(std::fs::read_to_string(&store).expect("store"), after);
    assert_eq!(gw.restarts().len(), 1);
}
