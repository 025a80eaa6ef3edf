//! The SSH client against a real OpenSSH sshd: host keys (unknown refused, `hosts trust`,
//! `--accept-new`, a changed key refused with both fingerprints), authentication (wrong key,
//! encrypted key with the passphrase from the file store, ssh-agent), an alias from an
//! ssh_config file with Include, and ProxyJump through a second sshd.

use std::process::Command;

use clawauth_tests::lab::{Lab, SAMPLE_AT, host_report, text};
use clawauth_tests::sshd::{Sshd, SshdOptions, client_key, start_agent};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn all(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The sample gateway behind `lab`, configured as host `gw` with clawauth installed there.
fn sample(lab: &Lab) {
    let home = lab.sample_gateway("gw-home");
    lab.gateway(&home);
    lab.add_host("gw", &["--clawauth", &Lab::clawauth_path()]);
}

/// Host `gw` as the `~/.ssh/config` alias `pi-gateway`, with clawauth installed there.
fn add_alias_host(lab: &Lab) {
    let out = lab.clawauth(
        &[
            "hosts",
            "add",
            "gw",
            "--ssh",
            "pi-gateway",
            "--clawauth",
            &Lab::clawauth_path(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
}

fn check(lab: &Lab, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["status", "--host", "gw", "--check", "--at", SAMPLE_AT];
    args.extend_from_slice(extra);
    lab.clawauth(&args, &[])
}

#[test]
fn unknown_host_is_refused_until_trusted() {
    let lab = Lab::new();
    sample(&lab);
    let fp = lab.sshd.host_fingerprint();

    let out = check(&lab, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let shown = all(&out);
    assert!(shown.contains("is not known"), "{shown}");
    assert!(shown.contains(&fp), "the fingerprint is shown: {shown}");
    assert!(shown.contains("clawauth hosts trust gw"), "{shown}");
    assert!(
        !lab.phone.join(".ssh/known_hosts").exists(),
        "nothing stored"
    );

    // Without a person to confirm, trust needs --fingerprint or --yes.
    let out = lab.clawauth(&["hosts", "trust", "gw"], &[]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    assert!(stdout(&out).contains(&fp), "{}", text(&out));
    // A wrong expected fingerprint stores nothing.
    let out = lab.clawauth(
        &[
            "hosts",
            "trust",
            "gw",
            "--fingerprint",
            "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!lab.phone.join(".ssh/known_hosts").exists());

    let out = lab.clawauth(&["hosts", "trust", "gw", "--fingerprint", &fp], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("trusted"), "{}", text(&out));
    let stored = std::fs::read_to_string(lab.phone.join(".ssh/known_hosts")).expect("known_hosts");
    assert!(stored.starts_with("|1|"), "a hashed entry: {stored}");
    assert!(
        !stored.contains("127.0.0.1"),
        "the host name is hashed: {stored}"
    );
    // OpenSSH reads our entry.
    let ssh = lab
        .sshd
        .ssh_command(&lab.key.private, &lab.phone.join(".ssh/known_hosts"))
        .arg("true")
        .output()
        .expect("ssh");
    assert!(
        ssh.status.success(),
        "OpenSSH accepts the stored entry: {}",
        text(&ssh)
    );

    let out = check(&lab, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    // Trusting again is a no-op.
    let out = lab.clawauth(&["hosts", "trust", "gw", "--yes"], &[]);
    assert!(stdout(&out).contains("already trusted"), "{}", text(&out));
}

#[test]
fn accept_new_learns_once_and_a_changed_key_is_always_refused() {
    let mut lab = Lab::new();
    sample(&lab);
    let old_fp = lab.sshd.host_fingerprint();
    let out = check(&lab, &["--accept-new"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stored = std::fs::read_to_string(lab.phone.join(".ssh/known_hosts")).expect("known_hosts");
    assert!(stored.starts_with("|1|"), "{stored}");

    lab.sshd.restart_with_new_host_key();
    let new_fp = lab.sshd.host_fingerprint();
    assert_ne!(old_fp, new_fp);
    for extra in [&[][..], &["--accept-new"][..]] {
        let out = check(&lab, extra);
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
        let shown = all(&out);
        assert!(shown.contains("CHANGED"), "{shown}");
        assert!(shown.contains(&old_fp), "stored fingerprint shown: {shown}");
        assert!(
            shown.contains(&new_fp),
            "offered fingerprint shown: {shown}"
        );
    }
    // `hosts trust` refuses too, whatever the flags.
    let out = lab.clawauth(
        &["hosts", "trust", "gw", "--yes", "--fingerprint", &new_fp],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        all(&out).contains(&old_fp) && all(&out).contains(&new_fp),
        "{}",
        text(&out)
    );
    let after = std::fs::read_to_string(lab.phone.join(".ssh/known_hosts")).expect("known_hosts");
    assert_eq!(after, stored, "known_hosts untouched");
}

#[test]
fn wrong_key_is_refused_with_what_was_tried() {
    let lab = Lab::new();
    lab.trust();
    sample(&lab);
    // The gateway only knows another key.
    let other = client_key(&lab.scratch, "other", "ed25519", None);
    let home = lab.scratch.join("gw-home");
    lab.gateway_for(&other, &home, "/usr/bin:/bin");
    let out = check(&lab, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let shown = all(&out);
    assert!(shown.contains("refused every key"), "{shown}");
    assert!(shown.contains("id_ed25519: refused"), "{shown}");
}

#[test]
fn encrypted_key_with_the_passphrase_from_the_file_store() {
    let lab = Lab::new();
    lab.trust();
    let home = lab.sample_gateway("gw-home");
    let passphrase = "fake test passphrase";
    // Replace the phone's key by an encrypted ed25519 one; the gateway accepts only it.
    for f in ["id_ed25519", "id_ed25519.pub"] {
        std::fs::remove_file(lab.phone.join(".ssh").join(f)).expect("rm");
    }
    let enc = client_key(
        &lab.phone.join(".ssh"),
        "id_ed25519",
        "ed25519",
        Some(passphrase),
    );
    lab.gateway_for(&enc, &home, "/usr/bin:/bin");
    lab.add_host("gw", &["--clawauth", &Lab::clawauth_path()]);

    // Without a stored passphrase (and no terminal to ask on): refused, saying how to fix it.
    let out = check(&lab, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        all(&out).contains("clawauth passphrase set"),
        "{}",
        text(&out)
    );

    // A wrong passphrase is not stored.
    let set = |pass: &str| {
        let mut cmd = Command::new(clawauth_tests::clawauth_bin());
        cmd.args(["passphrase", "set", enc.private.as_str()])
            .env_clear()
            .env("HOME", lab.phone.as_str())
            .env("CLAWAUTH_SECRET_STORE", "file");
        clawauth_tests::run_with_stdin(cmd, format!("{pass}\n").as_bytes())
    };
    let out = set("not it");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = set(passphrase);
    assert!(out.status.success(), "{}", text(&out));
    let store = lab.phone.join(".config/clawauth/secrets.json");
    let meta = std::fs::metadata(&store).expect("secrets.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    let out = check(&lab, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // The passphrase never shows up in output, and sshd never saw it either.
    assert!(!all(&out).contains(passphrase));
    assert!(!lab.sshd.log().contains(passphrase));
}

#[test]
fn ssh_agent_authentication() {
    let lab = Lab::new();
    lab.trust();
    let home = lab.sample_gateway("gw-home");
    // The key lives only in the agent: the phone has no key file.
    let agent_dir = lab.scratch.join("agent");
    std::fs::create_dir_all(&agent_dir).expect("mkdir");
    let key = client_key(&agent_dir, "agent_key", "ecdsa", None);
    let agent = start_agent(&agent_dir);
    agent.add(&key.private);
    std::fs::remove_file(&key.private).expect("rm private key");
    for f in ["id_ed25519", "id_ed25519.pub"] {
        std::fs::remove_file(lab.phone.join(".ssh").join(f)).expect("rm");
    }
    lab.gateway_for(&key, &home, "/usr/bin:/bin");
    lab.add_host("gw", &["--clawauth", &Lab::clawauth_path()]);
    let out = lab.clawauth(
        &["status", "--host", "gw", "--check", "--at", SAMPLE_AT],
        &[("SSH_AUTH_SOCK", agent.socket.as_str())],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // Without the agent: nothing to authenticate with.
    let out = check(&lab, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}

#[test]
fn ssh_config_alias_with_include_and_identity_file() {
    let lab = Lab::new();
    lab.trust();
    let home = lab.sample_gateway("gw-home");
    // The key has a name only the ssh config knows.
    let key = client_key(&lab.phone.join(".ssh"), "gateway_key", "ed25519", None);
    lab.gateway_for(&key, &home, "/usr/bin:/bin");
    let ssh = lab.phone.join(".ssh");
    std::fs::create_dir_all(ssh.join("config.d")).expect("mkdir");
    std::fs::write(
        ssh.join("config"),
        "Include config.d/*.conf\n\nHost *\n  ServerAliveInterval 30\n",
    )
    .expect("write config");
    std::fs::write(
        ssh.join("config.d/gateway.conf"),
        format!(
            "Host pi-gateway\n  HostName 127.0.0.1\n  Port {}\n  User root\n  IdentityFile ~/.ssh/gateway_key\n  IdentitiesOnly yes\n",
            lab.sshd.port
        ),
    )
    .expect("write include");
    add_alias_host(&lab);
    let out = check(&lab, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let report = host_report(&out);
    assert_eq!(
        report["via"]["destination"],
        format!("root@127.0.0.1:{}", lab.sshd.port)
    );
}

#[test]
fn proxy_jump_through_a_second_sshd() {
    let lab = Lab::new();
    let target = Sshd::start(SshdOptions::default());
    let home = lab.sample_gateway("gw-home");
    // The jump host accepts the phone's key (a plain login), the target too (with the gateway).
    lab.gateway(&lab.scratch);
    target.authorize(
        &lab.key.public_line,
        &format!("environment=\"HOME={home}\",environment=\"PATH=/usr/bin:/bin\""),
    );
    let kh = lab.phone.join(".ssh/known_hosts");
    std::fs::write(
        &kh,
        format!(
            "{}\n{}\n",
            lab.sshd.known_hosts_line(),
            target.known_hosts_line()
        ),
    )
    .expect("known_hosts");
    std::fs::write(
        lab.phone.join(".ssh/config"),
        format!(
            "Host jump\n  HostName 127.0.0.1\n  Port {}\n  User root\n\nHost inner\n  HostName 127.0.0.1\n  Port {}\n  User root\n  ProxyJump jump\n",
            lab.sshd.port, target.port
        ),
    )
    .expect("ssh config");
    let out = lab.clawauth(
        &[
            "hosts",
            "add",
            "gw",
            "--ssh",
            "inner",
            "--clawauth",
            &Lab::clawauth_path(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let (jump_before, target_before) = (lab.sshd.connections(), target.connections());
    let out = check(&lab, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(lab.sshd.wait_connections(jump_before + 1), jump_before + 1);
    assert_eq!(
        target.wait_connections(target_before + 1),
        target_before + 1
    );
    // The jump host only forwarded: it ran no session.
    assert_eq!(lab.sshd.sessions(), 0, "{}", lab.sshd.log_tail(20));
    assert!(target.sessions() >= 1);
}

/// The gateway trait over a real SSH connection: a command with stdin, a file read, a PTY
/// (for the re-auth flows) and a forwarded port (the sshd's own, which answers with its banner).
#[test]
fn gateway_trait_over_ssh() {
    use clawauth_core::gateway::{Command as GwCommand, Gateway, Limits, Pty, PtySize, transcript};
    use clawauth_core::openclaw::env::Environment;
    use clawauth_core::ssh::{ConnectOptions, connect};
    use std::time::Duration;
    use tokio::io::AsyncReadExt;

    let lab = Lab::new();
    lab.trust();
    let home = lab.sample_gateway("gw-home");
    std::fs::write(home.join("it's a file"), "content\n").expect("write");
    lab.gateway(&home);
    let opts = ConnectOptions::new(Environment::empty().with("HOME", lab.phone.as_str()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let gw = connect("gw", &lab.target(), &opts).await.expect("connect");
        let limits = Limits::new(Duration::from_secs(10), 1024);
        let out = gw
            .exec(
                &GwCommand::new("/bin/sh").args([
                    "-c",
                    "cat; echo \"$1\" >&2; exit 7",
                    "sh",
                    "a'b",
                ]),
                Some(b"from stdin"),
                limits,
            )
            .await
            .expect("exec");
        assert_eq!(out.stdout, b"from stdin");
        assert_eq!(out.stderr, b"a'b\n");
        assert_eq!(out.status, Some(7));

        let got = gw
            .read_file("~/it's a file", 1024, Duration::from_secs(10))
            .await
            .expect("read");
        assert_eq!(got.as_deref(), Some(&b"content\n"[..]));
        assert_eq!(
            gw.read_file("~/nope", 1024, Duration::from_secs(10))
                .await
                .expect("read"),
            None
        );

        let mut pty = gw
            .open_pty(
                &GwCommand::new("/bin/sh")
                    .args(["-c", "read x; echo got:$x; test -t 0 && echo tty"]),
                PtySize::default(),
            )
            .await
            .expect("pty");
        pty.write(b"abc\n").await.expect("write");
        let (seen, exit) = transcript(&mut pty, Duration::from_secs(10)).await;
        let seen = String::from_utf8_lossy(&seen);
        assert!(seen.contains("got:abc") && seen.contains("tty"), "{seen}");
        assert_eq!(exit, Some(Some(0)));

        let mut stream = gw
            .forward("127.0.0.1", lab.sshd.port)
            .await
            .expect("forward");
        let mut banner = [0u8; 8];
        tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut banner))
            .await
            .expect("no hang")
            .expect("read banner");
        assert_eq!(&banner, b"SSH-2.0-");
        gw.close().await;
    });
    // One connection for all of it (the forwarded one is sshd talking to itself).
    assert_eq!(lab.sshd.wait_connections(2), 2, "{}", lab.sshd.log_tail(10));
}

/// The identity configured for the host is offered before ssh-agent's other keys, as OpenSSH
/// does: an agent holding keys the gateway refuses costs no refused offer (sshd logs each as
/// "Failed publickey" at LogLevel VERBOSE).
#[test]
fn the_configured_identity_is_offered_before_the_agents_other_keys() {
    let lab = Lab::new();
    lab.trust();
    let home = lab.sample_gateway("gw-home");
    let key = client_key(&lab.phone.join(".ssh"), "gateway_key", "ed25519", None);
    lab.gateway_for(&key, &home, "/usr/bin:/bin");
    let agent_dir = lab.scratch.join("agent");
    std::fs::create_dir_all(&agent_dir).expect("mkdir");
    let agent = start_agent(&agent_dir);
    for (name, kind) in [
        ("other_a", "ed25519"),
        ("other_b", "ecdsa"),
        ("other_c", "ed25519"),
    ] {
        let other = client_key(&agent_dir, name, kind, None);
        agent.add(&other.private);
    }
    std::fs::write(
        lab.phone.join(".ssh/config"),
        format!(
            "Host pi-gateway\n  HostName 127.0.0.1\n  Port {}\n  User root\n  IdentityFile ~/.ssh/gateway_key\n",
            lab.sshd.port
        ),
    )
    .expect("write config");
    add_alias_host(&lab);
    let before = lab.sshd.log().len();
    let out = lab.clawauth(
        &["status", "--host", "gw", "--check", "--at", SAMPLE_AT],
        &[("SSH_AUTH_SOCK", agent.socket.as_str())],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let log = lab.sshd.log();
    let new = &log[before..];
    assert!(new.contains("Accepted publickey"), "{new}");
    assert!(
        !new.contains("Failed publickey"),
        "an agent key was offered before the configured one:\n{new}"
    );
}
