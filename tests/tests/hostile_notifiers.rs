//! The monitor against hostile receivers: an ntfy server (the tests' own real HTTP server,
//! tests/src/ntfy.rs) that answers with an endless, a 4 GiB or a byte-a-second body, and
//! notifier programs that leave a child holding their output open or hang with children. Each
//! run must finish with a clear result — the alert delivered, or not and why — without taking
//! gigabytes, hanging, or leaving a hung notifier's processes behind. The gateway is this
//! machine, with a recorded OpenClaw state whose token expires in 23 h (an alert is due).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use clawauth_tests::hostile::output_measured;
use clawauth_tests::lab::text;
use clawauth_tests::ntfy::{Behaviour, NtfyServer};
use clawauth_tests::{RestoredHome, clawauth_bin, conformance_cases, set_mode};

const HANG_GUARD: Duration = Duration::from_secs(60);

struct Gateway {
    home: RestoredHome,
    now: i64,
}

impl Gateway {
    fn new() -> Gateway {
        let c = conformance_cases()
            .into_iter()
            .find(|c| {
                c.name
                    .starts_with("current-new/a_token_expiring_23h/pinned")
            })
            .expect("case");
        Gateway {
            home: RestoredHome::new(&c),
            now: c.now_ms,
        }
    }

    fn path(&self) -> &Path {
        self.home.path()
    }

    fn configure(&self, monitor: &str) {
        let dir = self.path().join(".config/clawauth");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("config.toml"), format!("[monitor]\n{monitor}")).expect("config");
    }

    /// `clawauth monitor --local`, under the hang guard.
    fn monitor(&self) -> Output {
        self.monitor_measured().0
    }

    /// [`Gateway::monitor`] and its peak resident set in KiB.
    fn monitor_measured(&self) -> (Output, u64) {
        let mut cmd = Command::new(clawauth_bin());
        cmd.args(["monitor", "--local", "--at", &self.now.to_string()])
            .arg("--state-file")
            .arg(self.path().join("monitor.json"))
            .env_clear()
            .env("HOME", self.path())
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("CLAWAUTH_SECRET_STORE", "file");
        output_measured(&mut cmd, HANG_GUARD)
    }

    /// Configures `[monitor.command]`: a script running `body` (which writes the pid of a
    /// child it starts to `$1`) with `timeout`; returns where that pid will be.
    fn notifier(&self, body: &str, timeout: &str) -> PathBuf {
        let script = self.path().join("send-alert");
        std::fs::write(&script, format!("#!/bin/sh\n{body}")).expect("script");
        set_mode(&script, 0o755);
        let pid_file = self.path().join("child.pid");
        self.configure(&format!(
            "[monitor.command]\nprogram = \"{}\"\nargs = [\"{}\"]\ntimeout = \"{timeout}\"\n",
            script.display(),
            pid_file.display()
        ));
        pid_file
    }
}

/// The pid a notifier wrote.
fn pid_in(file: &Path) -> i32 {
    std::fs::read_to_string(file)
        .expect("pid")
        .trim()
        .parse()
        .expect("a pid")
}

/// Whether process `pid` is gone (or a zombie nobody reaped yet).
fn gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

#[test]
fn monitor_reports_an_ntfy_server_that_answers_without_end_and_stays_small() {
    let gw = Gateway::new();
    let ntfy = NtfyServer::start();
    gw.configure(&format!(
        "[monitor.ntfy]\nserver = \"{}\"\ntopic = \"gw-alerts\"\ntimeout = \"5s\"\n",
        ntfy.url()
    ));
    for (behaviour, says) in [
        (
            Behaviour::EndlessBody(500),
            "answered 500 Internal Server Error: {\"code\":50001",
        ),
        (
            Behaviour::HugeBody(503),
            "answered 503 Service Unavailable: {\"code\":50001",
        ),
    ] {
        ntfy.set_default(behaviour);
        let (out, peak) = gw.monitor_measured();
        let all = text(&out);
        // Reading such an answer whole would take gigabytes.
        assert!(
            peak < 128 * 1024,
            "{behaviour:?}: the run peaked at {peak} KiB"
        );
        assert_eq!(out.status.code(), Some(1), "{behaviour:?}: {all}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("NOT SENT ntfy")
                && stdout.contains(says)
                && stdout.contains("(an answer longer than 65536 bytes, not read further)")
                && stdout.contains("it will be retried on the next run"),
            "{behaviour:?}: {all}"
        );
    }
    ntfy.set_default(Behaviour::SlowBody(500));
    let started = Instant::now();
    let out = gw.monitor();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("its answer could not be read (timed out"),
        "{all}"
    );
    // Two attempts of at most 5 s each (the configured timeout covers the body), not 1000 s.
    assert!(started.elapsed() < HANG_GUARD);

    ntfy.set_default(Behaviour::Normal);
    let out = gw.monitor();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        ntfy.published_to("gw-alerts").len(),
        1,
        "delivered once it behaves"
    );
}

#[test]
fn a_notifier_whose_child_keeps_its_output_open_counts_as_delivered() {
    let gw = Gateway::new();
    // Exits 0 at once, leaving a child that holds its stderr (and stdout) for a minute.
    let pid_file = gw.notifier(
        "cat > /dev/null\nsleep 60 &\necho $! > \"$1\"\nexit 0\n",
        "20s",
    );
    let started = Instant::now();
    let out = gw.monitor();
    let took = started.elapsed();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("sent command"),
        "{all}"
    );
    // Not held up by the child until the notifier's 20 s timeout (a hang guard, not a timing
    // assertion: any honest run is far below it).
    assert!(took < Duration::from_secs(20), "took {took:?}: {all}");
    let pid = pid_in(&pid_file);
    assert!(
        !gone(pid),
        "the notifier's child was not killed: it was delivered"
    );
    let _ = Command::new("kill").arg(pid.to_string()).status();
}

#[test]
fn a_hung_notifier_is_killed_with_the_processes_it_started() {
    let gw = Gateway::new();
    let pid_file = gw.notifier("sleep 300 &\necho $! > \"$1\"\nexec sleep 300\n", "2s");
    let out = gw.monitor();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("did not finish within 2s and was killed with the processes it started"),
        "{all}"
    );
    let pid = pid_in(&pid_file);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !gone(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let alive = !gone(pid);
    if alive {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
    assert!(!alive, "the hung notifier's child {pid} still runs");
}
