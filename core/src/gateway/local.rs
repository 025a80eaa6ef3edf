//! The gateway on this machine: commands are spawned directly (no shell between clawauth and
//! the program), each in its own process group so a timeout kills everything it started.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::{Command, Gateway, GatewayError, Limits, Output, Pty, PtyEvent, PtySize, Stream};
use crate::openclaw::env::Environment;

/// This machine as a gateway. Programs see `env` (not clawauth's own environment, so tests and
/// callers decide exactly what OpenClaw sees).
#[derive(Debug, Clone)]
pub struct LocalGateway {
    name: String,
    env: Environment,
}

impl LocalGateway {
    pub fn new(name: impl Into<String>, env: Environment) -> Self {
        Self {
            name: name.into(),
            env,
        }
    }

    fn expand(&self, program: &str) -> String {
        match (program.strip_prefix("~/"), self.env.os_home()) {
            (Some(rest), Some(home)) => home.join(rest).into_string(),
            _ => program.to_owned(),
        }
    }

    fn command(&self, program: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(self.expand(program));
        cmd.env_clear()
            .envs(self.env.iter())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        cmd
    }

    async fn run(
        &self,
        mut cmd: tokio::process::Command,
        what: &str,
        stdin: Option<&[u8]>,
        limits: Limits,
    ) -> Result<Output, GatewayError> {
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let started = Instant::now();
        let mut child = cmd.spawn().map_err(|e| GatewayError::Spawn {
            program: what.to_owned(),
            reason: e.to_string(),
        })?;
        let pgid = child.id();
        let input = child.stdin.take();
        let mut out = child.stdout.take();
        let mut err = child.stderr.take();
        let work = async {
            let feed = async {
                if let (Some(mut pipe), Some(bytes)) = (input, stdin) {
                    // A program that exits without reading its input is not an error.
                    let _ = pipe.write_all(bytes).await;
                    let _ = pipe.shutdown().await;
                }
            };
            let read_out = async {
                let (bytes, truncated) = read_capped(out.as_mut(), limits.stdout_cap, false).await;
                if truncated {
                    // Stop the program now: it would block on a full pipe.
                    kill_group(pgid);
                }
                (bytes, truncated)
            };
            let (_, (stdout, truncated), (stderr, _)) = tokio::join!(
                feed,
                read_out,
                read_capped(err.as_mut(), limits.stderr_cap, true)
            );
            let status = child
                .wait()
                .await
                .map_err(|e| GatewayError::Io(e.to_string()))?;
            Ok::<_, GatewayError>((status, stdout, stderr, truncated))
        };
        match tokio::time::timeout(limits.timeout, work).await {
            Err(_) => {
                kill_group(pgid);
                Err(GatewayError::Timeout {
                    what: format!("`{what}`"),
                    after: limits.timeout,
                })
            }
            Ok(Err(e)) => {
                kill_group(pgid);
                Err(e)
            }
            Ok(Ok((status, stdout, stderr, truncated))) => {
                use std::os::unix::process::ExitStatusExt;
                Ok(Output {
                    stdout,
                    stderr,
                    status: status.code(),
                    signal: status.signal().map(|s| format!("signal {s}")),
                    truncated,
                    duration: started.elapsed(),
                })
            }
        }
    }
}

/// Reads up to `cap` bytes; past the cap, reports truncation (the caller stops the program) or,
/// with `drain`, keeps reading and drops the rest so the program never blocks on a full pipe.
async fn read_capped<R: AsyncRead + Unpin>(
    r: Option<&mut R>,
    cap: usize,
    drain: bool,
) -> (Vec<u8>, bool) {
    let mut buf = Vec::new();
    let Some(r) = r else {
        return (buf, false);
    };
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => return (buf, false),
            Ok(n) => {
                let room = cap.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..n.min(room)]);
                if n > room && !drain {
                    return (buf, true);
                }
            }
        }
    }
}

