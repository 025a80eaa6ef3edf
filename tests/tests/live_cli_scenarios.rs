//! Differential test against the real OpenClaw CLI: every scenario of `tests/scenarios/` is
//! materialised and checked by `clawauth status --check --source direct --at <moment>`; the exit
//! codes and per-profile statuses must agree with `openclaw models status --json --check`
//! (2026.9.6, clock frozen at the scenario's moment), except where a scenario names a deliberate
//! difference. The CLI's own JSON, read by clawauth's parser, must also give the CLI's exit code.
//!
//! The CLI's answers are recorded (`tests/recorded/scenarios/`, see `clawauth_tests::recorded`):
//! the comparison with every scenario uses them and starts no Node.js; a missing or stale answer
//! fails with the command that re-records it. The real CLI still runs live on a sample of
//! scenarios that rotates daily (`LIVE_SAMPLE` overrides it), which must give the recorded answer
//! and agree with clawauth; and the setup steps of the scenarios whose state the CLI itself
//! changes before the check (`cli_setup`) run live every time, since clawauth's run on that
//! state cannot be replayed.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use clawauth_core::openclaw::status_json::{self, StatusOutput};
use clawauth_core::source::cli::{CliOutput, agent_report};
use clawauth_tests::openclaw_cli::{OpenClaw, openclaw};
use clawauth_tests::recorded::{self, Answer, Recordable as _};
use clawauth_tests::scenario::{self, Scenario};
use serde_json::Value;
use sha2::Digest as _;

/// How many scenarios the daily live sample checks.
const LIVE_SAMPLE_SIZE: usize = 20;
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

/// `clawauth status --check --source direct` on a scenario's HOME: exit code and JSON report.
fn run_clawauth(s: &Scenario, home: &Path) -> Result<(i32, Value), String> {
    let home_str = home.to_str().ok_or("non-utf8 home")?;
    let now = s.now_ms().to_string();
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
        .current_dir(s.cwd(home));
    for (k, v) in s.env(home) {
        cmd.env(k, v);
    }
    let ours = cmd.output().map_err(|e| e.to_string())?;
    let our_doc: Value = serde_json::from_slice(&ours.stdout).map_err(|e| {
        format!(
            "clawauth printed no JSON ({e}): {}",
            String::from_utf8_lossy(&ours.stderr)
        )
    })?;
    Ok((ours.status.code().unwrap_or(-1), our_doc))
}

