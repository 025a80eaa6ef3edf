//! Running a repair against a gateway over SSH: connect, probe, run the job, close — all within
//! one deadline. Every front end (the CLI, the taps, the widget) runs its repairs through here,
//! so a repair that cannot reach its gateway fails the same way everywhere, as a [`Problem`].
//!
//! Cancellation: the returned future owns the connection. Dropping it (a cancelled coroutine on
//! the phone, a Ctrl-C) drops the connection, which closes its channels; sshd then hangs up the
//! gateway's side (`claude setup-token`'s PTY, a paste waiting for its input) before anything
//! is stored, so the old credential stays in place.

use std::future::Future;
use std::time::Duration;

use super::{Session, Target};
use crate::gateway::Gateway;
use crate::report::{Phase, Problem};
use crate::source::remote::Connection;
use crate::ssh::{ConnectOptions, SshGateway};

/// A repair (or a check) run over one [`Session`].
pub trait Job {
    type Output;
    fn run<G: Gateway>(self, s: &Session<'_, G>) -> impl Future<Output = Self::Output> + Send;
}

/// Why a job never ran: the gateway could not be reached, probed, or not in time. `problem` is
/// what a front end acts on; `message` is the whole story in words (the keys tried, the
/// known_hosts line), facts only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Unreached {
    pub problem: Problem,
    pub message: String,
}

impl From<Unreached> for Problem {
    fn from(u: Unreached) -> Self {
        u.problem
    }
}

/// Connects to gateway `name` at `ssh_target`, opens a [`Session`] for `target` and runs `job`,
/// all within `deadline`; closes the connection either way.
pub async fn over_ssh<J: Job>(
    name: &str,
    ssh_target: &str,
    opts: &ConnectOptions,
    target: Target,
    deadline: Duration,
    job: J,
) -> Result<J::Output, Box<Unreached>> {
    let work = async {
        let gw = crate::ssh::connect(name, ssh_target, opts)
            .await
            .map_err(|e| {
                Box::new(Unreached {
                    problem: e.problem(),
                    message: e.to_string(),
                })
            })?;
        let out = run_on(&gw, target, job).await;
        gw.close().await;
        out
    };
    tokio::time::timeout(deadline, work)
        .await
        .unwrap_or_else(|_| {
            let problem = Problem::timed_out(Phase::Deadline, deadline);
            Err(Box::new(Unreached {
                message: problem.describe(),
                problem,
            }))
        })
}

/// Opens the session on a connected gateway and runs `job`.
async fn run_on<J: Job>(
    gw: &SshGateway,
    target: Target,
    job: J,
) -> Result<J::Output, Box<Unreached>> {
    let conn = Connection {
        transport: crate::report::Transport::Ssh,
        destination: gw.destination.clone(),
        connect_time: gw.connect_time,
    };
    match Session::open(gw, conn, target).await {
        Ok(s) => Ok(job.run(&s).await),
        Err(e) => Err(Box::new(Unreached {
            problem: Problem::GatewayCommandFailed {
                reason: e.to_string(),
            },
            message: e.to_string(),
        })),
    }
}

