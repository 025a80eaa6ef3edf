//! clawauth-ffi: clawauth's core for foreign front ends (the Android widget), through UniFFI.
//!
//! A thin facade: [`Clawauth`] is created with the app's directories and what the platform
//! owns (a [`SecretStore`], [`SshSigner`]s), and every call runs a core function and copies its
//! result into plain records ([`types`]). Decisions stay in the core, so the widget shows what
//! `clawauth status` would say.
//!
//! Every long call is a `suspend fun` in Kotlin. Cancelling the coroutine drops the Rust
//! future, which owns the SSH connection: the connection closes, sshd hangs up the gateway's
//! side, and nothing half-done is stored.

mod error;
mod platform;
mod types;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use camino::Utf8PathBuf;
use chrono::Utc;
use clawauth_core::actions::outcome::Outcome as CoreOutcome;
use clawauth_core::actions::run::{Job, TargetChoices, over_ssh, target_for};
use clawauth_core::actions::sync::{self as core_sync, SyncOptions};
use clawauth_core::actions::{PasteRequest, SecretKind, Session, input};
use clawauth_core::config::{self, Config, HostEntry};
use clawauth_core::gateway::Gateway;
use clawauth_core::last_good;
use clawauth_core::monitor;
use clawauth_core::openclaw::env::Environment;
use clawauth_core::reauth::{self as core_reauth, ReauthRequest};
use clawauth_core::secrets::Secret;
use clawauth_core::source::remote::check_host;
use clawauth_core::ssh::client::{offered_key, trust};
use clawauth_core::ssh::known_hosts::HostKeyCheck;
use clawauth_core::ssh::{ConnectOptions, HostKeyPolicy};

pub use error::ClawauthError;
pub use platform::{
    KeyAlgorithm, NameResolver, PassphrasePrompt, ReauthStep, ReauthUi, SecretStore, SshSigner,
};
pub use types::*;

uniffi::setup_scaffolding!();

/// The version of the clawauth core this library carries.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// The line to add to the gateway's `~/.ssh/authorized_keys` for the app's key `signer`
/// (`ecdsa-sha2-nistp256 AAAA… comment`), and the key's `SHA256:…` fingerprint.
#[uniffi::export]
pub fn authorized_key(
    signer: Arc<dyn SshSigner>,
    comment: String,
) -> Result<AuthorizedKey, ClawauthError> {
    let algorithm = platform::ForeignSigner(signer.clone()).algorithm_of();
    let (line, fingerprint) =
        clawauth_core::ssh::signer::authorized_key(algorithm, &signer.public_key_spki(), &comment)
            .map_err(|e| ClawauthError::invalid(e.to_string()))?;
    Ok(AuthorizedKey { line, fingerprint })
}

/// How long a re-auth may wait for the person (browser, code) before it gives up.
const PERSON_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// clawauth for one app: its hosts, its trusted host keys, its last good checks.
#[derive(uniffi::Object)]
pub struct Clawauth {
    env: Environment,
    config_path: Utf8PathBuf,
    /// Where each host's last good check is kept (`last_good::default_dir` of the app's cache).
    last_good_dir: Utf8PathBuf,
    secrets: Option<Arc<dyn SecretStore>>,
    signers: Vec<Arc<dyn SshSigner>>,
    prompt: Option<Arc<dyn PassphrasePrompt>>,
    resolver: Option<Arc<dyn NameResolver>>,
}

fn dir(what: &str, p: &str) -> Result<Utf8PathBuf, ClawauthError> {
    let p = Utf8PathBuf::from(p);
    if !p.is_absolute() {
        return Err(ClawauthError::invalid(format!(
            "the {what} must be an absolute path, not {p:?}"
        )));
    }
    Ok(p)
}

