//! The russh client: connect (ssh_config, DNS without `/etc/resolv.conf`, one ProxyJump hop),
//! verify the host key against known_hosts, authenticate (ssh-agent, key files, encrypted keys
//! with the passphrase from the secret store or a prompt), and serve the [`Gateway`] trait over
//! the one connection.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::{ChannelMsg, Sig};

use super::config::{self as ssh_config, HostConfig};
use super::known_hosts::{self, HostKeyCheck};
use super::signer::{ForeignSigner, SshSigner, public_key_from_spki};
use crate::gateway::{
    Command, Gateway, GatewayError, Limits, Output, Pty, PtyEvent, PtySize, Stream,
};
use crate::openclaw::env::Environment;
use crate::report::{Phase, Problem};
use crate::secrets::{Secret, SecretStore, passphrase_key};

/// What to do with a host key that known_hosts does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostKeyPolicy {
    /// Refuse it (the default, as `StrictHostKeyChecking yes`).
    #[default]
    Strict,
    /// Store it (hashed) and go on, as `StrictHostKeyChecking accept-new`. A changed key is
    /// still refused.
    AcceptNew,
}

/// What a [`PassphrasePrompt`] returns: the passphrase, or `None` (nobody to ask, cancelled).
pub type PromptFuture = std::pin::Pin<Box<dyn Future<Output = Option<Secret>> + Send>>;

/// Asks the person for the passphrase of the key file given (a terminal prompt, a dialog on
/// the phone); it may take as long as the person does.
pub type PassphrasePrompt = Arc<dyn Fn(Utf8PathBuf) -> PromptFuture + Send + Sync>;

/// What a [`Resolver`] returns: the name's addresses, or why there are none.
pub type ResolveFuture =
    std::pin::Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, String>> + Send>>;

/// The platform's name resolution (Android's: an app has no readable resolv.conf, and LAN
/// names come from the network it is on). Without one, clawauth resolves itself
/// ([`super::resolve`]: hosts files, then DNS with hickory).
pub trait Resolver: Send + Sync {
    fn resolve(&self, host: String) -> ResolveFuture;
}

/// How to connect.
#[derive(Clone)]
pub struct ConnectOptions {
    /// HOME, SSH_AUTH_SOCK, USER, PREFIX… (injected so tests decide).
    pub env: Environment,
    /// TCP connect plus key exchange (OpenSSH's ConnectTimeout; the old scripts used 5 s).
    pub connect_timeout: Duration,
    /// Keepalive interval on the connection (three unanswered ones close it).
    pub keepalive: Duration,
    pub host_keys: HostKeyPolicy,
    /// ssh_config files to read (default: ~/.ssh/config, /etc/ssh/ssh_config).
    pub ssh_config_files: Option<Vec<Utf8PathBuf>>,
    pub secrets: Option<Arc<dyn SecretStore>>,
    pub prompt: Option<PassphrasePrompt>,
    /// Keys the platform keeps (Android Keystore), offered before ssh-agent and key files.
    pub signers: Vec<Arc<dyn SshSigner>>,
    /// The platform's resolver for names that are not addresses (default: clawauth's own).
    pub resolver: Option<Arc<dyn Resolver>>,
}

impl ConnectOptions {
    pub fn new(env: Environment) -> Self {
        Self {
            env,
            connect_timeout: Duration::from_secs(5),
            keepalive: Duration::from_secs(15),
            host_keys: HostKeyPolicy::Strict,
            ssh_config_files: None,
            secrets: None,
            prompt: None,
            signers: Vec::new(),
            resolver: None,
        }
    }

    fn home(&self) -> Result<Utf8PathBuf, SshError> {
        self.env.os_home().ok_or_else(|| {
            SshError::Config("HOME is not set; clawauth needs it to find ~/.ssh".into())
        })
    }

    /// The resolved ssh_config settings for `target`.
    pub fn host_config(&self, target: &str) -> Result<HostConfig, SshError> {
        let home = self.home()?;
        let files = self
            .ssh_config_files
            .clone()
            .unwrap_or_else(|| ssh_config::default_files(&home));
        let user = local_user(&self.env);
        ssh_config::resolve(target, &home, Some(&user), &files)
            .map_err(|e| SshError::Config(e.to_string()))
    }
}

/// How a destination that is not a host of config.toml names a machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// `user@host` or `host:port`: written as an ssh destination.
    Destination,
    /// A `Host` block of ssh_config applies to it.
    Alias,
    /// The name (or the HostName ssh_config gives it) is an address or resolves.
    Resolves,
}

/// Whether `target` names a machine — an ssh destination with a user or port, an ssh_config
/// alias, or a name that resolves within `timeout` — so that a typo such as `gww` is caught
/// before anything connects. `Err` says why not (the resolver's words).
pub async fn names_a_machine(
    target: &str,
    opts: &ConnectOptions,
    timeout: Duration,
) -> Result<Named, String> {
    let (user, _, port) = ssh_config::split_target(target).map_err(|e| e.to_string())?;
    if user.is_some() || port.is_some() {
        return Ok(Named::Destination);
    }
    let cfg = opts.host_config(target).map_err(|e| e.to_string())?;
    if cfg.host_block {
        return Ok(Named::Alias);
    }
    super::resolve::resolve(&opts.env, &cfg.host_name, cfg.port, timeout)
        .await
        .map(|_| Named::Resolves)
        .map_err(|e| e.to_string())
}

