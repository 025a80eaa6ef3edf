//! `clawauth monitor`: check the gateways, alert by policy, remember what was sent.

use std::process::ExitCode;
use std::time::Duration;

use camino::Utf8PathBuf;
use clap::{Args, Subcommand};
use clawauth_core::monitor::config::MonitorConfig;
use clawauth_core::monitor::notify::{
    self, CommandNotifier, NTFY_TOKEN_KEY, Notifier, Ntfy, Termux,
};
use clawauth_core::monitor::observe::{Level, What};
use clawauth_core::monitor::{self, RunError, RunOptions, RunReport, Target, heartbeat};
use clawauth_core::openclaw::env::Environment;
use clawauth_core::secrets::{LazyStore, Secret, SecretStore};
use clawauth_core::source::{StatusRequest, status_within};
use clawauth_core::time::{format_moment, to_ms};

use clawauth_core::display::visible as v;

use crate::monitor_install::Selection;
use crate::remote::{Checks, check_hosts, load_config};

/// sysexits' EX_TEMPFAIL: another run holds the lock.
const EXIT_BUSY: u8 = 75;
/// The failpoint that aborts right after a delivery, before it is recorded.
const FAILPOINT: &str = "monitor-after-send";

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    long_about = "Check the gateways, decide by policy what deserves an alert, send it, and remember what \
        was sent — meant to run every 30 minutes from a systemd user timer or cron (`clawauth \
        monitor install`).\n\n\
        What is watched: every credential that serves one of OpenClaw's model routes (default \
        model, fallbacks, image and utility models), on every agent; routes with no usable \
        credential; OpenClaw itself failing; and whether the gateway can be read at all.\n\n\
        When it alerts (all configurable under [monitor] in config.toml):\n  \
        - at once when something gets worse: ok, expiring,\n    \
        expired or missing;\n  \
        - before expiry, per credential type: OAuth and tokens\n    \
        24h before (as OpenClaw's check), setup-tokens\n    \
        (tokens seen living 30 days or more) also 30 and 7\n    \
        days before, API keys only when OpenClaw records an\n    \
        expiry; a threshold may be a share of the lifetime\n    \
        (\"10%\");\n  \
        - reminders while it stays bad: expired or missing\n    \
        every hour, expiring every 6 hours (the 30- and\n    \
        7-day notices are sent once);\n  \
        - a recovery notice when it is fixed;\n  \
        - \"unreachable\" only after 2 failed runs in a row, so\n    \
        a blip pages nobody.\n\
        Every alert names host, agent, provider, profile, the time left and the exact commands \
        that fix it.\n\n\
        --changes-only turns every reminder off for that run: it alerts only when something \
        changes (worse, better, a new threshold crossed, fixed, unreachable or reachable \
        again), never because time passed. The phone's scheduled check (`clawauth termux setup \
        --schedule`) runs it that way, so a credential that stays bad does not buzz the phone \
        every half hour.\n\n\
        An alert counts as sent only once its notifier accepted it; a failed one is retried on \
        the next run. State lives in ~/.local/state/clawauth/monitor.json (written atomically, \
        no secrets).",
    after_long_help = "NOTIFIERS (config.toml):\n  \
        [monitor.ntfy]\n  \
        topic = \"my-gateway-alerts\"       # required\n  \
        server = \"https://ntfy.example.org\"  # default ntfy.sh\n  \
        # NTFY_TOKEN=tk_… in a 0600 file; or store it with\n  \
        # `clawauth monitor ntfy-token set`, or set\n  \
        # $CLAWAUTH_NTFY_TOKEN\n  \
        token_file = \"~/.config/clawauth/ntfy.env\"\n\n  \
        # Any program: the alert arrives on stdin, and\n  \
        # CLAWAUTH_ALERT_TITLE, _PRIORITY, _LEVEL, _HOST and\n  \
        # _FIX in its environment.\n  \
        [monitor.command]\n  \
        program = \"/usr/local/bin/send-alert\"\n  \
        args = [\"--channel\", \"ops\"]\n\n  \
        # termux-notification on the phone (auto: in Termux)\n  \
        [monitor.termux]\n  \
        enabled = \"auto\"\n\n  \
        # Pinged at start, on success, and with the exit status\n  \
        [monitor.heartbeat]\n  \
        url = \"https://hc-ping.com/<uuid>\"\n\n\
        POLICY (config.toml, defaults shown):\n  \
        [monitor]\n  \
        # what a bare `clawauth monitor` checks (\"local\": this\n  \
        # machine)\n  \
        hosts = [\"gw\"]\n  \
        unreachable_after = 2\n  \
        remind_expired = \"1h\"         # \"off\" to disable\n  \
        remind_expiring = \"6h\"\n  \
        remind_unreachable = \"6h\"\n\n  \
        [monitor.thresholds]\n  \
        oauth = [\"24h\"]\n  \
        token = [\"24h\"]\n  \
        setup_token = [\"30d\", \"7d\", \"24h\"]\n  \
        api_key = [\"24h\"]\n  \
        long_lived = \"30d\"\n\n  \
        [monitor.priority]\n  \
        expired = \"urgent\"\n  \
        expiring = \"high\"\n  \
        notice = \"default\"\n  \
        unreachable = \"high\"\n  \
        recovered = \"default\"\n\n\
        WHICH GATEWAYS: --host NAME (repeatable), --all (every host in config.toml), --local \
        (this machine); without them, [monitor] hosts, else every configured host, else this \
        machine.\n\n\
        EXIT CODES:\n  \
        0   the run completed and every alert was delivered\n      \
        (whatever the credentials' state)\n  \
        1   an alert could not be delivered (retried on the\n      \
        next run), or the state could not be written\n  \
        64  the command line or config.toml is wrong\n  \
        75  another monitor run is still going\n\n\
        EXAMPLES:\n  \
        # what the timer runs\n  \
        clawauth monitor --all\n  \
        # what would be sent now (and in six days), sending\n  \
        # nothing\n  \
        clawauth monitor --host gw --dry-run\n  \
        clawauth monitor --host gw --at +6d --dry-run\n  \
        # news only, no reminders (the phone's scheduled check)\n  \
        clawauth monitor --all --changes-only\n  \
        # a test alert through every notifier\n  \
        clawauth monitor test\n  \
        # every 30 minutes, as a systemd user timer\n  \
        clawauth monitor install --systemd --all\n\n\
        Logs go to stderr (the journal under systemd); CLAWAUTH_LOG=debug for more."
)]
pub struct MonitorArgs {
    #[command(subcommand)]
    command: Option<MonitorCommand>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum MonitorCommand {
    #[command(
        about = "Run the monitor every 30 minutes: a systemd user timer (--systemd) or a crontab line (--cron)"
    )]
    Install(crate::monitor_install::InstallArgs),
    #[command(about = "Stop and remove the systemd user timer written by `monitor install`")]
    Uninstall(crate::monitor_install::UninstallArgs),
    /// Send a test alert through every configured notifier
    Test,
    /// Store or forget the ntfy access token in clawauth's secret store
    #[command(subcommand, name = "ntfy-token")]
    NtfyToken(NtfyTokenCommand),
}

