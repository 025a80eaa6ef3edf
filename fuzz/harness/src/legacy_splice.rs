//! The legacy `auth-profiles.json` splice (`core::actions::legacy`): a store as the gateway
//! holds it, and a Claude Code login to write into it. Properties beyond "no panic":
//! - the result is JSON (serde_json reads it) whenever the original was;
//! - it keeps every other byte: outside the rewritten profile the result is the original
//!   byte for byte, and every other member reads the same;
//! - the profile holds what was written, and the current expiry reads it back;
//! - a second splice of the same login changes nothing;
//! - the result is at most a fixed amount larger than the original (no blow-up).

use arbitrary::Arbitrary;
use clawauth_core::actions::legacy::{
    ClaudeOauth, PROFILE_ID, Splice, current_claude_cli_expiry, splice_claude_cli,
};
use clawauth_core::secrets::Secret;
use serde_json::Value;

use crate::cap::{CapInput, K, lines, run_of};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    access: String,
    refresh: String,
    expires_ms: i64,
    absent: bool,
    original: &'a [u8],
}

/// `doc` without the profile (and without an emptied `profiles` object the splice may have
/// added or filled).
fn without_profile(mut doc: Value) -> Value {
    if let Some(root) = doc.as_object_mut()
        && let Some(profiles) = root.get_mut("profiles").and_then(Value::as_object_mut)
    {
        profiles.shift_remove(PROFILE_ID);
        if profiles.is_empty() {
            root.shift_remove("profiles");
        }
    }
    doc
}

/// What the fuzz target does with one input.
pub fn run(data: &[u8]) {
    if let Some(original) = data.strip_prefix(crate::CAP) {
        // What `clawauth sync` does with the store it read.
        let cred = ClaudeOauth {
            access: Secret::new("sk-ant-oat01-FAKE-fuzz-access"),
            refresh: Secret::new("sk-ant-ort01-FAKE-fuzz-refresh"),
            expires_ms: 1_795_292_311_069,
        };
        let _ = splice_claude_cli(Some(original), &cred);
        return;
    }
    let Some(input) = crate::decode(data, |original| Input {
        access: "sk-ant-oat01-FAKE-fuzz-access".to_owned(),
        refresh: "sk-ant-ort01-FAKE-fuzz-refresh".to_owned(),
        expires_ms: 1_795_292_311_069,
        absent: false,
        original,
    }) else {
        return;
    };
    let _ = current_claude_cli_expiry(input.original);
    let cred = ClaudeOauth {
        access: Secret::new(input.access.clone()),
        refresh: Secret::new(input.refresh.clone()),
        expires_ms: input.expires_ms,
    };
    let original = (!input.absent).then_some(input.original);
    let Ok(splice) = splice_claude_cli(original, &cred) else {
        return;
    };
    let Splice::Changed {
        bytes, replaced, ..
    } = splice
    else {
        // Unchanged: the profile already holds exactly this login.
        assert_eq!(
            current_claude_cli_expiry(input.original).ok().flatten(),
            Some(input.expires_ms)
        );
        return;
    };
    let out: &[u8] = &bytes;
    let src = original.unwrap_or_default();

    // Bounded growth: the original, the login (escaped at most 6 bytes a byte), and a line
    // of layout per member written.
    let login = input.access.len() * 6 + input.refresh.len() * 6 + 20;
    assert!(
        out.len() <= 2 * src.len() + login + 4096,
        "{} bytes from {}",
        out.len(),
        src.len()
    );

    // Reading it back gives the expiry, and a second splice changes nothing.
    assert_eq!(
        current_claude_cli_expiry(out).expect("reads back"),
        Some(input.expires_ms)
    );
    assert!(matches!(
        splice_claude_cli(Some(out), &cred),
        Ok(Splice::Unchanged)
    ));

    // Every other byte is kept: before and after the replaced stretch the result is the
    // original byte for byte ...
    assert!(replaced.start <= replaced.end && replaced.end <= src.len());
    assert_eq!(&out[..replaced.start], &src[..replaced.start]);
    assert!(out.ends_with(&src[replaced.end..]));
    // ... and the stretch was the old profile, the empty object it went into, or nothing.
    let stretch = &src[replaced.clone()];
    let before = if src.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice::<Value>(src) {
            Ok(v) => v,
            // Not JSON to serde_json (a lone surrogate escape, deeper than its limit, a
            // number beyond f64): nothing to compare with.
            Err(_) => return,
        }
    };
    // The result is JSON, and the profile holds the login.
    let doc: Value = serde_json::from_slice(out).expect("the result is JSON");
    let entry = &doc["profiles"][PROFILE_ID];
    assert_eq!(entry["type"], "oauth");
    assert_eq!(entry["provider"], "claude-cli");
    assert_eq!(entry["access"], input.access.as_str());
    assert_eq!(entry["refresh"], input.refresh.as_str());
    assert_eq!(entry["expires"], input.expires_ms);
    {
        let old = before.get("profiles").and_then(|p| p.get(PROFILE_ID));
        if !stretch.iter().all(u8::is_ascii_whitespace) {
            let was: Value = serde_json::from_slice(stretch).expect("the stretch is one value");
            match old {
                Some(old) => assert_eq!(&was, old),
                None => assert_eq!(was, Value::Object(Default::default())),
            }
        }
        // `{}` (or a blank file) becomes OpenClaw's own document, with its version.
        let empty = before.as_object().is_some_and(serde_json::Map::is_empty);
        let mut want = without_profile(before);
        if empty {
            want = serde_json::json!({"version": 1});
        }
        assert_eq!(want, without_profile(doc));
    }
}

/// A store of 8 MiB: a megabyte of blanks, the profile with deep brackets, then many members.
pub fn cap_inputs() -> Vec<CapInput> {
    let store = [
        &b"{\"version\": 1,\n"[..],
        &run_of(" ", 1024 * K),
        b"\"profiles\": {\"anthropic:claude-cli\": {\"x\": ",
        &run_of("[", 200),
        &run_of("]", 200),
        b"}, ",
        &lines(
            r#""a:b": {"type": "token", "token": "t", "n": [1, 2, {"c": null}]},"#,
            7 * 1024 * K,
        ),
        b"\"z\": {}}}\n",
    ]
    .concat();
    vec![CapInput::new("store-8mib", store)]
}
