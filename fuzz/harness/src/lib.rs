//! What each fuzz target of clawauth does with one input: read it (a [`RAW`] input, a [`CAP`]
//! input, or whatever `arbitrary` makes of any other bytes), run clawauth's reader on it and
//! check the properties the reader must have. One function per target, `TARGET::run`, called by
//! the libFuzzer binary of that name (`fuzz/fuzz_targets/TARGET.rs`, nightly) and by the suite's
//! replay tests (`tests/tests/fuzz_replay.rs`, stable), so the campaign and the tests check the
//! same things. A broken property is a panic; so is any arithmetic that wraps (the fuzz build
//! and the test build both have overflow checks on).
//!
//! `TARGET::cap_inputs` are the target's inputs at its reader's size cap, in the [`CAP`] form:
//! `fuzz/run.sh` writes them with the `fuzz-cap-inputs` binary and times them in the fuzz build,
//! the replay tests time them in the test build.

use arbitrary::{Arbitrary, Unstructured};

mod cap;
mod surfaces;

pub mod companion_toml;
pub mod durations;
pub mod external_creds;
pub mod gateway_report;
pub mod gateway_state;
pub mod known_hosts;
pub mod legacy_splice;
pub mod models_status;
pub mod ntfy_responses;
pub mod remote_probe;
pub mod ssh_config;
pub mod terminal_scan;

pub use cap::CapInput;

/// A fuzz target: its name (the libFuzzer binary's and its corpus directory's, `fuzz/corpus/NAME`),
/// what it does with one input, and its inputs at the reader's size cap.
#[derive(Clone, Copy)]
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
    pub cap_inputs: fn() -> Vec<CapInput>,
}

macro_rules! targets {
    ($($t:ident),* $(,)?) => {
        /// Every fuzz target, by name.
        pub const TARGETS: &[Target] = &[$(Target {
            name: stringify!($t),
            run: $t::run,
            cap_inputs: $t::cap_inputs,
        }),*];
    };
}

targets!(
    companion_toml,
    durations,
    external_creds,
    gateway_report,
    gateway_state,
    known_hosts,
    legacy_splice,
    models_status,
    ntfy_responses,
    remote_probe,
    ssh_config,
    terminal_scan,
);

/// The target of that name.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// An input that starts with these bytes runs the target on the rest with plain parameters
/// (80 columns, host `gw`, a fixed login, …) and every property check: the seeds made from the
/// repo's fixtures (`fuzz/make-seeds.py`) are written that way. Any other input is read by
/// `arbitrary`.
pub const RAW: &[u8] = b"RAW\0";

/// An input that starts with these bytes only runs what clawauth itself does with the rest
/// (one read, one edit), with the few checks that cost nothing: the inputs at the size cap are
/// timed that way, so the time is the reader's own.
pub const CAP: &[u8] = b"CAP\0";

/// The target's input: `raw(rest)` for a [`RAW`] input, else what `arbitrary` makes of it.
fn decode<'a, T: Arbitrary<'a>>(data: &'a [u8], raw: impl FnOnce(&'a [u8]) -> T) -> Option<T> {
    match data.strip_prefix(RAW) {
        Some(rest) => Some(raw(rest)),
        None => T::arbitrary_take_rest(Unstructured::new(data)).ok(),
    }
}

/// A directory of this process's own, made once, for targets that read files.
fn scratch() -> &'static camino::Utf8Path {
    static DIR: std::sync::OnceLock<(tempfile::TempDir, camino::Utf8PathBuf)> =
        std::sync::OnceLock::new();
    &DIR.get_or_init(|| {
        let t = tempfile::tempdir().expect("a scratch directory");
        let p = camino::Utf8PathBuf::from_path_buf(t.path().to_owned()).expect("UTF-8");
        (t, p)
    })
    .1
}

/// Writes `content` at `path` (making its directory), or removes the file when `None`.
fn put(path: &camino::Utf8Path, content: Option<&[u8]>) {
    match content {
        Some(c) => {
            if let Some(d) = path.parent() {
                std::fs::create_dir_all(d).expect("mkdir");
            }
            std::fs::write(path, c).expect("write");
        }
        None => {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The name of the threads of [`runtime`]: a panic on one of them (a blocking task's, which
/// tokio would turn into an error) is the target's, as libFuzzer's abort-on-panic hook sees it.
pub const RUNTIME_THREAD: &str = "clawauth-fuzz-harness";

/// One runtime per process for the async readers.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name(RUNTIME_THREAD)
            .build()
            .expect("a runtime")
    })
}

/// The sections of a [`RAW`] input for targets that read several files: `name\ncontent`
/// parts separated by NUL bytes (the seeds are made that way from the repo's fixtures).
fn sections(rest: &[u8]) -> Vec<(&str, &[u8])> {
    rest.split(|&b| b == 0)
        .filter_map(|part| {
            let nl = part.iter().position(|&b| b == b'\n')?;
            let name = std::str::from_utf8(&part[..nl]).ok()?;
            Some((name, &part[nl + 1..]))
        })
        .collect()
}

/// The check time of the repo's fixtures (`fixture_now_ms` of the corpus, rounded).
const FIXTURE_NOW_MS: i64 = 1_795_256_402_000;
