//! The monitor's memory between runs: one JSON file, written atomically, guarded by a lock file.
//!
//! It holds what each subject looked like last time (level, expiry, since when that expiry was
//! seen) and, per notifier, the last alert that notifier *delivered*. A record is written only
//! after its notifier succeeded, one alert at a time, so a crash between a send and its record
//! repeats at most that one alert on the next run, and a failed send is simply decided again.
//! No secret ever goes in: profile ids, labels, levels and times only.

use std::collections::BTreeMap;
use std::io::Read;
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

use super::observe::{Level, What};
use crate::openclaw::env::Environment;
use crate::{Error, Result};

/// Version of the state document.
pub const STATE_VERSION: u32 = 1;
/// A state file larger than this is not read (it holds a few KiB).
const MAX_STATE_BYTES: u64 = 16 * 1024 * 1024;

/// The last alert one notifier delivered for a subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_ms: Option<i64>,
    /// When it was delivered.
    pub at_ms: i64,
    /// When this episode (the first alert since the subject was last fine) began.
    pub since_ms: i64,
    /// Alerts delivered in this episode.
    pub count: u32,
}

/// A subject as last observed, and what each notifier last delivered about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    pub what: What,
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
    /// The first run that saw the current expiry (the credential's issue time, as far as the
    /// monitor knows; used for lifetime shares and to tell setup tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen_ms: Option<i64>,
    pub observed_at_ms: i64,
    #[serde(default)]
    pub sent: BTreeMap<String, Sent>,
}

/// A host's run history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    /// Consecutive runs that could not read it.
    pub failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ok_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since_ms: Option<i64>,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    #[serde(default)]
    pub updated_at_ms: i64,
    #[serde(default)]
    pub hosts: BTreeMap<String, Host>,
    #[serde(default)]
    pub subjects: BTreeMap<String, Subject>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            version: STATE_VERSION,
            updated_at_ms: 0,
            hosts: BTreeMap::new(),
            subjects: BTreeMap::new(),
        }
    }
}

impl super::observe::Memory for State {
    fn first_seen(&self, key: &str, expires_at_ms: i64) -> Option<i64> {
        self.subjects
            .get(key)
            .filter(|s| s.expires_at_ms == Some(expires_at_ms))
            .and_then(|s| s.first_seen_ms)
    }

    fn last_profile(&self, key: &str) -> Option<(String, Option<i64>)> {
        match &self.subjects.get(key)?.what {
            What::Credential { profile_id, .. } => {
                Some((profile_id.clone(), self.subjects.get(key)?.expires_at_ms))
            }
            _ => None,
        }
    }
}

/// Where the state lives by default: `$XDG_STATE_HOME/clawauth/monitor.json` (when absolute),
/// else `~/.local/state/clawauth/monitor.json`.
pub fn default_path(env: &Environment) -> Option<Utf8PathBuf> {
    env.xdg_dir("XDG_STATE_HOME", ".local/state")
        .map(|d| d.join("clawauth").join("monitor.json"))
}

/// What loading found.
#[derive(Debug)]
pub enum Loaded {
    /// No state yet (first run).
    Fresh(State),
    Read(State),
    /// The file could not be used; it was moved to `moved_to` and a fresh state begins (which
    /// may repeat alerts, never lose them).
    Replaced {
        state: State,
        moved_to: Utf8PathBuf,
        why: String,
    },
}

impl Loaded {
    pub fn into_state(self) -> State {
        match self {
            Self::Fresh(s) | Self::Read(s) | Self::Replaced { state: s, .. } => s,
        }
    }
}

