//! SSH log-in with keys the platform keeps (issue 17, item 4): an `SshSigner` hands clawauth
//! a public key as SubjectPublicKeyInfo DER and signs on request, returning what Java's
//! `Signature` returns (DER for `SHA256withECDSA`, 64 bytes for Ed25519). Stand-in for
//! Android Keystore: OpenSSL's command line, which makes keys and signatures the same way and
//! shares no code with clawauth, so an encoding mistake on either side fails at the real sshd.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use clawauth_core::gateway::{Command as GwCommand, Gateway, Limits};
use clawauth_core::openclaw::env::Environment;
use clawauth_core::ssh::signer::{SignFuture, SignerAlgorithm, SignerError, SshSigner};
use clawauth_core::ssh::{ConnectOptions, SshError, connect};
use clawauth_tests::lab::Lab;

/// A key OpenSSL keeps in a file clawauth never reads: only its public half and signatures
/// cross, as with Keystore.
struct OpensslKey {
    algorithm: SignerAlgorithm,
    pem: Utf8PathBuf,
    signed: AtomicUsize,
}

fn openssl(args: &[&str], stdin: Option<&Utf8Path>) -> Vec<u8> {
    let mut cmd = Command::new("openssl");
    cmd.args(args);
    if let Some(f) = stdin {
        cmd.stdin(std::fs::File::open(f).expect("open input"));
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e} (install it: apt-get install openssl)"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

impl OpensslKey {
    fn new(dir: &Utf8Path, algorithm: SignerAlgorithm) -> Arc<Self> {
        let pem = dir.join(format!("{algorithm:?}.pem"));
        let spec: &[&str] = match algorithm {
            SignerAlgorithm::EcdsaP256 => {
                &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
            }
            SignerAlgorithm::Ed25519 => &["-algorithm", "ED25519"],
        };
        openssl(
            &[&["genpkey"][..], spec, &["-out", pem.as_str()]].concat(),
            None,
        );
        Arc::new(Self {
            algorithm,
            pem,
            signed: AtomicUsize::new(0),
        })
    }

    /// The public key as OpenSSH writes it, for authorized_keys: ssh-keygen's import of the
    /// PKCS#8 key for ECDSA; for Ed25519 (which ssh-keygen cannot import) the RFC 8709 blob
    /// written here from OpenSSL's raw 32 bytes — neither goes through clawauth.
    fn authorized_line(&self, dir: &Utf8Path) -> String {
        use base64::Engine as _;
        if self.algorithm == SignerAlgorithm::Ed25519 {
            let spki = self.public_key_spki();
            let raw = &spki[spki.len() - 32..];
            let mut blob = Vec::new();
            for part in [&b"ssh-ed25519"[..], raw] {
                blob.extend_from_slice(&u32::try_from(part.len()).expect("short").to_be_bytes());
                blob.extend_from_slice(part);
            }
            return format!(
                "ssh-ed25519 {}",
                base64::engine::general_purpose::STANDARD.encode(blob)
            );
        }
        let pub_pem = dir.join(format!("{:?}.pub.pem", self.algorithm));
        openssl(
            &[
                "pkey",
                "-in",
                self.pem.as_str(),
                "-pubout",
                "-out",
                pub_pem.as_str(),
            ],
            None,
        );
        let out = Command::new("ssh-keygen")
            .args(["-i", "-m", "PKCS8", "-f", pub_pem.as_str()])
            .output()
            .expect("ssh-keygen");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_owned()
    }
}

impl SshSigner for OpensslKey {
    fn label(&self) -> String {
        format!("platform key ({:?})", self.algorithm)
    }
    fn algorithm(&self) -> SignerAlgorithm {
        self.algorithm
    }
    fn public_key_spki(&self) -> Vec<u8> {
        openssl(
            &[
                "pkey",
                "-in",
                self.pem.as_str(),
                "-pubout",
                "-outform",
                "DER",
            ],
            None,
        )
    }
    fn sign(&self, data: Vec<u8>) -> SignFuture<'_> {
        Box::pin(async move {
            self.signed.fetch_add(1, Ordering::SeqCst);
            let input = self.pem.with_extension("data");
            std::fs::write(&input, &data).map_err(|e| SignerError::Refused(e.to_string()))?;
            Ok(match self.algorithm {
                SignerAlgorithm::EcdsaP256 => openssl(
                    &["dgst", "-sha256", "-sign", self.pem.as_str()],
                    Some(&input),
                ),
                SignerAlgorithm::Ed25519 => openssl(
                    &[
                        "pkeyutl",
                        "-sign",
                        "-rawin",
                        "-inkey",
                        self.pem.as_str(),
                        "-in",
                        input.as_str(),
                    ],
                    None,
                ),
            })
        })
    }
}

