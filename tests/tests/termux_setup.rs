//! `clawauth termux setup` end to end: the Termux:Widget shortcuts it writes (four per host,
//! mode 0700, marked as clawauth's) run the built clawauth with the right command and host when
//! a shell runs them — through a `#!$PREFIX/bin/sh` line, as in Termux, with a fake $PREFIX
//! whose `bin/sh` is /bin/sh; a user's own file of the same name is never replaced without
//! --force nor removed; hostile host names write nothing anywhere; `--print` writes nothing;
//! and `--schedule` registers the monitor with Android's JobScheduler, played by the
//! `tests/standins/termux-job-scheduler` stand-in.
//!
//! The hosts point at a closed port, so every command a script runs ends "unreachable" (exit 3)
//! at once, naming the host: proof of which command and host the script ran, without a gateway.
//!
//! `task_shortcuts_run_the_one_tap_commands` runs `clawauth termux quick|guided|sync`, which
//! live in termux/src/tap.rs (a separate change); it fails until they exist.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};

use camino::{Utf8Path, Utf8PathBuf};
use clawauth_tests::lab::text;
use clawauth_tests::standins::{standin_calls, standin_path};
use clawauth_tests::{clawauth, clawauth_bin, set_mode, tree_hashes};

/// The scheduled check's job id, as `clawauth termux setup --help` documents it.
const JOB_ID: &str = "52817";
/// The second line of every file setup writes.
const MARKER: &str = "# Written by `clawauth termux setup`; run it again to update. Edit config.toml, not this file.";
/// What the scheduled check runs.
const MONITOR: &str = "monitor --all --changes-only";

/// A phone: HOME with a config.toml, a fake $PREFIX (`bin/sh` → /bin/sh), and a directory of
/// stand-ins first on PATH (empty until [`Phone::with_scheduler`]).
struct Phone {
    _tmp: tempfile::TempDir,
    root: Utf8PathBuf,
    home: Utf8PathBuf,
    prefix: Utf8PathBuf,
    bin: Utf8PathBuf,
    log: Utf8PathBuf,
    /// Nothing listens here; every host points at it.
    port: u16,
}

impl Phone {
    fn new(hosts: &[&str]) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("clawauth-phone.")
            .tempdir()
            .expect("tempdir");
        let root = Utf8PathBuf::from_path_buf(tmp.path().to_path_buf()).expect("utf-8");
        let home = root.join("home");
        let prefix = root.join("usr");
        let bin = root.join("standins");
        for d in [&home, &prefix.join("bin"), &bin] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::os::unix::fs::symlink("/bin/sh", prefix.join("bin/sh")).expect("symlink sh");
        let phone = Phone {
            log: root.join("standin.log"),
            _tmp: tmp,
            root,
            home,
            prefix,
            bin,
            port: clawauth_tests::sshd::closed_port(),
        };
        phone.write_config(&phone.config(), hosts);
        phone
    }

    /// The default config.toml.
    fn config(&self) -> Utf8PathBuf {
        self.home.join(".config/clawauth/config.toml")
    }

    /// Writes a config.toml at `path` naming `hosts`, each at the closed port.
    fn write_config(&self, path: &Utf8Path, hosts: &[&str]) {
        let mut text = String::new();
        for h in hosts {
            text.push_str(&format!(
                "[hosts.\"{h}\"]\nssh = \"root@127.0.0.1:{}\"\n\n",
                self.port
            ));
        }
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write config.toml");
    }

    /// Puts the termux-job-scheduler stand-in on PATH.
    fn with_scheduler(&self) {
        let to = self.bin.join("termux-job-scheduler");
        std::fs::copy(standin_path("termux-job-scheduler"), &to).expect("copy stand-in");
        set_mode(to.as_std_path(), 0o755);
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HOME", self.home.to_string()),
            ("PREFIX", self.prefix.to_string()),
            ("PATH", format!("{}:/usr/local/bin:/usr/bin:/bin", self.bin)),
            ("CLAWAUTH_STANDIN_LOG", self.log.to_string()),
            ("TZ", "UTC".to_owned()),
        ]
    }

    /// `clawauth termux setup ARGS` with the phone's environment plus `extra`.
    fn setup(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut all = vec!["termux", "setup"];
        all.extend_from_slice(args);
        let env = self.env();
        let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        env.extend_from_slice(extra);
        clawauth(&all, &env)
    }

    /// Runs a written script as Termux:Widget would: directly, its `#!` line choosing the shell.
    fn run_script(&self, path: &Utf8Path) -> Output {
        Command::new(path)
            .env_clear()
            .env("HOME", &self.home)
            .env("PREFIX", &self.prefix)
            .env("PATH", "/usr/bin:/bin")
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run {path}: {e}"))
    }

    fn shortcuts(&self) -> Utf8PathBuf {
        self.home.join(".shortcuts")
    }

    /// Host `h`'s four shortcuts and the command each runs.
    fn files(&self, h: &str) -> [(Utf8PathBuf, String); 4] {
        let s = self.shortcuts();
        [
            (
                s.join(format!("tasks/{h}-check")),
                format!("termux quick --host {h}"),
            ),
            (
                s.join(format!("tasks/{h}-guided")),
                format!("termux guided --host {h}"),
            ),
            (
                s.join(format!("tasks/{h}-sync")),
                format!("termux sync --host {h}"),
            ),
            (s.join(format!("{h}-reauth")), format!("reauth --host {h}")),
        ]
    }

    fn scheduled(&self) -> Utf8PathBuf {
        self.home.join(".config/clawauth/termux-scheduled-check")
    }

    /// Every file under the temporary root (HOME, $PREFIX and beyond) with its hash.
    fn tree(&self) -> std::collections::BTreeMap<String, String> {
        tree_hashes(self.root.as_std_path())
    }
}

