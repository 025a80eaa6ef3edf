//! `clawauth hosts add|list|remove|trust|install` and `clawauth passphrase set|forget`.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use camino::{Utf8Path, Utf8PathBuf};
use clap::{Args, Subcommand};
use clawauth_core::config::{self, HostEntry};
use clawauth_core::display::{command_line, shell_word, visible};
use clawauth_core::openclaw::env::Environment;
use clawauth_core::secrets::{Secret, passphrase_key};
use clawauth_core::ssh::ConnectOptions;
use clawauth_core::ssh::client::{OfferedKey, host_key_listed, offered_key, trust};
use clawauth_core::ssh::known_hosts::HostKeyCheck;
use clawauth_core::validate::validate_host_name;

use crate::cli_common::positive_duration;
use crate::remote::{connect_options, host_entry, load_config, secret_store};

#[derive(Debug, Subcommand)]
#[command(after_long_help = "EXAMPLES:\n  \
    clawauth hosts add gw --ssh pi@192.168.1.20\n  \
    clawauth hosts add gw         # gw: an ~/.ssh/config alias\n  \
    clawauth hosts trust gw       # show the key, ask, trust\n  \
    clawauth hosts install gw     # fast checks of gw\n  \
    clawauth status --host gw --check\n  \
    clawauth hosts list\n\n\
    CONFIG (config.toml):\n  \
    [defaults]\n  \
    connect_timeout = \"5s\"\n  \
    deadline = \"60s\"\n  \
    secret_store = \"auto\"         # or \"file\", \"keyring\"\n\n  \
    [hosts.gw]\n  \
    ssh = \"pi@gateway.lan\"        # or an ~/.ssh/config alias\n  \
    agent = \"main\"                # optional\n  \
    clawauth = \"/usr/local/bin/clawauth\"      # optional\n  \
    openclaw = \"~/.npm-global/bin/openclaw\"   # optional\n  \
    state_dir = \"~/.openclaw\"     # optional\n  \
    service = \"openclaw-gateway\"  # optional\n\n\
    Hosts live in ~/.config/clawauth/config.toml ($XDG_CONFIG_HOME, or $CLAWAUTH_CONFIG); \
    editing keeps your comments. Durations take a unit (5s, 10m, 2h, 7d).")]
