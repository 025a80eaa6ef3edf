//! Model references as `models status` parses them (`src/agents/model-selection-shared.ts`
//! `resolveModelRefFromString`, `model-selection-normalize.ts`, `model-ref-profile.ts`,
//! `packages/model-catalog-core/src/provider-model-id-normalization.ts`).

use serde::Serialize;
use serde_json::Value;

/// `provider/model`, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelRef {
    pub provider: String,
    pub model: String,
}

impl ModelRef {
    /// `modelKey`: `model` when it already starts with `provider/`, else `provider/model`.
    pub fn key(&self) -> String {
        if self
            .model
            .to_lowercase()
            .starts_with(&format!("{}/", self.provider))
        {
            self.model.clone()
        } else {
            format!("{}/{}", self.provider, self.model)
        }
    }
}

impl std::fmt::Display for ModelRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

/// `splitTrailingAuthProfile`: drops an `@profile` pin (status ignores it). The delimiter is the
/// first `@` after the last `/`, except a `@YYYYMMDD` date or a quantisation suffix.
pub fn strip_profile_pin(raw: &str) -> &str {
    let start = raw.rfind('/').map_or(0, |i| i + 1);
    let tail = &raw[start..];
    let Some(at) = tail.find('@') else {
        return raw;
    };
    let suffix = &tail[at + 1..];
    let is_date = suffix.len() == 8 && suffix.bytes().all(|b| b.is_ascii_digit());
    let lower = suffix.to_ascii_lowercase();
    let is_quant = lower.starts_with('q')
        && lower
            .get(1..2)
            .is_some_and(|c| c.bytes().all(|b| b.is_ascii_digit()))
        || lower.starts_with("iq")
        || lower.ends_with("bit") && lower[..lower.len() - 3].bytes().all(|b| b.is_ascii_digit());
    if is_date || is_quant {
        raw
    } else {
        &raw[..start + at]
    }
}

/// The anthropic model-id table (lower-case lookup).
fn normalize_anthropic(model: &str) -> Option<&'static str> {
    Some(match model.to_lowercase().as_str() {
        "fable" | "fable-5.1" | "fable-5-1" => "claude-fable-5-1",
        "fable-5" => "claude-fable-5",
        "haiku" => "claude-haiku-4-5",
        "opus-5.5" | "opus-5-5" => "claude-opus-5-5",
        "opus-5" | "opus" => "claude-opus-5",
        "opus-4.8" => "claude-opus-4-8",
        "opus-4.7" => "claude-opus-4-7",
        "opus-4.6" => "claude-opus-4-6",
        "mythos-5" => "claude-mythos-5",
        "sonnet-5" | "sonnet" => "claude-sonnet-5",
        "sonnet-4.6" => "claude-sonnet-4-6",
        _ => return None,
    })
}

fn normalize_google(model: &str) -> Option<&'static str> {
    Some(match model {
        "gemini-3-pro" | "gemini-3-pro-preview" | "gemini-3.1-pro" => "gemini-3.1-pro-preview",
        "gemini-3-flash" | "gemini-3.1-flash" | "gemini-3.1-flash-preview" => {
            "gemini-3-flash-preview"
        }
        "gemini-3.1-flash-lite-preview" => "gemini-3.1-flash-lite",
        "gemma-4-26b" => "gemma-4-26b-a4b-it",
        _ => return None,
    })
}

fn normalize_xai(model: &str) -> Option<&'static str> {
    Some(match model.to_lowercase().as_str() {
        "grok-4.3-latest" => "grok-4.3",
        "grok-4.5-latest" | "grok-build-latest" => "grok-4.5",
        "grok-4.7-latest" => "grok-4.7",
        "grok-4-fast-reasoning" => "grok-4-fast",
        "grok-4-1-fast-reasoning" => "grok-4-1-fast",
        _ => return None,
    })
}

/// `normalizeProviderModelId` for the bundled providers.
pub fn normalize_model_id(provider: &str, model: &str) -> String {
    let prefix = format!("{provider}/");
    let model = if model.to_lowercase().starts_with(&prefix) {
        &model[prefix.len()..]
    } else {
        model
    };
    let mapped = match provider {
        "anthropic" => normalize_anthropic(model),
        "google" | "google-gemini-cli" | "google-vertex" => normalize_google(model),
        "xai" => normalize_xai(model),
        _ => None,
    };
    if let Some(m) = mapped {
        return m.to_owned();
    }
    if matches!(provider, "openrouter" | "nvidia") && !model.contains('/') {
        return format!("{provider}/{model}");
    }
    model.to_owned()
}