/// Reads the state at `path`. A missing file is a fresh state; an unreadable or malformed one
/// is moved aside (kept for inspection) and replaced by a fresh state.
pub fn load(path: &Utf8Path, now_ms: i64) -> Result<Loaded> {
    let Some(mut f) = crate::openclaw::files::open_regular(path)? else {
        return Ok(Loaded::Fresh(State::default()));
    };
    let size = f.metadata().map_err(|e| Error::io(path, e))?.len();
    let parsed = if size > MAX_STATE_BYTES {
        Err(format!(
            "{size} bytes, more than the {MAX_STATE_BYTES} a state file may have"
        ))
    } else {
        let mut text = String::new();
        match f.read_to_string(&mut text) {
            Err(e) => Err(format!("not UTF-8 text ({e})")),
            Ok(_)
                if crate::openclaw::json::nests_deeper_than(
                    &text,
                    crate::openclaw::json::MAX_DEPTH,
                ) =>
            {
                Err(format!(
                    "nested deeper than {} levels, more than a state file has",
                    crate::openclaw::json::MAX_DEPTH
                ))
            }
            Ok(_) => match serde_json::from_str::<State>(&text) {
                Ok(s) if s.version == STATE_VERSION => Ok(s),
                Ok(s) => Err(format!(
                    "version {} (this clawauth writes version {STATE_VERSION})",
                    s.version
                )),
                Err(e) => Err(format!("not a clawauth monitor state ({e})")),
            },
        }
    };
    match parsed {
        Ok(s) => Ok(Loaded::Read(s)),
        Err(why) => {
            let moved_to = Utf8PathBuf::from(format!(
                "{path}.unreadable-{}",
                crate::time::from_ms(now_ms).format("%Y%m%dT%H%M%SZ")
            ));
            std::fs::rename(path, &moved_to).map_err(|e| Error::io(path, e))?;
            Ok(Loaded::Replaced {
                state: State::default(),
                moved_to,
                why,
            })
        }
    }
}

/// Writes the state atomically (mode 0600), its strings (names and errors from gateways)
/// escaped so that `cat`ting the file cannot drive a terminal.
pub fn save(path: &Utf8Path, state: &State) -> Result<()> {
    let text = crate::display::to_json_pretty(state)
        .map_err(|e| Error::Invalid(format!("cannot serialise the monitor state: {e}")))?;
    crate::fsutil::write_atomic(path, format!("{text}\n").as_bytes(), Some(0o600))
}

/// An exclusive lock on `<state>.lock`, held while a run reads, sends and records; released
/// on drop (or when the process dies, as the kernel drops flock locks).
pub struct RunLock {
    _file: std::fs::File,
}

/// Takes the run lock, waiting up to `wait`; `Ok(None)` when another run still holds it.
pub fn lock(path: &Utf8Path, wait: Duration) -> Result<Option<RunLock>> {
    let lock_path = Utf8PathBuf::from(format!("{path}.lock"));
    if let Some(dir) = lock_path.parent()
        && !dir.as_str().is_empty()
    {
        crate::fsutil::create_private_dir(dir)?;
    }
    let file = crate::fsutil::open_lock_file(&lock_path).map_err(|e| Error::io(&lock_path, e))?;
    let until = Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(RunLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&lock_path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bad_files_are_moved_aside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = Utf8PathBuf::from_path_buf(dir.path().join("s/monitor.json")).expect("utf8");
        assert!(matches!(load(&path, 0).expect("load"), Loaded::Fresh(_)));
        let mut s = State::default();
        s.hosts.insert(
            "gw".into(),
            Host {
                failures: 1,
                ..Host::default()
            },
        );
        save(&path, &s).expect("save");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load(&path, 0).expect("load").into_state(), s);

        std::fs::write(&path, "{ not json").expect("write");
        match load(&path, 1_795_255_200_000).expect("load") {
            Loaded::Replaced { moved_to, why, .. } => {
                assert!(why.contains("not a clawauth monitor state"), "{why}");
                assert_eq!(
                    std::fs::read_to_string(&moved_to).expect("kept"),
                    "{ not json"
                );
                assert!(
                    moved_to.as_str().ends_with(".unreadable-20261121T100000Z"),
                    "{moved_to}"
                );
            }
            other => panic!("expected Replaced, got {other:?}"),
        }
        assert!(!path.exists());
    }

    #[test]
    fn the_lock_is_exclusive() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = Utf8PathBuf::from_path_buf(dir.path().join("monitor.json")).expect("utf8");
        let held = lock(&path, Duration::ZERO).expect("lock").expect("free");
        assert!(
            lock(&path, Duration::from_millis(150))
                .expect("lock")
                .is_none()
        );
        drop(held);
        assert!(lock(&path, Duration::ZERO).expect("lock").is_some());
    }
}
