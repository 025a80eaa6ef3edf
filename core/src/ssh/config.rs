//! OpenSSH client configuration (`~/.ssh/config`, `/etc/ssh/ssh_config`) resolved for one
//! destination, with OpenSSH's semantics (ssh_config(5)) for the settings clawauth uses.
//!
//! A small parser of our own:
//! - keywords are case-insensitive; `Keyword value`, `Keyword=value`, `"quoted values"`,
//!   comments (`#` at the start of a line or of an unquoted argument) and blank lines;
//! - `Host` lines with several patterns, `*`, `?` and `!negation`, matched against the alias the
//!   user typed (lower-cased), never against `HostName`;
//! - `Match all`, `Match host <list>` and `Match originalhost <list>` (optionally negated with
//!   `!`); a `Match` line with any other criterion (`exec`, `user`, `final`, ...) is never
//!   applied (logged at debug level);
//! - `Include` with `~`, relative paths (against `~/.ssh` for user files, against the system
//!   file's directory for `…/etc/ssh/ssh_config`), `*`/`?` in the file name, sorted like glob(3),
//!   nested at most 16 deep; an `Include` inside a block that does not apply reads the file but
//!   applies nothing from it, and `Host`/`Match` lines inside an included file do not leak out of it;
//! - the first value obtained for a keyword wins, except `IdentityFile`, which accumulates;
//!   `ProxyJump` and `ProxyCommand` exclude each other (first one wins, as in OpenSSH);
//! - unknown keywords (and `CertificateFile`) are ignored; values of known keywords are checked
//!   even inside blocks that do not apply, and a bad one is an error naming `file line N`;
//! - user files (and every included file) must not be writable by group/others and must be
//!   owned by us or root, as OpenSSH requires; files are read up to 1 MiB.
//!
//! Percent escapes in `IdentityFile`, `UserKnownHostsFile` and `IdentityAgent`: `%%`, `%d`
//! (home), `%u` (local user), `%h` (HostName), `%r` (remote user, else the local user), `%p`
//! (port), `%n` (the alias as typed), `%k` (HostKeyAlias, else HostName). `~` and `~/…` expand
//! to home; `~otheruser` and `${ENV}` are not supported. `HostName` expands `%h` and `%%`.

use std::os::unix::fs::MetadataExt;

use camino::{Utf8Path, Utf8PathBuf};

/// Largest config file read.
const MAX_FILE_SIZE: u64 = 1 << 20;
/// OpenSSH's READCONF_MAX_DEPTH.
const MAX_INCLUDE_DEPTH: usize = 16;
/// OpenSSH's SSH_MAX_IDENTITY_FILES.
const MAX_IDENTITY_FILES: usize = 100;
/// OpenSSH's SSH_MAX_HOSTS_FILES.
const MAX_KNOWN_HOSTS_FILES: usize = 16;
/// Most config files one resolution reads, counting every Include of the same file again.
/// OpenSSH has no such bound, but it reads a file again for each Include of it too: files
/// that each include the next one ten times, nested 16 deep, would be read 10^15 times.
const MAX_FILES_READ: usize = 1024;
/// Most bytes one resolution reads, over all its files.
const MAX_BYTES_READ: u64 = 4 * MAX_FILE_SIZE;

/// The resolved settings for one destination, OpenSSH semantics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// What the user typed (the host part of the target).
    pub alias: String,
    /// `HostName` (with `%h` replaced), or the alias itself; lower-cased like OpenSSH.
    pub host_name: String,
    /// The target's port, else `Port`, else 22.
    pub port: u16,
    /// The target's user, else `User`; `None` means "the local user".
    pub user: Option<String>,
    /// Every `IdentityFile` of every matching block, in order, `~` and `%` escapes expanded.
    pub identity_files: Vec<Utf8PathBuf>,
    pub identities_only: bool,
    /// Raw `ProxyJump` value (`none` => `None`); see [`jump_host`].
    pub proxy_jump: Option<String>,
    /// Raw `ProxyCommand` value (`none` => `None`). clawauth does not run proxy commands; a
    /// caller should refuse a destination that has one rather than connect directly.
    pub proxy_command: Option<String>,
    /// `UserKnownHostsFile` (may list several; `none` => empty); default
    /// `~/.ssh/known_hosts ~/.ssh/known_hosts2` as in OpenSSH. New keys are learnt into the first.
    pub user_known_hosts_files: Vec<Utf8PathBuf>,
    /// `StrictHostKeyChecking`, lower-cased (`yes`, `no`, `ask`, `accept-new`, `off`, ...).
    pub strict_host_key_checking: Option<String>,
    /// `ConnectTimeout` in seconds (`none` => `None`).
    pub connect_timeout: Option<u64>,
    /// `ServerAliveInterval` in seconds.
    pub server_alive_interval: Option<u64>,
    /// `IdentityAgent`: `SSH_AUTH_SOCK`, `none`, `$VAR` kept as written; a path has `~` and `%`
    /// escapes expanded.
    pub identity_agent: Option<String>,
    /// `HostKeyAlias`, lower-cased like OpenSSH.
    pub host_key_alias: Option<String>,
    /// A `Host` line other than the catch-all `Host *` applies: the alias is one ssh_config
    /// knows.
    pub host_block: bool,
}

/// Why the SSH configuration could not be resolved. Texts name the file and line and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read SSH config {path}: {source}")]
    Io {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "SSH config {path} is {size} bytes, more than the {limit} bytes clawauth reads; shorten it or split it with Include"
    )]
    TooLarge {
        path: Utf8PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{path} line {line}: {detail}")]
    Malformed {
        path: Utf8PathBuf,
        line: usize,
        detail: String,
    },
    #[error("bad owner or permissions on SSH config {path}: {detail}")]
    BadPermissions { path: Utf8PathBuf, detail: String },
    #[error("invalid SSH destination: {detail}")]
    Target { detail: String },
    #[error(
        "ProxyJump {value:?} lists {hops} jump hosts; clawauth supports exactly one: set ProxyJump to a single [user@]host[:port]"
    )]
    MultiHop { value: String, hops: usize },
    #[error(
        "SSH config {path}: the config files and their Includes add up to more than {files} files or {bytes} bytes read; remove Includes that read the same files again and again"
    )]
    TooMuchIncluded {
        path: Utf8PathBuf,
        files: usize,
        bytes: u64,
    },
}

impl ConfigError {
    fn malformed(path: &Utf8Path, line: usize, detail: impl Into<String>) -> Self {
        Self::Malformed {
            path: path.to_owned(),
            line,
            detail: detail.into(),
        }
    }
}

/// Default files: `~/.ssh/config` then `/etc/ssh/ssh_config` (missing ones are skipped by
/// [`resolve`]).
pub fn default_files(home: &Utf8Path) -> Vec<Utf8PathBuf> {
    default_files_with_prefix(home, None)
}

/// Like [`default_files`], with Termux's `$PREFIX/etc/ssh/ssh_config` before `/etc/ssh/ssh_config`
/// when `prefix` is given (OpenSSH on Termux reads the former).
pub fn default_files_with_prefix(home: &Utf8Path, prefix: Option<&Utf8Path>) -> Vec<Utf8PathBuf> {
    let mut files = vec![home.join(".ssh/config")];
    if let Some(prefix) = prefix {
        files.push(prefix.join("etc/ssh/ssh_config"));
    }
    files.push(Utf8PathBuf::from("/etc/ssh/ssh_config"));
    files
}

/// Resolves `target` (see [`split_target`]) through `config_files`, in order; missing files are
/// skipped. `local_user` is this machine's user name (for `%u`, and `%r` without a `User`).
pub fn resolve(
    target: &str,
    home: &Utf8Path,
    local_user: Option<&str>,
    config_files: &[Utf8PathBuf],
) -> Result<HostConfig, ConfigError> {
    resolve_from(&Disk, target, home, local_user, config_files)
}