/// `parseModelRef(raw, "openai")`: split at the first `/`; a bare name is an `openai` model.
pub fn parse_plain(raw: &str) -> Option<ModelRef> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if raw.eq_ignore_ascii_case("openrouter:auto") {
        return Some(ModelRef {
            provider: "openrouter".to_owned(),
            model: "openrouter/auto".to_owned(),
        });
    }
    let (provider, model) = match raw.split_once('/') {
        None => ("openai", raw),
        Some((p, m)) => (p.trim(), m.trim()),
    };
    if provider.is_empty() || model.is_empty() {
        return None;
    }
    let provider = provider.to_lowercase();
    Some(ModelRef {
        model: normalize_model_id(&provider, model),
        provider,
    })
}

/// Built-in aliases (`DEFAULT_MODEL_ALIASES`), active only for targets listed in
/// `agents.defaults.models` without an alias of their own.
const DEFAULT_ALIASES: [(&str, &str); 8] = [
    ("opus", "anthropic/claude-opus-5"),
    ("sonnet", "anthropic/claude-sonnet-5"),
    ("gpt", "openai/gpt-5.4"),
    ("gpt-mini", "openai/gpt-5.4-mini"),
    ("gpt-nano", "openai/gpt-5.4-nano"),
    ("gemini", "google/gemini-3.1-pro-preview"),
    ("gemini-flash", "google/gemini-3-flash-preview"),
    ("gemini-flash-lite", "google/gemini-3.1-flash-lite"),
];

/// Model aliases from `agents.defaults.models` (and the agent's own `models` when checking an
/// explicit agent): `alias (lower-case) → ref`.
#[derive(Debug, Clone, Default)]
pub struct AliasIndex {
    by_alias: std::collections::HashMap<String, ModelRef>,
}

impl AliasIndex {
    pub fn build(defaults_models: Option<&Value>, agent_models: Option<&Value>) -> Self {
        let mut idx = Self::default();
        let mut taken = std::collections::HashSet::new();
        for map in [defaults_models, agent_models].into_iter().flatten() {
            let Some(map) = map.as_object() else { continue };
            for (key, entry) in map {
                if key.ends_with("/*") {
                    continue;
                }
                let Some(alias) = entry.get("alias").and_then(Value::as_str) else {
                    continue;
                };
                let alias = alias.trim().to_lowercase();
                if alias.is_empty() {
                    continue;
                }
                if let Some(r) = parse_plain(strip_profile_pin(key)) {
                    // A later definition of an alias replaces an earlier one.
                    taken.insert(alias.clone());
                    idx.by_alias.insert(alias, r);
                }
            }
        }
        if let Some(map) = defaults_models.and_then(Value::as_object) {
            for (alias, target) in DEFAULT_ALIASES {
                let has_target = map.iter().any(|(k, v)| {
                    parse_plain(k).is_some_and(|r| r.key() == target) && v.get("alias").is_none()
                });
                if has_target
                    && !taken.contains(alias)
                    && let Some(r) = parse_plain(target)
                {
                    idx.by_alias.entry(alias.to_owned()).or_insert(r);
                }
            }
        }
        idx
    }

    pub fn get(&self, alias: &str) -> Option<&ModelRef> {
        self.by_alias.get(&alias.trim().to_lowercase())
    }
}

/// `resolveModelRefFromString`: pin stripped, aliases, then `parseModelRef`.
pub fn parse(raw: &str, aliases: &AliasIndex) -> Option<ModelRef> {
    let raw = strip_profile_pin(raw.trim());
    if let Some(r) = aliases.get(raw) {
        return Some(r.clone());
    }
    parse_plain(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parsing() {
        let none = AliasIndex::default();
        let r = parse("anthropic/opus", &none).expect("ref");
        assert_eq!(r.key(), "anthropic/claude-opus-5");
        assert_eq!(parse("opus", &none).expect("ref").key(), "openai/opus");
        assert_eq!(
            parse("Anthropic/Claude-Opus-5", &none).expect("ref").key(),
            "anthropic/Claude-Opus-5"
        );
        assert_eq!(
            parse("openrouter/anthropic/claude-sonnet-4.5", &none).expect("ref"),
            ModelRef {
                provider: "openrouter".into(),
                model: "anthropic/claude-sonnet-4.5".into()
            }
        );
        assert_eq!(
            parse("anthropic/claude-opus-5@anthropic:work", &none)
                .expect("ref")
                .key(),
            "anthropic/claude-opus-5"
        );
        assert_eq!(strip_profile_pin("x/model@20250101"), "x/model@20250101");
        assert!(parse("  ", &none).is_none());
        assert!(parse("/x", &none).is_none());
        let idx = AliasIndex::build(
            Some(
                &json!({"anthropic/claude-opus-5": {}, "anthropic/claude-sonnet-5": {"alias": "fast"}}),
            ),
            None,
        );
        assert_eq!(
            parse("opus", &idx).expect("ref").key(),
            "anthropic/claude-opus-5"
        );
        assert_eq!(
            parse("FAST", &idx).expect("ref").key(),
            "anthropic/claude-sonnet-5"
        );
        assert_eq!(parse("sonnet", &idx).expect("ref").key(), "openai/sonnet");
    }
}
