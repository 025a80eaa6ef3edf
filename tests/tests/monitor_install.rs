//! `clawauth monitor install` and `uninstall`: the systemd user units it writes pass systemd's
//! own checker (`systemd-analyze verify`, which is shown to fail on broken units), systemctl is
//! asked exactly what it should be (the `tests/standins/systemctl` stand-in plays the user
//! manager, with a user bus or without), a user's own unit of the same name is never replaced
//! without --force nor removed, `--print` and `--cron` write nothing, the crontab line runs the
//! right program with the right arguments when a shell runs it as cron would, and bad intervals
//! and hostile host names are refused.
//!
//! A refusal because a unit is the user's own exits 64 (EXIT_USAGE), as `hosts add` does for an
//! existing host without --force.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use clawauth_tests::{clawauth, clawauth_bin, set_mode, standins::standin_path, tree_hashes};

const SERVICE: &str = "clawauth-monitor.service";
const TIMER: &str = "clawauth-monitor.timer";
const MARKER: &str = "# Written by clawauth monitor install";
/// A secret in the installing environment: it must never reach a unit file or the output.
const NTFY_SECRET: &str = "tk_FAKE_never_write_me_0123456789";

/// A HOME with the systemctl stand-in in `bin/`, first on PATH.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).expect("mkdir bin");
        std::fs::copy(standin_path("systemctl"), bin.join("systemctl")).expect("copy stand-in");
        set_mode(&bin.join("systemctl"), 0o755);
        std::fs::create_dir_all(dir.path().join("home")).expect("mkdir home");
        Self { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// PATH with the stand-in first.
    fn path(&self) -> String {
        format!(
            "{}:/usr/local/bin:/usr/bin:/bin",
            self.dir.path().join("bin").display()
        )
    }

    /// The default unit directory (no XDG_CONFIG_HOME).
    fn units(&self) -> PathBuf {
        self.home().join(".config/systemd/user")
    }

    /// Lets the stand-in reach a user manager.
    fn with_bus(&self) {
        let d = self.home().join(".standin-systemctl");
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join("bus"), "").expect("bus");
    }

    /// The systemctl calls so far (arguments only).
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.home().join(".standin-systemctl/calls"))
            .unwrap_or_default()
            .lines()
            .map(|l| l.split(" | ").next().unwrap_or_default().to_owned())
            .collect()
    }

    /// `clawauth ARGS` with HOME, the stand-in's PATH, a secret in the environment, and `extra`.
    fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        self.run_bin(&clawauth_bin(), args, extra)
    }

    fn run_bin(&self, bin: &Path, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .env_clear()
            .env("HOME", self.home())
            .env("PATH", self.path())
            .env("CLAWAUTH_NTFY_TOKEN", NTFY_SECRET)
            .stdin(Stdio::null());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run clawauth");
        for stream in [&out.stdout, &out.stderr] {
            assert!(
                !String::from_utf8_lossy(stream).contains(NTFY_SECRET),
                "the secret was printed"
            );
        }
        out
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{}", show(out));
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// The value of `Key=` in a unit (the first one).
fn setting(unit: &str, key: &str) -> String {
    let prefix = format!("{key}=");
    unit.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {key}= in\n{unit}"))
        .to_owned()
}

/// `systemd-analyze`, which must be installed (never a skip).
fn systemd_analyze() -> PathBuf {
    ["/usr/bin", "/bin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join("systemd-analyze"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "systemd-analyze is missing: install it with apt-get install systemd \
                 (tests/install-tools.sh does)"
            )
        })
}

/// `systemd-analyze verify --user SERVICE TIMER` with a private runtime dir.
fn verify(home: &Path, service: &Path, timer: &Path) -> Output {
    let runtime = tempfile::tempdir().expect("runtime dir");
    set_mode(runtime.path(), 0o700);
    Command::new(systemd_analyze())
        .args(["verify", "--user"])
        .arg(service)
        .arg(timer)
        .env_clear()
        .env("HOME", home)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::null())
        .output()
        .expect("run systemd-analyze")
}

