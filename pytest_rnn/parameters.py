"""Checks that read the model's configuration and parameters without running it:
the LSTM forget-gate bias (RNN201), a bias written into the wrong gate (RNN202) and dropout that
acts on nothing (RNN301)."""

from __future__ import annotations

from torch import nn

from pytest_rnn.errors import Violation, raise_if_any
from pytest_rnn.recurrent import recurrent_modules
from rnn_lint import contract


def forget_bias_violations(model: nn.Module, at_least: float = 1.0) -> list[Violation]:
    """Every LSTM/LSTMCell layer and direction whose effective forget bias is below ``at_least``.

    The effective bias is ``bias_ih + bias_hh`` on the forget rows ``[H:2H]``. Its smallest unit
    must reach ``at_least`` less ``1/sqrt(H)``: the usual idiom fills only one of the two biases, and
    the other keeps PyTorch's default uniform(±1/sqrt(H)) init, which may pull a unit that far down.
    Default init (the sum of two such draws) stays far below any useful ``at_least``.
    """
    problems = []
    for recurrent in recurrent_modules(model):
        if contract.family(recurrent.kind) != "LSTM":
            continue
        config = recurrent.config
        hidden = config["hidden_size"]
        rows = contract.forget_gate_slice(hidden)
        margin = contract.default_init_bound(hidden)
        if not config.get("bias", True):
            problems.append(
                Violation(
                    "RNN201",
                    recurrent.path,
                    "the module has no biases (bias=False), so every forget gate starts half closed (sigmoid(0) = 0.5)",
                    f"forget bias ≥ {at_least:g}",
                    "no bias",
                    "build it with bias=True (the default), then fill bias_ih[H:2H] and/or bias_hh[H:2H] with 1",
                )
            )
            continue
        for bias_ih, bias_hh, layer, direction in contract.bias_names(
            recurrent.kind, config.get("num_layers", 1), config.get("bidirectional", False)
        ):
            effective = (getattr(recurrent.module, bias_ih)[rows] + getattr(recurrent.module, bias_hh)[rows]).detach()
            lowest = float(effective.min())
            if lowest >= at_least - margin:
                continue
            which = "" if recurrent.is_cell else f"layer {layer}{' (reverse)' if direction else ''} "
            problems.append(
                Violation(
                    "RNN201",
                    recurrent.path,
                    f"{which}forget-gate bias ({bias_ih} + {bias_hh})[{rows.start}:{rows.stop}] is too low",
                    f"every unit ≥ {at_least:g} (less the default-init spread {margin:.3g} of an untouched half)",
                    f"min {lowest:.3g}, mean {float(effective.mean()):.3g}",
                )
            )
    return problems


_GATES = ("input", "forget", "cell", "output")


def gate_slice_violations(model: nn.Module) -> list[Violation]:
    """RNN202 for each LSTM bias vector where a gate other than forget holds one constant positive
    value — what ``bias.data[a:b].fill_(1.0)`` with the wrong ``a:b`` leaves — while its forget
    block does not. PyTorch's default init is uniform random, so a constant block was written by
    the code; a bias filled whole (all gates alike) claims nothing about the forget gate and passes."""
    problems = []
    for recurrent in recurrent_modules(model):
        if contract.family(recurrent.kind) != "LSTM" or not recurrent.config.get("bias", True):
            continue
        hidden = recurrent.config["hidden_size"]
        if hidden < 2:
            continue  # a block of one unit is always "constant": it says nothing about how it was set
        for names in contract.bias_names(
            recurrent.kind, recurrent.config.get("num_layers", 1), recurrent.config.get("bidirectional", False)
        ):
            for name in names[:2]:
                blocks = getattr(recurrent.module, name).detach().reshape(4, hidden)
                constant = [bool((block == block[0]).all()) and float(block[0]) > 0 for block in blocks]
                forget_set = constant[1]
                wrong = [gate for gate, is_set in zip(_GATES, constant) if is_set and gate != "forget"]
                if wrong and not forget_set:
                    gate = wrong[0]
                    start = _GATES.index(gate) * hidden
                    problems.append(
                        Violation(
                            "RNN202",
                            recurrent.path,
                            f"{name}[{start}:{start + hidden}] (the {gate} gate) is a constant "
                            f"{float(blocks[_GATES.index(gate)][0]):g} while the forget gate [{hidden}:{2 * hidden}] "
                            "keeps its default init: the forget-gate bias went into the wrong slice",
                            f"{name}[{hidden}:{2 * hidden}] set",
                            f"{name}[{start}:{start + hidden}] set",
                        )
                    )
    return problems


def inert_dropout_violations(model: nn.Module) -> list[Violation]:
    problems = []
    for recurrent in recurrent_modules(model):
        if contract.inert_dropout(recurrent.kind, recurrent.config):
            dropout = recurrent.config["dropout"]
            problems.append(
                Violation(
                    "RNN301",
                    recurrent.path,
                    f"dropout={dropout:g} acts between stacked layers only, and this module has one",
                    "num_layers > 1 or dropout=0",
                    f"dropout={dropout:g}, num_layers=1",
                )
            )
    return problems


def assert_forget_gate_bias(model: nn.Module, at_least: float = 1.0) -> None:
    """RNN201 for every LSTM/LSTMCell layer and direction whose effective forget-gate bias
    (``bias_ih + bias_hh``, rows ``[H:2H]``) is below ``at_least``. A model without LSTMs passes."""
    __tracebackhide__ = True
    raise_if_any(forget_bias_violations(model, at_least))


def assert_no_inert_dropout(model: nn.Module) -> None:
    """RNN301 for every recurrent submodule with dropout > 0 and a single layer."""
    __tracebackhide__ = True
    raise_if_any(inert_dropout_violations(model))
