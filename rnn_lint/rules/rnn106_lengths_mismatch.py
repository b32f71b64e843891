from __future__ import annotations

from typing import TYPE_CHECKING

from rnn_lint.rule import RECURRENT_CODE, NodeEdit, Rule, SuggestedFix

if TYPE_CHECKING:  # libcst is loaded only once a file is parsed
    import libcst as cst


def on_cpu(lengths: cst.BaseExpression) -> cst.BaseExpression:
    """``lengths`` brought back to the CPU: ``x.cuda()``/``x.to(d)`` become ``x.cpu()``, anything
    else gets ``.cpu()`` appended (in parentheses when it is not a primary expression)."""
    import libcst as cst

    receiver = lengths
    if (
        isinstance(lengths, cst.Call)
        and isinstance(lengths.func, cst.Attribute)
        and lengths.func.attr.value in ("cuda", "to")
        and not lengths.lpar
    ):
        receiver = lengths.func.value
    elif not isinstance(lengths, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) and not lengths.lpar:
        receiver = lengths.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.Call(cst.Attribute(receiver, cst.Name("cpu")))


class LengthsMismatch(Rule):
    """
    ## What it does
    Flags `pack_padded_sequence` given lengths that were moved to an accelerator: `.cuda()`,
    `.to(device)`, `.to(x.device)`, a factory with `device=`, or a tensor derived from one (the
    values of `lengths, order = lengths.sort(descending=True)`, `torch.sort(lengths)` or
    `.sort().values` included), with no `.cpu()` or `.tolist()` on the way — also when they are
    made in one method and packed in the method or the submodule of the file they are passed to
    (`self.forward(starts, lens)`, `self.decoder(x, lens)` with `lens` made with
    `device=self.device`; the message names the method that made them).

    ## Why is this bad?
    Since PyTorch 1.7, `pack_padded_sequence` wants its lengths as a list or a 1-D CPU int64
    tensor; lengths on a GPU raise "'lengths' argument should be a 1D CPU int64 tensor". The
    error appears only on the GPU, so tests that run on the CPU pass and the training job fails.

    ## Example
    ```python
    import torch.nn as nn
    from torch.nn.utils.rnn import pack_padded_sequence

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(32, 64, batch_first=True)

        def forward(self, x, lengths, device):
            lengths = lengths.to(device)
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            return self.lstm(packed)
    ```

    ## Use instead
    ```python
    import torch.nn as nn
    from torch.nn.utils.rnn import pack_padded_sequence

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(32, 64, batch_first=True)

        def forward(self, x, lengths, device):
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            return self.lstm(packed)
    ```
    The fix (`--fix`) writes `lengths.cpu()` in the call (a no-op on the CPU).
    """

    code = "RNN106"
    name = "lengths-mismatch"
    pattern = RECURRENT_CODE
    message = "pack_padded_sequence needs its lengths on the CPU: pass lengths.cpu()"
    fix_applicability = "safe"

    def check(self, facts):
        for pack in facts.pack_lengths:
            replacement = facts.module.code_for_node(on_cpu(pack.lengths))
            fix = SuggestedFix(f"Pass {replacement}", "safe", (NodeEdit(pack.lengths, replacement),))
            yield self.report(
                pack.lengths,
                f"pack_padded_sequence needs lengths on the CPU, but these are on an accelerator ({pack.how}): "
                f"it raises on a GPU only; pass {replacement}",
                fix,
            )
