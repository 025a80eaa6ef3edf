#!/usr/bin/env python3
"""Where the bytes of a static clawauth binary go, by crate.

Usage: termux/size-by-crate.py UNSTRIPPED-BINARY [TOP]

Give it the binary built with symbols (the release binaries are stripped):

    CARGO_PROFILE_RELEASE_STATIC_STRIP=false termux/build-static.sh aarch64
    termux/size-by-crate.py target/aarch64-unknown-linux-musl/release-static/clawauth

Each function and data symbol (llvm-nm --print-size --demangle) is put under the crate its
demangled path starts with (`<russh::… as …>` counts for russh); the C parts by their symbol
names (SQLite's sqlite3*, ring's C, musl libc). With LTO, code inlined into another crate's
function counts for that function's crate, so the figures are close, not exact; what no symbol
covers (section headers, string tables, relocations) is the last line.
"""
import collections
import os
import re
import subprocess
import sys


LEGACY = [("$LT$", "<"), ("$GT$", ">"), ("$u20$", " "), ("$RF$", "&"), ("$BP$", "*"),
          ("$C$", ","), ("$u7b$", "{"), ("$u7d$", "}"), ("..", "::")]


def crate_of(name: str) -> str:
    # Legacy Rust symbols llvm-nm leaves half-decoded: `_$LT$clawauth..Command$u20$as$u20$…`.
    if "$LT$" in name or ".." in name:
        name = name.removeprefix("_")
        for code, text in LEGACY:
            name = name.replace(code, text)
    if name.startswith("libunwind::") or "libunwind::" in name.split("(")[0]:
        return "libunwind (C++, std's backtraces)"
    if name.startswith("sqlite3") or name.startswith("sqlite"):
        return "sqlite (C)"
    if name.startswith("ring_core") or name.startswith("GFp") or name.startswith("ecp_nistz"):
        return "ring (C and assembly)"
    name = name.lstrip("<&*").removeprefix("dyn ").removeprefix("mut ")
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)::", name)
    if m:
        return m.group(1)
    if name.startswith("_ZN") or name.startswith("_R"):
        return "(rust, not demangled)"
    return "C: SQLite's internal functions, musl libc"


def main() -> int:
    if len(sys.argv) not in (2, 3) or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 64
    binary = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) == 3 else 25
    try:
        out = subprocess.run(
            ["llvm-nm", "--print-size", "--size-sort", "--demangle", binary],
            check=True, capture_output=True, text=True,
        ).stdout
    except FileNotFoundError:
        print("error: llvm-nm not found: apt-get install llvm", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as e:
        print(f"error: llvm-nm {binary}: {e.stderr.strip()}", file=sys.stderr)
        return 1
    sizes = collections.Counter()
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) < 4:
            continue
        try:
            size = int(parts[1], 16)
        except ValueError:
            continue
        sizes[crate_of(parts[3])] += size
    if not sizes:
        print(f"error: {binary} has no symbols: build it with CARGO_PROFILE_RELEASE_STATIC_STRIP=false", file=sys.stderr)
        return 1
    total = os.path.getsize(binary)
    counted = sum(sizes.values())
    print(f"{binary}: {total:,} bytes with symbols; symbols cover {counted:,}")
    print(f"{'crate':<44}{'bytes':>12}{'share':>8}")
    for crate, size in sizes.most_common(top):
        print(f"{crate:<44}{size:>12,}{size / counted:>8.1%}")
    rest = sizes.most_common()[top:]
    if rest:
        print(f"{f'{len(rest)} more crates':<44}{sum(s for _, s in rest):>12,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
