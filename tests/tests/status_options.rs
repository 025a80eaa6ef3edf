//! `clawauth status` options on the sample gateway (`examples/gateway`, written by the real CLI
//! at 2026-11-21T10:00:00Z: a setup-token expiring at 15:00, an OpenRouter key, Claude Code's
//! login until 2026-11-27 14:00): forecasts, warn windows, how state is located, and the
//! Claude Code / Codex sections.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use clawauth_tests::{clawauth, repo_root};
use serde_json::Value;

const T0: &str = "2026-11-21T10:00:00Z";
const T0_MS: i64 = 1_795_255_200_000;

fn sample() -> PathBuf {
    repo_root().join("examples/gateway")
}

/// A private copy of the sample (tests may rename or add files).
fn sample_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    copy(&sample(), dir.path());
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read").flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy(&p, &t);
        } else {
            std::fs::copy(&p, &t).expect("copy");
        }
    }
}

fn json(args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let mut all = vec!["status", "--check", "--format", "json"];
    all.extend_from_slice(args);
    let out = clawauth(&all, env);
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), doc)
}

#[test]
fn forecasts_with_at_in_every_form() {
    let home = sample();
    let h = home.to_str().expect("utf-8");
    let state = format!("{h}/.openclaw");
    let env = [("OPENCLAW_STATE_DIR", state.as_str())];
    let ms = T0_MS.to_string();
    for at in [T0, ms.as_str()] {
        let (code, doc) = json(&["--at", at], &env);
        assert_eq!(code, 2, "expiring in 5 h at {at}");
        assert_eq!(doc["as_of"], "2026-11-21T10:00:00Z");
        assert_eq!(
            doc["agents"][0]["profiles"][0]["remaining_ms"],
            5 * 3_600_000
        );
    }
    let (code, _) = json(&["--at", "2026-11-21T16:00:00Z"], &env);
    assert_eq!(code, 1, "an hour after the token expired");
    let (code, _) = json(&["--at", "2026-11-20T09:00:00Z"], &env);
    assert_eq!(code, 0, "a day earlier it had 30 h left");
    // Offsets are relative to now: the sample was written in 2026, so +1d from any later day has
    // the token expired.
    let (code, doc) = json(&["--at", "+1d"], &env);
    assert_eq!(code, 1, "{doc}");
}

#[test]
fn the_warn_window_is_configurable() {
    let state = format!("{}/.openclaw", sample().display());
    let env = [("OPENCLAW_STATE_DIR", state.as_str())];
    let (code, doc) = json(&["--at", T0, "--warn", "4h"], &env);
    assert_eq!(code, 0, "5 h left is outside a 4 h window");
    assert_eq!(doc["warn_after_ms"], 4 * 3_600_000);
    let (code, _) = json(&["--at", T0, "--warn", "7d"], &env);
    assert_eq!(code, 2);
}

#[test]
fn state_is_located_as_openclaw_does() {
    let copy = sample_copy();
    let home = copy.path().to_str().expect("utf-8");
    let state = format!("{home}/.openclaw");
    let want = |env: &[(&str, &str)], args: &[&str]| {
        let mut a = vec!["--at", T0];
        a.extend_from_slice(args);
        let (code, doc) = json(&a, env);
        assert_eq!(code, 2, "{env:?} {args:?}: {doc}");
        doc["state_dir"].as_str().expect("state_dir").to_owned()
    };
    assert_eq!(want(&[("HOME", home)], &[]), state);
    assert_eq!(
        want(
            &[("HOME", "/nonexistent"), ("OPENCLAW_STATE_DIR", &state)],
            &[]
        ),
        state
    );
    assert_eq!(
        want(&[("HOME", "/nonexistent")], &["--state-dir", &state]),
        state
    );
    assert_eq!(
        want(&[("HOME", "/nonexistent"), ("OPENCLAW_HOME", home)], &[]),
        state
    );

    // Legacy ~/.clawdbot when ~/.openclaw does not exist.
    std::fs::rename(copy.path().join(".openclaw"), copy.path().join(".clawdbot")).expect("rename");
    assert_eq!(want(&[("HOME", home)], &[]), format!("{home}/.clawdbot"));
}

#[test]
fn claude_code_and_codex_logins_get_their_own_sections() {
    let copy = sample_copy();
    let home = copy.path().to_str().expect("utf-8");
    // Codex: the access token's JWT `exp` (signature not checked).
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        br#"{"exp":1795341600,"email":"fake@example.com","https://api.openai.com/auth":{"chatgpt_plan_type":"plus"}}"#,
    );
    let jwt = format!("eyJhbGciOiJub25lIn0.{claims}.sig");
    std::fs::create_dir_all(copy.path().join(".codex")).expect("mkdir");
    std::fs::write(
        copy.path().join(".codex/auth.json"),
        format!(r#"{{"auth_mode":"chatgpt","tokens":{{"access_token":"{jwt}","refresh_token":"FAKE-r","id_token":"{jwt}","account_id":"a"}}}}"#),
    )
    .expect("write");
    let (code, doc) = json(&["--at", T0], &[("HOME", home)]);
    assert_eq!(code, 2);
    let claude = &doc["claude_code"];
    assert_eq!(claude["status"], "ok");
    assert_eq!(claude["subscription"], "max");
    assert_eq!(claude["rate_limit_tier"], "default_claude_max_20x");
    assert_eq!(claude["remaining_ms"], 6 * 86_400_000 + 4 * 3_600_000);
    let codex = &doc["codex"];
    assert_eq!(codex["expires_at_ms"], 1_795_341_600_000_i64);
    assert_eq!(codex["status"], "expiring", "24 h left");
    assert_eq!(codex["subscription"], "plus");
    assert!(
        !doc.to_string().contains(&jwt),
        "the token itself never appears"
    );

    // Six days later Claude Code's own login is the one that expires.
    let (_, doc) = json(&["--at", "2026-11-27T12:00:00Z"], &[("HOME", home)]);
    assert_eq!(doc["claude_code"]["status"], "expiring");
    assert!(doc["hints"].to_string().contains("claude setup-token"));
}

#[test]
fn every_agent_is_checked_without_agent_and_the_worst_wins() {
    let copy = sample_copy();
    let home = copy.path().to_str().expect("utf-8");
    let cfg = copy.path().join(".openclaw/openclaw.json");
    let mut config: Value =
        serde_json::from_str(&std::fs::read_to_string(&cfg).expect("read")).expect("json");
    config["agents"]["ownership"] = "explicit".into();
    config["agents"]["entries"] =
        serde_json::json!({"main": {}, "ops": {"model": "openrouter/anthropic/claude-sonnet-4.5"}});
    std::fs::write(&cfg, config.to_string()).expect("write");
    let (code, doc) = json(&["--at", T0], &[("HOME", home)]);
    let agents: Vec<(&str, &str)> = doc["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .map(|a| {
            (
                a["agent"].as_str().unwrap_or(""),
                a["verdict"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(agents, [("main", "expiring"), ("ops", "ok")]);
    assert_eq!(code, 2, "the worst agent decides");
    let (code, _) = json(&["--at", T0, "--agent", "ops"], &[("HOME", home)]);
    assert_eq!(code, 0);
    let simple = clawauth(
        &["status", "--at", T0, "--format", "simple"],
        &[("HOME", home)],
    );
    assert_eq!(String::from_utf8_lossy(&simple.stdout), "CLAUDE_EXPIRING\n");
}
