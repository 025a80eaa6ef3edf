//! Checks a pasted token or API key before it leaves the phone, and the ids that go with it.
//!
//! OpenClaw itself strips every whitespace character out of a pasted Anthropic token and joins
//! the pieces, so a token that was wrapped over two lines — or cut at the wrap — is stored as
//! long as what is left has 80 characters. clawauth is stricter: a paste must be one unbroken
//! word (a single line break at the very end, as `echo` or a clipboard adds, is allowed), and
//! an Anthropic setup-token must start with `sk-ant-oat01-` and have at least 80 characters of
//! the token alphabet. Messages say what is wrong and where, never the value.

use zeroize::Zeroizing;

use crate::secrets::Secret;

/// Anthropic setup-tokens (`claude setup-token`) start with this.
pub const ANTHROPIC_TOKEN_PREFIX: &str = "sk-ant-oat01-";
/// OpenClaw refuses shorter ones; real ones have 108 characters.
pub const ANTHROPIC_TOKEN_MIN_LEN: usize = 80;
/// Larger input is not a token (OpenClaw's own cap on piped input is 1 MiB).
pub const MAX_SECRET_LEN: usize = 16 * 1024;

/// What is being pasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// `openclaw models auth paste-token`.
    Token,
    /// `openclaw models auth paste-api-key`.
    ApiKey,
}

impl SecretKind {
    pub fn noun(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::ApiKey => "API key",
        }
    }

    /// The kind of credential OpenClaw stores for it.
    pub fn credential_type(self) -> crate::openclaw::credentials::CredentialType {
        match self {
            Self::Token => crate::openclaw::credentials::CredentialType::Token,
            Self::ApiKey => crate::openclaw::credentials::CredentialType::ApiKey,
        }
    }
}

/// Why a paste was refused. Never holds the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PasteRefused(pub String);

/// Validates `raw` (as read from the terminal, stdin or the clipboard) as a `kind` for
/// `provider`, and returns the secret without its final line break.
pub fn validate_secret(
    provider: &str,
    kind: SecretKind,
    raw: &[u8],
) -> Result<Secret, PasteRefused> {
    let noun = kind.noun();
    let refuse = |why: String| Err(PasteRefused(why));
    if raw.len() > MAX_SECRET_LEN {
        return refuse(format!(
            "the pasted {noun} is {} bytes long; that is not a {noun} (at most {MAX_SECRET_LEN})",
            raw.len()
        ));
    }
    let text = match std::str::from_utf8(raw) {
        Ok(t) => Zeroizing::new(t.to_owned()),
        Err(_) => return refuse(format!("the pasted {noun} is not text (invalid UTF-8)")),
    };
    // One line break at the very end is what `echo` and most clipboards add.
    let body = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    if body.is_empty() {
        return refuse(format!("nothing was pasted: the {noun} is empty"));
    }
    // Counted without whitespace: the length the token would have had in one piece.
    let chars = body.chars().filter(|c| !c.is_whitespace()).count();
    if let Some((pos, c)) = body.char_indices().find(|(_, c)| c.is_whitespace()) {
        let at = body[..pos].chars().count();
        let what = match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => "a line break",
            '\t' => "a tab",
            _ => "a space",
        };
        let hint = if at == 0 {
            "remove the leading whitespace".to_owned()
        } else {
            format!(
                "a terminal or chat app probably wrapped it at that point; copy the {noun} again as one \
                 line"
            )
        };
        return refuse(format!(
            "the pasted {noun} has {what} after {at} of its {chars} characters: {hint}"
        ));
    }
    if let Some(c) = body.chars().find(|c| c.is_control() || !c.is_ascii()) {
        return refuse(format!(
            "the pasted {noun} contains the character U+{:04X}, which no {noun} has: copy it again",
            c as u32
        ));
    }
    match (provider, kind) {
        ("anthropic", SecretKind::Token) => check_anthropic_token(body)?,
        ("anthropic", SecretKind::ApiKey) => {
            if body.starts_with(ANTHROPIC_TOKEN_PREFIX) {
                return refuse(
                    "this is a setup-token (sk-ant-oat01-…), not an API key: paste it as a token"
                        .to_owned(),
                );
            }
            if !body.starts_with("sk-ant-") {
                return refuse(
                    "Anthropic API keys start with sk-ant- (create one at https://console.anthropic.com/settings/keys)"
                        .to_owned(),
                );
            }
        }
        ("openai", SecretKind::ApiKey) if !body.starts_with("sk-") => {
            return refuse(
                "OpenAI API keys start with sk- (create one at https://platform.openai.com/api-keys)"
                    .to_owned(),
            );
        }
        _ => {}
    }
    Ok(Secret::new(body))
}

fn check_anthropic_token(body: &str) -> Result<(), PasteRefused> {
    let Some(rest) = body.strip_prefix(ANTHROPIC_TOKEN_PREFIX) else {
        let hint = if body.starts_with("sk-ant-api") {
            "this looks like an API key: paste it as an API key"
        } else {
            "copy the whole token that `claude setup-token` printed"
        };
        return Err(PasteRefused(format!(
            "Anthropic setup-tokens start with {ANTHROPIC_TOKEN_PREFIX}; {hint}"
        )));
    };
    if let Some(c) = rest
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(PasteRefused(format!(
            "the token contains {c:?}, which setup-tokens never have: copy it again"
        )));
    }
    let len = body.chars().count();
    if len < ANTHROPIC_TOKEN_MIN_LEN {
        return Err(PasteRefused(format!(
            "the token has {len} characters; setup-tokens have at least {ANTHROPIC_TOKEN_MIN_LEN} \
             (usually 108): it was cut off, probably where the terminal wrapped it; copy both lines"
        )));
    }
    Ok(())
}

