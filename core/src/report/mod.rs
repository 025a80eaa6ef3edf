//! The one `Report` every source produces, and its renderers (human, JSON schema 1, simple).
//!
//! A Report never holds a secret: profile labels are OpenClaw's own (`id (email)`), and the
//! only credential material is OpenClaw's masked form, which the JSON does not even carry.

pub mod fix;
pub mod human;
pub mod problem;
pub mod simple;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::health::evaluate::{ProviderRollup, UnusableProfile};
use crate::health::{ProfileHealth, ProfileStatus, RouteOutcome, RouteResult};
use crate::openclaw::store::{OpenClawFailure, StoreFlavor};

/// How the error of a local check on a machine without OpenClaw starts (no state, no config,
/// no `openclaw` program): the phone, or a host OpenClaw was never installed on.
pub const NO_OPENCLAW_HERE: &str = "no OpenClaw on this machine";
pub use fix::{FixCommand, Renewal, RunsOn};
pub use problem::{Phase, Problem};

/// The version of the JSON document (`"schema": 1`). Bumped only for breaking changes;
/// fields may be added within a version.
pub const SCHEMA_VERSION: u32 = 1;

/// The verdict, with `openclaw models status --check`'s exit codes plus clawauth's 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Exit 0: every route has a working credential outside the warn window.
    Ok,
    /// Exit 2: a route's credential expires within the warn window.
    Expiring,
    /// Exit 1: a route's credential is expired, missing or unusable, or OpenClaw itself fails.
    Expired,
    /// Exit 3: the state could not be read, or only the OpenClaw CLI could tell and it did not.
    Unknown,
}

impl Verdict {
    pub fn exit_code(self) -> i32 {
        match self {
            Self::Ok => 0,
            Self::Expired => 1,
            Self::Expiring => 2,
            Self::Unknown => 3,
        }
    }

    pub fn from_exit_code(code: i32) -> Self {
        match code {
            0 => Self::Ok,
            2 => Self::Expiring,
            1 => Self::Expired,
            _ => Self::Unknown,
        }
    }

    /// Severity order: unknown > expired > expiring > ok.
    fn rank(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Expiring => 1,
            Self::Expired => 2,
            Self::Unknown => 3,
        }
    }

    pub fn worst(a: Self, b: Self) -> Self {
        if a.rank() >= b.rank() { a } else { b }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Expiring => "expiring",
            Self::Expired => "expired",
            Self::Unknown => "unknown",
        }
    }
}

/// Which source produced an agent's section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// OpenClaw's store read directly and evaluated by clawauth's rules.
    Direct,
    /// `openclaw models status --json --check`.
    Cli,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Cli => "cli",
        }
    }
}

/// The model settings the routes come from.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct ModelSettings {
    pub default_model: Option<String>,
    pub fallbacks: Vec<String>,
    pub image_model: Option<String>,
    pub image_fallbacks: Vec<String>,
    pub utility_model: Option<String>,
    pub utility_source: Option<String>,
}

/// How the OpenClaw CLI run went (source `cli`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CliRun {
    pub program: String,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
}

/// One agent's part of the report.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct AgentReport {
    pub agent: String,
    pub source: SourceKind,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_dir: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_format: Option<StoreFlavor>,
    pub models: ModelSettings,
    pub routes: Vec<RouteResult>,
    pub profiles: Vec<ProfileHealth>,
    pub providers: Vec<ProviderRollup>,
    pub unusable_profiles: Vec<UnusableProfile>,
    /// OpenClaw itself refuses to evaluate (its `--check` exits 1 with this message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openclaw_error: Option<OpenClawFailure>,
    /// Why the direct rules could not decide (only the OpenClaw CLI knows).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs_cli: Vec<String>,
    /// Things worth knowing that do not change the verdict.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cli: Option<CliRun>,
}

impl AgentReport {
    pub fn new(agent: impl Into<String>, source: SourceKind) -> Self {
        Self {
            agent: agent.into(),
            source,
            verdict: Verdict::Unknown,
            agent_dir: None,
            store_path: None,
            store_format: None,
            models: ModelSettings::default(),
            routes: Vec::new(),
            profiles: Vec::new(),
            providers: Vec::new(),
            unusable_profiles: Vec::new(),
            openclaw_error: None,
            needs_cli: Vec::new(),
            notes: Vec::new(),
            cli: None,
        }
    }
}

/// An external CLI's own credential (Claude Code, Codex), which OpenClaw 2026.9 does not watch.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ExternalCredential {
    pub path: String,
    /// `ok`, `expiring`, `expired`, `missing`; `None` when the file could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ProfileStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_tier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A short code from OpenClaw's vocabulary (`cooldown`, `store`, `INVALID_CONFIG`…): a literal