/// Why a connection could not be made. No variant carries a secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SshError {
    #[error("ssh config: {0}")]
    Config(String),
    #[error("cannot resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("no answer from {addr} within {}s (connect timeout)", .after.as_secs_f32())]
    ConnectTimeout { addr: String, after: Duration },
    #[error("the host key of {host} is not known: {key_type} {fingerprint}")]
    UnknownHostKey {
        /// The gateway as configured (`gw`).
        name: String,
        host: String,
        key_type: String,
        fingerprint: String,
    },
    #[error("{0}")]
    HostKeyChanged(Box<ChangedKey>),
    #[error("the host key of {host} ({fingerprint}) is marked @revoked in {file}")]
    HostKeyRevoked {
        host: String,
        fingerprint: String,
        file: String,
    },
    #[error("{0}")]
    HostKey(String),
    #[error("{user}@{host} refused every key clawauth offered ({})", tried.join("; "))]
    Auth {
        user: String,
        host: String,
        /// The keys offered, as `~/.ssh/id_ed25519.pub` or `agent key SHA256:…`.
        offered: Vec<String>,
        tried: Vec<String>,
    },
    #[error("no SSH key to offer {user}@{host} ({})", tried.join("; "))]
    NoKey {
        name: String,
        user: String,
        host: String,
        tried: Vec<String>,
    },
    #[error(
        "{} is encrypted and clawauth has no passphrase for it: none in {store}, and none typed{}",
        locked.join(", "),
        if tried.is_empty() { String::new() } else { format!(" ({})", tried.join("; ")) }
    )]
    KeyLocked {
        /// The encrypted key files.
        locked: Vec<String>,
        /// Where a stored passphrase was looked for ([`SecretStore::location`]).
        store: String,
        /// What else was tried.
        tried: Vec<String>,
    },
    #[error("SSH handshake with {host} failed: {reason}")]
    Handshake { host: String, reason: String },
    #[error("jump host {jump}: {source}")]
    Jump {
        jump: String,
        #[source]
        source: Box<SshError>,
    },
}

impl SshError {
    /// The problem as data ([`Problem`]) for front ends.
    pub fn problem(&self) -> Problem {
        match self {
            Self::Config(reason) => Problem::InvalidInput {
                reason: format!("ssh config: {reason}"),
            },
            Self::Resolve { host, reason } => Problem::CannotResolve {
                host: host.clone(),
                reason: reason.clone(),
            },
            Self::Connect { addr, reason } => Problem::CannotConnect {
                address: addr.clone(),
                reason: reason.clone(),
            },
            Self::ConnectTimeout { after, .. } => Problem::timed_out(Phase::Connect, *after),
            Self::UnknownHostKey {
                host,
                key_type,
                fingerprint,
                ..
            } => Problem::HostKeyUnknown {
                host: host.clone(),
                key_type: key_type.clone(),
                fingerprint: fingerprint.clone(),
            },
            Self::HostKeyChanged(c) => Problem::HostKeyChanged {
                host: c.host.clone(),
                stored: c.stored.clone(),
                offered: c.offered.clone(),
                known_hosts: c.file.clone(),
                line: c.line as u64,
            },
            Self::HostKeyRevoked {
                host, fingerprint, ..
            } => Problem::HostKeyRevoked {
                host: host.clone(),
                fingerprint: fingerprint.clone(),
            },
            Self::HostKey(reason) => Problem::Other {
                reason: reason.clone(),
            },
            Self::Auth {
                user,
                host,
                offered,
                ..
            } => Problem::KeysRefused {
                user: user.clone(),
                host: host.clone(),
                offered: offered.clone(),
            },
            Self::NoKey { user, host, .. } => Problem::NoKey {
                user: user.clone(),
                host: host.clone(),
            },
            Self::KeyLocked { locked, .. } => Problem::KeyNeedsPassphrase {
                keys: locked.clone(),
            },
            Self::Handshake { host, reason } => Problem::CannotConnect {
                address: host.clone(),
                reason: format!("SSH handshake failed: {reason}"),
            },
            // The jump host's own problem is the one to act on.
            Self::Jump { source, .. } => source.problem(),
        }
    }
}

/// A host key that differs from the stored one (boxed in [`SshError`]).
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "the host key of {host} has CHANGED — someone may be intercepting the connection, or the gateway was reinstalled.\n\
     stored:  {stored} ({file}:{line})\n\
     offered: {key_type} {offered}"
)]
pub struct ChangedKey {
    pub name: String,
    pub host: String,
    pub known_as: String,
    pub file: String,
    pub line: usize,
    /// `SHA256:…` of the stored key.
    pub stored: String,
    /// The offered key's type (`ED25519`) and `SHA256:…` fingerprint.
    pub key_type: String,
    pub offered: String,
}

/// What the handshake saw of the host key, read back after russh's handshake: the key, where
/// known_hosts has it (or would learn it), and the decision.
#[derive(Debug, Clone)]
struct Seen {
    key: PublicKey,
    check: Result<HostKeyCheck, String>,
    /// `host` or `[host]:port`, as known_hosts stores it.
    known_as: String,
    host: String,
    port: u16,
    learn_into: Utf8PathBuf,
    refused: Option<SshError>,
}

struct Client {
    name: String,
    /// The name the key is stored under (HostKeyAlias or HostName) and the port.
    host: String,
    port: u16,
    files: Vec<Utf8PathBuf>,
    learn_into: Utf8PathBuf,
    policy: HostKeyPolicy,
    seen: Arc<Mutex<Option<Seen>>>,
}

fn key_type(key: &PublicKey) -> String {
    match key.algorithm().as_str() {
        "ssh-ed25519" => "ED25519".into(),
        "ssh-rsa" => "RSA".into(),
        a if a.starts_with("ecdsa") => "ECDSA".into(),
        a => a.to_owned(),
    }
}

