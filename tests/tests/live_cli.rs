//! Live test against the real OpenClaw CLI (node 24 + openclaw@2026.9.6): the state is built
//! only by OpenClaw's own writers (`models auth paste-token --expires-in …`, `paste-api-key`),
//! then `clawauth status --check` with `--source direct`, `--source cli` and the default `auto`
//! must exit exactly as `openclaw models status --json --check` does on the same state.

use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use clawauth_tests::openclaw_cli::{OpenClaw, openclaw};

fn fake_token(tag: &str) -> String {
    clawauth_tests::lab::fake_token(&format!("live-{tag}"))
}

struct Step {
    args: Vec<String>,
    stdin: String,
}

fn paste_token(profile: &str, expires_in: &str, agent: Option<&str>) -> Step {
    Step {
        args: clawauth_tests::lab::paste_token_args(profile, expires_in, agent),
        stdin: format!("{}\n", fake_token(profile)),
    }
}

fn paste_api_key(provider: &str, key: &str) -> Step {
    Step {
        args: ["models", "auth", "paste-api-key", "--provider", provider]
            .into_iter()
            .map(str::to_owned)
            .collect(),
        stdin: format!("{key}\n"),
    }
}

struct Live {
    name: &'static str,
    config: &'static str,
    steps: Vec<Step>,
    /// Wait this long after the writes (to let a short token expire).
    settle_ms: u64,
    /// `--agent` for the checks.
    agents: Vec<Option<&'static str>>,
}

const ANTHROPIC: &str =
    r#"{"agents":{"defaults":{"model":{"primary":"anthropic/claude-opus-5"}}}}"#;

fn scenarios() -> Vec<Live> {
    vec![
        Live {
            name: "setup-token expiring in 6h",
            config: ANTHROPIC,
            steps: vec![paste_token("anthropic:manual", "6h", None)],
            settle_ms: 0,
            agents: vec![None],
        },
        Live {
            name: "setup-token valid for 365d",
            config: ANTHROPIC,
            steps: vec![paste_token("anthropic:manual", "365d", None)],
            settle_ms: 0,
            agents: vec![None],
        },
        Live {
            name: "setup-token without expiry",
            config: ANTHROPIC,
            steps: vec![paste_token("anthropic:manual", "", None)],
            settle_ms: 0,
            agents: vec![None],
        },
        Live {
            name: "setup-token that expired",
            config: ANTHROPIC,
            steps: vec![paste_token("anthropic:manual", "2s", None)],
            settle_ms: 2500,
            agents: vec![None],
        },
        Live {
            name: "API key only",
            config: ANTHROPIC,
            steps: vec![paste_api_key(
                "anthropic",
                "sk-ant-api03-FAKE-live-key-00000000000000000000000000000000",
            )],
            settle_ms: 0,
            agents: vec![None],
        },
        Live {
            name: "two tokens, the second expiring",
            config: ANTHROPIC,
            steps: vec![
                paste_token("anthropic:work", "30d", None),
                paste_token("anthropic:backup", "3h", None),
            ],
            settle_ms: 0,
            agents: vec![None],
        },
        Live {
            name: "openrouter fallback without credentials",
            config: r#"{"agents":{"defaults":{"model":{"primary":"anthropic/claude-opus-5","fallbacks":["openrouter/anthropic/claude-sonnet-4.5"]}}}}"#,
            steps: vec![paste_token("anthropic:manual", "30d", None)],
            settle_ms: 0,
            agents: vec![None],
        },
        Live {
            name: "openrouter fallback with an API key",
            config: r#"{"agents":{"defaults":{"model":{"primary":"anthropic/claude-opus-5","fallbacks":["openrouter/anthropic/claude-sonnet-4.5"]}}}}"#,
            steps: vec![
                paste_token("anthropic:manual", "30d", None),
                paste_api_key(
                    "openrouter",
                    "sk-or-v1-FAKE-live-0000000000000000000000000000000000000000",
                ),
            ],
            settle_ms: 0,
            agents: vec![None],
        },
        Live {
            name: "two agents, a local token on the second",
            config: r#"{"agents":{"ownership":"explicit","defaults":{"model":{"primary":"anthropic/claude-opus-5"}},"entries":{"main":{},"second":{"agentDir":"~/.openclaw/agent-second"}}}}"#,
            steps: vec![
                paste_token("anthropic:shared", "30d", Some("main")),
                paste_token("anthropic:default", "3h", Some("second")),
            ],
            settle_ms: 0,
            agents: vec![Some("main"), Some("second")],
        },
    ]
}

