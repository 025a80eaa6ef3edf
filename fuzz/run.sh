#!/usr/bin/env bash
# Runs clawauth's libFuzzer campaign (nightly toolchain; the workspace itself stays on stable): each
# target for SECONDS on a temporary copy of its committed corpus (fuzz/corpus/<target>, never
# written to), then its inputs at the reader's size cap, each of which must finish within a second
# of CPU time. Fails on any finding: a panic (overflow checks are on), a broken property, an input
# slower than the timeout, or more memory than the limit. Findings are kept in
# fuzz/artifacts/<target>/ (ignored by git); replay one with
#   fuzz/target/<host>/release/<target> fuzz/artifacts/<target>/<file>
# What a target does with an input is the harness's (fuzz/harness, a crate of the main workspace,
# `TARGET::run`), and so are the inputs at the size cap (`TARGET::cap_inputs`, written by its
# `fuzz-cap-inputs` binary, built on stable): the suite's replay tests (tests/tests/fuzz_replay.rs)
# run the same functions on the committed corpus and time the same inputs in the test build, so
# this campaign is not part of the test run.
# The targets are built as `cargo fuzz build -O -a -s none` builds them (the same RUSTFLAGS, so
# cargo-fuzz, when installed, reuses the build), without needing cargo-fuzz itself.
#
#   fuzz/run.sh [SECONDS] [TARGET…]     default: 60 s each, every target
#
# Environment: FUZZ_RSS_MB (memory limit, default 512), FUZZ_TIMEOUT (seconds one input may
# take, default 2), FUZZ_CAP_SECONDS (CPU seconds an input at the size cap may take, default
# 1), FUZZ_EXTRA (more libFuzzer flags, e.g. "-fork=2" for a long campaign),
# FUZZ_CORPUS_OUT (a directory outside the repo that keeps each target's grown corpus),
# FUZZ_BUILD_ONLY=1 (build the targets and stop), FUZZ_QUICK_BUILD=1 (a short run: the same
# instrumentation at opt-level 1 with parallel codegen and no debug info — 3.5 min to build from
# scratch on 2 cores instead of 8.5 — and a cap budget of 2 s; a long campaign uses the default
# build).
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
shift || true
rss=${FUZZ_RSS_MB:-512}
timeout=${FUZZ_TIMEOUT:-2}
# The quick build (FUZZ_QUICK_BUILD=1) runs its targets about 1.6 times slower than the
# campaign's build (companion_toml many-hosts: 0.64 s → 1.03 s): twice the budget there.
if [ "${FUZZ_QUICK_BUILD:-}" = 1 ]; then cap_cpu=${FUZZ_CAP_SECONDS:-2}; else cap_cpu=${FUZZ_CAP_SECONDS:-1}; fi

say() { printf '==> %s\n' "$*" >&2; }

all=(companion_toml durations external_creds gateway_report gateway_state known_hosts legacy_splice models_status ntfy_responses remote_probe ssh_config terminal_scan)
if (($#)); then targets=("$@"); else targets=("${all[@]}"); fi
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "error: unknown fuzz target '$t'" >&2; echo "hint: one of: ${all[*]}" >&2; exit 2; }
done

# The largest input each target is fuzzed with: the reader's own size cap, at most 1 MiB (the
# at-the-cap inputs below cover the larger caps).
max_len() {
  case $1 in
    terminal_scan) echo $((256 * 1024 + 4)) ;; # reauth::scan::MAX_BYTES
    durations) echo 4096 ;;
    ntfy_responses) echo $((64 * 1024 + 64)) ;; # monitor::http::BODY_CAP
    remote_probe) echo $((64 * 1024 + 4)) ;; # the probe's output cap
    *) echo $((1024 * 1024 + 4)) ;;
  esac
}

if ! rustc +nightly -vV >/dev/null 2>&1; then
  echo "error: the nightly toolchain is missing (libFuzzer's coverage instrumentation needs it)" >&2
  echo "hint: tests/install-tools.sh installs it (rustup toolchain install nightly --profile minimal)" >&2
  exit 2
fi
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin=target/$host/release
# cargo-fuzz's flags for -O (release, one codegen unit), -a (debug assertions, so overflow
# checks) and -s none (no sanitizer): libFuzzer's coverage counters, comparison tracing and
# stack depth, and `cfg(fuzzing)`.
fuzz_flags=(
  -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table
  -Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-simplifycfg-branch-fold-threshold=0
  --cfg fuzzing -Clink-dead-code -Cllvm-args=-sanitizer-coverage-stack-depth -Cdebug-assertions
  -Ccodegen-units=1
)
profile=(--release --config profile.release.debug=true)
if [ "${FUZZ_QUICK_BUILD:-}" = 1 ]; then
  # A short run (a few seconds per target): the same instrumentation, built for less
  # optimisation time — opt-level 1, parallel codegen, no debug info. A campaign uses the default.
  fuzz_flags=("${fuzz_flags[@]/-Ccodegen-units=1/}")
  profile=(--release --config profile.release.debug=false --config profile.release.opt-level=1)
  say "building the fuzz targets (nightly, quick: opt-level 1, overflow checks)"
