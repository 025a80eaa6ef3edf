//! Gateways over SSH, for every command that reaches one: clawauth's config and secret store,
//! connection options, what `--host NAME` names, and checks of many hosts at once (one
//! connection each) — `clawauth status --host` prints them ([`crate::status`]).

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use chrono::{DateTime, Utc};
use clawauth_core::config::{Config, HostEntry};
use clawauth_core::display::visible;
use clawauth_core::last_good;
use clawauth_core::openclaw::env::Environment;
use clawauth_core::paths::config_path;
use clawauth_core::secrets::{self, LazyStore, Secret, SecretStore, StoreChoice};
use clawauth_core::source::SourceChoice;
use clawauth_core::source::remote::{Origin, RemoteRequest, SetBy, check_host};
use clawauth_core::ssh::client::names_a_machine;
use clawauth_core::ssh::{ConnectOptions, HostKeyPolicy};
use clawauth_core::validate::validate_ssh_target;

use crate::cli_common::positive_duration;

/// The config file and what it says (an absent file is an empty config).
pub fn load_config(env: &Environment) -> Result<(Utf8PathBuf, Config), ExitCode> {
    let Some(path) = config_path(env) else {
        return Err(crate::usage_error(
            "cannot locate clawauth's config: HOME is not set",
            "set HOME, or CLAWAUTH_CONFIG=/path/to/config.toml",
        ));
    };
    match Config::load(&path) {
        Ok(c) => Ok((path, c)),
        Err(e) => {
            crate::print_error(&e.to_string());
            eprintln!(
                "hint: fix the file (or move it aside); `clawauth hosts list` shows what clawauth reads"
            );
            Err(ExitCode::from(crate::EXIT_USAGE))
        }
    }
}

/// The secret store chosen by `[defaults] secret_store` (else `$CLAWAUTH_SECRET_STORE`, else auto).
pub fn store_choice(config: &Config) -> Result<Option<StoreChoice>, String> {
    config
        .defaults
        .secret_store
        .as_deref()
        .map(str::parse::<StoreChoice>)
        .transpose()
        .map_err(|_| {
            "config.toml: [defaults] secret_store must be auto, file or keyring".to_owned()
        })
}

/// The secret store, opened now (for `clawauth passphrase`).
pub fn secret_store(env: &Environment, config: &Config) -> Result<Box<dyn SecretStore>, String> {
    secrets::open(env, store_choice(config)?).map_err(|e| e.to_string())
}

/// Asks for a key's passphrase on the terminal, one prompt at a time (the read blocks, so it
/// runs off the async threads).
pub fn terminal_prompt() -> Option<clawauth_core::ssh::client::PassphrasePrompt> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return None;
    }
    let lock = Arc::new(Mutex::new(()));
    Some(Arc::new(move |path: Utf8PathBuf| {
        let lock = lock.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let _one_at_a_time = lock.lock().ok()?;
                match crate::prompt::read_hidden_line(&format!("Passphrase for {path}: ")) {
                    Ok(p) => Some(Secret::new(p.as_str())),
                    Err(e) => {
                        eprintln!("error: {e}");
                        None
                    }
                }
            })
            .await
            .ok()
            .flatten()
        })
    }))
}

pub fn connect_options(
    env: &Environment,
    config: &Config,
    accept_new: bool,
    connect_timeout: Duration,
) -> ConnectOptions {
    let mut opts = ConnectOptions::new(env.clone());
    opts.connect_timeout = connect_timeout;
    opts.host_keys = if accept_new {
        HostKeyPolicy::AcceptNew
    } else {
        HostKeyPolicy::Strict
    };
    // Opened only if an encrypted key needs its passphrase.
    match store_choice(config) {
        Ok(choice) => opts.secrets = Some(Arc::new(LazyStore::new(env.clone(), choice))),
        Err(e) => tracing::warn!("secret store unavailable: {e}"),
    }
    opts.prompt = terminal_prompt();
    opts
}

/// How long `--host NAME` may take to resolve when NAME is not a configured host (the default
/// connect timeout: a name slower than that would not connect either).
const RESOLVE_CHECK: Duration = Duration::from_secs(5);

