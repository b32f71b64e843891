"""What a failure looks like: RnnCheckError lines, the contract's fixes, clean tracebacks."""

from __future__ import annotations

import re

import pytest
from plugin_helpers import HAS_TORCH, LOAD_PLUGIN

from pytest_rnn import RnnCheckError, Violation
from rnn_lint import contract

LINE = re.compile(r"^(RNN\d{3}) (\S+): (.+) \(expected (.+), got (.+)\) — (.+)$")


def test_violation_line_format_and_fix_from_the_contract():
    violation = Violation("RNN103", "Model.encoder.lstm", "h_0 is batch-major", "(2, 3, 5)", "(3, 2, 5)")
    match = LINE.match(str(violation))
    assert match is not None, str(violation)
    assert match.groups() == (
        "RNN103",
        "Model.encoder.lstm",
        "h_0 is batch-major",
        "(2, 3, 5)",
        "(3, 2, 5)",
        contract.PROBLEMS["RNN103"].fix,
    )
    assert violation.name == "state-batch-first"
    assert (
        str(Violation("RNN301", "M", "dropout does nothing"))
        == f"RNN301 M: dropout does nothing — {contract.PROBLEMS['RNN301'].fix}"
    )


def test_error_lists_every_violation_and_is_an_assertion_error():
    violations = [Violation("RNN102", "A", "mixed", "x", "y"), Violation("RNN201", "A.lstm", "low", "1", "0")]
    error = RnnCheckError(violations)
    assert isinstance(error, AssertionError)
    assert error.codes == ["RNN102", "RNN201"]
    lines = str(error).splitlines()
    assert lines[0] == "2 recurrent-model checks failed:"
    assert [line.strip() for line in lines[1:]] == [str(v) for v in violations]


def test_every_runtime_code_is_in_the_catalog():
    for code in (
        "RNN102",
        "RNN103",
        "RNN104",
        "RNN105",
        "RNN106",
        "RNN107",
        "RNN108",
        "RNN201",
        "RNN202",
        "RNN203",
        "RNN301",
        "RNN401",
        "RNN402",
        "RNN403",
        "RNN404",
        "RNN406",
    ):
        assert "runtime" in contract.PROBLEMS[code].checked_by, code
    with pytest.raises(ValueError, match="unknown rule code"):
        Violation("RNN999", "M", "nothing")
    with pytest.raises(ValueError):
        RnnCheckError([])


@pytest.mark.skipif(not HAS_TORCH, reason="the run builds a torch model")
def test_pytest_output_names_the_code_without_torch_or_plugin_frames(pytester):
    pytester.makepyfile(
        """
        import torch
        from torch import nn
        from pytest_rnn import assert_batch_independent, assert_rnn_shapes

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.GRU(2, 5, num_layers=2, batch_first=True)
                self.head = nn.Linear(10, 2)

            def forward(self, x):
                _, h_n = self.rnn(x)
                return self.head(h_n.view(x.size(0), -1))

        class BatchMajor(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.GRU(2, 5, num_layers=2, batch_first=True)

            def forward(self, x):
                return self.rnn(x, torch.zeros(x.size(0), 2, 5))[0]

        def test_mixing():
            assert_batch_independent(Classifier(), torch.randn(3, 4, 2))

        def test_state():
            assert_rnn_shapes(BatchMajor(), torch.randn(3, 4, 2))
        """
    )
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*RnnCheckError: 1 recurrent-model check failed:",
            "*RNN102 Classifier: output for sample 0 moved when only the other samples changed*— h_n.permute(1, 0, 2)*",
            "*RNN103 BatchMajor.rnn: h_0 is batch-major*(expected (2, 3, 5), got (3, 2, 5))*",
        ]
    )
    output = result.stdout.str()
    assert "return self.rnn(x, torch.zeros(x.size(0), 2, 5))[0]" in output  # the user's offending line
    assert "_call_impl" not in output  # torch's frames are dropped
    assert "pytest_rnn/" not in output  # the plugin's frames are hidden
    assert "RuntimeError" not in output