/// Compares clawauth's answer with the CLI's on the HOME `home`: the exit code (or the scenario's
/// deliberate one), what the `cli` source makes of the CLI's answer, and the per-profile statuses.
fn compare(
    s: &Scenario,
    cli: &Answer,
    home: &Path,
    (our_exit, our_doc): &(i32, Value),
) -> Result<String, String> {
    let our_exit = *our_exit;
    let cli_exit = cli.exit_code;
    let cli_text = &cli.stdout_in(home);
    let parsed = status_json::parse(cli_text).map_err(|e| {
        format!(
            "the CLI's output does not parse: {e}; stderr {}",
            cli.stderr
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
            stdout: cli_text.to_owned(),
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
        let cli_doc: Value = serde_json::from_str(cli_text).map_err(|e| e.to_string())?;
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

/// The recorded answer, and clawauth on the same HOME: no Node.js.
fn check_recorded(s: &Scenario) -> Result<String, String> {
    let prepared = recorded::prepare(s);
    let answer = recorded::answer_for(&s.key(), &prepared.inputs)?;
    let ours = run_clawauth(s, prepared.path())?;
    compare(s, &answer, prepared.path(), &ours)
}

/// The real CLI live: the setup steps, clawauth (after them, before the check: it must not
/// depend on anything the check writes), then the check, whose answer must be the recorded one.
fn check_live(oc: &OpenClaw, s: &Scenario) -> Result<String, String> {
    let prepared = recorded::prepare(s);
    let stored = recorded::answer_for(&s.key(), &prepared.inputs)?;
    recorded::run_setup(s, oc, &prepared)?;
    let ours = run_clawauth(s, prepared.path())?;
    let live = recorded::run_answered(s, oc, &prepared)?;
    if !stored.same_verdict(&live) {
        return Err(format!(
            "the real CLI no longer gives its recorded answer (OpenClaw behaves differently on \
             the same state):\n{}    review, then re-record with `{}`",
            stored.diff(&live),
            recorded::record_command(&s.key())
        ));
    }
    compare(s, &live, prepared.path(), &ours)
}

/// How many scenarios a test checks at a time.
#[derive(Clone, Copy)]
enum Workers {
    /// As many as cores, 2 to 4: the recorded comparison, a few milliseconds of CPU each.
    PerCore,
    /// One: a live check keeps a core busy with Node.js for seconds, and the test runner runs the
    /// live tests side by side (at most two at a time: the `node` test group).
    One,
}

/// The CLI's setup steps live, then clawauth on the state they leave, compared with the recorded
/// answer of the check on that state (what the setup writes varies from run to run, so only the
/// CLI can build that state; the check itself is covered by the recording and the live sample).
fn check_after_live_setup(oc: &OpenClaw, s: &Scenario) -> Result<String, String> {
    let prepared = recorded::prepare(s);
    let stored = recorded::answer_for(&s.key(), &prepared.inputs)?;
    recorded::run_setup(s, oc, &prepared)?;
    let ours = run_clawauth(s, prepared.path())?;
    compare(s, &stored, prepared.path(), &ours)
}

/// Runs `check` on every scenario, prints progress as results land and a line per scenario;
/// fails when any scenario fails.
fn check_all(
    what: &str,
    scenarios: &[Scenario],
    workers: Workers,
    check: impl Fn(&Scenario) -> Result<String, String> + Sync,
) {
    let total = scenarios.len();
    let queue = Mutex::new(scenarios.iter().rev().collect::<Vec<_>>());
    let results = Mutex::new(Vec::new());
    let workers = match workers {
        Workers::PerCore => std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(2, 4),
        Workers::One => 1,
    };
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().expect("queue").pop();
                    let Some(s) = next else { break };
                    let r = check(s);
                    let mut done = results.lock().expect("results");
                    // Progress as results land. Written to the real stderr: libtest captures
                    // `eprintln!`.
                    let _ = writeln!(
                        std::io::stderr(),
                        "{what} [{}/{total}] {} {}",
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
    println!("{what}: {} scenarios, {failed} differ", results.len());
    assert_eq!(
        failed,
        0,
        "{what}: {failed} of {} scenarios differ from the real CLI or have no fresh recorded \
         answer (see above; `{}` re-records every missing or stale one)",
        results.len(),
        recorded::record_command("--stale")
    );
}

/// The scenarios whose name contains `$SCENARIO`, else all.
fn selected_scenarios() -> Vec<Scenario> {
    let scenarios = scenario::all();
    assert!(!scenarios.is_empty(), "no scenarios under tests/scenarios");
    let only = std::env::var("SCENARIO").ok();
    scenarios
        .into_iter()
        .filter(|s| only.as_deref().is_none_or(|o| s.name.contains(o)))
        .collect()
}

#[test]
fn clawauth_agrees_with_the_recorded_cli_on_every_scenario() {
    let scenarios = selected_scenarios();
    if std::env::var_os("SCENARIO").is_none() {
        // A renamed or deleted scenario leaves its answer behind; `--stale` removes it.
        let keys: Vec<String> = scenarios.iter().map(|s| s.key()).collect();
        let orphans: Vec<String> = recorded::stored_keys("scenarios")
            .into_iter()
            .filter(|k| !keys.contains(k))
            .collect();
        assert!(
            orphans.is_empty(),
            "recorded answers of no scenario: {orphans:?}; `{}` removes them",
            recorded::record_command("--stale")
        );
    }
    check_all("scenarios", &scenarios, Workers::PerCore, check_recorded);
}

/// The day's live sample: `LIVE_SAMPLE` (`all`, or names or substrings separated by commas or
/// spaces), else [`LIVE_SAMPLE_SIZE`] scenarios ranked by the SHA-256 of the UTC date and their
/// name — a different set each day, the same for every run of a day.
fn live_sample() -> Vec<Scenario> {
    let all = scenario::all();
    let (how, mut chosen): (String, Vec<Scenario>) = match std::env::var("LIVE_SAMPLE") {
        Ok(v) if v.trim() == "all" => ("LIVE_SAMPLE=all".to_owned(), all),
        Ok(v) if !v.trim().is_empty() => {
            let words: Vec<&str> = v
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|w| !w.is_empty())
                .collect();
            for w in &words {
                assert!(
                    all.iter().any(|s| s.name.contains(w)),
                    "LIVE_SAMPLE names {w:?}, which no scenario's name contains"
                );
            }
            let chosen = all
                .into_iter()
                .filter(|s| words.iter().any(|w| s.name.contains(w)))
                .collect();
            (format!("LIVE_SAMPLE={v}"), chosen)
        }
        _ => {
            let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
            let mut ranked: Vec<(String, Scenario)> = all
                .into_iter()
                .map(|s| {
                    let rank = sha2::Sha256::digest(format!("{day}\0{}", s.name));
                    (clawauth_tests::hex(&rank), s)
                })
                .collect();
            ranked.sort_by(|a, b| a.0.cmp(&b.0));
            let chosen = ranked
                .into_iter()
                .take(LIVE_SAMPLE_SIZE)
                .map(|(_, s)| s)
                .collect();
            (
                format!("{LIVE_SAMPLE_SIZE} for {day} (UTC); LIVE_SAMPLE=all or a list overrides"),
                chosen,
            )
        }
    };
    chosen.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<&str> = chosen.iter().map(|s| s.name.as_str()).collect();
    let _ = writeln!(
        std::io::stderr(),
        "live sample ({how}): {}",
        names.join(" ")
    );
    chosen
}

/// Half `half` (0 or 1) of the live sample, so the test runner can run the halves side by side.
fn live_sample_half(half: usize) {
    let oc = openclaw();
    oc.assert_pinned_version();
    let mine: Vec<Scenario> = live_sample()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == half)
        .map(|(_, s)| s)
        .collect();
    check_all(
        &format!("live sample {}/2", half + 1),
        &mine,
        Workers::One,
        |s| check_live(&oc, s),
    );
}

#[test]
fn live_sample_1_of_2_gives_the_recorded_answers_and_agrees_with_clawauth() {
    live_sample_half(0);
}

#[test]
fn live_sample_2_of_2_gives_the_recorded_answers_and_agrees_with_clawauth() {
    live_sample_half(1);
}

/// The CLI writes these scenarios' state before the check (`cli_setup`: the plugin registry, and
/// the state database switched to WAL): clawauth's run on that state needs the CLI's setup every
/// time; its answer is compared with the recorded check.
#[test]
fn clawauth_agrees_on_state_the_live_cli_set_up() {
    let oc = openclaw();
    oc.assert_pinned_version();
    let with_setup: Vec<Scenario> = selected_scenarios()
        .into_iter()
        .filter(|s| !s.setup_steps().is_empty())
        .collect();
    assert!(
        std::env::var_os("SCENARIO").is_some() || !with_setup.is_empty(),
        "no scenario has a cli_setup"
    );
    check_all("cli_setup scenarios", &with_setup, Workers::One, |s| {
        check_after_live_setup(&oc, s)
    });
}
