//! One agent's verdict, as `openclaw models status --json --check` computes it (SPEC §4.5, §5,
//! §10): for every route, the candidate profiles (`order.ts`), their readiness
//! (`read-only-availability.ts`), cooldowns (`usage-state.ts`), the selected source
//! (`provider-model-auth-source-plan.ts`, `provider-model-route-auth.ts`), and the selected
//! profile's health. Pure: `now` comes in, nothing is read.
//!
//! Where the outcome depends on what only the running CLI knows (the Codex runtime plugin,
//! OpenAI's route resolution, plugin-supplied credentials, a login shell's environment), the
//! route says so ([`RouteOutcome::NeedsCli`]) instead of guessing.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use serde::Serialize;
use serde_json::Value;

use super::collate;
use super::collate::collation_key;
use super::env_auth::{
    auth_provider, env_vars_for, has_synthetic_auth, ignores_cooldowns, is_known_env_var,
};
use super::profile::{
    ConfiguredProfile, Ineligible, ProfileHealth, ProfileStatus, credential_eligibility,
    profile_health,
};
use super::routes::{Route, RouteKind, RoutePlan, Runtime};
use crate::openclaw::config::AuthEnv;
use crate::openclaw::credentials::{
    Credential, CredentialType, ExpiryState, SecretRef, SecretValue, UsageStats, env_ref_name,
    expiry_state, secret_ref_of,
};
use crate::openclaw::store::{AgentStore, StoreFlavor};

/// How one route fares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteOutcome {
    Ok,
    Expiring,
    /// Only the OpenClaw CLI can tell.
    NeedsCli,
    /// Readiness cannot be confirmed (OpenClaw: `indeterminate` route issue).
    Indeterminate,
    /// No usable credential (OpenClaw: provider in `missingProvidersInUse`).
    Missing,
    /// The configured runtime cannot serve this provider.
    Incompatible,
}

impl RouteOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Expiring => "expiring",
            Self::NeedsCli => "needs-cli",
            Self::Indeterminate => "indeterminate",
            Self::Missing => "missing",
            Self::Incompatible => "incompatible",
        }
    }

    /// Whether `--check` fails (exit 1) because of this route.
    pub fn fails(self) -> bool {
        matches!(
            self,
            Self::Indeterminate | Self::Missing | Self::Incompatible
        )
    }
}

/// One evaluated route.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RouteResult {
    pub kind: RouteKind,
    pub model: String,
    pub provider: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    pub outcome: RouteOutcome,
    /// The profile that serves it, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Where the credential comes from: `profile`, `env: NAME`, `config`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Why, in words.
    pub detail: String,
}

/// `auth.oauth.providers[]`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ProviderRollup {
    pub provider: String,
    pub status: ProfileStatus,
    pub profiles: Vec<String>,
    pub effective_profiles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_ms: Option<i64>,
}

/// `auth.unusableProfiles[]`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct UnusableProfile {
    pub profile_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// `cooldown` or `disabled`.
    pub kind: crate::report::Code,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
    pub recovery_hint: String,
    pub until_ms: i64,
    pub remaining_ms: i64,
}

/// What a route's credential lookup concluded.
#[derive(Debug, Clone, PartialEq)]
enum Availability {
    Ready {
        profile: Option<String>,
        via: String,
    },
    Unavailable(String),
    Unknown(String),
    NeedsCli(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Readiness {
    Ready,
    Unknown,
    Unavailable,
}

/// Everything one agent's evaluation reads.
pub struct AgentInputs<'a> {
    pub cfg: &'a Value,
    pub store: &'a AgentStore,
    pub env: &'a AuthEnv,
    pub plan: &'a RoutePlan,
    /// Codex's own login exists on this host (`~/.codex/auth.json`): with the Codex plugin it
    /// can serve `openai` routes without an OpenClaw profile.
    pub codex_login: bool,
}

/// The evaluation of one agent.
#[derive(Debug, Clone, Serialize)]
pub struct AgentEvaluation {
    pub profiles: Vec<ProfileHealth>,
    pub providers: Vec<ProviderRollup>,
    pub routes: Vec<RouteResult>,
    pub unusable: Vec<UnusableProfile>,
}

/// Every lookup the rules make, indexed once per agent, so that evaluating stays linear in the
/// numbers of profiles, configured entries and routes (no linear search inside a loop).
struct Index<'a> {
    /// Stored profiles by id (the first of an id, as a linear search found it).
    creds: HashMap<&'a str, &'a Credential>,
    /// Stored profile ids by the provider whose credentials they are (`auth_provider`), in
    /// store order.
    store_by_alias: HashMap<&'a str, Vec<&'a str>>,
    /// `auth.profiles` ids with a provider, by that provider's `auth_provider`, in config order.
    configured_by_alias: HashMap<String, Vec<String>>,
    /// `auth.order`: the first key equal to a name once trimmed and lower-cased → its list
    /// (`None` when that key's value is not a list).
    config_order: HashMap<String, Option<Vec<String>>>,
    /// The `auth_provider` of every `auth.order` key.
    order_aliases: HashSet<String>,
    /// `models.providers`: the first key equal to a name once trimmed, ASCII case ignored.
    providers: HashMap<String, &'a Value>,
    /// The stored order per provider (the first entry of a provider).
    state_order: HashMap<&'a str, &'a [String]>,
}

