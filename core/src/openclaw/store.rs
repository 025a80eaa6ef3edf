//! Which credential store an agent sees, read from disk (SPEC §2.1, §10.8).
//!
//! 2026.7+ keeps credentials in SQLite: a shared store (the state DB when
//! `config_machine_state['auth.sharedStore'] = {"location":"state-db"}`, else the shared main
//! agent's `openclaw-agent.sqlite`) and per-agent `openclaw-agent.sqlite` files merged over it
//! (`src/agents/auth-profiles/path-resolve.ts`, `store.ts`, `persisted.ts`). 2026.6 and older
//! keep `auth-profiles.json` + `auth-state.json` per agent dir.
//!
//! Reading is split from deciding: [`read_agent_store`] does the I/O and returns the documents;
//! [`AgentStore::resolve`] merges them at a given `now` (the drift rule depends on it).

use std::collections::{HashMap, HashSet};

use camino::{Utf8Path, Utf8PathBuf};
use serde_json::Value;

use super::credentials::{
    AuthState, Credential, CredentialDoc, CredentialType, DocError, parse_credential_doc,
    parse_state_doc,
};
use super::files::{exists, read_secret_text};
use super::json::{Wiped, parse_json};
use super::layout::Layout;
use super::sqlite::Snapshot;
use crate::error::Result;

/// The agent DB schema version this reader understands (`OPENCLAW_AGENT_SCHEMA_VERSION`).
const AGENT_SCHEMA_VERSION: i64 = 23;

/// Where a store's documents came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreFlavor {
    /// OpenClaw 2026.7 and later.
    Sqlite,
    /// OpenClaw 2026.6 and older: `auth-profiles.json` + `auth-state.json`.
    LegacyJson,
}

/// A failure OpenClaw itself reports (its `models status` exits 1 with a `cli_error`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OpenClawFailure {
    /// OpenClaw's error code where it has one (e.g. `AUTH_PROFILE_MIGRATION_REQUIRED`).
    pub code: crate::report::Code,
    /// The message OpenClaw prints, with paths shortened as it does.
    pub message: String,
    /// The command that fixes it.
    pub fix: String,
}

/// One owner's documents as read.
#[derive(Debug, Clone, Default)]
pub struct OwnerDocs {
    pub path: Utf8PathBuf,
    pub creds: CredentialDoc,
    pub state: AuthState,
    /// Why a document that exists could not be used (OpenClaw reads it as empty).
    pub problem: Option<String>,
}

/// Everything read from disk for one agent.
#[derive(Debug, Clone)]
pub struct RawAgentStore {
    pub flavor: StoreFlavor,
    /// The store OpenClaw reports as `auth.storePath`.
    pub store_path: Utf8PathBuf,
    pub local: OwnerDocs,
    /// The shared store, when it is a different database than the agent's own (read once for
    /// every agent: [`SharedOwners`]).
    pub shared: Option<std::rc::Rc<OwnerDocs>>,
    /// The agent's dir is the shared main dir, so OpenClaw writes this agent's profiles to
    /// the shared store (`path-resolve.ts`): nothing it reads there belongs to another agent.
    pub owns_shared: bool,
}

/// The store an agent sees after merging.
#[derive(Debug, Clone)]
pub struct AgentStore {
    pub flavor: StoreFlavor,
    pub store_path: Utf8PathBuf,
    /// In OpenClaw's order (agent-local first, then shared).
    pub profiles: Vec<Credential>,
    pub state: AuthState,
    /// Profile id → the database it came from (`providers[].effective.detail`).
    pub origin: Vec<(String, Utf8PathBuf)>,
    /// The shared store, when it is another database than the agent's own: a profile that
    /// comes from it is written through the agent that owns that store (`paste-token --agent`
    /// writes the named agent's own database, and would make an override there).
    pub shared_path: Option<Utf8PathBuf>,
    /// Entries OpenClaw drops at load (unknown type, no provider).
    pub dropped: Vec<super::credentials::DroppedEntry>,
    /// Local `<provider>:default` OAuth profiles replaced by a shared one (drift rule).
    pub drift: Vec<(String, String)>,
    /// Documents OpenClaw reads as empty because they are malformed.
    pub problems: Vec<String>,
}