/// Verify passes, and says nothing: systemd only warns (and ignores the line, exit 0) about a
/// badly escaped Environment= value, so a warning counts as a failure here.
fn assert_verifies(home: &Path, dir: &Path) {
    let out = verify(home, &dir.join(SERVICE), &dir.join(TIMER));
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "systemd-analyze verify: {}\n--- service\n{}--- timer\n{}",
        show(&out),
        read(&dir.join(SERVICE)),
        read(&dir.join(TIMER))
    );
}

#[test]
fn generated_units_pass_systemd_analyze_verify() {
    let variants: &[(&[&str], &str)] = &[
        (&[], "*-*-* *:00/30:00"),
        (&["--every", "15m", "--local"], "*-*-* *:00/15:00"),
        (&["--every", "2h", "--all"], "*-*-* 00/2:00:00"),
        (
            &["--every", "5m", "--host", "a", "--host", "b"],
            "*-*-* *:00/5:00",
        ),
        (
            &["--every", "24h", "--host", "pi@10.0.0.2:2222"],
            "*-*-* 00:00:00",
        ),
    ];
    for (extra, calendar) in variants {
        let h = Home::new();
        h.with_bus();
        let mut args = vec!["monitor", "install", "--systemd"];
        args.extend_from_slice(extra);
        let out = h.run(&args, &[]);
        assert_exit(&out, 0);
        let service = read(&h.units().join(SERVICE));
        let timer = read(&h.units().join(TIMER));
        assert!(service.starts_with(MARKER) && timer.starts_with(MARKER));
        assert_eq!(setting(&timer, "OnCalendar"), *calendar, "{extra:?}");
        assert_eq!(setting(&service, "Type"), "oneshot");
        let selection = match extra {
            ["--every", _, rest @ ..] => rest,
            all => all,
        };
        let mut exec = format!("{} monitor", clawauth_bin().display());
        for a in selection.iter() {
            exec.push(' ');
            exec.push_str(a);
        }
        assert_eq!(setting(&service, "ExecStart"), exec, "{extra:?}");
        assert!(!service.contains(NTFY_SECRET) && !timer.contains(NTFY_SECRET));
        assert_verifies(&h.home(), &h.units());
    }
}

/// The awkward variant: the binary under a directory with a space and a `%`, CLAWAUTH_CONFIG
/// with a space, `%`, `$`, a backslash and a quote, and XDG_CONFIG_HOME with a space and `%`.
#[test]
fn awkward_paths_are_escaped_for_systemd() {
    let h = Home::new();
    h.with_bus();
    let bin_dir = h.dir.path().join("my bin %z");
    std::fs::create_dir_all(&bin_dir).expect("mkdir");
    let bin = bin_dir.join("clawauth");
    std::fs::copy(clawauth_bin(), &bin).expect("copy clawauth");
    set_mode(&bin, 0o755);
    let config = format!(
        "{}/my conf %z $HOME \\ \"q\"/config.toml",
        h.dir.path().display()
    );
    let xdg = h.dir.path().join("conf %z home");
    let xdg_s = xdg.to_str().expect("utf-8");
    let out = h.run_bin(
        &bin,
        &["monitor", "install", "--systemd", "--every", "10m", "--all"],
        &[("CLAWAUTH_CONFIG", &config), ("XDG_CONFIG_HOME", xdg_s)],
    );
    assert_exit(&out, 0);
    let dir = xdg.join("systemd/user");
    let service = read(&dir.join(SERVICE));
    assert_eq!(
        setting(&service, "ExecStart"),
        format!(
            "\"{}/my bin %%z/clawauth\" monitor --all",
            h.dir.path().display()
        )
    );
    assert!(
        service.contains(&format!(
            "\nEnvironment=\"CLAWAUTH_CONFIG={}/my conf %%z $HOME \\\\ \\\"q\\\"/config.toml\"\n",
            h.dir.path().display()
        )),
        "{service}"
    );
    assert!(service.contains(&format!(
        "\nEnvironmentFile=-{}/conf %%z home/clawauth/monitor.env\n",
        h.dir.path().display()
    )));
    assert_verifies(&h.home(), &dir);
    // The stand-in found the units where systemd would (enable needs the file).
    assert_eq!(
        h.calls(),
        [
            "--user daemon-reload",
            "--user enable --now clawauth-monitor.timer"
        ]
    );
}

