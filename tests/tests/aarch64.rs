//! The phone's build — the static aarch64 musl binary from `termux/build-static.sh aarch64` — run
//! under Debian's `qemu-aarch64-static`: it is the static aarch64 ELF Termux needs, it checks a
//! gateway behind a real sshd exactly as the host build does, and it resolves the gateway's name
//! through `$PREFIX/etc/resolv.conf` with no `/etc` at all, as on Android.
//!
//! Nothing is skipped: a missing binary, qemu or dnsmasq fails the test with the command that
//! provides it.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use clawauth_tests::aarch64::{qemu, static_bin};
use clawauth_tests::clawauth_bin;
use clawauth_tests::lab::{Lab, SAMPLE_AT, host_report, login_path, text};
use clawauth_tests::openclaw_cli::{is_root, openclaw};
use clawauth_tests::scenario::{FAKETIME_LIB, faketime_spec};
use serde_json::Value;

/// The name the test DNS server answers (with 127.0.0.1).
const GW_NAME: &str = "gw.clawauth.test";

/// The report without what differs between two runs of the same check: timings, the clock skew
/// and when it was taken.
fn comparable(mut report: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.retain(|k, _| {
                    !matches!(
                        k.as_str(),
                        "connect_ms" | "duration_ms" | "clock_skew_ms" | "taken_at"
                    )
                });
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut report);
    report
}

/// What the tests need of an ELF file: its identification, type, machine and program header types.
struct Elf {
    class: u8,
    data: u8,
    e_type: u16,
    machine: u16,
    program_types: Vec<u32>,
}

const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const EM_AARCH64: u16 = 183;
const PT_INTERP: u32 = 3;
const PT_DYNAMIC: u32 = 2;

fn parse_elf(bytes: &[u8]) -> Elf {
    assert!(bytes.len() >= 64, "shorter than an ELF64 header");
    assert_eq!(&bytes[..4], b"\x7fELF", "no ELF magic");
    let class = bytes[4];
    let data = bytes[5];
    assert_eq!(data, ELFDATA2LSB, "the readers below are little-endian");
    let u16_at = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
    assert_eq!(class, ELFCLASS64, "not a 64-bit ELF (EI_CLASS {class})");
    let e_type = u16_at(16);
    let machine = u16_at(18);
    let phoff = usize::try_from(u64_at(32)).expect("e_phoff fits");
    let phentsize = usize::from(u16_at(54));
    let phnum = usize::from(u16_at(56));
    assert!(phentsize >= 56, "e_phentsize {phentsize}");
    assert!(
        phoff + phnum * phentsize <= bytes.len(),
        "program headers past the end of the file"
    );
    let program_types = (0..phnum).map(|i| u32_at(phoff + i * phentsize)).collect();
    Elf {
        class,
        data,
        e_type,
        machine,
        program_types,
    }
}

/// The most bytes the phone's static binary may have.
const PHONE_BINARY_MAX: usize = 6_000_000;

#[test]
fn the_phone_binary_is_a_static_aarch64_elf() {
    let bin = static_bin();
    let bytes = std::fs::read(&bin).expect("read the aarch64 binary");
    let elf = parse_elf(&bytes);
    assert_eq!(elf.class, ELFCLASS64);
    assert_eq!(elf.data, ELFDATA2LSB);
    assert_eq!(
        elf.machine, EM_AARCH64,
        "e_machine {} is not EM_AARCH64",
        elf.machine
    );
    // ET_EXEC (static) or ET_DYN (static-pie); either way no interpreter.
    assert!(matches!(elf.e_type, 2 | 3), "e_type {}", elf.e_type);
    // The phone downloads it: at most 6,000,000 bytes (README, "Binary size", says where they
    // go; termux/size-by-crate.py measures it).
    assert!(
        bytes.len() <= PHONE_BINARY_MAX,
        "the phone's binary is {} bytes, over the {PHONE_BINARY_MAX} allowed: see termux/size-by-crate.py",
        bytes.len()
    );
    assert!(
        !elf.program_types.contains(&PT_INTERP),
        "it has a PT_INTERP: it would need a dynamic loader, which Termux's is not: {:?}",
        elf.program_types
    );
    // And it runs: the same version as the host build.
    let out = Command::new(qemu())
        .arg(&bin)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .expect("run qemu-aarch64-static");
    let host = Command::new(clawauth_bin())
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .expect("run clawauth");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&host.stdout)
    );
    println!(
        "{}: {} bytes ({:.2} MiB), ELF64 aarch64, e_type {}, {} program headers, PT_DYNAMIC {}, no PT_INTERP",
        bin.display(),
        bytes.len(),
        bytes.len() as f64 / (1024.0 * 1024.0),
        elf.e_type,
        elf.program_types.len(),
        if elf.program_types.contains(&PT_DYNAMIC) {
            "yes (static-pie)"
        } else {
            "no"
        }
    );
}

