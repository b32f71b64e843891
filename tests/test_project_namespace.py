"""A whole namespace handed to a model: ``Encoder(args)`` in train.py, and ``__init__`` reading
``args.n_layers`` and ``args.dropout``. The project follows each attribute to the default of the
file that parsed ``args`` (``ProjectIndex.parameter_sites`` with ``"args.n_layers"``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rnn_lint.config import Settings
from rnn_lint.facts.project_semantics import ProjectView
from rnn_lint.project.index import ProjectIndex
from rnn_lint.runner import lint_paths

MODEL = """\
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, args):
        super().__init__()
        self.rnn = nn.LSTM(args.emb_size, args.hidden_size, args.n_layers, dropout=args.dropout)
"""

PARSER = """\
import argparse

from model import Encoder

parser = argparse.ArgumentParser()
parser.add_argument("--emb_size", type=int, default=100)
parser.add_argument("--hidden_size", type=int, default=200)
parser.add_argument("--n_layers", type=int, default={layers})
parser.add_argument("--dropout", type=float, default=0.3)
args = parser.parse_args()
"""


def write(root: Path, files: dict[str, str]) -> None:
    (root / ".git").mkdir(exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)


def layers_given(root: Path) -> object:
    index = ProjectIndex.build(root, [str(p) for p in root.rglob("*.py")])
    value = ProjectView(index, str(root / "model.py")).constructor_value("Encoder", "args.n_layers")
    return None if value is None else value.value


@pytest.mark.parametrize(
    "train, expected",
    [
        (PARSER.format(layers=1) + "model = Encoder(args)\n", 1),
        (PARSER.format(layers=3) + "model = Encoder(args=args)\n", 3),
        # handed down through a function of the parsing file
        (PARSER.format(layers=2) + "\ndef main(args):\n    return Encoder(args)\n\n\nmain(args)\n", 2),
        # unknowable: changed after parsing, a namespace built some other way, a caller that disagrees
        (PARSER.format(layers=1) + "args.n_layers = 2\nmodel = Encoder(args)\n", None),
        ("import types\nfrom model import Encoder\nmodel = Encoder(types.SimpleNamespace(n_layers=1))\n", None),
        (PARSER.format(layers=1) + "model = Encoder(args)\nother = Encoder(load_config())\n", None),
    ],
    ids=["module-level", "keyword", "through-main", "changed-after-parsing", "not-argparse", "one-unknown"],
)
def test_an_attribute_of_a_namespace_takes_the_parsing_files_default(tmp_path: Path, train, expected) -> None:
    write(tmp_path, {"model.py": MODEL, "train.py": train})
    assert layers_given(tmp_path) == expected


def test_an_attribute_init_assigns_or_never_reads_is_not_answered(tmp_path: Path) -> None:
    model = MODEL.replace("        super().__init__()\n", "        super().__init__()\n        args.n_layers = 2\n")
    write(tmp_path, {"model.py": model, "train.py": PARSER.format(layers=1) + "model = Encoder(args)\n"})
    assert layers_given(tmp_path) is None
    index = ProjectIndex.build(tmp_path, [str(p) for p in tmp_path.rglob("*.py")])
    assert ProjectView(index, str(tmp_path / "model.py")).constructor_value("Encoder", "args.epochs") is None


def findings(root: Path, *paths: str, **options) -> list[tuple[str, int, str, str]]:
    found = lint_paths([str(root / p) for p in paths or ["."]], Settings(root=root), jobs=1, **options)
    return [(os.path.basename(f.path), f.line, f.code, f.message) for f in found if f.code == "RNN301"]


def test_inert_dropout_is_reported_in_the_model_with_the_option_defaults_named(tmp_path: Path) -> None:
    write(tmp_path, {"model.py": MODEL, "train.py": PARSER.format(layers=1) + "model = Encoder(args)\n"})
    for named in ([], ["model.py"]):  # the whole tree, or the model's file alone
        [(path, line, _code, message)] = findings(tmp_path, *named)
        assert (path, line) == ("model.py", 7)
        assert "built in train.py:11 with args.n_layers=1 (the --n_layers default)" in message
        assert "args.dropout=0.3 (the --dropout default)" in message
    assert findings(tmp_path, project=False) == []  # --isolated: model.py alone cannot know


def test_a_stacked_default_is_silent_and_an_edit_to_train_py_is_seen_by_a_warm_run(tmp_path: Path) -> None:
    cache = tmp_path / ".rnn_lint_cache"
    write(tmp_path, {"model.py": MODEL, "train.py": PARSER.format(layers=2) + "model = Encoder(args)\n"})
    assert findings(tmp_path, cache_dir=cache) == []
    (tmp_path / "train.py").write_text(PARSER.format(layers=1) + "model = Encoder(args)\n")
    assert [line for _path, line, _code, _message in findings(tmp_path, cache_dir=cache)] == [7]
    (tmp_path / "train.py").write_text(PARSER.format(layers=2) + "model = Encoder(args)\n")
    assert findings(tmp_path, cache_dir=cache) == []
