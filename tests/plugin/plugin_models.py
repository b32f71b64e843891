"""Small recurrent models for the plugin's tests: plain configurations, and the tutorial bugs the
linter flags, each next to its corrected twin. Kept tiny (sizes under 10, a handful of steps) so the
whole suite stays fast on two CPU cores."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="pytest-rnn's checks run models: they need torch")

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

LAYERS = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
CELLS = {"RNNCell": nn.RNNCell, "LSTMCell": nn.LSTMCell, "GRUCell": nn.GRUCell}


def open_forget_gates(module: nn.Module, value: float = 1.0) -> nn.Module:
    """Fill bias_ih[H:2H] of every LSTM/LSTMCell with ``value``: the idiom RNN201 asks for."""
    with torch.no_grad():
        for sub in module.modules():
            if isinstance(sub, (nn.LSTM, nn.LSTMCell)):
                hidden = sub.hidden_size
                for name, parameter in sub.named_parameters():
                    if name.startswith("bias_ih"):
                        parameter[hidden : 2 * hidden].fill_(value)
    return module


def layer(kind: str, input_size: int = 2, hidden_size: int = 5, **config) -> nn.Module:
    return open_forget_gates(LAYERS[kind](input_size, hidden_size, **config))


class PackedEncoder(nn.Module):
    """The right way to run a padded batch: pack with lengths, unpack, return per-step output and h_n."""

    def __init__(self, kind: str = "LSTM", batch_first: bool = True, **config) -> None:
        super().__init__()
        self.batch_first = batch_first
        self.rnn = layer(kind, batch_first=batch_first, **config)

    def forward(self, padded: torch.Tensor, lengths: torch.Tensor):
        packed = pack_padded_sequence(padded, lengths.cpu(), batch_first=self.batch_first, enforce_sorted=False)
        output, state = self.rnn(packed)
        output, _ = pad_packed_sequence(output, batch_first=self.batch_first)
        h_n = state[0] if isinstance(state, tuple) else state
        return output, h_n


class FlattenClassifier(nn.Module):
    """Classifies from the final state. ``correct=False`` flattens h_n with ``view(B, -1)``,
    which mixes samples whenever num_layers * directions > 1 (RNN102)."""

    def __init__(
        self,
        kind: str = "GRU",
        num_layers: int = 2,
        bidirectional: bool = False,
        correct: bool = False,
        batch_first: bool = True,
    ) -> None:
        super().__init__()
        self.correct = correct
        self.rnn = layer(kind, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
        self.batch_axis = 0 if batch_first else 1
        self.head = nn.Linear(num_layers * (2 if bidirectional else 1) * 5, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, state = self.rnn(x)
        h_n = state[0] if isinstance(state, tuple) else state
        batch = x.size(self.batch_axis)
        flat = h_n.permute(1, 0, 2).reshape(batch, -1) if self.correct else h_n.view(batch, -1)
        return self.head(flat)


class LastStepClassifier(nn.Module):
    """Classifies a padded batch from its last step. ``correct=False`` reads ``out[:, -1]``, which is
    padding for every sequence shorter than the batch (RNN105); the fix gathers at lengths - 1."""

    def __init__(self, correct: bool = False) -> None:
        super().__init__()
        self.correct = correct
        self.rnn = layer("LSTM", batch_first=True)
        self.head = nn.Linear(5, 2)

    def forward(self, padded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(padded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        output, _ = self.rnn(packed)
        output, _ = pad_packed_sequence(output, batch_first=True)
        if not self.correct:
            return self.head(output[:, -1])
        return self.head(output[torch.arange(output.size(0)), lengths.to(output.device) - 1])


class UnpackedEncoder(nn.Module):
    """Runs the padded batch through the layer without packing: h_n has seen the padding (RNN105)."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = layer("GRU", batch_first=True)

    def forward(self, padded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        _, h_n = self.rnn(padded)
        return h_n[-1]


class InitialStateModel(nn.Module):
    """Builds its own zero initial state. ``batch_major=True`` makes it (B, L, H), the RNN103 bug of
    code that takes batch_first to apply to states too."""

    def __init__(self, batch_major: bool = False, kind: str = "LSTM") -> None:
        super().__init__()
        self.batch_major = batch_major
        self.rnn = layer(kind, num_layers=2, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.size(0)
        shape = (batch, 2, 5) if self.batch_major else (2, batch, 5)
        h_0 = torch.zeros(shape, dtype=x.dtype, device=x.device)
        state = (h_0, torch.zeros_like(h_0)) if isinstance(self.rnn, nn.LSTM) else h_0
        output, _ = self.rnn(x, state)
        return output


class CellLoop(nn.Module):
    """Steps a cell over a (T, B, I) sequence in Python, as custom decoders do."""

    def __init__(self, kind: str = "LSTMCell", input_size: int = 2, hidden_size: int = 5) -> None:
        super().__init__()
        self.cell = open_forget_gates(CELLS[kind](input_size, hidden_size))
        self.lstm = kind == "LSTMCell"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.new_zeros(x.size(1), self.cell.hidden_size)
        state = (h, h.clone()) if self.lstm else h
        outputs = []
        for step in x:
            state = self.cell(step, state)
            outputs.append(state[0] if self.lstm else state)
        return torch.stack(outputs)


class TokenTagger(nn.Module):
    """Token ids in, one tag distribution per step out (an embedding in front of the LSTM)."""

    def __init__(self, vocabulary: int = 11) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocabulary, 4)
        self.rnn = layer("LSTM", input_size=4, batch_first=True, num_layers=2, dropout=0.5)
        self.drop = nn.Dropout(0.3)
        self.tags = nn.Linear(5, 3)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(self.embed(tokens))
        return self.tags(self.drop(output))