/// [`resolve`] over config files held in memory (`documents`, by path) instead of on disk:
/// the same reading, Includes and globs included, for tests and fuzzing. Paths missing from
/// `documents` do not exist; ownership and permissions are not checked.
pub fn resolve_documents(
    target: &str,
    home: &Utf8Path,
    local_user: Option<&str>,
    config_files: &[Utf8PathBuf],
    documents: &std::collections::BTreeMap<Utf8PathBuf, Vec<u8>>,
) -> Result<HostConfig, ConfigError> {
    resolve_from(
        &Documents(documents),
        target,
        home,
        local_user,
        config_files,
    )
}

fn resolve_from(
    files: &dyn Files,
    target: &str,
    home: &Utf8Path,
    local_user: Option<&str>,
    config_files: &[Utf8PathBuf],
) -> Result<HostConfig, ConfigError> {
    let (target_user, alias, target_port) = split_target(target)?;
    let mut reader = Reader {
        files,
        home,
        alias_lc: alias.to_ascii_lowercase(),
        settings: Settings::default(),
        host_block: false,
        files_read: 0,
        bytes_read: 0,
    };
    for file in config_files {
        let kind = FileKind::of(file);
        let mut active = true;
        reader.read_file(file, kind, &mut active, false, 0)?;
    }
    reader.finish(alias, target_user, target_port, local_user)
}

/// Parses `user@host:port`, `host:port`, `[v6]:port`, `[v6]`, a bare IPv6 address, `user@host`,
/// `host` and `ssh://[user@]host[:port]`. An alias is just a host. Returns (user, host, port).
pub fn split_target(target: &str) -> Result<(Option<String>, String, Option<u16>), ConfigError> {
    let bad = |detail: String| ConfigError::Target { detail };
    if target.is_empty() {
        return Err(bad(
            "the destination is empty; give [user@]host[:port]".into()
        ));
    }
    if target.len() > 1024 {
        return Err(bad("the destination is longer than 1024 characters".into()));
    }
    if target.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(
            "the destination contains spaces or control characters; give [user@]host[:port]".into(),
        ));
    }
    let rest = match target.strip_prefix("ssh://") {
        Some(r) => r.strip_suffix('/').unwrap_or(r),
        None => target,
    };
    let (user, hostport) = match rest.rsplit_once('@') {
        Some((u, h)) => {
            if u.is_empty() {
                return Err(bad(format!(
                    "{target:?} has an empty user name before '@'; write user@host or just host"
                )));
            }
            if u.starts_with('-') {
                return Err(bad(format!(
                    "{target:?}: a user name must not start with '-'"
                )));
            }
            (Some(u.to_owned()), h)
        }
        None => (None, rest),
    };
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let Some((host, after)) = inner.split_once(']') else {
            return Err(bad(format!(
                "{target:?} has '[' without ']'; write [address]:port"
            )));
        };
        let port = match after {
            "" => None,
            p => match p.strip_prefix(':') {
                Some(p) => Some(parse_port(p).map_err(|d| bad(format!("{target:?}: {d}")))?),
                None => {
                    return Err(bad(format!(
                        "{target:?} has text after ']'; write [address]:port"
                    )));
                }
            },
        };
        (host, port)
    } else if hostport.matches(':').count() == 1 {
        let (h, p) = hostport.split_once(':').unwrap_or((hostport, ""));
        (
            h,
            Some(parse_port(p).map_err(|d| bad(format!("{target:?}: {d}")))?),
        )
    } else {
        // No colon, or a bare IPv6 address (several colons, no port).
        (hostport, None)
    };
    validate_host(host).map_err(|d| bad(format!("{target:?}: {d}")))?;
    Ok((user, host.to_owned(), port))
}

/// ProxyJump value -> the first (only) hop as a target string for [`split_target`];
/// `none` => `None`. Several comma-separated hops are an error naming the value.
pub fn jump_host(value: &str) -> Result<Option<String>, ConfigError> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    if value.is_empty() {
        return Err(ConfigError::Target {
            detail: "ProxyJump is empty; give [user@]host[:port] or none".into(),
        });
    }
    let hops = value.split(',').count();
    if hops > 1 {
        return Err(ConfigError::MultiHop {
            value: value.to_owned(),
            hops,
        });
    }
    split_target(value).map_err(|e| ConfigError::Target {
        detail: format!("ProxyJump {value:?}: {e}"),
    })?;
    Ok(Some(value.to_owned()))
}

fn parse_port(p: &str) -> Result<u16, String> {
    match p.parse::<u16>() {
        Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err("the port must be a number from 1 to 65535".into()),
    }
}

