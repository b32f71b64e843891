"""Limits that keep one hostile file from costing the run: how deep a file nests, how big it is,
and how long its analysis may take.

libcst's native parser recurses once per level of the tree it builds and crashes the process
(a segfault: no output, no other file's findings) when that exceeds the thread's C stack; the
Python side (libcst's visitors and code generation, the facts interpreter) raises
``RecursionError`` long before that at the default limit of 1,000 frames. Trees that deep come
from valid code: a sum of 400 terms, an ``elif`` chain of 400 branches, a chain of 200 method
calls. So, before libcst sees a text:

- ``nesting_depth`` measures, from Python's own tokens (linear, no recursion), an upper bound of
  the depth of the tree libcst will build;
- a file deeper than ``MAX_DEPTH`` is not parsed: it is an RNN000 "skipped: too deeply nested to
  analyse";
- a file deeper than ``DEEP`` is analysed in a thread with a large stack and a recursion limit
  raised to match (``with_room_for``), so that what passes the guard is analysed in full.

A file larger than ``MAX_BYTES`` is skipped the same way, a file whose deep statements would
take libcst's parser too long (``MAX_COST``) too, and ``time_budget``/``tick`` (checked once per
statement by the interpreter and the position pass) skip a file whose analysis takes more than
``MAX_SECONDS``.
"""

from __future__ import annotations

import io
import re
import sys
import threading
import time
import tokenize
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

#: Above this depth (``nesting_depth`` units) a file is not parsed. Real code stays far below it:
#: the deepest of 2,400 files of torch, sympy, pygments and pip measures 225 (a test spelling out
#: a polynomial), 99.9% measure under 150. CPython itself refuses 200 nested brackets and 100
#: indentation levels, but accepts sums and call chains of any length.
MAX_DEPTH = 1000
#: Above this depth the analysis runs in a thread with ``DEEP_STACK_BYTES`` of stack.
DEEP = 120
#: Stack for deep files: libcst's native parser takes about 1.2 KB per level, the Python side
#: (on 3.11+, where Python-to-Python calls do not use the C stack) far less; this leaves a wide
#: margin at MAX_DEPTH. It is address space, not memory: only the pages used are touched.
DEEP_STACK_BYTES = 512 * 1024 * 1024
#: Python frames allowed per level of depth (libcst's visit and codegen take a few frames per
#: node, the interpreter a few per expression), plus what the run itself already uses.
FRAMES_PER_LEVEL = 24
BASE_FRAMES = 1000

#: Statements deeper than this count towards a file's parse cost (``nesting``). libcst's parser
#: takes time quadratic in a statement's depth: a chain of 800 ``.view(1, -1)`` calls alone takes
#: minutes, while real statements stay under 50.
COSTLY_DEPTH = 50
#: Above this parse cost (the sum of the squares of the depths of deep statements; one statement
#: at MAX_DEPTH costs 1,000,000) a file is not parsed.
MAX_COST = 1_000_000

#: Files larger than this (in characters) are not parsed: libcst's tree takes about 1 GB of
#: memory per MB of source and about a minute per MB to parse, analyse and place. Hand-written
#: model files stay far below it (the largest of the corpora we checked is under 200 KB).
MAX_BYTES = 2 * 1024 * 1024
#: Wall-clock seconds one file's analysis may take before it is given up; checked between
#: statements by the interpreter and the position pass (``tick``), not inside libcst's parser,
#: which ``MAX_BYTES`` and ``MAX_COST`` bound instead.
MAX_SECONDS = 60.0

# Tokens that add a level to the tree libcst builds around what follows or precedes them:
# binary and unary operators (BinaryOperation, UnaryOperation and BooleanOperation nest one per
# operator), attribute access, calls and subscripts (one node per trailer), conditional
# expressions, lambdas, await. Comparisons are flat in libcst and do not count.
_NESTING_OPERATORS = frozenset(["+", "-", "*", "/", "//", "%", "@", "**", "<<", ">>", "&", "|", "^", "~", ".", ":="])
_NESTING_KEYWORDS = frozenset(("and", "or", "not", "if", "lambda", "await", "yield"))
_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")


class TooComplex(Exception):
    """The file is beyond what rnn-lint analyses; the message says why (an RNN000 finding)."""


def nesting_depth(source: str) -> int:
    """An upper bound (roughly) of the depth of libcst's tree for ``source`` (see
    ``tokenized_nesting``)."""
    return tokenized_nesting(source)[0]


def nesting(source: str) -> tuple[int, int]:
    """(depth, cost) as the guards need them: for a file that ``_shallow_depth`` proves shallow
    (nearly all files), that bound and a cost of 0, without tokenizing the text (a fifth of the
    time); else ``tokenized_nesting``."""
    shallow = _shallow_depth(source)
    if shallow is not None:
        return shallow, 0
    return tokenized_nesting(source)


