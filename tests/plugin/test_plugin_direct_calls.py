"""No silent pass (issue 8): a recurrent module called through ``module.forward(...)`` is checked
like any other, and one the model's forward never runs fails (RNN406) unless declared unused."""

from __future__ import annotations

import pytest
import real_style_models as models
import torch
from plugin_helpers import LOAD_PLUGIN
from torch import nn

from pytest_rnn import RnnCheckError, RnnUsageError, assert_batch_independent, assert_gradient_flow
from pytest_rnn.full_check import RnnCheck
from pytest_rnn.probe import Probe

_CPU = RnnCheck(torch.device("cpu"))


def check(model, *inputs, **options):
    return _CPU(model, *inputs, forget_bias=None, **options)


def batch() -> torch.Tensor:
    return torch.randn(3, 4, 2, generator=torch.Generator().manual_seed(0))


def test_a_weight_drop_wrapped_lstm_is_observed_and_checked():
    report = check(models.WeightDropClassifier(), batch())
    assert "batch-independence" in report.checks
    assert report["rnn.module"].calls[0]["h_n"] == "(2, 3, 5)"


def test_a_weight_drop_model_that_mixes_samples_fails():
    with pytest.raises(RnnCheckError) as caught:
        check(models.WeightDropClassifier(mix=True), batch())
    assert caught.value.codes == ["RNN102"]
    with pytest.raises(RnnCheckError, match="RNN102"):
        assert_batch_independent(models.WeightDropClassifier(mix=True), batch())


def test_gradient_flow_is_measured_through_a_direct_forward_call():
    ratio = assert_gradient_flow(models.WeightDropClassifier(), batch(), min_ratio=0.0)
    assert 0.0 < ratio < float("inf")


def test_hooks_fire_once_per_call_and_forward_is_put_back():
    model = models.WeightDropClassifier()
    lstm = model.rnn.module
    with Probe(model) as probe:
        model(batch())
        lstm(batch())  # through __call__: the module hooks, not the patch, see it
    assert len(probe.calls) == 2
    assert "forward" not in vars(lstm)
    assert lstm.forward.__func__ is nn.LSTM.forward


def test_a_users_own_forward_attribute_survives():
    model = models.WeightDropClassifier()
    lstm = model.rnn.module
    original = lstm.forward
    lstm.forward = lambda *args: original(*args)  # a user's instance-level patch
    own = lstm.forward
    check(model, batch())
    assert lstm.forward is own


def test_a_recurrent_module_forward_never_runs_fails_with_its_name():
    with pytest.raises(RnnCheckError) as caught:
        check(models.WithUnusedDecoder(), batch())
    (violation,) = caught.value.violations
    assert (violation.code, violation.where) == ("RNN406", "WithUnusedDecoder.decoder")


@pytest.mark.parametrize("unused", [["decoder"], ["WithUnusedDecoder.decoder"], True])
def test_declared_unused_is_a_skip_with_the_reason(unused):
    report = check(models.WithUnusedDecoder(), batch(), unused=unused)
    assert ("WithUnusedDecoder.decoder", "not called by forward (declared unused)") in report.skipped
    assert "skipped WithUnusedDecoder.decoder: not called by forward" in str(report)


def test_unused_naming_no_module_is_a_usage_error():
    with pytest.raises(RnnUsageError, match=r"unused= names \['decodr'\]"):
        check(models.WithUnusedDecoder(), batch(), unused=["decodr"])


def test_a_model_that_calls_no_recurrent_module_is_a_usage_error_not_a_pass():
    class Bypass(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(2, 3)

        def forward(self, x):
            return x * 2

    with pytest.raises(RnnUsageError, match="called no recurrent submodule"):
        check(Bypass(), batch(), unused=True)


def test_ini_rnn_allow_unused(pytester):
    pytester.makeini("[pytest]\nrnn_allow_unused = true\n")
    pytester.makepyfile(
        """
        import torch
        from torch import nn

        class WithUnusedDecoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = nn.GRU(2, 5, batch_first=True)
                self.decoder = nn.GRU(5, 5, batch_first=True)

            def forward(self, x):
                return self.encoder(x)[0]

        def test_it(rnn_check):
            report = rnn_check(WithUnusedDecoder(), torch.randn(3, 4, 2))
            assert ("WithUnusedDecoder.decoder", "not called by forward (declared unused)") in report.skipped
        """
    )
    result = pytester.runpytest(*LOAD_PLUGIN, "-p", "no:cacheprovider", "--rnn-device", "cpu")
    result.assert_outcomes(passed=1)