/// `shortenHomePath`: the effective home becomes `~` (or `$OPENCLAW_HOME` when that is set).
pub fn shorten_home(layout: &Layout, path: &Utf8Path) -> String {
    match path.strip_prefix(&layout.home) {
        Ok(rest) if rest.as_str().is_empty() => layout.home_token().to_owned(),
        Ok(rest) => format!("{}/{rest}", layout.home_token()),
        Err(_) => path.to_string(),
    }
}

fn unreadable(layout: &Layout, path: &Utf8Path) -> OpenClawFailure {
    OpenClawFailure {
        code: "AUTH_PROFILE_STORE_UNREADABLE".into(),
        message: format!(
            "Auth profile store {} is unreadable; run openclaw doctor --fix.",
            shorten_home(layout, path)
        ),
        fix: "openclaw doctor --fix".to_owned(),
    }
}

fn env_var_name(name: &str) -> bool {
    crate::health::env_auth::is_known_env_var(name)
}

/// The shared store's owner (`parseSharedAuthStoreOwnership`).
fn shared_db_path(
    layout: &Layout,
    state_db: Option<&Snapshot>,
) -> Result<Result<Utf8PathBuf, OpenClawFailure>> {
    let state_db_path = layout.state_db();
    let raw = match state_db {
        Some(db) => db.text(
            &state_db_path,
            "config_machine_state",
            "value_json",
            "state_key",
            "auth.sharedStore",
        )?,
        None => None,
    };
    let legacy_main = layout.shared_main_dir().join("openclaw-agent.sqlite");
    let Some(raw) = raw else {
        return Ok(Ok(legacy_main));
    };
    let invalid = |shown: String| OpenClawFailure {
        code: "INVALID_SHARED_AUTH_STORE_OWNERSHIP".into(),
        message: format!(
            "Config machine state auth.sharedStore has an invalid shared auth store location ({shown}); run openclaw doctor --fix."
        ),
        fix: "openclaw doctor --fix".to_owned(),
    };
    let Some(value) = json_or_none(&state_db_path, &raw)? else {
        return Ok(Err(invalid("unparseable JSON".to_owned())));
    };
    let location = value
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.get("location"))
        .and_then(Value::as_str);
    Ok(match location {
        Some("state-db") => Ok(state_db_path),
        Some("legacy-main") => Ok(legacy_main),
        _ => Err(invalid(value.to_string())),
    })
}

/// A JSON document OpenClaw would parse: `None` where OpenClaw's `JSON.parse` fails too, an
/// error where only clawauth's own bound refuses it (nesting deeper than it reads), so a
/// document OpenClaw reads fine is never mistaken for one it cannot.
fn json_or_none(path: &Utf8Path, text: &str) -> Result<Option<Value>> {
    match parse_json(path, text) {
        Ok(v) => Ok(Some(v)),
        Err(e @ crate::error::Error::TooDeep { .. }) => Err(e),
        Err(_) => Ok(None),
    }
}

