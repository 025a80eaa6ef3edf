//! Every integration test of the workspace, in one binary (as ripgrep's `tests/tests.rs` and
//! cargo's `tests/testsuite/main.rs`): one crate to compile and link instead of one per file.
//! Each module is one user-facing area, named as its file; `tests/run-all.sh` runs them with
//! cargo-nextest (`.config/nextest.toml`: a process per test, test groups for the tests that share
//! a scarce resource, a time limit per test).

mod aarch64;
mod bad_input;
mod big_state;
mod conformance;
mod delay_proxy;
mod fuzz_replay;
mod hostile_gateway;
mod hostile_notifiers;
mod hostile_output;
mod hostile_state;
mod hosts_install;
mod last_good;
mod live_cli;
mod live_cli_scenarios;
mod monitor;
mod monitor_install;
mod new_user_edges;
mod ntfy_server;
mod paste_prompt;
mod platform_signer;
mod read_only;
mod reauth;
mod remote_status;
mod renderers;
mod repair;
mod repair_targets;
mod ssh_faults;
mod ssh_security;
mod sshd_harness;
mod standin_claude;
mod status_options;
mod sync_legacy_store;
mod termux_setup;
mod termux_tap;
