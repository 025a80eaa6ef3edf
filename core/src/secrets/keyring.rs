//! The kernel keyring store (feature `keyring`): desktops and gateway hosts. Android's seccomp
//! filter kills a process that calls keyctl, so the Android library is built without it.

use std::fmt;

use zeroize::Zeroizing;

use super::{KEYRING_SERVICE, Secret, SecretError, SecretStore, check_key, check_value};

/// Secrets in the system keyring under service [`KEYRING_SERVICE`], one entry per key (the
/// key is the entry's user name). On Linux that is the kernel keyring (keyutils): entries are
/// linked into the session keyring and the user's persistent keyring, and are lost on reboot.
pub struct KeyringStore {
    #[cfg(target_os = "linux")]
    store: std::sync::Arc<linux_keyutils_keyring_store::Store>,
}

impl fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringStore")
            .field("service", &KEYRING_SERVICE)
            .finish()
    }
}

/// Describes a keyring error without any secret bytes it may carry.
fn keyring_detail(e: &keyring_core::Error) -> String {
    use keyring_core::Error as E;
    match e {
        E::PlatformFailure(p) => format!("platform failure: {p}"),
        E::NoStorageAccess(p) => format!(
            "access denied ({p}); the process may need a session keyring (`keyctl session`)"
        ),
        E::NoEntry => "no such entry".to_owned(),
        E::BadEncoding(_) => "the stored value is not UTF-8".to_owned(),
        E::BadDataFormat(_, _) => "the stored value has an unexpected format".to_owned(),
        E::BadStoreFormat(s) => format!("bad store format: {s}"),
        E::TooLong(what, limit) => format!("{what} is longer than the keyring allows ({limit})"),
        E::Invalid(what, why) => format!("invalid {what}: {why}"),
        E::Ambiguous(v) => format!("{} entries match", v.len()),
        E::NoDefaultStore => "no keyring store configured".to_owned(),
        E::NotSupportedByStore(s) => format!("not supported: {s}"),
        _ => "unknown keyring error".to_owned(),
    }
}

impl KeyringStore {
    /// The platform's keyring store. Creating it touches no keyring; see [`Self::probe`].
    pub fn new() -> Result<Self, SecretError> {
        #[cfg(target_os = "linux")]
        {
            let store = linux_keyutils_keyring_store::Store::new().map_err(|e| {
                SecretError::KeyringUnavailable {
                    detail: keyring_detail(&e),
                }
            })?;
            Ok(Self { store })
        }
        #[cfg(not(target_os = "linux"))]
        {
            Err(SecretError::KeyringUnavailable {
                detail: "no keyring backend is built for this platform".to_owned(),
            })
        }
    }

    /// An entry for `key`, built after making sure this thread has a session keyring of its own.
    ///
    /// A thread without one (cron, a container, a service without pam_keyinit) falls back to the
    /// user-session keyring; the store would then add keys there that the thread cannot read
    /// back (AccessDenied), and its own `get_persistent` call replaces that session keyring
    /// halfway through. Asking for the session keyring with "create" first joins a fresh
    /// anonymous one (what `keyctl session` does, but for this thread, without unsafe code);
    /// a thread that already has a real session keyring keeps it. Keys are also linked into the
    /// user's persistent keyring, which is how a later process finds them.
    #[cfg(target_os = "linux")]
    fn entry(&self, key: &str) -> Result<keyring_core::Entry, keyring_core::Error> {
        use keyring_core::api::CredentialStoreApi;
        use linux_keyutils::{KeyError, KeyRing, KeyRingIdentifier};
        KeyRing::from_special_id(KeyRingIdentifier::Session, true).map_err(|e| match e {
            KeyError::AccessDenied => keyring_core::Error::NoStorageAccess(e.into()),
            other => keyring_core::Error::PlatformFailure(other.into()),
        })?;
        self.store.build(KEYRING_SERVICE, key, None)
    }

    #[cfg(not(target_os = "linux"))]
    fn entry(&self, _key: &str) -> Result<keyring_core::Entry, keyring_core::Error> {
        Err(keyring_core::Error::NoDefaultStore)
    }

    /// Checks that the keyring works here by setting, reading back and deleting a throwaway
    /// entry. Cheap (a few syscalls); any failure means "use the file store".
    pub fn probe(&self) -> Result<(), SecretError> {
        // Without the user's persistent keyring a key lives only in this process's session
        // keyring and is gone when clawauth exits.
        #[cfg(target_os = "linux")]
        linux_keyutils::KeyRing::get_persistent(linux_keyutils::KeyRingIdentifier::Session)
            .map_err(|e| SecretError::KeyringUnavailable {
                detail: format!(
                    "no persistent keyring ({e}), so stored secrets would vanish when clawauth exits"
                ),
            })?;
        let mut nonce = [0u8; 8];
        rand::fill(&mut nonce);
        let hex = crate::fsutil::hex(&nonce);
        let key = format!("clawauth-probe-{}-{hex}", std::process::id());
        let value = Secret::new(format!("probe-{hex}"));
        let unavailable = |e: SecretError| SecretError::KeyringUnavailable {
            detail: match e {
                SecretError::Keyring { detail, .. } => detail,
                other => other.to_string(),
            },
        };
        self.set(&key, &value).map_err(unavailable)?;
        let read = self.get(&key);
        let deleted = self.delete(&key);
        match read.map_err(unavailable)? {
            Some(v) if v == value => {}
            _ => {
                return Err(SecretError::KeyringUnavailable {
                    detail: "a value written to it could not be read back".to_owned(),
                });
            }
        }
        deleted.map_err(unavailable)?;
        Ok(())
    }
}

