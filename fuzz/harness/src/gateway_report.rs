//! The JSON report a gateway's clawauth returns over SSH (rung 1 of a remote check), read as
//! the phone reads it (`openclaw::json::nests_deeper_than`, then `Report`), then shown on every
//! surface and fed to the monitor's decisions against a remembered alert
//! (`surfaces::show_report`): a hostile gateway controls every string, number and date in it.
//! Properties beyond "no panic": every surface is inert text, the JSON reads back to itself,
//! and no arithmetic on its times wraps (the fuzz build has overflow checks on).

use std::fmt::Write as _;

use arbitrary::Arbitrary;
use clawauth_core::openclaw::json::{MAX_DEPTH, nests_deeper_than};
use clawauth_core::report::Report;

use crate::cap::{CapInput, K};

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

/// What the fuzz target does with one input.
pub fn run(data: &[u8]) {
    if let Some(rest) = data.strip_prefix(crate::CAP) {
        let _ = read(rest);
        return;
    }
    let Some(input) = crate::decode(data, |json| Input {
        remote: true,
        failures: 1,
        now_ms: crate::FIXTURE_NOW_MS,
        last: None,
        json,
    }) else {
        return;
    };
    let Some(report) = read(input.json) else {
        return;
    };
    let last = input.last.map(|(level, threshold, at, since, count)| {
        crate::surfaces::sent_of(level, threshold, at, since, count)
    });
    crate::surfaces::show_report(
        &report,
        input.remote,
        last.as_ref(),
        input.now_ms,
        u32::from(input.failures),
    );
}

/// A report of 12,000 routes and 12,000 profiles (about 3.1 MiB, within the 4 MiB cap), every
/// detail an escape and every time at the end of `i64`.
pub fn cap_inputs() -> Vec<CapInput> {
    let mut json = String::from(
        r#"{"schema":1,"host":"gw","taken_at":"2026-11-21T10:00:00Z","as_of":"2026-11-21T10:00:00Z","warn_after_ms":86400000,"verdict":"expired","exit_code":1,"state_dir":"/s","config_path":"/c","agents":[{"agent":"main","source":"direct","verdict":"expired","models":{"fallbacks":[],"image_fallbacks":[]},"routes":["#,
    );
    for i in 0..12_000 {
        let comma = if i == 0 { "" } else { "," };
        let _ = write!(
            json,
            r#"{comma}{{"kind":"fallback","model":"p{i}/m","provider":"p{i}","outcome":"expired","profile":"p{i}:x","detail":"\u001b[2J"}}"#
        );
    }
    json.push_str(r#"],"profiles":["#);
    for i in 0..12_000 {
        let comma = if i == 0 { "" } else { "," };
        let _ = write!(
            json,
            r#"{comma}{{"profile_id":"p{i}:x","provider":"p{i}","type":"token","status":"expired","expires_at_ms":-9223372036854775808,"remaining_ms":-9223372036854775808}}"#
        );
    }
    json.push_str(r#"],"providers":[],"unusable_profiles":[]}],"errors":[],"hints":[]}"#);
    let mut json = json.into_bytes();
    json.truncate(4 * 1024 * K);
    vec![CapInput::new("report-4mib", json)]
}
