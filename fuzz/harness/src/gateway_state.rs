//! A gateway's state as `clawauth status` reads it on the gateway (`source::status`, direct):
//! `openclaw.json` (JSON5, `$include`, `${…}` from `.env`), the SQLite store's rows (the
//! credential document, the auth order and usage state, the shared-store marker), the legacy
//! `auth-profiles.json` / `auth-state.json`, Claude Code's and Codex's files — then everything
//! the report is shown on (`surfaces::show_report`). Properties beyond "no panic":
//! - the check always ends in a report, and every surface of it is inert text;
//! - no secret of the store (an `access`, `refresh`, `token` or `key` value) reaches any output.

use std::fmt::Write as _;

use arbitrary::Arbitrary;
use clawauth_core::openclaw::env::Environment;
use clawauth_core::report::{Report, human};
use clawauth_core::source::{SourceChoice, StatusRequest, status};

use crate::cap::{CapInput, K, run_of, section};

#[derive(Arbitrary, Debug, Default)]
struct Input<'a> {
    config: Option<&'a [u8]>,
    include: Option<&'a [u8]>,
    dotenv: Option<&'a [u8]>,
    /// `config_machine_state` rows: `authProfiles.store`, `authProfiles.state`,
    /// `auth.sharedStore`.
    store: Option<&'a [u8]>,
    state: Option<&'a [u8]>,
    shared: Option<&'a [u8]>,
    legacy_profiles: Option<&'a [u8]>,
    legacy_state: Option<&'a [u8]>,
    claude: Option<&'a [u8]>,
    codex: Option<&'a [u8]>,
    at_offset_ms: Option<i64>,
    warn_ms: Option<i64>,
    agent: Option<&'a str>,
}

fn raw(rest: &[u8]) -> Input<'_> {
    let mut i = Input::default();
    for (name, content) in crate::sections(rest) {
        let slot = match name {
            "config" => &mut i.config,
            "include" => &mut i.include,
            "dotenv" => &mut i.dotenv,
            "store" => &mut i.store,
            "state" => &mut i.state,
            "shared" => &mut i.shared,
            "legacy_profiles" => &mut i.legacy_profiles,
            "legacy_state" => &mut i.legacy_state,
            "claude" => &mut i.claude,
            "codex" => &mut i.codex,
            _ => continue,
        };
        *slot = Some(content);
    }
    i
}

fn write_state(root: &camino::Utf8Path, input: &Input<'_>) -> Environment {
    let home = root.join("home");
    let oc = home.join(".openclaw");
    let agent = oc.join("agents/main/agent");
    crate::put(&oc.join("openclaw.json"), input.config);
    crate::put(&oc.join("inc.json5"), input.include);
    crate::put(&oc.join(".env"), input.dotenv);
    crate::put(&agent.join("auth-profiles.json"), input.legacy_profiles);
    crate::put(&agent.join("auth-state.json"), input.legacy_state);
    crate::put(&home.join(".claude/.credentials.json"), input.claude);
    crate::put(&home.join(".codex/auth.json"), input.codex);
    let db = oc.join("state/openclaw.sqlite");
    let _ = std::fs::remove_file(&db);
    let rows = [
        ("authProfiles.store", input.store),
        ("authProfiles.state", input.state),
        ("auth.sharedStore", input.shared),
    ];
    if rows.iter().any(|(_, v)| v.is_some()) {
        std::fs::create_dir_all(oc.join("state")).expect("mkdir");
        let c = rusqlite::Connection::open(&db).expect("open");
        c.execute_batch(
            "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;
             CREATE TABLE config_machine_state (state_key TEXT NOT NULL PRIMARY KEY,
               value_json TEXT NOT NULL, updated_at_ms INTEGER NOT NULL) STRICT;",
        )
        .expect("schema");
        for (key, value) in rows {
            if let Some(v) = value {
                c.execute(
                    "INSERT INTO config_machine_state VALUES (?1, ?2, 0)",
                    rusqlite::params![key, String::from_utf8_lossy(v)],
                )
                .expect("insert");
            }
        }
    }
    Environment::empty()
        .with("HOME", home.as_str())
        .with("OPENCLAW_STATE_DIR", oc.as_str())
        .with("PATH", "/nonexistent")
}