impl<'a> Index<'a> {
    fn new(inputs: &AgentInputs<'a>, configured: &ConfiguredProfiles) -> Self {
        let store = inputs.store;
        let mut creds = HashMap::new();
        let mut store_by_alias: HashMap<&str, Vec<&str>> = HashMap::new();
        for c in &store.profiles {
            creds.entry(c.id.as_str()).or_insert(c);
            store_by_alias
                .entry(auth_provider(&c.provider))
                .or_default()
                .push(c.id.as_str());
        }
        let mut configured_by_alias: HashMap<String, Vec<String>> = HashMap::new();
        for (id, c) in configured.iter() {
            if let Some(p) = &c.provider {
                configured_by_alias
                    .entry(auth_provider(p).to_owned())
                    .or_default()
                    .push(id.clone());
            }
        }
        let mut config_order = HashMap::new();
        let mut order_aliases = HashSet::new();
        if let Some(order) = inputs.cfg.pointer("/auth/order").and_then(Value::as_object) {
            for (k, v) in order {
                let key = k.trim().to_lowercase();
                order_aliases.insert(auth_provider(&key).to_owned());
                config_order.entry(key).or_insert_with(|| {
                    v.as_array().map(|ids| {
                        ids.iter()
                            .filter_map(Value::as_str)
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                });
            }
        }
        let mut providers = HashMap::new();
        if let Some(map) = inputs
            .cfg
            .pointer("/models/providers")
            .and_then(Value::as_object)
        {
            for (k, v) in map {
                providers.entry(k.trim().to_ascii_lowercase()).or_insert(v);
            }
        }
        let mut state_order = HashMap::new();
        for (p, ids) in &store.state.order {
            state_order.entry(p.as_str()).or_insert(ids.as_slice());
        }
        Self {
            creds,
            store_by_alias,
            configured_by_alias,
            config_order,
            order_aliases,
            providers,
            state_order,
        }
    }
}

/// A provider's candidate profiles before cooldowns split them (`resolveAuthProfileOrder`
/// up to the cooldown partition): eligible, without repeats, sorted where OpenClaw sorts.
struct Pool {
    ids: Vec<String>,
    explicit: bool,
    /// Some profile it looked at has an unresolved secret reference: the only thing the
    /// read-only and the full pool disagree on.
    saw_unresolved: bool,
}

/// A [`Pool`] with what does not depend on the model: each candidate's readiness, and which
/// candidates may be cooling down at all (those with an active window).
struct ReadyPool {
    pool: Rc<Pool>,
    readiness: Vec<Readiness>,
    /// Positions whose readiness is not `Unavailable`, in pool order.
    usable: Vec<usize>,
    /// Positions whose readiness is `Ready`, in pool order.
    ready: Vec<usize>,
    /// Positions with an active cooldown, block or disable window.
    windows: Vec<usize>,
}

struct Evaluator<'a, 'p> {
    inputs: &'a AgentInputs<'a>,
    configured: ConfiguredProfiles,
    now: f64,
    usage: BTreeMap<String, UsageStats>,
    /// Each profile's health by id (the evaluation's own list, not a copy of it).
    health: HashMap<&'p str, &'p ProfileHealth>,
    index: Index<'a>,
    /// Some usage entry is scoped to one model: a provider's availability depends on the model.
    model_scoped: bool,
    pools: RefCell<HashMap<(String, bool), Rc<Pool>>>,
    ready_pools: RefCell<HashMap<String, Rc<ReadyPool>>>,
    availability: RefCell<HashMap<(String, Option<String>), Availability>>,
}

/// Evaluates one agent at `now_ms` with a warn window of `warn_ms`.
pub fn evaluate(inputs: &AgentInputs<'_>, now_ms: i64, warn_ms: i64) -> AgentEvaluation {
    let now = now_ms as f64;
    let mut usage = inputs.store.state.usage.clone();
    if !inputs.store.profiles.is_empty() {
        clear_expired_cooldowns(&mut usage, now);
    }
    let configured = ConfiguredProfiles::from_config(inputs.cfg);
    let shared = inputs.store.shared_ids();
    let mut profiles: Vec<ProfileHealth> = inputs
        .store
        .profiles
        .iter()
        .map(|c| {
            let mut h = profile_health(
                c,
                configured.get(&c.id),
                now,
                warn_ms as f64,
                inputs.store.flavor,
            );
            h.shared = shared.contains(c.id.as_str());
            h
        })
        .collect();
    profiles.sort_by_cached_key(|h| (collation_key(&h.provider), collation_key(&h.profile_id)));
    let mut health = HashMap::with_capacity(profiles.len());
    for h in &profiles {
        // Ids are unique; as a map built from the list would, the last one wins.
        health.insert(h.profile_id.as_str(), h);
    }
    let index = Index::new(inputs, &configured);
    let model_scoped = usage
        .values()
        .any(|s| s.cooldown_model.is_some() || s.blocked_model.is_some());
    let ev = Evaluator {
        inputs,
        configured,
        now,
        usage,
        health,
        index,
        model_scoped,
        pools: RefCell::default(),
        ready_pools: RefCell::default(),
        availability: RefCell::default(),
    };
    let routes = inputs.plan.routes.iter().map(|r| ev.route(r)).collect();
    let providers = ev.rollups(&profiles);
    let unusable = ev.unusable();
    drop(ev);
    AgentEvaluation {
        providers,
        unusable,
        routes,
        profiles,
    }
}

/// The latest end among unusable windows that are set (`> 0`).
fn latest_window(ends: [Option<f64>; 3]) -> Option<f64> {
    ends.into_iter()
        .flatten()
        .filter(|t| *t > 0.0)
        .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))))
}

