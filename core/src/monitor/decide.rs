//! The alert policy as a pure function: given what a subject looks like now and the last alert
//! a notifier delivered about it, should that notifier be told, and what kind of news is it?

use serde::{Deserialize, Serialize};

use super::config::Policy;
use super::observe::{Level, Observation};
use super::state::Sent;

/// What an alert says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Fine (or never reported) before, bad now.
    Problem,
    /// Worse than last reported: a smaller threshold crossed, expired, missing.
    Worse,
    /// Still bad, but better than last reported (say a short-lived token replaced an expired one).
    Better,
    /// Unchanged and still bad; the reminder interval has passed.
    Reminder,
    /// Fine again.
    Recovered,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Problem => "problem",
            Self::Worse => "worse",
            Self::Better => "better",
            Self::Reminder => "reminder",
            Self::Recovered => "recovered",
        }
    }
}

/// The reminder interval for a subject in its current state (`None`: no reminders). Expiring
/// subjects are reminded of only within their type's last threshold: a 30-day notice is sent
/// once, the 24-hour warning repeats.
pub fn reminder_interval(o: &Observation, policy: &Policy) -> Option<i64> {
    match o.level {
        Level::Ok => None,
        Level::Expiring if o.last_threshold => policy.remind_expiring_ms,
        Level::Expiring => None,
        Level::Expired | Level::Missing => policy.remind_expired_ms,
        Level::Unreachable => policy.remind_unreachable_ms,
    }
}

/// A timer run may start a few minutes late (randomized delay): a reminder is due a little
/// before its interval has fully passed, by a tenth of it and at most five minutes.
fn slack(interval_ms: i64) -> i64 {
    (interval_ms / 10).min(5 * 60_000)
}

/// Ordering of two bad states: positive when `o` is worse than what was sent.
fn compare(o: &Observation, s: &Sent) -> i32 {
    let (a, b) = (o.level.rank(), s.level.rank());
    if a != b {
        return i32::from(a) - i32::from(b);
    }
    if o.level == Level::Expiring && s.level == Level::Expiring {
        // A smaller threshold crossed is worse.
        return match (o.threshold_ms, s.threshold_ms) {
            (Some(x), Some(y)) if x < y => 1,
            (Some(x), Some(y)) if x > y => -1,
            _ => 0,
        };
    }
    // Same rank, different level (expired ↔ missing): news, reported like a worsening.
    i32::from(o.level != s.level)
}

/// What to tell a notifier whose last delivered alert is `last`, at `now_ms`.
pub fn decide(o: &Observation, last: Option<&Sent>, policy: &Policy, now_ms: i64) -> Option<Kind> {
    let last_bad = last.filter(|s| s.level.is_bad());
    match (last_bad, o.level.is_bad()) {
        (None, false) => None,
        (None, true) => Some(Kind::Problem),
        (Some(_), false) => Some(Kind::Recovered),
        (Some(s), true) => match compare(o, s) {
            c if c > 0 => Some(Kind::Worse),
            c if c < 0 => Some(Kind::Better),
            _ => {
                let every = reminder_interval(o, policy)?;
                (now_ms.saturating_sub(s.at_ms) >= every.saturating_sub(slack(every)))
                    .then_some(Kind::Reminder)
            }
        },
    }
}

