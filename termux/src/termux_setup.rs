//! `clawauth termux setup`: clawauth on the phone, in Termux — home-screen shortcuts for
//! Termux:Widget, one set per gateway, and (with --schedule) a periodic check run by Android's
//! JobScheduler through Termux:API.
//!
//! Every file is a small sh script that execs this clawauth binary (its absolute path) with fixed
//! arguments. Every value in it is shell-quoted, and host names are validated again before they
//! become file names, so a name can neither escape `~/.shortcuts` nor inject a command. Files are
//! written atomically with mode 0700 (DESIGN.md §Security). A file of the same name without our
//! marker line is the user's own: it is never replaced without --force, and never removed.

use std::process::ExitCode;
use std::time::Duration;

use crate::termux_api::{self, INSTALL_HINT, Job, MIN_PERIOD};
use camino::{Utf8Path, Utf8PathBuf};
use clawauth_core::config::Config;
use clawauth_core::fsutil::write_atomic;
use clawauth_core::gateway::quote;
use clawauth_core::openclaw::env::Environment;
use clawauth_core::paths::{self, ENV_CONFIG};
use clawauth_core::time::{format_window, parse_duration_ms};
use clawauth_core::validate::validate_host_name;

use crate::monitor_install::{Every, Existing, current_exe, existing, find_on_path};
use crate::remote::{load_config, unique};

/// The scheduled check's id in Android's JobScheduler. Registering an id again replaces that
/// job, so a fixed id lets `setup --schedule` replace its own job and `--unschedule` cancel it;
/// Termux:API's ids are shared by every script that schedules jobs, hence an unlikely number
/// rather than 1 or 100.
pub const JOB_ID: u32 = 52_817;

/// The second line of every file setup writes (after `#!`); a file without it is the user's.
const MARKER: &str = "# Written by `clawauth termux setup`; run it again to update. Edit config.toml, not this file.";
/// The scheduled check's file name, in clawauth's config directory (beside config.toml).
const SCHEDULED: &str = "termux-scheduled-check";
/// What the scheduled check runs (after the binary).
const SCHEDULED_ARGS: &[&str] = &["monitor", "--all", "--changes-only"];
/// termux-job-scheduler passes the period to Android as a Java int of milliseconds.
const MAX_PERIOD_MS: i64 = i32::MAX as i64;
/// Linux reads at most this much of a `#!` line on older kernels (BINPRM_BUF_SIZE was 128).
const MAX_SHEBANG: usize = 127;

/// One kind of shortcut: where it goes under `~/.shortcuts`, its name after `H-`, what it runs
/// (before `--host H`), and what it does.
struct Kind {
    /// `tasks`: Termux:Widget runs it in the background; empty: in a terminal session.
    dir: &'static str,
    suffix: &'static str,
    args: &'static [&'static str],
    does: &'static str,
}

const KINDS: [Kind; 4] = [
    Kind {
        dir: "tasks",
        suffix: "check",
        args: &["termux", "quick"],
        does: "Termux:Widget task (runs in the background): a quick check of {H}'s model credentials.",
    },
    Kind {
        dir: "tasks",
        suffix: "guided",
        args: &["termux", "guided"],
        does: "Termux:Widget task (runs in the background): check {H}; when something is wrong, offer a re-auth in dialogs.",
    },
    Kind {
        dir: "tasks",
        suffix: "sync",
        args: &["termux", "sync"],
        does: "Termux:Widget task (runs in the background): hand Claude Code's login on {H} to OpenClaw, restart, re-check.",
    },
    Kind {
        dir: "",
        suffix: "reauth",
        args: &["reauth"],
        does: "Termux:Widget shortcut (opens a terminal): re-authenticate a provider on {H}, guided.",
    },
];