#[uniffi::export(async_runtime = "tokio")]
impl Clawauth {
    /// clawauth over the app's directories, with what the platform owns: its secret store
    /// (null: no stored passphrases), its SSH keys (offered in order, before any key file under
    /// `files_dir/.ssh`), a passphrase dialog (null: never ask) and its name resolver (null:
    /// clawauth resolves names itself).
    #[uniffi::constructor]
    pub fn new(
        dirs: AppDirs,
        secrets: Option<Arc<dyn SecretStore>>,
        signers: Vec<Arc<dyn SshSigner>>,
        prompt: Option<Arc<dyn PassphrasePrompt>>,
        resolver: Option<Arc<dyn NameResolver>>,
    ) -> Result<Arc<Self>, ClawauthError> {
        let files = dir("files directory", &dirs.files_dir)?;
        let config_dir = dir("config directory", &dirs.config_dir)?;
        let cache_dir = dir("cache directory", &dirs.cache_dir)?;
        let config_path = config_dir.join("config.toml");
        // The core finds everything through these: nothing of the process's own HOME is read.
        let env = Environment::empty()
            .with("HOME", files.as_str())
            .with("USER", "clawauth")
            .with("CLAWAUTH_CONFIG", config_path.as_str())
            .with("XDG_CACHE_HOME", cache_dir.as_str());
        let last_good_dir = last_good::default_dir(&env)
            .ok_or_else(|| ClawauthError::invalid("no cache directory for the last good checks"))?;
        Ok(Arc::new(Self {
            env,
            config_path,
            last_good_dir,
            secrets,
            signers,
            prompt,
            resolver,
        }))
    }

    /// The configured gateways, in name order.
    pub fn hosts(&self) -> Result<Vec<Host>, ClawauthError> {
        Ok(self
            .config()?
            .hosts
            .iter()
            .map(|(name, h)| Host {
                name: name.clone(),
                ssh: h.ssh.clone(),
                agent: h.agent.clone(),
            })
            .collect())
    }

    /// Adds gateway `name` reached at `ssh` (`user@host` or `user@host:port`), or replaces it.
    pub fn add_host(
        &self,
        name: String,
        ssh: String,
        agent: Option<String>,
    ) -> Result<(), ClawauthError> {
        clawauth_core::validate::validate_host_name(&name).map_err(ClawauthError::invalid)?;
        clawauth_core::validate::validate_ssh_target(&ssh).map_err(ClawauthError::invalid)?;
        let mut entry = HostEntry::new(ssh);
        entry.agent = agent;
        entry.validate().map_err(ClawauthError::invalid)?;
        config::add_host(&self.config_path, &name, &entry, true)
            .map_err(|e| ClawauthError::invalid(e.to_string()))
    }

    /// Removes gateway `name`; true when it was configured.
    pub fn remove_host(&self, name: String) -> Result<bool, ClawauthError> {
        config::remove_host(&self.config_path, &name)
            .map_err(|e| ClawauthError::invalid(e.to_string()))
    }

    /// The host key gateway `name` offers now and whether it is trusted (connects, does not log
    /// in).
    pub async fn offered_host_key(&self, name: String) -> Result<OfferedHostKey, ClawauthError> {
        let (entry, opts, _) = self.setup(&name)?;
        let o = offered_key(&name, &entry.ssh, &opts)
            .await
            .map_err(|e| ClawauthError::from(e.problem()))?;
        let (state, stored) = match &o.check {
            HostKeyCheck::Known => (HostKeyState::Trusted, None),
            HostKeyCheck::Unknown { .. } => (HostKeyState::Unknown, None),
            HostKeyCheck::Revoked { .. } => (HostKeyState::Revoked, None),
            HostKeyCheck::Changed {
                stored_fingerprint, ..
            } => (HostKeyState::Changed, Some(stored_fingerprint.clone())),
        };
        Ok(OfferedHostKey {
            host: name,
            key_type: o.key_type,
            fingerprint: o.fingerprint,
            state,
            stored_fingerprint: stored,
        })
    }

