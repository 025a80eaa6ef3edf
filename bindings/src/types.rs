//! The plain data that crosses to Kotlin: records and enums copied out of the core's types
//! (which stay free of FFI derives), each owning its strings.

use clawauth_core::actions::outcome::Outcome as CoreOutcome;
use clawauth_core::monitor::observe::Level as CoreLevel;
use clawauth_core::reauth::Method as CoreMethod;
use clawauth_core::report::{
    self, Phase as CorePhase, Problem as CoreProblem, Verdict as CoreVerdict,
};
use clawauth_core::tap::Glance as CoreGlance;

/// The app's directories. Everything clawauth keeps lives under them; nothing is read from the
/// process's HOME.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AppDirs {
    /// Private files: `.ssh/known_hosts` (the trusted host keys) lives here.
    pub files_dir: String,
    /// Where config.toml (the hosts) is kept.
    pub config_dir: String,
    /// Where each host's last good check is kept.
    pub cache_dir: String,
}

/// The verdict, with `openclaw models status --check`'s exit codes plus 3 for unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Verdict {
    Ok,
    Expiring,
    Expired,
    Unknown,
}

impl From<CoreVerdict> for Verdict {
    fn from(v: CoreVerdict) -> Self {
        match v {
            CoreVerdict::Ok => Self::Ok,
            CoreVerdict::Expiring => Self::Expiring,
            CoreVerdict::Expired => Self::Expired,
            CoreVerdict::Unknown => Self::Unknown,
        }
    }
}

/// How bad a gateway's state is, at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Level {
    Ok,
    Expiring,
    Expired,
    Missing,
    Unreachable,
}

impl From<CoreLevel> for Level {
    fn from(l: CoreLevel) -> Self {
        match l {
            CoreLevel::Ok => Self::Ok,
            CoreLevel::Expiring => Self::Expiring,
            CoreLevel::Expired => Self::Expired,
            CoreLevel::Missing => Self::Missing,
            CoreLevel::Unreachable => Self::Unreachable,
        }
    }
}

/// How a credential is renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Method {
    /// `claude setup-token` (Anthropic): a browser sign-in, then a code.
    SetupToken,
    /// A new API key, pasted.
    ApiKey,
    /// The provider's login flow (`openclaw models auth login`).
    Login,
}

impl From<CoreMethod> for Method {
    fn from(m: CoreMethod) -> Self {
        match m {
            CoreMethod::SetupToken => Self::SetupToken,
            CoreMethod::ApiKey => Self::ApiKey,
            CoreMethod::Login => Self::Login,
        }
    }
}

impl From<Method> for CoreMethod {
    fn from(m: Method) -> Self {
        match m {
            Method::SetupToken => Self::SetupToken,
            Method::ApiKey => Self::ApiKey,
            Method::Login => Self::Login,
        }
    }
}

/// Which part of a check ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Phase {
    Connect,
    Command,
    Deadline,
}

impl From<CorePhase> for Phase {
    fn from(p: CorePhase) -> Self {
        match p {
            CorePhase::Connect => Self::Connect,
            CorePhase::Command => Self::Command,
            CorePhase::Deadline => Self::Deadline,
        }
    }
}

/// What stopped a check, as data (the core's [`report::Problem`]).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Problem {
    HostKeyUnknown {
        host: String,
        key_type: String,
        fingerprint: String,
    },
    HostKeyChanged {
        host: String,
        stored: String,
        offered: String,
        known_hosts: String,
        line: u64,
    },
    HostKeyRevoked {
        host: String,
        fingerprint: String,
    },
    NoKey {
        user: String,
        host: String,
    },
    KeyNeedsPassphrase {
        keys: Vec<String>,
    },
    KeysRefused {
        user: String,
        host: String,
        offered: Vec<String>,
    },
    CannotResolve {
        host: String,
        reason: String,
    },
    CannotConnect {
        address: String,
        reason: String,
    },
    TimedOut {
        phase: Phase,
        after_ms: u64,
    },
    GatewayCommandFailed {
        reason: String,
    },
    StateUnreadable {
        path: String,
        reason: String,
    },
    NeedsOpenclawCli {
        reason: String,
    },
    InvalidInput {
        reason: String,
    },
    Other {
        reason: String,
    },
}