impl SecretStore for KeyringStore {
    fn kind(&self) -> &'static str {
        "keyring"
    }

    fn get(&self, key: &str) -> Result<Option<Secret>, SecretError> {
        check_key(key)?;
        let err = |e: keyring_core::Error| SecretError::Keyring {
            action: "read",
            key: key.to_owned(),
            detail: keyring_detail(&e),
        };
        let entry = self.entry(key).map_err(err)?;
        match entry.get_secret() {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                match std::str::from_utf8(&bytes) {
                    Ok(s) => Ok(Some(Secret::new(s))),
                    Err(_) => Err(err(keyring_core::Error::BadEncoding(Vec::new()))),
                }
            }
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(keyring_core::Error::BadEncoding(mut b)) => {
                zeroize::Zeroize::zeroize(&mut b);
                Err(err(keyring_core::Error::BadEncoding(Vec::new())))
            }
            Err(e) => Err(err(e)),
        }
    }

    fn set(&self, key: &str, value: &Secret) -> Result<(), SecretError> {
        check_key(key)?;
        check_value(key, value)?;
        let err = |e: keyring_core::Error| SecretError::Keyring {
            action: "store",
            key: key.to_owned(),
            detail: keyring_detail(&e),
        };
        self.entry(key)
            .and_then(|e| e.set_secret(value.expose().as_bytes()))
            .map_err(err)
    }

    fn delete(&self, key: &str) -> Result<bool, SecretError> {
        check_key(key)?;
        let err = |e: keyring_core::Error| SecretError::Keyring {
            action: "delete",
            key: key.to_owned(),
            detail: keyring_detail(&e),
        };
        match self.entry(key).and_then(|e| e.delete_credential()) {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(err(e)),
        }
    }

    fn survives_reboot(&self) -> bool {
        false
    }

    fn location(&self) -> String {
        "the kernel keyring (it forgets what it holds at every reboot)".to_owned()
    }
}

/// The keyring, probed so that one that cannot work is reported here rather than at the first
/// secret: what [`super::open`] uses when it picks the keyring.
pub(super) fn open_keyring() -> Result<Box<dyn SecretStore>, SecretError> {
    let k = KeyringStore::new()?;
    k.probe()?;
    Ok(Box::new(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openclaw::env::Environment;
    use crate::secrets::{StoreChoice, open};
    use crate::testutil::tmp;

    const VALUE: &str = "hunter2-very-secret-passphrase";

    #[test]
    fn keyring_store_says_where_it_keeps_secrets() {
        // Creating the keyring store touches no keyring.
        let keyring = KeyringStore::new().expect("keyring store");
        assert!(
            keyring
                .location()
                .contains("forgets what it holds at every reboot")
        );
        assert!(!keyring.survives_reboot());
    }

    /// Whether the kernel keyring works in this process (it does not in many containers, under
    /// qemu user mode, or without a session keyring).
    fn keyring_works() -> bool {
        KeyringStore::new().and_then(|k| k.probe()).is_ok()
    }

    #[test]
    fn auto_uses_keyring_when_it_works_else_file() {
        let (_t, d) = tmp();
        let env = Environment::empty().with("HOME", d.as_str());
        let s = open(&env, Some(StoreChoice::Auto)).expect("auto");
        if keyring_works() {
            assert_eq!(s.kind(), "keyring");
            assert!(!s.survives_reboot());
        } else {
            // Documented fallback: the kernel keyring is unusable here, Auto picks the file.
            assert_eq!(s.kind(), "file");
            let e = open(&env, Some(StoreChoice::Keyring))
                .err()
                .expect("keyring");
            assert!(e.to_string().contains("file store"), "{e}");
        }
    }

    #[test]
    fn keyring_roundtrip_or_a_clear_refusal() {
        if !keyring_works() {
            // A kernel keyring that is blocked (Docker's seccomp profile, qemu user mode) must be
            // refused with a message pointing at the file store, never half-used.
            let (_t, d) = tmp();
            let env = Environment::empty().with("HOME", d.as_str());
            let e = open(&env, Some(StoreChoice::Keyring))
                .err()
                .expect("keyring refused");
            assert!(e.to_string().contains("file store"), "{e}");
            return;
        }
        let k = KeyringStore::new().expect("keyring");
        assert_eq!(k.kind(), "keyring");
        assert!(!format!("{k:?}").contains(VALUE));
        let mut nonce = [0u8; 8];
        rand::fill(&mut nonce);
        let key = format!("clawauth-test:{nonce:02x?}@odd key");
        assert!(k.get(&key).expect("get").is_none());
        k.set(&key, &Secret::new(VALUE)).expect("set");
        assert_eq!(k.get(&key).expect("get").expect("some").expose(), VALUE);
        k.set(&key, &Secret::new("second")).expect("overwrite");
        assert_eq!(k.get(&key).expect("get").expect("some").expose(), "second");
        assert!(k.delete(&key).expect("delete"));
        assert!(!k.delete(&key).expect("delete again"));
        assert!(k.get(&key).expect("get").is_none());
        assert!(k.set(&key, &Secret::new("")).is_err());

        // Each thread starts without a session keyring of its own (its first keyctl used to
        // fail with AccessDenied): set in one new thread, read in another.
        let key2 = format!("{key}-threads");
        let k = std::sync::Arc::new(k);
        let (k1, key_1) = (k.clone(), key2.clone());
        std::thread::spawn(move || k1.set(&key_1, &Secret::new(VALUE)).expect("set in thread"))
            .join()
            .expect("thread");
        let (k2, key_2) = (k.clone(), key2.clone());
        let got = std::thread::spawn(move || k2.get(&key_2).expect("get in thread"))
            .join()
            .expect("thread");
        assert_eq!(got.expect("some").expose(), VALUE);
        assert!(k.delete(&key2).expect("delete"));
    }
}
