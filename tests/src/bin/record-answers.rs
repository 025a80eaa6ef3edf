//! Records the real OpenClaw CLI's answers under `tests/recorded/` (`clawauth_tests::recorded`):
//! the only writer of a recorded answer. Each selected state is built, the pinned CLI (installed by
//! `tests/install-tools.sh`) runs on it live, and the answer is stored with the hash of its inputs.
//!
//! ```text
//! cargo run -p clawauth-tests --bin record-answers -- [--all | --stale | KEY-OR-SUBSTRING…]
//! ```
//! `--stale` records every answer that is missing or whose inputs changed; it and `--all` remove
//! stored answers nothing produces any more. A KEY (`scenarios/store/D1`) selects exactly that
//! answer; any other word selects every key containing it.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Mutex;

use clawauth_tests::openclaw_cli::Release;
use clawauth_tests::recorded::{self, Recordable, Recording};

/// Two workers: the CI machine has two cores and each CLI start keeps one busy for seconds.
const WORKERS: usize = 2;

/// How a re-recorded answer compares with the stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    New,
    Unchanged,
    /// The inputs changed (a scenario was edited), the answer did not.
    SameAnswer,
    /// Only Node's stderr changed; the verdict did not.
    StderrChanged,
    /// Exit code or stdout changed: OpenClaw answers differently.
    AnswerChanged,
}