/// Reads one SQLite owner (`auth_profile_store` / `config_machine_state` rows). `Ok(Err)` when
/// OpenClaw would call it unreadable.
fn read_sqlite_owner(
    layout: &Layout,
    db_path: &Utf8Path,
    is_state_db: bool,
    state_db: Option<&Snapshot>,
    agent_id: Option<&str>,
) -> Result<Result<OwnerDocs, OpenClawFailure>> {
    let own;
    let db = if is_state_db {
        state_db
    } else {
        own = Snapshot::open(db_path)?;
        own.as_ref()
    };
    let mut docs = OwnerDocs {
        path: db_path.to_owned(),
        ..OwnerDocs::default()
    };
    let Some(db) = db else {
        return Ok(Ok(docs));
    };
    let (store_row, state_row) = if is_state_db {
        (
            db.text(
                db_path,
                "config_machine_state",
                "value_json",
                "state_key",
                "authProfiles.store",
            )?,
            db.text(
                db_path,
                "config_machine_state",
                "value_json",
                "state_key",
                "authProfiles.state",
            )?,
        )
    } else {
        if let Some(v) = db.user_version(db_path)?
            && v > AGENT_SCHEMA_VERSION
        {
            return Ok(Err(unreadable(layout, db_path)));
        }
        if let (Some(want), Some(owner)) = (agent_id, db.agent_owner(db_path)?)
            && owner != want
        {
            return Ok(Err(OpenClawFailure {
                code: "AGENT_DATABASE_OWNER_MISMATCH".into(),
                message: format!(
                    "OpenClaw agent database {} belongs to agent {owner}; requested agent {want}.",
                    shorten_home(layout, db_path)
                ),
                fix: "check agents.entries.<id>.agentDir in openclaw.json".to_owned(),
            }));
        }
        (
            db.text(
                db_path,
                "auth_profile_store",
                "store_json",
                "store_key",
                "primary",
            )?,
            db.text(
                db_path,
                "auth_profile_state",
                "state_json",
                "state_key",
                "primary",
            )?,
        )
    };
    let Some(store_row) = store_row else {
        // No store row: an empty store; the state row is ignored.
        return Ok(Ok(docs));
    };
    let store_row = zeroize::Zeroizing::new(store_row);
    let Some(doc) = json_or_none(db_path, &store_row)?.map(Wiped) else {
        return Ok(Err(unreadable(layout, db_path)));
    };
    match parse_credential_doc(&doc, &env_var_name) {
        Ok(creds) => docs.creds = creds,
        Err(DocError::NotAnObject | DocError::ProfilesNotAnObject) => {
            return Ok(Err(unreadable(layout, db_path)));
        }
    }
    let state_doc = match state_row {
        Some(s) => json_or_none(db_path, &s)?.map(|v| parse_state_doc(&v)),
        None => None,
    }
    .unwrap_or_default();
    docs.state = docs.creds.inline_state.merged_with(&state_doc);
    Ok(Ok(docs))
}

/// `assertAuthProfileMigrationReady`: retired JSON files next to an owner that holds no
/// credentials block every `models status` run (SPEC §0; `legacy-source-files.ts`).
fn legacy_check(layout: &Layout, owner: &OwnerDocs, dir: &Utf8Path) -> Option<OpenClawFailure> {
    let mut sources = vec![dir.join("auth-profiles.json"), dir.join("auth.json")];
    if dir == layout.shared_main_dir() {
        sources.push(layout.oauth_dir().join("oauth.json"));
    }
    let present: Vec<Utf8PathBuf> = sources.into_iter().filter(|p| exists(p)).collect();
    if present.is_empty() || !owner.creds.profiles.is_empty() {
        return None;
    }
    let providers = legacy_providers(&present).map_or_else(
        || "all (legacy provider scope unavailable)".to_owned(),
        |ps| ps.join(", "),
    );
    Some(OpenClawFailure {
        code: "AUTH_PROFILE_MIGRATION_REQUIRED".into(),
        message: format!(
            "Auth profile store {} requires legacy credential migration; affected providers: {providers}; run openclaw doctor --fix.",
            shorten_home(layout, &owner.path)
        ),
        fix: "openclaw doctor --fix".to_owned(),
    })
}

/// The providers named in the legacy files, when every file is a parseable `auth-profiles.json`.
fn legacy_providers(paths: &[Utf8PathBuf]) -> Option<Vec<String>> {
    let mut providers: Vec<String> = Vec::new();
    for path in paths {
        if path.file_name() != Some("auth-profiles.json") {
            return None;
        }
        let text = read_secret_text(path).ok()??;
        let doc = Wiped(parse_json(path, &text).ok()?);
        let entries = match doc.get("profiles") {
            Some(p) => p.as_object()?,
            None => doc.as_object()?,
        };
        if entries.is_empty() {
            return None;
        }
        for (key, entry) in entries {
            let provider = entry
                .get("provider")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| doc.get("profiles").is_none().then(|| key.clone()))?;
            let p = provider.trim().to_lowercase();
            let valid = !p.is_empty()
                && p.len() <= 128
                && p.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
            if !valid {
                return None;
            }
            if p == "openai-codex" {
                providers.push("openai".to_owned());
            }
            providers.push(p);
        }
    }
    providers.sort();
    providers.dedup();
    Some(providers)
}

