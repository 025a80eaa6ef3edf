//! Writing OpenClaw 2026.6's legacy `auth-profiles.json` (SPEC §2.3) on the gateway.
//!
//! `clawauth sync` copies Claude Code's OAuth login into the profile `anthropic:claude-cli`
//! (`type: "oauth"`, `provider: "claude-cli"`) of `<state>/agents/<agent>/agent/auth-profiles.json`.
//!
//! Two halves:
//! - [`splice_claude_cli`] (`splice.rs`), a pure function: the new file content. A small
//!   validating JSON scanner finds the byte span of that one profile; only that span is rewritten, so every other
//!   profile, unknown field, number spelling and escape stays byte for byte as it was.
//! - [`write`]: reads the file on the gateway, splices, and replaces it in ONE shell script that
//!   follows OpenClaw 2026.6.1's writer protocol (research issue4 §5): the sidecar lock
//!   `<path>.lock` created exclusively with a `{pid, createdAt, starttime}` payload, the same
//!   retries and reclaim rules, a check that the file is still what was read, then a 0600 temp
//!   file in the same directory, fsync, rename, chmod 600, directory fsync (`write.sh`, POSIX
//!   sh, its variables prepended by [`write`]). The new bytes travel
//!   on the script's stdin; the script text (visible in the process list) carries only the path,
//!   a digest, a length and timing values.

use std::fmt;
use std::time::Duration;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::fsutil::hex;
use crate::gateway::{Gateway, GatewayError, Limits, quote, quote_path};
use crate::secrets::Secret;

mod splice;
pub use splice::{current_claude_cli_expiry, splice_claude_cli};

/// The profile clawauth maintains.
pub const PROFILE_ID: &str = "anthropic:claude-cli";
/// Its `type` and `provider`.
const PROFILE_TYPE: &str = "oauth";
const PROFILE_PROVIDER: &str = "claude-cli";
/// The file named in errors of the pure functions (they do not know the path).
const DEFAULT_FILE: &str = "auth-profiles.json";
/// The largest store clawauth reads.
const READ_CAP: usize = 8 * 1024 * 1024;
/// Time allowed for reading the store.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed for the write script beyond its lock waits.
const SCRIPT_SLACK: Duration = Duration::from_secs(30);
/// Reads and writes before giving up when the file keeps changing under us.
const MAX_ATTEMPTS: u32 = 5;
/// OpenClaw rejects `expires` above this (`src/agents/auth-health.ts`).
const MAX_EXPIRES_MS: i64 = 8_640_000_000_000_000;
/// Nesting deeper than this is refused (the scanner is recursive).
const MAX_DEPTH: usize = 256;
/// What a splice may add beyond twice the original and the login (see [`splice_claude_cli`]).
const GROWTH_SLACK: usize = 4096;

/// Claude Code's OAuth login, as written into the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaudeOauth {
    pub access: Secret,
    pub refresh: Secret,
    /// Unix milliseconds.
    pub expires_ms: i64,
}

/// The result of [`splice_claude_cli`].
pub enum Splice {
    /// The profile already holds these values: nothing to write.
    Unchanged,
    /// The new file content.
    Changed {
        bytes: Zeroizing<Vec<u8>>,
        /// `anthropic:claude-cli` did not exist before.
        created_profile: bool,
        /// The file did not exist before.
        created_file: bool,
        /// The bytes of the original that were rewritten: the profile's value, the empty
        /// object it went into, or an empty range where it was added (all of a blank file).
        /// Every byte before and after is in `bytes` as it was.
        replaced: std::ops::Range<usize>,
    },
}

impl fmt::Debug for Splice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unchanged => f.write_str("Unchanged"),
            Self::Changed {
                bytes,
                created_profile,
                created_file,
                replaced,
            } => f
                .debug_struct("Changed")
                .field("bytes", &format_args!("[{} bytes redacted]", bytes.len()))
                .field("created_profile", created_profile)
                .field("created_file", created_file)
                .field("replaced", replaced)
                .finish(),
        }
    }
}

/// How long to wait for OpenClaw's lock (the defaults are 2026.6.1's `AUTH_STORE_LOCK_OPTIONS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockPolicy {
    /// Tries after the first one.
    pub retries: u32,
    /// Delay before the first retry (doubled each time, randomized ×1…2).
    pub min_delay: Duration,
    /// Upper bound of one delay.
    pub max_delay: Duration,
    /// A lock without a pid is reclaimed once its `createdAt` is older than this.
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

impl LockPolicy {
    /// The delays before each retry, like 2026.6.1 (`sidecar-lock`):
    /// `min(max, round(max(min, min·2^n) · (1 + random)))` for n = 0…retries−1.
    fn delays_ms(&self) -> Vec<u64> {
        let min = self.min_delay.as_millis() as f64;
        let max = self.max_delay.as_millis() as f64;
        (0..self.retries)
            .map(|n| {
                let base = (min * 2f64.powi(n.min(60) as i32)).max(min);
                let randomized = (base * (1.0 + rand::random::<f64>())).round();
                randomized.min(max).max(0.0) as u64
            })
            .collect()
    }
}

/// What [`write`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The profile already held these values; the file was not touched.
    Unchanged,
    Written {
        created_profile: bool,
        created_file: bool,
        /// Time spent waiting for another writer's lock.
        waited_for_lock: Duration,
        /// A lock left by a dead process was removed.
        reclaimed_stale_lock: bool,
    },
}

