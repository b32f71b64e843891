"""Same-file factories that forward ``**kwargs`` to a recurrent module.

``def LSTM(input_size, hidden_size, **kwargs): m = nn.LSTM(input_size, hidden_size, **kwargs);
…init…; return m`` is a common way to build modules with a custom initialisation. When the
interpreter inlines a call of such a function, the keyword arguments the caller wrote that land in
``**kwargs`` are bound as ``ForwardedKeywords``; a construction that splats them is then a
construction *at the caller's call*, configured with the caller's keyword arguments: one per call
of the factory, reported where the caller wrote it, owned by the caller's class.

Only a ``**kwargs`` that the function does nothing with but forward is followed:
``kwargs.pop("dropout")``, ``kwargs["num_layers"] = 2`` or reading it would change or depend on
what reaches the module, so such a function's ``**kwargs`` stays unknown, as does a mapping the
caller splats itself (``LSTM(8, 16, **options)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import libcst as cst

from rnn_lint.facts.values import ModuleRef

if TYPE_CHECKING:
    from rnn_lint.facts.interpreter import Frame


@dataclass(frozen=True, eq=False)
class ForwardedKeywords:
    """The keyword arguments one call put into a factory's ``**kwargs``: their values, the
    caller's ``cst.Arg`` nodes (findings and fixes point at what the caller wrote), the call, and
    the class whose method made the call."""

    values: dict[str, Any]
    arguments: dict[str, cst.Arg]
    call: cst.Call
    owner_class: str | None


def forwarded_keywords(
    function: cst.FunctionDef, call: cst.Call | None, kwargs: dict[str, Any], caller: Frame | None
) -> ForwardedKeywords | None:
    """What ``function``'s ``**kwargs`` holds when ``call`` (evaluated to ``kwargs``) runs it, or
    None when that cannot be known."""
    star = function.params.star_kwarg
    if call is None or not isinstance(star, cst.Param):
        return None
    if any(arg.star == "**" for arg in call.args) or not _only_forwarded(function, star.name.value):
        return None
    params = function.params
    named = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    arguments = {arg.keyword.value: arg for arg in call.args if arg.keyword is not None}
    arguments = {name: arg for name, arg in arguments.items() if name not in named and name in kwargs}
    owner = caller.class_info.name if caller is not None and caller.class_info is not None else None
    return ForwardedKeywords({name: kwargs[name] for name in arguments}, arguments, call, owner)


def named_at_caller(result: Any, forwarded: ForwardedKeywords) -> None:
    """The factory named the module after its local variable (``m``); the caller's assignment
    (``self.encoder = LSTM(...)``) is the name its findings should use."""
    if isinstance(result, ModuleRef):
        for construction in result.candidates:
            if construction.node is forwarded.call:
                construction.binding = None


def _only_forwarded(function: cst.FunctionDef, name: str) -> bool:
    """``name`` is used once in the function's body, as ``**name`` in a call: forwarded to one
    module (two modules built from the same call would otherwise be one construction)."""
    uses = _Uses(name)
    function.body.visit(uses)
    return uses.forwarded == 1 and uses.other == 0


class _Uses(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.forwarded = 0
        self.other = 0

    def visit_Arg(self, node: cst.Arg) -> bool:
        if node.star == "**" and isinstance(node.value, cst.Name) and node.value.value == self.name:
            self.forwarded += 1
            return False
        return True

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.other += 1
