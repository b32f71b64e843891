from __future__ import annotations

from typing import TYPE_CHECKING

from rnn_lint.facts.values import ONE, Tensor
from rnn_lint.rule import RECURRENT_CODE, NodeEdit, Rule, SuggestedFix

if TYPE_CHECKING:  # libcst is loaded only once a file is parsed
    import libcst as cst

_SQUEEZES = ("squeeze", "squeeze_")
_NAMES = {"h": "h_n", "c": "c_n", "output": "output", "derived": "results (joined)"}


def bare_squeeze(use, imports) -> bool:
    """``t.squeeze()`` / ``t.squeeze_()`` / ``torch.squeeze(t)``: no dim given."""
    node = use.node
    if use.method in _SQUEEZES:
        return not node.args
    if use.how == "argument" and imports.qualify(node.func) == "torch.squeeze":
        return len(node.args) == 1 and node.args[0].keyword is None and not node.args[0].star
    return False


def certain_axis(tensor: Tensor) -> int | None:
    """The one axis certainly of size 1 (what the squeeze is for), when there is exactly one."""
    ones = [index for index, axis in enumerate(tensor.axes) if axis.size == ONE]
    return ones[0] if len(ones) == 1 else None


def with_dim(module: cst.Module, node: cst.Call, dim: int) -> NodeEdit | None:
    """The squeeze call with ``dim`` as its last argument: ``h_n.squeeze(0)``,
    ``torch.squeeze(h_n, 0)``. Only the parentheses' content changes."""
    import libcst as cst

    if node.lpar:  # `(h_n.squeeze())`: the call's text and its range differ by the parentheses
        return None
    if not node.args:  # the method: the same call (spacing, parentheses) with one argument
        return NodeEdit(node, module.code_for_node(node.with_changes(args=[cst.Arg(cst.Integer(str(dim)))])))
    value = node.args[-1].value
    return NodeEdit(value, f"{module.code_for_node(value)}, {dim}")


class BareSqueeze(Rule):
    """
    ## What it does
    Flags `squeeze()` with no dim (also `squeeze_()` and `torch.squeeze(t)`) on what a recurrent
    layer returned: its output, `h_n` or `c_n`, or a slice of them that still has the batch axis
    (`h_n[-1]`, `output[:, -1]`).

    ## Why is this bad?
    A bare `squeeze()` removes *every* axis of size 1, and which axes have size 1 depends on the
    data. The batch axis goes whenever a batch holds one sample — the last, partial batch of an
    epoch, or a single example at inference — so `h_n.squeeze()` is `(B, H)` in training and
    `(H,)` then, and the next layer or the loss fails or silently broadcasts. On `h_n` of a module
    with `num_layers * num_directions > 1` it removes nothing at all, so the "squeezed" state
    still has the layer axis. Naming the axis says what is meant and always does the same thing.

    ## Example
    ```python
    import torch.nn as nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(100, 128)
            self.fc = nn.Linear(128, 5)

        def forward(self, x):
            _, h_n = self.gru(x)
            return self.fc(h_n.squeeze())
    ```

    ## Use instead
    ```python
    import torch.nn as nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(100, 128)
            self.fc = nn.Linear(128, 5)

        def forward(self, x):
            _, h_n = self.gru(x)
            return self.fc(h_n.squeeze(0))  # or h_n[-1]: the top layer, any number of layers
    ```
    A module fed one sample by design (`self.gru(x.view(1, 1, -1))`, `x.unsqueeze(0)` into a
    batch-first module) is left alone: there the squeeze removes the batch axis on purpose.

    The fix (`--fix --unsafe-fixes`) names the axis where exactly one axis is known to have size
    1 (`h_n.squeeze(0)` for a module with one layer and one direction). It is unsafe because it
    changes what a batch of one gives, which is the point. Elsewhere the axis you meant is yours
    to name.
    """

    code = "RNN108"
    name = "bare-squeeze"
    pattern = RECURRENT_CODE
    message = "squeeze() with no dim on a recurrent result: a batch of one loses its batch axis"
    fix_applicability = "unsafe"

    def check(self, facts):
        by_node: dict[int, list] = {}
        for use in facts.uses:
            tensor = use.value
            if not isinstance(tensor, Tensor) or tensor.axes is None or tensor.module.is_cell:
                continue
            batch = tensor.axis_index("B")
            if batch is None or tensor.axes[batch].size == ONE or not bare_squeeze(use, facts.imports):
                continue  # no batch axis followed, or one sample by design: the squeeze means it
            by_node.setdefault(id(use.node), []).append(use)
        for uses in by_node.values():
            node = uses[0].node
            messages = {self._message(use.value) for use in uses}
            axes = {certain_axis(use.value) for use in uses}
            fix = None
            edit = with_dim(facts.module, node, axes.pop()) if len(axes) == 1 and None not in axes else None
            if edit is not None:
                fix = SuggestedFix("Name the axis of size 1 that the squeeze removes", "unsafe", (edit,))
            yield self.report(node, messages.pop() if len(messages) == 1 else None, fix)

    @staticmethod
    def _message(tensor: Tensor) -> str:
        module = tensor.module.describe()
        name = _NAMES[tensor.role]
        labels = [axis.label for axis in tensor.axes]
        if tensor.role in ("h", "c") and labels[0] == "LD":
            if tensor.axes[0].size == ONE:
                return (
                    f"`{module}`'s {name}.squeeze() with no dim also drops the batch axis when a batch holds one "
                    f"sample; use {name}.squeeze(0)"
                )
            return (
                f"`{module}`'s {name}.squeeze() with no dim removes nothing when num_layers * num_directions > 1, "
                f"and drops the batch axis when a batch holds one sample; use {name}[-1] for the top layer "
                f"(torch.cat(({name}[-2], {name}[-1]), dim=-1) if bidirectional)"
            )
        if tensor.role == "output" and "T" in labels:
            return (
                f"squeeze() with no dim on `{module}`'s output also drops the batch axis when a batch holds one "
                f"sample; name the axis: output.squeeze({labels.index('T')}) for a one-step output"
            )
        return (
            f"squeeze() with no dim on `{module}`'s {name}: it does nothing unless a batch holds one sample, "
            "and then it drops the batch axis; name the axis you mean, or drop the call"
        )