#[derive(Debug, clap::Args)]
#[command(
    override_usage = "clawauth termux setup [--host NAME...]\n           \
        [--schedule [--every DURATION]]\n           \
        [--print] [--force]\n       \
        clawauth termux setup --remove [--host NAME...]\n       \
        clawauth termux setup --unschedule",
    long_about = "Set clawauth up on the phone, in Termux: home-screen shortcuts for each gateway, and \
        (with --schedule) a check that runs by itself.\n\n\
        Termux:Widget (an add-on app, from the same place as Termux: F-Droid or GitHub) shows \
        the scripts in ~/.shortcuts/ on the home screen. Those in ~/.shortcuts/tasks/ run in \
        the background, without a terminal; the others open a terminal session. For each host H \
        in config.toml (or each --host), setup writes four, each running `clawauth` with:\n  \
        ~/.shortcuts/tasks/H-check   termux quick --host H\n  \
        ~/.shortcuts/tasks/H-guided  termux guided --host H\n  \
        ~/.shortcuts/tasks/H-sync    termux sync --host H\n  \
        ~/.shortcuts/H-reauth        reauth --host H\n\
        a quick check; a check that offers a re-auth in dialogs; Claude Code's login handed to \
        OpenClaw; a guided re-auth in a terminal. Each is a small sh script (mode 0700; \
        #!$PREFIX/bin/sh, as Termux has no /bin/sh) that runs this clawauth binary by its \
        absolute path. When CLAWAUTH_CONFIG (or XDG_CONFIG_HOME) is set now, the script exports \
        CLAWAUTH_CONFIG, so the shortcuts read the same config.toml as you do. Its second line \
        marks it as clawauth's: run setup again after adding hosts or moving the binary, and it \
        rewrites its own files (\"updated\", or \"unchanged\"). A file of the same name without \
        that line is yours: it is left alone (\"skipped\", exit 1) unless --force.\n\n\
        --schedule also writes termux-scheduled-check beside config.toml (default \
        ~/.config/clawauth/termux-scheduled-check) and registers it with Android's JobScheduler \
        through Termux:API's termux-job-scheduler: job id 52817, any network, kept across \
        reboots. Every --every (default 30m; Android runs periodic jobs at most every 15 \
        minutes) it runs `clawauth monitor --all --changes-only`: every host in config.toml, \
        alerting only when something changes — worse, better, fixed, unreachable, reachable \
        again — never with reminders (see `clawauth monitor --help` for where alerts go; in \
        Termux, a notification). Running setup --schedule again replaces the job. --unschedule \
        cancels it and removes the script.",
    after_long_help = "AFTER SETUP (setup prints what is still missing):\n  \
        - add the Termux:Widget widget to the home screen\n    \
        (long-press the home screen, Widgets)\n  \
        - the Re-auth button on clawauth's notifications needs\n    \
        `allow-external-apps = true` in\n    \
        ~/.termux/termux.properties, then\n    \
        `termux-reload-settings` (setup never edits it)\n  \
        - toasts, notifications, dialogs and --schedule need\n    \
        Termux:API: the app, and `pkg install termux-api`\n\n\
        EXAMPLES:\n  \
        # shortcuts for every host in config.toml\n  \
        clawauth termux setup\n  \
        # only gw's four\n  \
        clawauth termux setup --host gw\n  \
        # show the scripts, write nothing\n  \
        clawauth termux setup --print\n  \
        # …and check every host hourly, in the background\n  \
        clawauth termux setup --schedule --every 1h\n  \
        # replace same-named files that are not clawauth's\n  \
        clawauth termux setup --force\n  \
        # stop the scheduled check\n  \
        clawauth termux setup --unschedule\n  \
        # remove clawauth's shortcuts and scheduled check\n  \
        clawauth termux setup --remove\n  \
        # only pi's shortcuts (the scheduled check stays)\n  \
        clawauth termux setup --remove --host pi\n\n\
        EXIT CODES:\n  \
        0   written, unchanged, printed or removed; the job\n      \
        registered or cancelled\n  \
        1   a file of the same name is not clawauth's and was\n      \
        left alone (the others were written; see --force),\n      \
        a file could not be written or removed, or\n      \
        termux-job-scheduler is missing or failed\n  \
        64  the command line or config.toml is wrong: no\n      \
        hosts, an unknown --host, --every under 15m"
)]
pub struct SetupArgs {
    /// Write the shortcuts of this host from config.toml; repeat for several (default: every host)
    #[arg(long = "host", value_name = "NAME")]
    hosts: Vec<String>,
    /// Also check every host periodically in the background (Android's JobScheduler, via Termux:API)
    #[arg(long)]
    schedule: bool,
    /// How often the scheduled check runs: 15m at the shortest (Android's limit), up to 24d
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30m",
        requires = "schedule"
    )]
    every: String,
    /// Show the files that would be written (and the job); write nothing, run nothing
    #[arg(long)]
    print: bool,
    /// Replace files of the same names that clawauth did not write
    #[arg(long)]
    force: bool,
    /// Remove clawauth's shortcuts (of --host, else all of them, and then the scheduled check too)
    #[arg(long, conflicts_with_all = ["schedule", "print", "force"])]
    remove: bool,
    /// Cancel the scheduled check and remove its script (shortcuts stay)
    #[arg(long, conflicts_with_all = ["hosts", "schedule", "print", "force", "remove"])]
    unschedule: bool,
}

