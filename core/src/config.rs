//! The companion's own TOML config (DESIGN.md §Core 11): defaults and the gateways ("hosts") that
//! clawauth checks.
//!
//! ```toml
//! [defaults]            # all optional
//! connect_timeout = "5s"
//! deadline = "60s"      # whole action
//! cli_timeout = "30s"   # openclaw models status on the gateway
//! secret_store = "auto"
//!
//! [hosts.gw]            # the table key is the host's name in clawauth
//! ssh = "gw"            # an ~/.ssh/config alias, or user@host, or user@host:port, or host
//! agent = "main"        # optional OpenClaw agent id
//! openclaw = "/home/u/.npm-global/bin/openclaw"
//! clawauth = "/usr/local/bin/clawauth"
//! state_dir = "/srv/openclaw/.openclaw"
//! service = "openclaw-gateway"
//! ```
//!
//! Loading validates every value (they end up in remote command lines) and rejects unknown keys
//! inside `[defaults]`, `[hosts.*]` and `[monitor]` (see [`crate::monitor::config`]); other top-level
//! tables are left alone.
//! Editing ([`add_host`], [`remove_host`]) goes through `toml_edit`, so the user's comments, key
//! order and unknown tables survive, and writes are atomic with the file's mode kept.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Deserialize;
use toml::Spanned;

use crate::openclaw::env::Environment;
use crate::{Error, Result};

/// Environment variable naming the config file itself.
pub const ENV_CONFIG: &str = "CLAWAUTH_CONFIG";
/// The service name OpenClaw's installer gives the gateway.
pub const DEFAULT_SERVICE: &str = "openclaw-gateway";
/// Config files larger than this are refused (a config is a few hundred bytes).
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// A value check: `Err` says what is wrong, in words for the user.
type Validator = fn(&str) -> Result<(), String>;

/// The config file: `$CLAWAUTH_CONFIG` when set, else `$XDG_CONFIG_HOME/clawauth/config.toml`
/// (when XDG_CONFIG_HOME is absolute, as the XDG spec requires), else
/// `$HOME/.config/clawauth/config.toml`. `None` when none of them is set.
pub fn config_path(env: &Environment) -> Option<Utf8PathBuf> {
    if let Some(p) = env.get(ENV_CONFIG) {
        return Some(Utf8PathBuf::from(p));
    }
    env.xdg_dir("XDG_CONFIG_HOME", ".config")
        .map(|d| d.join("clawauth").join("config.toml"))
}

/// The directory holding the config file (and the file secret store): the parent of
/// [`config_path`].
pub fn config_dir(env: &Environment) -> Option<Utf8PathBuf> {
    let path = config_path(env)?;
    match path.parent() {
        Some(d) if !d.as_str().is_empty() => Some(d.to_owned()),
        _ => Some(Utf8PathBuf::from(".")),
    }
}

/// The whole config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub defaults: Defaults,
    /// Hosts by their name in clawauth (the `[hosts.NAME]` key).
    pub hosts: BTreeMap<String, HostEntry>,
    /// `[monitor]`: alert policy and notifiers.
    pub monitor: crate::monitor::config::MonitorConfig,
}

/// `[defaults]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    /// SSH connect timeout (default 5 s).
    pub connect_timeout: Duration,
    /// Deadline of a whole action (default 60 s).
    pub deadline: Duration,
    /// Timeout of `openclaw models status --json --check` on the gateway (default 30 s).
    pub cli_timeout: Duration,
    /// `auto`, `file` or `keyring` (validated; parse with `secrets::StoreChoice::from_str`).
    pub secret_store: Option<String>,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(60),
            cli_timeout: Duration::from_secs(30),
            secret_store: None,
        }
    }
}

/// One `[hosts.NAME]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostEntry {
    /// An `~/.ssh/config` alias, `host`, `user@host` or `user@host:port`.
    pub ssh: String,
    /// OpenClaw agent id (OpenClaw's default agent when absent).
    pub agent: Option<String>,
    /// Path of the `openclaw` binary on the gateway.
    pub openclaw: Option<String>,
    /// Path of the `clawauth` binary on the gateway.
    pub clawauth: Option<String>,
    /// OpenClaw state dir on the gateway (`OPENCLAW_STATE_DIR`).
    pub state_dir: Option<String>,
    /// systemd service of the gateway (default [`DEFAULT_SERVICE`]).
    pub service: Option<String>,
}

impl HostEntry {
    /// A host reached through `ssh`, every optional field unset.
    pub fn new(ssh: impl Into<String>) -> Self {
        Self {
            ssh: ssh.into(),
            ..Self::default()
        }
    }

