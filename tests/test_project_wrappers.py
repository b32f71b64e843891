"""A recurrent module handed to a wrapper class of another project file (awd-lstm's and MoS's
``WeightDrop(rnn, ["weight_hh_l0"])``): alone, the model's file cannot tell whether the wrapper
initialises what it is given, so the LSTM escapes RNN201; with the project index, a wrapper that
neither sets nor loads any parameter leaves the LSTM at PyTorch's initialisation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rnn_lint.config import Settings
from rnn_lint.runner import lint_paths

MODEL = """\
import torch.nn as nn
from weight_drop import WeightDrop


class RNNModel(nn.Module):
    def __init__(self, ntoken, nhid, nlayers, wdrop=0.5):
        super().__init__()
        self.encoder = nn.Embedding(ntoken, nhid)
        self.rnns = [nn.LSTM(nhid, nhid, 1) for _ in range(nlayers)]
        if wdrop:
            self.rnns = [WeightDrop(rnn, ["weight_hh_l0"], dropout=wdrop) for rnn in self.rnns]
        self.rnns = nn.ModuleList(self.rnns)

    def forward(self, x):
        out = self.encoder(x)
        for rnn in self.rnns:
            out, _ = rnn(out)
        return out
"""

WEIGHT_DROP = """\
import torch
from torch.nn import Parameter


class WeightDrop(torch.nn.Module):
    def __init__(self, module, weights, dropout=0.0):
        super().__init__()
        self.module, self.weights, self.dropout = module, weights, dropout
        for name in self.weights:
            w = getattr(self.module, name)
            del self.module._parameters[name]
            self.module.register_parameter(name + "_raw", Parameter(w.data))
{extra}
    def forward(self, *args):
        for name in self.weights:
            raw = getattr(self.module, name + "_raw")
            setattr(self.module, name, torch.nn.functional.dropout(raw, p=self.dropout, training=self.training))
        return self.module.forward(*args)
"""

TRAIN = """\
import torch
from model import RNNModel

model = RNNModel(100, 32, 3)
optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
"""

INITIALISES = """
    def reset_parameters(self):
        for name, param in self.module.named_parameters():
            if "bias" in name:
                param.data.fill_(1.0)
"""


def write(root: Path, extra: str = "") -> None:
    (root / ".git").mkdir(exist_ok=True)
    (root / "model.py").write_text(MODEL)
    (root / "weight_drop.py").write_text(WEIGHT_DROP.format(extra=extra))
    (root / "train.py").write_text(TRAIN)


def rnn201(root: Path, **options) -> list[tuple[str, int]]:
    found = lint_paths([str(root)], Settings(root=root), jobs=1, **options)
    return [(os.path.basename(f.path), f.line) for f in found if f.code == "RNN201"]


@pytest.mark.parametrize("extra, reported", [("", True), (INITIALISES, False)], ids=["moves-weights", "initialises"])
def test_a_wrapper_that_sets_no_parameter_leaves_the_lstm_to_rnn201(tmp_path: Path, extra: str, reported: bool) -> None:
    write(tmp_path, extra)
    assert rnn201(tmp_path) == ([("model.py", 9)] if reported else [])
    assert rnn201(tmp_path, project=False) == []  # alone, model.py cannot read WeightDrop


def test_a_warm_run_sees_the_wrapper_start_initialising(tmp_path: Path) -> None:
    cache = tmp_path / ".rnn_lint_cache"
    write(tmp_path)
    assert rnn201(tmp_path, cache_dir=cache) == [("model.py", 9)]
    (tmp_path / "weight_drop.py").write_text(WEIGHT_DROP.format(extra=INITIALISES))
    assert rnn201(tmp_path, cache_dir=cache) == []
