"""The unsafe fix of RNN108 (bare squeeze → squeeze(dim) where the axis of size 1 is known):
exact output, idempotent, parseable, nothing else on the line changes, and no fix where the
axis meant cannot be known."""

from __future__ import annotations

import libcst as cst
import pytest

from rnn_lint.engine import lint_source
from rnn_lint.fixer import fix_source
from rnn_lint.registry import all_rules

RULES = all_rules()

MODEL = """import torch
import torch.nn as nn


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(8, 16{config})
        self.fc = nn.Linear(16, 2)

    def forward(self, x):
        out, h_n = self.gru(x)
{body}
"""

CASES = [
    (  # the method: only the parentheses gain the dim; the comment stays
        "        return self.fc(h_n.squeeze())  # logits",
        "        return self.fc(h_n.squeeze(0))  # logits",
    ),
    (  # in place, with spaces inside the call kept
        "        h_n.squeeze_( )\n        return self.fc(h_n)",
        "        h_n.squeeze_( 0)\n        return self.fc(h_n)",
    ),
    (  # the function: the dim goes after the tensor
        "        return self.fc(torch.squeeze(h_n)), out",
        "        return self.fc(torch.squeeze(h_n, 0)), out",
    ),
    (  # a long receiver: only the call's own parentheses change
        "        return self.fc(h_n.detach().contiguous().squeeze())",
        "        return self.fc(h_n.detach().contiguous().squeeze(0))",
    ),
    (  # two on one line: both fixed, nothing else touched
        "        a, b = h_n.squeeze(), torch.squeeze(h_n)\n        return a + b",
        "        a, b = h_n.squeeze(0), torch.squeeze(h_n, 0)\n        return a + b",
    ),
]


@pytest.mark.parametrize(("before", "after"), CASES)
def test_fix_output_is_exact_idempotent_and_parses(before, after) -> None:
    source, expected = MODEL.format(config="", body=before), MODEL.format(config="", body=after)
    fixed, count, findings, error = fix_source(source, "m.py", RULES, unsafe_fixes=True)
    assert error is None and count == before.count("squeeze")
    assert fixed == expected
    cst.parse_module(fixed)
    assert not [f for f in findings if f.code == "RNN108"]
    again, count_again, _, _ = fix_source(fixed, "m.py", RULES, unsafe_fixes=True)
    assert (again, count_again) == (fixed, 0)


def test_the_fix_is_unsafe_only() -> None:
    source = MODEL.format(config="", body="        return self.fc(h_n.squeeze())")
    fixed, count, findings, _ = fix_source(source, "m.py", RULES)
    assert (fixed, count) == (source, 0)
    (finding,) = [f for f in findings if f.code == "RNN108"]
    assert finding.fix is not None and finding.fix.applicability == "unsafe"


@pytest.mark.parametrize(
    ("config", "body"),
    [
        (", num_layers=2", "        return self.fc(h_n.squeeze())"),  # L*D = 2: which axis was meant?
        (", bidirectional=True", "        return self.fc(h_n.squeeze())"),
        ("", "        return self.fc(out.squeeze())"),  # the time axis is not known to be 1
        ("", "        return self.fc(h_n[-1].squeeze())"),  # (B, H): nothing is known to be 1
        ("", "        return self.fc((h_n.squeeze()))"),  # parenthesised: the call's text is not its range
        ("", "        return self.fc(h_n\n                       .squeeze())"),  # over two lines: not rewritten
    ],
)
def test_no_fix_where_the_axis_is_not_known(config, body) -> None:
    source = MODEL.format(config=config, body=body)
    (finding,) = [f for f in lint_source(source, "m.py", RULES) if f.code == "RNN108"]
    assert finding.fix is None
