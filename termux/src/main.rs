//! `clawauth`: keeps a self-hosted OpenClaw gateway's model credentials alive.
//!
//! Front end only: it parses the command line, calls clawauth-core, renders, and maps the
//! verdict to an exit code. Every decision lives in the core.

mod advice;
mod cli_common;
mod hosts;
mod monitor;
mod monitor_install;
mod prompt;
mod remote;
mod repair;
mod status;
mod tap;
mod termux_api;
mod termux_setup;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code for a command line clawauth cannot use (sysexits' EX_USAGE). Distinct from the
/// verdict codes 0–3 so a typo never reads as "expiring".
pub const EXIT_USAGE: u8 = 64;
/// Exit code when clawauth itself failed (sysexits' EX_SOFTWARE).
pub const EXIT_INTERNAL: u8 = 70;

#[derive(Debug, Parser)]
#[command(
    name = "clawauth",
    version,
    about = "Keep an OpenClaw gateway's model credentials alive: status, alerts and repair",
    long_about = "clawauth tells an OpenClaw operator whether the gateway's model credentials \
                  (Anthropic OAuth and setup-tokens, OpenAI Codex OAuth, pasted tokens, API keys) will keep \
                  working, warns before they stop, and repairs them.\n\n\
                  It reads OpenClaw's own state (read-only, never a byte written) and applies the rules of \
                  `openclaw models status --check`, so its verdict matches OpenClaw's — in milliseconds, \
                  without starting Node.js.",
    after_help = "Run `clawauth status --help` for the status check, its sources, formats and exit codes."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(
        about = "Check the gateway's credentials: which model routes work, which expire, and how to fix them"
    )]
    Status(status::StatusArgs),
    /// Manage the gateways clawauth checks over SSH: add, list, remove, trust, install
    #[command(subcommand)]
    Hosts(hosts::HostsCommand),
    /// Store or forget the passphrase of an encrypted SSH key in clawauth's secret store
    #[command(subcommand)]
    Passphrase(hosts::PassphraseCommand),
    #[command(about = "Hand Claude Code's login on the gateway to OpenClaw, restart, re-check")]
    Sync(repair::SyncArgs),
    /// Store a token in OpenClaw on the gateway (checked first; sent on stdin)
    #[command(subcommand)]
    Token(repair::TokenCommand),
    /// Store an API key in OpenClaw on the gateway (checked first; sent on stdin)
    #[command(subcommand, name = "api-key")]
    ApiKey(repair::ApiKeyCommand),
    #[command(about = "Re-authenticate a provider, guided: setup-token, API key or login")]
    Reauth(repair::ReauthArgs),
    #[command(
        about = "Watch the gateways and alert (ntfy, a command, Termux) before credentials lapse"
    )]
    Monitor(monitor::MonitorArgs),
    /// On the phone, in Termux: one-tap checks, sync and re-auth, their home-screen shortcuts, a scheduled check
    #[command(subcommand)]
    Termux(TermuxCommand),
}

#[derive(Debug, Subcommand)]
enum TermuxCommand {
    #[command(
        about = "Quick check (one tap): a toast with the time left; buzz when expiring; the fix page and a Re-auth notification when expired",
        long_about = "Quick check of one gateway, for a Termux:Widget shortcut (it replaces \
            termux-quick-auth.sh).\n\n\
            One SSH connection. Then, through Termux:API:\n  \
            ok           a short toast: \"gw: Auth OK · 6d 4h left\"\n  \
            expiring     a vibration and a toast naming the\n               \
            credential and the time left\n  \
            expired or missing\n               \
            a long vibration, a toast, the provider's\n               \
            key page in the browser, and a notification\n               \
            whose Re-auth button starts the guided\n               \
            re-auth (`clawauth termux guided`)\n  \
            unreachable  a toast naming the host and why (refused,\n               \
            timed out, unknown host key, …)\n\n\
            Without Termux:API everything is printed in the terminal instead. The toast's text \
            is also printed on stdout.",
        after_long_help = "EXAMPLES:\n  \
            clawauth termux quick --host gw\n  \
            # what the tap will say in six days\n  \
            clawauth termux quick --host gw --at +6d\n\n\
            EXIT CODES: 0 ok, 1 expired or missing, 2 expiring, 3 unreachable, 64 bad command \
            line."
    )]
    Quick(tap::TapArgs),
    #[command(
        about = "Guided check: like quick, and when a credential is expiring or gone a dialog offers to re-auth now or later",
        long_about = "Guided check of one gateway, for a Termux:Widget shortcut (it replaces termux-auth-widget.sh).\n\n\
            It checks like `termux quick`. When a credential is expiring, expired or missing, a dialog offers \
            \"Re-auth now\" or \"Later\". Re-auth now runs the guided re-auth over the same SSH connection: \
            `claude setup-token` on the gateway for Anthropic (its sign-in page opens in the browser, a dialog \
            asks for the code), a hidden dialog for an API key, or the provider's login. Later leaves a \
            notification (for an expired credential) or a reminder toast.",
        after_long_help = "EXAMPLE:\n  clawauth termux guided --host gw\n\n\
            EXIT CODES: the check's (0, 1, 2, 3), or after a re-auth the re-check's; 1 when the re-auth failed \
            (the old credential stays in place)."
    )]
    Guided(tap::TapArgs),
    #[command(
        about = "Sync (one tap): hand Claude Code's login on the gateway to OpenClaw, restart, toast the new expiry",
        long_about = "Sync for a Termux:Widget shortcut (it replaces termux-sync-widget.sh): `clawauth sync` over one \
            SSH connection — Claude Code's login on the gateway goes to OpenClaw when it lasts longer, the \
            gateway service is restarted if it runs — and a toast with the new expiry, or why nothing was synced.",
        after_long_help = "EXAMPLE:\n  clawauth termux sync --host gw\n\nEXIT CODES: as `clawauth sync`."
    )]
    Sync(tap::TapArgs),
    #[command(
        about = "Write Termux:Widget shortcuts for each gateway; --schedule a check every 30 minutes"
    )]
    Setup(termux_setup::SetupArgs),
}

