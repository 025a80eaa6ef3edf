//! `clawauth sync`, `token paste`, `api-key paste` and `reauth`: repairs over one connection.

use std::future::Future;
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use crate::termux_api;
use clap::{Args, Subcommand, ValueEnum};
use clawauth_core::actions::placement::Choice;
use clawauth_core::actions::run::{TargetChoices, Unreached, over_ssh, target_for};
use clawauth_core::actions::sync::{SyncAction, SyncOptions, SyncResult};
use clawauth_core::actions::{
    Judgement, PasteRequest, Placement, SecretKind, ServiceRestart, Session, input, sync,
};
use clawauth_core::gateway::Gateway;
use clawauth_core::gateway::local::LocalGateway;
use clawauth_core::health::RouteOutcome;
use clawauth_core::openclaw::env::Environment;
use clawauth_core::reauth::{self, Method, ReauthRequest, ReauthResult, ReauthUi, Step};
use clawauth_core::report::Report;
use clawauth_core::secrets::Secret;
use clawauth_core::source::remote::Connection;
use clawauth_core::time::{expiry, parse_duration_ms, to_ms};
use zeroize::Zeroizing;

use clawauth_core::display::visible as v;

use crate::cli_common::positive_duration;
use crate::remote::{connect_options, host_entry, load_config};

/// Exit code for a paste refused before anything was sent (sysexits' EX_DATAERR).
pub const EXIT_DATAERR: u8 = 65;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// What happened, for people
    Human,
    /// The result as JSON (no secrets)
    Json,
}

/// Which gateway, and how to reach it.
#[derive(Debug, Args)]
pub struct Where {
    /// The gateway: a host from config.toml or an ssh destination (default: this machine)
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Trust an unknown host key on first use (a changed key is always refused)
    #[arg(long)]
    accept_new: bool,
    /// Give up connecting after this long
    #[arg(long, value_name = "DURATION")]
    connect_timeout: Option<String>,
    /// OpenClaw agent (default: the host's `agent` in config.toml, else OpenClaw's default)
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
    /// OpenClaw's state dir on the gateway (as the gateway service uses it)
    #[arg(long, value_name = "DIR")]
    state_dir: Option<String>,
    /// The openclaw program on the gateway
    #[arg(long = "openclaw-bin", value_name = "PATH")]
    openclaw: Option<String>,
    /// The gateway's systemd user service (default: the host's `service`, else openclaw-gateway)
    #[arg(long, value_name = "UNIT")]
    service: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

#[derive(Debug, Args)]
#[command(
    long_about = "Hand Claude Code's login on the gateway to OpenClaw.\n\n\
        Reads Claude Code's ~/.claude/.credentials.json on the gateway. When that login is \
        valid and expires later than the credential that serves the gateway's Anthropic routes \
        (or nothing serves them), it is handed over:\n  \
        - OpenClaw 2026.7 and later: only the access token,\n    \
        with its real expiry, into the profile that serves\n    \
        the Anthropic routes (anthropic:claude-code when\n    \
        none does), through `openclaw models auth\n    \
        paste-token` (on stdin). The refresh token stays\n    \
        with Claude Code, so the two never invalidate each\n    \
        other's refreshes.\n  \
        - OpenClaw 2026.6 and older: access, refresh and\n    \
        expiry of anthropic:claude-cli in\n    \
        auth-profiles.json, under OpenClaw's own lock,\n    \
        everything else in the file kept byte for byte.\n\n\
        An API key, a token without a recorded expiry or an OAuth login that still works \
        (OpenClaw refreshes it) is left alone. Then the gateway service is restarted if it is \
        running, the gateway re-checked, and what serves the Anthropic routes now printed. One \
        SSH connection for all of it.",
    after_long_help = "EXAMPLES:\n  \
        # what would change\n  \
        clawauth sync --host gw --dry-run\n  \
        # sync, restart, re-check\n  \
        clawauth sync --host gw\n  \
        # the same on this machine (the gateway host)\n  \
        clawauth sync\n\n\
        EXIT CODES: the re-check's (0 ok, 1 expired or missing, 2 expiring, 3 unreachable); \
        with nothing to sync, or with --dry-run, the check's own; 1 when the sync cannot \
        happen (no Claude Code login, one that has expired itself, no `openclaw` to write with), \
        3 when the gateway's state cannot be read at all. --dry-run exits as the sync would \
        before writing: it checks everything the sync needs, writes nothing and restarts \
        nothing."
)]
pub struct SyncArgs {
    #[command(flatten)]
    at: Where,
    /// Show what the sync would write and where, after checking it could; change nothing
    #[arg(long)]
    dry_run: bool,
}

