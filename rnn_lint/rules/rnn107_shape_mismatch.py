from rnn_lint.facts.values import ONE
from rnn_lint.rule import RECURRENT_CODE, Rule

_LAYERS = ("L", "D", "LD", "LDA")
#: Calls a read can reach without being fed on as a summary (printing, asking its shape).
_INSPECTING = frozenset({"print", "len", "isinstance", "type", "str", "repr", "id", "hasattr", "getattr", "format"})


class ShapeMismatch(Rule):
    """
    ## What it does
    Flags shapes that disagree with the module's configuration, where PyTorch does not always
    raise:

    * the time axis read on the wrong axis for the module's layout: `out[-1]` on a
      `batch_first=True` output (the last *sample*) or `out[:, -1]` on a seq-first one (also the
      last sample), when the read is fed on as a summary (passed to a layer or a function,
      or returned);
    * an initial state sized with a fixed batch (`self.batch_size` set once in `__init__`,
      `args.batch_size`, a literal larger than 1 in a model's code) instead of the input's;
    * a GRU's or RNN's `h_n` unpacked as `(h, c)`, or a tuple passed to one as its state;
    * an LSTM's `(h_n, c_n)` used as one tensor: a tensor method called on the tuple
      (`hidden.squeeze(0)`, `hidden.view(...)`, outside code that tests `isinstance`), or a single
      tensor passed to an LSTM as its state.

    A state made once in `__init__` and kept as an attribute is RNN405 (unlearned-initial-state),
    which covers its fixed batch too. It stays silent when the batch is taken from the input
    (`x.size(0)`/`x.size(1)` as the layout says, `len(lengths)`), on `expand`ed learned states, on
    helpers that take the batch as an argument and are given the input's, on `self.batch_size`
    that other code reassigns (in this file), and on anything whose layout or kind is not known.

    ## Why is this bad?
    With `batch_first=True` the output is `(B, T, H)`: `out[-1]` is every step of the last
    sample, a valid `(T, H)` tensor that a Linear layer accepts. A state sized with
    `self.batch_size` works until the last, smaller batch of an epoch or the first inference
    with another batch size. Unpacking a two-layer GRU's `h_n` as `(h, c)` silently gives layer 0
    and layer 1; an LSTM given one tensor as its state raises only when that line runs.

    How it differs from its neighbours: RNN103 is the state read as batch-major; RNN104 the last
    step of a *bidirectional* output; RNN105 the last step read on the right axis of a padded
    batch; RNN109 a layout argument of `pack_padded_sequence`/`pad_packed_sequence` that
    disagrees with the rest of the code.

    ## Example
    ```python
    import torch
    import torch.nn as nn

    class Classifier(nn.Module):
        def __init__(self, batch_size):
            super().__init__()
            self.batch_size = batch_size
            self.lstm = nn.LSTM(32, 64, batch_first=True)
            self.fc = nn.Linear(64, 2)

        def forward(self, x):
            h0 = torch.zeros(1, self.batch_size, 64, device=x.device)
            c0 = torch.zeros(1, self.batch_size, 64, device=x.device)
            out, _ = self.lstm(x, (h0, c0))
            return self.fc(out[-1])
    ```

    ## Use instead
    ```python
    import torch
    import torch.nn as nn

    class Classifier(nn.Module):
        def __init__(self, batch_size):
            super().__init__()
            self.batch_size = batch_size
            self.lstm = nn.LSTM(32, 64, batch_first=True)
            self.fc = nn.Linear(64, 2)

        def forward(self, x):
            h0 = torch.zeros(1, x.size(0), 64, device=x.device)
            c0 = torch.zeros(1, x.size(0), 64, device=x.device)
            out, _ = self.lstm(x, (h0, c0))
            return self.fc(out[:, -1])
    ```
    """

    code = "RNN107"
    name = "shape-mismatch"
    pattern = RECURRENT_CODE
    message = "a state or output used with a shape the module's configuration does not give"

    def check(self, facts):
        yield from self._time_axis(facts)
        yield from self._fixed_batch(facts)
        yield from self._state_kinds(facts)

    # --- out[-1] on (B, T, H), out[:, -1] on (T, B, H) -------------------------------------
    def _time_axis(self, facts):
        from rnn_lint.facts.packing import Unpack, last_step_axis  # loads libcst

        fed = {  # reads passed on to a call (a layer, a function) or returned
            id(use.value.read.node)
            for use in facts.uses
            if use.how in ("argument", "return") and getattr(use.value, "read", None) is not None and _fed_on(use.node)
        }
        by_node: dict[int, list] = {}
        for indexing in facts.indexings:
            by_node.setdefault(id(indexing.node), []).append(indexing)
        for indexings in by_node.values():
            indexing = indexings[0]
            tensor = indexing.tensor
            axis = last_step_axis(indexing)
            if tensor.role != "output" or tensor.module is None or axis is None or tensor.axes is None:
                continue
            labels = [a.label for a in tensor.axes]
            if len(labels) < 2 or labels[axis] != "B" or "T" not in labels[:2]:
                continue
            if tensor.axes[axis].size == ONE:
                continue  # a batch of one by design: its only sample is what the code means
            padding = tensor.padding
            if isinstance(padding, Unpack) and padding.disagrees:
                continue  # pad_packed_sequence told the other layout: RNN109, where the fix goes
            if id(indexing.node) not in fed:
                continue  # printed, or its shape asked: not used as a summary
            module = tensor.module
            read = "[-1]" if axis == 0 else "[:, -1]"
            layout = "(B, T, H)" if labels[0] == "B" else "(T, B, H)"
            instead = "out[:, -1]" if labels[0] == "B" else "out[-1]"
            bidirectional = module.by_default("bidirectional") is True
            advice = (
                "torch.cat((h_n[-2], h_n[-1]), dim=-1) (the last step's backward half has seen one step)"
                if bidirectional
                else f"{instead} (or h_n[-1])"
            )
            yield self.report(
                indexing.node,
                f"`{module.describe()}`'s output is {layout} here, so {read} takes the last *sample*, not the last "
                f"step; use {advice}",
            )

    # --- initial states sized with a fixed batch ---------------------------------------------
    def _fixed_batch(self, facts):
        from rnn_lint.facts.readings import reassigned  # loads libcst

        reported: set[int] = set()
        for call in facts.calls:
            for state in call.states:
                if state.role != "created" or state.axes is None or state.origin is None:
                    continue
                sizes = facts.fixed_sizes.get(id(state.origin))
                position = _batch_position(call.module, [a.label for a in state.axes])
                if sizes is None or position is None or position >= len(sizes.fixed):
                    continue
                if sizes.function.endswith(".__init__"):
                    continue  # a tensor attribute made once as the state: RNN405 (unlearned-initial-state)
                fixed = sizes.fixed[position]
                axis = state.axes[position]
                if fixed is not None:
                    if reassigned(facts, fixed):
                        continue  # set per batch somewhere (model.batch_size = len(batch))
                    node, what = fixed, facts.module.code_for_node(fixed)
                elif sizes.in_model_code and axis.label in ("?", "KH") and _literal_above_one(axis.size):
                    if _input_batch(call) == axis.size:
                        continue
                    node, what = state.origin, f"the literal {axis.size.describe()}"
                else:
                    continue
                if id(node) in reported:
                    continue
                reported.add(id(node))
                yield self.report(
                    node,
                    f"initial state for `{call.module.describe()}` is sized with a fixed batch ({what}): it breaks on "
                    "the last, smaller batch of an epoch and at inference; take the batch from the input "
                    "(x.size(0) with batch_first=True, else x.size(1))",
                )

    # --- GRU state as (h, c), LSTM state as one tensor -----------------------------------------
    def _state_kinds(self, facts):
        reported: set[int] = set()
        for kind in facts.state_kinds:
            if id(kind.node) in reported:
                continue
            reported.add(id(kind.node))
            module = kind.module
            if kind.what == "unpacked":
                message = (
                    f"`{module.describe()}` is {_a(module.kind)}: its state is one tensor "
                    "(num_layers * num_directions, B, H), not (h, c); unpacking it gives its first two layers or "
                    "directions, or raises"
                )
            else:
                message = (
                    f"`{module.describe()}` is an LSTM: its state is the tuple (h_n, c_n), not one tensor; "
                    "take h_n from it first (out, (h_n, c_n) = ...)"
                )
            yield self.report(kind.node, message)
        by_node: dict[int, list] = {}
        for call in facts.calls:
            if not call.module.is_cell and call.state is not None:
                by_node.setdefault(id(call.node), []).append(call)
        for calls in by_node.values():  # a run-time choice of class: every candidate must agree
            call, state = calls[0], calls[0].state
            families = {c.module.family for c in calls}
            if "LSTM" not in families and _pair_of_tensors(state):
                yield self.report(
                    call.node,
                    f"`{call.module.describe()}` is {_a(call.module.kind)}: it takes one state tensor, not an (h, c) "
                    "tuple",
                )
            elif families == {"LSTM"} and _state_tensor(state):
                yield self.report(
                    call.node,
                    f"`{call.module.describe()}` is an LSTM: its state is the tuple (h_0, c_0), not one tensor",
                )


