//! What one run costs: the phone side (wall time, CPU, peak RSS, measured by a small wrapper
//! process around the tap) and the gateway side (CPU of everything under the listening sshd).

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

/// Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on Linux).
pub fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// Fields 14–17 of `/proc/PID/stat` (utime, stime, cutime, cstime), summed, in clock ticks: the
/// CPU the process used plus all its children that were waited for. For the listening sshd that
/// is every connection it served, down to the commands run in them, once each connection ended.
pub fn tree_cpu_ticks(pid: u32) -> Result<u64, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("cannot read /proc/{pid}/stat: {e}"))?;
    // The command name (field 2) may hold spaces; the fields after it follow its last ')'.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| format!("malformed /proc/{pid}/stat"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): field N is fields[N - 3].
    (14..=17)
        .map(|n| {
            fields
                .get(n - 3)
                .and_then(|f| f.parse::<u64>().ok())
                .ok_or_else(|| format!("malformed /proc/{pid}/stat (field {n})"))
        })
        .sum()
}

/// Processes whose parent is `pid` (zombies included: they have not been waited for yet).
pub fn children(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| {
                    let rest = s.rsplit_once(')')?.1.to_owned();
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

/// Waits until `pid` has no children left (at most `timeout`): then every connection's CPU is
/// in its counters. `false` when some are still there.
pub fn wait_childless(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if children(pid).is_empty() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
