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
answered from the file's text (``attribute_uses``) only for the few candidates that remain, and
with Python's own ``ast`` (load/store contexts, and far cheaper than a second libcst pass).
"""

from __future__ import annotations

import ast
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

#: Names that say "initial state": h0, c_0, hx0, init_hidden, initial_state, h_init, learned_h0,
#: lstm_init_h, encoder_h0 …
INITIAL_STATE_NAME = re.compile(
    r"^_*(?:(?:learned|learnable|trainable)_)?(?:(?:lstm|gru|rnn|enc|dec|encoder|decoder)_)?"
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
        self,
        attribute: str,
        value: Any,
        value_node: cst.BaseExpression | None,
        frame: Frame,
        where: cst.CSTNode | None = None,
    ) -> None:
        """``self.<attribute> = <value_node>`` in a model's ``__init__``; ``where``: the node a
        finding goes to when it is not ``value_node`` (which may then be a helper's return value)."""
        info = frame.class_info
        if value_node is None or info is None or not frame.key.endswith(".__init__"):
            return
        if not self._is_model_class(info):
            return
        how = self._made_how(value_node)
        if how is None:
            # ``self.h0 = self._initial_state()``: what the helper method returns
            returned = self._returned_parts(value_node, 1, frame)
            how = self._made_how(returned[0]) if returned is not None else None
        origin = value.origin if isinstance(value, Tensor) else None
        if how is None and isinstance(value, Tensor) and value.role == "created" and origin is not None:
            how = TENSOR
        if how == PARAMETER and not is_initial_state_name(attribute):
            return  # a parameter of any other name is what it should be
        if how is not None:
            node = where if where is not None else value_node
            self.facts.state_attributes.append(StateAttribute(info.name, attribute, node, how, origin))

    def _note_unpacked_state_attributes(
        self, targets: list[cst.BaseExpression], value_node: cst.BaseExpression | None, frame: Frame
    ) -> None:
        """``self.h0, self.c0 = nn.Parameter(…), nn.Parameter(…)``, or ``= self._initial_states()``
        (a helper method returning a tuple): each attribute with the expression in its place (a
        finding about it goes to the attribute when the expression is in the helper)."""
        if value_node is None or frame.class_info is None or not frame.key.endswith(".__init__"):
            return
        if any(isinstance(target, cst.StarredElement) for target in targets):
            return
        parts: list[cst.BaseExpression] | None = _elements(value_node, len(targets))
        in_helper = parts is None
        if in_helper:
            parts = self._returned_parts(value_node, len(targets), frame)
        if parts is None:
            return
        for target, part in zip(targets, parts):
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                if target.value.value == frame.self_name:
                    value = frame.env.get(f"self.{target.attr.value}")
                    self._note_state_attribute(
                        target.attr.value, value, part, frame, where=target if in_helper else None
                    )

    def _returned_parts(self, node: cst.BaseExpression, count: int, frame: Frame) -> list[cst.BaseExpression] | None:
        """``self.<method>(…)`` of the class being built, whose body ends in its only ``return``:
        the ``count`` expressions it returns (a tuple's elements when ``count`` > 1), each name
        among them replaced by what the method assigned it once (``h = nn.Parameter(…)``)."""
        info = frame.class_info
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and info is not None):
            return None
        receiver = node.func.value
        if not (isinstance(receiver, cst.Name) and receiver.value == frame.self_name):
            return None
        method = info.methods.get(node.func.attr.value)
        if method is None or not isinstance(method.body, cst.IndentedBlock):
            return None
        statements = list(method.body.body)
        returns = [s for s in statements if _simple(s, cst.Return)]
        if len(returns) != 1 or returns[-1] is not statements[-1]:
            return None
        returned = returns[0].body[0].value
        if returned is None:
            return None
        parts = [returned] if count == 1 else _elements(returned, count)
        if parts is None:
            return None
        assigned: dict[str, list[cst.BaseExpression]] = {}
        for statement in statements:
            small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    if isinstance(target.target, cst.Name):
                        assigned.setdefault(target.target.value, []).append(small.value)
        return [
            assigned[part.value][0] if isinstance(part, cst.Name) and len(assigned.get(part.value, ())) == 1 else part
            for part in parts
        ]

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


def _elements(node: cst.BaseExpression, count: int) -> list[cst.BaseExpression] | None:
    """The ``count`` elements of a tuple or list display, none starred."""
    if not isinstance(node, (cst.Tuple, cst.List)) or len(node.elements) != count:
        return None
    if any(isinstance(element, cst.StarredElement) for element in node.elements):
        return None
    return [element.value for element in node.elements]


def _simple(statement: cst.BaseStatement, kind: type) -> bool:
    """A line holding one small statement of ``kind`` (``return h, c``)."""
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], kind)
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


def attribute_uses(code: str) -> AttributeUses:
    """Stores and loads of every attribute name in ``code`` (any receiver), and its string literals."""
    uses = AttributeUses()
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):  # what libcst accepts and ast does not: count nothing as unused
        uses.strings.add(_ANY)
        return uses
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if isinstance(node.ctx, ast.Load):
                uses.loads[node.attr] += 1
            else:
                uses.stores[node.attr] += 1
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Attribute):
            uses.loads[node.target.attr] += 1  # self.h0 += …: read, then stored
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            uses.strings.add(node.value)
    return uses


#: In ``AttributeUses.strings`` when the file could not be read: every name counts as mentioned.
_ANY = object()


def is_initial_state_name(name: str) -> bool:
    return bool(INITIAL_STATE_NAME.match(name))


def mentioned_by_name(uses: AttributeUses, name: str) -> bool:
    """``name`` appears as a string (``getattr(self, "h0")``, ``register_buffer("h0", …)``)."""
    return name in uses.strings or _ANY in uses.strings


__all__ = [
    "PARAMETER",
    "REQUIRES_GRAD",
    "TENSOR",
    "AttributeUses",
    "InitialStates",
    "StateAttribute",
    "attribute_uses",
    "mentioned_by_name",
]
