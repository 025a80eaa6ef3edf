//! The companion's own TOML config (DESIGN.md §Core 11): defaults and the gateways ("hosts") that
//! clawauth checks. Where the file is: [`crate::paths`].
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
//! Loading validates every value (they end up in remote command lines; the checks are
//! [`crate::validate`]'s) and rejects unknown keys
//! inside `[defaults]`, `[hosts.*]` and `[monitor]` (see [`crate::monitor::config`]); other top-level
//! tables are left alone.
//! Editing ([`add_host`], [`remove_host`], [`set_host_clawauth`]) goes through `toml_edit`, so the user's comments, key
//! order and unknown tables survive, and writes are atomic with the file's mode kept.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use camino::Utf8Path;
use serde::Deserialize;
use toml::Spanned;

use crate::validate::{
    validate_agent_id, validate_host_name, validate_remote_path, validate_service_name,
    validate_ssh_target,
};
use crate::{Error, Result};

/// The service name OpenClaw's installer gives the gateway.
pub const DEFAULT_SERVICE: &str = "openclaw-gateway";
/// Config files larger than this are refused (a config is a few hundred bytes).
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// A value check: `Err` says what is wrong, in words for the user.
type Validator = fn(&str) -> Result<(), String>;

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

/// Sets `clawauth = "…"` (where clawauth is on the gateway) for host `name` in the config at
/// `path`, in place: the rest of the host's table, its comments and the rest of the file are
/// kept. The host must exist.
pub fn set_host_clawauth(path: &Utf8Path, name: &str, clawauth_path: &str) -> Result<()> {
    let text = with_host_clawauth(path, &read_document(path)?, name, clawauth_path)?;
    crate::fsutil::write_atomic(path, text.as_bytes(), None)
}

/// What [`set_host_clawauth`] writes: config `text` (of the file at `path`, named in errors)
/// with `clawauth = "…"` set for host `name`.
pub fn with_host_clawauth(
    path: &Utf8Path,
    text: &str,
    name: &str,
    clawauth_path: &str,
) -> Result<String> {
    validate_remote_path(clawauth_path)
        .map_err(|e| Error::Invalid(format!("host {name}: clawauth {clawauth_path:?}: {e}")))?;
    let mut doc = parse_document(path, text)?;
    let host = doc
        .get_mut("hosts")
        .and_then(|h| h.as_table_like_mut())
        .and_then(|h| h.get_mut(name))
        .ok_or_else(|| Error::Invalid(format!("no host {name:?} in {path}")))?;
    let t = host.as_table_like_mut().ok_or_else(|| {
        Error::Invalid(format!(
            "{path}: hosts.{name} is not a table; fix it in {path}"
        ))
    })?;
    match t.get_mut("clawauth").and_then(|i| i.as_value_mut()) {
        Some(old) => {
            let decor = old.decor().clone();
            *old = toml_edit::Value::from(clawauth_path);
            *old.decor_mut() = decor;
        }
        None => {
            t.insert("clawauth", toml_edit::value(clawauth_path));
        }
    }
    edited_text(path, &doc)
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
    fn set_clawauth_keeps_the_rest_of_the_table_and_inline_tables() {
        let (_t, d) = tmp();
        let p = d.join("config.toml");
        std::fs::write(&p, SAMPLE).expect("write");
        set_host_clawauth(&p, "gw", "~/.local/bin/clawauth").expect("set");
        let text = std::fs::read_to_string(&p).expect("read");
        assert!(text.contains("# the main gateway\n[hosts.gw]"), "{text}");
        assert!(text.contains("# slow link"), "{text}");
        let c = Config::load(&p).expect("load");
        let gw = c.host("gw").expect("gw");
        assert_eq!(gw.clawauth.as_deref(), Some("~/.local/bin/clawauth"));
        assert_eq!(gw.agent.as_deref(), Some("main"));
        // Again: replaced in place, one key.
        set_host_clawauth(&p, "gw", "/opt/clawauth").expect("set");
        let text = std::fs::read_to_string(&p).expect("read");
        assert_eq!(text.matches("clawauth = ").count(), 1, "{text}");
        assert_eq!(
            Config::load(&p)
                .expect("load")
                .host("gw")
                .expect("gw")
                .clawauth
                .as_deref(),
            Some("/opt/clawauth")
        );
        // No such host, or a path that cannot be passed: refused, file untouched.
        assert!(set_host_clawauth(&p, "nope", "/x").is_err());
        assert!(set_host_clawauth(&p, "gw", "rel/x").is_err());
        assert!(set_host_clawauth(&p, "gw", "/a\nb").is_err());
        assert_eq!(std::fs::read_to_string(&p).expect("read"), text);

        std::fs::write(&p, "hosts = { a = { ssh = \"a\" } }\n").expect("write");
        set_host_clawauth(&p, "a", "/opt/c").expect("inline");
        assert_eq!(
            Config::load(&p)
                .expect("load")
                .host("a")
                .expect("a")
                .clawauth
                .as_deref(),
            Some("/opt/c")
        );
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
}