/// A host name or address as OpenSSH would accept it, minus the odd characters that only make
/// sense in attacks (shell metacharacters, quotes, slashes, a leading '-').
fn validate_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the host name is empty".into());
    }
    if host.len() > 255 {
        return Err("the host name is longer than 255 characters".into());
    }
    if host.starts_with('-') {
        return Err("a host name must not start with '-'".into());
    }
    if let Some(c) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '%')))
    {
        return Err(format!(
            "the host name contains {c:?}; only letters, digits, '.', '-', '_', ':' and '%' are allowed"
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    User,
    /// A system file; relative includes resolve against this directory.
    System,
}

impl FileKind {
    fn of(path: &Utf8Path) -> Self {
        if path.ends_with("etc/ssh/ssh_config") {
            FileKind::System
        } else {
            FileKind::User
        }
    }
}

/// A raw value with where it came from (for errors reported after parsing).
#[derive(Debug, Clone)]
struct At {
    value: String,
    path: Utf8PathBuf,
    line: usize,
}

#[derive(Debug, Clone)]
enum Proxy {
    Jump(Option<String>),
    Command(Option<String>),
}

#[derive(Debug, Default)]
struct Settings {
    host_name: Option<At>,
    port: Option<u16>,
    user: Option<String>,
    identity_files: Vec<At>,
    identities_only: Option<bool>,
    proxy: Option<Proxy>,
    user_known_hosts_files: Option<Vec<At>>,
    strict_host_key_checking: Option<String>,
    connect_timeout: Option<Option<u64>>,
    server_alive_interval: Option<u64>,
    identity_agent: Option<At>,
    host_key_alias: Option<String>,
}

struct Reader<'a> {
    files: &'a dyn Files,
    home: &'a Utf8Path,
    alias_lc: String,
    settings: Settings,
    /// See [`HostConfig::host_block`].
    host_block: bool,
    /// Files and bytes read so far (bounded by [`MAX_FILES_READ`] and [`MAX_BYTES_READ`]).
    files_read: usize,
    bytes_read: u64,
}

/// One parsed value of a keyword we use (applied only when its block is active).
enum Value {
    HostName(String),
    Port(u16),
    User(String),
    IdentityFile(String),
    IdentitiesOnly(bool),
    ProxyJump(Option<String>),
    ProxyCommand(Option<String>),
    UserKnownHostsFile(Vec<String>),
    StrictHostKeyChecking(String),
    ConnectTimeout(Option<u64>),
    ServerAliveInterval(u64),
    IdentityAgent(String),
    HostKeyAlias(String),
}

impl Reader<'_> {
    fn read_file(
        &mut self,
        path: &Utf8Path,
        kind: FileKind,
        active: &mut bool,
        never_match: bool,
        depth: usize,
    ) -> Result<(), ConfigError> {
        let Some(content) = self.files.read(path)? else {
            tracing::debug!(%path, "SSH config file not found, skipped");
            return Ok(());
        };
        if content.len() as u64 > MAX_FILE_SIZE {
            return Err(ConfigError::TooLarge {
                path: path.to_owned(),
                size: content.len() as u64,
                limit: MAX_FILE_SIZE,
            });
        }
        self.files_read += 1;
        self.bytes_read += content.len() as u64;
        if self.files_read > MAX_FILES_READ || self.bytes_read > MAX_BYTES_READ {
            return Err(ConfigError::TooMuchIncluded {
                path: path.to_owned(),
                files: MAX_FILES_READ,
                bytes: MAX_BYTES_READ,
            });
        }
        if kind == FileKind::User || depth > 0 {
            self.files.check_permissions(path)?;
        }
        for (idx, raw) in content.split(|&b| b == b'\n').enumerate() {
            let line = idx + 1;
            let text = std::str::from_utf8(raw).map_err(|_| {
                ConfigError::malformed(path, line, "the line is not valid UTF-8; fix its encoding")
            })?;
            let text = text.strip_suffix('\r').unwrap_or(text);
            if let Some(c) = text
                .chars()
                .find(|&c| c.is_control() && c != '\t' && c != '\u{c}')
            {
                return Err(ConfigError::malformed(
                    path,
                    line,
                    format!(
                        "the line contains the control character U+{:04X}; remove it",
                        u32::from(c)
                    ),
                ));
            }
            let Some((keyword, args)) =
                tokenize(text).map_err(|d| ConfigError::malformed(path, line, d))?
            else {
                continue;
            };
            let kw = keyword.to_ascii_lowercase();
            match kw.as_str() {
                "host" => {
                    if args.is_empty() {
                        return Err(ConfigError::malformed(
                            path,
                            line,
                            "Host needs at least one pattern, e.g. `Host myserver`",
                        ));
                    }
                    *active = !never_match && host_matches(&self.alias_lc, &args);
                    if *active && args.iter().any(|a| !a.starts_with('!') && a != "*") {
                        self.host_block = true;
                    }
                }
                "match" => {
                    let m = self
                        .eval_match(&args)
                        .map_err(|d| ConfigError::malformed(path, line, d))?;
                    *active = !never_match && m;
                }
                "include" => {
                    if args.is_empty() {
                        return Err(ConfigError::malformed(
                            path,
                            line,
                            "Include needs a file name",
                        ));
                    }
                    if depth + 1 > MAX_INCLUDE_DEPTH {
                        return Err(ConfigError::malformed(
                            path,
                            line,
                            format!(
                                "Include is nested more than {MAX_INCLUDE_DEPTH} levels deep (an include loop?); remove the loop"
                            ),
                        ));
                    }
                    let outer_active = *active;
                    for arg in &args {
                        let pattern = self.include_path(arg, path, kind, line)?;
                        for file in glob_files(self.files, &pattern, path, line)? {
                            self.read_file(
                                &file,
                                kind,
                                active,
                                never_match || !outer_active,
                                depth + 1,
                            )?;
                            // Host/Match lines in the included file do not change our block.
                            *active = outer_active;
                        }
                    }
                }
                _ => {
                    let value = parse_value(&kw, &keyword, &args)
                        .map_err(|d| ConfigError::malformed(path, line, d))?;
                    if let Some(value) = value
                        && *active
                    {
                        self.apply(value, path, line)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn apply(&mut self, value: Value, path: &Utf8Path, line: usize) -> Result<(), ConfigError> {
        let s = &mut self.settings;
        let at = |value: String| At {
            value,
            path: path.to_owned(),
            line,
        };
        match value {
            Value::HostName(v) => {
                s.host_name.get_or_insert_with(|| at(v));
            }
            Value::Port(v) => {
                s.port.get_or_insert(v);
            }
            Value::User(v) => {
                s.user.get_or_insert(v);
            }
            Value::IdentityFile(v) => {
                if s.identity_files.len() >= MAX_IDENTITY_FILES {
                    return Err(ConfigError::malformed(
                        path,
                        line,
                        format!(
                            "more than {MAX_IDENTITY_FILES} IdentityFile entries apply; remove some"
                        ),
                    ));
                }
                s.identity_files.push(at(v));
            }
            Value::IdentitiesOnly(v) => {
                s.identities_only.get_or_insert(v);
            }
            Value::ProxyJump(v) => {
                s.proxy.get_or_insert(Proxy::Jump(v));
            }
            Value::ProxyCommand(v) => {
                s.proxy.get_or_insert(Proxy::Command(v));
            }
            Value::UserKnownHostsFile(v) => {
                s.user_known_hosts_files
                    .get_or_insert_with(|| v.into_iter().map(at).collect());
            }
            Value::StrictHostKeyChecking(v) => {
                s.strict_host_key_checking.get_or_insert(v);
            }
            Value::ConnectTimeout(v) => {
                s.connect_timeout.get_or_insert(v);
            }
            Value::ServerAliveInterval(v) => {
                s.server_alive_interval.get_or_insert(v);
            }
            Value::IdentityAgent(v) => {
                s.identity_agent.get_or_insert_with(|| at(v));
            }
            Value::HostKeyAlias(v) => {
                s.host_key_alias.get_or_insert(v);
            }
        }
        Ok(())
    }

    /// `Match` criteria: Ok(true) when the block applies.
    fn eval_match(&self, args: &[String]) -> Result<bool, String> {
        if args.is_empty() {
            return Err("Match needs criteria, e.g. `Match host myserver` or `Match all`".into());
        }
        let mut result = true;
        let mut unsupported: Option<String> = None;
        let mut i = 0;
        while i < args.len() {
            let raw = &args[i];
            let (negate, crit) = match raw.strip_prefix('!') {
                Some(c) => (true, c),
                None => (false, raw.as_str()),
            };
            let crit = crit.to_ascii_lowercase();
            i += 1;
            match crit.as_str() {
                "all" => {
                    let alone = args.iter().all(|a| {
                        let a = a.trim_start_matches('!').to_ascii_lowercase();
                        matches!(a.as_str(), "all" | "canonical" | "final")
                    });
                    if !alone {
                        return Err(
                            "`Match all` must stand alone; remove the other criteria".into()
                        );
                    }
                    result = !negate;
                }
                "canonical" | "final" => {
                    unsupported.get_or_insert(crit);
                }
                "host" | "originalhost" => {
                    let Some(list) = args.get(i) else {
                        return Err(format!("Match {crit} needs a pattern list"));
                    };
                    i += 1;
                    let name = if crit == "host" {
                        self.current_host_lc()
                    } else {
                        self.alias_lc.clone()
                    };
                    let patterns: Vec<String> = list.split(',').map(str::to_owned).collect();
                    let m = pattern_list_matches(&name, &patterns);
                    if m == negate {
                        result = false;
                    }
                }
                "user" | "localuser" | "exec" | "localnetwork" | "tagged" | "command"
                | "version" | "sessiontype" | "address" | "localaddress" | "localport"
                | "rdomain" => {
                    if args.get(i).is_none() {
                        return Err(format!("Match {crit} needs an argument"));
                    }
                    i += 1;
                    unsupported.get_or_insert(crit);
                }
                other => {
                    return Err(format!(
                        "unsupported Match criterion {other:?}; use all, host, originalhost, user, exec, ..."
                    ));
                }
            }
        }
        if let Some(crit) = unsupported {
            tracing::debug!(
                criterion = %crit,
                "SSH config: Match block with a criterion clawauth does not evaluate; not applied"
            );
            return Ok(false);
        }
        Ok(result)
    }

    /// The host `Match host` compares against: HostName so far (with %h), else the alias.
    fn current_host_lc(&self) -> String {
        match &self.settings.host_name {
            Some(h) => expand_host_name(&h.value, &self.alias_lc)
                .unwrap_or_else(|_| h.value.clone())
                .to_ascii_lowercase(),
            None => self.alias_lc.clone(),
        }
    }

    fn include_path(
        &self,
        arg: &str,
        from: &Utf8Path,
        kind: FileKind,
        line: usize,
    ) -> Result<Utf8PathBuf, ConfigError> {
        if arg.starts_with('~') && kind == FileKind::User {
            return expand_tilde(arg, self.home).map_err(|d| ConfigError::malformed(from, line, d));
        }
        let p = Utf8Path::new(arg);
        if p.is_absolute() {
            return Ok(p.to_owned());
        }
        Ok(match kind {
            FileKind::User => self.home.join(".ssh").join(p),
            FileKind::System => {
                // The directory holding …/etc/ssh/ssh_config; included files keep that base.
                let mut base = from.to_owned();
                while !base.ends_with("etc/ssh") && base.pop() {}
                if base.as_str().is_empty() || base == "/" {
                    Utf8PathBuf::from("/etc/ssh").join(p)
                } else {
                    base.join(p)
                }
            }
        })
    }

    fn finish(
        self,
        alias: String,
        target_user: Option<String>,
        target_port: Option<u16>,
        local_user: Option<&str>,
    ) -> Result<HostConfig, ConfigError> {
        let s = self.settings;
        let alias_lc = self.alias_lc;
        let host_name = match &s.host_name {
            Some(at) => {
                let h = expand_host_name(&at.value, &alias_lc)
                    .map_err(|d| ConfigError::malformed(&at.path, at.line, d))?
                    .to_ascii_lowercase();
                validate_host(&h).map_err(|d| {
                    ConfigError::malformed(&at.path, at.line, format!("HostName: {d}"))
                })?;
                h
            }
            None => alias_lc.clone(),
        };
        let port = target_port.or(s.port).unwrap_or(22);
        let user = target_user.or(s.user);
        let host_key_alias = s.host_key_alias.map(|a| a.to_ascii_lowercase());
        let ctx = Escapes {
            home: self.home.as_str(),
            local_user,
            remote_user: user.as_deref().or(local_user),
            host_name: &host_name,
            port,
            alias: &alias,
            host_key_alias: host_key_alias.as_deref().unwrap_or(&host_name),
        };
        let path_of = |at: &At| -> Result<Utf8PathBuf, ConfigError> {
            let t = expand_tilde(&at.value, self.home)
                .map_err(|d| ConfigError::malformed(&at.path, at.line, d))?;
            let e = ctx
                .expand(t.as_str())
                .map_err(|d| ConfigError::malformed(&at.path, at.line, d))?;
            Ok(Utf8PathBuf::from(e))
        };
        let identity_files = s
            .identity_files
            .iter()
            .map(path_of)
            .collect::<Result<Vec<_>, _>>()?;
        let user_known_hosts_files = match &s.user_known_hosts_files {
            Some(list) => list.iter().map(path_of).collect::<Result<Vec<_>, _>>()?,
            None => vec![
                self.home.join(".ssh/known_hosts"),
                self.home.join(".ssh/known_hosts2"),
            ],
        };
        let identity_agent = match &s.identity_agent {
            Some(at)
                if at.value == "SSH_AUTH_SOCK"
                    || at.value.eq_ignore_ascii_case("none")
                    || at.value.starts_with('$') =>
            {
                Some(at.value.clone())
            }
            Some(at) => Some(path_of(at)?.into_string()),
            None => None,
        };
        let (proxy_jump, proxy_command) = match s.proxy {
            Some(Proxy::Jump(j)) => (j, None),
            Some(Proxy::Command(c)) => (None, c),
            None => (None, None),
        };
        Ok(HostConfig {
            alias,
            host_name,
            port,
            user,
            identity_files,
            identities_only: s.identities_only.unwrap_or(false),
            proxy_jump,
            proxy_command,
            user_known_hosts_files,
            strict_host_key_checking: s.strict_host_key_checking,
            connect_timeout: s.connect_timeout.flatten(),
            server_alive_interval: s.server_alive_interval,
            identity_agent,
            host_key_alias,
            host_block: self.host_block,
        })
    }
}

/// Parses the value of a keyword we use; `Ok(None)` for keywords we ignore.
fn parse_value(kw: &str, keyword: &str, args: &[String]) -> Result<Option<Value>, String> {
    let one = || -> Result<String, String> {
        match args {
            [] => Err(format!("{keyword} needs a value")),
            [v] => Ok(v.clone()),
            _ => Err(format!(
                "{keyword} takes one value but this line has {}; quote a value that contains spaces",
                args.len()
            )),
        }
    };
    let yes_no = || -> Result<bool, String> {
        match one()?.to_ascii_lowercase().as_str() {
            "yes" | "true" => Ok(true),
            "no" | "false" => Ok(false),
            _ => Err(format!("{keyword} must be yes or no")),
        }
    };
    Ok(Some(match kw {
        "hostname" => {
            let v = one()?;
            if v.is_empty() {
                return Err("HostName is empty; give a host name or address".into());
            }
            Value::HostName(v)
        }
        "port" => Value::Port(parse_port(&one()?).map_err(|d| format!("Port: {d}"))?),
        "user" => {
            let v = one()?;
            if v.is_empty() || v.starts_with('-') {
                return Err("User must be a non-empty name not starting with '-'".into());
            }
            Value::User(v)
        }
        "identityfile" => {
            let v = one()?;
            if v.is_empty() {
                return Err("IdentityFile is empty; give a key file path".into());
            }
            Value::IdentityFile(v)
        }
        "identitiesonly" => Value::IdentitiesOnly(yes_no()?),
        "proxyjump" => {
            let v = one()?;
            if v.eq_ignore_ascii_case("none") {
                Value::ProxyJump(None)
            } else if v.is_empty() {
                return Err("ProxyJump is empty; give [user@]host[:port] or none".into());
            } else {
                Value::ProxyJump(Some(v))
            }
        }
        "proxycommand" => {
            if args.is_empty() {
                return Err("ProxyCommand needs a command or none".into());
            }
            let v = args.join(" ");
            Value::ProxyCommand((!v.eq_ignore_ascii_case("none")).then_some(v))
        }
        "userknownhostsfile" => {
            if args.is_empty() {
                return Err("UserKnownHostsFile needs at least one file or none".into());
            }
            if args.len() > MAX_KNOWN_HOSTS_FILES {
                return Err(format!(
                    "UserKnownHostsFile lists more than {MAX_KNOWN_HOSTS_FILES} files; remove some"
                ));
            }
            if args.len() == 1 && args[0].eq_ignore_ascii_case("none") {
                Value::UserKnownHostsFile(Vec::new())
            } else {
                Value::UserKnownHostsFile(args.to_vec())
            }
        }
        "stricthostkeychecking" => {
            let v = one()?.to_ascii_lowercase();
            if !matches!(
                v.as_str(),
                "yes" | "no" | "ask" | "accept-new" | "off" | "true" | "false"
            ) {
                return Err("StrictHostKeyChecking must be yes, no, ask, accept-new or off".into());
            }
            Value::StrictHostKeyChecking(v)
        }
        "connecttimeout" => {
            let v = one()?;
            if v.eq_ignore_ascii_case("none") {
                Value::ConnectTimeout(None)
            } else {
                Value::ConnectTimeout(Some(
                    parse_time(&v).map_err(|d| format!("ConnectTimeout: {d}"))?,
                ))
            }
        }
        "serveraliveinterval" => Value::ServerAliveInterval(
            parse_time(&one()?).map_err(|d| format!("ServerAliveInterval: {d}"))?,
        ),
        "identityagent" => {
            let v = one()?;
            if v.is_empty() {
                return Err(
                    "IdentityAgent is empty; give a socket path, SSH_AUTH_SOCK or none".into(),
                );
            }
            Value::IdentityAgent(v)
        }
        "hostkeyalias" => {
            let v = one()?;
            validate_host(&v).map_err(|d| format!("HostKeyAlias: {d}"))?;
            Value::HostKeyAlias(v)
        }
        _ => {
            tracing::trace!(keyword, "SSH config keyword ignored");
            return Ok(None);
        }
    }))
}

/// OpenSSH time format: `30`, `30s`, `5m`, `1h30m`, units s m h d w (case-insensitive).
fn parse_time(v: &str) -> Result<u64, String> {
    let bad = || format!("{v:?} is not a time; write seconds like 30, or 30s, 5m, 1h30m");
    if v.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut num: Option<u64> = None;
    for c in v.chars() {
        if let Some(d) = c.to_digit(10) {
            num = Some(
                num.unwrap_or(0)
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(d)))
                    .ok_or_else(bad)?,
            );
            continue;
        }
        let mult = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n = num.take().ok_or_else(bad)?;
        total = n
            .checked_mul(mult)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(bad)?;
    }
    if let Some(n) = num {
        total = total.checked_add(n).ok_or_else(bad)?;
    }
    if total > i32::MAX as u64 {
        return Err(bad());
    }
    Ok(total)
}

/// Splits a config line into keyword and arguments; `None` for blank and comment lines.
fn tokenize(line: &str) -> Result<Option<(String, Vec<String>)>, String> {
    let is_ws = |c: char| c == ' ' || c == '\t' || c == '\u{c}' || c == '\r';
    let line = line.trim_start_matches(is_ws);
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let end = line
        .find(|c: char| is_ws(c) || c == '=')
        .unwrap_or(line.len());
    let keyword = &line[..end];
    if keyword.is_empty() {
        return Err("the line starts with '='; write `Keyword value`".into());
    }
    let mut rest = line[end..].trim_start_matches(is_ws);
    if let Some(r) = rest.strip_prefix('=') {
        rest = r;
    }
    let mut args = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|&c| is_ws(c)) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        if first == '#' {
            break;
        }
        let mut arg = String::new();
        let mut quote: Option<char> = None;
        while let Some(&c) = chars.peek() {
            if quote.is_none() && is_ws(c) {
                break;
            }
            chars.next();
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (Some('\''), c) => arg.push(c),
                (_, '\\') => match chars.peek() {
                    Some(&n) if matches!(n, '\\' | '"' | '\'' | ' ') => {
                        arg.push(n);
                        chars.next();
                    }
                    _ => arg.push('\\'),
                },
                (_, c) => arg.push(c),
            }
        }
        if quote.is_some() {
            return Err("unterminated quote; close the \" or '".into());
        }
        args.push(arg);
    }
    Ok(Some((keyword.to_owned(), args)))
}