/// Runs `status --host gw --format json --check --at SAMPLE_AT` with the host build, then under
/// qemu; asserts one connection for the qemu run; returns both (exit code, report).
fn both_builds(lab: &Lab, label: &str) -> [(i32, Value); 2] {
    let args = [
        "status", "--host", "gw", "--format", "json", "--check", "--at", SAMPLE_AT,
    ];
    let host = lab.clawauth(&args, &[]);
    let before = lab.sshd.connections();
    let phone = lab.qemu_clawauth(&args, &[]);
    lab.sshd.assert_one_connection_since(
        before,
        &format!("{label}: the aarch64 build's check: {}", text(&phone)),
    );
    [host, phone].map(|out| (out.status.code().expect("exit code"), host_report(&out)))
}

#[test]
fn status_over_ssh_from_the_aarch64_binary_matches_the_host_build() {
    let oc = openclaw();
    let lab = Lab::new();
    lab.trust();
    let home = lab.sample_gateway("gw-home");
    lab.gateway(&home);
    lab.add_host("gw", &[]);
    let bin = Utf8PathBuf::from_path_buf(clawauth_bin()).expect("utf-8");
    let node_dir = Utf8PathBuf::from_path_buf(oc.node_bin_dir.clone()).expect("utf-8");
    // The real OpenClaw CLI on the gateway, its clock frozen at the sample's moment (the sample's
    // setup-token expires 5 h after it): `~/bin/openclaw` runs it under libfaketime.
    let gw_bin = home.join("bin");
    std::fs::create_dir_all(&gw_bin).expect("mkdir gateway bin");
    assert!(
        Utf8Path::new(FAKETIME_LIB).is_file(),
        "{FAKETIME_LIB} is missing: install Debian's `faketime` package (tests/install-tools.sh does)"
    );
    let sample_ms = chrono::DateTime::parse_from_rfc3339(SAMPLE_AT)
        .expect("SAMPLE_AT is RFC 3339")
        .timestamp_millis();
    std::fs::write(
        gw_bin.join("openclaw"),
        format!(
            "#!/bin/sh\nexec env LD_PRELOAD='{FAKETIME_LIB}' FAKETIME='{}' DONT_FAKE_MONOTONIC=1 '{}' \"$@\"\n",
            faketime_spec(sample_ms),
            oc.bin.display()
        ),
    )
    .expect("write the openclaw wrapper");
    clawauth_tests::set_mode(gw_bin.join("openclaw").as_std_path(), 0o755);

    for (label, path, source) in [
        (
            "clawauth installed on the gateway",
            vec![bin.parent().expect("dir")],
            "clawauth",
        ),
        (
            "the OpenClaw CLI on the gateway (clock frozen at the sample's moment)",
            vec![gw_bin.as_path(), node_dir.as_path()],
            "openclaw-cli",
        ),
    ] {
        login_path(&home, &path);
        let [(host_code, host), (phone_code, phone)] = both_builds(&lab, label);
        assert_eq!(
            host["via"]["source"], source,
            "{label}: the host build asked {}",
            host["via"]
        );
        assert_eq!(
            host_code, 2,
            "{label}: the sample is expiring at {SAMPLE_AT}: {host}"
        );
        assert_eq!(phone_code, host_code, "{label}: {phone}");
        assert_eq!(phone["verdict"], host["verdict"], "{label}");
        assert_eq!(phone["verdict"], "expiring", "{label}: {phone}");
        let (host, phone) = (comparable(host), comparable(phone));
        assert_eq!(
            phone,
            host,
            "{label}: the aarch64 build's report differs from the host build's:\n{}\n{}",
            serde_json::to_string_pretty(&phone).unwrap_or_default(),
            serde_json::to_string_pretty(&host).unwrap_or_default()
        );
        println!(
            "{label}: both builds exit {phone_code}, verdict {}, source {source}, {} providers, {} profiles",
            phone["verdict"],
            count(&phone, "providers"),
            count(&phone, "profiles"),
        );
    }
}

