"""Every fix a message gives fits the model it is about (issue 8): a module without biases is not told
to fill one, a model that packs is not told to pack, mixing before the layer is not blamed on h_n;
RnnAdvice is a pytest warning; one-unit LSTMs give no RNN202 from a random draw."""

from __future__ import annotations

import plugin_models
import pytest
import torch
from plugin_helpers import LOAD_PLUGIN
from torch import nn

from pytest_rnn import RnnAdvice, RnnCheckError, assert_batch_independent, assert_padding_invariant
from pytest_rnn.full_check import RnnCheck
from pytest_rnn.parameters import gate_slice_violations

_CPU = RnnCheck(torch.device("cpu"))


def test_rnn_advice_is_a_pytest_warning_that_filterwarnings_can_turn_into_an_error(pytester):
    assert issubclass(RnnAdvice, pytest.PytestWarning)
    pytester.makepyfile(
        """
        import torch
        from torch import nn

        def test_it(rnn_check):
            rnn_check(nn.LSTM(2, 3, batch_first=True), torch.randn(3, 4, 2))
        """
    )
    pytester.makeini("[pytest]\nfilterwarnings =\n    error::pytest.PytestWarning\n")
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN, "-p", "no:cacheprovider", "--rnn-device", "cpu")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*RnnAdvice: RNN201 LSTM: layer 0 forget-gate bias*"])


def test_an_lstm_without_biases_is_told_to_build_them_not_to_fill_them():
    with pytest.raises(RnnCheckError) as caught:
        _CPU(nn.LSTM(2, 5, bias=False, batch_first=True), torch.randn(3, 4, 2), forget_bias=1.0)
    (violation,) = caught.value.violations
    assert violation.code == "RNN201"
    assert violation.fix.startswith("build it with bias=True")


def test_a_one_unit_lstm_at_default_init_has_no_wrong_gate_slice():
    # One unit per gate: every bias block is "constant"; about 2 seeds in 3 drew a positive
    # non-forget block next to a negative forget one and were called RNN202.
    for seed in range(12):
        torch.manual_seed(seed)
        assert gate_slice_violations(nn.LSTM(2, 1, num_layers=2, bidirectional=True)) == [], seed


def test_a_model_that_packs_but_reads_out_at_minus_one_is_told_to_gather_not_to_pack():
    padded = torch.randn(3, 6, 2, generator=torch.Generator().manual_seed(0))
    with pytest.raises(RnnCheckError) as caught:
        assert_padding_invariant(plugin_models.LastStepClassifier(), padded, torch.tensor([6, 3, 2]))
    (violation,) = caught.value.violations
    assert (violation.code, violation.where) == ("RNN105", "LastStepClassifier")
    assert "pack_padded_sequence" not in violation.fix
    assert "gathered at lengths - 1" in violation.fix


def test_a_model_that_does_not_pack_is_told_to_pack():
    padded = torch.randn(3, 6, 2, generator=torch.Generator().manual_seed(0))
    with pytest.raises(RnnCheckError) as caught:
        assert_padding_invariant(plugin_models.UnpackedEncoder(), padded, torch.tensor([6, 3, 2]))
    assert any("pack_padded_sequence" in violation.fix for violation in caught.value.violations)


def test_samples_mixed_before_the_layer_are_not_blamed_on_h_n():
    class MeanCentred(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(2, 5, batch_first=True)

        def forward(self, x):
            return self.rnn(x - x.mean(dim=0, keepdim=True))[1]

    with pytest.raises(RnnCheckError) as caught:
        assert_batch_independent(MeanCentred(), torch.randn(3, 4, 2))
    (violation,) = caught.value.violations
    assert "h_n.permute" not in violation.fix
    assert "no statistic over the batch axis" in violation.fix
