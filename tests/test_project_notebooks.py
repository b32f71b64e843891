"""Notebooks in the project index: a model defined in one cell and built in another, a project
class built or restored in a notebook, sites named by cell, and the notebooks left unread."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnn_lint.config import Settings
from rnn_lint.facts.project_semantics import ProjectView
from rnn_lint.notebook import NotebookModule, code_module, read_notebook
from rnn_lint.project import load_project
from rnn_lint.project import notebooks as project_notebooks
from rnn_lint.runner import lint_paths

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "notebooks"

CHAR_RNN = """\
class CharRNN(nn.Module):
    def __init__(self, vocab, hidden, n_layers, dropout):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.rnn = nn.GRU(hidden, hidden, n_layers, dropout=dropout)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, h):
        y, h = self.rnn(self.embed(x), h)
        return self.out(y), h
"""

MODEL_PY = "import torch.nn as nn\n\n" + CHAR_RNN


def notebook(*cells: str) -> str:
    """A notebook whose cells are ``cells``: "# md" first makes a markdown cell."""
    document = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": source[len("# md") :].splitlines(True)}
            if source.startswith("# md")
            else {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": source.splitlines(True),
            }
            for source in cells
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1) + "\n"


def write(root: Path, files: dict[str, str]) -> None:
    (root / "pyproject.toml").write_text("")
    for name, text in files.items():
        (root / name).write_text(text)


def lint(root: Path, *paths: str, **options) -> list[tuple[str, object, int, str, str]]:
    named = [str(root / path) for path in paths] or [str(root)]
    return [
        (Path(f.path).name, f.cell.number if f.cell else None, f.line, f.code, f.message)
        for f in lint_paths(named, Settings(root=root), jobs=1, **options)
    ]


def test_a_model_defined_in_one_cell_and_built_in_another(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "char_rnn.ipynb": notebook(
                "import torch.nn as nn\n", "# md The model", CHAR_RNN, "model = CharRNN(100, 128, 1, 0.5)\n"
            )
        },
    )
    found = lint(tmp_path)
    assert [(name, cell, line, code) for name, cell, line, code, _ in found] == [("char_rnn.ipynb", 3, 5, "RNN301")]
    assert "built in char_rnn.ipynb:cell 4:1 with n_layers=1 and dropout=0.5" in found[0][4]
    assert lint(tmp_path, "char_rnn.ipynb") == found  # named alone: the same project
    assert lint(tmp_path, project=False) == []  # one file alone: n_layers is only a parameter


def test_a_stacked_construction_in_a_notebook_is_silent(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"char_rnn.ipynb": notebook("import torch.nn as nn\n", CHAR_RNN, "model = CharRNN(100, 128, 2, 0.5)\n")},
    )
    assert lint(tmp_path) == []


def test_a_project_class_built_in_a_notebook(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "model.py": MODEL_PY,
            "demo.ipynb": notebook(
                "from model import CharRNN\n", "# md Train", "x = 1\nnet = CharRNN(65, 256, 1, 0.3)\n"
            ),
        },
    )
    for named in ((), ("model.py",)):  # the whole tree, or the model file alone: the same project
        found = lint(tmp_path, *named)
        assert [(name, line, code) for name, _, line, code, _ in found if code == "RNN301"] == [
            ("model.py", 7, "RNN301")
        ]
        assert "built in demo.ipynb:cell 3:2 with n_layers=1 and dropout=0.3" in found[-1][4]


def test_weights_restored_in_a_notebook(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "model.py": MODEL_PY.replace("nn.GRU", "nn.LSTM"),
            "evaluate.ipynb": notebook(
                "import torch\nfrom model import CharRNN\n",
                "net = CharRNN(65, 256, 2, 0.3)\nnet.load_state_dict(torch.load('char_rnn.pt'))\n",
            ),
        },
    )
    view = ProjectView(load_project([tmp_path], use_cache=False), str(tmp_path / "model.py"))
    assert view.weights_from_elsewhere("CharRNN") == "evaluate.ipynb:cell 2:2"
    assert [code for _, _, _, code, _ in lint(tmp_path)] == []
    assert "RNN201" in [code for _, _, _, code, _ in lint(tmp_path, project=False)]


def test_notebooks_without_a_recurrent_module_are_not_decoded(tmp_path: Path, monkeypatch) -> None:
    decoded: list[bytes] = []
    real = project_notebooks.code_module
    monkeypatch.setattr(project_notebooks, "code_module", lambda data: decoded.append(data) or real(data))
    write(
        tmp_path,
        {
            "plots.ipynb": notebook("import matplotlib.pyplot as plt\n", "plt.plot([1, 2])\n"),
            "broken.ipynb": '{"cells": [ LSTM',
            "char_rnn.ipynb": notebook("import torch.nn as nn\n", CHAR_RNN, "model = CharRNN(100, 128, 1, 0.5)\n"),
        },
    )
    found = lint(tmp_path)
    # broken.ipynb mentions LSTM: read, refused, and left to the linter; plots.ipynb never read
    assert {data[:20] for data in decoded} == {b'{"cells": [ LSTM', notebook("import torch")[:20].encode()}
    assert not any(b"matplotlib" in data for data in decoded)
    assert [(name, code) for name, _, _, code, _ in found] == [("broken.ipynb", "RNN000"), ("char_rnn.ipynb", "RNN301")]


def test_an_edited_cell_changes_the_verdict_of_a_warm_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path,
        {"char_rnn.ipynb": notebook("import torch.nn as nn\n", CHAR_RNN, "model = CharRNN(100, 128, 1, 0.5)\n")},
    )
    cache = tmp_path / ".rnn_lint_cache"
    assert [code for *_, code, _ in lint(tmp_path, cache_dir=cache)] == ["RNN301"]
    assert [code for *_, code, _ in lint(tmp_path, cache_dir=cache)] == ["RNN301"]  # served warm
    write(
        tmp_path,
        {"char_rnn.ipynb": notebook("import torch.nn as nn\n", CHAR_RNN, "model = CharRNN(100, 128, 3, 0.5)\n")},
    )
    assert lint(tmp_path, cache_dir=cache) == []


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.ipynb")), ids=lambda path: path.name)
def test_the_index_reads_the_module_the_linter_lints(path: Path) -> None:
    data = path.read_bytes()
    parsed = read_notebook(data)
    linted = NotebookModule.of(parsed) if parsed.python else None
    read = code_module(data)
    assert (read is None) == (linted is None)
    if read is not None and linted is not None:
        assert read.text == linted.text
        assert read.cells == linted.cells