    /// Trusts the host key gateway `name` offers, if its fingerprint is `fingerprint` (the one
    /// the person compared). A changed key is never replaced here.
    pub async fn trust_host(&self, name: String, fingerprint: String) -> Result<(), ClawauthError> {
        let (entry, opts, _) = self.setup(&name)?;
        let o = offered_key(&name, &entry.ssh, &opts)
            .await
            .map_err(|e| ClawauthError::from(e.problem()))?;
        if o.fingerprint != fingerprint.trim() {
            return Err(ClawauthError::invalid(format!(
                "{name} now offers {}, not the key that was compared ({}): nothing was trusted",
                o.fingerprint,
                clawauth_core::display::visible(fingerprint.trim())
            )));
        }
        match &o.check {
            HostKeyCheck::Known => Ok(()),
            HostKeyCheck::Unknown { .. } => trust(&o).map_err(|e| ClawauthError::from(e.problem())),
            HostKeyCheck::Changed { .. } | HostKeyCheck::Revoked { .. } => Err(o
                .refused
                .map(|e| ClawauthError::from(e.problem()))
                .unwrap_or_else(|| ClawauthError::other("the host key cannot be trusted"))),
        }
    }

    /// Checks gateway `host` over SSH. A gateway that cannot be read is not an error: the
    /// result says why (its problems) and carries the last good check.
    pub async fn check(&self, host: String) -> Result<CheckResult, ClawauthError> {
        let report = self.checked(&host).await?;
        Ok(CheckResult::from(&report))
    }

    /// Checks gateway `host` (as [`Self::check`]) and runs the monitor's alert policy on the
    /// result in its changes-only form: a notice when something got worse or was fixed since
    /// the last notice the app was given, none when nothing changed (no reminders). What was
    /// noticed is remembered under the app's files directory, atomically, so a notice is given
    /// once per change across scheduled runs and reboots.
    pub async fn watch(&self, host: String) -> Result<Watched, ClawauthError> {
        let report = self.checked(&host).await?;
        let result = CheckResult::from(&report);
        let inbox = Arc::new(monitor::notify::Inbox::default());
        let run = monitor::RunOptions {
            policy: monitor::config::Policy::default().changes_only(),
            state_path: monitor::state::default_path(&self.env)
                .ok_or_else(|| ClawauthError::invalid("no directory for the monitor's state"))?,
            dry_run: false,
            now_ms: report.taken_at.timestamp_millis(),
            lock_wait: Duration::from_secs(10),
            crash_after_send: false,
        };
        let targets = [monitor::Target {
            report,
            remote: true,
        }];
        monitor::run(
            &targets,
            &[monitor::notify::Notifier::App(inbox.clone())],
            &run,
        )
        .await
        .map_err(|e| ClawauthError::other(e.to_string()))?;
        let notices = inbox.take().into_iter().map(Notice::from).collect();
        Ok(Watched { result, notices })
    }

    /// Gateway `host`'s last good check, if one was kept.
    pub fn last_good(&self, host: String) -> Option<LastGood> {
        let l = last_good::load(&self.last_good_dir, &host)?;
        Some(LastGood {
            kept_at_ms: l.kept_at.timestamp_millis(),
            age_ms: l.age_ms(Utc::now()),
            verdict: l.report.verdict.into(),
            headline: clawauth_core::report::human::headline(&l.report),
        })
    }

