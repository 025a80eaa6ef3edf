//! The output of `openclaw models status --json [--check]` (SPEC §4.3), for 2026.9.x and the
//! older 2026.6.1 shape (no `utilityModel`, no `modelRouteIssues`). Unknown fields are ignored
//! and every list defaults to empty, so a newer OpenClaw that adds fields still parses.
//!
//! Only ever the `--json` form is run: the human report refreshes OAuth tokens and, when the
//! refresh fails, destroys them (SPEC §4.1).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// Either a status document or OpenClaw's failure document.
#[derive(Debug, Clone)]
pub enum StatusOutput {
    Status(Box<StatusJson>),
    /// `{"ok":false,"error":{"type":"cli_error","message":…}}` (`src/cli/failure-output.ts`).
    Failure(CliFailure),
}

/// Parses stdout of `models status --json`. Diagnostics OpenClaw prints before the document
/// (plugin warnings) are skipped: the document is the last top-level JSON object.
pub fn parse(stdout: &str) -> Result<StatusOutput, String> {
    if super::json::nests_deeper_than(stdout, super::json::MAX_DEPTH) {
        return Err(format!(
            "its output nests deeper than {} levels, more than clawauth reads",
            super::json::MAX_DEPTH
        ));
    }
    let doc = last_json_object(stdout).ok_or_else(|| {
        if stdout.trim().is_empty() {
            "it printed nothing on stdout".to_owned()
        } else {
            "its output is not a JSON document".to_owned()
        }
    })?;
    if doc.get("ok") == Some(&Value::Bool(false)) {
        let failure: CliFailure =
            serde_json::from_value(doc).map_err(|e| format!("unexpected failure document: {e}"))?;
        return Ok(StatusOutput::Failure(failure));
    }
    if doc.get("auth").is_none() {
        return Err("the JSON document has no `auth` section".to_owned());
    }
    serde_json::from_value::<StatusJson>(doc)
        .map(|s| StatusOutput::Status(Box::new(s)))
        .map_err(|e| format!("unexpected status document: {e}"))
}

fn last_json_object(text: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(text.trim()) {
        return v.is_object().then_some(v);
    }
    // Walk back over lines that start an object at column 0 and try from there — the last
    // few only: each try may read to the end, and hostile output could have thousands.
    const TRIES: usize = 32;
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices("\n{").map(|(i, _)| i + 1))
        .filter(|&i| text[i..].starts_with('{'))
        .collect();
    starts.into_iter().rev().take(TRIES).find_map(|i| {
        let mut de = serde_json::Deserializer::from_str(&text[i..]).into_iter::<Value>();
        match de.next() {
            Some(Ok(v)) if v.is_object() => Some(v),
            _ => None,
        }
    })
}

#[derive(Debug, Clone, Deserialize)]
pub struct CliFailure {
    pub error: CliError,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CliError {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusJson {
    #[serde(default)]
    pub config_path: Option<String>,
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub agent_dir: Option<String>,
    #[serde(default)]
    pub default_model: Option<String>,
    #[serde(default)]
    pub resolved_default: Option<String>,
    #[serde(default)]
    pub fallbacks: Vec<String>,
    #[serde(default)]
    pub image_model: Option<String>,
    #[serde(default)]
    pub image_fallbacks: Vec<String>,
    /// Absent before 2026.7.
    #[serde(default)]
    pub utility_model: Option<UtilityModel>,
    #[serde(default)]
    pub aliases: BTreeMap<String, Value>,
    #[serde(default)]
    pub allowed: Vec<String>,
    pub auth: AuthJson,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UtilityModel {
    #[serde(rename = "ref", default)]
    pub model_ref: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthJson {
    #[serde(default)]
    pub store_path: Option<String>,
    #[serde(default)]
    pub providers_with_o_auth: Vec<String>,
    #[serde(default)]
    pub missing_providers_in_use: Vec<String>,
    /// `None` before 2026.7 (no route issues were reported).
    #[serde(default)]
    pub model_route_issues: Option<Vec<RouteIssue>>,
    #[serde(default)]
    pub runtime_auth_routes: Vec<RuntimeRoute>,
    #[serde(default)]
    pub providers: Vec<ProviderAuth>,
    #[serde(default)]
    pub unusable_profiles: Vec<UnusableProfile>,
    #[serde(default)]
    pub oauth: OAuthSection,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteIssue {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub evidence: Option<String>,
    #[serde(default)]
    pub auth_requirement: Option<String>,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeRoute {
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub runtime: String,
    #[serde(default)]
    pub auth_provider: Option<String>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub auth_status: Option<String>,
    #[serde(default)]
    pub runtime_status: Option<String>,
    #[serde(default)]
    pub runtime_reason: Option<String>,
    #[serde(default)]
    pub runtime_detail: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProviderAuth {
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub effective: Option<Effective>,
    #[serde(default)]
    pub profiles: Option<ProfileCounts>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Effective {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileCounts {
    #[serde(default)]
    pub count: u32,
    #[serde(default)]
    pub oauth: u32,
    #[serde(default)]
    pub token: u32,
    #[serde(default)]
    pub api_key: u32,
    #[serde(default)]
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnusableProfile {
    #[serde(default)]
    pub profile_id: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub classification: Option<String>,
    #[serde(default)]
    pub recovery_hint: Option<String>,
    #[serde(default)]
    pub until: Option<f64>,
    #[serde(default)]
    pub remaining_ms: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthSection {
    #[serde(default)]
    pub warn_after_ms: Option<f64>,
    #[serde(default)]
    pub profiles: Vec<ProfileHealthJson>,
    #[serde(default)]
    pub providers: Vec<ProviderRollupJson>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileHealthJson {
    pub profile_id: String,
    #[serde(default)]
    pub provider: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub reason_code: Option<String>,
    #[serde(default)]
    pub expires_at: Option<f64>,
    #[serde(default)]
    pub remaining_ms: Option<f64>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderRollupJson {
    pub provider: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub profiles: Vec<ProfileHealthJson>,
    #[serde(default)]
    pub effective_profiles: Vec<ProfileHealthJson>,
    #[serde(default)]
    pub expires_at: Option<f64>,
    #[serde(default)]
    pub remaining_ms: Option<f64>,
}

impl StatusJson {
    /// The CLI's own `now`: `expiresAt - remainingMs` of any profile in the `oauth` section
    /// (SPEC §4.1; `unusableProfiles` uses a later clock reading, rule 9).
    pub fn now_ms(&self) -> Option<i64> {
        self.auth
            .oauth
            .profiles
            .iter()
            .find_map(|p| Some((p.expires_at? - p.remaining_ms?) as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_diagnostics_before_the_document() {
        let out = "[plugins] something happened\n{\"ok\":false,\"error\":{\"type\":\"cli_error\",\"message\":\"boom\"}}\n";
        match parse(out).expect("parses") {
            StatusOutput::Failure(f) => assert_eq!(f.error.message, "boom"),
            StatusOutput::Status(_) => panic!("expected failure"),
        }
        assert!(parse("").is_err());
        assert!(parse("not json").is_err());
        assert!(parse("{\"x\":1}").is_err());
    }
}