/// The built clawauth as the scripts name it: canonical.
fn bin() -> String {
    std::fs::canonicalize(clawauth_bin())
        .expect("canonical clawauth")
        .to_str()
        .expect("utf-8")
        .to_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{}", text(out));
}

fn mode(p: &Utf8Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{p}: {e}"))
        .permissions()
        .mode()
        & 0o7777
}

fn read(p: &Utf8Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {p}: {e}"))
}

/// The script a shortcut should be: our header, then `exec <clawauth> <command>`, with
/// `export` lines (if any) between.
fn assert_script(phone: &Phone, path: &Utf8Path, command: &str) {
    let t = read(path);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(
        lines[0],
        format!("#!{}/bin/sh", phone.prefix),
        "{path}:\n{t}"
    );
    assert_eq!(lines[1], MARKER, "{path}:\n{t}");
    assert!(
        lines[2].starts_with("# "),
        "a line saying what it does: {t}"
    );
    assert_eq!(
        lines.last().copied(),
        Some(format!("exec {} {command}", bin()).as_str()),
        "{path}:\n{t}"
    );
    assert_eq!(mode(path), 0o700, "{path}");
}

/// One host's four shortcuts: written, mode 0700, marked, each running its command; the
/// directories private; the re-auth one, run as Termux:Widget runs it, ends in clawauth's
/// "unreachable" for that host — the script ran the real binary with the right host.
#[test]
fn setup_writes_four_marked_private_scripts_per_host() {
    let phone = Phone::new(&["gw", "pi.home"]);
    let out = phone.setup(&[], &[]);
    assert_exit(&out, 0);
    let said = stdout(&out);
    for h in ["gw", "pi.home"] {
        for (path, command) in phone.files(h) {
            assert_script(&phone, &path, &command);
            assert!(said.contains(&format!("created {path}\n")), "{said}");
            assert!(
                !read(&path).contains("CLAWAUTH_CONFIG"),
                "nothing to export"
            );
        }
    }
    assert_eq!(mode(&phone.shortcuts()), 0o700);
    assert_eq!(mode(&phone.shortcuts().join("tasks")), 0o700);
    assert!(
        said.contains("Termux:Widget") && said.contains("gw-check"),
        "{said}"
    );

    let reauth = phone.run_script(&phone.files("gw")[3].0);
    assert_exit(&reauth, 3);
    let err = String::from_utf8_lossy(&reauth.stderr);
    assert!(
        err.contains("cannot reach gw") && err.contains(&format!("127.0.0.1:{}", phone.port)),
        "{}",
        text(&reauth)
    );
    let pi = phone.run_script(&phone.files("pi.home")[3].0);
    assert_exit(&pi, 3);
    assert!(
        String::from_utf8_lossy(&pi.stderr).contains("cannot reach pi.home"),
        "{}",
        text(&pi)
    );
}

