//! Where clawauth keeps its own secrets (SSH key passphrases, ntfy tokens, …): DESIGN.md §Core 10.
//!
//! Two stores behind one trait:
//! - [`KeyringStore`]: the Linux kernel keyring (keyutils, through keyring-core) on desktops and
//!   gateway hosts. Kernel keys live in memory: they survive logout while the user's persistent
//!   keyring lives (a few days by default) but not a reboot ([`SecretStore::survives_reboot`]).
//! - [`FileStore`]: one JSON file, `<config dir>/secrets.json`, mode 0600 in a 0700 directory, for
//!   Termux (Android's seccomp filter kills a process that calls keyctl) and wherever the kernel
//!   keyring is unusable (containers, qemu user mode, no session keyring).
//!
//! [`open`] picks one. Secret values never appear in errors, logs or `Debug` output, and buffers
//! that held them are zeroized.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::str::FromStr;

use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::openclaw::env::Environment;

/// Environment variable choosing the store (`auto`, `file` or `keyring`).
pub const ENV_SECRET_STORE: &str = "CLAWAUTH_SECRET_STORE";
/// The keyring service name under which every clawauth secret is stored.
pub const KEYRING_SERVICE: &str = "clawauth";
/// File name of the file store inside the config directory.
pub const SECRETS_FILE: &str = "secrets.json";
/// Version written into the secrets file.
const FILE_VERSION: u32 = 1;
/// A secrets file larger than this is refused.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A secret in memory: zeroized on drop; `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(Zeroizing::new(s.into()))
    }

    /// The secret's value. Hand it only to what needs it (stdin of a child, a key decryptor).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Why a secret could not be read or written. The text names the file or store, what is wrong
/// and how to fix it; it never contains a secret value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "{path} holds secrets but other users may access it (mode {mode:04o}); run `chmod 600 {path}` and try again"
    )]
    InsecureMode { path: Utf8PathBuf, mode: u32 },

    #[error(
        "{path} is not a valid clawauth secrets file ({detail}); clawauth will not overwrite it: fix it, or move it away to start a new one"
    )]
    Malformed { path: Utf8PathBuf, detail: String },

    #[error(
        "{path} is {size} bytes, more than the {limit} bytes a clawauth secrets file may have; move it away to start a new one"
    )]
    TooLarge {
        path: Utf8PathBuf,
        size: u64,
        limit: u64,
    },

    #[error(
        "no place for the secrets file: set HOME, XDG_CONFIG_HOME or CLAWAUTH_CONFIG, or use the keyring"
    )]
    NoConfigDir,

    #[error(
        "the system keyring cannot be used: {detail}; use the file store instead (secret_store = \"file\" in the config, or CLAWAUTH_SECRET_STORE=file)"
    )]
    KeyringUnavailable { detail: String },

    #[error("the system keyring failed to {action} secret {key:?}: {detail}")]
    Keyring {
        action: &'static str,
        key: String,
        detail: String,
    },

    #[error("unknown secret store {given:?} (from {origin}): use auto, file or keyring")]
    UnknownStore { given: String, origin: &'static str },

    #[error("{0}")]
    Invalid(String),
}

/// A place where clawauth keeps secrets, by key.
pub trait SecretStore: Send + Sync {
    /// `"file"` or `"keyring"`.
    fn kind(&self) -> &'static str;
    /// The secret under `key`, `None` when there is none.
    fn get(&self, key: &str) -> Result<Option<Secret>, SecretError>;
    /// Stores `value` under `key`, replacing any previous value. Empty values are refused.
    fn set(&self, key: &str, value: &Secret) -> Result<(), SecretError>;
    /// Removes the secret under `key`; `true` when there was one.
    fn delete(&self, key: &str) -> Result<bool, SecretError>;
    /// Whether stored secrets survive a reboot (the kernel keyring's do not).
    fn survives_reboot(&self) -> bool {
        true
    }
    /// Where secrets are kept, for people: the file's path, or the keyring and that it forgets
    /// at reboot.
    fn location(&self) -> String {
        self.kind().to_owned()
    }
}

/// Which store [`open`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreChoice {
    /// The keyring when it works here, else the file store (always the file store on Termux).
    #[default]
    Auto,
    File,
    Keyring,
}

