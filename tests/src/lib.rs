//! Shared harness for the end-to-end tests: restoring recorded OpenClaw state trees, the
//! conformance cases discovered from the real CLI's recordings, the built `clawauth` binary, and
//! the real OpenClaw CLI.
//!
//! Expectations are never typed in by hand: every expected exit code and per-profile status is
//! read from what the real `openclaw` CLI printed when the state was recorded
//! (`fixtures/openclaw/states/*/…/runs.jsonl` and `runs/*.stdout`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;
use sha2::Digest;

pub mod aarch64;
pub mod big_state;
pub mod delay_proxy;
pub mod hostile;
pub mod lab;
pub mod ntfy;
pub mod openclaw_cli;
pub mod recorded;
pub mod repair_lab;
pub mod scenario;
pub mod sshd;
pub mod standins;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `tests/fixtures/openclaw`: copies of the real CLI's recordings (see its README.md).
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openclaw")
}

/// Every `*.json` file below `dir` (none when it does not exist), sorted by path.
pub fn json_files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths);
    paths.sort();
    paths
}

/// Copies a scenario's HOME-relative tree into `target` and gunzips every `*.sqlite.gz` in place,
/// exactly as the recordings' own `restore.sh` does.
pub fn restore(scenario: &Path, tree: &str, target: &Path) {
    let src = scenario.join(tree);
    assert!(src.is_dir(), "no tree {tree} in {}", scenario.display());
    copy_tree(&src, target);
}

fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("create dir");
    for entry in std::fs::read_dir(src).expect("read dir") {
        let entry = entry.expect("dir entry");
        let from = entry.path();
        let name = entry.file_name();
        let name = name.to_str().expect("utf-8 names in fixtures");
        let ty = entry.file_type().expect("file type");
        if ty.is_dir() {
            copy_tree(&from, &dst.join(name));
        } else if let Some(plain) = name.strip_suffix(".gz") {
            let file = std::fs::File::open(&from).expect("open gz");
            let mut gz = flate2::read::GzDecoder::new(file);
            let to = dst.join(plain);
            let mut out = std::fs::File::create(&to).expect("create");
            std::io::copy(&mut gz, &mut out).expect("gunzip");
            set_mode(&to, 0o600);
        } else {
            let to = dst.join(name);
            std::fs::copy(&from, &to).expect("copy");
            let mode = if is_executable(&from) { 0o755 } else { 0o644 };
            set_mode(&to, mode);
        }
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// chmod.
pub fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Which recording set a case comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set {
    /// `states/current`: the 2026.9.6 corpus, re-recorded with a frozen clock.
    Current,
    /// `states/current-new`: 2026.9.6 boundary and routing cases.
    CurrentNew,
    /// `states/legacy-2026.6.1`: the JSON store of OpenClaw 2026.6.1.
    Legacy,
}

/// One recorded `openclaw models status --json --check` run on a restorable tree.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub set: Set,
    pub scenario: PathBuf,
    pub tree: String,
    pub agent: Option<String>,
    /// The CLI's `Date.now()` during the run.
    pub now_ms: i64,
    /// The exit code the real CLI gave.
    pub exit_code: i32,
    /// The run's stdout (`models status --json --check`).
    pub stdout: PathBuf,
    /// The run put `$HOME/bin` first on PATH (the i2 claude stub).
    pub stub_on_path: bool,
}

impl Case {
    /// The recorded JSON output.
    pub fn output(&self) -> Value {
        let text = std::fs::read_to_string(&self.stdout).expect("read recorded stdout");
        serde_json::from_str(&text).expect("recorded stdout is JSON")
    }

