//! What one run costs on the phone: wall time, CPU and peak RSS, measured by a small wrapper
//! process around the tap. The gateway side is [`clawauth_tests::sshd::Sshd::served_cpu_ticks`].

use std::ffi::OsString;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::time::TimeValLike;
use serde_json::{Value, json};

/// The wrapper's subcommand: `bench __measure -- PROGRAM ARGS…`.
pub const MEASURE: &str = "__measure";

/// The phone side of one run, as the wrapper reports it.
#[derive(Debug, Clone)]
pub struct PhoneSide {
    pub wall: Duration,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// user + system CPU of the tap and every process it started.
    pub cpu: Duration,
    /// The largest resident set of the tap or any process it started, KiB.
    pub max_rss_kib: u64,
}

/// Runs PROGRAM ARGS… (stdin closed, output captured), then prints one JSON line: wall time from
/// spawn to exit, exit code, output, and `getrusage(RUSAGE_CHILDREN)` — which, in this fresh
/// process, covers exactly that run and everything it waited for.
pub fn wrapper(cmd: &[OsString]) -> ExitCode {
    let Some((program, args)) = cmd.split_first() else {
        eprintln!("usage: bench {MEASURE} -- PROGRAM [ARGS…]");
        return ExitCode::from(64);
    };
    let started = Instant::now();
    let out = match Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            eprintln!("cannot run {}: {e}", program.to_string_lossy());
            return ExitCode::from(127);
        }
    };
    let wall = started.elapsed();
    let usage = match getrusage(UsageWho::RUSAGE_CHILDREN) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("getrusage: {e}");
            return ExitCode::from(70);
        }
    };
    println!(
        "{}",
        json!({
            "wall_us": wall.as_micros() as u64,
            "code": out.status.code(),
            "stdout": String::from_utf8_lossy(&out.stdout),
            "stderr": String::from_utf8_lossy(&out.stderr),
            "cpu_us": usage.user_time().num_microseconds() + usage.system_time().num_microseconds(),
            // Linux reports ru_maxrss in KiB.
            "max_rss_kib": usage.max_rss(),
        })
    );
    ExitCode::SUCCESS
}

/// Parses the wrapper's line.
pub fn parse_phone_side(line: &str) -> Result<PhoneSide, String> {
    let v: Value = serde_json::from_str(line.trim())
        .map_err(|e| format!("the measuring wrapper printed no result ({e}): {line}"))?;
    let num = |k: &str| v[k].as_u64().unwrap_or(0);
    Ok(PhoneSide {
        wall: Duration::from_micros(num("wall_us")),
        code: v["code"].as_i64().map(|c| c as i32),
        stdout: v["stdout"].as_str().unwrap_or_default().to_owned(),
        stderr: v["stderr"].as_str().unwrap_or_default().to_owned(),
        cpu: Duration::from_micros(num("cpu_us")),
        max_rss_kib: num("max_rss_kib"),
    })
}

/// Clock ticks per second of /proc's CPU times (100 on Linux).
pub fn clock_ticks() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|t| u64::try_from(t).ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}