/// Whether a file's first lines hold the marker.
fn is_ours(bytes: &[u8]) -> bool {
    bytes
        .split(|b| *b == b'\n')
        .take(3)
        .any(|l| l == MARKER.as_bytes())
}

/// A file setup means to write.
struct Planned {
    path: Utf8PathBuf,
    text: String,
}

/// What the scripts share: how they start and what they run.
struct Script {
    shebang: String,
    /// `export CLAWAUTH_CONFIG=…`, when the config is not where the default would find it.
    export: Option<String>,
    exe: String,
}

impl Script {
    /// A script saying what it `does`, running `exe args`.
    fn render(&self, does: &str, args: &[&str]) -> Result<String, String> {
        let mut s = format!("{}\n{MARKER}\n# {does}\n", self.shebang);
        if let Some(e) = &self.export {
            s.push_str(e);
            s.push('\n');
        }
        s.push_str(&format!("exec {}\n", quoted_words(&self.exe, args)?));
        Ok(s)
    }
}

/// `#!$PREFIX/bin/sh` inside Termux (it has no /bin/sh), else `#!/bin/sh`.
fn shebang(env: &Environment) -> Result<String, String> {
    let Some(prefix) = env.get("PREFIX") else {
        return Ok("#!/bin/sh".to_owned());
    };
    let prefix = prefix.trim_end_matches('/');
    if !Utf8Path::new(prefix).is_absolute() {
        return Err(format!("$PREFIX {prefix:?} is not an absolute path"));
    }
    if prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "$PREFIX {prefix:?} contains a space or control character; it cannot go in a #! line"
        ));
    }
    let line = format!("#!{prefix}/bin/sh");
    if line.len() > MAX_SHEBANG {
        return Err(format!(
            "$PREFIX is too long for a #! line ({} bytes; Linux reads {MAX_SHEBANG})",
            line.len()
        ));
    }
    Ok(line)
}

