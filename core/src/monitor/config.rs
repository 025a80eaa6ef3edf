//! `[monitor]` in config.toml: the alert policy and the notifiers.
//!
//! ```toml
//! [monitor]
//! hosts = ["gw"]               # what a bare `clawauth monitor` checks ("local" = this machine);
//!                              # default: every host in [hosts], else this machine
//! unreachable_after = 2        # consecutive failed runs before "unreachable" is sent
//! remind_expired = "1h"        # reminders while a credential stays expired or missing
//! remind_expiring = "6h"       # … while it stays within its last threshold ("off": never)
//! remind_unreachable = "6h"
//! state_file = "~/.local/state/clawauth/monitor.json"
//!
//! [monitor.thresholds]         # when to warn before expiry, per credential type:
//! oauth = ["24h"]              # a duration before expiry, or a share of the credential's
//! token = ["24h"]              # lifetime ("10%"); an empty list warns only once expired
//! setup_token = ["30d", "7d", "24h"]
//! api_key = ["24h"]            # only when OpenClaw records an expiry for the key
//! long_lived = "30d"           # a token seen living at least this long is a setup token
//!
//! [monitor.priority]           # ntfy priorities: min, low, default, high, urgent (or 1-5)
//! expired = "urgent"           # expired or missing
//! expiring = "high"            # within the last threshold
//! notice = "default"           # an earlier threshold (30 d, 7 d)
//! unreachable = "high"
//! recovered = "default"
//!
//! [monitor.ntfy]
//! server = "https://ntfy.sh"
//! topic = "my-gateway-alerts"  # required
//! token_file = "~/.config/clawauth/ntfy.env"  # optional; else $CLAWAUTH_NTFY_TOKEN, else the
//!                              # secret store (`clawauth monitor ntfy-token set`), else none
//! timeout = "10s"
//!
//! [monitor.command]
//! program = "/usr/local/bin/send-alert"   # gets the message on stdin
//! args = ["--channel", "ops"]
//! timeout = "30s"
//!
//! [monitor.termux]
//! enabled = "auto"             # termux-notification: auto (when running in Termux), true, false
//!
//! [monitor.heartbeat]
//! url = "https://hc-ping.com/your-uuid"   # healthchecks.io style: /start, success, /<exit code>
//! timeout = "10s"
//! ```

use std::str::FromStr;

use camino::Utf8PathBuf;
use serde::Deserialize;
use toml::Spanned;

/// Milliseconds in an hour and a day.
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// When to warn before a credential expires: a fixed time before expiry, or a share of its
/// lifetime (in basis points, 1000 = 10 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    Before(i64),
    Share(u32),
}

impl Threshold {
    /// The threshold in milliseconds before expiry for a credential living `lifetime_ms`
    /// (`None` for a share when the lifetime is unknown).
    pub fn resolve(self, lifetime_ms: Option<i64>) -> Option<i64> {
        match self {
            Self::Before(ms) => Some(ms),
            Self::Share(bp) => lifetime_ms
                .filter(|l| *l > 0)
                .map(|l| (i128::from(l) * i128::from(bp) / 10_000) as i64),
        }
    }

    /// `24h`, `10%`.
    pub fn describe(self) -> String {
        match self {
            Self::Before(ms) => crate::time::format_window(ms),
            Self::Share(bp) if bp % 100 == 0 => format!("{}%", bp / 100),
            Self::Share(bp) => format!("{}.{:02}%", bp / 100, bp % 100),
        }
    }
}

impl FromStr for Threshold {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if let Some(p) = t.strip_suffix('%') {
            let v: f64 = p
                .trim()
                .parse()
                .map_err(|_| format!("{s:?} is not a share: write it like \"10%\""))?;
            if !(v > 0.0 && v < 100.0) {
                return Err(format!(
                    "{s:?}: a share is between 0% and 100%, e.g. \"10%\""
                ));
            }
            return Ok(Self::Share((v * 100.0).round() as u32));
        }
        match crate::time::parse_duration_ms(t) {
            Ok(ms) if ms > 0 => Ok(Self::Before(ms)),
            Ok(_) => Err(format!("{s:?}: a threshold is longer than zero")),
            Err(e) => Err(format!(
                "{s:?}: {e}; a threshold is a duration before expiry (\"24h\", \"7d\") or a share of the lifetime (\"10%\")"
            )),
        }
    }
}

