//! The routes `models status --check` evaluates (`src/commands/models/list.status-command.ts`,
//! SPEC §4.5 and §10 rule 6): the default model and its text fallbacks, the image model and
//! its fallbacks, and the utility model — never allowlist entries. Also which runtime serves a
//! text route (`src/agents/harness/policy.ts`, `model-runtime-policy.ts`, `cli-backends.ts`).

use serde::Serialize;
use serde_json::Value;

use super::env_auth::{auth_provider, cli_runtime_of, default_utility_model};
use super::model_ref::{AliasIndex, ModelRef, parse, parse_plain, strip_profile_pin};
use crate::openclaw::agents::{AgentEntry, Roster};

/// Which setting a route comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteKind {
    Default,
    Fallback,
    Image,
    ImageFallback,
    Utility,
}

impl RouteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Fallback => "fallback",
            Self::Image => "image",
            Self::ImageFallback => "image fallback",
            Self::Utility => "utility",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, Self::Image | Self::ImageFallback)
    }
}

/// The runtime that executes a text route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Runtime {
    /// OpenClaw's own runtime: the route's provider credentials decide.
    Native,
    /// The Codex agent harness, a separately installed plugin.
    Codex,
    /// The Codex runtime requested for a provider it does not support.
    CodexIncompatible,
    /// A CLI backend (`claude-cli`, `google-gemini-cli`).
    Cli { id: String },
}

/// One route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    pub kind: RouteKind,
    /// As configured (aliases and bare names unresolved).
    pub raw: String,
    pub model: ModelRef,
    pub runtime: Runtime,
}

/// The routes of one agent, and the model settings OpenClaw reports beside them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RoutePlan {
    pub routes: Vec<Route>,
    pub default_model: String,
    pub resolved_default: String,
    pub fallbacks: Vec<String>,
    pub image_model: Option<String>,
    pub image_fallbacks: Vec<String>,
    pub utility_model: Option<String>,
    /// `config`, `disabled`, `provider-default` or `none`.
    pub utility_source: &'static str,
}

/// Whose settings apply.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Without `--agent`: model and fallbacks from `agents.defaults`, utility model, runtime
    /// policy and aliases of the owner agent.
    Owner(&'a str),
    /// `--agent <id>`: the agent's own settings first.
    Explicit(&'a str),
}

fn primary_string(v: Option<&Value>) -> Option<String> {
    let v = v?;
    let s = match v {
        Value::String(s) => s.as_str(),
        Value::Object(o) => o.get("primary")?.as_str()?,
        _ => return None,
    };
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Inputs that tell whether an `openai` route is on a custom endpoint.
pub trait EnvLookup {
    fn var(&self, name: &str) -> Option<String>;
}

impl EnvLookup for crate::openclaw::env::Environment {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }
}

/// Everything needed to plan routes.
pub struct Planner<'a> {
    pub cfg: &'a Value,
    pub roster: &'a Roster,
    pub env: &'a dyn EnvLookup,
    /// OpenClaw 2026.6 had no utility model.
    pub with_utility: bool,
    /// Lookups into the config, built once for every route of every agent.
    index: std::cell::OnceCell<ConfigIndex<'a>>,
    cli_runtimes: std::cell::RefCell<std::collections::HashMap<String, Option<String>>>,
}

/// A `models` map (`agents.defaults.models`, an agent's own) indexed for
/// [`Planner::runtime_policy`]: the first entry with a runtime for each way an entry matches.
#[derive(Default)]
struct ModelsIndex {
    /// Parsed key, lower-cased → position (entries that are not `provider/*`).
    by_ref: std::collections::HashMap<String, usize>,
    /// The raw key, ASCII lower-cased → position (a bare model name matches it).
    by_name: std::collections::HashMap<String, usize>,
    /// A `provider/*` key, trimmed and ASCII lower-cased → position.
    wildcard: std::collections::HashMap<String, usize>,
    runtimes: Vec<Option<String>>,
}