/// `exe args…`, each word shell-quoted.
fn quoted_words(exe: &str, args: &[&str]) -> Result<String, String> {
    std::iter::once(exe)
        .chain(args.iter().copied())
        .map(|w| quote(w).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map(|w| w.join(" "))
}

/// `CLAWAUTH_CONFIG=<absolute path, quoted>` when CLAWAUTH_CONFIG or XDG_CONFIG_HOME moves the
/// config now: Termux:Widget, the JobScheduler and notification buttons run commands without
/// the variables of your shell.
fn config_assignment(env: &Environment) -> Result<Option<String>, String> {
    let moved = env.is_set(ENV_CONFIG)
        || env
            .get("XDG_CONFIG_HOME")
            .is_some_and(|x| Utf8Path::new(x.trim()).is_absolute());
    if !moved {
        return Ok(None);
    }
    let Some(path) = paths::config_path(env) else {
        return Ok(None);
    };
    let path = absolute(&path)?;
    let q = quote(path.as_str()).map_err(|e| format!("the config path {path:?}: {e}"))?;
    Ok(Some(format!("{}={q}", ENV_CONFIG)))
}

/// `export CLAWAUTH_CONFIG=…` for a script, when the config is moved (see [`config_assignment`]).
fn export_line(env: &Environment) -> Result<Option<String>, String> {
    Ok(config_assignment(env)?.map(|a| format!("export {a}")))
}

/// `[CLAWAUTH_CONFIG=… ]<this clawauth> args…` as one shell command, for a notification button
/// (Termux runs it in the background, like the shortcuts, without your shell's variables).
pub(crate) fn command_line(env: &Environment, args: &[&str]) -> Option<String> {
    let exe = current_exe().ok()?;
    let run = quoted_words(&exe, args).ok()?;
    match config_assignment(env).ok()? {
        Some(a) => Some(format!("{a} {run}")),
        None => Some(run),
    }
}

/// `p` made absolute against the current directory (symlinks left as they are).
fn absolute(p: &Utf8Path) -> Result<Utf8PathBuf, String> {
    let abs = std::path::absolute(p).map_err(|e| format!("cannot make {p} absolute: {e}"))?;
    Utf8PathBuf::from_path_buf(abs).map_err(|p| format!("{} is not UTF-8", p.display()))
}

/// A host name as it may appear in a file name: a valid host name, which never holds `/` and
/// never is `.` or `..`.
fn checked_name(name: &str) -> Result<(), String> {
    validate_host_name(name)?;
    if name.contains('/') || name == "." || name == ".." {
        return Err("it would name a file outside ~/.shortcuts".to_owned());
    }
    Ok(())
}

/// The four shortcut paths of host `name` under `dir` (`~/.shortcuts`), each checked to stay
/// in its directory.
fn shortcut_paths(dir: &Utf8Path, name: &str) -> Result<Vec<(&'static Kind, Utf8PathBuf)>, String> {
    checked_name(name)?;
    KINDS
        .iter()
        .map(|k| {
            let parent = if k.dir.is_empty() {
                dir.to_owned()
            } else {
                dir.join(k.dir)
            };
            let path = parent.join(format!("{name}-{}", k.suffix));
            if path.parent() != Some(parent.as_path()) {
                return Err(format!("{path} would be outside {parent}"));
            }
            Ok((k, path))
        })
        .collect()
}

/// The scheduled check's path: beside config.toml, absolute.
fn scheduled_path(env: &Environment) -> Result<Utf8PathBuf, ExitCode> {
    let Some(dir) = paths::config_dir(env) else {
        return Err(crate::usage_error(
            "cannot tell where clawauth's config directory is: HOME is not set",
            "set HOME, or CLAWAUTH_CONFIG=/path/to/config.toml",
        ));
    };
    absolute(&dir.join(SCHEDULED)).map_err(|e| crate::usage_error(&e, ""))
}

/// `--every`: at least Android's 15 minutes, at most what termux-job-scheduler can pass.
fn parse_every(s: &str) -> Result<Duration, ExitCode> {
    let ms = match parse_duration_ms(s) {
        Ok(ms) => ms,
        Err(e) => {
            return Err(crate::usage_error(
                &format!("--every: {e}"),
                "e.g. --every 30m",
            ));
        }
    };
    let min = i64::try_from(MIN_PERIOD.as_millis()).unwrap_or(i64::MAX);
    if ms < min {
        return Err(crate::usage_error(
            &format!("--every {s}: shorter than 15 minutes"),
            "Android runs periodic jobs at most every 15 minutes: use --every 15m or longer (the default is 30m)",
        ));
    }
    if ms > MAX_PERIOD_MS {
        return Err(crate::usage_error(
            &format!("--every {s}: longer than termux-job-scheduler can take (24 days)"),
            "use --every 24d or shorter",
        ));
    }
    Ok(Duration::from_millis(ms as u64))
}

/// `~/.shortcuts`.
fn shortcuts_dir(env: &Environment) -> Result<Utf8PathBuf, ExitCode> {
    match env.os_home() {
        Some(h) => Ok(h.join(".shortcuts")),
        None => Err(crate::usage_error(
            "cannot tell where ~/.shortcuts is: HOME is not set",
            "run it in Termux, where HOME is set",
        )),
    }
}

/// `clawauth termux setup`.
pub fn setup(args: SetupArgs) -> ExitCode {
    let env = Environment::from_process();
    if args.unschedule {
        return unschedule(&env);
    }
    if args.remove {
        return remove(&env, &args);
    }
    let every = if args.schedule {
        match parse_every(&args.every) {
            Ok(d) => Some(d),
            Err(code) => return code,
        }
    } else {
        None
    };
    let (config_path, config) = match load_config(&env) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let names = match selected_hosts(&args.hosts, &config, &config_path) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let dir = match shortcuts_dir(&env) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let script = match (shebang(&env), export_line(&env)) {
        (Err(e), _) | (_, Err(e)) => {
            return crate::usage_error(&e, "fix or unset it, then run setup again");
        }
        (Ok(shebang), Ok(export)) => match current_exe() {
            Ok(exe) => Script {
                shebang,
                export,
                exe,
            },
            Err(code) => return code,
        },
    };

    // Everything is planned (and every name checked) before anything is written.
    let mut files = Vec::new();
    for name in &names {
        let paths = match shortcut_paths(&dir, name) {
            Ok(p) => p,
            Err(e) => {
                return crate::usage_error(
                    &format!("host {name:?} cannot name a shortcut: {e}"),
                    "rename it with `clawauth hosts remove` and `clawauth hosts add`",
                );
            }
        };
        for (kind, path) in paths {
            let mut words: Vec<&str> = kind.args.to_vec();
            words.extend(["--host", name.as_str()]);
            match script.render(&kind.does.replace("{H}", name), &words) {
                Ok(text) => files.push(Planned { path, text }),
                Err(e) => return crate::usage_error(&e, ""),
            }
        }
    }
    let scheduled = match every {
        Some(period) => {
            let path = match scheduled_path(&env) {
                Ok(p) => p,
                Err(code) => return code,
            };
            let does = format!(
                "Android's JobScheduler runs this every {} (Termux:API job {JOB_ID}): every host in config.toml, alerting only when something changes.",
                format_window(period.as_millis() as i64)
            );
            match script.render(&does, SCHEDULED_ARGS) {
                Ok(text) => Some((Planned { path, text }, period)),
                Err(e) => return crate::usage_error(&e, ""),
            }
        }
        None => None,
    };

    if args.print {
        print_plan(&files, scheduled.as_ref());
        return ExitCode::SUCCESS;
    }

    let mut shortcuts = Tally::default();
    for f in &files {
        shortcuts.write(f, args.force);
    }
    let mut sched = Tally::default();
    let mut scheduled_every = None;
    if let Some((f, period)) = &scheduled {
        if sched.write(f, args.force) {
            match register(&f.path, *period) {
                Ok(()) => scheduled_every = Some(*period),
                Err(()) => sched.failed += 1,
            }
        } else if sched.skipped > 0 {
            println!(
                "not scheduled: the job would run {}, which is not clawauth's",
                f.path
            );
        }
    }

    summary(&env, &dir, &names, &shortcuts, scheduled_every);
    if shortcuts.ok() && sched.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The hosts to write shortcuts for: `--host`s (each in config.toml), else every host there.
fn selected_hosts(
    asked: &[String],
    config: &Config,
    path: &Utf8Path,
) -> Result<Vec<String>, ExitCode> {
    if asked.is_empty() {
        if config.hosts.is_empty() {
            return Err(crate::usage_error(
                &format!("no hosts in {path}: nothing to make shortcuts for"),
                "add one with `clawauth hosts add gw --ssh user@gateway`, then run `clawauth termux setup` again",
            ));
        }
        return Ok(config.hosts.keys().cloned().collect());
    }
    let names = unique(asked);
    for name in &names {
        if let Err(e) = checked_name(name) {
            return Err(crate::usage_error(
                &format!("--host {name:?} is not a host name: {e}"),
                "`clawauth hosts list` shows the hosts in config.toml",
            ));
        }
        if config.host(name).is_none() {
            return Err(crate::usage_error(
                &format!("--host {name}: no such host in {path}"),
                &format!(
                    "add it with `clawauth hosts add {name} --ssh user@gateway`; `clawauth hosts list` shows the others"
                ),
            ));
        }
    }
    Ok(names)
}

/// Counts of what happened to the files.
#[derive(Default)]
struct Tally {
    written: usize,
    unchanged: usize,
    skipped: usize,
    failed: usize,
}

impl Tally {
    /// Nothing skipped, nothing failed.
    fn ok(&self) -> bool {
        self.skipped == 0 && self.failed == 0
    }

    /// Writes `f` unless it is the same already or somebody else's (without `force`), and
    /// prints one line saying which. Whether the file is now as planned.
    fn write(&mut self, f: &Planned, force: bool) -> bool {
        let verb = match existing(&f.path, is_ours) {
            Err(e) => {
                crate::print_error(&e.to_string());
                self.failed += 1;
                return false;
            }
            Ok(Existing::Ours(old)) if old == f.text.as_bytes() => {
                self.unchanged += 1;
                println!("unchanged {}", f.path);
                return true;
            }
            Ok(Existing::Foreign) if !force => {
                self.skipped += 1;
                println!(
                    "skipped: {} is not ours (no clawauth marker); --force replaces it",
                    f.path
                );
                return false;
            }
            Ok(Existing::Ours(_)) => "updated",
            Ok(Existing::Foreign) => "replaced (--force)",
            Ok(Existing::Absent) => "created",
        };
        match write_atomic(&f.path, f.text.as_bytes(), Some(0o700)) {
            Ok(()) => {
                self.written += 1;
                println!("{verb} {}", f.path);
                true
            }
            Err(e) => {
                self.failed += 1;
                crate::print_error(&e.to_string());
                false
            }
        }
    }
}

fn print_plan(files: &[Planned], scheduled: Option<&(Planned, Duration)>) {
    let all = files.iter().chain(scheduled.map(|(f, _)| f));
    for (i, f) in all.enumerate() {
        if i > 0 {
            println!();
        }
        let state = match existing(&f.path, is_ours) {
            Ok(Existing::Absent) => "would be created".to_owned(),
            Ok(Existing::Ours(old)) if old == f.text.as_bytes() => "unchanged".to_owned(),
            Ok(Existing::Ours(_)) => "would be updated".to_owned(),
            Ok(Existing::Foreign) => {
                "not clawauth's: would be skipped (--force replaces it)".to_owned()
            }
            Err(e) => e,
        };
        println!("# {} (mode 0700): {state}", f.path);
        print!("{}", f.text);
    }
    if let Some((f, period)) = scheduled {
        println!();
        println!(
            "# then: termux-job-scheduler {}",
            job(&f.path, *period).args().join(" ")
        );
    }
    println!("\n(--print: nothing was written)");
}

/// The scheduled check's job.
fn job(script: &Utf8Path, period: Duration) -> Job {
    Job {
        id: JOB_ID,
        script: script.to_string(),
        period,
    }
}

/// Registers the scheduled check; says how it went.
fn register(script: &Utf8Path, period: Duration) -> Result<(), ()> {
    let every = format_window(period.as_millis() as i64);
    match termux_api::schedule(&job(script, period)) {
        Ok(()) => {
            println!(
                "scheduled: Android runs {script} every {every} (job {JOB_ID}, any network, kept across reboots)"
            );
            Ok(())
        }
        Err(e) => {
            crate::print_error(&e.to_string());
            if e.is_missing() {
                // The error says how to install it; here is the way without Termux:API.
                let (cron, note) = match Every::parse(&every) {
                    Ok(e) => (e.cron_fields(), String::new()),
                    Err(_) => (
                        "*/30 * * * *".to_owned(),
                        format!(" (cron cannot keep {every}: this line runs every 30 minutes)"),
                    ),
                };
                let line = quote(script.as_str())
                    .unwrap_or_else(|_| script.to_string())
                    .replace('%', "\\%");
                eprintln!(
                    "hint: then run `clawauth termux setup --schedule` again. Or run the check from cron: the script is \
                     written, and runs `clawauth monitor --all --changes-only`:\n  \
                     pkg install cronie termux-services   # then restart Termux, and: sv-enable crond\n  \
                     crontab -e                           # add this line{note}:\n  \
                     {cron} {line}"
                );
            } else {
                eprintln!(
                    "hint: the script is written; fix the cause and run `clawauth termux setup --schedule` again"
                );
            }
            Err(())
        }
    }
}

/// The closing lines: what was done, and what is left to do by hand.
fn summary(
    env: &Environment,
    dir: &Utf8Path,
    names: &[String],
    t: &Tally,
    scheduled: Option<Duration>,
) {
    println!();
    println!(
        "{} shortcut{} for {} in {dir}: {} written, {} unchanged{}{}",
        names.len() * KINDS.len(),
        if names.len() * KINDS.len() == 1 {
            ""
        } else {
            "s"
        },
        names.join(", "),
        t.written,
        t.unchanged,
        if t.skipped > 0 {
            format!(
                ", {} skipped (not clawauth's; --force replaces them)",
                t.skipped
            )
        } else {
            String::new()
        },
        if t.failed > 0 {
            format!(", {} failed", t.failed)
        } else {
            String::new()
        },
    );
    if let Some(p) = scheduled {
        println!(
            "every {}: `clawauth monitor --all --changes-only` checks every host and alerts only on changes",
            format_window(p.as_millis() as i64)
        );
    }
    let first = names.first().map(String::as_str).unwrap_or("H");
    let others = if names.len() > 1 {
        format!(", and the same for {}", names[1..].join(", "))
    } else {
        String::new()
    };
    println!("next:");
    println!(
        "  - add the Termux:Widget widget to your home screen (long-press the home screen, Widgets, Termux:Widget);\n    \
         it lists {first}-check, {first}-guided, {first}-sync (tasks: run in the background) and {first}-reauth (opens a terminal){others}"
    );
    if let Some(home) = env.os_home() {
        match external_apps(&home) {
            (true, _) => {}
            (false, file) => println!(
                "  - the Re-auth button on clawauth's notifications needs `allow-external-apps = true` in {file}:\n    \
                 add that line yourself, then run `termux-reload-settings` (clawauth never edits that file)"
            ),
        }
    }
    if find_on_path(env, "termux-toast").is_none() {
        println!("  - termux-toast is not on PATH: {INSTALL_HINT}");
    }
}

/// Whether Termux lets other apps (a notification's button) run commands: its properties file
/// (the first of ~/.termux/termux.properties and ~/.config/termux/termux.properties that
/// exists, as Termux reads them) says `allow-external-apps = true`. Also the file to edit.
fn external_apps(home: &Utf8Path) -> (bool, Utf8PathBuf) {
    let primary = home.join(".termux/termux.properties");
    let secondary = home.join(".config/termux/termux.properties");
    let file = if !primary.exists() && secondary.exists() {
        secondary
    } else {
        primary
    };
    let allowed = std::fs::read_to_string(&file).is_ok_and(|t| allows_external_apps(&t));
    (allowed, file)
}

/// `allow-external-apps` in a Java-style properties text: the last setting wins; `=`, `:` or
/// blanks separate key and value; `#` and `!` start comments.
fn allows_external_apps(text: &str) -> bool {
    const KEY: &str = "allow-external-apps";
    let mut allowed = false;
    for line in text.lines() {
        let l = line.trim_start();
        let Some(rest) = l.strip_prefix(KEY) else {
            continue;
        };
        match rest.chars().next() {
            Some(c) if c == '=' || c == ':' || c.is_whitespace() => {}
            _ => continue,
        }
        let rest = rest.trim_start();
        let value = rest.strip_prefix(['=', ':']).unwrap_or(rest).trim();
        allowed = value.eq_ignore_ascii_case("true");
    }
    allowed
}

/// Cancels the job; on success removes the script when it is ours. Prints what it did.
fn cancel_and_remove(script: &Utf8Path) -> Result<(), ()> {
    if let Err(e) = termux_api::cancel_job(JOB_ID) {
        crate::print_error(&e.to_string());
        if e.is_missing() {
            eprintln!(
                "hint: without termux-job-scheduler the job cannot be cancelled; {script} is kept"
            );
        } else {
            eprintln!(
                "hint: {script} is kept; fix the cause and run `clawauth termux setup --unschedule`"
            );
        }
        return Err(());
    }
    println!("the scheduled check (job {JOB_ID}) is cancelled");
    remove_ours(script).map(drop)
}

/// Removes `path` when it is ours; leaves somebody else's with a line saying so. Whether
/// something was removed.
fn remove_ours(path: &Utf8Path) -> Result<bool, ()> {
    match existing(path, is_ours) {
        Ok(Existing::Absent) => Ok(false),
        Ok(Existing::Foreign) => {
            println!("left alone: {path} is not ours (no clawauth marker)");
            Ok(false)
        }
        Ok(Existing::Ours(_)) => match std::fs::remove_file(path) {
            Ok(()) => {
                println!("removed {path}");
                Ok(true)
            }
            Err(e) => {
                eprintln!("error: cannot remove {path}: {e}");
                Err(())
            }
        },
        Err(e) => {
            crate::print_error(&e.to_string());
            Err(())
        }
    }
}

/// `clawauth termux setup --unschedule`.
fn unschedule(env: &Environment) -> ExitCode {
    let script = match scheduled_path(env) {
        Ok(p) => p,
        Err(code) => return code,
    };
    match cancel_and_remove(&script) {
        Ok(()) => ExitCode::SUCCESS,
        Err(()) => ExitCode::from(1),
    }
}

/// `clawauth termux setup --remove`: clawauth's shortcuts of the `--host`s; without --host,
/// every file of ours in ~/.shortcuts (and its tasks/) — whatever config.toml says now — and
/// the scheduled check.
fn remove(env: &Environment, args: &SetupArgs) -> ExitCode {
    let dir = match shortcuts_dir(env) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let mut paths: Vec<Utf8PathBuf> = Vec::new();
    let names = if args.hosts.is_empty() {
        let (_, config) = match load_config(env) {
            Ok(c) => c,
            Err(code) => return code,
        };
        config.hosts.keys().cloned().collect()
    } else {
        unique(&args.hosts)
    };
    for name in &names {
        match shortcut_paths(&dir, name) {
            Ok(p) => paths.extend(p.into_iter().map(|(_, p)| p)),
            Err(e) => {
                return crate::usage_error(
                    &format!("--host {name:?} cannot name a shortcut: {e}"),
                    "`clawauth hosts list` shows the hosts in config.toml",
                );
            }
        }
    }
    if args.hosts.is_empty() {
        // Ours for hosts that config.toml no longer names, too.
        for d in [dir.clone(), dir.join("tasks")] {
            let Ok(entries) = d.read_dir_utf8() else {
                continue;
            };
            let mut found: Vec<Utf8PathBuf> = entries
                .flatten()
                .map(|e| e.into_path())
                .filter(|p| {
                    !paths.contains(p) && matches!(existing(p, is_ours), Ok(Existing::Ours(_)))
                })
                .collect();
            found.sort();
            paths.extend(found);
        }
    }
    let mut removed = 0;
    let mut failed = false;
    for p in &paths {
        match remove_ours(p) {
            Ok(true) => removed += 1,
            Ok(false) => {}
            Err(()) => failed = true,
        }
    }
    if args.hosts.is_empty() {
        match scheduled_path(env) {
            Ok(script) => match existing(&script, is_ours) {
                Ok(Existing::Ours(_)) => failed |= cancel_and_remove(&script).is_err(),
                Ok(Existing::Foreign) => {
                    println!("left alone: {script} is not ours (no clawauth marker)");
                }
                Ok(Existing::Absent) => {}
                Err(e) => {
                    crate::print_error(&e.to_string());
                    failed = true;
                }
            },
            Err(code) => return code,
        }
    } else if scheduled_path(env)
        .is_ok_and(|s| matches!(existing(&s, is_ours), Ok(Existing::Ours(_))))
    {
        println!(
            "the scheduled check (every host) stays; `clawauth termux setup --unschedule` stops it"
        );
    }
    if removed == 0 && !failed {
        println!("no clawauth shortcuts to remove in {dir}");
    } else {
        println!(
            "removed {removed} shortcut{}",
            if removed == 1 { "" } else { "s" }
        );
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_quote_every_value_and_carry_the_marker() {
        let s = Script {
            shebang: "#!/data/data/com.termux/files/usr/bin/sh".into(),
            export: Some("export CLAWAUTH_CONFIG='/sd card/it'\\''s/config.toml'".into()),
            exe: "/data/data/com.termux/files/usr/bin/clawauth".into(),
        };
        let text = s
            .render("does things", &["termux", "quick", "--host", "gw"])
            .expect("render");
        assert_eq!(
            text,
            "#!/data/data/com.termux/files/usr/bin/sh\n\
             # Written by `clawauth termux setup`; run it again to update. Edit config.toml, not this file.\n\
             # does things\n\
             export CLAWAUTH_CONFIG='/sd card/it'\\''s/config.toml'\n\
             exec /data/data/com.termux/files/usr/bin/clawauth termux quick --host gw\n"
        );
        assert!(is_ours(text.as_bytes()));
        assert!(!is_ours(b"#!/bin/sh\nclawauth termux quick --host gw\n"));
        let odd = Script {
            exe: "/o pt/claw'auth".into(),
            ..s
        };
        assert!(
            odd.render("x", &["reauth"])
                .expect("render")
                .ends_with("exec '/o pt/claw'\\''auth' reauth\n")
        );
        assert!(odd.render("x", &["a\nb"]).is_err(), "a newline is refused");
    }

    #[test]
    fn shebang_follows_prefix() {
        let env = Environment::empty();
        assert_eq!(shebang(&env).expect("none"), "#!/bin/sh");
        let t = |p: &str| shebang(&Environment::empty().with("PREFIX", p));
        assert_eq!(
            t("/data/data/com.termux/files/usr/").expect("termux"),
            "#!/data/data/com.termux/files/usr/bin/sh"
        );
        assert!(t("usr").is_err());
        assert!(t("/a b").is_err());
        assert!(t(&format!("/{}", "x".repeat(200))).is_err());
    }

    #[test]
    fn host_names_stay_in_their_directory() {
        let dir = Utf8Path::new("/h/.shortcuts");
        let paths: Vec<String> = shortcut_paths(dir, "gw")
            .expect("gw")
            .into_iter()
            .map(|(_, p)| p.into_string())
            .collect();
        assert_eq!(
            paths,
            [
                "/h/.shortcuts/tasks/gw-check",
                "/h/.shortcuts/tasks/gw-guided",
                "/h/.shortcuts/tasks/gw-sync",
                "/h/.shortcuts/gw-reauth"
            ]
        );
        for bad in [
            "../x", "..", ".", "a/b", "/x", "gw'x", "a b", "a\nb", "", "-x",
        ] {
            assert!(shortcut_paths(dir, bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn every_is_at_least_fifteen_minutes() {
        assert_eq!(parse_every("30m").ok(), Some(Duration::from_secs(1800)));
        assert_eq!(parse_every("15m").ok(), Some(MIN_PERIOD));
        assert!(parse_every("24d").is_ok());
        for bad in ["14m", "5m", "25d", "soon", ""] {
            assert!(parse_every(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn external_apps_setting_reads_like_termux() {
        for (text, want) in [
            ("allow-external-apps = true\n", true),
            ("allow-external-apps=true", true),
            ("allow-external-apps: TRUE", true),
            ("allow-external-apps true", true),
            ("# allow-external-apps = true", false),
            ("allow-external-apps = false", false),
            (
                "allow-external-apps = true\nallow-external-apps = false",
                false,
            ),
            ("allow-external-apps-x = true", false),
            ("", false),
        ] {
            assert_eq!(allows_external_apps(text), want, "{text:?}");
        }
    }
}
