//! OpenClaw's config validation, as far as it decides whether `models status` runs at all.
//!
//! OpenClaw validates `openclaw.json` with a strict zod schema (`src/config/zod-schema.ts`,
//! `OpenClawSchema`): an unknown key anywhere, or a wrong type in the model settings, makes
//! every command fail with `Invalid config at <path>:` and one `- <path>: <message>` line per
//! issue. `config-schema-2026.9.6.json` is the key skeleton of that schema for 2026.9.6, dumped
//! from the installed package by `tests/fixtures/openclaw/dump-config-schema.mjs`; every strict
//! object of the real schema is strict in it. A node is `"*"` (not key-checked) or an object
//! with `o` (keys) + `strict`, `c` (schema of extra keys), `r` (record values), `k` (record key
//! rules), `a` (array items).

use std::sync::OnceLock;

use serde_json::{Map, Value};

/// The OpenClaw version the skeleton was taken from.
pub const SCHEMA_VERSION: &str = "2026.9.6";

fn skeleton() -> &'static Value {
    static SKELETON: OnceLock<Value> = OnceLock::new();
    SKELETON.get_or_init(|| {
        serde_json::from_str(include_str!("config-schema-2026.9.6.json"))
            .unwrap_or(Value::String("*".into()))
    })
}

#[derive(Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `formatConcreteConfigPath` (`src/shared/dot-path.ts`).
fn format_path(path: &[Seg]) -> String {
    if path.is_empty() {
        return "<root>".to_owned();
    }
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
            Seg::Key(k) => {
                let mut chars = k.chars();
                let simple = chars
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
                    && chars
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | ':' | '-'));
                if simple {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                } else {
                    out.push_str(&format!("[{}]", Value::String(k.clone())));
                }
            }
        }
    }
    out
}

fn js_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn with(path: &[Seg], seg: Seg) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(seg);
    p
}

fn key_ok(key: &str, rule: &Value) -> bool {
    if rule.get("custom").is_some() {
        return true;
    }
    let key = if rule.get("trim").is_some() {
        key.trim()
    } else {
        key
    };
    let len = key.chars().count() as u64;
    if rule
        .get("min")
        .and_then(Value::as_u64)
        .is_some_and(|m| len < m)
        || rule
            .get("max")
            .and_then(Value::as_u64)
            .is_some_and(|m| len > m)
    {
        return false;
    }
    match rule.get("re").and_then(Value::as_str) {
        None => true,
        Some(re) => {
            let flags = rule.get("f").and_then(Value::as_str).unwrap_or("");
            let pattern = if flags.contains('i') {
                format!("(?i){re}")
            } else {
                re.to_owned()
            };
            regex_lite::Regex::new(&pattern).map_or(true, |r| r.is_match(key))
        }
    }
}

struct Checker {
    issues: Vec<String>,
    /// Union values with a type error: OpenClaw reports only `Invalid input` there.
    skip: Vec<String>,
}

impl Checker {
    fn issue(&mut self, path: &[Seg], msg: impl Into<String>) {
        self.issues
            .push(format!("{}: {}", format_path(path), msg.into()));
    }

    fn walk(&mut self, v: &Value, node: &Value, path: &[Seg]) {
        if node.as_str() == Some("*") || self.skip.contains(&format_path(path)) {
            return;
        }
        match v {
            Value::Array(items) => {
                if let Some(item) = node.get("a") {
                    for (i, x) in items.iter().enumerate() {
                        self.walk(x, item, &with(path, Seg::Index(i)));
                    }
                }
            }
            Value::Object(map) => {
                if let Some(keys) = node.get("o").and_then(Value::as_object) {
                    for (k, child) in keys {
                        if let Some(x) = map.get(k) {
                            self.walk(x, child, &with(path, Seg::Key(k.clone())));
                        }
                    }
                    let extra: Vec<&String> =
                        map.keys().filter(|k| !keys.contains_key(*k)).collect();
                    if node.get("strict") == Some(&Value::Bool(true)) && !extra.is_empty() {
                        let names: Vec<String> = extra.iter().map(|k| format!("\"{k}\"")).collect();
                        let noun = if names.len() == 1 { "key" } else { "keys" };
                        self.issue(path, format!("Unrecognized {noun}: {}", names.join(", ")));
                    } else if let Some(c) = node.get("c") {
                        for k in extra {
                            self.walk(&map[k], c, &with(path, Seg::Key(k.clone())));
                        }
                    }
                } else if let Some(values) = node.get("r") {
                    for (k, x) in map {
                        let p = with(path, Seg::Key(k.clone()));
                        if let Some(rule) = node.get("k")
                            && !key_ok(k, rule)
                        {
                            self.issue(&p, "Invalid key in record");
                            continue;
                        }
                        self.walk(x, values, &p);
                    }
                }
            }
            _ => {}
        }
    }

