//! known_hosts checking (strict, several files) and learning new hosts as hashed entries
//! (DESIGN.md §Security: unknown host => refuse unless asked to trust; changed key => hard error
//! with both fingerprints).
//!
//! Our own parser of sshd(8)'s known_hosts format, because callers need the stored key's
//! fingerprint and position on a mismatch, and need several files checked together:
//! - plain entries with comma-separated patterns (`host`, `[host]:port`, `*`, `?`, `!negated`),
//!   matched case-insensitively against `host` (port 22) or `[host]:port`;
//! - hashed entries `|1|base64(salt)|base64(HMAC-SHA1(salt, host-string))`;
//! - `@revoked` lines: the presented key on such a line for this host => [`HostKeyCheck::Revoked`];
//! - `@cert-authority` lines are ignored (clawauth does not accept host certificates);
//! - comments and blank lines; a line that cannot be parsed is skipped with a warning naming
//!   `file:line` (never fatal, as in OpenSSH); missing files count as empty.
//!
//! Like OpenSSH, only a stored key of the *same* type as the presented one makes a mismatch a
//! [`HostKeyCheck::Changed`]. A host known only with other key types is
//! [`HostKeyCheck::Unknown`] with those types listed in `other_key_types`, so the caller can say
//! "the host is known with another key type" (OpenSSH's wording) before asking to trust.

use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use camino::{Utf8Path, Utf8PathBuf};
use hmac::{KeyInit as _, Mac as _};
use russh::keys::{HashAlg, PublicKey};

/// Largest known_hosts file read: about 25,000 ed25519 hosts. A file at this size, every line
/// naming the host, is checked and learnt into in well under a second (16 MiB took over one).
pub const MAX_FILE_SIZE: u64 = 4 << 20;
/// OpenSSH's HASH_MAGIC.
const HASH_MAGIC: &str = "|1|";
/// SHA-1 output length = salt length OpenSSH uses.
pub const SALT_LEN: usize = 20;

type HmacSha1 = hmac::Hmac<sha1::Sha1>;

/// The outcome of checking a presented host key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyCheck {
    /// The key is stored for this host.
    Known,
    /// No key of this type is stored for this host. `other_key_types` lists the key types
    /// (e.g. `ssh-rsa`) the host *is* known with, empty when it is not known at all.
    Unknown { other_key_types: Vec<String> },
    /// A different key of the same type is stored: possible man-in-the-middle. `file`/`line`
    /// name the first such entry; the presented key's fingerprint is [`fingerprint`] of it.
    Changed {
        file: Utf8PathBuf,
        line: usize,
        stored_fingerprint: String,
    },
    /// The presented key is marked `@revoked` for this host.
    Revoked {
        file: Utf8PathBuf,
        line: usize,
        fingerprint: String,
    },
}

/// Why known_hosts could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KnownHostsError {
    #[error("cannot read known_hosts file {path}: {source}")]
    Read {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "known_hosts file {path} is {size} bytes, more than the {limit} bytes clawauth reads; remove stale entries"
    )]
    TooLarge {
        path: Utf8PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("cannot write known_hosts file {path}: {detail}")]
    Write { path: Utf8PathBuf, detail: String },
    #[error("invalid host name for known_hosts: {detail}")]
    InvalidHost { detail: String },
    #[error(
        "refusing to add a key for {host} to {path}: line {line} stores a different {key_type} key for it (possible man-in-the-middle). If the host really changed its key, verify the new fingerprint out of band, then remove the old entry with: ssh-keygen -R '{host}' -f {path}"
    )]
    WouldShadowChangedKey {
        path: Utf8PathBuf,
        line: usize,
        host: String,
        key_type: String,
    },
    #[error("refusing to add a key for {host} to {path}: line {line} marks this key @revoked")]
    Revoked {
        path: Utf8PathBuf,
        line: usize,
        host: String,
    },
    #[error("cannot encode the host key: {0}")]
    Encode(String),
}

