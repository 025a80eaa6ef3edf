//! Evaluation stays linear in the number of profiles, agents and routes: a state near the size
//! caps — fifty thousand profiles, thousands of routes, a hundred agents — is evaluated
//! correctly. How fast is the benchmark's business (`tests/bench.sh`, "evaluation near the size
//! caps"); here only the answer is checked, under a generous hang guard.

use std::process::Command;
use std::time::Duration;

use clawauth_tests::big_state::{self, Shape};
use clawauth_tests::clawauth_bin;
use clawauth_tests::hostile::output_within;
use serde_json::Value;

const NOW_MS: i64 = 1_795_255_200_000;

fn check(shape: Shape) {
    let home = tempfile::tempdir().expect("tempdir");
    big_state::write(home.path(), &shape, NOW_MS);
    let mut cmd = Command::new(clawauth_bin());
    cmd.args([
        "status", "--source", "direct", "--check", "--format", "json",
    ])
    .args(["--at", &NOW_MS.to_string()])
    .env_clear()
    .env("HOME", home.path())
    .env("PATH", "/usr/bin:/bin");
    let out = output_within(&mut cmd, Duration::from_secs(300));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not a report ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(out.status.code(), Some(0), "verdict {}", report["verdict"]);
    let agents = report["agents"].as_array().expect("agents");
    assert_eq!(agents.len(), shape.agents);
    for (a, agent) in agents.iter().enumerate() {
        let routes = agent["routes"].as_array().expect("routes");
        assert_eq!(routes.len(), shape.fallbacks + 2, "agent {a}");
        assert_eq!(
            agent["profiles"].as_array().map(Vec::len),
            Some(shape.profiles)
        );
        for (j, route) in routes.iter().enumerate() {
            // Routes: primary (model 0), fallbacks 1…n, then the utility model (model 0).
            let j = if j == routes.len() - 1 { 0 } else { j };
            let want = big_state::expected_pick((a + j) % shape.providers, &shape);
            assert_eq!(route["outcome"], "ok", "agent {a} route {route}");
            assert_eq!(route["profile"], want.as_str(), "agent {a} route {route}");
        }
    }
}

#[test]
fn status_of_one_agent_over_a_store_near_the_size_cap_is_correct() {
    check(Shape::NEAR_CAPS);
}

#[test]
fn status_of_a_hundred_agents_with_their_routes_is_correct() {
    check(Shape::MANY_AGENTS);
}
