//! The commands that fix a credential, built once for every front end (the human report, the
//! monitor's alerts, the taps, sync): each is made of words and shell-quoted with
//! [`crate::display::command_line`], so a profile id or provider from the gateway — which can
//! hold anything — comes out as one quoted word. Over SSH the command to run here (the phone)
//! comes first, then the one to run on the gateway.

use serde::{Deserialize, Serialize};

use crate::display::{command_line, visible};
use crate::openclaw::credentials::CredentialType;

/// Where a fix command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunsOn {
    /// Where clawauth ran: the phone for a gateway checked over SSH.
    Here,
    /// On the gateway host.
    Gateway,
}

/// One command that fixes a problem.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FixCommand {
    pub runs_on: RunsOn,
    /// The programs' argument vectors, run one after the other (`&&`); empty when the fix is
    /// advice in words rather than a command (OpenClaw's own hint text, say).
    #[serde(default)]
    pub argv: Vec<Vec<String>>,
    /// What to copy: `argv` as one shell-quoted line, or the advice made [`visible`].
    pub line: String,
}

impl FixCommand {
    /// A command of `argv`s joined by `&&`, each word shell-quoted.
    pub fn of(runs_on: RunsOn, argv: Vec<Vec<String>>) -> Self {
        let line = argv
            .iter()
            .map(command_line)
            .collect::<Vec<_>>()
            .join(" && ");
        Self {
            runs_on,
            argv,
            line,
        }
    }

    /// Advice in words (text from OpenClaw or a gateway, shown as data).
    pub fn advice(runs_on: RunsOn, text: &str) -> Self {
        Self {
            runs_on,
            argv: Vec::new(),
            line: visible(text).into_owned(),
        }
    }
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| (*s).to_owned()).collect()
}

/// What renews one credential.
#[derive(Debug, Clone, Copy)]
pub struct Renewal<'a> {
    /// The provider whose credential serves the routes (`anthropic` for the Claude CLI runtime).
    pub auth: &'a str,
    pub kind: Option<CredentialType>,
    pub profile_id: Option<&'a str>,
    /// The agent, when commands must name it (several agents, or not `main`).
    pub agent: Option<&'a str>,
}

impl Renewal<'_> {
    fn agent_words(&self, argv: &mut Vec<String>) {
        if let Some(a) = self.agent {
            argv.extend(["--agent".to_owned(), a.to_owned()]);
        }
    }

    /// The OpenClaw command, run on the gateway: a login for OAuth, a new API key for keys, a
    /// setup-token for Anthropic tokens (the `models auth` writers of SPEC §6).
    pub fn openclaw(&self) -> FixCommand {
        let mut argv = match (self.auth, self.kind) {
            ("anthropic", Some(CredentialType::OAuth)) => words(&[
                "openclaw",
                "models",
                "auth",
                "login",
                "--provider",
                "anthropic",
            ]),
            ("anthropic", Some(CredentialType::ApiKey)) => words(&[
                "openclaw",
                "models",
                "auth",
                "paste-api-key",
                "--provider",
                "anthropic",
            ]),
            ("anthropic", _) => {
                let mut a = words(&[
                    "openclaw",
                    "models",
                    "auth",
                    "paste-token",
                    "--provider",
                    "anthropic",
                ]);
                if let Some(id) = self.profile_id {
                    a.extend(["--profile-id".to_owned(), id.to_owned()]);
                }
                a.extend(["--expires-in".to_owned(), "365d".to_owned()]);
                let mut paste = a;
                self.agent_words(&mut paste);
                return FixCommand::of(
                    RunsOn::Gateway,
                    vec![words(&["claude", "setup-token"]), paste],
                );
            }
            (p, Some(CredentialType::ApiKey)) => {
                let mut a = words(&["openclaw", "models", "auth", "paste-api-key", "--provider"]);
                a.push(p.to_owned());
                a
            }
            (p, _) => {
                let mut a = words(&["openclaw", "models", "auth", "login", "--provider"]);
                a.push(p.to_owned());
                a
            }
        };
        self.agent_words(&mut argv);
        FixCommand::of(RunsOn::Gateway, vec![argv])
    }

    /// The clawauth command, run where clawauth runs: `clawauth reauth` (the provider unless
    /// it is Anthropic), or `clawauth api-key paste --provider P` for an API key; with
    /// `--host NAME` when the gateway is reached over SSH. No `--profile-id`: without one,
    /// clawauth renews the profile that serves the flagged routes.
    pub fn clawauth(&self, host: Option<&str>) -> FixCommand {
        let api_key = self.kind == Some(CredentialType::ApiKey);
        let mut argv = if api_key {
            words(&["clawauth", "api-key", "paste"])
        } else {
            words(&["clawauth", "reauth"])
        };
        if let Some(h) = host {
            argv.extend(["--host".to_owned(), h.to_owned()]);
        }
        if api_key || self.auth != "anthropic" {
            argv.extend(["--provider".to_owned(), self.auth.to_owned()]);
        }
        self.agent_words(&mut argv);
        FixCommand::of(RunsOn::Here, vec![argv])
    }

    /// Every fix, the one to try first first: over SSH (`host` given) clawauth's on the phone,
    /// then OpenClaw's on the gateway; on the gateway itself OpenClaw's only.
    pub fn fixes(&self, host: Option<&str>) -> Vec<FixCommand> {
        match host {
            Some(_) => vec![self.clawauth(host), self.openclaw()],
            None => vec![self.openclaw()],
        }
    }
}

