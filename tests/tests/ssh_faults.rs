//! Faults and hostile input against a real sshd: a closed port, sshd killed in the middle of
//! the remote command, a command that never ends, huge remote output, values with quotes, `;`,
//! `$()` or newlines, and five hosts checked at once.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use camino::Utf8Path;
use clawauth_tests::lab::{Lab, SAMPLE_AT, host_report, text};
use clawauth_tests::sshd::{Sshd, SshdOptions, closed_port};

fn all(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A program on the "gateway" standing in for clawauth there.
fn script(dir: &Utf8Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write script");
    clawauth_tests::set_mode(p.as_std_path(), 0o755);
    p.into_string()
}

#[test]
fn closed_port_is_unreachable_at_once() {
    let lab = Lab::new();
    let port = closed_port();
    let target = format!("root@127.0.0.1:{port}");
    let (out, took) = lab.clawauth_timed(&["status", "--host", &target, "--check"], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(all(&out).contains("refused"), "{}", text(&out));
    // Refused connections do not wait for the 5 s connect timeout.
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let out = lab.clawauth(&["status", "--host", &target, "--format", "simple"], &[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{target} UNREACHABLE\n")
    );
}

#[test]
fn sshd_killed_mid_command_is_unreachable_within_the_deadline() {
    let mut lab = Lab::new();
    lab.trust();
    let home = lab.sample_gateway("gw-home");
    lab.gateway(&home);
    let slow = script(&lab.scratch, "slow-clawauth", "sleep 60");
    lab.add_host("gw", &["--clawauth", &slow]);
    let started = Instant::now();
    let child = Command::new(clawauth_tests::clawauth_bin())
        .args(["status", "--host", "gw", "--check", "--deadline", "30s"])
        .env_clear()
        .env("HOME", lab.phone.as_str())
        .env("CLAWAUTH_SECRET_STORE", "file")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The check's one command: the probe, then the never-ending clawauth on the gateway.
    assert!(lab.sshd.wait_sessions(1) >= 1, "{}", lab.sshd.log_tail(20));
    std::thread::sleep(Duration::from_millis(300));
    lab.sshd.kill_all();
    let out = child.wait_with_output().expect("wait");
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        took < Duration::from_secs(30),
        "within the deadline: {took:?}"
    );
    assert!(all(&out).contains("connection"), "{}", text(&out));
}

#[test]
fn a_command_that_never_ends_hits_the_deadline() {
    let lab = Lab::new();
    lab.trust();
    let home = lab.sample_gateway("gw-home");
    lab.gateway(&home);
    let slow = script(&lab.scratch, "slow-clawauth", "sleep 600");
    lab.add_host("gw", &["--clawauth", &slow]);
    let (out, took) = lab.clawauth_timed(
        &["status", "--host", "gw", "--check", "--deadline", "3s"],
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(all(&out).contains("deadline"), "{}", text(&out));
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn huge_remote_output_is_capped() {
    let lab = Lab::new();
    lab.trust();
    let home = lab.sample_gateway("gw-home");
    lab.gateway(&home);
    let noisy = script(
        &lab.scratch,
        "noisy-clawauth",
        "exec yes 'garbage garbage garbage'",
    );
    lab.add_host("gw", &["--clawauth", &noisy]);
    let out = lab.clawauth(
        &[
            "status",
            "--host",
            "gw",
            "--check",
            "--format",
            "json",
            "--deadline",
            "30s",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let report = host_report(&out);
    let skipped = report["via"]["skipped"].to_string();
    assert!(skipped.contains("larger than"), "{skipped}");
    assert!(out.stdout.len() < 64 * 1024, "the report stays small");
}

#[test]
fn hostile_values_never_reach_a_shell_unquoted() {
    let lab = Lab::new();
    lab.trust();
    let home = lab.sample_gateway("gw-home");
    let marker = lab.scratch.join("MARKER");
    let m = marker.as_str();
    // A hostile PATH on the gateway comes back through the probe and goes out again.
    lab.gateway_for(
        &lab.key,
        &home,
        &format!("/usr/bin:/bin:/tmp/$(touch {m}):/tmp/`touch {m}`"),
    );
    lab.add_host("gw", &["--clawauth", &Lab::clawauth_path()]);
    let before = lab.sshd.connections();
    for agent in [
        format!("x'; touch {m} #"),
        format!("$(touch {m})"),
        format!("a\ntouch {m}"),
        format!("`touch {m}`"),
    ] {
        let out = lab.clawauth(&["status", "--host", "gw", "--agent", &agent], &[]);
        assert_eq!(
            out.status.code(),
            Some(64),
            "agent {agent:?}: {}",
            text(&out)
        );
    }
    for host in [
        format!("gw; touch {m}"),
        format!("$(touch {m})"),
        "-oProxyCommand=sh".to_owned(),
    ] {
        let out = lab.clawauth(&["status", "--host", &host], &[]);
        assert_eq!(out.status.code(), Some(64), "host {host:?}: {}", text(&out));
    }
    assert_eq!(lab.sshd.connections(), before, "refused before connecting");

    // Paths in the config reach the gateway, quoted.
    let config = lab.phone.join(".config/clawauth/config.toml");
    let q = |s: String| s.replace('\\', "\\\\").replace('"', "\\\"");
    std::fs::write(
        &config,
        format!(
            "[hosts.evil]\nssh = \"{}\"\nclawauth = \"{}\"\nopenclaw = \"{}\"\nstate_dir = \"{}\"\n",
            lab.target(),
            q(format!("/tmp/$(touch {m})")),
            q(format!("/tmp/x'; touch {m}; echo '")),
            q(format!("/tmp/`touch {m}`\"; touch {m}")),
        ),
    )
    .expect("write config");
    let out = lab.clawauth(
        &["status", "--host", "evil", "--check", "--format", "json"],
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    // And a good host with the hostile PATH still answers.
    let out = lab.clawauth(
        &[
            "status",
            "--host",
            &lab.target(),
            "--check",
            "--at",
            SAMPLE_AT,
        ],
        &[],
    );
    assert!(
        !marker.exists(),
        "a remote shell ran injected text: {}",
        text(&out)
    );
    // A config value with a newline is refused when the config is read.
    std::fs::write(
        &config,
        format!(
            "[hosts.evil]\nssh = \"{}\"\nagent = \"main\\ntouch {m}\"\n",
            lab.target()
        ),
    )
    .expect("write config");
    let out = lab.clawauth(&["status", "--host", "evil"], &[]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    assert!(!marker.exists());
}

#[test]
fn five_hosts_at_once_take_about_as_long_as_the_slowest() {
    let lab = Lab::new();
    let bin = Lab::clawauth_path();
    let home = lab.sample_gateway("gw-home");
    let delays = [1u64, 1, 1, 1, 3];
    let mut servers = Vec::new();
    let mut known = String::new();
    let mut names = Vec::new();
    for (i, d) in delays.iter().enumerate() {
        let sshd = Sshd::start(SshdOptions::default());
        sshd.authorize(
            &lab.key.public_line,
            &format!("environment=\"HOME={home}\",environment=\"PATH=/usr/bin:/bin\""),
        );
        known.push_str(&sshd.known_hosts_line());
        known.push('\n');
        let wrapper = script(
            &lab.scratch,
            &format!("clawauth-{i}"),
            &format!("sleep {d}\nexec '{bin}' \"$@\""),
        );
        let name = format!("gw{i}");
        let target = format!("root@127.0.0.1:{}", sshd.port);
        let out = lab.clawauth(
            &[
                "hosts",
                "add",
                &name,
                "--ssh",
                &target,
                "--clawauth",
                &wrapper,
            ],
            &[],
        );
        assert!(out.status.success(), "{}", text(&out));
        names.push(name);
        servers.push(sshd);
    }
    std::fs::write(lab.phone.join(".ssh/known_hosts"), known).expect("known_hosts");
    let (out, took) = lab.clawauth_timed(
        &[
            "status", "--all", "--check", "--format", "simple", "--at", SAMPLE_AT,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let lines = String::from_utf8_lossy(&out.stdout).into_owned();
    for n in &names {
        assert!(lines.contains(&format!("{n} CLAUDE_EXPIRING")), "{lines}");
    }
    let sum: u64 = delays.iter().sum();
    let slowest = *delays.iter().max().expect("max");
    println!(
        "five hosts: {:.2} s wall; remote delays sum {sum} s, slowest {slowest} s",
        took.as_secs_f64()
    );
    assert!(
        took < Duration::from_secs(slowest) + Duration::from_millis((sum - slowest) * 1000 / 2),
        "checked one after another? {took:?} for delays {delays:?}"
    );
    for s in &servers {
        assert_eq!(s.connections(), 1, "one connection per host");
    }
}
