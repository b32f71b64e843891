"""``# noqa`` comments: on a finding's line, on the first line of its statement, or file-wide.

    lstm = nn.LSTM(8, 16, dropout=0.2)  # noqa: RNN301
    # rnn-lint: noqa: RNN201            (anywhere in the file, on a line of its own)

Only real comments count (the file is tokenized, so "# noqa" inside a string is not one), codes
are matched exactly and case-insensitively, and a bare ``# noqa`` silences every code on its line.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

ALL = frozenset({"*"})

_LINE_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?", re.I)
_FILE_NOQA = re.compile(
    r"^#\s*rnn-lint\s*:\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?\s*$", re.I
)


def _codes(text: str | None) -> frozenset[str]:
    if not text:
        return ALL
    return frozenset(code.upper() for code in re.split(r"[\s,]+", text.strip()) if code)


@dataclass
class Suppressions:
    by_line: dict[int, frozenset[str]] = field(default_factory=dict)
    file_wide: frozenset[str] = frozenset()

    def silences(self, code: str, *lines: int) -> bool:
        if self.file_wide is ALL or code in self.file_wide:
            return True
        for line in lines:
            codes = self.by_line.get(line)
            if codes is not None and (codes is ALL or code in codes):
                return True
        return False


def parse_suppressions(source: str) -> Suppressions:
    """Collect every noqa comment of ``source``."""
    found = Suppressions()
    if "noqa" not in source.lower():
        return found
    file_wide: set[str] = set()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return found
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        comment = token.string
        whole = _FILE_NOQA.match(comment)
        if whole:
            codes = _codes(whole.group("codes"))
            if codes is ALL:
                found.file_wide = ALL
                return found
            file_wide |= codes
            continue
        match = _LINE_NOQA.search(comment)
        if match:
            line = token.start[0]
            codes = _codes(match.group("codes"))
            previous = found.by_line.get(line)
            found.by_line[line] = ALL if ALL in (codes, previous) else codes | (previous or frozenset())
    found.file_wide = frozenset(file_wide)
    return found
