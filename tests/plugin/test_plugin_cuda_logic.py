"""The judging half of the GPU checks, on the CPU: flat-weight detection, parity tolerances and
comparison (against a fake "device" run), and the lengths check inside pack_padded_sequence.
The GPU half runs in test_plugin_cuda.py (marked rnn_cuda)."""

from __future__ import annotations

import copy
import warnings

import plugin_models
import pytest
import torch
import torch.nn.utils.rnn as rnn_utils
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence  # imported by name before the check: still checked

from pytest_rnn import RnnCheckError
from pytest_rnn.cuda import (
    flat_weight_violations,
    fragmented,
    is_fragmentation_warning,
    parity_violations,
    uses_cudnn_weights,
)
from pytest_rnn.full_check import fragmentation_warnings
from pytest_rnn.packing import lengths_checked
from pytest_rnn.probe import Probe
from pytest_rnn.tolerance import compare, parity_tolerance, tf32_enabled

CUDNN_WARNING = (
    "RNN module weights are not part of single contiguous chunk of memory. This means they need to be "
    "compacted at every call, possibly greatly increasing memory usage. To compact weights again call "
    "flatten_parameters()."
)


def flattened(module: nn.LSTM) -> nn.LSTM:
    """Lay the weights out in one buffer, as flatten_parameters() does on cuDNN."""
    weights = module._flat_weights
    buffer = torch.empty(sum(w.numel() for w in weights))
    offset = 0
    with torch.no_grad():
        for weight in weights:
            view = buffer[offset : offset + weight.numel()].view_as(weight)
            view.copy_(weight)
            weight.set_(view)
            offset += weight.numel()
    return module


def test_fragmented_weights():
    module = flattened(nn.LSTM(3, 4, num_layers=2))
    assert not fragmented(module._flat_weights)
    module.weight_hh_l1 = nn.Parameter(module.weight_hh_l1.detach().clone())  # what weight_norm & co do
    assert fragmented(module._flat_weights)
    assert fragmented(nn.GRU(3, 4)._flat_weights)  # CPU layers are never flattened...
    assert not uses_cudnn_weights(nn.GRU(3, 4))  # ...and never judged: cuDNN is not in play


def test_cudnn_warning_is_recognised_and_blamed_on_the_model_when_no_layer_is():
    assert is_fragmentation_warning(CUDNN_WARNING)
    assert not is_fragmentation_warning("LSTM with projections is not supported with oneDNN")
    (violation,) = flat_weight_violations(plugin_models.PackedEncoder(), warned=True)
    assert (violation.code, violation.where) == ("RNN401", "PackedEncoder")
    assert flat_weight_violations(plugin_models.PackedEncoder(), warned=False) == []


def test_fragmentation_warnings_are_caught_every_time_and_others_pass_through():
    with pytest.warns(UserWarning, match="unrelated"):
        with fragmentation_warnings() as seen:
            for _ in range(2):
                warnings.warn(CUDNN_WARNING, UserWarning, stacklevel=1)
            warnings.warn("unrelated", UserWarning, stacklevel=1)
    assert len(seen) == 2


def test_parity_tolerance_allows_tf32_and_nothing_more():
    assert parity_tolerance(torch.float32, tf32=True) == 2e-2
    assert parity_tolerance(torch.float32, tf32=False) == 1e-4
    assert parity_tolerance(torch.float64, tf32=True) == 1e-9
    assert isinstance(tf32_enabled(), bool)
    reference = torch.linspace(-1, 1, 50)
    tf32_like = reference * (1 + 2.0**-10)  # one TF32 rounding step
    assert compare(reference, tf32_like, parity_tolerance(torch.float32, tf32=True)).within
    assert not compare(reference, tf32_like, parity_tolerance(torch.float32, tf32=False)).within


def probed(model: nn.Module, *inputs) -> tuple[Probe, object]:
    with torch.no_grad(), Probe(model) as probe:
        result = model(*inputs)
    return probe, result


