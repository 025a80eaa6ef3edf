//! The sshd harness itself (`clawauth_tests::sshd`), driven by OpenSSH's own `ssh` client: per-
//! session HOME, exact connection counts, agent authentication, killing a gateway mid-command,
//! a changed host key, ProxyJump through a second server, several servers at once, and a closed
//! port. Missing OpenSSH packages fail the tests with the install command.

use std::io::Read;
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use camino::{Utf8Path, Utf8PathBuf};
use clawauth_tests::sshd::{
    self, ClientKey, Sshd, SshdOptions, client_key, closed_port, start_agent, strict_ssh_options,
};
use sha2::Digest;

/// A test's own directory.
fn tempdir() -> (tempfile::TempDir, Utf8PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix("clawauth-sshd-test.")
        .tempdir()
        .expect("tempdir");
    let path = Utf8PathBuf::from_path_buf(tmp.path().to_path_buf()).expect("utf-8 temp dir");
    (tmp, path)
}

/// A HOME for the remote sessions, given through authorized_keys.
fn remote_home(dir: &Utf8Path, name: &str) -> (Utf8PathBuf, String) {
    let home = dir.join(name);
    std::fs::create_dir_all(&home).expect("mkdir home");
    let opts = format!("environment=\"HOME={home}\"");
    (home, opts)
}

/// Runs a command, killing it after `secs`.
fn output_within(cmd: &mut Command, secs: u64) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let status = wait_within(&mut child, Duration::from_secs(secs))
        .unwrap_or_else(|| panic!("{cmd:?} did not finish within {secs} s"));
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    if let Some(mut s) = child.stdout.take() {
        s.read_to_end(&mut stdout).expect("read stdout");
    }
    if let Some(mut s) = child.stderr.take() {
        s.read_to_end(&mut stderr).expect("read stderr");
    }
    Output {
        status,
        stdout,
        stderr,
    }
}

fn wait_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn assert_ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}): stdout {:?} stderr {:?}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// A server with one authorized client key whose sessions get `dir/home` as HOME.
struct Setup {
    sshd: Sshd,
    key: ClientKey,
    known_hosts: Utf8PathBuf,
    home: Utf8PathBuf,
    dir: Utf8PathBuf,
    _tmp: tempfile::TempDir,
}

fn setup(opts: SshdOptions) -> Setup {
    sshd::require_openssh();
    let (tmp, dir) = tempdir();
    let sshd = Sshd::start(opts);
    let key = client_key(&dir, "id_ed25519", "ed25519", None);
    let (home, env) = remote_home(&dir, "home");
    sshd.authorize(&key.public_line, &env);
    let known_hosts = dir.join("known_hosts");
    sshd.write_known_hosts(&known_hosts);
    Setup {
        sshd,
        key,
        known_hosts,
        home,
        dir,
        _tmp: tmp,
    }
}

impl Setup {
    fn ssh(&self, remote: &str) -> Output {
        output_within(
            self.sshd
                .ssh_command(&self.key.private, &self.known_hosts)
                .arg(remote),
            30,
        )
    }
}

#[test]
fn session_home_and_exact_connection_counts() {
    let s = setup(SshdOptions::default());
    assert_eq!(
        s.sshd.connections(),
        0,
        "no connection before the first ssh"
    );
    assert_eq!(s.sshd.sessions(), 0);

    let out = s.ssh("echo $HOME; pwd");
    let stdout = assert_ok(&out, "ssh echo $HOME");
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some(s.home.as_str()), "the per-test HOME");
    assert_eq!(lines.next(), Some("/root"), "cwd is the passwd home");
    assert_eq!(s.sshd.connections(), 1);
    assert_eq!(s.sshd.sessions(), 1);

    for n in 2..=4 {
        let out = s.ssh("true");
        assert_ok(&out, "ssh true");
        assert_eq!(s.sshd.connections(), n, "exactly one connection per ssh");
        assert_eq!(s.sshd.sessions(), n, "exactly one session per ssh");
    }

    // A key that is not authorized is refused, and still counts as a connection.
    let stranger = client_key(&s.dir, "stranger", "ed25519", None);
    let out = output_within(
        s.sshd
            .ssh_command(&stranger.private, &s.known_hosts)
            .arg("true"),
        30,
    );
    assert!(!out.status.success(), "an unauthorized key got in");
    assert!(
        text(&out.stderr).contains("Permission denied"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(s.sshd.connections(), 5);
    assert_eq!(s.sshd.sessions(), 4);

    // The fingerprint is SHA256 of the key blob, as ssh-keygen prints it.
    let line = s.sshd.known_hosts_line();
    assert!(
        line.starts_with(&format!("[127.0.0.1]:{} ssh-ed25519 ", s.sshd.port)),
        "{line}"
    );
    let blob = base64::engine::general_purpose::STANDARD
        .decode(line.split_whitespace().nth(2).expect("key field"))
        .expect("base64 key");
    let expected = format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha2::Sha256::digest(&blob))
    );
    assert_eq!(s.sshd.host_fingerprint(), expected);
}

