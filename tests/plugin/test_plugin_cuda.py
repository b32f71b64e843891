"""The GPU paths, on a real GPU (``benchmarks/gpu_check.sh`` runs them; skipped elsewhere): no false
failures under cuDNN and TF32, and each cuDNN-specific problem reported with its code."""

from __future__ import annotations

import itertools

import plugin_models
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from pytest_rnn import RnnCheckError, assert_gradient_flow
from pytest_rnn.device import choose_device, worker_index

pytestmark = pytest.mark.rnn_cuda

CONFIGS = [
    pytest.param(
        kind,
        {"batch_first": bf, "bidirectional": bi, "num_layers": layers},
        id=f"{kind}-{'bf' if bf else 'sf'}-{'bi' if bi else 'uni'}-L{layers}",
    )
    for kind, bf, bi, layers in itertools.product(("RNN", "LSTM", "GRU"), (False, True), (False, True), (1, 2))
] + [pytest.param("LSTM", {"proj_size": 3, "num_layers": 2}, id="LSTM-proj-L2")]


def test_rnn_device_is_this_worker_s_gpu(rnn_device):
    expected = choose_device("auto", cuda_available=True, device_count=torch.cuda.device_count(), worker=worker_index())
    assert str(rnn_device) == expected
    assert torch.cuda.current_device() == rnn_device.index


@pytest.mark.parametrize(("kind", "config"), CONFIGS)
def test_plain_layers_pass_on_the_gpu(kind, config, rnn_check, rnn_device):
    model = plugin_models.layer(kind, 8, 16, **config)
    shape = (3, 20, 8) if config.get("batch_first") else (20, 3, 8)
    report = rnn_check(model, torch.randn(shape))
    assert report.device == str(rnn_device)
    assert {"flat-weights", "cpu-parity", "batch-independence"} <= set(report.checks)
    assert next(model.parameters()).device.type == "cpu"  # moved back


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_padded_batch_passes_on_the_gpu(kind, rnn_check):
    model = plugin_models.PackedEncoder(
        kind, batch_first=True, input_size=8, hidden_size=16, num_layers=2, bidirectional=True
    )
    report = rnn_check(model, torch.randn(4, 30, 8), lengths=torch.tensor([30, 7, 19, 1]))
    assert "padding" in report.checks


def test_long_sequence_parity_within_tf32(rnn_check):
    """100 steps of cuDNN in TF32 against the CPU in float32 (forget gates wide open, so the
    gradient check passes and the cell state keeps accumulating rounding)."""
    model = plugin_models.open_forget_gates(plugin_models.layer("LSTM", 32, 64, num_layers=2), 3.0)
    rnn_check(model, torch.randn(100, 4, 32))


def test_replaced_weights_are_rnn401_until_flattened(rnn_check, rnn_device):
    model = plugin_models.layer("LSTM", 8, 16, num_layers=2).to(rnn_device)
    # New storage under the same parameter: forward does not notice, cuDNN copies at every call.
    # (A replaced Parameter is re-flattened by the next forward since torch 2.x: no problem.)
    model.weight_hh_l1.data = model.weight_hh_l1.data.clone()
    with pytest.raises(RnnCheckError) as caught:
        rnn_check(model, torch.randn(10, 3, 8))
    assert [(v.code, v.where) for v in caught.value.violations] == [("RNN401", "LSTM")]
    model.flatten_parameters()
    rnn_check(model, torch.randn(10, 3, 8))


def test_lengths_left_on_the_gpu_are_rnn106(rnn_check, rnn_device):
    class CarelessPacking(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = plugin_models.layer("GRU", 8, 16, batch_first=True)

        def forward(self, padded, lengths):
            packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
            output, _ = self.rnn(packed)
            return pad_packed_sequence(output, batch_first=True)[0]

    with pytest.raises(RnnCheckError) as caught:
        rnn_check(CarelessPacking(), torch.randn(3, 6, 8), lengths=torch.tensor([6, 2, 4], device=rnn_device))
    assert caught.value.codes == ["RNN106"]
    assert "lengths must stay on the CPU" in str(caught.value)


def test_device_dependent_code_is_rnn403(rnn_check):
    class GpuOnlyScale(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = plugin_models.layer("GRU", 8, 16)

        def forward(self, x):
            output, _ = self.rnn(x)
            return output * 1.1 if output.is_cuda else output

    with pytest.raises(RnnCheckError) as caught:
        rnn_check(GpuOnlyScale(), torch.randn(10, 3, 8))
    assert [(v.code, v.where) for v in caught.value.violations] == [("RNN403", "GpuOnlyScale")]


def test_cuda_random_state_is_left_alone(rnn_check, rnn_device):
    class NoisyStart(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = plugin_models.layer("GRU", 8, 16)

        def forward(self, x):
            return self.rnn(x, torch.randn(1, x.size(1), 16, device=x.device))[0]

    model = NoisyStart().to(rnn_device)
    before = torch.cuda.get_rng_state(rnn_device)
    with pytest.raises(RnnCheckError, match="RNN403"):  # CPU and GPU draw different numbers
        rnn_check(model, torch.randn(10, 3, 8))
    assert torch.equal(before, torch.cuda.get_rng_state(rnn_device))


def test_gradient_flow_on_the_gpu_in_eval_mode(rnn_device):
    torch.manual_seed(0)
    model = nn.LSTM(4, 16).to(rnn_device)
    x = torch.randn(100, 8, 4, device=rnn_device)
    with pytest.raises(RnnCheckError, match="RNN203"):
        assert_gradient_flow(model, x)
    with torch.no_grad():
        model.bias_ih_l0[16:32].fill_(1.5)
        model.bias_hh_l0[16:32].fill_(1.5)
    assert assert_gradient_flow(model, x) > 1e-3
    assert model.training and torch.backends.cudnn.enabled


def test_watch_sees_fragmented_weights(rnn_device):
    from pytest_rnn.watch import Watch  # here, not at the top: it needs pytest >= 8, the rest does not

    model = nn.GRU(8, 16).to(rnn_device)
    model.weight_ih_l0.data = model.weight_ih_l0.data.clone()
    watch = Watch()
    watch.start()
    try:
        with pytest.raises(RnnCheckError, match="RNN401 GRU"):
            model(torch.randn(5, 2, 8, device=rnn_device))
    finally:
        watch.stop()


def test_an_initial_state_left_on_the_cpu_is_rnn404_with_the_module(rnn_check):
    class CpuState(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(8, 16)

        def forward(self, x):
            return self.rnn(x, torch.zeros(1, x.size(1), 16))[1][-1]

    with pytest.raises(RnnCheckError) as caught:
        rnn_check(CpuState(), torch.randn(10, 3, 8), forget_bias=None)
    (violation,) = caught.value.violations
    assert (violation.code, violation.where) == ("RNN404", "CpuState.rnn")
    assert "h_0 is on cpu but the input is on cuda" in violation.what