/// SHA256 fingerprint as OpenSSH prints it: `SHA256:` + unpadded base64.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The string known_hosts stores for host/port: `host` for port 22, else `[host]:port`;
/// lower-cased like OpenSSH.
pub fn host_string(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

/// Checks `key` for `host`/`port` against `files` (in order; missing files are empty).
/// `host` is the name the key is stored under (HostName, or HostKeyAlias).
pub fn check(
    files: &[Utf8PathBuf],
    host: &str,
    port: u16,
    key: &PublicKey,
) -> Result<HostKeyCheck, KnownHostsError> {
    let wanted = host_string(host, port);
    let mut entries = Vec::new();
    for file in files {
        if let Some(content) = read_limited(file)? {
            entries.extend(matching_entries(file, &content, &wanted));
        }
    }
    Ok(classify(&entries, key))
}

/// [`check`] against one known_hosts file's bytes already read (`file` names it in the result).
pub fn check_content(
    file: &Utf8Path,
    content: &[u8],
    host: &str,
    port: u16,
    key: &PublicKey,
) -> HostKeyCheck {
    classify(
        &matching_entries(file, content, &host_string(host, port)),
        key,
    )
}

/// Whether `files` store a key (not `@revoked`) for `host`/`port` at all, whatever its type.
pub fn lists(files: &[Utf8PathBuf], host: &str, port: u16) -> Result<bool, KnownHostsError> {
    let wanted = host_string(host, port);
    for file in files {
        if let Some(content) = read_limited(file)?
            && matching_entries(file, &content, &wanted)
                .iter()
                .any(|e| e.marker == Marker::None)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Appends a hashed entry for host/port with `key` to `file` atomically (the existing bytes are
/// kept as they are; the file keeps its mode, a new one gets 0600 in a 0700 directory). Does
/// nothing when `file` already has the key for this host. Refuses when `file` stores a
/// different key of the same type for the host, or has the key `@revoked`.
pub fn learn(
    file: &Utf8Path,
    host: &str,
    port: u16,
    key: &PublicKey,
) -> Result<(), KnownHostsError> {
    validate_host(host)?;
    // Write through a symlink to its target instead of replacing the link.
    let target = match std::fs::symlink_metadata(file) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(file)
            .ok()
            .and_then(|p| Utf8PathBuf::from_path_buf(p).ok())
            .unwrap_or_else(|| file.to_owned()),
        _ => file.to_owned(),
    };
    let existing = read_limited(&target)?.unwrap_or_default();
    let mut salt = [0u8; SALT_LEN];
    rand::fill(&mut salt);
    let Some(bytes) = learned(&target, &existing, host, port, key, salt)? else {
        return Ok(());
    };
    crate::fsutil::write_atomic(&target, &bytes, None).map_err(|e| KnownHostsError::Write {
        path: target.clone(),
        detail: e.to_string(),
    })
}

/// What [`learn`] writes: `content` (the bytes of known_hosts file `file`) with a hashed entry
/// for host/port with `key` appended, salted with `salt`; `None` when the file already has the
/// key for this host. The same refusals as [`learn`].
pub fn learned(
    file: &Utf8Path,
    content: &[u8],
    host: &str,
    port: u16,
    key: &PublicKey,
    salt: [u8; SALT_LEN],
) -> Result<Option<Vec<u8>>, KnownHostsError> {
    validate_host(host)?;
    let wanted = host_string(host, port);
    match classify(&matching_entries(file, content, &wanted), key) {
        HostKeyCheck::Known => return Ok(None),
        HostKeyCheck::Changed { line, .. } => {
            return Err(KnownHostsError::WouldShadowChangedKey {
                path: file.to_owned(),
                line,
                host: wanted,
                key_type: key.algorithm().as_str().to_owned(),
            });
        }
        HostKeyCheck::Revoked { line, .. } => {
            return Err(KnownHostsError::Revoked {
                path: file.to_owned(),
                line,
                host: wanted,
            });
        }
        HostKeyCheck::Unknown { .. } => {}
    }
    let line = format!(
        "{} {}\n",
        hashed_host(&salt, &wanted),
        key_text(key).map_err(KnownHostsError::Encode)?
    );
    let mut bytes = Vec::with_capacity(content.len() + line.len() + 1);
    bytes.extend_from_slice(content);
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(line.as_bytes());
    Ok(Some(bytes))
}

/// A host name [`learn`] stores: not empty, at most 255 bytes, no blanks or control characters.
fn validate_host(host: &str) -> Result<(), KnownHostsError> {
    if host.is_empty()
        || host.len() > 255
        || host.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(KnownHostsError::InvalidHost {
            detail: "the host name is empty, too long, or contains spaces or control characters"
                .into(),
        });
    }
    Ok(())
}

/// `|1|salt|hash` for `host_string` with `salt`.
fn hashed_host(salt: &[u8], host_string: &str) -> String {
    format!(
        "{HASH_MAGIC}{}|{}",
        B64.encode(salt),
        B64.encode(hmac_sha1(salt, host_string))
    )
}

fn hmac_sha1(salt: &[u8], data: &str) -> Vec<u8> {
    // HMAC accepts keys of any length; the error branch is unreachable.
    match HmacSha1::new_from_slice(salt) {
        Ok(mut mac) => {
            mac.update(data.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// `algorithm base64` without a comment.
fn key_text(key: &PublicKey) -> Result<String, String> {
    PublicKey::new(key.key_data().clone(), "")
        .to_openssh()
        .map(|s| s.trim().to_owned())
        .map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    None,
    Revoked,
}

struct Entry {
    file: Utf8PathBuf,
    line: usize,
    marker: Marker,
    key: PublicKey,
}

/// Every entry of `content` whose host field matches `wanted` (a [`host_string`]).
fn matching_entries(file: &Utf8Path, content: &[u8], wanted: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for (idx, raw) in content.split(|&b| b == b'\n').enumerate() {
        let line = idx + 1;
        let Ok(text) = std::str::from_utf8(raw) else {
            tracing::warn!(%file, line, "known_hosts line is not valid UTF-8; skipped");
            continue;
        };
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let (marker, rest) = if let Some(r) = text.strip_prefix('@') {
            let (m, r) = split_field(r);
            match m {
                "revoked" => (Marker::Revoked, r),
                "cert-authority" => continue,
                _ => {
                    tracing::warn!(%file, line, "known_hosts line has an unknown @marker; skipped");
                    continue;
                }
            }
        } else {
            (Marker::None, text)
        };
        let (hosts, key_part) = split_field(rest);
        if hosts.is_empty() || key_part.is_empty() {
            tracing::warn!(%file, line, "known_hosts line has no key; skipped");
            continue;
        }
        let matched = if let Some(hashed) = hosts.strip_prefix(HASH_MAGIC) {
            match hashed_matches(hashed, wanted) {
                Some(m) => m,
                None => {
                    tracing::warn!(%file, line, "known_hosts hashed host field is malformed; skipped");
                    continue;
                }
            }
        } else {
            let patterns: Vec<&str> = hosts.split(',').collect();
            crate::ssh::config::pattern_list_matches(wanted, &patterns)
        };
        if !matched {
            continue;
        }
        match PublicKey::from_openssh(key_part) {
            Ok(key) => out.push(Entry {
                file: file.to_owned(),
                line,
                marker,
                key,
            }),
            Err(_) => {
                tracing::warn!(%file, line, "known_hosts key cannot be parsed; skipped");
            }
        }
    }
    out
}

/// `salt|hash` (after `|1|`) against `wanted`; `None` when malformed.
fn hashed_matches(hashed: &str, wanted: &str) -> Option<bool> {
    let (salt, hash) = hashed.split_once('|')?;
    let salt = B64.decode(salt).ok()?;
    let hash = B64.decode(hash).ok()?;
    if salt.len() != SALT_LEN || hash.len() != SALT_LEN {
        return None;
    }
    Some(hmac_sha1(&salt, wanted) == hash)
}

/// First whitespace-separated field and the rest (trimmed).
fn split_field(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find([' ', '\t']) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

fn classify(entries: &[Entry], key: &PublicKey) -> HostKeyCheck {
    let same_key = |e: &&Entry| e.key.key_data() == key.key_data();
    if let Some(e) = entries
        .iter()
        .filter(|e| e.marker == Marker::Revoked)
        .find(same_key)
    {
        return HostKeyCheck::Revoked {
            file: e.file.clone(),
            line: e.line,
            fingerprint: fingerprint(key),
        };
    }
    let plain: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.marker == Marker::None)
        .collect();
    if plain.iter().any(same_key) {
        return HostKeyCheck::Known;
    }
    let algorithm = key.algorithm();
    if let Some(e) = plain.iter().find(|e| e.key.algorithm() == algorithm) {
        return HostKeyCheck::Changed {
            file: e.file.clone(),
            line: e.line,
            stored_fingerprint: fingerprint(&e.key),
        };
    }
    let mut other_key_types: Vec<String> = Vec::new();
    for e in &plain {
        let t = e.key.algorithm().as_str().to_owned();
        if !other_key_types.contains(&t) {
            other_key_types.push(t);
        }
    }
    HostKeyCheck::Unknown { other_key_types }
}

/// Reads `path` (at most [`MAX_FILE_SIZE`]); `Ok(None)` when it does not exist.
fn read_limited(path: &Utf8Path) -> Result<Option<Vec<u8>>, KnownHostsError> {
    let err = |source| KnownHostsError::Read {
        path: path.to_owned(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(e)),
    };
    let meta = file.metadata().map_err(err)?;
    if meta.is_dir() {
        return Err(err(std::io::Error::other("it is a directory, not a file")));
    }
    let too_large = |size| KnownHostsError::TooLarge {
        path: path.to_owned(),
        size,
        limit: MAX_FILE_SIZE,
    };
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_large(meta.len()));
    }
    let mut buf = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut buf)
        .map_err(err)?;
    if buf.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large(buf.len() as u64));
    }
    Ok(Some(buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use russh::keys::{Algorithm, PrivateKey};
    use std::os::unix::fs::PermissionsExt;

    /// A fixed ECDSA P-256 public key (made with ssh-keygen; public keys are not secrets).
    const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIBdX8gz1+7k6BYjltFmiNk6asP5T92yb6FjUkcth0esrV3I3kuWfBZNAJanReOvY/PEJ+B4psBm9ACADYC639k= test";

    fn ed25519() -> PublicKey {
        PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)
            .expect("keygen")
            .public_key()
            .clone()
    }

    fn line_of(key: &PublicKey) -> String {
        key_text(key).expect("encode")
    }

    use crate::testutil::Scratch as Fx;

    /// Issue 16: at the old 16 MiB bound, a file whose every line names the host took over a
    /// second to check and learn into (each stored key is decoded). The bound is 4 MiB: a file
    /// just under it is checked and learnt into, one just over it is refused.
    #[test]
    fn known_hosts_at_the_size_bound() {
        let fx = Fx::new();
        let stored = ed25519();
        let line = format!("gw,*,!other {}\n", line_of(&stored));
        let mut text = line.repeat(MAX_FILE_SIZE as usize / line.len());
        let file = fx.write(".ssh/known_hosts", &text);
        let presented = ed25519();
        let files = vec![file.clone()];
        let result = crate::testutil::finishes_within(
            std::time::Duration::from_secs(20),
            "checking a known_hosts file at the size bound",
            move || check(&files, "gw", 22, &presented),
        );
        assert!(
            matches!(result, Ok(HostKeyCheck::Changed { line: 1, .. })),
            "{result:?}"
        );
        text.push_str(&line);
        std::fs::write(&file, &text).expect("write");
        let err = check(&[file], "gw", 22, &stored).expect_err("over the bound");
        assert!(matches!(err, KnownHostsError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("remove stale entries"), "{err}");
    }

    /// OpenSSH's ssh-keygen, the reference these tests compare against; a missing one fails.
    fn require_ssh_keygen() -> &'static Utf8Path {
        let keygen = Utf8Path::new("/usr/bin/ssh-keygen");
        assert!(
            keygen.exists(),
            "/usr/bin/ssh-keygen is missing: install openssh-client (tests/install-tools.sh does)"
        );
        keygen
    }

    #[test]
    fn plain_hosts_ports_patterns() {
        let fx = Fx::new();
        let k = ed25519();
        let other = ed25519();
        let f = fx.write(
            "kh",
            &format!(
                "# comment\n\ngw.example.net,10.0.0.1 {k} comment here\n[gw.example.net]:2222 {o}\n*.lan,!evil.lan {k}\nbroken line\n[x]:22x ssh-ed25519 notbase64!!\n",
                k = line_of(&k),
                o = line_of(&other)
            ),
        );
        let files = vec![f.clone()];
        assert_eq!(
            check(&files, "gw.example.net", 22, &k).expect("c"),
            HostKeyCheck::Known
        );
        assert_eq!(
            check(&files, "GW.Example.NET", 22, &k).expect("c"),
            HostKeyCheck::Known
        );
        assert_eq!(
            check(&files, "10.0.0.1", 22, &k).expect("c"),
            HostKeyCheck::Known
        );
        assert_eq!(
            check(&files, "gw.example.net", 2222, &other).expect("c"),
            HostKeyCheck::Known
        );
        assert_eq!(
            check(&files, "nas.lan", 22, &k).expect("c"),
            HostKeyCheck::Known
        );
        assert_eq!(
            check(&files, "evil.lan", 22, &k).expect("c"),
            HostKeyCheck::Unknown {
                other_key_types: vec![]
            }
        );
        assert_eq!(
            check(&files, "gw.example.net", 2200, &k).expect("c"),
            HostKeyCheck::Unknown {
                other_key_types: vec![]
            }
        );
        // Port 2222 stores `other`: presenting `k` there is a change.
        assert_eq!(
            check(&files, "gw.example.net", 2222, &k).expect("c"),
            HostKeyCheck::Changed {
                file: f.clone(),
                line: 4,
                stored_fingerprint: fingerprint(&other)
            }
        );
        // Missing files are empty.
        assert_eq!(
            check(&[fx.dir.join("missing")], "gw.example.net", 22, &k).expect("c"),
            HostKeyCheck::Unknown {
                other_key_types: vec![]
            }
        );
    }

    #[test]
    fn other_key_type_is_unknown_not_changed() {
        let fx = Fx::new();
        let f = fx.write("kh", &format!("host {ECDSA}\n"));
        let k = ed25519();
        assert_eq!(
            check(&[f], "host", 22, &k).expect("c"),
            HostKeyCheck::Unknown {
                other_key_types: vec!["ecdsa-sha2-nistp256".into()]
            }
        );
    }

    #[test]
    fn changed_key_reports_stored_fingerprint_across_files() {
        let fx = Fx::new();
        let stored = ed25519();
        let presented = ed25519();
        let a = fx.write("a", "unrelated ssh-ed25519 AAAA\n");
        let b = fx.write("b", &format!("\n\nh {}\n", line_of(&stored)));
        let files = vec![fx.dir.join("missing"), a, b.clone()];
        assert_eq!(
            check(&files, "h", 22, &presented).expect("c"),
            HostKeyCheck::Changed {
                file: b,
                line: 3,
                stored_fingerprint: fingerprint(&stored)
            }
        );
        // Known in a later file wins over a mismatch in an earlier one.
        let c = fx.write("c", &format!("h {}\n", line_of(&presented)));
        let files = vec![fx.dir.join("b"), c];
        assert_eq!(
            check(&files, "h", 22, &presented).expect("c"),
            HostKeyCheck::Known
        );
    }

    #[test]
    fn revoked_and_cert_authority() {
        let fx = Fx::new();
        let k = ed25519();
        let f = fx.write(
            "kh",
            &format!(
                "@cert-authority * {ECDSA}\nh {k}\n@revoked * {k}\n",
                k = line_of(&k)
            ),
        );
        assert_eq!(
            check(std::slice::from_ref(&f), "h", 22, &k).expect("c"),
            HostKeyCheck::Revoked {
                file: f.clone(),
                line: 3,
                fingerprint: fingerprint(&k)
            }
        );
        let e = learn(&f, "other", 22, &k).expect_err("revoked");
        assert!(e.to_string().contains("@revoked"), "{e}");
    }

    #[test]
    fn hashed_entries_independent_computation() {
        // An entry computed here independently of hashed_host(): HMAC-SHA1 keyed by the salt
        // over "[gw]:2222", as `ssh-keygen -H` writes it.
        let fx = Fx::new();
        let k = ed25519();
        let salt: Vec<u8> = (0u8..20).collect();
        let mut mac = HmacSha1::new_from_slice(&salt).expect("hmac");
        mac.update(b"[gw]:2222");
        let hash = mac.finalize().into_bytes();
        let f = fx.write(
            "kh",
            &format!(
                "|1|{}|{} {}\n",
                B64.encode(&salt),
                B64.encode(hash),
                line_of(&k)
            ),
        );
        assert_eq!(
            check(std::slice::from_ref(&f), "gw", 2222, &k).expect("c"),
            HostKeyCheck::Known
        );
        assert_eq!(
            check(std::slice::from_ref(&f), "gw", 22, &k).expect("c"),
            HostKeyCheck::Unknown {
                other_key_types: vec![]
            }
        );
        let bad = fx.write("bad", &format!("|1|AAAA|!!! {}\n", line_of(&k)));
        assert_eq!(
            check(&[bad], "gw", 2222, &k).expect("c"),
            HostKeyCheck::Unknown {
                other_key_types: vec![]
            }
        );
    }

    #[test]
    fn hashed_by_real_ssh_keygen() {
        let keygen = require_ssh_keygen();
        let fx = Fx::new();
        let k = ed25519();
        let f = fx.write(
            "kh",
            &format!(
                "gw.example.net {k}\n[gw.example.net]:2222 {k}\n",
                k = line_of(&k)
            ),
        );
        let out = std::process::Command::new(keygen)
            .args(["-H", "-f", f.as_str()])
            .output()
            .expect("ssh-keygen -H");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&f).expect("read");
        assert!(text.lines().all(|l| l.starts_with("|1|")), "{text}");
        let files = vec![f];
        assert_eq!(
            check(&files, "gw.example.net", 22, &k).expect("c"),
            HostKeyCheck::Known
        );
        assert_eq!(
            check(&files, "gw.example.net", 2222, &k).expect("c"),
            HostKeyCheck::Known
        );
        assert_eq!(
            check(&files, "gw.example.net", 2223, &k).expect("c"),
            HostKeyCheck::Unknown {
                other_key_types: vec![]
            }
        );
    }

    #[test]
    fn learn_appends_hashed_line_keeping_bytes_and_mode() {
        let fx = Fx::new();
        let k = ed25519();
        let existing = format!("# mine\r\nold.host {ECDSA}\n\n  # no newline at end");
        let f = fx.write("kh", &existing);
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        learn(&f, "gw", 2222, &k).expect("learn");
        let text = std::fs::read_to_string(&f).expect("read");
        assert!(text.starts_with(&format!("{existing}\n")), "{text}");
        let new_line = text[existing.len() + 1..].to_owned();
        assert!(new_line.starts_with("|1|"), "{new_line}");
        assert!(new_line.ends_with('\n'));
        assert_eq!(new_line.lines().count(), 1);
        // The name is hashed: neither `gw` nor `[gw]:2222` appears as a host field (the hash
        // itself may contain the letters "gw" by chance).
        let host_field = new_line.split(' ').next().unwrap_or_default();
        assert!(
            host_field.starts_with("|1|") && !host_field.contains("[gw]") && host_field != "gw",
            "hashed: {new_line}"
        );
        let mode = std::fs::metadata(&f).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let files = vec![f.clone()];
        assert_eq!(
            check(&files, "gw", 2222, &k).expect("c"),
            HostKeyCheck::Known
        );
        assert_eq!(
            check(&files, "GW", 2222, &k).expect("c"),
            HostKeyCheck::Known
        );
        // No duplicate.
        learn(&f, "gw", 2222, &k).expect("again");
        assert_eq!(std::fs::read_to_string(&f).expect("read"), text);
        // A different key of the same type for the same host is refused.
        let e = learn(&f, "gw", 2222, &ed25519()).expect_err("changed");
        assert!(e.to_string().contains("ssh-keygen -R"), "{e}");
        assert_eq!(std::fs::read_to_string(&f).expect("read"), text);
    }

    #[test]
    fn learn_creates_private_file_and_dir() {
        let fx = Fx::new();
        let k = ed25519();
        let f = fx.dir.join("new/.ssh/known_hosts");
        learn(&f, "gw", 22, &k).expect("learn");
        let mode = |p: &Utf8Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&f), 0o600);
        assert_eq!(mode(f.parent().expect("dir")), 0o700);
        assert_eq!(
            check(std::slice::from_ref(&f), "gw", 22, &k).expect("c"),
            HostKeyCheck::Known
        );
        {
            require_ssh_keygen();
            // The real ssh-keygen finds our hashed entry.
            let out = std::process::Command::new("/usr/bin/ssh-keygen")
                .args(["-F", "gw", "-f", f.as_str()])
                .output()
                .expect("ssh-keygen -F");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains("|1|"));
        }
    }

    #[test]
    fn fingerprint_matches_ssh_keygen() {
        let k = ed25519();
        let fp = fingerprint(&k);
        assert!(fp.starts_with("SHA256:") && !fp.ends_with('='), "{fp}");
        let keygen = require_ssh_keygen();
        let fx = Fx::new();
        for (name, text) in [
            ("k.pub", format!("{}\n", line_of(&k))),
            ("e.pub", format!("{ECDSA}\n")),
        ] {
            let f = fx.write(name, &text);
            let out = std::process::Command::new(keygen)
                .args(["-l", "-f", f.as_str()])
                .output()
                .expect("ssh-keygen -l");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let stdout = String::from_utf8_lossy(&out.stdout).to_string();
            let theirs = stdout.split_whitespace().nth(1).expect("field 2");
            let key = PublicKey::from_openssh(text.trim()).expect("parse");
            assert_eq!(fingerprint(&key), theirs);
        }
    }
}