/// OpenSSH `Host` line semantics: some positive pattern matches and no negated one does.
fn host_matches(name_lc: &str, patterns: &[String]) -> bool {
    pattern_list_matches(name_lc, patterns)
}

/// A list of patterns (each maybe `!negated`): true when a positive one matches and no
/// negated one does. Case-insensitive.
pub(crate) fn pattern_list_matches<S: AsRef<str>>(name: &str, patterns: &[S]) -> bool {
    let name = name.to_ascii_lowercase();
    let mut matched = false;
    for p in patterns {
        let p = p.as_ref();
        let (negated, pat) = match p.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, p),
        };
        if wildcard_match(&pat.to_ascii_lowercase(), &name) {
            if negated {
                return false;
            }
            matched = true;
        }
    }
    matched
}

/// `*` and `?` glob match over bytes, linear time (no exponential backtracking).
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// `~` and `~/…` -> home; `~user` is refused.
fn expand_tilde(value: &str, home: &Utf8Path) -> Result<Utf8PathBuf, String> {
    if value == "~" {
        return Ok(home.to_owned());
    }
    if let Some(rest) = value.strip_prefix("~/") {
        return Ok(home.join(rest));
    }
    if value.starts_with('~') {
        return Err("~user paths are not supported; write the absolute path or ~/path".into());
    }
    Ok(Utf8PathBuf::from(value))
}