def test_parity_passes_for_identical_runs_and_blames_the_first_differing_layer():
    torch.manual_seed(0)
    model = plugin_models.FlattenClassifier("LSTM", num_layers=2, correct=True).eval()
    x = torch.randn(3, 4, 2)
    reference = probed(model, x)
    assert parity_violations("FlattenClassifier", probed(model, x), reference, torch.float32, tf32=True) == []

    drifted = copy.deepcopy(model)  # a "device" whose recurrent kernel is off: far beyond TF32
    with torch.no_grad():
        drifted.rnn.weight_hh_l0.mul_(1.3)
    (violation,) = parity_violations("FlattenClassifier", probed(drifted, x), reference, torch.float32, tf32=True)
    assert (violation.code, violation.where) == ("RNN403", "FlattenClassifier.rnn")
    assert violation.what.startswith("its ") and violation.what.endswith(" on cpu differs from the CPU's")
    assert "for TF32" in violation.expected


def test_parity_blames_the_model_when_only_its_own_layers_differ():
    torch.manual_seed(0)
    model = plugin_models.FlattenClassifier("GRU", correct=True).eval()
    x = torch.randn(3, 4, 2)
    drifted = copy.deepcopy(model)
    with torch.no_grad():
        drifted.head.bias.add_(0.5)
    (violation,) = parity_violations(
        "FlattenClassifier", probed(drifted, x), probed(model, x), torch.float32, tf32=False
    )
    assert (violation.code, violation.where) == ("RNN403", "FlattenClassifier")
    assert violation.what.startswith("output on cpu differs")


def test_lengths_are_checked_inside_packing_whatever_the_import_style():
    padded = torch.randn(5, 2, 3)
    with lengths_checked() as installed:
        assert installed
        with pytest.raises(RnnCheckError) as caught:
            pack_padded_sequence(padded, torch.tensor([7, 3]))
        assert caught.value.codes == ["RNN106"]
        assert "every length ≤ T = 5, got max 7" in str(caught.value)
        with pytest.raises(RnnCheckError, match="lengths must stay on the CPU"):
            rnn_utils.pack_padded_sequence(padded, torch.tensor([5, 3], device="meta"))
        pack_padded_sequence(padded, torch.tensor([5, 3]))  # fine lengths pass through
    assert "_pack_padded_sequence" not in vars(rnn_utils._VF)
    pack_padded_sequence(padded, torch.tensor([7, 3]))  # PyTorch alone says nothing


def test_nested_packing_checks_unwind_in_order():
    seen = []
    with lengths_checked(on_violation=seen.extend):
        with lengths_checked():
            pass
        with pytest.raises(RnnCheckError):
            pack_padded_sequence(torch.randn(2, 1, 1), torch.tensor([3]))
    assert [violation.code for violation in seen] == ["RNN106"]
    assert "_pack_padded_sequence" not in vars(rnn_utils._VF)


class StateMadeOn(nn.Module):
    """Makes its initial state with ``torch.zeros(...)`` on a fixed device, whatever the input's."""

    def __init__(self, device: str) -> None:
        super().__init__()
        self.rnn = nn.LSTM(2, 4)
        self.device = device

    def forward(self, x):
        h_0 = torch.zeros(1, x.size(1), 4, device=self.device)
        return self.rnn(x, (h_0, h_0))[0]


def test_a_state_on_another_device_than_the_input_is_rnn404_before_pytorch_fails():
    """On a GPU the state is on the CPU and the input on CUDA; here the meta device stands in for
    the other device: the pre-hook judges devices, not which ones."""
    model = StateMadeOn("meta")
    with Probe(model), pytest.raises(RnnCheckError) as caught:
        model(torch.randn(5, 3, 2))
    assert [(v.code, v.where) for v in caught.value.violations] == [("RNN404", "StateMadeOn.rnn")] * 2
    assert caught.value.violations[0].what.startswith("h_0 is on meta but the input is on cpu")
    with Probe(StateMadeOn("cpu")) as probe:
        StateMadeOn("cpu")(torch.randn(5, 3, 2))
    assert not probe.violations