/// when clawauth sets it, owned when read back from a gateway's report. Owned data throughout,
/// so a report can cross to another language and a hostile document cannot pin memory.
pub type Code = std::borrow::Cow<'static, str>;

/// A problem and the exact commands that fix it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Hint {
    pub about: String,
    /// The first of `commands`, as one line to copy (schema 1's field).
    pub command: String,
    /// Every command that fixes it, the one to try first first: over SSH the one to run here
    /// (`clawauth reauth --host gw`), then the one to run on the gateway.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<FixCommand>,
}

impl Hint {
    pub fn new(about: String, commands: Vec<FixCommand>) -> Self {
        Self {
            about,
            command: commands.first().map(|c| c.line.clone()).unwrap_or_default(),
            commands,
        }
    }
}

/// Which source on a remote gateway answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemoteSource {
    /// clawauth installed on the gateway.
    Clawauth,
    /// `openclaw models status --json --check` there.
    OpenclawCli,
    /// The state files read over SSH and evaluated here.
    Files,
    /// None did.
    #[default]
    None,
}

impl RemoteSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clawauth => "clawauth",
            Self::OpenclawCli => "openclaw-cli",
            Self::Files => "files",
            Self::None => "none",
        }
    }
}

/// How a gateway was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Over SSH (`--host`, the widget).
    Ssh,
    /// This machine is the gateway.
    Local,
    /// A word this version does not know (a newer gateway's report).
    #[serde(other)]
    Other,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ssh => "ssh",
            Self::Local => "local",
            Self::Other => "other",
        }
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a remote gateway answered.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Via {
    /// `ssh`.
    pub transport: Transport,
    /// `user@host:port` as connected.
    pub destination: String,
    /// The source that answered.
    pub source: RemoteSource,
    /// TCP connect, key exchange and authentication.
    pub connect_ms: u64,
    /// The gateway's clock minus this machine's (positive: the gateway is ahead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_skew_ms: Option<i64>,
    /// The sources tried before the one that answered, and why each did not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
    /// Settings to fix that did not stop the check (a configured `clawauth` path that does not
    /// exist on the gateway, answered by the next source instead).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Everything clawauth knows about one gateway at one moment.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Report {
    pub schema: u32,
    pub host: String,
    /// When the state was read.
    pub taken_at: DateTime<Utc>,
    /// The moment the verdict is for (`--at`; equals `taken_at` without it).
    pub as_of: DateTime<Utc>,
    pub warn_after_ms: i64,
    pub verdict: Verdict,
    /// The exit code of `clawauth status --check` for this report.
    pub exit_code: i32,
    pub state_dir: String,
    pub config_path: String,
    pub agents: Vec<AgentReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claude_code: Option<ExternalCredential>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codex: Option<ExternalCredential>,
    /// How a remote gateway was reached and which source answered (absent for local checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
    /// What could not be read (each makes the verdict unknown unless noted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// The same failures as data a front end can act on ([`Problem`]), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    #[serde(default)]
    pub hints: Vec<Hint>,
    /// For a gateway that could not be read now: what its last good check said, and when
    /// ([`crate::last_good`]). Set by the front end that keeps them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_good: Option<LastGoodSummary>,
}

/// What a host's last good check said, shown beside a check that could not read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LastGoodSummary {
    /// When it was kept.
    pub kept_at: DateTime<Utc>,
    /// How long before this report's `taken_at`.
    pub age_ms: i64,
    pub verdict: Verdict,
    /// Its headline, as the human report says it (`anthropic:manual expires in 20h`).
    pub headline: String,
}

impl Report {
    /// An empty report for `host`; add agents and errors, then [`Report::finish`].
    pub fn new(
        host: impl Into<String>,
        taken_at: DateTime<Utc>,
        as_of: DateTime<Utc>,
        warn_after_ms: i64,
    ) -> Self {
        Self {
            schema: SCHEMA_VERSION,
            host: host.into(),
            taken_at,
            as_of,
            warn_after_ms,
            verdict: Verdict::Unknown,
            exit_code: Verdict::Unknown.exit_code(),
            state_dir: String::new(),
            config_path: String::new(),
            agents: Vec::new(),
            claude_code: None,
            codex: None,
            via: None,
            errors: Vec::new(),
            problems: Vec::new(),
            hints: Vec::new(),
            last_good: None,
        }
    }

    /// Records a failure: `words` for the report's readers, `problem` for front ends.
    pub fn fail(&mut self, problem: Problem, words: impl Into<String>) {
        self.errors.push(words.into());
        self.problems.push(problem);
    }

