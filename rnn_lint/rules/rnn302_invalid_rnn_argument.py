from rnn_lint import contract
from rnn_lint.rule import RECURRENT_CODE, NodeEdit, Rule, SuggestedFix


class InvalidRnnArgument(Rule):
    """
    ## What it does
    Flags constructor arguments that PyTorch rejects or silently misreads: `nonlinearity=` on an
    LSTM or GRU (only `nn.RNN`/`nn.RNNCell` take it), a nonlinearity other than `'tanh'` or
    `'relu'`, `proj_size` on an RNN or GRU or not smaller than `hidden_size`, `dropout` outside
    `[0, 1]`, non-bool `bias`/`batch_first`, a float `input_size`/`hidden_size` (from `/`), and a
    bool landing in `num_layers` because arguments were passed by position.

    ## Why is this bad?
    Most of these raise — but only when the line runs, which for a rarely used configuration
    can be deep into a sweep. The positional one never raises: `nn.LSTM(32, 64, True)` means
    `num_layers=True`, i.e. one layer, not `bias=True` or `batch_first=True`. And `nn.RNNCell`
    accepts any nonlinearity string and fails only at its first forward call.

    ## Example
    ```python
    import torch.nn as nn

    rnn = nn.GRU(32, 64, nonlinearity="relu")
    ```

    ## Use instead
    ```python
    import torch.nn as nn

    rnn = nn.RNN(32, 64, nonlinearity="relu")  # or nn.GRU(32, 64): GRU gates use fixed activations
    ```
    """

    code = "RNN302"
    name = "invalid-rnn-argument"
    pattern = RECURRENT_CODE
    message = "argument that PyTorch rejects or silently misreads"

    def check(self, facts):
        for site in facts.sites():
            # a run-time choice of class is wrong only where every class it may be rejects it
            shared = None
            for construction in site:
                found = {(p.argument, p.raises): p for p in _problems(construction)}
                shared = found if shared is None else {k: v for k, v in shared.items() if k in found}
            first = site[0]
            for problem in (shared or {}).values():
                argument = first.arguments.get(problem.argument)
                if argument is None:
                    continue
                fix = None
                removable = not any(contract.accepts(c.kind, problem.argument) for c in site)
                if problem.raises == "TypeError" and removable and argument.keyword:
                    fix = SuggestedFix(f"Remove `{problem.argument}`", "unsafe", (NodeEdit(argument, ""),))
                kind = first.kind if len(site) == 1 else "/".join(c.kind for c in site)
                message = problem.message if problem.message.startswith("nn.") else f"nn.{kind}: {problem.message}"
                yield self.report(argument, message, fix)


def _problems(construction):
    written = {name: construction.certainly(name) for name in construction.arguments}
    if "proj_size" in written:
        written.setdefault("hidden_size", construction.certainly("hidden_size"))
    return contract.argument_problems(construction.kind, written)
