#!/usr/bin/env bash
# Checks the Android library (clawauth-ffi) for aarch64-linux-android and that it carries only
# what a phone needs:
#   1. `cargo tree -p clawauth-ffi --target aarch64-linux-android -e normal` must not list a crate
#      that only the gateway side uses: rusqlite / libsqlite3-sys (OpenClaw's SQLite stores),
#      linux-keyutils / linux-keyutils-keyring-store / keyring-core (the kernel keyring, which
#      Android's seccomp filter forbids) or clap (the command line). Exit 1 naming the crate and
#      the path that pulls it in otherwise.
#   2. `cargo clippy --target aarch64-linux-android -p clawauth-ffi -- -D warnings` must pass (a check, plus lints).
#
# Usage: bindings/check-android.sh        (CARGO_TARGET_DIR is honoured, default ./target)
#
# This only type-checks: linking the Android .so needs the NDK, which cannot be had here. The C
# code of ring's build script is compiled by a check-only wrapper,
#   clang --target=aarch64-linux-android24 --sysroot=<arm64 musl headers> -D_GNU_SOURCE
# written to target/android-check/cc/; its objects are never shipped. The headers are the arm64
# musl sysroot that termux/musl-sysroot.sh fetches once (shared with termux/build-static.sh).
#
# Needs: clang and llvm-ar (apt-get install clang llvm, or run tests/install-tools.sh); the Rust
# standard library for aarch64-linux-android (rustup target add aarch64-linux-android, done here
# when missing).
#
# Time on 2 cores: about 2 min from scratch, seconds when nothing changed.
set -euo pipefail

say() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
need() { # need COMMAND INSTALL-HINT
  command -v "$1" >/dev/null 2>&1 || die "\`$1\` not found: install it with: $2"
}

triple=aarch64-linux-android
# Crates the phone's library must not carry.
forbidden=(rusqlite libsqlite3-sys linux-keyutils linux-keyutils-keyring-store keyring-core clap)

root=$(cd "$(dirname "$0")/.." && pwd)
target_dir=$(realpath -m "${CARGO_TARGET_DIR:-$root/target}")
cd "$root"
export CARGO_TARGET_DIR="$target_dir"

# --- prerequisites -----------------------------------------------------------------------------
apt_hint="apt-get install clang llvm (or run tests/install-tools.sh)"
need cargo "rustup (https://rustup.rs), then rustup toolchain install stable"
need rustc "rustup (https://rustup.rs), then rustup toolchain install stable"
need clang "$apt_hint"
need llvm-ar "$apt_hint"
libdir=$(rustc --print target-libdir --target "$triple" 2>/dev/null || true)
if [ -z "$libdir" ] || ! compgen -G "$libdir/libstd-*.rlib" >/dev/null; then
  command -v rustup >/dev/null 2>&1 ||
    die "the Rust standard library for $triple is missing and rustup is not installed: rustup target add $triple"
  say "rustup target add $triple"
  rustup target add "$triple" >&2 || die "rustup target add $triple failed"
fi
sysroot=$("$root/termux/musl-sysroot.sh") || die "the arm64 musl sysroot could not be fetched"

# --- 1. what the library carries -----------------------------------------------------------------
say "cargo tree -p clawauth-ffi --target $triple -e normal: none of ${forbidden[*]}"
crates=$(cargo tree --locked -p clawauth-ffi --target "$triple" -e normal --prefix none --format '{p}' |
  awk '{ print $1 }' | sort -u) || die "cargo tree failed"
found=()
for crate in "${forbidden[@]}"; do
  if grep -qx -- "$crate" <<<"$crates"; then
    found+=("$crate")
  fi
done
if ((${#found[@]})); then
  for crate in "${found[@]}"; do
    printf 'error: clawauth-ffi for %s carries %s, which a phone does not need; pulled in by:\n' \
      "$triple" "$crate" >&2
    cargo tree --locked -p clawauth-ffi --target "$triple" -e normal --invert "$crate" >&2 || true
  done
  die "clawauth-ffi carries ${found[*]}: see the paths above (clawauth-core must come in with default-features = false, without its sqlite and keyring features)"
fi
say "$(wc -l <<<"$crates") crates, none of them forbidden"

# --- 2. cargo clippy (a check, plus the lints: the core as the phone has it, without sqlite/keyring) -
wrapper="$target_dir/android-check/cc/$triple-clang-check"
text=$(printf '#!/bin/sh\n# Written by bindings/check-android.sh: a CHECK-ONLY C compiler for %s (musl headers\n# stand in for the NDK headers; the objects are never shipped).\nexec clang --target=aarch64-linux-android24 --sysroot=%q -isystem %q -D_GNU_SOURCE "$@"\n' \
  "$triple" "$sysroot" "$sysroot/usr/include/aarch64-linux-musl")
mkdir -p "$(dirname "$wrapper")"
if [ ! -x "$wrapper" ] || [ "$(cat "$wrapper")" != "$text" ]; then
  printf '%s\n' "$text" >"$wrapper"
  chmod 755 "$wrapper"
fi
var=${triple//-/_}
say "cargo clippy --target $triple -p clawauth-ffi -- -D warnings (about 2 min from scratch on 2 cores)"
started=$SECONDS
env "CC_$var=$wrapper" "AR_$var=llvm-ar" \
  cargo clippy --locked --target "$triple" -p clawauth-ffi -- -D warnings ||
  die "cargo clippy --target $triple -p clawauth-ffi failed"
say "clawauth-ffi checks for $triple in $((SECONDS - started)) s and carries none of ${forbidden[*]}"