impl Client {
    /// Checks `key` against known_hosts (learning it under `AcceptNew`); the error when refused.
    fn decide(&self, key: &PublicKey, check: &Result<HostKeyCheck, String>) -> Option<SshError> {
        let fp = known_hosts::fingerprint(key);
        let known_as = known_hosts::host_string(&self.host, self.port);
        match check {
            Ok(HostKeyCheck::Known) => None,
            Ok(HostKeyCheck::Changed {
                file,
                line,
                stored_fingerprint,
            }) => Some(SshError::HostKeyChanged(Box::new(ChangedKey {
                name: self.name.clone(),
                host: known_as.clone(),
                known_as,
                file: file.to_string(),
                line: *line,
                stored: stored_fingerprint.clone(),
                key_type: key_type(key),
                offered: fp.clone(),
            }))),
            Ok(HostKeyCheck::Revoked { file, .. }) => Some(SshError::HostKeyRevoked {
                host: known_as,
                fingerprint: fp,
                file: file.to_string(),
            }),
            Ok(HostKeyCheck::Unknown { .. }) if self.policy == HostKeyPolicy::AcceptNew => {
                match known_hosts::learn(&self.learn_into, &self.host, self.port, key) {
                    Ok(()) => {
                        tracing::info!(
                            "learned the host key of {known_as} ({fp}) into {}",
                            self.learn_into
                        );
                        None
                    }
                    Err(e) => Some(SshError::HostKey(format!(
                        "cannot store the host key of {known_as}: {e}"
                    ))),
                }
            }
            Ok(HostKeyCheck::Unknown { .. }) => Some(SshError::UnknownHostKey {
                name: self.name.clone(),
                host: known_as,
                key_type: key_type(key),
                fingerprint: fp,
            }),
            Err(e) => Some(SshError::HostKey(e.clone())),
        }
    }
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = server_key else {
            tracing::warn!(
                "{} offered a host certificate; clawauth checks plain host keys against known_hosts",
                self.host
            );
            return Ok(false);
        };
        let check =
            known_hosts::check(&self.files, &self.host, self.port, key).map_err(|e| e.to_string());
        let refused = self.decide(key, &check);
        let accepted = refused.is_none();
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(Seen {
                key: key.clone(),
                check,
                known_as: known_hosts::host_string(&self.host, self.port),
                host: self.host.clone(),
                port: self.port,
                learn_into: self.learn_into.clone(),
                refused,
            });
        }
        Ok(accepted)
    }
}

/// A live SSH connection to a gateway, serving the [`Gateway`] trait.
pub struct SshGateway {
    name: String,
    handle: Handle<Client>,
    /// The jump host's connection, kept open while the gateway's runs through it.
    _jump: Option<Handle<Client>>,
    /// `user@host:port` for messages.
    pub destination: String,
    /// How long connecting (TCP, key exchange, authentication) took.
    pub connect_time: Duration,
}

struct Attempt {
    handle: Handle<Client>,
    cfg: HostConfig,
    user: String,
}

fn local_user(env: &Environment) -> String {
    env.get("USER")
        .or_else(|| env.get("LOGNAME"))
        .map(str::to_owned)
        .or_else(|| {
            let uid = rustix::process::getuid().as_raw();
            let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
            passwd.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() > 2 && f[2] == uid.to_string()).then(|| f[0].to_owned())
            })
        })
        .unwrap_or_else(|| "root".to_owned())
}

fn russh_config(opts: &ConnectOptions) -> Arc<client::Config> {
    Arc::new(client::Config {
        keepalive_interval: Some(opts.keepalive),
        keepalive_max: 3,
        nodelay: true,
        ..Default::default()
    })
}

/// The known_hosts files a connection to `cfg` checks (UserKnownHostsFile, else
/// ~/.ssh/known_hosts, then /etc/ssh/ssh_known_hosts) and the one a trusted key is written to.
fn known_hosts_files(cfg: &HostConfig, home: &Utf8Path) -> (Vec<Utf8PathBuf>, Utf8PathBuf) {
    let mut files = cfg.user_known_hosts_files.clone();
    if files.is_empty() {
        files.push(home.join(".ssh/known_hosts"));
    }
    let learn_into = files[0].clone();
    files.push(Utf8PathBuf::from("/etc/ssh/ssh_known_hosts"));
    (files, learn_into)
}

/// Whether known_hosts already holds a host key for `target`, looked up as a connection would
/// (HostKeyAlias or HostName, and the port), without connecting.
pub fn host_key_listed(target: &str, opts: &ConnectOptions) -> Result<bool, SshError> {
    let cfg = opts.host_config(target)?;
    let (files, _) = known_hosts_files(&cfg, &opts.home()?);
    let host = cfg.host_key_alias.as_deref().unwrap_or(&cfg.host_name);
    known_hosts::lists(&files, host, cfg.port).map_err(|e| SshError::HostKey(e.to_string()))
}

/// Opens the TCP connection (or the jump channel) and runs the handshake with host-key checks;
/// `seen` receives what the server offered and what known_hosts said.
async fn handshake<S>(
    name: &str,
    cfg: &HostConfig,
    stream: S,
    opts: &ConnectOptions,
    seen: Arc<Mutex<Option<Seen>>>,
) -> Result<Handle<Client>, SshError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (files, learn_into) = known_hosts_files(cfg, &opts.home()?);
    let client = Client {
        name: name.to_owned(),
        host: cfg
            .host_key_alias
            .clone()
            .unwrap_or_else(|| cfg.host_name.clone()),
        port: cfg.port,
        files,
        learn_into,
        policy: opts.host_keys,
        seen: seen.clone(),
    };
    let host = format!("{}:{}", cfg.host_name, cfg.port);
    let result = tokio::time::timeout(
        opts.connect_timeout,
        client::connect_stream(russh_config(opts), stream, client),
    )
    .await;
    let refused = seen
        .lock()
        .ok()
        .and_then(|s| s.as_ref().and_then(|s| s.refused.clone()));
    match (result, refused) {
        (_, Some(e)) => Err(e),
        (Ok(Ok(h)), None) => Ok(h),
        // Refused by the handler without a key to show: it offered a certificate.
        (Ok(Err(russh::Error::UnknownKey)), None) => Err(SshError::HostKey(format!(
            "{host} offered a host certificate; clawauth checks plain host keys against known_hosts"
        ))),
        (Ok(Err(e)), None) => Err(SshError::Handshake {
            host,
            reason: e.to_string(),
        }),
        (Err(_), None) => Err(SshError::ConnectTimeout {
            addr: host,
            after: opts.connect_timeout,
        }),
    }
}