/// Where a repair stores the new credential, for every repair's `--help`.
macro_rules! where_it_goes {
    () => {
        "\n\nWHERE IT GOES: without --profile-id, into the profile OpenClaw uses for the routes \
         the check flags (expiring, expired, missing) — not a new <provider>:manual that OpenClaw \
         would never select. A credential of another kind than that profile's (an API key for \
         routes on a token) goes to a profile of its own kind, which OpenClaw puts first in its \
         auth order (clawauth puts it first in a stored order too, when one keeps it second). \
         When nothing serves the routes, the first profile of the provider's order; with several \
         agents, each agent's own. The profile is named, with why, before anything is written, \
         and the re-check says what serves those routes afterwards."
    };
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Store a token (e.g. from `claude setup-token`) in OpenClaw on the gateway
    #[command(
        long_about = concat!("Store a token in OpenClaw on the gateway, through `openclaw models auth paste-token` \
            with the token on its stdin (never on a command line).\n\n\
            The token is read from the terminal without echo, from stdin when it is not a terminal, or \
            from the Android clipboard with --from-clipboard. It is checked before it leaves this \
            machine: one unbroken line (a wrapped or cut paste is refused, naming where it broke); \
            Anthropic setup-tokens start with sk-ant-oat01- and have at least 80 characters. A paste \
            at the hidden prompt that arrives in more than one line is refused whole, and nothing \
            of it is left for the shell.\n\n\
            Then the gateway service is restarted if it runs, and the gateway re-checked.",
            where_it_goes!()),
        after_long_help = "EXAMPLES:\n  \
            clawauth token paste --host gw --expires-in 365d\n  \
            clawauth token paste --host gw --from-clipboard \\\n      \
            --expires-in 365d\n  \
            pass show claude-token | \\\n      \
            clawauth token paste --host gw --provider anthropic\n\n\
            Without --expires-in OpenClaw stores no expiry, so nothing can warn before the token stops \
            working: setup-tokens last 365d from when they were made.\n\n\
            EXIT CODES: the re-check's (0 ok, 1, 2, 3); 65 when the paste was refused before anything \
            was sent; 1 when OpenClaw refused it (nothing changed)."
    )]
    Paste(TokenPasteArgs),
}

#[derive(Debug, Args)]
pub struct TokenPasteArgs {
    #[command(flatten)]
    at: Where,
    /// Provider id (anthropic, openai, …)
    #[arg(long, value_name = "P", default_value = "anthropic")]
    provider: String,
    /// When the token expires, from now (365d, 12h, 1h30m); stored by OpenClaw
    #[arg(long, value_name = "DURATION")]
    expires_in: Option<String>,
    /// Profile to write (default: the one OpenClaw uses for the flagged routes; see below)
    #[arg(long, value_name = "ID")]
    profile_id: Option<String>,
    /// Take the token from the Android clipboard (termux-clipboard-get)
    #[arg(long)]
    from_clipboard: bool,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Store an API key in OpenClaw on the gateway
    #[command(
        long_about = concat!("Store an API key in OpenClaw on the gateway, through `openclaw models auth \
            paste-api-key` with the key on its stdin (never on a command line). The key is read without \
            echo, from stdin, or from the clipboard (--from-clipboard), and checked first: one unbroken \
            line; Anthropic keys start with sk-ant-, OpenAI keys with sk-. Then restart and re-check.",
            where_it_goes!()),
        after_long_help = "EXAMPLE:\n  \
            clawauth api-key paste --host gw --provider anthropic \\\n      \
            --from-clipboard"
    )]
    Paste(ApiKeyPasteArgs),
}

#[derive(Debug, Args)]
pub struct ApiKeyPasteArgs {
    #[command(flatten)]
    at: Where,
    /// Provider id (anthropic, openai, openrouter, …)
    #[arg(long, value_name = "P")]
    provider: String,
    /// Profile to write (default: the one OpenClaw uses for the flagged routes; see below)
    #[arg(long, value_name = "ID")]
    profile_id: Option<String>,
    /// Take the key from the Android clipboard (termux-clipboard-get)
    #[arg(long)]
    from_clipboard: bool,
}

