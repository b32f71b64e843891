"""Positions in a text: 1-based lines and columns (in characters, as libcst counts them) to
indices. Lines break at ``\\r\\n``, ``\\r`` and ``\\n`` only (not at form feeds, unlike
``str.splitlines``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rnn_lint.rule import Fix

NEWLINE = re.compile(r"\r\n|\r|\n")


def line_starts(source: str) -> list[int]:
    return [0] + [match.end() for match in NEWLINE.finditer(source)]


def offset(starts: list[int], length: int, line: int, col: int) -> int:
    """1-based line and column to an index of the text (clamped to its end)."""
    if line > len(starts):
        return length
    return min(starts[line - 1] + col - 1, length)


def edit_spans(text: str, fixes: Iterable[Fix]) -> list[tuple[int, int, str]]:
    """The edits of ``fixes`` as ``(start, end, content)`` indices into ``text``, last first, so
    that applying them in order leaves the earlier indices valid."""
    starts, length = line_starts(text), len(text)
    return sorted(
        (
            (offset(starts, length, e.line, e.col), offset(starts, length, e.end_line, e.end_col), e.content)
            for fix in fixes
            for e in fix.edits
        ),
        reverse=True,
    )
