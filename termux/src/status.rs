//! `clawauth status`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use camino::Utf8PathBuf;
use clap::{Args, ValueEnum};
use clawauth_core::openclaw::env::Environment;
use clawauth_core::report::{human, simple};
use clawauth_core::source::{SourceChoice, StatusRequest, status};
use clawauth_core::time::{parse_duration_ms, parse_moment};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Source {
    /// Read the store directly; ask the OpenClaw CLI only where the rules need it (default)
    Auto,
    /// Read the store directly and apply the health rules (milliseconds, no Node.js)
    Direct,
    /// Run `openclaw models status --json --check` (canonical, ~2 s of Node.js)
    Cli,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// A report for people: verdict, routes, profiles, Claude Code's login, fix commands
    Human,
    /// The versioned JSON document (`"schema": 1`)
    Json,
    /// One word: OK, CLAUDE_EXPIRING, OPENCLAW_EXPIRING, CLAUDE_EXPIRED, OPENCLAW_EXPIRED, UNREACHABLE
    Simple,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    /// Color when stdout is a terminal and NO_COLOR is not set
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
#[command(
    long_about = "Check the gateway's model credentials on this machine.\n\n\
        clawauth evaluates every route OpenClaw's `models status --check` evaluates — the default model \
        and its fallbacks, the image model and its fallbacks, and the utility model — and reports, per \
        route, the profile that serves it and how long it has left. With several agents configured and \
        no --agent, every agent is checked and the worst verdict wins.\n\n\
        OpenClaw's state is located as OpenClaw does: $OPENCLAW_STATE_DIR (or --state-dir), else \
        $OPENCLAW_HOME/.openclaw or ~/.openclaw (legacy ~/.clawdbot), config $OPENCLAW_CONFIG_PATH, agent \
        dirs from openclaw.json, $OPENCLAW_AGENT_DIR / $PI_CODING_AGENT_DIR. Nothing is ever written to it.",
    after_long_help = "SOURCES:\n  \
        auto    the store read directly; the OpenClaw CLI is asked only for agents whose verdict depends on\n          \
        what only it knows (the Codex runtime plugin for openai/* routes, plugin-supplied credentials,\n          \
        a login shell's environment). The report names the source that answered.\n  \
        direct  the store only; where only the CLI could tell, the verdict is unknown (exit 3).\n  \
        cli     `openclaw models status --json --check` (never the human form: it refreshes, and offline\n          \
        destroys, OAuth tokens), killed after --cli-timeout.\n\n\
        FORMATS:\n  \
        human   verdict, routes, profiles, Claude Code's own login, and the commands that fix problems\n  \
        json    the Report as JSON, \"schema\": 1 (no secrets: OpenClaw's labels at most)\n  \
        simple  one word: OK | CLAUDE_EXPIRING | OPENCLAW_EXPIRING | CLAUDE_EXPIRED | OPENCLAW_EXPIRED |\n          \
        UNREACHABLE (compatible with the old claude-auth-status.sh and widget scripts)\n\n\
        EXIT CODES (with --check, as `openclaw models status --check` plus 3):\n  \
        0   ok: every route has a credential that works beyond the warn window\n  \
        1   expired, missing or unusable credential on a route, or OpenClaw itself fails on this state\n  \
        2   a route's credential expires within the warn window (default 24h)\n  \
        3   unknown: the state could not be read, or only the OpenClaw CLI could tell and it did not\n  \
        Without --check: 0 whenever a report was printed.\n  \
        64  the command line is wrong (never confused with a verdict)   70  clawauth itself failed\n\n\
        EXAMPLES:\n  \
        clawauth status                          # report for people\n  \
        clawauth status --check --format simple  # one word + exit code, for scripts and widgets\n  \
        clawauth status --at +3d                 # what will have expired in three days?\n  \
        clawauth status --agent work --format json\n  \
        OPENCLAW_STATE_DIR=/srv/oc clawauth status --source cli --openclaw-bin ~/.npm-global/bin/openclaw\n\n\
        Logs go to stderr; set CLAWAUTH_LOG=debug for more."
)]
pub struct StatusArgs {
    /// OpenClaw's state directory (default: $OPENCLAW_STATE_DIR, else ~/.openclaw)
    #[arg(long, value_name = "DIR")]
    state_dir: Option<Utf8PathBuf>,