#[derive(Debug, Subcommand)]
enum NtfyTokenCommand {
    /// Store the token (asked for without echo, or read from stdin: `… set < token.txt`)
    Set,
    /// Forget the stored token
    Forget,
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    select: Selection,
    /// Decide and print what would be sent; send nothing, write nothing
    #[arg(long)]
    dry_run: bool,
    /// Alert only when something changes (worse, better, fixed, unreachable, reachable again): no reminders this run
    #[arg(long)]
    changes_only: bool,
    /// Run as of this moment (time travel, for testing a policy): Unix ms, RFC 3339 or an offset (+6d)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    at: Option<String>,
    /// The state file (default: [monitor] state_file, else ~/.local/state/clawauth/monitor.json)
    #[arg(long, value_name = "PATH")]
    state_file: Option<Utf8PathBuf>,
    /// SSH connect timeout (default 5s, or [defaults] connect_timeout)
    #[arg(long, value_name = "DURATION")]
    connect_timeout: Option<String>,
    /// Deadline for each host's check (default 60s, or [defaults] deadline)
    #[arg(long, value_name = "DURATION")]
    deadline: Option<String>,
}

pub fn run(args: MonitorArgs) -> ExitCode {
    match args.command {
        Some(MonitorCommand::Install(a)) => crate::monitor_install::install(a),
        Some(MonitorCommand::Uninstall(a)) => crate::monitor_install::uninstall(a),
        Some(MonitorCommand::Test) => test(),
        Some(MonitorCommand::NtfyToken(c)) => ntfy_token(c),
        None => monitor(args.run),
    }
}