impl From<CoreProblem> for Problem {
    fn from(p: CoreProblem) -> Self {
        match p {
            CoreProblem::HostKeyUnknown {
                host,
                key_type,
                fingerprint,
            } => Self::HostKeyUnknown {
                host,
                key_type,
                fingerprint,
            },
            CoreProblem::HostKeyChanged {
                host,
                stored,
                offered,
                known_hosts,
                line,
            } => Self::HostKeyChanged {
                host,
                stored,
                offered,
                known_hosts,
                line,
            },
            CoreProblem::HostKeyRevoked { host, fingerprint } => {
                Self::HostKeyRevoked { host, fingerprint }
            }
            CoreProblem::NoKey { user, host } => Self::NoKey { user, host },
            CoreProblem::KeyNeedsPassphrase { keys } => Self::KeyNeedsPassphrase { keys },
            CoreProblem::KeysRefused {
                user,
                host,
                offered,
            } => Self::KeysRefused {
                user,
                host,
                offered,
            },
            CoreProblem::CannotResolve { host, reason } => Self::CannotResolve { host, reason },
            CoreProblem::CannotConnect { address, reason } => {
                Self::CannotConnect { address, reason }
            }
            CoreProblem::TimedOut { phase, after_ms } => Self::TimedOut {
                phase: phase.into(),
                after_ms,
            },
            CoreProblem::GatewayCommandFailed { reason } => Self::GatewayCommandFailed { reason },
            CoreProblem::StateUnreadable { path, reason } => Self::StateUnreadable { path, reason },
            CoreProblem::NeedsOpenclawCli { reason } => Self::NeedsOpenclawCli { reason },
            CoreProblem::InvalidInput { reason } => Self::InvalidInput { reason },
            CoreProblem::Other { reason } => Self::Other { reason },
        }
    }
}

/// The credential a glance is about.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Subject {
    pub provider: String,
    pub profile_id: Option<String>,
    pub agent: Option<String>,
    pub remaining_ms: Option<i64>,
    pub method: Method,
}

/// A check at a glance: what a widget cell or a notification shows.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Glance {
    pub host: String,
    pub level: Level,
    /// One line (`gw: Auth OK · 6d 4h left`); outside text in it is made visible.
    pub headline: String,
    /// A few lines: which credential, what it serves, the fix.
    pub detail: String,
    pub subject: Option<Subject>,
    /// The provider's page that renews it (an API key page), if any.
    pub page: Option<String>,
    pub exit_code: i32,
}

impl From<CoreGlance> for Glance {
    fn from(g: CoreGlance) -> Self {
        Self {
            host: g.host,
            level: g.level.into(),
            headline: g.headline,
            detail: g.detail,
            subject: g.subject.map(|s| Subject {
                provider: s.provider,
                profile_id: s.profile_id,
                agent: s.agent,
                remaining_ms: s.remaining_ms,
                method: s.method.into(),
            }),
            page: g.page,
            exit_code: g.exit_code,
        }
    }
}

/// One model route of an agent and what serves it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Route {
    pub agent: String,
    /// `primary`, `fallback`, `image`, …
    pub kind: String,
    pub model: String,
    pub provider: String,
    /// ok, expiring, needs-cli, indeterminate, missing, incompatible.
    pub outcome: String,
    /// The profile that serves it.
    pub profile: Option<String>,
    pub detail: String,
}

/// One stored credential (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Profile {
    pub agent: String,
    pub profile_id: String,
    pub provider: String,
    /// oauth, token, api_key.
    pub kind: String,
    /// ok, static, expiring, expired, missing.
    pub status: String,
    pub expires_at_ms: Option<i64>,
    pub remaining_ms: Option<i64>,
    /// OpenClaw's label (`id (email)`).
    pub label: String,
}