impl ModelsIndex {
    fn of(map: Option<&Value>) -> Self {
        let mut idx = Self::default();
        for (i, (k, v)) in map
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let runtime = runtime_of(v);
            if runtime.is_some() {
                if !k.ends_with("/*") {
                    if let Some(r) = parse_plain(k) {
                        idx.by_ref.entry(r.key().to_lowercase()).or_insert(i);
                    }
                    idx.by_name.entry(k.to_ascii_lowercase()).or_insert(i);
                }
                idx.wildcard
                    .entry(k.trim().to_ascii_lowercase())
                    .or_insert(i);
            }
            idx.runtimes.push(runtime);
        }
        idx
    }

    /// The runtime of the first entry naming `model` exactly.
    fn exact(&self, model: &ModelRef) -> Option<String> {
        let a = self.by_ref.get(&model.key().to_lowercase());
        let b = self.by_name.get(&model.model.to_ascii_lowercase());
        let at = a.into_iter().chain(b).min()?;
        self.runtimes[*at].clone()
    }

    /// The runtime of the first `provider/*` entry of `model`'s provider.
    fn wildcard(&self, model: &ModelRef) -> Option<String> {
        let at = self
            .wildcard
            .get(&format!("{}/*", model.provider).to_ascii_lowercase())?;
        self.runtimes[*at].clone()
    }
}

/// `models.providers` by name, and each provider's model rows by id (the first of each).
struct ConfigIndex<'a> {
    providers: std::collections::HashMap<String, &'a Value>,
    rows: std::collections::HashMap<(String, String), &'a Value>,
    /// Rows with a runtime: (provider, id) → the first such row's runtime.
    row_runtimes: std::collections::HashMap<(String, String), String>,
    defaults_models: ModelsIndex,
}

