//! The credential document `{version, profiles}` and the state document `{order, lastGood,
//! usageStats}` (SPEC §2.2, §2.4), normalised as OpenClaw 2026.9.6 reads them
//! (`src/agents/auth-profiles/persisted.ts`, `state.ts`, `profile-usage-stats.ts`).
//!
//! Secrets are reduced at parse time to what the rules need — presence, the kind of value
//! (literal, `$ENV` reference, marker), OpenClaw's own masked label, and a digest for equality —
//! and the document is wiped. Profile order is the document's key order: OpenClaw breaks
//! selection ties by it.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The three credential types (`AUTH_PROFILE_TYPES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialType {
    #[serde(rename = "api_key")]
    ApiKey,
    Token,
    #[serde(rename = "oauth")]
    OAuth,
}

impl CredentialType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiKey => "api_key",
            Self::Token => "token",
            Self::OAuth => "oauth",
        }
    }
}

/// `{source, provider, id}` (`coerceSecretRef`, `src/config/types.secrets.ts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretRef {
    pub source: String,
    pub provider: String,
    pub id: String,
}

const REF_SOURCES: [&str; 4] = ["env", "file", "exec", "store"];

/// `coerceSecretRef` for an object value.
pub fn secret_ref_of(value: &Value) -> Option<SecretRef> {
    let obj = value.as_object()?;
    if obj
        .keys()
        .any(|k| !matches!(k.as_str(), "source" | "provider" | "id"))
    {
        return None;
    }
    let source = obj.get("source")?.as_str()?;
    if !REF_SOURCES.contains(&source) {
        return None;
    }
    let id = obj.get("id")?.as_str().filter(|s| !s.trim().is_empty())?;
    let provider = match obj.get("provider") {
        None => "default",
        Some(p) => p.as_str().filter(|s| !s.trim().is_empty())?,
    };
    Some(SecretRef {
        source: source.to_owned(),
        provider: provider.to_owned(),
        id: id.to_owned(),
    })
}

/// `$NAME` / `${NAME}` with `NAME` = `[A-Z][A-Z0-9_]{0,127}`: an env reference when read as a
/// secret input (never rewritten at load time).
pub fn env_ref_name(value: &str) -> Option<&str> {
    let v = value.trim();
    let name = v
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| v.strip_prefix('$'))?;
    let mut bytes = name.bytes();
    let first = bytes.next()?;
    (first.is_ascii_uppercase()
        && name.len() <= 128
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
    .then_some(name)
}

/// Values OpenClaw treats as "not a secret, a marker" (`isNonSecretApiKeyMarker`).
fn is_non_secret_marker(v: &str) -> bool {
    const EXACT: [&str; 12] = [
        "custom-local",
        "codex-app-server",
        "gcp-vertex-credentials",
        "ollama-local",
        "secretref-managed",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "openclaw:claude-cli-native-auth",
        "apple-fm-local",
        "lmstudio-local",
        "minimax-oauth",
    ];
    EXACT.contains(&v) || v.starts_with("oauth:") || v.starts_with("secretref-env:")
}

/// What kind of string a stored key/token/access value is (for readiness and labels).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SecretValue {
    /// Absent or blank.
    Missing,
    /// A plain secret; `mask` is OpenClaw's `maskApiKey` of it.
    Literal { mask: String },
    /// `$NAME` / `${NAME}`: resolved from the environment.
    EnvReference { name: String },
    /// Starts with `secretref-env:`, `__env__:` or `$` without being a valid reference: never usable.
    Reserved { mask: String },
    /// The bare name of a provider env var (e.g. `ANTHROPIC_API_KEY`): usable when that var is set.
    EnvVarName { name: String },
    /// A non-secret marker such as `oauth:…` or `ollama-local`: only the CLI knows.
    Marker { marker: String },
    /// A `{source, provider, id}` reference.
    Ref(SecretRef),
}

