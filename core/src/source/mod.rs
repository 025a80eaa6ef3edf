//! The sources that produce a [`Report`] for a gateway, and the status check that picks among
//! them (DESIGN.md §Core 6): `direct` reads the store and applies the health rules (milliseconds,
//! no Node.js); `cli` runs `openclaw models status --json --check`; `auto` uses direct and asks
//! the CLI only for agents whose verdict needs it.

pub mod cli;
pub mod direct;
pub mod remote;

use std::time::Duration;

use camino::Utf8PathBuf;
use chrono::{DateTime, Utc};

use crate::gateway::local::LocalGateway;
use crate::health::ProfileStatus;
use crate::health::profile::status_for_remaining;
use crate::openclaw::credentials::{REFRESH_MARGIN_MS, WARN_MS};
use crate::openclaw::env::Environment;
use crate::openclaw::external::{claude_code_dir, codex_auth_path, read_claude_code, read_codex};
use crate::report::{AgentReport, ExternalCredential, Phase, Problem, Report, Verdict};
use crate::time::to_ms;

/// Which source answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceChoice {
    /// Direct, falling back to the CLI for agents whose verdict needs it (when it is found).
    #[default]
    Auto,
    Direct,
    Cli,
}

/// What `clawauth status` was asked.
#[derive(Debug, Clone)]
pub struct StatusRequest {
    pub state_dir: Option<Utf8PathBuf>,
    pub agent: Option<String>,
    pub source: SourceChoice,
    pub openclaw_bin: Option<Utf8PathBuf>,
    /// Evaluate as of this moment instead of now (a forecast).
    pub at: Option<DateTime<Utc>>,
    pub warn_ms: i64,
    pub cli_timeout: Duration,
}

impl Default for StatusRequest {
    fn default() -> Self {
        Self {
            state_dir: None,
            agent: None,
            source: SourceChoice::Auto,
            openclaw_bin: None,
            at: None,
            warn_ms: WARN_MS as i64,
            cli_timeout: Duration::from_secs(30),
        }
    }
}

/// This machine's host name.
pub fn local_host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

fn external_status(expires: Option<i64>, now_ms: i64, warn_ms: i64) -> ProfileStatus {
    expires.map_or(ProfileStatus::Missing, |e| {
        status_for_remaining(
            e.saturating_sub(now_ms),
            warn_ms.max(REFRESH_MARGIN_MS as i64),
        )
    })
}

/// Claude Code's and Codex's own credentials on this host.
pub(crate) fn external_sections(
    env: &Environment,
    now_ms: i64,
    warn_ms: i64,
) -> (Option<ExternalCredential>, Option<ExternalCredential>) {
    let blank = |path: String| ExternalCredential {
        path,
        status: None,
        kind: None,
        expires_at_ms: None,
        remaining_ms: None,
        subscription: None,
        rate_limit_tier: None,
        email: None,
        error: None,
    };
    let claude = match read_claude_code(env) {
        Ok(Some(c)) => Some(ExternalCredential {
            status: Some(external_status(c.expires_at_ms, now_ms, warn_ms)),
            kind: Some(c.kind.to_owned()),
            expires_at_ms: c.expires_at_ms,
            remaining_ms: c.expires_at_ms.map(|e| e.saturating_sub(now_ms)),
            subscription: c.subscription_type,
            rate_limit_tier: c.rate_limit_tier,
            email: c.email,
            ..blank(c.path.to_string())
        }),
        Ok(None) => None,
        Err(e) => Some(ExternalCredential {
            error: Some(e.to_string()),
            ..blank(
                claude_code_dir(env)
                    .map(|d| d.join(".credentials.json").to_string())
                    .unwrap_or_default(),
            )
        }),
    };
    let codex = match read_codex(env) {
        Ok(Some(c)) => Some(ExternalCredential {
            status: Some(if c.has_access_token {
                external_status(c.expires_at_ms, now_ms, warn_ms)
            } else if c.has_api_key {
                ProfileStatus::Static
            } else {
                ProfileStatus::Missing
            }),
            kind: c.auth_mode.clone(),
            expires_at_ms: c.expires_at_ms,
            remaining_ms: c.expires_at_ms.map(|e| e.saturating_sub(now_ms)),
            subscription: c.plan,
            email: c.email,
            ..blank(c.path.to_string())
        }),
        Ok(None) => None,
        Err(e) => Some(ExternalCredential {
            error: Some(e.to_string()),
            ..blank(
                codex_auth_path(env)
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            )
        }),
    };
    (claude, codex)
}