async fn tcp_connect(
    cfg: &HostConfig,
    opts: &ConnectOptions,
) -> Result<tokio::net::TcpStream, SshError> {
    let started = Instant::now();
    let addrs = resolve_with(opts, &cfg.host_name, cfg.port).await?;
    let mut last = None;
    for addr in addrs {
        let left = opts.connect_timeout.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Ok(Err(e)) => {
                last = Some(SshError::Connect {
                    addr: addr.to_string(),
                    reason: e.to_string(),
                })
            }
            Err(_) => {
                last = Some(SshError::ConnectTimeout {
                    addr: addr.to_string(),
                    after: opts.connect_timeout,
                })
            }
        }
    }
    Err(last.unwrap_or_else(|| SshError::Resolve {
        host: cfg.host_name.clone(),
        reason: "no address".into(),
    }))
}

/// The addresses of `host`: through the platform's [`Resolver`] when there is one (an address
/// literal never asks it), else clawauth's own resolution; within the connect timeout.
async fn resolve_with(
    opts: &ConnectOptions,
    host: &str,
    port: u16,
) -> Result<Vec<std::net::SocketAddr>, SshError> {
    let failed = |reason: String| SshError::Resolve {
        host: host.to_owned(),
        reason,
    };
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .parse::<IpAddr>()
        .is_ok();
    match &opts.resolver {
        Some(r) if !literal => {
            let ips = tokio::time::timeout(opts.connect_timeout, r.resolve(host.to_owned()))
                .await
                .map_err(|_| {
                    failed(format!(
                        "the platform's resolver gave no answer within {}s",
                        opts.connect_timeout.as_secs_f32()
                    ))
                })?
                .map_err(|e| failed(format!("the platform's resolver: {e}")))?;
            if ips.is_empty() {
                return Err(failed(
                    "the platform's resolver knows no address for it".into(),
                ));
            }
            Ok(ips
                .into_iter()
                .map(|ip| std::net::SocketAddr::new(ip, port))
                .collect())
        }
        _ => super::resolve::resolve(&opts.env, host, port, opts.connect_timeout)
            .await
            .map_err(|e| failed(e.to_string())),
    }
}

/// Connects to one destination (directly or through its ProxyJump hop), checks its host key and
/// authenticates.
async fn open(
    name: &str,
    target: &str,
    opts: &ConnectOptions,
    seen: Arc<Mutex<Option<Seen>>>,
    authenticate_too: bool,
) -> Result<(Attempt, Option<Handle<Client>>), SshError> {
    let cfg = opts.host_config(target)?;
    if cfg.proxy_command.is_some() {
        return Err(SshError::Config(format!(
            "{target} uses ProxyCommand, which clawauth does not run; use ProxyJump (one hop) instead"
        )));
    }
    let user = cfg.user.clone().unwrap_or_else(|| local_user(&opts.env));
    let jump = match cfg.proxy_jump.as_deref() {
        Some(v) => ssh_config::jump_host(v).map_err(|e| SshError::Config(e.to_string()))?,
        None => None,
    };
    let (handle, jump_handle) = match jump {
        None => {
            let tcp = tcp_connect(&cfg, opts).await?;
            (handshake(name, &cfg, tcp, opts, seen).await?, None)
        }
        Some(j) => {
            let wrap = |e: SshError| SshError::Jump {
                jump: j.clone(),
                source: Box::new(e),
            };
            let jcfg = opts.host_config(&j).map_err(wrap)?;
            if jcfg.proxy_jump.is_some() {
                return Err(SshError::Config(format!(
                    "jump host {j} has a ProxyJump of its own; clawauth follows one hop"
                )));
            }
            let juser = jcfg.user.clone().unwrap_or_else(|| local_user(&opts.env));
            let tcp = tcp_connect(&jcfg, opts).await.map_err(wrap)?;
            let mut jh = handshake(&j, &jcfg, tcp, opts, Arc::new(Mutex::new(None)))
                .await
                .map_err(wrap)?;
            authenticate(&mut jh, &j, &juser, &jcfg, opts)
                .await
                .map_err(wrap)?;
            let channel = tokio::time::timeout(
                opts.connect_timeout,
                jh.channel_open_direct_tcpip(
                    cfg.host_name.clone(),
                    u32::from(cfg.port),
                    "127.0.0.1",
                    0,
                ),
            )
            .await
            .map_err(|_| {
                wrap(SshError::ConnectTimeout {
                    addr: format!("{}:{} (through the jump host)", cfg.host_name, cfg.port),
                    after: opts.connect_timeout,
                })
            })?
            .map_err(|e| {
                wrap(SshError::Connect {
                    addr: format!("{}:{}", cfg.host_name, cfg.port),
                    reason: format!("the jump host could not open a channel to it: {e}"),
                })
            })?;
            let h = handshake(name, &cfg, channel.into_stream(), opts, seen).await?;
            (h, Some(jh))
        }
    };
    let mut attempt = Attempt { handle, cfg, user };
    if authenticate_too {
        authenticate(&mut attempt.handle, name, &attempt.user, &attempt.cfg, opts).await?;
    }
    Ok((attempt, jump_handle))
}

