from rnn_lint.facts.model import plain
from rnn_lint.facts.values import RANDOM, ParamSlice
from rnn_lint.rule import Rule


def initialises_forget_gate(write) -> bool:
    """Whether a write into an LSTM parameter may set its forget-gate bias (rows [H:2H]) to
    something other than PyTorch's near-zero default. When unsure, it may."""
    value = plain(write.value)
    certainly_not_positive = isinstance(value, (int, float)) and value <= 0
    target = write.target
    if isinstance(target, ParamSlice):
        if target.start is None or target.stop is None:
            return not certainly_not_positive
        return target.start <= 1 and target.stop >= 2 and not certainly_not_positive
    if write.param.kind == "weight" or write.value == RANDOM:
        return False
    return not certainly_not_positive


class MissingForgetBias(Rule):
    """
    ## What it does
    Flags an `nn.LSTM` or `nn.LSTMCell` whose forget-gate bias is never initialised anywhere in
    the file: no write into rows `[H:2H]` of its `bias_ih`/`bias_hh` (directly, through
    `named_parameters()`/`_all_weights` loops, `nn.init.*` on a slice, `.data[...]`, under
    `torch.no_grad()`, or in a helper function of the same file).

    It stays silent when the module (or the model holding it) is passed to code the linter cannot
    see — an imported init function, `model.apply(imported_fn)`, a base class from another
    package — and when the file loads weights (`load_state_dict`, `from_pretrained`).

    ## Why is this bad?
    PyTorch initialises every LSTM bias uniformly around 0, so the forget gate starts half
    closed (sigmoid(0) = 0.5) and the cell state decays geometrically: gradients from step T
    reach step 0 scaled by about 0.5^T. Measured on `LSTM(4, 16)` over 100 steps, the gradient
    ratio between the first and the last step is 1e-21 to 5e-18 with the default init and 4e-2
    to 1.1 with a forget bias of 1.5 + 1.5 (Jozefowicz et al., 2015, recommend 1). Nothing fails:
    the model simply cannot learn long dependencies.

    ## Example
    ```python
    import torch.nn as nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(32, 64, num_layers=2)
    ```

    ## Use instead
    ```python
    import torch
    import torch.nn as nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(32, 64, num_layers=2)
            with torch.no_grad():
                for name, param in self.lstm.named_parameters():
                    if "bias" in name:
                        param.zero_()
                        param[64:128].fill_(0.5)  # bias_ih + bias_hh = 1 on the forget gate
    ```
    """

    code = "RNN201"
    name = "missing-forget-bias"
    message = "LSTM forget-gate bias is left at PyTorch's default (about 0); initialise bias[H:2H] to 1"

    def check(self, facts):
        if facts.loads_weights:
            return
        for construction in facts.constructions:
            if construction.family != "LSTM" or construction.certainly("bias") is False:
                continue
            if facts.escapes(construction):
                continue
            writes = (w for w in facts.param_writes if facts.owner_includes(w.param.owner, construction))
            if any(initialises_forget_gate(write) for write in writes):
                continue
            yield self.report(
                construction.node,
                f"`{construction.describe()}`'s forget-gate bias is left at PyTorch's default (about 0); "
                "set bias_ih[H:2H] and/or bias_hh[H:2H] so that their sum is about 1",
            )