impl SecretValue {
    /// Classifies a stored string (`resolveSecretInputReadOnlyAvailability`'s cases).
    pub fn of_str(v: &str, env_var_names: &dyn Fn(&str) -> bool) -> Self {
        let t = v.trim();
        if t.is_empty() {
            return Self::Missing;
        }
        if let Some(name) = env_ref_name(t) {
            return Self::EnvReference {
                name: name.to_owned(),
            };
        }
        if t.starts_with("secretref-env:") && is_non_secret_marker(t) {
            return Self::Marker {
                marker: t.to_owned(),
            };
        }
        if t.starts_with("__env__:") || t.starts_with('$') {
            return Self::Reserved {
                mask: mask_secret(v),
            };
        }
        if env_var_names(t) {
            return Self::EnvVarName { name: t.to_owned() };
        }
        if is_non_secret_marker(t) {
            return Self::Marker {
                marker: t.to_owned(),
            };
        }
        Self::Literal {
            mask: mask_secret(v),
        }
    }

    pub fn is_present(&self) -> bool {
        !matches!(self, Self::Missing)
    }

    /// The label piece `list.auth-overview.ts` prints for this secret.
    pub fn label(&self) -> String {
        match self {
            Self::Missing => "missing".to_owned(),
            Self::Literal { mask } | Self::Reserved { mask } => mask.clone(),
            Self::EnvReference { name } => mask_secret(&format!("${name}")),
            Self::EnvVarName { name } => mask_secret(name),
            Self::Marker { marker } => format!("marker({marker})"),
            Self::Ref(r) => format!("ref({}:{})", r.source, r.id),
        }
    }
}

/// OpenClaw's `maskApiKey`: control characters stripped, trimmed; empty → `missing`; ≤ 6 chars →
/// first and last 1; ≤ 16 → first and last 2; else first and last 8 (counted in UTF-16 units).
pub fn mask_secret(v: &str) -> String {
    // As OpenClaw: control characters dropped, then trimmed, then the first and last UTF-16
    // units kept. Done in passes over `v`, never copying the whole secret (a copy would
    // outlive the parse unwiped, and copying every secret of a large store costs time).
    if v.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        // Printable ASCII, as secrets are: a byte is a UTF-16 unit, a space the only blank.
        let t = v.trim_matches(' ');
        let n = t.len();
        let keep = match n {
            0 => return "missing".to_owned(),
            1..=6 => 1,
            7..=16 => 2,
            _ => 8,
        };
        return format!("{}...{}", &t[..keep], &t[n - keep..]);
    }
    let kept = || {
        v.chars()
            .filter(|c| !(c.is_control() || ('\u{80}'..='\u{9f}').contains(c)))
    };
    let Some(first) = kept().position(|c| !c.is_whitespace()) else {
        return "missing".to_owned();
    };
    let last = kept()
        .enumerate()
        .filter(|(_, c)| !c.is_whitespace())
        .last()
        .map_or(first, |(i, _)| i);
    let units = || {
        kept().skip(first).take(last + 1 - first).flat_map(|c| {
            let mut buf = [0u16; 2];
            let n = c.encode_utf16(&mut buf).len();
            buf.into_iter().take(n)
        })
    };
    let n = units().count();
    let keep = match n {
        1..=6 => 1,
        7..=16 => 2,
        _ => 8,
    };
    let head: Vec<u16> = units().take(keep).collect();
    let tail: Vec<u16> = units().skip(n - keep).collect();
    format!(
        "{}...{}",
        String::from_utf16_lossy(&head),
        String::from_utf16_lossy(&tail)
    )
}

/// The refresh fence OpenClaw leaves while/after refreshing (`oauth-refresh-marker.ts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fence {
    Pending,
    /// Terminal: the user must log in again.
    Failed,
}

