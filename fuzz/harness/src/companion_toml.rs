//! The companion's own `config.toml` (`core::config`): parsing, and the edits `clawauth hosts
//! add/remove` make. Properties beyond "no panic":
//! - an edit of a config that loads gives a config that loads, and it reads back as meant:
//!   the host added (or replaced) with exactly the values given, every other host, default
//!   and monitor setting unchanged; removing it gives the config without it;
//! - an edit never writes a file that does not parse.

use std::fmt::Write as _;

use arbitrary::Arbitrary;
use camino::Utf8Path;
use clawauth_core::config::{Config, HostEntry, with_host_added, with_host_removed};

use crate::cap::CapInput;

#[derive(Arbitrary, Debug)]
struct Input {
    name: String,
    ssh: String,
    agent: Option<String>,
    openclaw: Option<String>,
    clawauth: Option<String>,
    state_dir: Option<String>,
    service: Option<String>,
    replace: bool,
    text: String,
}

/// What the fuzz target does with one input.
pub fn run(data: &[u8]) {
    if let Some(text) = data.strip_prefix(crate::CAP) {
        // Loading the config, and `clawauth hosts add` on it.
        let text = String::from_utf8_lossy(text);
        let path = Utf8Path::new("/fuzz/config.toml");
        let _ = Config::parse(path, &text);
        let _ = with_host_added(path, &text, "new", &HostEntry::new("pi@gateway.lan"), false);
        return;
    }
    let Some(input) = crate::decode(data, |text| Input {
        name: "gw".to_owned(),
        ssh: "pi@gateway.lan".to_owned(),
        agent: Some("main".to_owned()),
        openclaw: None,
        clawauth: None,
        state_dir: Some("~/.openclaw".to_owned()),
        service: None,
        replace: true,
        text: String::from_utf8_lossy(text).into_owned(),
    }) else {
        return;
    };
    let path = Utf8Path::new("/fuzz/config.toml");
    let before = Config::parse(path, &input.text);
    let entry = HostEntry {
        ssh: input.ssh,
        agent: input.agent,
        openclaw: input.openclaw,
        clawauth: input.clawauth,
        state_dir: input.state_dir,
        service: input.service,
    };
    let name = input.name.as_str();

    if let Ok(added) = with_host_added(path, &input.text, name, &entry, input.replace) {
        toml_parses(&added);
        if let Ok(before) = &before {
            let after = Config::parse(path, &added)
                .unwrap_or_else(|e| panic!("added config does not load: {e}\n{added}"));
            let mut want = before.clone();
            want.hosts.insert(name.to_owned(), entry.clone());
            assert_eq!(after, want, "\n{added}");
        }
        // Removing what was added gives a config without it.
        let removed = with_host_removed(path, &added, name)
            .expect("removing a host that was just added")
            .expect("the host is there");
        toml_parses(&removed);
        if let Ok(before) = &before {
            let after = Config::parse(path, &removed).unwrap_or_else(|e| {
                panic!("config without the host does not load: {e}\n{removed}")
            });
            let mut want = before.clone();
            want.hosts.remove(name);
            assert_eq!(after, want, "\n{removed}");
        }
    }
    if let Ok(Some(removed)) = with_host_removed(path, &input.text, name) {
        toml_parses(&removed);
        if let Ok(before) = &before {
            let after = Config::parse(path, &removed).unwrap_or_else(|e| {
                panic!("config without the host does not load: {e}\n{removed}")
            });
            let mut want = before.clone();
            assert!(
                want.hosts.remove(name).is_some(),
                "removed a host that was not there"
            );
            assert_eq!(after, want, "\n{removed}");
        }
    }
}

fn toml_parses(text: &str) {
    assert!(
        text.parse::<toml_edit::DocumentMut>().is_ok(),
        "an edit wrote text that does not parse:\n{text}"
    );
}

/// A config of 19,000 hosts (about 1.1 MiB).
pub fn cap_inputs() -> Vec<CapInput> {
    let mut text = String::from("[defaults]\ndeadline = \"2m\"\n");
    for i in 0..19_000 {
        let _ = write!(
            text,
            "[hosts.h{i}]\nssh = \"pi@gateway.lan\"\nagent = \"main\"\n# comment\n"
        );
    }
    vec![CapInput::new("many-hosts", text.into_bytes())]
}
