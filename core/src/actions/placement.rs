//! Where a repair writes, and whether it worked (DESIGN.md §Core 7: a repair targets the
//! credential that serves the flagged routes, and is judged by the re-check of those routes).
//!
//! OpenClaw picks a route's credential from the provider's candidates — the stored order, else
//! `auth.order`, else the `auth.profiles` ids, else every stored profile — taking the first one
//! that is ready (SPEC §5, §10 rules 3–4; `src/agents/auth-profiles/order.ts`,
//! `provider-model-route-auth.ts`). Its writers (`paste-token`, `paste-api-key`, `login`) put
//! the profile they write first in `auth.order` when the provider has one, or create one when
//! the provider's other profiles are of another kind (`applyAuthProfileConfig`,
//! `provider-auth-helpers.ts`); a stored order (`openclaw models auth order set`) still wins over
//! it. So a fresh token in `anthropic:manual` does nothing for routes that OpenClaw serves from
//! another token, `anthropic:claude-code`: same kind, no order, the older profile stays first.
//!
//! Without `--profile-id`, a repair therefore writes:
//! - the profile that serves the flagged routes, when the new credential can take its place
//!   (the same kind; or a token for a profile that no longer works);
//! - else a profile of the new credential's own kind (OpenClaw refuses an API key over a token,
//!   and a working OAuth login is better kept as a fallback), which OpenClaw's writer puts first;
//!   should a stored order keep it from being used, the repair puts it first there too
//!   ([`Placement::order_if_needed`]);
//! - when nothing serves the routes, the first profile of the provider's order (an expired
//!   token is dropped from the candidates, and replacing it brings the route back);
//! - when the provider has no profile at all, OpenClaw's default id.
//!
//! [`judge`] then reads the re-check: for each route the repair was for, what serves it now.

use serde::Serialize;

use crate::health::RouteOutcome;
use crate::health::env_auth::auth_provider;
use crate::health::routes::RouteKind;
use crate::health::{ProfileHealth, ProfileStatus};
use crate::openclaw::credentials::CredentialType;
use crate::report::{AgentReport, Report, Verdict, auth_provider_of};
use crate::time::format_left;

/// A route a repair is for, as the check named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteRef {
    pub agent: String,
    pub kind: RouteKind,
    pub model: String,
    /// How it fared before the repair.
    pub outcome: RouteOutcome,
}

impl RouteRef {
    /// `default anthropic/claude-opus-5` (and ` (agent work)` when `agents` > 1).
    pub fn describe(&self, agents: usize) -> String {
        let agent = if agents > 1 {
            format!(" (agent {})", self.agent)
        } else {
            String::new()
        };
        format!("{} {}{agent}", self.kind.as_str(), self.model)
    }
}

/// Why a profile was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Choice {
    /// OpenClaw selects it for the routes now, and the new credential takes its place.
    Serves,
    /// The routes run on a profile of another kind that the new credential does not replace
    /// (`served_by`); this profile holds the new kind, and OpenClaw's writer puts it first.
    OwnKind,
    /// Nothing serves the routes; it heads the provider's order (stored order, `auth.order`,
    /// `auth.profiles`), where OpenClaw will find the new credential first.
    FirstInOrder,
    /// The provider has no profile: OpenClaw's own default id for a new one.
    Default,
    /// Asked for with `--profile-id`, and it serves the routes (or nothing does).
    Requested,
    /// Asked for with `--profile-id`; OpenClaw uses another profile for the routes now.
    RequestedNotServing,
}

/// What a profile holds before the repair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Held {
    pub kind: CredentialType,
    pub status: ProfileStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
}

/// One write of a repair: which profile, for which agent, and the routes it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// `--agent` for the write; `None` when one agent was checked (the session's own agent, or
    /// OpenClaw's default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    pub profile_id: String,
    pub choice: Choice,
    /// What the profile holds now (`None`: it does not exist yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<Held>,
    /// The routes the new credential is for: the flagged ones (expiring, expired, missing),
    /// else every route of the provider.
    pub routes: Vec<RouteRef>,
    /// The profile that serves those routes now, when it is another one, and its kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub served_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub served_by_kind: Option<CredentialType>,
    /// [`Choice::OwnKind`]: the provider's auth order to set (`openclaw models auth order set`)
    /// if the re-check shows the routes still on another profile — a stored order, which
    /// OpenClaw's writer does not touch, kept the new one from being used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_if_needed: Option<Vec<String>>,
    /// How many agents the check covered (for naming routes).
    #[serde(skip)]
    pub agents: usize,
}