impl FromStr for StoreChoice {
    type Err = SecretError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "file" => Ok(Self::File),
            "keyring" => Ok(Self::Keyring),
            _ => Err(SecretError::UnknownStore {
                given: s.to_owned(),
                origin: "the secret store setting",
            }),
        }
    }
}

impl fmt::Display for StoreChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::File => "file",
            Self::Keyring => "keyring",
        })
    }
}

/// Whether we run under Termux (where keyctl gets the process killed).
pub fn is_termux(env: &Environment) -> bool {
    env.is_set("TERMUX_VERSION") || env.get("PREFIX").is_some_and(|p| p.contains("com.termux"))
}

/// Opens the secret store: `choice` when given, else `$CLAWAUTH_SECRET_STORE`, else Auto.
///
/// Auto is the keyring when a probe (set, get and delete a throwaway entry) succeeds, else the
/// file store; on Termux it is the file store without probing. An explicit `keyring` is probed
/// too, so a keyring that cannot work is reported here rather than at the first secret.
pub fn open(
    env: &Environment,
    choice: Option<StoreChoice>,
) -> Result<Box<dyn SecretStore>, SecretError> {
    let choice = match choice {
        Some(c) => c,
        None => match env.get(ENV_SECRET_STORE) {
            Some(v) => StoreChoice::from_str(v).map_err(|_| SecretError::UnknownStore {
                given: v.to_owned(),
                origin: ENV_SECRET_STORE,
            })?,
            None => StoreChoice::Auto,
        },
    };
    let file = || -> Result<Box<dyn SecretStore>, SecretError> {
        let path = FileStore::default_path(env).ok_or(SecretError::NoConfigDir)?;
        Ok(Box::new(FileStore::new(path)))
    };
    match choice {
        StoreChoice::File => file(),
        StoreChoice::Keyring => {
            if is_termux(env) {
                return Err(SecretError::KeyringUnavailable {
                    detail: "Android blocks the kernel keyring for apps (Termux)".to_owned(),
                });
            }
            open_keyring()
        }
        StoreChoice::Auto => {
            if is_termux(env) || !cfg!(feature = "keyring") {
                return file();
            }
            match open_keyring() {
                Ok(k) => Ok(k),
                Err(e) => {
                    tracing::debug!("secret store: keyring unusable, using the file store: {e}");
                    file()
                }
            }
        }
    }
}

/// The store of [`open`], opened on first use: a check that needs no secret (no encrypted key)
/// never probes the keyring or touches the secrets file.
pub struct LazyStore {
    env: Environment,
    choice: Option<StoreChoice>,
    cell: std::sync::OnceLock<Result<Box<dyn SecretStore>, String>>,
}

impl LazyStore {
    pub fn new(env: Environment, choice: Option<StoreChoice>) -> Self {
        Self {
            env,
            choice,
            cell: std::sync::OnceLock::new(),
        }
    }

    fn store(&self) -> Result<&dyn SecretStore, SecretError> {
        match self
            .cell
            .get_or_init(|| open(&self.env, self.choice).map_err(|e| e.to_string()))
        {
            Ok(s) => Ok(s.as_ref()),
            Err(e) => Err(SecretError::Invalid(e.clone())),
        }
    }
}

impl SecretStore for LazyStore {
    fn kind(&self) -> &'static str {
        self.store().map_or("unavailable", |s| s.kind())
    }
    fn get(&self, key: &str) -> Result<Option<Secret>, SecretError> {
        self.store()?.get(key)
    }
    fn set(&self, key: &str, value: &Secret) -> Result<(), SecretError> {
        self.store()?.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<bool, SecretError> {
        self.store()?.delete(key)
    }
    fn survives_reboot(&self) -> bool {
        self.store().is_ok_and(|s| s.survives_reboot())
    }
    fn location(&self) -> String {
        match self.store() {
            Ok(s) => s.location(),
            Err(e) => format!("clawauth's secret store, which cannot be opened ({e})"),
        }
    }
}

/// The key under which an SSH key file's passphrase is stored: `ssh-key-passphrase:` and the
/// file's absolute path (made absolute against the current directory when relative; not
/// canonicalized, so a symlinked path and its target are different keys).
pub fn passphrase_key(key_file: &Utf8Path) -> String {
    let abs = if key_file.is_absolute() {
        key_file.to_owned()
    } else {
        std::env::current_dir()
            .ok()
            .and_then(|d| Utf8PathBuf::from_path_buf(d).ok())
            .map_or_else(|| key_file.to_owned(), |d| d.join(key_file))
    };
    format!("ssh-key-passphrase:{abs}")
}

