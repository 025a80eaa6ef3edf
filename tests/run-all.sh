#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need, then checks formatting,
# lints, and runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

tests/install-tools.sh

echo "==> cargo fmt --check" >&2
cargo fmt --all -- --check
echo "==> cargo clippy" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo build (the binary the end-to-end tests run)" >&2
cargo build --workspace --locked
echo "==> termux/build-static.sh aarch64 (the phone's binary the aarch64 tests run under qemu)" >&2
termux/build-static.sh aarch64
echo "==> cargo test" >&2
cargo test --workspace --locked
echo "==> fuzz/run.sh ${FUZZ_SECONDS:-15} (every fuzz target on its committed corpus, then its inputs at the size caps)" >&2
fuzz/run.sh "${FUZZ_SECONDS:-15}"
