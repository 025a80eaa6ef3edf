//! Moments and durations as the CLI takes and shows them.
//!
//! OpenClaw stores times as Unix milliseconds; clawauth's API uses `DateTime<Utc>` and converts at
//! the edge with [`to_ms`] / [`from_ms`].

use chrono::{DateTime, Utc};

/// Unix milliseconds of a moment.
pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The moment of a Unix-milliseconds value, clamped to chrono's range.
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(if ms < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// A duration parse error, phrased for a command-line user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(String);

/// Parses a duration such as `24h`, `90m`, `7d`, `1d12h`, `30s` or `500ms`. Units: `ms`, `s`,
/// `m`, `h`, `d`, `w`. A number without a unit is refused (only `0` needs none): read as
/// milliseconds, `--connect-timeout 5` would give up after 5 ms and `--expires-in 365` would
/// store a token that is already expired.
pub fn parse_duration_ms(input: &str) -> Result<i64, ParseError> {
    let s = input.trim();
    let bad = || {
        ParseError(format!(
            "invalid duration '{input}': use a number with a unit, e.g. 30m, 24h, 7d or 1d12h"
        ))
    };
    if s.is_empty() {
        return Err(bad());
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        if s.bytes().all(|b| b == b'0') {
            return Ok(0);
        }
        return Err(ParseError(format!(
            "invalid duration '{input}': {s} has no unit — add one: {s}s, {s}m, {s}h or {s}d"
        )));
    }
    let mut total: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let factor: i64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" | "min" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    Ok(total)
}

/// Parses `--at`: Unix milliseconds (`1795256402000`), RFC 3339 (`2026-11-21T10:00:00Z`), or an
/// offset from `now` (`+3d`, `-2h`, `+1d12h`). A moment beyond the calendar's range (about
/// 262,000 years either side of 1970) is refused, never moved to the end of time.
pub fn parse_moment(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, ParseError> {
    let s = input.trim();
    let out_of_range = || {
        ParseError(format!(
            "invalid moment '{input}': it is not a real date (more than 262,000 years from 1970)"
        ))
    };
    let offset = if let Some(rest) = s.strip_prefix('+') {
        Some(to_ms(now).checked_add(parse_duration_ms(rest)?))
    } else if let Some(rest) = s.strip_prefix('-') {
        Some(to_ms(now).checked_sub(parse_duration_ms(rest)?))
    } else {
        None
    };
    if let Some(ms) = offset {
        return ms
            .and_then(DateTime::from_timestamp_millis)
            .ok_or_else(out_of_range);
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .ok_or_else(out_of_range);
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ParseError(format!(
                "invalid moment '{input}': use Unix milliseconds (1795256402000), RFC 3339 \
                 (2026-11-21T10:00:00Z) or an offset from now (+3d, -2h)"
            ))
        })
}

/// The mean Gregorian year in milliseconds, for naming dates beyond the calendar.
pub const YEAR_MS: i64 = 31_556_952_000;

/// A moment for humans, to the minute: `2026-11-21 22:49 UTC`. A value beyond the calendar's
/// range says so (`year 292278994, not a real date`) instead of showing the calendar's end.
pub fn format_moment(ms: i64) -> String {
    match DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        None => format!("year {}, not a real date", 1970 + ms / YEAR_MS),
    }
}