fn fence_parts<'a>(v: &'a str, kind: &str) -> Option<(&'a str, bool)> {
    let rest = v.strip_prefix("openclaw-oauth-refresh-fence:v1:")?;
    let (claim, rest) = rest.split_at_checked(32)?;
    let hex = |s: &str, n: usize| {
        s.len() == n && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    if !hex(claim, 32) {
        return None;
    }
    let rest = rest.strip_prefix(':')?;
    let (failed, rest) = match rest.strip_prefix("failed:") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let digest = rest.strip_prefix(kind)?.strip_prefix(':')?;
    hex(digest, 64).then_some((claim, failed))
}

fn detect_fence(
    access: Option<&str>,
    refresh: Option<&str>,
    expires: Option<f64>,
) -> Option<Fence> {
    if expires != Some(1.0) {
        return None;
    }
    let (ca, fa) = fence_parts(access?, "access")?;
    let (cr, fr) = fence_parts(refresh?, "refresh")?;
    (ca == cr && fa == fr).then_some(if fa { Fence::Failed } else { Fence::Pending })
}

/// One stored credential, normalised, without its secrets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Credential {
    pub id: String,
    /// Trimmed and lower-cased; no alias mapping at read time.
    pub provider: String,
    #[serde(rename = "type")]
    pub kind: CredentialType,
    /// api_key: the key; token: the token; oauth: the access token.
    pub secret: SecretValue,
    /// oauth only: whether a refresh token is present.
    pub has_refresh: bool,
    /// oauth only: legacy `oauthRef` shape present.
    pub oauth_ref: bool,
    /// `normalizeExpiryField`: `None` = absent, `Some(0.0)` = present but not a positive number.
    pub expires: Option<f64>,
    pub fence: Option<Fence>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub account_id: Option<String>,
    /// A valid `setup` descriptor with `replacement: true` (status: missing / setup_inactive).
    pub setup_inactive: bool,
    /// api_key: the key is a pasted `openclaw onboard … --auth-choice …` command.
    pub malformed_api_key: bool,
    pub subscription_type: Option<String>,
    pub rate_limit_tier: Option<String>,
    /// sha256 over the secret material, for OpenClaw's credential-equivalence check.
    #[serde(skip)]
    pub digest: [u8; 32],
    /// Set when the expiry shown is an external CLI's (2026.6.1 resolved an unusable
    /// `anthropic:claude-cli` profile through Claude Code's credentials in memory).
    pub external_source: Option<&'static str>,
}

impl Credential {
    /// `hasUsableOAuthCredential` (`credential-state.ts`): an OAuth access token with more than
    /// the 5-minute refresh margin left (SPEC §10 rule 2).
    pub fn has_usable_oauth(&self, now_ms: f64) -> bool {
        self.kind == CredentialType::OAuth
            && self.fence.is_none()
            && self.secret.is_present()
            && expiry_state(self.expires, now_ms, REFRESH_MARGIN_MS) == ExpiryState::Valid
    }
}

/// `DEFAULT_OAUTH_WARN_MS`.
pub const WARN_MS: f64 = 86_400_000.0;
/// `DEFAULT_OAUTH_REFRESH_MARGIN_MS`.
pub const REFRESH_MARGIN_MS: f64 = 300_000.0;
/// Largest valid JS date in ms.
pub const MAX_DATE_MS: f64 = 8.64e15;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryState {
    Missing,
    Invalid,
    Expired,
    Expiring,
    Valid,
}

/// `resolveTokenExpiryState` (`credential-state.ts`): windows are inclusive.
pub fn expiry_state(expires: Option<f64>, now_ms: f64, window_ms: f64) -> ExpiryState {
    let Some(e) = expires else {
        return ExpiryState::Missing;
    };
    if !e.is_finite() || e <= 0.0 || e > MAX_DATE_MS {
        return ExpiryState::Invalid;
    }
    let remaining = e - now_ms;
    if remaining <= 0.0 {
        ExpiryState::Expired
    } else if window_ms > 0.0 && remaining <= window_ms {
        ExpiryState::Expiring
    } else {
        ExpiryState::Valid
    }
}

/// Why an entry of the document was dropped at load (OpenClaw logs the same reasons).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedEntry {
    pub id: String,
    pub reason: &'static str,
}

/// The normalised credential document.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CredentialDoc {
    /// In document order.
    pub profiles: Vec<Credential>,
    pub dropped: Vec<DroppedEntry>,
    /// `order` / `lastGood` / `usageStats` written inline by older writers.
    #[serde(skip)]
    pub inline_state: AuthState,
}

/// Why a document cannot be used at all (`coercePersistedAuthProfileStore` returned null).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocError {
    NotAnObject,
    ProfilesNotAnObject,
}

/// Personal accounts are never listed by ordinary status (`removePersonalAuthProfileReferences`).
fn is_personal_id(id: &str) -> bool {
    fn uuid(s: &str) -> bool {
        let parts: Vec<&str> = s.split('-').collect();
        parts.len() == 5
            && [8, 4, 4, 4, 12].iter().zip(&parts).all(|(n, p)| {
                p.len() == *n && p.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            })
    }
    let Some(rest) = id.strip_prefix("personal:") else {
        return false;
    };
    let Some((owner, account)) = rest.split_once(':') else {
        return false;
    };
    (owner == "gateway-owner" || uuid(owner)) && uuid(account)
}