/// The secret store, opened only if asked.
fn lazy_store(config: &clawauth_core::config::Config, env: &Environment) -> LazyStore {
    LazyStore::new(
        env.clone(),
        crate::remote::store_choice(config).ok().flatten(),
    )
}

/// The configured notifiers. One that cannot be set up (an unreadable token file, say) is kept
/// as a notifier whose every send fails with the reason, so its alerts are retried.
fn notifiers(m: &MonitorConfig, env: &Environment, store: &dyn SecretStore) -> Vec<Notifier> {
    let mut out = Vec::new();
    if let Some(cfg) = &m.ntfy {
        let built = notify::ntfy_token(cfg, env, Some(store)).and_then(|t| Ntfy::new(cfg, env, t));
        out.push(match built {
            Ok(n) => Notifier::Ntfy(n),
            Err(why) => Notifier::Unavailable {
                channel: "ntfy",
                why,
            },
        });
    }
    if let Some(cfg) = &m.command {
        out.push(Notifier::Command(CommandNotifier::new(cfg, env)));
    }
    let termux = match m.termux {
        clawauth_core::monitor::config::TermuxSetting::On => true,
        clawauth_core::monitor::config::TermuxSetting::Off => false,
        clawauth_core::monitor::config::TermuxSetting::Auto => {
            clawauth_core::secrets::is_termux(env)
        }
    };
    if termux {
        let exe = std::env::current_exe()
            .ok()
            .and_then(|p| p.to_str().map(str::to_owned))
            .unwrap_or_else(|| "clawauth".to_owned());
        out.push(Notifier::Termux(Termux::new(exe)));
    }
    out
}

/// What the run checks: host names, and whether this machine is one of them.
fn selection(s: &Selection, config: &clawauth_core::config::Config) -> (Vec<String>, bool) {
    if s.local {
        return (Vec::new(), true);
    }
    if s.all {
        return (config.hosts.keys().cloned().collect(), false);
    }
    if !s.hosts.is_empty() {
        return (crate::remote::unique(&s.hosts), false);
    }
    if let Some(list) = &config.monitor.hosts {
        let local = list.iter().any(|h| h == "local");
        return (
            list.iter().filter(|h| *h != "local").cloned().collect(),
            local,
        );
    }
    if config.hosts.is_empty() {
        (Vec::new(), true)
    } else {
        (config.hosts.keys().cloned().collect(), false)
    }
}