    /// `string | {primary?: string, fallbacks?: string[], timeoutMs?: number}`.
    fn model_union(&mut self, v: Option<&Value>, path: &[Seg]) {
        let Some(v) = v else { return };
        let ok = match v {
            Value::String(_) => true,
            Value::Object(o) => {
                o.get("primary").is_none_or(Value::is_string)
                    && o.get("fallbacks").is_none_or(|f| {
                        f.as_array().is_some_and(|a| a.iter().all(Value::is_string))
                    })
                    && o.get("timeoutMs").is_none_or(Value::is_number)
            }
            _ => false,
        };
        if !ok {
            self.issue(path, "Invalid input");
            self.skip.push(format_path(path));
        }
    }

    /// zod's type error: `Invalid input: expected <what>, received <type>`.
    fn expected(&mut self, path: &[Seg], what: &str, got: Option<&Value>) {
        let got = got.map_or("undefined", js_type);
        self.issue(
            path,
            format!("Invalid input: expected {what}, received {got}"),
        );
    }

    fn string_field(&mut self, v: Option<&Value>, path: &[Seg]) {
        if let Some(v) = v.filter(|v| !v.is_string()) {
            self.expected(path, "string", Some(v));
        }
    }

    /// Type rules of the settings that decide routing (a key skeleton cannot see them).
    fn routing_types(&mut self, cfg: &Value) {
        let k = |s: &str| Seg::Key(s.to_owned());
        if let Some(defaults) = cfg.pointer("/agents/defaults") {
            let base = [k("agents"), k("defaults")];
            self.model_union(defaults.get("model"), &with(&base, k("model")));
            self.model_union(defaults.get("imageModel"), &with(&base, k("imageModel")));
            self.string_field(
                defaults.get("utilityModel"),
                &with(&base, k("utilityModel")),
            );
        }
        if let Some(entries) = cfg.pointer("/agents/entries").and_then(Value::as_object) {
            for (id, e) in entries {
                let base = [k("agents"), k("entries"), k(id)];
                self.model_union(e.get("model"), &with(&base, k("model")));
                self.string_field(e.get("utilityModel"), &with(&base, k("utilityModel")));
            }
        }
        match cfg.pointer("/auth/order") {
            Some(Value::Object(order)) => {
                for (p, ids) in order {
                    if !ids.is_array() {
                        self.expected(&[k("auth"), k("order"), k(p)], "array", Some(ids));
                    }
                }
            }
            Some(other) => self.expected(&[k("auth"), k("order")], "record", Some(other)),
            None => {}
        }
        match cfg.pointer("/auth/profiles") {
            Some(Value::Object(profiles)) => {
                for (id, p) in profiles {
                    let base = [k("auth"), k("profiles"), k(id)];
                    let mode = p.get("mode").and_then(Value::as_str);
                    if !matches!(mode, Some("api_key" | "aws-sdk" | "oauth" | "token")) {
                        self.issue(
                            &with(&base, k("mode")),
                            "Invalid input (allowed: \"api_key\", \"aws-sdk\", \"oauth\", \"token\")",
                        );
                    }
                    if !p.get("provider").is_some_and(Value::is_string) {
                        self.expected(&with(&base, k("provider")), "string", p.get("provider"));
                    }
                }
            }
            Some(other) => self.expected(&[k("auth"), k("profiles")], "record", Some(other)),
            None => {}
        }
    }
}

