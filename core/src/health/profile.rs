//! Per-profile health (`src/agents/auth-health.ts` `buildProfileHealth`, SPEC §4.1) and the
//! eligibility test selection uses (`order.ts resolveAuthProfileEligibility`,
//! `credential-state.ts evaluateStoredCredentialEligibility`).

use serde::Serialize;

use crate::openclaw::credentials::{
    Credential, CredentialType, ExpiryState, MAX_DATE_MS, REFRESH_MARGIN_MS, expiry_state,
};
use crate::openclaw::store::StoreFlavor;

/// A profile's status as `models status` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileStatus {
    Ok,
    Static,
    Expiring,
    Expired,
    Missing,
}

impl ProfileStatus {
    /// OpenClaw's status word; anything unknown reads as `missing`.
    pub fn parse(s: &str) -> Self {
        match s {
            "ok" => Self::Ok,
            "static" => Self::Static,
            "expiring" => Self::Expiring,
            "expired" => Self::Expired,
            _ => Self::Missing,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Static => "static",
            Self::Expiring => "expiring",
            Self::Expired => "expired",
            Self::Missing => "missing",
        }
    }
}

/// One row of `auth.oauth.profiles`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ProfileHealth {
    pub profile_id: String,
    pub provider: String,
    #[serde(rename = "type")]
    pub kind: CredentialType,
    pub status: ProfileStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<crate::report::Code>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_ms: Option<i64>,
    /// `id`, `id (display name)` or `id (email)`: OpenClaw's label, never a secret.
    pub label: String,
    /// `store`; `claude-code` / `minimax-cli` when OpenClaw shows an external CLI's login for an
    /// unusable profile (`health::bootstrap`).
    pub source: crate::report::Code,
    /// Read from the shared store, not the agent's own database (several agents see it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared: bool,
}

/// Display name and email configured for a profile in `openclaw.json` (`auth.profiles.<id>`).
#[derive(Debug, Clone, Default)]
pub struct ConfiguredProfile {
    pub provider: Option<String>,
    pub mode: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
}

/// `resolveAuthProfileDisplayLabel`.
pub fn label(cred: &Credential, configured: Option<&ConfiguredProfile>) -> String {
    let pick = |cfg: Option<&String>, stored: Option<&String>| {
        cfg.map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .or_else(|| {
                stored
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
            })
    };
    let name = pick(
        configured.and_then(|c| c.display_name.as_ref()),
        cred.display_name.as_ref(),
    );
    let email = pick(
        configured.and_then(|c| c.email.as_ref()),
        cred.email.as_ref(),
    );
    match name.or(email) {
        Some(n) => format!("{} ({n})", cred.id),
        None => cred.id.clone(),
    }
}

/// The status of a credential with `remaining_ms` left under a warn window (both inclusive, as
/// `resolveTokenExpiryState`).
pub fn status_for_remaining(remaining_ms: i64, window_ms: i64) -> ProfileStatus {
    if remaining_ms <= 0 {
        ProfileStatus::Expired
    } else if remaining_ms <= window_ms {
        ProfileStatus::Expiring
    } else {
        ProfileStatus::Ok
    }
}

/// `resolveOAuthStatus`: expiry → ok / expiring / expired (with times) or missing.
fn oauth_status(expires: Option<f64>, now_ms: f64, window_ms: f64) -> (ProfileStatus, Option<f64>) {
    let Some(e) = expires.filter(|e| e.is_finite() && e.abs() <= MAX_DATE_MS && *e > 0.0) else {
        return (ProfileStatus::Missing, None);
    };
    match expiry_state(Some(e), now_ms, window_ms) {
        ExpiryState::Valid => (ProfileStatus::Ok, Some(e)),
        ExpiryState::Expiring => (ProfileStatus::Expiring, Some(e)),
        ExpiryState::Expired => (ProfileStatus::Expired, Some(e)),
        ExpiryState::Missing | ExpiryState::Invalid => (ProfileStatus::Missing, None),
    }
}

