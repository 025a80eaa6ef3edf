//! Real OpenSSH servers on 127.0.0.1 for the SSH integration tests (Debian's `openssh-server`
//! and `openssh-client`, as installed by `tests/install-tools.sh`). A missing install fails the
//! test with the command that installs it; nothing is skipped.
//!
//! Each [`Sshd`] lives in its own temporary directory (host key, `sshd_config`, `authorized_keys`,
//! `sshd.log`) and listens on a port of its own, so several may run at once in one test process
//! and test binaries may run in parallel. The remote user is whoever runs the tests (root here and
//! in CI); give each session its own HOME with [`Sshd::authorize`]'s options, e.g.
//! `environment="HOME=/tmp/x"`. The session's working directory stays the passwd home (`/root`).
//!
//! Killing: sshd's per-connection processes and the commands they run each call `setsid()`, so
//! a process group does not hold them. [`Sshd::kill_all`] walks the process tree below the
//! listening sshd (via `/proc`), stops every process in it until no new one appears, then kills
//! them all — a gateway dying mid-command. A remote command that daemonizes (forks and lets its
//! parent exit) leaves the tree and is not killed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::OpenOptions;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};

/// Absolute path of the server: sshd refuses to run (re-exec) from a relative path.
pub const SSHD: &str = "/usr/sbin/sshd";

/// How long a server gets to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The exact sshd log line (LogLevel VERBOSE, `-e`) that marks one accepted TCP connection, as
/// OpenSSH 9.2p1 (Debian 12) writes it:
/// `Connection from 127.0.0.1 port 41828 on 127.0.0.1 port 42111 rdomain ""`.
pub const CONNECTION_LINE: &str = "Connection from ";

/// The sshd log line that marks one session channel started (a command, a shell or a subsystem):
/// `Starting session: command for root from 127.0.0.1 port 41828 id 0`.
pub const SESSION_LINE: &str = "Starting session: ";

const INSTALL_HINT: &str = "install with tests/install-tools.sh (Debian packages openssh-server \
                            and openssh-client)";

/// Finds an OpenSSH program on PATH (or in /usr/bin, /usr/sbin); panics with the install hint.
fn tool(name: &str) -> Utf8PathBuf {
    crate::find_program(name)
        .unwrap_or_else(|| panic!("OpenSSH's `{name}` was not found on PATH: {INSTALL_HINT}"))
}

/// Panics with the install command unless the OpenSSH server and client programs are present.
pub fn require_openssh() {
    assert!(
        Utf8Path::new(SSHD).is_file(),
        "OpenSSH server not found at {SSHD}: {INSTALL_HINT}"
    );
    for name in ["ssh", "ssh-keygen", "ssh-agent", "ssh-add"] {
        tool(name);
    }
}

/// `ssh` (OpenSSH's client).
pub fn ssh_bin() -> Utf8PathBuf {
    tool("ssh")
}

fn run_checked(cmd: &mut Command, what: &str) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e} ({INSTALL_HINT})"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `ssh-keygen -q -t TYPE -N PASS -C COMMENT -f PATH` (removes an old key at PATH first).
fn keygen(path: &Utf8Path, key_type: &str, passphrase: &str, comment: &str, host: bool) {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(format!("{path}.pub"));
    let mut cmd = Command::new(tool("ssh-keygen"));
    cmd.args(["-q", "-t", key_type, "-N", passphrase, "-C", comment]);
    if host && key_type == "rsa" {
        // Faster than the default 3072 bits and still accepted (RequiredRSASize is 1024).
        cmd.args(["-b", "2048"]);
    }
    cmd.arg("-f").arg(path);
    run_checked(&mut cmd, &format!("ssh-keygen -t {key_type} -f {path}"));
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to :0 and released).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// A port on 127.0.0.1 that nothing listens on (for "connection refused" tests).
pub fn closed_port() -> u16 {
    loop {
        let port = free_port();
        if TcpStream::connect_timeout(
            &format!("127.0.0.1:{port}").parse().expect("addr"),
            Duration::from_millis(200),
        )
        .is_err()
        {
            return port;
        }
    }
}

