//! The one error type of the bindings, named by what the caller should do (as fxa-client's):
//! trust or compare a host key, give the app's key to the gateway, ask for a passphrase, try
//! again later, fix the input. Messages are facts in words, never a secret, never a CLI command.

use clawauth_core::report::Problem as CoreProblem;

use crate::types::{Phase, Problem};

/// Why a call failed. The variants match [`Problem`]'s; `Callback` is a foreign callback that
/// threw, `Cancelled` a flow the person stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum ClawauthError {
    /// The gateway offered a host key the app does not trust yet: show the fingerprint, ask
    /// the person to compare it, then `trustHost`.
    #[error("{host} offered a host key that is not trusted yet: {key_type} {fingerprint}")]
    HostKeyUnknown {
        host: String,
        key_type: String,
        fingerprint: String,
    },
    /// The host key changed: possibly an attack. Block and show both fingerprints.
    #[error("the host key of {host} has changed (stored {stored}, offered {offered})")]
    HostKeyChanged {
        host: String,
        stored: String,
        offered: String,
    },
    #[error("the host key of {host} ({fingerprint}) is marked revoked")]
    HostKeyRevoked { host: String, fingerprint: String },
    /// No key to offer: create the app's key and add it to the gateway's authorized_keys.
    #[error("no SSH key to offer {user}@{host}")]
    NoKey { user: String, host: String },
    /// An encrypted key and no passphrase.
    #[error("{keys} is encrypted and no passphrase is stored for it")]
    KeyNeedsPassphrase { keys: String },
    /// The gateway refused every key: its authorized_keys lacks the app's key.
    #[error("{user}@{host} refused every key offered ({offered})")]
    KeysRefused {
        user: String,
        host: String,
        offered: String,
    },
    #[error("cannot resolve {host}: {reason}")]
    CannotResolve { host: String, reason: String },
    #[error("cannot connect to {address}: {reason}")]
    CannotConnect { address: String, reason: String },
    /// Try again later (or raise the deadline).
    #[error("timed out ({phase:?}) after {after_ms} ms")]
    TimedOut { phase: Phase, after_ms: u64 },
    #[error("a command on the gateway failed: {reason}")]
    GatewayCommandFailed { reason: String },
    #[error("cannot read {path}: {reason}")]
    StateUnreadable { path: String, reason: String },
    #[error("the OpenClaw CLI is needed: {reason}")]
    NeedsOpenclawCli { reason: String },
    /// Fix the input (a host name, a token, a fingerprint).
    #[error("{reason}")]
    InvalidInput { reason: String },
    /// A callback of the app (a SecretStore, an SshSigner, a ReauthUi) threw.
    #[error("a callback of the app failed: {reason}")]
    Callback { reason: String },
    #[error("cancelled")]
    Cancelled,
    #[error("{reason}")]
    Other { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ClawauthError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Callback { reason: e.reason }
    }
}

impl From<CoreProblem> for ClawauthError {
    fn from(p: CoreProblem) -> Self {
        match Problem::from(p) {
            Problem::HostKeyUnknown {
                host,
                key_type,
                fingerprint,
            } => Self::HostKeyUnknown {
                host,
                key_type,
                fingerprint,
            },
            Problem::HostKeyChanged {
                host,
                stored,
                offered,
                ..
            } => Self::HostKeyChanged {
                host,
                stored,
                offered,
            },
            Problem::HostKeyRevoked { host, fingerprint } => {
                Self::HostKeyRevoked { host, fingerprint }
            }
            Problem::NoKey { user, host } => Self::NoKey { user, host },
            Problem::KeyNeedsPassphrase { keys } => Self::KeyNeedsPassphrase {
                keys: keys.join(", "),
            },
            Problem::KeysRefused {
                user,
                host,
                offered,
            } => Self::KeysRefused {
                user,
                host,
                offered: offered.join(", "),
            },
            Problem::CannotResolve { host, reason } => Self::CannotResolve { host, reason },
            Problem::CannotConnect { address, reason } => Self::CannotConnect { address, reason },
            Problem::TimedOut { phase, after_ms } => Self::TimedOut { phase, after_ms },
            Problem::GatewayCommandFailed { reason } => Self::GatewayCommandFailed { reason },
            Problem::StateUnreadable { path, reason } => Self::StateUnreadable { path, reason },
            Problem::NeedsOpenclawCli { reason } => Self::NeedsOpenclawCli { reason },
            Problem::InvalidInput { reason } => Self::InvalidInput { reason },
            Problem::Other { reason } => Self::Other { reason },
        }
    }
}

impl ClawauthError {
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            reason: reason.into(),
        }
    }

    pub(crate) fn other(reason: impl std::fmt::Display) -> Self {
        Self::Other {
            reason: reason.to_string(),
        }
    }
}
