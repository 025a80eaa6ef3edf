//! Scenarios: small JSON descriptions of an OpenClaw state (`tests/scenarios/**/*.json`),
//! materialised into a throw-away HOME built on real CLI-created SQLite databases, then checked
//! by the real OpenClaw CLI on a frozen clock and by clawauth.
//!
//! Format (every key optional except `about`):
//! ```json
//! {
//!   "about": "what this probes",
//!   "now_ms": 1795255200000,
//!   "config": { … } | "config_json5": "raw JSON5 text",   // neither: no openclaw.json
//!   "shared_store": "state-db" | "absent" | <raw JSON value written as auth.sharedStore>,
//!   "store": { "version": 1, "profiles": { … } } | "<raw row text>",   // authProfiles.store
//!   "state": { "order": …, "usageStats": … },                          // authProfiles.state
//!   "agent_dbs": { "<path under HOME>": { "agent_id": "second", "store": …, "state": … } },
//!   "files": { "<path under HOME>": "text" | { json } },
//!   "remove": ["<path under HOME>"],  "rename": [["<from>", "<to>"]],
//!   "env": { "NAME": "value, $HOME expands" },
//!   "args": ["--agent", "second"],
//!   "cli_setup": [["plugins", "registry", "--refresh"]],
//!   "expect": { "clawauth": 3, "why": "only the CLI knows …" }   // a deliberate difference
//! }
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::openclaw_cli::{OpenClaw, Release};
use crate::recorded::Recordable;
use crate::{fixtures, restore};

/// The default frozen moment: 2026-11-21T10:00:00Z.
pub const DEFAULT_NOW_MS: i64 = 1_795_255_200_000;

/// A parsed scenario file.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub path: PathBuf,
    pub spec: Value,
}

impl Scenario {
    pub fn now_ms(&self) -> i64 {
        self.spec["now_ms"].as_i64().unwrap_or(DEFAULT_NOW_MS)
    }

    pub fn args(&self) -> Vec<String> {
        self.spec["args"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `(NAME, value)` with `$HOME` expanded.
    pub fn env(&self, home: &Path) -> Vec<(String, String)> {
        self.spec["env"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str()
                                .unwrap_or_default()
                                .replace("$HOME", home.to_str().expect("utf-8 home")),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// clawauth's expected exit code when it deliberately differs from the CLI, with the reason.
    pub fn deliberate(&self) -> Option<(i32, String)> {
        let e = self.spec.get("expect")?;
        Some((
            e["clawauth"].as_i64()? as i32,
            e["why"].as_str().unwrap_or_default().to_owned(),
        ))
    }

    pub fn cwd(&self, home: &Path) -> PathBuf {
        match self.spec["cwd"].as_str() {
            Some(rel) => home.join(rel),
            None => home.to_path_buf(),
        }
    }
}

/// Every scenario under `tests/scenarios/`, sorted by path.
pub fn all() -> Vec<Scenario> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    crate::json_files_under(&root)
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read scenario");
            let spec: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()));
            assert!(
                spec["about"].is_string(),
                "{} has no \"about\"",
                path.display()
            );
            let name = path
                .strip_prefix(&root)
                .expect("under root")
                .with_extension("")
                .to_string_lossy()
                .into_owned();
            Scenario { name, path, spec }
        })
        .collect()
}

