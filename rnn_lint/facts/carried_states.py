"""States carried from one batch to the next: the facts behind RNN402 (stale-state, lint side).

``output, hidden = model(data, hidden)`` inside a loop that also calls ``loss.backward()`` feeds
the state the last batch returned — still attached to the last batch's graph — into this batch's
graph. The second ``backward()`` then fails ("Trying to backward through the graph a second
time"), or, with ``retain_graph=True`` added to silence it, every batch backpropagates into all the
batches before it, slower each step and with gradients the truncated-BPTT recipe does not want.

Two halves:

* the interpreter notes, for each assignment, which targets it binds to a recurrent module's
  returned state that is still in the graph (``state_bindings``): a state straight from a module
  call, or from a model of this file whose ``forward`` returns one (``.detach()`` on the way, even
  inside that ``forward``, clears it);
* ``stale_carries`` reads each function's loops: an assignment whose call is also given the same
  name (``hidden`` as an argument, or inside a tuple ``(h, c)``) is a carry. It is stale for a
  loop that encloses it and calls ``backward()`` when nothing else in that loop touches the name:
  no other assignment (``hidden = repackage_hidden(hidden)``, ``hidden = None``, fresh zeros), no
  ``hidden.detach_()``, no other call given it, no ``del``. A carry under ``torch.no_grad()`` (or
  in a function decorated with it) has no graph and is never stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from rnn_lint.facts.imports import dotted
from rnn_lint.facts.values import Tensor, TupleValue, sequence_items

_STATE_ROLES = ("h", "c", "cell-h", "cell-c")
_NO_GRAD = ("no_grad", "inference_mode")


class CarriedStates:
    """Mixed into the Interpreter; uses its ``facts``."""

    def _note_state_bindings(self, assignment: cst.Assign, value: Any) -> None:
        bound: dict[str, Any] = {}
        for target in assignment.targets:
            _bind(target.target, value, bound)
        if bound:
            self.facts.state_bindings.setdefault(id(assignment), {}).update(bound)


def _bind(target: cst.BaseExpression, value: Any, bound: dict[str, Any]) -> None:
    if isinstance(target, (cst.Name, cst.Attribute)):
        module = _state_module(value)
        name = dotted(target)
        if module is not None and name is not None:
            bound[name] = module
        return
    if isinstance(target, (cst.Tuple, cst.List)):
        items = sequence_items(value) if isinstance(value, TupleValue) else None
        elements = target.elements
        if items is None or len(items) != len(elements) or any(isinstance(e, cst.StarredElement) for e in elements):
            return
        for element, item in zip(elements, items):
            _bind(element.value, item, bound)


def _state_module(value: Any) -> Any:
    """The module whose state ``value`` is, when it is one still in the graph (an LSTM's
    ``(h, c)`` tuple counts as one state)."""
    if isinstance(value, Tensor):
        if value.role in _STATE_ROLES and value.module is not None and not value.detached:
            return value.module
        return None
    if isinstance(value, TupleValue) and value.items:
        modules = [_state_module(item) for item in value.items]
        if all(module is not None for module in modules):
            return modules[0]
    return None


@dataclass(eq=False)
class StaleCarry:
    """``name`` is carried by ``call`` across ``loop``, which calls ``backward()`` and never
    detaches or re-creates it."""

    name: str
    #: the argument that feeds the carried state back in (where the finding goes)
    argument: cst.BaseExpression
    call: cst.Call
    loop: cst.CSTNode
    module: Any
    #: ``retain_graph=True`` arguments of the loop's backward calls
    retain_graph: list[cst.Arg] = field(default_factory=list)


@dataclass(eq=False)
class _Loop:
    node: cst.CSTNode
    backwards: list[cst.Call] = field(default_factory=list)
    retain_graph: list[cst.Arg] = field(default_factory=list)
    #: names something in the loop assigns, detaches, deletes or hands to another call
    touched: set[str] = field(default_factory=set)


@dataclass(eq=False)
class _Carry:
    name: str
    argument: cst.BaseExpression
    call: cst.Call
    module: Any
    loops: list[_Loop]


def stale_carries(module: cst.Module, bindings: dict[int, dict[str, Any]]) -> list[StaleCarry]:
    walker = _Walker(bindings)
    module.visit(walker)
    stale = []
    for carry in walker.carries:
        for loop in carry.loops:
            if loop.backwards and carry.name not in loop.touched:
                stale.append(
                    StaleCarry(carry.name, carry.argument, carry.call, loop.node, carry.module, loop.retain_graph)
                )
                break
    return stale


class _Walker(cst.CSTVisitor):
    def __init__(self, bindings: dict[int, dict[str, Any]]) -> None:
        self.bindings = bindings
        self.loops: list[_Loop] = []
        self.saved: list[list[_Loop]] = []
        self.no_grad: list[bool] = [False]
        self.carry_calls: set[int] = set()
        self.carries: list[_Carry] = []

    # --- scopes: a function's loops are its own; no_grad switches carries off -----------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.saved.append(self.loops)
        self.loops = []
        decorated = any(_is_no_grad(d.decorator) for d in node.decorators)
        self.no_grad.append(decorated)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.loops = self.saved.pop()
        self.no_grad.pop()

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_With(self, node: cst.With) -> None:
        self.no_grad.append(self.no_grad[-1] or any(_is_no_grad(item.item) for item in node.items))

    def leave_With(self, original_node: cst.With) -> None:
        self.no_grad.pop()

    def visit_For(self, node: cst.For) -> None:
        self.loops.append(_Loop(node))
        self._touch(node.target)

    def leave_For(self, original_node: cst.For) -> None:
        self.loops.pop()

    def visit_While(self, node: cst.While) -> None:
        self.loops.append(_Loop(node))

    def leave_While(self, original_node: cst.While) -> None:
        self.loops.pop()

    # --- what happens to names inside loops ------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        bound = self.bindings.get(id(node), {})
        carried = set()
        if bound and self.loops and not self.no_grad[-1]:
            for call in _calls_in(node.value):
                for name, argument in _bare_arguments(call):
                    if name in bound and name not in carried:
                        carried.add(name)
                        self.carry_calls.add(id(call))
                        self.carries.append(_Carry(name, argument, call, bound[name], list(reversed(self.loops))))
        for target in node.targets:
            self._touch(target.target, skip=carried)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._touch(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._touch(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._touch(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._touch(node.asname.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._touch(node.target)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("backward", "manual_backward"):
            retain = [a for a in node.args if a.keyword is not None and a.keyword.value == "retain_graph"]
            for loop in self.loops:
                loop.backwards.append(node)
                loop.retain_graph.extend(a for a in retain if _is_true(a.value))
        if isinstance(func, cst.Attribute) and func.attr.value in ("detach_", "zero_", "requires_grad_"):
            self._touch(func.value)
        if id(node) in self.carry_calls:
            return
        for name, _ in _bare_arguments(node):
            for loop in self.loops:
                loop.touched.add(name)

    def _touch(self, target: cst.BaseExpression, skip: set[str] = frozenset()) -> None:
        for name in _names_in_target(target):
            if name not in skip:
                for loop in self.loops:
                    loop.touched.add(name)


def _names_in_target(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, (cst.Name, cst.Attribute)):
        name = dotted(target)
        return [name] if name is not None else []
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _names_in_target(element.value)]
    if isinstance(target, cst.StarredElement):
        return _names_in_target(target.value)
    if isinstance(target, cst.Subscript):
        return _names_in_target(target.value)  # h[0] = …: part of the state replaced
    return []


def _calls_in(expression: cst.BaseExpression) -> list[cst.Call]:
    """The call an assignment's value is (``model(x, h)``), or is indexed from (``model(x, h)[1]``)."""
    while isinstance(expression, cst.Subscript):
        expression = expression.value
    return [expression] if isinstance(expression, cst.Call) else []


def _bare_arguments(call: cst.Call) -> list[tuple[str, cst.BaseExpression]]:
    """Names passed as they are, alone or inside a tuple/list literal: ``(x, hidden)``, ``(x, (h, c))``."""
    found: list[tuple[str, cst.BaseExpression]] = []

    def collect(value: cst.BaseExpression) -> None:
        if isinstance(value, (cst.Name, cst.Attribute)):
            name = dotted(value)
            if name is not None:
                found.append((name, value))
        elif isinstance(value, (cst.Tuple, cst.List)):
            for element in value.elements:
                collect(element.value)

    for arg in call.args:
        collect(arg.value)
    return found


def _is_no_grad(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Call):
        name = dotted(node.func) or ""
        if name.rsplit(".", 1)[-1] == "set_grad_enabled":
            return bool(node.args) and isinstance(node.args[0].value, cst.Name) and node.args[0].value.value == "False"
        node = node.func
    name = dotted(node) or ""
    return name.rsplit(".", 1)[-1] in _NO_GRAD


def _is_true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


__all__ = ["CarriedStates", "StaleCarry", "stale_carries"]