impl Change {
    fn label(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Unchanged => "unchanged",
            Change::SameAnswer => "same answer, new inputs",
            Change::StderrChanged => "stderr changed",
            Change::AnswerChanged => "ANSWER CHANGED",
        }
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: {} [--all | --stale | KEY-OR-SUBSTRING…]\n\
         \n\
         Records the real OpenClaw CLI's answers under tests/recorded/ (2 workers).\n\
         --all     every answer\n\
         --stale   every answer that is missing or whose inputs changed\n\
         \x20         (both remove stored answers that nothing produces any more)\n\
         KEY       exactly that answer (e.g. scenarios/store/D1); any other word selects\n\
         \x20         every key containing it",
        recorded::record_command("").trim_end()
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") {
        return usage();
    }
    let catalogue = recorded::catalogue();
    let keys: Vec<String> = catalogue.iter().map(|r| r.key()).collect();

    let mut chosen = BTreeSet::new();
    let mut prune = false;
    for arg in &args {
        match arg.as_str() {
            "--all" => {
                prune = true;
                chosen.extend(0..catalogue.len());
            }
            "--stale" => {
                prune = true;
                for (i, r) in catalogue.iter().enumerate() {
                    let prepared = recorded::prepare(r.as_ref());
                    if recorded::answer_for(&r.key(), &prepared.inputs).is_err() {
                        chosen.insert(i);
                    }
                }
            }
            flag if flag.starts_with('-') => {
                eprintln!("error: unknown option {flag}");
                return usage();
            }
            word => {
                let exact: Vec<usize> = keys
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| *k == word)
                    .map(|(i, _)| i)
                    .collect();
                let matched: Vec<usize> = if exact.is_empty() {
                    keys.iter()
                        .enumerate()
                        .filter(|(_, k)| k.contains(word))
                        .map(|(i, _)| i)
                        .collect()
                } else {
                    exact
                };
                if matched.is_empty() {
                    eprintln!("error: no recorded answer's key contains {word:?}");
                    return ExitCode::FAILURE;
                }
                chosen.extend(matched);
            }
        }
    }

    let mut removed = Vec::new();
    if prune {
        let known: BTreeSet<&String> = keys.iter().collect();
        for stored in recorded::stored_keys("") {
            if !known.contains(&stored) {
                let path = Recording::path(&stored);
                if let Err(e) = std::fs::remove_file(&path) {
                    eprintln!("error: remove {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
                removed.push(stored);
            }
        }
    }

    let work: Vec<&dyn Recordable> = chosen.iter().map(|&i| catalogue[i].as_ref()).collect();
    let mut releases: Vec<Release> = Vec::new();
    for r in &work {
        if !releases.contains(&r.release()) {
            releases.push(r.release());
        }
    }
    for release in releases {
        // Panics with the install command when the CLI is missing or not the pinned version.
        release.installed().assert_pinned_version();
    }

    let total = work.len();
    let queue = Mutex::new(work.iter().rev().copied().collect::<Vec<_>>());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().expect("queue").pop();
                    let Some(r) = next else { break };
                    let outcome = record(r);
                    let mut done = results.lock().expect("results");
                    let label = match &outcome {
                        Ok((change, _)) => change.label(),
                        Err(_) => "FAILED",
                    };
                    let _ = writeln!(
                        std::io::stderr(),
                        "[{}/{total}] {label:<23} {}",
                        done.len() + 1,
                        r.key()
                    );
                    done.push((r.key(), outcome));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by(|a, b| a.0.cmp(&b.0));

    let mut counts = std::collections::BTreeMap::new();
    let mut failed = 0;
    for (key, outcome) in &results {
        match outcome {
            Ok((change, diff)) => {
                *counts.entry(*change).or_insert(0) += 1;
                if !matches!(change, Change::New | Change::Unchanged) {
                    println!("{}  {key}\n{diff}", change.label());
                }
            }
            Err(e) => {
                failed += 1;
                println!("FAILED  {key}: {e}");
            }
        }
    }
    for key in &removed {
        println!("removed {key} (nothing produces it any more)");
    }
    let summary: Vec<String> = counts
        .iter()
        .map(|(change, n)| format!("{n} {}", change.label()))
        .chain((failed > 0).then(|| format!("{failed} FAILED")))
        .chain((!removed.is_empty()).then(|| format!("{} removed", removed.len())))
        .collect();
    println!(
        "{total} recorded: {}",
        if summary.is_empty() {
            "nothing to do".to_owned()
        } else {
            summary.join(", ")
        }
    );
    let changed = counts.get(&Change::AnswerChanged).copied().unwrap_or(0);
    if changed > 0 {
        println!(
            "\n!!! {changed} answer(s) of the real OpenClaw CLI CHANGED (above): OpenClaw behaves \
             differently on the same state. Review the diffs, then check clawauth against them \
             (cargo test -p clawauth-tests --test suite -- live_cli_scenarios::)."
        );
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Records one answer live; returns how it compares with the stored one and the diff.
fn record(r: &dyn Recordable) -> Result<(Change, String), String> {
    let oc = r.release().installed();
    let prepared = recorded::prepare(r);
    recorded::run_setup(r, &oc, &prepared)?;
    let answer = recorded::run_answered(r, &oc, &prepared)?;
    let key = r.key();
    let old = Recording::load(&key)?;
    let inputs_sha256 = prepared.inputs.sha256();
    let (change, mut diff) = match &old {
        None => (Change::New, String::new()),
        Some(old) if !old.answer.same_verdict(&answer) => {
            (Change::AnswerChanged, old.answer.diff(&answer))
        }
        Some(old) if old.answer != answer => (Change::StderrChanged, old.answer.diff(&answer)),
        Some(old) if old.inputs_sha256 != inputs_sha256 => (Change::SameAnswer, String::new()),
        Some(_) => (Change::Unchanged, String::new()),
    };
    if let Some(old) = old.as_ref().filter(|o| o.inputs_sha256 != inputs_sha256) {
        diff.push_str(&format!(
            "  inputs: {}\n",
            prepared.inputs.changes_since(&old.inputs).join(", ")
        ));
    }
    if change != Change::Unchanged || old.as_ref().is_some_and(|o| o.inputs != prepared.inputs.0) {
        Recording {
            key,
            inputs: prepared.inputs.0.clone(),
            inputs_sha256,
            answer,
        }
        .store()
        .map_err(|e| format!("store: {e}"))?;
    }
    Ok((change, diff))
}
