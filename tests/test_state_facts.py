"""Facts behind RNN402/RNN405 and the loop-index analysis: carried states, stored initial states,
integers of unknown value from range(), states joined on the batch axis."""

from __future__ import annotations

import textwrap

import libcst as cst

from rnn_lint.facts import build_facts
from rnn_lint.facts.initial_states import PARAMETER, REQUIRES_GRAD, TENSOR, is_initial_state_name


def facts_of(source: str):
    return build_facts(cst.parse_module(textwrap.dedent(source)), "model.py")


MODEL = """
import torch
import torch.nn as nn

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(8, 16, num_layers=2, bidirectional=True)
        self.h0 = nn.Parameter(torch.zeros(4, 1, 16))
        self.start = torch.zeros(4, 1, 16, requires_grad=True)
        self.fixed = torch.zeros(4, 3, 16)

    def forward(self, x, h=None):
        out, h = self.gru(x, h)
        return out, h
"""


def test_loop_counters_pick_one_row_and_batch_axis_joins_are_labelled() -> None:
    facts = facts_of(
        MODEL
        + """
model = Model()
out, h = model(torch.randn(5, 3, 8))
for i in range(2):
    layer = torch.cat([h[2 * i], h[2 * i + 1]], dim=0).view(3, -1)
    side = torch.cat([h[2 * i], h[2 * i + 1]], dim=1).view(3, -1)
"""
    )
    first, second = facts.reshapes[-2:]
    assert [axis.label for axis in first.tensor.axes] == ["SB", "H"] and first.tensor.role == "h"
    assert second.tensor.axes[0].label == "B" and second.tensor.role == "derived"


def test_states_carried_across_backward_and_their_detached_copies() -> None:
    facts = facts_of(
        MODEL
        + """
model = Model()
h = None
for x in torch.randn(4, 5, 3, 8):
    out, h = model(x, h)
    out.sum().backward()
g = None
for x in torch.randn(4, 5, 3, 8):
    out, g = model(x, g.detach() if g is not None else None)
    out.sum().backward()
"""
    )
    assert [carry.name for carry in facts.stale_carries] == ["h"]
    assert facts.stale_carries[0].module.describe() == "self.gru"


def test_initial_states_stored_in_init_are_told_apart() -> None:
    facts = facts_of(MODEL)
    kinds = {stored.attribute: stored.how for stored in facts.state_attributes}
    assert kinds == {"h0": PARAMETER, "start": REQUIRES_GRAD, "fixed": TENSOR}
    uses = facts.attribute_uses
    assert uses.stores["h0"] == 1 and uses.loads["h0"] == 0 and uses.loads["gru"] == 1


def test_initial_state_names() -> None:
    named = ["h0", "c_0", "init_hidden", "initial_state", "h_init", "learned_h0", "hidden0", "start_state"]
    assert all(is_initial_state_name(name) for name in named)
    assert not any(is_initial_state_name(name) for name in ["hidden", "h", "h1", "init_weights", "state_dict"])
