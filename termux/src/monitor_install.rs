//! `clawauth monitor install` and `clawauth monitor uninstall`: run `clawauth monitor` from a
//! systemd user timer (written, then enabled) or from cron (a crontab line, printed).
//!
//! Every value that goes into a unit file is checked (no control characters) and escaped for
//! systemd (`%` specifiers, `$` expansion, quotes, backslashes); every value in a crontab line is
//! shell-quoted and its `%` escaped. Host names are validated before either. Files are written
//! atomically (DESIGN.md §Security), and a unit of the same name that clawauth did not write is
//! never replaced without --force nor removed.

use std::process::ExitCode;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use clawauth_core::fsutil::write_atomic;
use clawauth_core::gateway::local::LocalGateway;
use clawauth_core::gateway::{Command, Gateway, Limits, quote};
use clawauth_core::openclaw::env::Environment;
use clawauth_core::time::parse_duration_ms;
use clawauth_core::validate::{validate_host_name, validate_ssh_target};

/// The service unit: runs `clawauth monitor` once.
const SERVICE: &str = "clawauth-monitor.service";
/// The timer unit: starts the service on the clock.
const TIMER: &str = "clawauth-monitor.timer";
/// How every file we generate starts; a file without it is the user's own.
const MARKER: &str = "# Written by clawauth monitor install";
/// The first line of every file we generate.
const HEADER: &str = "# Written by clawauth monitor install — edit with `clawauth monitor install --systemd --force`";
/// Environment variables copied from the installing shell into the service (when set), so the
/// timer sees what the user sees. An allow-list: nothing secret is ever among them.
const PASSED_ENV: &[&str] = &[
    "CLAWAUTH_CONFIG",
    "CLAWAUTH_SECRET_STORE",
    "XDG_CONFIG_HOME",
    "OPENCLAW_STATE_DIR",
    "OPENCLAW_HOME",
    "OPENCLAW_CONFIG_PATH",
    "OPENCLAW_AGENT_DIR",
    "PI_CODING_AGENT_DIR",
    "PATH",
];
/// A monitor run that takes longer than this is killed by systemd.
const RUN_TIMEOUT: &str = "10min";
/// Each systemctl call is abandoned (and killed) after this long.
const SYSTEMCTL_TIMEOUT: Duration = Duration::from_secs(30);
/// The intervals a timer on the clock can keep.
const VALID_EVERY: &str = "5m, 6m, 10m, 12m, 15m, 20m, 30m, 1h, 2h, 3h, 4h, 6h, 8h, 12h or 24h";
/// Where cron runs are logged (cron's shell expands $HOME).
const CRON_LOG_DIR: &str = "$HOME/.local/state/clawauth";

const NEXT_STEPS: &str = "  loginctl enable-linger $USER                        # once: user timers run without a login session\n  \
    systemctl --user list-timers clawauth-monitor.timer  # when it runs next\n  \
    journalctl --user -u clawauth-monitor                # what the runs said";

/// Which gateways a monitor run checks (shared with `clawauth monitor` itself).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Selection {
    /// Check this gateway (a host from config.toml or an ssh destination); repeat for several
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,
    /// Check every host in config.toml
    #[arg(long, conflicts_with_all = ["hosts", "local"])]
    pub all: bool,
    /// Check this machine's own OpenClaw (the gateway host itself)
    #[arg(long, conflicts_with = "hosts")]
    pub local: bool,
}

