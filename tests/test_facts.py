"""The facts layer on its own: name resolution, constant folding, and following results."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from rnn_lint import contract
from rnn_lint.facts import build_facts
from rnn_lint.facts.values import Opaque


def facts_of(source: str):
    source = textwrap.dedent(source)
    return build_facts(cst.parse_module(source), "model.py")


@pytest.mark.parametrize(
    "imports, expression",
    [
        ("import torch", "torch.nn.LSTM"),
        ("import torch.nn as nn", "nn.LSTM"),
        ("from torch import nn", "nn.LSTM"),
        ("import torch.nn as tnn", "tnn.LSTM"),
        ("from torch.nn import LSTM as L", "L"),
        ("from torch.nn import LSTM", "LSTM"),
        ("from torch.nn import *", "LSTM"),
        ("from torch.nn.modules.rnn import LSTM", "LSTM"),
        ("import torch.nn", "torch.nn.LSTM"),
    ],
)
def test_every_import_style_resolves(imports: str, expression: str) -> None:
    facts = facts_of(f"{imports}\nlstm = {expression}(8, 16)\n")
    assert [c.kind for c in facts.constructions] == ["LSTM"]


@pytest.mark.parametrize(
    "source",
    [
        "class LSTM:\n    pass\nlstm = LSTM(8, 16)\n",  # the file's own class
        "from torch.nn import *\nclass LSTM:\n    pass\nlstm = LSTM(8, 16)\n",  # shadows the star import
        "from mylib import LSTM\nlstm = LSTM(8, 16)\n",  # somebody else's LSTM
        "import torch.nn as nn\nlstm = getattr(nn, 'LSTM')(8, 16)\n",  # built by name
    ],
)
def test_names_that_are_not_torch_modules(source: str) -> None:
    assert facts_of(source).constructions == []


def test_configuration_folding() -> None:
    facts = facts_of(
        """
        import torch.nn as nn
        HIDDEN = 32
        class Model(nn.Module):
            def __init__(self, layers=3, bidirectional=True, cfg=None):
                super().__init__()
                self.hidden = HIDDEN * 2
                self.rnn = nn.GRU(16, self.hidden // 4, layers, True, True, 0.1, bidirectional)
                self.other = nn.GRU(cfg.size, HIDDEN, num_layers=cfg.layers)
        """
    )
    rnn, other = facts.constructions
    assert rnn.certainly("hidden_size") == 16
    assert rnn.certainly("batch_first") is True
    assert rnn.certainly("num_layers") is contract.UNKNOWN  # a caller may pass another value
    assert rnn.by_default("num_layers") == 3
    assert rnn.by_default("bidirectional") is True
    assert rnn.binding == "self.rnn" and rnn.owner_class == "Model"
    assert isinstance(other.config["num_layers"], Opaque)
    assert other.certainly("input_size") is contract.UNKNOWN


def test_results_are_followed_through_calls_indexing_and_reshapes() -> None:
    facts = facts_of(
        """
        import torch.nn as nn
        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(8, 16, num_layers=2)

            def forward(self, x):
                h = self.lstm(x)[1][0]
                flat = h.permute(1, 0, 2).reshape(x.size(1), -1)
                return flat.view(-1, 2, 16)
        """
    )
    first, second = facts.reshapes
    assert [a.label for a in first.tensor.axes] == ["B", "LD", "H"]
    assert first.labels == ("B", "infer")
    assert [a.label for a in second.tensor.axes] == ["B", "?"]


def test_a_value_that_differs_between_branches_is_unknown() -> None:
    facts = facts_of(
        """
        import torch.nn as nn
        rnn = nn.GRU(8, 16, num_layers=2)
        def run(x, flip):
            _, h = rnn(x)
            if flip:
                h = h.transpose(0, 1)
            return h.view(x.size(1), -1)
        """
    )
    assert [r.node for r in facts.reshapes] == []


def test_directions_written_as_a_conditional_match_the_module() -> None:
    facts = facts_of(
        """
        import torch.nn as nn
        class Model(nn.Module):
            def __init__(self, bidirectional=True, layers=2):
                super().__init__()
                self.layers = layers
                self.directions = 2 if bidirectional else 1
                self.gru = nn.GRU(8, 16, layers, bidirectional=bidirectional)

            def forward(self, x):
                _, h = self.gru(x)
                return h.view(self.layers, self.directions, -1, 16)
        """
    )
    (reshape,) = facts.reshapes
    assert reshape.labels == ("L", "D", "infer", "H")


def test_same_file_helpers_are_inlined_with_their_arguments() -> None:
    facts = facts_of(
        """
        import torch
        import torch.nn as nn
        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.gru = nn.GRU(8, 16, num_layers=3, batch_first=True)

            def init_hidden(self, n):
                return torch.zeros(n, 3, 16)

            def forward(self, x):
                return self.gru(x, self.init_hidden(x.size(0)))
        """
    )
    (call,) = facts.calls
    (state,) = call.states
    assert [axis.label for axis in state.axes] == ["B", "LD", "H"]


def test_modules_passed_to_unseen_code_escape() -> None:
    facts = facts_of(
        """
        import torch.nn as nn
        from elsewhere import initialise
        a = nn.LSTM(8, 16)
        b = nn.LSTM(8, 16)
        initialise(a)
        print(b)
        """
    )
    a, b = facts.constructions
    assert facts.escapes(a) and not facts.escapes(b)


def test_parameter_writes_are_measured_in_gate_blocks() -> None:
    facts = facts_of(
        """
        import torch.nn as nn
        lstm = nn.LSTM(8, 16)
        for name, p in lstm.named_parameters():
            if "bias" in name:
                n = p.shape[0]
                p.data[n // 4:n // 2].fill_(1.0)
                p.data[3 * 16:].zero_()
        """
    )
    forget, output = facts.param_writes
    assert (forget.target.start, forget.target.stop, forget.param.kind) == (1, 2, "bias")
    assert (output.target.start, output.target.stop) == (3, 4)


def test_a_class_bound_to_a_name_first_is_still_a_construction() -> None:
    facts = facts_of("import torch.nn as nn\nklass = nn.LSTM\nlstm = klass(input_size=8, hidden_size=16)\n")
    (construction,) = facts.constructions
    assert (construction.kind, construction.certainly("hidden_size")) == ("LSTM", 16)
