"""The tutorial-style bugs rnn-lint flags fail here too, when they change what the model computes,
with the same rule code — and PyTorch's own RuntimeError never reaches the user first."""

from __future__ import annotations

import plugin_models
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from pytest_rnn import (
    RnnCheckError,
    assert_batch_independent,
    assert_padding_invariant,
    assert_rnn_shapes,
)

BATCH, STEPS, FEATURES = 3, 4, 2


def batch(seed: int = 0) -> torch.Tensor:
    return torch.randn(BATCH, STEPS, FEATURES, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(("kind", "layers", "bidirectional"), [("GRU", 2, False), ("LSTM", 1, True), ("RNN", 2, True)])
def test_state_flattened_with_view_mixes_samples(kind, layers, bidirectional):
    model = plugin_models.FlattenClassifier(kind, num_layers=layers, bidirectional=bidirectional)
    with pytest.raises(RnnCheckError) as caught:
        assert_batch_independent(model, batch())
    assert caught.value.codes == ["RNN102"]
    message = str(caught.value)
    assert "RNN102 FlattenClassifier: output for sample 0 moved" in message
    assert "recurrent layers' own outputs did not" in message
    assert "h_n.permute(1, 0, 2).reshape(B, -1)" in message  # the contract's fix


def test_mixing_before_the_layer_is_pinned_on_the_layer():
    class MeanCentred(nn.Module):
        """Subtracts the batch mean before the GRU: each sample's input depends on the others."""

        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(FEATURES, 5, batch_first=True)

        def forward(self, x):
            return self.rnn(x - x.mean(dim=0, keepdim=True))[1]

    with pytest.raises(RnnCheckError) as caught:
        assert_batch_independent(MeanCentred(), batch())
    (violation,) = caught.value.violations
    assert (violation.code, violation.where) == ("RNN102", "MeanCentred.rnn")
    assert "input or initial state already mixes samples" in violation.what


def test_seq_first_model_mixing_is_found_on_axis_1():
    model = plugin_models.FlattenClassifier("LSTM", num_layers=2, batch_first=False)
    x = torch.randn(STEPS, BATCH, FEATURES)
    with pytest.raises(RnnCheckError, match="RNN102"):
        assert_batch_independent(model, x)


def test_reading_the_last_padded_step_leaks_padding():
    lengths = torch.tensor([STEPS, 2, 3])
    with pytest.raises(RnnCheckError) as caught:
        assert_padding_invariant(plugin_models.LastStepClassifier(), batch(), lengths)
    (violation,) = caught.value.violations
    assert violation.code == "RNN105"
    assert violation.where == "LastStepClassifier"
    assert "samples 1 (length 2 of 4), 2 (length 3 of 4)" in violation.what
    assert "out[:, -1]" in violation.what
    assert_padding_invariant(plugin_models.LastStepClassifier(correct=True), batch(), lengths)


def test_unpacked_padded_batch_is_pinned_on_the_layer():
    lengths = torch.tensor([STEPS, 1, 2])
    with pytest.raises(RnnCheckError) as caught:
        assert_padding_invariant(plugin_models.UnpackedEncoder(), batch(), lengths)
    codes_and_places = [(v.code, v.where) for v in caught.value.violations]
    assert codes_and_places[0] == ("RNN105", "UnpackedEncoder.rnn")
    assert "ran over the padded steps" in caught.value.violations[0].what


def test_lengths_longer_than_the_batch_are_reported_before_running():
    calls = []

    class Recorder(plugin_models.PackedEncoder):
        def forward(self, padded, lengths):
            calls.append(lengths)
            return super().forward(padded, lengths)

    with pytest.raises(RnnCheckError) as caught:
        assert_padding_invariant(Recorder(), batch(), torch.tensor([STEPS + 2, 2, 1]))
    assert caught.value.codes == ["RNN106"]
    assert "every length ≤ T = 4, got max 6" in str(caught.value)
    assert calls == []


def test_wrong_number_of_lengths_and_empty_sequences():
    with pytest.raises(RnnCheckError) as caught:
        assert_padding_invariant(plugin_models.PackedEncoder(), batch(), [2, 0], batch_first=True)
    assert caught.value.codes == ["RNN106", "RNN106"]


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_batch_major_initial_state_is_rnn103_not_runtime_error(kind):
    model = plugin_models.InitialStateModel(batch_major=True, kind=kind)
    with pytest.raises(RnnCheckError) as caught:
        assert_rnn_shapes(model, batch())
    assert set(caught.value.codes) == {"RNN103"}
    first = caught.value.violations[0]
    assert first.where == "InitialStateModel.rnn"
    assert first.expected == "(2, 3, 5)" and first.got == "(3, 2, 5)"
    # Without the plugin, PyTorch's error names no rule and no fix:
    with pytest.raises(RuntimeError, match="Expected hidden"):
        model(batch())


def test_every_check_reports_rnn103_first():
    model = plugin_models.InitialStateModel(batch_major=True)
    for check in (assert_rnn_shapes, assert_batch_independent):
        with pytest.raises(RnnCheckError, match="RNN103"):
            check(model, batch())


def test_other_shape_mistakes_are_rnn107():
    model = nn.GRU(FEATURES, 5, num_layers=2)
    with pytest.raises(RnnCheckError) as caught:
        assert_rnn_shapes(model, torch.randn(STEPS, BATCH, FEATURES), torch.zeros(2, BATCH, 6))
    assert caught.value.codes == ["RNN107"]
    with pytest.raises(RnnCheckError, match="RNN107 GRU: the input's last axis is not input_size"):
        assert_rnn_shapes(model, torch.randn(STEPS, BATCH, FEATURES + 1))
    with pytest.raises(RnnCheckError, match=r"an nn\.LSTM state is the pair"):
        assert_rnn_shapes(nn.LSTM(FEATURES, 5), torch.randn(STEPS, BATCH, FEATURES), torch.zeros(1, BATCH, 5))


def test_packed_sequence_with_lengths_past_the_batch_is_rnn106():
    """pack_padded_sequence accepts lengths longer than T; the layer then fails obscurely."""
    packed = pack_padded_sequence(torch.randn(STEPS, 2, FEATURES), torch.tensor([STEPS + 3, 2]))
    with pytest.raises(RnnCheckError) as caught:
        assert_rnn_shapes(nn.GRU(FEATURES, 5), packed)
    assert caught.value.codes == ["RNN106"]


def test_custom_subclass_returning_wrong_shapes_is_caught_after_the_call():
    class Squeezed(nn.GRU):
        def forward(self, x, hx=None):
            output, h = super().forward(x, hx)
            return output, h.squeeze(0)

    with pytest.raises(RnnCheckError) as caught:
        assert_rnn_shapes(Squeezed(FEATURES, 5), torch.randn(STEPS, BATCH, FEATURES))
    (violation,) = caught.value.violations
    assert violation.code == "RNN107" and "h_n does not match" in violation.what