#[derive(Debug, Args)]
#[command(
    long_about = concat!("Re-authenticate a provider on the gateway, guided, from the phone.\n\n\
        setup-token (Anthropic, the default): runs `claude setup-token` on the gateway in a terminal, \
        opens its sign-in page on this device (termux-open-url on Termux, else prints it), asks for the \
        code the browser shows, reads the new token from the terminal (never shown or logged) and stores \
        it with `openclaw models auth paste-token --expires-in 365d` on stdin.\n\
        api-key: opens the provider's key page, takes the key (hidden prompt or --from-clipboard) and \
        stores it with `paste-api-key`.\n\
        login: relays `openclaw models auth login --provider P` in a terminal, opening its URLs and \
        showing device codes.\n\n\
        Then the service is restarted if it runs, and the gateway re-checked. When anything fails — \
        a wrong code, a timeout, the program ending — the old credential stays in place.",
        where_it_goes!()),
    after_long_help = "EXAMPLES:\n  \
        clawauth reauth --host gw\n  \
        clawauth reauth --host gw --method api-key \\\n      \
        --provider anthropic --from-clipboard\n  \
        clawauth reauth --host gw --method login --provider openai\n\n\
        EXIT CODES: the re-check's (0 ok, 1, 2, 3); 1 when the flow failed or was cancelled."
)]
pub struct ReauthArgs {
    #[command(flatten)]
    at: Where,
    /// Provider to re-authenticate
    #[arg(long, value_name = "P", default_value = "anthropic")]
    provider: String,
    /// setup-token (Anthropic), api-key, or login (default: setup-token for anthropic, else login)
    #[arg(long, value_name = "METHOD")]
    method: Option<String>,
    /// Profile to write (default: the one OpenClaw uses for the flagged routes; see below)
    #[arg(long, value_name = "ID")]
    profile_id: Option<String>,
    /// api-key: take the key from the Android clipboard (termux-clipboard-get)
    #[arg(long)]
    from_clipboard: bool,
    /// Renew even when the credentials are fine, without asking
    #[arg(long, short = 'y')]
    yes: bool,
    /// How long to wait for the gateway's program at each step (its URL, its token)
    #[arg(long, value_name = "DURATION", default_value = "90s")]
    timeout: String,
}

/// A repair run against one gateway, local or over SSH.
pub trait Job: Send {
    fn run<G: Gateway>(self, s: &Session<'_, G>) -> impl Future<Output = ExitCode> + Send;

    /// The gateway `host` could not be reached or probed: exit 3.
    fn unreachable(self, host: &str, why: &Unreached) -> ExitCode
    where
        Self: Sized,
    {
        crate::advice::print(&format!("cannot reach {host}: {why}"), &why.problem, host);
        ExitCode::from(3)
    }

    /// How long the whole repair may take, connecting included. Each step has its own, shorter
    /// timeout; this bounds the lot.
    fn deadline(&self) -> Duration {
        REPAIR_DEADLINE
    }
}

/// The bound of a repair that needs nobody (sync, paste): a paste gives OpenClaw 90 s, the
/// service restart and the re-check follow.
const REPAIR_DEADLINE: Duration = Duration::from_secs(10 * 60);

/// The bound of a re-auth, which waits for a person (a browser, a code to copy).
pub const REAUTH_DEADLINE: Duration = Duration::from_secs(30 * 60);

/// The CLI's [`Job`] as the core's, so the core's [`over_ssh`] runs it. The job waits in a slot
/// it is taken from when it runs: when the gateway cannot be reached it is still there to tell
/// the person (a toast, a notification) in its own way.
struct Cli<'a, J>(&'a std::sync::Mutex<Option<J>>);

impl<J: Job> clawauth_core::actions::run::Job for Cli<'_, J> {
    type Output = ExitCode;
    async fn run<G: Gateway>(self, s: &Session<'_, G>) -> ExitCode {
        let job = self.0.lock().ok().and_then(|mut slot| slot.take());
        match job {
            Some(job) => job.run(s).await,
            None => ExitCode::from(crate::EXIT_INTERNAL),
        }
    }
}

/// Connects (or takes this machine), probes, runs `job`, closes.
pub fn run_job<J: Job>(at: &Where, job: J) -> ExitCode {
    run_job_at(at, None, job)
}

