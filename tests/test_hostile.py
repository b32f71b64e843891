"""Hostile input (issue 9): a file nested too deep, too big or too slow to analyse ends as findings
or one RNN000 naming the reason; it never raises, crashes the process or costs other files."""

from __future__ import annotations

import os
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from rnn_lint import guard
from rnn_lint.engine import ParseFailure, lint_source, parse
from rnn_lint.registry import all_rules

RULES = all_rules()
REPO = Path(__file__).resolve().parent.parent
HEADER = "import torch.nn as nn\nrnn = nn.GRU(8, 16, dropout=0.5)\n"


def _sum(terms: int) -> str:
    return "x = " + " + ".join(["a"] * terms) + "\n"


def _elif(branches: int) -> str:
    return "if a:\n    pass\n" + "".join(f"elif a == {i}:\n    pass\n" for i in range(branches))


def _get_chain(links: int) -> str:
    return "x = d" + ".get(1)" * links + "\n"


def _attribute_chain(links: int) -> str:
    return "x = a" + ".b" * links + "\n"


def codes(source: str) -> list[tuple[int, str]]:
    return [(finding.line, finding.code) for finding in lint_source(source, "deep.py", RULES)]


@pytest.mark.parametrize(
    "body",
    [_sum(499), _elif(489), _elif(490), _get_chain(300)],
    ids=["sum-499", "elif-489", "elif-490", "get-chain-300"],
)
def test_deep_valid_code_is_analysed_in_full(body: str) -> None:
    # These raised RecursionError out of lint_source (libcst's visitors, the facts interpreter).
    assert codes(HEADER + body) == [(2, "RNN301")]


@pytest.mark.parametrize("body", [_sum(7000), _attribute_chain(6000)], ids=["sum-7000", "attribute-chain-6000"])
def test_deeper_code_is_skipped_with_a_reason_instead_of_crashing(body: str) -> None:
    # These crashed the process (a segfault in libcst's native parser).
    findings = lint_source(HEADER + body, "deep.py", RULES)
    assert [(f.code, f.line) for f in findings] == [("RNN000", 1)]
    assert findings[0].message.startswith("skipped: too deeply nested to analyse (nesting depth ")


def test_skipped_files_are_silent_when_rnn000_is_not_selected() -> None:
    rules = [rule for rule in RULES if rule.code != "RNN000"]
    assert lint_source(HEADER + _sum(7000), "deep.py", rules) == []


def test_parse_refuses_too_deep_text_with_a_skip_not_a_syntax_error() -> None:
    with pytest.raises(ParseFailure) as failure:
        parse(_attribute_chain(6000))
    assert failure.value.skipped and "too deeply nested" in failure.value.reason


def test_the_recursion_limit_is_put_back() -> None:
    before = sys.getrecursionlimit()
    codes(HEADER + _sum(600))
    assert sys.getrecursionlimit() == before


def test_a_recursion_error_the_measure_missed_is_a_skip(monkeypatch) -> None:
    monkeypatch.setattr(guard, "FRAMES_PER_LEVEL", 0)  # no room: the Python side runs out
    monkeypatch.setattr(guard, "BASE_FRAMES", 0)
    findings = lint_source(HEADER + _sum(600), "deep.py", RULES)
    assert [f.code for f in findings] == ["RNN000"]
    assert findings[0].message == "skipped: too deeply nested to analyse (recursion limit reached)"


@pytest.mark.parametrize(
    ("source", "at_least"),
    [
        ("x = 1\n", 1),
        (_sum(10), 10),
        (_elif(10), 10),
        (_get_chain(10), 20),
        ("x = " + '"a" ' * 10 + "\n", 10),
        ("x = [" + "a.b, " * 100 + "]\n", 2),
    ],
)
def test_nesting_depth_bounds_the_tree(source: str, at_least: int) -> None:
    depth = guard.nesting_depth(source)
    assert at_least <= depth <= at_least + 4


def test_a_list_of_many_items_is_not_deep() -> None:
    assert guard.nesting_depth("x = [" + "a.b.c + 1, " * 5000 + "]\n") < 10


#: Texts that look deeper or shallower than they are when strings, comments, continuation lines
#: and indentation are not told apart: the cheap proof must never give less than the tokens.
AWKWARD = [
    "x = '(' + \"[\" + '{'\ny = f(a +\n      b)\n",
    "x = ')' # (((\ny = [1, 2,  # ]]]\n     3]\nz = a.b.c.d\n",
    "s = '''\n)))\n'''\nt = (a +\n  b) + \\\n  c\n",
    's = """a\\"""b"" " """ + (x\n)\n',
    "s = 'it\\'s' \"q\\\"\" 'a' 'b' 'c'\n",
    "x = (a\r\n  + b)\r\nif x:\r\n\ty = 1\r\n",
    "class A:\n\tdef f(self):\n\t\tif a:\n\t\t\treturn 1\n\t\telif b:\n\t\t\treturn 2\n",
    "if a:\n  \f  x = 1\n  \f  if b:\n      y = 2\n",
    "x = [\n" + "    {'a': a.b + c.d, 'b': (e or f) and not g},\n" * 40 + "]\n",
    "x = " + " + ".join("a.b" for _ in range(15)) + "\n",
    "async def f():\n    x = lambda: a if not b else c\n    y = (yield) or await d\n",
    "s = (rb'\\x' Rb\"\\\\\", f'{a!r}' u'\\u00e9' 'x\\\ny')\n",
    "def f(\n    a: int = (1),\n    *b,\n) -> dict[str, list[int]]:\n    return {k: [v] for k, v in b}\n",
]


