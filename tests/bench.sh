#!/usr/bin/env bash
# The benchmark command (README, "Performance"): installs what it needs (tests/install-tools.sh:
# sshd, ssh, jq, node 24 and the OpenClaw CLI, kotlinc, JNA, ...), builds clawauth and the
# benchmark in release mode, and the widget's path (the release clawauth-ffi library, its Kotlin
# bindings and bindings/kotlin/src/bench's tap, compiled with kotlinc), then runs it. Not part of
# the test run. Arguments go to the benchmark; see `tests/bench.sh --help` (--no-jvm leaves the
# widget's path out and skips its build).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

tests/install-tools.sh
echo "==> cargo build --release (clawauth and the benchmark)" >&2
cargo build --release --locked --workspace --bin clawauth --bin bench

if [[ " $* " != *" --no-jvm "* && " $* " != *" --evaluation-only "* && " $* " != *" --help "* && " $* " != *" -h "* ]]; then
  tools=${CLAWAUTH_TOOLS:-$HOME/.cache/clawauth-tools}
  klib=$tools/kotlin/node_modules/kotlin-compiler/lib
  kotlinc=$tools/kotlin/node_modules/kotlin-compiler/bin/kotlinc
  jlib=/usr/share/java
  out=$root/target/bench/jvm
  echo "==> the widget's path: cargo build --release -p clawauth-ffi, uniffi-bindgen, kotlinc (about 5 min the first time)" >&2
  cargo build --release --locked -p clawauth-ffi
  # The Kotlin is generated from the debug library: the release one is stripped of the UniFFI
  # metadata uniffi-bindgen reads (the same sources, so the same interface and checksums).
  cargo build -q --locked -p clawauth-ffi
  cargo build -q --locked --workspace --bin uniffi-bindgen
  rm -rf "$out/gen"
  mkdir -p "$out"
  target/debug/uniffi-bindgen generate --library target/debug/libclawauth_ffi.so --language kotlin \
    --out-dir "$out/gen" --no-format
  mapfile -t sources < <(find "$out/gen" bindings/kotlin/src/bench/kotlin -name '*.kt' | sort)
  stamp=$({ cat "$klib/../build.txt" 2>/dev/null; sha256sum "${sources[@]}"; } | sha256sum | cut -d' ' -f1)
  if [ ! -f "$out/bench.jar" ] || [ "$(cat "$out/bench.stamp" 2>/dev/null)" != "$stamp" ]; then
    JAVA_OPTS="-Xmx1g -XX:TieredStopAtLevel=1" "$kotlinc" -Werror -jvm-target 17 \
      -cp "$jlib/jna.jar:$klib/kotlinx-coroutines-core-jvm.jar" -d "$out/bench.jar" "${sources[@]}"
    echo "$stamp" >"$out/bench.stamp"
  fi
  export CLAWAUTH_BENCH_JVM_CP="$out/bench.jar:$jlib/jna.jar:$klib/kotlinx-coroutines-core-jvm.jar:$klib/kotlin-stdlib.jar"
  export CLAWAUTH_BENCH_JNA_PATH="$root/target/release"
fi
exec cargo run --quiet --release --locked -p clawauth-tests --bin bench -- "$@"