/// Depends on `clawauth termux quick|guided|sync` (termux/src/tap.rs): the three background
/// tasks, run as Termux:Widget runs them, reach clawauth's one-tap commands for host gw, which
/// end "unreachable" (exit 3) naming it.
#[test]
fn task_shortcuts_run_the_one_tap_commands() {
    let phone = Phone::new(&["gw"]);
    assert_exit(&phone.setup(&[], &[]), 0);
    for (path, command) in &phone.files("gw")[..3] {
        let out = phone.run_script(path);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{path} ({command}): {}",
            text(&out)
        );
        let all = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
        assert!(all.contains("gw"), "{command}: {}", text(&out));
    }
}

/// Run again: every file "unchanged", not a byte rewritten. With the config moved
/// (CLAWAUTH_CONFIG, or XDG_CONFIG_HOME), every file is "updated" to export CLAWAUTH_CONFIG —
/// quoted, for a path with a space and a quote — and a script run without that variable reads
/// the moved config.
#[test]
fn setup_again_is_unchanged_and_a_moved_config_updates() {
    let phone = Phone::new(&["gw"]);
    assert_exit(&phone.setup(&[], &[]), 0);
    let before = phone.tree();
    let again = phone.setup(&[], &[]);
    assert_exit(&again, 0);
    for (path, _) in phone.files("gw") {
        assert!(
            stdout(&again).contains(&format!("unchanged {path}\n")),
            "{}",
            text(&again)
        );
    }
    assert_eq!(phone.tree(), before, "nothing rewritten");

    let moved = phone.root.join("sd card/it's mine/config.toml");
    phone.write_config(&moved, &["gw"]);
    std::fs::remove_file(phone.config()).expect("rm the default config");
    let out = phone.setup(&[], &[("CLAWAUTH_CONFIG", moved.as_str())]);
    assert_exit(&out, 0);
    let export = format!(
        "export CLAWAUTH_CONFIG='{}'",
        moved.as_str().replace('\'', "'\\''")
    );
    for (path, command) in phone.files("gw") {
        assert!(
            stdout(&out).contains(&format!("updated {path}\n")),
            "{}",
            text(&out)
        );
        assert_script(&phone, &path, &command);
        assert!(read(&path).lines().any(|l| l == export), "{}", read(&path));
    }
    // Without the export the re-auth would take "gw" for an ssh destination (port 22).
    let reauth = phone.run_script(&phone.files("gw")[3].0);
    assert_exit(&reauth, 3);
    assert!(
        String::from_utf8_lossy(&reauth.stderr).contains(&format!("127.0.0.1:{}", phone.port)),
        "{}",
        text(&reauth)
    );
    let same = phone.setup(&[], &[("CLAWAUTH_CONFIG", moved.as_str())]);
    assert_exit(&same, 0);
    assert_eq!(
        stdout(&same).matches("unchanged ").count(),
        4,
        "{}",
        text(&same)
    );

    let xdg = phone.root.join("xdg");
    phone.write_config(&xdg.join("clawauth/config.toml"), &["gw"]);
    let out = phone.setup(&[], &[("XDG_CONFIG_HOME", xdg.as_str())]);
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out).matches("updated ").count(),
        4,
        "{}",
        text(&out)
    );
    let check = read(&phone.files("gw")[0].0);
    assert!(
        check.contains(&format!(
            "\nexport CLAWAUTH_CONFIG={xdg}/clawauth/config.toml\n"
        )),
        "{check}"
    );
}