/// Re-authenticate `provider` now? (The widget's tap on a red or amber cell.)
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReauthOffer {
    pub provider: String,
    pub method: Method,
    /// Already stopped working (expired, missing), not just expiring.
    pub lapsed: bool,
}

/// A host's last good check, shown when the gateway cannot be read now.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LastGood {
    pub kept_at_ms: i64,
    /// How long before this check it was taken.
    pub age_ms: i64,
    pub verdict: Verdict,
    pub headline: String,
}

/// Everything a check found.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CheckResult {
    pub glance: Glance,
    pub verdict: Verdict,
    pub exit_code: i32,
    pub taken_at_ms: i64,
    pub routes: Vec<Route>,
    pub profiles: Vec<Profile>,
    /// What stopped the check (empty when the gateway was read).
    pub problems: Vec<Problem>,
    /// The last good check, when this one could not read the gateway.
    pub last_good: Option<LastGood>,
    /// What the guided flow offers (a re-auth of the credential that decides), if anything.
    pub offer: Option<ReauthOffer>,
    /// The Report as JSON, schema 1 (as `clawauth status --format json`).
    pub json: String,
}

impl From<&report::Report> for CheckResult {
    fn from(r: &report::Report) -> Self {
        let glance = clawauth_core::tap::glance(r, r.remote_host().is_some());
        let offer = clawauth_core::tap::offer(&glance).map(|o| ReauthOffer {
            provider: o.provider,
            method: o.method.into(),
            lapsed: o.lapsed,
        });
        let routes = r
            .agents
            .iter()
            .flat_map(|a| {
                a.routes.iter().map(|rt| Route {
                    agent: a.agent.clone(),
                    kind: serde_json::to_value(rt.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    model: rt.model.clone(),
                    provider: rt.provider.clone(),
                    outcome: rt.outcome.as_str().to_owned(),
                    profile: rt.profile.clone(),
                    detail: rt.detail.clone(),
                })
            })
            .collect();
        let profiles = r
            .agents
            .iter()
            .flat_map(|a| {
                a.profiles.iter().map(|p| Profile {
                    agent: a.agent.clone(),
                    profile_id: p.profile_id.clone(),
                    provider: p.provider.clone(),
                    kind: serde_json::to_value(p.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    status: p.status.as_str().to_owned(),
                    expires_at_ms: p.expires_at_ms,
                    remaining_ms: p.remaining_ms,
                    label: p.label.clone(),
                })
            })
            .collect();
        Self {
            glance: glance.into(),
            verdict: r.verdict.into(),
            exit_code: r.exit_code,
            taken_at_ms: r.taken_at.timestamp_millis(),
            routes,
            profiles,
            problems: r.problems.iter().cloned().map(Problem::from).collect(),
            last_good: r.last_good.as_ref().map(|l| LastGood {
                kept_at_ms: l.kept_at.timestamp_millis(),
                age_ms: l.age_ms,
                verdict: l.verdict.into(),
                headline: l.headline.clone(),
            }),
            json: r.to_json(),
            offer,
        }
    }
}

/// What a finished repair (sync, paste, re-auth) comes to.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Outcome {
    /// Whether it did what it was for.
    pub done: bool,
    pub level: Level,
    pub headline: String,
    /// The profile written.
    pub profile_id: Option<String>,
    pub new_expires_at_ms: Option<i64>,
    pub exit_code: i32,
    /// The whole result as JSON (as the CLI's `--format json`).
    pub json: String,
}

impl Outcome {
    pub(crate) fn of<T: serde::Serialize>(o: CoreOutcome, whole: &T) -> Self {
        Self {
            done: o.done,
            level: o.level.into(),
            headline: o.headline,
            profile_id: o.profile_id,
            new_expires_at_ms: o.new_expires_at_ms,
            exit_code: o.exit_code,
            json: clawauth_core::display::to_json_pretty(whole).unwrap_or_default(),
        }
    }
}

/// A configured gateway.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Host {
    pub name: String,
    /// `user@host:port` (or `user@host`, `host`).
    pub ssh: String,
    pub agent: Option<String>,
}

