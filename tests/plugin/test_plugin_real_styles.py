"""pytest-rnn on models written the way public repositories write them (issue 8): a verdict, never
a crash; no false alarm on correct models; no silent pass; randomness and carried state replayed."""

from __future__ import annotations

import random

import numpy as np
import pytest
import real_style_models as models
import torch
from plugin_helpers import LOAD_PLUGIN
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from pytest_rnn import (
    RnnCheckError,
    RnnUsageError,
    assert_batch_independent,
    assert_padding_invariant,
)
from pytest_rnn.full_check import RnnCheck

_CPU = RnnCheck(torch.device("cpu"))


def check(model, *inputs, **options):
    """rnn_check on the CPU, LSTM forget-gate advice (RNN201) left out: these models keep PyTorch's
    default initialisation, as the code they imitate does."""
    return _CPU(model, *inputs, forget_bias=None, **options)


def tokens(steps: int, batch: int, vocabulary: int = 13, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, vocabulary, (steps, batch), generator=torch.Generator().manual_seed(seed))


# --- crashes become verdicts ------------------------------------------------------------------------


def test_word_language_model_with_a_flattened_output_is_checked_not_crashed():
    model = models.WordLanguageModel()
    x = tokens(7, 4)
    hidden = model.init_hidden(4)
    assert_batch_independent(model, x, hidden)
    report = check(model, x, hidden)
    assert "batch-independence" in report.checks


def test_word_language_model_mixing_its_state_is_still_caught():
    class Mixing(models.WordLanguageModel):
        def forward(self, input, hidden):
            decoded, (h, c) = super().forward(input, hidden)
            return decoded, (h.view(h.size(1), -1).view_as(h) + h.mean(1, keepdim=True), c)

    model = Mixing()
    with pytest.raises(RnnCheckError) as caught:
        assert_batch_independent(model, tokens(7, 4), model.init_hidden(4))
    assert caught.value.codes == ["RNN102"]


def test_a_batch_dim_the_model_does_not_use_is_a_usage_error_not_an_index_error():
    model = models.WordLanguageModel()
    x = tokens(7, 4)
    with pytest.raises(RnnUsageError, match=r"batch_dim=0 makes a batch of 7.*pass the batch axis"):
        assert_batch_independent(model, x, model.init_hidden(4), batch_dim=0)


def test_usage_errors_hide_the_plugins_frames(pytester):
    pytester.makepyfile(
        """
        import torch
        from torch import nn
        from pytest_rnn import assert_batch_independent

        def test_it():
            assert_batch_independent(nn.GRU(2, 3), torch.randn(4, 1, 2))
        """
    )
    result = pytester.runpytest(*LOAD_PLUGIN, "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*RnnUsageError: batch independence needs at least two samples*"])
    assert "pytest_rnn/batch.py" not in result.stdout.str()
    assert "pytest_rnn/errors.py" not in result.stdout.str()


# --- state carried between calls --------------------------------------------------------------------


def test_a_stateful_model_is_not_blamed_for_its_carried_state():
    model = models.StatefulClassifier()
    x = torch.randn(3, 4, 2)
    model(x)  # a first batch: self.hidden now holds a state
    carried = model.hidden
    carried_values = [state.clone() for state in carried]
    assert_batch_independent(model, x)
    check(model, x)
    assert model.hidden is carried
    assert all(torch.equal(a, b) for a, b in zip(model.hidden, carried_values))


def test_a_stateful_model_that_mixes_samples_is_still_caught():
    model = models.StatefulClassifier(mix=True)
    x = torch.randn(3, 4, 2)
    model(x)
    with pytest.raises(RnnCheckError) as caught:
        assert_batch_independent(model, x)
    assert caught.value.codes == ["RNN102"]


def test_state_created_during_the_check_is_taken_away_again():
    model = models.StatefulClassifier()
    check(model, torch.randn(3, 4, 2))
    assert model.hidden is None


# --- randomness -------------------------------------------------------------------------------------


@pytest.mark.parametrize("use_numpy", [False, True])
def test_teacher_forcing_with_python_and_numpy_randomness_is_checkable(use_numpy):
    model = models.TeacherForcingSeq2Seq(use_numpy=use_numpy)
    generator = torch.Generator().manual_seed(1)
    source = torch.randint(0, 9, (3, 5), generator=generator)
    target = torch.randint(0, 9, (3, 6), generator=generator)
    random.seed(5)
    np.random.seed(5)
    python_before, numpy_before = random.getstate(), np.random.get_state()
    assert_batch_independent(model, source, target)
    check(model, source, target)
    assert random.getstate() == python_before
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), numpy_before))


# --- samples followed through the model's own permutations ------------------------------------------


class SortingWithoutRestoring(models.SortingEncoder):
    """Sorts by length and packs, but hands the outputs back in sorted order: rows are other samples."""

    def forward(self, sequences_batch, sequences_lengths):
        sorted_lengths, sorting_index = sequences_lengths.sort(0, descending=True)
        packed = pack_padded_sequence(sequences_batch.index_select(0, sorting_index), sorted_lengths, batch_first=True)
        outputs, _ = self._encoder(packed, None)
        return pad_packed_sequence(outputs, batch_first=True, total_length=sequences_batch.size(1))[0]


class SortingWithoutPacking(models.SortingEncoder):
    """Sorts and restores the order, but runs the padded batch unpacked: the layer reads padding."""

    def forward(self, sequences_batch, sequences_lengths):
        _, sorting_index = sequences_lengths.sort(0, descending=True)
        _, restoration_index = sorting_index.sort(0)
        outputs, _ = self._encoder(sequences_batch.index_select(0, sorting_index))
        return outputs.index_select(0, restoration_index)


def sorted_batch():
    """Four sequences (so no axis but the batch has size 4) whose lengths are far from sorted."""
    return torch.randn(4, 5, 3, generator=torch.Generator().manual_seed(3)), torch.tensor([3, 5, 2, 4])


def test_a_sorting_encoder_is_followed_through_its_permutation():
    x, lengths = sorted_batch()
    assert_batch_independent(models.SortingEncoder(), x, lengths)
    assert_padding_invariant(models.SortingEncoder(), x, lengths)
    report = check(models.SortingEncoder(), x, lengths=lengths)
    assert {"batch-independence", "padding"} <= set(report.checks)


def test_a_sorting_encoder_that_keeps_the_sorted_order_is_caught():
    x, lengths = sorted_batch()
    with pytest.raises(RnnCheckError) as caught:
        assert_batch_independent(SortingWithoutRestoring(), x, lengths)
    assert [(v.code, v.where) for v in caught.value.violations] == [("RNN102", "SortingWithoutRestoring")]
    with pytest.raises(RnnCheckError) as caught:
        assert_padding_invariant(SortingWithoutRestoring(), x, lengths)
    assert [(v.code, v.where) for v in caught.value.violations] == [("RNN105", "SortingWithoutRestoring")]


def test_a_sorting_encoder_that_runs_over_padding_is_pinned_on_its_layer():
    x, lengths = sorted_batch()
    with pytest.raises(RnnCheckError) as caught:
        assert_padding_invariant(SortingWithoutPacking(), x, lengths)
    assert ("RNN105", "SortingWithoutPacking._encoder") in [(v.code, v.where) for v in caught.value.violations]
    assert_batch_independent(SortingWithoutPacking(), x, lengths)
