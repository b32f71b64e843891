"""How outputs and states are read, sized and unpacked: the facts behind RNN107 (shape-mismatch).

* **reads fed on.** ``out[-1]`` is an ``Indexing``; the tensor it gives carries it (``Tensor.read``)
  through the operations that keep following it, so a use of that tensor recorded by uses.py
  (``self.fc(last)``, ``return last``) says where the read went.
* **batch sizes fixed when the model was built.** ``self.batch_size`` read from the class table
  (assigned in ``__init__``, not in the running function) is a ``Sym`` with ``fixed`` set to the
  expression, so it survives being passed to a helper (``self.init_hidden(self.batch_size)``). A
  tensor factory records, per size, the expression that fixed it: that one, or ``args.batch_size``
  and the like (a configuration object). Attributes that
  other code reassigns (``model.batch_size = len(batch)``) are listed, so that rules can stay silent
  on them.
* **states of the other family.** ``h, c = gru_h_n`` (or ``out, (h, c) = self.gru(x)``) and a
  tensor method called on an LSTM's ``(h_n, c_n)`` tuple (``hidden.squeeze(0)``) are ``StateKind``
  facts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import libcst as cst

from rnn_lint.facts.idioms import BATCH_NAMES
from rnn_lint.facts.imports import dotted
from rnn_lint.facts.values import BATCH, Opaque, Sym, Tensor, TupleValue

if TYPE_CHECKING:
    from rnn_lint.facts.interpreter import Frame
    from rnn_lint.facts.model import Construction

#: Objects that hold a run's configuration: their ``batch_size`` is the configured one.
CONFIG_OBJECTS = frozenset(
    {"args", "opt", "opts", "config", "cfg", "conf", "hparams", "hp", "params", "flags", "FLAGS", "options"}
)
#: Tensor methods that fail on a tuple: called on an LSTM's (h_n, c_n) they show it is taken for h_n.
TENSOR_ONLY_METHODS = frozenset(
    {"view", "reshape", "squeeze", "unsqueeze", "permute", "transpose", "size", "dim", "contiguous", "flatten"}
)


@dataclass(eq=False)
class FixedSizes:
    """The sizes of a tensor factory call: per size, the expression that fixed it (None if not)."""

    node: cst.Call
    fixed: tuple[cst.BaseExpression | None, ...]
    #: made in a method of a model (or code its forward runs), not in a script
    in_model_code: bool
    #: the key of the function that made it (a state made in ``__init__`` is RNN405's)
    function: str


@dataclass(eq=False)
class StateKind:
    """A state handled as the other family's: a GRU/RNN ``h_n`` unpacked as ``(h, c)``
    (``what="unpacked"``), or a tensor method on an LSTM's ``(h_n, c_n)`` (``what="tuple"``)."""

    node: cst.CSTNode
    module: Construction
    what: str


