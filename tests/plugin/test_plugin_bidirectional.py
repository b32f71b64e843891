"""RNN104 at run time: a bidirectional layer summarised by one direction.

The two tutorial bugs — ``out[:, -1]`` on a bidirectional output and ``h_n[-1]`` alone — pass every
shape check; ``assert_bidirectional_summary`` (and ``rnn_check``) name them, and the correct ways to
summarise (both final states, pooling, first-and-last concatenation) pass on every seed.
"""

from __future__ import annotations

import pytest
from plugin_helpers import LOAD_PLUGIN
from plugin_models import open_forget_gates

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

from pytest_rnn import RnnCheckError, assert_bidirectional_summary  # noqa: E402
from pytest_rnn.full_check import run_rnn_check  # noqa: E402

H = 4
SEEDS = range(5)


class BiClassifier(nn.Module):
    """A bidirectional text classifier in the styles tutorials use; ``read`` picks the summary."""

    def __init__(self, read: str, kind: str = "LSTM", num_layers: int = 1, batch_first: bool = True) -> None:
        super().__init__()
        self.read = read
        self.batch_first = batch_first
        rnn = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}[kind]
        self.rnn = open_forget_gates(
            rnn(3, H, num_layers=num_layers, bidirectional=True, batch_first=batch_first, dropout=0.0)
        )
        self.fc = nn.Linear(2 * H if read != "h_n[-1]" else H, 2)

    def forward(self, x):
        out, state = self.rnn(x)
        h_n = state[0] if isinstance(state, tuple) else state
        seq = out if self.batch_first else out.transpose(0, 1)  # (B, T, 2H)
        if self.read == "last-step":
            summary = seq[:, -1, :]
        elif self.read == "h_n[-1]":
            summary = h_n[-1]
        elif self.read == "cat-h_n":
            summary = torch.cat((h_n[-2], h_n[-1]), dim=-1)
        elif self.read == "mean-pool":
            summary = seq.mean(dim=1)
        elif self.read == "max-pool":
            summary = seq.max(dim=1).values
        elif self.read == "first-and-last":
            summary = torch.cat((seq[:, -1, :H], seq[:, 0, H:]), dim=-1)
        elif self.read == "softmax-last-step":
            return torch.softmax(self.fc(seq[:, -1, :]), dim=-1)
        else:
            raise AssertionError(self.read)
        return self.fc(summary)


