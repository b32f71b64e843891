"""Same-file factories forwarding **kwargs (rnn_lint/facts/factories.py): a call of the factory is
a construction with the caller's keyword arguments."""

from __future__ import annotations

import textwrap

import libcst as cst

from rnn_lint import contract
from rnn_lint.facts import build_facts

FACTORY = """
import torch.nn as nn

def LSTM(input_size, hidden_size, **kwargs):
    m = nn.LSTM(input_size, hidden_size, **kwargs)
    for name, param in m.named_parameters():
        if "bias" in name:
            param.data.fill_(0)
    return m
"""


def constructions(source: str):
    facts = build_facts(cst.parse_module(textwrap.dedent(source)), "model.py")
    return facts, facts.constructions


def test_each_call_is_a_construction_configured_by_its_caller() -> None:
    facts, built = constructions(
        FACTORY
        + """
class Model(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.encoder = LSTM(8, 16, dropout=0.3)
        self.decoder = LSTM(16, 16, num_layers=2, dropout=p)
"""
    )
    encoder, decoder = built
    assert [c.binding for c in built] == ["self.encoder", "self.decoder"]
    assert [c.owner_class for c in built] == ["Model", "Model"]
    assert encoder.certainly("num_layers") == 1 and encoder.certainly("dropout") == 0.3
    assert decoder.certainly("num_layers") == 2 and decoder.certainly("dropout") is contract.UNKNOWN
    assert not encoder.splat and not decoder.splat
    # the node is the caller's call, the argument the caller's keyword
    assert cst.Module([]).code_for_node(encoder.node) == "LSTM(8, 16, dropout=0.3)"
    assert cst.Module([]).code_for_node(encoder.arguments["dropout"]) == "dropout=0.3"
    assert cst.Module([]).code_for_node(encoder.arguments["hidden_size"].value) == "hidden_size"
    # the factory's initialisation reached both
    written = {id(c) for write in facts.param_writes for c in write.param.owner.constructions}
    assert written == {id(encoder), id(decoder)}


def test_what_the_factory_or_the_caller_hides_stays_unknown() -> None:
    _, built = constructions(
        FACTORY
        + """
def GRU(i, h, **kwargs):
    kwargs.setdefault("num_layers", 2)
    return nn.GRU(i, h, **kwargs)

def Pair(i, h, **kwargs):
    return nn.GRU(i, h, **kwargs), nn.GRU(h, h, **kwargs)

options = {"num_layers": 3}
a = LSTM(8, 16, dropout=0.3, **options)
b = GRU(8, 16, dropout=0.3)
c, d = Pair(8, 16, dropout=0.3)
"""
    )
    assert [c.kind for c in built] == ["LSTM", "GRU", "GRU", "GRU"]
    assert all(c.splat and c.certainly("num_layers") is contract.UNKNOWN for c in built)
    assert all(cst.Module([]).code_for_node(c.node).startswith("nn.") for c in built)


def test_a_factory_never_called_is_one_construction_with_unknown_keywords() -> None:
    _, built = constructions(FACTORY)
    (only,) = built
    assert only.splat and only.certainly("num_layers") is contract.UNKNOWN