/// Why the store could not be updated. Messages name the file, what is wrong and how to fix it;
/// they never contain a token.
#[derive(Debug, thiserror::Error)]
pub enum LegacyError {
    #[error(
        "{file} is not valid JSON ({detail}); clawauth does not overwrite a file it cannot parse: fix it or move it away, then sync again"
    )]
    Malformed { file: String, detail: String },

    #[error(
        "{file} is not an OpenClaw auth profile store ({detail}); clawauth does not overwrite it: fix it or move it away, then sync again"
    )]
    NotAStore { file: String, detail: String },

    #[error("refusing to write the Claude Code login into {file}: {detail}")]
    InvalidCredential { file: String, detail: String },

    #[error(
        "{path:?} is not a usable path for the auth profile store: it must be absolute or start with ~/"
    )]
    BadPath { path: String },

    #[error(
        "{file} is locked by another writer ({lock} held by process {holder}); gave up after waiting {}s. Retry when OpenClaw is idle; if no OpenClaw process is running, remove {lock}",
        .waited.as_secs()
    )]
    Locked {
        file: String,
        lock: String,
        holder: String,
        waited: Duration,
    },

    #[error(
        "{file} changed {attempts} times while clawauth was updating it; retry when OpenClaw is idle"
    )]
    KeptChanging { file: String, attempts: u32 },

    #[error(
        "cannot check {file} on {gateway}: the gateway has none of sha256sum, shasum or openssl; install coreutils"
    )]
    NoDigestTool { file: String, gateway: String },

    #[error("cannot update {file} on {gateway}: {detail}")]
    Remote {
        file: String,
        gateway: String,
        detail: String,
    },

    #[error("cannot update {file} on {gateway}: {source}")]
    Gateway {
        file: String,
        gateway: String,
        #[source]
        source: GatewayError,
    },
}

impl LegacyError {
    /// The same error naming `path` instead of the generic file name.
    fn in_file(self, path: &str) -> Self {
        let p = path.to_owned();
        match self {
            Self::Malformed { detail, .. } => Self::Malformed { file: p, detail },
            Self::NotAStore { detail, .. } => Self::NotAStore { file: p, detail },
            Self::InvalidCredential { detail, .. } => Self::InvalidCredential { file: p, detail },
            other => other,
        }
    }
}

// ---- writing on the gateway -----------------------------------------------------------------

/// Exit statuses of the write script (73: any other failure, with a message on stderr).
const EXIT_SHORT_INPUT: i32 = 74;
const EXIT_LOCKED: i32 = 75;
const EXIT_CHANGED: i32 = 76;
const EXIT_NO_DIGEST: i32 = 78;

/// The write script after its variable assignments (`p`, `expect`, `len`, `delays`, `stale_s`,
/// `nonce`). POSIX sh (dash, bash, busybox ash). Reads the new file content from stdin only once
/// the lock is held and the file is verified unchanged.
const WRITE_SCRIPT: &str = include_str!("write.sh");

/// The script for one write attempt (no secret in it).
fn write_script(
    path: &str,
    expect: &str,
    len: usize,
    delays_ms: &[u64],
    stale: Duration,
) -> Result<String, GatewayError> {
    let mut nonce = [0u8; 8];
    rand::fill(&mut nonce);
    let delays = delays_ms
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    Ok(format!(
        "p={}\nexpect={}\nlen={}\ndelays={}\nstale_s={}\nnonce={}\n{WRITE_SCRIPT}",
        quote_path(path)?,
        quote(expect)?,
        len,
        quote(&delays)?,
        stale.as_secs(),
        hex(&nonce),
    ))
}

fn valid_path(path: &str) -> bool {
    (path.starts_with('/') || path.starts_with("~/"))
        && !path.ends_with('/')
        && !path.chars().any(char::is_control)
}

/// Reads the store on the gateway and splices in `cred`: what [`write`] would write, for a dry
/// run. Nothing is written and no lock is taken.
pub async fn preview<G: Gateway>(
    gw: &G,
    path: &str,
    cred: &ClaudeOauth,
) -> Result<Splice, LegacyError> {
    if !valid_path(path) {
        return Err(LegacyError::BadPath {
            path: path.to_owned(),
        });
    }
    Ok(read_and_splice(gw, path, cred).await?.1)
}

/// The store's current bytes (`None` when absent) and the splice of `cred` into them.
async fn read_and_splice<G: Gateway>(
    gw: &G,
    path: &str,
    cred: &ClaudeOauth,
) -> Result<(Option<Zeroizing<Vec<u8>>>, Splice), LegacyError> {
    let original = gw
        .read_file(path, READ_CAP, READ_TIMEOUT)
        .await
        .map_err(|source| LegacyError::Gateway {
            file: path.to_owned(),
            gateway: gw.name().to_owned(),
            source,
        })?
        .map(Zeroizing::new);
    let splice = splice_claude_cli(original.as_ref().map(|b| b.as_slice()), cred)
        .map_err(|e| e.in_file(path))?;
    Ok((original, splice))
}