/// How to start an [`Sshd`].
#[derive(Debug, Clone)]
pub struct SshdOptions {
    /// Extra `sshd_config` lines. They come first, so they override the defaults (sshd keeps the
    /// first value of a keyword); lines from the first `Match` on go to the end of the file.
    pub extra_config: Vec<String>,
    /// Host key type: `"ed25519"` (default), `"ecdsa"` or `"rsa"` (slower to generate).
    pub host_key_type: &'static str,
}

impl Default for SshdOptions {
    fn default() -> Self {
        Self {
            extra_config: Vec::new(),
            host_key_type: "ed25519",
        }
    }
}

/// A running OpenSSH server on 127.0.0.1, killed (with everything it started) on drop.
pub struct Sshd {
    pub port: u16,
    /// The server's own temporary directory.
    pub dir: Utf8PathBuf,
    /// The host private key.
    pub host_key: Utf8PathBuf,
    /// The host public key file (`ssh-ed25519 AAAA… comment`).
    pub host_pub: Utf8PathBuf,
    pub config: Utf8PathBuf,
    pub authorized_keys: Utf8PathBuf,
    /// sshd's stderr (`-e`), appended across restarts.
    pub log_path: Utf8PathBuf,
    opts: SshdOptions,
    child: Option<Child>,
    tmp: Option<tempfile::TempDir>,
}

impl Sshd {
    /// Generates a host key and an `sshd_config`, checks it with `sshd -t`, starts
    /// `/usr/sbin/sshd -D -e -f CFG` on a free port and waits (at most 10 s) until it listens.
    pub fn start(opts: SshdOptions) -> Sshd {
        require_openssh();
        let tmp = tempfile::Builder::new()
            .prefix("clawauth-sshd.")
            .tempdir()
            .expect("tempdir");
        let dir = Utf8PathBuf::from_path_buf(tmp.path().to_path_buf()).expect("utf-8 temp dir");
        let mut sshd = Sshd {
            port: 0,
            host_key: dir.join("ssh_host_key"),
            host_pub: dir.join("ssh_host_key.pub"),
            config: dir.join("sshd_config"),
            authorized_keys: dir.join("authorized_keys"),
            log_path: dir.join("sshd.log"),
            dir,
            opts,
            child: None,
            tmp: Some(tmp),
        };
        std::fs::write(&sshd.authorized_keys, "").expect("create authorized_keys");
        sshd.new_host_key();
        privsep_dir();
        // A port free a moment ago may be taken before sshd binds it: retry on a new one.
        for _ in 0..20 {
            sshd.port = free_port();
            if sshd.launch() {
                return sshd;
            }
        }
        panic!(
            "sshd: no free port after 20 tries; log:\n{}",
            sshd.log_tail(40)
        );
    }

    fn new_host_key(&self) {
        keygen(
            &self.host_key,
            self.opts.host_key_type,
            "",
            "clawauth-test-host",
            true,
        );
    }

    fn write_config(&self) {
        let split = self
            .opts
            .extra_config
            .iter()
            .position(|l| l.trim_start().to_ascii_lowercase().starts_with("match "))
            .unwrap_or(self.opts.extra_config.len());
        let (head, matches) = self.opts.extra_config.split_at(split);
        let mut cfg = String::new();
        for line in head {
            cfg.push_str(line);
            cfg.push('\n');
        }
        cfg.push_str(&format!(
            "Port {port}\n\
             ListenAddress 127.0.0.1\n\
             HostKey {host_key}\n\
             PidFile {dir}/sshd.pid\n\
             AuthorizedKeysFile {authorized_keys}\n\
             PubkeyAuthentication yes\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             UsePAM no\n\
             PermitRootLogin prohibit-password\n\
             StrictModes no\n\
             PermitUserEnvironment yes\n\
             AllowTcpForwarding yes\n\
             LogLevel VERBOSE\n\
             MaxStartups 100\n\
             PrintMotd no\n\
             PrintLastLog no\n\
             Subsystem sftp internal-sftp\n",
            port = self.port,
            host_key = self.host_key,
            dir = self.dir,
            authorized_keys = self.authorized_keys,
        ));
        for line in matches {
            cfg.push_str(line);
            cfg.push('\n');
        }
        std::fs::write(&self.config, cfg).expect("write sshd_config");
    }