impl Placement {
    /// Whether any route it is for was flagged.
    pub fn flagged(&self) -> bool {
        self.routes.iter().any(|r| flagged(r.outcome))
    }

    /// The routes in words: `default anthropic/claude-opus-5, utility anthropic/claude-haiku-4-5`.
    pub fn routes_text(&self) -> String {
        self.routes
            .iter()
            .map(|r| r.describe(self.agents))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Why this profile, in words (for "storing the token as X — …").
    pub fn reason(&self) -> String {
        let routes = self.routes_text();
        let holds = self
            .held
            .as_ref()
            .map(|h| format!(" (now {} {})", h.status.as_str(), h.kind.as_str()))
            .unwrap_or_default();
        let other = self.served_by.as_deref().unwrap_or("another profile");
        match self.choice {
            Choice::Serves => format!("the profile OpenClaw uses for {routes}{holds}"),
            Choice::OwnKind => format!(
                "{routes} run on {other}, which it does not replace; OpenClaw puts this profile \
                 first{holds} (and should a stored auth order keep it second, clawauth puts it \
                 first there too)"
            ),
            Choice::FirstInOrder => {
                format!("first in OpenClaw's order for {routes}, which nothing serves now{holds}")
            }
            Choice::Default if routes.is_empty() => {
                "OpenClaw's default profile for a new credential".to_owned()
            }
            Choice::Default => {
                format!("OpenClaw's default profile; the provider has none yet for {routes}")
            }
            Choice::Requested => format!("the profile asked for{holds}"),
            Choice::RequestedNotServing => format!(
                "the profile asked for; OpenClaw uses {other} for {routes} now, and the \
                 re-check will tell whether it takes this one instead"
            ),
        }
    }
}

fn flagged(o: RouteOutcome) -> bool {
    o.fails() || o == RouteOutcome::Expiring
}

fn held(a: &AgentReport, id: &str) -> Option<Held> {
    a.profiles
        .iter()
        .find(|p| p.profile_id == id)
        .map(|p: &ProfileHealth| Held {
            kind: p.kind,
            status: p.status,
            expires_at_ms: p.expires_at_ms,
        })
}

/// What a repair is about to store.
#[derive(Debug, Clone, Copy)]
pub struct Want<'a> {
    pub provider: &'a str,
    /// What it stores: a token, an API key, or an OAuth login.
    pub kind: CredentialType,
    /// `--profile-id`.
    pub requested: Option<&'a str>,
    /// The id for a provider without any profile (`<provider>:manual` when `None`, as
    /// OpenClaw's `paste-*` does).
    pub default_id: Option<&'a str>,
}

impl<'a> Want<'a> {
    pub fn new(provider: &'a str, kind: CredentialType) -> Self {
        Self {
            provider,
            kind,
            requested: None,
            default_id: None,
        }
    }
}

/// `--agent` for writing profile `id` for agent `a`: none when one agent was checked; the
/// agent's own when the profile is in its own database (or new); for a profile it reads from
/// the shared store, the agent that owns that store — `paste-token --agent A` writes A's own
/// database, which would leave an override there instead of renewing the shared profile.
fn writer(report: &Report, a: &AgentReport, id: &str) -> Option<String> {
    if report.agents.len() <= 1 {
        return None;
    }
    let own = |b: &AgentReport| b.profiles.iter().any(|p| p.profile_id == id && !p.shared);
    let shared = a.profiles.iter().any(|p| p.profile_id == id && p.shared);
    match report.agents.iter().find(|b| own(b)) {
        Some(owner) if shared => Some(owner.agent.clone()),
        _ => Some(a.agent.clone()),
    }
}

/// The provider's order as the check resolved it (roll-up effective profiles: the resolved
/// order, else the explicit order, SPEC §4.2).
fn effective_order(a: &AgentReport, provider: &str) -> Vec<String> {
    a.providers
        .iter()
        .filter(|r| auth_provider(&r.provider) == provider)
        .flat_map(|r| r.effective_profiles.iter().cloned())
        .collect()
}