/// `HostName` escapes: `%h` (the alias) and `%%`.
fn expand_host_name(value: &str, alias: &str) -> Result<String, String> {
    expand_percent(value, |c| match c {
        'h' => Some(alias.to_owned()),
        _ => None,
    })
    .map_err(|c| format!("HostName: unsupported escape %{c}; only %h and %% are allowed"))
}

struct Escapes<'a> {
    home: &'a str,
    local_user: Option<&'a str>,
    remote_user: Option<&'a str>,
    host_name: &'a str,
    port: u16,
    alias: &'a str,
    host_key_alias: &'a str,
}

impl Escapes<'_> {
    fn expand(&self, value: &str) -> Result<String, String> {
        let mut missing_user = false;
        let out = expand_percent(value, |c| {
            Some(match c {
                'd' => self.home.to_owned(),
                'h' => self.host_name.to_owned(),
                'p' => self.port.to_string(),
                'n' => self.alias.to_owned(),
                'k' => self.host_key_alias.to_owned(),
                'u' => match self.local_user {
                    Some(u) => u.to_owned(),
                    None => {
                        missing_user = true;
                        String::new()
                    }
                },
                'r' => match self.remote_user {
                    Some(u) => u.to_owned(),
                    None => {
                        missing_user = true;
                        String::new()
                    }
                },
                _ => return None,
            })
        })
        .map_err(|c| {
            format!("unsupported escape %{c}; clawauth expands %% %d %h %k %n %p %r %u")
        })?;
        if missing_user {
            return Err(
                "%u/%r need the local user name, which is unknown (set $USER) or set User for this host"
                    .into(),
            );
        }
        Ok(out)
    }
}

/// Replaces `%x` via `f`; `%%` is `%`. Err(the escape char) for unknown or trailing `%`.
fn expand_percent(value: &str, mut f: impl FnMut(char) -> Option<String>) -> Result<String, char> {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(e) => out.push_str(&f(e).ok_or(e)?),
            None => return Err(' '),
        }
    }
    Ok(out)
}

/// Reads `path` (at most [`MAX_FILE_SIZE`]); `Ok(None)` when it does not exist.
fn read_limited(path: &Utf8Path) -> Result<Option<Vec<u8>>, ConfigError> {
    use std::io::Read;
    let io = |source| ConfigError::Io {
        path: path.to_owned(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::other("it is a directory, not a file")));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(ConfigError::TooLarge {
            path: path.to_owned(),
            size: meta.len(),
            limit: MAX_FILE_SIZE,
        });
    }
    let mut buf = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() as u64 > MAX_FILE_SIZE {
        return Err(ConfigError::TooLarge {
            path: path.to_owned(),
            size: buf.len() as u64,
            limit: MAX_FILE_SIZE,
        });
    }
    Ok(Some(buf))
}

/// OpenSSH's rule for user config files: owned by us or root, not writable by group/others.
fn check_permissions(path: &Utf8Path) -> Result<(), ConfigError> {
    let meta = std::fs::metadata(path).map_err(|source| ConfigError::Io {
        path: path.to_owned(),
        source,
    })?;
    let uid = rustix::process::getuid().as_raw();
    if meta.uid() != uid && meta.uid() != 0 {
        return Err(ConfigError::BadPermissions {
            path: path.to_owned(),
            detail: format!(
                "it is owned by uid {} instead of you (uid {uid}) or root; fix with: chown {uid} {path}",
                meta.uid()
            ),
        });
    }
    if meta.mode() & 0o022 != 0 {
        return Err(ConfigError::BadPermissions {
            path: path.to_owned(),
            detail: format!("it is writable by group or others; fix with: chmod go-w {path}"),
        });
    }
    Ok(())
}

/// Expands `*`/`?` in the file name of `pattern` (sorted, dot files excluded, like glob(3));
/// a pattern without wildcards yields itself when it exists. Directories are skipped.
fn glob_files(
    files: &dyn Files,
    pattern: &Utf8Path,
    from: &Utf8Path,
    line: usize,
) -> Result<Vec<Utf8PathBuf>, ConfigError> {
    let (dir, name) = match (pattern.parent(), pattern.file_name()) {
        (Some(d), Some(n)) => (d, n),
        _ => {
            return Err(ConfigError::malformed(
                from,
                line,
                format!("Include {pattern}: not a file path"),
            ));
        }
    };
    if dir.as_str().contains(['*', '?', '[']) {
        return Err(ConfigError::malformed(
            from,
            line,
            "Include: wildcards are supported only in the file name, not in directories",
        ));
    }
    if !name.contains(['*', '?']) {
        return Ok(match files.kind(pattern) {
            Some(Entry::Dir) => {
                tracing::debug!(%pattern, "SSH config Include names a directory; skipped");
                Vec::new()
            }
            Some(Entry::File) => vec![pattern.to_owned()],
            None => {
                tracing::debug!(%pattern, "SSH config Include matched no file");
                Vec::new()
            }
        });
    }
    let Some(entries) = files.list(dir)? else {
        tracing::debug!(%pattern, "SSH config Include directory missing");
        return Ok(Vec::new());
    };
    let mut found: Vec<Utf8PathBuf> = entries
        .into_iter()
        .filter(|(file_name, kind)| {
            // Dot files only for a pattern that starts with a dot, as glob(3).
            (name.starts_with('.') || !file_name.starts_with('.'))
                && *kind == Entry::File
                && wildcard_match(name, file_name)
        })
        .map(|(file_name, _)| dir.join(file_name))
        .collect();
    found.sort();
    if found.len() > 256 {
        return Err(ConfigError::malformed(
            from,
            line,
            format!("Include {pattern} matches more than 256 files; narrow the pattern"),
        ));
    }
    Ok(found)
}