fn check_key(key: &str) -> Result<(), SecretError> {
    if key.is_empty() || key.len() > 4000 || key.contains('\0') {
        return Err(SecretError::Invalid(format!(
            "invalid secret key {key:?}: it must be 1 to 4000 bytes without NUL"
        )));
    }
    Ok(())
}

fn check_value(key: &str, value: &Secret) -> Result<(), SecretError> {
    if value.expose().is_empty() {
        return Err(SecretError::Invalid(format!(
            "refusing to store an empty secret under {key:?}; delete it instead"
        )));
    }
    Ok(())
}

// ---- file store -----------------------------------------------------------------------------

/// Secrets in one JSON file (`{"version":1,"secrets":{KEY:VALUE}}`), mode 0600.
pub struct FileStore {
    path: Utf8PathBuf,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.path)
            .finish()
    }
}

impl<'de> Deserialize<'de> for ZString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| ZString(Zeroizing::new(s)))
    }
}

/// A zeroizing string for serde (zeroize's own serde support is not enabled).
struct ZString(Zeroizing<String>);

impl Serialize for ZString {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretsFile {
    version: u32,
    #[serde(default)]
    secrets: BTreeMap<String, ZString>,
}

impl FileStore {
    pub fn new(path: impl Into<Utf8PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// `<config dir>/secrets.json` (see [`crate::paths::config_dir`]).
    pub fn default_path(env: &Environment) -> Option<Utf8PathBuf> {
        crate::paths::config_dir(env).map(|d| d.join(SECRETS_FILE))
    }

    /// The file's path.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }

    fn io(&self, action: &'static str, source: std::io::Error) -> SecretError {
        SecretError::Io {
            action,
            path: self.path.clone(),
            source,
        }
    }

    fn malformed(&self, detail: impl Into<String>) -> SecretError {
        SecretError::Malformed {
            path: self.path.clone(),
            detail: detail.into(),
        }
    }

    /// Reads the file; `None` when it does not exist. Refuses a file other users may access.
    fn read(&self) -> Result<Option<SecretsFile>, SecretError> {
        let mut f = match crate::openclaw::files::open_regular(&self.path) {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(None),
            Err(crate::error::Error::NotRegular { .. }) => {
                return Err(self.malformed("not a regular file"));
            }
            Err(crate::error::Error::Io { source, .. }) => return Err(self.io("read", source)),
            Err(e) => return Err(self.malformed(e.to_string())),
        };
        let meta = f.metadata().map_err(|e| self.io("read", e))?;
        if !meta.is_file() {
            return Err(self.malformed("not a regular file"));
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(SecretError::InsecureMode {
                path: self.path.clone(),
                mode,
            });
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(SecretError::TooLarge {
                path: self.path.clone(),
                size: meta.len(),
                limit: MAX_FILE_BYTES,
            });
        }
        let mut buf = Zeroizing::new(Vec::with_capacity(meta.len() as usize + 1));
        f.by_ref()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| self.io("read", e))?;
        if buf.len() as u64 > MAX_FILE_BYTES {
            return Err(SecretError::TooLarge {
                path: self.path.clone(),
                size: buf.len() as u64,
                limit: MAX_FILE_BYTES,
            });
        }
        // serde_json's own messages can quote the offending value; report only its kind and
        // position.
        let file: SecretsFile = serde_json::from_slice(&buf).map_err(|e| {
            let what = match e.classify() {
                serde_json::error::Category::Syntax => "invalid JSON",
                serde_json::error::Category::Eof => "truncated JSON",
                serde_json::error::Category::Data => "unexpected content",
                serde_json::error::Category::Io => "unreadable",
            };
            self.malformed(format!(
                "{what} at line {}, column {}",
                e.line(),
                e.column()
            ))
        })?;
        if file.version != FILE_VERSION {
            return Err(self.malformed(format!(
                "version {} is not one this clawauth knows ({FILE_VERSION}); a newer clawauth wrote it",
                file.version
            )));
        }
        Ok(Some(file))
    }

