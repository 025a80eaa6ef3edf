//! Credentials of the external CLIs on the gateway: Claude Code's `.credentials.json` and
//! Codex's `auth.json` (SPEC §3). OpenClaw 2026.9 does not read Claude Code's file, but the
//! operator needs its expiry (it is what `claude setup-token` and the claude-cli runtime use).
//!
//! Only facts leave this module — presence, expiry, subscription — never a token.

use base64::Engine as _;
use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;
use serde_json::Value;

use super::env::Environment;
use super::files::{read_secret_text, read_text};
use super::json::{Wiped, parse_json, str_field};
use crate::error::Result;

/// What Claude Code's credential file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaudeCodeCredentials {
    pub path: Utf8PathBuf,
    /// `oauth` when a refresh token is present (Claude Code renews it itself), `token` otherwise
    /// (e.g. a `claude setup-token` token), as OpenClaw's compat parser classifies it.
    pub kind: &'static str,
    pub has_access_token: bool,
    pub has_refresh_token: bool,
    /// `claudeAiOauth.expiresAt`, Unix ms; `None` when absent or not a positive number.
    pub expires_at_ms: Option<i64>,
    pub subscription_type: Option<String>,
    pub rate_limit_tier: Option<String>,
    pub email: Option<String>,
}

/// Where Claude Code keeps its credentials (`src/plugin-sdk/provider-auth-claude-compat.ts`):
/// `$CLAUDE_SECURESTORAGE_CONFIG_DIR`, else `$CLAUDE_CONFIG_DIR`, else `~/.claude` (OS home).
pub fn claude_code_dir(env: &Environment) -> Option<Utf8PathBuf> {
    env.get("CLAUDE_SECURESTORAGE_CONFIG_DIR")
        .or_else(|| env.get("CLAUDE_CONFIG_DIR"))
        .map(Utf8PathBuf::from)
        .or_else(|| env.os_home().map(|h| h.join(".claude")))
}

/// Reads Claude Code's credentials. `Ok(None)` when the file does not exist or holds no
/// `claudeAiOauth` entry with an access token.
pub fn read_claude_code(env: &Environment) -> Result<Option<ClaudeCodeCredentials>> {
    let Some(dir) = claude_code_dir(env) else {
        return Ok(None);
    };
    read_claude_code_file(&dir.join(".credentials.json"), env)
}

/// Reads one Claude Code credential file (`claudeAiOauth.{accessToken, refreshToken,
/// expiresAt, subscriptionType, rateLimitTier}`).
pub fn read_claude_code_file(
    path: &Utf8Path,
    env: &Environment,
) -> Result<Option<ClaudeCodeCredentials>> {
    let dir = path.parent().map(Utf8Path::to_owned).unwrap_or_default();
    let path = path.to_owned();
    let Some(text) = read_secret_text(&path)? else {
        return Ok(None);
    };
    let doc = Wiped(parse_json(&path, &text)?);
    let Some(oauth) = doc.get("claudeAiOauth").filter(|v| v.is_object()) else {
        return Ok(None);
    };
    let has_access_token = str_field(oauth, "accessToken").is_some();
    if !has_access_token {
        return Ok(None);
    }
    let has_refresh_token = str_field(oauth, "refreshToken").is_some();
    let expires_at_ms = claude_expires_at_ms(oauth);
    Ok(Some(ClaudeCodeCredentials {
        kind: if has_refresh_token { "oauth" } else { "token" },
        has_access_token,
        has_refresh_token,
        expires_at_ms,
        subscription_type: str_field(oauth, "subscriptionType").map(str::to_owned),
        rate_limit_tier: str_field(oauth, "rateLimitTier").map(str::to_owned),
        email: claude_code_email(env, &dir),
        path,
    }))
}

/// `claudeAiOauth.expiresAt` in Unix ms: `None` when absent or not a positive number.
pub(crate) fn claude_expires_at_ms(oauth: &Value) -> Option<i64> {
    oauth
        .get("expiresAt")
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(|v| v as i64)
}

/// The account e-mail Claude Code records in `.claude.json` (`oauthAccount.emailAddress`): in the
/// config dir when one is set, else in the OS home.
fn claude_code_email(env: &Environment, dir: &Utf8Path) -> Option<String> {
    let candidates = [
        Some(dir.join(".claude.json")),
        env.os_home().map(|h| h.join(".claude.json")),
    ];
    candidates.into_iter().flatten().find_map(|path| {
        let text = read_text(&path).ok()??;
        let doc = parse_json(&path, &text).ok()?;
        doc.pointer("/oauthAccount/emailAddress")
            .and_then(Value::as_str)
            .map(str::to_owned)
    })
}

