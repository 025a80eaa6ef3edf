//! `clawauth status`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use camino::Utf8PathBuf;
use clap::{Args, ValueEnum};
use clawauth_core::display::visible;
use clawauth_core::openclaw::env::Environment;
use clawauth_core::report::{HostsDocument, Report, Verdict, human, simple};
use clawauth_core::source::{SourceChoice, StatusRequest, status_within};

use crate::cli_common::{parse_at, positive_duration};
use crate::remote::{Checks, check_hosts, load_config, unique};

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
    long_about = "Check the gateway's model credentials, on this machine or over SSH (--host).\n\n\
        clawauth evaluates every route OpenClaw's `models status --check` evaluates — the default model \
        and its fallbacks, the image model and its fallbacks, and the utility model — and reports, per \
        route, the profile that serves it and how long it has left. With several agents configured and \
        no --agent, every agent is checked and the worst verdict wins.\n\n\
        OpenClaw's state is located as OpenClaw does: $OPENCLAW_STATE_DIR (or --state-dir), else \
        $OPENCLAW_HOME/.openclaw or ~/.openclaw (legacy ~/.clawdbot), config $OPENCLAW_CONFIG_PATH, agent \
        dirs from openclaw.json, $OPENCLAW_AGENT_DIR / $PI_CODING_AGENT_DIR. Nothing is ever written to it.",
    after_long_help = "SOURCES:\n  \
        auto    the store read directly; the OpenClaw CLI is\n          \
        asked only for agents whose verdict depends on\n          \
        what only it knows (the Codex runtime plugin for\n          \
        openai/* routes, plugin-supplied credentials, a\n          \
        login shell's environment).\n  \
        direct  the store only; where only the CLI could tell,\n          \
        the verdict is unknown (exit 3).\n  \
        cli     `openclaw models status --json --check` (never\n          \
        the human form: it refreshes, and offline\n          \
        destroys, OAuth tokens), killed after\n          \
        --cli-timeout.\n\
        The report names the source that answered.\n\n\
        OVER SSH (--host NAME, repeatable, or --all): one connection per host, every host at \
        once. NAME is a host from config.toml, an ~/.ssh/config alias, user@host[:port], or a \
        name that resolves; anything else (a typo) is refused with the configured hosts. On the \
        gateway clawauth asks, in order:\n  \
        1. clawauth installed there (milliseconds, no Node.js);\n  \
        2. `openclaw models status --json --check`, found\n     \
        through a login shell's PATH or the host's\n     \
        `openclaw` path in config.toml;\n  \
        3. the legacy JSON files and Claude Code's\n     \
        .credentials.json, read over the connection and\n     \
        evaluated here.\n\
        A configured path (clawauth, openclaw, state_dir) that does not exist on the gateway is \
        said so. Host keys are checked against ~/.ssh/known_hosts: an unknown host is refused \
        until `clawauth hosts trust NAME` (or --accept-new); a changed key is always refused. \
        Keys: ssh-agent ($SSH_AUTH_SOCK), IdentityFile from ~/.ssh/config, ~/.ssh/id_ed25519, \
        id_ecdsa, id_rsa; an encrypted key uses the passphrase stored with `clawauth passphrase \
        set KEY`, or asks. With --host, --state-dir and --openclaw-bin are paths on the \
        gateway.\n\n\
        FORMATS:\n  \
        human   verdict, routes, profiles, Claude Code's own\n          \
        login, and the commands that fix problems\n  \
        json    the Report as JSON, \"schema\": 1 (no secrets)\n  \
        simple  one word: OK, CLAUDE_EXPIRING,\n          \
        OPENCLAW_EXPIRING, CLAUDE_EXPIRED,\n          \
        OPENCLAW_EXPIRED or UNREACHABLE (as the old\n          \
        claude-auth-status.sh and widget scripts)\n\
        With --host or --all, one host or many, simple prints one `NAME WORD` line per host and \
        json one document listing them: \
        {\"schema\":1,\"verdict\":…,\"exit_code\":…,\"hosts\":[Report,…]}.\n\n\
        EXIT CODES (with --check; openclaw's, plus 3):\n  \
        0   ok: every route has a credential that works\n      \
        beyond the warn window\n  \
        1   expired, missing or unusable credential on a\n      \
        route, or OpenClaw itself fails on this state\n  \
        2   a route's credential expires within the warn\n      \
        window (default 24h)\n  \
        3   unknown: the gateway could not be reached or\n      \
        read, only the OpenClaw CLI could tell, or there\n      \
        is no OpenClaw on this machine (try --host)\n  \
        64  the command line is wrong (never a verdict)\n  \
        70  clawauth itself failed\n\
        With --host or --all the worst host's verdict wins. Without --check: 0 whenever a \
        report was printed. A check that does not finish within \
        --deadline (default 60s) is unknown (3), local or remote.\n\n\
        EXAMPLES:\n  \
        clawauth status\n  \
        clawauth status --check --format simple\n  \
        clawauth status --at +3d    # expired in three days?\n  \
        clawauth status --agent work --format json\n  \
        clawauth status --host gw --check\n  \
        clawauth status --all --format simple\n  \
        OPENCLAW_STATE_DIR=/srv/oc clawauth status \\\n      \
        --source cli --openclaw-bin ~/.npm-global/bin/openclaw\n\n\
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

    /// Hard limit for the OpenClaw CLI run (default 30s, or [defaults] cli_timeout for hosts)
    #[arg(long, value_name = "DURATION")]
    cli_timeout: Option<String>,

    /// When to use color in the human format
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,

    /// Check this gateway over SSH: a host from config.toml (`clawauth hosts add`), an ~/.ssh/config alias or user@host[:port]; repeat for several
    #[arg(long = "host", value_name = "NAME")]
    hosts: Vec<String>,

    /// Check every host in config.toml
    #[arg(long, conflicts_with = "hosts")]
    all: bool,

    /// Trust and remember an unknown host key on first use (a changed key is always refused)
    #[arg(long)]
    accept_new: bool,

    /// SSH connect timeout (default 5s, or [defaults] connect_timeout in config.toml)
    #[arg(long, value_name = "DURATION")]
    connect_timeout: Option<String>,

    /// Deadline for the whole check, local or each host's (default 60s; for hosts [defaults] deadline)
    #[arg(long, value_name = "DURATION")]
    deadline: Option<String>,
}