/// The store's secrets long enough that no mask shows them whole, and found nowhere else in
/// the input (a secret that is also a profile id is shown as the id).
fn secrets(input: &Input<'_>) -> Vec<String> {
    fn walk(v: &serde_json::Value, secret: bool, out: &mut Vec<(String, bool)>) {
        match v {
            serde_json::Value::String(s) => out.push((s.clone(), secret)),
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, false, out)),
            serde_json::Value::Object(o) => {
                for (k, v) in o {
                    out.push((k.clone(), false));
                    walk(
                        v,
                        matches!(k.as_str(), "access" | "refresh" | "token" | "key"),
                        out,
                    );
                }
            }
            _ => {}
        }
    }
    let mut strings = Vec::new();
    for doc in [input.store, input.legacy_profiles].into_iter().flatten() {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(doc) {
            walk(&v, false, &mut strings);
        }
    }
    let others: Vec<&[u8]> = [
        input.config,
        input.include,
        input.dotenv,
        input.state,
        input.shared,
        input.legacy_state,
        input.claude,
        input.codex,
    ]
    .into_iter()
    .flatten()
    .collect();
    let contains = |hay: &[u8], s: &str| hay.windows(s.len()).any(|w| w == s.as_bytes());
    strings
        .iter()
        .filter(|(s, secret)| {
            *secret
                && s.trim().len() >= 20
                && s.chars().all(|c| c.is_ascii_graphic())
                && !strings
                    .iter()
                    .any(|(o, sec)| !sec && o.contains(s.as_str()))
                && !others.iter().any(|h| contains(h, s))
        })
        .map(|(s, _)| s.clone())
        .collect()
}

fn check(input: &Input<'_>) -> Report {
    let env = write_state(crate::scratch(), input);
    let taken_at = clawauth_core::time::from_ms(crate::FIXTURE_NOW_MS);
    let req = StatusRequest {
        source: SourceChoice::Direct,
        agent: input.agent.map(str::to_owned),
        at: input
            .at_offset_ms
            .and_then(|o| crate::FIXTURE_NOW_MS.checked_add(o))
            .and_then(chrono::DateTime::from_timestamp_millis),
        warn_ms: input
            .warn_ms
            .map_or(24 * 3_600_000, |w| w.clamp(0, 365 * 86_400_000)),
        ..StatusRequest::default()
    };
    crate::runtime().block_on(status(&env, &req, taken_at))
}

/// What the fuzz target does with one input.
pub fn run(data: &[u8]) {
    if let Some(rest) = data.strip_prefix(crate::CAP) {
        let _ = check(&raw(rest));
        return;
    }
    let Some(input) = crate::decode(data, raw) else {
        return;
    };
    let report = check(&input);
    crate::surfaces::show_report(&report, false, None, crate::FIXTURE_NOW_MS, 1);
    let outputs = [
        clawauth_core::display::to_json(&report).expect("json"),
        human::render(&report, false),
        format!("{:?}", clawauth_core::tap::glance(&report, false)),
    ];
    for s in secrets(&input) {
        for out in &outputs {
            assert!(
                !out.contains(&s),
                "a secret of the store reached an output: {s}"
            );
        }
    }
}

/// A config of 2 MiB of unclosed `${`, a config and its include of `${`, and a store of nearly
/// 16 MiB (60,000 profiles, their order and usage state), which is parsed and evaluated whole
/// and so may take four times the budget.
pub fn cap_inputs() -> Vec<CapInput> {
    let unclosed = section(
        "config",
        &[&b"{a: \""[..], &run_of("${", 2 * 1024 * K - 16), b"\"}"].concat(),
    );
    let include = [
        section(
            "config",
            &[
                &b"{$include: \"./inc.json5\", b: \""[..],
                &run_of("$${A}", 1024 * K),
                b"\"}",
            ]
            .concat(),
        ),
        section(
            "include",
            &[&b"{a: \""[..], &run_of("${A ", 2 * 1024 * K - 16), b"\"}"].concat(),
        ),
    ]
    .concat();
    let mut store = String::from("{\"version\":1,\"profiles\":{");
    for i in 0..60_000 {
        let comma = if i == 0 { "" } else { "," };
        let _ = write!(
            store,
            "{comma}\"p{i}:x\":{{\"type\":\"token\",\"provider\":\"p{}\",\"token\":\"sk-FAKE-{i:0120}\",\"expires\":1795300000000}}",
            i % 300
        );
    }
    store.push_str("}}");
    let mut state = String::from("{\"version\":1,\"order\":{");
    for i in 0..300 {
        let comma = if i == 0 { "" } else { "," };
        let _ = write!(state, "{comma}\"p{i}\":[");
        for j in 0..200 {
            let comma = if j == 0 { "" } else { "," };
            let _ = write!(state, "{comma}\"p{}:x\"", j * 300 + i);
        }
        state.push(']');
    }
    state.push_str("},\"usageStats\":{");
    for i in 0..60_000 {
        let comma = if i == 0 { "" } else { "," };
        let _ = write!(
            state,
            "{comma}\"p{i}:x\":{{\"cooldownUntil\":1795300000000,\"cooldownReason\":\"rate_limit\"}}"
        );
    }
    state.push_str("}}");
    let big = [
        section("store", store.as_bytes()),
        section("state", state.as_bytes()),
        section("shared", br#"{"location":"state-db"}"#),
    ]
    .concat();
    vec![
        CapInput::new("unclosed-substitutions-2mib", unclosed),
        CapInput::new("include-2mib", include),
        CapInput::times("store-near-16mib", 4, big),
    ]
}