    /// Puts clawauth (`binary`: the bytes of a clawauth executable built for the gateway) on
    /// gateway `host` at `to` (default `~/.local/bin/clawauth`), as `clawauth hosts install`
    /// does: checked, made executable, run once, renamed into place; a clawauth of the same
    /// version is left alone, another program never overwritten. Then the host's `clawauth`
    /// setting records where it is, so its checks are answered there.
    pub async fn hosts_install(
        &self,
        host: String,
        binary: Vec<u8>,
        to: Option<String>,
    ) -> Result<InstallResult, ClawauthError> {
        use clawauth_core::install::{self as core_install, Binary, InstallRequest};
        let req = InstallRequest { to };
        req.validate()
            .map_err(|e| ClawauthError::invalid(e.to_string()))?;
        let bin = Binary::inspect(&binary).map_err(|e| ClawauthError::invalid(e.to_string()))?;
        let (entry, opts, config) = self.setup(&host)?;
        let deadline = core_install::deadline_for(binary.len()).max(config.defaults.deadline);
        let done = core_install::install_over_ssh(
            &host,
            &entry.ssh,
            &opts,
            &req,
            &bin,
            deadline,
            |_, _| {},
        )
        .await
        .map_err(|e| ClawauthError::from(e.problem()))?;
        if entry.clawauth.as_deref() != Some(done.path.as_str()) {
            config::set_host_clawauth(&self.config_path, &host, &done.path)
                .map_err(|e| ClawauthError::other(e.to_string()))?;
        }
        Ok(InstallResult {
            host,
            path: done.path,
            arch: done.arch.as_str().to_owned(),
            version: done.version,
            previous: done.previous,
            changed: done.changed,
            bytes: done.bytes,
            sha256: done.sha256,
        })
    }

    /// Copies Claude Code's login on the gateway into OpenClaw (`clawauth sync`).
    pub async fn sync(&self, host: String) -> Result<Outcome, ClawauthError> {
        struct SyncJob;
        impl Job for SyncJob {
            type Output = Outcome;
            async fn run<G: Gateway>(self, s: &Session<'_, G>) -> Outcome {
                let r = core_sync::sync(s, &SyncOptions::default()).await;
                Outcome::of(CoreOutcome::from(&r), &r)
            }
        }
        self.repair(&host, None, SyncJob).await
    }

    /// Stores a token for `provider` (`claude setup-token`'s, pasted) where OpenClaw uses it
    /// for the flagged routes; `expires_in_ms` is how long it lasts (setup-tokens: 365 days).
    pub async fn paste_token(
        &self,
        host: String,
        provider: String,
        token: String,
        expires_in_ms: Option<i64>,
    ) -> Result<Outcome, ClawauthError> {
        self.paste(host, SecretKind::Token, provider, token, expires_in_ms)
            .await
    }

    /// Stores an API key for `provider` where OpenClaw uses it.
    pub async fn paste_api_key(
        &self,
        host: String,
        provider: String,
        key: String,
    ) -> Result<Outcome, ClawauthError> {
        self.paste(host, SecretKind::ApiKey, provider, key, None)
            .await
    }

    /// The guided re-auth of `provider` on gateway `host`, driven by `ui` (the method: a
    /// setup-token for Anthropic, else the provider's login).
    pub async fn reauth(
        &self,
        host: String,
        provider: String,
        ui: Arc<dyn ReauthUi>,
    ) -> Result<Outcome, ClawauthError> {
        input::validate_provider(&provider).map_err(|e| ClawauthError::invalid(e.0))?;
        let method = if provider == "anthropic" {
            core_reauth::Method::SetupToken
        } else {
            core_reauth::Method::Login
        };
        let mut req = ReauthRequest::new(provider, method);
        req.user_timeout = PERSON_TIMEOUT;
        let failed = Arc::new(Mutex::new(None));
        struct ReauthJob {
            req: ReauthRequest,
            ui: platform::ForeignUi,
        }
        impl Job for ReauthJob {
            type Output = Outcome;
            async fn run<G: Gateway>(mut self, s: &Session<'_, G>) -> Outcome {
                let r = core_reauth::run(s, &self.req, &mut self.ui).await;
                Outcome::of(CoreOutcome::from(&r), &r)
            }
        }
        let job = ReauthJob {
            req,
            ui: platform::ForeignUi {
                ui,
                failed: failed.clone(),
            },
        };
        // The person may take their time; the programs each have their own timeouts.
        let out = self
            .repair(&host, Some(PERSON_TIMEOUT + Duration::from_secs(300)), job)
            .await;
        if let Some(e) = failed.lock().ok().and_then(|mut f| f.take()) {
            return Err(e);
        }
        out
    }
}