/// The deadline of a local check without --deadline (the hosts' default too).
pub const LOCAL_DEADLINE: Duration = Duration::from_secs(60);

pub fn run(args: StatusArgs) -> ExitCode {
    let env = Environment::from_process();
    let now = chrono::Utc::now();
    let at = match parse_at(args.at.as_deref(), now) {
        Ok(at) => at,
        Err(code) => return code,
    };
    let warn_ms = match positive_duration("--warn", &args.warn, "24h") {
        Ok(d) => d.as_millis() as i64,
        Err(code) => return code,
    };
    let cli_timeout = match args
        .cli_timeout
        .as_deref()
        .map(|v| positive_duration("--cli-timeout", v, "45s"))
        .transpose()
    {
        Ok(d) => d,
        Err(code) => return code,
    };
    let source = match args.source {
        Source::Auto => SourceChoice::Auto,
        Source::Direct => SourceChoice::Direct,
        Source::Cli => SourceChoice::Cli,
    };
    let remote = !args.hosts.is_empty() || args.all;
    let output = Output {
        format: args.format,
        check: args.check,
        color: args.color,
        hosts: remote,
    };
    if remote {
        return over_ssh(StatusFlags {
            env,
            now,
            hosts: args.hosts,
            all: args.all,
            checks: Checks {
                accept_new: args.accept_new,
                connect_timeout: args.connect_timeout,
                deadline: args.deadline,
                agent: args.agent,
                state_dir: args.state_dir.map(Utf8PathBuf::into_string),
                openclaw: args.openclaw_bin.map(Utf8PathBuf::into_string),
                source,
                at,
                warn_ms,
                cli_timeout,
            },
            output,
        });
    }
    for (flag, given) in [
        ("--accept-new", args.accept_new),
        ("--connect-timeout", args.connect_timeout.is_some()),
    ] {
        if given {
            return crate::usage_error(
                &format!("{flag} only applies to gateways checked over SSH"),
                "add --host NAME (or --all)",
            );
        }
    }
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
    let deadline = match args
        .deadline
        .as_deref()
        .map(|v| positive_duration("--deadline", v, "2m"))
        .transpose()
    {
        Ok(d) => d.unwrap_or(LOCAL_DEADLINE),
        Err(code) => return code,
    };
    let req = StatusRequest {
        state_dir: args.state_dir,
        agent: args.agent,
        source,
        openclaw_bin: args.openclaw_bin,
        at,
        warn_ms,
        cli_timeout: cli_timeout.unwrap_or(Duration::from_secs(30)),
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let report = runtime.block_on(status_within(&env, &req, now, deadline));
    // A check cut off by the deadline may still be reading on a blocking thread: don't wait.
    runtime.shutdown_background();
    output.print(&env, &[report])
}

/// What `clawauth status --host NAME…` (or `--all`) was asked.
struct StatusFlags {
    env: Environment,
    now: chrono::DateTime<chrono::Utc>,
    hosts: Vec<String>,
    all: bool,
    checks: Checks,
    output: Output,
}

/// `clawauth status --host NAME…` (or `--all`): the gateways checked over SSH, all at once, one
/// connection each, and their reports printed.
fn over_ssh(f: StatusFlags) -> ExitCode {
    let (path, config) = match load_config(&f.env) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let names: Vec<String> = if f.all {
        if config.hosts.is_empty() {
            return crate::usage_error(
                &format!("--all: no hosts in {path}"),
                "add one with `clawauth hosts add gw --ssh user@gateway`",
            );
        }
        config.hosts.keys().cloned().collect()
    } else {
        unique(&f.hosts)
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let reports = check_hosts(&runtime, &f.env, &config, &path, &names, &f.checks, f.now);
    // Don't wait for stray tasks of a connection that was cut off.
    runtime.shutdown_timeout(Duration::from_millis(200));
    match reports {
        Ok(r) => f.output.print(&f.env, &r),
        Err(code) => code,
    }
}

/// How reports are printed and turned into an exit code.
pub struct Output {
    pub format: Format,
    pub check: bool,
    pub color: ColorChoice,
    /// Hosts were asked for (`--host`, `--all`): the output lists hosts, whatever their number.
    pub hosts: bool,
}

impl Output {
    /// Prints the reports and returns the exit code: with --check the worst verdict's. The
    /// local check prints its one report (a word, a Report document); hosts asked for with
    /// --host or --all print one shape for one host or fifty: `NAME WORD` lines, or one JSON
    /// document listing the hosts ([`HostsDocument`]).
    pub fn print(&self, env: &Environment, reports: &[Report]) -> ExitCode {
        let stdout = std::io::stdout();
        let color = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout.is_terminal() && env.get("NO_COLOR").is_none(),
        };
        let text = match self.format {
            Format::Human => reports
                .iter()
                .map(|r| {
                    let mut text = human::render(r, color);
                    // The core says what is wrong; the CLI adds which of its commands fixes it.
                    let name = r.remote_host().unwrap_or_default();
                    for l in crate::advice::lines(&r.problems, name) {
                        text.push_str(&l);
                        text.push('\n');
                    }
                    if let Some(l) = crate::advice::install_hint(r) {
                        text.push_str(&l);
                        text.push('\n');
                    }
                    text
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Format::Json if self.hosts => format!("{}\n", HostsDocument::new(reports).to_json()),
            Format::Json => reports
                .iter()
                .map(|r| format!("{}\n", r.to_json()))
                .collect(),
            Format::Simple if self.hosts => reports
                .iter()
                .map(|r| format!("{} {}\n", visible(&r.host), simple::word(r)))
                .collect(),
            Format::Simple => reports
                .iter()
                .map(|r| format!("{}\n", simple::word(r)))
                .collect(),
        };
        let mut lock = stdout.lock();
        if let Err(e) = lock.write_all(text.as_bytes()).and_then(|()| lock.flush())
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            eprintln!("error: cannot write the report: {e}");
            return ExitCode::from(crate::EXIT_INTERNAL);
        }
        if self.check {
            let worst = reports
                .iter()
                .map(|r| r.verdict)
                .reduce(Verdict::worst)
                .unwrap_or(Verdict::Unknown);
            ExitCode::from(u8::try_from(worst.exit_code()).unwrap_or(3))
        } else {
            ExitCode::SUCCESS
        }
    }
}