/// The health of one stored profile as of `now_ms`, with a warn window of `warn_ms`
/// (OpenClaw: 24 h; OAuth uses at least the 5-minute refresh margin).
pub fn profile_health(
    cred: &Credential,
    configured: Option<&ConfiguredProfile>,
    now_ms: f64,
    warn_ms: f64,
    flavor: StoreFlavor,
) -> ProfileHealth {
    let legacy = flavor == StoreFlavor::LegacyJson;
    let mut h = ProfileHealth {
        profile_id: cred.id.clone(),
        provider: cred.provider.clone(),
        kind: cred.kind,
        status: ProfileStatus::Missing,
        reason_code: None,
        expires_at_ms: None,
        remaining_ms: None,
        label: label(cred, configured),
        source: cred.external_source.unwrap_or("store").into(),
        shared: false,
    };
    let with_expiry = |h: &mut ProfileHealth, (status, at): (ProfileStatus, Option<f64>)| {
        h.status = status;
        if let Some(e) = at {
            h.expires_at_ms = Some(e as i64);
            h.remaining_ms = Some((e - now_ms) as i64);
        }
    };
    if cred.setup_inactive && !legacy {
        h.reason_code = Some("setup_inactive".into());
        h.label = format!("{} (saved, inactive)", h.label);
        return h;
    }
    match cred.kind {
        CredentialType::ApiKey => {
            if legacy {
                h.status = ProfileStatus::Static;
            } else if cred.malformed_api_key {
                h.reason_code = Some("malformed_api_key".into());
            } else if !cred.secret.is_present() {
                h.reason_code = Some("missing_credential".into());
            } else {
                h.status = ProfileStatus::Static;
            }
        }
        CredentialType::Token => {
            if !cred.secret.is_present() {
                h.reason_code = Some("missing_credential".into());
                return h;
            }
            match expiry_state(cred.expires, now_ms, 0.0) {
                ExpiryState::Invalid => h.reason_code = Some("invalid_expires".into()),
                ExpiryState::Expired => {
                    h.status = ProfileStatus::Expired;
                    h.reason_code = Some("expired".into());
                }
                ExpiryState::Missing => h.status = ProfileStatus::Static,
                ExpiryState::Valid | ExpiryState::Expiring => {
                    with_expiry(&mut h, oauth_status(cred.expires, now_ms, warn_ms));
                }
            }
        }
        CredentialType::OAuth => {
            if cred.fence.is_some() && !legacy {
                h.status = ProfileStatus::Expired;
                h.reason_code = Some("expired".into());
                return h;
            }
            if !cred.secret.is_present() && !cred.has_refresh {
                h.reason_code = Some(
                    if cred.oauth_ref {
                        "unresolved_ref"
                    } else {
                        "missing_credential"
                    }
                    .into(),
                );
                return h;
            }
            with_expiry(
                &mut h,
                oauth_status(cred.expires, now_ms, warn_ms.max(REFRESH_MARGIN_MS)),
            );
        }
    }
    h
}

/// Why a profile cannot be a candidate (`resolveAuthProfileEligibility` reason codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ineligible {
    ProfileMissing,
    SetupInactive,
    ProviderMismatch,
    ModeMismatch,
    MalformedApiKey,
    MissingCredential,
    InvalidExpires,
    Expired,
    UnresolvedRef,
}

/// Eligibility of a stored credential on its own (steps 2 and 5; provider and configured-mode
/// checks are done by the caller, which knows the route).
pub fn credential_eligibility(
    cred: &Credential,
    now_ms: f64,
    flavor: StoreFlavor,
) -> Result<(), Ineligible> {
    let legacy = flavor == StoreFlavor::LegacyJson;
    if cred.setup_inactive && !legacy {
        return Err(Ineligible::SetupInactive);
    }
    match cred.kind {
        CredentialType::ApiKey => {
            if cred.malformed_api_key && !legacy {
                Err(Ineligible::MalformedApiKey)
            } else if !cred.secret.is_present() {
                Err(Ineligible::MissingCredential)
            } else {
                Ok(())
            }
        }
        CredentialType::Token => {
            if !cred.secret.is_present() {
                return Err(Ineligible::MissingCredential);
            }
            match expiry_state(cred.expires, now_ms, 0.0) {
                ExpiryState::Invalid => Err(Ineligible::InvalidExpires),
                ExpiryState::Expired => Err(Ineligible::Expired),
                _ => Ok(()),
            }
        }
        CredentialType::OAuth => {
            if cred.fence.is_some() && !legacy {
                return Err(Ineligible::Expired);
            }
            if !cred.secret.is_present() && !cred.has_refresh {
                return Err(if cred.oauth_ref {
                    Ineligible::UnresolvedRef
                } else {
                    Ineligible::MissingCredential
                });
            }
            Ok(())
        }
    }
}