/// Whether a credential of `kind` may take the place of profile `id` (whose routes `fail` or
/// not): the same kind; or a token for a profile that no longer works (OpenClaw's
/// `paste-token` writes over any kind, `paste-api-key` only over an API key).
fn replaceable(a: &AgentReport, id: &str, kind: CredentialType, fail: bool) -> bool {
    match held(a, id) {
        None => true,
        Some(h) => h.kind == kind || (kind == CredentialType::Token && fail),
    }
}

/// A profile of `kind` for `provider` in agent `a`: the first of that kind in the order (where
/// OpenClaw's `paste-api-key` puts a key, `auth-api-key.ts`), any of that kind, else
/// `<provider>:manual` when free, else `<provider>:<kind>`.
fn own_kind(a: &AgentReport, provider: &str, kind: CredentialType) -> String {
    let of_kind = |id: &str| held(a, id).is_some_and(|h| h.kind == kind);
    if let Some(id) = effective_order(a, provider).iter().find(|id| of_kind(id)) {
        return id.clone();
    }
    if let Some(p) = a
        .profiles
        .iter()
        .find(|p| auth_provider(&p.provider) == provider && p.kind == kind)
    {
        return p.profile_id.clone();
    }
    let manual = format!("{provider}:manual");
    if held(a, &manual).is_none() {
        return manual;
    }
    let suffix = match kind {
        CredentialType::ApiKey => "api-key",
        CredentialType::Token => "token",
        CredentialType::OAuth => "default",
    };
    format!("{provider}:{suffix}")
}

/// Where a new credential goes, as OpenClaw's selection decides: one placement per agent and
/// profile (usually one).
pub fn place(report: &Report, want: &Want<'_>) -> Vec<Placement> {
    let provider = want.provider;
    let agents = report.agents.len();
    let default_id = want
        .default_id
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{provider}:manual"));
    let mut out: Vec<Placement> = Vec::new();
    for a in &report.agents {
        let of_provider: Vec<_> = a
            .routes
            .iter()
            .filter(|r| auth_provider_of(r) == provider)
            .collect();
        let wanted: Vec<_> = if of_provider.iter().any(|r| flagged(r.outcome)) {
            of_provider
                .into_iter()
                .filter(|r| flagged(r.outcome))
                .collect()
        } else {
            of_provider
        };
        for r in wanted {
            let route = RouteRef {
                agent: a.agent.clone(),
                kind: r.kind,
                model: r.model.clone(),
                outcome: r.outcome,
            };
            let fail = r.outcome.fails();
            let (id, choice, served_by) = match (want.requested, r.profile.as_deref()) {
                (Some(id), Some(serving)) if id != serving => (
                    id.to_owned(),
                    Choice::RequestedNotServing,
                    Some(serving.to_owned()),
                ),
                (Some(id), _) => (id.to_owned(), Choice::Requested, None),
                (None, Some(serving)) if replaceable(a, serving, want.kind, fail) => {
                    (serving.to_owned(), Choice::Serves, None)
                }
                (None, Some(serving)) => (
                    own_kind(a, provider, want.kind),
                    Choice::OwnKind,
                    Some(serving.to_owned()),
                ),
                (None, None) => match effective_order(a, provider).into_iter().next() {
                    Some(first) if replaceable(a, &first, want.kind, true) => {
                        (first, Choice::FirstInOrder, None)
                    }
                    Some(first) => (
                        own_kind(a, provider, want.kind),
                        Choice::OwnKind,
                        Some(first),
                    ),
                    None => (default_id.clone(), Choice::Default, None),
                },
            };
            let order_if_needed = (choice == Choice::OwnKind).then(|| {
                let mut o = vec![id.clone()];
                o.extend(
                    effective_order(a, provider)
                        .into_iter()
                        .filter(|x| *x != id),
                );
                if let Some(s) = &served_by
                    && !o.contains(s)
                {
                    o.push(s.clone());
                }
                o
            });
            let agent = writer(report, a, &id);
            match out
                .iter_mut()
                .find(|p| p.agent == agent && p.profile_id == id)
            {
                Some(p) => {
                    p.routes.push(route);
                    if p.served_by.is_none() {
                        p.served_by = served_by;
                    }
                    if choice == Choice::RequestedNotServing {
                        p.choice = choice;
                    }
                }
                None => out.push(Placement {
                    agent,
                    held: held(a, &id),
                    profile_id: id,
                    choice,
                    routes: vec![route],
                    served_by_kind: served_by
                        .as_deref()
                        .and_then(|x| held(a, x))
                        .map(|h| h.kind),
                    served_by,
                    order_if_needed,
                    agents,
                }),
            }
        }
    }
    if out.is_empty() {
        // No route of the provider (or no readable check): OpenClaw's own choice of id.
        let (id, choice) = match want.requested {
            Some(id) => (id.to_owned(), Choice::Requested),
            None => (default_id, Choice::Default),
        };
        let held = report
            .agents
            .first()
            .and_then(|a| held(a, &id))
            .filter(|_| agents == 1);
        out.push(Placement {
            agent: None,
            profile_id: id,
            choice,
            held,
            routes: Vec::new(),
            served_by: None,
            served_by_kind: None,
            order_if_needed: None,
            agents,
        });
    }
    out
}

