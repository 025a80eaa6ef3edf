//! Recorded answers of the real OpenClaw CLI. Starting Node.js costs about 3 s of CPU, and on a
//! fixed state, a frozen clock and a pinned OpenClaw the answer cannot change; so the answer is
//! recorded once, from the real CLI only, under `tests/recorded/<key>.json`, together with
//! everything that decides it and the SHA-256 of that. A test builds the same state again,
//! recomputes the inputs and uses the stored answer only when the hash still matches; a missing
//! or stale answer fails the test with the command that re-records it
//! (`cargo run -p clawauth-tests --bin record-answers`, see `tests/scenarios/README.md`).
//!
//! What decides an answer ([`Inputs`]), all normalised so that the throw-away HOME's random
//! path and this machine's tools directory do not count:
//! - every entry of the HOME before the CLI runs: relative path, kind, permission bits (group and
//!   other write cleared from the HOME first, so the umask does not count) and the SHA-256 of a
//!   file's bytes (the HOME's path inside a file replaced by `$HOME`). mtimes are left out: they
//!   differ on every build of the HOME, and the live runs, on freshly built HOMEs, must give the
//!   recorded answers;
//! - the pinned versions of OpenClaw and node (`tests/install-tools.sh`);
//! - each command the CLI runs, setup steps first: its full argv (the `unshare`/`timeout`/`env`
//!   wrapper and the frozen clock's `FAKETIME` included), its environment, working directory and
//!   stdin.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Map, Value, json};

use crate::openclaw_cli::{self, OpenClaw, Release};

/// Names the hashing scheme; changing what is hashed, or how the harness runs the CLI in a way
/// the inputs do not show, means bumping it, which makes every recorded answer stale at once.
pub const FORMAT: &str = "clawauth-recorded-answer/1";

/// Stands for the throw-away HOME in stored inputs and answers.
pub const HOME_MARK: &str = "$HOME";

/// Stands for node 24's bin directory (under this machine's tools directory) in stored inputs.
pub const NODE_BIN_MARK: &str = "$NODE_BIN";

/// Stands for the OpenClaw CLI's path (under this machine's tools directory) in stored inputs.
pub const OPENCLAW_MARK: &str = "$OPENCLAW";

/// `tests/recorded`.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("recorded")
}

/// The command that (re-)records the answers selected by `selector` (a key, a substring of keys,
/// `--stale` or `--all`) from the real CLI.
pub fn record_command(selector: &str) -> String {
    format!("cargo run -p clawauth-tests --bin record-answers -- {selector}")
}

/// What decides one answer, as stored (a JSON object, fields in a fixed order).
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs(pub Value);

impl Inputs {
    /// The inputs of running `commands` (setup steps first, the answered command last) of `oc` on
    /// `home` as it is now; `stdin` is what the last command reads.
    pub fn of(oc: &OpenClaw, home: &Path, commands: &[&Command], stdin: Option<&str>) -> Inputs {
        let mut m = Map::new();
        m.insert("format".into(), FORMAT.into());
        m.insert("openclaw".into(), oc.pinned_version().into());
        m.insert("node".into(), openclaw_cli::pinned("NODE_VERSION").into());
        let described: Vec<Value> = commands
            .iter()
            .map(|c| describe_command(c, oc, home))
            .collect();
        let (answered, setup) = described
            .split_last()
            .expect("at least the answered command");
        m.insert("setup".into(), Value::Array(setup.to_vec()));
        m.insert("command".into(), answered.clone());
        m.insert("stdin".into(), stdin.map_or(Value::Null, |s| s.into()));
        m.insert(
            "home".into(),
            Value::Object(
                home_listing(home)
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            ),
        );
        Inputs(Value::Object(m))
    }

    /// The SHA-256 (hex) of [`FORMAT`] and the inputs' compact JSON.
    pub fn sha256(&self) -> String {
        let mut h = ring::digest::Context::new(&ring::digest::SHA256);
        h.update(FORMAT.as_bytes());
        h.update(&[0]);
        h.update(self.0.to_string().as_bytes());
        crate::hex(h.finish().as_ref())
    }

