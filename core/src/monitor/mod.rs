//! The monitor (DESIGN.md §Core 9): turns Reports into alerts by policy, sends them, and records
//! what was delivered, so a credential never lapses unnoticed and nobody is paged twice for
//! the same news.
//!
//! One run: take the run lock, load the state, observe every report ([`observe`]), count
//! unreachable runs per host, decide per subject and notifier ([`decide`]), save the
//! observations, then send alert by alert, recording each delivery in the state file (written
//! atomically) right after its notifier succeeded. A failed send is not recorded, so the next
//! run decides it again; a crash between a send and its record repeats at most that one alert.

pub mod config;
pub mod decide;
pub mod heartbeat;
pub mod http;
pub mod message;
pub mod notify;
pub mod observe;
pub mod state;
pub mod termux_notification;

use std::collections::BTreeSet;
use std::time::Duration;

use camino::Utf8PathBuf;

use crate::report::Report;
use config::Policy;
use decide::Kind;
use message::Message;
use notify::Notifier;
use observe::{Level, Observation};
use state::{Loaded, State};

/// One gateway's report for this run.
pub struct Target {
    pub report: Report,
    /// Reached over SSH (fix commands then say `--host NAME`).
    pub remote: bool,
}

/// How a run goes.
pub struct RunOptions {
    pub policy: Policy,
    pub state_path: Utf8PathBuf,
    /// Decide and print, send and write nothing.
    pub dry_run: bool,
    /// The monitor's clock (`--at` moves it).
    pub now_ms: i64,
    /// How long to wait for another run's lock.
    pub lock_wait: Duration,
    /// Testing hook: abort the process right after the first delivery, before it is recorded
    /// (`CLAWAUTH_FAILPOINT=monitor-after-send`), to prove a crash repeats at most one alert.
    pub crash_after_send: bool,
}

/// A host as this run saw it.
#[derive(Debug, Clone)]
pub struct HostRun {
    pub host: String,
    pub readable: bool,
    pub failures: u32,
    pub reason: Option<String>,
}

/// One alert and how its delivery went.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub channel: &'static str,
    pub message: Message,
    /// `None` in a dry run.
    pub result: Option<Result<(), String>>,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub hosts: Vec<HostRun>,
    pub observations: Vec<Observation>,
    pub deliveries: Vec<Delivery>,
    /// The state file could not be used and was moved aside (path, why).
    pub state_replaced: Option<(Utf8PathBuf, String)>,
}

impl RunReport {
    /// Alerts that could not be delivered (they are retried next run).
    pub fn failed(&self) -> usize {
        self.deliveries
            .iter()
            .filter(|d| matches!(d.result, Some(Err(_))))
            .count()
    }
}

/// Why a run could not happen at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "another clawauth monitor run holds {0}.lock; this run gave up waiting (it is safe: the other run sends the alerts)"
    )]
    Busy(Utf8PathBuf),
    #[error("{0}")]
    State(#[from] crate::Error),
}

