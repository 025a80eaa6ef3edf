//! `--format simple`: one word, compatible with the old `claude-auth-status.sh simple` and the
//! widget scripts that parse it: `OK`, `CLAUDE_EXPIRING`, `OPENCLAW_EXPIRING`, `CLAUDE_EXPIRED`,
//! `OPENCLAW_EXPIRED`, `UNREACHABLE`. `CLAUDE_*` when the problem is an Anthropic (Claude)
//! credential, `OPENCLAW_*` for anything else OpenClaw reports; expired beats expiring.

use super::{Report, Verdict};
use crate::health::RouteOutcome;
use crate::health::env_auth::auth_provider;

/// The one word for a report.
pub fn word(report: &Report) -> &'static str {
    let claude_route = |pred: &dyn Fn(RouteOutcome) -> bool| {
        report.agents.iter().any(|a| {
            a.verdict == report.verdict
                && a.routes.iter().any(|r| {
                    pred(r.outcome)
                        && (auth_provider(&r.provider) == "anthropic"
                            || r.runtime.as_deref() == Some("claude-cli"))
                })
        })
    };
    match report.verdict {
        Verdict::Ok => "OK",
        Verdict::Unknown => "UNREACHABLE",
        Verdict::Expired if claude_route(&|o| o.fails()) => "CLAUDE_EXPIRED",
        Verdict::Expired => "OPENCLAW_EXPIRED",
        Verdict::Expiring if claude_route(&|o| o == RouteOutcome::Expiring) => "CLAUDE_EXPIRING",
        Verdict::Expiring => "OPENCLAW_EXPIRING",
    }
}