/// How many entries the agents' `key` arrays (`providers`, `profiles`) hold together.
fn count(report: &Value, key: &str) -> usize {
    report["agents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|agent| agent[key].as_array())
        .map(Vec::len)
        .sum()
}

/// Debian's dnsmasq (package dnsmasq-base), in the foreground on 127.0.0.1 answering
/// [`GW_NAME`] with 127.0.0.1 and logging every query; killed on drop.
struct Dnsmasq {
    port: u16,
    log: Utf8PathBuf,
    child: Child,
}

const DNSMASQ: &str = "/usr/sbin/dnsmasq";

impl Dnsmasq {
    fn start(dir: &Utf8Path) -> Dnsmasq {
        assert!(
            Utf8Path::new(DNSMASQ).is_file(),
            "{DNSMASQ} not found: install dnsmasq-base (apt-get install dnsmasq-base, or run \
             tests/install-tools.sh)"
        );
        // A port free a moment ago may be taken before dnsmasq binds it: retry on a new one.
        for attempt in 0..20 {
            let port = free_udp_and_tcp_port();
            let log = dir.join(format!("dnsmasq-{attempt}.log"));
            let child = Command::new(DNSMASQ)
                .args([
                    "--conf-file=/dev/null",
                    "--no-resolv",
                    "--no-hosts",
                    "--bind-interfaces",
                    "--listen-address=127.0.0.1",
                    &format!("--port={port}"),
                    &format!("--address=/{GW_NAME}/127.0.0.1"),
                    "--log-queries",
                    "--log-facility=-",
                    "--user=root",
                    // No pid file (the default is /run/dnsmasq.pid, shared with a system one).
                    "--pid-file=",
                    "--keep-in-foreground",
                ])
                .env_clear()
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("create dnsmasq log"))
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {DNSMASQ}: {e}"));
            let mut dns = Dnsmasq { port, log, child };
            if dns.wait_listening() {
                return dns;
            }
        }
        panic!("dnsmasq: no free port after 20 tries");
    }

    /// Waits (at most 10 s) until it accepts TCP on its port; `false` when it exited because the
    /// port was taken.
    fn wait_listening(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        let addr = format!("127.0.0.1:{}", self.port)
            .parse()
            .expect("socket addr");
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait dnsmasq") {
                let log = self.log_text();
                assert!(
                    log.contains("Address already in use"),
                    "dnsmasq exited ({status}):\n{log}"
                );
                return false;
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return true;
            }
            assert!(
                Instant::now() < deadline,
                "dnsmasq did not listen on port {} within 10 s:\n{}",
                self.port,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The `query[TYPE] NAME from ADDR` lines logged so far.
    fn queries(&self) -> Vec<String> {
        let file = std::fs::File::open(&self.log).expect("open dnsmasq log");
        BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .filter(|l| l.contains(" query["))
            .collect()
    }

    /// The query lines once one asks for `name` (waiting at most 5 s for the log to show it).
    fn wait_query(&self, name: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let queries = self.queries();
            if queries
                .iter()
                .any(|q| q.contains(&format!(" {name} from ")))
                || Instant::now() > deadline
            {
                return queries;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port on 127.0.0.1 free for both UDP and TCP a moment ago.
fn free_udp_and_tcp_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp 127.0.0.1:0");
        let port = udp.local_addr().expect("local addr").port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Runs the aarch64 build under qemu inside a new mount namespace whose `/etc` is an empty
/// tmpfs, with `PREFIX=prefix` on top of the phone's environment. The shell lists `/etc` first,
/// on stderr, as `ls -A /etc: [...]`.
fn qemu_without_etc(lab: &Lab, prefix: &Utf8Path, args: &[&str]) -> (Output, Duration) {
    const SCRIPT: &str = r#"mount -t tmpfs -o mode=755 clawauth-empty-etc /etc || exit 90
printf 'ls -A /etc: [%s]\n' "$(ls -A /etc)" >&2
exec "$@""#;
    let mut cmd = lab.phone_command("unshare");
    // Private propagation: the tmpfs never shows outside the namespace.
    cmd.arg(if is_root() { "-m" } else { "-rm" })
        .arg("--propagation")
        .arg("private")
        .args(["sh", "-c", SCRIPT, "sh"])
        .arg(qemu())
        .arg(static_bin())
        .args(args)
        .env("PREFIX", prefix.as_str());
    let started = Instant::now();
    let out = cmd.output().expect("run unshare (util-linux)");
    (out, started.elapsed())
}

#[test]
fn the_aarch64_binary_resolves_names_without_etc() {
    let lab = Lab::new();
    let dns = Dnsmasq::start(&lab.scratch);
    let home = lab.sample_gateway("gw-home");
    lab.gateway(&home);
    let bin = Utf8PathBuf::from_path_buf(clawauth_bin()).expect("utf-8");
    login_path(&home, &[bin.parent().expect("dir")]);

    // Termux's $PREFIX/etc/resolv.conf, naming the test DNS server (clawauth's ADDR:port form).
    let prefix = lab.scratch.join("prefix");
    std::fs::create_dir_all(prefix.join("etc")).expect("mkdir prefix/etc");
    std::fs::write(
        prefix.join("etc/resolv.conf"),
        format!("nameserver 127.0.0.1:{}\n", dns.port),
    )
    .expect("write resolv.conf");

    // The gateway by name, and its host key under that name.
    let target = format!("root@{GW_NAME}:{}", lab.sshd.port);
    let out = lab.clawauth(&["hosts", "add", "gw", "--ssh", &target, "--force"], &[]);
    assert!(out.status.success(), "hosts add: {}", text(&out));
    let line = lab.sshd.known_hosts_line();
    let (_, key) = line.split_once(' ').expect("known_hosts line: HOST KEY");
    std::fs::write(
        lab.phone.join(".ssh/known_hosts"),
        format!("[{GW_NAME}]:{} {key}\n", lab.sshd.port),
    )
    .expect("write known_hosts");

    let args = [
        "status",
        "--host",
        "gw",
        "--format",
        "json",
        "--check",
        "--at",
        SAMPLE_AT,
        "--connect-timeout",
        "3s",
    ];
    let before = lab.sshd.connections();
    let (out, took) = qemu_without_etc(&lab, &prefix, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ls -A /etc: []"),
        "/etc is not empty inside the namespace: {}",
        text(&out)
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let report = host_report(&out);
    assert_eq!(report["verdict"], "expiring", "{report}");
    assert_eq!(report["via"]["source"], "clawauth", "{report}");
    lab.sshd
        .assert_one_connection_since(before, &format!("by name: {}", text(&out)));
    let queries = dns.wait_query(GW_NAME);
    assert!(
        queries
            .iter()
            .any(|q| q.contains(&format!(" {GW_NAME} from 127.0.0.1"))),
        "dnsmasq logged no query for {GW_NAME}:\n{}",
        dns.log_text()
    );
    println!(
        "with $PREFIX/etc/resolv.conf and an empty /etc: exit 2, expiring, in {:.1} s; dnsmasq saw:\n  {}",
        took.as_secs_f64(),
        queries.join("\n  ")
    );

    // The same without a resolv.conf: the name cannot be resolved. There is no hosts file and
    // no resolv.conf, so only the fallback public nameservers are asked, and they do not know a
    // `.test` name (or cannot be reached).
    let bare = lab.scratch.join("prefix-without-resolv-conf");
    std::fs::create_dir_all(bare.join("etc")).expect("mkdir");
    let queries_before = dns.queries().len();
    let (out, took) = qemu_without_etc(&lab, &bare, &args);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ls -A /etc: []"),
        "{}",
        text(&out)
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let report = host_report(&out);
    let errors = report["errors"].to_string();
    let error = report["errors"][0].as_str().unwrap_or_default();
    // "cannot resolve …: no such host" when a fallback nameserver answers, "… no connections
    // available" when there is no route to them, "resolving … took longer than 3s" when they do
    // not answer; each names the host and where the nameservers came from.
    assert!(
        (error.contains(&format!("cannot resolve {GW_NAME:?}"))
            || error.contains(&format!("resolving {GW_NAME:?}")))
            && error.contains("(no readable resolv.conf)"),
        "the error does not say it could not resolve {GW_NAME:?} without a resolv.conf: {errors}\n{}",
        text(&out)
    );
    assert_eq!(dns.queries().len(), queries_before, "{}", dns.log_text());
    assert_eq!(
        lab.sshd.connections(),
        before + 1,
        "no connection without a name"
    );
    println!(
        "without a resolv.conf: exit 3 in {:.1} s: {error}",
        took.as_secs_f64()
    );
}
