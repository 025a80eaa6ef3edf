//! The SSH client (DESIGN.md §Core 5), on russh.

pub mod client;
pub mod config;
pub mod known_hosts;
pub mod resolve;
pub mod signer;
pub use client::{ConnectOptions, HostKeyPolicy, SshError, SshGateway, connect};
