//! Evaluation of a state near the size caps: `clawauth status --source direct` on this machine
//! over the states of [`clawauth_tests::big_state`] (the ones `tests/tests/big_state.rs` checks
//! for correctness), timed by the measuring wrapper.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use clawauth_tests::big_state::{self, Shape};
use serde_json::{Value, json};

use super::measure;

/// The moment the states are written for (their tokens have 30 days left then).
const NOW_MS: i64 = 1_795_255_200_000;

/// What one shape cost.
pub struct EvaluationFigures {
    pub label: &'static str,
    pub shape: Shape,
    /// openclaw.json plus the state database.
    pub state_bytes: u64,
    pub runs: usize,
    pub median: Duration,
    pub max: Duration,
    pub max_rss_kib: u64,
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// Writes each state, runs one warm-up and `runs` measured checks of it through the wrapper
/// (`me` is the benchmark itself); each must answer OK.
pub fn measure(me: &Path, clawauth: &Path, runs: u64) -> Result<Vec<EvaluationFigures>, String> {
    let mut out = Vec::new();
    for (label, shape) in [
        ("one agent, store near the 16 MiB cap", Shape::NEAR_CAPS),
        ("many agents", Shape::MANY_AGENTS),
    ] {
        let home = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
        big_state::write(home.path(), &shape, NOW_MS);
        let oc = home.path().join(".openclaw");
        let state_bytes =
            file_size(&oc.join("openclaw.json")) + file_size(&oc.join("state/openclaw.sqlite"));
        let mut walls = Vec::new();
        let mut max_rss_kib = 0;
        for run in 0..=runs {
            let output = Command::new(me)
                .arg(measure::MEASURE)
                .arg("--")
                .arg(clawauth)
                .args([
                    "status", "--source", "direct", "--check", "--format", "simple",
                ])
                .args(["--at", &NOW_MS.to_string()])
                .env_clear()
                .env("HOME", home.path())
                .env("PATH", "/usr/bin:/bin")
                .output()
                .map_err(|e| format!("cannot run the measuring wrapper: {e}"))?;
            let stdout = String::from_utf8_lossy(&output.stdout);
            let side = measure::parse_phone_side(stdout.lines().last().unwrap_or_default())?;
            if side.code != Some(0) || side.stdout.trim() != "OK" {
                return Err(format!(
                    "evaluation of \"{label}\": not OK (exit {:?}):\n{}{}",
                    side.code, side.stdout, side.stderr
                ));
            }
            if run > 0 {
                walls.push(side.wall);
                max_rss_kib = max_rss_kib.max(side.max_rss_kib);
            }
        }
        walls.sort();
        out.push(EvaluationFigures {
            label,
            shape,
            state_bytes,
            runs: walls.len(),
            median: walls[walls.len() / 2],
            max: walls[walls.len() - 1],
            max_rss_kib,
        });
    }
    Ok(out)
}

/// The Markdown table.
pub fn table(figures: &[EvaluationFigures]) -> String {
    let mut t = String::from(
        "Evaluation of a state near the size caps (this machine, `clawauth status --source direct`):\n\n\
         | state | profiles | agents | routes | state files | median | max | peak RSS |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for f in figures {
        t.push_str(&format!(
            "| {} | {} | {} | {} | {:.1} MiB | {} ms | {} ms | {:.1} MiB |\n",
            f.label,
            f.shape.profiles,
            f.shape.agents,
            f.shape.routes(),
            f.state_bytes as f64 / 1_048_576.0,
            f.median.as_millis(),
            f.max.as_millis(),
            f.max_rss_kib as f64 / 1024.0,
        ));
    }
    t
}

/// The figures as JSON.
pub fn json(figures: &[EvaluationFigures]) -> Value {
    Value::Array(
        figures
            .iter()
            .map(|f| {
                json!({
                    "state": f.label,
                    "profiles": f.shape.profiles,
                    "agents": f.shape.agents,
                    "routes": f.shape.routes(),
                    "state_bytes": f.state_bytes,
                    "runs": f.runs,
                    "median_ms": f.median.as_secs_f64() * 1000.0,
                    "max_ms": f.max.as_secs_f64() * 1000.0,
                    "peak_rss_kib": f.max_rss_kib,
                })
            })
            .collect(),
    )
}