/// What the person asked for this one repair, over what config.toml says of the host: each
/// `Some` wins over the host's setting.
#[derive(Debug, Clone, Default)]
pub struct TargetChoices {
    pub agent: Option<String>,
    /// OpenClaw's state directory on the gateway.
    pub state_dir: Option<String>,
    /// The openclaw program on the gateway.
    pub openclaw: Option<String>,
    /// The gateway's systemd user service.
    pub service: Option<String>,
    /// Check the gateway as of this moment (time travel for tests and what-ifs).
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The repair target of host `entry` (none: this machine) with `choices` over its settings,
/// refused before anything connects when an agent id, path or service name could not be passed
/// safely.
pub fn target_for(
    entry: Option<&crate::config::HostEntry>,
    defaults: &crate::config::Defaults,
    choices: TargetChoices,
) -> Result<Target, Problem> {
    use crate::source::remote::{Origin, RemoteRequest, SetBy};
    let pick = |chosen: Option<String>, configured: Option<&String>| match (chosen, configured) {
        (Some(c), _) => (Some(c), Origin::Flag),
        (None, Some(c)) => (Some(c.clone()), Origin::ConfigToml),
        (None, None) => (None, Origin::Unsaid),
    };
    let (state_dir, state_dir_by) =
        pick(choices.state_dir, entry.and_then(|e| e.state_dir.as_ref()));
    let (openclaw, openclaw_by) = pick(choices.openclaw, entry.and_then(|e| e.openclaw.as_ref()));
    let clawauth = entry.and_then(|e| e.clawauth.clone());
    let req = RemoteRequest {
        agent: choices
            .agent
            .or_else(|| entry.and_then(|e| e.agent.clone())),
        state_dir,
        openclaw,
        set_by: SetBy {
            state_dir: state_dir_by,
            openclaw: openclaw_by,
            clawauth: if clawauth.is_some() {
                Origin::ConfigToml
            } else {
                Origin::Unsaid
            },
        },
        clawauth,
        cli_timeout: defaults.cli_timeout,
        at: choices.at,
        ..RemoteRequest::default()
    };
    req.validate()
        .map_err(|reason| Problem::InvalidInput { reason })?;
    let service = choices
        .service
        .or_else(|| entry.and_then(|e| e.service.clone()))
        .unwrap_or_else(|| crate::config::DEFAULT_SERVICE.to_owned());
    crate::validate::validate_service_name(&service).map_err(|e| Problem::InvalidInput {
        reason: format!("service {service:?}: {e}"),
    })?;
    Ok(Target { req, service })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Defaults, HostEntry};
    use crate::source::remote::Origin;

    fn entry() -> HostEntry {
        HostEntry {
            ssh: "me@gw".into(),
            agent: Some("work".into()),
            state_dir: Some("/srv/oc".into()),
            service: Some("oc.service".into()),
            ..HostEntry::default()
        }
    }

    #[test]
    fn choices_win_over_config_and_each_path_knows_where_it_came_from() {
        let d = Defaults::default();
        let t = target_for(Some(&entry()), &d, TargetChoices::default()).expect("target");
        assert_eq!(t.req.agent.as_deref(), Some("work"));
        assert_eq!(t.req.set_by.state_dir, Origin::ConfigToml);
        assert_eq!(t.req.set_by.openclaw, Origin::Unsaid);
        assert_eq!(t.service, "oc.service");
        let chosen = TargetChoices {
            agent: Some("main".into()),
            state_dir: Some("~/oc".into()),
            service: Some("other".into()),
            ..TargetChoices::default()
        };
        let t = target_for(Some(&entry()), &d, chosen).expect("target");
        assert_eq!(t.req.agent.as_deref(), Some("main"));
        assert_eq!(t.req.state_dir.as_deref(), Some("~/oc"));
        assert_eq!(t.req.set_by.state_dir, Origin::Flag);
        assert_eq!(t.service, "other");
        // This machine: the default service.
        let t = target_for(None, &d, TargetChoices::default()).expect("target");
        assert_eq!(t.service, crate::config::DEFAULT_SERVICE);
    }

    #[test]
    fn what_cannot_be_passed_safely_is_refused_as_invalid_input() {
        let d = Defaults::default();
        for choices in [
            TargetChoices {
                agent: Some("a;reboot".into()),
                ..TargetChoices::default()
            },
            TargetChoices {
                state_dir: Some("relative/dir".into()),
                ..TargetChoices::default()
            },
            TargetChoices {
                service: Some("x$(id)".into()),
                ..TargetChoices::default()
            },
        ] {
            match target_for(Some(&entry()), &d, choices) {
                Err(Problem::InvalidInput { .. }) => {}
                other => panic!("{other:?}"),
            }
        }
    }
}