/// Which flavour of store a state dir holds. SQLite when any OpenClaw database exists or the
/// config was last written by 2026.7+; the JSON store when only `auth-profiles.json` exists.
pub fn detect_flavor(
    layout: &Layout,
    agent_dir: &Utf8Path,
    last_touched_version: Option<&str>,
) -> StoreFlavor {
    let sqlite_exists = exists(&layout.state_db())
        || exists(&layout.shared_main_dir().join("openclaw-agent.sqlite"))
        || exists(&agent_dir.join("openclaw-agent.sqlite"));
    if sqlite_exists {
        return StoreFlavor::Sqlite;
    }
    let json_exists = exists(&agent_dir.join("auth-profiles.json"))
        || exists(&layout.shared_main_dir().join("auth-profiles.json"));
    let modern_config = last_touched_version.is_some_and(|v| v >= "2026.7");
    if json_exists && !modern_config {
        StoreFlavor::LegacyJson
    } else {
        StoreFlavor::Sqlite
    }
}

/// The shared store's documents, read once per check for every agent that merges over them
/// (parsing a store of thousands of profiles once per agent made a check quadratic).
#[derive(Default)]
pub struct SharedOwners(std::cell::RefCell<HashMap<Utf8PathBuf, std::rc::Rc<OwnerDocs>>>);

impl SharedOwners {
    /// The documents at `path`, read by `read` the first time.
    fn get_or_read(
        &self,
        path: &Utf8Path,
        read: impl FnOnce() -> Result<Result<OwnerDocs, OpenClawFailure>>,
    ) -> Result<Result<std::rc::Rc<OwnerDocs>, OpenClawFailure>> {
        if let Some(docs) = self.0.borrow().get(path) {
            return Ok(Ok(std::rc::Rc::clone(docs)));
        }
        Ok(read()?.map(|d| {
            let d = std::rc::Rc::new(d);
            self.0
                .borrow_mut()
                .insert(path.to_owned(), std::rc::Rc::clone(&d));
            d
        }))
    }
}

/// Reads the documents an agent's `models status` would load. `state_db` is the snapshot of
/// `<state>/state/openclaw.sqlite` (read once per check and shared by all agents; only the
/// SQLite flavour uses it); `shared` keeps the shared store once read.
pub fn read_agent_store(
    layout: &Layout,
    agent_id: &str,
    agent_dir: &Utf8Path,
    flavor: StoreFlavor,
    state_db: Option<&Snapshot>,
    shared: &SharedOwners,
) -> Result<Result<RawAgentStore, OpenClawFailure>> {
    match flavor {
        StoreFlavor::LegacyJson => read_legacy_store(layout, agent_dir, shared).map(Ok),
        StoreFlavor::Sqlite => read_sqlite_store(layout, agent_id, agent_dir, state_db, shared),
    }
}

