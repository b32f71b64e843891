"""rnn_lint/slicing.py: a large file that only tests for a recurrent module (or names its
biases), and a file that builds one next to unrelated definitions, are analysed from the
statements that can matter, with the same findings as the whole."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

from rnn_lint.engine import lint_source, prefilter
from rnn_lint.registry import all_rules
from rnn_lint.rule import RECURRENT_CODE, Rule
from rnn_lint.slicing import MIN_BYTES, relevant_part
from tests.fixture_expectations import expectations

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RULES = all_rules()


def _padding(count: int) -> str:
    """Unrelated code: module functions, a constant and a class, each mentioning nothing recurrent."""
    blocks = []
    for index in range(count):
        blocks.append(
            textwrap.dedent(
                f'''
                LIMIT_{index} = {index}


                def scale_{index}(values, factor={index}):
                    """Scale the values above the limit."""
                    result = []
                    for value in values:
                        if value > LIMIT_{index}:
                            result.append(value * factor)
                    return result


                class Record{index}:
                    def __init__(self, width={index}):
                        self.width = width

                    def area(self, height):
                        return self.width * height
                '''
            )
        )
    return "".join(blocks)


PADDING = _padding(80)


def _findings(source: str) -> set[tuple[int, int, str, str]]:
    return {(f.line, f.col, f.code, f.message) for f in lint_source(source, "file.py", RULES)}


def _sliced(source: str) -> str | None:
    return relevant_part(source, prefilter(source, RULES))


def _sliced_fixtures() -> list[Path]:
    """Fixtures that slicing applies to once padded to a large file."""
    return [path for path in sorted(FIXTURES.glob("RNN*/*.py")) if _sliced(path.read_text() + PADDING) is not None]


def test_padding_is_large_and_irrelevant() -> None:
    assert len(PADDING) > MIN_BYTES
    assert not prefilter(PADDING, RULES)


def test_some_fixtures_are_sliced_once_padded() -> None:
    assert len(_sliced_fixtures()) >= 1


@pytest.mark.parametrize("path", _sliced_fixtures(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_sliced_fixture_has_the_same_findings(path: Path) -> None:
    source = path.read_text()
    whole = _findings(source)
    assert {(line, code) for line, _, code, _ in whole} == expectations(source)
    # Padding after the file: same lines.
    assert _findings(source + PADDING) == whole
    # Padding between the imports and the first definition: the same findings, lines shifted.
    tree = ast.parse(source)
    first = next(s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.ClassDef, ast.Assign)))
    lines = source.split("\n")
    shift = PADDING.count("\n")
    before = "\n".join(lines[: first.lineno - 1]) + "\n" + PADDING + "\n".join(lines[first.lineno - 1 :])
    assert _sliced(before) is not None
    assert {(line - shift, col, code, message) for line, col, code, message in _findings(before)} == whole


def test_kept_lines_are_verbatim_and_in_place() -> None:
    source = (FIXTURES / "RNN202" / "init_helpers_module.py").read_text() + PADDING
    sliced = _sliced(source)
    assert sliced is not None
    kept = [(a, b) for a, b in zip(source.split("\n"), sliced.split("\n"), strict=True) if b.strip() not in ("", '"""')]
    assert kept and all(a == b for a, b in kept)
    assert len(kept) < 80  # the padding is gone
    assert "def scale_3" not in sliced and "class Record" not in sliced


def _big(body: str) -> str:
    return textwrap.dedent(body) + PADDING


def _kept(source: str) -> str:
    sliced = _sliced(source)
    assert sliced is not None
    return sliced