fn non_blank(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

fn normalize_expiry(v: Option<&Value>) -> Option<f64> {
    let v = v?;
    Some(match v.as_f64() {
        Some(n) if n.is_finite() && n > 0.0 => n,
        _ => 0.0,
    })
}

fn is_malformed_api_key(v: &str) -> bool {
    // /^openclaw\s+onboard(?:\s+.*)?\s+--auth-choice(?:\s|=|$)/i
    let s = v.trim().to_ascii_lowercase();
    let Some(rest) = s.strip_prefix("openclaw") else {
        return false;
    };
    if !rest.starts_with(char::is_whitespace) {
        return false;
    }
    let Some(rest) = rest.trim_start().strip_prefix("onboard") else {
        return false;
    };
    // Some whitespace-preceded "--auth-choice" followed by whitespace, '=' or the end.
    let bytes = rest.as_bytes();
    rest.match_indices("--auth-choice").any(|(i, _)| {
        i > 0
            && bytes[i - 1].is_ascii_whitespace()
            && matches!(
                bytes.get(i + "--auth-choice".len()),
                None | Some(b'=') | Some(b' ' | b'\t' | b'\n' | b'\r')
            )
    })
}

/// Parses a credential document. `env_var_names` tells which bare strings are provider env-var
/// names (they are classified as such, not as secrets).
pub fn parse_credential_doc(
    doc: &Value,
    env_var_names: &dyn Fn(&str) -> bool,
) -> Result<CredentialDoc, DocError> {
    let obj = doc.as_object().ok_or(DocError::NotAnObject)?;
    let profiles = obj
        .get("profiles")
        .and_then(Value::as_object)
        .ok_or(DocError::ProfilesNotAnObject)?;
    let mut out = CredentialDoc {
        inline_state: parse_state_doc(doc),
        ..CredentialDoc::default()
    };
    for (id, raw) in profiles {
        if is_personal_id(id) {
            continue;
        }
        match parse_entry(id, raw, env_var_names) {
            Ok(c) => out.profiles.push(c),
            Err(reason) => out.dropped.push(DroppedEntry {
                id: id.clone(),
                reason,
            }),
        }
    }
    Ok(out)
}

fn parse_entry(
    id: &str,
    raw: &Value,
    env_var_names: &dyn Fn(&str) -> bool,
) -> Result<Credential, &'static str> {
    let Some(raw) = raw.as_object() else {
        return Err("non_object");
    };
    let mut entry: Map<String, Value> = raw.clone();
    if !entry.contains_key("type")
        && let Some(mode) = entry.get("mode").and_then(Value::as_str)
    {
        let mode = mode.to_owned();
        entry.insert("type".into(), Value::String(mode));
    }
    if entry.get("type").and_then(Value::as_str) == Some("apiKey") {
        entry.insert("type".into(), Value::String("api_key".into()));
    }
    if !entry.contains_key("key")
        && entry.get("keyRef").and_then(secret_ref_of).is_none()
        && entry.get("apiKey").is_some_and(Value::is_string)
    {
        let k = entry.get("apiKey").cloned().unwrap_or(Value::Null);
        entry.insert("key".into(), k);
    }
    for (v, r) in [("key", "keyRef"), ("token", "tokenRef")] {
        if let Some(val) = entry.get(v)
            && !val.is_null()
            && !val.is_string()
        {
            let reference = secret_ref_of(val);
            if let Some(reference) = reference
                && entry.get(r).and_then(secret_ref_of).is_none()
            {
                entry.insert(
                    r.into(),
                    serde_json::to_value(reference).unwrap_or(Value::Null),
                );
            }
            entry.remove(v);
        }
    }
    let provider = entry
        .get("provider")
        .and_then(Value::as_str)
        .map(|p| p.trim().to_lowercase())
        .unwrap_or_default();
    let kind = match entry.get("type").and_then(Value::as_str) {
        Some("api_key") => CredentialType::ApiKey,
        Some("token") => CredentialType::Token,
        Some("oauth") => CredentialType::OAuth,
        _ => return Err("invalid_type"),
    };
    if provider.is_empty() {
        return Err("missing_provider");
    }
    let setup_inactive = entry
        .get("setup")
        .and_then(Value::as_object)
        .filter(|s| {
            s.get("replacement").is_some_and(Value::is_boolean)
                && non_blank(s.get("modelRef")).is_some()
                && non_blank(s.get("configJson")).is_some()
        })
        .and_then(|s| s.get("replacement").and_then(Value::as_bool))
        .unwrap_or(false);

    let str_of = |k: &str| non_blank(entry.get(k)).map(str::to_owned);
    let secret_of = |value_key: &str, ref_key: &str| -> SecretValue {
        if let Some(r) = entry.get(ref_key).and_then(secret_ref_of) {
            return SecretValue::Ref(r);
        }
        match non_blank(entry.get(value_key)) {
            Some(v) => SecretValue::of_str(v, env_var_names),
            None => SecretValue::Missing,
        }
    };

    let mut digest = Sha256::new();
    for k in [
        "key",
        "token",
        "access",
        "refresh",
        "idToken",
        "enterpriseUrl",
        "projectId",
    ] {
        digest.update(k.as_bytes());
        digest.update([0]);
        if let Some(v) = entry.get(k).and_then(Value::as_str) {
            digest.update(v.as_bytes());
        }
        digest.update([0]);
    }

    let (secret, has_refresh, oauth_ref, expires, fence, malformed) = match kind {
        CredentialType::ApiKey => {
            let secret = secret_of("key", "keyRef");
            let malformed = matches!(
                secret,
                SecretValue::Literal { .. } | SecretValue::Reserved { .. }
            ) && non_blank(entry.get("key")).is_some_and(is_malformed_api_key);
            (secret, false, false, None, None, malformed)
        }
        CredentialType::Token => (
            secret_of("token", "tokenRef"),
            false,
            false,
            normalize_expiry(entry.get("expires")),
            None,
            false,
        ),
        CredentialType::OAuth => {
            let access = non_blank(entry.get("access"));
            let refresh = non_blank(entry.get("refresh"));
            let expires = normalize_expiry(entry.get("expires"));
            let oauth_ref = entry
                .get("oauthRef")
                .and_then(Value::as_object)
                .is_some_and(|r| {
                    r.get("source").and_then(Value::as_str) == Some("openclaw-credentials")
                        && r.get("id").and_then(Value::as_str).is_some_and(|id| {
                            id.len() == 32
                                && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                        })
                });
            let secret = match access {
                // The access token is never an env reference or marker in practice; mask it.
                Some(a) => SecretValue::Literal {
                    mask: mask_secret(a),
                },
                None => SecretValue::Missing,
            };
            (
                secret,
                refresh.is_some(),
                oauth_ref,
                expires,
                detect_fence(access, refresh, expires),
                false,
            )
        }
    };

    Ok(Credential {
        id: id.to_owned(),
        provider,
        kind,
        secret,
        has_refresh,
        oauth_ref,
        expires,
        fence,
        email: str_of("email").map(|s| s.trim().to_owned()),
        display_name: str_of("displayName").map(|s| s.trim().to_owned()),
        account_id: str_of("accountId").map(|s| s.trim().to_owned()),
        setup_inactive,
        malformed_api_key: malformed,
        subscription_type: str_of("subscriptionType"),
        rate_limit_tier: str_of("rateLimitTier"),
        digest: digest.finalize().into(),
        external_source: None,
    })
}