    /// What differs from `older`, for a stale answer's message: top-level fields, and the
    /// HOME's entries by path.
    pub fn changes_since(&self, older: &Value) -> Vec<String> {
        let mut out = Vec::new();
        let (Some(now), Some(then)) = (self.0.as_object(), older.as_object()) else {
            return vec!["the stored inputs are not an object".to_owned()];
        };
        for (field, value) in now {
            if field == "home" {
                continue;
            }
            match (value, then.get(field)) {
                (_, Some(old)) if old == value => {}
                // The answered command: say which part (argv, env, cwd).
                (Value::Object(parts), Some(Value::Object(old))) => {
                    for (part, v) in parts {
                        if old.get(part) != Some(v) {
                            out.push(format!("{field}.{part} changed"));
                        }
                    }
                }
                _ => out.push(format!("{field} changed")),
            }
        }
        let empty = Map::new();
        let home_now = now.get("home").and_then(Value::as_object).unwrap_or(&empty);
        let home_then = then
            .get("home")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (path, entry) in home_now {
            match home_then.get(path) {
                None => out.push(format!("$HOME/{path} is new")),
                Some(old) if old != entry => out.push(format!("$HOME/{path} changed")),
                Some(_) => {}
            }
        }
        for path in home_then.keys() {
            if !home_now.contains_key(path) {
                out.push(format!("$HOME/{path} is gone"));
            }
        }
        if out.is_empty() {
            // Same fields, so the stored hash itself was edited or the format changed.
            out.push("the stored hash does not match its inputs".to_owned());
        }
        out
    }
}

/// A command as it decides the CLI's answer: argv, environment and working directory, with the
/// HOME, the OpenClaw CLI's path and node's directory replaced by marks.
fn describe_command(cmd: &Command, oc: &OpenClaw, home: &Path) -> Value {
    let mark = |s: &str| normalise_path_text(s, oc, home);
    let mut argv: Vec<String> = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| mark(&a.to_string_lossy()))
        .collect();
    // `unshare -rn` where the tests run unprivileged, `-n` as root: the CLI sees the same.
    if argv.first().is_some_and(|p| p == "unshare") && argv.get(1).is_some_and(|f| f == "-rn") {
        argv[1] = "-n".to_owned();
    }
    let env: BTreeMap<String, Value> = cmd
        .get_envs()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.map_or(Value::Null, |v| mark(&v.to_string_lossy()).into()),
            )
        })
        .collect();
    let cwd = cmd
        .get_current_dir()
        .map_or_else(|| HOME_MARK.to_owned(), |d| mark(&d.to_string_lossy()));
    json!({ "argv": argv, "env": env, "cwd": cwd })
}

fn normalise_path_text(s: &str, oc: &OpenClaw, home: &Path) -> String {
    let mut out = s.to_owned();
    for (path, mark) in [
        (oc.bin.as_path(), OPENCLAW_MARK),
        (oc.node_bin_dir.as_path(), NODE_BIN_MARK),
        (home, HOME_MARK),
    ] {
        if let Some(p) = path.to_str() {
            out = out.replace(p, mark);
        }
    }
    out
}

/// Clears group and other write permission under `dir`: what a directory or file gets from the
/// umask of whoever runs the tests (022 or 002) must not make the state, and its hash, differ.
fn without_umask_bits(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    for entry in std::fs::read_dir(dir).expect("read a directory of the HOME") {
        let path = entry.expect("a directory entry of the HOME").path();
        let meta = std::fs::symlink_metadata(&path).expect("stat an entry of the HOME");
        if meta.is_symlink() {
            continue;
        }
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o022 != 0 {
            crate::set_mode(&path, mode & !0o022);
        }
        if meta.is_dir() {
            without_umask_bits(&path);
        }
    }
}

