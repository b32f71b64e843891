"""The unsafe fix of RNN104 (h_n[-1] → torch.cat((h_n[-2], h_n[-1]), dim=-1)): exact output,
idempotent, parseable, nothing else on the line changes, and no fix where the consumer is an
nn.Linear sized for one direction."""

from __future__ import annotations

import libcst as cst
import pytest

from rnn_lint.engine import lint_source
from rnn_lint.facts import build_facts
from rnn_lint.fixer import fix_source
from rnn_lint.registry import all_rules

RULES = all_rules()

MODEL = """import torch{alias}
import torch.nn as nn


class M(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.gru = nn.GRU(8, hidden, num_layers=2, bidirectional=True)
        self.fc = nn.Linear({fc_in}, 2)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        out, h_n = self.gru(x)
{body}
"""

CASES = [
    (  # into a classifier sized for both directions; the comment stays
        "        return self.fc(h_n[-1])  # logits",
        "        return self.fc(torch.cat((h_n[-2], h_n[-1]), dim=-1))  # logits",
    ),
    (  # the full-slice spelling keeps its slices on both rows
        "        summary = h_n[-1, :, :]\n        return self.fc(summary)",
        "        summary = torch.cat((h_n[-2, :, :], h_n[-1, :, :]), dim=-1)\n        return self.fc(summary)",
    ),
    (  # through dropout, into the classifier
        "        return self.fc(self.drop(h_n[-1])), 0",
        "        return self.fc(self.drop(torch.cat((h_n[-2], h_n[-1]), dim=-1))), 0",
    ),
    (  # returned to a caller we cannot see
        "        return h_n[-1]",
        "        return torch.cat((h_n[-2], h_n[-1]), dim=-1)",
    ),
    (  # the last index spelled out
        "        return self.fc(h_n[h_n.size(0) - 1])",
        "        return self.fc(torch.cat((h_n[-2], h_n[-1]), dim=-1))",
    ),
]


def source(body: str, fc_in: str = "2 * hidden", alias: str = "") -> str:
    return MODEL.format(body=body, fc_in=fc_in, alias=alias)


@pytest.mark.parametrize(("before", "after"), CASES)
def test_fix_output_is_exact_idempotent_and_parses(before, after) -> None:
    fixed, count, findings, error = fix_source(source(before), "m.py", RULES, unsafe_fixes=True)
    assert error is None and count == 1
    assert fixed == source(after)
    cst.parse_module(fixed)
    assert not [f for f in findings if f.code == "RNN104"]
    again, count_again, _, _ = fix_source(fixed, "m.py", RULES, unsafe_fixes=True)
    assert (again, count_again) == (fixed, 0)


def test_the_fix_names_torch_as_the_file_imports_it() -> None:
    text = source("        return self.fc(h_n[-1])", alias=" as th")
    fixed, count, _, _ = fix_source(text, "m.py", RULES, unsafe_fixes=True)
    assert count == 1 and "return self.fc(th.cat((h_n[-2], h_n[-1]), dim=-1))" in fixed


def test_the_fix_is_unsafe_only() -> None:
    text = source("        return self.fc(h_n[-1])")
    fixed, count, findings, _ = fix_source(text, "m.py", RULES)
    assert (fixed, count) == (text, 0)
    (finding,) = [f for f in findings if f.code == "RNN104"]
    assert finding.fix is not None and finding.fix.applicability == "unsafe"


@pytest.mark.parametrize(
    ("fc_in", "body"),
    [
        ("hidden", "        return self.fc(h_n[-1])"),  # a classifier sized for one direction
        ("hidden", "        return self.fc(self.drop(h_n[-1]))"),  # ... reached through dropout
        ("hidden", "        top = h_n[-1]\n        return self.fc(torch.relu(top))"),  # ... or an activation
        ("2 * hidden", "        return self.fc((h_n[-1]))"),  # parenthesised: its text is not its range
        ("2 * hidden", "        return self.fc(h_n[\n            -1])"),  # over two lines
    ],
)
def test_no_fix_where_the_consumer_would_break_or_the_text_is_unusual(fc_in, body) -> None:
    (finding,) = [f for f in lint_source(source(body, fc_in), "m.py", RULES) if f.code == "RNN104"]
    assert finding.fix is None


def test_no_fix_without_torch_imported_by_name() -> None:
    text = source("        return self.fc(h_n[-1])").replace("import torch\n", "from torch import cat\n")
    (finding,) = [f for f in lint_source(text, "m.py", RULES) if f.code == "RNN104"]
    assert finding.fix is None


def test_uses_record_pass_through_layers_and_the_consumer_layer() -> None:
    facts = build_facts(cst.parse_module(source("        return self.fc(self.drop(h_n[-1]))")))
    (indexing,) = [i for i in facts.indexings if i.tensor.role == "h"]
    uses = [use for use in facts.uses if use.value is indexing.result]
    assert [use.how for use in uses] == ["through", "argument"]
    assert uses[0].callee.kind == "Dropout" and uses[1].callee.kind == "Linear"
    assert uses[1].callee.in_features == indexing.tensor.module.hidden_out * indexing.tensor.module.directions