    /// The gateway's service name, the default when unset.
    pub fn service_name(&self) -> &str {
        self.service.as_deref().unwrap_or(DEFAULT_SERVICE)
    }

    /// Checks every field; the error names the field (`ssh`, `agent`, …), the value and the rule.
    pub fn validate(&self) -> Result<(), String> {
        for (key, value, check) in self.fields() {
            if let Some(v) = value {
                check(v).map_err(|e| format!("{key} {v:?}: {e}"))?;
            }
        }
        Ok(())
    }

    /// (key, value, validator) in the order they are written.
    fn fields(&self) -> [(&'static str, Option<&str>, Validator); 6] {
        [
            ("ssh", Some(self.ssh.as_str()), validate_ssh_target),
            ("agent", self.agent.as_deref(), validate_agent_id),
            ("openclaw", self.openclaw.as_deref(), validate_remote_path),
            ("clawauth", self.clawauth.as_deref(), validate_remote_path),
            ("state_dir", self.state_dir.as_deref(), validate_remote_path),
            ("service", self.service.as_deref(), validate_service_name),
        ]
    }
}

// ---- loading --------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawConfig {
    defaults: RawDefaults,
    hosts: BTreeMap<String, RawHost>,
    monitor: Option<crate::monitor::config::RawMonitor>,
    // Accepted (and ignored here) so that a typo is caught with a hint instead of silently.
    host: Option<toml::Value>,
    default: Option<toml::Value>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawDefaults {
    connect_timeout: Option<Spanned<String>>,
    deadline: Option<Spanned<String>>,
    cli_timeout: Option<Spanned<String>>,
    secret_store: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    ssh: Spanned<String>,
    agent: Option<Spanned<String>>,
    openclaw: Option<Spanned<String>>,
    clawauth: Option<Spanned<String>>,
    state_dir: Option<Spanned<String>>,
    service: Option<Spanned<String>>,
}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl Config {
    /// Reads the config at `path`. A missing file is the default config; a malformed one is an
    /// error naming the file, line and column; an invalid value names its key.
    pub fn load(path: &Utf8Path) -> Result<Config> {
        let Some(bytes) = crate::openclaw::files::read_capped(path, MAX_CONFIG_BYTES)? else {
            return Ok(Config::default());
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
            )
        })?;
        Self::parse(path, &text)
    }

    /// Parses config text; `path` is only used in error messages.
    pub fn parse(path: &Utf8Path, text: &str) -> Result<Config> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let (l, c) = line_col(text, s.start);
                    format!("line {l}, column {c}: ")
                })
                .unwrap_or_default();
            let message = e.message().trim_end();
            // `connect_timeout = 5`: say what the value should look like, not only its type.
            let advice = if message.starts_with("invalid type: integer")
                && message.ends_with("expected a string")
            {
                " — quote it; a duration also needs a unit: \"5s\", \"10m\", \"2h\""
            } else {
                ""
            };
            Error::malformed(
                path,
                "clawauth config (TOML)",
                format!("{at}{message}{advice}"),
            )
        })?;
        let invalid = |span: std::ops::Range<usize>, what: String| {
            let (l, c) = line_col(text, span.start);
            Error::Invalid(format!(
                "{path}: line {l}, column {c}: {what}; fix this value in {path}"
            ))
        };
        if raw.host.is_some() || raw.default.is_some() {
            let (bad, good) = if raw.host.is_some() {
                ("host", "hosts")
            } else {
                ("default", "defaults")
            };
            return Err(Error::Invalid(format!(
                "{path}: unknown table [{bad}]: did you mean [{good}]? Rename it in {path}"
            )));
        }

        let mut defaults = Defaults::default();
        let d = raw.defaults;
        for (key, value, slot) in [
            (
                "connect_timeout",
                d.connect_timeout,
                &mut defaults.connect_timeout,
            ),
            ("deadline", d.deadline, &mut defaults.deadline),
            ("cli_timeout", d.cli_timeout, &mut defaults.cli_timeout),
        ] {
            if let Some(v) = value {
                *slot = parse_positive_duration(v.get_ref()).map_err(|e| {
                    invalid(v.span(), format!("defaults.{key} {:?}: {e}", v.get_ref()))
                })?;
            }
        }
        if let Some(v) = d.secret_store {
            crate::secrets::StoreChoice::from_str(v.get_ref()).map_err(|e| {
                invalid(
                    v.span(),
                    format!("defaults.secret_store {:?}: {e}", v.get_ref()),
                )
            })?;
            defaults.secret_store = Some(v.into_inner());
        }

        let mut hosts = BTreeMap::new();
        for (name, h) in raw.hosts {
            validate_host_name(&name).map_err(|e| {
                let (l, c) = line_col(text, h.ssh.span().start);
                Error::Invalid(format!(
                    "{path}: host near line {l}, column {c}: name {name:?}: {e}; rename [hosts.{name:?}] in {path}"
                ))
            })?;
            let checks: [(&str, Option<&Spanned<String>>, Validator); 6] = [
                ("ssh", Some(&h.ssh), validate_ssh_target),
                ("agent", h.agent.as_ref(), validate_agent_id),
                ("openclaw", h.openclaw.as_ref(), validate_remote_path),
                ("clawauth", h.clawauth.as_ref(), validate_remote_path),
                ("state_dir", h.state_dir.as_ref(), validate_remote_path),
                ("service", h.service.as_ref(), validate_service_name),
            ];
            for (key, value, check) in checks {
                if let Some(v) = value {
                    check(v.get_ref()).map_err(|e| {
                        invalid(
                            v.span(),
                            format!("hosts.{name}.{key} {:?}: {e}", v.get_ref()),
                        )
                    })?;
                }
            }
            let s = |v: Option<Spanned<String>>| v.map(Spanned::into_inner);
            hosts.insert(
                name,
                HostEntry {
                    ssh: h.ssh.into_inner(),
                    agent: s(h.agent),
                    openclaw: s(h.openclaw),
                    clawauth: s(h.clawauth),
                    state_dir: s(h.state_dir),
                    service: s(h.service),
                },
            );
        }
        let monitor = match raw.monitor {
            Some(m) => m
                .into_config()
                .map_err(|(span, what)| invalid(span, what))?,
            None => Default::default(),
        };
        Ok(Config {
            defaults,
            hosts,
            monitor,
        })
    }

    /// The host named `name`.
    pub fn host(&self, name: &str) -> Option<&HostEntry> {
        self.hosts.get(name)
    }
}

fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    let ms = crate::time::parse_duration_ms(s).map_err(|e| e.to_string())?;
    if ms <= 0 {
        return Err("must be longer than 0".to_owned());
    }
    Ok(Duration::from_millis(ms.unsigned_abs()))
}

// ---- editing --------------------------------------------------------------------------------

/// Reads `path` as text to edit; a missing file is an empty one.
fn read_document(path: &Utf8Path) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Parses config text as an editable document (`path` names it in errors).
fn parse_document(path: &Utf8Path, text: &str) -> Result<toml_edit::DocumentMut> {
    text.parse::<toml_edit::DocumentMut>().map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let (l, c) = line_col(text, s.start);
                format!("line {l}, column {c}: ")
            })
            .unwrap_or_default();
        Error::malformed(
            path,
            "clawauth config (TOML)",
            format!(
                "{at}{}; fix the file before clawauth edits it",
                e.message().trim_end()
            ),
        )
    })
}

/// Adds host `name` to the config at `path` (creating the file, mode 0600, and its directory,
/// mode 0700, when missing). An existing host is an error unless `replace`, in which case its
/// table is updated in place (its comments kept). Comments, key order and unknown tables
/// elsewhere in the file are kept.
pub fn add_host(path: &Utf8Path, name: &str, entry: &HostEntry, replace: bool) -> Result<()> {
    let text = with_host_added(path, &read_document(path)?, name, entry, replace)?;
    crate::fsutil::write_atomic(path, text.as_bytes(), None)
}

/// What [`add_host`] writes: config `text` (of the file at `path`, named in errors) with host
/// `name` added or replaced.
pub fn with_host_added(
    path: &Utf8Path,
    text: &str,
    name: &str,
    entry: &HostEntry,
    replace: bool,
) -> Result<String> {
    validate_host_name(name).map_err(|e| Error::Invalid(format!("host name {name:?}: {e}")))?;
    entry
        .validate()
        .map_err(|e| Error::Invalid(format!("host {name}: {e}")))?;
    let mut doc = parse_document(path, text)?;
    let root = doc.as_table_mut();
    if !root.contains_key("hosts") {
        let mut t = toml_edit::Table::new();
        t.set_implicit(true);
        root.insert("hosts", toml_edit::Item::Table(t));
    }
    let not_table = || {
        Error::Invalid(format!(
            "{path}: `hosts` is not a table; fix it in {path} (hosts are written as [hosts.NAME])"
        ))
    };
    let hosts_item = root.get_mut("hosts").ok_or_else(not_table)?;
    let hosts_is_inline = hosts_item.is_inline_table();
    let hosts = hosts_item.as_table_like_mut().ok_or_else(not_table)?;
    if let Some(existing) = hosts.get_mut(name) {
        if !replace {
            return Err(Error::Invalid(format!(
                "host {name:?} already exists in {path}; remove it first or replace it"
            )));
        }
        let t = existing.as_table_like_mut().ok_or_else(|| {
            Error::Invalid(format!(
                "{path}: hosts.{name} is not a table; fix it in {path}"
            ))
        })?;
        fill_host_table(t, entry);
    } else if hosts_is_inline {
        let mut t = toml_edit::InlineTable::new();
        fill_host_table(&mut t, entry);
        hosts.insert(name, toml_edit::value(t));
    } else {
        let mut t = toml_edit::Table::new();
        fill_host_table(&mut t, entry);
        hosts.insert(name, toml_edit::Item::Table(t));
    }
    edited_text(path, &doc)
}

