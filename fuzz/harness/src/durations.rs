//! Durations and moments as the CLI takes and shows them (`core::time`). Properties beyond "no
//! panic" (the fuzz build has overflow checks on):
//! - a parsed duration is never negative, and `format_window` of it parses back to it;
//! - a moment parsed from an offset is exactly `now` plus or minus the duration, never a value
//!   clamped to the end of time;
//! - every formatter takes any i64, and what it writes is short.

use arbitrary::Arbitrary;
use clawauth_core::time;

use crate::cap::{CapInput, run_of};

#[derive(Arbitrary, Debug)]
struct Input {
    text: String,
    now_ms: i64,
    a: i64,
    b: i64,
}

/// What the fuzz target does with one input.
pub fn run(data: &[u8]) {
    if let Some(rest) = data.strip_prefix(crate::CAP) {
        let text = String::from_utf8_lossy(rest);
        let _ = time::parse_duration_ms(&text);
        let _ = time::parse_moment(&text, time::from_ms(1_795_256_402_000));
        return;
    }
    let Some(input) = crate::decode(data, |rest| Input {
        text: String::from_utf8_lossy(rest).into_owned(),
        now_ms: 1_795_256_402_000,
        a: 1_795_260_002_000,
        b: 1_795_256_402_000,
    }) else {
        return;
    };
    if let Ok(ms) = time::parse_duration_ms(&input.text) {
        assert!(ms >= 0, "{ms}");
        let shown = time::format_window(ms);
        assert_eq!(time::parse_duration_ms(&shown), Ok(ms), "{shown}");
    }
    let now = time::from_ms(input.now_ms);
    if let Ok(t) = time::parse_moment(&input.text, now) {
        let s = input.text.trim();
        let now_ms = time::to_ms(now);
        if let Some(rest) = s.strip_prefix('+') {
            let d = time::parse_duration_ms(rest).expect("an offset that parsed");
            assert_eq!(Some(time::to_ms(t)), now_ms.checked_add(d), "{s}");
        } else if let Some(rest) = s.strip_prefix('-') {
            let d = time::parse_duration_ms(rest).expect("an offset that parsed");
            assert_eq!(Some(time::to_ms(t)), now_ms.checked_sub(d), "{s}");
        } else if s.bytes().all(|b| b.is_ascii_digit()) {
            assert_eq!(s.parse::<i64>().ok(), Some(time::to_ms(t)), "{s}");
        }
    }
    for text in [
        time::format_moment(input.a),
        time::format_remaining(input.a),
        time::format_left(input.a),
        time::relative(input.a),
        time::moment_relative(input.a, input.b),
        time::expiry(input.a, input.b),
        time::expires_in(input.a),
        time::format_window(input.a),
    ] {
        assert!(text.len() < 120, "{text}");
    }
}

/// A duration of 2,000 units.
pub fn cap_inputs() -> Vec<CapInput> {
    vec![CapInput::new("long-duration", run_of("1h", 4000))]
}
