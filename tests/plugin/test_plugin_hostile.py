"""Say what is wrong instead of leaking a torch error (issue 9, item 13): a model on the meta
device, lengths with a 0, NaN/Inf inputs or weights, inference mode, an empty batch."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from pytest_rnn import (
    RnnCheckError,
    RnnUsageError,
    assert_batch_independent,
    assert_gradient_flow,
    assert_padding_invariant,
    assert_rnn_shapes,
)
from pytest_rnn.full_check import RnnCheck

_CPU = RnnCheck(torch.device("cpu"))


class Packed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.GRU(2, 4, batch_first=True)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        return self.rnn(packed)[1][-1]


def test_a_model_on_the_meta_device_is_named_as_such():
    model = nn.LSTM(2, 4, device="meta")
    for run in (
        lambda: _CPU(model, torch.randn(5, 3, 2)),
        lambda: assert_rnn_shapes(model, torch.randn(5, 3, 2)),
        lambda: assert_batch_independent(model, torch.randn(5, 3, 2)),
    ):
        with pytest.raises(RnnUsageError, match=r"weight_ih_l0 is on the meta device.*to_empty"):
            run()


def test_a_length_of_zero_in_rnn_check_is_rnn106_not_torchs_error():
    with pytest.raises(RnnCheckError) as caught:
        _CPU(Packed(), torch.randn(3, 5, 2), lengths=torch.tensor([5, 0, 3]), forget_bias=None)
    (violation,) = caught.value.violations
    assert violation.code == "RNN106"
    assert "sample 1 with no steps" in violation.what


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_or_inf_in_the_input_is_said(bad):
    x = torch.randn(5, 3, 2)
    x[2, 1, 0] = bad
    with pytest.raises(RnnUsageError, match=r"input\[0\] holds NaN or Inf"):
        assert_gradient_flow(nn.LSTM(2, 4), x)
    with pytest.raises(RnnUsageError, match=r"input\[0\] holds NaN or Inf"):
        _CPU(nn.LSTM(2, 4), x)


def test_nan_in_a_weight_is_said_not_blamed_on_the_forget_bias():
    model = nn.LSTM(2, 4)
    with torch.no_grad():
        model.weight_hh_l0[0, 0] = float("nan")
    with pytest.raises(RnnUsageError, match="parameter weight_hh_l0 holds NaN or Inf"):
        assert_gradient_flow(model, torch.randn(20, 3, 2))


def test_inference_mode_is_said():
    model = nn.LSTM(2, 4, bidirectional=True)
    x = torch.randn(5, 3, 2)
    with torch.inference_mode():
        with pytest.raises(RnnUsageError, match=r"torch\.inference_mode\(\)"):
            assert_gradient_flow(model, x)
        with pytest.raises(RnnUsageError, match=r"torch\.inference_mode\(\)"):
            _CPU(model, x, forget_bias=None)


def test_an_empty_batch_is_said():
    empty = torch.randn(0, 5, 2)
    with pytest.raises(RnnUsageError, match=r"the input \(0, 5, 2\) is empty"):
        _CPU(nn.GRU(2, 4, batch_first=True), empty)
    with pytest.raises(RnnUsageError, match="is empty"):
        assert_batch_independent(nn.GRU(2, 4, batch_first=True), empty)
    with pytest.raises(RnnUsageError, match="is empty"):
        assert_padding_invariant(Packed(), empty, torch.tensor([], dtype=torch.long))