/// Connects to `target` (an ssh_config alias or `[user@]host[:port]`) as gateway `name`.
pub async fn connect(
    name: &str,
    target: &str,
    opts: &ConnectOptions,
) -> Result<SshGateway, SshError> {
    let started = Instant::now();
    let (a, jump) = open(name, target, opts, Arc::new(Mutex::new(None)), true).await?;
    Ok(SshGateway {
        name: name.to_owned(),
        destination: format!("{}@{}:{}", a.user, a.cfg.host_name, a.cfg.port),
        handle: a.handle,
        _jump: jump,
        connect_time: started.elapsed(),
    })
}

/// The host key `target` offers and what known_hosts says about it (for `clawauth hosts trust`).
pub struct OfferedKey {
    pub key: PublicKey,
    pub fingerprint: String,
    pub key_type: String,
    /// `host` or `[host]:port`, as known_hosts stores it.
    pub known_as: String,
    host: String,
    port: u16,
    /// Where a trusted key is written.
    pub known_hosts_file: Utf8PathBuf,
    pub check: HostKeyCheck,
    /// The error a connection gets with this key as things stand (unknown, changed, revoked).
    pub refused: Option<SshError>,
}

/// Connects far enough to see `target`'s host key (no authentication).
pub async fn offered_key(
    name: &str,
    target: &str,
    opts: &ConnectOptions,
) -> Result<OfferedKey, SshError> {
    let seen = Arc::new(Mutex::new(None));
    let strict = ConnectOptions {
        host_keys: HostKeyPolicy::Strict,
        ..opts.clone()
    };
    let result = open(name, target, &strict, seen.clone(), false).await;
    if let Err(e @ SshError::Jump { .. }) = &result {
        return Err(e.clone());
    }
    let Some(seen) = seen.lock().ok().and_then(|mut s| s.take()) else {
        return Err(match result {
            Err(e) => e,
            Ok(_) => SshError::HostKey(format!("{target} offered no host key")),
        });
    };
    let check = seen.check.map_err(SshError::HostKey)?;
    Ok(OfferedKey {
        fingerprint: known_hosts::fingerprint(&seen.key),
        key_type: key_type(&seen.key),
        known_as: seen.known_as,
        host: seen.host,
        port: seen.port,
        known_hosts_file: seen.learn_into,
        key: seen.key,
        check,
        refused: seen.refused,
    })
}

/// Trusts an offered key: stores it hashed in the user's known_hosts.
pub fn trust(offered: &OfferedKey) -> Result<(), SshError> {
    known_hosts::learn(
        &offered.known_hosts_file,
        &offered.host,
        offered.port,
        &offered.key,
    )
    .map_err(|e| SshError::HostKey(e.to_string()))
}

fn default_identities(home: &Utf8Path) -> Vec<Utf8PathBuf> {
    ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .map(|n| home.join(".ssh").join(n))
        .collect()
}

enum LoadedKey {
    Key(Box<PrivateKey>),
    /// Encrypted, and no passphrase to be had (none stored, nobody to ask).
    Locked,
    Skipped(String),
}

/// Reads a private key, decrypting it with the stored or prompted passphrase.
async fn load_key(path: &Utf8Path, opts: &ConnectOptions) -> LoadedKey {
    let text = match crate::openclaw::files::read_secret_text(path) {
        Ok(Some(t)) => t,
        Ok(None) => return LoadedKey::Skipped(format!("{path}: not found")),
        Err(e) => return LoadedKey::Skipped(e.to_string()),
    };
    match russh::keys::decode_secret_key(&text, None) {
        Ok(k) => return LoadedKey::Key(Box::new(k)),
        Err(russh::keys::Error::KeyIsEncrypted) => {}
        Err(e) => {
            return LoadedKey::Skipped(format!("{path}: not a private key clawauth can use ({e})"));
        }
    }
    let stored = opts
        .secrets
        .as_ref()
        .and_then(|s| s.get(&passphrase_key(path)).ok().flatten());
    let (pass, from_store) = match stored {
        Some(p) => (p, true),
        None => {
            let asked = match opts.prompt.as_ref() {
                Some(ask) => ask(path.to_owned()).await,
                None => None,
            };
            match asked {
                Some(p) => (p, false),
                None => return LoadedKey::Locked,
            }
        }
    };
    let path_owned = path.to_owned();
    // bcrypt-pbkdf is deliberately slow: keep it off the async threads.
    let decoded = tokio::task::spawn_blocking(move || {
        russh::keys::decode_secret_key(&text, Some(pass.expose()))
    })
    .await;
    match decoded {
        Ok(Ok(k)) => LoadedKey::Key(Box::new(k)),
        _ => LoadedKey::Skipped(format!(
            "{path_owned}: the {} passphrase does not decrypt it{}",
            if from_store { "stored" } else { "given" },
            if from_store {
                " (the stored one is wrong: store the right one)".to_owned()
            } else {
                String::new()
            }
        )),
    }
}

/// Offers `key`, signed by `signer` (a platform key, ssh-agent) if the gateway wants it:
/// `Ok(true)` when it accepted, `Ok(false)` when it refused, or why signing failed.
async fn offer_signed<S: russh::Signer>(
    handle: &mut Handle<Client>,
    user: &str,
    key: PublicKey,
    hash: Option<HashAlg>,
    signer: &mut S,
) -> Result<bool, String>
where
    S::Error: std::fmt::Display,
{
    handle
        .authenticate_publickey_with(user, key, hash, signer)
        .await
        .map(|r| r.success())
        .map_err(|e| e.to_string())
}