/// Reasons OpenClaw records for failures (`profile-usage-stats.ts`).
pub const FAILURE_REASONS: [&str; 13] = [
    "auth",
    "auth_permanent",
    "format",
    "overloaded",
    "rate_limit",
    "billing",
    "timeout",
    "model_not_found",
    "session_expired",
    "empty_response",
    "no_error_details",
    "unclassified",
    "unknown",
];

/// One profile's usage statistics (`coerceProfileUsageStats`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UsageStats {
    pub last_used: Option<f64>,
    pub blocked_until: Option<f64>,
    pub cooldown_until: Option<f64>,
    pub disabled_until: Option<f64>,
    pub cooldown_reason: Option<String>,
    pub disabled_reason: Option<String>,
    pub cooldown_classification: Option<String>,
    pub cooldown_model: Option<String>,
    pub blocked_model: Option<String>,
    pub blocked_scope_model: bool,
}

fn finite(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64).filter(|n| n.is_finite())
}

fn coerce_usage(v: &Value) -> Option<UsageStats> {
    let o = v.as_object()?;
    let reason = |k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .filter(|r| FAILURE_REASONS.contains(r))
            .map(str::to_owned)
    };
    let cooldown_reason = reason("cooldownReason");
    let classification = o
        .get("cooldownClassification")
        .and_then(Value::as_str)
        .filter(|c| {
            matches!(
                (*c, cooldown_reason.as_deref()),
                ("wham_token_expired", Some("auth"))
                    | ("wham_account_dead", Some("auth_permanent"))
            )
        })
        .map(str::to_owned);
    Some(UsageStats {
        last_used: finite(o.get("lastUsed")),
        blocked_until: finite(o.get("blockedUntil")),
        cooldown_until: finite(o.get("cooldownUntil")),
        disabled_until: finite(o.get("disabledUntil")),
        disabled_reason: reason("disabledReason"),
        cooldown_classification: classification,
        cooldown_reason,
        cooldown_model: non_blank(o.get("cooldownModel")).map(str::to_owned),
        blocked_model: non_blank(o.get("blockedModel")).map(str::to_owned),
        blocked_scope_model: o.get("blockedScope").and_then(Value::as_str) == Some("model"),
    })
}

