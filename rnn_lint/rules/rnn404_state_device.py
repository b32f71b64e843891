from __future__ import annotations

from typing import TYPE_CHECKING

from rnn_lint.rule import RECURRENT_CODE, NodeEdit, Rule, SuggestedFix

if TYPE_CHECKING:  # libcst is loaded only once a file is parsed
    import libcst as cst


def device_edit(module: cst.Module, node: cst.Call, name: str) -> NodeEdit | None:
    """Add ``device=<name>.device`` after the factory call's last argument, on that argument's
    line, leaving the rest of the call (its layout, a trailing comma) as it is."""

    if not node.args:
        return None
    value = node.args[-1].value
    text = module.code_for_node(value)
    if "\n" in text or "#" in text:
        return None
    return NodeEdit(value, f"{text}, device={name}.device")


def _gpu_spelling(node: cst.Call) -> str:
    func = node.func
    if hasattr(func, "attr") and func.attr.value == "cuda":
        return "`.cuda()`"
    if hasattr(func, "attr") and func.attr.value == "to":
        return '`.to("cuda")`'
    return '`device="cuda"`'


class StateDevice(Rule):
    """
    ## What it does
    Flags an initial state made in `forward` (or a helper of the model) with
    `torch.zeros/ones/randn/rand/empty/full(...)` and no `device=`, that reaches a recurrent
    module without `.to(...)` on the way — also when it is made on one path only, the one taken
    when the caller passes no state (`if hidden is None: hidden = torch.zeros(...)`,
    `h0 = torch.zeros(...) if hidden is None else hidden`), but not when the other path moves it
    (`if use_cuda: h = h.cuda()`). In a script (outside any model class) it is flagged only
    when the file uses an accelerator. In model code it also flags the opposite: an initial state
    put on the GPU by a hard-coded `.cuda()` (or `.to("cuda")`, `device="cuda"`) on every path,
    not under an `if torch.cuda.is_available():`-style guard.

    ## Why is this bad?
    A tensor factory without `device=` makes a CPU tensor, whatever device the model is on. Once
    the model is moved to a GPU, the call fails with "Input and hidden tensors are not at the same
    device". Tests on the CPU never see it, so the model breaks the first time it is trained where
    it was meant to be. A hard-coded `.cuda()` is the same mistake the other way round: the model
    cannot run on a machine without a GPU (a CPU test run, CI, a laptop), and on a machine with
    several it ignores the device the model was moved to.

    ## Example
    ```python
    import torch
    import torch.nn as nn

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(32, 64, batch_first=True)

        def forward(self, x):
            h0 = torch.zeros(1, x.size(0), 64)
            return self.gru(x, h0)
    ```

    ## Use instead
    ```python
    import torch
    import torch.nn as nn

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(32, 64, batch_first=True)

        def forward(self, x):
            h0 = torch.zeros(1, x.size(0), 64, device=x.device)
            return self.gru(x, h0)
    ```
    Or `x.new_zeros(1, x.size(0), 64)`, or leave the state out: PyTorch then makes zeros on the
    input's device itself. The fix (`--fix`) adds `device=<input>.device` where the module's input
    is a name already bound at the factory call.
    """

    code = "RNN404"
    name = "state-device"
    pattern = RECURRENT_CODE
    message = "initial state made on the CPU by default: pass device= (the input's device)"
    fix_applicability = "safe"

    def check(self, facts):
        from rnn_lint.facts.devices import GPU

        accelerator = facts.uses_accelerator
        gpu_reported: set[int] = set()
        by_node: dict[int, list] = {}
        for creation in facts.state_creations:
            if creation.function.endswith(".__init__"):
                continue  # a state made once in __init__ is RNN405's plain-attribute case
            if creation.device == GPU:
                if creation.in_model_code and id(creation.node) not in gpu_reported:
                    gpu_reported.add(id(creation.node))
                    yield self.report(
                        creation.node,
                        f"initial state for `{creation.call.module.describe()}` is put on the GPU by a hard-coded "
                        f"{_gpu_spelling(creation.node)}: "
                        "the model fails on a machine without one (a CPU test run, CI) and ignores the device it "
                        "was moved to; make it where the input is: device=<input>.device, or <input>.new_zeros(...)",
                    )
                continue
            if not (creation.in_model_code or accelerator):
                continue  # a CPU script: its CPU tensors are where its model is
            by_node.setdefault(id(creation.node), []).append(creation)
        for creations in by_node.values():
            node = creations[0].node
            names = {c.input_name for c in creations}
            name = names.pop() if len(names) == 1 else None
            fix = None
            edit = device_edit(facts.module, node, name) if name is not None else None
            if edit is not None:
                fix = SuggestedFix(f"Add device={name}.device", "safe", (edit,))
            module = creations[0].call.module.describe()
            where = f"device={name}.device" if name else "device=<the input>.device, or <input>.new_zeros(...)"
            yield self.report(
                node,
                f"initial state for `{module}` is made on the CPU (no device=): it fails once the model is on a "
                f"GPU; pass {where}",
                fix,
            )
