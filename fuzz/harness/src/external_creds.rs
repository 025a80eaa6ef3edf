//! The credential files of the tools beside OpenClaw, as a gateway holds them: Claude Code's
//! `.credentials.json`, Codex's `auth.json` (its JWTs' claims included) and the MiniMax CLI's
//! `oauth_creds.json`, read by `openclaw::external` and shown in a report's Claude Code and
//! Codex sections. Properties beyond "no panic":
//! - an expiry becomes a remaining time by checked arithmetic (the fuzz build has overflow
//!   checks on), and the sections are inert text on every surface;
//! - no token in the files reaches an output.

use arbitrary::Arbitrary;
use clawauth_core::openclaw::env::Environment;
use clawauth_core::openclaw::external::{
    jwt_claims, read_claude_code, read_codex, read_minimax_login,
};
use clawauth_core::source::{SourceChoice, StatusRequest, status};

use crate::cap::{CapInput, K, run_of, section};

#[derive(Arbitrary, Debug, Default)]
struct Input<'a> {
    claude: Option<&'a [u8]>,
    codex: Option<&'a [u8]>,
    minimax: Option<&'a [u8]>,
    at_offset_ms: Option<i64>,
    jwt: &'a str,
}

fn raw(rest: &[u8]) -> Input<'_> {
    let mut i = Input::default();
    for (name, content) in crate::sections(rest) {
        match name {
            "claude" => i.claude = Some(content),
            "codex" => i.codex = Some(content),
            "minimax" => i.minimax = Some(content),
            _ => {}
        }
    }
    i
}

fn env_with(input: &Input<'_>) -> Environment {
    let home = crate::scratch().join("home");
    crate::put(&home.join(".claude/.credentials.json"), input.claude);
    crate::put(&home.join(".codex/auth.json"), input.codex);
    crate::put(&home.join(".minimax/oauth_creds.json"), input.minimax);
    // An OpenClaw state dir with an empty config: the report is about these files.
    crate::put(&home.join(".openclaw/openclaw.json"), Some(b"{}"));
    Environment::empty()
        .with("HOME", home.as_str())
        .with("PATH", "/nonexistent")
}

/// What the fuzz target does with one input.
pub fn run(data: &[u8]) {
    let cap = data.strip_prefix(crate::CAP);
    let input = match cap {
        Some(rest) => raw(rest),
        None => match crate::decode(data, raw) {
            Some(i) => i,
            None => return,
        },
    };
    let env = env_with(&input);
    let _ = read_claude_code(&env);
    let _ = read_codex(&env);
    let _ = read_minimax_login(&env);
    let _ = jwt_claims(input.jwt);
    let taken_at = clawauth_core::time::from_ms(crate::FIXTURE_NOW_MS);
    let req = StatusRequest {
        source: SourceChoice::Direct,
        at: input
            .at_offset_ms
            .and_then(|o| crate::FIXTURE_NOW_MS.checked_add(o))
            .and_then(chrono::DateTime::from_timestamp_millis),
        ..StatusRequest::default()
    };
    let report = crate::runtime().block_on(status(&env, &req, taken_at));
    if cap.is_some() {
        return;
    }
    crate::surfaces::show_report(&report, false, None, crate::FIXTURE_NOW_MS, 1);
    let json = clawauth_core::display::to_json(&report).expect("json");
    let human = clawauth_core::report::human::render(&report, false);
    for doc in [input.claude, input.codex, input.minimax]
        .into_iter()
        .flatten()
    {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(doc) else {
            continue;
        };
        let mut tokens = Vec::new();
        collect_tokens(&v, &mut tokens);
        for t in tokens {
            assert!(
                !json.contains(&t) && !human.contains(&t),
                "a token reached an output: {t}"
            );
        }
    }
}

/// Token values long enough that nothing else could show them whole.
fn collect_tokens(v: &serde_json::Value, out: &mut Vec<String>) {
    if let serde_json::Value::Object(o) = v {
        for (k, v) in o {
            match v {
                serde_json::Value::String(s)
                    if k.to_ascii_lowercase().contains("token") || k == "OPENAI_API_KEY" =>
                {
                    if s.len() >= 24
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                    {
                        out.push(s.clone());
                    }
                }
                other => collect_tokens(other, out),
            }
        }
    }
}

/// Claude Code's and Codex's files with a megabyte-long token each.
pub fn cap_inputs() -> Vec<CapInput> {
    let claude = [
        &b"{\"claudeAiOauth\":{\"accessToken\":\""[..],
        &run_of("a", 1024 * K),
        b"\",\"expiresAt\":9223372036854775807}}",
    ]
    .concat();
    let codex = [
        &b"{\"tokens\":{\"id_token\":\"a."[..],
        &run_of("QUFB", 1024 * K),
        b".c\"}}",
    ]
    .concat();
    vec![CapInput::new(
        "big-creds",
        [section("claude", &claude), section("codex", &codex)].concat(),
    )]
}