/// A shortcut of the same name that the user wrote (no marker) is left byte for byte, named in
/// the output with --force, and the run exits 1 after writing the others; a symlink there is
/// not followed. --force replaces both.
#[test]
fn a_users_own_shortcut_is_never_overwritten_without_force() {
    let phone = Phone::new(&["gw"]);
    let [(check, _), _, _, (reauth, _)] = phone.files("gw");
    std::fs::create_dir_all(check.parent().expect("parent")).expect("mkdir");
    let mine = "#!/bin/sh\n# my own quick check\ncurl -s https://example.invalid/ping\n";
    std::fs::write(&check, mine).expect("write mine");
    set_mode(check.as_std_path(), 0o755);
    let outside = phone.root.join("outside.txt");
    std::fs::write(&outside, "not a shortcut\n").expect("write outside");
    std::os::unix::fs::symlink(&outside, &reauth).expect("symlink");

    let out = phone.setup(&[], &[]);
    assert_exit(&out, 1);
    let said = stdout(&out);
    for p in [&check, &reauth] {
        assert!(
            said.contains(&format!(
                "skipped: {p} is not ours (no clawauth marker); --force replaces it"
            )),
            "{}",
            text(&out)
        );
    }
    assert_eq!(read(&check), mine, "the user's file is untouched");
    assert_eq!(mode(&check), 0o755);
    assert!(
        std::fs::symlink_metadata(&reauth)
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert_eq!(read(&outside), "not a shortcut\n");
    for (path, command) in &phone.files("gw")[1..3] {
        assert_script(&phone, path, command);
    }

    let forced = phone.setup(&["--force"], &[]);
    assert_exit(&forced, 0);
    for p in [&check, &reauth] {
        assert!(
            stdout(&forced).contains(&format!("replaced (--force) {p}\n")),
            "{}",
            text(&forced)
        );
    }
    for (path, command) in phone.files("gw") {
        assert_script(&phone, &path, &command);
    }
    assert_eq!(
        read(&outside),
        "not a shortcut\n",
        "the link's target is untouched"
    );
}

/// Host names that would escape ~/.shortcuts or break a script: config.toml refuses them, and so
/// do --host and `hosts add`; nothing is written, anywhere.
#[test]
fn hostile_host_names_write_nothing_anywhere() {
    let phone = Phone::new(&["gw"]);
    let before = phone.tree();
    for name in [
        "../x",
        "x/../../y",
        "gw'; touch pwned; '",
        "a b",
        "a\nb",
        "..",
    ] {
        let out = phone.setup(&["--host", name], &[]);
        assert_exit(&out, 64);
        assert_eq!(phone.tree(), before, "--host {name:?} wrote something");
        let out = phone.setup(&["--remove", "--host", name], &[]);
        assert_exit(&out, 64);
        let out = clawauth(
            &["hosts", "add", name, "--ssh", "root@127.0.0.1:22"],
            &[("HOME", phone.home.as_str())],
        );
        assert_ne!(
            out.status.code(),
            Some(0),
            "hosts add {name:?}: {}",
            text(&out)
        );
        assert_eq!(phone.tree(), before, "hosts add {name:?} wrote something");
    }
    // A file ~/.shortcuts/../x-check would reach is not removed either.
    let bait = phone.home.join("x-check");
    std::fs::write(&bait, format!("#!/bin/sh\n{MARKER}\n")).expect("bait");
    assert_exit(&phone.setup(&["--remove", "--host", "../x"], &[]), 64);
    assert!(bait.exists());
    std::fs::remove_file(&bait).expect("rm bait");

    // Written into config.toml by hand.
    for key in [
        r#""../x""#,
        r#""gw'x""#,
        r#""a b""#,
        r#""a\nb""#,
        r#""$(touch pwned)""#,
    ] {
        std::fs::write(
            phone.config(),
            format!("[hosts.{key}]\nssh = \"root@127.0.0.1:{}\"\n", phone.port),
        )
        .expect("config");
        let before = phone.tree();
        let out = phone.setup(&[], &[]);
        assert_exit(&out, 64);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("config.toml"),
            "{}",
            text(&out)
        );
        assert_eq!(phone.tree(), before, "[hosts.{key}] wrote something");
    }
    assert!(!phone.shortcuts().exists());
}

