//! OpenClaw 2026.6.1's in-memory use of Claude Code's credentials (SPEC §10, legacy set):
//! an `anthropic:claude-cli` profile (`type: oauth`, `provider: claude-cli`) that is no longer
//! usable is shown with Claude Code's expiry when Claude Code holds a usable OAuth login
//! (`resolveEffectiveOAuthCredential`, `store.ts` / `oauth.ts` of 2026.6.1). A profile carrying
//! an identity (email, account id) is never swapped.

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