pub enum HostsCommand {
    /// Add a gateway (or replace it with --force)
    Add(AddArgs),
    /// List the configured gateways
    List,
    /// Remove a gateway from the config (known_hosts is left alone)
    Remove {
        /// The host's name
        name: String,
    },
    /// Show a gateway's host key fingerprint and remember it (hashed) in ~/.ssh/known_hosts
    Trust(TrustArgs),
    /// Put clawauth on a gateway (checks there then take milliseconds, no Node.js start)
    #[command(
        long_about = "Put clawauth itself on a configured gateway, over one SSH connection, so that \
            `clawauth status --host NAME` is answered there by a direct read (milliseconds) instead of \
            `openclaw models status` (a Node.js start: seconds, up to ~18 s on a Raspberry Pi).\n\n\
            The gateway's architecture comes from `uname -m`. This very binary is sent when it is built \
            for it (the phone's aarch64 build serves a Raspberry Pi), else the one given with --binary. \
            It is written to a temporary file beside the target, its size and SHA-256 are checked on \
            the gateway, it is made executable and run once (--version), then renamed into place: \
            whatever goes wrong, the target stays as it was. A clawauth of the same version is left \
            alone; another program at the target is never overwritten. Then config.toml records \
            `clawauth = \"PATH\"` for the host."
    )]
    Install(InstallArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The name clawauth uses for it (letters, digits, `.`, `_`, `-`)
    name: String,
    /// How to reach it: an ~/.ssh/config alias, host, user@host or user@host:port (default: NAME)
    #[arg(long, value_name = "DEST")]
    ssh: Option<String>,
    /// The OpenClaw agent to check (default: every agent)
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
    /// Path of openclaw on the gateway (default: found through a login shell's PATH)
    #[arg(long, value_name = "PATH")]
    openclaw: Option<String>,
    /// Path of clawauth on the gateway (default: found through a login shell's PATH)
    #[arg(long, value_name = "PATH")]
    clawauth: Option<String>,
    /// OpenClaw's state dir on the gateway (default: the gateway's own $OPENCLAW_STATE_DIR or ~/.openclaw)
    #[arg(long, value_name = "PATH")]
    state_dir: Option<String>,
    /// The gateway's systemd user service (default: openclaw-gateway)
    #[arg(long, value_name = "NAME")]
    service: Option<String>,
    /// Replace an existing host of that name
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub struct TrustArgs {
    /// A configured host, an ~/.ssh/config alias or user@host[:port]
    name: String,
    /// Trust without asking (for scripts: better pass --fingerprint)
    #[arg(long, short = 'y')]
    yes: bool,
    /// Trust only if the offered key has this fingerprint (SHA256:…, from `ssh-keygen -lf` on the gateway)
    #[arg(long, value_name = "SHA256")]
    fingerprint: Option<String>,
    /// SSH connect timeout
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    connect_timeout: String,
}

#[derive(Debug, Args)]
#[command(after_long_help = "EXAMPLES:\n  \
        clawauth hosts install gw\n  \
        # an x86_64 gateway, from the phone:\n  \
        clawauth hosts install gw --binary clawauth-x86_64\n  \
        clawauth hosts install gw --to /usr/local/bin/clawauth\n  \
        clawauth status --host gw     # answered there now\n\n\
        Static builds for either architecture: termux/build-static.sh aarch64|x86_64.\n\n\
        EXIT CODES: 0 installed or already up to date, 1 not installed (another architecture, \
        another program at the target, a directory that cannot be written, a failed step), \
        3 the gateway could not be reached, 64 bad command line.")]
pub struct InstallArgs {
    /// The host, as in config.toml (`clawauth hosts list`)
    name: String,
    /// The clawauth binary to send, built for the gateway (default: this one, when it is built for it)
    #[arg(long, value_name = "PATH")]
    binary: Option<Utf8PathBuf>,
    /// Where it goes on the gateway (absolute or ~/…)
    #[arg(long, value_name = "PATH", default_value = clawauth_core::install::DEFAULT_TO)]
    to: String,
    /// SSH connect timeout (default: config.toml's, else 5s)
    #[arg(long, value_name = "DURATION")]
    connect_timeout: Option<String>,
    /// Give up on the whole install after this long (default: enough for the copy at 64 KiB/s)
    #[arg(long, value_name = "DURATION")]
    deadline: Option<String>,
}

pub fn run(cmd: HostsCommand) -> ExitCode {
    let env = Environment::from_process();
    match cmd {
        HostsCommand::Add(a) => add(&env, a),
        HostsCommand::List => list(&env),
        HostsCommand::Remove { name } => remove(&env, &name),
        HostsCommand::Trust(t) => trust_host(&env, t),
        HostsCommand::Install(a) => install(&env, a),
    }
}

/// `5.6 MB`.
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

fn install(env: &Environment, a: InstallArgs) -> ExitCode {
    use clawauth_core::install::{
        Binary, InstallError, InstallRequest, Plan, Step, deadline_for, install_over_ssh,
    };
    let (path, config) = match load_config(env) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let name = a.name.as_str();
    let Some(entry) = config.host(name).cloned() else {
        return crate::usage_error(
            &format!("no host {:?} in {path}", visible(name)),
            &format!(
                "add it first: {} (`clawauth hosts list` shows the configured hosts)",
                command_line(["clawauth", "hosts", "add", name, "--ssh", "user@gateway"])
            ),
        );
    };
    // The target is checked before anything is read or connected.
    let req = InstallRequest {
        to: Some(a.to.clone()),
    };
    if let Err(e) = req.validate() {
        return crate::usage_error(
            &e.to_string(),
            "--to takes the file's path on the gateway, absolute or under ~/, e.g. ~/.local/bin/clawauth",
        );
    }
    let connect_timeout = match a.connect_timeout.as_deref() {
        Some(v) => match positive_duration("--connect-timeout", v, "10s") {
            Ok(d) => d,
            Err(code) => return code,
        },
        None => config.defaults.connect_timeout,
    };
    let (binary_path, given) = match &a.binary {
        Some(p) => (p.clone(), true),
        None => match std::env::current_exe()
            .ok()
            .and_then(|p| Utf8PathBuf::from_path_buf(p).ok())
        {
            Some(p) => (p, false),
            None => {
                crate::print_error("cannot locate this clawauth binary to send it");
                eprintln!("hint: pass --binary PATH");
                return ExitCode::from(1);
            }
        },
    };
    let bytes = match std::fs::metadata(&binary_path) {
        Ok(m) if m.len() > clawauth_core::install::MAX_BINARY_BYTES as u64 => {
            return crate::usage_error(
                &format!(
                    "{binary_path} is {}: too large for a clawauth binary",
                    megabytes(m.len())
                ),
                "pass --binary PATH of a clawauth build (termux/build-static.sh makes small ones)",
            );
        }
        Ok(_) => match std::fs::read(&binary_path) {
            Ok(b) => b,
            Err(e) => {
                return crate::usage_error(&format!("cannot read {binary_path}: {e}"), "");
            }
        },
        Err(e) => {
            return crate::usage_error(&format!("cannot read {binary_path}: {e}"), "");
        }
    };
    let binary = match Binary::inspect(&bytes) {
        Ok(b) => b,
        Err(e) => {
            return crate::usage_error(
                &format!("{binary_path}: {e}"),
                "pass --binary PATH of a clawauth built for the gateway (termux/build-static.sh aarch64|x86_64)",
            );
        }
    };
    if given && binary.version.is_none() {
        eprintln!(
            "warning: {binary_path} carries no clawauth version mark; it is installed only if it says `clawauth …` when run there"
        );
    }
    let deadline = match a.deadline.as_deref() {
        Some(v) => match positive_duration("--deadline", v, "10m") {
            Ok(d) => d,
            Err(code) => return code,
        },
        None => deadline_for(bytes.len()).max(config.defaults.deadline),
    };
    let opts = connect_options(env, &config, false, connect_timeout);
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let target = req.target().to_owned();
    let shown = binary.describe();
    let size = bytes.len() as u64;
    let result = runtime.block_on(install_over_ssh(
        name,
        &entry.ssh,
        &opts,
        &req,
        &binary,
        deadline,
        |look, plan| match plan {
            Plan::Install { replaces } => eprintln!(
                "==> {name}: {}, installing {shown} ({}) to {}{}",
                visible(&look.uname),
                megabytes(size),
                visible(&target),
                replaces
                    .as_deref()
                    .map(|v| format!(" (replacing clawauth {})", visible(v)))
                    .unwrap_or_default()
            ),
            Plan::UpToDate { .. } => {
                eprintln!(
                    "==> {name}: {}, {} is there already",
                    visible(&look.uname),
                    visible(&target)
                );
            }
        },
    ));
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    let done = match result {
        Ok(d) => d,
        Err(e) => {
            let arch_hint = |gw: &str| {
                if given {
                    format!(
                        "{binary_path} is not built for {gw}: pass --binary PATH of a build for {gw} (termux/build-static.sh {gw})"
                    )
                } else {
                    format!(
                        "another architecture: pass --binary PATH built for {gw} (termux/build-static.sh {gw})"
                    )
                }
            };
            let elsewhere = "choose another place with --to PATH (e.g. ~/.local/bin/clawauth, or ~/bin/clawauth)";
            let hint = match &e {
                InstallError::Unreached { problem, .. } => {
                    crate::advice::print(&format!("cannot reach {name}: {e}"), problem, name);
                    return ExitCode::from(3);
                }
                InstallError::ArchMismatch { gateway, .. } => Some(arch_hint(gateway.as_str())),
                InstallError::UnsupportedArch { .. } => Some(format!(
                    "checks of {name} keep using OpenClaw's CLI there; `clawauth status --host {name}` works as before"
                )),
                InstallError::Foreign { .. } | InstallError::NotAProgram { .. } => {
                    Some(elsewhere.to_owned())
                }
                InstallError::NotWritable { .. } => Some(format!(
                    "{elsewhere}; a system directory needs a user that may write it (ssh as that user)"
                )),
                InstallError::NoChecksumTool => Some(
                    "install coreutils (sha256sum) or openssl on the gateway, then run it again"
                        .to_owned(),
                ),
                InstallError::Failed { step: Step::Run, .. } => Some(
                    "the binary does not run there: send a static build for the gateway with --binary PATH \
                     (termux/build-static.sh aarch64|x86_64), or pick a --to directory not mounted noexec"
                        .to_owned(),
                ),
                InstallError::Failed { .. } => Some(format!(
                    "nothing changed on {name}; run it again (with --deadline longer on a slow link)"
                )),
                InstallError::Gateway(clawauth_core::gateway::GatewayError::Timeout { .. }) => {
                    Some("give it longer with --deadline".to_owned())
                }
                _ => None,
            };
            crate::print_error(&format!("{name}: {e}"));
            if let Some(h) = hint {
                eprintln!("hint: {h}");
            }
            return ExitCode::from(1);
        }
    };
    if done.changed {
        println!(
            "{name}: installed clawauth {} at {}{}",
            visible(&done.version),
            visible(&done.path),
            done.previous
                .as_deref()
                .map(|v| format!(" (replaced clawauth {})", visible(v)))
                .unwrap_or_default()
        );
    } else {
        println!(
            "{name}: clawauth {} at {} is up to date: nothing written",
            visible(&done.version),
            visible(&done.path)
        );
    }
    if entry.clawauth.as_deref() != Some(done.path.as_str()) {
        if let Err(e) = config::set_host_clawauth(&path, name, &done.path) {
            crate::print_error(&format!("installed, but cannot record it in {path}: {e}"));
            eprintln!(
                "hint: set `clawauth = {:?}` under [hosts.{name}] yourself",
                done.path
            );
            return ExitCode::from(1);
        }
        println!("recorded clawauth = {:?} for {name} in {path}", done.path);
    }
    println!("next: clawauth status --host {}", shell_word(name));
    ExitCode::SUCCESS
}

fn add(env: &Environment, a: AddArgs) -> ExitCode {
    let (path, _) = match load_config(env) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Err(e) = validate_host_name(&a.name) {
        return crate::usage_error(
            &format!("host name {:?}: {e}", a.name),
            "e.g. gw, pi-5, home.gw",
        );
    }
    let entry = HostEntry {
        ssh: a.ssh.unwrap_or_else(|| a.name.clone()),
        agent: a.agent,
        openclaw: a.openclaw,
        clawauth: a.clawauth,
        state_dir: a.state_dir,
        service: a.service,
    };
    if let Err(e) = entry.validate() {
        return crate::usage_error(&e, "see `clawauth hosts add --help`");
    }
    match config::add_host(&path, &a.name, &entry, a.force) {
        Ok(()) => {
            println!("added {} (ssh {}) to {path}", a.name, entry.ssh);
            let opts = ConnectOptions::new(env.clone());
            match host_key_listed(&entry.ssh, &opts) {
                Ok(true) => println!(
                    "its host key is already in known_hosts; next: clawauth status --host {}",
                    a.name
                ),
                _ => println!("next: clawauth hosts trust {}", a.name),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let exists = e.to_string().contains("already");
            crate::usage_error(
                &e.to_string(),
                if exists {
                    "pass --force to replace it"
                } else {
                    ""
                },
            )
        }
    }
}

fn list(env: &Environment) -> ExitCode {
    let (path, config) = match load_config(env) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if config.hosts.is_empty() {
        println!("no hosts in {path}");
        println!("add one: clawauth hosts add gw --ssh user@gateway");
        return ExitCode::SUCCESS;
    }
    let width = config
        .hosts
        .keys()
        .map(String::len)
        .max()
        .unwrap_or(4)
        .max(4);
    println!("{:width$}  SSH", "NAME");
    for (name, h) in &config.hosts {
        let mut extra = Vec::new();
        if let Some(a) = &h.agent {
            extra.push(format!("agent {a}"));
        }
        if let Some(p) = &h.state_dir {
            extra.push(format!("state {p}"));
        }
        if let Some(p) = &h.openclaw {
            extra.push(format!("openclaw {p}"));
        }
        if let Some(p) = &h.clawauth {
            extra.push(format!("clawauth {p}"));
        }
        if let Some(s) = &h.service {
            extra.push(format!("service {s}"));
        }
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!("  ({})", extra.join(", "))
        };
        println!("{name:width$}  {}{extra}", h.ssh);
    }
    ExitCode::SUCCESS
}

fn remove(env: &Environment, name: &str) -> ExitCode {
    let (path, _) = match load_config(env) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match config::remove_host(&path, name) {
        Ok(true) => {
            println!("removed {name} from {path}");
            ExitCode::SUCCESS
        }
        Ok(false) => crate::usage_error(
            &format!("no host {name:?} in {path}"),
            "`clawauth hosts list` shows the configured hosts",
        ),
        Err(e) => {
            crate::print_error(&e.to_string());
            ExitCode::from(1)
        }
    }
}

fn describe(o: &OfferedKey) -> String {
    format!("{} offers {} key {}", o.known_as, o.key_type, o.fingerprint)
}

fn trust_host(env: &Environment, t: TrustArgs) -> ExitCode {
    let (path, config) = match load_config(env) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let entry = match host_entry(env, &config, &t.name, &path) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let timeout = match positive_duration("--connect-timeout", &t.connect_timeout, "10s") {
        Ok(d) => d,
        Err(code) => return code,
    };
    let opts = connect_options(env, &config, false, timeout);
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let offered = runtime.block_on(offered_key(&t.name, &entry.ssh, &opts));
    let offered = match offered {
        Ok(o) => o,
        Err(e) => {
            crate::advice::print(
                &format!("cannot get the host key of {}: {e}", t.name),
                &e.problem(),
                &t.name,
            );
            return ExitCode::from(3);
        }
    };
    println!("{}", describe(&offered));
    match &offered.check {
        HostKeyCheck::Known => {
            println!("already trusted: nothing to do");
            return ExitCode::SUCCESS;
        }
        HostKeyCheck::Changed { .. } | HostKeyCheck::Revoked { .. } => {
            // The same refusal a connection gets; nothing here overrides it.
            if let Some(e) = &offered.refused {
                crate::advice::print(&e.to_string(), &e.problem(), &t.name);
            }
            return ExitCode::from(1);
        }
        HostKeyCheck::Unknown { .. } => {}
    }
    if let Some(expected) = &t.fingerprint {
        if expected.trim() != offered.fingerprint {
            eprintln!(
                "error: the offered key is {}, not {expected}: not trusted",
                offered.fingerprint
            );
            return ExitCode::from(1);
        }
    } else if !t.yes {
        if !std::io::stdin().is_terminal() {
            return crate::usage_error(
                "not trusting a host key without a person to confirm it",
                "compare the fingerprint with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the gateway, then pass --fingerprint SHA256:… (or --yes)",
            );
        }
        eprint!(
            "Is that the fingerprint `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` shows on the gateway? Trust it? [y/N] "
        );
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
            println!("not trusted");
            return ExitCode::from(1);
        }
    }
    match trust(&offered) {
        Ok(()) => {
            println!(
                "trusted: stored a hashed entry in {}",
                offered.known_hosts_file
            );
            println!("next: clawauth status --host {}", t.name);
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::print_error(&e.to_string());
            ExitCode::from(1)
        }
    }
}

