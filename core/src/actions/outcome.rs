//! What a finished repair comes to, in the few words a phone shows: how things stand now (the
//! re-check's level and headline), which profile was written and its new expiry, or why
//! nothing changed. Every front end renders an [`Outcome`]; none works it out itself.

use serde::Serialize;

use super::PasteOutcome;
use super::sync::{SyncAction, SyncResult};
use crate::display::visible;
use crate::monitor::observe::Level;
use crate::reauth::ReauthResult;
use crate::report::Report;
use crate::tap::glance;

/// A repair's end, at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Whether the repair did what it was for (nothing failed; a sync with nothing to do
    /// counts).
    pub done: bool,
    /// How things stand after it: the re-check's level, else the check before it.
    pub level: Level,
    /// One line: the re-check's headline, or why the repair stopped.
    pub headline: String,
    /// The (first) profile written.
    pub profile_id: Option<String>,
    /// Its expiry as the re-check sees it (Unix ms).
    pub new_expires_at_ms: Option<i64>,
    /// The command's exit code (0 ok, 1 expired or failed, 2 expiring, 3 unreachable).
    pub exit_code: i32,
}

fn level_of(after: Option<&Report>, before: Option<&Report>) -> Level {
    after.or(before).map_or(Level::Unreachable, |r| {
        glance(r, r.remote_host().is_some()).level
    })
}

fn headline(host: &str, error: Option<String>, after: Option<&Report>, what: &str) -> String {
    match (error, after) {
        (Some(e), _) => format!("{}: {what} stopped: {}", visible(host), visible(&e)),
        (None, Some(r)) => glance(r, r.remote_host().is_some()).headline,
        (None, None) => format!("{}: {what} finished without a re-check", visible(host)),
    }
}

impl From<&PasteOutcome> for Outcome {
    fn from(p: &PasteOutcome) -> Self {
        Self {
            done: p.error.is_none() && !p.stored.is_empty(),
            level: level_of(p.after.as_ref(), Some(&p.before)),
            headline: headline(&p.host, p.error.clone(), p.after.as_ref(), "the paste"),
            profile_id: p.profile_id.clone(),
            new_expires_at_ms: p.new_expires_at_ms,
            exit_code: p.exit_code(),
        }
    }
}

impl From<&SyncResult> for Outcome {
    fn from(s: &SyncResult) -> Self {
        let wrote = matches!(s.action, SyncAction::Synced);
        Self {
            done: s.error.is_none(),
            level: level_of(s.after.as_ref(), s.before.as_ref()),
            headline: headline(
                &s.host,
                s.error.clone(),
                s.after.as_ref().or(s.before.as_ref()),
                "the sync",
            ),
            profile_id: wrote
                .then(|| s.store.as_ref().map(|t| t.profile_id().to_owned()))
                .flatten(),
            new_expires_at_ms: s.new_expires_at_ms,
            exit_code: s.exit_code(),
        }
    }
}

impl From<&ReauthResult> for Outcome {
    fn from(r: &ReauthResult) -> Self {
        Self {
            done: r.failure.is_none(),
            level: level_of(r.after.as_ref(), r.before.as_ref()),
            headline: headline(
                &r.host,
                r.failure.as_ref().map(ToString::to_string),
                r.after.as_ref(),
                "the re-auth",
            ),
            profile_id: r.profile_id.clone(),
            new_expires_at_ms: r.new_expires_at_ms,
            exit_code: r.exit_code(),
        }
    }
}
