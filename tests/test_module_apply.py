"""``x.apply(f)`` may be ``model.apply(init_fn)``, which can set every bias of the file's models
(RNN201 stays silent), unless it cannot be: an autograd function's ``apply``, or ``f`` a builtin or
a lambda that calls nothing that can set a weight (pandas' ``apply``)."""

from __future__ import annotations

import pytest

from rnn_lint.engine import lint_source
from rnn_lint.registry import all_rules

MODEL = """import torch
import torch.nn as nn
from torch.autograd import Function
from .init import init_weights, tokenize


class Reverse(Function):
    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(32, 64)

    def forward(self, x):
        return self.lstm(x)[0]


def run(frame, model, x):
    {call}
"""


def flagged(call: str) -> bool:
    findings = lint_source(MODEL.format(call=call), "m.py", all_rules())
    return any(finding.code == "RNN201" for finding in findings)


@pytest.mark.parametrize(
    "call",
    [
        'frame["tokens"] = frame["text"].apply(lambda text: text.lower().split())',
        'frame["length"] = frame["tokens"].apply(len)',
        'frame["text"] = frame["text"].apply(str.strip)',
        "return Reverse.apply(x)",
        "return frame.groupby(level=0).apply(lambda g: g.label.corr(g.score))",
    ],
)
def test_an_apply_that_cannot_set_weights_leaves_the_lstm_to_rnn201(call: str) -> None:
    assert flagged(call)


@pytest.mark.parametrize(
    "call",
    [
        "model.apply(init_weights)",
        "model.apply(lambda m: nn.init.constant_(m.bias_hh_l0, 1.0))",
        "model.apply(lambda m: m.reset_parameters())",
        "model.apply(lambda m: m.bias_hh_l0.data.fill_(1.0))",
        "model.apply(lambda m: init_weights(m))",
        "model.apply(frame)",
        'frame["tokens"] = frame["text"].apply(tokenize)',
    ],
)
def test_an_apply_that_may_initialise_keeps_rnn201_silent(call: str) -> None:
    assert not flagged(call)