else
  say "building the fuzz targets (nightly, release with overflow checks)"
fi
CARGO_FUZZ=1 RUSTFLAGS="${fuzz_flags[*]}${RUSTFLAGS:+ $RUSTFLAGS}" cargo +nightly build --locked \
  --manifest-path Cargo.toml --target "$host" "${profile[@]}" --bins >&2
# The inputs at the readers' size caps are the harness's (`TARGET::cap_inputs`, which the replay
# tests time too), written by its small binary: built on stable, in the main workspace.
say "building the writer of the inputs at the size cap (stable, the main workspace)"
gen=(cargo run --locked --quiet --manifest-path ../Cargo.toml -p clawauth-fuzz-harness --bin fuzz-cap-inputs --)
cargo build --locked --quiet --manifest-path ../Cargo.toml -p clawauth-fuzz-harness --bin fuzz-cap-inputs >&2
if [ "${FUZZ_BUILD_ONLY:-}" = 1 ]; then
  say "built; FUZZ_BUILD_ONLY=1, so nothing runs"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"${gen[@]}" "$work/cap" "${targets[@]}"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/corpus" "artifacts/$t"
  cp -R "corpus/$t/." "$work/$t/corpus/"
  say "$t: fuzzing for $seconds s on its corpus ($(ls "corpus/$t" | wc -l) inputs)"
  # shellcheck disable=SC2086
  if "$bin/$t" "$work/$t/corpus" -dict="dict/$t.dict" -max_total_time="$seconds" \
    -rss_limit_mb="$rss" -malloc_limit_mb="$rss" -timeout="$timeout" -max_len="$(max_len "$t")" \
    -artifact_prefix="artifacts/$t/" -print_final_stats=1 ${FUZZ_EXTRA:-} > "$work/$t.log" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units' "$work/$t.log" | sed "s/^/   $t: /" >&2 || true
    say "$t: corpus grew from $(ls "corpus/$t" | wc -l) to $(ls "$work/$t/corpus" | wc -l) inputs"
    if [ -n "${FUZZ_CORPUS_OUT:-}" ]; then
      mkdir -p "$FUZZ_CORPUS_OUT/$t"
      cp -R "$work/$t/corpus/." "$FUZZ_CORPUS_OUT/$t/"
    fi
  else
    tail -n 40 "$work/$t.log" >&2
    failed+=("$t (fuzzing)")
    continue
  fi
  say "$t: $(ls "$work/cap/$t" | wc -l) inputs at the size cap, each within $cap_cpu s of CPU"
  for f in "$work/cap/$t"/*; do
    # CPU time, not wall time: the machine may be shared; the wall-clock timeout is a hang guard.
    TIMEFORMAT='%3U %3S'
    if ! { time "$bin/$t" -timeout=60 -rss_limit_mb="$rss" -malloc_limit_mb="$rss" \
      -artifact_prefix="artifacts/$t/" "$f" > "$work/$t.cap.log" 2>&1; } 2> "$work/$t.cap.time"; then
      tail -n 20 "$work/$t.cap.log" >&2
      failed+=("$t (at the size cap: $(basename "$f"))")
      continue
    fi
    cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$work/$t.cap.time")
    # An input named NAME@N may take N times the budget: the fuzz build is instrumented (about
    # four times slower than a release build), and a 16 MiB store is parsed and evaluated whole;
    # its release-build figure is the benchmark's (tests/bench.sh --evaluation-only).
    budget=$cap_cpu
    case $(basename "$f") in *@*) budget=$(awk -v c="$cap_cpu" -v n="${f##*@}" 'BEGIN { print c * n }') ;; esac
    printf '   %s: %s in %s s of CPU (budget %s s)\n' "$t" "$(basename "$f")" "$cpu" "$budget" >&2
    if awk -v c="$cpu" -v max="$budget" 'BEGIN { exit !(c > max) }'; then
      cp "$f" "artifacts/$t/slow-at-cap-$(basename "$f")"
      failed+=("$t (at the size cap: $(basename "$f") took $cpu s)")
    fi
  done
done

if ((${#failed[@]})); then
  echo "error: fuzzing found problems in: ${failed[*]}" >&2
  echo "hint: the inputs are in fuzz/artifacts/; replay one with: fuzz/$bin/TARGET fuzz/artifacts/TARGET/FILE" >&2
  exit 1
fi
say "fuzzing: ${#targets[@]} targets, no findings"
