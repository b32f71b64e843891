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


# --- the namespace of an options module: ``args = get_args()`` -----------------------------------

OPTIONS = """\
import argparse


def get_args(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--emb_size", type=int, default=100)
    parser.add_argument("--hidden_size", type=int, default=200)
    parser.add_argument("--n_layers", type=int, default=1)
    parser.add_argument("--dropout", type=float, default=0.3)
    return parser.{parse}
"""

ITEMISED = """\
import torch.nn as nn


class Decoder(nn.Module):
    def __init__(self, n_layers, dropout):
        super().__init__()
        self.rnn = nn.GRU(8, 8, n_layers, dropout=dropout)
"""


@pytest.mark.parametrize(
    "parse, train, expected",
    [
        # the namespace handed whole, and attribute by attribute, from an options module
        (
            "parse_args(argv)",
            "from model import Encoder\nfrom options import get_args\nmodel = Encoder(get_args())\n",
            1,
        ),
        (
            "parse_args()",
            "import options\nfrom model import Encoder\n\n\ndef main(args):\n    return Encoder(args)\n\n\n"
            "main(options.get_args())\n",
            1,
        ),
        (
            "parse_args()",
            "from model import Encoder\nfrom options import get_args\nargs = get_args()\nm = Encoder(args)\n",
            1,
        ),
        # the options are set by a list in the code: not the defaults
        (
            "parse_args(['--n_layers', '2'])",
            "from model import Encoder\nfrom options import get_args\nm = Encoder(get_args())\n",
            None,
        ),
    ],
    ids=["whole", "through-main", "bound", "options-in-the-code"],
)
def test_the_namespace_an_options_module_returns_takes_its_defaults(tmp_path: Path, parse, train, expected) -> None:
    write(tmp_path, {"model.py": MODEL, "options.py": OPTIONS.format(parse=parse), "train.py": train})
    assert layers_given(tmp_path) == expected


@pytest.mark.parametrize(
    "train, reported",
    [
        (
            "import options\nfrom model import Decoder\nargs = options.get_args()\n"
            "m = Decoder(args.n_layers, args.dropout)\n",
            True,
        ),
        # changed after it was returned
        (
            "import options\nfrom model import Decoder\nargs = options.get_args()\nargs.n_layers = 2\n"
            "m = Decoder(args.n_layers, args.dropout)\n",
            False,
        ),
        # not an options module: a model's attribute is no option
        (
            "import options\nfrom model import Decoder\nfrom other import make\nm = make()\n"
            "d = Decoder(m.n_layers, m.dropout)\n",
            False,
        ),
    ],
    ids=["attributes", "changed-after", "not-options"],
)
def test_attributes_of_an_options_modules_namespace_are_its_defaults(tmp_path: Path, train, reported) -> None:
    write(
        tmp_path,
        {
            "model.py": ITEMISED,
            "options.py": OPTIONS.format(parse="parse_args()"),
            "other.py": "class M:\n    n_layers = 1\n    dropout = 0.3\n\n\ndef make():\n    return M()\n",
            "train.py": train,
        },
    )
    found = [f for f in lint_paths([str(tmp_path)], Settings(root=tmp_path), jobs=1) if f.code == "RNN301"]
    assert bool(found) is reported
    if reported:
        assert (
            "built in train.py:4 with n_layers=1 (the --n_layers default) and dropout=0.3 (the --dropout default)"
            in (found[0].message)
        )


def test_a_list_of_options_in_the_code_is_not_the_defaults(tmp_path: Path) -> None:
    """``parser.parse_args(["--n_layers", "2"])`` (a notebook's, a test's) sets the options: the
    defaults do not hold; ``parse_args([])`` keeps them."""
    train = PARSER.format(layers=1).replace("parse_args()", "parse_args(['--n_layers', '2'])") + "m = Encoder(args)\n"
    write(tmp_path, {"model.py": MODEL, "train.py": train})
    assert layers_given(tmp_path) is None
    write(tmp_path, {"train.py": train.replace("['--n_layers', '2']", "args=[]")})
    assert layers_given(tmp_path) == 1


CHOSEN = """\
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--n_layers", type=int, default=1)
parser.add_argument("--dp_ratio", type=float, default=0.5)
config = parser.parse_args()


class Encoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        dropout = {choice}
        self.rnn = nn.LSTM(8, 8, num_layers=config.n_layers, dropout=dropout)


model = Encoder(config)
optimizer = torch.optim.Adam(model.parameters())
"""


@pytest.mark.parametrize(
    "choice, reported",
    [
        # pytorch/examples' SNLI encoder: no dropout when the option gives one layer
        ("0 if config.n_layers == 1 else config.dp_ratio", None),
        ("config.dp_ratio if config.n_layers > 1 else 0.0", None),
        # the branch a plain run takes is the inert one
        ("config.dp_ratio if config.n_layers == 1 else 0", "dropout=0.5 does nothing"),
        ("0.2 if config.n_layers < 2 else config.dp_ratio", "dropout=0.2 does nothing"),
    ],
    ids=["zero-for-one-layer", "dropout-for-more", "inert-branch", "inert-constant"],
)
def test_a_dropout_chosen_by_the_layer_option_follows_the_plain_runs_branch(tmp_path: Path, choice, reported) -> None:
    write(tmp_path, {"train.py": CHOSEN.format(choice=choice)})
    found = [f for f in lint_paths([str(tmp_path)], Settings(root=tmp_path), jobs=1) if f.code == "RNN301"]
    assert [f.message.split(":")[0] for f in found] == ([] if reported is None else [reported])
    if reported:  # the sites named are the layer count's: the dropout is computed, not given
        assert "built in train.py:19 with config.n_layers=1 (the --n_layers default);" in found[0].message