/// The check above means something: verify fails on a bad calendar, a program that is not
/// there, and a `%` left unescaped.
#[test]
fn verify_fails_on_broken_units() {
    let h = Home::new();
    let out = h.run(&["monitor", "install", "--systemd"], &[]);
    assert_exit(&out, 0);
    let good_service = read(&h.units().join(SERVICE));
    let good_timer = read(&h.units().join(TIMER));
    let broken = tempfile::tempdir().expect("tempdir");
    let check = |service: &str, timer: &str| {
        std::fs::write(broken.path().join(SERVICE), service).expect("write");
        std::fs::write(broken.path().join(TIMER), timer).expect("write");
        verify(
            &h.home(),
            &broken.path().join(SERVICE),
            &broken.path().join(TIMER),
        )
    };
    // Unchanged copies pass, so what fails below fails for the change.
    assert!(check(&good_service, &good_timer).status.success());
    let bad_calendar = good_timer.replace("OnCalendar=*-*-* *:00/30:00", "OnCalendar=*:0/7x");
    assert_ne!(bad_calendar, good_timer);
    let out = check(&good_service, &bad_calendar);
    assert!(
        !out.status.success(),
        "bad OnCalendar passed: {}",
        show(&out)
    );
    let exe = setting(&good_service, "ExecStart");
    let missing = good_service.replace(&exe, "/nonexistent/clawauth monitor");
    let out = check(&missing, &good_timer);
    assert!(
        !out.status.success(),
        "missing program passed: {}",
        show(&out)
    );
    let not_executable = broken.path().join("not-executable");
    std::fs::write(&not_executable, "").expect("write");
    let out = check(
        &good_service.replace(
            &exe,
            &format!("{} monitor", not_executable.to_str().expect("utf-8")),
        ),
        &good_timer,
    );
    assert!(
        !out.status.success(),
        "non-executable program passed: {}",
        show(&out)
    );

    // The awkward binary path with its `%` not doubled.
    let bin_dir = h.dir.path().join("my bin %z");
    std::fs::create_dir_all(&bin_dir).expect("mkdir");
    std::fs::copy(clawauth_bin(), bin_dir.join("clawauth")).expect("copy");
    set_mode(&bin_dir.join("clawauth"), 0o755);
    let out = h.run_bin(
        &bin_dir.join("clawauth"),
        &["monitor", "install", "--systemd", "--print"],
        &[],
    );
    assert_exit(&out, 0);
    let printed = text(&out.stdout);
    let service = printed
        .split(&format!("\n# {}\n", h.units().join(TIMER).display()))
        .next()
        .expect("service part");
    assert!(service.contains("%%z"));
    assert!(check(service, &good_timer).status.success());
    let out = check(&service.replace("%%z", "%z"), &good_timer);
    assert!(!out.status.success(), "unescaped % passed: {}", show(&out));
}