    /// Check only this agent (default: every configured agent)
    #[arg(long, value_name = "ID")]
    agent: Option<String>,

    /// Where the verdict comes from
    #[arg(long, value_enum, default_value = "auto")]
    source: Source,

    /// The openclaw program for the cli source (default: $OPENCLAW_BIN, PATH, ~/.npm-global/bin, …)
    #[arg(long, value_name = "PATH")]
    openclaw_bin: Option<Utf8PathBuf>,

    /// Evaluate as of this moment: Unix ms (1795256402000), RFC 3339 (2026-11-21T10:00:00Z) or an offset (+3d, -2h)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    at: Option<String>,

    /// Warn window: a credential expiring within it is "expiring" (OpenClaw uses 24h)
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    warn: String,

    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: Format,

    /// Exit with the verdict: 0 ok, 1 expired/missing, 2 expiring, 3 unknown
    #[arg(long)]
    check: bool,

    /// Hard limit for the OpenClaw CLI run
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    cli_timeout: String,

    /// When to use color in the human format
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
}

pub fn run(args: StatusArgs) -> ExitCode {
    let env = Environment::from_process();
    let now = chrono::Utc::now();
    let at = match args.at.as_deref().map(|a| parse_moment(a, now)) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            return crate::usage_error(
                &format!("--at: {e}"),
                "e.g. --at +3d or --at 2026-12-01T09:00:00Z",
            );
        }
    };
    let warn_ms = match parse_duration_ms(&args.warn) {
        Ok(ms) if ms > 0 => ms,
        Ok(_) => {
            return crate::usage_error(
                "--warn must be longer than zero",
                "e.g. --warn 24h or --warn 7d",
            );
        }
        Err(e) => {
            return crate::usage_error(&format!("--warn: {e}"), "e.g. --warn 24h or --warn 7d");
        }
    };
    let cli_timeout = match parse_duration_ms(&args.cli_timeout) {
        Ok(ms) if ms > 0 => std::time::Duration::from_millis(ms.unsigned_abs()),
        Ok(_) => {
            return crate::usage_error(
                "--cli-timeout must be longer than zero",
                "e.g. --cli-timeout 45s",
            );
        }
        Err(e) => {
            return crate::usage_error(&format!("--cli-timeout: {e}"), "e.g. --cli-timeout 45s");
        }
    };
    if let Some(dir) = &args.state_dir
        && !dir.is_dir()
    {
        return crate::usage_error(
            &format!("--state-dir {dir}: no such directory"),
            "point it at OpenClaw's state directory (the one holding openclaw.json and state/), e.g. ~/.openclaw",
        );
    }
    if let Some(bin) = &args.openclaw_bin
        && !bin.is_file()
    {
        return crate::usage_error(
            &format!("--openclaw-bin {bin}: no such file"),
            "point it at the openclaw program, e.g. ~/.npm-global/bin/openclaw (`command -v openclaw` shows it)",
        );
    }
    let req = StatusRequest {
        state_dir: args.state_dir,
        agent: args.agent,
        source: match args.source {
            Source::Auto => SourceChoice::Auto,
            Source::Direct => SourceChoice::Direct,
            Source::Cli => SourceChoice::Cli,
        },
        openclaw_bin: args.openclaw_bin,
        at,
        warn_ms,
        cli_timeout,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(crate::EXIT_INTERNAL);
        }
    };
    let report = runtime.block_on(status(&env, &req, now));

    let stdout = std::io::stdout();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout.is_terminal() && env.get("NO_COLOR").is_none(),
    };
    let text = match args.format {
        Format::Human => human::render(&report, color),
        Format::Json => format!("{}\n", report.to_json()),
        Format::Simple => format!("{}\n", simple::word(&report)),
    };
    let mut lock = stdout.lock();
    if let Err(e) = lock.write_all(text.as_bytes()).and_then(|()| lock.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write the report: {e}");
        return ExitCode::from(crate::EXIT_INTERNAL);
    }
    if args.check {
        ExitCode::from(u8::try_from(report.exit_code).unwrap_or(3))
    } else {
        ExitCode::SUCCESS
    }
}
