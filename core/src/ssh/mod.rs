//! The SSH client (DESIGN.md §Core 5), on russh.

pub mod config;
pub mod known_hosts;
pub mod resolve;