#[test]
fn with_a_user_bus_it_reloads_then_enables() {
    let h = Home::new();
    h.with_bus();
    let out = h.run(&["monitor", "install", "--systemd", "--all"], &[]);
    assert_exit(&out, 0);
    assert_eq!(
        h.calls(),
        [
            "--user daemon-reload",
            "--user enable --now clawauth-monitor.timer"
        ]
    );
    let stdout = text(&out.stdout);
    for needle in [
        "enabled clawauth-monitor.timer",
        "loginctl enable-linger",
        "systemctl --user list-timers clawauth-monitor.timer",
        "journalctl --user -u clawauth-monitor",
        "~/.config/clawauth/monitor.env",
    ] {
        assert!(stdout.contains(needle), "no {needle:?} in {}", show(&out));
    }
    let service = read(&h.units().join(SERVICE));
    assert_eq!(
        setting(&service, "EnvironmentFile"),
        "-%h/.config/clawauth/monitor.env"
    );
    assert_eq!(setting(&service, "TimeoutStartSec"), "10min");
    assert_eq!(
        setting(&service, "Environment"),
        format!("\"PATH={}\"", h.path())
    );
    let timer = read(&h.units().join(TIMER));
    for line in [
        "Persistent=true",
        "RandomizedDelaySec=5min",
        "AccuracySec=1min",
        "WantedBy=timers.target",
    ] {
        assert!(timer.lines().any(|l| l == line), "no {line} in\n{timer}");
    }
    use std::os::unix::fs::PermissionsExt;
    for f in [SERVICE, TIMER] {
        let mode = std::fs::metadata(h.units().join(f))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "{f}");
    }
}

#[test]
fn without_a_user_bus_it_prints_the_commands_and_succeeds() {
    let h = Home::new();
    let out = h.run(&["monitor", "install", "--systemd", "--local"], &[]);
    assert_exit(&out, 0);
    assert!(h.units().join(SERVICE).is_file() && h.units().join(TIMER).is_file());
    let stdout = text(&out.stdout);
    for needle in [
        "Failed to connect to bus",
        "  systemctl --user daemon-reload\n",
        "  systemctl --user enable --now clawauth-monitor.timer\n",
        "loginctl enable-linger $USER",
        "systemctl --user list-timers clawauth-monitor.timer",
        "journalctl --user -u clawauth-monitor",
    ] {
        assert!(stdout.contains(needle), "no {needle:?} in {}", show(&out));
    }
    // It asked once, and did not go on to enable.
    assert_eq!(h.calls(), ["--user daemon-reload"]);
}

#[test]
fn without_systemctl_it_prints_the_commands_and_succeeds() {
    let h = Home::new();
    let empty = h.dir.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let out = h.run(
        &["monitor", "install", "--systemd"],
        &[("PATH", empty.to_str().expect("utf-8"))],
    );
    assert_exit(&out, 0);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("systemctl is not on PATH"),
        "{}",
        show(&out)
    );
    assert!(stdout.contains("  systemctl --user enable --now clawauth-monitor.timer\n"));
    assert!(h.units().join(TIMER).is_file());
}

#[test]
fn reinstalling_says_unchanged_and_updates_its_own_units() {
    let h = Home::new();
    h.with_bus();
    assert_exit(&h.run(&["monitor", "install", "--systemd"], &[]), 0);
    let out = h.run(&["monitor", "install", "--systemd"], &[]);
    assert_exit(&out, 0);
    let stdout = text(&out.stdout);
    assert!(stdout.contains(&format!("unchanged {}", h.units().join(SERVICE).display())));
    assert!(stdout.contains(&format!("unchanged {}", h.units().join(TIMER).display())));
    let out = h.run(&["monitor", "install", "--systemd", "--every", "1h"], &[]);
    assert_exit(&out, 0);
    assert!(text(&out.stdout).contains(&format!("updated {}", h.units().join(TIMER).display())));
    assert_eq!(
        setting(&read(&h.units().join(TIMER)), "OnCalendar"),
        "*-*-* 00/1:00:00"
    );
}

