//! External CLI logins OpenClaw substitutes in memory for an unusable profile
//! (`resolveEffectiveOAuthCredential`, `src/agents/auth-profiles/effective-oauth.ts`): the
//! profile is shown — and routed — with the external login's expiry when that login is usable.
//! A profile carrying an identity (email, account id) is never swapped.
//!
//! - 2026.6.1 (legacy JSON store): `anthropic:claude-cli` (`provider: claude-cli`) from Claude
//!   Code's `.credentials.json` (SPEC §10, legacy set).
//! - 2026.9.6: only `minimax-portal:minimax-cli` from `~/.minimax/oauth_creds.json`; Claude Code
//!   and Codex are no longer consulted.

use crate::openclaw::credentials::{Credential, CredentialType, REFRESH_MARGIN_MS};
use crate::openclaw::external::ClaudeCodeCredentials;

/// The profile id 2026.6.1 syncs Claude Code into.
pub const CLAUDE_CLI_PROFILE: &str = "anthropic:claude-cli";

/// Applies the resolution to a legacy store's profiles.
pub fn resolve_claude_cli(
    profiles: &mut [Credential],
    claude: Option<&ClaudeCodeCredentials>,
    now_ms: f64,
) {
    let Some(claude) = claude else { return };
    let Some(expires) = claude.expires_at_ms else {
        return;
    };
    let imported_usable = claude.has_refresh_token && expires as f64 - now_ms > REFRESH_MARGIN_MS;
    if !imported_usable {
        return;
    }
    for p in profiles.iter_mut() {
        let in_scope = p.id == CLAUDE_CLI_PROFILE
            && p.kind == CredentialType::OAuth
            && p.provider == "claude-cli";
        let has_identity = p.email.is_some() || p.account_id.is_some();
        if in_scope && !p.has_usable_oauth(now_ms) && !has_identity {
            p.expires = Some(expires as f64);
            p.has_refresh = true;
            p.external_source = Some("claude-code");
        }
    }
}

/// The MiniMax CLI's login (`~/.minimax/oauth_creds.json`: `access_token`, `refresh_token`,
/// `expiry_date` in ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinimaxLogin {
    pub expires_ms: f64,
}

/// The profile id 2026.9.6 bootstraps from the MiniMax CLI.
pub const MINIMAX_CLI_PROFILE: &str = "minimax-portal:minimax-cli";

/// Applies 2026.9.6's MiniMax bootstrap to a store's profiles.
pub fn resolve_minimax_cli(profiles: &mut [Credential], login: Option<MinimaxLogin>, now_ms: f64) {
    let Some(login) = login else { return };
    if login.expires_ms - now_ms <= REFRESH_MARGIN_MS {
        return;
    }
    for p in profiles.iter_mut() {
        let in_scope = p.id == MINIMAX_CLI_PROFILE
            && p.kind == CredentialType::OAuth
            && matches!(
                p.provider.as_str(),
                "minimax-portal" | "minimax" | "minimax-cli"
            )
            && p.fence.is_none();
        let has_identity = p.email.is_some() || p.account_id.is_some();
        if in_scope && !p.has_usable_oauth(now_ms) && !has_identity {
            p.expires = Some(login.expires_ms);
            p.has_refresh = true;
            p.external_source = Some("minimax-cli");
        }
    }
}