impl Selection {
    /// The selection as `clawauth monitor` arguments, e.g. `["--host", "gw"]`; empty when the
    /// monitor is to use config.toml's choice.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for h in &self.hosts {
            args.push("--host".to_owned());
            args.push(h.clone());
        }
        if self.all {
            args.push("--all".to_owned());
        }
        if self.local {
            args.push("--local".to_owned());
        }
        args
    }

    /// Every --host must be a host name or an ssh destination before it goes into a unit file
    /// or a crontab line.
    fn validate(&self) -> Result<(), ExitCode> {
        for h in &self.hosts {
            if validate_host_name(h).is_ok() {
                continue;
            }
            if let Err(e) = validate_ssh_target(h) {
                return Err(crate::usage_error(
                    &format!("--host {h:?} is neither a host name nor an ssh destination: {e}"),
                    "a host from `clawauth hosts list`, an ~/.ssh/config alias, or user@host[:port]",
                ));
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        if self.all {
            "every host in config.toml".to_owned()
        } else if self.local {
            "this machine".to_owned()
        } else if self.hosts.is_empty() {
            "the gateways config.toml names".to_owned()
        } else {
            self.hosts.join(", ")
        }
    }
}

#[derive(Debug, clap::Args)]
#[command(
    about = "Run `clawauth monitor` from a systemd user timer (--systemd) or cron (--cron)",
    group(clap::ArgGroup::new("method").args(["systemd", "cron"]).multiple(false)),
    override_usage = "clawauth monitor install --systemd [--every DURATION]\n           \
        [--host NAME... | --all | --local]\n           \
        [--print] [--force]\n       \
        clawauth monitor install --print ...   (as --systemd)\n       \
        clawauth monitor install --cron [--every DURATION]\n           \
        [--host NAME... | --all | --local]",
    long_about = "Run `clawauth monitor` on a schedule, so alerts come without you asking.\n\n\
        --systemd writes two systemd user units and enables the timer:\n  \
        $XDG_CONFIG_HOME/systemd/user/clawauth-monitor.service\n  \
        $XDG_CONFIG_HOME/systemd/user/clawauth-monitor.timer\n  \
        (default ~/.config/systemd/user/)\n\
        The service runs this clawauth binary (its absolute path) as `clawauth monitor` with \
        the selection given here (--host/--all/--local; none: config.toml's choice), killed \
        after 10 minutes. It gets PATH, CLAWAUTH_CONFIG, XDG_CONFIG_HOME, OPENCLAW_STATE_DIR, \
        OPENCLAW_HOME (and OpenClaw's other location variables) as set while installing, and \
        reads secrets such as CLAWAUTH_NTFY_TOKEN=… from the optional file \
        ~/.config/clawauth/monitor.env — keep it mode 0600; secrets never go in a unit. The \
        timer runs on the clock (Persistent=true: a run missed while off happens at boot), with \
        a random delay of up to 5 minutes. Then `systemctl --user daemon-reload` and `systemctl \
        --user enable --now clawauth-monitor.timer`; when there is no user manager to talk to \
        (no user bus, no systemctl), the units stay written and the commands to run later are \
        printed.\n\n\
        --print shows the units instead (--systemd is implied): it writes nothing and runs \
        nothing.\n\n\
        --cron writes nothing: it prints one crontab line (on stdout; how to add it on stderr).",
    after_long_help = "LINGER: systemd runs user timers only while you have a session, unless lingering is on \
        (once per machine; then the timer runs after boot and logout):\n  \
        loginctl enable-linger $USER\n\n\
        EXAMPLES:\n  \
        # every host in config.toml, every 30m\n  \
        clawauth monitor install --systemd --all\n  \
        # on the gateway host itself\n  \
        clawauth monitor install --systemd --local --every 15m\n  \
        clawauth monitor install --systemd --host gw --host pi \\\n      \
        --every 2h\n  \
        # show the units, write nothing\n  \
        clawauth monitor install --print\n  \
        # cron instead\n  \
        (crontab -l 2>/dev/null;\n   \
        clawauth monitor install --cron --all) | crontab -\n  \
        # when it runs next, and what past runs said\n  \
        systemctl --user list-timers clawauth-monitor.timer\n  \
        journalctl --user -u clawauth-monitor\n\n\
        Re-running install replaces the units it wrote (\"unchanged\" when identical). A unit \
        of the same name that clawauth did not write is left alone unless --force. Moved the \
        binary? Install again.\n\n\
        EXIT CODES:\n  \
        0   written (or printed); enabled, or the commands to\n      \
        enable it later were printed\n  \
        1   a file could not be written, or systemctl failed\n      \
        (other than: no user manager)\n  \
        64  the command line is wrong, or a unit of that name\n      \
        is not clawauth's (see --force)"
)]
pub struct InstallArgs {
    /// Write the systemd user units and enable the timer
    #[arg(long, group = "method")]
    systemd: bool,
    /// Print a crontab line instead (writes nothing)
    #[arg(long, group = "method")]
    cron: bool,
    /// How often: 5m, 6m, 10m, 12m, 15m, 20m, 30m, 1h, 2h, 3h, 4h, 6h, 8h, 12h or 24h
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    every: String,
    #[command(flatten)]
    selection: Selection,
    /// Print the systemd unit files (--systemd is implied), write nothing, run nothing
    #[arg(long, conflicts_with = "cron")]
    print: bool,
    /// Replace unit files of the same name that clawauth did not write
    #[arg(long, conflicts_with = "cron")]
    force: bool,
}

