//! Source `direct`: read OpenClaw's state from disk and evaluate it with [`crate::health`].

use camino::{Utf8Path, Utf8PathBuf};
use serde_json::Value;

use crate::error::Result;
use crate::health::bootstrap::{MinimaxLogin, resolve_claude_cli, resolve_minimax_cli};
use crate::health::routes::{Planner, Target};
use crate::health::{AgentInputs, RouteOutcome, evaluate};
use crate::openclaw::agents::{Roster, Selection};
use crate::openclaw::config::{self, AuthEnv, Config};
use crate::openclaw::env::Environment;
use crate::openclaw::external::{codex_auth_path, read_claude_code_file, read_minimax_login};
use crate::openclaw::files::exists;
use crate::openclaw::layout::{Layout, expand_user_path};
use crate::openclaw::schema;
use crate::openclaw::sqlite::Snapshot;
use crate::openclaw::store::{
    AgentStore, OpenClawFailure, SharedOwners, StoreFlavor, detect_flavor, read_agent_store,
};
use crate::report::{AgentReport, ModelSettings, SourceKind, Verdict, verdict_of_routes};

/// What was read once for all agents.
pub struct Loaded {
    pub layout: Layout,
    pub config: std::result::Result<Config, OpenClawFailure>,
    pub auth_env: AuthEnv,
    pub env: Environment,
    /// `<state>/state/openclaw.sqlite`, read on first use and shared by every agent.
    state_db: std::cell::OnceCell<Option<Snapshot>>,
    /// The shared store's documents, read once for every agent.
    shared_owners: SharedOwners,
    /// The agent roster of the config, built once for every agent.
    roster: std::cell::OnceCell<std::result::Result<Roster, OpenClawFailure>>,
}

impl Loaded {
    /// The state database snapshot (`None` when it does not exist), read once.
    pub fn state_db(&self) -> Result<Option<&Snapshot>> {
        if let Some(db) = self.state_db.get() {
            return Ok(db.as_ref());
        }
        let db = Snapshot::open(&self.layout.state_db())?;
        Ok(self.state_db.get_or_init(|| db).as_ref())
    }

