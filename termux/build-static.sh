#!/usr/bin/env bash
# Builds the static, size-optimized `clawauth` binaries: the one for the phone (Termux,
# aarch64-unknown-linux-musl) and the one for gateway hosts (x86_64-unknown-linux-musl).
#
# Usage:
#   termux/build-static.sh            # both targets
#   termux/build-static.sh aarch64    # only the phone's binary (what the tests run under qemu)
#   termux/build-static.sh x86_64     # only the gateway hosts' binary
#
# Output (CARGO_TARGET_DIR is honoured, default ./target):
#   target/static/clawauth-aarch64-linux-musl
#   target/static/clawauth-x86_64-linux-musl
# and, for each, its size, sha256 and a check that it is static (no ELF interpreter, no shared
# libraries). Try the phone's binary here with
#   qemu-aarch64-static target/static/clawauth-aarch64-linux-musl --version
# and copy it into Termux's $PREFIX/bin on the phone (from Termux's HOME that is ../usr/bin).
#
# Time on 2 idle cores: about 4 min per target from scratch (7 with other builds running), about
# 2 min after a source change (LTO redoes the whole binary), a second when nothing changed.
#
# Profile: the workspace's [profile.release-static]: [profile.release] (opt-level "z", LTO, one
# codegen unit, stripped) with panic = "abort", built without unwind tables and linked with
# termux/no-unwind-tables.ld (nothing unwinds, so the tables are dropped). Where the bytes go:
# termux/size-by-crate.py.
# Cargo.lock is used as it is (--locked). Nothing is written to .cargo/config: the cross
# compiler settings are set for the cargo invocation only.
#
# Needs (the script checks and names the install command when one is missing; tests/install-tools.sh
# installs all of them):
#   apt-get install clang lld llvm musl-tools binutils    clang + llvm-ar (C parts of ring and the
#                                                         bundled SQLite for aarch64), musl-gcc (the
#                                                         same for x86_64), readelf (the static check)
#   rustup target add aarch64-unknown-linux-musl x86_64-unknown-linux-musl   (done here when missing)
# Linking uses rust-lld, which ships with rustc.
#
# The aarch64 C headers come from Debian's arm64 `musl-dev` package (and `musl`), fetched by
# termux/musl-sysroot.sh with apt-get into a private directory — dpkg's database and the system's
# apt lists are not touched — and unpacked with `dpkg -x` into a sysroot that is kept for the next run:
#   ${CLAWAUTH_TOOLS:-$HOME/.cache/clawauth-tools}/sysroot-aarch64-musl
# Delete that directory to fetch it again.
set -euo pipefail

usage() { # usage EXIT-CODE: the header above, without the comment marks
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit "$1"
}

say() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

what=${1:-all}
case "$what" in
aarch64) arches=(aarch64) ;;
x86_64) arches=(x86_64) ;;
all) arches=(aarch64 x86_64) ;;
-h | --help | help) usage 0 ;;
*)
  printf 'unknown target %q (aarch64, x86_64 or all)\n\n' "$what" >&2
  usage 64
  ;;
esac
(($# <= 1)) || usage 64

# The target directory, resolved before leaving the caller's directory (a relative
# CARGO_TARGET_DIR is relative to where cargo is started).
root=$(cd "$(dirname "$0")/.." && pwd)
target_dir=$(realpath -m "${CARGO_TARGET_DIR:-$root/target}")
cd "$root"
export CARGO_TARGET_DIR="$target_dir"
tools=${CLAWAUTH_TOOLS:-$HOME/.cache/clawauth-tools}
static_dir="$target_dir/static"
apt_hint="apt-get install clang lld llvm musl-tools binutils (or run tests/install-tools.sh)"

# --- prerequisites -----------------------------------------------------------------------------
need() { # need COMMAND INSTALL-HINT
  command -v "$1" >/dev/null 2>&1 || die "\`$1\` not found: install it with: $2"
}

need cargo "rustup (https://rustup.rs), then rustup toolchain install stable"
need rustc "rustup (https://rustup.rs), then rustup toolchain install stable"
need readelf "$apt_hint"
need sha256sum "apt-get install coreutils"
host=$(rustc -vV | sed -n 's/^host: //p')
rust_lld="$(rustc --print sysroot)/lib/rustlib/$host/bin/rust-lld"
[ -x "$rust_lld" ] || die "rust-lld not found at $rust_lld: it ships with rustc; reinstall the toolchain (rustup toolchain install stable --force)"

ensure_target() { # ensure_target TRIPLE: the Rust standard library for TRIPLE
  local triple=$1
  if [ -d "$(rustc --print target-libdir --target "$triple" 2>/dev/null)" ] &&
    compgen -G "$(rustc --print target-libdir --target "$triple")/libstd-*.rlib" >/dev/null; then
    return
  fi
  command -v rustup >/dev/null 2>&1 ||
    die "the Rust standard library for $triple is missing and rustup is not installed: rustup target add $triple"
  say "rustup target add $triple"
  rustup target add "$triple" >&2 || die "rustup target add $triple failed"
}

# --- aarch64: the musl sysroot and the clang wrapper ---------------------------------------------
sysroot="$tools/sysroot-aarch64-musl"

ensure_sysroot() { # fetched once by termux/musl-sysroot.sh, shared with bindings/check-android.sh
  sysroot=$("$root/termux/musl-sysroot.sh") || die "the arm64 musl sysroot could not be fetched"
}

# All prerequisites first, so that a missing one fails in seconds, not after a build.
for arch in "${arches[@]}"; do
  case "$arch" in
  aarch64)
    need clang "$apt_hint"
    need llvm-ar "$apt_hint"
    ensure_target aarch64-unknown-linux-musl
    ensure_sysroot
    ;;
  x86_64)
    need musl-gcc "$apt_hint"
    need "${REALGCC:-x86_64-linux-gnu-gcc}" "apt-get install gcc musl-tools"
    need ar "$apt_hint"
    ensure_target x86_64-unknown-linux-musl
    ;;
  esac