#[test]
fn agent_keys_authenticate() {
    let s = setup(SshdOptions {
        host_key_type: "ecdsa",
        ..SshdOptions::default()
    });
    assert!(
        s.sshd.known_hosts_line().contains(" ecdsa-sha2-nistp256 "),
        "{}",
        s.sshd.known_hosts_line()
    );
    let locked = client_key(&s.dir, "id_locked", "ed25519", Some("fake test passphrase"));
    let plain = client_key(&s.dir, "id_ecdsa", "ecdsa", None);
    let (home, env) = remote_home(&s.dir, "agent-home");
    s.sshd.authorize(&locked.public_line, &env);
    s.sshd.authorize(&plain.public_line, &env);

    let agent = start_agent(&s.dir);
    assert_eq!(agent.list(), "", "a new agent holds no key");

    // Without the agent, the encrypted key cannot be used in BatchMode.
    let out = output_within(
        s.sshd
            .ssh_command(&locked.private, &s.known_hosts)
            .env_remove("SSH_AUTH_SOCK")
            .arg("true"),
        30,
    );
    assert!(
        !out.status.success(),
        "an encrypted key worked without agent"
    );

    agent.add_with_passphrase(&locked.private, "fake test passphrase");
    agent.add(&plain.private);
    let listed = agent.list();
    assert_eq!(listed.lines().count(), 2, "{listed}");

    // `-i KEY.pub` with IdentitiesOnly: ssh signs with the agent's copy of that key.
    for key in [&locked, &plain] {
        let out = output_within(
            s.sshd
                .ssh_command(&key.public, &s.known_hosts)
                .env("SSH_AUTH_SOCK", &agent.socket)
                .arg("echo $HOME"),
            30,
        );
        assert_eq!(assert_ok(&out, "ssh via agent").trim(), home.as_str());
    }
    assert_eq!(s.sshd.connections(), 3);
}

/// Processes whose command line is exactly `argv`.
fn processes_running(argv: &[&str]) -> Vec<u32> {
    let want: Vec<u8> = argv
        .iter()
        .flat_map(|a| [a.as_bytes(), b"\0"].concat())
        .collect();
    std::fs::read_dir("/proc")
        .expect("read /proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == want))
        .filter(|pid| {
            // Zombies are dead already.
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')')
                        .map(|(_, r)| r.split_whitespace().next() != Some("Z"))
                })
                .unwrap_or(false)
        })
        .collect()
}