fn kill_group(pgid: Option<u32>) {
    if let Some(pid) = pgid
        .and_then(|p| i32::try_from(p).ok())
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

impl Gateway for LocalGateway {
    type Pty = LocalPty;

    fn name(&self) -> &str {
        &self.name
    }

    async fn exec(
        &self,
        cmd: &Command,
        stdin: Option<&[u8]>,
        limits: Limits,
    ) -> Result<Output, GatewayError> {
        let mut c = self.command(&cmd.program);
        c.args(&cmd.args);
        for (k, v) in &cmd.env {
            c.env(k, v);
        }
        let what = cmd.describe();
        self.run(c, &what, stdin, limits).await
    }

    async fn exec_script(
        &self,
        script: &str,
        stdin: Option<&[u8]>,
        limits: Limits,
    ) -> Result<Output, GatewayError> {
        let mut c = self.command("/bin/sh");
        c.arg("-c").arg(script);
        if let Some(home) = self.env.os_home() {
            c.current_dir(home.as_std_path());
        }
        self.run(c, "/bin/sh -c …", stdin, limits).await
    }

    async fn open_pty(&self, cmd: &Command, size: PtySize) -> Result<LocalPty, GatewayError> {
        LocalPty::spawn(self, cmd, size)
    }

    async fn forward(&self, host: &str, port: u16) -> Result<Box<dyn Stream>, GatewayError> {
        let addrs = crate::ssh::resolve::resolve(&self.env, host, port, Duration::from_secs(5))
            .await
            .map_err(|e| GatewayError::Io(e.to_string()))?;
        let s = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::TcpStream::connect(&addrs[..]),
        )
        .await
        .map_err(|_| GatewayError::Timeout {
            what: format!("connecting to {host}:{port}"),
            after: Duration::from_secs(5),
        })?
        .map_err(|e| GatewayError::Io(format!("cannot connect to {host}:{port}: {e}")))?;
        Ok(Box::new(s))
    }
}

/// A program on a pseudo-terminal of this machine.
pub struct LocalPty {
    master: tokio::fs::File,
    child: tokio::process::Child,
    done: bool,
}

impl LocalPty {
    fn spawn(gw: &LocalGateway, cmd: &Command, size: PtySize) -> Result<Self, GatewayError> {
        use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
        let io =
            |e: rustix::io::Errno| GatewayError::Io(format!("cannot open a pseudo-terminal: {e}"));
        let master =
            openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).map_err(io)?;
        grantpt(&master).map_err(io)?;
        unlockpt(&master).map_err(io)?;
        let name = ptsname(&master, Vec::new()).map_err(io)?;
        let slave_path = std::path::PathBuf::from(
            <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(name.as_bytes()),
        );
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&slave_path)
            .map_err(|e| GatewayError::Io(format!("cannot open {}: {e}", slave_path.display())))?;
        let winsize = rustix::termios::Winsize {
            ws_row: u16::try_from(size.rows).unwrap_or(24),
            ws_col: u16::try_from(size.cols).unwrap_or(80),
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let _ = rustix::termios::tcsetwinsize(&slave, winsize);
        let dup = |f: &std::fs::File| {
            f.try_clone()
                .map(Stdio::from)
                .map_err(|e| GatewayError::Io(e.to_string()))
        };
        let mut c = gw.command(&cmd.program);
        c.args(&cmd.args)
            .env("TERM", "xterm-256color")
            .stdin(dup(&slave)?)
            .stdout(dup(&slave)?)
            .stderr(dup(&slave)?);
        for (k, v) in &cmd.env {
            c.env(k, v);
        }
        let child = c.spawn().map_err(|e| GatewayError::Spawn {
            program: cmd.program.clone(),
            reason: e.to_string(),
        })?;
        drop(slave);
        Ok(Self {
            master: tokio::fs::File::from_std(std::fs::File::from(master)),
            child,
            done: false,
        })
    }
}