/// Sets the host's known keys (in place, so existing ones keep their position and comments) and
/// removes the ones `entry` leaves unset.
fn fill_host_table(t: &mut dyn toml_edit::TableLike, entry: &HostEntry) {
    for (key, value, _) in entry.fields() {
        match value {
            Some(v) => match t.get_mut(key).and_then(|i| i.as_value_mut()) {
                Some(old) => {
                    let decor = old.decor().clone();
                    *old = toml_edit::Value::from(v);
                    *old.decor_mut() = decor;
                }
                None => {
                    t.insert(key, toml_edit::value(v));
                }
            },
            None => {
                t.remove(key);
            }
        }
    }
}

/// Removes host `name` from the config at `path`; `false` when it was not there (or there is no
/// file).
pub fn remove_host(path: &Utf8Path, name: &str) -> Result<bool> {
    if !path.exists() {
        return Ok(false);
    }
    match with_host_removed(path, &read_document(path)?, name)? {
        Some(text) => {
            crate::fsutil::write_atomic(path, text.as_bytes(), None)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// What [`remove_host`] writes: config `text` (of the file at `path`, named in errors) without
/// host `name`; `None` when it has no such host.
pub fn with_host_removed(path: &Utf8Path, text: &str, name: &str) -> Result<Option<String>> {
    let mut doc = parse_document(path, text)?;
    let removed = doc
        .get_mut("hosts")
        .and_then(|h| h.as_table_like_mut())
        .and_then(|h| h.remove(name))
        .is_some();
    if !removed {
        return Ok(None);
    }
    edited_text(path, &doc).map(Some)
}

/// The edited document as text, refused when it would not parse.
fn edited_text(path: &Utf8Path, doc: &toml_edit::DocumentMut) -> Result<String> {
    let text = doc.to_string();
    // Never write a file that `Config::load` would then refuse because of our edit.
    toml::from_str::<toml::Table>(&text).map_err(|e| {
        Error::Invalid(format!(
            "{path}: the edited config would not parse ({}); the file was left unchanged",
            e.message()
        ))
    })?;
    Ok(text)
}

// ---- validators -----------------------------------------------------------------------------

/// A host's name in clawauth: `^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`.
pub fn validate_host_name(name: &str) -> Result<(), String> {
    let ok = matches!(name.as_bytes().first(), Some(b) if b.is_ascii_alphanumeric())
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err("a host name is 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit".to_owned())
    }
}

/// An OpenClaw agent id: `^[a-z0-9][a-z0-9_-]{0,63}$`.
pub fn validate_agent_id(id: &str) -> Result<(), String> {
    let ok = matches!(id.as_bytes().first(), Some(b) if b.is_ascii_lowercase() || b.is_ascii_digit())
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err("an agent id is 1 to 64 lowercase letters, digits, '_' or '-', starting with a letter or digit".to_owned())
    }
}

/// A path on the gateway: absolute or starting with `~/`, no control characters (NUL, newline,
/// CR, …), at most 4096 bytes.
pub fn validate_remote_path(p: &str) -> Result<(), String> {
    if p.len() > 4096 {
        return Err("a path is at most 4096 bytes".to_owned());
    }
    if p.chars().any(char::is_control) {
        return Err("a path cannot contain control characters (newline, NUL, …)".to_owned());
    }
    if !(p.starts_with('/') || p.starts_with("~/")) {
        return Err("use an absolute path (/…) or one under the home directory (~/…)".to_owned());
    }
    Ok(())
}

/// A systemd unit name: letters, digits and `:_.@-`, not starting with '-', at most 255 bytes
/// (an optional `.service` suffix is fine).
pub fn validate_service_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 255
        && !s.starts_with('-')
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'.' | b'@' | b'-'));
    if ok {
        Ok(())
    } else {
        Err("a service name is letters, digits, ':', '_', '.', '@' or '-', not starting with '-' or '.'".to_owned())
    }
}