#[derive(Debug, Subcommand)]
#[command(
    after_long_help = "The passphrase is read from the terminal without echo, or from stdin when it is not a \
        terminal (one line). It is checked against the key before it is stored, and it never \
        appears in argv, logs or reports.\n\n\
        WHERE IT IS STORED:\n  \
        keyring  the kernel keyring, where it works; it\n           \
        forgets what it holds at every reboot\n  \
        file     ~/.config/clawauth/secrets.json, mode 0600,\n           \
        next to config.toml (always on Termux)\n\
        The default, auto, takes the keyring where it works, else the file. Choose with \
        CLAWAUTH_SECRET_STORE=file|keyring|auto or, in config.toml, [defaults] secret_store = \
        \"file\"."
)]
pub enum PassphraseCommand {
    /// Store the passphrase of an encrypted private key (checked against the key first)
    Set {
        /// The private key file, e.g. ~/.ssh/id_ed25519
        key: Utf8PathBuf,
    },
    /// Forget a stored passphrase
    Forget {
        /// The private key file
        key: Utf8PathBuf,
    },
}

fn absolute(p: &Utf8Path) -> Utf8PathBuf {
    std::path::absolute(p)
        .ok()
        .and_then(|a| Utf8PathBuf::from_path_buf(a).ok())
        .unwrap_or_else(|| p.to_owned())
}

