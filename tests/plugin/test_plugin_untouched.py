"""Every check leaves the model as it found it — passing or failing: per-submodule train/eval
flags, grad mode, requires_grad, parameter values and their .grad, random state, device, hooks,
and the global state the checks borrow (cuDNN switch, the packing check)."""

from __future__ import annotations

import functools

import plugin_models
import pytest
import torch
import torch.nn.utils.rnn as rnn_utils
from torch import nn

from pytest_rnn import (
    RnnCheckError,
    Violation,
    assert_batch_independent,
    assert_forget_gate_bias,
    assert_gradient_flow,
    assert_no_inert_dropout,
    assert_padding_invariant,
    assert_rnn_shapes,
)
from pytest_rnn.full_check import RnnCheck

BATCH, STEPS, FEATURES = 3, 4, 2


def snapshot(model: nn.Module) -> dict:
    return {
        "training": [(name, module.training) for name, module in model.named_modules()],
        "requires_grad": [(name, p.requires_grad) for name, p in model.named_parameters()],
        "values": [(name, p.detach().clone()) for name, p in model.named_parameters()],
        "grads": [(name, None if p.grad is None else p.grad.clone()) for name, p in model.named_parameters()],
        "devices": [(name, p.device) for name, p in model.named_parameters()],
        "hooks": [(name, len(m._forward_hooks), len(m._forward_pre_hooks)) for name, m in model.named_modules()],
        "grad_enabled": torch.is_grad_enabled(),
        "rng": torch.get_rng_state().clone(),
        "cudnn": torch.backends.cudnn.enabled,
        "global_hooks": (
            len(torch.nn.modules.module._global_forward_hooks),
            len(torch.nn.modules.module._global_forward_pre_hooks),
        ),
        "packing_patched": "_pack_padded_sequence" in vars(rnn_utils._VF),
    }


def assert_same(before: dict, after: dict) -> None:
    for key, old_value in before.items():
        if key in ("values", "grads"):
            for (name, old), (_, new) in zip(old_value, after[key]):
                assert (old is None) == (new is None), (key, name)
                if old is not None:
                    assert torch.equal(old, new), (key, name)
        elif key == "rng":
            assert torch.equal(old_value, after[key]), key
        else:
            assert old_value == after[key], key


def prepared(model: nn.Module) -> nn.Module:
    """Mixed modes, a frozen parameter and existing gradients: what a test mid-training holds."""
    model.train()
    next(model.children()).eval()
    parameters = list(model.parameters())
    parameters[0].requires_grad_(False)
    for parameter in parameters[1:]:
        parameter.grad = torch.full_like(parameter, 0.25)
    return model


padded = torch.randn(BATCH, STEPS, FEATURES)
lengths = torch.tensor([STEPS, 2, 3])

PASSING = [
    ("shapes", plugin_models.PackedEncoder, lambda m: assert_rnn_shapes(m, padded, lengths)),
    ("batch", plugin_models.PackedEncoder, lambda m: assert_batch_independent(m, padded, lengths)),
    ("padding", plugin_models.PackedEncoder, lambda m: assert_padding_invariant(m, padded, lengths)),
    ("gradient", plugin_models.PackedEncoder, lambda m: assert_gradient_flow(m, padded, lengths)),
    ("forget", plugin_models.PackedEncoder, assert_forget_gate_bias),
    ("dropout", plugin_models.PackedEncoder, assert_no_inert_dropout),
    ("rnn_check", plugin_models.PackedEncoder, lambda m: RnnCheck(torch.device("cpu"))(m, padded, lengths=lengths)),
]
FAILING = [
    (
        "shapes",
        functools.partial(plugin_models.InitialStateModel, batch_major=True),
        lambda m: assert_rnn_shapes(m, padded),
    ),
    ("batch", plugin_models.FlattenClassifier, lambda m: assert_batch_independent(m, padded)),
    ("padding", plugin_models.LastStepClassifier, lambda m: assert_padding_invariant(m, padded, lengths)),
    ("gradient", plugin_models.FlattenClassifier, lambda m: assert_gradient_flow(m, padded, min_ratio=10.0)),
    ("rnn_check", plugin_models.FlattenClassifier, lambda m: RnnCheck(torch.device("cpu"))(m, padded)),
]


@pytest.mark.parametrize(("name", "build", "check"), PASSING, ids=[case[0] for case in PASSING])
@pytest.mark.parametrize("grad_enabled", [True, False], ids=["grad", "no-grad"])
def test_passing_check_leaves_everything(name, build, check, grad_enabled):
    model = prepared(build())
    with torch.set_grad_enabled(grad_enabled):
        before = snapshot(model)
        check(model)
        assert_same(before, snapshot(model))


@pytest.mark.parametrize(("name", "build", "check"), FAILING, ids=[case[0] for case in FAILING])
def test_failing_check_leaves_everything(name, build, check):
    model = prepared(build())
    before = snapshot(model)
    with pytest.raises(RnnCheckError):
        check(model)
    assert_same(before, snapshot(model))


def test_random_draws_in_forward_are_replayed_not_mistaken_for_mixing():
    class NoisyStart(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(FEATURES, 5, batch_first=True)

        def forward(self, x):
            return self.rnn(x, torch.randn(1, x.size(0), 5))[0]

    model = NoisyStart()
    state = torch.get_rng_state()
    assert_batch_independent(model, padded)
    assert torch.equal(state, torch.get_rng_state())


def test_a_model_that_is_not_deterministic_is_refused():
    class Drifting(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(FEATURES, 5, batch_first=True)
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            return self.rnn(x)[0] * self.calls

    with pytest.raises(ValueError, match="gives different output for the same input"):
        assert_batch_independent(Drifting(), padded)


def test_rnn_check_moves_the_model_back_even_when_a_check_fails():
    """The move itself is exercised on a GPU (test_plugin_cuda.py); here, the bookkeeping."""
    from pytest_rnn.full_check import on_device

    model = plugin_models.PackedEncoder()
    moves = []
    model.to = lambda device: moves.append(str(device)) or model  # no GPU here: record, don't move
    with pytest.raises(RnnCheckError), on_device(model, torch.device("cuda:1")):
        raise RnnCheckError([Violation("RNN403", "PackedEncoder", "differs from the CPU's")])
    assert moves == ["cuda:1", "cpu"]
    moves.clear()
    with on_device(model, torch.device("cpu")):
        pass
    assert moves == []  # already there: no move, no flatten_parameters side effects
