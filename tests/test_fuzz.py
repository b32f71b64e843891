"""Fuzzing the linter and the fixer (issue 9): generated programs with recurrent-network
statements spliced in, through ``lint_source`` and through ``--fix``'s ``fix_source``.

For every program: no exception; the fixed text parses; outside the spliced statements the
syntax tree is unchanged, and each spliced statement is either untouched or exactly its fixed
form; fixing the fixed text again changes nothing.

Two sources of programs: hypothesmith's grammar-based generator (arbitrary valid Python) and a
cheap mix of hand-written awkward layouts (form feeds, CRLF, tabs, continuation lines, comments
and strings that look like code). CI runs a few hundred examples; set RNN_LINT_FUZZ_EXAMPLES to
run more (e.g. ``RNN_LINT_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py``).
"""

from __future__ import annotations

import ast
import os
import re
import warnings

import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")

from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from rnn_lint.engine import lint_source  # noqa: E402
from rnn_lint.fixer import fix_source  # noqa: E402
from rnn_lint.registry import all_rules  # noqa: E402

RULES = all_rules()
EXAMPLES = int(os.environ.get("RNN_LINT_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXAMPLES or 100,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")

HEADER = "import torch\nimport torch.nn as nn\nfrom torch.nn.utils.rnn import pack_padded_sequence\n"

#: (statement as spliced, the same statement after its fixes, unsafe ones included).
SPLICES = [
    ("rnn = nn.GRU(8, 16, dropout=0.5)\n", "rnn = nn.GRU(8, 16)\n"),
    (
        "lstm = nn.LSTM(\n    8,\n    8,\n    num_layers=1,\n    dropout=0.5,\n)\n",
        "lstm = nn.LSTM(8, 8, num_layers=1)\n",
    ),
    ("cell = nn.GRU(32, 64, nonlinearity='relu')\n", "cell = nn.GRU(32, 64)\n"),
    (
        "def encode(x, lengths):\n"
        "    return pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)\n",
        "def encode(x, lengths):\n"
        "    return pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)\n",
    ),
    (
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.rnn = nn.GRU(8, 16, batch_first=True, dropout=0.3)  # a comment\n",
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.rnn = nn.GRU(8, 16, batch_first=True)\n",
    ),
]

#: Awkward but valid top-level layouts to mix with the spliced statements.
FRAGMENTS = [
    "x = 1\n",
    "\x0cy = 2\n",
    "if x:\n\tpass\n",
    "z = (1,\n     2)  # nn.GRU(8, 8, dropout=0.5)\n",
    "s = 'nn.LSTM(8, 8, dropout=0.5)'\n",
    "t = 1 + \\\n    2\n",
    "def f():\n    '''doc\n    nn.GRU(1, 1, dropout=0.1)'''\n    return 1\n",
    "@staticmethod\ndef g(): pass\n",
    "u = [\n    1,\n\n    2,\n]\n",
    "# just a comment\n",
    "\n",
    "class C: x = 1; y = 2\n",
    "w = lambda: (yield)\n",
    "v = {**{}, 'a': [i for i in range(3) if i]}\n",
]


def _body_dumps(tree: ast.Module) -> list[str]:
    return [ast.dump(statement) for statement in tree.body]


def _splice(program: str, index: int, snippet: str) -> str | None:
    """``snippet`` inserted before the ``index``-th top-level statement of ``program`` (at the
    start of the line it starts), with HEADER first; None when ``program`` does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(program)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    starts = [1]
    for statement in tree.body:
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
        if statement.col_offset == 0 and first not in starts:
            starts.append(first)
    # Lines as Python counts them: str.splitlines would also split at a form feed ("#\x0c" is
    # one comment line), and a splice there would land inside the comment.
    lines = [line.group() for line in LINE.finditer(program)]
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    cut = starts[index % len(starts)] - 1 if index >= 0 else len(lines)
    if any("\\" in line.rstrip("\r\n")[-1:] for line in lines[:cut]):  # inside a continuation
        cut = len(lines)
    return HEADER + "".join(lines[:cut]) + snippet + "".join(lines[cut:])


def _check(source: str, before: str, after: str) -> None:
    findings = lint_source(source, "fuzz.py", RULES)  # must not raise
    assert all(finding.line >= 1 and finding.col >= 1 for finding in findings)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError:
        # A splice that made a program Python rejects: linting it must not raise, but there is no
        # valid program to compare fixes against.
        fix_source(source, "fuzz.py", RULES, unsafe_fixes=True)  # must not raise either
        return
    if any(finding.code == "RNN000" for finding in findings):
        return  # not analysed (e.g. a `from __future__` import after HEADER): nothing to fix
    fixed, count, _, error = fix_source(source, "fuzz.py", RULES, unsafe_fixes=True)
    assert error is None, error
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original_tree, fixed_tree = ast.parse(source), ast.parse(fixed)  # the fixed text parses
        expected_fixes = set(_body_dumps(ast.parse(after)))
        spliced = set(_body_dumps(ast.parse(before)))
    original, now = _body_dumps(original_tree), _body_dumps(fixed_tree)
    assert len(original) == len(now)
    for was, became in zip(original, now, strict=True):
        if was != became:  # only a spliced statement changes, and only into its fixed form
            assert was in spliced and became in expected_fixes, (was, became)
    if count:
        again, again_count, _, _ = fix_source(fixed, "fuzz.py", RULES, unsafe_fixes=True)
        assert (again, again_count) == (fixed, 0)  # a second fix is a no-op
    else:
        assert fixed == source


@FUZZ
@given(program=hypothesmith.from_grammar(), splice=st.sampled_from(SPLICES), index=st.integers(-1, 20))
@example(program="#\x0c\nA\n", splice=SPLICES[3], index=1)  # a form feed in a comment line
def test_generated_programs(program: str, splice: tuple[str, str], index: int) -> None:
    source = _splice(program, index, splice[0])
    if source is not None:
        _check(source, *splice)


@settings(FUZZ, max_examples=EXAMPLES or 200)
@given(
    layout=st.lists(st.sampled_from(FRAGMENTS), max_size=8),
    splices=st.lists(st.sampled_from(SPLICES), min_size=1, max_size=3),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_awkward_layouts(layout: list[str], splices: list[tuple[str, str]], newline: str) -> None:
    pieces = [*layout]
    for number, (before, _) in enumerate(splices):
        pieces.insert((number * 3) % (len(pieces) + 1), before)
    source = (HEADER + "".join(pieces)).replace("\n", newline)
    befores = "".join(before for before, _ in splices)
    afters = "".join(after for _, after in splices)
    _check(source, befores, afters)
