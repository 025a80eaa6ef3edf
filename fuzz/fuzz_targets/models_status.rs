//! `openclaw models status --json --check` as clawauth reads it (`source::cli::agent_report`):
//! what the program printed on stdout and stderr and its exit code, with and without
//! reclassification for another moment (`--at`) or warn window (`--warn`); then every surface
//! the report is shown on ([`common::show_report`]). Properties beyond "no panic": the agent's
//! section always exists, and every surface is inert text.
#![no_main]

use arbitrary::Arbitrary;
use camino::Utf8PathBuf;
use clawauth_core::report::Report;
use clawauth_core::source::cli::{CliOutput, Reclassify, agent_report};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

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
    let now = clawauth_core::time::from_ms(re.map_or(common::FIXTURE_NOW_MS, |r| r.now_ms));
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

fuzz_target!(|data: &[u8]| {
    if let Some(rest) = data.strip_prefix(common::CAP) {
        let text = String::from_utf8_lossy(rest);
        let _ = report_of(&Input {
            agent: "main",
            exit_code: Some(1),
            reclassify: Some((common::FIXTURE_NOW_MS, 86_400_000)),
            stderr: "",
            stdout: &text,
        });
        return;
    }
    let Some(input) = common::decode(data, |rest| Input {
        agent: "main",
        exit_code: Some(0),
        reclassify: None,
        stderr: "",
        stdout: std::str::from_utf8(rest).unwrap_or_default(),
    }) else {
        return;
    };
    let report = report_of(&input);
    common::show_report(&report, false, None, common::FIXTURE_NOW_MS, 1);
});
