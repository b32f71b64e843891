"""What a rule is, what it reports, and what the engine hands back.

A rule is a small class in a file of its own (see ``rnn_lint/rules/``). It declares its code,
slug and one-line message, documents itself in its docstring (ruff's four sections: *What it
does*, *Why is this bad?*, *Example*, *Use instead* — the two code blocks double as tests), and
implements ``check(facts)``, a query over the facts the engine built for one file. It never walks
the syntax tree for its own purposes.

Third-party rules are the same kind of class, registered through the ``rnn_lint_rules`` hook
(entry-point group ``rnn_lint``); see ``docs/plugins.md``.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:  # libcst is only needed once a file is actually parsed
    import libcst as cst

    from rnn_lint.facts import FileFacts

Applicability = Literal["safe", "unsafe"]


@dataclass(frozen=True)
class Edit:
    """Replace the text between two positions (1-based lines, 1-based columns, end exclusive)."""

    line: int
    col: int
    end_line: int
    end_col: int
    content: str
    #: In a notebook's findings: the cell the lines count in (fixes apply to the joined cells).
    cell: int | None = field(default=None, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "cell": self.cell,
            "location": {"line": self.line, "col": self.col},
            "end_location": {"line": self.end_line, "col": self.end_col},
        }


@dataclass(frozen=True)
class Fix:
    """A resolved fix: text edits plus whether applying it can change behaviour.

    ``safe`` fixes keep what the program computes (removing an argument that has no effect);
    ``unsafe`` fixes change behaviour on purpose (that is the point of fixing a bug), so like
    ruff's they are applied only with ``--unsafe-fixes``.
    """

    message: str
    applicability: Applicability
    edits: tuple[Edit, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "applicability": self.applicability,
            "edits": [edit.to_dict() for edit in self.edits],
        }


def applicable(fix: Fix | None, unsafe_fixes: bool) -> bool:
    """Whether ``fix`` is applied by ``--fix`` (with ``--unsafe-fixes`` when ``unsafe_fixes``)."""
    return fix is not None and (fix.applicability == "safe" or unsafe_fixes)


@dataclass(frozen=True)
class NodeEdit:
    """A fix as a rule writes it: replace ``node``'s source with ``replacement`` (source text).
    ``replacement=""`` deletes the node; for an argument its trailing comma goes too."""

    node: cst.CSTNode
    replacement: str


@dataclass(frozen=True)
class SuggestedFix:
    message: str
    applicability: Applicability
    edits: tuple[NodeEdit, ...]


@dataclass(frozen=True)
class Diagnostic:
    """What a rule reports: a node of the parsed file, and optionally a better message and a fix.
    The engine turns it into a Finding (positions, code, suppression)."""

    node: cst.CSTNode
    message: str
    fix: SuggestedFix | None = None


@dataclass(frozen=True, order=True)
class CellLocation:
    """Where in a notebook a finding lies, beyond its line and column (which count in the cell).

    ``number`` counts every cell from 1, markdown included (as ruff does); ``file_line`` and
    ``file_end_line`` are the lines of the ``.ipynb`` file holding the first and last reported
    source lines, for formats that point into the file itself (github, sarif)."""

    number: int
    file_line: int = field(compare=False)
    file_end_line: int = field(compare=False)


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place. Sorted by path, cell (notebooks), line, column, then code."""

    path: str
    #: Set for a finding in a notebook: its ``line``/``col`` then count within that cell.
    cell: CellLocation | None = field(default=None, kw_only=True)
    line: int
    col: int
    code: str
    end_line: int = field(compare=False)
    end_col: int = field(compare=False)
    name: str = field(compare=False)
    message: str = field(compare=False)
    fix: Fix | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON output's object: exactly these keys."""
        return {
            "path": self.path,
            "cell": self.cell.number if self.cell else None,
            "line": self.line,
            "col": self.col,
            "end_line": self.end_line,
            "end_col": self.end_col,
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "fix": self.fix.to_dict() if self.fix else None,
        }


_CODE = re.compile(r"^[A-Z]+[0-9]+$")