/// What Codex's `auth.json` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodexCredentials {
    pub path: Utf8PathBuf,
    pub auth_mode: Option<String>,
    pub has_api_key: bool,
    pub has_access_token: bool,
    pub has_refresh_token: bool,
    /// Expiry of the access token, Unix ms.
    pub expires_at_ms: Option<i64>,
    /// `jwt` (the access token's `exp` claim) or `file-mtime` (OpenClaw's fallback: mtime + 1 h).
    pub expiry_source: Option<&'static str>,
    pub email: Option<String>,
    pub plan: Option<String>,
}

/// `$CODEX_HOME/auth.json`, else `~/.codex/auth.json` (`src/agents/cli-credentials.ts`).
pub fn codex_auth_path(env: &Environment) -> Option<Utf8PathBuf> {
    env.get("CODEX_HOME")
        .map(Utf8PathBuf::from)
        .or_else(|| env.os_home().map(|h| h.join(".codex")))
        .map(|d| d.join("auth.json"))
}

/// Reads Codex's credentials. `Ok(None)` when the file does not exist.
pub fn read_codex(env: &Environment) -> Result<Option<CodexCredentials>> {
    let Some(path) = codex_auth_path(env) else {
        return Ok(None);
    };
    let Some(text) = read_secret_text(&path)? else {
        return Ok(None);
    };
    let doc = Wiped(parse_json(&path, &text)?);
    let tokens = doc.get("tokens").filter(|v| v.is_object());
    let access = tokens.and_then(|t| str_field(t, "access_token"));
    let id_claims = tokens
        .and_then(|t| str_field(t, "id_token"))
        .and_then(jwt_claims)
        .map(Wiped);
    let mut expires_at_ms = access
        .and_then(jwt_claims)
        .map(Wiped)
        .and_then(|c| c.get("exp").and_then(Value::as_f64))
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(|secs| (secs * 1000.0) as i64);
    let mut expiry_source = expires_at_ms.map(|_| "jwt");
    if expires_at_ms.is_none() && access.is_some() {
        // cli-credentials.ts: without a readable `exp`, the file's mtime + 1 h.
        expires_at_ms = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| {
                i64::try_from(d.as_millis())
                    .unwrap_or(i64::MAX)
                    .saturating_add(3_600_000)
            });
        expiry_source = expires_at_ms.map(|_| "file-mtime");
    }
    let email = id_claims
        .as_ref()
        .and_then(|c| c.get("email"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let plan = id_claims
        .as_ref()
        .and_then(|c| c.pointer("/https:~1~1api.openai.com~1auth/chatgpt_plan_type"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(Some(CodexCredentials {
        auth_mode: str_field(&doc, "auth_mode").map(str::to_owned),
        has_api_key: str_field(&doc, "OPENAI_API_KEY").is_some(),
        has_access_token: access.is_some(),
        has_refresh_token: tokens.and_then(|t| str_field(t, "refresh_token")).is_some(),
        expires_at_ms,
        expiry_source,
        email,
        plan,
        path,
    }))
}

/// The MiniMax CLI's login expiry from `~/.minimax/oauth_creds.json` (OS home), when the file
/// holds an access token, a refresh token and a finite `expiry_date`.
pub fn read_minimax_login(env: &Environment) -> Result<Option<f64>> {
    let Some(home) = env.os_home() else {
        return Ok(None);
    };
    let path = home.join(".minimax").join("oauth_creds.json");
    let Some(text) = read_secret_text(&path)? else {
        return Ok(None);
    };
    let doc = match parse_json(&path, &text) {
        Ok(doc) => Wiped(doc),
        Err(e @ crate::error::Error::TooDeep { .. }) => return Err(e),
        Err(_) => return Ok(None),
    };
    let complete =
        str_field(&doc, "access_token").is_some() && str_field(&doc, "refresh_token").is_some();
    Ok(doc
        .get("expiry_date")
        .and_then(Value::as_f64)
        .filter(|e| e.is_finite() && complete))
}

/// The claims of a JWT, without checking its signature (we only want `exp`, never trust it).
pub fn jwt_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let value = serde_json::from_slice::<Value>(&bytes).ok()?;
    value.is_object().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_exp_is_read_without_a_signature_check() {
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"exp":1795256402,"email":"fake@example.com"}"#);
        let token = format!("eyJhbGciOiJub25lIn0.{claims}.not-a-signature");
        let c = jwt_claims(&token).expect("claims");
        assert_eq!(c["exp"], 1_795_256_402);
        assert!(jwt_claims("not-a-jwt").is_none());
        assert!(jwt_claims("a.%%%.c").is_none());
    }
}