/// The state document (`src/agents/auth-profiles/state.ts`), normalised.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AuthState {
    /// provider (lower-cased) → profile ids; empty lists are dropped at load.
    pub order: Vec<(String, Vec<String>)>,
    pub last_good: BTreeMap<String, String>,
    pub usage: BTreeMap<String, UsageStats>,
}

impl AuthState {
    pub fn order_for(&self, provider: &str) -> Option<&[String]> {
        self.order
            .iter()
            .find(|(p, _)| p == provider)
            .map(|(_, ids)| ids.as_slice())
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty() && self.last_good.is_empty() && self.usage.is_empty()
    }

    /// Per top-level map a shallow merge, `over` winning per key (`mergeAuthProfileState`).
    pub fn merged_with(&self, over: &AuthState) -> AuthState {
        let mut order = self.order.clone();
        let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (i, (p, _)) in order.iter().enumerate() {
            at.entry(p.clone()).or_insert(i);
        }
        for (p, ids) in &over.order {
            match at.get(p) {
                Some(&i) => order[i].1 = ids.clone(),
                None => {
                    at.insert(p.clone(), order.len());
                    order.push((p.clone(), ids.clone()));
                }
            }
        }
        let mut last_good = self.last_good.clone();
        last_good.extend(over.last_good.clone());
        let mut usage = self.usage.clone();
        usage.extend(over.usage.clone());
        AuthState {
            order,
            last_good,
            usage,
        }
    }
}