/// One monitor run over `targets`, alerting through `notifiers`.
pub async fn run(
    targets: &[Target],
    notifiers: &[Notifier],
    opts: &RunOptions,
) -> Result<RunReport, RunError> {
    let _lock = if opts.dry_run {
        None
    } else {
        Some(
            state::lock(&opts.state_path, opts.lock_wait)?
                .ok_or_else(|| RunError::Busy(opts.state_path.clone()))?,
        )
    };
    let now = opts.now_ms;
    let mut out = RunReport::default();
    let mut st = match state::load(&opts.state_path, now)? {
        Loaded::Replaced {
            state,
            moved_to,
            why,
        } => {
            out.state_replaced = Some((moved_to, why));
            state
        }
        other => other.into_state(),
    };
    let policy = &opts.policy;

    // Observe.
    let mut readable_hosts = BTreeSet::new();
    for t in targets {
        let r = &t.report;
        let host = st.hosts.entry(r.host.clone()).or_default();
        let readable = observe::readable(r);
        if readable {
            host.failures = 0;
            host.last_error = None;
            host.last_ok_ms = Some(now);
            host.failing_since_ms = None;
            readable_hosts.insert(r.host.clone());
        } else {
            host.failures = host.failures.saturating_add(1);
            host.last_error = Some(observe::unreadable_reason(r));
            host.failing_since_ms.get_or_insert(now);
        }
        out.hosts.push(HostRun {
            host: r.host.clone(),
            readable,
            failures: host.failures,
            reason: host.last_error.clone(),
        });
        let failures = host.failures;
        // Between the first failure and the N-th there is no news about the host either way.
        if readable || failures >= policy.unreachable_after {
            out.observations
                .push(observe::host_observation(r, failures, policy, t.remote));
        }
        if readable {
            let seen = observe::observe(r, policy, t.remote, &st);
            out.observations.extend(seen);
        }
    }
    // Subjects of readable hosts that no report mentions any more are resolved.
    let observed: BTreeSet<String> = out.observations.iter().map(|o| o.key.clone()).collect();
    let gone = |key: &str, s: &state::Subject| {
        readable_hosts.contains(&s.host) && !observed.contains(key) && s.what != observe::What::Host
    };
    for (key, s) in &st.subjects {
        if gone(key, s) {
            let mut o = Observation::gone(key, &s.host, s.what.clone());
            o.agent = s.agent.clone();
            out.observations.push(o);
        }
    }

    // Remember what was seen.
    for o in &out.observations {
        let s = st
            .subjects
            .entry(o.key.clone())
            .or_insert_with(|| state::Subject {
                host: o.host.clone(),
                agent: o.agent.clone(),
                what: o.what.clone(),
                level: o.level,
                expires_at_ms: None,
                first_seen_ms: None,
                observed_at_ms: now,
                sent: Default::default(),
            });
        if o.expires_at_ms.is_some() && s.expires_at_ms != o.expires_at_ms {
            s.expires_at_ms = o.expires_at_ms;
            s.first_seen_ms = Some(now);
        }
        s.what = o.what.clone();
        s.level = o.level;
        s.observed_at_ms = now;
    }

    // Decide.
    let mut plan: Vec<(usize, usize, Kind)> = Vec::new();
    for (oi, o) in out.observations.iter().enumerate() {
        let sent = st.subjects.get(&o.key).map(|s| &s.sent);
        for (ni, n) in notifiers.iter().enumerate() {
            let last = sent.and_then(|s| s.get(n.channel()));
            if let Some(kind) = decide::decide(o, last, policy, now) {
                plan.push((oi, ni, kind));
            }
        }
    }
    let failures_of = |host: &str, st: &State| st.hosts.get(host).map_or(0, |h| h.failures);
    if !opts.dry_run {
        st.updated_at_ms = now;
        state::save(&opts.state_path, &st)?;
    }

    // Send (in a dry run: only say what would go), recording each delivery as soon as it
    // succeeded.
    for (oi, ni, kind) in plan {
        let o = &out.observations[oi];
        let n = &notifiers[ni];
        let channel = n.channel();
        let last = st
            .subjects
            .get(&o.key)
            .and_then(|s| s.sent.get(channel))
            .cloned();
        let message = message::build(
            o,
            kind,
            last.as_ref(),
            policy,
            now,
            failures_of(&o.host, &st),
        );
        let result = if opts.dry_run {
            None
        } else {
            Some(n.send(&message).await)
        };
        if let Some(Ok(())) = result {
            if opts.crash_after_send {
                tracing::error!(
                    "failpoint monitor-after-send: aborting before the delivery is recorded"
                );
                std::process::abort();
            }
            let rec = decide::record(o, kind, last.as_ref(), now);
            if let Some(s) = st.subjects.get_mut(&o.key) {
                s.sent.insert(channel.to_owned(), rec);
            }
            state::save(&opts.state_path, &st)?;
        }
        out.deliveries.push(Delivery {
            channel,
            message,
            result,
        });
    }
    if opts.dry_run {
        return Ok(out);
    }

    // Forget resolved subjects that are gone, once every notifier knows.
    let before = st.subjects.len();
    st.subjects.retain(|key, s| {
        !(gone(key, s) && s.level == Level::Ok && s.sent.values().all(|x| !x.level.is_bad()))
    });
    if st.subjects.len() != before {
        state::save(&opts.state_path, &st)?;
    }
    Ok(out)
}