fn row_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Builds the scenario's HOME in `home` (an empty directory).
pub fn materialise(s: &Scenario, home: &Path) {
    let templates = fixtures().join("states");
    restore(
        &templates.join("current-new/a_token_expiring_23h"),
        "home",
        home,
    );
    let oc = home.join(".openclaw");
    let db_path = oc.join("state/openclaw.sqlite");
    {
        let db = rusqlite::Connection::open(&db_path).expect("open state db");
        // A throw-away HOME needs no fsync, which made materialising eight times slower; the
        // bytes written are the same (a recorded answer hashes them).
        db.pragma_update(None, "synchronous", "OFF")
            .expect("no fsync");
        db.execute(
            "DELETE FROM config_machine_state WHERE state_key IN ('auth.sharedStore', 'authProfiles.store', 'authProfiles.state')",
            [],
        )
        .expect("clear auth rows");
        let put = |key: &str, value: String| {
            db.execute(
                "INSERT INTO config_machine_state(state_key, value_json, updated_at_ms) VALUES (?1, ?2, 0)
                 ON CONFLICT(state_key) DO UPDATE SET value_json = excluded.value_json",
                (key, value),
            )
            .expect("write row");
        };
        match s.spec.get("shared_store") {
            None => put("auth.sharedStore", r#"{"location":"state-db"}"#.to_owned()),
            Some(Value::String(v)) if v == "state-db" => {
                put("auth.sharedStore", r#"{"location":"state-db"}"#.to_owned())
            }
            Some(Value::String(v)) if v == "absent" => {}
            Some(raw) => put("auth.sharedStore", row_text(raw)),
        }
        if let Some(v) = s.spec.get("store") {
            put("authProfiles.store", row_text(v));
        }
        if let Some(v) = s.spec.get("state") {
            put("authProfiles.state", row_text(v));
        }
    }

    if let Some(dbs) = s.spec["agent_dbs"].as_object() {
        for (rel, spec) in dbs {
            let target = home.join(rel);
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            let tmp = tempfile::tempdir().expect("tempdir");
            restore(
                &templates.join("current-new/h_two_agents_local_override"),
                "home",
                tmp.path(),
            );
            std::fs::copy(
                tmp.path()
                    .join(".openclaw/agent-second/openclaw-agent.sqlite"),
                &target,
            )
            .expect("copy agent db");
            let db = rusqlite::Connection::open(&target).expect("open agent db");
            // No fsync, as above.
            db.pragma_update(None, "synchronous", "OFF")
                .expect("no fsync");
            db.execute_batch("DELETE FROM auth_profile_store; DELETE FROM auth_profile_state;")
                .expect("clear");
            let agent = spec["agent_id"].as_str().unwrap_or("second");
            db.execute(
                "UPDATE schema_meta SET agent_id = ?1 WHERE meta_key = 'primary'",
                [agent],
            )
            .expect("owner");
            if let Some(v) = spec.get("store") {
                db.execute(
                    "INSERT INTO auth_profile_store(store_key, store_json, updated_at) VALUES ('primary', ?1, 0)",
                    [row_text(v)],
                )
                .expect("agent store");
            }
            if let Some(v) = spec.get("state") {
                db.execute(
                    "INSERT INTO auth_profile_state(state_key, state_json, updated_at) VALUES ('primary', ?1, 0)",
                    [row_text(v)],
                )
                .expect("agent state");
            }
        }
    }

    let config = oc.join("openclaw.json");
    match (s.spec.get("config"), s.spec.get("config_json5")) {
        (Some(c), _) => std::fs::write(&config, serde_json::to_string_pretty(c).expect("json"))
            .expect("write config"),
        (None, Some(Value::String(raw))) => std::fs::write(&config, raw).expect("write config"),
        _ => std::fs::remove_file(&config).expect("remove config"),
    }
    if let Some(files) = s.spec["files"].as_object() {
        for (rel, content) in files {
            let p = home.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, row_text(content)).expect("write file");
        }
    }
    for rel in s.spec["remove"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let p = home.join(rel);
        if p.is_dir() {
            std::fs::remove_dir_all(&p).expect("remove dir");
        } else {
            std::fs::remove_file(&p).expect("remove file");
        }
    }
    for pair in s.spec["rename"].as_array().into_iter().flatten() {
        let from = home.join(pair[0].as_str().expect("from"));
        let to = home.join(pair[1].as_str().expect("to"));
        std::fs::rename(from, to).expect("rename");
    }
}

/// The libfaketime library that freezes the CLI's clock (Debian package `faketime`).
pub const FAKETIME_LIB: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// `FAKETIME` for an absolute, frozen moment (no `@`: with `@` the clock keeps running).
pub fn faketime_spec(now_ms: i64) -> String {
    let t = chrono::DateTime::from_timestamp_millis(now_ms).expect("valid moment");
    t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

/// `openclaw ARGS` for the scenario with the clock frozen at its `now_ms`, network-isolated with
/// a 120 s limit, in a clean environment plus the scenario's `env`, in its `cwd`.
pub fn frozen_command(oc: &OpenClaw, s: &Scenario, home: &Path, args: &[String]) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.arg(if crate::openclaw_cli::is_root() {
        "-n"
    } else {
        "-rn"
    })
    .args(["timeout", "120", "env"])
    .arg(format!("LD_PRELOAD={FAKETIME_LIB}"))
    .arg(format!("FAKETIME={}", faketime_spec(s.now_ms())))
    .arg("DONT_FAKE_MONOTONIC=1")
    .arg(&oc.bin)
    .args(args)
    .env_clear()
    .env("PATH", oc.path_env())
    .env("HOME", home)
    .env("TZ", "UTC")
    .env("NO_COLOR", "1")
    .env("OPENCLAW_NO_AUTO_UPDATE", "1")
    .current_dir(s.cwd(home))
    .stdin(std::process::Stdio::null());
    for (k, v) in s.env(home) {
        cmd.env(k, v);
    }
    cmd
}

/// Panics, naming the install command, when libfaketime is missing.
pub fn assert_faketime_installed() {
    assert!(
        Path::new(FAKETIME_LIB).is_file(),
        "{FAKETIME_LIB} is missing: install Debian's `faketime` package (tests/install-tools.sh does)"
    );
}

impl Scenario {
    /// The commands the CLI runs on the scenario's HOME before the check (`cli_setup`).
    pub fn setup_steps(&self) -> Vec<Vec<String>> {
        self.spec["cli_setup"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|step| {
                step.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .collect()
    }

    /// `models status --json --check` and the scenario's `args`.
    pub fn check_args(&self) -> Vec<String> {
        let mut args: Vec<String> = ["models", "status", "--json", "--check"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        args.extend(self.args());
        args
    }
}

/// A scenario's CLI answer is recorded under `tests/recorded/scenarios/<name>.json`.
impl Recordable for Scenario {
    fn key(&self) -> String {
        format!("scenarios/{}", self.name)
    }

    fn release(&self) -> Release {
        Release::Current
    }

    fn build(&self, home: &Path) {
        materialise(self, home);
    }

    fn commands(&self, oc: &OpenClaw, home: &Path) -> Vec<Command> {
        let mut steps = self.setup_steps();
        steps.push(self.check_args());
        steps
            .iter()
            .map(|args| frozen_command(oc, self, home, args))
            .collect()
    }

    fn check_tools(&self) {
        assert_faketime_installed();
    }
}