fn runtime_of(v: &Value) -> Option<String> {
    v.pointer("/agentRuntime/id")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

impl<'a> Planner<'a> {
    pub fn new(
        cfg: &'a Value,
        roster: &'a Roster,
        env: &'a dyn EnvLookup,
        with_utility: bool,
    ) -> Self {
        Self {
            cfg,
            roster,
            env,
            with_utility,
            index: std::cell::OnceCell::new(),
            cli_runtimes: std::cell::RefCell::default(),
        }
    }

    fn defaults(&self) -> Option<&'a Value> {
        self.cfg.pointer("/agents/defaults")
    }

    fn providers_config(&self) -> Option<&'a serde_json::Map<String, Value>> {
        self.cfg
            .pointer("/models/providers")
            .and_then(Value::as_object)
    }

    fn index(&self) -> &ConfigIndex<'a> {
        self.index.get_or_init(|| {
            let mut providers = std::collections::HashMap::new();
            let mut rows = std::collections::HashMap::new();
            let mut row_runtimes = std::collections::HashMap::new();
            for (k, v) in self.providers_config().into_iter().flatten() {
                let name = k.trim().to_ascii_lowercase();
                if providers.contains_key(&name) {
                    continue;
                }
                providers.insert(name.clone(), v);
                for row in v
                    .get("models")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(id) = row.get("id").and_then(Value::as_str) {
                        let key = (name.clone(), id.to_owned());
                        if let Some(r) = runtime_of(row) {
                            row_runtimes.entry(key.clone()).or_insert(r);
                        }
                        rows.entry(key).or_insert(row);
                    }
                }
            }
            ConfigIndex {
                providers,
                rows,
                row_runtimes,
                defaults_models: ModelsIndex::of(self.defaults().and_then(|d| d.get("models"))),
            }
        })
    }

    /// `models.providers.<p>` (keys compared case-insensitively).
    pub fn provider_config(&self, provider: &str) -> Option<&'a Value> {
        self.index()
            .providers
            .get(&provider.to_ascii_lowercase())
            .copied()
    }

    /// The first model row of `provider` with this id.
    fn provider_row(&self, provider: &str, id: &str) -> Option<&'a Value> {
        self.index()
            .rows
            .get(&(provider.to_ascii_lowercase(), id.to_owned()))
            .copied()
    }

    /// `resolveConfiguredModelRef`: the effective primary with bare names given a provider.
    fn resolve_configured(&self, agent: Option<&AgentEntry>, aliases: &AliasIndex) -> ModelRef {
        let raw = agent
            .and_then(|a| primary_string(a.raw.get("model")))
            .or_else(|| primary_string(self.defaults().and_then(|d| d.get("model"))));
        if let Some(raw) = raw {
            let stripped = strip_profile_pin(&raw);
            if let Some(r) = aliases.get(stripped) {
                return r.clone();
            }
            if stripped.contains('/')
                && let Some(r) = parse_plain(stripped)
            {
                return r;
            }
            if let Some(p) = self.infer_provider(stripped)
                && let Some(r) = parse_plain(&format!("{p}/{stripped}"))
            {
                return r;
            }
            if let Some(r) = parse_plain(stripped) {
                return r;
            }
        }
        // configured-provider fallback: the first provider with a model row.
        if let Some(map) = self.providers_config() {
            for (key, p) in map {
                let first = p
                    .get("models")
                    .and_then(Value::as_array)
                    .and_then(|m| m.first())
                    .and_then(|m| m.get("id"))
                    .and_then(Value::as_str);
                if let Some(id) = first {
                    return ModelRef {
                        provider: key.trim().to_lowercase(),
                        model: id.to_owned(),
                    };
                }
            }
        }
        ModelRef {
            provider: "openai".to_owned(),
            model: "gpt-6-astra".to_owned(),
        }
    }

    /// A provider for a bare model name, from `agents.defaults.models` keys or
    /// `models.providers.*.models[].id`.
    fn infer_provider(&self, model: &str) -> Option<String> {
        if let Some(map) = self
            .defaults()
            .and_then(|d| d.get("models"))
            .and_then(Value::as_object)
        {
            for key in map.keys() {
                if let Some(r) = parse_plain(key)
                    && key.contains('/')
                    && r.model.eq_ignore_ascii_case(model)
                {
                    return Some(r.provider);
                }
            }
        }
        for (key, p) in self.providers_config()? {
            let hit = p.get("models").and_then(Value::as_array).is_some_and(|ms| {
                ms.iter()
                    .any(|m| m.get("id").and_then(Value::as_str) == Some(model))
            });
            if hit {
                return Some(key.trim().to_lowercase());
            }
        }
        None
    }

    /// Plans the routes for a target agent.
    pub fn plan(&self, target: Target<'_>) -> RoutePlan {
        let (owner_id, explicit) = match target {
            Target::Owner(id) => (id, false),
            Target::Explicit(id) => (id, true),
        };
        let owner = self.roster.get(owner_id);
        let agent = if explicit { owner } else { None };
        let defaults_models = self.defaults().and_then(|d| d.get("models"));
        let aliases = AliasIndex::build(defaults_models, agent.and_then(|a| a.raw.get("models")));
        let defaults_model = self.defaults().and_then(|d| d.get("model"));

        let resolved = self.resolve_configured(agent, &aliases);
        let raw_model = agent
            .and_then(|a| primary_string(a.raw.get("model")))
            .or_else(|| primary_string(defaults_model))
            .unwrap_or_default();
        let default_model = if raw_model.is_empty() {
            resolved.key()
        } else {
            raw_model
        };
        let defaults_fallbacks = string_list(defaults_model.and_then(|m| m.get("fallbacks")));
        let fallbacks = match agent.map(|a| a.raw.get("model")) {
            Some(Some(Value::String(s))) if !s.trim().is_empty() => Vec::new(),
            Some(Some(Value::Object(o))) if o.get("fallbacks").is_some_and(Value::is_array) => {
                string_list(o.get("fallbacks"))
            }
            Some(Some(Value::Object(o)))
                if o.get("primary")
                    .and_then(Value::as_str)
                    .is_some_and(|p| !p.trim().is_empty()) =>
            {
                Vec::new()
            }
            _ => defaults_fallbacks,
        };
        let image = self.defaults().and_then(|d| d.get("imageModel"));
        let image_model = primary_string(image);
        let image_fallbacks = string_list(image.and_then(|i| i.get("fallbacks")));

        // Utility: the owner agent's setting, else the defaults'.
        let setting = owner
            .and_then(|a| a.raw.get("utilityModel"))
            .and_then(Value::as_str)
            .or_else(|| {
                self.defaults()
                    .and_then(|d| d.get("utilityModel"))
                    .and_then(Value::as_str)
            });
        let (utility_ref, utility_source) = match setting {
            _ if !self.with_utility => (None, "none"),
            Some(s) if s.trim().is_empty() => (None, "disabled"),
            Some(s) => (parse(s, &aliases), "config"),
            None => {
                let owner_primary = self.resolve_configured(owner, &aliases);
                match default_utility_model(&owner_primary.provider) {
                    Some(m) => (
                        Some(ModelRef {
                            provider: owner_primary.provider.clone(),
                            model: m.to_owned(),
                        }),
                        "provider-default",
                    ),
                    None => (None, "none"),
                }
            }
        };

        let mut routes = Vec::new();
        let owner_models = ModelsIndex::of(owner.and_then(|a| a.raw.get("models")));
        let text = |kind: RouteKind, raw: &str, runtime_eligible: bool, routes: &mut Vec<Route>| {
            if let Some(model) = parse(raw, &aliases) {
                let runtime = if runtime_eligible {
                    self.runtime_for(&model, &owner_models)
                } else {
                    Runtime::Native
                };
                routes.push(Route {
                    kind,
                    raw: raw.to_owned(),
                    model,
                    runtime,
                });
            }
        };
        text(RouteKind::Default, &default_model, true, &mut routes);
        for f in &fallbacks {
            text(RouteKind::Fallback, f, true, &mut routes);
        }
        if let Some(i) = &image_model {
            text(RouteKind::Image, i, false, &mut routes);
        }
        for f in &image_fallbacks {
            text(RouteKind::ImageFallback, f, false, &mut routes);
        }
        if let Some(u) = &utility_ref {
            routes.push(Route {
                kind: RouteKind::Utility,
                raw: u.key(),
                model: u.clone(),
                runtime: Runtime::Native,
            });
        }
        RoutePlan {
            routes,
            default_model,
            resolved_default: resolved.key(),
            fallbacks,
            image_model,
            image_fallbacks,
            utility_model: utility_ref.map(|u| u.key()),
            utility_source,
        }
    }

    /// `agentRuntime.id` for a model: per-model settings, then provider model rows, then
    /// `provider/*` wildcards, then the provider (`resolveModelRuntimePolicy`). `owner_models`
    /// is the owner agent's own `models` map, indexed.
    fn runtime_policy(&self, model: &ModelRef, owner_models: &ModelsIndex) -> Option<String> {
        let defaults = &self.index().defaults_models;
        if let Some(r) = owner_models.exact(model).or_else(|| defaults.exact(model)) {
            return Some(r);
        }
        let provider = model.provider.to_ascii_lowercase();
        if let Some(r) = self
            .index()
            .row_runtimes
            .get(&(provider, model.model.clone()))
        {
            return Some(r.clone());
        }
        if let Some(r) = owner_models
            .wildcard(model)
            .or_else(|| defaults.wildcard(model))
        {
            return Some(r);
        }
        self.provider_config(&model.provider).and_then(runtime_of)
    }

    /// Whether an `openai` route runs against a custom endpoint (then OpenClaw's own runtime
    /// serves it instead of Codex).
    fn openai_custom_endpoint(&self, model: &ModelRef) -> bool {
        let official = |u: &str| {
            let u = u.trim().trim_end_matches('/');
            u == "https://api.openai.com"
                || u == "https://api.openai.com/v1"
                || (u.starts_with("https://chatgpt.com/backend-api") && u.contains("codex"))
                || u == "https://chatgpt.com/backend-api"
        };
        let pcfg = self.provider_config("openai");
        let row = self.provider_row("openai", &model.model);
        let urls = [
            row.and_then(|r| r.get("baseUrl"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            pcfg.and_then(|p| p.get("baseUrl"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            self.env.var("OPENAI_BASE_URL"),
        ];
        let custom_url = urls
            .iter()
            .flatten()
            .any(|u| !u.trim().is_empty() && !official(u));
        let completions_api = [row, pcfg]
            .into_iter()
            .flatten()
            .any(|v| v.get("api").and_then(Value::as_str) == Some("openai-completions"));
        custom_url || completions_api
    }

    /// The runtime of a default or fallback route.
    fn runtime_for(&self, model: &ModelRef, owner_models: &ModelsIndex) -> Runtime {
        let policy = self.runtime_policy(model, owner_models).map(|id| {
            match id.trim().to_lowercase().as_str() {
                "" | "pi" | "openclaw" => "openclaw".to_owned(),
                "codex-app-server" => "codex".to_owned(),
                "default" => "auto".to_owned(),
                other => other.to_owned(),
            }
        });
        let runtime = match policy.as_deref() {
            Some(id) if id != "auto" => id.to_owned(),
            _ if model.provider == "openai" => {
                if self.openai_custom_endpoint(model) {
                    "openclaw".to_owned()
                } else {
                    "codex".to_owned()
                }
            }
            _ => self
                .cli_runtime_from_auth_config(&model.provider)
                .unwrap_or_else(|| "auto".to_owned()),
        };
        match runtime.as_str() {
            "codex" if matches!(model.provider.as_str(), "openai" | "codex") => Runtime::Codex,
            "codex" => Runtime::CodexIncompatible,
            "openclaw" | "auto" => Runtime::Native,
            other if cli_runtime_of(&model.provider) == Some(other) => Runtime::Cli {
                id: other.to_owned(),
            },
            _ => Runtime::Native,
        }
    }

    /// Without a runtime policy, a CLI runtime chosen by `auth.order` / `auth.profiles` in the
    /// config (the stored order is not consulted here).
    fn cli_runtime_from_auth_config(&self, provider: &str) -> Option<String> {
        if let Some(known) = self.cli_runtimes.borrow().get(provider) {
            return known.clone();
        }
        let found = self.scan_cli_runtime(provider);
        self.cli_runtimes
            .borrow_mut()
            .insert(provider.to_owned(), found.clone());
        found
    }

    fn scan_cli_runtime(&self, provider: &str) -> Option<String> {
        let runtime = cli_runtime_of(provider)?;
        let profiles = self
            .cfg
            .pointer("/auth/profiles")
            .and_then(Value::as_object);
        let provider_of = |id: &str| {
            profiles
                .and_then(|p| p.get(id))
                .and_then(|p| p.get("provider"))
                .and_then(Value::as_str)
                .map(|s| s.trim().to_lowercase())
        };
        if let Some(order) = self.cfg.pointer("/auth/order").and_then(Value::as_object) {
            for (key, ids) in order {
                if auth_provider(&key.trim().to_lowercase()) != provider {
                    continue;
                }
                for id in string_list(Some(ids)) {
                    if provider_of(&id).as_deref() == Some(runtime) {
                        return Some(runtime.to_owned());
                    }
                }
            }
        }
        let matching: Vec<String> = profiles
            .map(|p| {
                p.values()
                    .filter_map(|v| v.get("provider").and_then(Value::as_str))
                    .map(|s| s.trim().to_lowercase())
                    .filter(|s| auth_provider(s) == provider)
                    .collect()
            })
            .unwrap_or_default();
        (matching.len() == 1 && matching[0] == runtime).then(|| runtime.to_owned())
    }
}
