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

/// Connects to gateway `name` at `ssh_target`, opens a [`Session`] for `target` and runs `job`,
/// all within `deadline`; closes the connection either way.
pub async fn over_ssh<J: Job>(
    name: &str,
    ssh_target: &str,
    opts: &ConnectOptions,
    target: Target,
    deadline: Duration,
    job: J,
) -> Result<J::Output, Problem> {
    let work = async {
        let gw = crate::ssh::connect(name, ssh_target, opts)
            .await
            .map_err(|e| e.problem())?;
        let out = run_on(&gw, target, job).await;
        gw.close().await;
        out
    };
    tokio::time::timeout(deadline, work)
        .await
        .unwrap_or(Err(Problem::timed_out(Phase::Deadline, deadline)))
}

/// Opens the session on a connected gateway and runs `job`.
async fn run_on<J: Job>(gw: &SshGateway, target: Target, job: J) -> Result<J::Output, Problem> {
    let conn = Connection {
        transport: crate::report::Transport::Ssh,
        destination: gw.destination.clone(),
        connect_time: gw.connect_time,
    };
    match Session::open(gw, conn, target).await {
        Ok(s) => Ok(job.run(&s).await),
        Err(e) => Err(Problem::GatewayCommandFailed {
            reason: e.to_string(),
        }),
    }
}

/// The repair target of a configured host: its agent, paths and service from config.toml.
pub fn target_of(entry: &crate::config::HostEntry, defaults: &crate::config::Defaults) -> Target {
    use crate::source::remote::{Origin, RemoteRequest, SetBy};
    Target {
        req: RemoteRequest {
            agent: entry.agent.clone(),
            state_dir: entry.state_dir.clone(),
            openclaw: entry.openclaw.clone(),
            clawauth: entry.clawauth.clone(),
            cli_timeout: defaults.cli_timeout,
            set_by: SetBy {
                state_dir: Origin::ConfigToml,
                openclaw: Origin::ConfigToml,
                clawauth: Origin::ConfigToml,
            },
            ..RemoteRequest::default()
        },
        service: entry
            .service
            .clone()
            .unwrap_or_else(|| crate::config::DEFAULT_SERVICE.to_owned()),
    }
}