#[test]
fn kill_all_ends_a_running_command() {
    let mut s = setup(SshdOptions::default());
    // A command line no other test runs, to find the remote process.
    let duration = format!("100.{}", s.sshd.port);
    let mut client = s
        .sshd
        .ssh_command(&s.key.private, &s.known_hosts)
        .arg(format!("exec sleep {duration}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ssh");
    assert_eq!(s.sshd.wait_sessions(1), 1, "the session did not start");
    let deadline = Instant::now() + Duration::from_secs(5);
    while processes_running(&["sleep", &duration]).is_empty() {
        assert!(Instant::now() < deadline, "remote sleep never started");
        std::thread::sleep(Duration::from_millis(10));
    }

    let t = Instant::now();
    s.sshd.kill_all();
    let status = wait_within(&mut client, Duration::from_secs(5))
        .expect("the ssh client still runs 5 s after the server died");
    assert!(!status.success(), "ssh exited {status} after kill_all");
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(
        processes_running(&["sleep", &duration]).is_empty(),
        "the remote command survived kill_all"
    );
    assert!(s.sshd.pid().is_none());
    assert!(
        TcpStream::connect(("127.0.0.1", s.sshd.port)).is_err(),
        "the port still accepts connections"
    );
    s.sshd.kill_all(); // idempotent
}

#[test]
fn new_host_key_on_restart_is_refused() {
    let mut s = setup(SshdOptions {
        host_key_type: "rsa",
        ..SshdOptions::default()
    });
    assert_ok(&s.ssh("true"), "ssh before restart");
    let port = s.sshd.port;
    let old_fp = s.sshd.host_fingerprint();

    s.sshd.restart_with_new_host_key();
    assert_eq!(s.sshd.port, port, "same port after restart");
    assert_ne!(s.sshd.host_fingerprint(), old_fp, "a new host key");

    let out = s.ssh("true");
    assert!(!out.status.success(), "strict ssh accepted a changed key");
    let err = text(&out.stderr);
    assert!(
        err.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        "stderr: {err}"
    );
    // The connection reached the new server, which never started a session.
    assert_eq!(s.sshd.connections(), 2);
    assert_eq!(s.sshd.sessions(), 1);

    // Trusting the new key works.
    let fresh = s.dir.join("known_hosts.new");
    s.sshd.write_known_hosts(&fresh);
    let out = output_within(
        s.sshd.ssh_command(&s.key.private, &fresh).arg("echo $HOME"),
        30,
    );
    assert_eq!(
        assert_ok(&out, "ssh after re-trust").trim(),
        s.home.as_str()
    );
    assert_eq!(s.sshd.connections(), 3);
}

#[test]
fn proxy_jump_through_a_first_server() {
    sshd::require_openssh();
    let (_tmp, dir) = tempdir();
    let jump = Sshd::start(SshdOptions::default());
    let target = Sshd::start(SshdOptions::default());
    assert_ne!(jump.port, target.port);
    let key = client_key(&dir, "id_ed25519", "ed25519", None);
    let (_jump_home, jump_env) = remote_home(&dir, "jump-home");
    let (target_home, target_env) = remote_home(&dir, "target-home");
    jump.authorize(&key.public_line, &jump_env);
    target.authorize(&key.public_line, &target_env);
    let known_hosts = dir.join("known_hosts");
    std::fs::write(
        &known_hosts,
        format!(
            "{}\n{}\n",
            jump.known_hosts_line(),
            target.known_hosts_line()
        ),
    )
    .expect("write known_hosts");
    // `-J` passes `-F` (not `-o`/`-i`) on to the jump ssh: the options go in a config file.
    let config = dir.join("ssh_config");
    let opts = strict_ssh_options(&known_hosts);
    let mut cfg = String::from("Host *\n");
    for o in opts.iter().filter(|o| *o != "-o") {
        let (k, v) = o.split_once('=').expect("k=v");
        cfg.push_str(&format!("  {k} {v}\n"));
    }
    cfg.push_str(&format!("  IdentityFile {}\n  User root\n", key.private));
    std::fs::write(&config, cfg).expect("write ssh_config");

    let out = output_within(
        Command::new(sshd::ssh_bin())
            .arg("-F")
            .arg(&config)
            .arg("-J")
            .arg(format!("root@127.0.0.1:{}", jump.port))
            .arg("-p")
            .arg(target.port.to_string())
            .arg("127.0.0.1")
            .arg("echo $HOME")
            .stdin(Stdio::null()),
        30,
    );
    assert_eq!(
        assert_ok(&out, "ssh -J").trim(),
        target_home.as_str(),
        "the command ran on the target"
    );
    assert_eq!(jump.connections(), 1, "one connection to the jump host");
    assert_eq!(jump.sessions(), 0, "the jump host only forwarded");
    assert_eq!(target.connections(), 1);
    assert_eq!(target.sessions(), 1);
}

#[test]
fn five_servers_at_once() {
    sshd::require_openssh();
    let (_tmp, dir) = tempdir();
    let key = client_key(&dir, "id_ed25519", "ed25519", None);
    let servers: Vec<Sshd> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..5)
            .map(|_| scope.spawn(|| Sshd::start(SshdOptions::default())))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("start sshd"))
            .collect()
    });
    let mut ports: Vec<u16> = servers.iter().map(|s| s.port).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 5, "distinct ports");

    std::thread::scope(|scope| {
        for (i, server) in servers.iter().enumerate() {
            let dir = &dir;
            let key = &key;
            scope.spawn(move || {
                let (home, env) = remote_home(dir, &format!("home-{i}"));
                server.authorize(&key.public_line, &env);
                let kh = dir.join(format!("known_hosts-{i}"));
                server.write_known_hosts(&kh);
                let out =
                    output_within(server.ssh_command(&key.private, &kh).arg("echo $HOME"), 30);
                assert_eq!(assert_ok(&out, "ssh").trim(), home.as_str());
                assert_eq!(server.connections(), 1);
            });
        }
    });
}

#[test]
fn extra_config_overrides_the_defaults() {
    let s = setup(SshdOptions {
        extra_config: vec!["PermitUserEnvironment no".to_owned()],
        ..SshdOptions::default()
    });
    let out = s.ssh("echo $HOME");
    assert_eq!(
        assert_ok(&out, "ssh").trim(),
        "/root",
        "environment= must be ignored when PermitUserEnvironment is off"
    );
}

#[test]
fn closed_port_refuses_connections() {
    sshd::require_openssh();
    let (_tmp, dir) = tempdir();
    let key = client_key(&dir, "id_ed25519", "ed25519", None);
    let port = closed_port();
    let out = output_within(
        Command::new(sshd::ssh_bin())
            .args(["-F", "/dev/null"])
            .args(strict_ssh_options(&dir.join("known_hosts")))
            .arg("-i")
            .arg(&key.private)
            .arg("-p")
            .arg(port.to_string())
            .arg("root@127.0.0.1")
            .arg("true")
            .stdin(Stdio::null()),
        30,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("Connection refused"),
        "{}",
        text(&out.stderr)
    );
}
