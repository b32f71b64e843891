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

A model can carry the state itself: its ``forward`` does ``out, self.hidden = self.lstm(x,
self.hidden)`` (and mentions ``self.hidden`` nowhere else). Then every call of that model in a
loop that calls ``backward()`` carries it, unless the loop stores ``model.hidden``, calls another
method of the model (``model.init_hidden()``, ``model.reset()``; ``zero_grad``/``train`` … do not
count) or hands the model to another function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import libcst as cst

from rnn_lint.facts.imports import dotted
from rnn_lint.facts.values import Tensor, TupleValue, sequence_items

if TYPE_CHECKING:
    from rnn_lint.facts.interpreter import Frame
    from rnn_lint.facts.model import FileFacts

_STATE_ROLES = ("h", "c", "cell-h", "cell-c")
_NO_GRAD = ("no_grad", "inference_mode")
#: Methods of a model that leave a state it carries alone (any other may reset it).
_KEEPS_STATE = frozenset(
    {
        "zero_grad",
        "train",
        "eval",
        "parameters",
        "named_parameters",
        "state_dict",
        "to",
        "cuda",
        "cpu",
        "float",
        "double",
        "half",
        "children",
        "modules",
        "named_modules",
        "requires_grad_",
    }
)


class CarriedStates:
    """Mixed into the Interpreter; uses its ``facts``."""

    def _note_state_bindings(self, assignment: cst.Assign, value: Any, frame: Frame) -> None:
        bound: dict[str, Any] = {}
        for target in assignment.targets:
            _bind(target.target, value, bound)
        if not bound:
            return
        self.facts.state_bindings.setdefault(id(assignment), {}).update(bound)
        self.facts.carry_scopes.add(self.stack[-1] if self.stack else 0)
        info = frame.class_info
        if info is None or frame.self_name is None or not frame.key.endswith(".forward"):
            return
        forward = info.methods.get("forward")
        for call in _calls_in(assignment.value):
            for name, _ in _bare_arguments(call):
                owner, _, attribute = name.partition(".")
                if name in bound and owner == frame.self_name and attribute and "." not in attribute:
                    if forward is not None and _mentions(forward, frame.self_name, attribute) == 2:
                        self.facts.attribute_carries.setdefault(info.name, {})[attribute] = bound[name]

    def _note_instance_call(self, class_name: str, node: cst.Call) -> None:
        """``model(x)`` runs ``class_name``'s forward."""
        self.facts.instance_calls[id(node)] = class_name
        self.facts.carry_scopes.add(self.stack[-1] if self.stack else 0)


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
    #: the model that carries it in an attribute (``model`` for ``model.hidden``; ``argument`` is
    #: then the model's call), or None
    model: str | None = None


@dataclass(eq=False)
class _Loop:
    node: cst.CSTNode
    backwards: list[cst.Call] = field(default_factory=list)
    retain_graph: list[cst.Arg] = field(default_factory=list)
    #: names something in the loop assigns, detaches, deletes or hands to another call
    touched: set[str] = field(default_factory=set)
    #: objects one of whose methods the loop calls (``model.init_hidden()``)
    methods_called: set[str] = field(default_factory=set)


@dataclass(eq=False)
class _Carry:
    name: str
    argument: cst.BaseExpression
    call: cst.Call
    module: Any
    loops: list[_Loop]
    model: str | None = None

    def stale_in(self, loop: _Loop) -> bool:
        if not loop.backwards or self.name in loop.touched:
            return False
        return self.model is None or (self.model not in loop.touched and self.model not in loop.methods_called)


def stale_carries(facts: FileFacts) -> list[StaleCarry]:
    walker = _Walker(facts)
    facts.module.visit(walker)
    stale = []
    for carry in walker.carries:
        for loop in carry.loops:
            if carry.stale_in(loop):
                where = (carry.argument, carry.call, loop.node)
                stale.append(StaleCarry(carry.name, *where, carry.module, loop.retain_graph, model=carry.model))
                break
    return stale