/// `--print` shows every script and writes nothing; `--remove` removes only clawauth's files —
/// of the --host asked, else all of them, hosts config.toml no longer names included — and
/// keeps the user's own.
#[test]
fn print_writes_nothing_and_remove_keeps_the_users_own() {
    let phone = Phone::new(&["gw", "pi", "old"]);
    let before = phone.tree();
    let out = phone.setup(&["--print"], &[]);
    assert_exit(&out, 0);
    let said = stdout(&out);
    for (path, command) in phone.files("gw") {
        assert!(said.contains(&format!("# {path} (mode 0700)")), "{said}");
        assert!(
            said.contains(&format!("exec {} {command}\n", bin())),
            "{said}"
        );
    }
    assert_eq!(phone.tree(), before, "--print wrote something");

    let mine = "#!/bin/sh\necho mine\n";
    let users = phone.files("gw")[0].0.clone();
    std::fs::create_dir_all(users.parent().expect("parent")).expect("mkdir");
    std::fs::write(&users, mine).expect("write mine");
    assert_exit(&phone.setup(&[], &[]), 1);

    let out = phone.setup(&["--remove", "--host", "pi"], &[]);
    assert_exit(&out, 0);
    for (path, _) in phone.files("pi") {
        assert!(!path.exists(), "{path} not removed");
        assert!(stdout(&out).contains(&format!("removed {path}\n")));
    }
    assert!(phone.files("old")[0].0.exists(), "only pi's");

    phone.write_config(&phone.config(), &["gw"]);
    let out = phone.setup(&["--remove"], &[]);
    assert_exit(&out, 0);
    let said = stdout(&out);
    assert!(
        said.contains(&format!(
            "left alone: {users} is not ours (no clawauth marker)"
        )),
        "{said}"
    );
    assert_eq!(read(&users), mine);
    for (path, _) in phone.files("gw")[1..].iter().chain(&phone.files("old")) {
        assert!(!path.exists(), "{path} not removed: {said}");
    }
    let again = phone.setup(&["--remove"], &[]);
    assert_exit(&again, 0);
    assert!(
        stdout(&again).contains("no clawauth shortcuts to remove"),
        "{}",
        text(&again)
    );
    assert_eq!(read(&users), mine);
}

/// `--schedule --every 20m`: the scheduled check is written (marked, 0700) and handed to
/// termux-job-scheduler with exactly the arguments Android needs; run, it runs the monitor
/// (the state file appears). Scheduling again replaces the job; `--unschedule` and `--remove`
/// cancel it and remove the script.
#[test]
fn schedule_registers_the_monitor_with_the_job_scheduler() {
    let phone = Phone::new(&["gw"]);
    phone.with_scheduler();
    let script = phone.scheduled();
    let out = phone.setup(&["--schedule", "--every", "20m"], &[]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains(&format!("created {script}\n")) && stdout(&out).contains("scheduled"),
        "{}",
        text(&out)
    );
    let register: Vec<String> = [
        "termux-job-scheduler",
        "--job-id",
        JOB_ID,
        "--script",
        script.as_str(),
        "--period-ms",
        "1200000",
        "--network",
        "any",
        "--persisted",
        "true",
    ]
    .map(str::to_owned)
    .to_vec();
    assert_eq!(standin_calls(&phone.log), vec![register.clone()]);
    assert_script(&phone, &script, MONITOR);
    for (path, command) in phone.files("gw") {
        assert_script(&phone, &path, &command);
    }

    let state = phone.home.join(".local/state/clawauth/monitor.json");
    assert!(!state.exists());
    let run = phone.run_script(&script);
    assert_exit(&run, 0);
    assert!(
        stdout(&run).contains("gw") && stdout(&run).contains("unreadable"),
        "{}",
        text(&run)
    );
    assert!(state.exists(), "the monitor ran and kept its state");

    let again = phone.setup(&["--schedule", "--every", "20m"], &[]);
    assert_exit(&again, 0);
    assert!(stdout(&again).contains(&format!("unchanged {script}\n")));
    assert_eq!(standin_calls(&phone.log), vec![register.clone(), register]);

    let cancel: Vec<String> = ["termux-job-scheduler", "--cancel", "--job-id", JOB_ID]
        .map(str::to_owned)
        .to_vec();
    let out = phone.setup(&["--unschedule"], &[]);
    assert_exit(&out, 0);
    assert_eq!(standin_calls(&phone.log).last(), Some(&cancel));
    assert!(!script.exists(), "the script is removed");
    assert!(phone.files("gw")[0].0.exists(), "shortcuts stay");

    assert_exit(&phone.setup(&["--schedule"], &[]), 0);
    let calls = standin_calls(&phone.log);
    assert!(
        calls
            .last()
            .is_some_and(|c| c.contains(&"1800000".to_owned())),
        "default 30m: {calls:?}"
    );
    let out = phone.setup(&["--remove"], &[]);
    assert_exit(&out, 0);
    assert_eq!(standin_calls(&phone.log).last(), Some(&cancel));
    assert!(!script.exists() && !phone.files("gw")[0].0.exists());
}