/// A platform key that refuses, as a locked Keystore or a cancelled prompt does.
struct Refusing(Arc<OpensslKey>);

impl SshSigner for Refusing {
    fn label(&self) -> String {
        "locked platform key".to_owned()
    }
    fn algorithm(&self) -> SignerAlgorithm {
        self.0.algorithm
    }
    fn public_key_spki(&self) -> Vec<u8> {
        self.0.public_key_spki()
    }
    fn sign(&self, _: Vec<u8>) -> SignFuture<'_> {
        Box::pin(async { Err(SignerError::Refused("the user cancelled".into())) })
    }
}

/// The lab with the phone's key files gone: the platform key is all there is.
fn lab_without_key_files() -> (Lab, Utf8PathBuf) {
    let lab = Lab::new();
    lab.trust();
    for f in ["id_ed25519", "id_ed25519.pub"] {
        let _ = std::fs::remove_file(lab.phone.join(".ssh").join(f));
    }
    let dir = lab.scratch.join("platform");
    std::fs::create_dir_all(&dir).expect("mkdir");
    (lab, dir)
}

fn options(lab: &Lab, signers: Vec<Arc<dyn SshSigner>>) -> ConnectOptions {
    let mut opts = ConnectOptions::new(Environment::empty().with("HOME", lab.phone.as_str()));
    opts.signers = signers;
    opts
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn a_platform_key_of_each_kind_logs_in_and_sshd_accepts_it() {
    for (algorithm, sshd_name) in [
        (SignerAlgorithm::EcdsaP256, "ECDSA"),
        (SignerAlgorithm::Ed25519, "ED25519"),
    ] {
        let (lab, dir) = lab_without_key_files();
        let key = OpensslKey::new(&dir, algorithm);
        let home = lab.new_home("gw");
        std::fs::write(&lab.sshd.authorized_keys, "").expect("reset");
        lab.sshd.authorize(
            &key.authorized_line(&dir),
            &format!("environment=\"HOME={home}\""),
        );
        let opts = options(&lab, vec![key.clone()]);
        runtime().block_on(async {
            let gw = connect("gw", &lab.target(), &opts)
                .await
                .unwrap_or_else(|e| panic!("{algorithm:?}: {e}\n{}", lab.sshd.log_tail(20)));
            let out = gw
                .exec(
                    &GwCommand::new("/bin/sh").args(["-c", "echo signed-in"]),
                    None,
                    Limits::new(Duration::from_secs(10), 1024),
                )
                .await
                .expect("exec");
            assert_eq!(out.stdout, b"signed-in\n");
            gw.close().await;
        });
        assert!(
            key.signed.load(Ordering::SeqCst) >= 1,
            "{algorithm:?}: never asked to sign"
        );
        let log = lab.sshd.log();
        assert!(
            log.lines()
                .any(|l| l.contains("Accepted publickey") && l.contains(sshd_name)),
            "{algorithm:?}: sshd did not accept the key:\n{}",
            lab.sshd.log_tail(20)
        );
    }
}

#[test]
fn a_platform_key_that_refuses_or_is_not_authorized_is_told_apart() {
    let (lab, dir) = lab_without_key_files();
    let key = OpensslKey::new(&dir, SignerAlgorithm::EcdsaP256);
    // Not in authorized_keys: sshd never asks for a signature, and the error names the key.
    std::fs::write(&lab.sshd.authorized_keys, "").expect("reset");
    let opts = options(&lab, vec![key.clone()]);
    let err = runtime()
        .block_on(connect("gw", &lab.target(), &opts))
        .err()
        .expect("refused");
    assert!(matches!(err, SshError::Auth { .. }), "{err}");
    assert!(
        err.to_string().contains("platform key (EcdsaP256)"),
        "{err}"
    );
    assert_eq!(key.signed.load(Ordering::SeqCst), 0);

    // Authorized, but the platform refuses to sign: said so, no connection left behind.
    lab.sshd.authorize(&key.authorized_line(&dir), "");
    let opts = options(&lab, vec![Arc::new(Refusing(key.clone()))]);
    let err = runtime()
        .block_on(connect("gw", &lab.target(), &opts))
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(text.contains("the user cancelled"), "{text}");
    assert!(!log_has_accept(&lab), "{}", lab.sshd.log_tail(20));
}

fn log_has_accept(lab: &Lab) -> bool {
    lab.sshd.log().contains("Accepted publickey")
}
