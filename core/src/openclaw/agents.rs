//! The agent roster of `openclaw.json` and which agent `models status` inspects
//! (`src/agents/agent-scope-config.ts`, `src/commands/models/shared.ts`,
//! `src/config/zod-schema.agents.ts`; SPEC §10 rule 7).

use camino::Utf8PathBuf;
use serde_json::Value;

use super::layout::Layout;
use super::store::OpenClawFailure;

/// One configured agent.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentEntry {
    /// Lower-cased, as OpenClaw matches ids.
    pub id: String,
    pub agent_dir: Option<String>,
    pub is_default: bool,
    /// The raw entry (model, utilityModel, models, …).
    pub raw: Value,
}

/// `agents.entries` (or the older `agents.list`).
#[derive(Debug, Clone, Default)]
pub struct Roster {
    pub entries: Vec<AgentEntry>,
    pub ownership_explicit: bool,
    pub system_agent: Option<String>,
    /// id → the first entry with it.
    index: std::collections::HashMap<String, usize>,
}

/// Which agents to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// One owner agent, inspected the way `models status` does without `--agent`.
    Owner(String),
    /// Several agents and no owner: OpenClaw refuses; clawauth checks each as `--agent <id>`.
    Each(Vec<String>),
    /// The config is invalid for OpenClaw.
    Invalid(OpenClawFailure),
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

impl Roster {
    pub fn from_config(root: &Value) -> Result<Self, OpenClawFailure> {
        let agents = root.get("agents");
        let invalid = |detail: String| OpenClawFailure {
            code: "INVALID_CONFIG".into(),
            message: format!("Invalid config: {detail}"),
            fix: "fix the agents section of openclaw.json (see `openclaw doctor`)".to_owned(),
        };
        let mut entries = Vec::new();
        let mut push = |id: &str, raw: &Value| -> Result<(), OpenClawFailure> {
            if !valid_id(id) {
                return Err(invalid(format!(
                    "agents.entries[\"{id}\"]: Invalid key in record"
                )));
            }
            entries.push(AgentEntry {
                id: id.to_lowercase(),
                agent_dir: raw
                    .get("agentDir")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                is_default: raw.get("default") == Some(&Value::Bool(true)),
                raw: raw.clone(),
            });
            Ok(())
        };
        if let Some(map) = agents
            .and_then(|a| a.get("entries"))
            .and_then(Value::as_object)
        {
            for (id, raw) in map {
                push(id, raw)?;
            }
        } else if let Some(list) = agents.and_then(|a| a.get("list")).and_then(Value::as_array) {
            for raw in list {
                if let Some(id) = raw.get("id").and_then(Value::as_str) {
                    push(id, raw)?;
                }
            }
        }
        let mut index = std::collections::HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            index.entry(e.id.clone()).or_insert(i);
        }
        Ok(Self {
            entries,
            index,
            ownership_explicit: agents
                .and_then(|a| a.get("ownership"))
                .and_then(Value::as_str)
                == Some("explicit"),
            system_agent: agents
                .and_then(|a| a.pointer("/defaults/systemAgent/agentId"))
                .and_then(Value::as_str)
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty()),
        })
    }

    pub fn get(&self, id: &str) -> Option<&AgentEntry> {
        let id = id.trim().to_lowercase();
        self.index.get(&id).map(|&i| &self.entries[i])
    }

    /// The agents `clawauth status` evaluates when no `--agent` is given.
    pub fn selection(&self) -> Selection {
        let invalid = |detail: &str| {
            Selection::Invalid(OpenClawFailure {
                code: "INVALID_CONFIG".into(),
                message: format!("Invalid config: {detail}"),
                fix: "fix the agents section of openclaw.json (see `openclaw doctor`)".to_owned(),
            })
        };
        let defaults: Vec<&AgentEntry> = self.entries.iter().filter(|e| e.is_default).collect();
        if defaults.len() > 1 {
            return invalid(&format!(
                "agents.entries: at most one default=true entry (found {})",
                defaults.len()
            ));
        }
        if self.ownership_explicit && !defaults.is_empty() {
            return invalid(
                "agents.ownership=\"explicit\" cannot be combined with a legacy default=true marker",
            );
        }
        if let Some(sys) = &self.system_agent {
            let implicit_main = self.entries.is_empty() && sys == "main";
            if self.get(sys).is_none() && !implicit_main {
                return invalid(&format!(
                    "agents.defaults.systemAgent.agentId: Unknown agent id \"{sys}\" (not in agents.entries)."
                ));
            }
        }
        match self.entries.len() {
            0 => Selection::Owner("main".to_owned()),
            1 => Selection::Owner(self.entries[0].id.clone()),
            _ if !self.ownership_explicit && defaults.is_empty() && self.system_agent.is_none() => {
                invalid(
                    "multi-agent rosters require agents.ownership=\"explicit\" (or one default=true entry)",
                )
            }
            _ => Selection::Each(self.entries.iter().map(|e| e.id.clone()).collect()),
        }
    }

    /// `agents.entries.<id>.agentDir` (`~` expanded), else `<state>/agents/<id>/agent`.
    pub fn agent_dir(&self, layout: &Layout, id: &str) -> Utf8PathBuf {
        self.get(id)
            .and_then(|e| e.agent_dir.as_deref())
            .filter(|d| !d.trim().is_empty())
            .map(|d| layout.user_path(d))
            .unwrap_or_else(|| layout.default_agent_dir(id))
    }

    /// An `--agent` value OpenClaw accepts.
    pub fn knows(&self, id: &str) -> bool {
        self.get(id).is_some()
            || (self.entries.is_empty() && id.trim().eq_ignore_ascii_case("main"))
    }
}
