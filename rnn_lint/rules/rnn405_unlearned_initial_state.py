from rnn_lint.rule import RECURRENT_CODE, Rule


class UnlearnedInitialState(Rule):
    """
    ## What it does
    Flags an initial state stored on a model in `__init__` that is not the learned state its
    author meant:

    - a tensor made with `requires_grad=True` (or `.requires_grad_()`, `Variable(...,
      requires_grad=True)`) kept as a plain attribute, when it is named as an initial state
      (`h0`, `init_hidden`, `initial_state` …) or passed to a recurrent module as its state;
    - a plain tensor attribute (`self.h0 = torch.zeros(L, B, H)`) passed as a recurrent module's
      state and never stored again;
    - an `nn.Parameter` named as an initial state (`h0`, `init_hidden`, `lstm_init_h` …) that
      nothing in the file reads, so it never reaches a recurrent call — made in `__init__`,
      unpacked from a tuple (`self.h0, self.c0 = …`), or returned by a helper method of the class
      (`self.h0, self.c0 = self._init_states()`).

    ## Why is this bad?
    Only `nn.Parameter` attributes (and registered buffers) belong to the module. A plain tensor,
    even with `requires_grad=True`, is not in `model.parameters()` (an optimizer built from them
    never updates it), `model.to(device)` / `.cuda()` leave it on the CPU (the first GPU run fails
    with "Input and hidden tensors are not at the same device"), and `state_dict()` does not save
    it. A plain tensor state also has the batch size it was made with, so the last, smaller batch
    of an epoch fails. And a parameter that never reaches the recurrent call is trained by
    nothing: the module starts from zeros while the code looks like it learns its start.

    ## Example
    ```python
    import torch
    import torch.nn as nn

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(32, 64)
            self.h0 = torch.zeros(1, 1, 64, requires_grad=True)

        def forward(self, x):
            return self.gru(x, self.h0.expand(1, x.size(1), 64).contiguous())
    ```

    ## Use instead
    ```python
    import torch
    import torch.nn as nn

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(32, 64)
            self.h0 = nn.Parameter(torch.zeros(1, 1, 64))

        def forward(self, x):
            return self.gru(x, self.h0.expand(1, x.size(1), 64).contiguous())
    ```
    For a fixed (not learned) state use `self.register_buffer("h0", torch.zeros(1, 1, 64))`, or
    pass no state at all: PyTorch then starts from zeros on the input's device.
    """

    code = "RNN405"
    name = "unlearned-initial-state"
    pattern = RECURRENT_CODE
    message = "an initial state stored as a plain tensor (or a parameter nothing reads) is never learned"

    def check(self, facts):
        from rnn_lint.facts.initial_states import (
            PARAMETER,
            REQUIRES_GRAD,
            TENSOR,
            is_initial_state_name,
            mentioned_by_name,
        )

        if not facts.state_attributes:
            return
        reaching = {id(t.origin): call for call in facts.calls for t in call.states if t.origin is not None}
        made_in_init = {id(c.node): c.call for c in facts.state_creations if c.function.endswith(".__init__")}
        reported: set[int] = set()
        for stored in facts.state_attributes:
            name, where = stored.attribute, f"`self.{stored.attribute}`"
            call = reaching.get(id(stored.origin)) if stored.origin is not None else None
            if stored.how == REQUIRES_GRAD and (call is not None or is_initial_state_name(name)):
                message = (
                    f"{where} has requires_grad=True but is a plain tensor attribute, not a parameter: it is not in "
                    "model.parameters() (no optimizer trains it), .to()/.cuda() leave it behind and state_dict() "
                    "does not save it; wrap it in nn.Parameter(...)"
                )
            elif stored.how == TENSOR and stored.origin is not None and id(stored.origin) in made_in_init:
                module = made_in_init[id(stored.origin)].module.describe()
                message = (
                    f"{where} is a plain tensor attribute used as `{module}`'s initial state: it is never learned, "
                    "keeps the batch size it was made with and stays on the CPU when the model moves; use "
                    "nn.Parameter(...) expanded to the batch in forward, register_buffer(...), or no state at all"
                )
            elif stored.how == PARAMETER and self._forward_in_file(facts, stored.class_name):
                if facts.attribute_uses.loads[name]:
                    continue  # read somewhere: it may well reach the module
                message = (
                    f"{where} is an nn.Parameter named as an initial state, but nothing in this file reads it: no "
                    "recurrent call receives it, so it is never learned; pass "
                    f"self.{name}.expand(-1, B, -1).contiguous() as the state"
                )
            else:
                continue
            uses = facts.attribute_uses  # read off the file's text, only for what is left
            if uses.stores[name] != 1 or mentioned_by_name(uses, name):
                continue  # stored again (a carried state, a later nn.Parameter), or reached by name
            if id(stored.node) not in reported:
                reported.add(id(stored.node))
                yield self.report(stored.node, message)

    @staticmethod
    def _forward_in_file(facts, class_name: str) -> bool:
        """The class's forward is in this file (its own or an in-file base's) and no base class from
        elsewhere could read the parameter."""
        seen: set[str] = set()
        pending = [class_name]
        while pending:
            name = pending.pop()
            info = facts.classes.get(name)
            if info is None or name in seen:
                continue
            seen.add(name)
            if info.unknown_base:
                return False
            if "forward" in info.methods:
                return True
            pending.extend(info.in_file_bases)
        return False
