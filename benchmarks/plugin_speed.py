"""What ``rnn_check`` costs on the CPU, as a ratio to one forward of the same model.

    python benchmarks/plugin_speed.py [--repeat 15]

Prints, for a few small models in the styles the tests use, the median CPU time of one forward,
of ``rnn_check`` and their ratio. ``rnn_check`` runs the model about ten times (shapes, the float64
copy, batch independence's perturbed runs, a batch of one, the bidirectional summary's backward
pass), so the ratio — not the milliseconds, which depend on the machine — is the figure to watch.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch
from torch import nn

from pytest_rnn.full_check import RnnCheck


class Classifier(nn.Module):
    def __init__(self, bidirectional: bool) -> None:
        super().__init__()
        self.rnn = nn.LSTM(8, 16, num_layers=2, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(16 * 2 * (2 if bidirectional else 1), 5)

    def forward(self, x):
        _, (h_n, _) = self.rnn(x)
        return self.head(h_n.permute(1, 0, 2).reshape(x.size(0), -1))


class Packed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.GRU(8, 16, batch_first=True)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        return self.rnn(packed)[1][-1]


def cases():
    x = torch.randn(3, 20, 8)
    yield "LSTM classifier", Classifier(False), (x,), {}
    yield "BiLSTM classifier", Classifier(True), (x,), {}
    yield "packed GRU + lengths", Packed(), (x,), {"lengths": torch.tensor([20, 7, 13])}


def median_ms(function, repeat: int) -> float:
    for _ in range(3):
        function()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        function()
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    check = RnnCheck(torch.device("cpu"))
    print(f"{'model':<24}{'forward ms':>12}{'rnn_check ms':>14}{'ratio':>8}")
    for name, model, inputs, options in cases():
        call_inputs = inputs + ((options["lengths"],) if "lengths" in options else ())
        with torch.no_grad():
            forward = median_ms(lambda m=model, a=call_inputs: m(*a), repeat)
        checked = median_ms(lambda m=model, a=inputs, o=options: check(m, *a, forget_bias=None, **o), repeat)
        print(f"{name:<24}{forward:>12.2f}{checked:>14.1f}{checked / forward:>8.0f}")


if __name__ == "__main__":
    main()