/// What a path names, for Include.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    File,
    Dir,
}

/// Where config files come from: the disk, or documents held in memory.
trait Files {
    /// The file's bytes (at most a little over [`MAX_FILE_SIZE`]); `None` when it does not exist.
    fn read(&self, path: &Utf8Path) -> Result<Option<Vec<u8>>, ConfigError>;
    /// OpenSSH's rule for user config files (see [`check_permissions`]).
    fn check_permissions(&self, path: &Utf8Path) -> Result<(), ConfigError>;
    /// What `path` is, `None` when nothing is there.
    fn kind(&self, path: &Utf8Path) -> Option<Entry>;
    /// The names in directory `dir` and what each is; `None` when `dir` does not exist.
    fn list(&self, dir: &Utf8Path) -> Result<Option<Vec<(String, Entry)>>, ConfigError>;
}

struct Disk;

impl Files for Disk {
    fn read(&self, path: &Utf8Path) -> Result<Option<Vec<u8>>, ConfigError> {
        read_limited(path)
    }

    fn check_permissions(&self, path: &Utf8Path) -> Result<(), ConfigError> {
        check_permissions(path)
    }

    fn kind(&self, path: &Utf8Path) -> Option<Entry> {
        if path.is_dir() {
            Some(Entry::Dir)
        } else if path.exists() {
            Some(Entry::File)
        } else {
            None
        }
    }

    fn list(&self, dir: &Utf8Path) -> Result<Option<Vec<(String, Entry)>>, ConfigError> {
        let io = |source| ConfigError::Io {
            path: dir.to_owned(),
            source,
        };
        let entries = match dir.read_dir_utf8() {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io)?;
            let kind = if entry.path().is_dir() {
                Entry::Dir
            } else {
                Entry::File
            };
            out.push((entry.file_name().to_owned(), kind));
        }
        Ok(Some(out))
    }
}

/// Config files held in memory, by path (see [`resolve_documents`]).
struct Documents<'a>(&'a std::collections::BTreeMap<Utf8PathBuf, Vec<u8>>);