/// An SSH target: an `~/.ssh/config` alias or `[user@]host[:port]`, where user is
/// `^[A-Za-z0-9._][A-Za-z0-9._-]*$`, host a DNS name, an IPv4 address or `[IPv6]` (a bare IPv6
/// address without a port is accepted too), port 1..=65535. Never starts with '-'.
pub fn validate_ssh_target(s: &str) -> Result<(), String> {
    const HINT: &str = "use an ~/.ssh/config alias, host, user@host or user@host:port";
    let err = |what: &str| Err(format!("{what}; {HINT}"));
    if s.is_empty() {
        return err("empty");
    }
    if s.starts_with('-') {
        return err("cannot start with '-'");
    }
    if s.len() > 512 {
        return err("too long");
    }
    let (user, rest) = match s.split_once('@') {
        Some((u, r)) => (Some(u), r),
        None => (None, s),
    };
    if let Some(u) = user {
        let ok = matches!(u.as_bytes().first(), Some(b) if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_'))
            && u.len() <= 64
            && u.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            return err(
                "invalid user name (letters, digits, '.', '_', '-'; not starting with '-')",
            );
        }
    }
    // host part, with an optional port
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let Some((addr, after)) = inner.split_once(']') else {
            return err("unclosed '[' in an IPv6 address");
        };
        if addr.parse::<Ipv6Addr>().is_err() {
            return err("invalid IPv6 address between [ ]");
        }
        match after {
            "" => (None, None),
            p => match p.strip_prefix(':') {
                Some(p) => (None, Some(p)),
                None => return err("unexpected text after ']'"),
            },
        }
    } else if rest.parse::<Ipv6Addr>().is_ok() {
        (None, None)
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(rest), None),
        }
    };
    if let Some(h) = host
        && h.parse::<Ipv4Addr>().is_err()
        && !is_dns_name(h)
    {
        return err("invalid host (letters, digits, '-', '_' and dots; IPv6 goes in [ ])");
    }
    if let Some(p) = port {
        let ok = !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && matches!(p.parse::<u32>(), Ok(1..=65535));
        if !ok {
            return err("invalid port (1 to 65535)");
        }
    }
    Ok(())
}