fn main() -> ExitCode {
    init_logging();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => EXIT_USAGE,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Status(args) => status::run(args),
        Command::Hosts(cmd) => hosts::run(cmd),
        Command::Passphrase(cmd) => hosts::passphrase(cmd),
        Command::Sync(args) => repair::sync(args),
        Command::Token(cmd) => repair::token(cmd),
        Command::ApiKey(cmd) => repair::api_key(cmd),
        Command::Reauth(args) => repair::reauth(args),
        Command::Monitor(args) => monitor::run(args),
        Command::Termux(cmd) => match cmd {
            TermuxCommand::Quick(a) => tap::quick(a),
            TermuxCommand::Guided(a) => tap::guided(a),
            TermuxCommand::Sync(a) => tap::sync(a),
            TermuxCommand::Setup(a) => termux_setup::setup(a),
        },
    }
}

/// The async runtime for network work: a couple of threads, so slow key decryption on one host
/// never stalls the others.
pub fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::from(EXIT_INTERNAL)
        })
}

/// Logs go to stderr, filtered by `CLAWAUTH_LOG` (`debug`, or per target as
/// `clawauth_core=debug,russh=warn`); warnings by default. The filter is tracing-subscriber's
/// `Targets` (levels by target prefix), not `EnvFilter`: that one's span and field matching
/// pull in a regex engine, a third of a megabyte in the phone's binary for nothing used here.
fn init_logging() {
    use tracing_subscriber::prelude::*;
    let (filter, bad) = log_filter(std::env::var("CLAWAUTH_LOG").ok().as_deref());
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_filter(filter),
        )
        .try_init();
    if let Some(why) = bad {
        eprintln!(
            "warning: CLAWAUTH_LOG is not a log filter ({why}); logging warnings only. \
             Examples: CLAWAUTH_LOG=debug, CLAWAUTH_LOG=clawauth_core=debug,russh=info"
        );
    }
}

/// The filter `CLAWAUTH_LOG` asks for (warnings when unset), and why it was not used when it is
/// not a filter.
fn log_filter(value: Option<&str>) -> (tracing_subscriber::filter::Targets, Option<String>) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    let warn = || Targets::new().with_default(LevelFilter::WARN);
    match value.map(str::trim) {
        None | Some("") => (warn(), None),
        Some(v) => match v.parse::<Targets>() {
            Ok(t) => (t, None),
            Err(e) => (warn(), Some(e.to_string())),
        },
    }
}

/// Prints `error: MESSAGE` on stderr. A message may quote a gateway, a server or another
/// program (an SSH error, OpenClaw's stderr), so each of its lines is made visible: clawauth's
/// own messages keep their lines (a changed host key shows both fingerprints), but nothing in
/// them can return the cursor, clear the screen or ring the bell.
pub fn print_error(message: &str) {
    let mut lines = message.lines();
    eprintln!(
        "error: {}",
        clawauth_core::display::visible(lines.next().unwrap_or_default())
    );
    for l in lines {
        eprintln!("{}", clawauth_core::display::visible(l));
    }
}

/// Prints `error: …` and `hint: …` the way cargo and ripgrep do, returning the usage exit code.
pub fn usage_error(what: &str, hint: &str) -> ExitCode {
    print_error(what);
    if !hint.is_empty() {
        eprintln!("hint: {hint}");
    }
    ExitCode::from(EXIT_USAGE)
}

#[cfg(test)]
mod tests {
    use super::log_filter;
    use tracing::Level;

    #[test]
    fn clawauth_log_takes_a_level_or_levels_by_target() {
        let (t, bad) = log_filter(None);
        assert!(bad.is_none());
        assert!(t.would_enable("clawauth_core::ssh", &Level::WARN));
        assert!(!t.would_enable("clawauth_core::ssh", &Level::INFO));
        let (t, bad) = log_filter(Some("debug"));
        assert!(bad.is_none());
        assert!(t.would_enable("russh::client", &Level::DEBUG));
        let (t, bad) = log_filter(Some("clawauth_core=debug,russh=warn"));
        assert!(bad.is_none());
        assert!(t.would_enable("clawauth_core::source::remote", &Level::DEBUG));
        assert!(!t.would_enable("russh::client", &Level::INFO));
        let (t, bad) = log_filter(Some("clawauth_core=loud"));
        assert!(bad.is_some(), "a level that is not one is said");
        assert!(t.would_enable("x", &Level::WARN) && !t.would_enable("x", &Level::INFO));
    }
}
