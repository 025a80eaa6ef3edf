//! `openclaw models status --json --check` as clawauth reads it (`source::cli::agent_report`):
//! what the program printed on stdout and stderr and its exit code, with and without
//! reclassification for another moment (`--at`) or warn window (`--warn`); then every surface
//! the report is shown on (`surfaces::show_report`). Properties beyond "no panic": the agent's
//! section always exists, and every surface is inert text.

use std::fmt::Write as _;

use arbitrary::Arbitrary;
use camino::Utf8PathBuf;
use clawauth_core::report::Report;
use clawauth_core::source::cli::{CliOutput, Reclassify, agent_report};

use crate::cap::{CapInput, K, run_of};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    agent: &'a str,
    exit_code: Option<i32>,
    reclassify: Option<(i64, i64)>,
    stderr: &'a str,
    stdout: &'a str,
}

fn report_of(input: &Input<'_>) -> Report {
    let out = CliOutput {
        program: Utf8PathBuf::from("/usr/bin/openclaw"),
        exit_code: input.exit_code,
        stdout: input.stdout.to_owned(),
        stderr: input.stderr.to_owned(),
        duration: std::time::Duration::from_millis(1),
    };
    let re = input
        .reclassify
        .map(|(now_ms, warn_ms)| Reclassify { now_ms, warn_ms });
    let agent = agent_report(input.agent, &out, re);
    assert_eq!(agent.agent, input.agent, "the section is the agent's");
    let now = clawauth_core::time::from_ms(re.map_or(crate::FIXTURE_NOW_MS, |r| r.now_ms));
    let mut report = Report::new(
        "gw".to_owned(),
        now,
        now,
        re.map_or(86_400_000, |r| r.warn_ms),
    );
    report.agents.push(agent);
    report.finish();
    report
}

/// What the fuzz target does with one input.
pub fn run(data: &[u8]) {
    if let Some(rest) = data.strip_prefix(crate::CAP) {
        let text = String::from_utf8_lossy(rest);
        let _ = report_of(&Input {
            agent: "main",
            exit_code: Some(1),
            reclassify: Some((crate::FIXTURE_NOW_MS, 86_400_000)),
            stderr: "",
            stdout: &text,
        });
        return;
    }
    let Some(input) = crate::decode(data, |rest| Input {
        agent: "main",
        exit_code: Some(0),
        reclassify: None,
        stderr: "",
        stdout: std::str::from_utf8(rest).unwrap_or_default(),
    }) else {
        return;
    };
    let report = report_of(&input);
    crate::surfaces::show_report(&report, false, None, crate::FIXTURE_NOW_MS, 1);
}

/// `models status` output of 20,000 fallbacks and 30,000 profiles (about 3.8 MiB, within the
/// 8 MiB cap), and 8 MiB of nested braces.
pub fn cap_inputs() -> Vec<CapInput> {
    let mut json = String::from(r#"{"agentId":"main","defaultModel":"p0/m","fallbacks":["#);
    for i in 0..20_000 {
        let comma = if i == 0 { "" } else { "," };
        let _ = write!(json, r#"{comma}"p{}/m""#, i % 500);
    }
    json.push_str(r#"],"auth":{"oauth":{"profiles":["#);
    for i in 0..30_000 {
        let comma = if i == 0 { "" } else { "," };
        let p = i % 500;
        let _ = write!(
            json,
            r#"{comma}{{"profileId":"p{p}:x{i}","provider":"p{p}","type":"token","status":"expiring","expiresAt":1795300000000,"remainingMs":3600000}}"#
        );
    }
    json.push_str("]}}}\n");
    let mut json = json.into_bytes();
    json.truncate(8 * 1024 * K);
    vec![
        CapInput::new("stdout-8mib", json),
        CapInput::new(
            "braces-8mib",
            [run_of("{", 4 * 1024 * K), run_of("}", 4 * 1024 * K - 8)].concat(),
        ),
    ]
}