/// Checks the gateway on this machine. The reading and evaluating run on a blocking thread, so
/// a slow disk or a huge state never stalls the async threads and a deadline around this future
/// ([`status_within`]) holds.
pub async fn status(env: &Environment, req: &StatusRequest, taken_at: DateTime<Utc>) -> Report {
    let (env_owned, req_owned) = (env.clone(), req.clone());
    let planned =
        tokio::task::spawn_blocking(move || read_and_evaluate(&env_owned, &req_owned, taken_at))
            .await;
    let plan = match planned {
        Ok(plan) => plan,
        Err(e) => {
            let as_of = req.at.unwrap_or(taken_at);
            let mut report = Report::new(local_host_name(), taken_at, as_of, req.warn_ms);
            report
                .errors
                .push(format!("reading the state failed unexpectedly: {e}"));
            report.finish();
            return report;
        }
    };
    let (mut report, jobs, merge) = match plan {
        Plan::Done(report) => return report,
        Plan::Cli {
            report,
            jobs,
            merge,
        } => (report, jobs, merge),
    };
    let now_ms = to_ms(req.at.unwrap_or(taken_at));
    let reclassify = cli::Reclassify::when(req.at, now_ms, req.warn_ms);
    let answers = run_cli_for(env, req, &jobs, reclassify).await;
    match merge {
        Merge::Unreadable(e) => {
            report.agents = answers;
            for a in &mut report.agents {
                a.notes.push(format!("direct read failed: {e}"));
            }
            if report.agents.iter().all(|a| a.cli.is_none()) {
                report.fail(Problem::NeedsOpenclawCli { reason: e.clone() }, e);
            }
        }
        Merge::Replace => report.agents = answers,
        Merge::Fill(slots) => {
            for (i, mut answer) in slots.into_iter().zip(answers) {
                let direct = &report.agents[i];
                if answer.cli.is_none() {
                    // No CLI answer: keep the direct section, say why it stays unknown.
                    let mut kept = direct.clone();
                    kept.notes.extend(answer.notes);
                    report.agents[i] = kept;
                    continue;
                }
                answer.notes.extend(
                    direct
                        .needs_cli
                        .iter()
                        .map(|r| format!("direct rules could not decide: {r}")),
                );
                answer.notes.extend(direct.notes.iter().cloned());
                report.agents[i] = answer;
            }
        }
    }
    report.finish();
    report
}

/// [`status`] within `deadline`: a check that does not finish in time is `unknown` (exit 3),
/// saying so, instead of holding up the caller.
pub async fn status_within(
    env: &Environment,
    req: &StatusRequest,
    taken_at: DateTime<Utc>,
    deadline: Duration,
) -> Report {
    match tokio::time::timeout(deadline, status(env, req, taken_at)).await {
        Ok(report) => report,
        Err(_) => {
            let as_of = req.at.unwrap_or(taken_at);
            let mut report = Report::new(local_host_name(), taken_at, as_of, req.warn_ms);
            report.fail(
                Problem::timed_out(Phase::Deadline, deadline),
                format!(
                    "the check did not finish within the {}s deadline",
                    deadline.as_secs_f32()
                ),
            );
            report.finish();
            report
        }
    }
}

/// What the blocking part of [`status`] leaves for the CLI.
enum Plan {
    Done(Report),
    /// Ask the CLI, once per job `(--agent value, agent name)`, and merge its answers.
    Cli {
        report: Report,
        jobs: Vec<(Option<String>, String)>,
        merge: Merge,
    },
}

enum Merge {
    /// The direct read failed with this error: the CLI's answers are the agents.
    Unreadable(String),
    /// `--source cli`: the CLI's answers are the agents.
    Replace,
    /// The CLI decides these agents (indexes into the report's agents), in job order.
    Fill(Vec<usize>),
}

