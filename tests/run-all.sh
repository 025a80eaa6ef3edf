#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need (tests/install-tools.sh),
# then checks formatting, lints, builds once, and runs every test of the workspace — the
# integration suite with cargo-nextest (the fuzz targets' corpus and size-cap inputs replayed
# among them), the aarch64 binary under qemu, the Kotlin tests on the JVM (the bindings and the
# widget's logic) and the Android app check (its Kotlin against API stubs, its resources with
# aapt2).
#
# Built once: clippy checks every target, one `cargo build --workspace --all-targets` builds the
# test binaries, the `clawauth` binary the end-to-end tests run and the FFI library, and nextest
# and the Kotlin suite reuse it. Phases that wait or use one core overlap with the others: the
# phone's static build (LTO on one core) runs beside clippy and the host build; the Kotlin suite
# and the app check run beside the integration tests, which mostly wait on sshd, qemu and
# timeouts. Each phase says when it starts and how long it took, the run ends with a table of
# the phases and the ten slowest tests.
#
# Environment: CLAWAUTH_SERIAL=1 runs every phase in the foreground, one after another (to read
# one phase's output in order or to time it alone); NEXTEST_PROFILE (default ci).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

started=$SECONDS
clock() { local s=$((SECONDS - started)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
say() { printf '==> [%s] %s\n' "$(clock)" "$*" >&2; }

# Phase timings: `phase NAME` … `phase_done` in the foreground; `background NAME CMD…` …
# `await NAME` for a phase that runs beside the others (its output is kept in target/run-all/
# and printed whole when it is awaited, so the log reads phase by phase).
declare -A began=()
timings=()
record() { # record NAME SECONDS [NOTE]
  timings+=("$(printf '%4dm%02ds  %s%s' $(($2 / 60)) $(($2 % 60)) "$1" "${3:+ ($3)}")")
}
current=""
phase() { current=$1; began[$1]=$SECONDS; say "$1"; }
phase_done() {
  local took=$((SECONDS - began[$current]))
  record "$current" "$took"
  say "done in $((took / 60))m$(printf '%02d' $((took % 60)))s: $current"
  current=""
}
logs=$root/target/run-all
log_of() { printf '%s/%s.log' "$logs" "$(printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_')"; }
declare -A bg_pid=()
background() { # background NAME CMD…: starts CMD beside the foreground phases
  local name=$1
  shift
  mkdir -p "$logs"
  began[$name]=$SECONDS
  if [ "${CLAWAUTH_SERIAL:-}" = 1 ]; then
    say "$name"
    "$@"
    record "$name" $((SECONDS - began[$name]))
    return
  fi
  say "$name (in the background; its output follows when it ends)"
  # The phase writes down when it ended, so its own time is reported, not the wait for it.
  local log
  log=$(log_of "$name")
  rm -f "$log.ended"
  # (Not `"$@" || rc=$?`: that would turn errexit off inside a function phase, so a failing
  # first step would go unnoticed.)
  (
    trap 'echo "$SECONDS" >"$log.ended"' EXIT
    "$@" >"$log" 2>&1
  ) &
  bg_pid[$name]=$!
}
await() { # await NAME: waits for a background phase, prints its output, fails the run if it failed
  local name=$1 rc=0
  [ -n "${bg_pid[$name]:-}" ] || return 0
  wait "${bg_pid[$name]}" || rc=$?
  unset "bg_pid[$name]"
  local ended
  ended=$(cat "$(log_of "$name").ended" 2>/dev/null || echo "$SECONDS")
  local took=$((ended - began[$name]))
  say "--- output of: $name (started at $((began[$name] - started))s, took $((took / 60))m$(printf '%02d' $((took % 60)))s, waited for $((SECONDS - ended))s) ---"
  cat "$(log_of "$name")" >&2
  if ((rc != 0)); then
    record "$name" "$took" "FAILED, exit $rc"
    say "FAILED (exit $rc): $name"
    exit "$rc"
  fi
  record "$name" "$took" "beside the others"
  say "done: $name"
}
print_timings() {
  say "phase times:"
  printf '    %s\n' "${timings[@]}" >&2
}
# A process and everything it started (a background phase's cargo, java, sshd, …).
kill_tree() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
# A failing foreground phase still shows the table, and stops the background phases.
on_exit() {
  local rc=$?
  for name in "${!bg_pid[@]}"; do kill_tree "${bg_pid[$name]}"; done
  if ((rc != 0)); then
    [ -z "$current" ] || record "$current" $((SECONDS - ${began[$current]:-$SECONDS})) "FAILED"
    print_timings
    say "FAILED (exit $rc)"
  fi
}
trap on_exit EXIT

# Free disk before and after: a full run needs about NEED_GB (the workspace's debug and test
# build, the static build); a machine with less is said so up front, not by a linker error later.
NEED_GB=8
disk() {
  local free_kb used
  free_kb=$(df -Pk . | awk 'NR == 2 { print $4 }')
  used=$(du -sh target 2>/dev/null | cut -f1 || true)
  printf '==> disk: %s GB free here, target/ %s\n' $((free_kb / 1024 / 1024)) "${used:-empty}" >&2
  if [ "$1" = first ] && [ "$free_kb" -lt $((NEED_GB * 1024 * 1024)) ]; then
    printf 'warning: only %s GB free; a full run needs about %s GB (free some space, or set CARGO_TARGET_DIR to a bigger disk)\n' \
      $((free_kb / 1024 / 1024)) "$NEED_GB" >&2
  fi
}
disk first

phase "tests/install-tools.sh"
tests/install-tools.sh
phase_done

phase "cargo fmt --check"
cargo fmt --all -- --check
phase_done

# The phone's binary (release-static profile, its own target directory layout, so no lock is
# shared with the debug builds); the aarch64 tests run it under qemu.
background "termux/build-static.sh aarch64" termux/build-static.sh aarch64

# Clippy and the build in one compile: clippy-driver stands in for rustc for the workspace's own
# crates (what `cargo clippy` does, but building instead of only checking), so every target is
# linted with -D warnings and built once, and the dependencies are compiled once instead of once
# for clippy's check and again for the build. Exported: every later cargo of this run (nextest,
# the tests' own `cargo build --bin clawauth`, the Kotlin scripts) sees the same settings and so
# finds everything up to date instead of rebuilding the workspace's crates without clippy.
RUSTC_WORKSPACE_WRAPPER=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver) || {
  echo "error: clippy-driver not found: rustup component add clippy (tests/install-tools.sh does)" >&2
  exit 1
}
export RUSTC_WORKSPACE_WRAPPER
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" # `cargo clippy -- -D warnings`

# Everything the tests run, built once: the test binaries (cargo-nextest reuses them), the
# `clawauth` binary the end-to-end tests start, jvm-lab, uniffi-bindgen and the FFI library with
# the workspace's features; then the FFI library as the phone has it (core without its sqlite
# and keyring features: `-p clawauth-ffi` alone), which the Kotlin suite and the app check load.
phase "cargo build --workspace --all-targets, linted by clippy -D warnings; cargo build -p clawauth-ffi (the phone's features)"
cargo build -p clawauth-ffi --locked
cargo build --workspace --all-targets --locked
phase_done

phase "bindings/check-android.sh (the Android library: cargo clippy -D warnings for aarch64-linux-android, the core without its sqlite and keyring features; no rusqlite, keyring or clap)"
bindings/check-android.sh
phase_done

await "termux/build-static.sh aarch64"

# Beside the integration tests: the Kotlin suite, then the app check (both compile with kotlinc,
# then mostly wait: the JVM suite on its sshd gateways).
kotlin_and_app() {
  bindings/kotlin/run-tests.sh
  android-widget/check-app.sh
}
background "bindings/kotlin/run-tests.sh, then android-widget/check-app.sh" kotlin_and_app

phase "cargo nextest run --workspace (every Rust test: unit tests, the integration suite, the aarch64 binary under qemu, the fuzz corpus replayed); cargo test --doc"
profile=${NEXTEST_PROFILE:-ci}
nextest_rc=0
cargo nextest run --workspace --locked --profile "$profile" --no-fail-fast || nextest_rc=$?
# nextest does not run doctests.
cargo test --workspace --doc --locked || nextest_rc=$?
junit=$root/target/nextest/$profile/junit.xml
slowest() { [ ! -f "$junit" ] || python3 tests/slowest-tests.py "$junit" 10 >&2 || true; }
if ((nextest_rc != 0)); then
  slowest
  exit "$nextest_rc"
fi
phase_done

await "bindings/kotlin/run-tests.sh, then android-widget/check-app.sh"

disk last
print_timings
slowest
trap - EXIT
say "all tests passed"
