//! The JSON report a gateway's clawauth returns over SSH (rung 1 of a remote check), read as
//! the phone reads it (`openclaw::json::nests_deeper_than`, then `Report`), then shown on every
//! surface and fed to the monitor's decisions against a remembered alert
//! ([`common::show_report`]): a hostile gateway controls every string, number and date in it.
//! Properties beyond "no panic": every surface is inert text, the JSON reads back to itself,
//! and no arithmetic on its times wraps (the fuzz build has overflow checks on).
#![no_main]

use arbitrary::Arbitrary;
use clawauth_core::openclaw::json::{MAX_DEPTH, nests_deeper_than};
use clawauth_core::report::Report;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    remote: bool,
    failures: u8,
    now_ms: i64,
    /// What the monitor's state file remembers delivering.
    last: Option<(u8, Option<i64>, i64, i64, u32)>,
    json: &'a [u8],
}

fn read(json: &[u8]) -> Option<Report> {
    if nests_deeper_than(json, MAX_DEPTH) {
        return None;
    }
    serde_json::from_slice::<Report>(json).ok()
}

fuzz_target!(|data: &[u8]| {
    if let Some(rest) = data.strip_prefix(common::CAP) {
        let _ = read(rest);
        return;
    }
    let Some(input) = common::decode(data, |json| Input {
        remote: true,
        failures: 1,
        now_ms: common::FIXTURE_NOW_MS,
        last: None,
        json,
    }) else {
        return;
    };
    let Some(report) = read(input.json) else {
        return;
    };
    let last = input.last.map(|(level, threshold, at, since, count)| {
        common::sent_of(level, threshold, at, since, count)
    });
    common::show_report(
        &report,
        input.remote,
        last.as_ref(),
        input.now_ms,
        u32::from(input.failures),
    );
});