impl Files for Documents<'_> {
    fn read(&self, path: &Utf8Path) -> Result<Option<Vec<u8>>, ConfigError> {
        Ok(self.0.get(path).cloned())
    }

    fn check_permissions(&self, _path: &Utf8Path) -> Result<(), ConfigError> {
        Ok(())
    }

    fn kind(&self, path: &Utf8Path) -> Option<Entry> {
        if self.0.contains_key(path) {
            Some(Entry::File)
        } else if self.0.keys().any(|k| k.starts_with(path)) {
            Some(Entry::Dir)
        } else {
            None
        }
    }

    fn list(&self, dir: &Utf8Path) -> Result<Option<Vec<(String, Entry)>>, ConfigError> {
        let mut out: Vec<(String, Entry)> = Vec::new();
        for key in self.0.keys() {
            let Ok(rest) = key.strip_prefix(dir) else {
                continue;
            };
            let mut parts = rest.components();
            let (Some(first), more) = (parts.next(), parts.next().is_some()) else {
                continue;
            };
            let kind = if more { Entry::Dir } else { Entry::File };
            let name = first.as_str().to_owned();
            if !out.iter().any(|(n, _)| *n == name) {
                out.push((name, kind));
            }
        }
        Ok((!out.is_empty() || self.kind(dir).is_some()).then_some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    struct Fx {
        _t: tempfile::TempDir,
        home: Utf8PathBuf,
    }

    impl Fx {
        fn new() -> Self {
            let t = tempfile::tempdir().expect("tempdir");
            let home = Utf8Path::from_path(t.path()).expect("utf8").join("home");
            std::fs::create_dir_all(home.join(".ssh")).expect("mkdir");
            Self { _t: t, home }
        }
        fn write(&self, rel: &str, text: &str) -> Utf8PathBuf {
            let p = self.home.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, text).expect("write");
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
            p
        }
        fn resolve(&self, target: &str, files: &[Utf8PathBuf]) -> Result<HostConfig, ConfigError> {
            resolve(target, &self.home, Some("me"), files)
        }
        fn config(&self, text: &str) -> Vec<Utf8PathBuf> {
            vec![self.write(".ssh/config", text)]
        }
    }

    const REALISTIC: &str = r#"
# My config
Include config.d/*

Host gw gw-*
    HostName %h.example.net
    User claw
    IdentityFile ~/.ssh/id_gw_%r@%h
    IdentitiesOnly yes
    ProxyJump jump@bastion.example.net:2222

Host *.lan !printer.lan
    User lanuser
    Port 2200

Host pi
    HostName 192.168.1.20
    User pi
    Port=2022
    UserKnownHostsFile "~/.ssh/known hosts pi" ~/.ssh/known_hosts
    ConnectTimeout 1m30s
    StrictHostKeyChecking accept-new

Host *
    User fallback
    Port 2299
    IdentityFile ~/.ssh/id_ed25519
    ServerAliveInterval 15
    IdentityAgent ~/.ssh/agent-%u.sock
    CertificateFile ~/.ssh/cert.pub
    SomeFutureKeyword whatever
"#;

    fn realistic(fx: &Fx) -> Vec<Utf8PathBuf> {
        fx.write(
            ".ssh/config.d/10-work",
            "Host work\n  HostName work.example.com\n  User worker\nHost pi\n  IdentityFile %d/.ssh/pi_key\n",
        );
        fx.write(
            ".ssh/config.d/20-late",
            "Host work pi\n  User late\n  HostKeyAlias SHOULD-NOT-APPLY-TO-GW\n",
        );
        fx.write(".ssh/config.d/.hidden", "Host *\n  User hidden\n");
        fx.config(REALISTIC)
    }

    #[test]
    fn host_blocks_other_than_the_catch_all_make_an_alias() {
        let fx = Fx::new();
        let files = realistic(&fx);
        for (name, named) in [
            ("gw", true),
            ("gw-2", true),
            ("nas.lan", true),
            ("work", true),
            ("printer.lan", false),
            ("gww", false),
        ] {
            let c = fx.resolve(name, &files).expect(name);
            assert_eq!(c.host_block, named, "{name}");
        }
    }

    #[test]
    fn realistic_config_with_include_dir() {
        let fx = Fx::new();
        let files = realistic(&fx);

        let gw = fx.resolve("gw", &files).expect("gw");
        assert_eq!(gw.alias, "gw");
        assert_eq!(gw.host_name, "gw.example.net");
        assert_eq!(gw.user.as_deref(), Some("claw"));
        assert_eq!(gw.port, 2299, "Port comes from Host *");
        assert_eq!(
            gw.identity_files,
            vec![
                fx.home.join(".ssh/id_gw_claw@gw.example.net"),
                fx.home.join(".ssh/id_ed25519"),
            ]
        );
        assert!(gw.identities_only);
        assert_eq!(
            gw.proxy_jump.as_deref(),
            Some("jump@bastion.example.net:2222")
        );
        assert_eq!(
            jump_host(gw.proxy_jump.as_deref().expect("jump")).expect("hop"),
            Some("jump@bastion.example.net:2222".to_owned())
        );
        assert_eq!(gw.server_alive_interval, Some(15));
        assert_eq!(
            gw.identity_agent.as_deref(),
            Some(fx.home.join(".ssh/agent-me.sock").as_str())
        );
        assert_eq!(
            gw.user_known_hosts_files,
            vec![
                fx.home.join(".ssh/known_hosts"),
                fx.home.join(".ssh/known_hosts2")
            ]
        );
        assert_eq!(gw.host_key_alias, None);
        assert_eq!(gw.connect_timeout, None);

        // Included file: first wins over later blocks of the main file.
        let work = fx.resolve("work", &files).expect("work");
        assert_eq!(work.host_name, "work.example.com");
        assert_eq!(work.user.as_deref(), Some("worker"));
        assert_eq!(
            work.host_key_alias.as_deref(),
            Some("should-not-apply-to-gw")
        );

        let pi = fx.resolve("pi", &files).expect("pi");
        assert_eq!(pi.host_name, "192.168.1.20");
        assert_eq!(
            pi.user.as_deref(),
            Some("late"),
            "included 20-late comes first"
        );
        assert_eq!(pi.port, 2022);
        assert_eq!(
            pi.identity_files,
            vec![fx.home.join(".ssh/pi_key"), fx.home.join(".ssh/id_ed25519")]
        );
        assert_eq!(
            pi.user_known_hosts_files,
            vec![
                fx.home.join(".ssh/known hosts pi"),
                fx.home.join(".ssh/known_hosts")
            ]
        );
        assert_eq!(pi.connect_timeout, Some(90));
        assert_eq!(pi.strict_host_key_checking.as_deref(), Some("accept-new"));
        assert_eq!(pi.proxy_jump, None);
    }

    #[test]
    fn wildcard_and_negation() {
        let fx = Fx::new();
        let files = realistic(&fx);
        let nas = fx.resolve("nas.lan", &files).expect("nas");
        assert_eq!(nas.user.as_deref(), Some("lanuser"));
        assert_eq!(nas.port, 2200);
        let printer = fx.resolve("printer.lan", &files).expect("printer");
        assert_eq!(printer.user.as_deref(), Some("fallback"));
        assert_eq!(printer.port, 2299);
        let gw2 = fx.resolve("GW-2", &files).expect("gw-2");
        assert_eq!(gw2.alias, "GW-2");
        assert_eq!(gw2.host_name, "gw-2.example.net");
        assert!(wildcard_match("a?c*", "abcdef"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match(&"*a".repeat(50), &"a".repeat(40)));
    }

    #[test]
    fn target_overrides_user_and_port() {
        let fx = Fx::new();
        let files = realistic(&fx);
        let c = fx.resolve("root@pi:2", &files).expect("pi");
        assert_eq!(c.user.as_deref(), Some("root"));
        assert_eq!(c.port, 2);
        assert_eq!(c.host_name, "192.168.1.20");
        let v6 = fx.resolve("[::1]:2022", &files).expect("v6");
        assert_eq!(v6.host_name, "::1");
        assert_eq!(v6.port, 2022);
    }

    #[test]
    fn host_patterns_match_the_alias_not_the_host_name() {
        let fx = Fx::new();
        let files = fx.config(
            "Host short\n  HostName long.example.com\nHost long.example.com\n  User wrong\nHost *.example.com\n  Port 2\nHost short\n  User right\n",
        );
        let c = fx.resolve("short", &files).expect("short");
        assert_eq!(c.user.as_deref(), Some("right"));
        assert_eq!(c.port, 22);
        assert_eq!(c.host_name, "long.example.com");
    }

    #[test]
    fn match_host_all_and_unsupported() {
        let fx = Fx::new();
        let files = fx.config(
            "Host short\n  HostName long.example.com\n\
             Match exec \"true\"\n  User exec-user\n\
             Match host *.example.com\n  Port 2000\n\
             Match originalhost short !host other\n  IdentityFile ~/k1\n\
             Match final all\n  User final-user\n\
             Match all\n  User all-user\n",
        );
        let c = fx.resolve("short", &files).expect("short");
        assert_eq!(c.port, 2000);
        assert_eq!(c.user.as_deref(), Some("all-user"));
        assert_eq!(c.identity_files, vec![fx.home.join("k1")]);
        let e = fx
            .resolve("short", &fx.config("Match bogus x\n"))
            .expect_err("bogus");
        assert!(e.to_string().contains("line 1"), "{e}");
    }

    #[test]
    fn first_value_wins_and_identity_files_accumulate() {
        let fx = Fx::new();
        let files = fx.config(
            "Host a\n User one\n IdentityFile /k/one\n ProxyJump none\nHost a\n User two\n IdentityFile /k/two\n ProxyJump j2\n ProxyCommand nc %h %p\n",
        );
        let c = fx.resolve("a", &files).expect("a");
        assert_eq!(c.user.as_deref(), Some("one"));
        assert_eq!(
            c.identity_files,
            vec![Utf8PathBuf::from("/k/one"), Utf8PathBuf::from("/k/two")]
        );
        assert_eq!(c.proxy_jump, None, "ProxyJump none came first");
        assert_eq!(c.proxy_command, None, "ProxyJump excludes ProxyCommand");

        let c = fx
            .resolve(
                "b",
                &fx.config("Host b\n ProxyCommand ssh -W %h:%p j\n ProxyJump j\n"),
            )
            .expect("b");
        assert_eq!(c.proxy_command.as_deref(), Some("ssh -W %h:%p j"));
        assert_eq!(c.proxy_jump, None);
    }

    #[test]
    fn expansion_of_escapes() {
        let fx = Fx::new();
        let files = fx.config(
            "Host x\n HostName real-%h\n HostKeyAlias Alias-X\n IdentityFile %d/keys/%u-%r-%h-%p-%n-%k-%%\n IdentityFile ~\n User bob\n",
        );
        let c = fx.resolve("x:2200", &files).expect("x");
        assert_eq!(c.host_name, "real-x");
        assert_eq!(c.host_key_alias.as_deref(), Some("alias-x"));
        assert_eq!(
            c.identity_files,
            vec![
                fx.home.join("keys/me-bob-real-x-2200-x-alias-x-%"),
                fx.home.clone()
            ]
        );
        let e = fx
            .resolve("x", &fx.config("Host x\n IdentityFile ~/k%z\n"))
            .expect_err("bad escape");
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(e.to_string().contains("%z"), "{e}");
        let e = fx
            .resolve("x", &fx.config("\n\nHost *\n IdentityFile ~root/k\n"))
            .expect_err("~user");
        assert!(e.to_string().contains("line 4"), "{e}");
        // %r without a user and without a known local user.
        let files = fx.config("Host *\n IdentityFile ~/%r\n");
        let e = resolve("x", &fx.home, None, &files).expect_err("no user");
        assert!(e.to_string().contains("$USER"), "{e}");
    }

    #[test]
    fn quotes_equals_and_comments() {
        let fx = Fx::new();
        let files = fx.config(
            "HOST=\"q\"   # trailing comment\n\tuser = \"bob smith\"\n  IdentityFile=\"/path with/space\" # c\n  port\t=  2222\n  hostname 'single q'x\n",
        );
        // HostName with a space is refused later as a host name; check the tokenizer first.
        assert_eq!(
            tokenize("  hostname 'single q'x").expect("tok"),
            Some(("hostname".into(), vec!["single qx".into()]))
        );
        assert_eq!(
            tokenize("Key=a\\ b \"c\\\"d\"").expect("tok"),
            Some(("Key".into(), vec!["a b".into(), "c\"d".into()]))
        );
        assert_eq!(tokenize("   # just a comment").expect("tok"), None);
        let e = fx.resolve("q", &files).expect_err("space in HostName");
        assert!(e.to_string().contains("line 5"), "{e}");
        let files = fx.config(
            "HOST=\"q\"   # trailing comment\n\tuser = \"bob smith\"\n  IdentityFile=\"/path with/space\" # c\n  port\t=  2222\n",
        );
        let c = fx.resolve("q", &files).expect("q");
        assert_eq!(c.user.as_deref(), Some("bob smith"));
        assert_eq!(
            c.identity_files,
            vec![Utf8PathBuf::from("/path with/space")]
        );
        assert_eq!(c.port, 2222);
    }

    #[test]
    fn missing_files_are_skipped() {
        let fx = Fx::new();
        let files = vec![
            fx.home.join(".ssh/nope"),
            fx.write(
                ".ssh/config",
                "Include does-not-exist missing.d/*\nHost *\n User u\n",
            ),
        ];
        let c = fx.resolve("h", &files).expect("h");
        assert_eq!(c.user.as_deref(), Some("u"));
        assert_eq!(c.port, 22);
        assert_eq!(c.host_name, "h");
        let d = default_files(&fx.home);
        assert_eq!(d[0], fx.home.join(".ssh/config"));
        assert_eq!(d.last().map(|p| p.as_str()), Some("/etc/ssh/ssh_config"));
    }

    #[test]
    fn include_inside_host_block_is_conditional() {
        let fx = Fx::new();
        fx.write(".ssh/inc", "User from-include\nHost other\n Port 7\n");
        let files = fx.config("Host a\n Include inc\n Port 1\nHost *\n User star\n");
        let a = fx.resolve("a", &files).expect("a");
        assert_eq!(a.user.as_deref(), Some("from-include"));
        assert_eq!(
            a.port, 1,
            "Host in the include does not deactivate the outer block"
        );
        let b = fx.resolve("b", &files).expect("b");
        assert_eq!(b.user.as_deref(), Some("star"));
        let other = fx.resolve("other", &files).expect("other");
        assert_eq!(other.port, 22, "includes in inactive blocks never match");
    }

    #[test]
    fn system_file_relative_include() {
        let fx = Fx::new();
        let sys = fx.write(
            "sysroot/etc/ssh/ssh_config",
            "Include ssh_config.d/*.conf\n",
        );
        fx.write("sysroot/etc/ssh/ssh_config.d/a.conf", "Host *\n User sys\n");
        let c = fx.resolve("h", &[sys]).expect("h");
        assert_eq!(c.user.as_deref(), Some("sys"));
    }

    /// Issue 16: files that each include the next one several times were read again for every
    /// path through them (10^15 reads for ten Includes nested 16 deep); reading stops at a
    /// bound with an error that says why.
    #[test]
    fn include_fan_out_is_bounded() {
        let fx = Fx::new();
        for level in 0..15 {
            fx.write(
                &format!(".ssh/level{level}"),
                &format!("Include level{}\n", level + 1).repeat(10),
            );
        }
        fx.write(".ssh/level15", "Host gw\n  User deep\n");
        let files = fx.config("Include level0\nHost *\n  Port 2222\n");
        let home = fx.home.clone();
        let err = crate::testutil::finishes_within(
            std::time::Duration::from_secs(10),
            "resolving a config with nested fanned-out Includes",
            move || resolve("gw", &home, Some("me"), &files),
        )
        .expect_err("too much included");
        assert!(matches!(err, ConfigError::TooMuchIncluded { .. }), "{err}");
        assert!(err.to_string().contains("remove Includes"), "{err}");
        // A few levels of the same shape stay under the bound and resolve.
        fx.write(".ssh/level2", "Host gw\n  User shallow\n");
        let c = fx
            .resolve("gw", &fx.config("Include level0\n"))
            .expect("resolve");
        assert_eq!(c.user.as_deref(), Some("shallow"));
    }

    /// The in-memory reader the fuzzer drives resolves like the disk one.
    #[test]
    fn documents_resolve_like_files_on_disk() {
        let fx = Fx::new();
        let files = realistic(&fx);
        let mut documents = std::collections::BTreeMap::new();
        for rel in [
            ".ssh/config",
            ".ssh/config.d/10-work",
            ".ssh/config.d/20-late",
            ".ssh/config.d/.hidden",
        ] {
            let path = fx.home.join(rel);
            documents.insert(path.clone(), std::fs::read(&path).expect("read"));
        }
        for target in [
            "gw",
            "gw-2",
            "pi",
            "work",
            "x.lan",
            "printer.lan",
            "other",
            "u@gw:2",
        ] {
            let on_disk = fx.resolve(target, &files).expect("disk");
            let in_memory = resolve_documents(target, &fx.home, Some("me"), &files, &documents)
                .expect("memory");
            assert_eq!(on_disk, in_memory, "{target}");
        }
    }

    #[test]
    fn include_loop_is_an_error() {
        let fx = Fx::new();
        let files = fx.config("Include config\n");
        let e = fx.resolve("h", &files).expect_err("loop");
        assert!(e.to_string().contains("nested more than 16"), "{e}");
    }

    #[test]
    fn hostile_values() {
        let fx = Fx::new();
        for (text, needle) in [
            ("Host *\n Port 99999\n", "line 2"),
            ("Host *\n Port -1\n", "line 2"),
            ("Host *\n User a b\n", "takes one value"),
            ("Host *\n User \"unterminated\n", "unterminated"),
            ("Host *\n HostName $(reboot)\n", "line 2"),
            ("Host *\n HostName -oProxyCommand=x\n", "'-'"),
            (
                "Host *\n ConnectTimeout 99999999999999999999\n",
                "not a time",
            ),
            ("Host *\n StrictHostKeyChecking maybe\n", "accept-new"),
            ("Host *\n IdentityFile\n", "needs a value"),
            ("Host\n", "pattern"),
            ("Host *\n User a\u{1b}[31m\n", "control character"),
            ("=x\n", "'='"),
        ] {
            let e = fx.resolve("h", &fx.config(text)).expect_err(text);
            assert!(e.to_string().contains(needle), "{text:?}: {e}");
            assert!(e.to_string().contains("config"), "{e}");
        }
        // Bad values are reported even inside blocks that do not apply.
        let e = fx
            .resolve("h", &fx.config("Host other\n Port 0\n"))
            .expect_err("inactive");
        assert!(e.to_string().contains("line 2"), "{e}");
        // Too large.
        let big = "# x\n".repeat(300_000);
        let e = fx.resolve("h", &fx.config(&big)).expect_err("big");
        assert!(matches!(e, ConfigError::TooLarge { .. }), "{e}");
        // Not UTF-8.
        let p = fx.home.join(".ssh/config");
        std::fs::write(&p, b"Host *\n User \xff\n").expect("write");
        let e = fx.resolve("h", std::slice::from_ref(&p)).expect_err("utf8");
        assert!(e.to_string().contains("line 2"), "{e}");
        // Group-writable user config.
        std::fs::write(&p, "Host *\n").expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        let e = fx.resolve("h", &[p]).expect_err("perm");
        assert!(e.to_string().contains("chmod go-w"), "{e}");
    }

    #[test]
    fn split_target_forms() {
        let ok = |t: &str| split_target(t).expect(t);
        assert_eq!(ok("host"), (None, "host".into(), None));
        assert_eq!(ok("u@host"), (Some("u".into()), "host".into(), None));
        assert_eq!(
            ok("u@host:2222"),
            (Some("u".into()), "host".into(), Some(2222))
        );
        assert_eq!(ok("host:22"), (None, "host".into(), Some(22)));
        assert_eq!(ok("[::1]:2222"), (None, "::1".into(), Some(2222)));
        assert_eq!(
            ok("u@[fe80::1]"),
            (Some("u".into()), "fe80::1".into(), None)
        );
        assert_eq!(ok("::1"), (None, "::1".into(), None));
        assert_eq!(ok("a@b@host"), (Some("a@b".into()), "host".into(), None));
        assert_eq!(ok("ssh://u@h:7/"), (Some("u".into()), "h".into(), Some(7)));
        for bad in [
            "",
            "@h",
            "h:",
            "h:0",
            "h:65536",
            "h:x",
            "[::1",
            "[::1]x",
            "-oProxyCommand=x",
            "h o",
            "h;reboot",
            "u@",
            "h\n",
            "-u@h",
        ] {
            assert!(split_target(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn jump_host_values() {
        assert_eq!(jump_host("none").expect("none"), None);
        assert_eq!(jump_host("j@b:22").expect("one"), Some("j@b:22".into()));
        let e = jump_host("a,b").expect_err("two");
        assert!(e.to_string().contains("\"a,b\""), "{e}");
        assert!(jump_host("bad host").is_err());
    }

    #[test]
    fn time_values() {
        assert_eq!(parse_time("30").expect("t"), 30);
        assert_eq!(parse_time("1h30m").expect("t"), 5400);
        assert_eq!(parse_time("2M5s").expect("t"), 125);
        assert!(parse_time("").is_err());
        assert!(parse_time("5x").is_err());
        assert!(parse_time("m").is_err());
    }
}