/// `clearExpiredCooldowns`: windows that ended (`now >= until`) are erased with their details.
fn clear_expired_cooldowns(usage: &mut BTreeMap<String, UsageStats>, now: f64) {
    for s in usage.values_mut() {
        if s.cooldown_until.is_some_and(|t| now >= t) {
            s.cooldown_until = None;
            s.cooldown_reason = None;
            s.cooldown_classification = None;
            s.cooldown_model = None;
        }
        if s.blocked_until.is_some_and(|t| now >= t) {
            s.blocked_until = None;
            s.blocked_model = None;
            s.blocked_scope_model = false;
        }
        if s.disabled_until.is_some_and(|t| now >= t) {
            s.disabled_until = None;
            s.disabled_reason = None;
        }
    }
}

/// `auth.profiles.<id>` of the config, in the config's order: without a stored or configured
/// order these ids are the candidates, and ties keep this order.
#[derive(Debug, Clone, Default)]
pub struct ConfiguredProfiles {
    entries: Vec<(String, ConfiguredProfile)>,
    /// id → position in `entries`.
    index: HashMap<String, usize>,
}

impl ConfiguredProfiles {
    pub fn from_config(cfg: &Value) -> Self {
        let entries: Vec<(String, ConfiguredProfile)> = cfg
            .pointer("/auth/profiles")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(id, v)| {
                        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
                        (
                            id.clone(),
                            ConfiguredProfile {
                                provider: s("provider").map(|p| p.trim().to_lowercase()),
                                mode: s("mode"),
                                display_name: s("displayName"),
                                email: s("email"),
                            },
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut index = HashMap::new();
        for (i, (id, _)) in entries.iter().enumerate() {
            index.entry(id.clone()).or_insert(i);
        }
        Self { entries, index }
    }

    pub fn get(&self, id: &str) -> Option<&ConfiguredProfile> {
        self.index.get(id).map(|&i| &self.entries[i].1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &ConfiguredProfile)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

/// `auth.order` for `provider`: its auth provider's entry, else its own.
fn config_order(index: &Index<'_>, provider: &str) -> Option<Vec<String>> {
    let find = |p: &str| index.config_order.get(p).cloned().flatten();
    find(auth_provider(provider)).or_else(|| find(provider))
}

fn mode_matches(mode: &str, kind: CredentialType) -> bool {
    let mode = match mode.trim() {
        "apiKey" | "api-key" | "api_key" => "api_key",
        other => other,
    };
    mode == kind.as_str() || (mode == "oauth" && kind == CredentialType::Token)
}

impl Evaluator<'_, '_> {
    fn cred(&self, id: &str) -> Option<&Credential> {
        self.index.creds.get(id).copied()
    }

    fn compatible(&self, cred_provider: &str, provider: &str) -> bool {
        auth_provider(cred_provider) == auth_provider(provider)
    }

    /// `resolveAuthProfileEligibility`.
    fn eligibility(&self, id: &str, provider: &str) -> Result<(), Ineligible> {
        let cred = self.cred(id).ok_or(Ineligible::ProfileMissing)?;
        if cred.setup_inactive && self.inputs.store.flavor == StoreFlavor::Sqlite {
            return Err(Ineligible::SetupInactive);
        }
        if !self.compatible(&cred.provider, provider) {
            return Err(Ineligible::ProviderMismatch);
        }
        if let Some(c) = self.configured.get(id) {
            if c.provider
                .as_deref()
                .is_some_and(|p| !self.compatible(p, provider))
            {
                return Err(Ineligible::ProviderMismatch);
            }
            if c.mode
                .as_deref()
                .is_some_and(|m| !mode_matches(m, cred.kind))
            {
                return Err(Ineligible::ModeMismatch);
            }
        }
        credential_eligibility(cred, self.now, self.inputs.store.flavor)
    }

    /// `isProfileInCooldown` with its `until` (`usage-state.ts`); `None` when not cooling.
    fn cooldown_until(&self, id: &str, for_model: Option<&str>) -> Option<f64> {
        // Most profiles have no usage record: look that up first.
        let s = self.usage.get(id)?;
        let cred = self.cred(id)?;
        if ignores_cooldowns(&cred.provider) {
            return None;
        }
        let now = self.now;
        let active = |t: Option<f64>| t.is_some_and(|t| t > 0.0 && now < t);
        let model_scoped =
            |r: Option<&str>| matches!(r, Some("rate_limit" | "timeout" | "model_not_found"));
        let cooldown_other_model = for_model.is_some_and(|m| {
            model_scoped(s.cooldown_reason.as_deref())
                && s.cooldown_model.as_deref().is_some_and(|cm| cm != m)
        });
        let block_other_model = for_model.is_some_and(|m| {
            s.blocked_scope_model && s.blocked_model.as_deref().is_some_and(|bm| bm != m)
        });
        // A cooldown scoped to another model does not apply, unless an unscoped block or a
        // disable is active.
        let block_applies = active(s.blocked_until) && !block_other_model;
        if cooldown_other_model && !block_applies && !active(s.disabled_until) {
            return None;
        }
        let blocked = if block_other_model {
            None
        } else {
            s.blocked_until
        };
        latest_window([blocked, s.cooldown_until, s.disabled_until]).filter(|u| now < *u)
    }

    /// The stored order for `provider`: its auth provider's, else its own.
    fn stored_order(&self, provider: &str) -> Option<&[String]> {
        let order = &self.index.state_order;
        order
            .get(auth_provider(provider))
            .or_else(|| order.get(provider))
            .copied()
    }

    /// `resolveAuthProfileOrderWithMetadata` before the cooldown partition, once per provider.
    fn pool(&self, provider: &str, read_only: bool) -> Rc<Pool> {
        let key = (provider.to_owned(), read_only);
        if let Some(p) = self.pools.borrow().get(&key) {
            return Rc::clone(p);
        }
        if !read_only {
            // Without an unresolved reference both pools are the same.
            let read_only_pool = self.pool(provider, true);
            if !read_only_pool.saw_unresolved {
                self.pools
                    .borrow_mut()
                    .insert(key, Rc::clone(&read_only_pool));
                return read_only_pool;
            }
        }
        let pool = Rc::new(self.build_pool(provider, read_only));
        self.pools.borrow_mut().insert(key, Rc::clone(&pool));
        pool
    }

    fn build_pool(&self, provider: &str, read_only: bool) -> Pool {
        let alias = auth_provider(provider);
        let stored_order = self.stored_order(provider).map(<[String]>::to_vec);
        let from_state = stored_order.is_some();
        let explicit_order = stored_order.or_else(|| config_order(&self.index, provider));
        let explicit_profiles: &[String] = self
            .index
            .configured_by_alias
            .get(alias)
            .map_or(&[], Vec::as_slice);
        let store_profiles: &[&str] = self
            .index
            .store_by_alias
            .get(alias)
            .map_or(&[], Vec::as_slice);
        let has_explicit = explicit_order.is_some();
        let base: Vec<&str> = match &explicit_order {
            Some(o) => o.iter().map(String::as_str).collect(),
            None if !explicit_profiles.is_empty() => {
                explicit_profiles.iter().map(String::as_str).collect()
            }
            None => store_profiles.to_vec(),
        };
        if base.is_empty() {
            return Pool {
                ids: Vec::new(),
                explicit: has_explicit,
                saw_unresolved: false,
            };
        }
        let saw_unresolved = std::cell::Cell::new(false);
        let keep = |id: &str| match self.eligibility(id, provider) {
            Ok(()) => true,
            Err(Ineligible::UnresolvedRef) => {
                saw_unresolved.set(true);
                read_only
            }
            Err(_) => false,
        };
        let mut filtered: Vec<&str> = base.iter().copied().filter(|id| keep(id)).collect();
        let mut repaired = false;
        if filtered.is_empty()
            && base.iter().all(|id| self.cred(id).is_none())
            && (from_state || !explicit_profiles.is_empty())
        {
            filtered = store_profiles
                .iter()
                .copied()
                .filter(|id| keep(id))
                .collect();
            repaired = true;
        }
        let mut seen = HashSet::new();
        let mut ids: Vec<String> = filtered
            .into_iter()
            .filter(|id| seen.insert(*id))
            .map(str::to_owned)
            .collect();
        // Without an explicit order the candidates are sorted by type, expiry and last use
        // (cooling ones go last later, by when they cool off). A stable sort of the whole list
        // orders every subset as sorting that subset would.
        if explicit_order.as_ref().is_none_or(Vec::is_empty) || repaired {
            let score = |id: &String| {
                let c = self.cred(id);
                let type_score = match c.map(|c| c.kind) {
                    Some(CredentialType::OAuth) => 0u8,
                    Some(CredentialType::Token) => 1,
                    Some(CredentialType::ApiKey) => 2,
                    None => 3,
                };
                let expired_oauth = c.is_some_and(|c| {
                    c.kind == CredentialType::OAuth
                        && expiry_state(c.expires, self.now, 0.0) == ExpiryState::Expired
                });
                let last_used = self.usage.get(id).and_then(|u| u.last_used).unwrap_or(0.0);
                (type_score, u8::from(expired_oauth), last_used)
            };
            let mut scored: Vec<((u8, u8, f64), String)> =
                ids.into_iter().map(|id| (score(&id), id)).collect();
            scored.sort_by(|(a, _), (b, _)| {
                a.0.cmp(&b.0)
                    .then(a.1.cmp(&b.1))
                    .then(a.2.partial_cmp(&b.2).unwrap_or(std::cmp::Ordering::Equal))
            });
            ids = scored.into_iter().map(|(_, id)| id).collect();
        }
        Pool {
            ids,
            explicit: has_explicit,
            saw_unresolved: saw_unresolved.get(),
        }
    }

    /// `resolveAuthProfileOrderWithMetadata`: the pool, those cooling down for `for_model` last
    /// (soonest back first).
    fn candidates(&self, provider: &str, for_model: Option<&str>, read_only: bool) -> Vec<String> {
        let pool = self.pool(provider, read_only);
        let mut available = Vec::new();
        let mut cooling: Vec<(String, f64)> = Vec::new();
        for id in &pool.ids {
            match self.cooldown_until(id, for_model) {
                Some(u) => cooling.push((id.clone(), u)),
                None => available.push(id.clone()),
            }
        }
        cooling.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
        available.extend(cooling.into_iter().map(|(id, _)| id));
        available
    }

    /// The read-only pool of `provider` with what does not depend on the model, once.
    fn ready_pool(&self, provider: &str) -> Rc<ReadyPool> {
        if let Some(p) = self.ready_pools.borrow().get(provider) {
            return Rc::clone(p);
        }
        let pool = self.pool(provider, true);
        let readiness: Vec<Readiness> = pool
            .ids
            .iter()
            .map(|id| self.readiness(id, provider))
            .collect();
        let positions = |want: &dyn Fn(Readiness) -> bool| -> Vec<usize> {
            (0..readiness.len())
                .filter(|&i| want(readiness[i]))
                .collect()
        };
        let usable = positions(&|r| r != Readiness::Unavailable);
        let ready = positions(&|r| r == Readiness::Ready);
        let windows = (0..pool.ids.len())
            .filter(|&i| {
                self.usage.get(&pool.ids[i]).is_some_and(|s| {
                    latest_window([s.blocked_until, s.cooldown_until, s.disabled_until])
                        .is_some_and(|u| self.now < u)
                })
            })
            .collect();
        let rp = Rc::new(ReadyPool {
            pool,
            readiness,
            usable,
            ready,
            windows,
        });
        self.ready_pools
            .borrow_mut()
            .insert(provider.to_owned(), Rc::clone(&rp));
        rp
    }

    fn env_ref_allowed(&self, r: &SecretRef) -> bool {
        let providers = self
            .inputs
            .cfg
            .pointer("/secrets/providers")
            .and_then(Value::as_object);
        if let Some(p) = providers.and_then(|m| m.get(&r.provider)) {
            return p.get("source").and_then(Value::as_str) == Some("env");
        }
        let default = self
            .inputs
            .cfg
            .pointer("/secrets/defaults/env")
            .and_then(Value::as_str)
            .unwrap_or("default");
        r.provider == default
    }

    /// `resolveSecretInputReadOnlyAvailability`.
    fn secret_readiness(&self, v: &SecretValue) -> Readiness {
        let env = self.inputs.env;
        match v {
            SecretValue::Missing | SecretValue::Reserved { .. } => Readiness::Unavailable,
            SecretValue::Literal { .. } => Readiness::Ready,
            SecretValue::EnvReference { name } => {
                let r = SecretRef {
                    source: "env".into(),
                    provider: "default".into(),
                    id: name.clone(),
                };
                self.secret_readiness(&SecretValue::Ref(r))
            }
            SecretValue::EnvVarName { name } => {
                if env.is_set(name) {
                    Readiness::Ready
                } else {
                    Readiness::Unavailable
                }
            }
            SecretValue::Marker { .. } => Readiness::Unknown,
            SecretValue::Ref(r) if r.source == "env" => {
                if !self.env_ref_allowed(r) {
                    Readiness::Unavailable
                } else if env.is_set(&r.id) {
                    Readiness::Ready
                } else {
                    Readiness::Unknown
                }
            }
            SecretValue::Ref(r) => {
                let configured = self
                    .inputs
                    .cfg
                    .pointer("/secrets/providers")
                    .and_then(|m| m.get(&r.provider))
                    .and_then(|p| p.get("source"))
                    .and_then(Value::as_str)
                    == Some(r.source.as_str());
                if configured || (r.source == "store" && r.provider == "default") {
                    Readiness::Unknown
                } else {
                    Readiness::Unavailable
                }
            }
        }
    }

    /// `resolveStoredCredentialReadOnlyAvailability` for one candidate.
    fn readiness(&self, id: &str, provider: &str) -> Readiness {
        match self.eligibility(id, provider) {
            Ok(()) | Err(Ineligible::UnresolvedRef) => {}
            Err(_) => return Readiness::Unavailable,
        }
        let Some(c) = self.cred(id) else {
            return Readiness::Unavailable;
        };
        match c.kind {
            CredentialType::ApiKey => self.secret_readiness(&c.secret),
            CredentialType::Token => match expiry_state(c.expires, self.now, 0.0) {
                ExpiryState::Expired | ExpiryState::Invalid => Readiness::Unavailable,
                _ => self.secret_readiness(&c.secret),
            },
            CredentialType::OAuth => {
                if c.has_usable_oauth(self.now) {
                    Readiness::Ready
                } else if c.fence.is_some() {
                    Readiness::Unavailable
                } else if c.has_refresh {
                    // Only openai and external-CLI-managed profiles refresh read-only.
                    let refreshable =
                        c.provider == "openai" || c.id == "minimax-portal:minimax-cli";
                    if refreshable {
                        Readiness::Ready
                    } else {
                        Readiness::Unknown
                    }
                } else if c.oauth_ref && !c.secret.is_present() {
                    Readiness::Unknown
                } else {
                    Readiness::Unavailable
                }
            }
        }
    }

    /// Credentials that do not come from a profile: `models.providers.<p>.apiKey`, env vars.
    fn direct(&self, provider: &str) -> Direct {
        let pcfg = self
            .index
            .providers
            .get(&provider.to_ascii_lowercase())
            .copied();
        let auth_mode = pcfg.and_then(|p| p.get("auth")).and_then(Value::as_str);
        let mut d = Direct::default();
        if auth_mode == Some("aws-sdk") {
            d.needs_cli = Some(format!("models.providers.{provider}.auth is aws-sdk"));
            return d;
        }
        let env = self.inputs.env;
        let env_ref = |name: &str| -> Availability {
            if env.is_set(name) {
                Availability::Ready {
                    profile: None,
                    via: format!("config → env: {name}"),
                }
            } else {
                Availability::Unavailable(format!(
                    "models.providers.{provider}.apiKey refers to ${name}, which is not set (OpenClaw fails to resolve it)"
                ))
            }
        };
        match pcfg.and_then(|p| p.get("apiKey")) {
            Some(v @ Value::Object(_)) => match secret_ref_of(v) {
                Some(r) if r.source == "env" => d.required = Some(env_ref(&r.id)),
                Some(r) => {
                    d.needs_cli = Some(format!(
                        "models.providers.{provider}.apiKey is a {} secret reference",
                        r.source
                    ));
                }
                None => d.evidence = true,
            },
            Some(Value::String(s)) if !s.trim().is_empty() => {
                let s = s.trim();
                d.evidence = true;
                if let Some(name) = env_ref_name(s) {
                    d.required = Some(env_ref(name));
                } else if is_known_env_var(s) {
                    if env.is_set(s) {
                        d.required = Some(Availability::Ready {
                            profile: None,
                            via: format!("config → env: {s}"),
                        });
                    }
                } else if s.contains("-local")
                    || s.starts_with("oauth:")
                    || s.starts_with("secretref")
                {
                    d.needs_cli = Some(format!("models.providers.{provider}.apiKey is a marker"));
                } else if self.cred(s).is_some() {
                    d.needs_cli = Some(format!(
                        "models.providers.{provider}.apiKey names a stored profile"
                    ));
                } else {
                    let inline = format!("inline-api-key:{provider}");
                    let cooling = !ignores_cooldowns(provider)
                        && self.usage.get(&inline).is_some_and(|s| {
                            latest_window([s.cooldown_until, s.disabled_until, s.blocked_until])
                                .is_some_and(|u| self.now < u)
                        });
                    let avail = if cooling {
                        Availability::Unavailable(format!(
                            "the configured {provider} API key is in cooldown"
                        ))
                    } else {
                        Availability::Ready {
                            profile: None,
                            via: "config".to_owned(),
                        }
                    };
                    if auth_mode == Some("api-key") {
                        d.required = Some(avail);
                    } else {
                        d.fallback = Some(avail);
                    }
                }
            }
            _ => {}
        }
        if auth_mode.is_some() {
            d.evidence = true;
        }
        if d.required.is_none()
            && d.fallback.is_none()
            && let Some(name) = env_vars_for(provider).iter().find(|n| env.is_set(n))
        {
            let source = env.get(name).map_or("env", |(_, s)| *s);
            d.fallback = Some(Availability::Ready {
                profile: None,
                via: if source == "env" {
                    format!("env: {name}")
                } else {
                    format!("{source}: {name}")
                },
            });
            d.ambient = true;
        }
        // A local custom provider (loopback base URL, an API and model rows, no key) needs no
        // credential at all ("synthetic" availability in `unprofiledEvaluation`).
        if let Some(url) = pcfg.and_then(|p| p.get("baseUrl")).and_then(Value::as_str) {
            let has_models = pcfg
                .and_then(|p| p.get("models"))
                .and_then(Value::as_array)
                .is_some_and(|m| !m.is_empty());
            let has_api = pcfg.and_then(|p| p.get("api")).is_some();
            let no_key = pcfg.and_then(|p| p.get("apiKey")).is_none();
            if has_models && has_api && no_key {
                match endpoint_kind(url) {
                    Endpoint::Loopback => d.local_provider = true,
                    Endpoint::Private => {
                        d.needs_cli = Some(format!(
                            "models.providers.{provider} is a custom provider on {url}"
                        ))
                    }
                    Endpoint::Public => {}
                }
            }
        }
        d
    }

    /// Whether anything says this provider is meant to have credentials.
    fn has_auth_evidence(&self, provider: &str, direct: &Direct) -> bool {
        let alias = auth_provider(provider);
        direct.evidence
            || self.index.order_aliases.contains(alias)
            || self.index.configured_by_alias.contains_key(alias)
            || self.index.store_by_alias.contains_key(alias)
    }

    /// [`Self::route_availability`] for a provider's routes, once per provider — and per model
    /// when some cooldown is scoped to one model.
    fn provider_availability(&self, provider: &str, model: Option<&str>) -> Availability {
        let key = (
            provider.to_owned(),
            model.filter(|_| self.model_scoped).map(str::to_owned),
        );
        if let Some(a) = self.availability.borrow().get(&key) {
            return a.clone();
        }
        let a = self.route_availability(provider, model);
        self.availability.borrow_mut().insert(key, a.clone());
        a
    }

    fn route_availability(&self, provider: &str, model: Option<&str>) -> Availability {
        let direct = self.direct(provider);
        if let Some(reason) = direct.needs_cli.clone() {
            return Availability::NeedsCli(reason);
        }
        if let Some(req) = direct.required.clone() {
            return req;
        }
        // The candidates in order are the pool's without those cooling down for this model,
        // then those, soonest back first. Only candidates with an active window can cool.
        let rp = self.ready_pool(provider);
        let ids = &rp.pool.ids;
        let mut cooling: Vec<(usize, f64)> = rp
            .windows
            .iter()
            .filter_map(|&i| self.cooldown_until(&ids[i], model).map(|u| (i, u)))
            .collect();
        cooling.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
        let is_cooling: HashSet<usize> = cooling.iter().map(|(i, _)| *i).collect();
        let in_order = || {
            (0..ids.len())
                .filter(|i| !is_cooling.contains(i))
                .chain(cooling.iter().map(|(i, _)| *i))
        };
        let outside =
            |positions: &[usize]| positions.iter().copied().find(|i| !is_cooling.contains(i));
        let first_outside = outside(&rp.usable);

        if !rp.usable.is_empty() && first_outside.is_none() {
            let usable = in_order().filter(|&i| rp.readiness[i] != Readiness::Unavailable);
            return Availability::Unavailable(format!(
                "every {provider} profile is in cooldown or disabled ({})",
                list_ids(usable.map(|i| ids[i].as_str()))
            ));
        }
        if rp.pool.explicit && rp.usable.is_empty() {
            return Availability::Unavailable(format!(
                "the configured auth order for {provider} names no usable profile"
            ));
        }
        // An env key without config key material ("ambient") is ignored as soon as any
        // profile is a candidate, even one that cannot serve.
        let ambient_ignored = direct.ambient && !ids.is_empty();
        let fallback_allowed = direct.fallback.is_some() && !ambient_ignored;
        if let Some(first) = first_outside {
            let chosen = if rp.readiness[first] == Readiness::Unknown {
                outside(&rp.ready).unwrap_or(first)
            } else {
                first
            };
            let id = &ids[chosen];
            return match rp.readiness[chosen] {
                Readiness::Ready => Availability::Ready {
                    profile: Some(id.clone()),
                    via: "profile".to_owned(),
                },
                Readiness::Unknown => Availability::Unknown(format!(
                    "{id} cannot be confirmed ready without a refresh"
                )),
                Readiness::Unavailable => Availability::Unavailable(format!("{id} is not usable")),
            };
        }
        if fallback_allowed && let Some(f) = direct.fallback.clone() {
            return f;
        }
        if !ids.is_empty() {
            return Availability::Unavailable(format!(
                "no usable {provider} profile ({})",
                list_ids(in_order().map(|i| ids[i].as_str()))
            ));
        }
        // No candidate at all: the "unprofiled" evaluation.
        if self.inputs.env.shell_fallback {
            return Availability::NeedsCli(format!(
                "OpenClaw imports {provider} credentials from a login shell (env.shellEnv / OPENCLAW_LOAD_SHELL_ENV)"
            ));
        }
        if provider == "claude-cli" {
            return Availability::Unknown(
                "no Anthropic credential for the claude-cli runtime".to_owned(),
            );
        }
        if direct.local_provider {
            return Availability::Ready {
                profile: None,
                via: "local custom provider".to_owned(),
            };
        }
        if has_synthetic_auth(provider) {
            return Availability::NeedsCli(format!(
                "{provider} can be authenticated by its plugin at runtime"
            ));
        }
        if self.has_auth_evidence(provider, &direct) {
            Availability::Unavailable(format!("no usable {provider} credential"))
        } else {
            Availability::Unknown(format!("no {provider} credential is configured"))
        }
    }

    /// Whether openai has no credential of any kind OpenClaw (or the Codex plugin) could use.
    fn openai_has_nothing(&self) -> bool {
        if self.inputs.codex_login {
            return false;
        }
        matches!(
            self.provider_availability("openai", None),
            Availability::Unavailable(_) | Availability::Unknown(_)
        ) && self.direct("openai").fallback.is_none()
            && self.direct("codex").fallback.is_none()
    }

    fn route(&self, route: &Route) -> RouteResult {
        let mut r = RouteResult {
            kind: route.kind,
            model: route.model.key(),
            provider: route.model.provider.clone(),
            runtime: match &route.runtime {
                Runtime::Native => None,
                Runtime::Codex | Runtime::CodexIncompatible => Some("codex".to_owned()),
                Runtime::Cli { id } => Some(id.clone()),
            },
            outcome: RouteOutcome::Ok,
            profile: None,
            via: None,
            detail: String::new(),
        };
        let provider = route.model.provider.as_str();
        let avail = match &route.runtime {
            Runtime::CodexIncompatible => {
                r.outcome = RouteOutcome::Incompatible;
                r.detail = format!("The Codex runtime does not support provider {provider}.");
                return r;
            }
            Runtime::Cli { id } if id == "google-gemini-cli" => {
                r.outcome = RouteOutcome::Indeterminate;
                r.detail = "the google-gemini-cli runtime's login cannot be confirmed".to_owned();
                return r;
            }
            Runtime::Cli { id } => self.provider_availability(id, None),
            Runtime::Codex => {
                if self.openai_has_nothing() {
                    Availability::Unavailable(
                        "no OpenAI credential (no profile, API key or Codex login)".to_owned(),
                    )
                } else {
                    Availability::NeedsCli(
                        "runs on the Codex runtime plugin; only the OpenClaw CLI knows whether it is installed".to_owned(),
                    )
                }
            }
            _ => self.provider_availability(provider, Some(&route.model.model)),
        };
        match avail {
            Availability::Ready { profile, via } => {
                r.via = Some(via);
                match profile
                    .as_ref()
                    .and_then(|p| self.health.get(p.as_str()).copied())
                    .filter(|_| !route.kind.is_image())
                {
                    Some(h) => {
                        r.outcome = match h.status {
                            ProfileStatus::Expiring => RouteOutcome::Expiring,
                            ProfileStatus::Expired | ProfileStatus::Missing => {
                                RouteOutcome::Missing
                            }
                            ProfileStatus::Ok | ProfileStatus::Static => RouteOutcome::Ok,
                        };
                        r.detail = format!("{} is {}", h.label, h.status.as_str());
                    }
                    None => {
                        r.detail = match &profile {
                            Some(p) => format!("{p} is usable"),
                            None => {
                                format!("credential from {}", r.via.as_deref().unwrap_or("config"))
                            }
                        };
                    }
                }
                r.profile = profile;
            }
            Availability::Unavailable(why) => {
                r.outcome = RouteOutcome::Missing;
                r.detail = why;
            }
            Availability::Unknown(why) => {
                r.outcome = RouteOutcome::Indeterminate;
                r.detail = why;
            }
            Availability::NeedsCli(why) => {
                r.outcome = RouteOutcome::NeedsCli;
                r.detail = why;
            }
        }
        r
    }

    /// `auth.oauth.providers[]` (`auth-health.ts`).
    fn rollups(&self, profiles: &[ProfileHealth]) -> Vec<ProviderRollup> {
        let mut providers: Vec<&str> = Vec::new();
        let mut by_provider: HashMap<&str, Vec<&ProfileHealth>> = HashMap::new();
        for h in profiles {
            let of = by_provider.entry(h.provider.as_str()).or_default();
            if of.is_empty() {
                providers.push(h.provider.as_str());
            }
            of.push(h);
        }
        providers.sort_by(|a, b| collate(a, b));
        providers
            .into_iter()
            .map(|p| {
                let all: &[&ProfileHealth] = by_provider.get(p).map_or(&[], Vec::as_slice);
                let explicit = self
                    .stored_order(p)
                    .map(<[String]>::to_vec)
                    .or_else(|| config_order(&self.index, p));
                let ordered = self.candidates(p, None, false);
                let effective: Vec<String> = if explicit.as_ref().is_some_and(Vec::is_empty) {
                    Vec::new()
                } else if !ordered.is_empty() {
                    ordered
                } else if let Some(ex) = &explicit {
                    ex.iter()
                        .filter(|id| self.health.contains_key(id.as_str()))
                        .cloned()
                        .collect()
                } else {
                    all.iter().map(|h| h.profile_id.clone()).collect()
                };
                let eff: Vec<&ProfileHealth> = effective
                    .iter()
                    .filter_map(|id| self.health.get(id.as_str()).copied())
                    .collect();
                let timed: Vec<&&ProfileHealth> = eff
                    .iter()
                    .filter(|h| matches!(h.kind, CredentialType::OAuth | CredentialType::Token))
                    .collect();
                let has = |s: ProfileStatus| timed.iter().any(|h| h.status == s);
                let api_missing = eff.iter().any(|h| {
                    h.kind == CredentialType::ApiKey && h.status == ProfileStatus::Missing
                });
                let status = if eff.is_empty() {
                    ProfileStatus::Missing
                } else if timed.is_empty() {
                    if api_missing {
                        ProfileStatus::Missing
                    } else if eff.iter().any(|h| h.status == ProfileStatus::Static) {
                        ProfileStatus::Static
                    } else {
                        ProfileStatus::Missing
                    }
                } else if has(ProfileStatus::Expired) {
                    ProfileStatus::Expired
                } else if has(ProfileStatus::Missing) || api_missing {
                    ProfileStatus::Missing
                } else if has(ProfileStatus::Expiring) {
                    ProfileStatus::Expiring
                } else {
                    ProfileStatus::Ok
                };
                let expires = timed.iter().filter_map(|h| h.expires_at_ms).min();
                ProviderRollup {
                    provider: p.to_owned(),
                    status,
                    profiles: all.iter().map(|h| h.profile_id.clone()).collect(),
                    effective_profiles: effective,
                    expires_at_ms: expires,
                    remaining_ms: expires.map(|e| e.saturating_sub(self.now as i64)),
                }
            })
            .collect()
    }

    /// `auth.unusableProfiles[]` (`list.status-command.ts`).
    fn unusable(&self) -> Vec<UnusableProfile> {
        let mut out: Vec<UnusableProfile> = self
            .usage
            .iter()
            .filter_map(|(id, s)| {
                let provider = self.cred(id).map(|c| c.provider.clone());
                if provider.as_deref().is_some_and(ignores_cooldowns) {
                    return None;
                }
                let until = latest_window([s.blocked_until, s.cooldown_until, s.disabled_until])?;
                if self.now >= until {
                    return None;
                }
                let disabled = s.disabled_until.is_some_and(|t| self.now < t);
                let reason = if disabled { s.disabled_reason.clone() } else { s.cooldown_reason.clone() };
                let p = provider.clone().unwrap_or_else(|| id.clone());
                let recovery_hint = match reason.as_deref() {
                    Some("auth" | "auth_permanent" | "session_expired") if p == "claude-cli" => format!(
                        "claude auth login && openclaw models auth login --provider anthropic --method cli --profile-id '{id}'"
                    ),
                    Some("auth" | "auth_permanent" | "session_expired") => {
                        format!("Re-authenticate with `openclaw models auth login --provider {p} --profile-id '{id}'`.")
                    }
                    Some("billing") if disabled => "Top up credits (provider billing) or switch provider.".to_owned(),
                    _ => "Wait for cooldown or switch provider.".to_owned(),
                };
                Some(UnusableProfile {
                    profile_id: id.clone(),
                    provider: if id.starts_with("inline-api-key:") { None } else { provider },
                    kind: if disabled { "disabled" } else { "cooldown" }.into(),
                    reason,
                    classification: if disabled { None } else { s.cooldown_classification.clone() },
                    recovery_hint,
                    until_ms: until as i64,
                    remaining_ms: (until - self.now) as i64,
                })
            })
            .collect();
        out.sort_by_key(|u| u.remaining_ms);
        out
    }
}

/// Profile ids for a message: the first ten, then how many in all.
fn list_ids<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    const SHOWN: usize = 10;
    let mut shown = Vec::new();
    let mut total = 0;
    for id in ids {
        if total < SHOWN {
            shown.push(id);
        }
        total += 1;
    }
    let mut out = shown.join(", ");
    if total > SHOWN {
        out.push_str(&format!(", … ({total} in all)"));
    }
    out
}

#[derive(Debug, Clone, Default)]
struct Direct {
    /// A config source that replaces profiles entirely.
    required: Option<Availability>,
    /// A source used when no profile candidate serves.
    fallback: Option<Availability>,
    /// The fallback is an env var without config key material: ignored when a profile exists.
    ambient: bool,
    evidence: bool,
    /// A local custom provider that needs no credential.
    local_provider: bool,
    needs_cli: Option<String>,
}

enum Endpoint {
    Loopback,
    Private,
    Public,
}

fn endpoint_kind(url: &str) -> Endpoint {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host_port = rest.split('/').next().unwrap_or("");
    let host = if let Some(h) = host_port.strip_prefix('[') {
        h.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    }
    .to_ascii_lowercase();
    if host == "localhost" || host == "::1" || host.starts_with("127.") || host == "0.0.0.0" {
        return Endpoint::Loopback;
    }
    let octets: Vec<u8> = host.split('.').filter_map(|o| o.parse().ok()).collect();
    let private = octets.len() == 4
        && (octets[0] == 10
            || (octets[0] == 172 && (16..=31).contains(&octets[1]))
            || (octets[0] == 192 && octets[1] == 168));
    if private || host.ends_with(".local") || host.ends_with(".lan") || host.ends_with(".internal")
    {
        Endpoint::Private
    } else {
        Endpoint::Public
    }
}