/// What renews a profile that OpenClaw disabled or cooled down: for an auth failure, a new
/// login of that profile (OpenClaw's `recoveryHint`, `src/agents/auth-profiles/usage.ts`, as
/// mirrored in `health::evaluate`), built from words; else OpenClaw's advice as text.
pub fn unusable_fix(
    provider: &str,
    profile_id: &str,
    reason: Option<&str>,
    hint: &str,
) -> FixCommand {
    let login = |p: &str| {
        words(&["openclaw", "models", "auth", "login", "--provider"])
            .into_iter()
            .chain([p.to_owned()])
            .collect::<Vec<_>>()
    };
    match reason {
        Some("auth" | "auth_permanent" | "session_expired") if provider == "claude-cli" => {
            let mut a = login("anthropic");
            a.extend(["--method", "cli", "--profile-id", profile_id].map(str::to_owned));
            FixCommand::of(
                RunsOn::Gateway,
                vec![words(&["claude", "auth", "login"]), a],
            )
        }
        Some("auth" | "auth_permanent" | "session_expired") => {
            let mut a = login(provider);
            a.extend(["--profile-id".to_owned(), profile_id.to_owned()]);
            FixCommand::of(RunsOn::Gateway, vec![a])
        }
        _ => FixCommand::advice(RunsOn::Gateway, hint),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_words_quoted_and_the_phone_comes_first_over_ssh() {
        let r = Renewal {
            auth: "anthropic",
            kind: Some(CredentialType::Token),
            profile_id: Some("anthropic:x;reboot"),
            agent: None,
        };
        let f = r.fixes(Some("gw"));
        assert_eq!(f.len(), 2);
        assert_eq!(
            (f[0].runs_on, f[0].line.as_str()),
            (RunsOn::Here, "clawauth reauth --host gw")
        );
        assert_eq!(f[1].runs_on, RunsOn::Gateway);
        assert_eq!(
            f[1].line,
            "claude setup-token && openclaw models auth paste-token --provider anthropic --profile-id 'anthropic:x;reboot' --expires-in 365d"
        );
        assert_eq!(
            f[1].argv[1][7], "anthropic:x;reboot",
            "argv keeps the raw word"
        );
        assert_eq!(
            r.fixes(None).len(),
            1,
            "on the gateway: OpenClaw's command only"
        );

        let key = Renewal {
            auth: "open$(touch x)router",
            kind: Some(CredentialType::ApiKey),
            profile_id: None,
            agent: Some("work"),
        };
        assert_eq!(
            key.clawauth(Some("gw")).line,
            "clawauth api-key paste --host gw --provider 'open$(touch x)router' --agent work"
        );
        assert_eq!(
            key.openclaw().line,
            "openclaw models auth paste-api-key --provider 'open$(touch x)router' --agent work"
        );
        let oauth = Renewal {
            auth: "openai\u{1b}[2J",
            kind: Some(CredentialType::OAuth),
            profile_id: None,
            agent: None,
        };
        assert_eq!(
            oauth.clawauth(None).line,
            "clawauth reauth --provider 'openai\\e[2J'"
        );
    }

    #[test]
    fn unusable_profiles_get_a_login_for_auth_failures_and_advice_otherwise() {
        assert_eq!(
            unusable_fix("openai", "openai:it's", Some("auth"), "ignored").line,
            "openclaw models auth login --provider openai --profile-id 'openai:it'\\''s'"
        );
        assert_eq!(
            unusable_fix("claude-cli", "claude-cli:a", Some("session_expired"), "").line,
            "claude auth login && openclaw models auth login --provider anthropic --method cli --profile-id claude-cli:a"
        );
        let advice = unusable_fix("x", "x:y", Some("rate_limit"), "Wait\u{7}.");
        assert!(advice.argv.is_empty());
        assert_eq!(advice.line, "Wait\\a.");
    }
}
