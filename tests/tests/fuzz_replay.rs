//! The fuzz targets' inputs replayed as ordinary tests, through the functions the libFuzzer
//! campaign runs (`clawauth_fuzz_harness::TARGET::run`, fuzz/harness): every committed corpus
//! input (`fuzz/corpus/TARGET/*`) with every property the target checks, and every input at the
//! reader's size cap (`TARGET::cap_inputs`) within a budget of CPU time — in the CAP form
//! `fuzz/run.sh` times, and in the RAW form with every property check. As under libFuzzer
//! (`run.sh`: `-rss_limit_mb=512 -malloc_limit_mb=512`, libfuzzer-sys's abort-on-panic hook), an
//! input fails on a panic on any thread — a broken property, or arithmetic that wraps (this build
//! has overflow checks on) — and on more than 512 MiB of heap. The campaign itself
//! (`fuzz/run.sh`, nightly) is not part of the test run.
//!
//! Three tests per target (`fuzz_replay::TARGET::corpus`, `::at_the_size_cap` and
//! `::properties_at_the_size_cap`), so nextest runs them side by side, each in its own process.
//! Within one process the replays take turns ([`REPLAY`]): the CPU time of an input is the
//! process's (the readers run on tokio's blocking threads too), and the scratch files of the
//! targets that read files are shared. Other tests running in the same process (`cargo test`
//! without a filter) would count in that CPU time: the figures are exact under nextest or with
//! the `fuzz_replay::` filter.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};
use std::thread::ThreadId;
use std::time::Duration;

use clawauth_fuzz_harness::{RUNTIME_THREAD, TARGETS, Target};

/// libFuzzer's `-rss_limit_mb` and `-malloc_limit_mb` as `run.sh` sets them: the heap an input
/// may take at its peak, and the largest one allocation may be.
const MEMORY_LIMIT: usize = 512 << 20;

/// The CPU time a corpus input may take: libFuzzer's `-timeout=2` in the campaign. The slowest
/// takes about 0.01 s in this build.
const CORPUS_BUDGET: Duration = Duration::from_secs(2);

/// The CPU seconds each input at the size cap took in this build — the test profile: opt-level 0,
/// overflow checks on — when its budget was set: in the CAP form (what `run.sh` times: the
/// reader's own work), and in the RAW form with every property check (`None`: not run, see
/// [`NOT_RAW`]). The most of five runs on a busy machine of 2 cores, within 5 % of each other;
/// `FUZZ_QUICK_BUILD=1 fuzz/run.sh` measured the CAP form of the inputs above a tenth of a second
/// at 0.8 to 2 times these figures in its build.
const MEASURED: &[(&str, &str, f64, Option<f64>)] = &[
    // (target, input, CAP form, RAW form)
    ("companion_toml", "many-hosts", 0.92, Some(2.97)),
    ("durations", "long-duration", 0.00, Some(0.00)),
    ("external_creds", "big-creds", 0.14, Some(0.18)),
    ("gateway_report", "report-4mib", 0.03, Some(0.03)),
    (
        "gateway_state",
        "unclosed-substitutions-2mib",
        0.21,
        Some(0.22),
    ),
    ("gateway_state", "include-2mib", 0.22, Some(0.22)),
    ("gateway_state", "store-near-16mib", 4.65, None),
    ("known_hosts", "plain-4mib", 1.32, Some(1.32)),
    ("known_hosts", "hashed-4mib", 0.71, Some(1.39)),
    ("legacy_splice", "store-8mib", 0.69, Some(1.20)),
    ("models_status", "stdout-8mib", 0.54, Some(2.67)),
    ("models_status", "braces-8mib", 0.01, Some(0.01)),
    ("ntfy_responses", "escapes-64kib", 0.01, Some(0.01)),
    ("ntfy_responses", "lines-64kib", 0.00, Some(0.00)),
    ("remote_probe", "probe-64kib", 0.01, Some(0.01)),
    ("remote_probe", "bundle-24mib", 0.30, Some(0.35)),
    ("ssh_config", "big-config", 0.01, Some(0.01)),
    ("ssh_config", "long-pattern", 0.05, Some(0.05)),
    ("ssh_config", "host-name-escapes", 0.12, Some(0.12)),
    ("terminal_scan", "back-to-back-urls", 0.17, Some(0.34)),
    ("terminal_scan", "rows-of-urls", 0.25, Some(0.49)),
    ("terminal_scan", "closing-parens", 0.20, Some(0.38)),
    ("terminal_scan", "tabs", 0.18, Some(0.35)),
    ("terminal_scan", "osc", 0.05, Some(0.06)),
    ("terminal_scan", "tokens", 0.17, Some(0.32)),
    ("terminal_scan", "cursor-forward", 0.10, Some(0.19)),
    ("terminal_scan", "device-codes", 0.17, Some(0.33)),
];