fn read_sqlite_store(
    layout: &Layout,
    agent_id: &str,
    agent_dir: &Utf8Path,
    state_db: Option<&Snapshot>,
    owners: &SharedOwners,
) -> Result<Result<RawAgentStore, OpenClawFailure>> {
    let state_db_path = layout.state_db();
    let shared_path = match shared_db_path(layout, state_db)? {
        Ok(p) => p,
        Err(f) => return Ok(Err(f)),
    };
    let agent_db = agent_dir.join("openclaw-agent.sqlite");
    let shared_is_state = shared_path == state_db_path;

    let local_is_state = agent_db == state_db_path;
    let local =
        match read_sqlite_owner(layout, &agent_db, local_is_state, state_db, Some(agent_id))? {
            Ok(d) => d,
            Err(f) => return Ok(Err(f)),
        };
    if let Some(f) = legacy_check(layout, &local, agent_dir) {
        return Ok(Err(f));
    }
    if agent_db == shared_path {
        return Ok(Ok(RawAgentStore {
            flavor: StoreFlavor::Sqlite,
            store_path: agent_db,
            local,
            shared: None,
            owns_shared: true,
        }));
    }
    let shared = match owners.get_or_read(&shared_path, || {
        read_sqlite_owner(layout, &shared_path, shared_is_state, state_db, None)
    })? {
        Ok(d) => d,
        Err(f) => return Ok(Err(f)),
    };
    if let Some(f) = legacy_check(layout, &shared, &layout.shared_main_dir()) {
        return Ok(Err(f));
    }
    // `auth.storePath` is the agent's own DB when it exists, else the shared one.
    let store_path = if exists(&agent_db) {
        agent_db
    } else {
        shared_path
    };
    Ok(Ok(RawAgentStore {
        flavor: StoreFlavor::Sqlite,
        store_path,
        local,
        shared: Some(shared),
        owns_shared: agent_dir == layout.shared_main_dir(),
    }))
}

/// 2026.6.1: `<agentDir>/auth-profiles.json` (+ `auth-state.json`); a missing or malformed file is
/// an empty store (`loadJsonFile` returns undefined). Agents other than main merge over main.
fn read_legacy_store(
    layout: &Layout,
    agent_dir: &Utf8Path,
    owners: &SharedOwners,
) -> Result<RawAgentStore> {
    let read_dir = |dir: &Utf8Path| -> Result<OwnerDocs> {
        let path = dir.join("auth-profiles.json");
        let mut docs = OwnerDocs {
            path: path.clone(),
            ..OwnerDocs::default()
        };
        if let Some(text) = read_secret_text(&path)? {
            match parse_json(&path, &text).map(Wiped) {
                Ok(doc) => match parse_credential_doc(&doc, &env_var_name) {
                    Ok(creds) => docs.creds = creds,
                    Err(_) => docs.problem = Some(format!("{path} has no `profiles` object")),
                },
                Err(e @ crate::error::Error::TooDeep { .. }) => return Err(e),
                Err(e) => docs.problem = Some(e.to_string()),
            }
        }
        let state_path = dir.join("auth-state.json");
        let state_doc = match crate::openclaw::files::read_text(&state_path)? {
            Some(t) => json_or_none(&state_path, &t)?.map(|v| parse_state_doc(&v)),
            None => None,
        }
        .unwrap_or_default();
        docs.state = docs.creds.inline_state.merged_with(&state_doc);
        Ok(docs)
    };
    let main_dir = layout.state_dir.join("agents/main/agent");
    let local = read_dir(agent_dir)?;
    let shared = if agent_dir != main_dir {
        let docs = owners.get_or_read(&main_dir.join("auth-profiles.json"), || {
            read_dir(&main_dir).map(Ok)
        })?;
        Some(docs.unwrap_or_default())
    } else {
        None
    };
    Ok(RawAgentStore {
        flavor: StoreFlavor::LegacyJson,
        store_path: local.path.clone(),
        owns_shared: shared.is_none(),
        local,
        shared,
    })
}

