//! Repairs (DESIGN.md §Core 7): sync Claude Code's login into OpenClaw, paste a token or an API
//! key through OpenClaw's CLI (secrets on stdin, never argv), restart the gateway service when it
//! runs, and re-check — all over one [`crate::gateway::Gateway`] connection.

pub mod legacy;