/// An input's budget is this many times its figure in [`MEASURED`]: room for a slower or busier
/// machine (CPU time counts neither waiting nor other processes, but a busy core still runs
/// slower), while a reader whose work grows faster than its input does far more than that at the
/// cap (with the square of it: about a million times a linear reader's work at 1 MiB). A slowdown
/// by a smaller constant factor passes. The 24 MiB bundle's search before its fix (4551a3a) took
/// 1.24 s of CPU in this build against 0.30 s after (memchr is optimised in test builds, see
/// Cargo.toml), so its budget of 0.9 s fails the old code; the fuzz build's compare tracing made
/// it 4.9 s and a finding.
const BUDGET_TIMES: f64 = 3.0;

/// No budget is smaller: the figures below a tenth of a second are mostly noise.
const BUDGET_FLOOR: f64 = 0.5;

/// The budget of an input at the size cap in the CAP form (`raw`: false) or the RAW form, and
/// the figure it comes from; `None` when [`MEASURED`] has no figure for it.
fn cap_budget(target: &str, input: &str, raw: bool) -> Option<(Duration, f64)> {
    let &(_, _, cap, properties) = MEASURED
        .iter()
        .find(|(t, i, _, _)| *t == target && *i == input)?;
    let figure = if raw { properties? } else { cap };
    Some((
        Duration::from_secs_f64((figure * BUDGET_TIMES).max(BUDGET_FLOOR)),
        figure,
    ))
}

macro_rules! replay_tests {
    ($($target:ident),* $(,)?) => {
        /// The targets with replay tests.
        const REPLAYED: &[&str] = &[$(stringify!($target)),*];
        $(
        mod $target {
            /// Every committed corpus input keeps every property of the target.
            #[test]
            fn corpus() {
                super::replay_corpus(stringify!($target));
            }

            /// Every input at the reader's size cap, as `run.sh` times it, stays within its
            /// CPU and memory budget.
            #[test]
            fn at_the_size_cap() {
                super::replay_at_cap(stringify!($target), false);
            }

            /// Every input at the reader's size cap keeps every property of the target.
            #[test]
            fn properties_at_the_size_cap() {
                super::replay_at_cap(stringify!($target), true);
            }
        }
    )*};
}