def test_what_the_anchored_code_uses_is_kept() -> None:
    source = _big(
        """
        import torch.nn as nn
        from .config import OTHER

        GATE = 1.0
        UNUSED = 2.0


        def helper(m):
            return m


        def unrelated():
            return UNUSED


        class Base:
            def shared(self):
                return 1


        class Init(Base):
            kind = "lstm"

            def __init__(self, value):
                self.value = value
                self.other = OTHER

            def run(self, model):
                for m in model.modules():
                    if isinstance(m, nn.LSTM):
                        self._set(helper(m))

            def _set(self, m):
                m.bias_ih_l0.data.fill_(self.value * GATE)

            def ignored(self):
                return self.kind
        """
    )
    kept = _kept(source)
    imports_and_used = ("import torch.nn", "from .config import OTHER", "GATE = 1.0", "def helper")
    for wanted in (*imports_and_used, "class Base", "def shared"):
        assert wanted in kept
    for wanted in ("class Init(Base):", "def __init__", "def run", "def _set"):
        assert wanted in kept
    for dropped in ("UNUSED = 2.0", "def unrelated", "def ignored", 'kind = "lstm"'):
        assert dropped not in kept


def test_a_class_named_by_kept_code_is_kept_whole() -> None:
    source = _big(
        """
        import torch.nn as nn


        class Setter:
            def __init__(self, m):
                self.m = m

            def apply(self):
                self.m.bias_hh_l0.data.zero_()


        def init(model):
            for m in model.modules():
                if isinstance(m, nn.GRU):
                    Setter(m).apply()
        """
    )
    kept = _kept(source)
    assert "class Setter" in kept and "def apply" in kept and "def __init__" in kept


@pytest.mark.parametrize(
    "source",
    [
        # Windows line ends: Python and a split on newlines could count lines differently.
        "import torch.nn as nn\r\ndef f(m):\r\n    return isinstance(m, nn.LSTM)\r\n",
        # A form feed (normalised before parsing).
        "import torch.nn as nn\n\x0cdef f(m):\n    return isinstance(m, nn.LSTM)\n",
        # Not Python: the whole-file path reports it.
        "import torch.nn as nn\ndef f(m):\n    return isinstance(m, nn.LSTM)\ndef (:\n",
        # An anchor in a class decorator: outside every member.
        "import torch.nn as nn\n@register(isinstance(x, nn.LSTM))\nclass A:\n    def f(self):\n        return 1\n",
    ],
)
def test_files_that_are_not_sliced(source: str) -> None:
    assert _sliced(source + PADDING) is None


@pytest.mark.parametrize(
    "source",
    [
        # A construction anywhere: the model, its training loop and callers all matter.
        "import torch.nn as nn\nrnn = nn.LSTM(8, 8)\ndef f(m):\n    return isinstance(m, nn.LSTM)\n",
        # A recurrent class bound to a name.
        "import torch.nn as nn\ncell = nn.GRU\ndef f(m):\n    return isinstance(m, nn.LSTM)\n",
    ],
)
def test_a_file_that_builds_keeps_all_but_unrelated_definitions(source: str) -> None:
    sliced = _kept(source + PADDING)
    assert sliced.startswith(source)
    assert "def scale_" not in sliced and "class Record" not in sliced and "LIMIT_79 = 79" in sliced


BUILDER = """
import os
import torch
import torch.nn as nn
from helpers import outside

SCALE = 2
DEVICE = torch.device("cpu")
__all__ = ["exported"]


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(8, 16, num_layers=2)

    def forward(self, x):
        return self.rnn(called_by_the_model(x))[0]


def called_by_the_model(x):
    return x


def exported(values):
    return [value * SCALE for value in values]


def reads_torch(values):
    return torch.tensor(values)


def reads_a_constant_built_by_torch():
    return DEVICE


def reads_an_import(value):
    return outside(value)


def trains(loss):
    loss.backward()


def initialises(model):
    for parameter in model.parameters():
        parameter.data.zero_()


@decorator
def registered(values):
    return values


def declares():
    global SCALE
    SCALE = 3


def by_name(thing):
    return getattr(thing, "rnn")


def twice():
    return 1


def twice():
    return 2


def unrelated(values, factor=SCALE):
    out = []
    for value in values:
        out.append(os.path.join(str(value), "x"))
    return out


class Record:
    def __init__(self, width):
        self.width = width

    def area(self, height):
        return self.width * height


def calls_unrelated():
    return unrelated([1]) + [Record(2).area(3)]
"""


