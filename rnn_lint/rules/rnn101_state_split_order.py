import re

from rnn_lint.facts.values import ONE, python_number
from rnn_lint.rule import RECURRENT_CODE, Rule

#: Names of a layer count: n_layers, num_layers, nlayers, layers, rnn_layers …
_LAYER_COUNT = re.compile(r"^(?:\w+_)?(?:n_?|num_?)?layers$", re.IGNORECASE)


class StateSplitOrder(Rule):
    """
    ## What it does
    Flags a `view`/`reshape` that splits the first axis of `h_n`/`c_n` as
    `(num_directions, num_layers, …)`, and one that splits a bidirectional output's features as
    `(…, hidden, num_directions)`. Also flags a bidirectional module's `h_n`/`c_n` cut at its
    layer count (`h_n[:n_layers]`, `h_n[self.n_layers:]`, unless it certainly has one layer, or
    the count is certainly 1: `[:1]` is layer 0's forward row however the rows are read), a
    direction-major reading: the first `num_layers` rows are whole layers, both directions, not
    "the forward states" (spro's batched seq2seq tutorial hands its decoder layer 0's two
    directions so).

    ## Why is this bad?
    The first axis of `h_n` is layer-major: row `layer * num_directions + direction`. So
    `h_n.view(num_layers, num_directions, B, H)` is right and
    `h_n.view(num_directions, num_layers, B, H)` silently pairs the wrong rows: "the last layer"
    is then a mix of layers. Likewise a bidirectional output holds all forward features and then
    all backward ones: `output.view(T, B, 2, H)` is right, `output.view(T, B, H, 2)` interleaves
    them. Shapes stay valid, so nothing fails: the model just trains on scrambled features.
    The two orders coincide when there is one layer or one direction, so the rule stays silent
    when the module is known to have either.

    ## Example
    ```python
    import torch.nn as nn

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(32, 64, num_layers=3, bidirectional=True)

        def forward(self, x):
            out, h_n = self.rnn(x)
            h_n = h_n.view(2, 3, x.size(1), 64)  # (directions, layers): wrong
            return h_n[:, -1]
    ```

    ## Use instead
    ```python
    import torch.nn as nn

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(32, 64, num_layers=3, bidirectional=True)

        def forward(self, x):
            out, h_n = self.rnn(x)
            h_n = h_n.view(3, 2, x.size(1), 64)  # (layers, directions, batch, hidden)
            return h_n[-1]  # the top layer, both directions
    ```
    When the sizes cannot be told apart (`num_layers=2` and `bidirectional=True` written as
    `view(2, 2, ...)`) the rule says nothing.
    """

    code = "RNN101"
    name = "state-split-order"
    pattern = RECURRENT_CODE
    message = "h_n is layer-major: split it as (num_layers, num_directions, ...), not directions first"

    def check(self, facts):
        for reshape in facts.reshapes:
            tensor, module, labels = reshape.tensor, reshape.tensor.module, reshape.labels
            if module is None or module.is_cell or module.directions == ONE:
                continue
            first_axis = tensor.axes[0].label
            if tensor.role in ("h", "c") and first_axis == "LD" and module.layers != ONE:
                if labels[0] == "D" or labels[:2] == ("infer", "L"):
                    yield self.report(
                        reshape.node,
                        f"`{module.describe()}`'s {'h_n' if tensor.role == 'h' else 'c_n'} is layer-major "
                        "(row = layer * num_directions + direction): split it as "
                        "view(num_layers, num_directions, ...); this view puts directions first",
                    )
            elif tensor.role == "output" and tensor.axes[-1].label == "DH" and len(labels) >= 2:
                if labels[-1] == "D" and labels[-2] in ("H", "infer"):
                    yield self.report(
                        reshape.node,
                        f"`{module.describe()}`'s bidirectional output holds forward then backward features: "
                        "split the last axis as (..., num_directions, hidden), not (..., hidden, num_directions)",
                    )
        for indexing in facts.indexings:
            tensor, module = indexing.tensor, indexing.tensor.module
            if module is None or module.is_cell or tensor.role not in ("h", "c") or not tensor.axes:
                continue
            if tensor.axes[0].label != "LD" or facts.default_holds(module, "bidirectional") is not True:
                continue
            # right only with one layer: silent when that is the only count it is built with
            if facts.default_holds(module, "num_layers") == 1 or not indexing.items or indexing.items[0][0] != "slice":
                continue
            # [:1] is layer 0's forward row however the rows are read: no directions to mix
            _, lower, upper, _ = indexing.items[0]
            if lower is None and python_number(upper) == 1:
                continue
            if _layer_count_slice(indexing.node.slice[0].slice):
                state = "h_n" if tensor.role == "h" else "c_n"
                yield self.report(
                    indexing.node,
                    f"`{module.describe()}` is bidirectional and its {state} is layer-major (layer 0 forward, "
                    f"layer 0 backward, layer 1 forward …): slicing num_layers rows takes whole layers' two "
                    f"directions, not one direction of every layer; use {state}.view(num_layers, 2, B, H)[:, 0] "
                    "for the forward states, or combine both directions",
                )


def _layer_count_slice(part) -> bool:
    """``[:n_layers]`` or ``[n_layers:]`` (``self.n_layers``, ``decoder.num_layers``): a slice of
    the first axis bounded by a layer count, which only a direction-major reading would write."""
    import libcst as cst

    if not isinstance(part, cst.Slice) or part.step is not None:
        return False
    bounds = [bound for bound in (part.lower, part.upper) if bound is not None]
    return len(bounds) == 1 and _names_layers(bounds[0])


def _names_layers(node) -> bool:
    import libcst as cst

    name = node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else None
    return name is not None and _LAYER_COUNT.match(name) is not None
