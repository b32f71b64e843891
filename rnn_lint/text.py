"""Positions in a text: 1-based lines and columns (in characters, as libcst counts them) to
indices. Lines break at ``\\r\\n``, ``\\r`` and ``\\n`` only (not at form feeds, unlike
``str.splitlines``)."""

from __future__ import annotations

import re

NEWLINE = re.compile(r"\r\n|\r|\n")


def line_starts(source: str) -> list[int]:
    return [0] + [match.end() for match in NEWLINE.finditer(source)]


def offset(starts: list[int], length: int, line: int, col: int) -> int:
    """1-based line and column to an index of the text (clamped to its end)."""
    if line > len(starts):
        return length
    return min(starts[line - 1] + col - 1, length)