fn run_checks(oc: &OpenClaw, s: &Live) -> Result<String, String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let h = home.path();
    std::fs::create_dir_all(h.join(".openclaw")).map_err(|e| e.to_string())?;
    std::fs::write(h.join(".openclaw/openclaw.json"), s.config).map_err(|e| e.to_string())?;
    for step in &s.steps {
        let args: Vec<&str> = step.args.iter().map(String::as_str).collect();
        let out = oc.run(h, &args, Some(&step.stdin));
        if !out.status.success() {
            return Err(format!(
                "openclaw {args:?} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(s.settle_ms));
    let mut lines = Vec::new();
    for agent in &s.agents {
        let mut cli_args = vec!["models", "status", "--json", "--check"];
        if let Some(a) = agent {
            cli_args.extend(["--agent", a]);
        }
        let real = oc.run(h, &cli_args, None).status.code().unwrap_or(-1);
        let mut got = Vec::new();
        for source in ["direct", "cli", "auto"] {
            got.push((source, clawauth_exit(oc, h, source, *agent)?));
        }
        let line = format!(
            "{}{}: openclaw {real}, clawauth {}",
            s.name,
            agent.map(|a| format!(" --agent {a}")).unwrap_or_default(),
            got.iter()
                .map(|(src, c)| format!("{src}={c}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        if got.iter().any(|(_, c)| *c != real) {
            return Err(line);
        }
        lines.push(line);
    }
    Ok(lines.join("\n"))
}

fn clawauth_exit(
    oc: &OpenClaw,
    home: &Path,
    source: &str,
    agent: Option<&str>,
) -> Result<i32, String> {
    let mut cmd = std::process::Command::new(clawauth_tests::clawauth_bin());
    cmd.args([
        "status", "--check", "--format", "simple", "--source", source,
    ])
    .env_clear()
    .env("HOME", home)
    // The OpenClaw CLI (and node 24) on PATH, as on a gateway host.
    .env(
        "PATH",
        format!(
            "{}:{}",
            oc.bin.parent().expect("bin dir").display(),
            oc.path_env()
        ),
    )
    .env("OPENCLAW_NO_AUTO_UPDATE", "1");
    if let Some(a) = agent {
        cmd.args(["--agent", a]);
    }
    let out = cmd.output().map_err(|e| e.to_string())?;
    Ok(out.status.code().unwrap_or(-1))
}

#[test]
fn status_exits_as_the_real_cli_on_state_written_by_the_real_cli() {
    let oc = openclaw();
    let all = scenarios();
    let queue = Mutex::new(all.iter().collect::<Vec<_>>());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().expect("queue").pop();
                    let Some(s) = next else { break };
                    let r = run_checks(&oc, s);
                    // Progress on the real stderr (libtest captures `eprintln!`).
                    let _ = writeln!(
                        std::io::stderr(),
                        "live CLI {} {}",
                        if r.is_ok() { "ok  " } else { "FAIL" },
                        s.name
                    );
                    results.lock().expect("results").push(r);
                }
            });
        }
    });
    let results = results.into_inner().expect("results");
    let mut failed = Vec::new();
    for r in &results {
        match r {
            Ok(line) => println!("ok   {line}"),
            Err(e) => {
                println!("FAIL {e}");
                failed.push(e.clone());
            }
        }
    }
    assert_eq!(results.len(), all.len());
    assert!(
        failed.is_empty(),
        "{} live scenarios differ:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
