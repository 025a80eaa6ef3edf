//! OpenClaw 2026.9.x's health rules as pure functions, `now` passed in (SPEC §4–5, §10).

pub mod bootstrap;
pub mod collate;
pub mod env_auth;
pub mod evaluate;
pub mod model_ref;
pub mod profile;
pub mod routes;

pub use collate::collate;
pub use evaluate::{AgentEvaluation, AgentInputs, RouteOutcome, RouteResult, evaluate};
pub use profile::{ProfileHealth, ProfileStatus};
