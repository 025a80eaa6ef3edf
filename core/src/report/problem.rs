//! What stopped a check or an action, as data a front end can act on: the widget shows a
//! fingerprint comparison for a changed host key, the CLI prints a command, a notification
//! offers a button. Each variant holds facts only (names, fingerprints, paths, the phase that
//! timed out) — never a secret, never a front end's command or flag.

use serde::{Deserialize, Serialize};

/// Which part of a check ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// TCP connect and the SSH key exchange (the connect timeout).
    Connect,
    /// A command on the gateway (the probe, clawauth or the OpenClaw CLI there).
    Command,
    /// The whole check or action (its deadline).
    Deadline,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Command => "command",
            Self::Deadline => "deadline",
        }
    }
}

/// A structured problem (see the module doc). `kind` names the variant in the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// The gateway offered a host key that known_hosts does not list.
    HostKeyUnknown {
        host: String,
        key_type: String,
        /// `SHA256:…` of the offered key.
        fingerprint: String,
    },
    /// The gateway offered a key that differs from the stored one: possibly an attack.
    HostKeyChanged {
        host: String,
        /// `SHA256:…` of the stored key.
        stored: String,
        /// `SHA256:…` of the offered key.
        offered: String,
        /// The known_hosts file and line holding the stored key.
        known_hosts: String,
        line: u64,
    },
    /// The offered host key is marked `@revoked`.
    HostKeyRevoked { host: String, fingerprint: String },
    /// No SSH key to offer.
    NoKey { user: String, host: String },
    /// The keys are encrypted and no passphrase was stored or typed.
    KeyNeedsPassphrase { keys: Vec<String> },
    /// The gateway refused every key offered.
    KeysRefused {
        user: String,
        host: String,
        /// The keys offered (`~/.ssh/id_ed25519.pub`, `platform key SHA256:…`).
        offered: Vec<String>,
    },
    /// The gateway's name does not resolve.
    CannotResolve { host: String, reason: String },
    /// The gateway's address refused or dropped the connection, or the handshake failed.
    CannotConnect { address: String, reason: String },
    /// Something took longer than allowed.
    TimedOut { phase: Phase, after_ms: u64 },
    /// A command on the gateway failed (no usable answer from any source there).
    GatewayCommandFailed { reason: String },
    /// OpenClaw's state could not be read (the file, and why).
    StateUnreadable { path: String, reason: String },
    /// Only the OpenClaw CLI could decide, and it is not there or did not answer.
    NeedsOpenclawCli { reason: String },
    /// A setting or argument was refused before anything ran.
    InvalidInput { reason: String },
    /// Anything else, in words.
    Other { reason: String },
}

impl Problem {
    /// `phase` ran out of `after`.
    pub fn timed_out(phase: Phase, after: std::time::Duration) -> Self {
        Self::TimedOut {
            phase,
            after_ms: u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// The variant's name as in the JSON (`host_key_changed`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::HostKeyUnknown { .. } => "host_key_unknown",
            Self::HostKeyChanged { .. } => "host_key_changed",
            Self::HostKeyRevoked { .. } => "host_key_revoked",
            Self::NoKey { .. } => "no_key",
            Self::KeyNeedsPassphrase { .. } => "key_needs_passphrase",
            Self::KeysRefused { .. } => "keys_refused",
            Self::CannotResolve { .. } => "cannot_resolve",
            Self::CannotConnect { .. } => "cannot_connect",
            Self::TimedOut { .. } => "timed_out",
            Self::GatewayCommandFailed { .. } => "gateway_command_failed",
            Self::StateUnreadable { .. } => "state_unreadable",
            Self::NeedsOpenclawCli { .. } => "needs_openclaw_cli",
            Self::InvalidInput { .. } => "invalid_input",
            Self::Other { .. } => "other",
        }
    }

    /// One sentence of facts, for any front end (no commands, no flags). Outside text in it
    /// is made [`crate::display::visible`].
    pub fn describe(&self) -> String {
        use crate::display::visible as v;
        match self {
            Self::HostKeyUnknown {
                host,
                key_type,
                fingerprint,
            } => format!(
                "{} offered a host key that is not trusted yet: {} {}",
                v(host),
                v(key_type),
                v(fingerprint)
            ),
            Self::HostKeyChanged {
                host,
                stored,
                offered,
                ..
            } => format!(
                "the host key of {} has changed (stored {}, offered {}): someone may be intercepting the connection, or the gateway was reinstalled",
                v(host),
                v(stored),
                v(offered)
            ),
            Self::HostKeyRevoked { host, fingerprint } => format!(
                "the host key of {} ({}) is marked revoked",
                v(host),
                v(fingerprint)
            ),
            Self::NoKey { user, host } => {
                format!("no SSH key to offer {}@{}", v(user), v(host))
            }
            Self::KeyNeedsPassphrase { keys } => format!(
                "{} is encrypted and no passphrase is stored for it",
                v(&keys.join(", "))
            ),
            Self::KeysRefused {
                user,
                host,
                offered,
            } => format!(
                "{}@{} refused every key offered ({})",
                v(user),
                v(host),
                v(&offered.join(", "))
            ),
            Self::CannotResolve { host, reason } => {
                format!("cannot resolve {}: {}", v(host), v(reason))
            }
            Self::CannotConnect { address, reason } => {
                format!("cannot connect to {}: {}", v(address), v(reason))
            }
            Self::TimedOut { phase, after_ms } => {
                let after = if after_ms % 1000 == 0 {
                    format!("{}s", after_ms / 1000)
                } else {
                    format!("{:.1}s", *after_ms as f64 / 1000.0)
                };
                match phase {
                    Phase::Connect => format!("no answer within {after} (connect timeout)"),
                    Phase::Command => format!("a command on the gateway took more than {after}"),
                    Phase::Deadline => format!("the check did not finish within {after}"),
                }
            }
            Self::GatewayCommandFailed { reason }
            | Self::NeedsOpenclawCli { reason }
            | Self::InvalidInput { reason }
            | Self::Other { reason } => v(reason).into_owned(),
            Self::StateUnreadable { path, reason } => {
                format!("cannot read {}: {}", v(path), v(reason))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_names_the_kind_and_reads_back() {
        let p = Problem::HostKeyChanged {
            host: "gw".into(),
            stored: "SHA256:old".into(),
            offered: "SHA256:new".into(),
            known_hosts: "/h/.ssh/known_hosts".into(),
            line: 3,
        };
        let j = serde_json::to_value(&p).expect("json");
        assert_eq!(j["kind"], p.kind());
        let back: Problem = serde_json::from_value(j).expect("back");
        assert_eq!(back, p);
        let t = Problem::TimedOut {
            phase: Phase::Deadline,
            after_ms: 90_000,
        };
        assert_eq!(t.describe(), "the check did not finish within 90s");
    }

    #[test]
    fn descriptions_carry_outside_text_inert() {
        let p = Problem::CannotResolve {
            host: "gw\u{1b}[2J".into(),
            reason: "nx\ndomain".into(),
        };
        let d = p.describe();
        assert!(!d.chars().any(char::is_control), "{d:?}");
    }
}
