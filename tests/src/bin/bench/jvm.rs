//! The widget's path: one app process (a JVM, as the widget's process on the phone) checking the
//! gateway through the UniFFI bindings (`bindings/kotlin/src/bench/kotlin/clawauth/BenchTap.kt`),
//! one check per request. `tests/bench.sh` builds it (the release library, its Kotlin, the tap)
//! and says where in `CLAWAUTH_BENCH_JVM_CP` (the class path) and `CLAWAUTH_BENCH_JNA_PATH`
//! (the directory of libclawauth_ffi.so).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use clawauth_tests::lab::Lab;

/// A running app process.
pub struct JvmTap {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    _dir: tempfile::TempDir,
}

/// What one check cost in the app process.
pub struct Checked {
    pub wall: Duration,
    pub cpu: Duration,
    pub level: String,
}

impl JvmTap {
    /// Starts the app with its own files directory (the phone's key and a known_hosts line for
    /// the proxy's port), checking `target` (`root@127.0.0.1:PORT`). The app first puts the
    /// clawauth binary `helper` on the gateway (`hostsInstall`), as the widget does once; it is
    /// there already, so that only records where it is.
    pub fn start(
        lab: &Lab,
        target: &str,
        known_hosts_line: &str,
        helper: &std::path::Path,
    ) -> Result<Self, String> {
        let cp = std::env::var("CLAWAUTH_BENCH_JVM_CP").map_err(|_| {
            "CLAWAUTH_BENCH_JVM_CP is not set: run the benchmark with tests/bench.sh, which builds the widget's path (or pass --no-jvm)".to_owned()
        })?;
        let jna = std::env::var("CLAWAUTH_BENCH_JNA_PATH")
            .map_err(|_| "CLAWAUTH_BENCH_JNA_PATH is not set: run tests/bench.sh".to_owned())?;
        let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
        let ssh = dir.path().join("files/.ssh");
        std::fs::create_dir_all(&ssh).map_err(|e| format!("{}: {e}", ssh.display()))?;
        std::fs::copy(&lab.key.private, ssh.join("id_ed25519"))
            .map_err(|e| format!("copy the phone's key: {e}"))?;
        std::fs::write(ssh.join("known_hosts"), format!("{known_hosts_line}\n"))
            .map_err(|e| format!("known_hosts: {e}"))?;
        let mut child = Command::new("java")
            .arg(format!("-Djna.library.path={jna}"))
            .arg("-cp")
            .arg(&cp)
            .arg("clawauth.BenchTapKt")
            .arg(dir.path())
            .arg(target)
            .arg(helper)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                format!("cannot start java (Debian package openjdk-17-jre-headless): {e}")
            })?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut tap = JvmTap {
            child,
            stdin,
            stdout,
            _dir: dir,
        };
        match tap.line()?.as_str() {
            "ready" => Ok(tap),
            other => Err(format!("the JVM tap did not start: {other:?}")),
        }
    }

    fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err("the JVM tap exited".to_owned()),
            Ok(_) => Ok(line.trim_end().to_owned()),
            Err(e) => Err(format!("reading the JVM tap: {e}")),
        }
    }

    /// One check through the bindings.
    pub fn check(&mut self) -> Result<Checked, String> {
        writeln!(self.stdin, "check").map_err(|e| format!("the JVM tap: {e}"))?;
        self.stdin
            .flush()
            .map_err(|e| format!("the JVM tap: {e}"))?;
        let line = self.line()?;
        let mut f = line.split(' ');
        match (f.next(), f.next(), f.next(), f.next()) {
            (Some("done"), Some(wall), Some(cpu), Some(level)) => Ok(Checked {
                wall: Duration::from_nanos(wall.parse().map_err(|_| line.clone())?),
                cpu: Duration::from_nanos(cpu.parse().map_err(|_| line.clone())?),
                level: level.to_owned(),
            }),
            _ => Err(format!("the JVM tap answered {line:?}")),
        }
    }
}

impl Drop for JvmTap {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
