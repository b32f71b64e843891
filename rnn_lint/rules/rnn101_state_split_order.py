from rnn_lint.facts.values import ONE
from rnn_lint.rule import RECURRENT_CODE, Rule


class StateSplitOrder(Rule):
    """
    ## What it does
    Flags a `view`/`reshape` that splits the first axis of `h_n`/`c_n` as
    `(num_directions, num_layers, …)`, and one that splits a bidirectional output's features as
    `(…, hidden, num_directions)`.

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