    fn write(&self, file: &SecretsFile) -> Result<(), SecretError> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(256));
        serde_json::to_writer_pretty(&mut *bytes, file)
            .map_err(|_| self.io("write", std::io::Error::other("cannot encode the secrets")))?;
        bytes.push(b'\n');
        crate::fsutil::write_atomic(&self.path, &bytes, Some(0o600)).map_err(|e| match e {
            crate::Error::Io { source, .. } => self.io("write", source),
            other => SecretError::Invalid(other.to_string()),
        })
    }

    /// Runs a read-modify-write under an exclusive lock on `<file>.lock`, so two clawauth
    /// processes cannot lose each other's updates.
    fn update<T>(&self, f: impl FnOnce(&mut SecretsFile) -> (T, bool)) -> Result<T, SecretError> {
        let lock_path = Utf8PathBuf::from(format!("{}.lock", self.path));
        if let Some(dir) = self.path.parent().filter(|d| !d.as_str().is_empty()) {
            crate::fsutil::create_private_dir(dir).map_err(|e| match e {
                crate::Error::Io { source, path } => SecretError::Io {
                    action: "create",
                    path,
                    source,
                },
                other => SecretError::Invalid(other.to_string()),
            })?;
        }
        let lock = crate::fsutil::open_lock_file(&lock_path).map_err(|e| SecretError::Io {
            action: "create",
            path: lock_path.clone(),
            source: e,
        })?;
        lock.lock().map_err(|e| SecretError::Io {
            action: "lock",
            path: lock_path.clone(),
            source: e,
        })?;
        let mut file = self.read()?.unwrap_or(SecretsFile {
            version: FILE_VERSION,
            secrets: BTreeMap::new(),
        });
        let (out, changed) = f(&mut file);
        if changed {
            self.write(&file)?;
        }
        drop(lock);
        Ok(out)
    }
}

impl SecretStore for FileStore {
    fn kind(&self) -> &'static str {
        "file"
    }

    fn location(&self) -> String {
        format!("the file store {} (mode 0600)", self.path)
    }

    fn get(&self, key: &str) -> Result<Option<Secret>, SecretError> {
        check_key(key)?;
        Ok(self
            .read()?
            .and_then(|mut f| f.secrets.remove(key))
            .map(|v| Secret(v.0)))
    }

    fn set(&self, key: &str, value: &Secret) -> Result<(), SecretError> {
        check_key(key)?;
        check_value(key, value)?;
        self.update(|f| {
            f.secrets.insert(key.to_owned(), ZString(value.0.clone()));
            ((), true)
        })
    }

    fn delete(&self, key: &str) -> Result<bool, SecretError> {
        check_key(key)?;
        if !self.path.exists() {
            return Ok(false);
        }
        self.update(|f| {
            let removed = f.secrets.remove(key).is_some();
            (removed, removed)
        })
    }
}

// ---- keyring store (feature `keyring`) --------------------------------------------------------

#[cfg(feature = "keyring")]
mod keyring;
#[cfg(feature = "keyring")]
pub use keyring::KeyringStore;
#[cfg(feature = "keyring")]
use keyring::open_keyring;

