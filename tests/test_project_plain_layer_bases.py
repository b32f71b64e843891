"""A base class of another project file whose ``__init__`` initialises only a plain layer of its
own (stanza's ``EmbeddingParser``: ``nn.init.zeros_(self.bert_layer_mix.weight)`` on a bias-free
``nn.Linear``, which is ``None`` in the other branch) cannot reach a subclass's LSTM: it hides
nothing from RNN201. A base that may set any parameter still does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rnn_lint.config import Settings
from rnn_lint.runner import lint_paths

BASE = """\
from torch import nn


class EmbeddingParser(nn.Module):
    def __init__(self, args):
        super().__init__()
        if args["mix"]:
            self.mix = nn.Linear(args["mix"], 1, bias=False)
            {init}
        else:
            self.mix = {otherwise}
"""

MODEL = """\
from torch import nn

from base import EmbeddingParser


class TransitionParser(EmbeddingParser):
    def __init__(self, args):
        super().__init__(args)
        self.lstm = nn.LSTM(32, 64, num_layers=2)

    def forward(self, x):
        return self.lstm(x)[0]
"""

TRAIN = """\
import torch

from model import TransitionParser

model = TransitionParser({"mix": 4})
optimizer = torch.optim.Adam(model.parameters())
"""


@pytest.mark.parametrize(
    "init, otherwise, reported",
    [
        ("nn.init.zeros_(self.mix.weight)", "None", True),  # stanza: the Linear, or no layer at all
        ("nn.init.zeros_(self.mix.weight)", "nn.Linear(1, 1, bias=False)", True),
        ("nn.init.zeros_(self.mix.weight)", "args['layer']", False),  # a layer from elsewhere
        ("for p in self.parameters():\n                nn.init.zeros_(p)", "None", False),  # every parameter
    ],
    ids=["linear-or-none", "linear-or-linear", "linear-or-unknown", "every-parameter"],
)
def test_a_base_that_initialises_its_own_plain_layer_hides_no_lstm(
    tmp_path: Path, init: str, otherwise: str, reported: bool
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "base.py").write_text(BASE.format(init=init, otherwise=otherwise))
    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "train.py").write_text(TRAIN)
    found = lint_paths([str(tmp_path)], Settings(root=tmp_path), jobs=1)
    assert [(os.path.basename(f.path), f.line) for f in found if f.code == "RNN201"] == (
        [("model.py", 9)] if reported else []
    )
