//! Writing OpenClaw 2026.6's legacy `auth-profiles.json` (SPEC §2.3) on the gateway.
//! (Interface placeholder; the implementation lands from the legacy-store work.)

use std::time::Duration;

use crate::gateway::Gateway;
use crate::secrets::Secret;

pub struct ClaudeOauth {
    pub access: Secret,
    pub refresh: Secret,
    pub expires_ms: i64,
}

pub enum Splice {
    Unchanged,
    Changed {
        bytes: zeroize::Zeroizing<Vec<u8>>,
        created_profile: bool,
        created_file: bool,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LegacyError(String);

pub fn splice_claude_cli(
    _original: Option<&[u8]>,
    _cred: &ClaudeOauth,
) -> Result<Splice, LegacyError> {
    Err(LegacyError("not yet".into()))
}

pub fn current_claude_cli_expiry(_original: &[u8]) -> Result<Option<i64>, LegacyError> {
    Err(LegacyError("not yet".into()))
}

pub struct LockPolicy {
    pub retries: u32,
    pub min_delay: Duration,
    pub max_delay: Duration,
    pub stale: Duration,
}

impl Default for LockPolicy {
    fn default() -> Self {
        Self {
            retries: 10,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
            stale: Duration::from_secs(30),
        }
    }
}

pub enum WriteOutcome {
    Unchanged,
    Written {
        created_profile: bool,
        created_file: bool,
        waited_for_lock: Duration,
        reclaimed_stale_lock: bool,
    },
}

pub async fn write<G: Gateway>(
    _gw: &G,
    _path: &str,
    _cred: &ClaudeOauth,
    _policy: &LockPolicy,
) -> Result<WriteOutcome, LegacyError> {
    Err(LegacyError("not yet".into()))
}