/// OpenClaw's rewrites before validation: context-budget keys and a well-formed legacy
/// `agents.list` (`legacy.context-budget`, `legacy.roster`).
fn legacy_rewrites(cfg: &mut Value) {
    if let Some(providers) = cfg
        .pointer_mut("/models/providers")
        .and_then(Value::as_object_mut)
    {
        for p in providers.values_mut().filter_map(Value::as_object_mut) {
            for key in ["contextTokens", "contextWindow"] {
                if let Some(v) = p.remove(key)
                    && let Some(models) = p.get_mut("models").and_then(Value::as_array_mut)
                {
                    for m in models.iter_mut().filter_map(Value::as_object_mut) {
                        m.entry(key).or_insert_with(|| v.clone());
                    }
                }
            }
        }
    }
    let Some(agents) = cfg.get_mut("agents").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(d) = agents.get_mut("defaults").and_then(Value::as_object_mut) {
        d.remove("contextTokens");
    }
    if let Some(entries) = agents.get_mut("entries").and_then(Value::as_object_mut) {
        for e in entries.values_mut().filter_map(Value::as_object_mut) {
            e.remove("contextTokens");
        }
    }
    if let Some(list) = agents.get_mut("list").and_then(Value::as_array_mut) {
        for e in list.iter_mut().filter_map(Value::as_object_mut) {
            e.remove("contextTokens");
        }
    }
    if agents.contains_key("entries") {
        return;
    }
    let Some(list) = agents.get("list").and_then(Value::as_array) else {
        return;
    };
    let mut entries = Map::new();
    for e in list {
        let Some(obj) = e.as_object() else { return };
        let Some(id) = obj.get("id").and_then(Value::as_str) else {
            return;
        };
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !valid || entries.contains_key(id) {
            return;
        }
        let mut rest = obj.clone();
        rest.remove("id");
        entries.insert(id.to_owned(), Value::Object(rest));
    }
    agents.remove("list");
    agents.insert("entries".to_owned(), Value::Object(entries));
}

/// The issue lines OpenClaw 2026.9.6 would print for this config (after `$include` and `${VAR}`),
/// empty when it accepts it.
pub fn check(config: &Value) -> Vec<String> {
    let mut cfg = config.clone();
    legacy_rewrites(&mut cfg);
    let mut c = Checker {
        issues: Vec::new(),
        skip: Vec::new(),
    };
    c.routing_types(&cfg);
    let typed = std::mem::take(&mut c.issues);
    c.walk(&cfg, skeleton(), &[]);
    c.issues.extend(typed);
    c.issues
}

/// Whether a `meta.lastTouchedVersion` is newer than the skeleton (its keys may be unknown to us).
pub fn newer_than_skeleton(version: Option<&str>) -> bool {
    let parse =
        |v: &str| -> Vec<u64> { v.split(['.', '-']).map_while(|p| p.parse().ok()).collect() };
    version.is_some_and(|v| parse(v) > parse(SCHEMA_VERSION))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_keys_are_reported_like_openclaw() {
        assert!(
            check(&json!({"agents": {"defaults": {"model": "anthropic/claude-opus-5"}}}))
                .is_empty()
        );
        assert_eq!(
            check(&json!({"bogusKey": 1})),
            ["<root>: Unrecognized key: \"bogusKey\""]
        );
        assert_eq!(
            check(&json!({"agents": {"defaults": {"agentRuntime": {"id": "x"}, "fallbacks": []}}})),
            ["agents.defaults: Unrecognized keys: \"agentRuntime\", \"fallbacks\""]
        );
        assert_eq!(
            check(&json!({"agents": {"entries": {"Work Bot": {"bogus": 1}}}})),
            ["agents.entries[\"Work Bot\"]: Invalid key in record"]
        );
        assert_eq!(
            check(
                &json!({"auth": {"profiles": {"anthropic:me@example.com": {"provider": "anthropic", "mode": "oauth", "x": 1}}}})
            ),
            ["auth.profiles[\"anthropic:me@example.com\"]: Unrecognized key: \"x\""]
        );
        // Free-form subtrees are not checked.
        assert!(check(&json!({"channels": {"telegram": {"anything": 1}}})).is_empty());
    }

    #[test]
    fn routing_type_errors() {
        assert_eq!(
            check(&json!({"agents": {"defaults": {"model": {"primary": 1, "bogus": 1}}}})),
            ["agents.defaults.model: Invalid input"]
        );
        assert_eq!(
            check(&json!({"agents": {"defaults": {"utilityModel": {"primary": "x"}}}})),
            ["agents.defaults.utilityModel: Invalid input: expected string, received object"]
        );
        assert_eq!(
            check(&json!({"auth": {"order": {"openai": "openai:default"}}})),
            ["auth.order.openai: Invalid input: expected array, received string"]
        );
        assert!(
            check(
                &json!({"agents": {"list": [{"id": "main"}, {"id": "second", "default": true}]}})
            )
            .is_empty()
        );
    }

    #[test]
    fn versions() {
        assert!(!newer_than_skeleton(Some("2026.9.6")));
        assert!(!newer_than_skeleton(Some("2026.6.1")));
        assert!(newer_than_skeleton(Some("2026.10.1")));
        assert!(newer_than_skeleton(Some("2027.1.0")));
        assert!(!newer_than_skeleton(None));
    }
}