def tokenized_nesting(source: str) -> tuple[int, int]:
    """(depth, cost): an upper bound (roughly) of the depth of libcst's tree for ``source``, from
    its tokens, and the parse cost of deep expressions (the sum over statements of the square of
    their expression depth, for those deeper than ``COSTLY_DEPTH``: libcst's parser takes time
    quadratic in an expression's depth, but not in the depth of blocks or ``elif`` chains).

    Within each bracket, the operators and trailers since the last comma each add a level (a
    chain ``x.view(1, -1).view(1, -1)`` adds two per link); each open bracket adds one; each
    indentation level adds two, and each ``elif`` of a chain one (``If.orelse`` nests). Raises
    ``tokenize.TokenError``/``SyntaxError`` (with the depth measured so far in ``args``' last
    item) when the text does not tokenize.
    """
    segments = [0]  # nesting operators since the last comma, per open bracket (0: the statement)
    elifs = [0]  # length of the elif chain in progress, per indentation level
    deepest = statement = cost = 0
    line_start = True
    previous_string = False
    readline = io.StringIO(source).readline
    try:
        for token in tokenize.generate_tokens(readline):
            kind, text = token.type, token.string
            if kind == tokenize.INDENT:
                elifs.append(0)
                continue
            if kind == tokenize.DEDENT:
                if len(elifs) > 1:
                    elifs.pop()
                continue
            if kind in (tokenize.NEWLINE, tokenize.ENDMARKER):
                if statement > COSTLY_DEPTH:
                    cost += statement * statement
                segments, line_start, previous_string, statement = [0], True, False, 0
                continue
            if kind in (tokenize.NL, tokenize.COMMENT):
                continue
            if line_start:
                line_start = False
                if text == "elif":
                    elifs[-1] += 1
                elif text != "else":
                    elifs[-1] = 0
                if text in ("if", "elif", "else", "while", "for", "with", "try", "except", "def", "class"):
                    continue  # a statement keyword, not an operator
            if kind == tokenize.STRING:
                if previous_string:  # implicit concatenation nests: ConcatenatedString(left, right)
                    segments[-1] += 1
                previous_string = True
            else:
                previous_string = False
            if kind == tokenize.OP:
                if text in _OPENING:
                    segments[-1] += 1
                    segments.append(0)
                elif text in _CLOSING:
                    if len(segments) > 1:
                        segments.pop()
                elif text in (",", ";"):
                    segments[-1] = 0
                elif text in _NESTING_OPERATORS:
                    segments[-1] += 1
            elif kind == tokenize.NAME and text in _NESTING_KEYWORDS:
                segments[-1] += 1
            expression = sum(segments) + len(segments)
            if expression > statement:
                statement = expression
            depth = 2 * (len(elifs) - 1) + sum(elifs) + expression
            if depth > deepest:
                deepest = depth
    except (tokenize.TokenError, SyntaxError) as error:
        error.args = (*error.args, deepest)
        raise
    return deepest, cost


# --- a cheap proof that a file is shallow ---------------------------------------------------

# Strings and comments, matched left to right as Python's tokenizer finds them (outside them a
# quote always starts a string and ``#`` a comment); a string's prefix letters stay behind.
_STRING_OR_COMMENT = re.compile(
    r"#[^\r\n]*"
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'(?:[^'\\\r\n]|\\(?:\r\n|.))*'"
    r'|"(?:[^"\\\r\n]|\\(?:\r\n|.))*"',
    re.DOTALL,
)
#: What a string becomes in the text ``_shallow_depth`` reads: a character that is not Python
#: outside strings and comments (one already there only raises the bound).
_STRING = "$"
# ``str.translate`` keeps only the characters that may add a level: those of the nesting
# operators, opening brackets and the string placeholder (and non-ASCII ones: they only raise
# the bound).
_KEEP = str.maketrans(dict.fromkeys(set(map(chr, range(128))) - set("+-*/%@<>&|^~.:=([{" + _STRING)))
_KEYWORD = re.compile(r"\b(?:" + "|".join(sorted(_NESTING_KEYWORDS)) + r")\b")