impl Clawauth {
    fn config(&self) -> Result<Config, ClawauthError> {
        Config::load(&self.config_path).map_err(|e| ClawauthError::from(e.problem()))
    }

    /// The host's entry, the connect options and the config.
    /// Checks gateway `host` over SSH and keeps the result as its last good check when it is
    /// one (what [`Self::check`] and [`Self::watch`] share).
    async fn checked(&self, host: &str) -> Result<clawauth_core::report::Report, ClawauthError> {
        let (entry, opts, config) = self.setup(host)?;
        let target = target_for(Some(&entry), &config.defaults, TargetChoices::default())?;
        let now = Utc::now();
        let mut report = check_host(
            host,
            &entry.ssh,
            &opts,
            &target.req,
            config.defaults.deadline,
            now,
        )
        .await;
        last_good::note(&self.last_good_dir, host, &mut report, now);
        Ok(report)
    }

    fn setup(&self, name: &str) -> Result<(HostEntry, ConnectOptions, Config), ClawauthError> {
        let config = self.config()?;
        let entry = config.host(name).cloned().ok_or_else(|| {
            ClawauthError::invalid(format!(
                "{} is not a configured host",
                clawauth_core::display::visible(name)
            ))
        })?;
        let mut opts = ConnectOptions::new(self.env.clone());
        opts.connect_timeout = config.defaults.connect_timeout;
        opts.host_keys = HostKeyPolicy::Strict;
        opts.secrets = self.secrets.clone().map(|s| {
            Arc::new(platform::ForeignStore(s)) as Arc<dyn clawauth_core::secrets::SecretStore>
        });
        opts.signers = self
            .signers
            .iter()
            .map(|s| {
                Arc::new(platform::ForeignSigner(s.clone()))
                    as Arc<dyn clawauth_core::ssh::signer::SshSigner>
            })
            .collect();
        opts.prompt = self.prompt.clone().map(platform::prompt_of);
        opts.resolver = self.resolver.clone().map(|r| {
            Arc::new(platform::ForeignResolver(r)) as Arc<dyn clawauth_core::ssh::client::Resolver>
        });
        Ok((entry, opts, config))
    }

    async fn repair<J: Job>(
        &self,
        host: &str,
        deadline: Option<Duration>,
        job: J,
    ) -> Result<J::Output, ClawauthError> {
        let (entry, opts, config) = self.setup(host)?;
        let target = target_for(Some(&entry), &config.defaults, TargetChoices::default())?;
        over_ssh(
            host,
            &entry.ssh,
            &opts,
            target,
            deadline.unwrap_or(config.defaults.deadline),
            job,
        )
        .await
        .map_err(|u| ClawauthError::from(u.problem))
    }

    async fn paste(
        &self,
        host: String,
        kind: SecretKind,
        provider: String,
        secret: String,
        expires_in_ms: Option<i64>,
    ) -> Result<Outcome, ClawauthError> {
        input::validate_provider(&provider).map_err(|e| ClawauthError::invalid(e.0))?;
        if expires_in_ms.is_some_and(|ms| ms <= 0) {
            return Err(ClawauthError::invalid(
                "a token's lifetime must be a positive duration",
            ));
        }
        let secret = input::validate_secret(&provider, kind, secret.as_bytes())
            .map_err(|e| ClawauthError::invalid(e.0))?;
        struct PasteJob {
            req: PasteRequest,
            secret: Secret,
        }
        impl Job for PasteJob {
            type Output = Outcome;
            async fn run<G: Gateway>(self, s: &Session<'_, G>) -> Outcome {
                let r = s.paste_repair(&self.req, &self.secret, |_| {}).await;
                Outcome::of(CoreOutcome::from(&r), &r)
            }
        }
        let job = PasteJob {
            req: PasteRequest {
                kind,
                provider,
                profile_id: None,
                expires_in_ms,
                agent: None,
            },
            secret,
        };
        self.repair(&host, None, job).await
    }
}
