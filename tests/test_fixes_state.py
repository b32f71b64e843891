"""The safe fixes of RNN106 (lengths.cpu()) and RNN404 (device=<input>.device): exact output,
idempotent, parseable, and nothing else on the line changes."""

from __future__ import annotations

import libcst as cst
import pytest

from rnn_lint.engine import lint_source
from rnn_lint.fixer import fix_source
from rnn_lint.registry import all_rules

RULES = all_rules()

MODEL = """import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(8, 16, batch_first=True)

    def forward(self, x, lengths, device):
{body}
"""

CASES = [
    (  # RNN404: a keyword added at the end of the factory call
        "        h0 = torch.zeros(1, x.size(0), 16)  # initial\n        return self.gru(x, h0)",
        "        h0 = torch.zeros(1, x.size(0), 16, device=x.device)  # initial\n        return self.gru(x, h0)",
    ),
    (  # RNN404: after other keywords, keeping their spacing
        "        h0 = torch.randn(1, x.size(0), 16, dtype = torch.float)\n        return self.gru(x, h0)",
        "        h0 = torch.randn(1, x.size(0), 16, dtype = torch.float, device=x.device)\n"
        "        return self.gru(x, h0)",
    ),
    (  # RNN404: a multi-line call with a trailing comma: only the last argument's line changes
        "        h0 = torch.zeros(\n            1,\n            x.size(0),\n            16,\n        )\n"
        "        return self.gru(x, h0)",
        "        h0 = torch.zeros(\n            1,\n            x.size(0),\n            16, device=x.device,\n"
        "        )\n        return self.gru(x, h0)",
    ),
    (  # RNN106: a moved name gets .cpu()
        "        lengths = lengths.to(device)\n"
        "        p = pack_padded_sequence(x, lengths, batch_first=True)  # pack\n        return self.gru(p)",
        "        lengths = lengths.to(device)\n"
        "        p = pack_padded_sequence(x, lengths.cpu(), batch_first=True)  # pack\n        return self.gru(p)",
    ),
    (  # RNN106: .cuda() in the call becomes .cpu()
        "        p = pack_padded_sequence(x, lengths.cuda(), batch_first=True)\n        return self.gru(p)",
        "        p = pack_padded_sequence(x, lengths.cpu(), batch_first=True)\n        return self.gru(p)",
    ),
    (  # RNN106: an expression is parenthesised before .cpu()
        "        x = x.cuda()\n        p = pack_padded_sequence(x, (x != 0).sum(1) + 0, batch_first=True)\n"
        "        return self.gru(p)",
        "        x = x.cuda()\n        p = pack_padded_sequence(x, ((x != 0).sum(1) + 0).cpu(), batch_first=True)\n"
        "        return self.gru(p)",
    ),
]


@pytest.mark.parametrize(("before", "after"), CASES)
def test_fix_output_is_exact_idempotent_and_parses(before, after) -> None:
    source, expected = MODEL.format(body=before), MODEL.format(body=after)
    fixed, count, findings, error = fix_source(source, "m.py", RULES)
    assert error is None and count == 1
    assert fixed == expected
    cst.parse_module(fixed)
    assert not [f for f in findings if f.code in ("RNN106", "RNN404")]
    again, count_again, _, _ = fix_source(fixed, "m.py", RULES)
    assert (again, count_again) == (fixed, 0)


def test_no_fix_where_the_input_is_not_in_scope() -> None:
    source = MODEL.format(body="        return self.gru(x, self.init(x.size(0)))") + (
        "\n    def init(self, batch):\n        return torch.zeros(1, batch, 16)\n"
    )
    _, count, findings, _ = fix_source(source, "m.py", RULES)
    (finding,) = [f for f in findings if f.code == "RNN404"]
    assert count == 0 and finding.fix is None


def test_no_fix_naming_a_tensor_that_is_itself_on_the_cpu() -> None:
    body = (
        "        h1 = torch.zeros(x.size(0), 16)\n"
        "        h2 = torch.zeros(x.size(0), 16)\n"
        "        h1 = self.cell(x, h1)\n"
        "        return self.cell2(h1, h2)"
    )
    source = MODEL.format(body=body).replace(
        "self.gru = nn.GRU(8, 16, batch_first=True)",
        "self.cell = nn.GRUCell(8, 16)\n        self.cell2 = nn.GRUCell(16, 16)",
    )
    fixes = {f.line: f.fix for f in lint_source(source, "m.py", RULES) if f.code == "RNN404"}
    assert sorted(fixes) == [13, 14]
    assert fixes[13] is not None and fixes[14] is None  # h1's fix names x; h2's input is h1 (a CPU tensor)