/// [`run_job`], with the gateway checked as of `when` (time travel, `--at`). The target comes
/// from the core ([`target_for`]: the flags over config.toml), and over SSH the core's
/// [`over_ssh`] runs the job within its deadline.
pub fn run_job_at<J: Job>(
    at: &Where,
    when: Option<chrono::DateTime<chrono::Utc>>,
    job: J,
) -> ExitCode {
    let env = Environment::from_process();
    let (path, config) = match load_config(&env) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let entry = match &at.host {
        Some(h) => match host_entry(&env, &config, h, &path) {
            Ok(e) => Some(e),
            Err(code) => return code,
        },
        None => None,
    };
    let choices = TargetChoices {
        agent: at.agent.clone(),
        state_dir: at.state_dir.clone(),
        openclaw: at.openclaw.clone(),
        service: at.service.clone(),
        at: when,
    };
    let target = match target_for(entry.as_ref(), &config.defaults, choices) {
        Ok(t) => t,
        Err(p) => {
            return crate::usage_error(
                &p.describe(),
                "agent ids look like main or work-2; --state-dir and --openclaw-bin are absolute or ~/ paths; \
                 --service names a systemd unit (letters, digits, -_.@:)",
            );
        }
    };
    let connect_timeout = match at.connect_timeout.as_deref() {
        Some(v) => match positive_duration("--connect-timeout", v, "10s") {
            Ok(d) => d,
            Err(code) => return code,
        },
        None => config.defaults.connect_timeout,
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let code = runtime.block_on(async {
        match (&at.host, &entry) {
            (Some(name), Some(entry)) => {
                let opts = connect_options(&env, &config, at.accept_new, connect_timeout);
                let deadline = job.deadline();
                let slot = std::sync::Mutex::new(Some(job));
                match over_ssh(name, &entry.ssh, &opts, target, deadline, Cli(&slot)).await {
                    Ok(code) => code,
                    Err(why) => match slot.into_inner().ok().flatten() {
                        Some(job) => job.unreachable(name, &why),
                        // Cut off by the deadline while it ran: it said what it did so far.
                        None => {
                            crate::advice::print(&why.to_string(), &why.problem, name);
                            ExitCode::from(3)
                        }
                    },
                }
            }
            _ => {
                let gw = LocalGateway::new(clawauth_core::source::local_host_name(), env.clone());
                let conn = Connection {
                    transport: clawauth_core::report::Transport::Local,
                    destination: "this machine".into(),
                    connect_time: Duration::ZERO,
                };
                match Session::open(&gw, conn, target).await {
                    Ok(s) => job.run(&s).await,
                    Err(e) => {
                        crate::print_error(&e.to_string());
                        ExitCode::from(1)
                    }
                }
            }
        }
    });
    runtime.shutdown_timeout(Duration::from_millis(200));
    code
}

/// An exit code from a verdict's or result's `i32` (1 when it does not fit).
pub fn code(c: i32) -> ExitCode {
    ExitCode::from(u8::try_from(c).unwrap_or(1))
}

/// Prints `v` as pretty JSON whose strings cannot drive a terminal (C0, C1, DEL and bidi
/// controls escaped: [`clawauth_core::display::to_json_pretty`]).
pub fn print_json<T: serde::Serialize>(v: &T) {
    match clawauth_core::display::to_json_pretty(v) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot render the result as JSON: {e}"),
    }
}

fn restart_line(host: &str, r: &ServiceRestart, unit: &str) -> String {
    match r {
        ServiceRestart::Restarted => format!("{host}: restarted {unit} (it was running)"),
        ServiceRestart::NotActive(why) => format!("{host}: {}; not restarted", v(why)),
        ServiceRestart::Unavailable(why) => {
            format!("{host}: could not ask systemd about {unit}: {}", v(why))
        }
        ServiceRestart::Failed(why) => format!("{host}: warning: {}", v(why)),
    }
}