replay_tests!(
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

/// The targets are the same everywhere: the harness, the tests above, the libFuzzer binaries
/// (`fuzz/Cargo.toml`, `fuzz/fuzz_targets/`), `run.sh`'s list, the corpus and the dictionaries.
#[test]
fn every_fuzz_target_is_replayed() {
    let fuzz = clawauth_tests::repo_root().join("fuzz");
    let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
    assert_eq!(
        names, REPLAYED,
        "the harness's targets and the replay tests"
    );
    let listed = |dir: &str, suffix: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(fuzz.join(dir))
            .unwrap_or_else(|e| panic!("fuzz/{dir}: {e}"))
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter_map(|n| n.strip_suffix(suffix).map(str::to_owned))
            .collect();
        v.sort();
        v
    };
    assert_eq!(listed("corpus", ""), names, "fuzz/corpus/");
    assert_eq!(listed("fuzz_targets", ".rs"), names, "fuzz/fuzz_targets/");
    assert_eq!(listed("dict", ".dict"), names, "fuzz/dict/");
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    let run_sh = std::fs::read_to_string(fuzz.join("run.sh")).expect("fuzz/run.sh");
    let all = run_sh
        .lines()
        .find_map(|l| l.strip_prefix("all=("))
        .and_then(|l| l.strip_suffix(')'))
        .expect("run.sh's all=(…) line");
    assert_eq!(
        all.split(' ').collect::<Vec<_>>(),
        names,
        "run.sh's all=(…)"
    );
    for name in &names {
        assert!(
            manifest.contains(&format!(
                "name = \"{name}\"\npath = \"fuzz_targets/{name}.rs\""
            )),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
    }
}

/// Replays every file of `fuzz/corpus/NAME/` with the target's every check.
fn replay_corpus(name: &str) {
    let target = target(name);
    let dir = clawauth_tests::repo_root().join("fuzz/corpus").join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a corpus entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no corpus inputs", dir.display());
    let mut findings = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    for file in &files {
        let shown = shown_path(file);
        let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{shown}: {e}"));
        let run = replay(target, &bytes);
        if run.cpu > slowest.0 {
            slowest = (run.cpu, shown.clone());
        }
        let why = "libFuzzer's -timeout in the campaign";
        findings.extend(
            run.findings(CORPUS_BUDGET, why)
                .map(|f| format!("{shown}: {f}")),
        );
    }
    eprintln!(
        "   {name}: {} corpus inputs; the slowest, {}, in {:.3} s of CPU (budget {} s each)",
        files.len(),
        slowest.1,
        slowest.0.as_secs_f64(),
        CORPUS_BUDGET.as_secs()
    );
    assert!(
        findings.is_empty(),
        "fuzz target {name}: {} of {} corpus inputs fail (replay one with \
         fuzz/target/x86_64-unknown-linux-gnu/release/{name} FILE after fuzz/run.sh builds it):\n{}",
        findings.len(),
        files.len(),
        findings.join("\n")
    );
}

/// Inputs at the size cap too slow for the RAW form's checks, and why.
const NOT_RAW: &[(&str, &str, &str)] = &[(
    "gateway_state",
    "store-near-16mib",
    "the check that no secret reaches an output looks for each of the store's strings in every \
     other, a quadratic search by design, and the store holds 60,000 profiles",
)];

/// Replays every input at the size cap of the target: in the CAP form, as `run.sh` times them
/// (the reader's own work and the few checks of that form), or with `raw` in the RAW form (every
/// property the target checks, which the campaign never runs at the cap: libFuzzer's inputs end
/// at 1 MiB). Either form within its CPU budget ([`MEASURED`]) and the memory limit.
fn replay_at_cap(name: &str, raw: bool) {
    let target = target(name);
    let inputs = (target.cap_inputs)();
    assert!(!inputs.is_empty(), "{name}: no inputs at the size cap");
    let form = if raw { "RAW" } else { "CAP" };
    let mut findings = Vec::new();
    for input in &inputs {
        let file = input.file_name();
        if raw
            && let Some((_, _, why)) = NOT_RAW
                .iter()
                .find(|(t, i, _)| *t == name && *i == input.name)
        {
            eprintln!("   {name}: {file}: not in the RAW form: {why}");
            continue;
        }
        let bytes = if raw {
            let body = input.bytes.strip_prefix(clawauth_fuzz_harness::CAP);
            [clawauth_fuzz_harness::RAW, body.expect("a CAP input")].concat()
        } else {
            input.bytes.clone()
        };
        // Printed first, so a process that ends in the middle (see `Counting`) says which input.
        eprintln!(
            "   {name}: {file} ({:.1} MiB, the {form} form)…",
            bytes.len() as f64 / f64::from(1 << 20)
        );
        let run = replay(target, &bytes);
        let budget = cap_budget(name, input.name, raw);
        eprintln!(
            "   {name}: {file} in {:.3} s of CPU{}, {:.1} MiB of heap at the peak",
            run.cpu.as_secs_f64(),
            budget.map_or(String::new(), |(b, _)| format!(
                " (budget {:.2} s)",
                b.as_secs_f64()
            )),
            run.peak_heap as f64 / f64::from(1 << 20)
        );
        let Some((budget, figure)) = budget else {
            findings.push(format!(
                "{file}: no figure for its {form} form in MEASURED (fuzz_replay.rs); it took \
                 {:.3} s of CPU here",
                run.cpu.as_secs_f64()
            ));
            continue;
        };
        let why =
            format!("{BUDGET_TIMES} times the {figure} s measured, at least {BUDGET_FLOOR} s");
        findings.extend(
            run.findings(budget, &why)
                .map(|f| format!("{file} ({form} form): {f}")),
        );
    }
    assert!(
        findings.is_empty(),
        "fuzz target {name}: inputs at the size cap fail (write them as files with \
         `cargo run -p clawauth-fuzz-harness --bin fuzz-cap-inputs -- DIR {name}`; a reader \
         slower on purpose: measure again with `cargo test -p clawauth-tests --test suite -- \
         fuzz_replay:: --nocapture` and update MEASURED):\n{}",
        findings.join("\n")
    );
}

fn target(name: &str) -> &'static Target {
    clawauth_fuzz_harness::target(name).unwrap_or_else(|| panic!("no fuzz target {name}"))
}