def _shallow_depth(source: str) -> int | None:
    """An upper bound of ``nesting``'s depth when a few passes over the text, without tokenizing
    it, prove that it is at most ``DEEP`` and that no statement is deeper than ``COSTLY_DEPTH``
    (the parse cost is then 0); None when they do not (``nesting`` then tokenizes the text).

    The bound adds up what ``nesting`` adds: two per indentation level (at most the number of
    distinct indentations of the lines that start a statement), one per ``elif`` (at most the
    number of ``elif`` in the file), and the deepest statement's expression, which is at most
    one, plus two per opening bracket and one per operator character, keyword and string in the
    statement (commas only lower it). Statements are told apart once strings and comments are
    blanked out: a line ends one when its brackets are balanced and it does not end with a
    backslash. A statement over the limit is measured exactly (``nesting`` of its text alone).
    """
    if "\r" in source and source.count("\r") != source.count("\r\n"):
        return None  # lone carriage returns: left to the tokenizer
    code = _STRING_OR_COMMENT.sub(_STRING, source)
    if "'" in code or '"' in code:
        return None  # a string that does not end: the tokenizer says where
    lines = code.split("\n")
    indentations: set[str] = set()
    deepest = brackets = weight = length = 0
    first = 0  # the line where the statement being measured starts
    for number, line in enumerate(lines):
        kept = line.translate(_KEEP)
        if kept:
            opening = kept.count("(") + kept.count("[") + kept.count("{")
            weight += len(kept) + opening
            brackets += opening
        if ")" in line or "]" in line or "}" in line:
            brackets -= line.count(")") + line.count("]") + line.count("}")
        length += len(line) + 1
        if brackets > 0 or line.endswith(("\\", "\\\r")):
            continue
        # Keywords: k of them take at least 3k - 1 characters; counted only when that matters.
        expression = weight + 1 + length // 3
        if expression > COSTLY_DEPTH:
            expression = weight + 1 + sum(len(_KEYWORD.findall(lines[n])) for n in range(first, number + 1))
            if expression > COSTLY_DEPTH:
                expression = _statement_depth("\n".join(lines[first : number + 1]))
                if expression is None:
                    return None
        deepest = max(deepest, expression)
        start = lines[first]
        if start[:1] in (" ", "\t", "\f"):
            statement = start.lstrip(" \t\f")
            if statement not in ("", "\r"):
                indentations.add(start[: len(start) - len(statement)])
        brackets = weight = length = 0
        first = number + 1
    if brackets > 0:
        return None  # a bracket open at the end: the tokenizer says where
    bound = 2 * len(indentations) + code.count("elif") + deepest
    return bound if bound <= DEEP else None


def _statement_depth(code: str) -> int | None:
    """``nesting``'s depth for one statement (strings blanked out), when it is at most
    ``COSTLY_DEPTH``."""
    try:
        depth, cost = tokenized_nesting(code.lstrip(" \t\f").replace(_STRING, '""') + "\n")
    except (tokenize.TokenError, SyntaxError):
        return None
    return depth if depth <= COSTLY_DEPTH and cost == 0 else None


def check_size(source: str) -> None:
    if len(source) > MAX_BYTES:
        raise TooComplex(f"skipped: too large to analyse ({len(source):,} characters; the limit is {MAX_BYTES:,})")


def check_depth(depth: int, cost: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise TooComplex(f"skipped: too deeply nested to analyse (nesting depth {depth}; the limit is {MAX_DEPTH})")
    if cost > MAX_COST:
        raise TooComplex(
            f"skipped: too deeply nested to analyse (its deep statements would cost {cost:,} to parse; "
            f"the limit is {MAX_COST:,})"
        )


Result = TypeVar("Result")


def with_room_for(depth: int, work: Callable[[], Result]) -> Result:
    """``work()``, with enough stack and recursion limit for a tree ``depth`` deep: directly when
    the file is shallow, else in a thread with a large stack (the recursion limit, which is
    per-process, is raised for the time it runs and put back)."""
    if depth <= DEEP:
        return work()
    outcome: list = []

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as error:  # handed to the caller's thread
            outcome.append((False, error))

    needed = BASE_FRAMES + FRAMES_PER_LEVEL * depth
    with _LIMIT_LOCK:
        previous_limit = sys.getrecursionlimit()
        previous_stack = threading.stack_size(DEEP_STACK_BYTES)
        try:
            sys.setrecursionlimit(max(needed, previous_limit))
            thread = threading.Thread(target=run, name="rnn-lint-deep-file", daemon=True)
            thread.start()
            thread.join()
        finally:
            threading.stack_size(previous_stack)
            sys.setrecursionlimit(previous_limit)
    ok, value = outcome[0]
    if ok:
        return value
    raise value


_LIMIT_LOCK = threading.Lock()


class OutOfTime(BaseException):
    """The file's time budget ran out (a BaseException, so that no ``except Exception`` in the
    analysis swallows it on its way out)."""


_CLOCK = threading.local()


@contextmanager
def time_budget(seconds: float | None = None):
    """Give the analysis in this thread ``seconds`` (default ``MAX_SECONDS``): ``tick`` raises
    ``OutOfTime`` once they have passed."""
    seconds = MAX_SECONDS if seconds is None else seconds
    previous = getattr(_CLOCK, "deadline", None), getattr(_CLOCK, "seconds", None)
    _CLOCK.deadline, _CLOCK.seconds = time.monotonic() + seconds, seconds
    try:
        yield
    finally:
        _CLOCK.deadline, _CLOCK.seconds = previous


def tick() -> None:
    """Raise ``OutOfTime`` if this thread's analysis has run past its budget (cheap: one clock
    read; called once per statement)."""
    deadline = getattr(_CLOCK, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise OutOfTime(f"skipped: took too long to analyse (over {_CLOCK.seconds:g} s)")
