"""RNN203: the gradient-flow ratio reproduces the contract's measurements.

rnn-contract.md: LSTM(4, 16), T = 100, five seeds — default init gives 1e-21…5e-18; a forget-gate
bias of 3 (1.5 in each of bias_ih and bias_hh) gives 4e-2…1.1.
"""

from __future__ import annotations

import plugin_models
import pytest
import real_style_models
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from pytest_rnn import RnnCheckError, assert_gradient_flow

SEEDS = range(5)


def lstm(seed: int, forget_bias: float | None = None) -> nn.LSTM:
    torch.manual_seed(seed)
    model = nn.LSTM(4, 16)
    if forget_bias is not None:
        with torch.no_grad():
            model.bias_ih_l0[16:32].fill_(forget_bias / 2)
            model.bias_hh_l0[16:32].fill_(forget_bias / 2)
    return model


def long_sequence(seed: int) -> torch.Tensor:
    return torch.randn(100, 8, 4, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_default_init_vanishes(seed):
    with pytest.raises(RnnCheckError) as caught:
        assert_gradient_flow(lstm(seed), long_sequence(seed))
    (violation,) = caught.value.violations
    assert violation.code == "RNN203"
    ratio = float(violation.got)
    assert 1e-24 < ratio < 1e-15  # the contract's 1e-21…5e-18, with room for the batch
    assert "over 100 steps; its forget-gate bias averages" in violation.what
    assert "forget-gate bias" in violation.fix


@pytest.mark.parametrize("seed", SEEDS)
def test_forget_bias_three_keeps_the_gradient(seed):
    ratio = assert_gradient_flow(lstm(seed, forget_bias=3.0), long_sequence(seed))
    assert 5e-3 < ratio < 2.0  # the contract's 4e-2…1.1


def test_min_ratio_is_the_bound():
    model, x = lstm(0, forget_bias=3.0), long_sequence(0)
    ratio = assert_gradient_flow(model, x)
    assert_gradient_flow(model, x, min_ratio=ratio * 0.99)
    with pytest.raises(RnnCheckError, match="RNN203"):
        assert_gradient_flow(model, x, min_ratio=ratio * 1.01)


def test_measured_behind_an_embedding():
    """Token ids carry no gradient: the ratio is taken where the sequence enters the LSTM."""
    model = plugin_models.TokenTagger()
    tokens = torch.randint(0, 11, (3, 60), generator=torch.Generator().manual_seed(0))
    ratio = assert_gradient_flow(model, tokens, min_ratio=0.0)
    assert 0.0 <= ratio < 1.0


def test_cell_loop_compares_first_and_last_calls():
    torch.manual_seed(0)
    model = plugin_models.CellLoop("GRUCell", hidden_size=8)
    short = assert_gradient_flow(model, torch.randn(3, 2, 2))
    long = assert_gradient_flow(model, torch.randn(60, 2, 2), min_ratio=0.0)
    assert long < short


def test_packed_input_is_measured_on_its_longest_sequences():
    model = lstm(0)
    padded = long_sequence(0)[:, :3]
    packed = pack_padded_sequence(padded, torch.tensor([100, 40, 5]), enforce_sorted=False)
    with pytest.raises(RnnCheckError, match="RNN203"):
        assert_gradient_flow(model, packed)
    assert assert_gradient_flow(lstm(0, forget_bias=3.0), packed) > 1e-3


def test_model_whose_output_ignores_the_sequence_is_an_error():
    class Constant(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(2, 3)
            self.bias = nn.Parameter(torch.zeros(2))

        def forward(self, x):
            self.rnn(x)
            return self.bias * 1.0

    with pytest.raises(ValueError, match="does not depend on the input"):
        assert_gradient_flow(Constant(), torch.randn(5, 2, 2))


def test_a_long_cell_loop_is_measured_at_the_last_step_of_its_recurrence():
    """LongCellLoop stacks every step's h: over its whole output the first step's own output feels
    x_0 directly (ratio ~2); at the last step of the recurrence the ratio is ~1e-17."""
    torch.manual_seed(0)
    model = real_style_models.LongCellLoop()
    x = torch.randn(60, 3, 2, generator=torch.Generator().manual_seed(0))
    with pytest.raises(RnnCheckError, match=r"RNN203 LongCellLoop\.cell.*over 60 steps"):
        assert_gradient_flow(model, x)
    with torch.no_grad():
        model.cell.bias_ih[8:16].fill_(6.0)  # forget gates wide open: the first step is remembered
    assert assert_gradient_flow(model, x) > 1e-3