impl Pty for LocalPty {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), GatewayError> {
        self.master
            .write_all(bytes)
            .await
            .map_err(|e| GatewayError::Io(e.to_string()))?;
        self.master
            .flush()
            .await
            .map_err(|e| GatewayError::Io(e.to_string()))
    }

    async fn next(&mut self) -> Option<PtyEvent> {
        if self.done {
            return None;
        }
        let mut buf = vec![0u8; 8192];
        match self.master.read(&mut buf).await {
            Ok(n) if n > 0 => {
                buf.truncate(n);
                Some(PtyEvent::Output(buf))
            }
            // EIO once the last writer on the terminal is gone: the program ended.
            _ => {
                self.done = true;
                let status = self.child.wait().await.ok().and_then(|s| s.code());
                Some(PtyEvent::Exit(status))
            }
        }
    }

    async fn resize(&mut self, size: PtySize) -> Result<(), GatewayError> {
        let winsize = rustix::termios::Winsize {
            ws_row: u16::try_from(size.rows).unwrap_or(24),
            ws_col: u16::try_from(size.cols).unwrap_or(80),
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        rustix::termios::tcsetwinsize(&self.master, winsize)
            .map_err(|e| GatewayError::Io(e.to_string()))
    }

    async fn close(&mut self) {
        kill_group(self.child.id());
        let _ = self.child.wait().await;
        self.done = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gw() -> LocalGateway {
        LocalGateway::new(
            "here",
            Environment::empty()
                .with("PATH", "/usr/bin:/bin")
                .with("HOME", "/tmp"),
        )
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn exec_feeds_stdin_and_collects_status() {
        rt().block_on(async {
            let out = gw()
                .exec(
                    &Command::new("/bin/sh").args(["-c", "cat; echo err >&2; exit 3"]),
                    Some(b"hello"),
                    Limits::new(Duration::from_secs(5), 1024),
                )
                .await
                .expect("exec");
            assert_eq!(out.stdout, b"hello");
            assert_eq!(out.stderr, b"err\n");
            assert_eq!(out.status, Some(3));
        });
    }

    #[test]
    fn exec_caps_output_and_times_out() {
        rt().block_on(async {
            let out = gw()
                .exec_script("yes", None, Limits::new(Duration::from_secs(5), 1000))
                .await
                .expect("exec");
            assert!(out.truncated);
            assert_eq!(out.stdout.len(), 1000);
            let started = Instant::now();
            let err = gw()
                .exec_script(
                    "sleep 30",
                    None,
                    Limits::new(Duration::from_millis(200), 1000),
                )
                .await
                .expect_err("timeout");
            assert!(matches!(err, GatewayError::Timeout { .. }), "{err}");
            assert!(started.elapsed() < Duration::from_secs(5));
        });
    }

    #[test]
    fn read_file_distinguishes_missing() {
        rt().block_on(async {
            let t = tempfile::tempdir().expect("tmp");
            let p = t.path().join("it's here");
            std::fs::write(&p, b"content").expect("write");
            let g = gw();
            let timeout = Duration::from_secs(5);
            let path = p.to_str().expect("utf8");
            assert_eq!(
                g.read_file(path, 100, timeout).await.expect("read"),
                Some(b"content".to_vec())
            );
            assert_eq!(
                g.read_file(&format!("{path}.nope"), 100, timeout)
                    .await
                    .expect("read"),
                None
            );
            assert!(g.read_file(path, 3, timeout).await.is_err());
        });
    }

    #[test]
    fn pty_runs_an_interactive_program() {
        rt().block_on(async {
            let mut pty = gw()
                .open_pty(
                    &Command::new("/bin/sh").args(["-c", "read x; echo got:$x; test -t 0"]),
                    PtySize::default(),
                )
                .await
                .expect("pty");
            pty.write(b"abc\n").await.expect("write");
            let (seen, exit) = super::super::transcript(&mut pty, Duration::from_secs(5)).await;
            assert!(String::from_utf8_lossy(&seen).contains("got:abc"));
            assert_eq!(exit, Some(Some(0)), "stdin is a terminal");
        });
    }
}
