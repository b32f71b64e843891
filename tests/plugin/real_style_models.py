"""Small recurrent models written the way public repositories write them — the styles that made
pytest-rnn crash, raise false alarms or pass silently (issue 8). Each keeps the shape of the code
it imitates (the names in the docstrings), at sizes that keep the suite fast on two cores."""

from __future__ import annotations

import random

import pytest

pytest.importorskip("torch", reason="pytest-rnn's checks run models: they need torch")

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class WordLanguageModel(nn.Module):
    """pytorch/examples word_language_model ``RNNModel``: seq-first tokens and a carried hidden
    state in, ``(decoded.view(-1, ntoken), hidden)`` out — a flattened (T*B, ntoken) tensor next to
    a batched state."""

    def __init__(self, ntoken: int = 13, ninp: int = 6, nhid: int = 5, nlayers: int = 2) -> None:
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=0.2)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nhid, self.nlayers = nhid, nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz: int):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


class SortingEncoder(nn.Module):
    """ESIM's ``Seq2SeqEncoder``: sort the batch by length, pack with ``enforce_sorted=True`` (the
    default), run, unpack and restore the original order."""

    def __init__(self, input_size: int = 3, hidden_size: int = 4, bidirectional: bool = True) -> None:
        super().__init__()
        self._encoder = nn.LSTM(input_size, hidden_size, batch_first=True, bidirectional=bidirectional)

    def forward(self, sequences_batch, sequences_lengths):
        sorted_lengths, sorting_index = sequences_lengths.sort(0, descending=True)
        sorted_batch = sequences_batch.index_select(0, sorting_index)
        _, restoration_index = sorting_index.sort(0)
        packed_batch = pack_padded_sequence(sorted_batch, sorted_lengths.cpu(), batch_first=True)
        outputs, _ = self._encoder(packed_batch, None)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True)
        return outputs.index_select(0, restoration_index)


class StatefulClassifier(nn.Module):
    """Keeps its LSTM state in ``self.hidden`` between calls (detached), as stateful tutorials do."""

    def __init__(self, input_size: int = 2, hidden_size: int = 5, mix: bool = False) -> None:
        super().__init__()
        self.rnn = nn.LSTM(input_size, hidden_size, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden_size if not mix else 2 * hidden_size, 2)
        self.hidden = None
        self.mix = mix

    def forward(self, x):
        if self.hidden is None or self.hidden[0].size(1) != x.size(0):
            self.hidden = (x.new_zeros(2, x.size(0), 5), x.new_zeros(2, x.size(0), 5))
        out, hidden = self.rnn(x, self.hidden)
        self.hidden = tuple(state.detach() for state in hidden)
        if self.mix:
            return self.head(hidden[0].view(x.size(0), -1))
        return self.head(out[:, -1])


class WeightDrop(nn.Module):
    """AWD-LSTM's ``WeightDrop``: calls the wrapped module's ``forward`` directly, so no module
    hook of the LSTM fires."""

    def __init__(self, module: nn.Module, dropout: float = 0.5) -> None:
        super().__init__()
        self.module = module
        self.dropout = dropout

    def forward(self, *args):
        return self.module.forward(*args)


class WeightDropClassifier(nn.Module):
    """A classifier around a ``WeightDrop``-wrapped LSTM; ``mix=True`` flattens h_n with
    ``view(B, -1)`` (RNN102)."""

    def __init__(self, mix: bool = False) -> None:
        super().__init__()
        self.rnn = WeightDrop(nn.LSTM(2, 5, num_layers=2, batch_first=True))
        self.head = nn.Linear(10, 2)
        self.mix = mix

    def forward(self, x):
        _, (h_n, _) = self.rnn(x)
        flat = h_n.view(x.size(0), -1) if self.mix else h_n.permute(1, 0, 2).reshape(x.size(0), -1)
        return self.head(flat)


class WithUnusedDecoder(nn.Module):
    """An encoder used in ``forward`` and a decoder only ``generate`` uses."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.GRU(2, 5, batch_first=True)
        self.decoder = nn.GRU(5, 5, batch_first=True)

    def forward(self, x):
        return self.encoder(x)[0]


class LongCellLoop(nn.Module):
    """An LSTMCell stepped over a (T, B, I) sequence, every step's h stacked: PyTorch's default
    initialisation forgets the first steps long before the last."""

    def __init__(self, input_size: int = 2, hidden_size: int = 8) -> None:
        super().__init__()
        self.cell = nn.LSTMCell(input_size, hidden_size)

    def forward(self, x):
        h = x.new_zeros(x.size(1), self.cell.hidden_size)
        c = h.clone()
        outputs = []
        for step in x:
            h, c = self.cell(step, (h, c))
            outputs.append(h)
        return torch.stack(outputs)


class ViewMixingScorer(nn.Module):
    """A bidirectional GRU whose final state is reshaped with ``h_n.view(-1, 2 * H, 1)`` — a
    (2, B, H) state read as (B, 2H, 1) mixes samples — then scored into near-uniform probabilities,
    so the leak is small in absolute terms."""

    def __init__(self, hidden_size: int = 6, correct: bool = False) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.rnn = nn.GRU(3, hidden_size, batch_first=True, bidirectional=True)
        self.query = nn.Parameter(torch.full((1, 1, 2 * hidden_size), 0.01))
        self.correct = correct

    def forward(self, x):
        _, h_n = self.rnn(x)
        if self.correct:
            h = h_n.permute(1, 0, 2).reshape(-1, 2 * self.hidden_size, 1)
        else:
            h = h_n.view(-1, 2 * self.hidden_size, 1)
        scores = torch.bmm(self.query.expand(x.size(0), -1, -1), h).squeeze(-1)
        return torch.sigmoid(scores)


class TeacherForcingSeq2Seq(nn.Module):
    """The seq2seq tutorials' decoder loop: ``random.random() < teacher_forcing_ratio`` decides per
    step whether the next input is the target or the model's own guess (``numpy`` draws noise in
    the numpy-flavoured variants)."""

    def __init__(self, vocabulary: int = 9, hidden_size: int = 6, use_numpy: bool = False) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, hidden_size)
        self.encoder = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.decoder = nn.GRUCell(hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocabulary)
        self.use_numpy = use_numpy

    def forward(self, source, target, teacher_forcing_ratio: float = 0.5):
        _, hidden = self.encoder(self.embedding(source))
        h = hidden[0]
        token = target[:, 0]
        outputs = []
        for step in range(1, target.size(1)):
            h = self.decoder(self.embedding(token), h)
            if self.use_numpy:
                h = h + torch.from_numpy(np.random.normal(0.0, 0.1, size=tuple(h.shape))).to(h.dtype)
            logits = self.out(h)
            outputs.append(logits)
            teacher_force = random.random() < teacher_forcing_ratio
            token = target[:, step] if teacher_force else logits.argmax(1)
        return torch.stack(outputs, dim=1)