done

# Writes the cross C compiler wrapper (only when its text changes) and prints its path.
clang_wrapper() {
  local wrapper="$static_dir/cc/aarch64-linux-musl-clang"
  local text
  text=$(printf '#!/bin/sh\n# Written by termux/build-static.sh: C compiler for aarch64-unknown-linux-musl.\nexec clang --target=aarch64-linux-musl --sysroot=%q -isystem %q "$@"\n' \
    "$sysroot" "$sysroot/usr/include/aarch64-linux-musl")
  mkdir -p "$(dirname "$wrapper")"
  if [ ! -x "$wrapper" ] || [ "$(cat "$wrapper")" != "$text" ]; then
    printf '%s\n' "$text" >"$wrapper"
    chmod 755 "$wrapper"
  fi
  printf '%s\n' "$wrapper"
}

# --- build -------------------------------------------------------------------------------------
fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# Checks that FILE is a static ELF for MACHINE (readelf's name): no program interpreter
# (PT_INTERP) and no shared library (DT_NEEDED).
check_static() {
  local file=$1 machine=$2 header program dynamic
  header=$(readelf -hW "$file") || die "$file is not an ELF file"
  grep -q "Machine:.*$machine" <<<"$header" ||
    die "$file is not a $machine binary: $(grep Machine: <<<"$header")"
  program=$(readelf -lW "$file")
  if grep -q 'INTERP' <<<"$program"; then
    die "$file is not static: it has an ELF interpreter ($(grep -A1 INTERP <<<"$program" | tail -1 | tr -s ' '))"
  fi
  dynamic=$(readelf -dW "$file")
  if grep -q '(NEEDED)' <<<"$dynamic"; then
    die "$file is not static: it needs $(grep '(NEEDED)' <<<"$dynamic" | sed 's/.*\[\(.*\)\]/\1/' | tr '\n' ' ')"
  fi
}

declare -A built_secs=()

build() { # build ARCH
  local arch=$1 triple="$1-unknown-linux-musl" out="$static_dir/clawauth-$1-linux-musl"
  local var=${triple//-/_} env_vars minutes machine
  # The linker script by its content's hash: cargo does not watch it, but a changed path in
  # RUSTFLAGS relinks.
  local ld_hash ld_script
  ld_hash=$(sha256sum "$root/termux/no-unwind-tables.ld" | cut -c1-16)
  ld_script="$static_dir/ld/no-unwind-tables-$ld_hash.ld"
  mkdir -p "$static_dir/ld"
  [ -f "$ld_script" ] || cp "$root/termux/no-unwind-tables.ld" "$ld_script"
  local rustflags="-C force-unwind-tables=no -C link-arg=$ld_script"
  case "$arch" in
  aarch64)
    env_vars=(
      "CC_$var=$(clang_wrapper)"
      "AR_$var=llvm-ar"
      "CARGO_TARGET_${var^^}_LINKER=rust-lld"
      "CARGO_TARGET_${var^^}_RUSTFLAGS=$rustflags"
    )
    minutes=4 machine=AArch64
    ;;
  x86_64)
    env_vars=(
      "CC_$var=musl-gcc"
      "AR_$var=ar"
      "CARGO_TARGET_${var^^}_LINKER=rust-lld"
      "CARGO_TARGET_${var^^}_RUSTFLAGS=$rustflags"
    )
    minutes=4 machine=X86-64
    ;;
  esac
  say "building $triple (release, size-optimized; ~$minutes min on 2 cores from scratch, ~2 min after a source change)"
  local started=$SECONDS
  env "${env_vars[@]}" cargo build --profile release-static --locked -p clawauth --bin clawauth --target "$triple" ||
    die "cargo build --target $triple failed"
  built_secs[$arch]=$((SECONDS - started))
  mkdir -p "$static_dir"
  cp "$target_dir/$triple/release-static/clawauth" "$out.tmp"
  mv "$out.tmp" "$out"
  check_static "$out" "$machine"
}

for arch in "${arches[@]}"; do
  build "$arch"
done

# --- report ------------------------------------------------------------------------------------
echo
for arch in "${arches[@]}"; do
  out="$static_dir/clawauth-$arch-linux-musl"
  size=$(stat -c %s "$out")
  mib=$(awk -v b="$size" 'BEGIN { printf "%.2f", b / 1048576 }')
  sha=$(sha256sum "$out" | cut -d' ' -f1)
  echo "$out"
  echo "  size    $size bytes ($mib MiB)"
  echo "  sha256  $sha"
  echo "  static  yes (no ELF interpreter, no shared libraries)"
  if command -v file >/dev/null 2>&1; then
    echo "  file    $(file -b "$out")"
  fi
  echo "  built   in $(fmt_secs "${built_secs[$arch]}")"
done