/// A route after the repair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteAfter {
    pub route: RouteRef,
    /// How it fares now (`None`: the re-check no longer lists it, or could not be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<RouteOutcome>,
    /// The profile that serves it now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// That profile's status, expiry and time left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ProfileStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_ms: Option<i64>,
    /// Whether the profile written serves it now.
    pub uses_new: bool,
    /// The re-check's words for the route when no profile serves it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl RouteAfter {
    /// Whether the route works beyond the warn window now.
    pub fn fixed(&self) -> bool {
        self.outcome == Some(RouteOutcome::Ok)
    }

    /// How the route is served now, after its name: `uses anthropic:claude-code (ok, 364d
    /// left)`, `still uses anthropic:claude-code (expiring, 5h left)`, `is missing: …`.
    fn state(&self) -> String {
        let Some(outcome) = self.outcome else {
            return "is no longer in the re-check".to_owned();
        };
        let health = match (self.status, self.remaining_ms) {
            (Some(s), Some(ms)) => format!(" ({}, {})", s.as_str(), format_left(ms)),
            (Some(s), None) => format!(" ({})", s.as_str()),
            _ => String::new(),
        };
        match (&self.profile, self.fixed()) {
            (Some(p), _) if self.uses_new => format!("now uses {p}{health}"),
            (Some(p), true) => format!("uses {p}{health}"),
            (Some(p), false) => format!("still uses {p}{health}"),
            (None, true) => "works (a credential outside the profile store)".to_owned(),
            (None, false) if self.detail.is_empty() => format!("is {}", outcome.as_str()),
            (None, false) => format!("is {}: {}", outcome.as_str(), self.detail),
        }
    }
}

/// What the re-check says about the routes a repair was for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Judgement {
    pub routes: Vec<RouteAfter>,
    /// Every route the repair was for works now (and there was at least one).
    pub fixed: bool,
    /// The gateway's verdict after the repair (other routes included).
    pub verdict: Verdict,
}

