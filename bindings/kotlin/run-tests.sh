#!/usr/bin/env bash
# Runs the Kotlin tests on the JVM against the real library: builds clawauth-ffi (debug), generates
# its Kotlin with uniffi-bindgen, compiles that, then the bindings' tests
# (bindings/kotlin/src/test/kotlin), the Android widget's pure-Kotlin logic
# (android-widget/app/src/main/java/dev/clawauth/widget/logic: no Android types) and its tests
# (android-widget/app/src/test/kotlin) with kotlinc -Werror, and runs them all under the JUnit 5
# console launcher. Prints each phase's
# time, and as its last line `N passed, N failed` (failed: failed and aborted tests, and failed or
# aborted containers, e.g. a class whose @BeforeAll threw). Exits non-zero if any failed or none ran.
#
#   bindings/kotlin/run-tests.sh          from any directory
#
# Build outputs go to target/kotlin/ (generated sources in gen/, bindings.jar, test-classes/, the
# console's log and XML reports); each compile is skipped while its inputs (sources, compiler,
# flags, class path) are unchanged. The environment is passed through to the tests
# (CLAWAUTH_TEST_* and the like).
#
# Environment: CLAWAUTH_FFI_LIB (a libclawauth_ffi.so to test instead of building the debug one),
# CLAWAUTH_TOOLS (where tests/install-tools.sh put kotlinc, default ~/.cache/clawauth-tools),
# KOTLINC_JAVA_OPTS (the compiler JVM's options), JUNIT_EXTRA (more console launcher options,
# e.g. "--include-classname=.*VersionTest").
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

tools=${CLAWAUTH_TOOLS:-$HOME/.cache/clawauth-tools}
kotlin_home=$tools/kotlin/node_modules/kotlin-compiler
kotlinc=$kotlin_home/bin/kotlinc
klib=$kotlin_home/lib
jlib=/usr/share/java
out=$root/target/kotlin
test_src=$root/bindings/kotlin/src/test/kotlin
widget_logic=$root/android-widget/app/src/main/java/dev/clawauth/widget/logic
widget_tests=$root/android-widget/app/src/test/kotlin
kotlinc_flags=(-Werror -jvm-target 17)
# C1 only: a compiler run is short, and the C2 JIT's own work made it about twice as slow on 2 cores
# (the bindings: 27 s with kotlinc's default -Xmx512M -Xms128M, 13 s with these).
kotlinc_java_opts=${KOTLINC_JAVA_OPTS:--Xmx1g -Xms256m -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m}

# say, die, phase, phase_done, print_timings
# shellcheck source=tests/lib/phases.sh
source "$root/tests/lib/phases.sh"

[ -x "$kotlinc" ] || die "no kotlinc at $kotlinc (run tests/install-tools.sh)"
for jar in jna junit-platform-console-standalone junit-jupiter-api apiguardian-api opentest4j; do
  [ -f "$jlib/$jar.jar" ] || die "no $jlib/$jar.jar (run tests/install-tools.sh)"
done

# A hash of the flags, the compiler and every input file: a compile whose stamp is unchanged is skipped.
stamp_of() { { printf '%s\n' "$kotlin_home" "${kotlinc_flags[*]}"; cat "$kotlin_home/build.txt"; sha256sum "$@"; } | sha256sum | cut -d' ' -f1; }
up_to_date() { [ -e "$2" ] && [ -f "$1" ] && [ "$(cat "$1")" = "$3" ]; }
# kotlinc's warnings are errors (-Werror): every diagnostic it prints is shown.
run_kotlinc() { JAVA_OPTS=$kotlinc_java_opts "$kotlinc" "${kotlinc_flags[@]}" "$@"; }

mkdir -p "$out"

# --- the library ---------------------------------------------------------------------------------
if [ -n "${CLAWAUTH_FFI_LIB:-}" ]; then
  [ -f "$CLAWAUTH_FFI_LIB" ] || die "CLAWAUTH_FFI_LIB=$CLAWAUTH_FFI_LIB is not a file"
  lib=$(realpath "$CLAWAUTH_FFI_LIB")
  say "library: $lib (CLAWAUTH_FFI_LIB, not built)"
else
  phase "cargo build -p clawauth-ffi"
  cargo build -p clawauth-ffi
  lib=$root/target/debug/libclawauth_ffi.so
  phase_done
fi

# --- the generated Kotlin: regenerated every run, replaced only when it changed ----------------------
phase "uniffi-bindgen generate (kotlin)"
rm -rf "$out/gen.new"
# Built with the workspace's features (as `cargo build --workspace` left it): `-p uniffi-bindgen`
# alone would resolve uniffi's features differently and rebuild it (1.5 min in CI).
cargo build -q --workspace --bin uniffi-bindgen
"$root/target/debug/uniffi-bindgen" generate --library "$lib" --language kotlin --out-dir "$out/gen.new" --no-format
if [ -d "$out/gen" ] && diff -rq "$out/gen" "$out/gen.new" >/dev/null; then
  rm -rf "$out/gen.new"
  phase_done "unchanged"
else
  rm -rf "$out/gen"
  mv "$out/gen.new" "$out/gen"
  phase_done "changed"
