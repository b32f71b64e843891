"""Advice is not failure (issue 8): LSTM forget-gate biases left at PyTorch's default (RNN201) are a
pytest warning from rnn_check, one line per module, and fail only when asked; a bias written into
another gate (RNN202) fails; RNN203's advice fits the module it is about."""

from __future__ import annotations

import pytest
import torch
from plugin_helpers import LOAD_PLUGIN
from torch import nn

from pytest_rnn import RnnAdvice, RnnCheckError, assert_gradient_flow
from pytest_rnn.full_check import RnnCheck

_CPU = RnnCheck(torch.device("cpu"))

TWO_LAYER_MODEL = """
import torch
from torch import nn

class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(2, 5, num_layers=2, bidirectional=True, batch_first=True)

    def forward(self, x):
        return self.lstm(x)[0]
"""


def test_default_forget_biases_are_one_warning_per_module_not_a_failure(pytester):
    pytester.makepyfile(tagger=TWO_LAYER_MODEL)
    pytester.makepyfile(
        """
        import torch
        from tagger import Tagger

        def test_it(rnn_check):
            rnn_check(Tagger(), torch.randn(3, 4, 2))
        """
    )
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN, "-p", "no:cacheprovider", "--rnn-device", "cpu")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*RnnAdvice: RNN201 Tagger.lstm: layer 0 forget-gate bias*(and 3 more layers or directions)*"]
    )
    assert result.stdout.str().count("RNN201") == 1


def test_forget_bias_fails_when_asked(pytester):
    pytester.makepyfile(tagger=TWO_LAYER_MODEL)
    pytester.makepyfile(
        """
        import torch
        from tagger import Tagger

        def test_it(rnn_check):
            rnn_check(Tagger(), torch.randn(3, 4, 2))
        """
    )
    pytester.makeini("[pytest]\nrnn_forget_bias_fails = true\n")
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN, "-p", "no:cacheprovider", "--rnn-device", "cpu")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*4 recurrent-model checks failed:*", "*RNN201 Tagger.lstm: layer 0*"])


def test_an_explicit_forget_bias_fails_and_none_is_silent():
    model = nn.LSTM(2, 5, batch_first=True)
    x = torch.randn(3, 4, 2)
    with pytest.raises(RnnCheckError, match="RNN201"):
        _CPU(model, x, forget_bias=1.0)
    with pytest.warns(RnnAdvice, match="RNN201 LSTM"):
        _CPU(model, x)
    report = _CPU(model, x, forget_bias=None)
    assert ("forget-bias", "forget_bias=None") in report.skipped


@pytest.mark.parametrize(("start", "gate"), [(0, "input"), (10, "cell"), (15, "output")])
def test_a_bias_written_into_another_gate_is_rnn202(start, gate):
    model = nn.LSTM(2, 5, batch_first=True)
    with torch.no_grad():
        model.bias_ih_l0[start : start + 5].fill_(1.0)
    with pytest.raises(RnnCheckError) as caught:
        _CPU(model, torch.randn(3, 4, 2), forget_bias=None)
    (violation,) = caught.value.violations
    assert violation.code == "RNN202"
    assert f"bias_ih_l0[{start}:{start + 5}] (the {gate} gate) is a constant 1" in violation.what


@pytest.mark.parametrize("fill", ["forget", "zero-then-forget", "everything"])
def test_biases_set_on_purpose_pass(fill):
    model = nn.LSTM(2, 5, batch_first=True)
    with torch.no_grad():
        if fill == "zero-then-forget":
            model.bias_ih_l0.zero_()
            model.bias_hh_l0.zero_()
        if fill == "everything":
            model.bias_ih_l0.fill_(1.0)
        else:
            model.bias_ih_l0[5:10].fill_(1.0)
    report = _CPU(model, torch.randn(3, 4, 2))
    assert "gate-slices" in report.checks


def _long(kind: str) -> tuple[nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    return getattr(nn, kind)(2, 8), torch.randn(200, 2, 2, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize(
    ("kind", "advice", "not_said"),
    [
        ("LSTM", "fill the forget-gate bias", "use an LSTM"),
        ("GRU", "shorten the sequence", "forget-gate"),
        ("RNN", "use an LSTM (forget-gate bias 1) or a GRU", None),
    ],
)
def test_gradient_advice_fits_the_module(kind, advice, not_said):
    model, x = _long(kind)
    with pytest.raises(RnnCheckError) as caught:
        assert_gradient_flow(model, x)
    fix = caught.value.violations[0].fix
    assert advice in fix
    if not_said:
        assert not_said not in fix


def test_an_lstm_whose_forget_gate_is_open_is_not_told_to_open_it():
    model, _ = _long("LSTM")
    with torch.no_grad():
        model.bias_ih_l0[8:16].fill_(1.0)
        model.bias_hh_l0[8:16].fill_(0.5)
    with pytest.raises(RnnCheckError) as caught:
        assert_gradient_flow(model, torch.randn(2000, 2, 2), min_ratio=0.5)
    assert caught.value.violations[0].fix.startswith("the forget-gate bias is already open")
