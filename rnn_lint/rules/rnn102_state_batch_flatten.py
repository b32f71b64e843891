from rnn_lint.facts.values import ONE
from rnn_lint.rule import RECURRENT_CODE, Rule


def mixes_samples(reshape) -> bool:
    """Whether ``reshape`` flattens a followed state so that rows straddle samples: batch is not
    the leading axis, something before it may be larger than 1, and the view either puts the
    batch size first or glues several hidden-size rows together."""
    tensor = reshape.tensor
    # sizes of exactly 1 add an axis without moving any data: judge the view without them
    labels = [label for size, label in zip(reshape.sizes, reshape.labels) if size != ONE]
    if tensor.role not in ("h", "c") or tensor.module is None or tensor.module.is_cell:
        return False
    batch = tensor.axis_index("B")
    if not batch:  # None (not followed) or 0 (already batch-first)
        return False
    if all(axis.size == ONE for axis in tensor.axes[:batch]):
        return False
    if not labels:
        return False
    if labels[0] == "B":
        return True
    glued = labels[-1] == "KH" and all(label in ("infer", "?") for label in labels[:-1])
    return glued and tensor.axes[-1].label == "H" and tensor.axes[-2].label == "B"


def batch_first_advice(reshape, state: str) -> str:
    """How to put the batch axis first before this reshape: ``permute(1, 0, 2)`` on the whole
    state, else (a tensor already sliced or transposed: ``h_n[0].t()`` is (H, B)) a transpose of
    the axis it is at."""
    tensor = reshape.tensor
    batch = tensor.axis_index("B")
    if len(tensor.axes) == 3 and batch == 1:
        return f"use {state}.permute(1, 0, 2).reshape(B, -1)"
    return f"put the batch axis (axis {batch} here) first, .transpose(0, {batch}), before reshaping"


def splits_stacked_batch(reshape) -> bool:
    """Whether ``reshape`` reads states joined on their batch axis (``torch.cat([h[-2], h[-1]],
    dim=0)``: rows are (block, sample)) as one row per sample: the batch size first, or several
    hidden-size rows glued together."""
    tensor = reshape.tensor
    if tensor.role not in ("h", "c") or tensor.module is None or not tensor.axes or tensor.axes[0].label != "SB":
        return False
    labels = [label for size, label in zip(reshape.sizes, reshape.labels) if size != ONE]
    if not labels:
        return False
    return labels[0] == "B" or (labels[-1] == "KH" and all(label in ("infer", "?") for label in labels[:-1]))


class StateBatchFlatten(Rule):
    """
    ## What it does
    Flags `h_n`/`c_n` reshaped per sample without moving the batch axis first:
    `h_n.view(B, -1)`, `h_n.reshape(x.size(0), -1)`, `h_n.view(-1, 2 * H)` — whenever the module
    may have more than one layer or direction. (For a `batch_first=True` module the same mistake
    is reported as RNN103.) Also flags states of one module concatenated on the batch axis and
    then viewed per sample: `torch.cat([h_n[2 * i], h_n[2 * i + 1]], dim=0).view(B, 2 * H)`.

    ## Why is this bad?
    `h_n` is `(num_layers * num_directions, B, H)`: its batch axis is 1, not 0. `view` and
    `reshape` read memory in order, so `h_n.view(B, -1)` builds each "sample" from consecutive
    rows of *different* samples and layers. The shape is exactly what the next `nn.Linear`
    expects, so nothing fails; the classifier just sees other samples' states. With one layer
    and one direction the two agree, which is why this survives single-layer tests.

    ## Example
    ```python
    import torch.nn as nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(100, 128, num_layers=2, batch_first=False)
            self.fc = nn.Linear(2 * 128, 5)

        def forward(self, x):
            _, (h_n, _) = self.lstm(x)
            return self.fc(h_n.view(x.size(1), -1))
    ```

    ## Use instead
    ```python
    import torch.nn as nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(100, 128, num_layers=2, batch_first=False)
            self.fc = nn.Linear(2 * 128, 5)

        def forward(self, x):
            _, (h_n, _) = self.lstm(x)
            return self.fc(h_n.permute(1, 0, 2).reshape(x.size(1), -1))
    ```
    Or keep only the top layer: `h_n[-1]` (one direction), or
    `torch.cat((h_n[-2], h_n[-1]), dim=-1)` (both directions of a bidirectional module). Joining
    two `(B, H)` states with `torch.cat(..., dim=0)` gives `(2B, H)`, whose rows are still
    (block, sample): concatenate on `dim=-1` to get `(B, 2H)`.
    """

    code = "RNN102"
    name = "state-batch-flatten"
    pattern = RECURRENT_CODE
    message = "h_n is (layers*directions, B, H): reshaping it per sample mixes samples; permute(1, 0, 2) first"

    def check(self, facts):
        for reshape in facts.reshapes:
            if splits_stacked_batch(reshape):
                state = "h_n" if reshape.tensor.role == "h" else "c_n"
                yield self.report(
                    reshape.node,
                    f"`{reshape.tensor.module.describe()}`'s {state} rows were concatenated on the batch axis "
                    "(dim=0 of (B, H) blocks gives (2B, H), one row per block and sample): this reshape mixes "
                    "samples; concatenate on dim=-1 instead",
                )
                continue
            if reshape.tensor.module is not None and reshape.tensor.module.batch_first is True:
                continue  # RNN103 reports it, with the batch_first explanation
            if mixes_samples(reshape):
                state = "h_n" if reshape.tensor.role == "h" else "c_n"
                yield self.report(
                    reshape.node,
                    f"`{reshape.tensor.module.describe()}`'s {state} is (num_layers * num_directions, B, H): "
                    f"this reshape mixes samples; {batch_first_advice(reshape, state)} "
                    f"or torch.cat(({state}[-2], {state}[-1]), dim=-1)",
                )