    /// The config's agent roster (built once), or OpenClaw's refusal of the config.
    pub fn roster(&self) -> std::result::Result<&Roster, OpenClawFailure> {
        let cfg = self.config.as_ref().map_err(Clone::clone)?;
        self.roster
            .get_or_init(|| Roster::from_config(&cfg.root))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Reads the layout and the config.
pub fn load(env: &Environment, state_dir: Option<&Utf8Path>) -> Result<Loaded> {
    let layout = Layout::locate(env, state_dir)?;
    let (config, auth_env) = config::load(&layout, env)?;
    Ok(Loaded {
        layout,
        config,
        auth_env,
        env: env.clone(),
        state_db: std::cell::OnceCell::new(),
        shared_owners: SharedOwners::default(),
        roster: std::cell::OnceCell::new(),
    })
}

/// The agents to evaluate: `(id, explicit)`; or OpenClaw's own refusal.
pub fn targets(
    loaded: &Loaded,
    agent: Option<&str>,
) -> std::result::Result<Vec<(String, bool)>, OpenClawFailure> {
    let roster = loaded.roster()?;
    if let Some(a) = agent {
        let a = a.trim();
        if a.is_empty() {
            return Err(OpenClawFailure {
                code: "INVALID_ARGUMENT".into(),
                message: "the agent id must not be blank".to_owned(),
                fix: "name an agent, e.g. main".to_owned(),
            });
        }
        if !roster.knows(a) {
            return Err(OpenClawFailure {
                code: "UNKNOWN_AGENT".into(),
                message: format!(
                    "Unknown agent id \"{a}\". Use \"openclaw agents list\" to see configured agents."
                ),
                fix: "openclaw agents list".to_owned(),
            });
        }
        return Ok(vec![(a.to_lowercase(), true)]);
    }
    match roster.selection() {
        Selection::Owner(id) => Ok(vec![(id, false)]),
        Selection::Each(ids) => Ok(ids.into_iter().map(|id| (id, true)).collect()),
        Selection::Invalid(f) => Err(f),
    }
}

/// A report for an agent OpenClaw refuses to evaluate.
pub fn failed_agent(agent: &str, failure: OpenClawFailure) -> AgentReport {
    let mut r = AgentReport::new(agent, SourceKind::Direct);
    r.verdict = Verdict::Expired;
    r.openclaw_error = Some(failure);
    r
}

/// Evaluates one agent directly. `Err` only for read errors (unreadable files, damaged SQLite).
pub fn evaluate_agent(
    loaded: &Loaded,
    agent: &str,
    explicit: bool,
    now_ms: i64,
    warn_ms: i64,
) -> Result<AgentReport> {
    let cfg = match &loaded.config {
        Ok(c) => c,
        Err(f) => return Ok(failed_agent(agent, f.clone())),
    };
    let roster = match loaded.roster() {
        Ok(r) => r,
        Err(f) => return Ok(failed_agent(agent, f)),
    };
    let layout = &loaded.layout;
    let env_dir = loaded
        .env
        .get("OPENCLAW_AGENT_DIR")
        .or_else(|| loaded.env.get("PI_CODING_AGENT_DIR"))
        .map(|d| expand_user_path(d, &layout.home));
    let agent_dir: Utf8PathBuf = match (&env_dir, explicit) {
        (Some(d), false) => d.clone(),
        _ => roster.agent_dir(layout, agent),
    };
    let last_touched = cfg
        .root
        .pointer("/meta/lastTouchedVersion")
        .and_then(Value::as_str);
    let flavor = detect_flavor(layout, &agent_dir, last_touched);

    let mut report = AgentReport::new(agent, SourceKind::Direct);
    report.agent_dir = Some(agent_dir.to_string());
    report.store_format = Some(flavor);
    if !cfg.schema_issues.is_empty() {
        let lines: Vec<String> = cfg.schema_issues.iter().map(|l| format!("- {l}")).collect();
        if flavor == StoreFlavor::Sqlite && !schema::newer_than_skeleton(last_touched) {
            let mut r = failed_agent(
                agent,
                OpenClawFailure {
                    code: "INVALID_CONFIG".into(),
                    message: format!("Invalid config at {}:\n{}", cfg.path, lines.join("\n")),
                    fix: format!("fix {} (then check it with `openclaw doctor`)", cfg.path),
                },
            );
            r.agent_dir = report.agent_dir;
            r.store_format = report.store_format;
            return Ok(r);
        }
        report.notes.push(format!(
            "keys OpenClaw {} would reject, ignored because this config was written by OpenClaw {}: {}",
            schema::SCHEMA_VERSION,
            last_touched.unwrap_or("2026.6 or older"),
            lines.join(" ")
        ));
    }

    let state_db = match flavor {
        StoreFlavor::Sqlite => loaded.state_db()?,
        StoreFlavor::LegacyJson => None,
    };
    let raw = match read_agent_store(
        layout,
        agent,
        &agent_dir,
        flavor,
        state_db,
        &loaded.shared_owners,
    )? {
        Ok(raw) => raw,
        Err(f) => {
            return Ok({
                let mut r = failed_agent(agent, f);
                r.agent_dir = report.agent_dir;
                r.store_format = report.store_format;
                r
            });
        }
    };
    let now = now_ms as f64;
    let mut store = AgentStore::resolve(&raw, now);
    report.store_path = Some(store.store_path.to_string());
    if flavor == StoreFlavor::LegacyJson {
        let claude_path = layout.home.join(".claude").join(".credentials.json");
        // 2026.6.1 reads Claude Code's file under OpenClaw's home; a damaged file changes nothing.
        let claude = read_claude_code_file(&claude_path, &loaded.env)
            .ok()
            .flatten();
        resolve_claude_cli(&mut store.profiles, claude.as_ref(), now);
    } else if store
        .profiles
        .iter()
        .any(|p| p.id == crate::health::bootstrap::MINIMAX_CLI_PROFILE)
    {
        let login = read_minimax_login(&loaded.env)
            .ok()
            .flatten()
            .map(|expires_ms| MinimaxLogin { expires_ms });
        resolve_minimax_cli(&mut store.profiles, login, now);
    }

    let planner = Planner::new(
        &cfg.root,
        roster,
        &loaded.env,
        flavor == StoreFlavor::Sqlite,
    );
    let plan = planner.plan(if explicit {
        Target::Explicit(agent)
    } else {
        Target::Owner(agent)
    });
    let codex_login = codex_auth_path(&loaded.env).is_some_and(|p| exists(&p));
    let inputs = AgentInputs {
        cfg: &cfg.root,
        store: &store,
        env: &loaded.auth_env,
        plan: &plan,
        codex_login,
    };
    let eval = evaluate(&inputs, now_ms, warn_ms);

    report.verdict = verdict_of_routes(&eval.routes);
    report.needs_cli = eval
        .routes
        .iter()
        .filter(|r| r.outcome == RouteOutcome::NeedsCli)
        .map(|r| format!("{} route {}: {}", r.kind.as_str(), r.model, r.detail))
        .collect();
    report.models = ModelSettings {
        default_model: Some(plan.default_model.clone()),
        fallbacks: plan.fallbacks.clone(),
        image_model: plan.image_model.clone(),
        image_fallbacks: plan.image_fallbacks.clone(),
        utility_model: plan.utility_model.clone(),
        utility_source: Some(plan.utility_source.to_owned()),
    };
    if !layout.state_exists() {
        report.notes.push(format!(
            "no OpenClaw state at {} (OPENCLAW_STATE_DIR names it when it lives elsewhere)",
            layout.state_dir
        ));
    }
    for p in &store.problems {
        report
            .notes
            .push(format!("{p} — OpenClaw reads it as an empty store"));
    }
    for d in &store.dropped {
        report
            .notes
            .push(format!("OpenClaw ignores profile {} ({})", d.id, d.reason));
    }
    for (legacy, repl) in &store.drift {
        report.notes.push(format!(
            "{legacy} of this agent is replaced by the shared store's newer {repl} (OpenClaw's drift rule)"
        ));
    }
    for name in &cfg.missing_env {
        report.notes.push(format!(
            "openclaw.json refers to ${{{name}}}, which is not set"
        ));
    }
    if flavor == StoreFlavor::LegacyJson {
        report.notes.push(
            "legacy JSON store (OpenClaw 2026.6 or older): verdict by 2026.9 route rules; 2026.6.1 itself \
             ignores an expiring anthropic:claude-cli profile (it rolls it up under provider claude-cli)"
                .to_owned(),
        );
        if store.profiles.iter().any(|p| p.external_source.is_some()) {
            report.notes.push(
                "anthropic:claude-cli shows Claude Code's expiry, as OpenClaw 2026.6.1 does in memory".to_owned(),
            );
        }
    }
    report.routes = eval.routes;
    report.profiles = eval.profiles;
    report.providers = eval.providers;
    report.unusable_profiles = eval.unusable;
    Ok(report)
}