/// `fuzz/corpus/…` for a file of the repo's.
fn shown_path(file: &Path) -> String {
    let root = clawauth_tests::repo_root();
    file.strip_prefix(&root)
        .unwrap_or(file)
        .display()
        .to_string()
}

/// What one input did.
struct Run {
    cpu: Duration,
    peak_heap: usize,
    largest_allocation: usize,
    panics: Vec<String>,
}

impl Run {
    /// What is wrong with it, within `budget` of CPU time (`why`: where the budget comes from).
    fn findings(&self, budget: Duration, why: &str) -> impl Iterator<Item = String> + '_ {
        let slow = (self.cpu > budget).then(|| {
            format!(
                "took {:.3} s of CPU, more than its budget of {} s ({why})",
                self.cpu.as_secs_f64(),
                budget.as_secs_f64()
            )
        });
        let big = (self.peak_heap > MEMORY_LIMIT).then(|| {
            format!(
                "took {} MiB of heap at the peak, more than {} MiB",
                self.peak_heap >> 20,
                MEMORY_LIMIT >> 20
            )
        });
        let huge = (self.largest_allocation > MEMORY_LIMIT).then(|| {
            format!(
                "allocated {} MiB at once, more than {} MiB",
                self.largest_allocation >> 20,
                MEMORY_LIMIT >> 20
            )
        });
        self.panics
            .iter()
            .cloned()
            .chain(slow)
            .chain(big)
            .chain(huge)
    }
}

/// One replay at a time in this process: see the module's comment.
static REPLAY: Mutex<()> = Mutex::new(());

/// The thread replaying an input now, whose panics (and those of the harness's runtime threads)
/// are the input's.
static REPLAYING: Mutex<Option<ThreadId>> = Mutex::new(None);

