"""``assert_stateful_equivalence`` on the ways models carry their state (issue 8): returned or kept in
``self.hidden``, seq-first or batch-first, flattened outputs — and the ways they drop it: a state
reset on every call, handed back transposed or with h and c swapped. Messages name the first chunk
and time step that differs."""

from __future__ import annotations

import pytest
import real_style_models as models
import torch
from plugin_helpers import LOAD_PLUGIN
from torch import nn

from pytest_rnn import RnnCheckError, RnnUsageError, assert_stateful_equivalence


class ResetsItsAttribute(models.StatefulClassifier):
    """Keeps ``self.hidden`` but starts every call from zeros: nothing is carried."""

    def forward(self, x):
        self.hidden = None
        return super().forward(x)


class PerStepStateful(nn.Module):
    """Batch-first, keeps ``self.hidden``, returns a per-step output flattened batch-major
    (``out.reshape(-1, H)``, rows b·T + t)."""

    def __init__(self, reset: bool = False) -> None:
        super().__init__()
        self.rnn = nn.GRU(3, 4, batch_first=True)
        self.hidden = None
        self.reset = reset

    def forward(self, x):
        if self.reset:
            self.hidden = None
        out, self.hidden = self.rnn(x, self.hidden)
        self.hidden = self.hidden.detach()
        return out.reshape(-1, 4)


class SwapsHAndC(models.WordLanguageModel):
    """Hands back ``(c_n, h_n)``: the LSTM reads the cell state as the hidden state next time."""

    def forward(self, input, hidden):
        output, (h, c) = super().forward(input, hidden)
        return output, (c, h)


class TransposesItsState(nn.Module):
    """Takes the state batch-major (B, L, H) and hands back PyTorch's (L, B, H) untransposed."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.GRU(3, 4, num_layers=2)

    def forward(self, x, hidden):
        out, h_n = self.rnn(x, hidden.transpose(0, 1).contiguous())
        return out, h_n


class ChannelsFirst(nn.Module):
    """Takes (B, F, T) and permutes to batch-first inside: the time axis cannot be inferred."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(3, 4, batch_first=True)

    def forward(self, x, state=None):
        return self.rnn(x.permute(0, 2, 1), state)


def _tokens() -> torch.Tensor:
    return torch.randint(0, 13, (12, 4), generator=torch.Generator().manual_seed(0))


