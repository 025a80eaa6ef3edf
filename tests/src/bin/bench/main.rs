//! The benchmark: one tap (the status verdict, on the phone) the old way and clawauth's ways,
//! side by side, over a real sshd behind a delaying proxy. Run it with `tests/bench.sh`, which
//! installs what it needs first; it is not part of the test run.

mod evaluation;
mod figures;
mod jvm;
mod measure;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};

use clawauth_tests::delay_proxy::DelayProxy;
use clawauth_tests::lab::{ANTHROPIC, Lab, openclaw_check, openclaw_state};
use clawauth_tests::openclaw_cli::openclaw;
use figures::{Binary, DelayFigures, FleetFigures, Sample, Summary};

#[derive(Parser, Debug)]
#[command(
    name = "bench",
    about = "Benchmark one tap: the old script path against clawauth, over a real sshd",
    long_about = "Benchmark one tap — the gateway's status verdict, on the phone — the old way \
                  (OpenSSH `ssh` running `openclaw models status --json` and jq, and the old guided \
                  widget's OK path with its second connection) against clawauth (installed on the \
                  gateway, and through the OpenClaw CLI).\n\n\
                  Everything is real: Debian's sshd on 127.0.0.1, the OpenClaw CLI on node 24, a \
                  state written by that CLI, OpenSSH's ssh and jq, and clawauth's release build. A \
                  proxy of the benchmark's own delays every byte by the one-way delay (50 ms = a \
                  100 ms round trip, like a phone on 4G), the TCP handshake included.\n\n\
                  Per variant: median and p90 wall time, that time in round trips, gateway CPU (every \
                  process under sshd), phone CPU, bytes on the wire, SSH connections, ratios against \
                  the old way; then N gateways checked at once, the evaluation of two states near \
                  the size caps on this machine (tens of thousands of profiles, thousands of \
                  routes, a hundred agents), and the binary's size. The table goes to stdout \
                  (Markdown), progress to stderr, the figures to --out as JSON.",
    after_help = "Examples:\n  tests/bench.sh                       the full run (about 10 minutes)\n  \
                  tests/bench.sh --runs 5 --fleet 1,10  a quick look\n  \
                  tests/bench.sh --delay-ms 150,0       a slow link (300 ms round trips)\n  \
                  tests/bench.sh --evaluation-only      only the evaluation near the size caps"
)]
struct Args {
    /// One-way delays to measure at, in milliseconds (comma-separated; 0 = no delay). The
    /// round trips a tap waits for are worked out when 0 is among them.
    #[arg(long, value_delimiter = ',', default_values_t = [50u64, 0], value_name = "MS,…")]
    delay_ms: Vec<u64>,
    /// Measured runs per variant and delay (after one warm-up run each).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=1000))]
    runs: u64,
    /// Fleet sizes: this many gateways (distinct host aliases) checked at once (empty: none).
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 10, 50], value_name = "N,…")]
    fleet: Vec<usize>,
    /// Runs per fleet size for clawauth (the old way's fleet runs once: it is slow).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
    fleet_runs: u64,
    /// Where the JSON goes (default: target/bench/bench.json).
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Measured runs per state of the evaluation near the size caps (after one warm-up run).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100))]
    evaluation_runs: u64,
    /// Only the evaluation near the size caps (no sshd, no OpenClaw CLI: seconds, not minutes).
    #[arg(long)]
    evaluation_only: bool,
    /// Leave out the widget's path (the bindings from a JVM), which tests/bench.sh builds.
    #[arg(long)]
    no_jvm: bool,
}

/// The old way's variant key: ratios are against it.
const OLD: &str = "old-quick";

use figures::SSH_TRUE;

/// The host alias of the gateway as it is without clawauth (no `clawauth = …` in config.toml,
/// none on its PATH): the same sshd, checked through the OpenClaw CLI.
const BARE: &str = "gw-bare";

/// The most gateways a fleet run may have (sshd's MaxStartups in the test harness is 100).
const MAX_FLEET: usize = 100;

