"""A batch of one (issue 8): rnn_check runs the first sample alone; its results must have the
batch's shapes with a batch axis of 1 (RNN108 bare squeeze, RNN107 a state built for a fixed
batch) and the values that sample had in the batch."""

from __future__ import annotations

import pytest
import real_style_models as models
import torch
from torch import nn

from pytest_rnn import RnnCheckError
from pytest_rnn.full_check import RnnCheck

_CPU = RnnCheck(torch.device("cpu"))


def check(model, *inputs, **options):
    return _CPU(model, *inputs, forget_bias=None, **options)


class SqueezedState(nn.Module):
    def __init__(self, correct: bool = False) -> None:
        super().__init__()
        self.rnn = nn.GRU(2, 4, batch_first=True)
        self.head = nn.Linear(4, 5)
        self.correct = correct

    def forward(self, x):
        _, h_n = self.rnn(x)
        return self.head(h_n.squeeze(0) if self.correct else h_n.squeeze())


class FixedBatchState(nn.Module):
    """Its initial state is built once, for the batch size it was constructed with."""

    def __init__(self, batch_size: int = 3) -> None:
        super().__init__()
        self.rnn = nn.LSTM(2, 4, batch_first=True)
        self.h_0 = torch.zeros(1, batch_size, 4)

    def forward(self, x):
        return self.rnn(x, (self.h_0, self.h_0))[1][0][-1]


def batch() -> torch.Tensor:
    return torch.randn(3, 5, 2, generator=torch.Generator().manual_seed(0))


def test_a_bare_squeeze_is_rnn108():
    with pytest.raises(RnnCheckError) as caught:
        check(SqueezedState(), batch())
    (violation,) = caught.value.violations
    assert (violation.code, violation.where) == ("RNN108", "SqueezedState")
    assert (violation.expected, violation.got) == ("(1, 5)", "(5,)")
    assert "batch-of-one" in check(SqueezedState(correct=True), batch()).checks


def test_a_state_built_for_a_fixed_batch_is_rnn107():
    with pytest.raises(RnnCheckError) as caught:
        check(FixedBatchState(), batch())
    assert [(v.code, v.where) for v in caught.value.violations] == [("RNN107", "FixedBatchState.rnn")] * 2
    assert caught.value.violations[0].what.startswith("with a batch of one sample: h_0")


def test_a_sample_whose_value_changes_alone_is_caught():
    class SizeDependent(nn.Module):
        """Scales its result by whether the batch has one sample: invisible to batch independence."""

        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(2, 4, batch_first=True)

        def forward(self, x):
            _, h_n = self.rnn(x)
            return h_n[-1] * (1.0 + 1e-3 * (x.size(0) == 1))

    with pytest.raises(RnnCheckError) as caught:
        check(SizeDependent(), batch())
    (violation,) = caught.value.violations
    assert violation.code == "RNN102"
    assert "run alone differs from its value in the batch" in violation.what


@pytest.mark.parametrize(
    ("model", "inputs", "options"),
    [
        (models.WordLanguageModel(), (torch.randint(0, 13, (7, 4)), models.WordLanguageModel().init_hidden(4)), {}),
        (models.StatefulClassifier(), (torch.randn(3, 4, 2),), {}),
        (models.SortingEncoder(), (torch.randn(4, 5, 3),), {"lengths": torch.tensor([3, 5, 2, 4])}),
        (models.WeightDropClassifier(), (torch.randn(3, 4, 2),), {}),
    ],
    ids=["carried-hidden-argument", "stateful", "sorting-with-lengths", "weight-drop"],
)
def test_correct_models_pass_a_batch_of_one(model, inputs, options):
    assert "batch-of-one" in check(model, *inputs, **options).checks


def test_lengths_passed_as_an_argument_let_a_per_step_output_stop_at_the_sample():
    x, lengths = torch.randn(4, 5, 3), torch.tensor([3, 5, 2, 4])
    assert "batch-of-one" in check(models.SortingEncoder(), x, lengths).checks


def test_a_one_unit_lstm_is_not_read_as_a_constant_bias():
    for seed in range(5):
        torch.manual_seed(seed)
        check(nn.LSTM(2, 1, batch_first=True), batch())
