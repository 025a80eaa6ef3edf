#!/usr/bin/env bash
# Checks what of the Android widget app can be checked without the Android SDK, Gradle or Maven:
#   1. gen_stubs unit tests (android-widget/tools/android-stubs/test_gen_stubs.py): one check each;
#   2. Android API stubs: gen_stubs.py writes Java stubs, from PyPI's chaquopy-stubs-android (API 36
#      signatures), of exactly the Android classes the Kotlin uses; javac --release 17 makes
#      target/android-stubs/android-stubs.jar;
#   3. the UniFFI Kotlin of clawauth-ffi (cargo build -p clawauth-ffi, then uniffi-bindgen);
#   4. resources (only for the app's own sources): aapt2 compile of every file of res/, then
#      aapt2 link of the manifest and every resource API 29 knows against framework-res.apk
#      (Android 10), which also writes R.java;
#   5. kotlinc -Werror -jvm-target 17 of all the Kotlin plus the generated bindings (and R.java)
#      against android-stubs.jar, jna.jar and kotlinx-coroutines (the app uses no other library).
# Prints each phase's time, what could not be checked and why, and as its last line
# `check-app: N checks passed, N failed`. Exits non-zero if any failed.
#
#   android-widget/check-app.sh [KOTLIN_SOURCE_DIR]   default android-widget/app/src/main/java;
#   android-widget/check-app.sh android-widget/tools/android-stubs/sample   (the stub generator's sample)
#
# Outputs: target/android-stubs/ (src/, classes, android-stubs.jar, report.txt: roots, dropped
# members, width decisions), target/android-app/ (gen/: the bindings, res29/: the resources as
# linked, flat/, R/, app.ap_, classes/). The stubs and the Kotlin are rebuilt only when their
# inputs change (stamps).
#
# Needs (tests/install-tools.sh installs all): python3, javac/jar/javap/jimage (openjdk-17-jdk-
# headless), kotlinc ($CLAWAUTH_TOOLS/kotlin), /usr/share/java/jna.jar (libjna-java), aapt2
# (android-sdk-build-tools), /usr/share/android-framework-res/framework-res.apk
# (android-framework-res), the chaquopy-stubs-android wheel unpacked in
# $CLAWAUTH_TOOLS/android-stubs/pyi-<version>, cargo.
#
# Environment: CLAWAUTH_TOOLS (default ~/.cache/clawauth-tools), STUB_DEPTH (signature levels the
# stubs follow from the classes the app names, default 2), KOTLINC_JAVA_OPTS.
#
# Not checked here (no SDK): the app against the real android.jar (protected vs public, abstract
# zero-argument methods, nullability annotations and the widths the stubs lost are approximated;
# see gen_stubs.py), attributes and resources newer than API 29 (-v31 directories and the like),
# androidx (Maven-only: the app must not need it), the Gradle build, dexing, packaging, lint.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# say, die, phase, phase_done, print_timings
# shellcheck source=tests/lib/phases.sh
source "$root/tests/lib/phases.sh"

src_dir=${1:-android-widget/app/src/main/java}
[ -d "$src_dir" ] || die "no source directory $src_dir"
src_dir=$(realpath "$src_dir")
app_main=$root/android-widget/app/src/main
tools=${CLAWAUTH_TOOLS:-$HOME/.cache/clawauth-tools}
kotlin_home=$tools/kotlin/node_modules/kotlin-compiler
kotlinc=$kotlin_home/bin/kotlinc
klib=$kotlin_home/lib
jlib=/usr/share/java
framework_res=/usr/share/android-framework-res/framework-res.apk
stub_tools=$root/android-widget/tools/android-stubs
stubs_out=$root/target/android-stubs
app_out=$root/target/android-app
stub_depth=${STUB_DEPTH:-2}
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the work tree
kotlinc_flags=(-Werror -jvm-target 17)
kotlinc_java_opts=${KOTLINC_JAVA_OPTS:--Xmx1g -Xms256m -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m}
stubs_version=$(sed -n 's/^CHAQUOPY_STUBS_VERSION=//p' tests/install-tools.sh)
[ -n "$stubs_version" ] || die "tests/install-tools.sh sets no CHAQUOPY_STUBS_VERSION"
pyi=$tools/android-stubs/pyi-$stubs_version


# Checks: each passes or fails with a line of its own in the summary.
passed=0
failed=0
results=()
pass() { passed=$((passed + 1)); results+=("PASS  $1"); }
fail() { failed=$((failed + 1)); results+=("FAIL  $1"); say "FAILED: $1"; }
not_checked=()

