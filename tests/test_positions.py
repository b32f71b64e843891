"""Positions for the reported nodes only (rnn_lint/positions.py), form feeds (normalised before
parsing, positions mapped back), and libcst loaded only when a file is parsed."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from rnn_lint.engine import lint_source, normalise, parse
from rnn_lint.fixer import fix_source
from rnn_lint.positions import _locate_by_statement, locate
from rnn_lint.registry import all_rules

RULES = all_rules()
FIXTURES = sorted(Path(__file__).parent.parent.joinpath("fixtures").rglob("*.py"))


def _all_nodes(module: cst.Module) -> list[cst.CSTNode]:
    nodes, pending = [], [module]
    while pending:
        node = pending.pop()
        nodes.append(node)
        pending.extend(node.children)
    return nodes


@pytest.mark.parametrize("path", FIXTURES[::3], ids=lambda p: p.parent.name + "/" + p.name)
def test_locate_agrees_with_libcsts_position_provider(path: Path) -> None:
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = [node for node in _all_nodes(module) if node in expected]
    located = locate(module, nodes)
    for node in nodes:
        where = expected[node]
        assert located.range(node) == ((where.start.line, where.start.column), (where.end.line, where.end.column))


def _provider_ranges(module: cst.Module, nodes: list[cst.CSTNode]) -> dict[int, tuple]:
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return {
        id(node): (
            (expected[node].start.line, expected[node].start.column),
            (expected[node].end.line, expected[node].end.column),
        )
        for node in nodes
        if node in expected
    }


@pytest.mark.parametrize("path", FIXTURES[1::3], ids=lambda p: p.parent.name + "/" + p.name)
def test_locate_by_statement_agrees_with_libcsts_position_provider(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    module = cst.parse_module(text)
    for statement in module.body:
        nodes = _all_nodes(statement)
        expected = _provider_ranges(module, nodes)
        located = locate(module, nodes, text=text)
        assert {key: located.ranges[key] for key in expected} == expected


#: Texts where a statement's start line is easy to get wrong: other newlines, no newline at the
#: end, decorators and comments that belong to the statement, tabs, multi-line nodes, a file
#: whose first statement is not on line 1.
EDGES = {
    "crlf": "import torch.nn as nn\r\n\r\nx = 1\r\nclass M(nn.Module):\r\n    def __init__(self):\r\n"
    "        self.rnn = nn.LSTM(8, 16,\r\n            dropout=0.5)\r\n",
    "lone cr": "import torch.nn as nn\r\rx = 1\rclass M(nn.Module):\r    def f(self):\r"
    "        return nn.LSTM(8, 16,\r            dropout=0.5)\r",
    "mixed newlines": "x = 1\r\ny = 2\rz = (\n  3)\r\nrnn = nn.GRU(1, 2)\n",
    "no newline at the end": "import torch.nn as nn\n\nrnn = nn.GRU(8, 8, dropout=0.5)",
    "decorators and comments": "# header\n\nx = 1\n\n# leading\n@dec\n# between\n@dec2(1,\n  2)\n"
    "def f():\n\tx = nn.LSTM(1, 2)  # trailing\n\t# footer\n# dedented\ny = 3\n",
    "multi-line nodes": 'doc = """\nrnn = 1\n"""\nrnn = nn.LSTM(\n    8,\n    16,\n)\nif rnn:\n'
    "    pass\nelif (\n  rnn):\n    pass\n",
    "semicolons": "a = 1; rnn = nn.LSTM(1, 2); b = 3\nc = 4\n",
}


@pytest.mark.parametrize("text", EDGES.values(), ids=EDGES.keys())
def test_locate_by_statement_places_every_node_of_every_statement(text: str) -> None:
    module = cst.parse_module(text)  # (libcst drops a last lone "\r": its text is not all of ``text``)
    for statement in module.body:
        nodes = _all_nodes(statement)
        expected = _provider_ranges(module, nodes)
        by_statement = _locate_by_statement(module, {id(node) for node in nodes}, set(), text)
        assert by_statement is not None  # placed from the statement's own text, not the whole module's
        assert {key: by_statement.ranges[key] for key in expected} == expected


def test_a_statement_whose_text_starts_two_lines_is_placed_by_generating_the_module() -> None:
    text = 'doc = """\nrnn = nn.LSTM(1, 2)\n"""\nrnn = nn.LSTM(1, 2)\nrnn = nn.LSTM(1, 2)\n'
    module = cst.parse_module(text)
    call = module.body[2].body[0].value
    assert _locate_by_statement(module, {id(call)}, set(), text) is None  # ambiguous: lines 2, 4 and 5
    assert locate(module, [call], text=text).range(call) == ((5, 6), (5, 19))
    assert locate(module, [call]).range(call) == ((5, 6), (5, 19))


def test_a_node_outside_the_module_is_not_placed() -> None:
    module = cst.parse_module("x = f(1)\n")
    stranger = cst.parse_expression("f(1)")
    assert id(stranger) not in locate(module, [stranger], text="x = f(1)\n").ranges


def test_locate_gives_the_statement_line_of_a_node_in_a_multi_line_statement() -> None:
    module = cst.parse_module("x = 1\nrnn = f(\n    a,\n    b=2,\n)\nif g(\n  c):\n    pass\n")
    calls = [node for node in _all_nodes(module) if isinstance(node, cst.Arg)]
    located = locate(module, calls)
    assert sorted((located.range(arg)[0][0], located.statement_lines[id(arg)]) for arg in calls) == [
        (3, 2),
        (4, 2),
        (7, 6),
    ]


#: Form feeds where libcst does not give the text back as it was (so positions were off and a
#: fix edited the wrong characters: issue 9, items 1 and 10).
FORM_FEEDS = [
    "import torch.nn as nn\n\fd = nn.GRU(8, 8, dropout=0.5)\n",
    "import torch.nn as nn\ndef f():\n    x = 1\n\f    d = nn.GRU(8, 8, dropout=0.5)\n    return d\n",
    "import torch.nn as nn\nclass A:\n    def f(self):\n        pass\n\f\n    def g(self):\n"
    "        return nn.GRU(8, 8, dropout=0.5)\n",
    "import torch.nn as nn\nif True:\n    x = 1\n  \f  \n  \f    d = nn.GRU(8, 8, bias=True, dropout=0.5)\n",
]


@pytest.mark.parametrize("source", FORM_FEEDS)
def test_a_fix_after_a_form_feed_changes_exactly_the_argument(source: str) -> None:
    compile(source, "x.py", "exec")
    fixed, count, findings, error = fix_source(source, "x.py", RULES)
    assert (count, findings, error) == (1, [], None)
    assert fixed == source.replace(", dropout=0.5", "")


@pytest.mark.parametrize("source", FORM_FEEDS)
def test_the_reported_column_is_the_column_in_the_file(source: str) -> None:
    (finding,) = lint_source(source, "x.py", RULES)
    line = source.split("\n")[finding.line - 1]
    assert line[finding.col - 1 : finding.end_col - 1] == "dropout=0.5"


def test_form_feeds_in_indentation_are_normalised_as_cpython_does() -> None:
    source = "class A:\n def f(self):\n  pass\n\n  \f  def g(self): pass\n"
    compile(source, "x.py", "exec")
    text, shift = normalise(source)
    assert text == "class A:\n def f(self):\n  pass\n\n  def g(self): pass\n"
    assert shift.column(5, 2) == 5
    module, _ = parse(source)
    assert module.code == text  # libcst gives the normalised text back exactly


def _imports_libcst(code: str) -> bool:
    run = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('libcst' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout.strip().splitlines()[-1] == "True"


def test_version_and_runs_that_parse_nothing_do_not_import_libcst(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import torch\nx = torch.zeros(3)  # no recurrent module here\n")
    assert not _imports_libcst(
        "from rnn_lint.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass"
    )
    assert not _imports_libcst(f"from rnn_lint.cli import main\nmain(['--isolated', {str(tmp_path)!r}])")
    # and the check can fail: a file with a recurrent module is parsed
    (tmp_path / "b.py").write_text("import torch.nn as nn\nrnn = nn.LSTM(8, 16)\n")
    assert _imports_libcst(f"from rnn_lint.cli import main\nmain(['--isolated', {str(tmp_path)!r}])")


def test_findings_in_a_sliced_file_are_placed_from_their_statements(monkeypatch) -> None:
    # The text libcst parses is then the relevant part (``slicing``), not the file: the
    # statements are searched for in that text, and found there.
    from rnn_lint import positions
    from rnn_lint.slicing import relevant_part
    from tests.test_slicing import PADDING

    source = (Path(__file__).parent.parent / "fixtures" / "RNN202" / "init_helpers_module.py").read_text()
    first = min(s.lineno for s in ast.parse(source).body if isinstance(s, (ast.FunctionDef, ast.ClassDef)))
    lines = source.split("\n")
    padded = "\n".join(lines[: first - 1]) + "\n" + PADDING + "\n".join(lines[first - 1 :])
    assert relevant_part(padded, RULES) is not None  # sliced
    shift = PADDING.count("\n")
    whole = {(f.line, f.col, f.code) for f in lint_source(source, "x.py", RULES)}
    generated_modules = []
    real_locate_in = positions._locate_in

    def locate_in(module, root, wanted, arguments):
        generated_modules.append(root is module)
        return real_locate_in(module, root, wanted, arguments)

    monkeypatch.setattr(positions, "_locate_in", locate_in)
    sliced = {(f.line, f.col, f.code) for f in lint_source(padded, "x.py", RULES)}
    assert whole and {(line - shift, col, code) for line, col, code in sliced} == whole
    assert not any(generated_modules)