    /// Writes the config for `self.port`, checks it and starts sshd. `false` when the port was
    /// taken; panics on any other failure.
    fn launch(&mut self) -> bool {
        assert!(self.child.is_none(), "sshd is already running");
        self.write_config();
        let check = Command::new(SSHD)
            .arg("-t")
            .arg("-f")
            .arg(&self.config)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {SSHD}: {e} ({INSTALL_HINT})"));
        assert!(
            check.status.success(),
            "`sshd -t -f {}` rejected the config:\n{}\n{}",
            self.config,
            String::from_utf8_lossy(&check.stderr),
            std::fs::read_to_string(&self.config).unwrap_or_default()
        );
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open sshd.log");
        let offset = log.metadata().map(|m| m.len()).unwrap_or(0) as usize;
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&self.config)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e} ({INSTALL_HINT})"));
        self.child = Some(child);

        let ready = format!("Server listening on 127.0.0.1 port {}.", self.port);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let log = self.log();
            let new = log.get(offset..).unwrap_or_default();
            if new.contains(&ready) {
                return true;
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().expect("try_wait sshd"));
            if let Some(status) = exited {
                self.child = None;
                if new.contains("Address already in use") {
                    return false;
                }
                panic!(
                    "sshd exited ({status}) before listening on port {}; log:\n{}",
                    self.port,
                    self.log_tail(40)
                );
            }
            if Instant::now() > deadline {
                self.kill_all();
                panic!(
                    "sshd did not listen on port {} within {START_TIMEOUT:?}; log:\n{}",
                    self.port,
                    self.log_tail(40)
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The listening sshd's pid, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Appends `OPTIONS PUBKEY` to `authorized_keys`; `options` may be empty, e.g.
    /// `environment="HOME=/tmp/x",environment="PATH=/usr/bin:/bin"` (PermitUserEnvironment is on).
    pub fn authorize(&self, pubkey_line: &str, options: &str) {
        let key = pubkey_line.trim();
        assert!(
            !key.contains('\n') && !options.contains('\n'),
            "one key per line"
        );
        let line = if options.is_empty() {
            format!("{key}\n")
        } else {
            format!("{options} {key}\n")
        };
        OpenOptions::new()
            .append(true)
            .open(&self.authorized_keys)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .expect("append to authorized_keys");
    }

    /// Everything sshd logged so far (all runs).
    pub fn log(&self) -> String {
        let bytes = std::fs::read(&self.log_path).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The last `n` lines of the log.
    pub fn log_tail(&self, n: usize) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    fn count_lines(&self, prefix: &str) -> usize {
        self.log().lines().filter(|l| l.starts_with(prefix)).count()
    }

    /// TCP connections sshd accepted so far (all runs): lines starting with [`CONNECTION_LINE`].
    /// sshd logs the line as soon as its per-connection process starts, so right after a client
    /// connected it can lag by a few milliseconds; [`Sshd::wait_connections`] waits for a count.
    pub fn connections(&self) -> usize {
        self.count_lines(CONNECTION_LINE)
    }

    /// Session channels started so far (commands, shells, subsystems): [`SESSION_LINE`] lines.
    pub fn sessions(&self) -> usize {
        self.count_lines(SESSION_LINE)
    }

    /// Waits (at most 5 s) until `connections() >= n`; returns the count.
    pub fn wait_connections(&self, n: usize) -> usize {
        wait_count(|| self.connections(), n)
    }

    /// Asserts that exactly one connection came in since the count was `before`: sshd logs a
    /// connection as its child starts, so the log gets a moment, then is counted. `context`
    /// goes into the failure message.
    pub fn assert_one_connection_since(&self, before: usize, context: &str) {
        let after = self.wait_connections(before + 1);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            self.connections(),
            before + 1,
            "exactly one SSH connection (before {before}, after {after}): {context}"
        );
    }

    /// Waits (at most 5 s) until `sessions() >= n`; returns the count.
    pub fn wait_sessions(&self, n: usize) -> usize {
        wait_count(|| self.sessions(), n)
    }

    /// `[127.0.0.1]:PORT TYPE BASE64` (plain, not hashed) for the current host key.
    pub fn known_hosts_line(&self) -> String {
        self.known_hosts_line_at(self.port)
    }

    /// [`Sshd::known_hosts_line`] for another port of 127.0.0.1 that leads here (a proxy's).
    pub fn known_hosts_line_at(&self, port: u16) -> String {
        let text = std::fs::read_to_string(&self.host_pub).expect("read host public key");
        let mut fields = text.split_whitespace();
        let (Some(ty), Some(b64)) = (fields.next(), fields.next()) else {
            panic!("malformed host public key {}", self.host_pub);
        };
        format!("[127.0.0.1]:{port} {ty} {b64}")
    }

    /// Writes a known_hosts file holding [`Sshd::known_hosts_line`].
    pub fn write_known_hosts(&self, path: &Utf8Path) {
        std::fs::write(path, format!("{}\n", self.known_hosts_line())).expect("write known_hosts");
    }

    /// `SHA256:…` of the current host key (`ssh-keygen -E sha256 -lf`).
    pub fn host_fingerprint(&self) -> String {
        let out = run_checked(
            Command::new(tool("ssh-keygen"))
                .args(["-E", "sha256", "-lf"])
                .arg(&self.host_pub),
            "ssh-keygen -lf",
        );
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace()
            .find(|f| f.starts_with("SHA256:"))
            .unwrap_or_else(|| panic!("no SHA256 fingerprint in {text:?}"))
            .to_owned()
    }

    /// OpenSSH's `ssh` to `root@127.0.0.1 -p PORT`, strict and non-interactive: `-F /dev/null`,
    /// BatchMode, IdentitiesOnly with `-i key`, StrictHostKeyChecking=yes against `known_hosts`,
    /// a 10 s ConnectTimeout, stdin from /dev/null. Append the remote command with `.arg(…)`.
    pub fn ssh_command(&self, key: &Utf8Path, known_hosts: &Utf8Path) -> Command {
        let mut cmd = Command::new(ssh_bin());
        cmd.args(["-F", "/dev/null"])
            .args(strict_ssh_options(known_hosts))
            .arg("-i")
            .arg(key)
            .arg("-p")
            .arg(self.port.to_string())
            .arg("root@127.0.0.1")
            .stdin(Stdio::null());
        cmd
    }

    /// CPU time (user + system, in clock ticks) of the listening sshd and of every process
    /// below it that has been waited for: each connection it served, down to the commands run
    /// in it, once the connection has ended (see [`Sshd::wait_childless`]). `None` when sshd
    /// does not run.
    pub fn served_cpu_ticks(&self) -> Option<u64> {
        let pid = self.pid()?;
        // utime, stime, cutime, cstime: fields 14–17 of /proc/PID/stat.
        (11..=14)
            .map(|n| stat_field(pid, n).and_then(|f| f.parse::<u64>().ok()))
            .sum()
    }

    /// Waits (at most `timeout`) until the listening sshd has no child left, waited-for
    /// zombies included: every connection has ended and is counted in
    /// [`Sshd::served_cpu_ticks`]. `false` when some remain.
    pub fn wait_childless(&self, timeout: Duration) -> bool {
        let Some(pid) = self.pid() else { return true };
        let deadline = Instant::now() + timeout;
        while parents().values().any(|&ppid| ppid == pid) {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        true
    }

    /// Kills sshd and every process below it (per-connection sshds and the commands they run),
    /// and waits until they are gone. Idempotent.
    pub fn kill_all(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        kill_tree(child.id());
        let _ = child.wait();
    }

    /// Kills everything, generates a new host key (same type) and starts again on the same port.
    pub fn restart_with_new_host_key(&mut self) {
        self.kill_all();
        self.new_host_key();
        privsep_dir();
        // The port was just released; someone else may grab it meanwhile, so retry a while.
        for _ in 0..50 {
            if self.launch() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "sshd could not bind port {} again; log:\n{}",
            self.port,
            self.log_tail(40)
        );
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill_all();
        if std::thread::panicking()
            && let Some(tmp) = self.tmp.take()
        {
            let dir = tmp.keep();
            eprintln!(
                "sshd on port {} kept its directory for inspection: {}\nlog tail:\n{}",
                self.port,
                dir.display(),
                self.log_tail(20)
            );
        }
    }
}

/// The `-o` options of a strict, non-interactive OpenSSH client trusting only `known_hosts`.
pub fn strict_ssh_options(known_hosts: &Utf8Path) -> Vec<String> {
    [
        "BatchMode=yes".to_owned(),
        "IdentitiesOnly=yes".to_owned(),
        "StrictHostKeyChecking=yes".to_owned(),
        format!("UserKnownHostsFile={known_hosts}"),
        "GlobalKnownHostsFile=/dev/null".to_owned(),
        "UpdateHostKeys=no".to_owned(),
        "ConnectTimeout=10".to_owned(),
        "LogLevel=ERROR".to_owned(),
    ]
    .into_iter()
    .flat_map(|o| ["-o".to_owned(), o])
    .collect()
}

fn wait_count(count: impl Fn() -> usize, n: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let c = count();
        if c >= n || Instant::now() > deadline {
            return c;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// sshd (as root) needs its privilege separation directory, root-owned and not group/world
/// writable.
fn privsep_dir() {
    let dir = Utf8Path::new("/run/sshd");
    if !dir.is_dir() && std::fs::create_dir_all(dir).is_ok() {
        crate::set_mode(dir.as_std_path(), 0o755);
    }
}

/// pid → parent pid for every process in /proc.
fn parents() -> BTreeMap<u32, u32> {
    let mut map = BTreeMap::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return map;
    };
    for entry in rd.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(ppid) = stat_field(pid, 1).and_then(|s| s.parse().ok()) {
            map.insert(pid, ppid);
        }
    }
    map
}

/// Field `n` (0 = state, 1 = ppid, …) after the `pid (comm)` prefix of /proc/PID/stat.
fn stat_field(pid: u32, n: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(n).map(str::to_owned)
}

/// `root` and all its descendants.
fn tree(root: u32) -> BTreeSet<u32> {
    let parents = parents();
    let mut out = BTreeSet::from([root]);
    loop {
        let before = out.len();
        for (pid, ppid) in &parents {
            if out.contains(ppid) {
                out.insert(*pid);
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

fn signal(pid: u32, sig: rustix::process::Signal) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process(pid, sig);
    }
}

/// Freezes the tree under `root` (SIGSTOP until no new process appears), SIGKILLs it, and
/// waits (at most 5 s) until every process is dead (gone or a zombie).
fn kill_tree(root: u32) {
    use rustix::process::Signal;
    let mut frozen = BTreeSet::new();
    for _ in 0..100 {
        let new: Vec<u32> = tree(root).difference(&frozen).copied().collect();
        if new.is_empty() {
            break;
        }
        for pid in new {
            signal(pid, Signal::STOP);
            frozen.insert(pid);
        }
    }
    for &pid in &frozen {
        signal(pid, Signal::KILL);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline
        && frozen
            .iter()
            .any(|&pid| stat_field(pid, 0).is_some_and(|s| s != "Z" && s != "X"))
    {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A client key pair made by `ssh-keygen`.
#[derive(Debug, Clone)]
pub struct ClientKey {
    /// The private key file (OpenSSH format).
    pub private: Utf8PathBuf,
    /// The `.pub` file.
    pub public: Utf8PathBuf,
    /// `TYPE BASE64 COMMENT`, as in the `.pub` file (trimmed).
    pub public_line: String,
}

/// `ssh-keygen -q -t TYPE -N PASSPHRASE -C NAME -f DIR/NAME`: a client key of type `"ed25519"`,
/// `"ecdsa"` or `"rsa"`, encrypted when a passphrase is given (test-only material).
pub fn client_key(
    dir: &Utf8Path,
    name: &str,
    key_type: &str,
    passphrase: Option<&str>,
) -> ClientKey {
    require_openssh();
    let private = dir.join(name);
    keygen(&private, key_type, passphrase.unwrap_or(""), name, false);
    let public = dir.join(format!("{name}.pub"));
    let public_line = std::fs::read_to_string(&public)
        .expect("read client public key")
        .trim()
        .to_owned();
    ClientKey {
        private,
        public,
        public_line,
    }
}

/// An `ssh-agent -D -a SOCKET` of the test's own, killed on drop.
pub struct Agent {
    pub socket: Utf8PathBuf,
    child: Child,
}

/// Starts `ssh-agent -D -a DIR/agent[-N].sock` and waits (at most 5 s) for its socket.
pub fn start_agent(dir: &Utf8Path) -> Agent {
    require_openssh();
    let socket = (0..)
        .map(|n| match n {
            0 => dir.join("agent.sock"),
            n => dir.join(format!("agent-{n}.sock")),
        })
        .find(|p| !p.exists())
        .expect("a free socket name");
    assert!(
        socket.as_str().len() < 100,
        "agent socket path too long for a unix socket: {socket}"
    );
    let log = std::fs::File::create(format!("{socket}.log")).expect("create agent log");
    let child = Command::new(tool("ssh-agent"))
        .arg("-D")
        .arg("-a")
        .arg(&socket)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start ssh-agent: {e} ({INSTALL_HINT})"));
    let mut agent = Agent { socket, child };
    let deadline = Instant::now() + Duration::from_secs(5);
    while !agent.socket.exists() {
        if let Ok(Some(status)) = agent.child.try_wait() {
            panic!(
                "ssh-agent exited ({status}): {}",
                std::fs::read_to_string(format!("{}.log", agent.socket)).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "ssh-agent did not create {} within 5 s",
            agent.socket
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    agent
}

impl Agent {
    fn ssh_add(&self) -> Command {
        let mut cmd = Command::new(tool("ssh-add"));
        cmd.env("SSH_AUTH_SOCK", &self.socket)
            .env_remove("SSH_ASKPASS")
            .env_remove("DISPLAY");
        cmd
    }

    /// `ssh-add KEY` for an unencrypted key.
    pub fn add(&self, key: &Utf8Path) {
        run_checked(self.ssh_add().arg(key), &format!("ssh-add {key}"));
    }

    /// `ssh-add KEY` for an encrypted key, the passphrase given through SSH_ASKPASS.
    pub fn add_with_passphrase(&self, key: &Utf8Path, passphrase: &str) {
        let askpass = Utf8PathBuf::from(format!("{}.askpass", self.socket));
        std::fs::write(
            &askpass,
            "#!/bin/sh\nprintf '%s\\n' \"$CLAWAUTH_TEST_PASSPHRASE\"\n",
        )
        .expect("write askpass");
        crate::set_mode(askpass.as_std_path(), 0o700);
        run_checked(
            self.ssh_add()
                .arg(key)
                .env("SSH_ASKPASS", &askpass)
                .env("SSH_ASKPASS_REQUIRE", "force")
                .env("DISPLAY", ":0")
                .env("CLAWAUTH_TEST_PASSPHRASE", passphrase),
            &format!("ssh-add {key} (with passphrase)"),
        );
    }

    /// `ssh-add -l`: the agent's keys (empty when it holds none).
    pub fn list(&self) -> String {
        let out = self
            .ssh_add()
            .arg("-l")
            .stdin(Stdio::null())
            .output()
            .expect("run ssh-add -l");
        if out.status.success() {
            String::from_utf8_lossy(&out.stdout).into_owned()
        } else {
            String::new()
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.socket);
    }
}
