//! SSH keys the platform keeps (issue 17, item 4): Android Keystore and similar never hand out
//! a private key, they sign on request. An [`SshSigner`] is such a key: its public half, and a
//! signature over the data SSH's public-key authentication asks for. clawauth offers these keys
//! before ssh-agent and key files, through russh's signer hook, and turns what the platform
//! returns into SSH's encoding: an ECDSA signature arrives in DER (`SEQUENCE { r, s }`, what
//! `java.security.Signature("SHA256withECDSA")` returns), an Ed25519 signature as its 64 bytes.
//!
//! Supported: ECDSA on NIST P-256 (every Keystore has it, hardware-backed) and Ed25519.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use russh::keys::PublicKey;
use russh::keys::ssh_key::public::{EcdsaPublicKey, Ed25519PublicKey, KeyData};

/// The kinds of platform key clawauth can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerAlgorithm {
    /// ECDSA on NIST P-256 with SHA-256 (`ecdsa-sha2-nistp256`). The platform hashes the data
    /// itself (`SHA256withECDSA`) and returns the signature in DER.
    EcdsaP256,
    /// Ed25519 (`ssh-ed25519`): the platform signs the data and returns 64 bytes.
    Ed25519,
}

/// Why a platform key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    /// The public key the platform gave is not one of the supported kinds.
    #[error("the platform key is not a P-256 ECDSA or Ed25519 public key ({0})")]
    UnsupportedKey(String),
    /// The platform refused or failed to sign (a locked Keystore, a cancelled prompt…).
    #[error("the platform key did not sign: {0}")]
    Refused(String),
    /// The platform returned something that is not a signature of this kind.
    #[error("the platform key returned a malformed signature ({0})")]
    BadSignature(String),
}

/// What [`SshSigner::sign`] returns.
pub type SignFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, SignerError>> + Send + 'a>>;

/// A key the platform keeps and signs with on request.
pub trait SshSigner: Send + Sync {
    /// A name for messages (`Android Keystore key "gateway"`), never secret.
    fn label(&self) -> String;
    /// The key's kind.
    fn algorithm(&self) -> SignerAlgorithm;
    /// The public key as X.509 SubjectPublicKeyInfo DER (Java's `PublicKey.getEncoded()`).
    fn public_key_spki(&self) -> Vec<u8>;
    /// Signs `data`: DER for ECDSA P-256 (after SHA-256 of `data`), 64 bytes for Ed25519.
    fn sign(&self, data: Vec<u8>) -> SignFuture<'_>;
}

/// `SubjectPublicKeyInfo` of an uncompressed P-256 point, up to the point itself (RFC 5480:
/// id-ecPublicKey, prime256v1, a 66-byte BIT STRING).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// `SubjectPublicKeyInfo` of an Ed25519 key, up to its 32 bytes (RFC 8410).
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The SSH public key of a platform key given as SubjectPublicKeyInfo DER.
pub fn public_key_from_spki(
    algorithm: SignerAlgorithm,
    spki: &[u8],
) -> Result<PublicKey, SignerError> {
    let data = match algorithm {
        SignerAlgorithm::EcdsaP256 => {
            let point = spki
                .strip_prefix(&P256_SPKI_PREFIX[..])
                .filter(|p| p.len() == 65 && p[0] == 0x04)
                .ok_or_else(|| {
                    SignerError::UnsupportedKey(format!(
                        "expected the 91-byte SubjectPublicKeyInfo of an uncompressed P-256 point, got {} bytes",
                        spki.len()
                    ))
                })?;
            let key = EcdsaPublicKey::from_sec1_bytes(point)
                .map_err(|e| SignerError::UnsupportedKey(format!("not a P-256 point: {e}")))?;
            KeyData::Ecdsa(key)
        }
        SignerAlgorithm::Ed25519 => {
            let raw: [u8; 32] = spki
                .strip_prefix(&ED25519_SPKI_PREFIX[..])
                .and_then(|k| k.try_into().ok())
                .ok_or_else(|| {
                    SignerError::UnsupportedKey(format!(
                        "expected the 44-byte SubjectPublicKeyInfo of an Ed25519 key, got {} bytes",
                        spki.len()
                    ))
                })?;
            KeyData::Ed25519(Ed25519PublicKey(raw))
        }
    };
    Ok(PublicKey::new(data, ""))
}

