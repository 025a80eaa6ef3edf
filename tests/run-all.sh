#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need, then checks formatting,
# lints, runs every test of the workspace, the Kotlin tests on the JVM (the bindings and the
# widget's logic), checks the Android app (its Kotlin against API stubs, its resources with aapt2),
# then runs every fuzz target for a short fixed time.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each phase says when it starts, so a slow CI run shows where the time went.
phase() { printf '==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }

# Free disk before and after: a full run needs about NEED_GB (the workspace's debug, test,
# static and fuzz builds); a machine with less is said so up front, not by a linker error later.
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
NEED_GB=12
disk first

tests/install-tools.sh

phase "cargo fmt --check"
cargo fmt --all -- --check
phase "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
phase "cargo build (the binary the end-to-end tests run)"
cargo build --workspace --locked
phase "termux/build-static.sh aarch64 (the phone's binary the aarch64 tests run under qemu)"
termux/build-static.sh aarch64
phase "bindings/check-android.sh (the Android library: cargo clippy -D warnings for aarch64-linux-android, so the core without its sqlite and keyring features too; no rusqlite, keyring or clap)"
bindings/check-android.sh
phase "cargo test"
cargo test --workspace --locked
phase "bindings/kotlin/run-tests.sh (the Kotlin bindings and the widget's logic on the JVM: kotlinc -Werror, then JUnit 5)"
bindings/kotlin/run-tests.sh
phase "android-widget/check-app.sh (the app's Kotlin against Android API 36 stubs, its resources with aapt2 against API 29)"
android-widget/check-app.sh
phase "fuzz/run.sh ${FUZZ_SECONDS:-5} (every fuzz target on its committed corpus, then its inputs at the size caps; the quick build: opt-level 1)"
FUZZ_QUICK_BUILD=${FUZZ_QUICK_BUILD:-1} fuzz/run.sh "${FUZZ_SECONDS:-5}"
disk last
phase "all tests passed"
