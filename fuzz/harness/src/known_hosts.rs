//! known_hosts checking and learning (`core::ssh::known_hosts`): a file's bytes, a host, and
//! a presented key. Properties beyond "no panic":
//! - learning then checking says known (for that host and port, in the file learnt into);
//! - learning keeps every byte that was there, and learning again changes nothing;
//! - a host the file already knows with this key needs no learning, and a refusal to learn
//!   comes with a check that says changed or revoked.

use arbitrary::Arbitrary;
use camino::Utf8Path;
use clawauth_core::ssh::known_hosts::{HostKeyCheck, SALT_LEN, check_content, learned};
use russh::keys::PublicKey;
use russh::keys::ssh_key::public::{Ed25519PublicKey, KeyData};

use crate::cap::{CapInput, K, lines};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    host: &'a str,
    port: u16,
    key: [u8; 32],
    salt: [u8; SALT_LEN],
    /// Put the presented key, as OpenSSH writes it, into the file at this line.
    plant: Option<(u8, &'a str)>,
    content: &'a [u8],
}

/// What the fuzz target does with one input.
pub fn run(data: &[u8]) {
    if let Some(content) = data.strip_prefix(crate::CAP) {
        // Connecting to a host seen for the first time, and trusting it.
        let file = Utf8Path::new("/home/fuzz/.ssh/known_hosts");
        let key = PublicKey::new(KeyData::Ed25519(Ed25519PublicKey([7; 32])), "");
        let _ = check_content(file, content, "gw", 22, &key);
        let _ = learned(file, content, "gw", 22, &key, [0; SALT_LEN]);
        return;
    }
    let Some(input) = crate::decode(data, |content| Input {
        host: "gw",
        port: 22,
        key: [7; 32],
        salt: [0; SALT_LEN],
        plant: None,
        content,
    }) else {
        return;
    };
    let file = Utf8Path::new("/home/fuzz/.ssh/known_hosts");
    let key = PublicKey::new(KeyData::Ed25519(Ed25519PublicKey(input.key)), "");
    let mut content = input.content.to_vec();
    if let Some((line, hosts)) = input.plant
        && let Ok(text) = key.to_openssh()
    {
        // The fuzzer's host field and the real key text, on a line of its own.
        let planted = format!("{hosts} {text}\n");
        let mut lines: Vec<&[u8]> = input.content.split(|&b| b == b'\n').collect();
        let at = usize::from(line).min(lines.len());
        lines.insert(at, planted.trim_end().as_bytes());
        content = lines.join(&b'\n');
    }
    let check = check_content(file, &content, input.host, input.port, &key);
    match learned(file, &content, input.host, input.port, &key, input.salt) {
        Ok(None) => assert_eq!(check, HostKeyCheck::Known),
        Ok(Some(bytes)) => {
            assert!(matches!(check, HostKeyCheck::Unknown { .. }), "{check:?}");
            assert!(
                bytes.starts_with(&content),
                "the bytes that were there are kept"
            );
            assert_eq!(
                check_content(file, &bytes, input.host, input.port, &key),
                HostKeyCheck::Known,
                "learnt, then not known"
            );
            assert!(matches!(
                learned(file, &bytes, input.host, input.port, &key, input.salt),
                Ok(None)
            ));
        }
        Err(_) => assert!(
            matches!(
                check,
                HostKeyCheck::Changed { .. } | HostKeyCheck::Revoked { .. }
            ) || input.host.is_empty()
                || input.host.len() > 255
                || input
                    .host
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control()),
            "refused to learn, but {check:?}"
        ),
    }
}

/// A file at the reader's 4 MiB cap, of plain and of hashed entries.
pub fn cap_inputs() -> Vec<CapInput> {
    vec![
        CapInput::new(
            "plain-4mib",
            lines(
                "gw,*,!other ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsFHAKsGz1X4ESwTh1Syu8oGTSMeTTmOW+j0hLBnFZ5",
                4 * 1024 * K - 8,
            ),
        ),
        CapInput::new(
            "hashed-4mib",
            lines(
                "|1|BiC62sVkzgAXwXn+q8s1V46AE8g=|6XUrBzvYDvrYe24t8fISxOnkN3k= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsFHAKsGz1X4ESwTh1Syu8oGTSMeTTmOW+j0hLBnFZ5",
                4 * 1024 * K - 8,
            ),
        ),
    ]
}