/// Parses a state document (or the inline state of a credential document). Anything malformed
/// is ignored, as OpenClaw does.
pub fn parse_state_doc(doc: &Value) -> AuthState {
    let mut state = AuthState::default();
    if let Some(order) = doc.get("order").and_then(Value::as_object) {
        // Keys equal once trimmed and lower-cased: the last one wins, at its own place.
        let mut entries: Vec<(String, Vec<String>)> = Vec::new();
        let mut last: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (provider, ids) in order {
            let Some(ids) = ids.as_array() else { continue };
            let ids: Vec<String> = ids
                .iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let key = provider.trim().to_lowercase();
            last.insert(key.clone(), entries.len());
            entries.push((key, ids));
        }
        state.order = entries
            .into_iter()
            .enumerate()
            .filter(|(i, (key, ids))| last.get(key) == Some(i) && !ids.is_empty())
            .map(|(_, e)| e)
            .collect();
    }
    if let Some(lg) = doc.get("lastGood").and_then(Value::as_object) {
        for (provider, id) in lg {
            if let Some(id) = id.as_str().map(str::trim).filter(|s| !s.is_empty()) {
                state
                    .last_good
                    .insert(provider.trim().to_lowercase(), id.to_owned());
            }
        }
    }
    if let Some(us) = doc.get("usageStats").and_then(Value::as_object) {
        for (id, v) in us {
            if let Some(u) = coerce_usage(v) {
                state.usage.insert(id.clone(), u);
            }
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn no_env(_: &str) -> bool {
        false
    }

    #[test]
    fn masks_like_openclaw() {
        assert_eq!(mask_secret(""), "missing");
        assert_eq!(mask_secret(" \u{7}\t "), "missing");
        // Against the plain reading of OpenClaw's rule: filter, trim, cut UTF-16 units.
        let plain = |v: &str| {
            let cleaned: String = v
                .chars()
                .filter(|c| !(c.is_control() || ('\u{80}'..='\u{9f}').contains(c)))
                .collect();
            let units: Vec<u16> = cleaned.trim().encode_utf16().collect();
            let n = units.len();
            let keep = match n {
                0 => return "missing".to_owned(),
                1..=6 => 1,
                7..=16 => 2,
                _ => 8,
            };
            format!(
                "{}...{}",
                String::from_utf16_lossy(&units[..keep]),
                String::from_utf16_lossy(&units[n - keep..])
            )
        };
        for v in [
            "a",
            "  ",
            " sk-ant-oat01-FAKE-0123456789 ",
            "abcdefg",
            " \u{85}ab\u{1b}cdefghij \u{a0}",
            "😀😀😀😀😀😀😀😀😀",
            "x😀y\u{9f} z😀",
            "\u{2003}sk-ant-oat01-FAKE-0123456789\n",
        ] {
            assert_eq!(mask_secret(v), plain(v), "{v:?}");
        }
        assert_eq!(mask_secret("abc"), "a...c");
        assert_eq!(mask_secret("abcdefghij"), "ab...ij");
        assert_eq!(
            mask_secret("sk-ant-api03-FAKE-00000000000000000000"),
            "sk-ant-a...00000000"
        );
    }

    #[test]
    fn normalises_entries_and_keeps_document_order() {
        let doc = json!({"version": 1, "profiles": {
            "z:first": {"mode": "apiKey", "provider": " Zeta ", "apiKey": "sk-zeta-FAKE-0123456789abcdef"},
            "a:second": {"type": "token", "provider": "anthropic", "token": "t", "expires": "2027-01-01"},
            "b:bad": {"type": "api-key", "provider": "x"},
            "c:noprov": {"type": "oauth"},
            "personal:gateway-owner:01234567-89ab-cdef-0123-456789abcdef": {"type": "oauth", "provider": "anthropic"}
        }});
        let d = parse_credential_doc(&doc, &no_env).expect("parses");
        let ids: Vec<_> = d.profiles.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["z:first", "a:second"]);
        assert_eq!(d.profiles[0].provider, "zeta");
        assert_eq!(d.profiles[0].kind, CredentialType::ApiKey);
        assert_eq!(d.profiles[1].expires, Some(0.0));
        assert_eq!(
            d.dropped,
            [
                DroppedEntry {
                    id: "b:bad".into(),
                    reason: "invalid_type"
                },
                DroppedEntry {
                    id: "c:noprov".into(),
                    reason: "missing_provider"
                }
            ]
        );
        assert_eq!(
            parse_credential_doc(&json!({"anthropic": {}}), &no_env),
            Err(DocError::ProfilesNotAnObject)
        );
    }

    #[test]
    fn detects_fences_and_malformed_keys() {
        let claim = "0123456789abcdef0123456789abcdef";
        let h = "a".repeat(64);
        let doc = json!({"profiles": {
            "a:f": {"type": "oauth", "provider": "anthropic", "expires": 1,
                    "access": format!("openclaw-oauth-refresh-fence:v1:{claim}:failed:access:{h}"),
                    "refresh": format!("openclaw-oauth-refresh-fence:v1:{claim}:failed:refresh:{h}")},
            "a:k": {"type": "api_key", "provider": "anthropic", "key": "  OpenClaw   onboard --x y --auth-choice=apiKey"},
            "a:k2": {"type": "api_key", "provider": "anthropic", "key": "openclaw onboard --auth-choicex"}
        }});
        let d = parse_credential_doc(&doc, &no_env).expect("parses");
        assert_eq!(d.profiles[0].fence, Some(Fence::Failed));
        assert!(d.profiles[1].malformed_api_key);
        assert!(!d.profiles[2].malformed_api_key);
    }

    #[test]
    fn state_doc_normalisation() {
        let s = parse_state_doc(&json!({
            "order": {"Anthropic": [" a ", ""], "openai": [], "x": "nope"},
            "usageStats": {"a": {"cooldownUntil": 5, "cooldownReason": "foo", "lastUsed": "1"}}
        }));
        assert_eq!(
            s.order,
            vec![("anthropic".to_owned(), vec!["a".to_owned()])]
        );
        let u = &s.usage["a"];
        assert_eq!(u.cooldown_until, Some(5.0));
        assert_eq!(u.cooldown_reason, None);
        assert_eq!(u.last_used, None);
    }
}