/// The `authorized_keys` line of a platform key (`ecdsa-sha2-nistp256 AAAA… comment`), to add
/// on the gateway, and its `SHA256:…` fingerprint as sshd logs it.
pub fn authorized_key(
    algorithm: SignerAlgorithm,
    spki: &[u8],
    comment: &str,
) -> Result<(String, String), SignerError> {
    let mut key = public_key_from_spki(algorithm, spki)?;
    key.set_comment(comment.replace(['\n', '\r'], " "));
    let line = key
        .to_openssh()
        .map_err(|e| SignerError::UnsupportedKey(e.to_string()))?;
    Ok((line, crate::ssh::known_hosts::fingerprint(&key)))
}

/// SSH's signature blob (`string algorithm, string signature`, RFC 4253 §6.6, RFC 5656 §3.1.2)
/// of what the platform returned.
pub fn ssh_signature(algorithm: SignerAlgorithm, platform: &[u8]) -> Result<Vec<u8>, SignerError> {
    let (name, sig): (&str, Vec<u8>) = match algorithm {
        SignerAlgorithm::EcdsaP256 => {
            let (r, s) = der_ecdsa(platform)?;
            let mut blob = Vec::with_capacity(72);
            put_mpint(&mut blob, r);
            put_mpint(&mut blob, s);
            ("ecdsa-sha2-nistp256", blob)
        }
        SignerAlgorithm::Ed25519 => {
            if platform.len() != 64 {
                return Err(SignerError::BadSignature(format!(
                    "an Ed25519 signature is 64 bytes, got {}",
                    platform.len()
                )));
            }
            ("ssh-ed25519", platform.to_vec())
        }
    };
    let mut out = Vec::with_capacity(8 + name.len() + sig.len());
    put_string(&mut out, name.as_bytes());
    put_string(&mut out, &sig);
    Ok(out)
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    // Lengths here are at most a few hundred bytes.
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// An unsigned big-endian integer as SSH's `mpint`: no leading zero bytes, and a zero byte in
/// front when the top bit is set (it would read as negative).
fn put_mpint(out: &mut Vec<u8>, magnitude: &[u8]) {
    let trimmed = match magnitude.iter().position(|&b| b != 0) {
        Some(i) => &magnitude[i..],
        None => &[][..],
    };
    let pad = trimmed.first().is_some_and(|b| b & 0x80 != 0);
    out.extend_from_slice(&((trimmed.len() + usize::from(pad)) as u32).to_be_bytes());
    if pad {
        out.push(0);
    }
    out.extend_from_slice(trimmed);
}

/// `r` and `s` (their magnitudes) of a DER `ECDSA-Sig-Value` (`SEQUENCE { INTEGER r, INTEGER s }`)
/// for P-256: each positive and at most 32 bytes once its sign byte is dropped.
fn der_ecdsa(der: &[u8]) -> Result<(&[u8], &[u8]), SignerError> {
    let bad = |why: &str| SignerError::BadSignature(format!("not a DER ECDSA signature: {why}"));
    let (body, rest) = der_tlv(der, 0x30).ok_or_else(|| bad("no SEQUENCE"))?;
    if !rest.is_empty() {
        return Err(bad("bytes after the SEQUENCE"));
    }
    let (r, body) = der_tlv(body, 0x02).ok_or_else(|| bad("no INTEGER r"))?;
    let (s, body) = der_tlv(body, 0x02).ok_or_else(|| bad("no INTEGER s"))?;
    if !body.is_empty() {
        return Err(bad("more than two INTEGERs"));
    }
    let magnitude = |i: &'_ [u8], what: &str| -> Result<(), SignerError> {
        match i {
            [] => Err(bad(&format!("{what} is empty"))),
            [first, ..] if first & 0x80 != 0 => Err(bad(&format!("{what} is negative"))),
            [0, second, ..] if second & 0x80 == 0 => {
                Err(bad(&format!("{what} is not minimally encoded")))
            }
            _ if i.len() > 33 || (i.len() == 33 && i[0] != 0) => {
                Err(bad(&format!("{what} is longer than 256 bits")))
            }
            _ => Ok(()),
        }
    };
    magnitude(r, "r")?;
    magnitude(s, "s")?;
    Ok((r, s))
}

/// One DER element with tag `tag` and a definite length of at most two bytes: its contents
/// and what follows.
fn der_tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81 => {
            let (&l, rest) = rest.split_first()?;
            (l >= 0x80).then_some((usize::from(l), rest))?
        }
        _ => return None,
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// A platform key in russh's signer hook: russh hands it the data to sign and expects it back
/// with SSH's signature blob appended as a `string`.
pub(crate) struct ForeignSigner {
    pub signer: Arc<dyn SshSigner>,
}

impl russh::Signer for ForeignSigner {
    type Error = ForeignSignError;