#[test]
fn a_users_own_unit_is_replaced_only_with_force() {
    let h = Home::new();
    h.with_bus();
    std::fs::create_dir_all(h.units()).expect("mkdir");
    let own = "[Unit]\nDescription=my own timer\n\n[Timer]\nOnCalendar=daily\n";
    std::fs::write(h.units().join(TIMER), own).expect("write");
    let out = h.run(&["monitor", "install", "--systemd", "--all"], &[]);
    assert_exit(&out, 64);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("not written by clawauth") && stderr.contains("--force"),
        "{}",
        show(&out)
    );
    assert!(stderr.contains(&h.units().join(TIMER).display().to_string()));
    assert_eq!(read(&h.units().join(TIMER)), own);
    // Nothing half-installed, nothing asked of systemd.
    assert!(!h.units().join(SERVICE).exists());
    assert!(h.calls().is_empty());

    let out = h.run(
        &["monitor", "install", "--systemd", "--all", "--force"],
        &[],
    );
    assert_exit(&out, 0);
    assert!(read(&h.units().join(TIMER)).starts_with(MARKER));
    assert!(text(&out.stdout).contains("replaced (--force)"));
}

#[test]
fn print_writes_nothing_and_runs_nothing() {
    let h = Home::new();
    h.with_bus();
    let before = tree_hashes(&h.home());
    let out = h.run(
        &["monitor", "install", "--systemd", "--print", "--host", "gw"],
        &[],
    );
    assert_exit(&out, 0);
    assert_eq!(tree_hashes(&h.home()), before);
    assert!(h.calls().is_empty());
    let printed = text(&out.stdout);
    // What it printed is exactly what install writes.
    assert_exit(
        &h.run(&["monitor", "install", "--systemd", "--host", "gw"], &[]),
        0,
    );
    for f in [SERVICE, TIMER] {
        let p = h.units().join(f);
        assert!(
            printed.contains(&format!("# {}\n{}", p.display(), read(&p))),
            "{f} not printed as written:\n{printed}"
        );
    }
}

/// Splits a crontab line as cron does: five time fields, then the command, whose `\%` is a
/// literal `%` (an unescaped `%` would end the command).
fn cron_split(line: &str) -> (Vec<String>, String) {
    let mut rest = line.trim_start();
    let mut fields = Vec::new();
    for _ in 0..5 {
        let end = rest.find(char::is_whitespace).expect("a time field");
        fields.push(rest[..end].to_owned());
        rest = rest[end..].trim_start();
    }
    let mut command = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'%') => {
                command.push('%');
                chars.next();
            }
            '%' => panic!("unescaped % in the crontab command: {line}"),
            c => command.push(c),
        }
    }
    (fields, command)
}

fn cron_line(h: &Home, bin: &Path, extra: &[&str]) -> String {
    let mut args = vec!["monitor", "install", "--cron"];
    args.extend_from_slice(extra);
    let before = tree_hashes(&h.home());
    let out = h.run_bin(bin, &args, &[]);
    assert_exit(&out, 0);
    assert_eq!(tree_hashes(&h.home()), before, "--cron wrote something");
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "not one line: {}", show(&out));
    let stderr = text(&out.stderr);
    for needle in ["crontab -e", "| crontab -", "PATH="] {
        assert!(stderr.contains(needle), "no {needle:?} in {}", show(&out));
    }
    lines[0].to_owned()
}

#[test]
fn cron_prints_one_crontab_line() {
    let h = Home::new();
    let bin = clawauth_bin();
    for (extra, fields) in [
        (&[][..], "*/30 * * * *"),
        (&["--every", "15m"][..], "*/15 * * * *"),
        (&["--every", "2h", "--all"][..], "0 */2 * * *"),
        (&["--every", "1h"][..], "0 * * * *"),
        (&["--every", "24h", "--local"][..], "0 0 * * *"),
    ] {
        let line = cron_line(&h, &bin, extra);
        let (f, command) = cron_split(&line);
        assert_eq!(f.join(" "), fields, "{extra:?}: {line}");
        assert!(
            command.contains(&format!("{} monitor", bin.display())),
            "{line}"
        );
        assert!(command.contains(">>\"$HOME/.local/state/clawauth/monitor.log\" 2>&1"));
    }
}

