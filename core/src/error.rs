//! The core's error type.
//!
//! Rule (as in mozilla/application-services): error text names the file and what is wrong with
//! it, and carries no secret — never a token, key, or a line of a credential file. Parsers
//! report positions (line/column), not content.

use camino::Utf8PathBuf;

/// Everything that can stop clawauth from reading a gateway's state.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} is {size} bytes, more than the {limit} bytes clawauth reads from such a file")]
    TooLarge {
        path: Utf8PathBuf,
        size: u64,
        limit: u64,
    },

    #[error("{path} is not valid {format}: {detail}")]
    Malformed {
        path: Utf8PathBuf,
        format: &'static str,
        detail: String,
    },

    #[error(
        "{path}: nesting deeper than {limit} levels (clawauth reads no deeper; the file is damaged or was not written by OpenClaw)"
    )]
    TooDeep { path: Utf8PathBuf, limit: usize },

    #[error("{path} is {kind}, not a regular file; clawauth opens only regular files there")]
    NotRegular {
        path: Utf8PathBuf,
        /// `a FIFO (named pipe)`, `a character device`, …
        kind: &'static str,
    },

    #[error("{path}: {detail}")]
    Sqlite { path: Utf8PathBuf, detail: String },

    #[error(
        "{path} is being written by another process (a rollback journal is present); try again in a moment"
    )]
    Locked { path: Utf8PathBuf },

    #[error("path is not valid UTF-8: {0}")]
    NonUtf8Path(String),

    #[error("{0}")]
    Invalid(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<Utf8PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn malformed(
        path: impl Into<Utf8PathBuf>,
        format: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self::Malformed {
            path: path.into(),
            format,
            detail: detail.into(),
        }
    }

    pub(crate) fn sqlite(path: impl Into<Utf8PathBuf>, detail: impl Into<String>) -> Self {
        Self::Sqlite {
            path: path.into(),
            detail: detail.into(),
        }
    }
}

impl Error {
    /// The error as data for front ends: a state file that could not be read, or input
    /// refused.
    pub fn problem(&self) -> crate::report::Problem {
        use crate::report::Problem;
        let path = match self {
            Self::Io { path, .. }
            | Self::TooLarge { path, .. }
            | Self::Malformed { path, .. }
            | Self::TooDeep { path, .. }
            | Self::NotRegular { path, .. }
            | Self::Sqlite { path, .. }
            | Self::Locked { path } => path,
            Self::NonUtf8Path(_) | Self::Invalid(_) => {
                return Problem::InvalidInput {
                    reason: self.to_string(),
                };
            }
        };
        Problem::StateUnreadable {
            path: path.to_string(),
            reason: self.to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
