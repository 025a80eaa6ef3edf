//! clawauth-core: every behaviour of clawauth lives here (DESIGN.md). Front ends translate input
//! and render output; they make no decisions.
//!
//! Data flows `openclaw` (OpenClaw's formats, read-only) → `health` (OpenClaw's rules as pure
//! functions) → `report` (the one Report type and its renderers), with `source` choosing how
//! the state is obtained (read directly, or from `openclaw models status --json --check`).

pub mod actions;
pub mod config;
pub mod display;
pub mod error;
pub mod fsutil;
pub mod gateway;
pub mod health;
pub mod install;
pub mod last_good;
pub mod monitor;
pub mod openclaw;
pub mod paths;
pub mod reauth;
pub mod redact;
pub mod report;
pub mod secrets;
pub mod source;
pub mod ssh;
pub mod tap;
pub mod time;
pub mod validate;

#[cfg(test)]
pub(crate) mod testutil;

pub use error::{Error, Result};