/// The line, run by a shell the way cron runs it (HOME set, PATH minimal), starts the program
/// it names with exactly the selection — even from a directory with a space, a `%` and a quote.
#[test]
fn cron_line_runs_the_program_with_the_selection() {
    let h = Home::new();
    let bin_dir = h.dir.path().join("it's my bin %z");
    std::fs::create_dir_all(&bin_dir).expect("mkdir");
    let bin = bin_dir.join("clawauth");
    std::fs::copy(clawauth_bin(), &bin).expect("copy");
    set_mode(&bin, 0o755);
    let line = cron_line(&h, &bin, &["--host", "gw", "--host", "pi@10.0.0.2:2222"]);
    let (_, command) = cron_split(&line);
    // Now the same path holds a recorder instead of clawauth.
    let argv_log = h.dir.path().join("argv");
    std::fs::write(
        &bin,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >'{}'\necho ran\n",
            argv_log.display()
        ),
    )
    .expect("write recorder");
    set_mode(&bin, 0o755);
    let out = Command::new("/bin/sh")
        .args(["-c", &command])
        .env_clear()
        .env("HOME", h.home())
        .env("PATH", "/usr/bin:/bin")
        .current_dir(h.home())
        .output()
        .expect("run sh");
    assert_exit(&out, 0);
    assert_eq!(
        read(&argv_log),
        "monitor\n--host\ngw\n--host\npi@10.0.0.2:2222\n"
    );
    assert_eq!(
        read(&h.home().join(".local/state/clawauth/monitor.log")),
        "ran\n"
    );
}

#[test]
fn bad_intervals_are_refused_with_a_hint() {
    let h = Home::new();
    for every in ["7m", "0", "90m", "abc", "3m", "30", "5h", "1m30s"] {
        for method in ["--cron", "--systemd"] {
            let before = tree_hashes(&h.home());
            let out = h.run(&["monitor", "install", method, "--every", every], &[]);
            assert_exit(&out, 64);
            let stderr = text(&out.stderr);
            assert!(
                stderr.contains("error: --every")
                    && stderr.contains("hint:")
                    && stderr.contains("5m, 6m, 10m, 12m, 15m, 20m, 30m, 1h, 2h"),
                "{every}: {}",
                show(&out)
            );
            assert!(out.stdout.is_empty());
            assert_eq!(tree_hashes(&h.home()), before);
        }
    }
}

#[test]
fn hostile_host_names_are_refused() {
    let h = Home::new();
    h.with_bus();
    for host in [
        "gw\nExecStartPre=/bin/touch /tmp/owned",
        "-oProxyCommand=touch /tmp/owned",
        "a;b",
        "a b",
        "gw%h",
        "$(touch x)",
        "",
    ] {
        for method in ["--cron", "--systemd"] {
            let arg = format!("--host={host}");
            let out = h.run(&["monitor", "install", method, &arg], &[]);
            assert_exit(&out, 64);
            assert!(
                text(&out.stderr).contains("error: --host"),
                "{host:?}: {}",
                show(&out)
            );
            assert!(out.stdout.is_empty(), "{host:?}: {}", show(&out));
        }
    }
    assert!(!h.units().exists());
    assert!(h.calls().is_empty());
}

#[test]
fn control_characters_in_passed_variables_are_refused() {
    let h = Home::new();
    let out = h.run(
        &["monitor", "install", "--systemd"],
        &[("CLAWAUTH_CONFIG", "/tmp/a\nExecStartPre=/bin/false")],
    );
    assert_exit(&out, 64);
    assert!(text(&out.stderr).contains("$CLAWAUTH_CONFIG contains the control character"));
    assert!(!h.units().exists());
}

