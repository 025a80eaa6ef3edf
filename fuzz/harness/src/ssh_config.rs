//! OpenSSH client configuration resolved for a destination (`core::ssh::config`): a user
//! config and files it may Include, all held in memory. Properties beyond "no panic":
//! - what resolves is usable as it is: the host name is safe to pass on (no option, no
//!   blanks or shell characters), the identity and known_hosts lists stay within OpenSSH's
//!   bounds;
//! - a ProxyJump that resolves is one hop `split_target` takes.

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use camino::{Utf8Path, Utf8PathBuf};
use clawauth_core::ssh::config::{jump_host, resolve_documents, split_target};

use crate::cap::{CapInput, K, lines, run_of};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    target: &'a str,
    local_user: Option<&'a str>,
    /// `~/.ssh/config`.
    config: &'a [u8],
    /// Files under `~/.ssh/` it may Include, by name.
    included: Vec<(&'a str, &'a [u8])>,
    /// `/etc/ssh/ssh_config`.
    system: Option<&'a [u8]>,
}

/// What the fuzz target does with one input.
pub fn run(data: &[u8]) {
    if let Some(config) = data.strip_prefix(crate::CAP) {
        let home = Utf8Path::new("/home/fuzz");
        let file = home.join(".ssh/config");
        let documents = BTreeMap::from([(file.clone(), config.to_vec())]);
        let _ = resolve_documents("gw", home, Some("me"), &[file], &documents);
        return;
    }
    let Some(input) = crate::decode(data, |config| Input {
        target: "gw",
        local_user: Some("me"),
        config,
        included: Vec::new(),
        system: None,
    }) else {
        return;
    };
    let home = Utf8Path::new("/home/fuzz");
    let user_file = home.join(".ssh/config");
    let system_file = Utf8PathBuf::from("/etc/ssh/ssh_config");
    let mut documents = BTreeMap::new();
    documents.insert(user_file.clone(), input.config.to_vec());
    for (name, bytes) in input.included.iter().take(16) {
        if !name.is_empty() && !name.contains(['/', '\0']) && *name != "." && *name != ".." {
            documents.insert(home.join(".ssh").join(name), bytes.to_vec());
        }
    }
    if let Some(system) = input.system {
        documents.insert(system_file.clone(), system.to_vec());
    }
    let files = [user_file, system_file];
    let Ok(c) = resolve_documents(input.target, home, input.local_user, &files, &documents) else {
        return;
    };
    // The host name is safe to pass on: not empty, no option, no blanks or shell characters.
    let h = &c.host_name;
    assert!(
        !h.is_empty() && h.len() <= 255 && !h.starts_with('-'),
        "{h:?}"
    );
    assert!(
        h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '%')),
        "{h:?}"
    );
    assert_eq!(*h, h.to_ascii_lowercase());
    assert!(c.identity_files.len() <= 100);
    assert!(c.user_known_hosts_files.len() <= 16);
    assert!(c.port > 0);
    if let Some(j) = &c.proxy_jump
        && let Ok(Some(hop)) = jump_host(j)
    {
        assert!(split_target(&hop).is_ok(), "{hop:?}");
    }
}

/// A config at the reader's 1 MiB cap: a plain big one, and the patterns and escapes that once
/// took time growing faster than the input.
pub fn cap_inputs() -> Vec<CapInput> {
    vec![
        CapInput::new(
            "big-config",
            lines(
                "Host gw gw-* *.lan !printer.lan\n  HostName %h.example.net\n  IdentityFile ~/.ssh/id_%r@%h\n  Port 22",
                1024 * K - 8,
            ),
        ),
        CapInput::new(
            "long-pattern",
            [&b"Host "[..], &run_of("*a", 1024 * K - 16)].concat(),
        ),
        CapInput::new(
            "host-name-escapes",
            [
                &b"Host gw\n  HostName "[..],
                &run_of("%h", 1024 * K - 32),
                b"\n",
            ]
            .concat(),
        ),
    ]
}