@pytest.mark.parametrize("source", AWKWARD)
def test_the_cheap_proof_of_shallowness_never_says_less_than_the_tokens(source: str) -> None:
    compile(source, "awkward.py", "exec")
    depth, cost = guard.tokenized_nesting(source)
    shallow = guard._shallow_depth(source)
    assert shallow is not None  # proven without tokenizing
    assert shallow >= depth and cost == 0
    assert guard.nesting(source) == (shallow, 0)


@pytest.mark.parametrize(
    "source",
    [
        "x = 'unterminated\n",
        "x = '''never closed\n",
        "x = (1,\n",
        "x = 1\ry = (2 +\r 3)\r",
        _sum(200),
        "x = d" + ".get(1)" * 30 + "\n",
        _elif(130),
    ],
    ids=["string", "triple-quoted", "bracket", "lone-cr", "deep", "costly", "elif-chain"],
)
def test_what_the_cheap_proof_cannot_settle_is_tokenized(source: str) -> None:
    assert guard._shallow_depth(source) is None


def test_the_cheap_proof_of_shallowness_holds_on_generated_programs() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    hypothesmith = pytest.importorskip("hypothesmith")
    examples = int(os.environ.get("RNN_LINT_FUZZ_EXAMPLES", "0")) or 100

    @hypothesis.settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(hypothesis.HealthCheck)
    )
    @hypothesis.given(hypothesmith.from_grammar())
    def check(source: str) -> None:
        try:
            depth, cost = guard.tokenized_nesting(source)
        except (SyntaxError, tokenize.TokenError):
            return
        shallow = guard._shallow_depth(source)
        assert shallow is None or (shallow >= depth and cost == 0)

    check()


def test_deep_file_does_not_cost_the_others(tmp_path) -> None:
    (tmp_path / "deep.py").write_text(HEADER + _attribute_chain(6000))
    (tmp_path / "fine.py").write_text(HEADER)
    run = subprocess.run(
        [sys.executable, "-m", "rnn_lint", "--isolated", "deep.py", "fine.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 1, run.stderr
    assert "deep.py:1:1: RNN000 skipped: too deeply nested to analyse" in run.stdout
    assert "fine.py:2:" in run.stdout and "RNN301" in run.stdout


# --------------------------------------------------------------------------------------------
# Budgets (item 6)
# --------------------------------------------------------------------------------------------


def _view_chain(links: int) -> str:
    return "h = h" + ".view(1, -1)" * links + "\n"


def test_a_long_view_chain_is_skipped_at_once_not_parsed_for_minutes() -> None:
    # 1,600 links (19 KB) took 21 s, 5,000 links over 300 s: libcst's parser is quadratic in depth.
    findings = lint_source(HEADER + _view_chain(1600), "chain.py", RULES)
    assert [(f.code, f.message.split(" (")[0]) for f in findings] == [
        ("RNN000", "skipped: too deeply nested to analyse")
    ]


def test_many_deep_statements_are_skipped_by_their_parse_cost() -> None:
    depth, cost = guard.nesting(_view_chain(200))
    assert 400 <= depth <= 404 and cost == depth**2  # each fits MAX_DEPTH, 7 of them cost too much
    findings = lint_source(HEADER + _view_chain(200) * 7, "chains.py", RULES)
    assert [f.code for f in findings] == ["RNN000"]
    assert f"its deep statements would cost {7 * cost:,} to parse; the limit is 1,000,000" in findings[0].message


def test_deep_blocks_and_elif_chains_cost_nothing() -> None:
    assert guard.nesting(_elif(400))[1] == 0


def test_shallow_statements_cost_nothing() -> None:
    assert guard.nesting("x = a.b.c(d)\n" * 2_000)[1] == 0


def test_a_file_too_large_is_skipped() -> None:
    padding = "# " + "x" * 98 + "\n"
    source = HEADER + padding * (guard.MAX_BYTES // len(padding) + 1)
    findings = lint_source(source, "big.py", RULES)
    assert [f.code for f in findings] == ["RNN000"]
    assert findings[0].message.startswith("skipped: too large to analyse (2,")


def test_a_file_past_its_time_budget_is_skipped(monkeypatch) -> None:
    monkeypatch.setattr(guard, "MAX_SECONDS", 0.0)
    findings = lint_source(HEADER, "slow.py", RULES)
    assert [(f.code, f.message) for f in findings] == [("RNN000", "skipped: took too long to analyse (over 0 s)")]
    monkeypatch.setattr(guard, "MAX_SECONDS", 60.0)
    assert [f.code for f in lint_source(HEADER, "slow.py", RULES)] == ["RNN301"]