class Readings:
    """Mixed into the Interpreter; uses its evaluation methods and ``facts``."""

    # --- fixed batch sizes ----------------------------------------------------------------
    def _fixed_batch(self, node: cst.Attribute, value: Any, frame: Frame) -> Any:
        """``self.batch_size`` as the class table has it: a size fixed when the model was built.
        (Known only by identity, ``self.batch_size = args.batch_size``, it is the batch symbol.)"""
        if node.attr.value not in BATCH_NAMES or frame.class_info is None:
            return value
        if isinstance(value, Opaque):
            value = Sym.of(BATCH)
        if isinstance(value, Sym):
            self.facts.fixed_owners[id(node)] = frame.class_info.name
            return replace(value, fixed=node)
        return value

    def _note_attribute_write(self, target: cst.Attribute, frame: Frame) -> None:
        """``self.x = ...`` outside ``__init__`` (``(class, x)``), or ``obj.x = ...`` (``(None, x)``)."""
        if frame.key.endswith(".__init__"):
            return
        on_self = isinstance(target.value, cst.Name) and target.value.value == frame.self_name
        owner = frame.class_info.name if on_self and frame.class_info is not None else None
        self.facts.reassigned_attributes.add((owner, target.attr.value))

    def _note_fixed_sizes(self, node: cst.Call, sizes: list[tuple[Any, Any]], frame: Frame) -> None:
        fixed = tuple(_fixed_by(value, expression) for value, expression in sizes)
        if any(f is not None for f in fixed) or any(_literal(value) for value, _ in sizes):
            # a model's code: a class with a forward (a test case's `torch.zeros(1, 5, H)` sizes
            # the state for the test's own batch of 5), or code that forward() runs
            in_model = (frame.class_info is not None and frame.class_info.is_model) or self.forward_depth > 0
            self.facts.fixed_sizes[id(node)] = FixedSizes(node, fixed, in_model, frame.key)

    # --- states of the other family -------------------------------------------------------
    def _note_state_unpacking(self, target: cst.Tuple | cst.List, value: Any) -> None:
        """``h, c = h_n`` of a GRU/RNN: iterating its first axis gives layer 0 and layer 1. Not a
        tensor some method made of the state, whose layout is not followed (``h_n.chunk(2)``,
        ``h_n.unbind(0)``, the pair ``topk`` or ``max(dim=...)`` returns, ``h_n.matmul(w)``)."""
        if (
            isinstance(value, Tensor)
            and value.role == "h"
            and value.axes is not None
            and value.module is not None
            and value.module.family != "LSTM"
            and not value.module.is_cell
            and len(target.elements) == 2
            and not any(isinstance(e, cst.StarredElement) for e in target.elements)
        ):
            self.facts.state_kinds.append(StateKind(target, value.module, "unpacked"))

    def _note_tuple_method(self, receiver: Any, method: str, node: cst.Call, frame: Frame) -> None:
        """``hidden.squeeze(0)`` where hidden is an LSTM's (h_n, c_n)."""
        module = lstm_state_module(receiver)
        if module is None or method not in TENSOR_ONLY_METHODS:
            return
        function = self._function_of(frame)
        if function is not None and _tests_type(self.module.code_for_node(function)):
            return  # code that handles a tuple and a tensor (isinstance) reaches here with either
        self.facts.state_kinds.append(StateKind(node, module, "tuple"))


def reassigned(facts: Any, node: cst.BaseExpression) -> bool:
    """Whether a fixed ``self.batch_size`` is assigned anywhere but ``__init__`` (then it may be
    set per batch)."""
    if not isinstance(node, cst.Attribute) or id(node) not in facts.fixed_owners:
        return False
    owner, attr = facts.fixed_owners[id(node)], node.attr.value
    return (None, attr) in facts.reassigned_attributes or (owner, attr) in facts.reassigned_attributes


def lstm_state_module(value: Any) -> Construction | None:
    """The LSTM whose ``(h_n, c_n)`` ``value`` is, else None."""
    if not isinstance(value, TupleValue) or len(value.items) != 2:
        return None
    h, c = value.items
    if (
        isinstance(h, Tensor)
        and isinstance(c, Tensor)
        and (h.role, c.role) == ("h", "c")
        and h.module is not None
        and h.module is c.module
    ):
        return h.module
    return None


def _tests_type(code: str) -> bool:
    return "isinstance(" in code or "type(" in code


def _literal(value: Any) -> bool:
    return isinstance(value, Sym) and value.known


def _fixed_by(value: Any, expression: Any) -> cst.BaseExpression | None:
    """The expression that fixed a size: ``self.batch_size`` (carried by the value) or
    ``args.batch_size``. A module-level ``batch_size`` is not taken for one: scripts size their
    data with it too, and models written against it reshape their input with it."""
    if isinstance(value, Sym) and value.fixed is not None:
        return value.fixed
    if isinstance(expression, cst.Attribute) and expression.attr.value in BATCH_NAMES:
        owner = dotted(expression.value)
        if owner is not None and owner.rsplit(".", 1)[-1] in CONFIG_OBJECTS:
            return expression
    return None


__all__ = ["CONFIG_OBJECTS", "FixedSizes", "Readings", "StateKind", "lstm_state_module", "reassigned"]