fi
mapfile -t gen_files < <(find "$out/gen" -name '*.kt' | sort)
((${#gen_files[@]})) || die "uniffi-bindgen generated no Kotlin in $out/gen"

# --- compile the bindings ------------------------------------------------------------------------
bindings_jars=("$jlib/jna.jar" "$klib/kotlinx-coroutines-core-jvm.jar")
bindings_cp=$(IFS=:; echo "${bindings_jars[*]}")
phase "kotlinc bindings (${#gen_files[@]} files, $(cat "${gen_files[@]}" | wc -l) lines)"
stamp=$(stamp_of "${gen_files[@]}" "${bindings_jars[@]}")
if up_to_date "$out/bindings.stamp" "$out/bindings.jar" "$stamp"; then
  phase_done "up to date, skipped"
else
  rm -f "$out/bindings.jar" "$out/bindings.stamp"
  run_kotlinc -cp "$bindings_cp" -d "$out/bindings.jar" "${gen_files[@]}"
  echo "$stamp" >"$out/bindings.stamp"
  phase_done "compiled"
fi

# --- compile the tests ---------------------------------------------------------------------------
mapfile -t test_files < <(find "$test_src" "$widget_logic" "$widget_tests" -name '*.kt' 2>/dev/null | sort)
if ((${#test_files[@]} == 0)); then
  say "no Kotlin tests under ${test_src#"$root"/} or ${widget_tests#"$root"/}"
  echo "0 passed, 0 failed"
  exit 1
fi
test_jars=("$out/bindings.jar" "$klib/kotlin-test.jar" "$klib/kotlin-test-junit5.jar" "$jlib/junit-jupiter-api.jar"
  "$jlib/apiguardian-api.jar" "$jlib/opentest4j.jar" "$klib/kotlinx-coroutines-core-jvm.jar" "$jlib/jna.jar")
test_cp=$(IFS=:; echo "${test_jars[*]}")
phase "kotlinc tests (${#test_files[@]} files)"
# bindings.jar is in the stamp: a new bindings.jar recompiles the tests.
stamp=$(stamp_of "${test_files[@]}" "${test_jars[@]}")
if up_to_date "$out/tests.stamp" "$out/test-classes" "$stamp"; then
  phase_done "up to date, skipped"
else
  rm -rf "$out/test-classes" "$out/tests.stamp"
  run_kotlinc -cp "$test_cp" -d "$out/test-classes" "${test_files[@]}"
  echo "$stamp" >"$out/tests.stamp"
  phase_done "compiled"
fi

# --- run them ------------------------------------------------------------------------------------
# The generated Kotlin loads "clawauth_ffi" through JNA: from jna.library.path, or from the path the
# uniffi.component.clawauth_ffi.libraryOverride property names (for a CLAWAUTH_FFI_LIB by another name).
java_props=("-Djna.library.path=$(dirname "$lib")")
if [ "$(basename "$lib")" != libclawauth_ffi.so ]; then
  java_props+=("-Duniffi.component.clawauth_ffi.libraryOverride=$lib")
fi
run_cp=$out/test-classes:$test_cp:$klib/kotlin-stdlib.jar

# --- the gateways the tests check: tests/src/bin/jvm-lab.rs, up until its stdin closes ------------
if [ -z "${CLAWAUTH_JVM_LAB:-}" ]; then
  phase "jvm-lab: real sshd gateways with states written by the real OpenClaw CLI"
  cargo build -q --workspace --bin jvm-lab
  lab_dir=$out/lab
  rm -rf "$lab_dir"
  mkdir -p "$lab_dir"
  mkfifo "$lab_dir/stdin"
  "$root/target/debug/jvm-lab" "$lab_dir/lab.json" <"$lab_dir/stdin" >"$lab_dir/lab.log" 2>&1 &
  lab_pid=$!
  exec 9>"$lab_dir/stdin" # held open while the tests run; closing it stops the lab
  stop_lab() { exec 9>&- 2>/dev/null || true; wait "$lab_pid" 2>/dev/null || true; }
  trap stop_lab EXIT
  for _ in $(seq 1 600); do
    [ -f "$lab_dir/lab.json" ] && break
    kill -0 "$lab_pid" 2>/dev/null || { cat "$lab_dir/lab.log" >&2; echo "0 passed, 1 failed"; die "jvm-lab stopped before it was ready"; }
    sleep 0.2
  done
  [ -f "$lab_dir/lab.json" ] || { cat "$lab_dir/lab.log" >&2; echo "0 passed, 1 failed"; die "jvm-lab was not ready within 120 s"; }
  export CLAWAUTH_JVM_LAB=$lab_dir/lab.json
  phase_done
fi

phase "JUnit 5 console"
rm -rf "$out/test-reports"
log=$out/console.log
# JUNIT_EXTRA is split into words on purpose: it holds options.
# shellcheck disable=SC2086
java "${java_props[@]}" -jar "$jlib/junit-platform-console-standalone.jar" \
  --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests --include-engine=junit-jupiter \
  --class-path="$run_cp" --scan-class-path="$out/test-classes" \
  --reports-dir="$out/test-reports" ${JUNIT_EXTRA:-} </dev/null 2>&1 | tee "$log" && rc=0 || rc=$?
phase_done "exit $rc"
[ -z "${lab_pid:-}" ] || stop_lab
print_timings

# The console's summary, e.g. "[         1 tests successful      ]".
count() { sed -nE "s/^\[ *([0-9]+) $1 +\]\$/\1/p" "$log" | tail -n 1; }
passed=$(count "tests successful")
if [ -z "$passed" ]; then
  say "the JUnit console (exit $rc) printed no summary: counting the run as 1 failed; log: ${log#"$root"/}"
  echo "0 passed, 1 failed"
  exit 1
fi
failed=0
for what in "tests failed" "tests aborted" "containers failed" "containers aborted"; do
  n=$(count "$what")
  failed=$((failed + ${n:-0}))
done
skipped=$(count "tests skipped")
((${skipped:-0} == 0)) || say "${skipped} tests skipped"
echo "$passed passed, $failed failed"
if ((failed > 0 || passed == 0 || rc != 0)); then exit 1; fi