#[derive(Debug, clap::Args)]
#[command(
    about = "Stop and remove the systemd user timer that `install --systemd` wrote",
    long_about = "Stop and remove the monitor's systemd user timer.\n\n\
        Runs `systemctl --user disable --now clawauth-monitor.timer`, removes \
        clawauth-monitor.service and clawauth-monitor.timer from $XDG_CONFIG_HOME/systemd/user/ \
        (default ~/.config/systemd/user/), then `systemctl --user daemon-reload`. Only files that \
        `clawauth monitor install` wrote are removed: a unit of the same name without its marker \
        line is left alone (exit 64). Without a user manager to talk to, the files are removed and \
        the commands to run later are printed.\n\n\
        A crontab line from `install --cron` is yours: remove it with `crontab -e`.",
    after_long_help = "EXAMPLES:\n  \
        clawauth monitor uninstall\n  \
        # to change the schedule, install again instead\n  \
        clawauth monitor install --systemd --every 1h"
)]
pub struct UninstallArgs {
    /// Remove the systemd user timer (the default, and the only kind clawauth installs)
    #[arg(long)]
    systemd: bool,
}

/// How often the monitor runs: a whole number of minutes that divides an hour, or of hours that
/// divides a day, so that a calendar timer and a cron line keep the same schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Every {
    minutes: u32,
}

impl Every {
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let ms = parse_duration_ms(t).map_err(|e| format!("--every: {e}"))?;
        if ms % 60_000 != 0 {
            return Err(format!("--every {s:?} is not a whole number of minutes"));
        }
        let minutes =
            u32::try_from(ms / 60_000).map_err(|_| format!("--every {s:?} is too long"))?;
        if minutes < 5 {
            return Err(format!("--every {s:?} is too short: the shortest is 5m"));
        }
        let ok = (minutes < 60 && 60u32.is_multiple_of(minutes))
            || (minutes.is_multiple_of(60)
                && minutes <= 24 * 60
                && 24u32.is_multiple_of(minutes / 60));
        if !ok {
            return Err(format!(
                "--every {s:?}: runs follow the clock, so the interval must divide an hour or a day"
            ));
        }
        Ok(Self { minutes })
    }

    fn hours(self) -> u32 {
        self.minutes / 60
    }

    /// `OnCalendar=` (in systemd's normalized form).
    fn on_calendar(self) -> String {
        match self.minutes {
            m if m < 60 => format!("*-*-* *:00/{m}:00"),
            1440 => "*-*-* 00:00:00".to_owned(),
            _ => format!("*-*-* 00/{}:00:00", self.hours()),
        }
    }

    /// The five time fields of a crontab line.
    pub(crate) fn cron_fields(self) -> String {
        match self.minutes {
            m if m < 60 => format!("*/{m} * * * *"),
            60 => "0 * * * *".to_owned(),
            1440 => "0 0 * * *".to_owned(),
            _ => format!("0 */{} * * *", self.hours()),
        }
    }

    /// `RandomizedDelaySec=`: a sixth of the interval, at most 5 minutes, so many machines do
    /// not all call at :00 and runs never overlap.
    fn randomized_delay(self) -> String {
        let secs = (self.minutes * 60 / 6).min(300);
        if secs.is_multiple_of(60) {
            format!("{}min", secs / 60)
        } else {
            format!("{secs}s")
        }
    }

    fn human(self) -> String {
        if self.minutes < 60 {
            format!("{}m", self.minutes)
        } else {
            format!("{}h", self.hours())
        }
    }
}

/// Refuses what no unit file or crontab line can hold safely.
fn check_value(what: &str, v: &str) -> Result<(), String> {
    match v.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!(
            "{what} contains the control character {c:?}; it cannot go into a unit file or crontab line"
        )),
        None => Ok(()),
    }
}