/// A provider id as OpenClaw uses them (`anthropic`, `openai`, `github-copilot`, …).
pub fn validate_provider(p: &str) -> Result<(), PasteRefused> {
    let ok = matches!(p.as_bytes().first(), Some(b) if b.is_ascii_lowercase() || b.is_ascii_digit())
        && p.len() <= 64
        && p.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
    if !ok {
        return Err(PasteRefused(format!(
            "provider {p:?} is not a provider id (lower-case letters, digits, - _ ., like anthropic or openai)"
        )));
    }
    if matches!(p, "openai-codex" | "codex-cli") {
        return Err(PasteRefused(format!(
            "{p:?} is a legacy provider id that OpenClaw refuses; the provider is openai"
        )));
    }
    if p == "claude-cli" {
        return Err(PasteRefused(
            "\"claude-cli\" is OpenClaw's old id for Claude Code's login; the provider is anthropic \
             (a sync hands Claude Code's login to OpenClaw)"
                .to_owned(),
        ));
    }
    Ok(())
}

/// A profile id: `<provider>:<name>` with a conservative alphabet (emails allowed).
pub fn validate_profile_id(id: &str, provider: &str) -> Result<(), PasteRefused> {
    let ok = id.len() <= 128
        && id.split_once(':').is_some_and(|(p, name)| {
            !p.is_empty()
                && !name.is_empty()
                && name
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric())
        })
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:@+".contains(&b));
    if !ok {
        return Err(PasteRefused(format!(
            "profile id {id:?} is not valid: use <provider>:<name> with letters, digits and - _ . @ +, like {provider}:manual"
        )));
    }
    if id.split_once(':').map(|(p, _)| p) != Some(provider) {
        return Err(PasteRefused(format!(
            "profile id {id:?} does not belong to provider {provider:?}: use {provider}:<name>"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(len: usize) -> String {
        let mut t = ANTHROPIC_TOKEN_PREFIX.to_owned();
        while t.len() < len {
            t.push('A');
        }
        t
    }

    fn refused(raw: &str) -> String {
        validate_secret("anthropic", SecretKind::Token, raw.as_bytes())
            .expect_err("refused")
            .0
    }

    #[test]
    fn a_whole_token_passes_with_or_without_final_newline() {
        for raw in [
            token(108),
            format!("{}\n", token(108)),
            format!("{}\r\n", token(80)),
        ] {
            let s = validate_secret("anthropic", SecretKind::Token, raw.as_bytes()).expect("ok");
            assert!(!s.expose().ends_with('\n'));
            assert!(s.expose().starts_with(ANTHROPIC_TOKEN_PREFIX));
        }
    }

    #[test]
    fn wrapped_truncated_and_spaced_pastes_are_refused_without_echoing_them() {
        let t = token(108);
        let wrapped = format!("{}\n{}", &t[..80], &t[80..]);
        let msg = refused(&wrapped);
        assert!(msg.contains("line break after 80 of its 108"), "{msg}");
        assert!(!msg.contains(&t[20..40]));
        let msg = refused(&t[..79]);
        assert!(msg.contains("79 characters"), "{msg}");
        assert!(refused(&format!("{} {}", &t[..50], &t[50..])).contains("a space after 50"));
        assert!(refused(&format!("\t{t}")).contains("leading whitespace"));
        assert!(refused(&format!("{t}\n\n")).contains("line break"));
        assert!(refused(&format!("{}\u{2028}{}", &t[..90], &t[90..])).contains("line break"));
        assert!(refused("").contains("empty"));
        assert!(
            refused("sk-ant-api03-FAKE-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
                .contains("API key")
        );
        assert!(refused(&format!("{}é", &t[..100])).contains("U+00E9"));
        assert!(refused(&format!("{}%", &t[..100])).contains("'%'"));
        let huge = "a".repeat(MAX_SECRET_LEN + 1);
        assert!(refused(&huge).contains("bytes long"));
    }

    #[test]
    fn api_keys_and_other_providers() {
        assert!(validate_secret("anthropic", SecretKind::ApiKey, b"sk-ant-api03-FAKE-abc").is_ok());
        assert!(validate_secret("anthropic", SecretKind::ApiKey, token(108).as_bytes()).is_err());
        assert!(validate_secret("openai", SecretKind::ApiKey, b"hello").is_err());
        assert!(validate_secret("openrouter", SecretKind::ApiKey, b"or-v1-abc\n").is_ok());
        assert!(validate_secret("openrouter", SecretKind::ApiKey, b"or v1").is_err());
    }

    #[test]
    fn ids() {
        assert!(validate_provider("anthropic").is_ok());
        assert!(validate_provider("github-copilot").is_ok());
        assert!(validate_provider("Anthropic").is_err());
        assert!(validate_provider("a;b").is_err());
        assert!(validate_provider("openai-codex").is_err());
        assert!(validate_profile_id("anthropic:manual", "anthropic").is_ok());
        assert!(validate_profile_id("anthropic:me@example.com", "anthropic").is_ok());
        assert!(validate_profile_id("openai:manual", "anthropic").is_err());
        assert!(validate_profile_id("anthropic:", "anthropic").is_err());
        assert!(validate_profile_id("anthropic:a b", "anthropic").is_err());
        assert!(validate_profile_id("anthropic:$(x)", "anthropic").is_err());
    }
}