class _Walker(cst.CSTVisitor):
    def __init__(self, facts: FileFacts) -> None:
        self.bindings = facts.state_bindings
        self.instance_calls = facts.instance_calls
        self.attribute_carries = facts.attribute_carries
        #: only the functions where a state is bound or a model called are read (and the module's
        #: own statements only when that happens there): a carry can be nowhere else
        self.scopes = facts.carry_scopes
        self.depth = 0
        self.loops: list[_Loop] = []
        self.saved: list[list[_Loop]] = []
        self.no_grad: list[bool] = [False]
        self.carry_calls: set[int] = set()
        self.carries: list[_Carry] = []

    # --- scopes: a function's loops are its own; no_grad switches carries off -----------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if id(node) not in self.scopes:
            return False
        self.depth += 1
        self.saved.append(self.loops)
        self.loops = []
        decorated = any(_is_no_grad(d.decorator) for d in node.decorators)
        self.no_grad.append(decorated)
        return True

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if id(original_node) not in self.scopes:
            return
        self.depth -= 1
        self.loops = self.saved.pop()
        self.no_grad.pop()

    def _outside_scopes(self) -> bool:
        """At the module's (or a class body's) own level, when nothing is bound there."""
        return self.depth == 0 and 0 not in self.scopes

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return bool(self.loops) and not self._outside_scopes()  # outside loops nothing is carried

    def visit_If(self, node: cst.If) -> bool:
        return not self._outside_scopes()

    def visit_Try(self, node: cst.Try) -> bool:
        return not self._outside_scopes()

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
        if isinstance(func, cst.Attribute) and func.attr.value not in _KEEPS_STATE:
            receiver = dotted(func.value)
            for loop in self.loops if receiver is not None else ():
                loop.methods_called.add(receiver)
        self._model_carries(node)
        if id(node) in self.carry_calls:
            return
        for name, _ in _bare_arguments(node):
            for loop in self.loops:
                loop.touched.add(name)

    def _model_carries(self, node: cst.Call) -> None:
        """``model(x)`` where the model's forward carries its state in ``self.<attribute>``."""
        carried = self.attribute_carries.get(self.instance_calls.get(id(node), ""), {})
        model = dotted(node.func) if carried and self.loops and not self.no_grad[-1] else None
        if model is None:
            return
        for attribute, module in carried.items():
            self.carries.append(_Carry(f"{model}.{attribute}", node, node, module, list(reversed(self.loops)), model))

    def _touch(self, target: cst.BaseExpression, skip: set[str] = frozenset()) -> None:
        for name in names_in_target(target):
            if name not in skip:
                for loop in self.loops:
                    loop.touched.add(name)


def names_in_target(target: cst.BaseExpression) -> list[str]:
    """The names an assignment or ``for`` target binds (dotted for attributes)."""
    if isinstance(target, (cst.Name, cst.Attribute)):
        name = dotted(target)
        return [name] if name is not None else []
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in names_in_target(element.value)]
    if isinstance(target, cst.StarredElement):
        return names_in_target(target.value)
    if isinstance(target, cst.Subscript):
        return names_in_target(target.value)  # h[0] = …: part of the state replaced
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


def _mentions(function: cst.FunctionDef, self_name: str, attribute: str) -> int:
    """How often ``self.<attribute>`` appears in ``function``."""
    counter = _Mentions(self_name, attribute)
    function.visit(counter)
    return counter.count


class _Mentions(cst.CSTVisitor):
    def __init__(self, self_name: str, attribute: str) -> None:
        self.self_name, self.attribute, self.count = self_name, attribute, 0

    def visit_Attribute(self, node: cst.Attribute) -> None:
        receiver = node.value
        if node.attr.value == self.attribute and isinstance(receiver, cst.Name) and receiver.value == self.self_name:
            self.count += 1


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


__all__ = ["CarriedStates", "StaleCarry", "names_in_target", "stale_carries"]