def _series(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("chunks", [2, 3])
def test_a_state_kept_in_self_hidden_is_found_and_carried(chunks):
    model = models.StatefulClassifier()
    assert_stateful_equivalence(model, _series(3, 9, 2), chunks=chunks)
    assert_stateful_equivalence(model, _series(3, 9, 2), chunks=chunks, state_attr="hidden")
    assert model.hidden is None  # the model is left as it was found


def test_a_flattened_batch_first_output_is_put_back_together_per_sample():
    assert_stateful_equivalence(PerStepStateful(), _series(2, 10, 3), chunks=3)
    assert_stateful_equivalence(nn.GRU(3, 4, batch_first=True), _series(2, 10, 3), chunks=4)


def test_chunks_that_do_not_divide_the_sequence_differ_by_one_step():
    assert_stateful_equivalence(nn.LSTM(3, 4), _series(10, 2, 3), chunks=3)


def test_a_state_reset_in_forward_is_rnn402_naming_the_attribute():
    with pytest.raises(RnnCheckError) as caught:
        assert_stateful_equivalence(ResetsItsAttribute(), _series(3, 9, 2), chunks=3)
    assert set(caught.value.codes) == {"RNN402"}
    first = caught.value.violations[0]
    assert "ResetsItsAttribute.hidden" in first.what
    assert "last chunk" in first.what
    assert "detach" not in first.fix  # the catalogue's RNN402 fix is about stale graphs, not this
    assert first.fix.startswith("start each call from ResetsItsAttribute.hidden")


def test_the_first_differing_chunk_and_step_are_named():
    with pytest.raises(RnnCheckError) as caught:
        assert_stateful_equivalence(PerStepStateful(reset=True), _series(2, 12, 3), chunks=3)
    output = caught.value.violations[0]
    assert "from chunk 2 of 3 on (time step 4 of 12)" in output.what
    assert output.got.startswith("max |Δ|")
    assert any("final state" in violation.what for violation in caught.value.violations)


def test_a_word_language_model_that_resets_is_located_in_its_flattened_output():
    class Resets(models.WordLanguageModel):
        def forward(self, input, hidden):
            return super().forward(input, None)

    model = Resets()
    with pytest.raises(RnnCheckError) as caught:
        assert_stateful_equivalence(model, _tokens(), model.init_hidden(4), chunks=3)
    assert "from chunk 2 of 3 on (time step 4 of 12)" in caught.value.violations[0].what


def test_h_and_c_handed_back_swapped_are_rnn402():
    model = SwapsHAndC()
    with pytest.raises(RnnCheckError) as caught:
        assert_stateful_equivalence(model, _tokens(), model.init_hidden(4), chunks=2)
    assert set(caught.value.codes) == {"RNN402"}
    assert "(h_n, c_n) in that order" in caught.value.violations[0].fix


def test_a_transposed_state_is_rnn402_whether_or_not_its_shape_fits():
    square = torch.zeros(2, 2, 4)  # batch 2, two layers: the transposed state still fits
    with pytest.raises(RnnCheckError) as caught:
        assert_stateful_equivalence(TransposesItsState(), _series(8, 2, 3), square, chunks=2)
    assert set(caught.value.codes) == {"RNN402"}
    with pytest.raises(RnnCheckError) as caught:
        assert_stateful_equivalence(TransposesItsState(), _series(8, 3, 3), torch.zeros(3, 2, 4), chunks=2)
    (violation,) = caught.value.violations
    assert violation.code == "RNN402"
    assert "chunk 2 of 2 fails when given the state it returned after chunk 1" in violation.what
    assert violation.got.startswith("RuntimeError")


def test_detaching_the_state_changes_no_value():
    class Detaches(models.WordLanguageModel):
        def forward(self, input, hidden):
            output, hidden = super().forward(input, hidden)
            return output, tuple(h.detach() for h in hidden)

    model = Detaches()
    assert_stateful_equivalence(model, _tokens(), model.init_hidden(4), chunks=4)


def test_time_dim_is_asked_for_when_it_cannot_be_inferred():
    x = _series(2, 3, 9)  # (B, F, T)
    with pytest.raises(RnnUsageError, match="pass time_dim="):
        assert_stateful_equivalence(ChannelsFirst(), _series(2, 3, 3), chunks=3)
    assert_stateful_equivalence(ChannelsFirst(), x, chunks=3, time_dim=2)


def test_usage_errors_say_what_to_pass():
    class Forgetful(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(3, 5)

        def forward(self, x):
            return self.rnn(x)[0][-1]

    with pytest.raises(RnnUsageError, match="keep its state in an attribute"):
        assert_stateful_equivalence(Forgetful(), _series(6, 2, 3))
    with pytest.raises(RnnUsageError, match="cannot be cut into 7 chunks"):
        assert_stateful_equivalence(nn.GRU(3, 5), _series(6, 2, 3), chunks=7)
    with pytest.raises(RnnUsageError, match="has no attribute 'state'"):
        assert_stateful_equivalence(models.StatefulClassifier(), _series(3, 9, 2), state_attr="state")
    with pytest.raises(RnnUsageError, match=r"set model\.hidden to the initial state"):
        assert_stateful_equivalence(models.StatefulClassifier(), _series(3, 9, 2), (1, 2), state_attr="hidden")


def test_a_stateful_failure_reads_cleanly_in_pytest(pytester):
    pytester.makepyfile(
        """
        import torch
        from torch import nn
        from pytest_rnn import assert_stateful_equivalence

        class Stateful(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.LSTM(2, 3, batch_first=True)
                self.hidden = None

            def forward(self, x):
                out, hidden = self.rnn(x)  # the kept state is never read
                self.hidden = hidden
                return out

        def test_stream():
            assert_stateful_equivalence(Stateful(), torch.randn(2, 6, 2), chunks=3)
        """
    )
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN, "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*RNN402 Stateful: output run in 3 chunks, each from the state it kept in Stateful.hidden after the "
            "previous one, differs from the whole sequence run at once from chunk 2 of 3 on (time step 2 of 6)*",
        ]
    )
    assert "torch/nn/modules" not in result.stdout.str()


def test_a_model_that_cannot_start_without_a_state_is_told_to_get_one():
    class NeedsLengths(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(3, 4)

        def forward(self, x, lengths):
            return self.rnn(x[: int(lengths.max())])

    with pytest.raises(RnnUsageError, match=r"NeedsLengths\(x, None\) raised AttributeError.*pass the initial state"):
        assert_stateful_equivalence(NeedsLengths(), _series(6, 2, 3))

    class UnpacksAPair(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(3, 4)

        def forward(self, x, hidden):
            h, c = hidden
            return self.rnn(x, (h, c))

    with pytest.raises(RnnUsageError, match=r"cannot run the whole sequence \(6, 2, 3\): ValueError"):
        assert_stateful_equivalence(UnpacksAPair(), _series(6, 2, 3), torch.zeros(1, 2, 4))  # h alone
    with pytest.raises(RnnCheckError, match="RNN107 GRU: h_0 does not match"):
        assert_stateful_equivalence(nn.GRU(3, 4), _series(6, 2, 3), torch.zeros(1, 5, 4))


def test_an_initial_state_set_in_the_attribute_starts_both_runs_and_is_put_back():
    model = models.StatefulClassifier()
    start = (_series(2, 3, 5), _series(2, 3, 5) * 0.5)
    model.hidden = start
    assert_stateful_equivalence(model, _series(3, 9, 2), chunks=3)
    assert model.hidden is start
    assert torch.equal(model.hidden[0], _series(2, 3, 5))