/// Every entry under `home` by relative path: `dir 700`, `file 644 <sha256>` (of the bytes with
/// the HOME's path replaced by `$HOME`) or `symlink -> <target>`.
pub fn home_listing(home: &Path) -> BTreeMap<String, String> {
    fn walk(home: &Path, needle: &[u8], dir: &Path, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read a directory of the HOME")
            .map(|e| e.expect("a directory entry of the HOME"))
            .collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            use std::os::unix::fs::PermissionsExt as _;
            let path = entry.path();
            let rel = path
                .strip_prefix(home)
                .expect("under the HOME")
                .to_string_lossy()
                .into_owned();
            let meta = std::fs::symlink_metadata(&path).expect("stat an entry of the HOME");
            let mode = meta.permissions().mode() & 0o7777;
            if meta.is_dir() {
                out.insert(format!("{rel}/"), format!("dir {mode:o}"));
                walk(home, needle, &path, out);
            } else if meta.is_symlink() {
                let target = std::fs::read_link(&path).expect("read a symlink of the HOME");
                let target = String::from_utf8_lossy(&replace_bytes(
                    target.as_os_str().as_encoded_bytes(),
                    needle,
                    HOME_MARK.as_bytes(),
                ))
                .into_owned();
                out.insert(rel, format!("symlink -> {target}"));
            } else {
                let bytes = std::fs::read(&path).expect("read a file of the HOME");
                let digest = if memchr::memmem::find(&bytes, needle).is_some() {
                    sha256_hex(&replace_bytes(&bytes, needle, HOME_MARK.as_bytes()))
                } else {
                    sha256_hex(&bytes)
                };
                out.insert(rel, format!("file {mode:o} {digest}"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(home, home.as_os_str().as_encoded_bytes(), home, &mut out);
    out
}

/// The SHA-256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// `haystack` with every `needle` replaced by `with`.
fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut last = 0;
    for at in memchr::memmem::find_iter(haystack, needle) {
        out.extend_from_slice(&haystack[last..at]);
        out.extend_from_slice(with);
        last = at + needle.len();
    }
    out.extend_from_slice(&haystack[last..]);
    out
}

/// What the CLI answered: exit code, stdout and stderr, with the HOME's path replaced by `$HOME`
/// (the CLI prints `configPath`, `agentDir`, `storePath` and errors with absolute paths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Answer {
    /// The answer of a finished CLI run in `home`.
    pub fn from_output(out: &Output, home: &Path) -> Result<Answer, String> {
        let exit_code = out
            .status
            .code()
            .ok_or_else(|| format!("the CLI was killed ({})", out.status))?;
        let text = |bytes: &[u8], name: &str| -> Result<String, String> {
            let s = String::from_utf8(bytes.to_vec())
                .map_err(|_| format!("the CLI's {name} is not UTF-8"))?;
            if s.contains(HOME_MARK) {
                return Err(format!(
                    "the CLI's {name} holds `{HOME_MARK}` itself, so the HOME cannot be marked"
                ));
            }
            Ok(s.replace(home.to_str().ok_or("the HOME is not UTF-8")?, HOME_MARK))
        };
        Ok(Answer {
            exit_code,
            stdout: text(&out.stdout, "stdout")?,
            stderr: text(&out.stderr, "stderr")?,
        })
    }

    /// stdout as the CLI printed it in `home`.
    pub fn stdout_in(&self, home: &Path) -> String {
        self.stdout
            .replace(HOME_MARK, home.to_str().expect("a UTF-8 HOME"))
    }

    /// Whether `other` is the same answer: exit code and stdout (stderr holds Node's warnings,
    /// and no verdict).
    pub fn same_verdict(&self, other: &Answer) -> bool {
        self.exit_code == other.exit_code && self.stdout == other.stdout
    }

    /// Line differences to `newer`, for a changed answer.
    pub fn diff(&self, newer: &Answer) -> String {
        let mut out = String::new();
        if self.exit_code != newer.exit_code {
            out.push_str(&format!(
                "  exit code {} -> {}\n",
                self.exit_code, newer.exit_code
            ));
        }
        for (name, old, new) in [
            ("stdout", &self.stdout, &newer.stdout),
            ("stderr", &self.stderr, &newer.stderr),
        ] {
            if old != new {
                out.push_str(&format!("  {name}:\n"));
                out.push_str(&line_diff(old, new));
            }
        }
        out
    }
}

/// `-`/`+` lines between two texts (longest common subsequence; the answers are short).
fn line_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.split('\n').collect();
    let b: Vec<&str> = new.split('\n').collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("    - {}\n", a[i]));
            i += 1;
        } else {
            out.push_str(&format!("    + {}\n", b[j]));
            j += 1;
        }
    }
    out
}

