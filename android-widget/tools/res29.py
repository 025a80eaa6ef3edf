#!/usr/bin/env python3
"""Write a copy of an app's res/ and AndroidManifest.xml that Debian's aapt2 (build-tools 29) can
link against framework-res.apk of Android 10 (API 29), and say exactly what it left out.

    res29.py --res DIR --manifest FILE --framework-dump FILE --package NAME --out DIR

What cannot be checked with API 29, and so is left out (each printed on its own line):
  * resource directories qualified -vNN with NN > 29 (e.g. xml-v31/): not copied at all;
  * attributes android:X, style items name="android:X" and references @android:type/name or
    ?android:attr/name (also a style's parent="android:…") that framework-res 29 does not have
    as a public resource: the attribute or the <item> is removed from the copy.
The manifest gets package="NAME" (AGP takes it from the Gradle namespace; aapt2 needs it).

--framework-dump is the output of `aapt2 dump resources framework-res.apk`. Prints
`left out: …` lines on stdout and nothing else; exits 0.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

MAX_API = 29
QUALIFIER_V_RE = re.compile(r"-v(\d+)(?=-|$)")
ATTR_RE = re.compile(r'\s+android:([A-Za-z0-9_]+)\s*=\s*"([^"]*)"')
ITEM_RE = re.compile(r'<item\s+name="android:([A-Za-z0-9_]+)"[^>]*?(?:/>|>(.*?)</item>)', re.S)
REF_RE = re.compile(r"[@?]android:(?:([a-z]+)/)?([A-Za-z0-9_.]+)")
PARENT_RE = re.compile(r'\sparent="(?:@android:style/|android:)([A-Za-z0-9_.]+)"')


def public_resources(dump: str) -> set:
    """{"attr/icon", "style/Theme.Material", …}: framework-res's public resources."""
    return set(re.findall(r"resource 0x[0-9a-f]+ ([a-z]+/[A-Za-z0-9_.]+) PUBLIC", dump))


def missing_refs(value: str, known: set) -> list:
    """The framework references in an attribute value or item text that API 29 lacks."""
    out = []
    for m in REF_RE.finditer(value):
        kind, name = m.group(1) or "attr", m.group(2)
        if value[m.start()] == "?" and kind != "attr":
            kind = "attr"
        if f"{kind}/{name}" not in known:
            out.append(m.group(0))
    return out


def strip_text(text: str, known: set, where: str, notes: list) -> str:
    """Remove what API 29 lacks from one XML file's text; describe each removal in notes."""
    def item(m: re.Match) -> str:
        name, body = m.group(1), m.group(2) or ""
        if f"attr/{name}" not in known:
            notes.append(f"{where}: <item name=\"android:{name}\">: attribute android:{name} is newer than API {MAX_API}")
            return ""
        refs = missing_refs(body, known)
        if refs:
            notes.append(f"{where}: <item name=\"android:{name}\">: {', '.join(refs)} is newer than API {MAX_API}")
            return ""
        return m.group(0)

    text = ITEM_RE.sub(item, text)

    def attr(m: re.Match) -> str:
        name, value = m.group(1), m.group(2)
        if f"attr/{name}" not in known:
            notes.append(f"{where}: android:{name}: attribute newer than API {MAX_API}")
            return ""
        refs = missing_refs(value, known)
        if refs:
            notes.append(f"{where}: android:{name}=\"{value}\": {', '.join(refs)} is newer than API {MAX_API}")
            return ""
        return m.group(0)

    text = ATTR_RE.sub(attr, text)

    # Plain references elsewhere (element text, e.g. <color>@android:color/x</color>, style parents).
    def parent(m: re.Match) -> str:
        if f"style/{m.group(1)}" not in known:
            notes.append(f"{where}: parent style android:{m.group(1)} is newer than API {MAX_API}")
            return ""
        return m.group(0)

    text = PARENT_RE.sub(parent, text)
    for ref in missing_refs(re.sub(r"<!--.*?-->", "", text, flags=re.S), known):
        notes.append(f"{where}: {ref} is newer than API {MAX_API} (left in: aapt2 will report it)")
    return text


def main(argv: list | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--res", required=True, type=Path)
    ap.add_argument("--manifest", required=True, type=Path)
    ap.add_argument("--framework-dump", required=True, type=Path)
    ap.add_argument("--package", required=True)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)

    known = public_resources(args.framework_dump.read_text(encoding="utf-8", errors="replace"))
    if "attr/icon" not in known:
        print(f"res29: {args.framework_dump} lists no public framework attributes", file=sys.stderr)
        return 1
    if args.out.exists():
        shutil.rmtree(args.out)
    (args.out / "res").mkdir(parents=True)
    notes: list = []
    for d in sorted(p for p in args.res.iterdir() if p.is_dir()):
        versions = [int(v) for v in QUALIFIER_V_RE.findall(d.name)]
        if any(v > MAX_API for v in versions):
            files = sorted(f.name for f in d.rglob("*") if f.is_file())
            notes.append(f"res/{d.name}/ ({', '.join(files)}): qualifier -v{max(versions)} is newer than API {MAX_API}")
            continue
        for f in sorted(d.rglob("*")):
            if not f.is_file():
                continue
            dest = args.out / "res" / f.relative_to(args.res)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if f.suffix == ".xml":
                text = f.read_text(encoding="utf-8")
                dest.write_text(strip_text(text, known, f"res/{f.relative_to(args.res)}", notes), encoding="utf-8")
            else:
                shutil.copyfile(f, dest)
    manifest = args.manifest.read_text(encoding="utf-8")
    manifest = strip_text(manifest, known, "AndroidManifest.xml", notes)
    if not re.search(r"<manifest\b[^>]*\bpackage=", manifest):
        manifest = re.sub(r"<manifest\b", f'<manifest package="{args.package}"', manifest, count=1)
    (args.out / "AndroidManifest.xml").write_text(manifest, encoding="utf-8")
    for n in notes:
        print(f"left out: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
