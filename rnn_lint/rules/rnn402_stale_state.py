from rnn_lint.rule import RECURRENT_CODE, Rule


class StaleState(Rule):
    """
    ## What it does
    Flags a recurrent state fed back into the next call inside a loop that calls `backward()`,
    with nothing on the way that detaches it or makes a new one: `output, hidden =
    model(data, hidden)` where `hidden` came from the previous batch. The state must come from a
    recurrent module of the file, or from a model of the file whose `forward` returns one. A model
    whose `forward` keeps the state itself (`out, self.hidden = self.lstm(x, self.hidden)`) is
    flagged where it is called in such a loop that neither resets `model.hidden` nor calls another
    of its methods. Also flags `backward(retain_graph=True)` in such a loop, the usual way the
    resulting error is silenced.

    ## Why is this bad?
    The returned state is still attached to the previous batch's graph. The next `backward()`
    runs into that graph, which the previous `backward()` already freed: "Trying to backward
    through the graph a second time". With `retain_graph=True` it runs, but every batch now
    backpropagates through all the batches before it: each step is slower and uses more memory
    than the last, and the gradients are not the truncated-BPTT ones intended.

    ## Example
    ```python
    import torch
    import torch.nn as nn

    lstm = nn.LSTM(10, 20)
    optimizer = torch.optim.SGD(lstm.parameters(), lr=0.1)
    state = None
    for batch in torch.randn(5, 35, 4, 10):
        output, state = lstm(batch, state)
        loss = output.pow(2).mean()
        optimizer.zero_grad()
        loss.backward(retain_graph=True)
        optimizer.step()
    ```

    ## Use instead
    ```python
    import torch
    import torch.nn as nn

    lstm = nn.LSTM(10, 20)
    optimizer = torch.optim.SGD(lstm.parameters(), lr=0.1)
    state = None
    for batch in torch.randn(5, 35, 4, 10):
        if state is not None:
            state = tuple(s.detach() for s in state)  # keep the values, cut the graph
        output, state = lstm(batch, state)
        loss = output.pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    The `repackage_hidden(hidden)` helper of PyTorch's word_language_model example does the same
    for a tensor or a tuple of them. Or start every batch from a fresh state (`hidden = None`,
    `model.init_hidden(batch_size)`) when batches are not consecutive text.
    """

    code = "RNN402"
    name = "stale-state"
    pattern = RECURRENT_CODE
    message = "a state carried across backward() calls without detach() backpropagates into freed graphs"

    def check(self, facts):
        by_call: dict[int, list] = {}
        for carry in facts.stale_carries:
            by_call.setdefault(id(carry.call), []).append(carry)
        reported: set[int] = set()
        for carries in by_call.values():
            first = carries[0]
            names = ", ".join(f"`{c.name}`" for c in carries)
            if first.model is not None:
                yield self.report(
                    first.argument,
                    f"`{first.model}` keeps `{first.module.describe()}`'s state in `{first.name}` and feeds it back "
                    "on every call, and this loop calls backward() without resetting it: the next backward() "
                    "runs into the previous batch's freed graph (or, with retain_graph=True, into every earlier "
                    f"batch); reset it each batch ({first.name} = ...) or detach it in forward",
                )
            else:
                what = f"{names} is" if len(carries) == 1 else f"{names} are"
                yield self.report(
                    first.argument,
                    f"{what} `{first.module.describe()}`'s state from the previous iteration, still attached to the "
                    "graph that the loop's backward() already used: the next backward() fails, or with "
                    "retain_graph=True reaches into every earlier batch; detach it first "
                    f"({first.name} = repackage_hidden({first.name}), or .detach() each tensor) "
                    "or start from a fresh state",
                )
            for argument in first.retain_graph:
                if id(argument) not in reported:
                    reported.add(id(argument))
                    yield self.report(
                        argument,
                        f"retain_graph=True keeps every batch's graph alive while {names} is carried across "
                        "batches: memory and time grow each step; detach the carried state instead",
                    )