/// How long a tap may take before the benchmark gives up on it.
const TAP_TIMEOUT: Duration = Duration::from_secs(10 * 60);

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    if argv.get(1).is_some_and(|a| a == measure::MEASURE) {
        let rest = match argv.get(2) {
            Some(a) if a == "--" => &argv[3..],
            _ => &argv[2..],
        };
        return measure::wrapper(rest);
    }
    let args = Args::parse();
    if let Some(&n) = args.fleet.iter().find(|&&n| n == 0 || n > MAX_FLEET) {
        eprintln!("error: --fleet {n}: a fleet has 1 to {MAX_FLEET} gateways");
        return ExitCode::from(64);
    }
    if args.delay_ms.iter().any(|&d| d > 5_000) {
        eprintln!("error: --delay-ms takes one-way delays up to 5000 ms");
        return ExitCode::from(64);
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// One way of getting the verdict on the phone.
struct Variant {
    key: &'static str,
    label: &'static str,
    program: PathBuf,
    args: Vec<String>,
    /// SSH connections one run must open.
    connections: usize,
    /// What the run must print.
    verdict: fn(&str) -> bool,
    /// The widget's path: a check through the bindings in the running app process, not a
    /// program started per tap.
    jvm: bool,
}

/// The phone, the gateway and the link between them.
struct Bench {
    lab: Lab,
    proxy: DelayProxy,
    ticks: u64,
    me: PathBuf,
    old_way: PathBuf,
    clawauth: PathBuf,
    /// The app process of the widget's path (absent with --no-jvm).
    jvm: Option<std::cell::RefCell<jvm::JvmTap>>,
}

fn run(args: &Args) -> Result<(), String> {
    let started = Instant::now();
    // Where the figures go is checked first, not after a quarter of an hour of measuring.
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| clawauth_tests::target_dir().join("bench/bench.json"));
    let out = camino::Utf8PathBuf::from_path_buf(out)
        .map_err(|p| format!("--out {}: not a UTF-8 path", p.display()))?;
    if let Some(parent) = out.parent().filter(|p| !p.as_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("--out {out}: cannot create {parent}: {e}"))?;
    }
    if out.is_dir() {
        return Err(format!("--out {out}: is a directory; give a file name"));
    }
    say("building clawauth (release)…");
    let clawauth = clawauth_tests::clawauth_bin();
    let me = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    if args.evaluation_only {
        say("evaluation of states near the size caps…");
        let figures = evaluation::measure(&me, &clawauth, args.evaluation_runs)?;
        println!("{}", evaluation::table(&figures));
        let doc = json!({
            "schema": 1,
            "taken_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "evaluation": evaluation::json(&figures),
        });
        return clawauth_core::fsutil::write_atomic(
            &out,
            format!("{doc:#}\n").as_bytes(),
            Some(0o644),
        )
        .map_err(|e| format!("cannot write {out}: {e}"));
    }
    let oc = openclaw();
    let old_way = clawauth_tests::repo_root().join("tests/bench/old-way");
    for tool in ["ssh", "jq", "strip"] {
        clawauth_tests::find_program(tool).ok_or_else(|| {
            format!("`{tool}` is not installed: run tests/bench.sh, which installs it (Debian packages openssh-client, jq, binutils)")
        })?;
    }

    say("starting sshd and writing the gateway's state with the real OpenClaw CLI…");
    let lab = Lab::new();
    let home = lab.new_home("gateway");
    openclaw_state(&oc, &home, ANTHROPIC, Some("365d"));
    let expected = openclaw_check(&oc, &home);
    if expected != 0 {
        return Err(format!(
            "`openclaw models status --check` on the benchmark's gateway state exits {expected}, not 0"
        ));
    }
    let dir = |p: &Path| {
        p.parent()
            .map(|d| d.display().to_string())
            .unwrap_or_default()
    };
    // clawauth is not on the gateway's PATH: it gets there by `hosts install` (below).
    let gateway_path = format!(
        "{}:{}:{}:/usr/local/bin:/usr/bin:/bin",
        oc.node_bin_dir.display(),
        dir(&oc.bin),
        old_way.display(),
    );
    lab.gateway_for(&lab.key, &home, &gateway_path);
    let first_delay = Duration::from_millis(args.delay_ms.first().copied().unwrap_or(50));
    let proxy = DelayProxy::start(([127, 0, 0, 1], lab.sshd.port).into(), first_delay)
        .map_err(|e| format!("cannot start the delay proxy: {e}"))?;
    let aliases = args.fleet.iter().copied().max().unwrap_or(1).max(1);
    write_phone_ssh(&lab, proxy.port, aliases)?;
    for line in install_helper(&lab, &clawauth, aliases)?.lines() {
        eprintln!("    {line}");
    }
    let jvm = if args.no_jvm {
        None
    } else {
        say(
            "starting the widget's path: the bindings in a JVM (`hostsInstall`, then checks on request)…",
        );
        let target = format!("root@127.0.0.1:{}", proxy.port);
        let line = lab.sshd.known_hosts_line_at(proxy.port);
        Some(std::cell::RefCell::new(jvm::JvmTap::start(
            &lab, &target, &line, &clawauth,
        )?))
    };

    let bench = Bench {
        proxy,
        ticks: measure::clock_ticks(),
        me,
        old_way,
        clawauth,
        lab,
        jvm,
    };
    let variants = bench.variants();

    let mut delays = Vec::new();
    for &d in &args.delay_ms {
        let one_way = Duration::from_millis(d);
        bench.proxy.set_delay(one_way);
        say(&format!(
            "one-way delay {d} ms: a warm-up run of each variant, then {} rounds",
            args.runs
        ));
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); variants.len()];
        for v in &variants {
            bench.tap(v)?;
        }
        // Round-robin, so drift on the machine spreads over every variant alike.
        for round in 1..=args.runs {
            let mut line = format!("  [{d} ms] round {round}/{}:", args.runs);
            for (v, s) in variants.iter().zip(samples.iter_mut()) {
                let sample = bench.tap(v)?;
                line.push_str(&format!(" {} {:.2}s", v.key, sample.wall.as_secs_f64()));
                s.push(sample);
            }
            say(&line);
        }
        delays.push(DelayFigures {
            one_way,
            variants: variants
                .iter()
                .zip(&samples)
                .map(|(v, s)| Summary::of(v.key, v.label, s, one_way))
                .collect(),
        });
    }
    figures::link_latency(&mut delays);

    let mut fleet = Vec::new();
    bench.proxy.set_delay(first_delay);
    for &n in &args.fleet {
        say(&format!(
            "fleet: {n} gateway(s) at once, one-way delay {} ms",
            first_delay.as_millis()
        ));
        let hosts: Vec<String> = (1..=n).map(|i| format!("gw-{i}")).collect();
        let claw = bench.clawauth_fleet(&hosts);
        let old = bench.old_fleet(&hosts);
        let mut claw_samples = Vec::new();
        for run in 1..=args.fleet_runs {
            let s = bench.tap(&claw)?;
            say(&format!(
                "  clawauth, {n} gateways, run {run}/{}: {:.2}s",
                args.fleet_runs,
                s.wall.as_secs_f64()
            ));
            claw_samples.push(s);
        }
        let s = bench.tap(&old)?;
        say(&format!(
            "  old way, {n} gateways: {:.2}s",
            s.wall.as_secs_f64()
        ));
        fleet.push(FleetFigures {
            hosts: n,
            one_way: first_delay,
            variants: vec![
                Summary::of(claw.key, claw.label, &claw_samples, first_delay),
                Summary::of(old.key, old.label, &[s], first_delay),
            ],
        });
    }

    say("evaluation of states near the size caps…");
    let evaluated = evaluation::measure(&bench.me, &bench.clawauth, args.evaluation_runs)?;
    let binary = binary_sizes(&bench.clawauth)?;
    let machine = machine(&bench.clawauth, &oc);
    let machine_line = machine_line(&machine);
    let table = format!(
        "{}\n{}",
        figures::table(&machine_line, &delays, &fleet, &binary, OLD),
        evaluation::table(&evaluated)
    );
    let mut doc = figures::document(machine, &delays, &fleet, &binary, OLD);
    doc["evaluation"] = evaluation::json(&evaluated);
    // The table first: a failed write must not lose the figures.
    println!("{table}");
    clawauth_core::fsutil::write_atomic(&out, format!("{doc:#}\n").as_bytes(), Some(0o644))
        .map_err(|e| format!("cannot write {out}: {e}"))?;
    say(&format!(
        "figures written to {out} ({:.0} s in all)",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

impl Bench {
    fn variants(&self) -> Vec<Variant> {
        let claw = self.clawauth.display().to_string();
        let status = |host: &str| -> Vec<String> {
            ["status", "--host", host, "--check", "--format", "simple"]
                .map(str::to_owned)
                .to_vec()
        };
        let mut variants = vec![
            Variant {
                key: OLD,
                label: "old way: ssh + openclaw --json + jq",
                program: self.old_way.join("quick.sh"),
                args: vec!["gw".into()],
                connections: 1,
                verdict: |out| out.trim() == "OK",
                jvm: false,
            },
            Variant {
                key: "old-guided-ok",
                label: "old guided widget, OK path",
                program: self.old_way.join("guided.sh"),
                args: vec!["gw".into()],
                connections: 2,
                verdict: |out| out.trim().starts_with("OK (") && !out.contains("?h"),
                jvm: false,
            },
            Variant {
                key: "clawauth-bare",
                label: "clawauth, gateway without clawauth (the OpenClaw CLI answers)",
                program: claw.clone().into(),
                args: status(BARE),
                connections: 1,
                verdict: |out| out.trim() == "gw-bare OK",
                jvm: false,
            },
            Variant {
                key: "clawauth",
                label: "clawauth after `hosts install` (clawauth answers)",
                program: claw.into(),
                args: status("gw"),
                connections: 1,
                verdict: |out| out.trim() == "gw OK",
                jvm: false,
            },
        ];
        if self.jvm.is_some() {
            variants.push(Variant {
                key: "widget",
                label: "widget's path: the bindings in a running JVM, after `hostsInstall`",
                program: PathBuf::new(),
                args: Vec::new(),
                connections: 1,
                verdict: |level| level == "OK",
                jvm: true,
            });
        }
        variants.push(Variant {
            key: SSH_TRUE,
            label: "reference: OpenSSH `ssh gw true`",
            program: clawauth_tests::sshd::ssh_bin().into(),
            args: vec![
                "-F".into(),
                self.lab.phone.join(".ssh/config").to_string(),
                "gw".into(),
                "true".into(),
            ],
            connections: 1,
            verdict: |out| out.trim().is_empty(),
            jvm: false,
        });
        variants
    }

    fn clawauth_fleet(&self, hosts: &[String]) -> Variant {
        let mut args: Vec<String> = ["status", "--check", "--format", "simple"]
            .map(str::to_owned)
            .to_vec();
        for h in hosts {
            args.extend(["--host".to_owned(), h.clone()]);
        }
        Variant {
            key: "clawauth",
            label: "clawauth, installed on the gateway",
            program: self.clawauth.clone(),
            args,
            connections: hosts.len(),
            verdict: fleet_verdict,
            jvm: false,
        }
    }

    fn old_fleet(&self, hosts: &[String]) -> Variant {
        Variant {
            key: OLD,
            label: "old way, in parallel",
            program: self.old_way.join("fleet.sh"),
            args: hosts.to_vec(),
            connections: hosts.len(),
            verdict: fleet_verdict,
            jvm: false,
        }
    }

    /// One run of `v`: the phone side through the measuring wrapper, then — once every
    /// connection is closed and sshd has waited for all its children — the gateway's CPU and
    /// the proxy's counts. A run that does not give the expected verdict stops the benchmark.
    fn tap(&self, v: &Variant) -> Result<Sample, String> {
        let sshd = &self.lab.sshd;
        let cpu_before = sshd.served_cpu_ticks().ok_or("sshd stopped")?;
        let before = self.proxy.counters();
        let sessions_before = sshd.sessions();
        let phone = match &self.jvm {
            Some(app) if v.jvm => {
                let checked = app.borrow_mut().check()?;
                measure::PhoneSide {
                    wall: checked.wall,
                    code: Some(0),
                    stdout: checked.level,
                    stderr: String::new(),
                    cpu: checked.cpu,
                    max_rss_kib: 0,
                }
            }
            _ => {
                let mut cmd = self.lab.phone_command(&self.me);
                cmd.arg(measure::MEASURE)
                    .arg("--")
                    .arg(&v.program)
                    .args(&v.args);
                let out =
                    output_within(cmd, TAP_TIMEOUT).map_err(|e| format!("{}: {e}", v.label))?;
                let stdout = String::from_utf8_lossy(&out.stdout);
                measure::parse_phone_side(stdout.lines().last().unwrap_or_default())?
            }
        };
        let fits = (v.verdict)(&phone.stdout);
        if phone.code != Some(0) || !fits {
            return Err(format!(
                "{}: the run did not give the OK verdict (exit {:?}); the benchmark only measures working taps.\n--- stdout\n{}--- stderr\n{}",
                v.label, phone.code, phone.stdout, phone.stderr
            ));
        }
        if !self.proxy.wait_idle(Duration::from_secs(10)) {
            return Err(format!(
                "{}: a connection through the proxy stayed open 10 s after the run ended",
                v.label
            ));
        }
        if !sshd.wait_childless(Duration::from_secs(10)) {
            return Err(format!(
                "{}: sshd still had connection processes 10 s after the run ended",
                v.label
            ));
        }
        let cpu_after = sshd.served_cpu_ticks().ok_or("sshd stopped")?;
        let counts = self.proxy.counters().since(&before);
        if counts.accepted != v.connections {
            return Err(format!(
                "{}: opened {} SSH connection(s), expected {}",
                v.label, counts.accepted, v.connections
            ));
        }
        Ok(Sample {
            wall: phone.wall,
            phone_cpu: phone.cpu,
            max_rss_kib: phone.max_rss_kib,
            gateway_cpu: Duration::from_secs_f64(
                cpu_after.saturating_sub(cpu_before) as f64 / self.ticks as f64,
            ),
            bytes_up: counts.bytes_up,
            bytes_down: counts.bytes_down,
            connections: counts.accepted,
            sessions: sshd.sessions() - sessions_before,
        })
    }
}

/// Every line of a fleet run is `HOST OK` (one host or many: clawauth prints `NAME WORD` lines
/// whenever hosts are asked for).
fn fleet_verdict(out: &str) -> bool {
    let lines: Vec<&str> = out.lines().collect();
    !lines.is_empty() && lines.iter().all(|l| l.ends_with(" OK"))
}

/// `clawauth hosts install gw` (the benchmark's clawauth onto the gateway, recorded in the
/// phone's config.toml), and the fleet's hosts `gw-1` … `gw-N` configured with that helper;
/// `gw-bare` is left as a gateway without clawauth. Returns install's own report.
fn install_helper(lab: &Lab, clawauth: &Path, fleet: usize) -> Result<String, String> {
    say("clawauth hosts install gw…");
    let run = |args: &[&str]| -> Result<String, String> {
        let mut cmd = lab.phone_command(clawauth);
        cmd.args(args);
        let out = output_within(cmd, Duration::from_secs(120))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            return Err(format!("clawauth {}: {text}", args.join(" ")));
        }
        Ok(text)
    };
    run(&["hosts", "add", "gw", "--ssh", "gw"])?;
    let report = run(&["hosts", "install", "gw"])?;
    for i in 1..=fleet {
        let name = format!("gw-{i}");
        run(&[
            "hosts",
            "add",
            &name,
            "--ssh",
            &name,
            "--clawauth",
            "~/.local/bin/clawauth",
        ])?;
    }
    Ok(report)
}

/// The phone's `~/.ssh/config`: `gw`, `gw-bare` and `gw-1` … `gw-N`, each a host alias of its
/// own for the proxy's port, with strict host key checking against the phone's known_hosts.
fn write_phone_ssh(lab: &Lab, port: u16, aliases: usize) -> Result<(), String> {
    let ssh = lab.phone.join(".ssh");
    let known_hosts = ssh.join("known_hosts");
    let line = lab.sshd.known_hosts_line_at(port);
    std::fs::write(&known_hosts, format!("{line}\n"))
        .map_err(|e| format!("cannot write {known_hosts}: {e}"))?;
    let mut config = String::new();
    let names = ["gw".to_owned(), BARE.to_owned()]
        .into_iter()
        .chain((1..=aliases).map(|i| format!("gw-{i}")));
    for name in names {
        config.push_str(&format!(
            "Host {name}\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  IdentityFile {key}\n  IdentitiesOnly yes\n  UserKnownHostsFile {known_hosts}\n  StrictHostKeyChecking yes\n  BatchMode yes\n\n",
            key = lab.key.private,
        ));
    }
    let path = ssh.join("config");
    std::fs::write(&path, config).map_err(|e| format!("cannot write {path}: {e}"))
}

/// Runs `cmd` with a time limit.
fn output_within(mut cmd: Command, limit: Duration) -> Result<std::process::Output, String> {
    let child = cmd.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(r) => r.map_err(|e| format!("wait: {e}")),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            Err(format!("no result within {} s", limit.as_secs()))
        }
    }
}