/// Notes how an offer of the key `label` went; true when the gateway accepted it.
fn record_offer(
    offer: Result<bool, String>,
    label: String,
    tried: &mut Vec<String>,
    offered: &mut Vec<String>,
) -> bool {
    match offer {
        Ok(true) => true,
        Ok(false) => {
            tried.push(format!("{label}: refused"));
            offered.push(label);
            false
        }
        Err(e) => {
            tried.push(format!("{label}: {e}"));
            false
        }
    }
}

/// The hash for RSA signatures, asked of the gateway (its `server-sig-algs`) only when an RSA key
/// is about to be offered: a gateway that never sends the list would otherwise make every login
/// wait for it, whatever the key.
#[derive(Default)]
struct RsaHash(Option<Option<HashAlg>>);

impl RsaHash {
    async fn for_key(&mut self, handle: &mut Handle<Client>, key: &PublicKey) -> Option<HashAlg> {
        self.for_key_with(key, || async {
            handle
                .best_supported_rsa_hash()
                .await
                .ok()
                .flatten()
                .flatten()
        })
        .await
    }

    /// The hash for `key`: none but for an RSA key, for which `ask` (the gateway's list) is
    /// awaited once, SHA-512 when it names none.
    async fn for_key_with<F: Future<Output = Option<HashAlg>>>(
        &mut self,
        key: &PublicKey,
        ask: impl FnOnce() -> F,
    ) -> Option<HashAlg> {
        if !key.algorithm().is_rsa() {
            return None;
        }
        if self.0.is_none() {
            self.0 = Some(ask().await.or(Some(HashAlg::Sha512)));
        }
        self.0.flatten()
    }
}

/// The outcome of offering keys so far, told apart for the error: offered and refused,
/// encrypted without a passphrase, or not usable at all (missing, unreadable, wrong passphrase,
/// agent errors).
#[derive(Default)]
struct Offers {
    tried: Vec<String>,
    offered: Vec<String>,
    locked: Vec<String>,
}

/// Offers the key file `path`: true when the gateway accepted it.
async fn offer_file(
    handle: &mut Handle<Client>,
    user: &str,
    path: &Utf8Path,
    opts: &ConnectOptions,
    rsa: &mut RsaHash,
    offers: &mut Offers,
) -> bool {
    match load_key(path, opts).await {
        LoadedKey::Locked => offers.locked.push(path.to_string()),
        LoadedKey::Skipped(why) => offers.tried.push(why),
        LoadedKey::Key(key) => {
            let hash = rsa.for_key(handle, key.public_key()).await;
            let with = PrivateKeyWithHashAlg::new(Arc::new(*key), hash);
            match handle.authenticate_publickey(user, with).await {
                Ok(r) if r.success() => return true,
                Ok(_) => {
                    offers.tried.push(format!("{path}: refused"));
                    offers.offered.push(format!("{path}.pub"));
                }
                Err(e) => offers.tried.push(format!("{path}: {e}")),
            }
        }
    }
    false
}

/// Offers ssh-agent's `key`, signed by the agent: true when the gateway accepted it.
async fn offer_agent(
    handle: &mut Handle<Client>,
    user: &str,
    agent: &mut Option<russh::keys::agent::client::AgentClient<tokio::net::UnixStream>>,
    key: &PublicKey,
    rsa: &mut RsaHash,
    offers: &mut Offers,
) -> bool {
    let Some(a) = agent.as_mut() else {
        return false;
    };
    let hash = rsa.for_key(handle, key).await;
    let label = format!("agent key {}", known_hosts::fingerprint(key));
    let offer = offer_signed(handle, user, key.clone(), hash, a).await;
    record_offer(offer, label, &mut offers.tried, &mut offers.offered)
}