/// A remaining time in the two largest units: `6d 4h`, `5h 12m`, `42m`, `<1m`.
/// Negative values are formatted by magnitude; callers say "ago".
pub fn format_remaining(ms: i64) -> String {
    let ms = ms.unsigned_abs();
    let minutes = ms / 60_000;
    let (d, h, m) = (minutes / 1440, (minutes / 60) % 24, minutes % 60);
    match (d, h, m) {
        (0, 0, 0) => "<1m".to_owned(),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// Time left until an expiry, or since it: `5h 12m left`, `expired 2h ago`.
pub fn format_left(remaining_ms: i64) -> String {
    if remaining_ms > 0 {
        format!("{} left", format_remaining(remaining_ms))
    } else {
        format!("expired {} ago", format_remaining(remaining_ms))
    }
}

/// How far a moment `ms` away is, said the right way round: `in 2h` ahead, `2h ago` past
/// (`ms` is the moment minus now; a moment that is now or past counts as past).
pub fn relative(ms: i64) -> String {
    if ms > 0 {
        format!("in {}", format_remaining(ms))
    } else {
        format!("{} ago", format_remaining(ms))
    }
}

/// A moment and how far it is from `now_ms`: `2026-11-21 22:49 UTC (in 7h)`, or
/// `2026-11-21 08:49 UTC (2h ago)` once it has passed.
pub fn moment_relative(at_ms: i64, now_ms: i64) -> String {
    let distance = match at_ms.checked_sub(now_ms) {
        Some(d) => relative(d),
        None => "too far from now to say".to_owned(),
    };
    format!("{} ({distance})", format_moment(at_ms))
}

/// When a credential expires, with the verb in the right tense: `expires 2026-11-21 22:49 UTC
/// (in 7h)`, `expired 2026-11-21 08:49 UTC (2h ago)`.
pub fn expiry(at_ms: i64, now_ms: i64) -> String {
    let verb = if at_ms > now_ms { "expires" } else { "expired" };
    format!("{verb} {}", moment_relative(at_ms, now_ms))
}

/// A credential's time left, with the verb in the right tense: `expires in 2h`, `expired 2h ago`.
pub fn expires_in(remaining_ms: i64) -> String {
    if remaining_ms > 0 {
        format!("expires {}", relative(remaining_ms))
    } else {
        format!("expired {}", relative(remaining_ms))
    }
}

/// A duration for humans in one unit, as used for warn windows: `24h`, `30m`, `7d`.
pub fn format_window(ms: i64) -> String {
    if ms % 86_400_000 == 0 && ms >= 86_400_000 * 2 {
        format!("{}d", ms / 86_400_000)
    } else if ms % 3_600_000 == 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("24h"), Ok(86_400_000));
        assert_eq!(parse_duration_ms("1d12h"), Ok(129_600_000));
        assert_eq!(parse_duration_ms("90m"), Ok(5_400_000));
        assert_eq!(parse_duration_ms("500ms"), Ok(500));
        assert_eq!(parse_duration_ms("0"), Ok(0));
        let bare = parse_duration_ms("5").expect_err("no unit");
        assert!(bare.to_string().contains("5s, 5m, 5h or 5d"), "{bare}");
        assert!(parse_duration_ms("365").is_err());
        assert!(parse_duration_ms("12x").is_err());
        assert!(parse_duration_ms("h").is_err());
        assert!(parse_duration_ms("").is_err());
        assert!(parse_duration_ms("99999999999999999999d").is_err());
    }

    #[test]
    fn moments() {
        let now = from_ms(1_795_256_402_000);
        assert_eq!(
            to_ms(parse_moment("+3d", now).expect("offset")),
            1_795_256_402_000 + 3 * 86_400_000
        );
        assert_eq!(
            to_ms(parse_moment("-1h", now).expect("offset")),
            1_795_256_402_000 - 3_600_000
        );
        assert_eq!(
            to_ms(parse_moment("1795256402000", now).expect("ms")),
            1_795_256_402_000
        );
        assert_eq!(
            to_ms(parse_moment("2026-11-21T10:20:02Z", now).expect("rfc3339")),
            1_795_256_402_000
        );
        assert!(parse_moment("tomorrow", now).is_err());
    }

    /// Issue 16: a moment beyond the calendar was moved to its last day (`+99999999w`, or
    /// milliseconds in the year 3.5 million): it is refused and says why.
    #[test]
    fn moments_beyond_the_calendar_are_refused() {
        let now = from_ms(1_795_256_402_000);
        for input in [
            "+99999999w",
            "-99999999w",
            "111111151111111111",
            "9223372036854775807",
            "+9223372036854775807ms",
        ] {
            let err = parse_moment(input, now).expect_err(input);
            assert!(err.to_string().contains("not a real date"), "{err}");
        }
        // The last representable minute still works, exactly.
        let last = DateTime::<Utc>::MAX_UTC.timestamp_millis();
        assert_eq!(
            to_ms(parse_moment(&last.to_string(), now).expect("last")),
            last
        );
        // A date beyond the calendar is shown as what it is, not as the calendar's end.
        assert_eq!(format_moment(i64::MAX), "year 292278994, not a real date");
        assert_eq!(format_moment(i64::MIN), "year -292275054, not a real date");
        assert_eq!(
            expiry(i64::MAX, i64::MIN),
            "expires year 292278994, not a real date (too far from now to say)"
        );
        assert_eq!(format_moment(1_795_256_402_000), "2026-11-21 10:20 UTC");
    }

    #[test]
    fn remaining() {
        assert_eq!(
            format_remaining(6 * 86_400_000 + 4 * 3_600_000 + 59_000),
            "6d 4h"
        );
        assert_eq!(format_remaining(3 * 3_600_000 + 12 * 60_000), "3h 12m");
        assert_eq!(format_remaining(42 * 60_000), "42m");
        assert_eq!(format_remaining(59_999), "<1m");
        assert_eq!(format_remaining(-7_200_000), "2h");
        assert_eq!(relative(7_200_000), "in 2h");
        assert_eq!(relative(-7_200_000), "2h ago");
        assert_eq!(relative(0), "<1m ago");
        assert_eq!(expires_in(7_200_000), "expires in 2h");
        assert_eq!(expires_in(-7_200_000), "expired 2h ago");
        let now = 1_795_256_400_000;
        assert_eq!(
            expiry(now + 7 * 3_600_000, now),
            "expires 2026-11-21 17:20 UTC (in 7h)"
        );
        assert_eq!(
            expiry(now - 2 * 3_600_000, now),
            "expired 2026-11-21 08:20 UTC (2h ago)"
        );
        assert_eq!(format_window(86_400_000), "24h");
        assert_eq!(format_window(7 * 86_400_000), "7d");
    }
}