/// `s` double-quoted for a unit file: `\\` and `"` escaped, `%` as `%%` (specifiers), and `$`
/// as `$$` when `dollar` (variable expansion, in `ExecStart=` only).
fn systemd_quoted(s: &str, dollar: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("%%"),
            '$' if dollar => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One word of an `ExecStart=` line: as is when plainly safe, else quoted.
fn systemd_exec_word(w: &str) -> String {
    if !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@".contains(&b))
    {
        return w.to_owned();
    }
    systemd_quoted(w, true)
}

/// The value of an `Environment=` setting: `"NAME=value"` (`$` has no meaning there).
fn systemd_env(name: &str, value: &str) -> String {
    systemd_quoted(&format!("{name}={value}"), false)
}

/// A path in a setting that takes the rest of the line as is (only specifiers expand).
fn systemd_path(p: &str) -> String {
    p.replace('%', "%%")
}

/// `$XDG_CONFIG_HOME` when absolute (as the XDG spec requires), else `~/.config`.
fn config_home(env: &Environment) -> Result<Utf8PathBuf, ExitCode> {
    match env.xdg_dir("XDG_CONFIG_HOME", ".config") {
        Some(d) => Ok(d),
        None => Err(crate::usage_error(
            "cannot tell where systemd user units go: HOME is not set",
            "set HOME (or XDG_CONFIG_HOME)",
        )),
    }
}

/// The absolute, canonical path of the running clawauth: the program the service, the cron
/// line and the Termux shortcuts run.
pub(crate) fn current_exe() -> Result<String, ExitCode> {
    let exe = match std::env::current_exe().and_then(|p| p.canonicalize().or(Ok(p))) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot tell where this clawauth binary is: {e}");
            return Err(ExitCode::from(crate::EXIT_INTERNAL));
        }
    };
    let Some(s) = exe.to_str() else {
        return Err(crate::usage_error(
            &format!(
                "the path of this clawauth binary is not UTF-8: {}",
                exe.display()
            ),
            "install clawauth under a UTF-8 path and run it from there",
        ));
    };
    if s.ends_with(" (deleted)") || !exe.is_file() {
        return Err(crate::usage_error(
            &format!("this clawauth binary was replaced or deleted while running: {s}"),
            "run the command again with the clawauth that is installed now",
        ));
    }
    if let Err(e) = check_value("the path of the clawauth binary", s) {
        return Err(crate::usage_error(
            &e,
            "install clawauth under a plain path",
        ));
    }
    Ok(s.to_owned())
}

/// The environment the service gets from the installing shell, in [`PASSED_ENV`] order.
fn passed_env(env: &Environment) -> Result<Vec<(&'static str, String)>, String> {
    let mut out = Vec::new();
    for name in PASSED_ENV {
        if let Some(v) = env.get(name) {
            // clawauth itself ignores a relative XDG_CONFIG_HOME (as the XDG spec says).
            if *name == "XDG_CONFIG_HOME" && !Utf8Path::new(v).is_absolute() {
                continue;
            }
            check_value(&format!("${name}"), v)?;
            out.push((*name, v.to_owned()));
        }
    }
    Ok(out)
}

struct Units {
    service: String,
    timer: String,
}

fn render_units(
    exe: &str,
    selection: &Selection,
    every: Every,
    env: &[(&str, String)],
    // EnvironmentFile's value, escaped already (it may use specifiers such as %h).
    env_file: &str,
) -> Result<Units, String> {
    check_value("the monitor.env path", env_file)?;
    let mut exec = systemd_exec_word(exe);
    for a in std::iter::once("monitor".to_owned()).chain(selection.to_args()) {
        check_value("a monitor argument", &a)?;
        exec.push(' ');
        exec.push_str(&systemd_exec_word(&a));
    }
    let mut service = format!(
        "{HEADER}\n\
         # Runs `clawauth monitor` once; {TIMER} starts it every {every}.\n\
         # Secrets (CLAWAUTH_NTFY_TOKEN=…) belong in the EnvironmentFile (mode 0600), never here.\n\
         [Unit]\n\
         Description=clawauth monitor: check OpenClaw gateway credentials and send alerts\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         ExecStart={exec}\n\
         TimeoutStartSec={RUN_TIMEOUT}\n",
        every = every.human()
    );
    for (name, value) in env {
        service.push_str(&format!("Environment={}\n", systemd_env(name, value)));
    }
    service.push_str(&format!("EnvironmentFile=-{env_file}\n"));
    let timer = format!(
        "{HEADER}\n\
         [Unit]\n\
         Description=Run clawauth monitor every {every}\n\
         \n\
         [Timer]\n\
         OnCalendar={calendar}\n\
         Persistent=true\n\
         RandomizedDelaySec={delay}\n\
         AccuracySec=1min\n\
         Unit={SERVICE}\n\
         \n\
         [Install]\n\
         WantedBy=timers.target\n",
        every = every.human(),
        calendar = every.on_calendar(),
        delay = every.randomized_delay(),
    );
    Ok(Units { service, timer })
}

/// Whether a file is one of ours: it starts with the marker.
fn is_ours(bytes: &[u8]) -> bool {
    bytes.starts_with(MARKER.as_bytes())
}

/// What is at a path we are about to write (shared with `termux setup`).
pub(crate) enum Existing {
    Absent,
    /// Written by us (`ours` said so): its bytes.
    Ours(Vec<u8>),
    /// Somebody else's (or not a regular file: a symlink is never followed).
    Foreign,
}