def test_what_a_file_that_builds_leaves_out() -> None:
    sliced = _kept(BUILDER)
    kept = {name for name in re.findall(r"^(?:def|class) (\w+)", sliced, re.MULTILINE)}
    assert kept == {
        "Model",
        "called_by_the_model",
        "exported",
        "reads_torch",
        "reads_a_constant_built_by_torch",
        "reads_an_import",
        "trains",
        "initialises",
        "registered",
        "declares",
        "by_name",
        "twice",
    }
    lines = BUILDER.split("\n")
    before_the_unrelated = lines[: lines.index("def unrelated(values, factor=SCALE):")]
    assert [line for line in sliced.split("\n") if line.strip() not in ("", '"""')] == [
        line for line in before_the_unrelated if line
    ]


def test_a_third_party_rule_keeps_every_definition() -> None:
    class Theirs(Rule):
        code = "XYZ101"
        name = "theirs"
        message = "theirs"
        pattern = RECURRENT_CODE

    assert _kept(BUILDER) is not None
    assert relevant_part(BUILDER, [*prefilter(BUILDER, RULES), Theirs]) is None


def _analysis_words() -> set[str]:
    """What ``rnn_lint/vocabulary.py`` must list (see its docstring)."""
    package = Path(__file__).resolve().parent.parent / "rnn_lint"
    files = [*package.glob("facts/*.py"), *package.glob("rules/*.py"), *package.glob("project/*.py")]
    words: set[str] = set()
    for path in [*files, package / "contract.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
                words.add(node.value)
    return words


def test_the_vocabulary_is_the_analysis_own() -> None:
    from rnn_lint.vocabulary import ANALYSIS_WORDS

    words = _analysis_words()
    body = textwrap.fill(" ".join(sorted(words)), width=96, break_long_words=False, break_on_hyphens=False)
    assert words == ANALYSIS_WORDS, (
        "rnn_lint/vocabulary.py is not current; its word list should read:\n" + textwrap.indent(body, "    ")
    )


def test_small_files_are_not_sliced() -> None:
    source = (FIXTURES / "RNN202" / "init_helpers_module.py").read_text()
    assert len(source) < MIN_BYTES
    assert _sliced(source) is None


def test_a_project_that_involves_the_file_turns_slicing_off() -> None:
    class Involved:
        def involves(self) -> bool:
            return True

    source = (FIXTURES / "RNN202" / "init_helpers_module.py").read_text() + PADDING
    assert relevant_part(source, prefilter(source, RULES), Involved()) is None


def test_a_bias_name_in_a_comment_or_a_local_variable_is_not_recurrent_code() -> None:
    """torch's _meta_registrations.py says ``bias_ih`` only in a comment, its ONNX exporter only
    in local variables: neither can give a finding, and each cost a second to parse."""
    assert not prefilter("# LSTM: bias_ih + bias_hh keeps [4*hidden]\nx = 1\n", RULES)
    assert not prefilter("# RNN\nweight_ih, weight_hh, bias_ih, bias_hh = weights\n", RULES)
    assert prefilter("# RNN\nm.bias_ih_l0.data.fill_(1)\n", RULES)
    assert prefilter("# LSTM\nif 'bias_hh' in name:\n    p.data.fill_(1)\n", RULES)
    assert prefilter('# LSTM\nb = getattr(m, f"bias_ih_l{k}")\n', RULES)


def test_recurrent_words_in_docstrings_and_comments_do_not_stop_slicing() -> None:
    source = _big(
        '''
        """Helpers for an LSTM (long short-term memory) model; see nn.LSTM(input, hidden)."""
        import torch.nn as nn

        # cell = nn.GRU  (an older version chose the cell here)


        def init(model):
            """Sets the forget gate of every LSTM (and LSTMCell) module."""
            for m in model.modules():
                if isinstance(m, nn.LSTM):
                    m.bias_ih_l0.data.fill_(0.0)
        '''
    )
    assert "def init" in _kept(source)


@pytest.mark.parametrize(
    "line",
    [
        'def f(x=nn.LSTM(2, 2)): "LSTM (doc)"',
        'text = """an LSTM (doc)"""; rnn = nn.GRU(2, 2)',
        'print("#"); rnn = nn.GRU(2, 2)',
    ],
)
def test_a_construction_sharing_a_line_with_a_string_or_hash_still_stops_slicing(line: str) -> None:
    source = "import torch.nn as nn\n" + line + "\ndef g(m):\n    return isinstance(m, nn.LSTM)\n"
    sliced = _sliced(source + PADDING)
    assert sliced is None or sliced.startswith(source)  # at most the unrelated padding goes


def test_a_file_over_the_size_budget_is_skipped_unparsed_not_sliced() -> None:
    from rnn_lint.guard import MAX_BYTES

    source = (FIXTURES / "RNN202" / "init_helpers_module.py").read_text()
    source += PADDING * (MAX_BYTES // len(PADDING) + 1)
    assert _sliced(source) is None
    [finding] = lint_source(source, "big.py", RULES)
    assert finding.code == "RNN000" and "too large" in finding.message


def test_long_runs_of_removed_lines_become_one_string_at_the_same_lines() -> None:
    """libcst takes about 20 µs per empty line: a run of removed lines is one string statement
    spanning exactly those lines, indented as the statement after it."""
    body = (FIXTURES / "RNN202" / "init_helpers_module.py").read_text()
    source = PADDING + body  # the padding is a long run before kept code
    sliced = _kept(source)
    original, new = source.split("\n"), sliced.split("\n")
    assert len(new) == len(original)
    first_kept = next(i for i, line in enumerate(new) if line.strip() not in ("", '"""'))
    assert new[0] == '"""' and new[first_kept - 1] == '"""' and first_kept > PADDING.count("\n")
    assert sliced.count('"""') < 12  # a few runs, not one string per removed statement
    tree = ast.parse(sliced)
    strings = [s for s in tree.body if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)]
    assert strings and all(set(s.value.value) <= {"\n"} for s in strings)
    assert _findings(source) == {
        (line + PADDING.count("\n"), col, code, message) for line, col, code, message in _findings(body)
    }


DATA = "VOCABULARY = [" + ", ".join(f"'w{i}'" for i in range(12000)) + "]\n"
TABLE = "TABLE = {\n" + "".join(f"    {i}: ({i}, -{i}.5),\n" for i in range(3000)) + "}\n"
MODEL = textwrap.dedent(
    """
    import torch.nn as nn


    class Model(nn.Module):
        def __init__(self, vocab):
            super().__init__()
            self.rnn = nn.GRU(8, 16, dropout=0.5)
    """
)


def test_a_large_model_file_is_analysed_without_the_data_nothing_reads() -> None:
    source = MODEL + DATA + TABLE
    assert len(source) > 64 * 1024
    sliced = _kept(source)
    assert "VOCABULARY" not in sliced and "TABLE" not in sliced and "nn.GRU(8, 16" in sliced
    assert [(f.line, f.code) for f in lint_source(source, "m.py", RULES)] == [
        (f.line, f.code) for f in lint_source(MODEL, "m.py", RULES)
    ]


@pytest.mark.parametrize(
    "reader",
    ["size = len(VOCABULARY)\n", "def f():\n    return TABLE[0]\n", "globals_used = VOCABULARY or TABLE\n"],
)
def test_data_that_the_file_reads_is_kept(reader: str) -> None:
    source = MODEL + DATA + TABLE + reader
    sliced = _sliced(source)
    if sliced is not None:  # the other table may still go
        assert ("VOCABULARY" in reader) <= ("VOCABULARY = [" in sliced)
        assert ("TABLE" in reader) <= ("TABLE = {" in sliced)


def test_data_built_by_calls_is_not_literal_data() -> None:
    source = MODEL + "WEIGHTS = [make(i) for i in range(10)]\n" + "ROWS = [" + "f(1), " * 12000 + "]\n"
    assert _sliced(source) is None
