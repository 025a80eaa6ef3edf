//! A gateway state near clawauth's size caps, for the test that evaluation stays linear and for
//! the benchmark's figure: thousands of profiles in OpenClaw 2026.9.6's SQLite store (the
//! `config_machine_state` rows, as the real CLI writes them), many agents with many fallback
//! routes in `openclaw.json`, an `auth.order` and configured profiles for every provider, and
//! usage state with cooldowns — some scoped to one model.

use std::path::Path;

use serde_json::{Map, Value, json};

/// How big.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub profiles: usize,
    pub agents: usize,
    /// Fallback models per agent (each agent also has a primary and the utility route).
    pub fallbacks: usize,
    pub providers: usize,
}

impl Shape {
    /// One agent over a store near the 16 MiB document cap, with thousands of routes.
    pub const NEAR_CAPS: Shape = Shape {
        profiles: 50_000,
        agents: 1,
        fallbacks: 5_000,
        providers: 200,
    };

    /// A hundred agents, each with its routes, over one shared store (every agent's report
    /// lists all its profiles: 50 000 agent-profile pairs, as many as the near-caps store).
    pub const MANY_AGENTS: Shape = Shape {
        profiles: 500,
        agents: 100,
        fallbacks: 50,
        providers: 50,
    };

    /// Routes over all agents: primary, fallbacks and the utility model of each.
    pub fn routes(&self) -> usize {
        self.agents * (self.fallbacks + 2)
    }
}

/// The provider of profile or model number `i`.
fn provider(i: usize, shape: &Shape) -> String {
    match i % shape.providers {
        0 => "anthropic".to_owned(),
        k => format!("acme-{k}"),
    }
}

/// The profile of `provider` that every route of it must pick: the first of its `auth.order`
/// (the highest-numbered profile) is cooling down for every model, the second only for
/// another model, so the second serves.
pub fn expected_pick(provider_index: usize, shape: &Shape) -> String {
    let ids: Vec<usize> = (0..shape.profiles)
        .filter(|i| i % shape.providers == provider_index)
        .collect();
    let second = ids[ids.len() - 2];
    format!("{}:p{second}", provider(provider_index, shape))
}

/// Writes the state under `home` (`.openclaw/openclaw.json` and the state database) as of
/// `now_ms`: every route is served by a token with 30 days left, so the verdict is ok.
pub fn write(home: &Path, shape: &Shape, now_ms: i64) {
    let oc = home.join(".openclaw");
    std::fs::create_dir_all(oc.join("state")).expect("mkdir state");

    let mut profiles = Map::new();
    for i in 0..shape.profiles {
        let p = provider(i, shape);
        profiles.insert(
            format!("{p}:p{i}"),
            json!({
                "type": "token",
                "provider": p,
                "token": format!("sk-ant-oat01-FAKE-{i:06}-{}", "x".repeat(160)),
                "expires": now_ms + 30 * 86_400_000,
            }),
        );
    }
    let store = json!({"version": 1, "profiles": profiles});

    let mut order = Map::new();
    let mut configured = Map::new();
    let mut usage = Map::new();
    for k in 0..shape.providers {
        let p = provider(k, shape);
        let mut ids: Vec<String> = (0..shape.profiles)
            .filter(|i| i % shape.providers == k)
            .map(|i| format!("{p}:p{i}"))
            .collect();
        ids.reverse();
        for id in ids.iter().take(20) {
            configured.insert(id.clone(), json!({"provider": p, "mode": "token"}));
        }
        // The first cools down for every model; the second only for a model no route uses.
        usage.insert(
            ids[0].clone(),
            json!({"cooldownUntil": now_ms + 3_600_000, "cooldownReason": "overloaded", "lastUsed": now_ms - 1000}),
        );
        usage.insert(
            ids[1].clone(),
            json!({"cooldownUntil": now_ms + 3_600_000, "cooldownReason": "rate_limit", "cooldownModel": "elsewhere", "lastUsed": now_ms - 2000}),
        );
        order.insert(p, Value::from(ids));
    }
    let state = json!({"version": 1, "usageStats": usage});

    // Agent `a`'s model j is served by provider (a + j) mod providers. Agent 0 is `main`,
    // which takes the defaults (as the only agent, it is the owner, which OpenClaw inspects
    // with the defaults' models).
    let models = |a: usize| {
        let model = |j: usize| format!("{}/model-{j}", provider((a + j) % shape.providers, shape));
        let fallbacks: Vec<String> = (1..=shape.fallbacks).map(model).collect();
        json!({"model": {"primary": model(0), "fallbacks": fallbacks}, "utilityModel": model(0)})
    };
    let mut entries = Map::new();
    entries.insert("main".to_owned(), json!({}));
    for a in 1..shape.agents {
        entries.insert(format!("agent-{a}"), models(a));
    }
    let config = json!({
        "meta": {"lastTouchedVersion": "2026.9.6"},
        "agents": {"ownership": "explicit", "defaults": models(0), "entries": entries},
        "auth": {"order": order, "profiles": configured},
    });
    std::fs::write(oc.join("openclaw.json"), format!("{config:#}\n")).expect("write config");

    let db = rusqlite::Connection::open(oc.join("state/openclaw.sqlite")).expect("open db");
    db.execute_batch(
        "CREATE TABLE config_machine_state (
           state_key TEXT NOT NULL PRIMARY KEY,
           value_json TEXT NOT NULL,
           updated_at_ms INTEGER NOT NULL
         ) STRICT;",
    )
    .expect("schema");
    for (key, value) in [
        ("auth.sharedStore", json!({"location": "state-db"})),
        ("authProfiles.store", store),
        ("authProfiles.state", state),
    ] {
        db.execute(
            "INSERT INTO config_machine_state VALUES (?1, ?2, ?3)",
            rusqlite::params![key, value.to_string(), now_ms],
        )
        .expect("insert");
    }
}