#[test]
fn the_method_is_required_and_only_one() {
    let h = Home::new();
    let out = h.run(&["monitor", "install", "--all"], &[]);
    assert_exit(&out, 64);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--systemd or --cron") && stderr.contains("hint:"),
        "{}",
        show(&out)
    );
    let out = h.run(&["monitor", "install", "--systemd", "--cron"], &[]);
    assert_exit(&out, 64);
    assert!(text(&out.stderr).contains("cannot be used with"));
    let out = h.run(&["monitor", "install", "--cron", "--all", "--local"], &[]);
    assert_exit(&out, 64);
    assert!(!h.units().exists());
}

#[test]
fn help_teaches_what_where_and_linger() {
    let out = clawauth(&["monitor", "install", "--help"], &[]);
    assert_exit(&out, 0);
    let help = text(&out.stdout);
    for needle in [
        "systemd/user/clawauth-monitor.service",
        "clawauth-monitor.timer",
        "EXAMPLES:",
        "loginctl enable-linger",
        "--cron",
        "monitor.env",
        "EXIT CODES:",
    ] {
        assert!(help.contains(needle), "no {needle:?} in\n{help}");
    }
    let out = clawauth(&["monitor", "uninstall", "--help"], &[]);
    assert_exit(&out, 0);
    assert!(text(&out.stdout).contains("EXAMPLES:"));
}

#[test]
fn uninstall_disables_removes_and_reloads() {
    let h = Home::new();
    h.with_bus();
    assert_exit(&h.run(&["monitor", "install", "--systemd"], &[]), 0);
    let out = h.run(&["monitor", "uninstall"], &[]);
    assert_exit(&out, 0);
    assert!(!h.units().join(SERVICE).exists() && !h.units().join(TIMER).exists());
    assert_eq!(
        h.calls(),
        [
            "--user daemon-reload",
            "--user enable --now clawauth-monitor.timer",
            "--user disable --now clawauth-monitor.timer",
            "--user daemon-reload",
        ]
    );
    // Again: nothing left to do.
    let out = h.run(&["monitor", "uninstall", "--systemd"], &[]);
    assert_exit(&out, 0);
    assert!(text(&out.stdout).contains("nothing to remove"));
}

#[test]
fn uninstall_leaves_a_users_own_unit_alone() {
    let h = Home::new();
    h.with_bus();
    assert_exit(&h.run(&["monitor", "install", "--systemd"], &[]), 0);
    let own = "[Service]\nExecStart=/bin/true\n";
    std::fs::write(h.units().join(SERVICE), own).expect("write");
    let ours = read(&h.units().join(TIMER));
    let calls = h.calls();
    let out = h.run(&["monitor", "uninstall"], &[]);
    assert_exit(&out, 64);
    assert!(text(&out.stderr).contains("not written by clawauth"));
    assert_eq!(read(&h.units().join(SERVICE)), own);
    assert_eq!(read(&h.units().join(TIMER)), ours);
    assert_eq!(h.calls(), calls, "systemctl was asked something");
}

#[test]
fn uninstall_without_a_user_bus_removes_and_prints_the_commands() {
    let h = Home::new();
    assert_exit(&h.run(&["monitor", "install", "--systemd"], &[]), 0);
    // What `systemctl enable` leaves behind, pointing at our timer.
    let wants = h.units().join("timers.target.wants");
    std::fs::create_dir_all(&wants).expect("mkdir");
    std::os::unix::fs::symlink(h.units().join(TIMER), wants.join(TIMER)).expect("symlink");
    let out = h.run(&["monitor", "uninstall"], &[]);
    assert_exit(&out, 0);
    assert!(!h.units().join(SERVICE).exists() && !h.units().join(TIMER).exists());
    assert!(std::fs::symlink_metadata(wants.join(TIMER)).is_err());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("systemctl --user stop clawauth-monitor.timer"));
    assert!(stdout.contains("systemctl --user daemon-reload"));
}