/// Without the `keyring` feature (the Android library: Android's seccomp filter kills keyctl)
/// there is no keyring to open.
#[cfg(not(feature = "keyring"))]
fn open_keyring() -> Result<Box<dyn SecretStore>, SecretError> {
    Err(SecretError::KeyringUnavailable {
        detail: "this build of clawauth has no keyring support".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const VALUE: &str = "hunter2-very-secret-passphrase";

    use crate::testutil::{mode, tmp};

    fn chmod(p: &Utf8Path, m: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod");
    }

    #[test]
    fn secret_is_redacted() {
        let s = Secret::new(VALUE);
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(s.expose(), VALUE);
        let store = FileStore::new("/x/secrets.json");
        assert!(!format!("{store:?}").contains(VALUE));
    }

    #[test]
    fn each_store_says_where_it_keeps_secrets() {
        let file = FileStore::new("/x/secrets.json");
        assert_eq!(
            file.location(),
            "the file store /x/secrets.json (mode 0600)"
        );
        assert!(file.survives_reboot());
    }

    #[test]
    fn store_choice_parses() {
        assert_eq!("auto".parse::<StoreChoice>().ok(), Some(StoreChoice::Auto));
        assert_eq!(
            " File ".parse::<StoreChoice>().ok(),
            Some(StoreChoice::File)
        );
        assert_eq!(
            "keyring".parse::<StoreChoice>().ok(),
            Some(StoreChoice::Keyring)
        );
        let e = "vault".parse::<StoreChoice>().expect_err("bad");
        assert!(e.to_string().contains("auto, file or keyring"), "{e}");
        assert_eq!(StoreChoice::Keyring.to_string(), "keyring");
    }

    #[test]
    fn passphrase_key_is_absolute() {
        assert_eq!(
            passphrase_key(Utf8Path::new("/home/u/.ssh/id_ed25519")),
            "ssh-key-passphrase:/home/u/.ssh/id_ed25519"
        );
        let rel = passphrase_key(Utf8Path::new("id_rsa"));
        let rest = rel.strip_prefix("ssh-key-passphrase:").expect("prefix");
        assert!(Utf8Path::new(rest).is_absolute(), "{rel}");
        assert!(rest.ends_with("/id_rsa"), "{rel}");
    }

    #[test]
    fn file_store_roundtrip_and_delete() {
        let (_t, d) = tmp();
        let p = d.join("cfg/secrets.json");
        let s = FileStore::new(&p);
        assert_eq!(s.kind(), "file");
        assert!(s.survives_reboot());
        assert!(s.get("a").expect("get").is_none());
        assert!(!s.delete("a").expect("delete missing file"));
        assert!(!p.exists(), "delete must not create the file");

        let k = passphrase_key(Utf8Path::new("/home/u/.ssh/id \"weird\" key"));
        s.set(&k, &Secret::new(VALUE)).expect("set");
        s.set("ntfy-token", &Secret::new("tk_1")).expect("set");
        assert_eq!(mode(&p), 0o600);
        assert_eq!(mode(p.parent().expect("dir")), 0o700);
        assert_eq!(s.get(&k).expect("get").expect("some").expose(), VALUE);
        // A second store object on the same file sees the same secrets.
        let s2 = FileStore::new(&p);
        assert_eq!(
            s2.get("ntfy-token").expect("get").expect("some").expose(),
            "tk_1"
        );
        // Overwrite.
        s.set("ntfy-token", &Secret::new("tk_2")).expect("set");
        assert_eq!(
            s.get("ntfy-token").expect("get").expect("some").expose(),
            "tk_2"
        );

        assert!(s.delete(&k).expect("delete"));
        assert!(!s.delete(&k).expect("delete again"));
        assert!(s.get(&k).expect("get").is_none());
        assert_eq!(
            s.get("ntfy-token").expect("get").expect("some").expose(),
            "tk_2"
        );
        assert_eq!(mode(&p), 0o600);

        let text = std::fs::read_to_string(&p).expect("read");
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(json["version"], 1);
        assert_eq!(json["secrets"]["ntfy-token"], "tk_2");
    }

    #[test]
    fn file_store_refuses_empty_values_and_bad_keys() {
        let (_t, d) = tmp();
        let s = FileStore::new(d.join("secrets.json"));
        assert!(s.set("k", &Secret::new("")).is_err());
        assert!(s.set("", &Secret::new("v")).is_err());
        assert!(s.get("a\0b").is_err());
        assert!(!d.join("secrets.json").exists());
    }

    #[test]
    fn file_store_refuses_readable_file() {
        let (_t, d) = tmp();
        let p = d.join("secrets.json");
        let s = FileStore::new(&p);
        s.set("k", &Secret::new(VALUE)).expect("set");
        for m in [0o644, 0o640, 0o604, 0o660, 0o602] {
            chmod(&p, m);
            let e = s.get("k").expect_err("insecure").to_string();
            assert!(e.contains(p.as_str()), "{e}");
            assert!(e.contains(&format!("chmod 600 {p}")), "{e}");
            assert!(!e.contains(VALUE), "{e}");
            // Writing is refused too (it would have to read the file first).
            assert!(s.set("k2", &Secret::new("x")).is_err());
            assert!(s.delete("k").is_err());
        }
        chmod(&p, 0o600);
        assert_eq!(s.get("k").expect("get").expect("some").expose(), VALUE);
        assert!(s.get("k2").expect("get").is_none());
        chmod(&p, 0o400);
        assert_eq!(s.get("k").expect("get").expect("some").expose(), VALUE);
    }

    #[test]
    fn file_store_malformed_is_an_error_and_not_overwritten() {
        let (_t, d) = tmp();
        let p = d.join("secrets.json");
        let s = FileStore::new(&p);
        let cases = [
            format!("{{\"version\":1,\"secrets\":{{\"k\":\"{VALUE}\""),
            format!("{{\"version\":1,\"secrets\":{{\"k\":[\"{VALUE}\"]}}}}"),
            format!("{{\"version\":1,\"secrets\":{{\"k\":{{\"v\":\"{VALUE}\"}}}}}}"),
            format!("{{\"version\":1,\"secrets\":\"{VALUE}\"}}"),
            format!("{{\"version\":2,\"secrets\":{{\"k\":\"{VALUE}\"}}}}"),
            format!("{{\"secrets\":{{\"k\":\"{VALUE}\"}}}}"),
            format!("{{\"version\":1,\"{VALUE}\":1}}"),
            VALUE.to_owned(),
            String::new(),
        ];
        for text in cases {
            std::fs::write(&p, &text).expect("write");
            chmod(&p, 0o600);
            let e = s.get("k").expect_err(&text).to_string();
            assert!(e.contains(p.as_str()), "{e}");
            assert!(e.contains("not a valid clawauth secrets file"), "{e}");
            assert!(!e.contains(VALUE), "secret leaked: {e}");
            let e = s
                .set("other", &Secret::new("x"))
                .expect_err("set on malformed");
            assert!(!e.to_string().contains(VALUE), "{e}");
            assert!(!format!("{e:?}").contains(VALUE), "{e:?}");
            assert!(s.delete("k").is_err());
            assert_eq!(
                std::fs::read_to_string(&p).expect("read"),
                text,
                "file changed"
            );
        }
    }

    #[test]
    fn file_store_default_path_follows_config_dir() {
        let env = Environment::empty().with("HOME", "/home/u");
        assert_eq!(
            FileStore::default_path(&env).as_deref(),
            Some(Utf8Path::new("/home/u/.config/clawauth/secrets.json"))
        );
        let env = env.with("CLAWAUTH_CONFIG", "/etc/ca/config.toml");
        assert_eq!(
            FileStore::default_path(&env).as_deref(),
            Some(Utf8Path::new("/etc/ca/secrets.json"))
        );
        assert_eq!(FileStore::default_path(&Environment::empty()), None);
    }

    #[test]
    fn open_honours_choice_and_env() {
        let (_t, d) = tmp();
        let base = Environment::empty().with("HOME", d.as_str());
        let s = open(&base, Some(StoreChoice::File)).expect("file");
        assert_eq!(s.kind(), "file");
        let env = base.clone().with(ENV_SECRET_STORE, "file");
        assert_eq!(open(&env, None).expect("env file").kind(), "file");
        let bad = base.clone().with(ENV_SECRET_STORE, "vault");
        let e = open(&bad, None).err().expect("bad env").to_string();
        assert!(e.contains(ENV_SECRET_STORE) && e.contains("vault"), "{e}");
        // The argument wins over the environment.
        assert_eq!(
            open(&bad, Some(StoreChoice::File)).expect("arg").kind(),
            "file"
        );
        assert!(matches!(
            open(&Environment::empty(), Some(StoreChoice::File)),
            Err(SecretError::NoConfigDir)
        ));
    }

    #[test]
    fn termux_never_touches_the_keyring() {
        let (_t, d) = tmp();
        for env in [
            Environment::empty()
                .with("HOME", d.as_str())
                .with("PREFIX", "/data/data/com.termux/files/usr"),
            Environment::empty()
                .with("HOME", d.as_str())
                .with("TERMUX_VERSION", "0.118.0"),
        ] {
            assert!(is_termux(&env));
            assert_eq!(open(&env, None).expect("auto").kind(), "file");
            let e = open(&env, Some(StoreChoice::Keyring))
                .err()
                .expect("keyring");
            assert!(e.to_string().contains("Termux"), "{e}");
        }
        assert!(!is_termux(&Environment::empty().with("PREFIX", "/usr")));
    }

    #[cfg(not(feature = "keyring"))]
    #[test]
    fn without_the_keyring_feature_auto_is_the_file_store_and_keyring_is_refused() {
        let (_t, d) = tmp();
        let env = Environment::empty().with("HOME", d.as_str());
        assert_eq!(open(&env, None).expect("auto").kind(), "file");
        let e = open(&env, Some(StoreChoice::Keyring))
            .err()
            .expect("keyring")
            .to_string();
        assert!(
            e.contains("no keyring support") && e.contains("file store"),
            "{e}"
        );
    }
}
