"""Small leaks are found on every seed, without flaky false alarms (issue 8): batch independence and
padding invariance run a float64 copy of the model on the CPU, and every comparing assertion takes
the user's atol/rtol."""

from __future__ import annotations

import pytest
import real_style_models as models
import torch
from torch import nn

from pytest_rnn import RnnCheckError, assert_batch_independent, assert_padding_invariant
from pytest_rnn.full_check import RnnCheck

SEEDS = range(30)


def scorer_batch(seed: int) -> torch.Tensor:
    return torch.randn(3, 5, 3, generator=torch.Generator().manual_seed(seed))


def test_a_state_read_with_view_minus_one_2h_1_fails_on_every_seed():
    caught = 0
    for seed in SEEDS:
        torch.manual_seed(seed)
        with pytest.raises(RnnCheckError) as error:
            assert_batch_independent(models.ViewMixingScorer(), scorer_batch(seed))
        caught += error.value.codes == ["RNN102"]
    assert caught == len(SEEDS)


def test_the_same_scorer_reading_its_state_correctly_passes_on_every_seed():
    for seed in SEEDS:
        torch.manual_seed(seed)
        assert_batch_independent(models.ViewMixingScorer(correct=True), scorer_batch(seed))


class TinyPaddingLeak(nn.Module):
    """Reads h_n of a packed batch (right), plus 1e-4 of the last padded step's output (wrong)."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.GRU(2, 4, batch_first=True)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, h_n = self.rnn(packed)
        return h_n[-1] + 1e-4 * h_n[-1].abs().mean() * x[:, -1].sum(-1, keepdim=True)


@pytest.mark.parametrize("seed", range(5))
def test_a_padding_leak_of_1e_4_is_found(seed):
    torch.manual_seed(seed)
    x = torch.randn(3, 6, 2, generator=torch.Generator().manual_seed(seed))
    with pytest.raises(RnnCheckError, match="RNN105"):
        assert_padding_invariant(TinyPaddingLeak(), x, torch.tensor([6, 2, 4]))


def test_atol_and_rtol_are_the_users_to_loosen_and_are_quoted():
    torch.manual_seed(0)
    model, x = models.ViewMixingScorer(), scorer_batch(0)
    assert_batch_independent(model, x, atol=0.1, rtol=0.1)
    with pytest.raises(RnnCheckError, match=r"within 1\.0e-06 \+ 0\.0e\+00·\|value\|"):
        assert_batch_independent(model, x, atol=1e-6, rtol=0.0)
    lengths = torch.tensor([6, 2, 4])
    padded = torch.randn(3, 6, 2)
    assert_padding_invariant(TinyPaddingLeak(), padded, lengths, atol=1e-2, rtol=1e-2)
    RnnCheck(torch.device("cpu"))(model, x, atol=0.1, rtol=0.1)
    with pytest.raises(RnnCheckError, match="RNN102"):
        RnnCheck(torch.device("cpu"))(model, x)


class HardCodedFloat32State(nn.Module):
    """Builds its initial state as float32 whatever the input: a float64 copy cannot run it, so it
    is checked as it is."""

    def __init__(self, mix: bool = False) -> None:
        super().__init__()
        self.rnn = nn.GRU(2, 4, num_layers=2, batch_first=True)
        self.mix = mix

    def forward(self, x):
        h_0 = torch.zeros(2, x.size(0), 4, dtype=torch.float32)
        _, h_n = self.rnn(x, h_0)
        return h_n.view(x.size(0), -1) if self.mix else h_n.permute(1, 0, 2).reshape(x.size(0), -1)


def test_a_model_that_cannot_run_in_float64_is_checked_in_its_own_dtype():
    x = torch.randn(3, 5, 2)
    assert_batch_independent(HardCodedFloat32State(), x)
    with pytest.raises(RnnCheckError) as caught:
        assert_batch_independent(HardCodedFloat32State(mix=True), x)
    assert "within 3.5e-04" in str(caught.value)


def test_the_users_model_keeps_its_dtype_and_state():
    model = models.StatefulClassifier()
    x = torch.randn(3, 4, 2)
    model(x)
    carried = model.hidden
    assert_batch_independent(model, x)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert model.hidden is carried and carried[0].dtype == torch.float32
