//! What the platform owns, as foreign traits the app implements: where secrets are kept
//! (Android Keystore-encrypted storage), the SSH key (a Keystore key that never leaves it), and
//! the screens of the guided re-auth. Each has an adapter onto the core's own trait. A callback
//! that throws becomes a [`ClawauthError::Callback`], never a crash.

use std::sync::{Arc, Mutex};

use clawauth_core::reauth::{ReauthUi as CoreReauthUi, Step};
use clawauth_core::secrets::{Secret, SecretError, SecretStore as CoreSecretStore};
use clawauth_core::ssh::signer::{
    SignFuture, SignerAlgorithm, SignerError, SshSigner as CoreSshSigner,
};

use crate::error::ClawauthError;
use crate::types::Verdict;

/// Where the app keeps secrets (a key's passphrase, the ntfy token), by key.
#[uniffi::export(with_foreign)]
pub trait SecretStore: Send + Sync {
    /// The secret under `key`, or null.
    fn get(&self, key: String) -> Result<Option<String>, ClawauthError>;
    /// Stores `value` under `key`, replacing any previous one.
    fn set(&self, key: String, value: String) -> Result<(), ClawauthError>;
    /// Removes the secret under `key`; true when there was one.
    fn delete(&self, key: String) -> Result<bool, ClawauthError>;
}

/// The app's [`SecretStore`] as the core's.
pub(crate) struct ForeignStore(pub Arc<dyn SecretStore>);

fn store_error(action: &str, e: ClawauthError) -> SecretError {
    SecretError::Invalid(format!("the app's secret store could not {action}: {e}"))
}

impl CoreSecretStore for ForeignStore {
    fn kind(&self) -> &'static str {
        "platform"
    }
    fn get(&self, key: &str) -> Result<Option<Secret>, SecretError> {
        self.0
            .get(key.to_owned())
            .map(|v| v.map(Secret::new))
            .map_err(|e| store_error("read a secret", e))
    }
    fn set(&self, key: &str, value: &Secret) -> Result<(), SecretError> {
        self.0
            .set(key.to_owned(), value.expose().to_owned())
            .map_err(|e| store_error("store a secret", e))
    }
    fn delete(&self, key: &str) -> Result<bool, SecretError> {
        self.0
            .delete(key.to_owned())
            .map_err(|e| store_error("delete a secret", e))
    }
    fn location(&self) -> String {
        "the app's secret store".into()
    }
}

/// The kind of a platform key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum KeyAlgorithm {
    /// ECDSA P-256 with SHA-256: every Android Keystore has it, hardware-backed. `sign` gets
    /// the data (the platform hashes it: `SHA256withECDSA`) and returns DER.
    EcdsaP256,
    /// Ed25519 where the Keystore offers it: `sign` returns 64 bytes.
    Ed25519,
}

/// An SSH key the platform keeps and signs with (Android Keystore never hands out the private
/// key). Offered to the gateway before any key file.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait SshSigner: Send + Sync {
    /// A name for messages (`Android Keystore key "gateway"`), never secret.
    fn label(&self) -> String;
    fn algorithm(&self) -> KeyAlgorithm;
    /// The public key as X.509 SubjectPublicKeyInfo DER (`PublicKey.getEncoded()`).
    fn public_key_spki(&self) -> Vec<u8>;
    /// Signs `data` (see [`KeyAlgorithm`] for the format).
    async fn sign(&self, data: Vec<u8>) -> Result<Vec<u8>, ClawauthError>;
}

/// The app's [`SshSigner`] as the core's.
pub(crate) struct ForeignSigner(pub Arc<dyn SshSigner>);

impl ForeignSigner {
    pub(crate) fn algorithm_of(&self) -> SignerAlgorithm {
        match self.0.algorithm() {
            KeyAlgorithm::EcdsaP256 => SignerAlgorithm::EcdsaP256,
            KeyAlgorithm::Ed25519 => SignerAlgorithm::Ed25519,
        }
    }
}

impl CoreSshSigner for ForeignSigner {
    fn label(&self) -> String {
        self.0.label()
    }
    fn algorithm(&self) -> SignerAlgorithm {
        self.algorithm_of()
    }
    fn public_key_spki(&self) -> Vec<u8> {
        self.0.public_key_spki()
    }
    fn sign(&self, data: Vec<u8>) -> SignFuture<'_> {
        Box::pin(async move {
            self.0
                .sign(data)
                .await
                .map_err(|e| SignerError::Refused(e.to_string()))
        })
    }
}

/// Asks the person for the passphrase of an encrypted key file (a dialog); null: cancelled.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait PassphrasePrompt: Send + Sync {
    async fn passphrase(&self, key_file: String) -> Result<Option<String>, ClawauthError>;
}