#: Text that a file the built-in rules can say anything about must contain: a recurrent module
#: built (``nn.LSTM(``), imported or bound under another name (``LSTM as L``, ``cls = nn.LSTM``),
#: chosen at run time (``{"lstm": nn.LSTM, ...}``, ``nn.LSTM if ... else nn.GRU``), an isinstance
#: test on one, or a recurrent bias by name as an attribute or a string (``lstm.bias_ih_l0``,
#: ``"bias_ih" in name``; not a local variable or a comment that happens to say ``bias_ih``).
#: Checked only on files that contain a needle; it skips most files that merely mention "RNN"
#: before the costly parse.
#:
#: Every alternative starts with a character, not ``\b``: ``re`` then skips, in C, the places
#: whose character can start none of them, instead of trying each alternative at every place
#: (half the time on 8 MB of files that mention RNNs). ``L(?<!\wL)STM`` is ``\bLSTM`` written so.
_RECURRENT_NAME = r"(?:L(?<!\wL)STM|G(?<!\wG)RU|R(?<!\wR)NN)"
_RECURRENT_CODE = re.compile(
    _RECURRENT_NAME + r"(?:Cell)?\b\s*(?:\(|as\b)"
    r"|=\s*[\w.]*\b(?:LSTM|GRU|RNN)(?:Cell)?\s*(?:#.*)?$"
    r"|:\s*[\w.]*\b(?:LSTM|GRU|RNN)(?:Cell)?\s*[,}]"
    r"|" + _RECURRENT_NAME + r"(?:Cell)?\s+if\b|e(?<!\we)lse\s+[\w.]*\b(?:LSTM|GRU|RNN)(?:Cell)?\b"
    r"|isinstance\([^()]*(?:\([^()]*)?\b(?:LSTM|GRU|RNN)(?:Cell)?\b"
    r"|[.'\"]bias_(?:ih|hh)",
    re.MULTILINE,
)


class RecurrentCode:
    """``RECURRENT_CODE``: the pattern above (``search``, ``finditer`` and ``pattern`` as a
    compiled pattern has them), with a faster way to find that a text does *not* match it.

    Most texts the pre-filter tests mention a recurrent name without building anything
    (``LSTM_DEFAULTS = {"kind": "LSTM"}``), and for those the pattern tries its alternatives at
    every ``=``, ``:``, ``e``, quote and dot: about 100 µs for a 3 KB file. Every alternative but
    the bias names holds a recurrent name at a word start, so ``search`` first looks at each such
    name only: what follows it, matched forwards, and what precedes it (``= nn.``, ``: ``,
    ``else ``, ``isinstance(x, (``), matched forwards in the reversed text — each alternative split
    at the name into the same two halves. Only when one fits is the full pattern run, to return
    its match (tests check the two agree on generated texts and on every fixture)."""

    _BIAS = re.compile(r"[.'\"]bias_(?:ih|hh)")
    _NAME = re.compile(_RECURRENT_NAME)  # at a word start (the look-behinds say so)
    # What may follow the name, for each alternative.
    _CALLED_OR_CHOSEN = re.compile(r"(?:Cell)?\b\s*(?:\(|as\b)|(?:Cell)?\s+if\b")
    _ASSIGNED_AFTER = re.compile(r"(?:Cell)?\s*(?:#.*)?$", re.MULTILINE)
    _MAPPED_AFTER = re.compile(r"(?:Cell)?\s*[,}]")
    _WORD_END = re.compile(r"(?:Cell)?\b")
    # What may precede the name, reversed (``=\s*[\w.]*`` read backwards from the name, etc.).
    _ASSIGNED_BEFORE = re.compile(r"[\w.]*\s*=")
    _MAPPED_BEFORE = re.compile(r"[\w.]*\s*:")
    _ELSE_BEFORE = re.compile(r"[\w.]*\s+esle(?!\w)")
    _ISINSTANCE_BEFORE = re.compile(r"[^()]*\((?:[^()]*\()?ecnatsnisi")

    def __init__(self, compiled: re.Pattern[str]) -> None:
        self.compiled = compiled
        self.pattern = compiled.pattern
        self.flags = compiled.flags

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled.search(text) if self.may_match(text) else None

    def finditer(self, text: str):
        return self.compiled.finditer(text) if self.may_match(text) else iter(())

    def may_match(self, text: str) -> bool:
        """Whether ``self.compiled.search(text)`` finds a match (exactly that)."""
        if "bias_" in text and self._BIAS.search(text):
            return True
        backwards = None
        for name in self._NAME.finditer(text):
            start, end = name.span()
            if self._CALLED_OR_CHOSEN.match(text, end):
                return True
            if backwards is None:
                backwards = text[::-1]
            before = len(text) - start  # where the text before the name starts, reversed
            if self._ASSIGNED_BEFORE.match(backwards, before) and self._ASSIGNED_AFTER.match(text, end):
                return True
            if self._MAPPED_BEFORE.match(backwards, before) and self._MAPPED_AFTER.match(text, end):
                return True
            if (
                self._ELSE_BEFORE.match(backwards, before) or self._ISINSTANCE_BEFORE.match(backwards, before)
            ) and self._WORD_END.match(text, end):
                return True
        return False

    def __repr__(self) -> str:
        return f"RecurrentCode({self.compiled!r})"