/// A DNS name or ssh alias: dot-separated labels of 1..=63 letters, digits, '-' and '_' (aliases
/// often use '_'), no label starting or ending with '-', at most 253 bytes; a trailing dot is
/// allowed.
fn is_dns_name(h: &str) -> bool {
    let h = h.strip_suffix('.').unwrap_or(h);
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    use crate::testutil::{mode, tmp};

    const SAMPLE: &str = r#"# my clawauth config
[defaults]
connect_timeout = "10s"  # slow link
deadline = "2m"
secret_store = "file"

# the main gateway
[hosts.gw]
ssh = "gw"
agent = "main"
openclaw = "/home/u/.npm-global/bin/openclaw"

[hosts."pi-4"]
ssh = "pi@192.168.1.20:2222"
state_dir = "~/.openclaw"
service = "openclaw-gateway.service"

[widget]   # a future table
refresh = "15m"
"#;

    #[test]
    fn paths_follow_env_rules() {
        let home = Environment::empty().with("HOME", "/home/u");
        assert_eq!(
            config_path(&home).as_deref(),
            Some(Utf8Path::new("/home/u/.config/clawauth/config.toml"))
        );
        assert_eq!(
            config_dir(&home).as_deref(),
            Some(Utf8Path::new("/home/u/.config/clawauth"))
        );
        let xdg = home.clone().with("XDG_CONFIG_HOME", "/x/cfg");
        assert_eq!(
            config_path(&xdg).as_deref(),
            Some(Utf8Path::new("/x/cfg/clawauth/config.toml"))
        );
        // A relative XDG_CONFIG_HOME is invalid per the spec and ignored; a blank one too.
        let rel = home.clone().with("XDG_CONFIG_HOME", "cfg");
        assert_eq!(config_dir(&rel), config_dir(&home));
        let blank = home.clone().with("XDG_CONFIG_HOME", "  ");
        assert_eq!(config_dir(&blank), config_dir(&home));
        let explicit = xdg.with(ENV_CONFIG, "/etc/clawauth/c.toml");
        assert_eq!(
            config_path(&explicit).as_deref(),
            Some(Utf8Path::new("/etc/clawauth/c.toml"))
        );
        assert_eq!(
            config_dir(&explicit).as_deref(),
            Some(Utf8Path::new("/etc/clawauth"))
        );
        let bare = Environment::empty().with(ENV_CONFIG, "c.toml");
        assert_eq!(config_dir(&bare).as_deref(), Some(Utf8Path::new(".")));
        let termux = Environment::empty()
            .with("HOME", "/data/data/com.termux/files/home")
            .with("PREFIX", "/data/data/com.termux/files/usr");
        assert_eq!(
            config_path(&termux).as_deref(),
            Some(Utf8Path::new(
                "/data/data/com.termux/files/home/.config/clawauth/config.toml"
            ))
        );
        assert_eq!(config_path(&Environment::empty()), None);
        assert_eq!(config_dir(&Environment::empty()), None);
    }

    #[test]
    fn load_missing_is_default() {
        let (_t, d) = tmp();
        let c = Config::load(&d.join("nope.toml")).expect("load");
        assert_eq!(c, Config::default());
        assert_eq!(c.defaults.connect_timeout, Duration::from_secs(5));
        assert_eq!(c.defaults.deadline, Duration::from_secs(60));
        assert_eq!(c.defaults.cli_timeout, Duration::from_secs(30));
    }

    #[test]
    fn load_ok() {
        let (_t, d) = tmp();
        let p = d.join("config.toml");
        std::fs::write(&p, SAMPLE).expect("write");
        let c = Config::load(&p).expect("load");
        assert_eq!(c.defaults.connect_timeout, Duration::from_secs(10));
        assert_eq!(c.defaults.deadline, Duration::from_secs(120));
        assert_eq!(c.defaults.cli_timeout, Duration::from_secs(30));
        assert_eq!(c.defaults.secret_store.as_deref(), Some("file"));
        let gw = c.host("gw").expect("gw");
        assert_eq!(gw.ssh, "gw");
        assert_eq!(gw.agent.as_deref(), Some("main"));
        assert_eq!(
            gw.openclaw.as_deref(),
            Some("/home/u/.npm-global/bin/openclaw")
        );
        assert_eq!(gw.service_name(), DEFAULT_SERVICE);
        let pi = c.host("pi-4").expect("pi");
        assert_eq!(pi.ssh, "pi@192.168.1.20:2222");
        assert_eq!(pi.state_dir.as_deref(), Some("~/.openclaw"));
        assert_eq!(pi.service_name(), "openclaw-gateway.service");
        assert!(c.host("other").is_none());
        assert_eq!(c.hosts.len(), 2);
    }

    #[test]
    fn malformed_reports_file_line_column() {
        let (_t, d) = tmp();
        let p = d.join("config.toml");
        std::fs::write(&p, "[hosts.gw]\nssh = \"gw\"\nagent = main\n").expect("write");
        let e = Config::load(&p).expect_err("malformed").to_string();
        assert!(e.contains(p.as_str()), "{e}");
        assert!(e.contains("TOML"), "{e}");
        assert!(e.contains("line 3, column 9"), "{e}");
    }

    #[test]
    fn unknown_keys_rejected_in_hosts_and_defaults() {
        let (_t, d) = tmp();
        let p = d.join("config.toml");
        std::fs::write(&p, "[hosts.gw]\nssh = \"gw\"\nagnet = \"main\"\n").expect("write");
        let e = Config::load(&p).expect_err("unknown").to_string();
        assert!(e.contains(p.as_str()) && e.contains("agnet"), "{e}");
        assert!(e.contains("line 3"), "{e}");

        std::fs::write(&p, "[defaults]\ntimeout = \"5s\"\n").expect("write");
        let e = Config::load(&p).expect_err("unknown").to_string();
        assert!(e.contains("timeout") && e.contains("line 2"), "{e}");

        std::fs::write(&p, "[host.gw]\nssh = \"gw\"\n").expect("write");
        let e = Config::load(&p).expect_err("typo").to_string();
        assert!(e.contains("[hosts]"), "{e}");

        std::fs::write(&p, "[hosts.gw]\nagent = \"main\"\n").expect("write");
        let e = Config::load(&p).expect_err("no ssh").to_string();
        assert!(e.contains("ssh"), "{e}");
    }

    #[test]
    fn invalid_values_name_the_key() {
        let (_t, d) = tmp();
        let p = d.join("config.toml");
        let cases = [
            (
                "[hosts.gw]\nssh = \"gw\"\nagent = \"x;y\"\n",
                "hosts.gw.agent \"x;y\"",
                "line 3, column 9",
            ),
            (
                "[hosts.gw]\nssh = \"-oProxyCommand=sh\"\n",
                "hosts.gw.ssh",
                "line 2",
            ),
            (
                "[hosts.gw]\nssh = \"gw\"\nopenclaw = \"bin/openclaw\"\n",
                "hosts.gw.openclaw",
                "line 3",
            ),
            (
                "[hosts.gw]\nssh = \"gw\"\nstate_dir = \"/a\\nb\"\n",
                "hosts.gw.state_dir \"/a\\nb\"",
                "line 3",
            ),
            (
                "[hosts.gw]\nssh = \"gw\"\nservice = \"x y\"\n",
                "hosts.gw.service",
                "line 3",
            ),
            (
                "[defaults]\ndeadline = \"soon\"\n",
                "defaults.deadline \"soon\"",
                "line 2",
            ),
            (
                "[defaults]\ncli_timeout = \"0s\"\n",
                "defaults.cli_timeout",
                "line 2",
            ),
            (
                "[defaults]\nsecret_store = \"vault\"\n",
                "defaults.secret_store",
                "line 2",
            ),
            ("[hosts.\"a b\"]\nssh = \"gw\"\n", "name \"a b\"", "line 2"),
        ];
        for (text, key, at) in cases {
            std::fs::write(&p, text).expect("write");
            let e = Config::load(&p).expect_err(text).to_string();
            assert!(e.contains(p.as_str()), "{e}");
            assert!(e.contains(key), "{key} not in {e}");
            assert!(e.contains(at), "{at} not in {e}");
        }
    }

    #[test]
    fn add_and_remove_keep_comments_and_unknown_tables() {
        let (_t, d) = tmp();
        let p = d.join("config.toml");
        std::fs::write(&p, SAMPLE).expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).expect("chmod");

        let mut e = HostEntry::new("admin@example.org:2200");
        e.agent = Some("work".into());
        add_host(&p, "new", &e, false).expect("add");
        let text = std::fs::read_to_string(&p).expect("read");
        for kept in [
            "# my clawauth config",
            "# slow link",
            "# the main gateway",
            "[widget]   # a future table",
            "refresh = \"15m\"",
        ] {
            assert!(text.contains(kept), "{kept:?} lost:\n{text}");
        }
        assert!(text.contains("[hosts.new]"), "{text}");
        assert_eq!(mode(&p), 0o640, "mode kept");
        let c = Config::load(&p).expect("load");
        assert_eq!(c.host("new"), Some(&e));
        assert_eq!(c.hosts.len(), 3);
        // The original text is a prefix-preserved part of the new one (key order kept).
        let gw = text.find("[hosts.gw]").expect("gw");
        let pi = text.find("[hosts.\"pi-4\"]").expect("pi");
        assert!(gw < pi);

        // Exists and !replace: error, file untouched.
        let err = add_host(&p, "gw", &HostEntry::new("other"), false).expect_err("exists");
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), text);

        // Replace updates in place, keeping the table's comment.
        let mut r = HostEntry::new("gw2");
        r.service = Some("og".into());
        add_host(&p, "gw", &r, true).expect("replace");
        let text2 = std::fs::read_to_string(&p).expect("read");
        assert!(text2.contains("# the main gateway\n[hosts.gw]"), "{text2}");
        let c = Config::load(&p).expect("load");
        assert_eq!(c.host("gw"), Some(&r));

        assert!(remove_host(&p, "new").expect("remove"));
        assert!(!remove_host(&p, "new").expect("remove again"));
        let text3 = std::fs::read_to_string(&p).expect("read");
        assert!(!text3.contains("[hosts.new]"), "{text3}");
        assert!(text3.contains("[widget]   # a future table"), "{text3}");
        assert!(text3.contains("# my clawauth config"), "{text3}");
        let c = Config::load(&p).expect("load");
        assert_eq!(c.hosts.len(), 2);
        assert_eq!(c.defaults.connect_timeout, Duration::from_secs(10));
    }

    #[test]
    fn add_creates_private_file_and_dir() {
        let (_t, d) = tmp();
        let p = d.join("sub/clawauth/config.toml");
        add_host(&p, "gw", &HostEntry::new("gw"), false).expect("add");
        assert_eq!(mode(&p), 0o600);
        assert_eq!(mode(p.parent().expect("dir")), 0o700);
        let text = std::fs::read_to_string(&p).expect("read");
        assert_eq!(text.trim(), "[hosts.gw]\nssh = \"gw\"");
        assert!(!remove_host(&d.join("missing.toml"), "gw").expect("no file"));
    }

    #[test]
    fn add_validates_and_refuses_malformed_file() {
        let (_t, d) = tmp();
        let p = d.join("config.toml");
        let mut bad = HostEntry::new("gw");
        bad.agent = Some("$(id)".into());
        let e = add_host(&p, "gw", &bad, false).expect_err("invalid");
        assert!(e.to_string().contains("agent"), "{e}");
        assert!(add_host(&p, "-x", &HostEntry::new("gw"), false).is_err());
        assert!(!p.exists());

        std::fs::write(&p, "[hosts\nssh=").expect("write");
        let e = add_host(&p, "gw", &HostEntry::new("gw"), false).expect_err("malformed");
        assert!(e.to_string().contains(p.as_str()), "{e}");
        assert!(e.to_string().contains("line 1"), "{e}");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "[hosts\nssh=");
        assert!(remove_host(&p, "gw").is_err());
    }

    #[test]
    fn add_into_inline_hosts_table() {
        let (_t, d) = tmp();
        let p = d.join("config.toml");
        std::fs::write(&p, "hosts = { a = { ssh = \"a\" } }\n").expect("write");
        add_host(&p, "b", &HostEntry::new("b"), false).expect("add");
        let c = Config::load(&p).expect("load");
        assert_eq!(c.hosts.len(), 2);
        assert!(remove_host(&p, "a").expect("remove"));
        assert_eq!(Config::load(&p).expect("load").hosts.len(), 1);
    }

    const HOSTILE: &[&str] = &[
        "", " ", "a b", "a;b", "a'b", "a\"b", "$(id)", "`id`", "a\nb", "a\rb", "a\0b", "-x", "a|b",
        "a&b", "a>b", "a\\b", "a\tb",
    ];

    #[test]
    fn host_name_validator() {
        for ok in ["gw", "pi-4", "Gw.home_1", "0", &"a".repeat(63)] {
            assert!(validate_host_name(ok).is_ok(), "{ok:?}");
        }
        for bad in HOSTILE
            .iter()
            .copied()
            .chain([".x", "_x", "a/b", "a@b", "ü", &"a".repeat(64)] as [&str; 6])
        {
            assert!(validate_host_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn agent_id_validator() {
        for ok in ["main", "work-2", "a_b", "0", &"a".repeat(64)] {
            assert!(validate_agent_id(ok).is_ok(), "{ok:?}");
        }
        for bad in HOSTILE
            .iter()
            .copied()
            .chain(["Main", "_x", "a.b", "a/b", &"a".repeat(65)] as [&str; 5])
        {
            assert!(validate_agent_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn remote_path_validator() {
        for ok in [
            "/usr/local/bin/clawauth",
            "~/.openclaw",
            "/srv/open claw/x",
            "/a'b",
        ] {
            assert!(validate_remote_path(ok).is_ok(), "{ok:?}");
        }
        let long = format!("/{}", "a".repeat(4096));
        for bad in [
            "",
            "bin/x",
            "~",
            "~root/x",
            "-x",
            "$(id)",
            "/a\nb",
            "/a\rb",
            "/a\0b",
            "/a\x1bb",
            "/a\u{85}b",
            long.as_str(),
        ] {
            assert!(validate_remote_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ssh_target_validator() {
        for ok in [
            "gw",
            "my_gw",
            "gw.example.org",
            "gw.example.org.",
            "u@gw",
            "pi@192.168.1.20",
            "pi@192.168.1.20:2222",
            "u.name_1-x@host:22",
            "_svc@h",
            "[::1]",
            "[fe80::1]:2200",
            "u@[2001:db8::1]:65535",
            "::1",
        ] {
            assert!(validate_ssh_target(ok).is_ok(), "{ok:?}");
        }
        for bad in HOSTILE.iter().copied().chain([
            "-oProxyCommand=sh",
            "u@-x",
            "-u@h",
            "u@",
            "@h",
            "u@h:",
            "u@h:0",
            "u@h:65536",
            "u@h:22x",
            "u@h:+22",
            "a@b@c",
            "[::1",
            "[nothost]:22",
            "[::1]22",
            "h:22:33",
            "h/x",
            "h..x",
            "-h",
            "h-.x",
            "u;x@h",
            "ssh://h",
        ]) {
            assert!(validate_ssh_target(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn service_name_validator() {
        for ok in ["openclaw-gateway", "openclaw-gateway.service", "og@u"] {
            assert!(validate_service_name(ok).is_ok(), "{ok:?}");
        }
        for bad in HOSTILE.iter().copied().chain([".x", "a/b"]) {
            assert!(validate_service_name(bad).is_err(), "{bad:?}");
        }
    }
}