impl AgentStore {
    /// Merges the agent's store over the shared one as of `now_ms`
    /// (`mergeAuthProfileStores` + `reconcileMainStoreOAuthProfileDrift`, `persisted.ts`).
    pub fn resolve(raw: &RawAgentStore, now_ms: f64) -> AgentStore {
        let local = &raw.local;
        let mut dropped = local.creds.dropped.clone();
        let problems: Vec<String> = std::iter::once(&raw.local)
            .chain(raw.shared.as_deref())
            .filter_map(|d| d.problem.clone())
            .collect();
        let Some(shared) = raw.shared.as_deref() else {
            return AgentStore {
                flavor: raw.flavor,
                store_path: raw.store_path.clone(),
                origin: local
                    .creds
                    .profiles
                    .iter()
                    .map(|p| (p.id.clone(), local.path.clone()))
                    .collect(),
                profiles: local.creds.profiles.clone(),
                state: local.state.clone(),
                shared_path: None,
                dropped,
                drift: Vec::new(),
                problems,
            };
        };
        dropped.extend(shared.creds.dropped.iter().cloned());
        if local.creds.profiles.is_empty() && local.state.is_empty() {
            return AgentStore {
                flavor: raw.flavor,
                store_path: raw.store_path.clone(),
                origin: shared
                    .creds
                    .profiles
                    .iter()
                    .map(|p| (p.id.clone(), shared.path.clone()))
                    .collect(),
                profiles: shared.creds.profiles.clone(),
                state: shared.state.clone(),
                shared_path: (!raw.owns_shared).then(|| shared.path.clone()),
                dropped,
                drift: Vec::new(),
                problems,
            };
        }
        let mut profiles: Vec<Credential> = local.creds.profiles.clone();
        let mut origin: Vec<(String, Utf8PathBuf)> = profiles
            .iter()
            .map(|p| (p.id.clone(), local.path.clone()))
            .collect();
        let local_ids: HashSet<&str> = local.creds.profiles.iter().map(|p| p.id.as_str()).collect();
        for p in &shared.creds.profiles {
            if !local_ids.contains(p.id.as_str()) {
                origin.push((p.id.clone(), shared.path.clone()));
                profiles.push(p.clone());
            }
        }
        let mut state = AuthState {
            order: merge_order(&shared.state, &local.state, &local.creds.profiles),
            last_good: shared.state.last_good.clone(),
            usage: shared.state.usage.clone(),
        };
        state.last_good.extend(local.state.last_good.clone());
        state.usage.extend(local.state.usage.clone());

        let mut drift = Vec::new();
        // Both flavours merge with the drift rule (2026.6.1 has it too, SPEC §10 rule 8).
        let mut shared_by_provider: HashMap<&str, Vec<&Credential>> = HashMap::new();
        for c in &shared.creds.profiles {
            shared_by_provider
                .entry(c.provider.as_str())
                .or_default()
                .push(c);
        }
        for l in &local.creds.profiles {
            if l.kind == CredentialType::OAuth
                && l.id == format!("{}:default", l.provider)
                && let Some(same) = shared_by_provider.get(l.provider.as_str())
                && let Some(r) = drift_replacement(same, l, now_ms)
            {
                drift.push((l.id.clone(), r));
            }
        }
        let legacies: HashSet<&str> = drift.iter().map(|(l, _)| l.as_str()).collect();
        if drift.iter().any(|(_, r)| legacies.contains(r.as_str())) {
            // A replacement that is another pair's legacy id (ids that lie about their
            // provider): one pair at a time, in order, as OpenClaw does.
            for pair in &drift {
                let one = std::slice::from_ref(pair);
                replace_references(&mut profiles, &mut origin, &mut state, shared, one, now_ms);
            }
        } else {
            replace_references(
                &mut profiles,
                &mut origin,
                &mut state,
                shared,
                &drift,
                now_ms,
            );
        }
        let ids: HashSet<&str> = profiles.iter().map(|p| p.id.as_str()).collect();
        state.last_good.retain(|_, id| ids.contains(id.as_str()));
        state
            .usage
            .retain(|id, _| ids.contains(id.as_str()) || id.starts_with("inline-api-key:"));
        AgentStore {
            flavor: raw.flavor,
            store_path: raw.store_path.clone(),
            profiles,
            state,
            origin,
            shared_path: (!raw.owns_shared).then(|| shared.path.clone()),
            dropped,
            drift,
            problems,
        }
    }

    /// The profiles that come from the shared store rather than the agent's own database.
    pub fn shared_ids(&self) -> std::collections::HashSet<&str> {
        match &self.shared_path {
            Some(shared) => self
                .origin
                .iter()
                .filter(|(_, path)| path == shared)
                .map(|(id, _)| id.as_str())
                .collect(),
            None => std::collections::HashSet::new(),
        }
    }
}