/// Reads the store on the gateway, splices in `cred`, and writes it under OpenClaw 2026.6.1's
/// lock. If the file changed between the read and taking the lock, it is read again (at most
/// five times). `path` is absolute on the gateway or `~/`-relative.
pub async fn write<G: Gateway>(
    gw: &G,
    path: &str,
    cred: &ClaudeOauth,
    policy: &LockPolicy,
) -> Result<WriteOutcome, LegacyError> {
    if !valid_path(path) {
        return Err(LegacyError::BadPath {
            path: path.to_owned(),
        });
    }
    let gateway = gw.name().to_owned();
    let remote = |detail: String| LegacyError::Remote {
        file: path.to_owned(),
        gateway: gateway.clone(),
        detail,
    };
    let via = |source: GatewayError| LegacyError::Gateway {
        file: path.to_owned(),
        gateway: gateway.clone(),
        source,
    };
    for attempt in 1..=MAX_ATTEMPTS {
        let (original, splice) = read_and_splice(gw, path, cred).await?;
        let (bytes, created_profile, created_file) = match splice {
            Splice::Unchanged => {
                tracing::debug!("{path} on {gateway}: {PROFILE_ID} is already up to date");
                return Ok(WriteOutcome::Unchanged);
            }
            Splice::Changed {
                bytes,
                created_profile,
                created_file,
                ..
            } => (bytes, created_profile, created_file),
        };
        let expect = match &original {
            None => "absent".to_owned(),
            Some(b) => hex(&Sha256::digest(b.as_slice())),
        };
        let delays = policy.delays_ms();
        let wait: u64 = delays.iter().sum();
        let script =
            write_script(path, &expect, bytes.len(), &delays, policy.stale).map_err(via)?;
        let limits = Limits::new(Duration::from_millis(wait) + SCRIPT_SLACK, 64 * 1024);
        let out = gw
            .exec_script(&script, Some(&bytes), limits)
            .await
            .map_err(via)?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = crate::redact::last_line(&String::from_utf8_lossy(&out.stderr), 300);
        match out.status {
            Some(0) => {
                let field = |name: &str| {
                    stdout
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix(name))
                        .and_then(|v| v.parse::<u64>().ok())
                };
                let (Some(waited), Some(reclaimed)) = (field("waited_ms="), field("reclaimed="))
                else {
                    return Err(remote(format!(
                        "the write script gave no result (stdout {:?})",
                        crate::redact::last_line(&stdout, 100)
                    )));
                };
                tracing::debug!(
                    "{path} on {gateway}: wrote {PROFILE_ID} (new profile {created_profile}, new file {created_file}, waited {waited} ms for the lock)"
                );
                return Ok(WriteOutcome::Written {
                    created_profile,
                    created_file,
                    waited_for_lock: Duration::from_millis(waited),
                    reclaimed_stale_lock: reclaimed != 0,
                });
            }
            Some(EXIT_CHANGED) => {
                tracing::debug!(
                    "{path} on {gateway}: changed since it was read (attempt {attempt}); reading it again"
                );
                continue;
            }
            Some(EXIT_LOCKED) => {
                let holder = stdout
                    .lines()
                    .find_map(|l| l.strip_prefix("holder="))
                    .map(|h| crate::redact::scrub(h.trim()))
                    .unwrap_or_else(|| "unknown".to_owned());
                return Err(LegacyError::Locked {
                    file: path.to_owned(),
                    lock: format!("{path}.lock"),
                    holder,
                    waited: Duration::from_millis(wait),
                });
            }
            Some(EXIT_NO_DIGEST) => {
                return Err(LegacyError::NoDigestTool {
                    file: path.to_owned(),
                    gateway,
                });
            }
            Some(EXIT_SHORT_INPUT) => {
                return Err(remote(format!(
                    "the new content did not arrive whole ({stderr}); nothing was changed, sync again"
                )));
            }
            Some(code) => {
                return Err(remote(if stderr.is_empty() {
                    format!("the write script failed with exit status {code}")
                } else {
                    stderr
                }));
            }
            None => {
                return Err(remote(format!(
                    "the write script was ended by {}",
                    out.signal.as_deref().unwrap_or("a signal")
                )));
            }
        }
    }
    Err(LegacyError::KeptChanging {
        file: path.to_owned(),
        attempts: MAX_ATTEMPTS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::local::LocalGateway;
    use crate::openclaw::env::Environment;
    use crate::testutil::{mode, tmp};
    use camino::{Utf8Path, Utf8PathBuf};
    use std::os::unix::fs::MetadataExt;

    const ACCESS: &str = "sk-ant-oat01-FAKE-new-access-0123456789abcdef0123456789abcdef";
    const REFRESH: &str = "sk-ant-ort01-FAKE-new-refresh-0123456789abcdef0123456789abcdef";
    const EXPIRES: i64 = 1_795_292_311_069;

    fn cred() -> ClaudeOauth {
        ClaudeOauth {
            access: Secret::new(ACCESS),
            refresh: Secret::new(REFRESH),
            expires_ms: EXPIRES,
        }
    }

    fn changed(original: Option<&[u8]>) -> (String, bool, bool) {
        match splice_claude_cli(original, &cred()).expect("splice") {
            Splice::Changed {
                bytes,
                created_profile,
                created_file,
                ..
            } => (
                String::from_utf8(bytes.to_vec()).expect("utf8"),
                created_profile,
                created_file,
            ),
            Splice::Unchanged => panic!("unexpectedly unchanged"),
        }
    }

    /// The entry as serde_json sees it in `doc`.
    fn entry(doc: &str) -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_str(doc).expect("result is JSON");
        v["profiles"][PROFILE_ID].clone()
    }

    fn assert_ours(e: &serde_json::Value) {
        assert_eq!(e["type"], "oauth");
        assert_eq!(e["provider"], "claude-cli");
        assert_eq!(e["access"], ACCESS);
        assert_eq!(e["refresh"], REFRESH);
        assert_eq!(e["expires"], EXPIRES);
    }

    /// `before + old entry + after` in, `before + new entry + after` out: bytes outside the
    /// entry identical; the new entry is exactly `want_entry`.
    fn assert_splice(before: &str, old: &str, after: &str, want_entry: &str) {
        let input = format!("{before}{old}{after}");
        let (out, created_profile, created_file) = changed(Some(input.as_bytes()));
        assert!(!created_profile && !created_file);
        assert!(out.starts_with(before), "prefix kept:\n{out}");
        assert!(out.ends_with(after), "suffix kept:\n{out}");
        let mid = &out[before.len()..out.len() - after.len()];
        assert_eq!(mid, want_entry, "entry:\n{out}");
        assert_ours(&entry(&out));
    }

    #[test]
    fn replaces_the_entry_in_openclaws_own_format() {
        let before = "{\n  \"version\": 1,\n  \"profiles\": {\n    \"anthropic:manual\": {\n      \"type\": \"token\",\n      \"provider\": \"anthropic\",\n      \"token\": \"sk-ant-oat01-FAKE-a-xxxx\",\n      \"expires\": 1826810297892\n    },\n    \"anthropic:claude-cli\": ";
        let old = "{\n      \"type\": \"oauth\",\n      \"provider\": \"claude-cli\",\n      \"access\": \"old-a\",\n      \"refresh\": \"old-r\",\n      \"expires\": 1700000000000,\n      \"email\": \"caf\\u00e9@example.com\"\n    }";
        let after = ",\n    \"openai:manual\": {\n      \"type\": \"api_key\",\n      \"provider\": \"openai\",\n      \"key\": \"sk-openai-FAKE\"\n    }\n  },\n  \"usageStats\": {\"openai:manual\": {\"lastUsed\": 1e3, \"errorCount\": 0}},\n  \"lastGood\": {\"anthropic\": \"anthropic:manual\"},\n  \"order\": {\"anthropic\": [\"anthropic:claude-cli\"]}\n}\n";
        let want = format!(
            "{{\n      \"type\": \"oauth\",\n      \"provider\": \"claude-cli\",\n      \"access\": \"{ACCESS}\",\n      \"refresh\": \"{REFRESH}\",\n      \"expires\": {EXPIRES},\n      \"email\": \"caf\\u00e9@example.com\"\n    }}"
        );
        assert_splice(before, old, after, &want);
    }

    #[test]
    fn four_spaces_are_matched() {
        let before =
            "{\n    \"version\": 1,\n    \"profiles\": {\n        \"anthropic:claude-cli\": ";
        let old = "{\"type\": \"token\", \"provider\": \"anthropic\", \"scopes\": [\"a\", {\"b\": 1E+2}], \"x\": {}}";
        let after = "\n    }\n}";
        let want = format!(
            "{{\n            \"type\": \"oauth\",\n            \"provider\": \"claude-cli\",\n            \"scopes\": [\n                \"a\",\n                {{\n                    \"b\": 1E+2\n                }}\n            ],\n            \"x\": {{}},\n            \"access\": \"{ACCESS}\",\n            \"refresh\": \"{REFRESH}\",\n            \"expires\": {EXPIRES}\n        }}"
        );
        assert_splice(before, old, after, &want);
    }

    #[test]
    fn one_line_documents_stay_one_line() {
        let before = r#"{"version":1,"profiles":{"a:b":{"type":"api_key","provider":"a","key":"k\u00e9y","n":-0.5e-3},"anthropic:claude-cli":"#;
        let old =
            r#"{"type":"oauth","provider":"claude-cli","access":"x","refresh":"y","expires":1}"#;
        let after = r#"},"usageStats":{"a:b":{"lastUsed":1e3}}}"#;
        let want = format!(
            r#"{{"type":"oauth","provider":"claude-cli","access":"{ACCESS}","refresh":"{REFRESH}","expires":{EXPIRES}}}"#
        );
        assert_splice(before, old, after, &want);
        // Python's json.dumps style: ", " and ": ".
        let before = r#"{"version": 1, "profiles": {"anthropic:claude-cli": "#;
        let old = r#"{"type": "oauth", "expires": 5}"#;
        let after = r#"}, "order": {}}"#;
        let want = format!(
            r#"{{"type": "oauth", "expires": {EXPIRES}, "provider": "claude-cli", "access": "{ACCESS}", "refresh": "{REFRESH}"}}"#
        );
        assert_splice(before, old, after, &want);
    }

    #[test]
    fn crlf_and_tabs_are_matched() {
        let before =
            "{\r\n\t\"version\": 1,\r\n\t\"profiles\": {\r\n\t\t\"anthropic:claude-cli\": ";
        let old = "{\"type\": \"oauth\"}";
        let after = "\r\n\t}\r\n}\r\n";
        let want = format!(
            "{{\r\n\t\t\t\"type\": \"oauth\",\r\n\t\t\t\"provider\": \"claude-cli\",\r\n\t\t\t\"access\": \"{ACCESS}\",\r\n\t\t\t\"refresh\": \"{REFRESH}\",\r\n\t\t\t\"expires\": {EXPIRES}\r\n\t\t}}"
        );
        assert_splice(before, old, after, &want);
    }

    #[test]
    fn tokens_are_escaped_like_json_stringify() {
        let c = ClaudeOauth {
            access: Secret::new("a\"b\\c\u{1}\n"),
            refresh: Secret::new("é"),
            expires_ms: 5,
        };
        let Splice::Changed { bytes, .. } = splice_claude_cli(None, &c).expect("splice") else {
            panic!("changed")
        };
        let text = std::str::from_utf8(&bytes).expect("utf8");
        assert!(text.contains(r#""access": "a\"b\\c\u0001\n""#), "{text}");
        assert!(text.contains("\"refresh\": \"é\""), "{text}");
        let v: serde_json::Value = serde_json::from_str(text).expect("json");
        assert_eq!(v["profiles"][PROFILE_ID]["access"], "a\"b\\c\u{1}\n");
    }

    #[test]
    fn a_missing_profile_is_added_at_the_end() {
        let head = "{\n  \"version\": 1,\n  \"profiles\": {\n    \"anthropic:manual\": {\n      \"type\": \"token\",\n      \"provider\": \"anthropic\",\n      \"token\": \"t\\u00e9\"\n    }";
        let tail = "\n  },\n  \"lastGood\": {}\n}\n";
        let (out, created_profile, created_file) =
            changed(Some(format!("{head}{tail}").as_bytes()));
        assert!(created_profile && !created_file);
        let want = format!(
            "{head},\n    \"anthropic:claude-cli\": {{\n      \"type\": \"oauth\",\n      \"provider\": \"claude-cli\",\n      \"access\": \"{ACCESS}\",\n      \"refresh\": \"{REFRESH}\",\n      \"expires\": {EXPIRES}\n    }}{tail}"
        );
        assert_eq!(out, want);

        // Empty profiles object, and no profiles at all.
        let (out, created_profile, _) =
            changed(Some(b"{\n  \"version\": 1,\n  \"profiles\": {}\n}\n"));
        assert!(created_profile);
        assert!(
            out.starts_with("{\n  \"version\": 1,\n  \"profiles\": {\n    \"anthropic:claude-cli\": {\n      \"type\": \"oauth\",")
                && out.ends_with("\n    }\n  }\n}\n"),
            "{out}"
        );
        let (out, created_profile, _) = changed(Some(b"{\"version\":1,\"x\":[1,2]}"));
        assert!(created_profile);
        assert!(out.starts_with("{\"version\":1,\"x\":[1,2],\"profiles\":{\"anthropic:claude-cli\":{\"type\":\"oauth\""), "{out}");
        assert_ours(&entry(&out));
    }

    #[test]
    fn absent_or_empty_files_become_a_new_store() {
        let want = format!(
            "{{\n  \"version\": 1,\n  \"profiles\": {{\n    \"anthropic:claude-cli\": {{\n      \"type\": \"oauth\",\n      \"provider\": \"claude-cli\",\n      \"access\": \"{ACCESS}\",\n      \"refresh\": \"{REFRESH}\",\n      \"expires\": {EXPIRES}\n    }}\n  }}\n}}\n"
        );
        assert_eq!(changed(None), (want.clone(), true, true));
        assert_eq!(changed(Some(b"")), (want.clone(), true, false));
        assert_eq!(changed(Some(b" \n")), (want.clone(), true, false));
        // `{}` carries nothing; its surroundings stay.
        assert_eq!(changed(Some(b"{}\n")).0, want);
    }

    #[test]
    fn equal_values_are_unchanged() {
        let (out, ..) = changed(None);
        assert!(matches!(
            splice_claude_cli(Some(out.as_bytes()), &cred()).expect("splice"),
            Splice::Unchanged
        ));
        // Same values spelled differently (escapes, exponent) are still equal.
        let doc = format!(
            r#"{{"profiles":{{"anthropic:claude-cli":{{"type":"oauth","provider":"claude\u002dcli","access":"{ACCESS}","refresh":"{REFRESH}","expires":1.795292311069e12}}}}}}"#
        );
        assert!(matches!(
            splice_claude_cli(Some(doc.as_bytes()), &cred()).expect("splice"),
            Splice::Unchanged
        ));
        // A different type is not: it gets fixed.
        let doc = doc.replace(r#""type":"oauth""#, r#""type":"token""#);
        assert!(matches!(
            splice_claude_cli(Some(doc.as_bytes()), &cred()).expect("splice"),
            Splice::Changed { .. }
        ));
    }

    #[test]
    fn malformed_documents_are_refused_without_echoing_them() {
        let secret = "sk-ant-oat01-FAKE-leak-0123456789abcdef0123456789";
        let cases = [
            format!("{{\"profiles\": {{\"a\": \"{secret}\"}}"),
            format!("{{\"profiles\": {{\"a\": \"{secret}\",}}}}"),
            format!("{{\"profiles\": {{\"a\": '{secret}'}}}}"),
            format!("{{\"profiles\": {{\"a\": \"{secret}\"}}}} x"),
            format!("{{\"profiles\": {{\"a\": \"{secret}\\x\"}}}}"),
            format!("{{\"profiles\": {{\"a\": 01}}, \"b\": \"{secret}\"}}"),
            "\u{feff}{}".to_owned(),
            "{\"a\": \"\u{1}\"}".to_owned(),
            "[".repeat(1000),
        ];
        for c in &cases {
            let err = splice_claude_cli(Some(c.as_bytes()), &cred()).expect_err(c);
            let msg = err.to_string();
            assert!(matches!(err, LegacyError::Malformed { .. }), "{msg}");
            assert!(!msg.contains(secret) && !msg.contains("FAKE"), "{msg}");
            assert!(
                msg.contains("auth-profiles.json") && msg.contains("line"),
                "{msg}"
            );
        }
        assert!(splice_claude_cli(Some(&[0xff, b'{', b'}']), &cred()).is_err());
        for (doc, what) in [
            ("[]", "not an object"),
            ("{\"profiles\": []}", "\"profiles\" is an array"),
            (
                "{\"profiles\": {\"anthropic:claude-cli\": \"x\"}}",
                "is a string",
            ),
        ] {
            let err = splice_claude_cli(Some(doc.as_bytes()), &cred()).expect_err(doc);
            assert!(matches!(err, LegacyError::NotAStore { .. }), "{err}");
            assert!(err.to_string().contains(what), "{err}");
        }
        let bad = ClaudeOauth {
            expires_ms: 0,
            ..cred()
        };
        assert!(splice_claude_cli(None, &bad).is_err());
    }

    /// Issue 16: re-indenting the profile for the document's layout multiplied it: a long
    /// indentation unit times deep nesting inside the profile (or a long separator times many
    /// members in a one-line document) made a 9 KB store hundreds of megabytes. Such a layout
    /// now gets the profile on one line, and the splice still round-trips.
    #[test]
    fn odd_layouts_do_not_blow_the_file_up() {
        let deep = format!(
            "{{\"version\": 1,\n{}\"profiles\": {{\"anthropic:claude-cli\": {{\"x\": {}0{}}}}}}}\n",
            " ".repeat(4000),
            "[".repeat(100),
            "]".repeat(100)
        );
        let wide = format!(
            "{{\"version\":1,{}\"profiles\":{{\"anthropic:claude-cli\":{{{}\"type\":\"x\"}}}}}}",
            " ".repeat(10_000),
            "\"k\":0,".repeat(2000)
        );
        for doc in [deep, wide] {
            let (out, created_profile, _) = changed(Some(doc.as_bytes()));
            assert!(!created_profile);
            assert!(
                out.len() <= 2 * doc.len() + 6 * (ACCESS.len() + REFRESH.len()) + GROWTH_SLACK,
                "{} bytes from {}",
                out.len(),
                doc.len()
            );
            let e = entry(&out);
            assert_ours(&e);
            let before: serde_json::Value = serde_json::from_str(&doc).expect("json");
            for (k, v) in before["profiles"][PROFILE_ID].as_object().expect("entry") {
                if k != "type" {
                    assert_eq!(&e[k], v, "{k}");
                }
            }
            assert!(matches!(
                splice_claude_cli(Some(out.as_bytes()), &cred()).expect("again"),
                Splice::Unchanged
            ));
        }
    }

    #[test]
    fn current_expiry_is_read() {
        let (out, ..) = changed(None);
        assert_eq!(
            current_claude_cli_expiry(out.as_bytes()).expect("read"),
            Some(EXPIRES)
        );
        assert_eq!(current_claude_cli_expiry(b"").expect("read"), None);
        assert_eq!(
            current_claude_cli_expiry(b"{\"version\":1,\"profiles\":{}}").expect("read"),
            None
        );
        assert_eq!(
            current_claude_cli_expiry(
                br#"{"profiles":{"anthropic:claude-cli":{"expires":"soon"}}}"#
            )
            .expect("read"),
            None
        );
        assert!(current_claude_cli_expiry(b"{").is_err());
        // Issue 16: an expiry that cannot be a time was clamped to i64::MAX (or 0); it is
        // none, as OpenClaw reads it.
        for bad in ["1e300", "-5", "0", "8640000000000001", "-1e300"] {
            let doc = format!(r#"{{"profiles":{{"anthropic:claude-cli":{{"expires":{bad}}}}}}}"#);
            assert_eq!(
                current_claude_cli_expiry(doc.as_bytes()).expect(bad),
                None,
                "{bad}"
            );
        }
        let doc = br#"{"profiles":{"anthropic:claude-cli":{"expires":8640000000000000}}}"#;
        assert_eq!(
            current_claude_cli_expiry(doc).expect("max"),
            Some(MAX_EXPIRES_MS)
        );
    }

    #[test]
    fn default_policy_matches_openclaw() {
        let p = LockPolicy::default();
        assert_eq!(p.retries, 10);
        assert_eq!(p.min_delay, Duration::from_millis(100));
        assert_eq!(p.max_delay, Duration::from_secs(10));
        assert_eq!(p.stale, Duration::from_secs(30));
        for _ in 0..20 {
            let d = p.delays_ms();
            assert_eq!(d.len(), 10);
            assert!((100..=200).contains(&d[0]), "{d:?}");
            assert!((3200..=6400).contains(&d[5]), "{d:?}");
            assert_eq!(d[7..], [10_000, 10_000, 10_000]);
            let total: u64 = d.iter().sum();
            assert!((43_000..=53_000).contains(&total), "{total}");
        }
    }

    // ---- on a (local) gateway ----------------------------------------------------------------

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    fn gw(home: &Utf8Path) -> LocalGateway {
        LocalGateway::new(
            "here",
            Environment::empty()
                .with("PATH", "/usr/bin:/bin")
                .with("HOME", home.as_str()),
        )
    }

    fn quick() -> LockPolicy {
        LockPolicy {
            retries: 3,
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(60),
            stale: Duration::from_secs(30),
        }
    }

    fn store(home: &Utf8Path) -> Utf8PathBuf {
        home.join(".openclaw/agents/main/agent/auth-profiles.json")
    }

    const OPENCLAW_STORE: &str = "{\n  \"version\": 1,\n  \"profiles\": {\n    \"anthropic:manual\": {\n      \"type\": \"token\",\n      \"provider\": \"anthropic\",\n      \"token\": \"sk-ant-oat01-FAKE-a-xxxx\",\n      \"expires\": 1826810297892\n    }\n  }\n}\n";

    fn put(path: &Utf8Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    fn write_here(
        home: &Utf8Path,
        path: &str,
        policy: &LockPolicy,
    ) -> Result<WriteOutcome, LegacyError> {
        rt().block_on(write(&gw(home), path, &cred(), policy))
    }

    fn dir_entries(dir: &Utf8Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("readdir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Field 22 of /proc/PID/stat.
    fn starttime(pid: u32) -> String {
        let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
        let rest = &s[s.rfind(')').expect(")") + 2..];
        rest.split_whitespace()
            .nth(19)
            .expect("field 22")
            .to_owned()
    }

    struct Sleeper(std::process::Child);
    impl Sleeper {
        fn start() -> Self {
            Sleeper(
                std::process::Command::new("sleep")
                    .arg("30")
                    .spawn()
                    .expect("sleep"),
            )
        }
        fn pid(&self) -> u32 {
            self.0.id()
        }
    }
    impl Drop for Sleeper {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn lock_json(pid: impl fmt::Display, starttime: Option<&str>) -> String {
        match starttime {
            Some(st) => format!(
                "{{\n  \"pid\": {pid},\n  \"createdAt\": \"2026-01-01T00:00:00.000Z\",\n  \"starttime\": {st}\n}}\n"
            ),
            None => format!(
                "{{\n  \"pid\": {pid},\n  \"createdAt\": \"2026-01-01T00:00:00.000Z\"\n}}\n"
            ),
        }
    }

    #[test]
    fn creates_the_file_and_its_directories_privately() {
        let (_t, home) = tmp();
        let path = store(&home);
        let out = write_here(&home, path.as_str(), &quick()).expect("write");
        assert_eq!(
            out,
            WriteOutcome::Written {
                created_profile: true,
                created_file: true,
                waited_for_lock: Duration::ZERO,
                reclaimed_stale_lock: false
            }
        );
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            changed(None).0
        );
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&home.join(".openclaw")), 0o700);
        assert_eq!(mode(&home.join(".openclaw/agents/main/agent")), 0o700);
        assert_eq!(
            dir_entries(path.parent().expect("dir")),
            ["auth-profiles.json"]
        );
    }

    #[test]
    fn updates_in_place_with_a_home_relative_path() {
        let (_t, home) = tmp();
        let path = store(&home);
        put(&path, OPENCLAW_STORE);
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .expect("chmod");
        let out = write_here(
            &home,
            "~/.openclaw/agents/main/agent/auth-profiles.json",
            &quick(),
        )
        .expect("write");
        assert!(matches!(
            out,
            WriteOutcome::Written {
                created_profile: true,
                created_file: false,
                ..
            }
        ));
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, changed(Some(OPENCLAW_STORE.as_bytes())).0);
        assert!(text.starts_with(OPENCLAW_STORE.trim_end_matches("\n  }\n}\n")));
        assert_eq!(mode(&path), 0o600);
        // No temp file, no lock left behind.
        assert_eq!(
            dir_entries(path.parent().expect("dir")),
            ["auth-profiles.json"]
        );
    }

    #[test]
    fn unchanged_values_are_not_written() {
        let (_t, home) = tmp();
        let path = store(&home);
        put(&path, &changed(None).0);
        let before = std::fs::metadata(&path).expect("meta");
        std::thread::sleep(Duration::from_millis(20));
        let out = write_here(&home, path.as_str(), &quick()).expect("write");
        assert_eq!(out, WriteOutcome::Unchanged);
        let after = std::fs::metadata(&path).expect("meta");
        assert_eq!(before.ino(), after.ino());
        assert_eq!(before.mtime_nsec(), after.mtime_nsec());
        assert_eq!(before.mtime(), after.mtime());
    }

    #[test]
    fn malformed_files_are_left_alone() {
        let (_t, home) = tmp();
        let path = store(&home);
        let bad = "{\"version\": 1, \"profiles\": {\"x\": \"sk-ant-oat01-FAKE-zzzzzzzzzzzz\",}}\n";
        put(&path, bad);
        let err = write_here(&home, path.as_str(), &quick()).expect_err("malformed");
        let msg = err.to_string();
        assert!(matches!(err, LegacyError::Malformed { .. }), "{msg}");
        assert!(
            msg.contains(path.as_str()) && !msg.contains("FAKE"),
            "{msg}"
        );
        assert_eq!(std::fs::read_to_string(&path).expect("read"), bad);
        assert_eq!(
            dir_entries(path.parent().expect("dir")),
            ["auth-profiles.json"]
        );
        let err = write_here(&home, "relative/auth-profiles.json", &quick()).expect_err("path");
        assert!(matches!(err, LegacyError::BadPath { .. }));
    }

    #[test]
    fn a_symlinked_store_writes_the_target() {
        let (_t, home) = tmp();
        let real = home.join("elsewhere/real.json");
        put(&real, OPENCLAW_STORE);
        let path = store(&home);
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::os::unix::fs::symlink("../../../../elsewhere/real.json", &path).expect("symlink");
        write_here(&home, path.as_str(), &quick()).expect("write");
        assert!(
            std::fs::symlink_metadata(&path)
                .expect("lstat")
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            std::fs::read_to_string(&real).expect("read"),
            changed(Some(OPENCLAW_STORE.as_bytes())).0
        );
        assert_eq!(mode(&real), 0o600);
        assert_eq!(dir_entries(&home.join("elsewhere")), ["real.json"]);
    }

    #[test]
    fn a_live_lock_is_waited_for_and_never_broken() {
        let (_t, home) = tmp();
        let path = store(&home);
        put(&path, OPENCLAW_STORE);
        let lock = Utf8PathBuf::from(format!("{path}.lock"));
        let holder = Sleeper::start();
        // With the holder's real start time, and without one.
        for st in [Some(starttime(holder.pid())), None] {
            let payload = lock_json(holder.pid(), st.as_deref());
            std::fs::write(&lock, &payload).expect("lock");
            let err = write_here(&home, path.as_str(), &quick()).expect_err("locked");
            let msg = err.to_string();
            assert!(matches!(err, LegacyError::Locked { .. }), "{msg}");
            assert!(msg.contains(&holder.pid().to_string()), "{msg}");
            assert_eq!(std::fs::read_to_string(&lock).expect("lock"), payload);
            assert_eq!(
                std::fs::read_to_string(&path).expect("store"),
                OPENCLAW_STORE
            );
        }
        // Released after a second: the write goes through.
        let l = lock.clone();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1000));
            std::fs::remove_file(l).expect("release");
        });
        let policy = LockPolicy {
            retries: 10,
            min_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(300),
            stale: Duration::from_secs(30),
        };
        let out = write_here(&home, path.as_str(), &policy).expect("write");
        releaser.join().expect("join");
        let WriteOutcome::Written {
            waited_for_lock,
            reclaimed_stale_lock,
            ..
        } = out
        else {
            panic!("{out:?}")
        };
        // It waited (at least one retry delay); how long depends on how busy the machine is.
        assert!(waited_for_lock >= policy.min_delay, "{waited_for_lock:?}");
        assert!(!reclaimed_stale_lock);
        assert!(!lock.exists());
        assert_ours(&entry(&std::fs::read_to_string(&path).expect("read")));
    }

    #[test]
    fn dead_or_reused_pids_are_reclaimed() {
        let (_t, home) = tmp();
        let path = store(&home);
        let lock = Utf8PathBuf::from(format!("{path}.lock"));
        let mut dead = std::process::Command::new("true").spawn().expect("true");
        let dead_pid = dead.id();
        dead.wait().expect("wait");
        let live = Sleeper::start();
        let other_start = (starttime(live.pid()).parse::<u64>().expect("n") + 12_345).to_string();
        let old_no_pid = "{\n  \"createdAt\": \"2020-01-01T00:00:00.000Z\"\n}\n".to_owned();
        for payload in [
            lock_json(dead_pid, None),
            lock_json(live.pid(), Some(&other_start)),
            old_no_pid,
        ] {
            put(&path, OPENCLAW_STORE);
            std::fs::write(&lock, &payload).expect("lock");
            let out = write_here(&home, path.as_str(), &quick()).expect(&payload);
            assert!(
                matches!(
                    out,
                    WriteOutcome::Written {
                        reclaimed_stale_lock: true,
                        ..
                    }
                ),
                "{payload}: {out:?}"
            );
            assert!(!lock.exists(), "{payload}");
            assert_ours(&entry(&std::fs::read_to_string(&path).expect("read")));
        }
    }

    #[test]
    fn unreadable_or_fresh_pidless_locks_are_never_reclaimed() {
        let (_t, home) = tmp();
        let path = store(&home);
        let lock = Utf8PathBuf::from(format!("{path}.lock"));
        let fresh = format!(
            "{{\"createdAt\": \"{}\"}}\n",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ")
        );
        for payload in [
            "garbage\n".to_owned(),
            String::new(),
            "{\"pid\": \"123\", \"createdAt\": \"2020-01-01T00:00:00.000Z\"}".to_owned(),
            "{}".to_owned(),
            fresh,
        ] {
            put(&path, OPENCLAW_STORE);
            std::fs::write(&lock, &payload).expect("lock");
            let err = write_here(&home, path.as_str(), &quick()).expect_err(&payload);
            assert!(
                matches!(err, LegacyError::Locked { .. }),
                "{payload:?}: {err}"
            );
            assert_eq!(std::fs::read_to_string(&lock).expect("lock"), payload);
            assert_eq!(
                std::fs::read_to_string(&path).expect("store"),
                OPENCLAW_STORE
            );
        }
        // A proper-lockfile lock directory is respected too.
        std::fs::remove_file(&lock).expect("rm");
        std::fs::create_dir(&lock).expect("mkdir");
        let err = write_here(&home, path.as_str(), &quick()).expect_err("dir lock");
        assert!(matches!(err, LegacyError::Locked { .. }), "{err}");
        assert_eq!(dir_entries(&lock), Vec::<String>::new());
    }

    /// A gateway on which another writer changes the store right before each of our writes.
    struct Meddling {
        inner: LocalGateway,
        path: Utf8PathBuf,
        times: std::sync::atomic::AtomicU32,
        scripts: std::sync::Mutex<Vec<String>>,
    }

    impl Gateway for Meddling {
        type Pty = <LocalGateway as Gateway>::Pty;
        fn name(&self) -> &str {
            self.inner.name()
        }
        async fn exec(
            &self,
            cmd: &crate::gateway::Command,
            stdin: Option<&[u8]>,
            limits: Limits,
        ) -> Result<crate::gateway::Output, GatewayError> {
            self.inner.exec(cmd, stdin, limits).await
        }
        async fn exec_script(
            &self,
            script: &str,
            stdin: Option<&[u8]>,
            limits: Limits,
        ) -> Result<crate::gateway::Output, GatewayError> {
            self.scripts.lock().expect("lock").push(script.to_owned());
            if script.contains("mkpayload")
                && self
                    .times
                    .fetch_update(
                        std::sync::atomic::Ordering::SeqCst,
                        std::sync::atomic::Ordering::SeqCst,
                        |n| n.checked_sub(1),
                    )
                    .is_ok()
            {
                let text = std::fs::read_to_string(&self.path).expect("read");
                // A different value, and one more trailing space each time.
                let text = format!("{} ", text.replace("1826810297892", "1826810297893"));
                std::fs::write(&self.path, text).expect("meddle");
            }
            self.inner.exec_script(script, stdin, limits).await
        }
        async fn open_pty(
            &self,
            cmd: &crate::gateway::Command,
            size: crate::gateway::PtySize,
        ) -> Result<Self::Pty, GatewayError> {
            self.inner.open_pty(cmd, size).await
        }
        async fn forward(
            &self,
            host: &str,
            port: u16,
        ) -> Result<Box<dyn crate::gateway::Stream>, GatewayError> {
            self.inner.forward(host, port).await
        }
    }

    #[test]
    fn a_change_between_read_and_write_is_detected_and_retried() {
        let (_t, home) = tmp();
        let path = store(&home);
        put(&path, OPENCLAW_STORE);
        let m = Meddling {
            inner: gw(&home),
            path: path.clone(),
            times: 2.into(),
            scripts: Default::default(),
        };
        let out = rt()
            .block_on(write(&m, path.as_str(), &cred(), &quick()))
            .expect("write");
        assert!(matches!(out, WriteOutcome::Written { .. }), "{out:?}");
        let text = std::fs::read_to_string(&path).expect("read");
        // The other writer's change survived; ours is in.
        assert!(
            text.contains("1826810297893") && text.ends_with("}\n  "),
            "{text:?}"
        );
        assert_ours(&entry(&text));
        let scripts = m.scripts.lock().expect("lock").clone();
        assert_eq!(scripts.len(), 6, "3 reads and 3 writes");
        for s in &scripts {
            assert!(!s.contains(ACCESS) && !s.contains(REFRESH) && !s.contains("FAKE"));
        }
        // Changed every time: a bounded number of tries, then an error.
        let m = Meddling {
            inner: gw(&home),
            path: path.clone(),
            times: 100.into(),
            scripts: Default::default(),
        };
        let c2 = ClaudeOauth {
            expires_ms: EXPIRES + 1,
            ..cred()
        };
        let err = rt()
            .block_on(write(&m, path.as_str(), &c2, &quick()))
            .expect_err("keeps changing");
        assert!(matches!(err, LegacyError::KeptChanging { .. }), "{err}");
        assert!(!Utf8PathBuf::from(format!("{path}.lock")).exists());
        assert_eq!(
            dir_entries(path.parent().expect("dir")),
            ["auth-profiles.json"]
        );
    }
}