/// Everything of [`status`] that reads files and evaluates: blocking work.
fn read_and_evaluate(env: &Environment, req: &StatusRequest, taken_at: DateTime<Utc>) -> Plan {
    let as_of = req.at.unwrap_or(taken_at);
    let now_ms = to_ms(as_of);
    let (claude_code, codex) = external_sections(env, now_ms, req.warn_ms);
    let mut report = Report::new(local_host_name(), taken_at, as_of, req.warn_ms);
    report.claude_code = claude_code;
    report.codex = codex;
    let done = |mut report: Report| {
        report.finish();
        Plan::Done(report)
    };

    let loaded = match direct::load(env, req.state_dir.as_deref()) {
        Ok(l) => {
            report.state_dir = l.layout.state_dir.to_string();
            report.config_path = l.layout.config_path.to_string();
            if let Some(why) = nothing_here(env, &l.layout, req) {
                // The phone, or a machine OpenClaw never ran on: its defaults would only
                // invent routes for a gateway that is not here.
                let problem = Problem::StateUnreadable {
                    path: l.layout.state_dir.to_string(),
                    reason: why.clone(),
                };
                report.fail(problem, why);
                return done(report);
            }
            l
        }
        Err(e) => {
            if req.source == SourceChoice::Direct {
                report.fail(e.problem(), e.to_string());
                return done(report);
            }
            // Let the CLI try what we could not read.
            let agent = req.agent.clone().unwrap_or_else(|| "main".into());
            return Plan::Cli {
                report,
                jobs: vec![(req.agent.clone(), agent)],
                merge: Merge::Unreadable(e.to_string()),
            };
        }
    };
    let targets = direct::targets(&loaded, req.agent.as_deref());
    // A wrong --agent is this command line's mistake: refuse it whatever the source.
    if let Err(f) = &targets
        && matches!(f.code.as_ref(), "UNKNOWN_AGENT" | "INVALID_ARGUMENT")
    {
        report.agents.push(direct::failed_agent(
            req.agent.as_deref().unwrap_or("main"),
            f.clone(),
        ));
        return done(report);
    }
    if req.source == SourceChoice::Cli {
        // The CLI answers for itself, even where clawauth's own reading refuses the config.
        let jobs: Vec<(Option<String>, String)> = match &targets {
            Ok(t) => t
                .iter()
                .map(|(id, explicit)| ((*explicit).then(|| id.clone()), id.clone()))
                .collect(),
            Err(_) => vec![(
                req.agent.clone(),
                req.agent.clone().unwrap_or_else(|| "main".into()),
            )],
        };
        return Plan::Cli {
            report,
            jobs,
            merge: Merge::Replace,
        };
    }
    let targets = match targets {
        Ok(t) => t,
        Err(f) => {
            report.agents.push(direct::failed_agent(
                req.agent.as_deref().unwrap_or("main"),
                f,
            ));
            return done(report);
        }
    };

    let mut slots = Vec::new();
    let mut jobs = Vec::new();
    for (i, (id, explicit)) in targets.iter().enumerate() {
        let job = (explicit.then(|| id.clone()), id.clone());
        match direct::evaluate_agent(&loaded, id, *explicit, now_ms, req.warn_ms) {
            Ok(a) => {
                if a.verdict == Verdict::Unknown && req.source == SourceChoice::Auto {
                    slots.push(i);
                    jobs.push(job);
                }
                report.agents.push(a);
            }
            Err(e) => {
                let mut a = AgentReport::new(id.clone(), crate::report::SourceKind::Direct);
                a.notes.push(format!("cannot read this agent's state: {e}"));
                if req.source == SourceChoice::Auto {
                    slots.push(i);
                    jobs.push(job);
                } else {
                    report.errors.push(format!("agent {id}: {e}"));
                }
                report.agents.push(a);
            }
        }
    }
    if jobs.is_empty() {
        return done(report);
    }
    Plan::Cli {
        report,
        jobs,
        merge: Merge::Fill(slots),
    }
}

/// Why there is no OpenClaw on this machine to check — no state directory, no config, no agent
/// dir and no `openclaw` program — or `None` when any of them is there. Where the program is
/// found, OpenClaw's own verdict on its defaults stands (its `--check` exits 1 on an empty home).
fn nothing_here(
    env: &Environment,
    layout: &crate::openclaw::layout::Layout,
    req: &StatusRequest,
) -> Option<String> {
    let agent_dir = layout
        .env_agent_dir
        .as_deref()
        .is_some_and(crate::openclaw::files::exists);
    if layout.state_exists()
        || agent_dir
        || cli::find_openclaw(env, req.openclaw_bin.as_deref()).is_some()
    {
        return None;
    }
    Some(format!(
        "{}: no state directory {}, no config {} and no openclaw program (not on PATH, \
         not in ~/.npm-global/bin or the other usual places, $OPENCLAW_BIN not set)",
        crate::report::NO_OPENCLAW_HERE,
        layout.state_dir,
        layout.config_path
    ))
}

/// Runs the CLI once per job `(--agent value, agent name)`, concurrently.
async fn run_cli_for(
    env: &Environment,
    req: &StatusRequest,
    jobs: &[(Option<String>, String)],
    reclassify: Option<cli::Reclassify>,
) -> Vec<AgentReport> {
    let Some(program) = cli::find_openclaw(env, req.openclaw_bin.as_deref()) else {
        return jobs
            .iter()
            .map(|(_, name)| {
                let mut a = AgentReport::new(name.clone(), crate::report::SourceKind::Cli);
                a.notes
                    .push("the OpenClaw CLI was not found on PATH".to_owned());
                a.needs_cli.push("openclaw not found".to_owned());
                a
            })
            .collect();
    };
    let gw = LocalGateway::new(local_host_name(), env.clone());
    let program = program.to_string();
    let runs = jobs.iter().map(|(flag, name)| {
        let cmd = cli::command(
            &program,
            req.state_dir.as_ref().map(|d| d.as_str()),
            flag.as_deref(),
        );
        let (gw, program) = (&gw, &program);
        async move {
            match cli::run(gw, &cmd, program, req.cli_timeout).await {
                Ok(o) => cli::agent_report(name, &o, reclassify),
                Err(e) => {
                    let mut a = AgentReport::new(name.clone(), crate::report::SourceKind::Cli);
                    a.notes.push(e.to_string());
                    a.needs_cli.push(e.to_string());
                    a
                }
            }
        }
    });
    futures_util::future::join_all(runs).await
}