impl Judgement {
    /// What serves the routes now, routes with the same state named together:
    /// `default anthropic/claude-opus-5, utility anthropic/claude-haiku-4-5 now use
    /// anthropic:claude-code (ok, 364d 23h left)`.
    pub fn summary(&self, agents: usize) -> String {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for r in &self.routes {
            let state = r.state();
            let name = r.route.describe(agents);
            match groups.iter_mut().find(|(s, _)| *s == state) {
                Some((_, names)) => names.push(name),
                None => groups.push((state, vec![name])),
            }
        }
        groups
            .into_iter()
            .map(|(state, names)| {
                // "uses" → "use" for several routes.
                let state = if names.len() > 1 {
                    state
                        .replacen("now uses ", "now use ", 1)
                        .replacen("still uses ", "still use ", 1)
                        .replacen("uses ", "use ", 1)
                        .replacen("is ", "are ", 1)
                } else {
                    state
                };
                format!("{} {state}", names.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Reads `after` for the routes of `placements`.
pub fn judge(placements: &[Placement], after: &Report) -> Judgement {
    let mut routes = Vec::new();
    for p in placements {
        for r in &p.routes {
            let agent = after.agents.iter().find(|a| a.agent == r.agent);
            let now = agent.and_then(|a| {
                a.routes
                    .iter()
                    .find(|x| x.kind == r.kind && x.model == r.model)
            });
            let profile = now.and_then(|x| x.profile.clone());
            let health = agent.and_then(|a| {
                profile
                    .as_deref()
                    .and_then(|id| a.profiles.iter().find(|h| h.profile_id == id))
            });
            routes.push(RouteAfter {
                route: r.clone(),
                detail: now.map(|x| x.detail.clone()).unwrap_or_default(),
                outcome: now.map(|x| x.outcome),
                uses_new: profile.as_deref() == Some(p.profile_id.as_str()),
                profile,
                status: health.map(|h| h.status),
                expires_at_ms: health.and_then(|h| h.expires_at_ms),
                remaining_ms: health.and_then(|h| h.remaining_ms),
            });
        }
    }
    Judgement {
        fixed: !routes.is_empty() && routes.iter().all(RouteAfter::fixed),
        routes,
        verdict: after.verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::RouteResult;
    use crate::health::evaluate::ProviderRollup;
    use crate::report::{AgentReport, SourceKind};
    use CredentialType::{ApiKey, OAuth, Token};

    fn profile(id: &str, kind: CredentialType, status: ProfileStatus) -> ProfileHealth {
        ProfileHealth {
            profile_id: id.to_owned(),
            provider: id.split(':').next().unwrap_or_default().to_owned(),
            kind,
            status,
            reason_code: None,
            expires_at_ms: Some(1),
            remaining_ms: Some(1),
            label: id.to_owned(),
            source: "store".into(),
            shared: false,
        }
    }

    fn route(kind: RouteKind, model: &str, outcome: RouteOutcome, p: Option<&str>) -> RouteResult {
        RouteResult {
            kind,
            model: model.to_owned(),
            provider: model.split('/').next().unwrap_or_default().to_owned(),
            runtime: None,
            outcome,
            profile: p.map(str::to_owned),
            via: p.map(|_| "profile".to_owned()),
            detail: String::new(),
        }
    }

    fn agent(name: &str, routes: Vec<RouteResult>, profiles: Vec<ProfileHealth>) -> AgentReport {
        let mut a = AgentReport::new(name, SourceKind::Direct);
        a.routes = routes;
        a.profiles = profiles;
        a
    }

    fn report(agents: Vec<AgentReport>) -> Report {
        let now = chrono::Utc::now();
        let mut r = Report::new("gw", now, now, 86_400_000);
        r.agents = agents;
        r.finish();
        r
    }

    fn requested(id: &str) -> Want<'_> {
        Want {
            requested: Some(id),
            ..Want::new("anthropic", Token)
        }
    }

    const OPUS: &str = "anthropic/claude-opus-5";
    const HAIKU: &str = "anthropic/claude-haiku-4-5";

    #[test]
    fn the_profile_serving_the_flagged_routes_is_written_not_the_default() {
        let r = report(vec![agent(
            "main",
            vec![
                route(
                    RouteKind::Default,
                    OPUS,
                    RouteOutcome::Expiring,
                    Some("anthropic:claude-code"),
                ),
                route(
                    RouteKind::Fallback,
                    "openrouter/x",
                    RouteOutcome::Ok,
                    Some("openrouter:manual"),
                ),
                route(
                    RouteKind::Utility,
                    HAIKU,
                    RouteOutcome::Expiring,
                    Some("anthropic:claude-code"),
                ),
            ],
            vec![
                profile(
                    "anthropic:claude-code",
                    CredentialType::Token,
                    ProfileStatus::Expiring,
                ),
                profile("anthropic:manual", CredentialType::Token, ProfileStatus::Ok),
            ],
        )]);
        let p = place(&r, &Want::new("anthropic", Token));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].profile_id, "anthropic:claude-code");
        assert_eq!(p[0].choice, Choice::Serves);
        assert_eq!(p[0].agent, None);
        assert_eq!(
            p[0].routes_text(),
            "default anthropic/claude-opus-5, utility anthropic/claude-haiku-4-5"
        );
        assert!(
            p[0].reason().contains("now expiring token"),
            "{}",
            p[0].reason()
        );
    }

    #[test]
    fn nothing_serving_takes_the_head_of_the_order_else_the_default() {
        let mut a = agent(
            "main",
            vec![route(RouteKind::Default, OPUS, RouteOutcome::Missing, None)],
            vec![profile(
                "anthropic:work",
                CredentialType::Token,
                ProfileStatus::Expired,
            )],
        );
        a.providers = vec![ProviderRollup {
            provider: "anthropic".into(),
            status: ProfileStatus::Expired,
            profiles: vec!["anthropic:work".into()],
            effective_profiles: vec!["anthropic:work".into()],
            expires_at_ms: None,
            remaining_ms: None,
        }];
        let p = place(&report(vec![a.clone()]), &Want::new("anthropic", Token));
        assert_eq!(
            (p[0].profile_id.as_str(), p[0].choice),
            ("anthropic:work", Choice::FirstInOrder)
        );
        a.providers.clear();
        a.profiles.clear();
        let p = place(
            &report(vec![a]),
            &Want {
                default_id: Some("anthropic:claude-code"),
                ..Want::new("anthropic", Token)
            },
        );
        assert_eq!(
            (p[0].profile_id.as_str(), p[0].choice),
            ("anthropic:claude-code", Choice::Default)
        );
    }

    #[test]
    fn two_agents_served_by_their_own_profiles_get_one_write_each() {
        let r = report(vec![
            agent(
                "main",
                vec![route(
                    RouteKind::Default,
                    OPUS,
                    RouteOutcome::Expiring,
                    Some("anthropic:shared"),
                )],
                vec![],
            ),
            agent(
                "second",
                vec![route(
                    RouteKind::Default,
                    OPUS,
                    RouteOutcome::Expiring,
                    Some("anthropic:default"),
                )],
                vec![],
            ),
        ]);
        let p = place(&r, &Want::new("anthropic", Token));
        let got: Vec<_> = p
            .iter()
            .map(|p| (p.agent.as_deref(), p.profile_id.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (Some("main"), "anthropic:shared"),
                (Some("second"), "anthropic:default")
            ]
        );
        assert!(p[1].routes_text().contains("(agent second)"));
    }

    #[test]
    fn a_shared_profile_serving_two_agents_is_written_once_through_its_owner() {
        let mut shared = profile(
            "anthropic:shared",
            CredentialType::Token,
            ProfileStatus::Expiring,
        );
        let main = agent(
            "main",
            vec![route(
                RouteKind::Default,
                OPUS,
                RouteOutcome::Expiring,
                Some("anthropic:shared"),
            )],
            vec![shared.clone()],
        );
        shared.shared = true;
        let second = agent(
            "second",
            vec![route(
                RouteKind::Default,
                OPUS,
                RouteOutcome::Expiring,
                Some("anthropic:shared"),
            )],
            vec![shared],
        );
        let p = place(&report(vec![second, main]), &Want::new("anthropic", Token));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].agent.as_deref(), Some("main"));
        assert_eq!(
            p[0].routes_text(),
            "default anthropic/claude-opus-5 (agent second), default anthropic/claude-opus-5 (agent main)"
        );
    }

    #[test]
    fn a_requested_profile_that_does_not_serve_is_said_so() {
        let r = report(vec![agent(
            "main",
            vec![route(
                RouteKind::Default,
                OPUS,
                RouteOutcome::Expiring,
                Some("anthropic:claude-code"),
            )],
            vec![],
        )]);
        let p = place(&r, &requested("anthropic:manual"));
        assert_eq!(p[0].choice, Choice::RequestedNotServing);
        assert_eq!(p[0].served_by.as_deref(), Some("anthropic:claude-code"));
        assert!(p[0].reason().contains("the re-check will tell"));
        let p = place(&r, &requested("anthropic:claude-code"));
        assert_eq!(p[0].choice, Choice::Requested);
    }

    #[test]
    fn without_flagged_routes_every_route_of_the_provider_counts_and_other_providers_none() {
        let r = report(vec![agent(
            "main",
            vec![
                route(
                    RouteKind::Default,
                    OPUS,
                    RouteOutcome::Ok,
                    Some("anthropic:manual"),
                ),
                route(
                    RouteKind::Fallback,
                    "openai/gpt-5",
                    RouteOutcome::Missing,
                    None,
                ),
            ],
            vec![],
        )]);
        let p = place(&r, &Want::new("anthropic", Token));
        assert_eq!(p[0].profile_id, "anthropic:manual");
        assert!(!p[0].flagged());
        let p = place(&r, &Want::new("openrouter", Token));
        assert_eq!(
            (p[0].profile_id.as_str(), p[0].choice),
            ("openrouter:manual", Choice::Default)
        );
        assert!(p[0].routes.is_empty());
    }

    #[test]
    fn a_credential_of_another_kind_goes_to_a_profile_of_its_own_kind() {
        let mut a = agent(
            "main",
            vec![route(
                RouteKind::Default,
                OPUS,
                RouteOutcome::Expiring,
                Some("anthropic:claude-code"),
            )],
            vec![
                profile("anthropic:claude-code", Token, ProfileStatus::Expiring),
                profile("anthropic:manual", Token, ProfileStatus::Ok),
            ],
        );
        a.providers = vec![ProviderRollup {
            provider: "anthropic".into(),
            status: ProfileStatus::Expiring,
            profiles: vec!["anthropic:claude-code".into(), "anthropic:manual".into()],
            effective_profiles: vec!["anthropic:claude-code".into(), "anthropic:manual".into()],
            expires_at_ms: None,
            remaining_ms: None,
        }];
        let key = Want::new("anthropic", ApiKey);
        let p = place(&report(vec![a.clone()]), &key);
        assert_eq!(
            (p[0].profile_id.as_str(), p[0].choice),
            ("anthropic:api-key", Choice::OwnKind),
            "manual holds a token, so a new id"
        );
        assert_eq!(p[0].served_by.as_deref(), Some("anthropic:claude-code"));
        assert_eq!(
            p[0].order_if_needed.as_deref(),
            Some(
                &[
                    "anthropic:api-key".to_owned(),
                    "anthropic:claude-code".to_owned(),
                    "anthropic:manual".to_owned()
                ][..]
            )
        );
        a.profiles
            .push(profile("anthropic:key", ApiKey, ProfileStatus::Static));
        let p = place(&report(vec![a.clone()]), &key);
        assert_eq!(
            p[0].profile_id, "anthropic:key",
            "an existing API-key profile"
        );
        // A token replaces a token in place, with no order change.
        let p = place(&report(vec![a.clone()]), &Want::new("anthropic", Token));
        assert_eq!(
            (p[0].profile_id.as_str(), p[0].order_if_needed.as_ref()),
            ("anthropic:claude-code", None)
        );
        // A working OAuth login is kept; a token replaces one that fails.
        a.profiles[0].kind = OAuth;
        let p = place(&report(vec![a.clone()]), &Want::new("anthropic", Token));
        assert_eq!(
            (p[0].profile_id.as_str(), p[0].choice),
            ("anthropic:manual", Choice::OwnKind)
        );
        a.routes[0].outcome = RouteOutcome::Indeterminate;
        let p = place(&report(vec![a]), &Want::new("anthropic", Token));
        assert_eq!(
            (p[0].profile_id.as_str(), p[0].choice),
            ("anthropic:claude-code", Choice::Serves)
        );
    }

    #[test]
    fn the_judgement_reads_the_routes_the_repair_was_for() {
        let before = report(vec![agent(
            "main",
            vec![route(
                RouteKind::Default,
                OPUS,
                RouteOutcome::Expiring,
                Some("anthropic:claude-code"),
            )],
            vec![],
        )]);
        let p = place(&before, &Want::new("anthropic", Token));
        let fixed = report(vec![agent(
            "main",
            vec![route(
                RouteKind::Default,
                OPUS,
                RouteOutcome::Ok,
                Some("anthropic:claude-code"),
            )],
            vec![profile(
                "anthropic:claude-code",
                CredentialType::Token,
                ProfileStatus::Ok,
            )],
        )]);
        let j = judge(&p, &fixed);
        assert!(j.fixed && j.routes[0].uses_new, "{j:?}");
        assert_eq!(
            j.summary(1),
            "default anthropic/claude-opus-5 now uses anthropic:claude-code (ok, <1m left)"
        );
        assert_eq!(j.routes[0].status, Some(ProfileStatus::Ok));
        let j = judge(&place(&before, &requested("anthropic:manual")), &before);
        assert!(!j.fixed);
        assert!(!j.routes[0].uses_new);
        assert_eq!(
            j.routes[0].profile.as_deref(),
            Some("anthropic:claude-code")
        );
        assert_eq!(
            j.summary(1),
            "default anthropic/claude-opus-5 still uses anthropic:claude-code"
        );
    }
}