    fn auth_sign(
        &mut self,
        _key: &russh::keys::agent::AgentIdentity,
        _hash_alg: Option<russh::keys::HashAlg>,
        to_sign: Vec<u8>,
    ) -> impl Future<Output = Result<Vec<u8>, Self::Error>> + Send {
        let signer = Arc::clone(&self.signer);
        async move {
            let algorithm = signer.algorithm();
            let signed = signer.sign(to_sign.clone()).await?;
            let blob = ssh_signature(algorithm, &signed)?;
            let mut out = to_sign;
            put_string(&mut out, &blob);
            Ok(out)
        }
    }
}

/// Why russh's signing step with a platform key failed.
#[derive(Debug, thiserror::Error)]
pub enum ForeignSignError {
    #[error(transparent)]
    Signer(#[from] SignerError),
    #[error("the SSH connection closed while the platform key was signing")]
    Closed,
}

impl From<russh::SendError> for ForeignSignError {
    fn from(_: russh::SendError) -> Self {
        Self::Closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A P-256 public key of the SEC 1 test vectors' shape: 04 || X || Y of a real point.
    fn p256_spki() -> Vec<u8> {
        use russh::keys::ssh_key::{Algorithm, EcdsaCurve, PrivateKey};
        let key = PrivateKey::random(
            &mut rand::rng(),
            Algorithm::Ecdsa {
                curve: EcdsaCurve::NistP256,
            },
        )
        .expect("a key");
        let KeyData::Ecdsa(EcdsaPublicKey::NistP256(point)) = key.public_key().key_data() else {
            panic!("not P-256");
        };
        let mut spki = P256_SPKI_PREFIX.to_vec();
        spki.extend_from_slice(point.as_bytes());
        spki
    }

    #[test]
    fn spki_of_both_kinds_becomes_the_ssh_public_key() {
        let spki = p256_spki();
        let key = public_key_from_spki(SignerAlgorithm::EcdsaP256, &spki).expect("P-256");
        assert_eq!(key.algorithm().as_str(), "ecdsa-sha2-nistp256");
        let mut ed = ED25519_SPKI_PREFIX.to_vec();
        ed.extend_from_slice(&[9; 32]);
        let key = public_key_from_spki(SignerAlgorithm::Ed25519, &ed).expect("Ed25519");
        assert_eq!(key.algorithm().as_str(), "ssh-ed25519");
        // The wrong kind, a truncated key, a P-384 header: refused with what was expected.
        for (alg, bytes) in [
            (SignerAlgorithm::Ed25519, spki.clone()),
            (SignerAlgorithm::EcdsaP256, spki[..90].to_vec()),
            (SignerAlgorithm::EcdsaP256, ed.clone()),
        ] {
            let e = public_key_from_spki(alg, &bytes).expect_err("refused");
            assert!(matches!(e, SignerError::UnsupportedKey(_)), "{e}");
        }
    }

    #[test]
    fn a_der_ecdsa_signature_becomes_two_mpints() {
        // r with its top bit set (DER adds a zero byte, SSH's mpint keeps one), s short.
        let mut r = vec![0x00, 0x80];
        r.extend_from_slice(&[0x11; 31]);
        let s = vec![0x01, 0x02];
        let mut der = vec![0x30, (2 + r.len() + 2 + s.len()) as u8, 0x02, r.len() as u8];
        der.extend_from_slice(&r);
        der.extend_from_slice(&[0x02, s.len() as u8]);
        der.extend_from_slice(&s);
        let blob = ssh_signature(SignerAlgorithm::EcdsaP256, &der).expect("a signature");
        let mut want = Vec::new();
        put_string(&mut want, b"ecdsa-sha2-nistp256");
        let mut inner = Vec::new();
        inner.extend_from_slice(&33u32.to_be_bytes());
        inner.extend_from_slice(&r);
        inner.extend_from_slice(&2u32.to_be_bytes());
        inner.extend_from_slice(&s);
        put_string(&mut want, &inner);
        assert_eq!(blob, want);
    }

    #[test]
    fn malformed_signatures_are_refused_never_sent() {
        let cases: [&[u8]; 8] = [
            b"",
            &[0x30, 0x00],
            &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01],
            &[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01],
            &[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01],
            &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0xff],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01],
        ];
        for der in cases {
            let e = ssh_signature(SignerAlgorithm::EcdsaP256, der).expect_err("refused");
            assert!(matches!(e, SignerError::BadSignature(_)), "{der:02x?}: {e}");
        }
        let e = ssh_signature(SignerAlgorithm::Ed25519, &[0; 63]).expect_err("refused");
        assert!(matches!(e, SignerError::BadSignature(_)), "{e}");
    }
}