/// The panics of the input being replayed, as the hook saw them.
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `target` on `bytes`, counting its CPU time and heap and collecting its panics on every
/// thread: libFuzzer's hook aborts on any panic, where tokio would turn a blocking task's panic
/// into an error the report shows.
fn replay(target: &Target, bytes: &[u8]) -> Run {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let me = std::thread::current();
            let ours = *lock(&REPLAYING) == Some(me.id())
                || me.name().is_some_and(|n| n.starts_with(RUNTIME_THREAD));
            if ours {
                let thread = me.name().unwrap_or("a thread without a name");
                lock(&PANICS).push(format!("on the thread '{thread}': {info}"));
            }
            default(info);
        }));
    });
    let _turn = lock(&REPLAY);
    lock(&PANICS).clear();
    *lock(&REPLAYING) = Some(std::thread::current().id());
    let cpu_before = cpu_time();
    let heap = Heap::watch();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (target.run)(bytes)));
    let (peak_heap, largest_allocation) = heap.peak();
    let cpu = cpu_time().saturating_sub(cpu_before);
    *lock(&REPLAYING) = None;
    let mut panics = std::mem::take(&mut *lock(&PANICS));
    if caught.is_err() && panics.is_empty() {
        panics.push("a panic the hook did not see".to_owned());
    }
    Run {
        cpu,
        peak_heap,
        largest_allocation,
        panics,
    }
}

/// The CPU time (user and system) of this process so far.
fn cpu_time() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    use nix::sys::time::TimeValLike;
    let u = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    let us = u.user_time().num_microseconds() + u.system_time().num_microseconds();
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

/// The heap this process holds now, its peak since [`Heap::watch`], and the largest one
/// allocation since then.
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static LARGEST: AtomicUsize = AtomicUsize::new(0);
/// While an input runs: the heap beyond which an allocation fails (0: none). Four times the
/// limit above what the process held before, so an input that runs away ends the process (Rust
/// aborts on a failed allocation) before it takes the machine's memory; one that merely passes
/// the limit is a finding with its name.
static HARD_LIMIT: AtomicUsize = AtomicUsize::new(0);

/// What one replay allocates.
struct Heap {
    before: usize,
}

impl Heap {
    fn watch() -> Self {
        let before = LIVE.load(Ordering::SeqCst);
        PEAK.store(before, Ordering::SeqCst);
        LARGEST.store(0, Ordering::SeqCst);
        HARD_LIMIT.store(before + 4 * MEMORY_LIMIT, Ordering::SeqCst);
        Self { before }
    }

    /// The heap at the peak beyond what there was before, and the largest allocation.
    fn peak(self) -> (usize, usize) {
        HARD_LIMIT.store(0, Ordering::SeqCst);
        (
            PEAK.load(Ordering::SeqCst).saturating_sub(self.before),
            LARGEST.load(Ordering::SeqCst),
        )
    }
}

/// The system allocator, counting the bytes held (libFuzzer's malloc hooks count the same for
/// its limits).
struct Counting;

impl Counting {
    /// Counts `size` more bytes held, from an allocation of `whole` bytes, unless they would pass
    /// the hard limit.
    fn take(size: usize, whole: usize) -> bool {
        let limit = HARD_LIMIT.load(Ordering::Relaxed);
        let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
        if limit != 0 && live > limit {
            LIVE.fetch_sub(size, Ordering::Relaxed);
            return false;
        }
        PEAK.fetch_max(live, Ordering::Relaxed);
        LARGEST.fetch_max(whole, Ordering::Relaxed);
        true
    }

    fn give(size: usize) {
        LIVE.fetch_sub(size, Ordering::Relaxed);
    }
}

// `unsafe` here only because `GlobalAlloc` is an unsafe trait: each method passes its arguments
// unchanged to the system allocator, under the same contract its caller was given, and returns
// what that returned (or null, which the contract allows, when the hard limit is passed); the
// counting is atomic integers only and allocates nothing.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !Self::take(layout.size(), layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract for `alloc`, passed on.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            Self::give(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !Self::take(layout.size(), layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract for `alloc_zeroed`, passed on.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            Self::give(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(ptr, layout) };
        Self::give(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Counted by the difference: a large block grows in place (mremap), without a copy.
        let old = layout.size();
        if new_size > old && !Self::take(new_size - old, new_size) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract for `realloc`, passed on.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if new_size > old {
            if p.is_null() {
                // Failed: the old block stays, as counted before.
                Self::give(new_size - old);
            }
        } else if !p.is_null() {
            Self::give(old - new_size);
        }
        p
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;
