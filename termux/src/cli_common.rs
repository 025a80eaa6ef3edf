//! Flag values the commands parse alike — durations and moments — each mistake a usage error
//! (exit 64) that says what a good value looks like.

use std::process::ExitCode;
use std::time::Duration;

use clawauth_core::time::{parse_duration_ms, parse_moment};

/// Parses a positive duration flag, or explains the mistake.
pub fn positive_duration(flag: &str, value: &str, example: &str) -> Result<Duration, ExitCode> {
    match parse_duration_ms(value) {
        Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms.unsigned_abs())),
        Ok(_) => Err(crate::usage_error(
            &format!("{flag} must be longer than zero"),
            &format!("e.g. {flag} {example}"),
        )),
        Err(e) => Err(crate::usage_error(
            &format!("{flag}: {e}"),
            &format!("e.g. {flag} {example}"),
        )),
    }
}

/// Parses an `--at` flag (Unix ms, RFC 3339 or an offset from `now`), or explains the mistake.
pub fn parse_at(
    value: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ExitCode> {
    value
        .map(|v| {
            parse_moment(v, now).map_err(|e| {
                crate::usage_error(
                    &format!("--at: {e}"),
                    "e.g. --at +3d or --at 2026-12-01T09:00:00Z",
                )
            })
        })
        .transpose()
}