RECURRENT_CODE = RecurrentCode(_RECURRENT_CODE)


def is_test_file(path: str) -> bool:
    """A test module (``test_*.py``, ``*_test.py``, ``conftest.py``, or under ``tests/``/``test/``):
    models built there are never trained, so how they are configured or initialised is beside
    the point."""
    pure = PurePath(path)
    name = pure.name
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(part in ("tests", "test") for part in pure.parts[:-1])
    )


class Rule:
    """Base class of every rule, built-in or third-party.

    Subclasses set ``code``, ``name`` and ``message`` and implement ``check``. The class docstring
    is the rule's documentation, in markdown with ``## What it does``, ``## Why is this bad?``,
    ``## Example`` and ``## Use instead`` sections; the first python code block under *Example*
    must be flagged by the rule and the one under *Use instead* must not (tests check both).
    """

    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    #: The engine skips a file before parsing it when its text contains none of the needles of
    #: any selected rule. Every built-in rule needs a recurrent module built in the file.
    needles: ClassVar[tuple[str, ...]] = ("RNN", "LSTM", "GRU")
    #: A finer test, run only on files that contain a needle (None: the needles suffice).
    #: The built-in rules use RECURRENT_CODE.
    pattern: ClassVar[re.Pattern[str] | RecurrentCode | None] = None
    #: Whether the rule's fix (if any) can be applied without --unsafe-fixes.
    fix_applicability: ClassVar[Applicability | None] = None

    def check(self, facts: FileFacts) -> Iterable[Diagnostic]:
        raise NotImplementedError

    # --- helpers for subclasses -------------------------------------------------------------
    def report(self, node: cst.CSTNode, message: str | None = None, fix: SuggestedFix | None = None) -> Diagnostic:
        return Diagnostic(node, message or self.message, fix)

    # --- documentation ----------------------------------------------------------------------
    @classmethod
    def documentation(cls) -> str:
        """The rule's docs as markdown, headed by its code, slug and message."""
        body = textwrap.dedent(cls.__doc__ or "").strip()
        fixable = ""
        if cls.fix_applicability:
            flags = "--fix --unsafe-fixes" if cls.fix_applicability == "unsafe" else "--fix"
            fixable = f"\n\nFix: {cls.fix_applicability} (`{flags}`)."
        return f"# {cls.code} ({cls.name})\n\n{cls.message}.{fixable}\n\n{body}\n"

    @classmethod
    def examples(cls) -> tuple[str | None, str | None]:
        """(flagged example, correct example): the first python code blocks of the docstring's
        *Example* and *Use instead* sections."""
        doc = textwrap.dedent(cls.__doc__ or "")

        def block(section: str) -> str | None:
            match = re.search(rf"^## {re.escape(section)}\s*$(.*?)(?=^## |\Z)", doc, re.M | re.S)
            if not match:
                return None
            code = re.search(r"```python\n(.*?)```", match.group(1), re.S)
            return code.group(1) if code else None

        return block("Example"), block("Use instead")

    @classmethod
    def validate(cls) -> None:
        """Raise ValueError when a rule class is not well formed (checked at registration)."""
        for attribute in ("code", "name", "message"):
            if not isinstance(getattr(cls, attribute, None), str):
                raise ValueError(f"rule {cls.__qualname__} has no `{attribute}` string")
        if not _CODE.match(cls.code):
            raise ValueError(f"rule {cls.__qualname__}: code {cls.code!r} is not LETTERS+DIGITS (e.g. RNN102)")