    /// Per-profile `(status, reasonCode)` the CLI printed, by profile id.
    pub fn recorded_profiles(&self) -> BTreeMap<String, (String, Option<String>)> {
        let out = self.output();
        out.pointer("/auth/oauth/profiles")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .map(|p| {
                        (
                            p["profileId"].as_str().unwrap_or_default().to_owned(),
                            (
                                p["status"].as_str().unwrap_or_default().to_owned(),
                                p.get("reasonCode")
                                    .and_then(Value::as_str)
                                    .map(str::to_owned),
                            ),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("runs.jsonl line is JSON"))
        .collect()
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The CLI's own `now` recovered from an output (`expiresAt - remainingMs` of any profile).
pub fn now_from_output(out: &Value) -> Option<i64> {
    out.pointer("/auth/oauth/profiles")?
        .as_array()?
        .iter()
        .find_map(|p| Some(p.get("expiresAt")?.as_i64()? - p.get("remainingMs")?.as_i64()?))
}

/// Every conformance case of the three recording sets: the frozen-clock runs, plus real-clock
/// runs whose exact `now` can be recovered from the output.
pub fn conformance_cases() -> Vec<Case> {
    let states = fixtures().join("states");
    let mut cases = Vec::new();

    // Set 1: recorded/<variant>/<clock>/runs.jsonl; MANIFEST.json maps variants to trees.
    for scenario in sorted_dirs(&states.join("current")) {
        let manifest: Value = serde_json::from_str(
            &std::fs::read_to_string(scenario.join("MANIFEST.json")).expect("MANIFEST.json"),
        )
        .expect("MANIFEST is JSON");
        let tree_of = |variant: &str| -> String {
            manifest["verification"]
                .as_array()
                .and_then(|vs| vs.iter().find(|v| v["variant"] == variant))
                .and_then(|v| v["tree"].as_str())
                .unwrap_or(variant)
                .to_owned()
        };
        for variant_dir in sorted_dirs(&scenario.join("recorded")) {
            let variant = file_name(&variant_dir);
            for clock_dir in sorted_dirs(&variant_dir) {
                let clock = file_name(&clock_dir);
                for run in read_jsonl(&clock_dir.join("runs.jsonl")) {
                    if run["name"] != "models-status-json-check" {
                        continue;
                    }
                    let stdout = clock_dir.join("runs/models-status-json-check.stdout");
                    let now = match clock.as_str() {
                        "pinned" => run["clock"]["now_ms"].as_i64(),
                        _ => read_json(&stdout).as_ref().and_then(now_from_output),
                    };
                    let Some(now_ms) = now else { continue };
                    let stub = run["extraEnv"].as_array().is_some_and(|e| {
                        e.iter().any(|v| {
                            v.as_str()
                                .is_some_and(|s| s.starts_with("PATH=/home/gateway/bin"))
                        })
                    });
                    cases.push(Case {
                        name: format!("current/{}[{variant}]/{clock}", file_name(&scenario)),
                        set: Set::Current,
                        scenario: scenario.clone(),
                        tree: tree_of(&variant),
                        agent: None,
                        now_ms,
                        exit_code: run["exit_code"].as_i64().expect("exit code") as i32,
                        stdout,
                        stub_on_path: stub,
                    });
                }
            }
        }
        // The rebased n1 tree: re-recorded on the real clock (MANIFEST `rebased`).
        if let Some(rebased) = manifest.get("rebased").and_then(Value::as_object) {
            for (variant, info) in rebased {
                let dir = scenario.join("rebased").join(variant);
                let stdout = dir.join("runs/models-status-json-check.stdout");
                let (Some(out), Some(runs)) = (read_json(&stdout), info["runs"].as_array()) else {
                    continue;
                };
                let Some(exit) = runs
                    .iter()
                    .find(|r| r["name"] == "models-status-json-check")
                    .and_then(|r| r["exit_code"].as_i64())
                else {
                    continue;
                };
                let Some(now_ms) = now_from_output(&out) else {
                    continue;
                };
                cases.push(Case {
                    name: format!("current/{}[rebased/{variant}]/real", file_name(&scenario)),
                    set: Set::Current,
                    scenario: scenario.clone(),
                    tree: format!("rebased/{variant}/home"),
                    agent: None,
                    now_ms,
                    exit_code: exit as i32,
                    stdout,
                    stub_on_path: false,
                });
            }
        }
    }

    // Sets 2 and 3: runs.jsonl at the scenario root, runs named [pinned|real|restored-pinned]-
    // [agent-<id>-]models-status-json-check.
    for (set, dir) in [
        (Set::CurrentNew, "current-new"),
        (Set::Legacy, "legacy-2026.6.1"),
    ] {
        for scenario in sorted_dirs(&states.join(dir)) {
            for run in read_jsonl(&scenario.join("runs.jsonl")) {
                let Some(name) = run["name"].as_str() else {
                    continue;
                };
                let Some(prefix) = name.strip_suffix("models-status-json-check") else {
                    continue;
                };
                let (clock, agent_part) = if let Some(rest) = prefix.strip_prefix("pinned-") {
                    ("pinned", rest)
                } else if let Some(rest) = prefix.strip_prefix("real-") {
                    ("real", rest)
                } else {
                    continue; // restored-pinned-* repeats pinned-* on a restored copy
                };
                let agent = agent_part
                    .strip_prefix("agent-")
                    .and_then(|a| a.strip_suffix('-'))
                    .map(str::to_owned);
                let stdout = scenario.join("runs").join(format!("{name}.stdout"));
                let now = match clock {
                    "pinned" => run["clock"]["now_ms"].as_i64(),
                    _ => read_json(&stdout).as_ref().and_then(now_from_output),
                };
                let Some(now_ms) = now else { continue };
                cases.push(Case {
                    name: format!(
                        "{dir}/{}{}/{clock}",
                        file_name(&scenario),
                        agent
                            .as_deref()
                            .map(|a| format!("[--agent {a}]"))
                            .unwrap_or_default()
                    ),
                    set,
                    scenario: scenario.clone(),
                    tree: "home".to_owned(),
                    agent,
                    now_ms,
                    exit_code: run["exit_code"].as_i64().expect("exit code") as i32,
                    stdout,
                    stub_on_path: false,
                });
            }
        }
    }
    cases
}

fn read_json(p: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .and_then(|n| n.to_str())
        .expect("utf-8 fixture names")
        .to_owned()
}

/// The `clawauth` binary, built once per test run (a no-op when it is up to date).
///
/// Under cargo-nextest every test is its own process: the first test of a run (`NEXTEST_RUN_ID`)
/// that needs the binary builds it while holding a lock beside it, and records the run's id
/// there, so the others wait for that one build instead of each starting cargo. Under `cargo
/// test` (one process) the build happens once per process, as the `OnceLock` says.
pub fn clawauth_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let release = std::env::current_exe()
            .ok()
            .is_some_and(|p| p.components().any(|c| c.as_os_str() == "release"));
        let dir = target_dir().join(if release { "release" } else { "debug" });
        let bin = dir.join("clawauth");
        let Some(run) = std::env::var("NEXTEST_RUN_ID")
            .ok()
            .filter(|r| !r.is_empty())
        else {
            build_clawauth(release);
            return bin;
        };
        std::fs::create_dir_all(&dir).expect("create the target directory");
        let stamp = dir.join(".clawauth-tests-built-for");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(".clawauth-tests-build.lock"))
            .expect("open the build lock");
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
            .expect("lock the build lock");
        if std::fs::read_to_string(&stamp).ok().as_deref() != Some(run.as_str()) || !bin.is_file() {
            build_clawauth(release);
            std::fs::write(&stamp, &run).expect("write the build stamp");
        }
        // The lock is released when `lock` is dropped.
        bin
    })
    .clone()
}