def _a(kind: str) -> str:
    return f"an {kind}" if kind.startswith(("RNN", "LSTM")) else f"a {kind}"


def _fed_on(use) -> bool:
    import libcst as cst

    if isinstance(use, cst.Return):
        return True
    if isinstance(use, cst.Call):
        func = use.func
        return not (isinstance(func, cst.Name) and func.value in _INSPECTING)
    return False


def _batch_position(module, labels) -> int | None:
    if module.is_cell:
        return 0 if len(labels) == 2 and labels[1] == "H" else None
    if len(labels) == 3 and labels[0] in _LAYERS and labels[2] == "H":
        return 1
    return None


def _literal_above_one(size) -> bool:
    value = getattr(size, "value", None)
    return value is not None and value > 1


def _input_batch(call):
    from rnn_lint.facts.values import Tensor

    value = call.input
    if not isinstance(value, Tensor) or value.axes is None:
        return None
    index = value.axis_index("B")
    if index is None:
        axes = value.axes
        first = call.module.batch_first
        if first is None or len(axes) != 3:
            return None
        index = 0 if first else 1
    return value.axes[index].size


def _pair_of_tensors(state) -> bool:
    from rnn_lint.facts.values import Tensor, TupleValue

    return isinstance(state, TupleValue) and len(state.items) == 2 and all(isinstance(t, Tensor) for t in state.items)


def _state_tensor(state) -> bool:
    from rnn_lint.facts.values import Tensor

    return isinstance(state, Tensor) and state.axes is not None and len(state.axes) == 3
