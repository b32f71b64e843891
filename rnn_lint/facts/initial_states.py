"""Initial states stored on a model: the facts behind RNN405 (unlearned-initial-state).

A learned initial state is an ``nn.Parameter`` of shape ``(L * D, 1, H)`` that ``forward`` expands
to the batch and passes to the recurrent module. Three ways of writing it leave it unlearned, and
the interpreter notes every tensor that a model's ``__init__`` stores on ``self`` so the rule can
tell them apart:

* ``self.h0 = torch.zeros(..., requires_grad=True)`` (or ``Variable(..., requires_grad=True)``,
  ``.requires_grad_()``): a plain attribute, not a parameter, so not in ``parameters()``, not
  moved by ``.to()``, not in the state dict;
* ``self.h0 = torch.zeros(L, B, H)`` passed as the state: a constant with a fixed batch that stays
  on the CPU when the model moves (the factory call is also a ``StateCreation`` made in
  ``__init__``, which RNN404 leaves to RNN405);
* ``self.h0 = nn.Parameter(...)`` whose name says initial state but that nothing reads.

Whether an attribute is stored again elsewhere or read at all is a question about the whole file,
answered by one syntactic pass (``attribute_uses``), made only when a rule asks.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import libcst as cst

from rnn_lint.facts.idioms import MODULE_BASES
from rnn_lint.facts.values import Tensor

if TYPE_CHECKING:
    from rnn_lint.facts.interpreter import Frame
    from rnn_lint.facts.model import ClassInfo

#: Names that say "initial state": h0, c_0, hx0, init_hidden, initial_state, h_init, learned_h0 …
INITIAL_STATE_NAME = re.compile(
    r"^_*(?:(?:learned|learnable|trainable)_)?"
    r"(?:(?:init|initial|start)_?(?:h|c|hx|cx|hidden|cell|state|states|hidden_state|cell_state)(?:_?\d)?"
    r"|(?:h|c|hx|cx|hidden|cell|state|hidden_state|cell_state)_?0"
    r"|(?:h|c|hx|cx|hidden|cell|state|hidden_state|cell_state)_(?:init|initial|zero))$",
    re.IGNORECASE,
)

PARAMETER_CLASSES = frozenset({"torch.nn.Parameter", "torch.nn.parameter.Parameter"})

#: How a stored tensor was made: requires_grad=True but a plain tensor; an nn.Parameter; a tensor.
REQUIRES_GRAD, PARAMETER, TENSOR = "requires-grad", "parameter", "tensor"


@dataclass(eq=False)
class StateAttribute:
    """``self.<attribute> = <value>`` in a model's ``__init__``, the value a tensor."""

    class_name: str
    attribute: str
    #: the value as written (where findings go)
    node: cst.BaseExpression
    how: str
    #: the factory call that made the tensor, as ModuleCall.states and StateCreation know it
    origin: Any = None


@dataclass
class AttributeUses:
    """How often each attribute name is written and read anywhere in the file, and the string
    literals of the file (``getattr(self, "h0")``, ``register_parameter("h0", …)``)."""

    stores: Counter = field(default_factory=Counter)
    loads: Counter = field(default_factory=Counter)
    strings: set[str] = field(default_factory=set)


class InitialStates:
    """Mixed into the Interpreter; uses its ``facts`` and ``imports``."""

    def _note_state_attribute(
        self, attribute: str, value: Any, value_node: cst.BaseExpression | None, frame: Frame
    ) -> None:
        info = frame.class_info
        if value_node is None or info is None or not frame.key.endswith(".__init__"):
            return
        if not self._is_model_class(info):
            return
        how = self._made_how(value_node)
        origin = value.origin if isinstance(value, Tensor) else None
        if how is None and isinstance(value, Tensor) and value.role == "created" and origin is not None:
            how = TENSOR
        if how is not None:
            self.facts.state_attributes.append(StateAttribute(info.name, attribute, value_node, how, origin))

    def _made_how(self, node: cst.BaseExpression) -> str | None:
        if not isinstance(node, cst.Call):
            return None
        qualified = self.imports.qualify(node.func)
        if qualified in PARAMETER_CLASSES:
            return PARAMETER
        if _requires_grad(node):
            return REQUIRES_GRAD
        return None

    def _is_model_class(self, info: ClassInfo, seen: frozenset[str] = frozenset()) -> bool:
        for base in info.node.bases:
            qualified = self.imports.qualify(base.value)
            if qualified is not None and qualified.startswith(MODULE_BASES):
                return True
        return any(
            self._is_model_class(self.facts.classes[name], seen | {info.name})
            for name in info.in_file_bases
            if name in self.facts.classes and name not in seen
        )


def _requires_grad(call: cst.Call) -> bool:
    """``f(..., requires_grad=True)`` or ``t.requires_grad_()`` / ``t.requires_grad_(True)``."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "requires_grad":
            return isinstance(arg.value, cst.Name) and arg.value.value == "True"
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "requires_grad_":
        if not call.args:
            return True
        first = call.args[0].value
        return isinstance(first, cst.Name) and first.value == "True"
    return False


def attribute_uses(module: cst.Module) -> AttributeUses:
    collector = _Collector()
    module.visit(collector)
    uses = AttributeUses(strings=collector.strings)
    for name, count in collector.all.items():
        stored = collector.stores[name]
        uses.stores[name] = stored
        uses.loads[name] = count - stored
    return uses


class _Collector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.all: Counter = Counter()
        self.stores: Counter = Counter()
        self.strings: set[str] = set()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.all[node.attr.value] += 1

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        try:
            value = node.evaluated_value
        except Exception:  # an unusual prefix
            return
        if isinstance(value, str):
            self.strings.add(value)

    def _targets(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Attribute):
            self.stores[target.attr.value] += 1
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._targets(element.value)
        elif isinstance(target, cst.StarredElement):
            self._targets(target.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._targets(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._targets(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._targets(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._targets(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._targets(node.asname.name)

    def visit_Del(self, node: cst.Del) -> None:
        self._targets(node.target)


def is_initial_state_name(name: str) -> bool:
    return bool(INITIAL_STATE_NAME.match(name))


__all__ = ["PARAMETER", "REQUIRES_GRAD", "TENSOR", "AttributeUses", "InitialStates", "StateAttribute", "attribute_uses"]
