"""A base class of another project file that can *load* weights (asteroid's ``BaseModel`` with its
``from_pretrained`` classmethod, a ``load_model(self, path)`` method): loading sets the weights of
the instances it is called on, and the index sees those calls, so the base does not hide a
subclass's LSTM from RNN201 the way a base that initialises every parameter does. A subclass
instance on which the base's loading method is called every run is loaded, as if the method were
the subclass's own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rnn_lint.config import Settings
from rnn_lint.runner import lint_paths

BASE = """\
import torch
from torch import nn


class BaseModel(nn.Module):
{methods}
"""

FROM_PRETRAINED = """
    @classmethod
    def from_pretrained(cls, path):
        conf = torch.load(path)
        model = cls(**conf["model_args"])
        model.load_state_dict(conf["state_dict"])
        return model
"""

LOAD_MODEL = """
    def load_model(self, path):
        self.load_state_dict(torch.load(path))
"""

LOADED_BY_INIT = """
    def __init__(self, checkpoint="pretrained.pt"):
        super().__init__()
        self.checkpoint = checkpoint

    def restore(self):
        self.load_state_dict(torch.load(self.checkpoint))
"""

INITIALISES = """
    def reset_parameters(self):
        for name, param in self.named_parameters():
            if "bias" in name:
                nn.init.ones_(param)
"""

MODEL = """\
from torch import nn

from base import BaseModel


class Separator(BaseModel):
    def __init__(self, hidden_size=512, nb_layers=3):
        super().__init__()
        self.lstm = nn.LSTM(hidden_size, hidden_size, num_layers=nb_layers)

    def forward(self, x):
        return self.lstm(x)[0]
"""

TRAIN = """\
import torch

from model import Separator

model = Separator()
{after}
optimizer = torch.optim.Adam(model.parameters())
"""


def write(root: Path, methods: str, after: str = "") -> None:
    (root / ".git").mkdir(exist_ok=True)
    (root / "base.py").write_text(BASE.format(methods=methods))
    (root / "model.py").write_text(MODEL)
    (root / "train.py").write_text(TRAIN.format(after=after))


def rnn201(root: Path, **options) -> list[tuple[str, int]]:
    found = lint_paths([str(root)], Settings(root=root), jobs=1, **options)
    return [(os.path.basename(f.path), f.line) for f in found if f.code == "RNN201"]


@pytest.mark.parametrize(
    "methods, after, reported",
    [
        (FROM_PRETRAINED, "", True),  # asteroid's X-UMX: train.py trains it from scratch
        (LOAD_MODEL, "", True),  # a loading method nothing calls
        (LOAD_MODEL, "model.load_model('separator.pt')", False),  # called on the instance: loaded
        (LOAD_MODEL, "if False:\n    model.load_model('separator.pt')", True),  # under an if: may not run
        (INITIALISES, "", False),  # an initialiser may be called from anywhere: silent, as before
        (LOADED_BY_INIT.replace("super().__init__()", "super().__init__()\n        self.restore()"), "", False),
        (LOADED_BY_INIT, "", True),  # the same loader, not run by __init__
    ],
    ids=[
        "uncalled-from-pretrained",
        "uncalled-load-model",
        "base-method-called",
        "base-method-called-conditionally",
        "base-initialises",
        "init-runs-the-loader",
        "init-does-not-run-the-loader",
    ],
)
def test_a_base_class_that_can_load_hides_nothing_until_it_is_called(
    tmp_path: Path, methods: str, after: str, reported: bool
) -> None:
    write(tmp_path, methods, after)
    assert rnn201(tmp_path) == ([("model.py", 9)] if reported else [])
    assert rnn201(tmp_path, project=False) == []  # alone, model.py cannot read BaseModel


def test_from_pretrained_on_the_subclass_covers_it_only_where_every_instance_is_loaded(tmp_path: Path) -> None:
    write(tmp_path, FROM_PRETRAINED)
    (tmp_path / "train.py").unlink()
    (tmp_path / "eval.py").write_text("from model import Separator\nmodel = Separator.from_pretrained('x')\n")
    assert rnn201(tmp_path) == []  # only ever loaded
    (tmp_path / "train.py").write_text(TRAIN.format(after=""))
    assert rnn201(tmp_path) == [("model.py", 9)]  # and trained from scratch in train.py


def test_a_warm_run_sees_the_loader_become_an_initialiser(tmp_path: Path) -> None:
    cache = tmp_path / ".rnn_lint_cache"
    write(tmp_path, FROM_PRETRAINED)
    assert rnn201(tmp_path, cache_dir=cache) == [("model.py", 9)]
    (tmp_path / "base.py").write_text(BASE.format(methods=FROM_PRETRAINED + INITIALISES))
    assert rnn201(tmp_path, cache_dir=cache) == []