fn monitor(a: RunArgs) -> ExitCode {
    let env = Environment::from_process();
    let (path, config) = match load_config(&env) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let real_now = chrono::Utc::now();
    let at = match crate::cli_common::parse_at(a.at.as_deref(), real_now) {
        Ok(at) => at,
        Err(code) => return code,
    };
    let (names, local) = selection(&a.select, &config);
    if a.select.all && names.is_empty() {
        return crate::usage_error(
            &format!("--all: no hosts in {path}"),
            "add one with `clawauth hosts add gw --ssh user@gateway`, or monitor this machine with --local",
        );
    }
    let state_path = match a
        .state_file
        .clone()
        .or_else(|| {
            config
                .monitor
                .state_file
                .as_ref()
                .map(|p| notify::expand_home(p, &env))
        })
        .or_else(|| monitor::state::default_path(&env))
    {
        Some(p) => p,
        None => {
            return crate::usage_error(
                "no place for the monitor's state: HOME is not set",
                "set HOME or XDG_STATE_HOME, or pass --state-file PATH",
            );
        }
    };
    let store = lazy_store(&config, &env);
    let notifiers = notifiers(&config.monitor, &env, &store);
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let beat = match &config.monitor.heartbeat {
        Some(h) if !a.dry_run => match heartbeat::Heartbeat::new(h, &env) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("warning: heartbeat disabled: {e}");
                None
            }
        },
        _ => None,
    };
    if let Some(b) = &beat
        && let Err(e) = runtime.block_on(b.start())
    {
        eprintln!("warning: {e}");
    }

    // Check.
    let mut targets = Vec::new();
    if local {
        let req = StatusRequest {
            at,
            ..StatusRequest::default()
        };
        // The per-host deadline bounds this machine's check too.
        let deadline = match a
            .deadline
            .as_deref()
            .map(|v| crate::cli_common::positive_duration("--deadline", v, "2m"))
            .transpose()
        {
            Ok(d) => d.unwrap_or(config.defaults.deadline),
            Err(code) => return code,
        };
        let report = runtime.block_on(status_within(&env, &req, real_now, deadline));
        targets.push(Target {
            report,
            remote: false,
        });
    }
    if !names.is_empty() {
        let checks = Checks {
            at,
            warn_ms: clawauth_core::source::StatusRequest::default().warn_ms,
            connect_timeout: a.connect_timeout.clone(),
            deadline: a.deadline.clone(),
            ..Checks::default()
        };
        match check_hosts(&runtime, &env, &config, &path, &names, &checks, real_now) {
            Ok(reports) => targets.extend(reports.into_iter().map(|report| Target {
                report,
                remote: true,
            })),
            Err(code) => return code,
        }
    }

    // Decide, send, record.
    let opts = RunOptions {
        policy: match config.monitor.policy.clone() {
            p if a.changes_only => p.changes_only(),
            p => p,
        },
        state_path: state_path.clone(),
        dry_run: a.dry_run,
        now_ms: to_ms(at.unwrap_or(real_now)),
        lock_wait: Duration::from_secs(60),
        crash_after_send: env.get("CLAWAUTH_FAILPOINT") == Some(FAILPOINT),
    };
    let result = runtime.block_on(monitor::run(&targets, &notifiers, &opts));
    let (code, summary) = match result {
        Ok(report) => {
            let summary = render(&report, &notifiers, &opts);
            print!("{summary}");
            let code = if report.failed() > 0 { 1 } else { 0 };
            (code, summary)
        }
        Err(e @ RunError::Busy(_)) => {
            crate::print_error(&e.to_string());
            (i32::from(EXIT_BUSY), e.to_string())
        }
        Err(e) => {
            crate::print_error(&e.to_string());
            eprintln!(
                "hint: the monitor needs a writable state file; pass --state-file or set [monitor] state_file"
            );
            (1, e.to_string())
        }
    };
    if let Some(b) = &beat
        && let Err(e) = runtime.block_on(b.finish(code, &summary))
    {
        eprintln!("warning: {e}");
    }
    runtime.shutdown_timeout(Duration::from_millis(200));
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// What a run did, for the terminal and the journal.
fn render(r: &RunReport, notifiers: &[Notifier], opts: &RunOptions) -> String {
    let mut s = String::new();
    let watched = r
        .observations
        .iter()
        .filter(|o| o.what != What::Host)
        .count();
    s.push_str(&format!(
        "clawauth monitor, {}{}: {} host{}, {watched} credential{} watched\n",
        format_moment(opts.now_ms),
        if opts.dry_run {
            " (dry run: nothing sent or written)"
        } else {
            ""
        },
        r.hosts.len(),
        if r.hosts.len() == 1 { "" } else { "s" },
        if watched == 1 { "" } else { "s" },
    ));
    if let Some((moved, why)) = &r.state_replaced {
        s.push_str(&format!(
            "  note: the state file was unusable ({}); kept as {moved}, starting afresh\n",
            v(why)
        ));
    }
    for h in &r.hosts {
        if !h.readable {
            s.push_str(&format!(
                "  {:<12} unreadable ({} run{} in a row): {}\n",
                v(&h.host),
                h.failures,
                if h.failures == 1 { "" } else { "s" },
                v(h.reason.as_deref().unwrap_or("unknown"))
            ));
        }
    }
    for o in r.observations.iter().filter(|o| o.what != What::Host) {
        // Names and details come from the gateways.
        let name = match &o.what {
            What::Credential { profile_id, .. } => v(profile_id).into_owned(),
            What::Provider { provider } => format!("{} (no profile)", v(provider)),
            What::OpenClaw => "OpenClaw".to_owned(),
            What::Host => String::new(),
        };
        let extra = match (o.level, &o.threshold) {
            (Level::Expiring, Some(t)) => format!(" — within the {t} warning"),
            _ => String::new(),
        };
        s.push_str(&format!(
            "  {:<12} {:<11} {name}: {}{extra}\n",
            v(&o.host),
            o.level.as_str(),
            v(&o.detail)
        ));
    }
    if notifiers.is_empty() {
        s.push_str("  no notifier configured: alerts are only printed here; add [monitor.ntfy] topic = \"…\" to config.toml (see `clawauth monitor --help`)\n");
    }
    for d in &r.deliveries {
        let m = &d.message;
        let head = match &d.result {
            None => "would send",
            Some(Ok(())) => "sent",
            Some(Err(_)) => "NOT SENT",
        };
        s.push_str(&format!(
            "  {head} {} [{} {}] {}\n",
            d.channel,
            m.kind.as_str(),
            priority_name(m.priority),
            v(&m.title)
        ));
        if let Some(Err(e)) = &d.result {
            s.push_str(&format!(
                "    {}; it will be retried on the next run\n",
                v(e)
            ));
        }
    }
    s
}

