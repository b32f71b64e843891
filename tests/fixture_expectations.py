"""Inline expectations in fixture files: ``# expect: RNN102`` (or ``# expect: RNN102, RNN201``)
at the end of every line that must be flagged; every other line must not be."""

from __future__ import annotations

import re
from pathlib import Path

_EXPECT = re.compile(r"#\s*expect:\s*([A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)\s*$")


def expectations(source: str) -> set[tuple[int, str]]:
    expected = set()
    for number, line in enumerate(source.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            expected.update((number, code.strip()) for code in match.group(1).split(","))
    return expected


def describe(path: Path, source: str, lines: set[tuple[int, str]], messages: dict) -> str:
    text = source.splitlines()
    return "\n".join(
        f"  {path.name}:{line}: {code} {messages.get((line, code), '')}\n      {text[line - 1].strip()}"
        for line, code in sorted(lines)
    )
