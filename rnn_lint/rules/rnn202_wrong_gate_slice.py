from fractions import Fraction

from rnn_lint import contract
from rnn_lint.facts.values import Opaque, ParamSlice, Sym
from rnn_lint.rule import RECURRENT_CODE, Rule

_GATES = contract.GATES["LSTM"]
_FORGET = (contract.FORGET_GATE, contract.FORGET_GATE + 1)


def _block(start, stop) -> str:
    return f"[{_bound(Fraction(start))}:{_bound(Fraction(stop))}]"


def _foreign_slots() -> str:
    """Where ported code expects the forget gate: " (TensorFlow/Keras … puts it at [2H:3H])"."""
    slots = []
    for framework, order in contract.FOREIGN_LSTM_GATE_ORDERS.items():
        index = order.index("forget")
        slots.append(f"{framework} puts it at {_block(index, index + 1)}")
    return f" ({'; '.join(slots)})" if slots else ""


def _certainly_positive(value) -> bool:
    from rnn_lint.facts.model import plain  # not at import time: loading the rules must not load libcst

    number = plain(value)
    if isinstance(value, Opaque) and value.default is not None:
        number = value.default  # a parameter such as forget_bias=1.0
    if isinstance(value, Sym) and value.default is not None:
        number = value.default
    return isinstance(number, (int, float, Fraction)) and not isinstance(number, bool) and number > 0


def _hits_forget_only(write) -> bool:
    target = write.target
    return isinstance(target, ParamSlice) and (target.start, target.stop) == (1, 2) and _certainly_positive(write.value)


def _same_parameter(a, b) -> bool:
    return a.link is not None and a.link == b.link


def _bound(units: Fraction) -> str:  # 1 -> "H", 2 -> "2H", 0 -> ""
    if units == 0:
        return ""
    return "H" if units == 1 else f"{units}H"


class WrongGateSlice(Rule):
    """
    ## What it does
    Flags a positive constant written into a slice of an LSTM bias that is not the forget gate:
    `b[:H]`, `b[2*H:3*H]`, `b[3*H:]`, `b[:n // 4]`, `b[n // 2:3 * n // 4]`, `b.chunk(4)[2]` …

    ## Why is this bad?
    PyTorch stacks the LSTM gates as input, forget, cell (g), output: the forget gate is
    `bias[H:2H]`. Code ported from TensorFlow/Keras, whose fused cell orders them i, j, f, o, puts
    the "forget bias" in `[2H:3H]` — PyTorch's cell-candidate gate — and other code picks the
    first block (the input gate). The intended forget-gate init then never happens and another
    gate is skewed instead. Nothing fails.

    ## Example
    ```python
    import torch.nn as nn

    class Model(nn.Module):
        def __init__(self, hidden=64):
            super().__init__()
            self.lstm = nn.LSTM(32, hidden)
            for name, param in self.lstm.named_parameters():
                if "bias" in name:
                    param.data[2 * hidden:3 * hidden].fill_(1.0)  # TensorFlow's forget slot
    ```

    ## Use instead
    ```python
    import torch.nn as nn

    class Model(nn.Module):
        def __init__(self, hidden=64):
            super().__init__()
            self.lstm = nn.LSTM(32, hidden)
            for name, param in self.lstm.named_parameters():
                if "bias" in name:
                    param.data[hidden:2 * hidden].fill_(1.0)  # PyTorch: input, forget, cell, output
    ```
    """

    code = "RNN202"
    name = "wrong-gate-slice"
    pattern = RECURRENT_CODE
    message = "positive bias written into an LSTM gate other than forget (PyTorch order: input, forget, cell, output)"

    def check(self, facts):
        forget_writes = [w for w in facts.param_writes if _hits_forget_only(w)]
        for write in facts.param_writes:
            target = write.target
            if not isinstance(target, ParamSlice) or target.start is None or target.stop is None:
                continue
            param = target.param
            if param.kind != "bias" or param.gates != len(_GATES):
                continue
            families = {c.family for c in param.owner.constructions} or {param.owner.any_family or ""}
            if param.owner.any_family is None and not param.owner.constructions:
                families = facts.families
            if families != {"LSTM"}:
                continue
            start, stop = target.start, target.stop
            if (start, stop) in (_FORGET, (0, len(_GATES))) or not 0 <= start < stop <= len(_GATES):
                continue
            if start.denominator != 1 or stop.denominator != 1 or not _certainly_positive(write.value):
                continue
            if any(_same_parameter(write.param, other.param) for other in forget_writes):
                continue  # the author knows where the forget gate is: this other gate is deliberate
            hit = [_GATES[i] for i in range(int(start), int(stop)) if _GATES[i] != "forget"]
            yield self.report(
                write.node,
                f"bias[{_bound(start)}:{_bound(stop)}] is the {' and '.join(hit)} gate{'s' if len(hit) > 1 else ''} "
                f"in PyTorch's LSTM (order: {', '.join(_GATES)}); the forget gate is bias{_block(*_FORGET)}"
                f"{_FOREIGN_SLOTS}",
            )


_FOREIGN_SLOTS = _foreign_slots()
