import re

from rnn_lint.rule import RECURRENT_CODE, Rule, is_test_file


class MissingForgetBias(Rule):
    """
    ## What it does
    Flags an `nn.LSTM` or `nn.LSTMCell` whose biases are left at PyTorch's default: nothing in the
    file writes into its `bias_ih`/`bias_hh` — not directly, not through `named_parameters()` or
    `_all_weights` loops, `all_weights[k][2]`/`[3]`, a loop over a literal tuple of them or over
    parameter lists joined with `+`, `nn.init.*`, `.data[...]`, `torch.no_grad()` blocks,
    `eval`/`getattr` on parameter names, nor in a helper function of the same file. An update
    step (`p.data.add_(p.grad, alpha=-lr)`, `p.data -= lr * p.grad`) is no initialisation.

    To stay precise it says nothing when the biases are initialised in any way (even to 0: that is
    a choice), when the module or the model holding it reaches code the linter cannot see (an
    imported init function, `model.apply(imported_fn)`, a base class from another package; not
    an `apply` that cannot be a module's: an autograd function's `GradReverse.apply(x)`, or
    pandas' `df["text"].apply(len)`, `.apply(str.strip)`, `.apply(lambda s: s.lower())` with a
    lambda that calls nothing that can set a weight), when
    every run of the file loads trained weights (`load_state_dict`, `from_pretrained`, also in
    the `if __name__ == "__main__":` block; not a load under another `if`, such as `--resume`,
    unless the module itself is built under that `if` too, as cove builds and loads each LSTM;
    nor in a `try` whose `except` carries on without it, nor in a method nothing else in the
    file calls or names, such as a `from_pretrained` classmethod or an override of
    `load_state_dict`, nor an optimiser's or scheduler's state, nor the restore of the run's own
    `state_dict()` at early stopping, kept in memory or in a file the run saved it to before — a
    literal path, or a name the file binds once to a string or an f-string), in
    test files, and for modules built outside a model class in a file that trains nothing, or
    whose parameters nothing in the file takes (demos and shape checks, `lstm = nn.LSTM(4, 3)` in
    a notebook that trains another model).
    With the project index it also says nothing when, in other files of the project, every
    instance of the model gets its weights loaded (`model.load_state_dict(torch.load(...))` in
    `predict.py`) or an initialisation applied (`model.apply(init_weights)`,
    `init_weights(model)`, a loop over `model.parameters()` calling `nn.init` functions, also
    imported by their bare names, or in-place fills). A model that one script trains from
    scratch while another loads a checkpoint into its own instance is still reported.

    ## Why is this bad?
    PyTorch initialises every LSTM bias uniformly around 0, so the forget gate starts half
    closed (sigmoid(0) = 0.5) and the cell state decays geometrically: gradients from step T
    reach step 0 scaled by about 0.5^T. Measured on `LSTM(4, 16)` over 100 steps, the gradient
    ratio between the first and the last step is 1e-21 to 5e-18 with the default init and 4e-2
    to 1.1 with a forget bias of 1.5 + 1.5. Jozefowicz et al. (2015) found a forget bias of 1
    helps LSTMs across tasks. Nothing fails: the model learns long dependencies more slowly, or
    not at all.

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
    pattern = RECURRENT_CODE
    message = "nothing initialises the LSTM's biases: its forget gate starts half closed; set bias[H:2H] to about 1"

    def check(self, facts):
        if facts.loads_weights or is_test_file(facts.path):
            return
        for construction in facts.constructions:
            if construction.family != "LSTM" or construction.certainly("bias") is False:
                continue
            if construction.alternatives is not None:
                continue  # RNNS[kind](...): it may not be an LSTM at all
            if construction.owner_class is None and not _trained(construction, facts):
                continue  # a demo or a shape check, not a model anybody trains
            if facts.escapes(construction) or id(construction) in facts.loaded_constructions:
                continue
            if facts.project is not None and construction.owner_class is not None:
                if facts.project.weights_from_elsewhere(construction.owner_class):
                    continue  # another file of the project loads or initialises this model's weights
            if any(
                write.param.kind != "weight" and facts.owner_includes(write.param.owner, construction)
                for write in facts.param_writes
            ):
                continue  # its biases are initialised on purpose, to whatever the author chose
            yield self.report(
                construction.node,
                f"nothing in this file initialises `{construction.describe()}`'s biases, so its forget gate "
                "starts half closed (PyTorch's default bias is about 0); set bias_ih[H:2H] + bias_hh[H:2H] "
                "to about 1",
            )


def _trained(construction, facts) -> bool:
    """Whether a module built outside a model class may be trained: the file trains something,
    and a module bound to a plain name has its parameters taken somewhere (``model.parameters()``
    for an optimiser); a notebook's shape check, ``lstm = nn.LSTM(4, 3)`` next to a model the
    notebook trains, is not."""
    if not facts.trains:
        return False
    name = construction.binding
    if name is None or not name.isidentifier() or facts.source is None:
        return True
    return re.search(rf"\b{re.escape(name)}\s*\.\s*(?:named_)?parameters\s*\(", facts.source) is not None