/// Thresholds per credential type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    pub oauth: Vec<Threshold>,
    pub token: Vec<Threshold>,
    pub setup_token: Vec<Threshold>,
    pub api_key: Vec<Threshold>,
    /// A token whose lifetime is at least this long counts as a setup token.
    pub long_lived_ms: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            oauth: vec![Threshold::Before(DAY)],
            token: vec![Threshold::Before(DAY)],
            setup_token: vec![
                Threshold::Before(30 * DAY),
                Threshold::Before(7 * DAY),
                Threshold::Before(DAY),
            ],
            api_key: vec![Threshold::Before(DAY)],
            long_lived_ms: 30 * DAY,
        }
    }
}

/// ntfy priorities (1 min … 5 urgent) per kind of alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priorities {
    pub expired: u8,
    pub expiring: u8,
    pub notice: u8,
    pub unreachable: u8,
    pub recovered: u8,
}

impl Default for Priorities {
    fn default() -> Self {
        Self {
            expired: 5,
            expiring: 4,
            notice: 3,
            unreachable: 4,
            recovered: 3,
        }
    }
}

/// `min`/`low`/`default`/`high`/`urgent`/`max` or 1–5, as ntfy takes them.
pub fn parse_priority(s: &str) -> Result<u8, String> {
    Ok(match s.trim().to_ascii_lowercase().as_str() {
        "1" | "min" => 1,
        "2" | "low" => 2,
        "3" | "default" => 3,
        "4" | "high" => 4,
        "5" | "urgent" | "max" => 5,
        _ => {
            return Err(format!(
                "{s:?} is not a priority: use min, low, default, high or urgent (or 1 to 5)"
            ));
        }
    })
}

/// The alert policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub thresholds: Thresholds,
    /// Consecutive failed runs before a host is reported unreachable.
    pub unreachable_after: u32,
    /// Reminder intervals; `None` = no reminders.
    pub remind_expired_ms: Option<i64>,
    pub remind_expiring_ms: Option<i64>,
    pub remind_unreachable_ms: Option<i64>,
    pub priorities: Priorities,
}

impl Policy {
    /// This policy with every reminder off (`clawauth monitor --changes-only`): an alert goes
    /// out only when something changes — worse, better, a new threshold crossed, fixed,
    /// unreachable or reachable again — never because time passed. The records a run keeps are
    /// the same, so a later run with reminders on picks up where this one left off.
    #[must_use]
    pub fn changes_only(self) -> Self {
        Self {
            remind_expired_ms: None,
            remind_expiring_ms: None,
            remind_unreachable_ms: None,
            ..self
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            thresholds: Thresholds::default(),
            unreachable_after: 2,
            remind_expired_ms: Some(HOUR),
            remind_expiring_ms: Some(6 * HOUR),
            remind_unreachable_ms: Some(6 * HOUR),
            priorities: Priorities::default(),
        }
    }
}

/// `[monitor.ntfy]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtfyConfig {
    pub server: String,
    pub topic: String,
    pub token_file: Option<Utf8PathBuf>,
    pub timeout_ms: i64,
}

/// `[monitor.command]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandConfig {
    pub program: Utf8PathBuf,
    pub args: Vec<String>,
    pub timeout_ms: i64,
}

/// `[monitor.termux] enabled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TermuxSetting {
    /// When running inside Termux.
    #[default]
    Auto,
    On,
    Off,
}

/// `[monitor.heartbeat]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatConfig {
    pub url: String,
    pub timeout_ms: i64,
}

/// Everything under `[monitor]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MonitorConfig {
    /// What a bare `clawauth monitor` checks: host names, `local` for this machine.
    pub hosts: Option<Vec<String>>,
    pub state_file: Option<Utf8PathBuf>,
    pub policy: Policy,
    pub ntfy: Option<NtfyConfig>,
    pub command: Option<CommandConfig>,
    pub termux: TermuxSetting,
    pub heartbeat: Option<HeartbeatConfig>,
}