class PackedLastStep(nn.Module):
    """Packs a padded batch correctly, then reads the unpacked output at its last step."""

    def __init__(self, correct: bool) -> None:
        super().__init__()
        self.correct = correct
        self.rnn = nn.GRU(3, H, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(2 * H, 2)

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(padded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, h_n = self.rnn(packed)
        if self.correct:
            return self.fc(torch.cat((h_n[-2], h_n[-1]), dim=-1))
        out, _ = pad_packed_sequence(out, batch_first=True)
        return self.fc(out[:, -1])


def _codes(model, *inputs):
    with pytest.raises(RnnCheckError) as caught:
        assert_bidirectional_summary(model, *inputs)
    return caught.value


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_last_step_of_a_bidirectional_output_is_rnn104(seed, kind):
    torch.manual_seed(seed)
    error = _codes(BiClassifier("last-step", kind), torch.randn(3, 7, 3))
    assert error.codes == ["RNN104"]
    violation = error.violations[0]
    assert violation.where == "BiClassifier.rnn"
    assert "seen one step" in violation.what
    assert violation.got == "the output's forward half at the last step, the output's backward half at the last step"


@pytest.mark.parametrize("seed", SEEDS)
def test_h_n_last_alone_is_rnn104_naming_what_is_read(seed):
    torch.manual_seed(seed)
    error = _codes(BiClassifier("h_n[-1]", num_layers=2), torch.randn(3, 6, 3))
    assert error.codes == ["RNN104"]
    violation = error.violations[0]
    assert "forward direction" in violation.what and "never used" in violation.what
    assert violation.got == "h_n[-1] (layer 1 backward)"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("read", ["cat-h_n", "mean-pool", "max-pool", "first-and-last"])
@pytest.mark.parametrize("batch_first", [True, False])
def test_correct_summaries_pass_on_every_seed(seed, read, batch_first):
    torch.manual_seed(seed)
    x = torch.randn(3, 6, 3) if batch_first else torch.randn(6, 3, 3)
    assert_bidirectional_summary(BiClassifier(read, num_layers=2, batch_first=batch_first), x)


def test_a_softmax_output_does_not_hide_what_is_read():
    """The probabilities sum to 1: a plain sum of the outputs would have no gradient at all."""
    assert _codes(BiClassifier("softmax-last-step"), torch.randn(3, 5, 3)).codes == ["RNN104"]


@pytest.mark.parametrize("seed", SEEDS)
def test_packed_batch_read_at_the_padded_last_step_is_rnn104(seed):
    torch.manual_seed(seed)
    padded, lengths = torch.randn(3, 6, 3), torch.tensor([6, 2, 4])
    assert _codes(PackedLastStep(correct=False), padded, lengths).codes == ["RNN104"]
    assert_bidirectional_summary(PackedLastStep(correct=True), padded, lengths)


def test_unidirectional_unbatched_and_unused_layers_are_left_alone():
    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.bi = nn.LSTM(3, H, bidirectional=True)
            self.uni = nn.GRU(3, H)

        def forward(self, x):
            self.bi(x)  # run, but its results never reach the output
            return self.uni(x)[0][-1]

    assert_bidirectional_summary(Unused(), torch.randn(5, 2, 3))
    unbatched = BiClassifier("first-and-last", batch_first=False)
    unbatched.forward = lambda x: unbatched.fc(torch.cat((unbatched.rnn(x)[0][-1, :H], unbatched.rnn(x)[0][0, H:])))
    assert_bidirectional_summary(unbatched, torch.randn(5, 3))


def test_the_check_leaves_parameters_and_their_grad_alone():
    model = BiClassifier("last-step")
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    with pytest.raises(RnnCheckError):
        assert_bidirectional_summary(model, torch.randn(2, 4, 3))
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(before[name], p) for name, p in model.named_parameters())
    assert model.training


def test_outputs_without_gradient_are_a_usage_error_and_rnn_check_skips():
    class Argmax(BiClassifier):
        def forward(self, x):
            return super().forward(x).argmax(dim=-1)

    with pytest.raises(ValueError, match="nothing to measure"):
        assert_bidirectional_summary(Argmax("last-step"), torch.randn(2, 4, 3))
    report = run_rnn_check(Argmax("cat-h_n"), (torch.randn(2, 4, 3),), device=torch.device("cpu"))
    assert "bidirectional-summary" in dict(report.skipped)


def test_rnn_check_names_the_last_step_classifier(pytester):
    pytester.makepyfile(
        """
        import torch
        from torch import nn

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(3, 4, batch_first=True, bidirectional=True)
                for name, p in self.lstm.named_parameters():
                    if name.startswith("bias_ih"):
                        p.data[4:8] = 1.0
                self.fc = nn.Linear(8, 2)

            def forward(self, x):
                out, _ = self.lstm(x)
                return self.fc(out[:, -1, :])

        class Fixed(Classifier):
            def forward(self, x):
                _, (h_n, _) = self.lstm(x)
                return self.fc(torch.cat((h_n[-2], h_n[-1]), dim=-1))

        def test_buggy(rnn_check):
            rnn_check(Classifier(), torch.randn(3, 7, 3))

        def test_fixed(rnn_check):
            report = rnn_check(Fixed(), torch.randn(3, 7, 3))
            assert "bidirectional-summary" in report.checks
        """
    )
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN, "--rnn-device", "cpu")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*RNN104 Classifier.lstm: the backward direction is read only at the last step*"])
