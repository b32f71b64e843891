"""``assert_stateful_equivalence`` (issue 8, RNN402's runtime twin): a sequence run in chunks, each
call continuing from the state the previous returned, gives what it gives whole."""

from __future__ import annotations

import pytest
import real_style_models as models
import torch
from torch import nn

from pytest_rnn import RnnCheckError, RnnUsageError, assert_stateful_equivalence


class ResetsItsState(models.WordLanguageModel):
    """Ignores the state it is given: every chunk starts from zeros."""

    def forward(self, input, hidden):
        return super().forward(input, None)


class ReturnsItsInitialState(models.WordLanguageModel):
    """Hands back the state it was given instead of the one the LSTM returned."""

    def forward(self, input, hidden):
        output, _ = super().forward(input, hidden)
        return output, hidden


def tokens() -> torch.Tensor:
    return torch.randint(0, 13, (12, 4), generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("chunks", [2, 3, 5])
def test_a_word_language_model_continues_its_state(chunks):
    model = models.WordLanguageModel()
    assert_stateful_equivalence(model, tokens(), model.init_hidden(4), chunks=chunks)


@pytest.mark.parametrize(
    "layer", [nn.LSTM(3, 5), nn.GRU(3, 5, num_layers=2, batch_first=True), nn.RNN(3, 5, bidirectional=False)]
)
def test_bare_layers_continue_their_state(layer):
    x = torch.randn(2, 9, 3) if layer.batch_first else torch.randn(9, 2, 3)
    assert_stateful_equivalence(layer, x, chunks=3)


@pytest.mark.parametrize("model_class", [ResetsItsState, ReturnsItsInitialState])
def test_a_state_not_carried_is_rnn402(model_class):
    model = model_class()
    with pytest.raises(RnnCheckError) as caught:
        assert_stateful_equivalence(model, tokens(), model.init_hidden(4), chunks=3)
    assert set(caught.value.codes) == {"RNN402"}
    assert "run in 3 chunks" in caught.value.violations[0].what


def test_a_model_that_does_not_return_its_state_is_a_usage_error():
    class Classifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(3, 5)

        def forward(self, x, state=None):
            return self.rnn(x, state)[0][-1]

    with pytest.raises(RnnUsageError, match=r"must return \(output, state\)"):
        assert_stateful_equivalence(Classifier(), torch.randn(6, 2, 3))
    with pytest.raises(RnnUsageError, match="chunks must be at least 2"):
        assert_stateful_equivalence(nn.GRU(3, 5), torch.randn(6, 2, 3), chunks=1)
