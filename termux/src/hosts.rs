//! `clawauth hosts add|list|remove|trust` and `clawauth passphrase set|forget`.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use camino::{Utf8Path, Utf8PathBuf};
use clap::{Args, Subcommand};
use clawauth_core::config::{self, HostEntry};
use clawauth_core::display::command_line;
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

pub fn run(cmd: HostsCommand) -> ExitCode {
    let env = Environment::from_process();
    match cmd {
        HostsCommand::Add(a) => add(&env, a),
        HostsCommand::List => list(&env),
        HostsCommand::Remove { name } => remove(&env, &name),
        HostsCommand::Trust(t) => trust_host(&env, t),
    }
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
