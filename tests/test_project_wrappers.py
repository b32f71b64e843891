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


# --- a model handed to a project function of another file (a training loop in utils.py) ---------

TAGGER = """\
import torch
import torch.nn as nn
from utils import run


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 16)

    def forward(self, x):
        return self.lstm(x)[0]


model = Tagger()
print(run(model, torch.randn(5, 3, 8)))
"""

RUNS_IT = """\
import torch


def run(model, batch):
    model.eval()
    with torch.no_grad():
        return model(batch).mean()
"""


@pytest.mark.parametrize(
    "utils, reported",
    [
        (RUNS_IT, True),  # runs the model, sets nothing (a training loop, evaluate, translate)
        (RUNS_IT.replace("    model.eval()\n", "    report(model)\n") + "\n\ndef report(net):\n    print(net)\n", True),
        # initialises what it is given, or may
        (
            "import torch.nn as nn\n\n\ndef run(model, batch):\n    for p in model.parameters():\n"
            "        nn.init.uniform_(p, -0.1, 0.1)\n    return model(batch)\n",
            False,
        ),
        ("def run(model, batch):\n    model.init_weights()\n    return model(batch)\n", False),
        ("from prep import prepare\n\n\ndef run(model, batch):\n    prepare(model)\n    return model(batch)\n", False),
        ("import wandb\n\n\ndef run(model, batch):\n    wandb.watch(model)\n    return model(batch)\n", False),
        (
            "from prep import prepare\n\n\ndef run(model, batch):\n    m = model\n    prepare(m)\n"
            "    return m(batch)\n",
            False,
        ),
    ],
    ids=["runs-it", "hands-it-to-a-reader", "initialises", "init-method", "hands-it-on", "another-package", "alias"],
)
def test_a_project_function_that_sets_no_weight_leaves_the_lstm_to_rnn201(tmp_path: Path, utils: str, reported) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "model.py").write_text(TAGGER)
    (tmp_path / "utils.py").write_text(utils)
    (tmp_path / "prep.py").write_text(
        "import torch.nn as nn\n\n\ndef prepare(model):\n    for p in model.parameters():\n        nn.init.zeros_(p)\n"
    )
    assert rnn201(tmp_path) == ([("model.py", 9)] if reported else [])
    assert rnn201(tmp_path, project=False) == []  # alone, model.py cannot read utils.run


def test_a_warm_run_sees_the_function_start_initialising(tmp_path: Path) -> None:
    cache = tmp_path / ".rnn_lint_cache"
    (tmp_path / ".git").mkdir()
    (tmp_path / "model.py").write_text(TAGGER)
    (tmp_path / "utils.py").write_text(RUNS_IT)
    assert rnn201(tmp_path, cache_dir=cache) == [("model.py", 9)]
    (tmp_path / "utils.py").write_text(RUNS_IT.replace("    model.eval()\n", "    model.apply(lambda m: None)\n"))
    assert rnn201(tmp_path, cache_dir=cache) == []