/// What is at `path`, telling ours from others' by `ours` (a marker check on the bytes).
pub(crate) fn existing(path: &Utf8Path, ours: impl Fn(&[u8]) -> bool) -> Result<Existing, String> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Absent),
        Err(e) => return Err(format!("cannot read {path}: {e}")),
        Ok(m) if !m.is_file() => return Ok(Existing::Foreign),
        Ok(_) => {}
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    if ours(&bytes) {
        Ok(Existing::Ours(bytes))
    } else {
        Ok(Existing::Foreign)
    }
}

/// How a systemctl call went.
enum Ctl {
    Done,
    /// systemctl is not on PATH.
    Missing,
    /// No user manager to talk to (no user bus); systemctl's words.
    NoBus(String),
    /// Failed otherwise (or timed out); what happened.
    Failed(String),
}

/// systemctl on this machine, run with stdin closed and a timeout.
struct Systemctl {
    program: Option<String>,
    gateway: LocalGateway,
    runtime: tokio::runtime::Runtime,
}

impl Systemctl {
    fn new(env: &Environment) -> Result<Self, ExitCode> {
        Ok(Self {
            program: find_on_path(env, "systemctl"),
            gateway: LocalGateway::new("local", env.clone()),
            runtime: crate::runtime()?,
        })
    }

    fn user(&self, args: &[&str]) -> Ctl {
        let Some(program) = &self.program else {
            return Ctl::Missing;
        };
        let cmd = Command::new(program.as_str())
            .arg("--user")
            .args(args.iter().copied());
        let described = format!("systemctl --user {}", args.join(" "));
        let out = self.runtime.block_on(self.gateway.exec(
            &cmd,
            None,
            Limits::new(SYSTEMCTL_TIMEOUT, 64 * 1024),
        ));
        match out {
            Err(e) => Ctl::Failed(format!("`{described}`: {e}")),
            Ok(o) if o.status == Some(0) => Ctl::Done,
            Ok(o) => {
                let err = String::from_utf8_lossy(&o.stderr).trim().to_owned();
                if err.contains("Failed to connect to") && err.contains("bus") {
                    Ctl::NoBus(err.lines().next().unwrap_or_default().to_owned())
                } else {
                    let how = match (o.status, &o.signal) {
                        (Some(c), _) => format!("exit {c}"),
                        (None, Some(s)) => s.clone(),
                        (None, None) => "no exit status".to_owned(),
                    };
                    let err = if err.is_empty() {
                        String::new()
                    } else {
                        format!(": {err}")
                    };
                    Ctl::Failed(format!("`{described}` failed ({how}){err}"))
                }
            }
        }
    }
}

/// The first executable `name` in the environment's PATH.
pub(crate) fn find_on_path(env: &Environment, name: &str) -> Option<String> {
    env.path_dirs()
        .into_iter()
        .map(|d| d.join(name))
        .find(|p| clawauth_core::fsutil::is_executable(p))
        .map(Utf8PathBuf::into_string)
}

/// What is at each of `paths` (ours, foreign, absent); an unreadable one ends the command.
fn existing_all<'a>(
    paths: impl Iterator<Item = &'a Utf8PathBuf>,
) -> Result<Vec<Existing>, ExitCode> {
    paths
        .map(|p| {
            existing(p, is_ours).map_err(|e| {
                crate::print_error(&e.to_string());
                ExitCode::from(1)
            })
        })
        .collect()
}

/// `clawauth monitor install`.
pub fn install(args: InstallArgs) -> ExitCode {
    // `--print` shows the systemd units: alone, it needs no `--systemd`.
    if !args.systemd && !args.cron && !args.print {
        return crate::usage_error(
            "say how the monitor should run: --systemd or --cron",
            "clawauth monitor install --systemd --all   writes and enables a systemd user timer\n      \
             clawauth monitor install --cron --all      prints a crontab line",
        );
    }
    let every = match Every::parse(&args.every) {
        Ok(e) => e,
        Err(e) => {
            return crate::usage_error(
                &e,
                &format!("--every takes {VALID_EVERY} (the default is 30m)"),
            );
        }
    };
    if let Err(code) = args.selection.validate() {
        return code;
    }
    let exe = match current_exe() {
        Ok(e) => e,
        Err(code) => return code,
    };
    let env = Environment::from_process();
    if args.cron {
        install_cron(&args, every, &exe, &env)
    } else {
        install_systemd(&args, every, &exe, &env)
    }
}