/// A stored answer with the inputs it was recorded for.
#[derive(Debug, Clone)]
pub struct Recording {
    pub key: String,
    pub inputs: Value,
    pub inputs_sha256: String,
    pub answer: Answer,
}

/// Text as stored: one JSON string per line, so a changed answer reviews line by line.
fn lines(text: &str) -> Value {
    Value::Array(text.split('\n').map(|l| Value::String(l.into())).collect())
}

fn unlines(v: &Value) -> Option<String> {
    let parts: Option<Vec<&str>> = v.as_array()?.iter().map(Value::as_str).collect();
    Some(parts?.join("\n"))
}

impl Recording {
    /// `tests/recorded/<key>.json`.
    pub fn path(key: &str) -> PathBuf {
        root().join(format!("{key}.json"))
    }

    /// The stored recording of `key`, `None` when there is none.
    pub fn load(key: &str) -> Result<Option<Recording>, String> {
        let path = Self::path(key);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let doc: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let bad = |what: &str| format!("{}: no {what}", path.display());
        let answer = &doc["answer"];
        Ok(Some(Recording {
            key: key.to_owned(),
            inputs: doc["inputs"].clone(),
            inputs_sha256: doc["inputs_sha256"]
                .as_str()
                .ok_or_else(|| bad("inputs_sha256"))?
                .to_owned(),
            answer: Answer {
                exit_code: answer["exit_code"]
                    .as_i64()
                    .and_then(|c| i32::try_from(c).ok())
                    .ok_or_else(|| bad("answer.exit_code"))?,
                stdout: unlines(&answer["stdout"]).ok_or_else(|| bad("answer.stdout"))?,
                stderr: unlines(&answer["stderr"]).ok_or_else(|| bad("answer.stderr"))?,
            },
        }))
    }