/// Less than 15 minutes is refused (Android's limit) before anything is written or called;
/// without Termux:API the scheduling fails with how to install it and the cron alternative.
#[test]
fn schedule_needs_fifteen_minutes_and_termux_api() {
    let phone = Phone::new(&["gw"]);
    phone.with_scheduler();
    let before = phone.tree();
    for every in ["5m", "14m", "899999ms"] {
        let out = phone.setup(&["--schedule", "--every", every], &[]);
        assert_exit(&out, 64);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("at most every 15 minutes"),
            "{}",
            text(&out)
        );
    }
    assert!(standin_calls(&phone.log).is_empty());
    assert_eq!(phone.tree(), before);

    let bare = Phone::new(&["gw"]);
    let out = bare.setup(&["--schedule"], &[]);
    assert_exit(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("termux-job-scheduler is not installed")
            && err.contains("pkg install termux-api")
            && err.contains("cronie")
            && err.contains(MONITOR),
        "{}",
        text(&out)
    );
    let out = bare.setup(&["--unschedule"], &[]);
    assert_exit(&out, 1);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pkg install termux-api"),
        "{}",
        text(&out)
    );
}

/// The closing hints: `allow-external-apps` only while termux.properties does not set it (and
/// the file is never touched), the Termux:API hint only while termux-toast is missing.
#[test]
fn next_steps_say_only_what_is_missing() {
    let phone = Phone::new(&["gw"]);
    let out = phone.setup(&[], &[]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("allow-external-apps = true"),
        "{}",
        text(&out)
    );
    assert!(
        stdout(&out).contains("pkg install termux-api"),
        "{}",
        text(&out)
    );

    let props = phone.home.join(".termux/termux.properties");
    std::fs::create_dir_all(props.parent().expect("parent")).expect("mkdir");
    let text_props = "# mine\nextra-keys = [['ESC','TAB']]\nallow-external-apps = true\n";
    std::fs::write(&props, text_props).expect("properties");
    let toast = phone.bin.join("termux-toast");
    std::fs::write(&toast, "#!/bin/sh\nexit 0\n").expect("toast");
    set_mode(toast.as_std_path(), 0o755);
    let out = phone.setup(&[], &[]);
    assert_exit(&out, 0);
    assert!(
        !stdout(&out).contains("allow-external-apps"),
        "{}",
        text(&out)
    );
    assert!(
        !stdout(&out).contains("pkg install termux-api"),
        "{}",
        text(&out)
    );
    assert_eq!(read(&props), text_props, "termux.properties untouched");

    std::fs::write(&props, "allow-external-apps = false\n").expect("properties");
    let out = phone.setup(&[], &[]);
    assert!(
        stdout(&out).contains("allow-external-apps = true"),
        "{}",
        text(&out)
    );
}

/// No hosts: nothing to do, and a hint how to add one.
#[test]
fn no_hosts_says_how_to_add_one() {
    let phone = Phone::new(&[]);
    let out = phone.setup(&[], &[]);
    assert_exit(&out, 64);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("clawauth hosts add gw --ssh user@gateway"),
        "{}",
        text(&out)
    );
    assert!(!phone.shortcuts().exists());
    let out = phone.setup(&["--host", "nope"], &[]);
    assert_exit(&out, 64);
}