    /// The expiry (Unix ms) of profile `id`, in the first agent that lists it.
    pub fn profile_expiry(&self, id: &str) -> Option<i64> {
        self.agents
            .iter()
            .flat_map(|a| &a.profiles)
            .find(|p| p.profile_id == id)
            .and_then(|p| p.expires_at_ms)
    }

    /// Recomputes the overall verdict and exit code from the agents and errors.
    pub fn finish(&mut self) {
        let mut v = if self.agents.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::Ok
        };
        for a in &self.agents {
            v = Verdict::worst(v, a.verdict);
        }
        if !self.errors.is_empty() {
            v = Verdict::Unknown;
            if self.problems.is_empty() {
                // Failures recorded only in words (an older gateway's report) stay data too.
                self.problems = self
                    .errors
                    .iter()
                    .map(|e| Problem::Other { reason: e.clone() })
                    .collect();
            }
        }
        self.verdict = v;
        self.exit_code = v.exit_code();
        self.hints = hints(self);
    }

    /// The name of the gateway for a clawauth command run here (`--host NAME`): the host when
    /// it was reached over SSH, none when this machine is the gateway.
    pub fn remote_host(&self) -> Option<&str> {
        self.via
            .as_ref()
            .filter(|v| v.transport == Transport::Ssh)
            .map(|_| self.host.as_str())
    }

    /// The JSON document (schema 1), with control characters escaped
    /// ([`crate::display::to_json_pretty`]).
    pub fn to_json(&self) -> String {
        crate::display::to_json_pretty(self).unwrap_or_else(|e| {
            format!("{{\"schema\":{SCHEMA_VERSION},\"verdict\":\"unknown\",\"errors\":[\"cannot serialise the report: {e}\"]}}")
        })
    }
}

/// What `clawauth status --host NAME… / --all --format json` prints: one document whatever the
/// number of hosts, the worst verdict on top and each host's [`Report`] in `hosts`.
#[derive(Debug, Clone, Serialize)]
pub struct HostsDocument<'a> {
    pub schema: u32,
    /// The worst verdict of every host (`unknown` when there is none).
    pub verdict: Verdict,
    /// What `--check` exits with.
    pub exit_code: i32,
    pub hosts: &'a [Report],
}

impl<'a> HostsDocument<'a> {
    pub fn new(hosts: &'a [Report]) -> Self {
        let verdict = hosts
            .iter()
            .map(|r| r.verdict)
            .reduce(Verdict::worst)
            .unwrap_or(Verdict::Unknown);
        Self {
            schema: SCHEMA_VERSION,
            verdict,
            exit_code: verdict.exit_code(),
            hosts,
        }
    }

    /// The JSON document (schema 1), control characters escaped.
    pub fn to_json(&self) -> String {
        crate::display::to_json_pretty(self).unwrap_or_else(|e| {
            format!("{{\"schema\":{SCHEMA_VERSION},\"verdict\":\"unknown\",\"exit_code\":3,\"hosts\":[],\"errors\":[\"cannot serialise the report: {e}\"]}}")
        })
    }
}

/// The verdict of one agent's routes.
pub fn verdict_of_routes(routes: &[RouteResult]) -> Verdict {
    if routes.iter().any(|r| r.outcome.fails()) {
        Verdict::Expired
    } else if routes.iter().any(|r| r.outcome == RouteOutcome::NeedsCli) {
        Verdict::Unknown
    } else if routes.iter().any(|r| r.outcome == RouteOutcome::Expiring) {
        Verdict::Expiring
    } else {
        Verdict::Ok
    }
}

/// Hints in order, each once.
#[derive(Default)]
struct Hints {
    out: Vec<Hint>,
    seen: std::collections::HashSet<Hint>,
}

fn push(hints: &mut Hints, about: String, commands: Vec<FixCommand>) {
    let h = Hint::new(about, commands);
    if hints.seen.insert(h.clone()) {
        hints.out.push(h);
    }
}

/// The provider whose credentials serve route `r` (the Claude CLI runtime runs on Anthropic's).
pub fn auth_provider_of(r: &RouteResult) -> &str {
    if r.runtime.as_deref() == Some("claude-cli") {
        "anthropic"
    } else {
        crate::health::env_auth::auth_provider(&r.provider)
    }
}

/// Whether commands for agent `agent` must name it: several agents, or not `main`.
pub fn agent_flag<'a>(report: &Report, agent: &'a str) -> Option<&'a str> {
    (report.agents.len() > 1 || agent != "main").then_some(agent)
}