/// What the re-check says, about the routes the repair was for first: what serves them now,
/// and when they are not fixed, why not and the fixes `clawauth status` would give.
fn recheck_lines(host: &str, after: &Report, judgement: Option<&Judgement>) -> Vec<String> {
    let status = clawauth_core::monitor::observe::status_fix(after.remote_host());
    let verdict = after.verdict.as_str();
    let mut lines = Vec::new();
    match judgement.filter(|j| !j.routes.is_empty()) {
        None => {
            let mut line = format!("{host}: re-check: {verdict}");
            if after.exit_code != 0 {
                line.push_str(&format!(
                    " (exit {}; `{}` shows why)",
                    after.exit_code, status.line
                ));
            }
            lines.push(line);
        }
        Some(j) => {
            let agents = after.agents.len();
            lines.push(format!(
                "{host}: re-check: {verdict} — {}",
                v(&j.summary(agents))
            ));
            if !j.fixed {
                let not_new: Vec<_> = j.routes.iter().filter(|r| !r.uses_new).collect();
                let why = if !not_new.is_empty() && not_new.iter().all(|r| r.profile.is_some()) {
                    "OpenClaw selects another profile for them than the one written (see \
                     `--profile-id`)"
                        .to_owned()
                } else if j
                    .routes
                    .iter()
                    .any(|r| r.uses_new && r.outcome == Some(RouteOutcome::Expiring))
                {
                    format!(
                        "the new credential itself expires within the warn window ({})",
                        clawauth_core::time::format_window(after.warn_after_ms)
                    )
                } else if j.routes.iter().any(|r| r.uses_new) {
                    "OpenClaw does not accept the new credential for them".to_owned()
                } else {
                    format!("`{}` shows why", status.line)
                };
                lines.push(format!(
                    "{host}: not fixed: {why}; exit {}",
                    after.exit_code
                ));
            } else if after.exit_code != 0 {
                lines.push(format!(
                    "{host}: those routes are fixed; other problems remain (exit {}): `{}` shows them",
                    after.exit_code, status.line
                ));
            }
        }
    }
    if after.exit_code != 0 {
        // The same advice as `clawauth status`: over SSH the command to run here first.
        let fixes = clawauth_core::report::human::fixes(after, false);
        if !fixes.is_empty() {
            lines.push(format!("{host}: to fix:\n{}", fixes.trim_end()));
        }
    }
    lines
}

// ---------------------------------------------------------------------------------------------
// sync

pub fn sync(args: SyncArgs) -> ExitCode {
    struct SyncJob {
        dry_run: bool,
        format: Format,
    }
    impl Job for SyncJob {
        async fn run<G: Gateway>(self, s: &Session<'_, G>) -> ExitCode {
            let opts = SyncOptions {
                dry_run: self.dry_run,
                ..SyncOptions::default()
            };
            let r = sync::sync(s, &opts).await;
            match self.format {
                Format::Json => print_json(&r),
                Format::Human => print_sync(&r, &s.target.service),
            }
            code(r.exit_code())
        }
    }
    let format = args.at.format;
    run_job(
        &args.at,
        SyncJob {
            dry_run: args.dry_run,
            format,
        },
    )
}