/// The host entry for NAME: the configured one, or NAME itself when it names a machine — an ssh
/// destination (`user@host`, `host:port`), an ssh_config alias, or a name that resolves. A typo
/// is refused, listing the configured hosts.
pub fn host_entry(
    env: &Environment,
    config: &Config,
    name: &str,
    path: &Utf8Path,
) -> Result<HostEntry, ExitCode> {
    if let Some(h) = config.host(name) {
        return Ok(h.clone());
    }
    let shown = visible(name);
    let known = if config.hosts.is_empty() {
        format!(
            "{path} has no hosts yet: add one with `clawauth hosts add NAME --ssh user@gateway`"
        )
    } else {
        format!(
            "the hosts in {path}: {} (`clawauth hosts list`); add another with `clawauth hosts add NAME --ssh user@gateway`",
            config
                .hosts
                .keys()
                .map(|k| visible(k))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if let Err(e) = validate_ssh_target(name) {
        return Err(crate::usage_error(
            &format!("{shown} is neither a host in {path} nor an ssh destination: {e}"),
            &known,
        ));
    }
    let opts = ConnectOptions::new(env.clone());
    let named = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(names_a_machine(name, &opts, RESOLVE_CHECK)));
    match named {
        Ok(how) => {
            tracing::debug!("--host {shown}: not in {path}, taken as {how:?}");
            Ok(HostEntry::new(name))
        }
        Err(why) => Err(crate::usage_error(
            &format!(
                "{shown} is not a host in {path}, not an ssh_config alias, and does not resolve ({})",
                visible(&why)
            ),
            &known,
        )),
    }
}

/// How each host is checked (flags win over config.toml).
#[derive(Default)]
pub struct Checks {
    pub agent: Option<String>,
    pub state_dir: Option<String>,
    pub openclaw: Option<String>,
    pub source: SourceChoice,
    pub at: Option<DateTime<Utc>>,
    pub warn_ms: i64,
    pub cli_timeout: Option<Duration>,
    pub accept_new: bool,
    pub connect_timeout: Option<String>,
    pub deadline: Option<String>,
}

/// `names` without repeats, in order.
pub fn unique(names: &[String]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for n in names {
        if !seen.contains(n) {
            seen.push(n.clone());
        }
    }
    seen
}

/// Checks the hosts `names` over SSH on `runtime`, all at once, one connection each; a report
/// per host, in order (an unreachable host's says why).
pub fn check_hosts(
    runtime: &tokio::runtime::Runtime,
    env: &Environment,
    config: &Config,
    path: &Utf8Path,
    names: &[String],
    c: &Checks,
    now: DateTime<Utc>,
) -> Result<Vec<clawauth_core::report::Report>, ExitCode> {
    let connect_timeout = match c.connect_timeout.as_deref() {
        Some(v) => positive_duration("--connect-timeout", v, "10s")?,
        None => config.defaults.connect_timeout,
    };
    let deadline = match c.deadline.as_deref() {
        Some(v) => positive_duration("--deadline", v, "2m")?,
        None => config.defaults.deadline,
    };
    let mut jobs = Vec::new();
    for name in names {
        let entry = host_entry(env, config, name, path)?;
        let origin = |flag: &Option<String>| {
            if flag.is_some() {
                Origin::Flag
            } else {
                Origin::ConfigToml
            }
        };
        let req = RemoteRequest {
            agent: c.agent.clone().or(entry.agent.clone()),
            state_dir: c.state_dir.clone().or(entry.state_dir.clone()),
            openclaw: c.openclaw.clone().or(entry.openclaw.clone()),
            clawauth: entry.clawauth.clone(),
            source: c.source,
            at: c.at,
            warn_ms: c.warn_ms,
            cli_timeout: c.cli_timeout.unwrap_or(config.defaults.cli_timeout),
            set_by: SetBy {
                state_dir: origin(&c.state_dir),
                openclaw: origin(&c.openclaw),
                clawauth: Origin::ConfigToml,
            },
        };
        if let Err(e) = req.validate() {
            return Err(crate::usage_error(
                &e,
                "agent ids look like main or work-2; with --host, --state-dir and --openclaw-bin are paths on the gateway (absolute or ~/…)",
            ));
        }
        jobs.push((name.clone(), entry.ssh.clone(), req));
    }
    let opts = connect_options(env, config, c.accept_new, connect_timeout);
    let mut reports = runtime.block_on(async {
        let checks = jobs
            .iter()
            .map(|(name, target, req)| check_host(name, target, &opts, req, deadline, now));
        futures_util::future::join_all(checks).await
    });
    // Each host's last good check: kept when a check of now reads it, shown when one cannot.
    if let Some(dir) = last_good::default_dir(env) {
        for ((name, _, _), report) in jobs.iter().zip(reports.iter_mut()) {
            if c.at.is_some() {
                continue; // a forecast is not a check of now
            }
            last_good::note(&dir, name, report, now);
        }
    }
    Ok(reports)
}
