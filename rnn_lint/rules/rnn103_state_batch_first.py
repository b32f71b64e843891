from rnn_lint.rule import RECURRENT_CODE, Rule
from rnn_lint.rules.rnn102_state_batch_flatten import batch_first_advice, mixes_samples

_LAYERS = ("L", "D", "LD", "LDA")


class StateBatchFirst(Rule):
    """
    ## What it does
    Flags code that treats a recurrent module's hidden state as batch-major: an initial state
    created as `(B, num_layers, H)` and passed to the module, `h_n[:, -1]` on a
    `batch_first=True` module (meant as "the last layer", it is the last *sample*), and
    `h_n.view(B, ...)` on a `batch_first=True` module.

    ## Why is this bad?
    `batch_first=True` changes the layout of the input and the output only. `h_0`, `c_0`, `h_n`
    and `c_n` are always `(num_layers * num_directions, B, H)`. A batch-major initial state
    fails with a shape error when B differs from num_layers * num_directions and silently feeds
    the wrong rows when they are equal; `h_n[:, -1]` and `h_n.view(B, -1)` give valid shapes and
    wrong values.

    ## Example
    ```python
    import torch
    import torch.nn as nn

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.num_layers, self.hidden_size = 2, 64
            self.lstm = nn.LSTM(32, 64, num_layers=2, batch_first=True)

        def forward(self, x):
            h0 = torch.zeros(x.size(0), self.num_layers, self.hidden_size)
            c0 = torch.zeros(x.size(0), self.num_layers, self.hidden_size)
            out, (h_n, c_n) = self.lstm(x, (h0, c0))
            return h_n[:, -1]
    ```

    ## Use instead
    ```python
    import torch
    import torch.nn as nn

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.num_layers, self.hidden_size = 2, 64
            self.lstm = nn.LSTM(32, 64, num_layers=2, batch_first=True)

        def forward(self, x):
            h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size)
            c0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size)
            out, (h_n, c_n) = self.lstm(x, (h0, c0))
            return h_n[-1]
    ```
    """

    code = "RNN103"
    name = "state-batch-first"
    pattern = RECURRENT_CODE
    message = "h_0/h_n/c_0/c_n are (layers*directions, B, H) even with batch_first=True"

    def check(self, facts):
        for call in facts.calls:
            if call.module.is_cell:
                continue
            for state in call.states:
                labels = [axis.label for axis in state.axes] if state.axes else []
                if state.role == "created" and state.origin is not None and len(labels) == 3:
                    if labels[0] == "B" and labels[1] in _LAYERS:
                        yield self.report(
                            state.origin,
                            f"initial state for `{call.module.describe()}` is created batch-major (B, layers, H); "
                            "PyTorch expects (num_layers * num_directions, B, H) even with batch_first=True",
                        )
        for indexing in facts.indexings:
            tensor, items = indexing.tensor, indexing.items
            module = tensor.module
            if tensor.role not in ("h", "c") or module is None or module.batch_first is not True:
                continue
            if len(items) >= 2 and items[0] == ("full",) and items[1][0] == "int" and items[1][1].coeff < 0:
                if tensor.axes[1].label == "B":
                    yield self.report(
                        indexing.node,
                        f"`{module.describe()}` has batch_first=True, but its {'h_n' if tensor.role == 'h' else 'c_n'} "
                        "is still (num_layers * num_directions, B, H): [:, -1] takes the last sample, "
                        "not the last layer; use h_n[-1]",
                    )
        for reshape in facts.reshapes:
            module = reshape.tensor.module
            if module is not None and module.batch_first is True and mixes_samples(reshape):
                yield self.report(
                    reshape.node,
                    f"`{module.describe()}` has batch_first=True, but its state is still "
                    "(num_layers * num_directions, B, H): this reshape mixes samples; "
                    + batch_first_advice(reshape, "h_n" if reshape.tensor.role == "h" else "c_n"),
                )