pub fn passphrase(cmd: PassphraseCommand) -> ExitCode {
    let env = Environment::from_process();
    let (_, config) = match load_config(&env) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let store = match secret_store(&env, &config) {
        Ok(s) => s,
        Err(e) => {
            crate::print_error(&e.to_string());
            return ExitCode::from(1);
        }
    };
    match cmd {
        PassphraseCommand::Set { key } => {
            let key = absolute(&key);
            let text = match std::fs::read_to_string(&key) {
                Ok(t) => zeroize::Zeroizing::new(t),
                Err(e) => {
                    return crate::usage_error(
                        &format!("cannot read {key}: {e}"),
                        "give the private key file, e.g. ~/.ssh/id_ed25519",
                    );
                }
            };
            match russh::keys::decode_secret_key(&text, None) {
                Err(russh::keys::Error::KeyIsEncrypted) => {}
                Ok(_) => {
                    return crate::usage_error(
                        &format!("{key} is not encrypted: it needs no passphrase"),
                        "",
                    );
                }
                Err(e) => {
                    return crate::usage_error(&format!("{key} is not a private key ({e})"), "");
                }
            }
            let pass = if std::io::stdin().is_terminal() {
                match crate::prompt::read_hidden_line(&format!("Passphrase for {key}: ")) {
                    Ok(p) => Secret::new(p.as_str()),
                    Err(e) => {
                        eprintln!("error: {e}; nothing stored");
                        return ExitCode::from(1);
                    }
                }
            } else {
                let mut line = zeroize::Zeroizing::new(String::new());
                if let Err(e) = std::io::stdin().lock().read_line(&mut line) {
                    eprintln!("error: cannot read the passphrase from stdin: {e}");
                    return ExitCode::from(1);
                }
                Secret::new(line.trim_end_matches(['\n', '\r']).to_owned())
            };
            if russh::keys::decode_secret_key(&text, Some(pass.expose())).is_err() {
                eprintln!("error: that passphrase does not decrypt {key}; nothing stored");
                return ExitCode::from(1);
            }
            match store.set(&passphrase_key(&key), &pass) {
                Ok(()) => {
                    println!("stored the passphrase of {key} in {}", store.location());
                    if !store.survives_reboot() {
                        println!(
                            "after a reboot, store it again (`{}`), or keep it in a 0600 file instead: \
                             [defaults] secret_store = \"file\" in config.toml, or CLAWAUTH_SECRET_STORE=file",
                            command_line(["clawauth", "passphrase", "set", key.as_str()])
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
        PassphraseCommand::Forget { key } => {
            let key = absolute(&key);
            match store.delete(&passphrase_key(&key)) {
                Ok(true) => {
                    println!("forgot the passphrase of {key}");
                    ExitCode::SUCCESS
                }
                Ok(false) => {
                    println!("no passphrase stored for {key}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    crate::print_error(&e.to_string());
                    ExitCode::from(1)
                }
            }
        }
    }
}