/// Authenticates as `user`, in OpenSSH's order: the platform's keys (an app's), then the
/// identities configured for the host (through ssh-agent when it holds them, else from their
/// files), then ssh-agent's other keys, then the default key files. The configured identity
/// goes first so that an agent full of other keys does not cost a refused offer each.
async fn authenticate(
    handle: &mut Handle<Client>,
    name: &str,
    user: &str,
    cfg: &HostConfig,
    opts: &ConnectOptions,
) -> Result<(), SshError> {
    let home = opts.home()?;
    let mut offers = Offers::default();
    let mut rsa = RsaHash::default();
    let configured = !cfg.identity_files.is_empty();
    let identity_files = if configured {
        cfg.identity_files.clone()
    } else {
        default_identities(&home)
    };

    // 1. Keys the platform keeps: offered first, they are what an app has.
    for signer in &opts.signers {
        let label = signer.label();
        let key = match public_key_from_spki(signer.algorithm(), &signer.public_key_spki()) {
            Ok(k) => k,
            Err(e) => {
                offers.tried.push(format!("{label}: {e}"));
                continue;
            }
        };
        let label = format!("{label} {}", known_hosts::fingerprint(&key));
        let mut foreign = ForeignSigner {
            signer: Arc::clone(signer),
        };
        let offer = offer_signed(handle, user, key, None, &mut foreign).await;
        if record_offer(offer, label, &mut offers.tried, &mut offers.offered) {
            return Ok(());
        }
    }

    // ssh-agent and what it holds.
    let agent_path = match cfg.identity_agent.as_deref() {
        Some("none") => None,
        Some("SSH_AUTH_SOCK") | None => opts.env.get("SSH_AUTH_SOCK").map(str::to_owned),
        Some(p) => Some(
            p.strip_prefix("~/")
                .map_or_else(|| p.to_owned(), |r| home.join(r).into_string()),
        ),
    };
    let mut agent = None;
    let mut agent_keys: Vec<PublicKey> = Vec::new();
    if let Some(sock) = agent_path.filter(|s| !s.is_empty()) {
        match russh::keys::agent::client::AgentClient::connect_uds(&sock).await {
            Ok(mut a) => {
                let ids = a.request_identities().await.unwrap_or_default();
                agent_keys = ids.iter().map(|id| id.public_key().into_owned()).collect();
                agent = Some(a);
            }
            Err(e) => offers.tried.push(format!("ssh-agent at {sock}: {e}")),
        }
    }
    // The public half of each identity file, where its `.pub` is there to say.
    let publics: Vec<Option<PublicKey>> = identity_files
        .iter()
        .map(|p| russh::keys::load_public_key(format!("{p}.pub")).ok())
        .collect();
    let held = |public: &Option<PublicKey>, keys: &[PublicKey]| {
        public
            .as_ref()
            .and_then(|w| keys.iter().position(|k| k.key_data() == w.key_data()))
    };
    let mut agent_used = vec![false; agent_keys.len()];
    let mut file_done = vec![false; identity_files.len()];

    // 2. The configured identities, through the agent when it holds them.
    if configured {
        for (f, path) in identity_files.iter().enumerate() {
            file_done[f] = true;
            if let Some(i) = held(&publics[f], &agent_keys) {
                agent_used[i] = true;
                if offer_agent(
                    handle,
                    user,
                    &mut agent,
                    &agent_keys[i],
                    &mut rsa,
                    &mut offers,
                )
                .await
                {
                    return Ok(());
                }
                continue;
            }
            if !path.exists() {
                offers.tried.push(format!("{path}: not found"));
                continue;
            }
            if offer_file(handle, user, path, opts, &mut rsa, &mut offers).await {
                return Ok(());
            }
        }
    }

    // 3. ssh-agent's other keys (none with IdentitiesOnly but the configured ones).
    for i in 0..agent_keys.len() {
        if agent_used[i] {
            continue;
        }
        if cfg.identities_only
            && !publics.iter().any(|w| {
                w.as_ref()
                    .is_some_and(|w| w.key_data() == agent_keys[i].key_data())
            })
        {
            continue;
        }
        agent_used[i] = true;
        if offer_agent(
            handle,
            user,
            &mut agent,
            &agent_keys[i],
            &mut rsa,
            &mut offers,
        )
        .await
        {
            return Ok(());
        }
    }

    // 4. The default key files.
    for (f, path) in identity_files.iter().enumerate() {
        // A key the agent already offered is not offered again from its file.
        let offered_by_agent = held(&publics[f], &agent_keys).is_some_and(|i| agent_used[i]);
        if file_done[f] || offered_by_agent || !path.exists() {
            continue;
        }
        if offer_file(handle, user, path, opts, &mut rsa, &mut offers).await {
            return Ok(());
        }
    }
    let Offers {
        mut tried,
        offered,
        locked,
    } = offers;
    let host = format!("{}:{}", cfg.host_name, cfg.port);
    // A locked key is the likeliest fix: the gateway may well accept it once it can be used.
    if !locked.is_empty() {
        let store = opts
            .secrets
            .as_ref()
            .map_or_else(|| "no secret store".to_owned(), |s| s.location());
        return Err(SshError::KeyLocked {
            locked,
            store,
            tried,
        });
    }
    if !offered.is_empty() {
        return Err(SshError::Auth {
            user: user.to_owned(),
            host,
            offered,
            tried,
        });
    }
    if tried.is_empty() {
        tried.push(
            "no ssh-agent (SSH_AUTH_SOCK) and no ~/.ssh/id_ed25519, id_ecdsa or id_rsa".into(),
        );
    }
    Err(SshError::NoKey {
        name: name.to_owned(),
        user: user.to_owned(),
        host,
        tried,
    })
}

impl SshGateway {
    async fn run_line(
        &self,
        line: &str,
        what: &str,
        stdin: Option<&[u8]>,
        limits: Limits,
    ) -> Result<Output, GatewayError> {
        let started = Instant::now();
        let lost = |e: russh::Error| GatewayError::Disconnected(Some(e.to_string()));
        let work = async {
            let mut ch = self.handle.channel_open_session().await.map_err(lost)?;
            ch.exec(true, line.as_bytes()).await.map_err(lost)?;
            if let Some(input) = stdin {
                ch.data(input).await.map_err(lost)?;
            }
            ch.eof().await.map_err(lost)?;
            let mut out = Output::default();
            let mut closed_cleanly = false;
            while let Some(msg) = ch.wait().await {
                match msg {
                    ChannelMsg::Data { data } => {
                        let room = limits.stdout_cap.saturating_sub(out.stdout.len());
                        out.stdout.extend_from_slice(&data[..data.len().min(room)]);
                        if data.len() > room {
                            out.truncated = true;
                            let _ = ch.signal(Sig::KILL).await;
                            let _ = ch.close().await;
                            closed_cleanly = true;
                            break;
                        }
                    }
                    ChannelMsg::ExtendedData { data, ext: 1 } => {
                        let room = limits.stderr_cap.saturating_sub(out.stderr.len());
                        out.stderr.extend_from_slice(&data[..data.len().min(room)]);
                    }
                    ChannelMsg::ExitStatus { exit_status } => {
                        out.status = i32::try_from(exit_status).ok();
                    }
                    ChannelMsg::ExitSignal { signal_name, .. } => {
                        out.signal = Some(format!("signal {signal_name:?}"));
                    }
                    ChannelMsg::Close => {
                        closed_cleanly = true;
                        break;
                    }
                    _ => {}
                }
            }
            if !closed_cleanly && out.status.is_none() && out.signal.is_none() {
                return Err(GatewayError::Disconnected(Some(format!(
                    "`{what}` was cut off"
                ))));
            }
            out.duration = started.elapsed();
            Ok(out)
        };
        match tokio::time::timeout(limits.timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(GatewayError::Timeout {
                what: format!("`{what}` on {}", self.name),
                after: limits.timeout,
            }),
        }
    }