fn binary_sizes(bin: &Path) -> Result<Binary, String> {
    let size = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.len())
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    let tmp = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let copy = tmp.path().join("clawauth");
    let status = Command::new("strip")
        .arg("--strip-all")
        .arg("-o")
        .arg(&copy)
        .arg(bin)
        .status()
        .map_err(|e| format!("cannot run strip (Debian package binutils): {e}"))?;
    if !status.success() {
        return Err(format!("strip {} failed ({status})", bin.display()));
    }
    let aarch64 = clawauth_tests::target_dir().join("static/clawauth-aarch64-linux-musl");
    Ok(Binary {
        path: bin.display().to_string(),
        size: size(bin)?,
        stripped_size: size(&copy)?,
        aarch64_static: size(&aarch64)
            .ok()
            .map(|s| (aarch64.display().to_string(), s)),
    })
}

fn first_line(program: &Path, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .unwrap_or_default()
}

fn machine(clawauth: &Path, oc: &clawauth_tests::openclaw_cli::OpenClaw) -> Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let mem_kib: u64 = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0);
    let os = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_default();
    let node = oc.node_bin_dir.join("node");
    let openclaw_version = Command::new(&oc.bin)
        .arg("--version")
        .env("PATH", oc.path_env())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "memory_gib": figures::round(mem_kib as f64 / 1_048_576.0, 1),
        "os": os,
        "kernel": read("/proc/sys/kernel/osrelease").trim(),
        "openssh": first_line(Path::new("ssh"), &["-V"]),
        "jq": first_line(Path::new("jq"), &["--version"]),
        "node": first_line(&node, &["--version"]),
        "openclaw": openclaw_version,
        "clawauth": first_line(clawauth, &["--version"]),
    })
}

fn machine_line(m: &Value) -> String {
    let s = |k: &str| m[k].as_str().unwrap_or("?").to_owned();
    format!(
        "{} ({} cores, {} GiB), {}, Linux {}; {}, {}, node {}, {}, {}",
        s("cpu"),
        m["cores"],
        m["memory_gib"],
        s("os"),
        s("kernel"),
        s("openssh"),
        s("jq"),
        s("node"),
        s("openclaw"),
        s("clawauth"),
    )
}

fn say(msg: &str) {
    eprintln!("==> {msg}");
}