fn uniq(ids: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    ids.into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

/// `mergeProfileOrderWithOverridePrecedence`.
fn merge_order(
    base: &AuthState,
    over: &AuthState,
    local_profiles: &[Credential],
) -> Vec<(String, Vec<String>)> {
    // Positions by provider; an order lists each provider once (`parse_state_doc`).
    let mut merged = base.order.clone();
    let mut at: HashMap<String, usize> = HashMap::new();
    for (i, (p, _)) in merged.iter().enumerate() {
        at.entry(p.clone()).or_insert(i);
    }
    for (p, ids) in &over.order {
        match at.get(p) {
            Some(&i) => merged[i].1 = ids.clone(),
            None => {
                at.insert(p.clone(), merged.len());
                merged.push((p.clone(), ids.clone()));
            }
        }
    }
    fn first(state: &AuthState) -> HashMap<&str, &[String]> {
        let mut m = HashMap::new();
        for (p, ids) in &state.order {
            m.entry(p.as_str()).or_insert(ids.as_slice());
        }
        m
    }
    let (over_order, base_order) = (first(over), first(base));
    let mut local_providers: Vec<&str> = Vec::new();
    let mut local_ids: HashMap<&str, Vec<String>> = HashMap::new();
    for c in local_profiles {
        let ids = local_ids.entry(c.provider.as_str()).or_default();
        if ids.is_empty() {
            local_providers.push(&c.provider);
        }
        ids.push(c.id.clone());
    }
    for p in local_providers {
        let Some(&slot) = at.get(p) else { continue };
        if let Some(ids) = over_order.get(p) {
            merged[slot].1 = uniq(ids.iter().cloned());
        } else if let Some(base_ids) = base_order.get(p) {
            let current = std::mem::take(&mut merged[slot].1);
            let mine = local_ids.remove(p).unwrap_or_default();
            merged[slot].1 = uniq(
                mine.into_iter()
                    .chain(base_ids.iter().cloned())
                    .chain(current),
            );
        }
    }
    merged.retain(|(_, ids)| !ids.is_empty());
    merged
}

fn is_newer_usable(existing: &Credential, candidate: &Credential, now_ms: f64) -> bool {
    if !candidate.has_usable_oauth(now_ms) {
        return false;
    }
    if !existing.has_usable_oauth(now_ms) {
        return true;
    }
    let finite = |c: &Credential| c.expires.filter(|e| e.is_finite());
    match (finite(candidate), finite(existing)) {
        (Some(c), Some(e)) => c > e,
        (Some(_), None) => true,
        _ => false,
    }
}

fn norm_email(c: &Credential) -> Option<String> {
    c.email
        .as_deref()
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty())
}

fn has_identity(c: &Credential) -> bool {
    c.account_id.is_some() || norm_email(c).is_some()
}

fn equivalent(a: &Credential, b: &Credential) -> bool {
    a.provider == b.provider
        && a.digest == b.digest
        && a.expires == b.expires
        && a.email == b.email
        && a.account_id == b.account_id
}

/// `isSafeToAdoptMainStoreOAuthIdentity`.
fn safe_to_adopt(local: &Credential, cand: &Credential) -> bool {
    if local.provider != cand.provider {
        return false;
    }
    if equivalent(local, cand) || !has_identity(local) {
        return true;
    }
    if let (Some(a), Some(b)) = (&local.account_id, &cand.account_id) {
        return a == b;
    }
    match (norm_email(local), norm_email(cand)) {
        (Some(a), Some(b)) => a == b,
        _ => !has_identity(local),
    }
}

/// `hasComparableOAuthIdentityConflict`.
fn identity_conflict(local: &Credential, cand: &Credential) -> bool {
    let acct = matches!((&local.account_id, &cand.account_id), (Some(a), Some(b)) if a != b);
    let email = matches!((norm_email(local), norm_email(cand)), (Some(a), Some(b)) if a != b);
    acct || email
}