/// The app's [`PassphrasePrompt`] as the core's (a prompt that throws counts as cancelled).
pub(crate) fn prompt_of(
    p: Arc<dyn PassphrasePrompt>,
) -> clawauth_core::ssh::client::PassphrasePrompt {
    Arc::new(move |path| {
        let p = p.clone();
        Box::pin(async move {
            match p.passphrase(path.to_string()).await {
                Ok(v) => v.map(Secret::new),
                Err(e) => {
                    tracing::warn!("the app's passphrase prompt failed: {e}");
                    None
                }
            }
        })
    })
}

/// The platform's name resolution (Android: `InetAddress.getAllByName` on the current
/// network), so LAN names resolve as the phone's other apps see them.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait NameResolver: Send + Sync {
    /// The addresses of `host` (`192.168.1.20`, `fe80::1`).
    async fn resolve(&self, host: String) -> Result<Vec<String>, ClawauthError>;
}

/// The app's [`NameResolver`] as the core's.
pub(crate) struct ForeignResolver(pub Arc<dyn NameResolver>);

impl clawauth_core::ssh::client::Resolver for ForeignResolver {
    fn resolve(&self, host: String) -> clawauth_core::ssh::client::ResolveFuture {
        let r = self.0.clone();
        Box::pin(async move {
            let answers = r.resolve(host).await.map_err(|e| e.to_string())?;
            answers
                .iter()
                .map(|a| {
                    a.trim().parse::<std::net::IpAddr>().map_err(|_| {
                        format!("{} is not an address", clawauth_core::display::visible(a))
                    })
                })
                .collect()
        })
    }
}

/// A step of the guided re-auth, to show.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ReauthStep {
    Checking {
        host: String,
    },
    /// What the check before the re-auth said.
    Status {
        verdict: Verdict,
        summary: String,
    },
    /// A program started on the gateway (`claude setup-token`).
    Started {
        program: String,
    },
    /// Sign in in the browser; it then shows a code.
    WaitingForBrowser,
    /// Enter `code` at `url`.
    DeviceCode {
        url: String,
        code: String,
    },
    WaitingForToken,
    /// The new credential is being stored as `profile`, and why that one.
    Storing {
        profile: String,
        reason: String,
    },
    /// The gateway service after the change, in words.
    Restart {
        detail: String,
    },
    Rechecking,
}

impl From<&Step> for ReauthStep {
    fn from(s: &Step) -> Self {
        use clawauth_core::actions::ServiceRestart as R;
        match s {
            Step::Checking { host } => Self::Checking { host: host.clone() },
            Step::Status { verdict, summary } => Self::Status {
                verdict: (*verdict).into(),
                summary: summary.clone(),
            },
            Step::Started { program } => Self::Started {
                program: program.clone(),
            },
            Step::WaitingForBrowser => Self::WaitingForBrowser,
            Step::DeviceCode { url, code } => Self::DeviceCode {
                url: url.clone(),
                code: code.clone(),
            },
            Step::WaitingForToken => Self::WaitingForToken,
            Step::Storing { profile, reason } => Self::Storing {
                profile: profile.clone(),
                reason: reason.clone(),
            },
            Step::Restart { restart } => Self::Restart {
                detail: match restart {
                    R::Restarted => "restarted the gateway service".into(),
                    R::NotActive(w) => format!("{w}; not restarted"),
                    R::Unavailable(w) | R::Failed(w) => format!("service: {w}"),
                },
            },
            Step::Rechecking => Self::Rechecking,
        }
    }
}

/// The screens of the guided re-auth. Every method may suspend; returning null from an
/// `ask…` method (or false from `confirm`) stops the flow with the old credential in place.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait ReauthUi: Send + Sync {
    /// Shows progress.
    async fn step(&self, step: ReauthStep) -> Result<(), ClawauthError>;
    /// Opens `url` in the browser.
    async fn open_url(&self, url: String) -> Result<(), ClawauthError>;
    /// Asks for a code (shown as typed).
    async fn ask_code(&self, prompt: String) -> Result<Option<String>, ClawauthError>;
    /// Asks for a secret (a hidden field).
    async fn ask_secret(&self, prompt: String) -> Result<Option<String>, ClawauthError>;
    /// A yes/no question.
    async fn confirm(&self, question: String) -> Result<bool, ClawauthError>;
}

/// The app's [`ReauthUi`] as the core's. The first callback that throws stops the flow (as a
/// cancel would) and is what the call returns.
pub(crate) struct ForeignUi {
    pub ui: Arc<dyn ReauthUi>,
    pub failed: Arc<Mutex<Option<ClawauthError>>>,
}

