#!/usr/bin/env bash
# The benchmark command (README, "Performance"): installs what it needs (tests/install-tools.sh:
# sshd, ssh, jq, node 24 and the OpenClaw CLI, ...), builds clawauth and the benchmark in release
# mode, and runs it. Not part of the test run. Arguments go to the benchmark; see
# `tests/bench.sh --help`.
set -euo pipefail
cd "$(dirname "$0")/.."

tests/install-tools.sh
echo "==> cargo build --release (clawauth and the benchmark)" >&2
cargo build --release --locked --workspace --bin clawauth --bin bench
exec cargo run --quiet --release --locked -p clawauth-tests --bin bench -- "$@"