// ---- parsing --------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawMonitor {
    hosts: Option<Vec<Spanned<String>>>,
    unreachable_after: Option<Spanned<i64>>,
    remind_expired: Option<Spanned<String>>,
    remind_expiring: Option<Spanned<String>>,
    remind_unreachable: Option<Spanned<String>>,
    state_file: Option<Spanned<String>>,
    thresholds: Option<RawThresholds>,
    priority: Option<RawPriorities>,
    ntfy: Option<RawNtfy>,
    command: Option<RawCommand>,
    termux: Option<RawTermux>,
    heartbeat: Option<RawHeartbeat>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawThresholds {
    oauth: Option<Vec<Spanned<String>>>,
    token: Option<Vec<Spanned<String>>>,
    setup_token: Option<Vec<Spanned<String>>>,
    api_key: Option<Vec<Spanned<String>>>,
    long_lived: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawPriorities {
    expired: Option<Spanned<toml::Value>>,
    expiring: Option<Spanned<toml::Value>>,
    notice: Option<Spanned<toml::Value>>,
    unreachable: Option<Spanned<toml::Value>>,
    recovered: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNtfy {
    server: Option<Spanned<String>>,
    topic: Spanned<String>,
    token_file: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommand {
    program: Spanned<String>,
    #[serde(default)]
    args: Vec<String>,
    timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTermux {
    enabled: Spanned<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeartbeat {
    url: Spanned<String>,
    timeout: Option<Spanned<String>>,
}

/// An error at a span: (byte range, message naming the key).
pub(crate) type SpanError = (std::ops::Range<usize>, String);

fn duration(key: &str, v: &Spanned<String>) -> Result<i64, SpanError> {
    match crate::time::parse_duration_ms(v.get_ref()) {
        Ok(ms) if ms > 0 => Ok(ms),
        Ok(_) => Err((
            v.span(),
            format!("{key} {:?}: must be longer than 0", v.get_ref()),
        )),
        Err(e) => Err((v.span(), format!("{key} {:?}: {e}", v.get_ref()))),
    }
}

fn reminder(
    key: &str,
    v: &Option<Spanned<String>>,
    default: Option<i64>,
) -> Result<Option<i64>, SpanError> {
    match v {
        None => Ok(default),
        Some(v) if matches!(v.get_ref().trim(), "off" | "never" | "0") => Ok(None),
        Some(v) => duration(key, v).map(Some),
    }
}

fn thresholds(
    key: &str,
    v: &Option<Vec<Spanned<String>>>,
    default: &[Threshold],
) -> Result<Vec<Threshold>, SpanError> {
    let Some(list) = v else {
        return Ok(default.to_vec());
    };
    list.iter()
        .map(|t| {
            t.get_ref()
                .parse::<Threshold>()
                .map_err(|e| (t.span(), format!("{key}: {e}")))
        })
        .collect()
}

fn priority(key: &str, v: &Option<Spanned<toml::Value>>, default: u8) -> Result<u8, SpanError> {
    let Some(v) = v else { return Ok(default) };
    let text = match v.get_ref() {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        other => other.to_string(),
    };
    parse_priority(&text).map_err(|e| (v.span(), format!("{key}: {e}")))
}

/// An `http(s)://` URL without whitespace or control characters.
pub fn validate_url(u: &str) -> Result<(), String> {
    let ok_scheme = u.starts_with("https://") || u.starts_with("http://");
    if !ok_scheme {
        return Err("use an http:// or https:// URL".to_owned());
    }
    if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a URL cannot contain spaces or control characters".to_owned());
    }
    if u.len() > 2048 {
        return Err("a URL is at most 2048 bytes".to_owned());
    }
    let rest = u.split_once("://").map_or("", |(_, r)| r);
    if rest.is_empty() || rest.starts_with('/') {
        return Err("the URL names no server".to_owned());
    }
    Ok(())
}

/// An ntfy topic, as ntfy accepts it: 1 to 64 letters, digits, '-' or '_'.
pub fn validate_topic(t: &str) -> Result<(), String> {
    if !t.is_empty()
        && t.len() <= 64
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(())
    } else {
        Err("an ntfy topic is 1 to 64 letters, digits, '-' or '_'".to_owned())
    }
}

impl RawMonitor {
    pub(crate) fn into_config(self) -> Result<MonitorConfig, SpanError> {
        let mut c = MonitorConfig::default();
        let p = &mut c.policy;
        if let Some(hosts) = &self.hosts {
            let mut names = Vec::new();
            for h in hosts {
                let name = h.get_ref();
                if name != "local" {
                    crate::validate::validate_host_name(name)
                        .or_else(|_| crate::validate::validate_ssh_target(name))
                        .map_err(|e| (h.span(), format!("monitor.hosts {name:?}: {e}")))?;
                }
                names.push(name.clone());
            }
            c.hosts = Some(names);
        }
        if let Some(n) = &self.unreachable_after {
            let v = *n.get_ref();
            if !(1..=1000).contains(&v) {
                return Err((
                    n.span(),
                    format!("monitor.unreachable_after {v}: use a number of runs from 1 to 1000"),
                ));
            }
            p.unreachable_after = v as u32;
        }
        p.remind_expired_ms = reminder(
            "monitor.remind_expired",
            &self.remind_expired,
            p.remind_expired_ms,
        )?;
        p.remind_expiring_ms = reminder(
            "monitor.remind_expiring",
            &self.remind_expiring,
            p.remind_expiring_ms,
        )?;
        p.remind_unreachable_ms = reminder(
            "monitor.remind_unreachable",
            &self.remind_unreachable,
            p.remind_unreachable_ms,
        )?;
        if let Some(s) = &self.state_file {
            crate::validate::validate_remote_path(s.get_ref()).map_err(|e| {
                (
                    s.span(),
                    format!("monitor.state_file {:?}: {e}", s.get_ref()),
                )
            })?;
            c.state_file = Some(Utf8PathBuf::from(s.get_ref()));
        }
        if let Some(t) = &self.thresholds {
            let d = Thresholds::default();
            let th = &mut p.thresholds;
            th.oauth = thresholds("monitor.thresholds.oauth", &t.oauth, &d.oauth)?;
            th.token = thresholds("monitor.thresholds.token", &t.token, &d.token)?;
            th.setup_token = thresholds(
                "monitor.thresholds.setup_token",
                &t.setup_token,
                &d.setup_token,
            )?;
            th.api_key = thresholds("monitor.thresholds.api_key", &t.api_key, &d.api_key)?;
            if let Some(l) = &t.long_lived {
                th.long_lived_ms = duration("monitor.thresholds.long_lived", l)?;
            }
        }
        if let Some(pr) = &self.priority {
            let d = Priorities::default();
            p.priorities = Priorities {
                expired: priority("monitor.priority.expired", &pr.expired, d.expired)?,
                expiring: priority("monitor.priority.expiring", &pr.expiring, d.expiring)?,
                notice: priority("monitor.priority.notice", &pr.notice, d.notice)?,
                unreachable: priority(
                    "monitor.priority.unreachable",
                    &pr.unreachable,
                    d.unreachable,
                )?,
                recovered: priority("monitor.priority.recovered", &pr.recovered, d.recovered)?,
            };
        }
        if let Some(n) = &self.ntfy {
            let server = match &n.server {
                Some(s) => {
                    validate_url(s.get_ref()).map_err(|e| {
                        (
                            s.span(),
                            format!("monitor.ntfy.server {:?}: {e}", s.get_ref()),
                        )
                    })?;
                    s.get_ref().trim_end_matches('/').to_owned()
                }
                None => "https://ntfy.sh".to_owned(),
            };
            validate_topic(n.topic.get_ref()).map_err(|e| {
                (
                    n.topic.span(),
                    format!("monitor.ntfy.topic {:?}: {e}", n.topic.get_ref()),
                )
            })?;
            let token_file = match &n.token_file {
                Some(f) => {
                    crate::validate::validate_remote_path(f.get_ref()).map_err(|e| {
                        (
                            f.span(),
                            format!("monitor.ntfy.token_file {:?}: {e}", f.get_ref()),
                        )
                    })?;
                    Some(Utf8PathBuf::from(f.get_ref()))
                }
                None => None,
            };
            let timeout_ms = match &n.timeout {
                Some(t) => duration("monitor.ntfy.timeout", t)?,
                None => 10_000,
            };
            c.ntfy = Some(NtfyConfig {
                server,
                topic: n.topic.get_ref().clone(),
                token_file,
                timeout_ms,
            });
        }
        if let Some(cmd) = &self.command {
            let prog = cmd.program.get_ref();
            crate::validate::validate_remote_path(prog).map_err(|e| {
                (
                    cmd.program.span(),
                    format!("monitor.command.program {prog:?}: {e}"),
                )
            })?;
            if cmd.args.iter().any(|a| a.contains('\0')) {
                return Err((
                    cmd.program.span(),
                    "monitor.command.args: an argument cannot contain NUL".to_owned(),
                ));
            }
            let timeout_ms = match &cmd.timeout {
                Some(t) => duration("monitor.command.timeout", t)?,
                None => 30_000,
            };
            c.command = Some(CommandConfig {
                program: Utf8PathBuf::from(prog),
                args: cmd.args.clone(),
                timeout_ms,
            });
        }
        if let Some(t) = &self.termux {
            c.termux = match t.enabled.get_ref() {
                toml::Value::Boolean(true) => TermuxSetting::On,
                toml::Value::Boolean(false) => TermuxSetting::Off,
                toml::Value::String(s) if s == "auto" => TermuxSetting::Auto,
                other => {
                    return Err((
                        t.enabled.span(),
                        format!("monitor.termux.enabled {other}: use true, false or \"auto\""),
                    ));
                }
            };
        }
        if let Some(h) = &self.heartbeat {
            validate_url(h.url.get_ref())
                .map_err(|e| (h.url.span(), format!("monitor.heartbeat.url: {e}")))?;
            let timeout_ms = match &h.timeout {
                Some(t) => duration("monitor.heartbeat.timeout", t)?,
                None => 10_000,
            };
            c.heartbeat = Some(HeartbeatConfig {
                url: h.url.get_ref().trim_end_matches('/').to_owned(),
                timeout_ms,
            });
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<MonitorConfig, String> {
        let raw: RawMonitor = toml::from_str(text).map_err(|e| e.to_string())?;
        raw.into_config().map_err(|(_, m)| m)
    }

    #[test]
    fn defaults_follow_openclaw_and_the_issue() {
        let c = parse("").expect("empty");
        assert_eq!(c.policy, Policy::default());
        assert_eq!(c.policy.thresholds.setup_token.len(), 3);
        assert_eq!(c.policy.unreachable_after, 2);
        assert_eq!(c.policy.remind_expired_ms, Some(HOUR));
        assert_eq!(c.policy.remind_expiring_ms, Some(6 * HOUR));
    }

    #[test]
    fn thresholds_take_durations_and_shares() {
        let c = parse(
            "[thresholds]\noauth = [\"48h\", \"10%\"]\nsetup_token = []\nlong_lived = \"90d\"\n[priority]\nnotice = 2\nexpired = \"max\"\n",
        )
        .expect("parse");
        let t = &c.policy.thresholds;
        assert_eq!(
            t.oauth,
            vec![Threshold::Before(2 * DAY), Threshold::Share(1000)]
        );
        assert!(t.setup_token.is_empty());
        assert_eq!(t.long_lived_ms, 90 * DAY);
        assert_eq!(c.policy.priorities.notice, 2);
        assert_eq!(c.policy.priorities.expired, 5);
        assert_eq!(Threshold::Share(1000).resolve(Some(10 * DAY)), Some(DAY));
        assert_eq!(Threshold::Share(1000).resolve(None), None);
        assert_eq!(Threshold::Share(1250).describe(), "12.50%");
    }

    #[test]
    fn bad_values_name_the_key() {
        for (text, needle) in [
            (
                "[thresholds]\noauth = [\"soon\"]",
                "monitor.thresholds.oauth",
            ),
            ("[thresholds]\noauth = [\"120%\"]", "between 0% and 100%"),
            ("unreachable_after = 0", "monitor.unreachable_after"),
            ("remind_expired = \"-1h\"", "monitor.remind_expired"),
            ("[priority]\nexpired = \"loud\"", "not a priority"),
            ("[ntfy]\ntopic = \"a b\"", "monitor.ntfy.topic"),
            (
                "[ntfy]\ntopic = \"t\"\nserver = \"ftp://x\"",
                "http:// or https://",
            ),
            (
                "[heartbeat]\nurl = \"https://hc ping\"",
                "monitor.heartbeat.url",
            ),
            ("[termux]\nenabled = 3", "true, false or \"auto\""),
            ("hosts = [\"gw; rm -rf /\"]", "monitor.hosts"),
        ] {
            let e = parse(text).expect_err(text);
            assert!(e.contains(needle), "{text}: {e}");
        }
        assert!(
            parse("remind_expiring = \"off\"")
                .expect("off")
                .policy
                .remind_expiring_ms
                .is_none()
        );
        assert!(parse("typo = 1").is_err());
    }
}