/// The record of an alert of `kind` about `o` delivered at `now_ms`, after `last`.
pub fn record(o: &Observation, kind: Kind, last: Option<&Sent>, now_ms: i64) -> Sent {
    let episode = last.filter(|s| s.level.is_bad() && kind != Kind::Problem);
    Sent {
        level: o.level,
        threshold_ms: o.threshold_ms,
        at_ms: now_ms,
        since_ms: episode.map_or(now_ms, |s| s.since_ms),
        count: episode.map_or(1, |s| s.count.saturating_add(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::observe::What;

    const H: i64 = 3_600_000;
    const D: i64 = 24 * H;

    fn obs(level: Level, threshold: Option<i64>, last: bool) -> Observation {
        Observation {
            key: "gw/main/anthropic:manual".into(),
            host: "gw".into(),
            agent: Some("main".into()),
            what: What::Host,
            level,
            threshold_ms: threshold,
            threshold: None,
            last_threshold: last,
            expires_at_ms: None,
            remaining_ms: None,
            serves: vec![],
            detail: String::new(),
            fixes: Default::default(),
            page: None,
            reauth_link: None,
        }
    }

    fn sent(level: Level, threshold: Option<i64>, at: i64) -> Sent {
        Sent {
            level,
            threshold_ms: threshold,
            at_ms: at,
            since_ms: at,
            count: 1,
        }
    }

    /// Issue 16: a monitor state file is outside input. A delivery time or an alert count at
    /// the ends of its range (a hostile or corrupt file) overflowed the reminder arithmetic
    /// and the count; both saturate, and the decisions and messages still come.
    #[test]
    fn a_state_file_at_the_ends_of_every_range_decides_without_wrapping() {
        let p = Policy::default();
        let expired = obs(Level::Expired, None, false);
        for (at, now) in [
            (i64::MIN, i64::MAX),
            (i64::MAX, i64::MIN),
            (i64::MIN, 0),
            (0, i64::MAX),
        ] {
            let mut last = sent(Level::Expired, None, at);
            last.count = u32::MAX;
            let kind = decide(&expired, Some(&last), &p, now);
            assert_eq!(kind.is_some(), now > at, "{at} {now}");
            let r = record(&expired, Kind::Reminder, Some(&last), now);
            assert_eq!(r.count, u32::MAX);
            let m =
                crate::monitor::message::build(&expired, Kind::Reminder, Some(&last), &p, now, 1);
            assert!(m.text.contains("Reminder"), "{}", m.text);
        }
    }

    #[test]
    fn escalation_reminders_and_recovery() {
        let p = Policy::default();
        let ok = obs(Level::Ok, None, false);
        let exp24 = obs(Level::Expiring, Some(D), true);
        let expired = obs(Level::Expired, None, false);
        assert_eq!(decide(&ok, None, &p, 0), None);
        assert_eq!(decide(&exp24, None, &p, 0), Some(Kind::Problem));
        let s = sent(Level::Expiring, Some(D), 0);
        assert_eq!(decide(&exp24, Some(&s), &p, H), None);
        assert_eq!(decide(&exp24, Some(&s), &p, 5 * H + 54 * 60_000), None);
        assert_eq!(
            decide(&exp24, Some(&s), &p, 5 * H + 55 * 60_000),
            Some(Kind::Reminder)
        );
        assert_eq!(decide(&expired, Some(&s), &p, H), Some(Kind::Worse));
        let e = sent(Level::Expired, None, 0);
        assert_eq!(decide(&expired, Some(&e), &p, 50 * 60_000), None);
        assert_eq!(
            decide(&expired, Some(&e), &p, 55 * 60_000),
            Some(Kind::Reminder)
        );
        assert_eq!(decide(&ok, Some(&e), &p, 1), Some(Kind::Recovered));
        assert_eq!(decide(&exp24, Some(&e), &p, 1), Some(Kind::Better));
        assert_eq!(decide(&ok, Some(&sent(Level::Ok, None, 0)), &p, 1), None);
        assert_eq!(
            decide(&obs(Level::Missing, None, false), Some(&e), &p, 1),
            Some(Kind::Worse)
        );
    }

    #[test]
    fn early_notices_are_sent_once_per_threshold() {
        let p = Policy::default();
        let at30 = obs(Level::Expiring, Some(30 * D), false);
        let at7 = obs(Level::Expiring, Some(7 * D), false);
        let s30 = sent(Level::Expiring, Some(30 * D), 0);
        assert_eq!(
            decide(&at30, Some(&s30), &p, 20 * D),
            None,
            "no reminder of a notice"
        );
        assert_eq!(decide(&at7, Some(&s30), &p, 23 * D), Some(Kind::Worse));
        assert_eq!(
            decide(&at30, Some(&sent(Level::Expiring, Some(7 * D), 0)), &p, 1),
            Some(Kind::Better)
        );
    }

    #[test]
    fn changes_only_sends_news_and_no_reminders() {
        let p = Policy::default().changes_only();
        assert_eq!(
            (
                p.remind_expired_ms,
                p.remind_expiring_ms,
                p.remind_unreachable_ms
            ),
            (None, None, None)
        );
        assert_eq!(
            p.thresholds,
            Policy::default().thresholds,
            "only reminders change"
        );
        let expired = obs(Level::Expired, None, false);
        let exp24 = obs(Level::Expiring, Some(D), true);
        let down = obs(Level::Unreachable, None, false);
        // Reminders that the default policy would send now are not sent.
        for (o, s) in [
            (&expired, sent(Level::Expired, None, 0)),
            (&exp24, sent(Level::Expiring, Some(D), 0)),
            (&down, sent(Level::Unreachable, None, 0)),
        ] {
            assert_eq!(
                decide(o, Some(&s), &Policy::default(), 30 * D),
                Some(Kind::Reminder)
            );
            assert_eq!(decide(o, Some(&s), &p, 30 * D), None, "{:?}", o.level);
        }
        // News still goes out.
        let ok = obs(Level::Ok, None, false);
        let e = sent(Level::Expired, None, 0);
        assert_eq!(decide(&exp24, None, &p, 1), Some(Kind::Problem));
        assert_eq!(decide(&down, None, &p, 1), Some(Kind::Problem));
        assert_eq!(
            decide(&expired, Some(&sent(Level::Expiring, Some(D), 0)), &p, 1),
            Some(Kind::Worse)
        );
        assert_eq!(
            decide(&exp24, Some(&sent(Level::Expiring, Some(7 * D), 0)), &p, 1),
            Some(Kind::Worse),
            "a new threshold crossed"
        );
        assert_eq!(decide(&exp24, Some(&e), &p, 1), Some(Kind::Better));
        assert_eq!(decide(&ok, Some(&e), &p, 1), Some(Kind::Recovered));
        assert_eq!(
            decide(&ok, Some(&sent(Level::Unreachable, None, 0)), &p, 1),
            Some(Kind::Recovered),
            "reachable again"
        );
    }

    #[test]
    fn reminders_can_be_off_and_records_keep_the_episode() {
        let p = Policy {
            remind_expired_ms: None,
            ..Policy::default()
        };
        let expired = obs(Level::Expired, None, false);
        let e = sent(Level::Expired, None, 0);
        assert_eq!(decide(&expired, Some(&e), &p, 100 * D), None);
        let r = record(&expired, Kind::Reminder, Some(&e), 2 * H);
        assert_eq!((r.since_ms, r.count, r.at_ms), (0, 2, 2 * H));
        let fresh = record(
            &expired,
            Kind::Problem,
            Some(&sent(Level::Ok, None, 0)),
            3 * H,
        );
        assert_eq!((fresh.since_ms, fresh.count), (3 * H, 1));
    }
}