fn install_cron(args: &InstallArgs, every: Every, exe: &str, env: &Environment) -> ExitCode {
    let quoted = |w: &str| quote(w).map_err(|e| e.to_string());
    let mut words = vec![exe.to_owned(), "monitor".to_owned()];
    words.extend(args.selection.to_args());
    let command = match words
        .iter()
        .map(|w| quoted(w))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(q) => q.join(" "),
        Err(e) => return crate::usage_error(&e, ""),
    };
    // `%` ends a crontab command (the rest becomes stdin) unless escaped.
    let line = format!(
        "{} mkdir -p \"{CRON_LOG_DIR}\" && {} >>\"{CRON_LOG_DIR}/monitor.log\" 2>&1",
        every.cron_fields(),
        command.replace('%', "\\%")
    );
    println!("{line}");

    let mut again = vec![
        exe.to_owned(),
        "monitor".to_owned(),
        "install".to_owned(),
        "--cron".to_owned(),
    ];
    if every.minutes != 30 {
        again.extend(["--every".to_owned(), every.human()]);
    }
    again.extend(args.selection.to_args());
    let again = again
        .iter()
        .map(|w| quoted(w).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!(
        "# The crontab line above runs `clawauth monitor` ({}) every {}; nothing was written.",
        args.selection.describe(),
        every.human()
    );
    eprintln!("# Add it with `crontab -e`, or in one go:");
    eprintln!("#   (crontab -l 2>/dev/null; {again}) | crontab -");
    eprintln!("# cron runs jobs with a minimal PATH (/usr/bin:/bin). To check this machine");
    eprintln!("# (--local, or config.toml's choice) the monitor needs `openclaw` and node, so put");
    eprintln!("# a PATH line above the job (it applies to the jobs below it), e.g. your PATH now:");
    match env.get("PATH").map(|p| (p, check_value("PATH", p))) {
        Some((p, Ok(()))) => eprintln!("#   PATH={p}"),
        _ => eprintln!("#   PATH=$HOME/.npm-global/bin:/usr/local/bin:/usr/bin:/bin"),
    }
    eprintln!("# Runs are logged to ~/.local/state/clawauth/monitor.log. Never put a token in the");
    eprintln!("# crontab; a systemd timer (--systemd) reads secrets from a 0600 file instead.");
    ExitCode::SUCCESS
}

fn install_systemd(args: &InstallArgs, every: Every, exe: &str, env: &Environment) -> ExitCode {
    let config_home = match config_home(env) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let dir = config_home.join("systemd/user");
    // The user's own config home is recorded as a path; the default one through %h, so the
    // unit stays right if the home directory moves.
    let (env_file, env_file_shown) = if env
        .get("XDG_CONFIG_HOME")
        .is_some_and(|x| Utf8Path::new(x).is_absolute())
    {
        let p = config_home.join("clawauth/monitor.env");
        (systemd_path(p.as_str()), p.into_string())
    } else {
        (
            "%h/.config/clawauth/monitor.env".to_owned(),
            "~/.config/clawauth/monitor.env".to_owned(),
        )
    };
    let passed = match passed_env(env) {
        Ok(p) => p,
        Err(e) => return crate::usage_error(&e, "unset it or fix it, then install again"),
    };
    let units = match render_units(exe, &args.selection, every, &passed, &env_file) {
        Ok(u) => u,
        Err(e) => return crate::usage_error(&e, ""),
    };
    let files = [
        (dir.join(SERVICE), units.service),
        (dir.join(TIMER), units.timer),
    ];
    if args.print {
        for (i, (path, text)) in files.iter().enumerate() {
            if i > 0 {
                println!();
            }
            println!("# {path}");
            print!("{text}");
        }
        return ExitCode::SUCCESS;
    }

    // Look at both before writing either: a refusal leaves nothing half-installed.
    let states = match existing_all(files.iter().map(|(p, _)| p)) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let foreign: Vec<&Utf8PathBuf> = files
        .iter()
        .zip(&states)
        .filter(|(_, s)| matches!(s, Existing::Foreign))
        .map(|((p, _), _)| p)
        .collect();
    if !foreign.is_empty() && !args.force {
        let list = foreign
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(" and ");
        return crate::usage_error(
            &format!(
                "{list} {} not written by clawauth: left alone, nothing written",
                if foreign.len() > 1 { "were" } else { "was" }
            ),
            "it is your own unit; move it aside, or pass --force to replace it",
        );
    }
    for ((path, text), state) in files.iter().zip(&states) {
        let verb = match state {
            Existing::Ours(old) if old == text.as_bytes() => {
                println!("unchanged {path}");
                continue;
            }
            Existing::Ours(_) => "updated",
            Existing::Foreign => "replaced (--force)",
            Existing::Absent => "wrote",
        };
        if let Err(e) = write_atomic(path, text.as_bytes(), Some(0o644)) {
            crate::print_error(&e.to_string());
            return ExitCode::from(1);
        }
        println!("{verb} {path}");
    }

    if env.get("XDG_CONFIG_HOME").is_some()
        && env.os_home().map(|h| h.join(".config")) != Some(config_home.clone())
    {
        println!(
            "note: your user manager reads {dir} only if it has XDG_CONFIG_HOME={config_home} too"
        );
    }
    let later =
        "  systemctl --user daemon-reload\n  systemctl --user enable --now clawauth-monitor.timer";
    let systemctl = match Systemctl::new(env) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut outcome = systemctl.user(&["daemon-reload"]);
    if matches!(outcome, Ctl::Done) {
        outcome = systemctl.user(&["enable", "--now", TIMER]);
    }
    match outcome {
        Ctl::Done => {
            println!(
                "enabled {TIMER}: `clawauth monitor` checks {} every {}",
                args.selection.describe(),
                every.human()
            );
            println!("next:\n{NEXT_STEPS}");
            println!("secrets (e.g. CLAWAUTH_NTFY_TOKEN=…) go in {env_file_shown}, mode 0600");
            ExitCode::SUCCESS
        }
        Ctl::Missing | Ctl::NoBus(_) => {
            let why = match &outcome {
                Ctl::NoBus(e) => format!("no systemd user manager to talk to ({e})"),
                _ => "systemctl is not on PATH".to_owned(),
            };
            println!("the units are written but the timer is not enabled yet: {why}");
            println!(
                "run these where your user manager runs (a login session, or after linger):\n{later}"
            );
            println!("then:\n{NEXT_STEPS}");
            println!("secrets (e.g. CLAWAUTH_NTFY_TOKEN=…) go in {env_file_shown}, mode 0600");
            ExitCode::SUCCESS
        }
        Ctl::Failed(e) => {
            crate::print_error(&e.to_string());
            eprintln!("hint: the units are written; fix the cause, then run:\n{later}");
            ExitCode::from(1)
        }
    }
}