impl ForeignUi {
    fn record(&self, e: ClawauthError) {
        if let Ok(mut f) = self.failed.lock() {
            f.get_or_insert(e);
        }
    }

    fn has_failed(&self) -> bool {
        self.failed.lock().map(|f| f.is_some()).unwrap_or(true)
    }
}

impl CoreReauthUi for ForeignUi {
    fn step(&mut self, step: &Step) -> impl Future<Output = ()> + Send {
        let step = ReauthStep::from(step);
        async move {
            if let Err(e) = self.ui.step(step).await {
                self.record(e);
            }
        }
    }

    fn open_url(&mut self, url: &str) -> impl Future<Output = ()> + Send {
        let url = url.to_owned();
        async move {
            if let Err(e) = self.ui.open_url(url).await {
                self.record(e);
            }
        }
    }

    fn ask_code(&mut self, prompt: &str) -> impl Future<Output = Option<String>> + Send {
        let prompt = prompt.to_owned();
        async move {
            if self.has_failed() {
                return None;
            }
            match self.ui.ask_code(prompt).await {
                Ok(v) => v,
                Err(e) => {
                    self.record(e);
                    None
                }
            }
        }
    }

    fn ask_secret(&mut self, prompt: &str) -> impl Future<Output = Option<Secret>> + Send {
        let prompt = prompt.to_owned();
        async move {
            if self.has_failed() {
                return None;
            }
            match self.ui.ask_secret(prompt).await {
                Ok(v) => v.map(Secret::new),
                Err(e) => {
                    self.record(e);
                    None
                }
            }
        }
    }

    fn confirm(&mut self, question: &str) -> impl Future<Output = bool> + Send {
        let question = question.to_owned();
        async move {
            if self.has_failed() {
                return false;
            }
            match self.ui.confirm(question).await {
                Ok(v) => v,
                Err(e) => {
                    self.record(e);
                    false
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A UI whose code field throws, as a Kotlin `askCode` that raises would reach Rust.
    struct Throwing;

    #[async_trait::async_trait]
    impl ReauthUi for Throwing {
        async fn step(&self, _: ReauthStep) -> Result<(), ClawauthError> {
            Ok(())
        }
        async fn open_url(&self, _: String) -> Result<(), ClawauthError> {
            Ok(())
        }
        async fn ask_code(&self, _: String) -> Result<Option<String>, ClawauthError> {
            Err(
                uniffi::UnexpectedUniFFICallbackError::new("java.lang.IllegalStateException: gone")
                    .into(),
            )
        }
        async fn ask_secret(&self, _: String) -> Result<Option<String>, ClawauthError> {
            Ok(Some("never asked".into()))
        }
        async fn confirm(&self, _: String) -> Result<bool, ClawauthError> {
            Ok(true)
        }
    }

    /// A callback that throws stops the flow as a cancel would (no code, no secret, no "yes")
    /// and is kept as the error the call returns.
    #[tokio::test]
    async fn a_throwing_callback_becomes_the_calls_error() {
        let failed = Arc::new(Mutex::new(None));
        let mut ui = ForeignUi {
            ui: Arc::new(Throwing),
            failed: failed.clone(),
        };
        assert_eq!(ui.ask_code("code?").await, None);
        assert!(
            ui.ask_secret("key?").await.is_none(),
            "nothing asked after a failure"
        );
        assert!(!ui.confirm("renew?").await);
        let e = failed.lock().expect("lock").take().expect("recorded");
        assert_eq!(
            e,
            ClawauthError::Callback {
                reason: "java.lang.IllegalStateException: gone".into()
            }
        );
    }

    /// A store that throws is a secret-store error naming the store, never a panic.
    #[test]
    fn a_throwing_store_is_a_store_error() {
        struct Broken;
        impl SecretStore for Broken {
            fn get(&self, _: String) -> Result<Option<String>, ClawauthError> {
                Err(uniffi::UnexpectedUniFFICallbackError::new("KeyStoreException").into())
            }
            fn set(&self, _: String, _: String) -> Result<(), ClawauthError> {
                Ok(())
            }
            fn delete(&self, _: String) -> Result<bool, ClawauthError> {
                Ok(false)
            }
        }
        let store = ForeignStore(Arc::new(Broken));
        let e = CoreSecretStore::get(&store, "k").expect_err("fails");
        assert!(
            e.to_string()
                .contains("the app's secret store could not read a secret"),
            "{e}"
        );
        assert!(e.to_string().contains("KeyStoreException"), "{e}");
    }
}