    /// Writes the recording atomically (a temporary file in the same directory, then a rename),
    /// so an interrupted re-record leaves the old answer or the new one, never half of one.
    pub fn store(&self) -> std::io::Result<()> {
        let path = Self::path(&self.key);
        let dir = path.parent().expect("under tests/recorded");
        std::fs::create_dir_all(dir)?;
        let doc = json!({
            "about": format!(
                "The real `openclaw models status --json --check` answer for {}; written only by `{}`",
                self.key,
                record_command(&self.key)
            ),
            "inputs_sha256": self.inputs_sha256,
            "answer": {
                "exit_code": self.answer.exit_code,
                "stdout": lines(&self.answer.stdout),
                "stderr": lines(&self.answer.stderr),
            },
            "inputs": self.inputs,
        });
        let mut text = serde_json::to_string_pretty(&doc).expect("JSON");
        text.push('\n');
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut tmp, text.as_bytes())?;
        // A source file like any other (a temporary file starts as 0600).
        crate::set_mode(tmp.path(), 0o644);
        tmp.as_file().sync_all()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// The stored answer for `key` when it was recorded for exactly `inputs`; otherwise the reason,
/// naming the command that re-records it.
pub fn answer_for(key: &str, inputs: &Inputs) -> Result<Answer, String> {
    let again = record_command(key);
    match Recording::load(key)? {
        None => Err(format!(
            "no recorded answer for {key} (tests/recorded/{key}.json): record it from the real CLI with `{again}`"
        )),
        Some(r) if r.inputs_sha256 != inputs.sha256() => Err(format!(
            "the recorded answer for {key} is stale ({}): re-record it from the real CLI with `{again}`",
            inputs.changes_since(&r.inputs).join(", ")
        )),
        Some(r) => Ok(r.answer),
    }
}

/// One answer of the real CLI that is recorded: a state built in a throw-away HOME, and the
/// commands the CLI runs on it (setup steps that change the state, then the answered check).
pub trait Recordable: Send + Sync {
    /// Where the answer is stored: `tests/recorded/<key>.json`.
    fn key(&self) -> String;
    /// The OpenClaw release that answers.
    fn release(&self) -> Release;
    /// Builds the state in `home`, an empty directory.
    fn build(&self, home: &Path);
    /// The setup commands, then the answered command, for `home`.
    fn commands(&self, oc: &OpenClaw, home: &Path) -> Vec<Command>;
    /// What the answered command reads on stdin.
    fn stdin(&self) -> Option<String> {
        None
    }
    /// Panics, naming the install command, when a tool the live run needs besides the CLI is
    /// missing.
    fn check_tools(&self) {}
}

/// Every recorded answer's source: the scenarios of `tests/scenarios/`.
pub fn catalogue() -> Vec<Box<dyn Recordable>> {
    let mut all: Vec<Box<dyn Recordable>> = Vec::new();
    for s in crate::scenario::all() {
        all.push(Box::new(s));
    }
    all
}

/// A built state and what decides the CLI's answer on it.
pub struct Prepared {
    pub home: tempfile::TempDir,
    pub inputs: Inputs,
}

impl Prepared {
    pub fn path(&self) -> &Path {
        self.home.path()
    }
}

/// Builds `r`'s state and computes its inputs; needs no installed CLI.
pub fn prepare(r: &dyn Recordable) -> Prepared {
    let home = tempfile::tempdir().expect("tempdir");
    r.build(home.path());
    without_umask_bits(home.path());
    let oc = r.release().located();
    let commands = r.commands(&oc, home.path());
    let commands: Vec<&Command> = commands.iter().collect();
    let inputs = Inputs::of(&oc, home.path(), &commands, r.stdin().as_deref());
    Prepared { home, inputs }
}

/// Runs the setup commands of `r` on the prepared state with the installed CLI; the state is
/// then the one the answered command sees.
pub fn run_setup(r: &dyn Recordable, oc: &OpenClaw, prepared: &Prepared) -> Result<(), String> {
    r.check_tools();
    let mut commands = r.commands(oc, prepared.path());
    commands.pop();
    for mut cmd in commands {
        let out = cmd
            .output()
            .map_err(|e| format!("start a setup step: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "the setup step {:?} failed ({}): {}",
                cmd.get_args().collect::<Vec<_>>(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(())
}

/// Runs the answered command of `r` (after [`run_setup`]) with the installed CLI: the live
/// answer.
pub fn run_answered(
    r: &dyn Recordable,
    oc: &OpenClaw,
    prepared: &Prepared,
) -> Result<Answer, String> {
    let mut cmd = r
        .commands(oc, prepared.path())
        .pop()
        .expect("an answered command");
    let out = match r.stdin() {
        None => cmd.output(),
        Some(input) => Ok(crate::run_with_stdin(cmd, input.as_bytes())),
    }
    .map_err(|e| format!("start the CLI: {e}"))?;
    Answer::from_output(&out, prepared.path())
}

/// Every stored key under `tests/recorded/<prefix>`, sorted.
pub fn stored_keys(prefix: &str) -> Vec<String> {
    let base = root();
    let mut keys: Vec<String> = crate::json_files_under(&base.join(prefix))
        .iter()
        .map(|p| {
            p.strip_prefix(&base)
                .expect("under tests/recorded")
                .with_extension("")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    keys.sort();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_bytes_marks_every_occurrence() {
        assert_eq!(
            replace_bytes(b"/tmp/x/a /tmp/x /tmp/y", b"/tmp/x", b"$HOME"),
            b"$HOME/a $HOME /tmp/y"
        );
        assert_eq!(replace_bytes(b"", b"/a", b"$HOME"), b"");
        assert_eq!(replace_bytes(b"//a", b"/a", b"$HOME"), b"/$HOME");
    }

    #[test]
    fn line_diff_shows_only_changed_lines() {
        assert_eq!(line_diff("a\nb\nc", "a\nB\nc"), "    - b\n    + B\n");
        assert_eq!(line_diff("a", "a"), "");
    }
}
