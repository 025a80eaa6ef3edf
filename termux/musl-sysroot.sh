#!/usr/bin/env bash
# Prints the path of the aarch64 musl sysroot (C headers and libc for aarch64), fetching it the
# first time. Used by termux/build-static.sh (the cross C compiler of the static Termux binary)
# and bindings/check-android.sh (a check-only C compiler for ring's build script).
#
# The headers come from Debian's arm64 `musl-dev` package (and `musl`), fetched with apt-get into
# a private directory — dpkg's database and the system's apt lists are not touched — and unpacked
# with `dpkg -x` into a sysroot that is kept for the next run:
#   ${CLAWAUTH_TOOLS:-$HOME/.cache/clawauth-tools}/sysroot-aarch64-musl
# Delete that directory to fetch it again. CLAWAUTH_DEBIAN_MIRROR overrides the Debian mirror.
set -euo pipefail

say() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
need() { # need COMMAND INSTALL-HINT
  command -v "$1" >/dev/null 2>&1 || die "\`$1\` not found: install it with: $2"
}

tools=${CLAWAUTH_TOOLS:-$HOME/.cache/clawauth-tools}
sysroot="$tools/sysroot-aarch64-musl"

if [ -f "$sysroot/usr/include/aarch64-linux-musl/stdio.h" ]; then
  printf '%s\n' "$sysroot"
  exit 0
fi

need apt-get "apt (Debian or Ubuntu)"
need dpkg-deb "dpkg (Debian or Ubuntu)"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "$keyring not found: apt-get install debian-archive-keyring"
say "fetching Debian's arm64 musl-dev and musl into $sysroot (seconds, once)"
mkdir -p "$tools"
work=$(mktemp -d "$tools/sysroot-aarch64-musl.tmp.XXXXXX")
# shellcheck disable=SC2064 # expanded now
trap "rm -rf $(printf %q "$work")" EXIT
# A private apt: its own sources (Debian 12 main, arm64 only), lists, cache and an empty dpkg
# status, so neither dpkg's database nor the system's apt state is read or changed.
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" \
  "$work/apt/sources.list.d" "$work/apt/preferences.d" "$work/debs" "$work/root"
: >"$work/apt/status"
printf 'deb [arch=arm64 signed-by=%s] %s bookworm main\n' "$keyring" \
  "${CLAWAUTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$work/apt/sources.list"
apt_opts=(
  -qq
  -oAPT::Architecture=arm64 -oAPT::Architectures=arm64
  "-oDir::State::Lists=$work/apt/lists" "-oDir::State::status=$work/apt/status"
  "-oDir::Cache=$work/apt/cache"
  "-oDir::Etc::SourceList=$work/apt/sources.list" "-oDir::Etc::SourceParts=$work/apt/sources.list.d"
  "-oDir::Etc::Preferences=$work/apt/preferences" "-oDir::Etc::PreferencesParts=$work/apt/preferences.d"
  # The private directories belong to the caller; apt's _apt download user could not write them.
  -oAPT::Sandbox::User="$(id -un)"
)
apt-get "${apt_opts[@]}" update >&2 || die "apt-get update (arm64 lists) failed"
(cd "$work/debs" && apt-get "${apt_opts[@]}" download musl-dev:arm64 musl:arm64 >&2) ||
  die "apt-get download musl-dev:arm64 musl:arm64 failed"
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$work/root"
done
[ -f "$work/root/usr/include/aarch64-linux-musl/stdio.h" ] ||
  die "the arm64 musl-dev package has no usr/include/aarch64-linux-musl/stdio.h"
rm -rf "$sysroot"
mv "$work/root" "$sysroot"
rm -rf "$work"
trap - EXIT
printf '%s\n' "$sysroot"
