//! Differential test against the real OpenClaw CLI: every scenario of `tests/scenarios/` is
//! materialised, checked by `openclaw models status --json --check` (2026.9.6, clock frozen at
//! the scenario's moment) and by `clawauth status --check --source direct --at <moment>`; the
//! exit codes and per-profile statuses must agree, except where a scenario names a deliberate
//! difference. The CLI's own JSON, read by clawauth's parser, must also give the CLI's exit code.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Mutex;

use clawauth_core::openclaw::status_json::{self, StatusOutput};
use clawauth_core::source::cli::{CliOutput, agent_report};
use clawauth_tests::openclaw_cli::openclaw;
use clawauth_tests::scenario::{self, Scenario};
use serde_json::Value;

fn profiles_of(doc: &Value) -> BTreeMap<String, (String, Option<String>)> {
    doc.pointer("/auth/oauth/profiles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["profileId"].as_str().unwrap_or_default().to_owned(),
                (
                    p["status"].as_str().unwrap_or_default().to_owned(),
                    p.get("reasonCode")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                ),
            )
        })
        .collect()
}

fn check(oc: &clawauth_tests::openclaw_cli::OpenClaw, s: &Scenario) -> Result<String, String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    scenario::materialise(s, home.path());
    for setup in s.spec["cli_setup"].as_array().into_iter().flatten() {
        let args: Vec<String> = setup
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        scenario::run_openclaw_frozen(oc, s, home.path(), &args);
    }
    let home_str = home.path().to_str().ok_or("non-utf8 home")?;
    let now = s.now_ms().to_string();

    // clawauth first: it must not depend on anything the CLI writes.
    let mut args: Vec<String> = [
        "status", "--check", "--source", "direct", "--at", &now, "--format", "json",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    args.extend(s.args());
    let mut cmd = std::process::Command::new(clawauth_tests::clawauth_bin());
    cmd.args(&args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home_str)
        .current_dir(s.cwd(home.path()));
    for (k, v) in s.env(home.path()) {
        cmd.env(k, v);
    }
    let ours = cmd.output().map_err(|e| e.to_string())?;
    let our_exit = ours.status.code().unwrap_or(-1);
    let our_doc: Value = serde_json::from_slice(&ours.stdout).map_err(|e| {
        format!(
            "clawauth printed no JSON ({e}): {}",
            String::from_utf8_lossy(&ours.stderr)
        )
    })?;

    let mut cli_args = vec![
        "models".to_owned(),
        "status".to_owned(),
        "--json".to_owned(),
        "--check".to_owned(),
    ];
    cli_args.extend(s.args());
    let cli = scenario::run_openclaw_frozen(oc, s, home.path(), &cli_args);
    let cli_exit = cli.status.code().unwrap_or(-1);
    let cli_text = String::from_utf8_lossy(&cli.stdout).into_owned();
    let parsed = status_json::parse(&cli_text).map_err(|e| {
        format!(
            "the CLI's output does not parse: {e}; stderr {}",
            String::from_utf8_lossy(&cli.stderr)
        )
    })?;

    let mut problems = Vec::new();
    let (want, why) = match s.deliberate() {
        Some((code, why)) => (code, Some(why)),
        None => (cli_exit, None),
    };
    if our_exit != want {
        let routes: Vec<String> = our_doc["agents"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|a| a["routes"].as_array().cloned().unwrap_or_default())
            .map(|r| {
                format!(
                    "{} {} {} — {}",
                    r["kind"], r["model"], r["outcome"], r["detail"]
                )
            })
            .collect();
        problems.push(format!(
            "exit: clawauth {our_exit}, want {want} (CLI {cli_exit}); routes {routes:?}; errors {}",
            our_doc["agents"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| a["openclaw_error"].to_string())
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    // What the `cli` source makes of this run: the CLI's answer, read by clawauth.
    let cli_source = agent_report(
        "main",
        &CliOutput {
            program: "openclaw".into(),
            exit_code: Some(cli_exit),
            stdout: cli_text.clone(),
            stderr: String::new(),
            duration: std::time::Duration::ZERO,
        },
        None,
    );
    if cli_source.verdict.exit_code() != cli_exit {
        problems.push(format!(
            "the cli source reads this answer as exit {}, the CLI exited {cli_exit}",
            cli_source.verdict.exit_code()
        ));
    }
    if let StatusOutput::Status(doc) = &parsed {
        let fails = cli_source.routes.iter().any(|r| r.outcome.fails());
        if cli_exit == 1 && !fails && doc.auth.missing_providers_in_use.is_empty() {
            problems.push(format!(
                "the cli source's routes do not show why the CLI exited 1: {:?}",
                cli_source.routes
            ));
        }
    }
    if let StatusOutput::Status(_) = parsed {
        let cli_doc: Value = serde_json::from_str(&cli_text).map_err(|e| e.to_string())?;
        let theirs = profiles_of(&cli_doc);
        let agent = cli_doc["agentId"].as_str();
        let ours: BTreeMap<String, (String, Option<String>)> = our_doc["agents"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| agent.is_none_or(|id| a["agent"] == id))
            .flat_map(|a| a["profiles"].as_array().cloned().unwrap_or_default())
            .map(|p| {
                (
                    p["profile_id"].as_str().unwrap_or_default().to_owned(),
                    (
                        p["status"].as_str().unwrap_or_default().to_owned(),
                        p.get("reason_code")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    ),
                )
            })
            .collect();
        if ours != theirs {
            problems.push(format!(
                "profiles differ:\n      clawauth {ours:?}\n      CLI      {theirs:?}"
            ));
        }
    }
    if problems.is_empty() {
        Ok(format!(
            "cli={cli_exit} clawauth={our_exit}{}",
            why.map(|w| format!("  [deliberate: {w}]"))
                .unwrap_or_default()
        ))
    } else {
        Err(problems.join("\n    "))
    }
}

#[test]
fn clawauth_agrees_with_the_real_cli_on_every_scenario() {
    let oc = openclaw();
    let scenarios = scenario::all();
    assert!(!scenarios.is_empty(), "no scenarios under tests/scenarios");
    let only = std::env::var("SCENARIO").ok();
    let scenarios: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| only.as_deref().is_none_or(|o| s.name.contains(o)))
        .collect();
    let total = scenarios.len();
    let queue = Mutex::new(scenarios.iter().collect::<Vec<_>>());
    let results = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 4);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().expect("queue").pop();
                    let Some(s) = next else { break };
                    let r = check(&oc, s);
                    let mut done = results.lock().expect("results");
                    // Progress as results land (the whole run takes minutes). Written to the real
                    // stderr: libtest captures `eprintln!`.
                    let _ = writeln!(
                        std::io::stderr(),
                        "live scenarios [{}/{total}] {} {}",
                        done.len() + 1,
                        if r.is_ok() { "ok  " } else { "FAIL" },
                        s.name
                    );
                    done.push((s.name.clone(), r));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut failed = 0;
    for (name, r) in &results {
        match r {
            Ok(line) => println!("ok    {name:<70} {line}"),
            Err(p) => {
                failed += 1;
                println!("FAIL  {name}\n    {p}");
            }
        }
    }
    println!("{} scenarios, {failed} differ", results.len());
    assert_eq!(
        failed,
        0,
        "{failed} of {} scenarios differ from the real CLI (see above)",
        results.len()
    );
}