/// `cargo build --workspace --bin clawauth` (`--release` for a release test build).
fn build_clawauth(release: bool) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(repo_root())
        // `--workspace` resolves features as `cargo test --workspace` does, so this build
        // reuses the test build's artifacts instead of recompiling the core.
        .args(["build", "--quiet", "--workspace", "--bin", "clawauth"]);
    // Cargo gives this test process the test crate's CARGO_MANIFEST_DIR, CARGO_PKG_NAME, …;
    // build scripts that watch those names (ring's does) would see them change and rebuild
    // ring and everything above it, here and again in the next plain `cargo build`.
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(set_by_cargo_for_the_test) {
            cmd.env_remove(name);
        }
    }
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("run cargo build");
    assert!(status.success(), "cargo build --bin clawauth failed");
}

/// The variables cargo sets for a running test (not the ones that configure cargo itself).
fn set_by_cargo_for_the_test(name: &str) -> bool {
    ["CARGO_MANIFEST_", "CARGO_PKG_", "CARGO_BIN_EXE_"]
        .iter()
        .any(|p| name.starts_with(p))
        || matches!(
            name,
            "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_TARGET_TMPDIR"
                | "CARGO_RUSTC_CURRENT_DIR"
                | "OUT_DIR"
        )
}

/// A program on PATH, else in /usr/bin, /usr/sbin or /bin.
pub fn find_program(name: &str) -> Option<camino::Utf8PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .filter(|d| !d.is_empty())
        .chain(["/usr/bin", "/usr/sbin", "/bin"])
        .map(|d| camino::Utf8Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the repository root when
/// relative), else `target/` in the repository.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => repo_root().join(dir),
        None => repo_root().join("target"),
    }
}

/// Runs `clawauth` with exactly the given environment (plus a PATH of system directories).
pub fn clawauth(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(clawauth_bin());
    cmd.args(args)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run clawauth")
}

/// Runs `cmd` with `input` on its stdin (stdout and stderr captured): how a secret is handed to
/// clawauth without a terminal.
pub fn run_with_stdin(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input).expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

/// sha256 of every file under `dir` (relative path → hex), symlinks and directories included by
/// name, so that a created, deleted or changed file — a `-wal`, `-shm` or lock file too — shows.
pub fn tree_hashes(dir: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in rd.flatten() {
            let p = entry.path();
            let rel = p
                .strip_prefix(base)
                .expect("under base")
                .to_string_lossy()
                .into_owned();
            let ty = entry.file_type().expect("file type");
            if ty.is_dir() {
                out.insert(format!("{rel}/"), "dir".to_owned());
                walk(base, &p, out);
            } else if ty.is_symlink() {
                out.insert(rel, format!("symlink:{:?}", std::fs::read_link(&p).ok()));
            } else {
                let bytes = std::fs::read(&p).expect("read file");
                let meta = std::fs::metadata(&p).expect("stat");
                use std::os::unix::fs::MetadataExt;
                out.insert(
                    rel,
                    format!(
                        "{} mode={:o} mtime={}",
                        hex(&sha2::Sha256::digest(&bytes)),
                        meta.mode(),
                        meta.mtime_nsec() + meta.mtime() * 1_000_000_000
                    ),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// A temporary HOME holding one restored scenario tree.
pub struct RestoredHome {
    pub dir: tempfile::TempDir,
}

impl RestoredHome {
    pub fn new(case: &Case) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        restore(&case.scenario, &case.tree, dir.path());
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn path_str(&self) -> &str {
        self.dir.path().to_str().expect("utf-8 temp path")
    }
}

pub use clawauth_core::fsutil::hex;
