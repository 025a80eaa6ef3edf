#!/usr/bin/env python3
"""The slowest tests of a cargo-nextest run, read from its JUnit report.

    tests/slowest-tests.py [JUNIT-XML] [N]     default: target/nextest/ci/junit.xml, 10

Prints one line per test, slowest first: its wall time, its outcome and its name (binary and
test path), then how many tests the report holds and their summed time, so a run that got slower
shows where. Exits 1 when the report is missing or unreadable (the run never got that far).
"""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "target/nextest/ci/junit.xml")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"error: no readable JUnit report at {path}: {e}", file=sys.stderr)
        return 1
    tests = []
    for case in root.iter("testcase"):
        outcome = "ok"
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "FAILED"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        binary = case.get("classname", "")
        tests.append((float(case.get("time", "0")), outcome, f"{binary} {case.get('name', '')}"))
    tests.sort(key=lambda t: t[0], reverse=True)
    print(f"the {min(count, len(tests))} slowest of {len(tests)} tests "
          f"(together {sum(t[0] for t in tests):.0f} s, several at a time):")
    for seconds, outcome, name in tests[:count]:
        print(f"  {seconds:7.1f} s  {outcome:<7} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