/// Whether the host key a gateway offers is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HostKeyState {
    /// known_hosts lists it.
    Trusted,
    /// known_hosts has no key for the gateway yet.
    Unknown,
    /// known_hosts holds a different key.
    Changed,
    Revoked,
}

/// The host key a gateway offers, for the person to compare before trusting it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OfferedHostKey {
    pub host: String,
    pub key_type: String,
    /// `SHA256:…`, as `ssh-keygen -lf` prints it on the gateway.
    pub fingerprint: String,
    pub state: HostKeyState,
    /// The stored key's fingerprint when it changed.
    pub stored_fingerprint: Option<String>,
}

/// An app key as the gateway's authorized_keys holds it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuthorizedKey {
    /// `ecdsa-sha2-nistp256 AAAA… comment`
    pub line: String,
    /// `SHA256:…`, as sshd logs an accepted key.
    pub fingerprint: String,
}

/// What the monitor's policy says about a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NoticeKind {
    /// Fine (or never noticed) before, bad now.
    Problem,
    /// Worse than last noticed.
    Worse,
    /// Still bad, but better than last noticed.
    Better,
    /// Unchanged and still bad (never in the app's changes-only form).
    Reminder,
    /// Fine again.
    Recovered,
}

impl From<clawauth_core::monitor::decide::Kind> for NoticeKind {
    fn from(k: clawauth_core::monitor::decide::Kind) -> Self {
        use clawauth_core::monitor::decide::Kind as K;
        match k {
            K::Problem => Self::Problem,
            K::Worse => Self::Worse,
            K::Better => Self::Better,
            K::Reminder => Self::Reminder,
            K::Recovered => Self::Recovered,
        }
    }
}

/// A notification to post: the monitor's alert, worded for any front end.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Notice {
    pub host: String,
    pub kind: NoticeKind,
    pub level: Level,
    /// One line (`gw: Anthropic token expired`); outside text in it is made visible.
    pub title: String,
    /// A few plain lines: what, since when, what it serves.
    pub text: String,
    /// 1 (min) … 5 (urgent).
    pub priority: u8,
    /// `clawauth://reauth?host=…` when a re-auth fixes it.
    pub click: Option<String>,
    /// Stable per subject: a later notice about the same credential replaces this one.
    pub sequence_id: String,
}

impl From<clawauth_core::monitor::message::Message> for Notice {
    fn from(m: clawauth_core::monitor::message::Message) -> Self {
        Self {
            host: m.host,
            kind: m.kind.into(),
            level: m.level.into(),
            title: m.title,
            text: m.text,
            priority: m.priority,
            click: m.click,
            sequence_id: m.sequence_id,
        }
    }
}

/// A check and the notices it gave rise to ([`crate::Clawauth::watch`]).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Watched {
    pub result: CheckResult,
    /// Empty when nothing changed since the last notice.
    pub notices: Vec<Notice>,
}

/// What `hostsInstall` did: clawauth put on the gateway (or found there already, up to date).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InstallResult {
    pub host: String,
    /// Where it is on the gateway (`~/…` kept), as now recorded for the host.
    pub path: String,
    /// `aarch64` or `x86_64`: the gateway's, and the binary's.
    pub arch: String,
    /// The version the installed clawauth reports.
    pub version: String,
    /// The version it replaced, if one was there.
    pub previous: Option<String>,
    /// False when it was up to date and nothing was written.
    pub changed: bool,
    pub bytes: u64,
    /// SHA-256 of what was sent, lowercase hex (checked on the gateway).
    pub sha256: String,
}