/// The commands that fix what the report shows, most urgent first: one hint per credential,
/// naming the routes it serves; over SSH each starts with the command to run here.
fn hints(report: &Report) -> Vec<Hint> {
    let mut out = Hints::default();
    let host = report.remote_host();
    for a in &report.agents {
        let agent = agent_flag(report, &a.agent);
        if let Some(e) = &a.openclaw_error {
            push(
                &mut out,
                format!("OpenClaw: {}", e.message),
                vec![FixCommand::advice(RunsOn::Gateway, &e.fix)],
            );
        }
        // Group failing / expiring routes by the credential behind them, in order.
        let mut groups: Vec<Vec<&RouteResult>> = Vec::new();
        let mut group_of: std::collections::HashMap<String, usize> =
            std::collections::HashMap::new();
        for r in a
            .routes
            .iter()
            .filter(|r| r.outcome.fails() || r.outcome == RouteOutcome::Expiring)
        {
            let key = r
                .profile
                .clone()
                .unwrap_or_else(|| format!("{}:{}", r.provider, r.outcome.as_str()));
            match group_of.get(&key) {
                Some(&i) => groups[i].push(r),
                None => {
                    group_of.insert(key, groups.len());
                    groups.push(vec![r]);
                }
            }
        }
        let mut profile_of: std::collections::HashMap<&str, &ProfileHealth> =
            std::collections::HashMap::new();
        for p in &a.profiles {
            profile_of.entry(p.profile_id.as_str()).or_insert(p);
        }
        for routes in groups {
            let r = routes[0];
            let profile = r
                .profile
                .as_deref()
                .and_then(|id| profile_of.get(id).copied());
            let serves = routes
                .iter()
                .map(|r| format!("{} {}", r.kind.as_str(), r.model))
                .collect::<Vec<_>>()
                .join(", ");
            let what = match profile {
                Some(p) => {
                    let when = match p.remaining_ms {
                        Some(ms) => crate::time::expires_in(ms),
                        None => p.status.as_str().to_owned(),
                    };
                    format!("{} ({}) {when} — serves {serves}", p.label, p.kind.as_str())
                }
                None => format!("{serves}: {}", r.detail),
            };
            let renewal = Renewal {
                auth: auth_provider_of(r),
                kind: profile.map(|p| p.kind),
                profile_id: profile.map(|p| p.profile_id.as_str()),
                agent,
            };
            push(&mut out, what, renewal.fixes(host));
        }
        for u in &a.unusable_profiles {
            let provider = u.provider.as_deref().unwrap_or(u.profile_id.as_str());
            push(
                &mut out,
                format!(
                    "{} is in {} ({}) for {}",
                    u.profile_id,
                    u.kind,
                    u.reason.as_deref().unwrap_or("no reason recorded"),
                    crate::time::format_remaining(u.remaining_ms)
                ),
                vec![fix::unusable_fix(
                    provider,
                    &u.profile_id,
                    u.reason.as_deref(),
                    &u.recovery_hint,
                )],
            );
        }
        if a.verdict == Verdict::Unknown && !a.needs_cli.is_empty() {
            let mut argv: Vec<String> = vec!["clawauth".into(), "status".into()];
            if let Some(h) = host {
                argv.extend(["--host".to_owned(), h.to_owned()]);
            }
            argv.extend(["--source".to_owned(), "cli".to_owned()]);
            push(
                &mut out,
                format!(
                    "only the OpenClaw CLI can decide agent {}: {}",
                    a.agent,
                    a.needs_cli.join("; ")
                ),
                vec![FixCommand::of(RunsOn::Here, vec![argv])],
            );
        }
    }
    if report.via.is_none()
        && report
            .errors
            .iter()
            .any(|e| e.starts_with(NO_OPENCLAW_HERE))
    {
        push(
            &mut out,
            "no OpenClaw state on this machine: check a gateway over SSH (add it as a host first), \
             or name the directory of OpenClaw's state if it lives elsewhere"
                .to_owned(),
            vec![FixCommand::of(
                RunsOn::Here,
                vec![
                    ["clawauth", "hosts", "add", "NAME", "--ssh", "user@gateway"]
                        .map(str::to_owned)
                        .to_vec(),
                    ["clawauth", "status", "--host", "NAME"]
                        .map(str::to_owned)
                        .to_vec(),
                ],
            )],
        );
    }
    if let Some(c) = &report.claude_code
        && matches!(
            c.status,
            Some(ProfileStatus::Expired | ProfileStatus::Expiring | ProfileStatus::Missing)
        )
    {
        push(
            &mut out,
            format!(
                "Claude Code's own login ({}) is {}",
                c.path,
                c.status.map_or("unreadable", ProfileStatus::as_str)
            ),
            vec![FixCommand::of(
                RunsOn::Gateway,
                vec![vec!["claude".into(), "setup-token".into()]],
            )],
        );
    }
    out.out
}