fn priority_name(p: u8) -> &'static str {
    match p {
        5 => "urgent",
        4 => "high",
        3 => "default",
        2 => "low",
        _ => "min",
    }
}

/// `clawauth monitor test`.
fn test() -> ExitCode {
    let env = Environment::from_process();
    let (_, config) = match load_config(&env) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let store = lazy_store(&config, &env);
    let notifiers = notifiers(&config.monitor, &env, &store);
    if notifiers.is_empty() {
        return crate::usage_error(
            "no notifier is configured",
            "add [monitor.ntfy] with topic = \"…\" (or [monitor.command]) to config.toml; see `clawauth monitor --help`",
        );
    }
    let message = monitor::message::test_message(&clawauth_core::source::local_host_name());
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut failed = 0;
    for n in &notifiers {
        match runtime.block_on(n.send(&message)) {
            Ok(()) => println!("sent a test alert through {}", n.describe()),
            Err(e) => {
                failed += 1;
                crate::print_error(&format!("{}: {e}", n.describe()));
            }
        }
    }
    ExitCode::from(u8::from(failed > 0))
}

/// `clawauth monitor ntfy-token set|forget`.
fn ntfy_token(cmd: NtfyTokenCommand) -> ExitCode {
    let env = Environment::from_process();
    let (_, config) = match load_config(&env) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let store = match crate::remote::secret_store(&env, &config) {
        Ok(s) => s,
        Err(e) => {
            crate::print_error(&e.to_string());
            return ExitCode::from(1);
        }
    };
    match cmd {
        NtfyTokenCommand::Set => {
            let token = match crate::repair::read_secret("ntfy access token", false) {
                Ok(bytes) => Secret::new(String::from_utf8_lossy(&bytes).trim().to_owned()),
                Err(e) => {
                    crate::print_error(&e.to_string());
                    return ExitCode::from(1);
                }
            };
            if let Err(e) = notify::validate_ntfy_token(token.expose()) {
                return crate::usage_error(
                    &e,
                    "paste the token exactly as ntfy shows it (tk_…), on one line",
                );
            }
            match store.set(NTFY_TOKEN_KEY, &token) {
                Ok(()) => {
                    println!("stored the ntfy token in {}", store.location());
                    if !store.survives_reboot() {
                        println!(
                            "note: the kernel keyring forgets it at reboot; for a timer on a server prefer token_file in [monitor.ntfy]"
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    crate::print_error(&e.to_string());
                    ExitCode::from(1)
                }
            }
        }
        NtfyTokenCommand::Forget => match store.delete(NTFY_TOKEN_KEY) {
            Ok(true) => {
                println!("forgot the ntfy token");
                ExitCode::SUCCESS
            }
            Ok(false) => {
                println!("no ntfy token was stored");
                ExitCode::SUCCESS
            }
            Err(e) => {
                crate::print_error(&e.to_string());
                ExitCode::from(1)
            }
        },
    }
}