/// `clawauth monitor uninstall`.
pub fn uninstall(args: UninstallArgs) -> ExitCode {
    let _ = args.systemd; // the only kind there is
    let env = Environment::from_process();
    let dir = match config_home(&env) {
        Ok(d) => d.join("systemd/user"),
        Err(code) => return code,
    };
    let paths = [dir.join(SERVICE), dir.join(TIMER)];
    let states = match existing_all(paths.iter()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let foreign: Vec<&str> = paths
        .iter()
        .zip(&states)
        .filter(|(_, s)| matches!(s, Existing::Foreign))
        .map(|(p, _)| p.as_str())
        .collect();
    if !foreign.is_empty() {
        return crate::usage_error(
            &format!(
                "{} {} not written by clawauth: nothing touched, nothing stopped",
                foreign.join(" and "),
                if foreign.len() > 1 { "were" } else { "was" }
            ),
            "it is your own unit; stop and remove it yourself if you mean to",
        );
    }
    let wants = dir.join("timers.target.wants").join(TIMER);
    if states.iter().all(|s| matches!(s, Existing::Absent)) {
        remove_wants_link(&wants, &paths[1]);
        println!("nothing to remove: no clawauth monitor units in {dir}");
        return ExitCode::SUCCESS;
    }

    let systemctl = match Systemctl::new(&env) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut outcome = Ctl::Done;
    if matches!(states[1], Existing::Ours(_)) {
        outcome = systemctl.user(&["disable", "--now", TIMER]);
        if let Ctl::Failed(e) = &outcome {
            crate::print_error(&e.to_string());
            eprintln!("hint: nothing was removed; fix the cause and run uninstall again");
            return ExitCode::from(1);
        }
    }
    for (p, s) in paths.iter().zip(&states) {
        if matches!(s, Existing::Ours(_)) {
            if let Err(e) = std::fs::remove_file(p) {
                eprintln!("error: cannot remove {p}: {e}");
                return ExitCode::from(1);
            }
            println!("removed {p}");
        }
    }
    remove_wants_link(&wants, &paths[1]);
    if matches!(outcome, Ctl::Done) {
        outcome = systemctl.user(&["daemon-reload"]);
    }
    match outcome {
        Ctl::Done => {
            println!("the monitor timer is stopped and gone");
            ExitCode::SUCCESS
        }
        Ctl::Missing | Ctl::NoBus(_) => {
            let why = match &outcome {
                Ctl::NoBus(e) => format!("no systemd user manager to talk to ({e})"),
                _ => "systemctl is not on PATH".to_owned(),
            };
            println!("{why}; if your user manager runs elsewhere (a login session), run there:");
            println!(
                "  systemctl --user stop clawauth-monitor.timer\n  systemctl --user daemon-reload"
            );
            ExitCode::SUCCESS
        }
        Ctl::Failed(e) => {
            crate::print_error(&e.to_string());
            eprintln!("hint: the units are removed; run `systemctl --user daemon-reload` yourself");
            ExitCode::from(1)
        }
    }
}

/// Removes `timers.target.wants/clawauth-monitor.timer` when it is a link to our timer (what
/// `disable` does; needed when systemctl could not).
fn remove_wants_link(link: &Utf8Path, timer: &Utf8Path) {
    if let Ok(target) = std::fs::read_link(link)
        && (target == timer.as_std_path()
            || link
                .parent()
                .map(|d| d.as_std_path().join(&target))
                .as_deref()
                == Some(timer.as_std_path()))
        && std::fs::remove_file(link).is_ok()
    {
        println!("removed {link}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_values() {
        for (s, cal, cron) in [
            ("5m", "*-*-* *:00/5:00", "*/5 * * * *"),
            ("30m", "*-*-* *:00/30:00", "*/30 * * * *"),
            ("60m", "*-*-* 00/1:00:00", "0 * * * *"),
            ("1h", "*-*-* 00/1:00:00", "0 * * * *"),
            ("2h", "*-*-* 00/2:00:00", "0 */2 * * *"),
            ("120min", "*-*-* 00/2:00:00", "0 */2 * * *"),
            ("24h", "*-*-* 00:00:00", "0 0 * * *"),
            ("1d", "*-*-* 00:00:00", "0 0 * * *"),
        ] {
            let e = Every::parse(s).expect(s);
            assert_eq!(e.on_calendar(), cal, "{s}");
            assert_eq!(e.cron_fields(), cron, "{s}");
        }
        for bad in [
            "", "0", "3m", "7m", "90m", "5h", "48h", "abc", "30", "90s", "-5m",
        ] {
            assert!(Every::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(Every::parse("15m").expect("15m").randomized_delay(), "150s");
        assert_eq!(Every::parse("30m").expect("30m").randomized_delay(), "5min");
        assert_eq!(Every::parse("2h").expect("2h").randomized_delay(), "5min");
    }

    #[test]
    fn systemd_escapes() {
        assert_eq!(systemd_exec_word("/usr/bin/clawauth"), "/usr/bin/clawauth");
        assert_eq!(systemd_exec_word("--host"), "--host");
        assert_eq!(
            systemd_exec_word(r#"/o pt/a%b$c\d"e"#),
            r#""/o pt/a%%b$$c\\d\"e""#
        );
        assert_eq!(systemd_exec_word(""), r#""""#);
        assert_eq!(
            systemd_env("CLAWAUTH_CONFIG", r#"/a b/%c\d"e$f"#),
            r#""CLAWAUTH_CONFIG=/a b/%%c\\d\"e$f""#
        );
        assert_eq!(systemd_path("/x/%h/y"), "/x/%%h/y");
        assert!(check_value("x", "a\nb").is_err());
        assert!(check_value("x", "a\tb").is_err());
        assert!(check_value("x", "a b%").is_ok());
    }

    #[test]
    fn units_carry_the_marker_and_no_unlisted_variable() {
        let sel = Selection {
            hosts: vec!["gw".into(), "pi@10.0.0.2:2222".into()],
            ..Selection::default()
        };
        let env = vec![("PATH", "/usr/bin:/bin".to_owned())];
        let u = render_units(
            "/usr/bin/clawauth",
            &sel,
            Every::parse("15m").expect("15m"),
            &env,
            "%h/.config/clawauth/monitor.env",
        )
        .expect("render");
        assert!(u.service.starts_with(HEADER) && u.timer.starts_with(HEADER));
        assert!(
            u.service.contains(
                "\nExecStart=/usr/bin/clawauth monitor --host gw --host pi@10.0.0.2:2222\n"
            )
        );
        assert!(u.service.contains("\nEnvironment=\"PATH=/usr/bin:/bin\"\n"));
        assert!(
            u.service
                .contains("\nEnvironmentFile=-%h/.config/clawauth/monitor.env\n")
        );
        assert!(u.timer.contains("\nOnCalendar=*-*-* *:00/15:00\n"));
    }
}