fn print_sync(r: &SyncResult, unit: &str) {
    let now = to_ms(chrono::Utc::now());
    let host = &r.host;
    if let Some(c) = &r.claude_code {
        println!(
            "{host}: Claude Code's login ({}) {}",
            v(&c.path),
            c.expires_at_ms.map_or_else(
                || "expires at an unknown time".to_owned(),
                |e| expiry(e, now)
            )
        );
    }
    if r.claude_code.is_some() && r.note.is_none() {
        match r.placements.as_slice() {
            [p] if p.held.is_some() => {
                let role = match p.choice {
                    Choice::FirstInOrder => "first in its order for",
                    _ => "it serves",
                };
                let name = format!("{} ({role} {})", v(&p.profile_id), v(&p.routes_text()));
                match p.held.as_ref().and_then(|h| h.expires_at_ms) {
                    Some(e) => println!("{host}: OpenClaw's {name} {}", expiry(e, now)),
                    None => println!("{host}: OpenClaw's {name} has no recorded expiry"),
                }
            }
            _ => match r.openclaw_expires_at_ms {
                Some(e) => println!(
                    "{host}: OpenClaw's credential for the Anthropic routes {}",
                    expiry(e, now)
                ),
                None if !r.placements.is_empty() => {
                    println!("{host}: nothing serves the Anthropic routes in OpenClaw now")
                }
                None => println!("{host}: OpenClaw has no Anthropic credential with an expiry"),
            },
        }
    }
    let wrote_some = !r.changes.is_empty() && r.action == SyncAction::Synced;
    if let Some(e) = &r.error {
        crate::print_error(&format!("{host}: {e}"));
        if !wrote_some {
            // Nothing changed: the check's own advice still holds.
            if let Some(before) = r.before.as_ref().filter(|b| b.exit_code != 0) {
                let fixes = clawauth_core::report::human::fixes(before, false);
                if !fixes.is_empty() {
                    println!("{host}: to fix:\n{}", fixes.trim_end());
                }
            }
            return;
        }
    }
    match r.action {
        SyncAction::UpToDate => match &r.note {
            Some(n) => println!("{host}: nothing to sync: {}", v(n)),
            None => println!(
                "{host}: nothing to sync: OpenClaw's credential already lasts as long as Claude Code's"
            ),
        },
        SyncAction::WouldSync => {
            for c in &r.changes {
                println!("{host}: would write {}", v(c));
            }
            println!(
                "{host}: then restart {unit} if it is running, and re-check (dry run: nothing changed)"
            );
        }
        SyncAction::Synced => {
            for c in &r.changes {
                println!("{host}: wrote {}", v(c));
            }
        }
        SyncAction::NotSynced => {}
    }
    if let Some(restart) = &r.restart {
        println!("{}", restart_line(host, restart, unit));
    }
    if r.action == SyncAction::WouldSync
        && let Some(n) = &r.note
    {
        println!("{host}: left alone: {}", v(n));
    }
    if let Some(after) = &r.after {
        for line in recheck_lines(host, after, r.judgement.as_ref()) {
            println!("{line}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// token paste / api-key paste

/// Reads a secret: from the clipboard, a hidden prompt, or stdin.
pub fn read_secret(noun: &str, from_clipboard: bool) -> Result<Zeroizing<Vec<u8>>, String> {
    if from_clipboard {
        return clipboard();
    }
    if std::io::stdin().is_terminal() {
        // Every line of a paste, so that a wrapped one is refused whole (never cut short, its
        // tail never left for the shell).
        return crate::prompt::read_hidden(&format!("Paste the {noun} (input hidden): "))
            .map_err(|e| e.to_string());
    }
    let mut buf = Zeroizing::new(Vec::new());
    std::io::stdin()
        .take((input::MAX_SECRET_LEN + 1) as u64)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read the {noun} from stdin: {e}"))?;
    Ok(buf)
}

/// `termux-clipboard-get` (Termux:API), with a time limit.
fn clipboard() -> Result<Zeroizing<Vec<u8>>, String> {
    termux_api::clipboard_get().map_err(|e| {
        if e.is_missing() {
            format!("{e}; or leave out --from-clipboard and paste at the prompt")
        } else {
            e.to_string()
        }
    })
}

struct PasteJob {
    req: PasteRequest,
    secret: Secret,
    format: Format,
}

impl Job for PasteJob {
    async fn run<G: Gateway>(self, s: &Session<'_, G>) -> ExitCode {
        let host = s.name().to_owned();
        let noun = self.req.kind.noun();
        let human = matches!(self.format, Format::Human);
        let out = s
            .paste_repair(&self.req, &self.secret, |placements| {
                if human {
                    for p in placements {
                        eprintln!("{}", storing_line(&host, noun, p));
                    }
                }
            })
            .await;
        match self.format {
            Format::Json => print_json(&out),
            Format::Human => {
                let via = match self.req.kind {
                    SecretKind::Token => "paste-token",
                    SecretKind::ApiKey => "paste-api-key",
                };
                for st in &out.stored {
                    println!(
                        "{host}: stored the {noun} as {}{} (through `openclaw models auth {via}`, on stdin)",
                        v(&st.placement.profile_id),
                        agent_suffix(st.placement.agent.as_deref()),
                    );
                }
                if let Some(e) = &out.error {
                    crate::print_error(e);
                }
                if let Some(r) = &out.restart {
                    println!("{}", restart_line(&host, r, &s.target.service));
                }
                for n in &out.notes {
                    println!("{host}: {}", v(n));
                }
                if let Some(after) = &out.after {
                    for line in recheck_lines(&host, after, out.judgement.as_ref()) {
                        println!("{line}");
                    }
                }
            }
        }
        code(out.exit_code())
    }
}

fn agent_suffix(agent: Option<&str>) -> String {
    agent
        .map(|a| format!(" for agent {}", v(a)))
        .unwrap_or_default()
}

/// `gw: storing the token as anthropic:claude-code — the profile OpenClaw uses for …` (ids and
/// models come from the gateway: made visible).
fn storing_line(host: &str, noun: &str, p: &Placement) -> String {
    format!(
        "{host}: storing the {noun} as {}{} — {}",
        v(&p.profile_id),
        agent_suffix(p.agent.as_deref()),
        v(&p.reason())
    )
}

fn paste(
    at: &Where,
    kind: SecretKind,
    provider: &str,
    profile_id: Option<String>,
    expires_in: Option<&str>,
    from_clipboard: bool,
) -> ExitCode {
    if let Err(e) = input::validate_provider(provider) {
        return crate::usage_error(&format!("--provider: {e}"), "");
    }
    if let Some(id) = &profile_id
        && let Err(e) = input::validate_profile_id(id, provider)
    {
        return crate::usage_error(&format!("--profile-id: {e}"), "");
    }
    let expires_in_ms = match expires_in {
        Some(v) => match parse_duration_ms(v) {
            Ok(ms) if ms > 0 => Some(ms),
            _ => {
                return crate::usage_error(
                    &format!("--expires-in {v:?} is not a positive duration"),
                    "use values like 365d, 12h or 1h30m",
                );
            }
        },
        None => None,
    };
    let noun = kind.noun();
    let raw = match read_secret(noun, from_clipboard) {
        Ok(r) => r,
        Err(e) => {
            crate::print_error(&e.to_string());
            return ExitCode::from(EXIT_DATAERR);
        }
    };
    let secret = match input::validate_secret(provider, kind, &raw) {
        Ok(s) => s,
        Err(e) => {
            crate::print_error(&e.to_string());
            eprintln!("note: nothing was sent to the gateway");
            return ExitCode::from(EXIT_DATAERR);
        }
    };
    if kind == SecretKind::Token && expires_in_ms.is_none() {
        eprintln!(
            "note: no --expires-in: OpenClaw will not know when this token expires, so nothing can warn \
             before it stops working (setup-tokens last 365d)"
        );
    }
    let job = PasteJob {
        req: PasteRequest {
            kind,
            provider: provider.to_owned(),
            profile_id,
            expires_in_ms,
            agent: None,
        },
        secret,
        format: at.format,
    };
    run_job(at, job)
}

pub fn token(cmd: TokenCommand) -> ExitCode {
    match cmd {
        TokenCommand::Paste(a) => paste(
            &a.at,
            SecretKind::Token,
            &a.provider,
            a.profile_id.clone(),
            a.expires_in.as_deref(),
            a.from_clipboard,
        ),
    }
}

pub fn api_key(cmd: ApiKeyCommand) -> ExitCode {
    match cmd {
        ApiKeyCommand::Paste(a) => paste(
            &a.at,
            SecretKind::ApiKey,
            &a.provider,
            a.profile_id.clone(),
            None,
            a.from_clipboard,
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// reauth

/// Asks `prompt` on stderr and reads one line from stdin (without its line break); `None` at
/// the end of input.
pub fn prompt_line(prompt: &str) -> Option<String> {
    eprint!("{prompt}: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    match std::io::stdin().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\r', '\n']).to_owned()),
    }
}

/// The terminal front end of the guided flow. Progress goes to stderr; answers come from the
/// terminal, or line by line from stdin when it is not one.
struct TerminalUi {
    from_clipboard: bool,
    yes: bool,
}

impl TerminalUi {
    /// One line from stdin (std's stdin is buffered once for the process, so lines are not lost
    /// between calls).
    fn read_line(&self, prompt: String) -> impl Future<Output = Option<String>> + Send + use<> {
        async move {
            tokio::task::spawn_blocking(move || prompt_line(&prompt))
                .await
                .ok()
                .flatten()
        }
    }
}

impl ReauthUi for TerminalUi {
    fn step(&mut self, step: &Step) -> impl Future<Output = ()> + Send {
        let text = match step {
            Step::Checking { host } => format!("checking {host}…"),
            Step::Status { summary, .. } => format!("now: {summary}"),
            Step::Started { program } => format!("started `{program}` on the gateway"),
            Step::WaitingForBrowser => "sign in in the browser; it then shows a code".into(),
            Step::DeviceCode { url, code } => {
                format!("enter the code {code} at {url}")
            }
            Step::WaitingForToken => "waiting for the new token…".into(),
            Step::Storing { profile, reason } => format!("storing it as {profile} — {reason}…"),
            Step::Restart { restart } => match restart {
                ServiceRestart::Restarted => "restarted the gateway service".into(),
                ServiceRestart::NotActive(w) => format!("{w}; not restarted"),
                ServiceRestart::Unavailable(w) | ServiceRestart::Failed(w) => {
                    format!("service: {w}")
                }
            },
            Step::Rechecking => "re-checking…".into(),
        };
        // Names, URLs and codes in a step come from the gateway.
        eprintln!("==> {}", v(&text));
        std::future::ready(())
    }

    fn open_url(&mut self, url: &str) -> impl Future<Output = ()> + Send {
        let url = url.to_owned();
        async move {
            let opened = {
                let url = url.clone();
                tokio::task::spawn_blocking(move || termux_api::open_url(&url))
            };
            let shown = v(&url);
            match opened.await {
                Ok(Ok(())) => eprintln!("==> opened in the browser:\n\n{shown}\n"),
                _ => eprintln!("==> open this URL in your browser:\n\n{shown}\n"),
            }
        }
    }

    fn ask_code(&mut self, prompt: &str) -> impl Future<Output = Option<String>> + Send {
        self.read_line(prompt.to_owned())
    }

    fn ask_secret(&mut self, prompt: &str) -> impl Future<Output = Option<Secret>> + Send {
        let from_clipboard = self.from_clipboard;
        let prompt = prompt.to_owned();
        async move {
            tokio::task::spawn_blocking(move || {
                let raw = if from_clipboard {
                    clipboard().map_err(|e| crate::print_error(&e)).ok()?
                } else if std::io::stdin().is_terminal() {
                    crate::prompt::read_hidden(&format!("{prompt} (input hidden): "))
                        .map_err(|e| eprintln!("error: {e}"))
                        .ok()?
                } else {
                    let mut line = Zeroizing::new(String::new());
                    std::io::stdin().read_line(&mut line).ok()?;
                    Zeroizing::new(line.as_bytes().to_vec())
                };
                let text = String::from_utf8_lossy(&raw).into_owned();
                Some(Secret::new(text))
            })
            .await
            .ok()
            .flatten()
        }
    }

    fn confirm(&mut self, question: &str) -> impl Future<Output = bool> + Send {
        let yes = self.yes;
        let tty = std::io::stdin().is_terminal();
        let ask = self.read_line(format!("{question} [y/N]"));
        async move {
            if yes {
                return true;
            }
            if !tty {
                eprintln!("==> {question} Not without --yes.");
                return false;
            }
            matches!(ask.await.as_deref().map(str::trim), Some("y" | "Y" | "yes"))
        }
    }
}

pub fn reauth(args: ReauthArgs) -> ExitCode {
    let method = match args.method.as_deref() {
        Some(m) => match m.parse::<Method>() {
            Ok(m) => m,
            Err(e) => return crate::usage_error(&format!("--method: {e}"), ""),
        },
        None if args.provider == "anthropic" => Method::SetupToken,
        None => Method::Login,
    };
    if let Err(e) = input::validate_provider(&args.provider) {
        return crate::usage_error(&format!("--provider: {e}"), "");
    }
    let mut req = ReauthRequest::new(args.provider.clone(), method);
    req.profile_id = args.profile_id.clone();
    req.program_timeout = match positive_duration("--timeout", &args.timeout, "90s") {
        Ok(d) => d,
        Err(code) => return code,
    };
    struct ReauthJob {
        req: ReauthRequest,
        ui: TerminalUi,
        format: Format,
    }
    impl Job for ReauthJob {
        async fn run<G: Gateway>(mut self, s: &Session<'_, G>) -> ExitCode {
            let r = reauth::run(s, &self.req, &mut self.ui).await;
            match self.format {
                Format::Json => print_json(&r),
                Format::Human => print_reauth(&r, &s.target.service),
            }
            code(r.exit_code())
        }
        fn deadline(&self) -> Duration {
            REAUTH_DEADLINE
        }
    }
    let ui = TerminalUi {
        from_clipboard: args.from_clipboard,
        yes: args.yes,
    };
    run_job(
        &args.at,
        ReauthJob {
            req,
            ui,
            format: args.at.format,
        },
    )
}

fn print_reauth(r: &ReauthResult, unit: &str) {
    let host = &r.host;
    if let Some(f) = &r.failure {
        crate::print_error(&format!(
            "{host}: re-auth of {} failed: {f}",
            v(&r.provider)
        ));
        eprintln!("note: nothing was changed on {host}: the old credential is still in place");
        return;
    }
    let fixed = r.judgement.as_ref().is_none_or(|j| j.fixed);
    match (&r.profile_id, fixed) {
        (Some(p), true) => println!(
            "{host}: {} is re-authenticated: new credential stored as {}",
            v(&r.provider),
            v(p)
        ),
        (Some(p), false) => println!(
            "{host}: new {} credential stored as {}, but the routes it was for are not fixed (below)",
            v(&r.provider),
            v(p)
        ),
        (None, _) => println!("{host}: {} login finished", v(&r.provider)),
    }
    if let Some(restart) = &r.restart {
        println!("{}", restart_line(host, restart, unit));
    }
    for n in &r.notes {
        println!("{host}: {}", v(n));
    }
    if let Some(after) = &r.after {
        for line in recheck_lines(host, after, r.judgement.as_ref()) {
            println!("{line}");
        }
    }
}
