#!/usr/bin/env python3
"""Fails when a Rust function is longer than its folder allows: short functions read easily.

Usage: check_fn_length.py [--all]   (--all lists every function over 60 lines too)
The limits (lines from `fn` to its closing brace, tests included) are in LIMITS.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMITS = {"app/src/pages": 100, "app/src/services": 120, "ai-worker/src": 120}
FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:const\s+)?(?:unsafe\s+)?fn\s+(\w+)")
# Strings and line comments may hold braces that are not code.
NOT_CODE = re.compile(r'"(?:\\.|[^"\\])*"|//.*')


def functions(path: Path):
    """(lines, name, first line) of every function with a body."""
    lines = path.read_text().split("\n")
    for i, line in enumerate(lines):
        m = FN.match(line)
        if not m:
            continue
        depth, opened = 0, False
        for j in range(i, len(lines)):
            code = NOT_CODE.sub("", lines[j])
            depth += code.count("{") - code.count("}")
            opened = opened or "{" in code
            if opened and depth <= 0:
                yield j - i + 1, m.group(1), i + 1
                break
            if not opened and code.rstrip().endswith(";"):
                break


def main() -> int:
    over = []
    for folder, limit in LIMITS.items():
        shown = 60 if "--all" in sys.argv else limit
        for path in sorted((ROOT / folder).rglob("*.rs")):
            for n, name, line in functions(path):
                if n > shown:
                    mark = "over" if n > limit else "long"
                    print(f"{mark} {n:4d} lines  {path.relative_to(ROOT)}:{line} {name} (limit {limit})")
                    over += [name] if n > limit else []
    print(f"function length: {len(over)} over the limit")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