/// `findMainStoreOAuthReplacement`, among the shared profiles of the local one's provider.
fn drift_replacement(shared: &[&Credential], local: &Credential, now_ms: f64) -> Option<String> {
    let mut cands: Vec<&Credential> = shared
        .iter()
        .copied()
        .filter(|c| {
            c.id != local.id
                && c.kind == CredentialType::OAuth
                && !c.setup_inactive
                && c.provider == local.provider
                && is_newer_usable(local, c, now_ms)
        })
        .collect();
    let exp = |c: &Credential| c.expires.filter(|e| e.is_finite()).unwrap_or(0.0);
    cands.sort_by(|a, b| {
        exp(b)
            .partial_cmp(&exp(a))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| crate::health::collate(&a.id, &b.id))
    });
    let exact: Vec<&&Credential> = cands.iter().filter(|c| safe_to_adopt(local, c)).collect();
    if !exact.is_empty() {
        if !has_identity(local) && exact.len() > 1 {
            return None;
        }
        return Some(exact[0].id.clone());
    }
    if local.has_usable_oauth(now_ms) {
        return None;
    }
    let fallback: Vec<&&Credential> = cands
        .iter()
        .filter(|c| !identity_conflict(local, c))
        .collect();
    (fallback.len() == 1).then(|| fallback[0].id.clone())
}

/// `replaceMergedProfileReferences`, for every `(legacy, replacement)` pair at once. The pairs
/// are of distinct providers (one `<provider>:default` each) and a replacement is never another
/// pair's legacy id, so one pass over the profiles and the order does what one call per pair
/// does, in time linear in the store.
fn replace_references(
    profiles: &mut Vec<Credential>,
    origin: &mut Vec<(String, Utf8PathBuf)>,
    state: &mut AuthState,
    shared: &OwnerDocs,
    drift: &[(String, String)],
    now_ms: f64,
) {
    if drift.is_empty() {
        return;
    }
    let mut shared_of: HashMap<&str, &Credential> = HashMap::new();
    for p in &shared.creds.profiles {
        shared_of.entry(p.id.as_str()).or_insert(p);
    }
    let renamed: HashMap<&str, &str> = drift
        .iter()
        .map(|(l, r)| (l.as_str(), r.as_str()))
        .collect();
    // Legacy profiles: the shared profile of that id replaces them, else they go.
    let dropped: HashSet<&str> = drift
        .iter()
        .map(|(l, _)| l.as_str())
        .filter(|l| !shared_of.contains_key(l))
        .collect();
    for p in profiles.iter_mut() {
        if let Some(base) = renamed
            .contains_key(p.id.as_str())
            .then(|| shared_of.get(p.id.as_str()))
            .flatten()
        {
            *p = (*base).clone();
        }
    }
    for o in origin.iter_mut() {
        if renamed.contains_key(o.0.as_str()) && shared_of.contains_key(o.0.as_str()) {
            o.1 = shared.path.clone();
        }
    }
    profiles.retain(|p| !dropped.contains(p.id.as_str()));
    origin.retain(|(id, _)| !dropped.contains(id.as_str()));
    // Replacements: added when missing, refreshed when the shared one is newer and usable.
    let mut at: HashMap<String, usize> = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.clone(), i))
        .collect();
    for (_, repl) in drift {
        let Some(base) = shared_of.get(repl.as_str()) else {
            continue;
        };
        match at.get(repl) {
            None => {
                at.insert(repl.clone(), profiles.len());
                profiles.push((*base).clone());
                origin.push((repl.clone(), shared.path.clone()));
            }
            Some(&i) => {
                let slot = &mut profiles[i];
                if slot.kind == CredentialType::OAuth && is_newer_usable(slot, base, now_ms) {
                    *slot = (*base).clone();
                }
            }
        }
    }
    for (_, ids) in &mut state.order {
        *ids = uniq(ids.iter().map(|id| {
            renamed
                .get(id.as_str())
                .map_or_else(|| id.clone(), |r| (*r).to_owned())
        }));
    }
    for id in state.last_good.values_mut() {
        if let Some(r) = renamed.get(id.as_str()) {
            *id = (*r).to_owned();
        }
    }
    for (legacy, _) in drift {
        match shared.state.usage.get(legacy) {
            Some(u) => {
                state.usage.insert(legacy.clone(), u.clone());
            }
            None => {
                state.usage.remove(legacy);
            }
        }
    }
}