    /// Closes the connection politely.
    pub async fn close(self) {
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}

impl Gateway for SshGateway {
    type Pty = SshPty;

    fn name(&self) -> &str {
        &self.name
    }

    async fn exec(
        &self,
        cmd: &Command,
        stdin: Option<&[u8]>,
        limits: Limits,
    ) -> Result<Output, GatewayError> {
        let line = cmd.to_shell()?;
        let what = cmd.describe();
        self.run_line(&line, &what, stdin, limits).await
    }

    async fn exec_script(
        &self,
        script: &str,
        stdin: Option<&[u8]>,
        limits: Limits,
    ) -> Result<Output, GatewayError> {
        self.run_line(script, "a shell script", stdin, limits).await
    }

    async fn open_pty(&self, cmd: &Command, size: PtySize) -> Result<SshPty, GatewayError> {
        let line = cmd.to_shell()?;
        let lost = |e: russh::Error| GatewayError::Disconnected(Some(e.to_string()));
        let ch = self.handle.channel_open_session().await.map_err(lost)?;
        ch.request_pty(true, "xterm-256color", size.cols, size.rows, 0, 0, &[])
            .await
            .map_err(lost)?;
        ch.exec(true, line.as_bytes()).await.map_err(lost)?;
        Ok(SshPty {
            ch,
            exit: None,
            done: false,
        })
    }

    async fn forward(&self, host: &str, port: u16) -> Result<Box<dyn Stream>, GatewayError> {
        let ch = self
            .handle
            .channel_open_direct_tcpip(host.to_owned(), u32::from(port), "127.0.0.1", 0)
            .await
            .map_err(|e| {
                GatewayError::Io(format!("the gateway cannot reach {host}:{port}: {e}"))
            })?;
        Ok(Box::new(ch.into_stream()))
    }
}

/// A program on a PTY of the gateway.
pub struct SshPty {
    ch: russh::Channel<client::Msg>,
    exit: Option<i32>,
    done: bool,
}

impl Pty for SshPty {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), GatewayError> {
        self.ch
            .data(bytes)
            .await
            .map_err(|e| GatewayError::Disconnected(Some(e.to_string())))
    }

    async fn next(&mut self) -> Option<PtyEvent> {
        if self.done {
            return None;
        }
        loop {
            match self.ch.wait().await {
                Some(ChannelMsg::Data { data }) => return Some(PtyEvent::Output(data.to_vec())),
                Some(ChannelMsg::ExtendedData { data, .. }) => {
                    return Some(PtyEvent::Output(data.to_vec()));
                }
                Some(ChannelMsg::ExitStatus { exit_status }) => {
                    self.exit = i32::try_from(exit_status).ok();
                }
                Some(ChannelMsg::Close) | None => {
                    self.done = true;
                    return Some(PtyEvent::Exit(self.exit));
                }
                Some(_) => {}
            }
        }
    }

    async fn resize(&mut self, size: PtySize) -> Result<(), GatewayError> {
        self.ch
            .window_change(size.cols, size.rows, 0, 0)
            .await
            .map_err(|e| GatewayError::Disconnected(Some(e.to_string())))
    }

    async fn close(&mut self) {
        let _ = self.ch.close().await;
        self.done = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RSA public key (made for this test with `ssh-keygen -t rsa -b 2048`; public only).
    const RSA_PUBLIC: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDK20utxvXpu+fErBQWwCKpfovcPGkCGsECglDUyx4Qe1x6dCI5W8jx2rdFMTRfPKVtw/GKo93oyMgd9PAZwS0uq+3IW+ww8+EMOO41cMA7YLlsb2ZFaMiD0bv9FOEe8mIHvT9l6qGOBRqV0T3ElNatWc7zZQUxuLEVOn6VS7iUiuC4PNZyyaPqbs3TBp9KB2TEVRknTNC4dANWL8EZ+lUWUJhwy1sk/LgTEq+7hdY1O5iUtDUj5QTLe3evlKpPfrXwCk8vpnTgluG8CRBCN1UBAysvqBu8cmDOAog9IU7wsTe3sLXZJnZGAowJbEugbk3s/7XuTATWxOs4ChMKf4i5 test";

    #[tokio::test]
    async fn rsa_algorithms_are_asked_for_only_for_an_rsa_key_and_only_once() {
        let ed = russh::keys::PrivateKey::random(&mut rand::rng(), russh::keys::Algorithm::Ed25519)
            .expect("a key")
            .public_key()
            .clone();
        let mut rsa = RsaHash::default();
        let never = || async { panic!("asked the gateway for RSA algorithms for an Ed25519 key") };
        assert_eq!(rsa.for_key_with(&ed, never).await, None);
        let rsa_key = PublicKey::from_openssh(RSA_PUBLIC).expect("RSA key");
        let mut asked = 0;
        let ask = || {
            asked += 1;
            async { Some(HashAlg::Sha256) }
        };
        assert_eq!(rsa.for_key_with(&rsa_key, ask).await, Some(HashAlg::Sha256));
        assert_eq!(asked, 1);
        let again = || async { panic!("asked twice") };
        assert_eq!(
            rsa.for_key_with(&rsa_key, again).await,
            Some(HashAlg::Sha256)
        );
        // A gateway that names none: SHA-512, as OpenSSH assumes.
        let mut none = RsaHash::default();
        assert_eq!(
            none.for_key_with(&rsa_key, || async { None }).await,
            Some(HashAlg::Sha512)
        );
    }
}