# --- tools: a missing one fails the run (never a skip) with how to install it ---------------------
hint="run tests/install-tools.sh"
missing=()
for cmd in python3 javac jar cargo; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
[ -x "$kotlinc" ] || missing+=("kotlinc ($kotlinc)")
[ -f "$jlib/jna.jar" ] || missing+=("$jlib/jna.jar (apt-get install libjna-java)")
[ -f "$klib/kotlinx-coroutines-core-jvm.jar" ] || missing+=("$klib/kotlinx-coroutines-core-jvm.jar")
[ -d "$pyi/android-stubs" ] || missing+=("chaquopy-stubs-android $stubs_version unpacked in $pyi")
command -v aapt2 >/dev/null 2>&1 || missing+=("aapt2 (apt-get install android-sdk-build-tools)")
[ -f "$framework_res" ] || missing+=("$framework_res (apt-get install android-framework-res)")
if ((${#missing[@]})); then
  for m in "${missing[@]}"; do printf 'error: missing %s\n' "$m" >&2; done
  say "install the tools with: $hint"
  echo "check-app: 0 checks passed, ${#missing[@]} failed"
  exit 1
fi

# A hash of the given strings and files: a step whose stamp is unchanged is skipped.
stamp_of() { { printf '%s\n' "$@"; for f in "$@"; do [ -f "$f" ] && sha256sum "$f"; done; true; } | sha256sum | cut -d' ' -f1; }
up_to_date() { [ -e "$2" ] && [ -f "$1" ] && [ "$(cat "$1")" = "$3" ]; }

mkdir -p "$stubs_out" "$app_out"
# One run at a time: two would overwrite each other's outputs under target/.
exec 9>"$root/target/check-app.lock"
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
  say "waiting for another android-widget/check-app.sh to finish"
  flock 9
fi

# --- 1. the generator's own tests ---------------------------------------------------------------------
phase "gen_stubs unit tests"
ut_log=$stubs_out/unittest.log
if (cd "$stub_tools" && python3 -m unittest -v test_gen_stubs) >"$ut_log" 2>&1; then ut_rc=0; else ut_rc=$?; fi
ut_ok=$(grep -cE ' \.\.\. ok$' "$ut_log" || true)
ut_bad=$(grep -cE ' \.\.\. (FAIL|ERROR)$' "$ut_log" || true)
((ut_ok + ut_bad > 0)) || ut_bad=1
passed=$((passed + ut_ok))
failed=$((failed + ut_bad))
results+=("$([ "$ut_bad" = 0 ] && [ "$ut_rc" = 0 ] && echo PASS || echo FAIL)  gen_stubs unit tests: $ut_ok passed, $ut_bad failed")
if [ "$ut_bad" != 0 ] || [ "$ut_rc" != 0 ]; then cat "$ut_log" >&2; fi
phase_done "$ut_ok passed, $ut_bad failed"

# --- 2. the Android API stubs -------------------------------------------------------------------
phase "Android API stubs for the classes $(realpath --relative-to="$root" "$src_dir") uses (chaquopy-stubs-android $stubs_version, depth $stub_depth)"
stubs_ok=0
roots_file=$stubs_out/roots.txt
if python3 "$stub_tools/gen_stubs.py" --pyi "$pyi" --print-roots "$src_dir" >"$roots_file"; then
  stamp=$(stamp_of "$stubs_version" "$stub_depth" "$(javac -version 2>&1)" "$stub_tools/gen_stubs.py" "$roots_file")
  if up_to_date "$stubs_out/stubs.stamp" "$stubs_out/android-stubs.jar" "$stamp"; then
    phase_done "$(wc -l <"$roots_file") classes named, up to date, skipped"
    pass "stubs: $(sed -n '1s/^gen_stubs: //p' "$stubs_out/summary.txt")"
    pass "javac --release 17 of the stubs (up to date)"
    stubs_ok=1
  else
    rm -f "$stubs_out/stubs.stamp" "$stubs_out/android-stubs.jar"
    if python3 "$stub_tools/gen_stubs.py" --pyi "$pyi" --out "$stubs_out/src" --depth "$stub_depth" \
      --report "$stubs_out/report.txt" "$src_dir" | tee "$stubs_out/summary.txt" >&2; then
      pass "stubs: $(sed -n '1s/^gen_stubs: //p' "$stubs_out/summary.txt")"
      rm -rf "$stubs_out/classes"
      mkdir -p "$stubs_out/classes"
      find "$stubs_out/src" -name '*.java' | sort >"$stubs_out/sources.txt"
      if javac --release 17 -nowarn -Xmaxerrs 50 -encoding UTF-8 -d "$stubs_out/classes" @"$stubs_out/sources.txt" \
        2>"$stubs_out/javac.log"; then javac_rc=0; else javac_rc=$?; fi
      grep -v '^Note: ' "$stubs_out/javac.log" >&2 || true
      if ((javac_rc == 0)); then
        jar cf "$stubs_out/android-stubs.jar" -C "$stubs_out/classes" .
        echo "$stamp" >"$stubs_out/stubs.stamp"
        pass "javac --release 17 of the stubs ($(wc -l <"$stubs_out/sources.txt") files)"
        stubs_ok=1
      else
        fail "javac --release 17 of the stubs: a generator bug (see above)"
      fi
    else
      fail "stubs: gen_stubs.py failed (see above)"
    fi
    phase_done "$(sed -n 1p "$stubs_out/summary.txt" 2>/dev/null | sed 's/^gen_stubs: //')"
  fi
else
  fail "stubs: the Kotlin names classes the Android API 36 stubs do not have, or androidx (see above)"
  phase_done "failed"
fi

# --- 3. the UniFFI Kotlin of clawauth-ffi ---------------------------------------------------------------
phase "cargo build -p clawauth-ffi; uniffi-bindgen generate (kotlin)"
bindings_ok=0
gen=$app_out/gen
if cargo build -q -p clawauth-ffi && cargo build -q --workspace --bin uniffi-bindgen; then
  # The same way as bindings/kotlin/run-tests.sh (built with the workspace's features).
  rm -rf "$gen.new"
  if "$root/target/debug/uniffi-bindgen" generate --library "$root/target/debug/libclawauth_ffi.so" \
    --language kotlin --out-dir "$gen.new" --no-format >&2; then
    if [ -d "$gen" ] && diff -rq "$gen" "$gen.new" >/dev/null; then
      rm -rf "$gen.new"
    else
      rm -rf "$gen"
      mv "$gen.new" "$gen"
    fi
    bindings_ok=1
    pass "UniFFI Kotlin of clawauth-ffi generated"
  else
    fail "uniffi-bindgen generate failed"
  fi
else
  fail "cargo build -p clawauth-ffi / uniffi-bindgen failed"
fi
phase_done
mapfile -t gen_files < <(find "$gen" -name '*.kt' 2>/dev/null | sort)

# --- 4. resources and the manifest (the app's own sources only) -------------------------------------------
r_java=()
if [ "$src_dir" = "$app_main/java" ]; then
  phase "resources: aapt2 compile every file of res/, aapt2 link against framework-res.apk (API 29)"
  res=$app_main/res
  namespace=$(sed -n 's/^ *namespace *= *"\([^"]*\)".*/\1/p' "$root/android-widget/app/build.gradle.kts" | head -n 1)
  [ -n "$namespace" ] || namespace=dev.clawauth.widget
  rm -rf "$app_out/flat" "$app_out/flat29" "$app_out/R" "$app_out/app.ap_"
  mkdir -p "$app_out/flat" "$app_out/flat29" "$app_out/R"
  # compile: every file, the -v31 ones too (aapt2 compile checks the XML and the file names,
  # not the attributes, so a newer directory compiles with build-tools 29).
  compile_bad=0
  mapfile -t res_files < <(find "$res" -type f | sort)
  for f in "${res_files[@]}"; do
    aapt2 compile -o "$app_out/flat" "$f" || { compile_bad=$((compile_bad + 1)); say "aapt2 compile failed: ${f#"$root"/}"; }
  done
  if ((compile_bad == 0)); then
    pass "aapt2 compile of all ${#res_files[@]} resource files"
  else
    fail "aapt2 compile: $compile_bad of ${#res_files[@]} resource files"
  fi
  # link: the copy API 29 can check (res29.py prints each thing it left out, and why).
  aapt2 dump resources "$framework_res" >"$app_out/framework-res.txt" 2>/dev/null
  python3 "$root/android-widget/tools/res29.py" --res "$res" --manifest "$app_main/AndroidManifest.xml" \
    --framework-dump "$app_out/framework-res.txt" --package "$namespace" --out "$app_out/res29" >"$app_out/left-out.txt"
  while IFS= read -r line; do not_checked+=("${line#left out: }"); done <"$app_out/left-out.txt"
  if ! grep -q '<manifest[^>]*package=' "$app_main/AndroidManifest.xml"; then
    say "the manifest has no package attribute (AGP takes it from namespace): linked with package=\"$namespace\""
  fi
  link_bad=0
  mapfile -t res29_files < <(find "$app_out/res29/res" -type f | sort)
  for f in "${res29_files[@]}"; do
    aapt2 compile -o "$app_out/flat29" "$f" || link_bad=1
  done
  if ((link_bad == 0)) && aapt2 link -o "$app_out/app.ap_" -I "$framework_res" \
    --manifest "$app_out/res29/AndroidManifest.xml" --min-sdk-version 26 --target-sdk-version 29 \
    --java "$app_out/R" "$app_out"/flat29/*.flat; then
    pass "aapt2 link of AndroidManifest.xml and ${#res29_files[@]} resource files against framework-res.apk (API 29)"
  else
    fail "aapt2 link of AndroidManifest.xml and the resources against framework-res.apk (API 29)"
  fi
  mapfile -t r_java < <(find "$app_out/R" -name 'R.java' | sort)
  phase_done "${#res_files[@]} files"
else
  not_checked+=("resources and manifest: only checked with the app's own sources (android-widget/app/src/main/java)")
fi

# --- 5. kotlinc -------------------------------------------------------------------------------
mapfile -t kt_files < <(find "$src_dir" -name '*.kt' | sort)
phase "kotlinc ${kotlinc_flags[*]}: ${#kt_files[@]} files + ${#gen_files[@]} generated bindings${r_java:+ + R.java}"
if ((stubs_ok == 0 || bindings_ok == 0)); then
  fail "kotlinc: not run (the stubs or the bindings failed)"
  phase_done "not run"
else
  cp_jars=("$stubs_out/android-stubs.jar" "$jlib/jna.jar" "$klib/kotlinx-coroutines-core-jvm.jar")
  rm -rf "$app_out/r-classes"
  if ((${#r_java[@]})); then
    # R.java (the resource ids) is compiled apart: kotlinc reads Java sources but does not compile them.
    mkdir -p "$app_out/r-classes"
    javac --release 17 -nowarn -d "$app_out/r-classes" "${r_java[@]}"
    cp_jars+=("$app_out/r-classes")
  fi
  classpath=$(IFS=:; echo "${cp_jars[*]}")
  stamp=$(stamp_of "$kotlin_home" "${kotlinc_flags[*]}" "$kotlin_home/build.txt" "${kt_files[@]}" "${gen_files[@]}" \
    "$stubs_out/android-stubs.jar" "${r_java[@]}")
  if up_to_date "$app_out/kotlinc.stamp" "$app_out/classes" "$stamp"; then
    pass "kotlinc: ${#kt_files[@]} app files + bindings compile with -Werror (up to date)"
    phase_done "up to date, skipped"
  else
    rm -rf "$app_out/classes" "$app_out/kotlinc.stamp"
    if JAVA_OPTS=$kotlinc_java_opts "$kotlinc" "${kotlinc_flags[@]}" -cp "$classpath" -d "$app_out/classes" \
      "${kt_files[@]}" "${gen_files[@]}" 2>&1 | tee "$app_out/kotlinc.log" >&2 && [ -d "$app_out/classes" ] &&
      ! grep -q 'error:' "$app_out/kotlinc.log"; then
      echo "$stamp" >"$app_out/kotlinc.stamp"
      pass "kotlinc: ${#kt_files[@]} app files + bindings compile with -Werror"
      phase_done "compiled"
    else
      fail "kotlinc: $(grep -c 'error:' "$app_out/kotlinc.log" || true) errors in ${#kt_files[@]} app files + bindings (log: target/android-app/kotlinc.log)"
      phase_done "errors"
    fi
  fi
fi

# --- summary -------------------------------------------------------------------------------------
print_timings
say "checks:"
printf '    %s\n' "${results[@]}" >&2
not_checked+=("the Kotlin against the real android.jar: the stubs approximate protected (as public), abstract zero-argument methods, nullability (none) and the int/long, float/double widths chaquopy's stubs lost (target/android-stubs/report.txt lists the decisions)")
not_checked+=("androidx, the Gradle build, D8/R8, packaging and lint: Maven/Google-only, not on this machine")
say "not checked here:"
printf '    %s\n' "${not_checked[@]}" >&2
echo "check-app: $passed checks passed, $failed failed"
((failed == 0))
