"""Hooks that also see ``module.forward(...)`` called directly.

Module hooks fire only through ``module(...)``; a wrapper that calls ``self.module.forward(*args)``
(AWD-LSTM's ``WeightDrop``, a common pattern) goes around them, and a check built on hooks would
see nothing and pass. So while the plugin's hooks are on, each hooked module's ``forward`` is
replaced by a function that, when called from anywhere but ``Module.__call__`` (which runs the
hooks itself), runs the plugin's own hooks around the real ``forward`` — never the user's, which a
direct call skips on purpose. On exit the module's ``forward`` is what it was (the class's, or the
instance attribute a user had set).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import CodeType
from typing import Any

from torch import nn


def _with_nested(code: CodeType) -> Iterator[CodeType]:
    yield code
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _with_nested(constant)


#: The frames that call ``forward`` after running the hooks themselves: ``Module._call_impl`` and
#: the closure it runs its hooks in (``inner``), and the tracer's ``_slow_forward``.
_CALLERS_THAT_RUN_HOOKS = frozenset(
    [*_with_nested(nn.Module._call_impl.__code__), *_with_nested(nn.Module._slow_forward.__code__)]
)

#: id(module) → (how many hook sets use the patch, the instance's own ``forward`` before it, if any).
_patched: dict[int, tuple[int, Any]] = {}
_MISSING = object()


def _run_with_hooks(module: nn.Module, forward: Callable, pre: list, post: list, args: tuple, kwargs: dict) -> Any:
    for hook in list(pre):
        replaced = hook(module, args, kwargs)
        if replaced is not None:
            args, kwargs = replaced
    result = forward(*args, **kwargs)
    for hook in list(post):
        replaced = hook(module, args, kwargs, result)
        if replaced is not None:
            result = replaced
    return result


class _Patch:
    """The replacement ``forward`` of one module, with the plugin hooks it runs on direct calls."""

    def __init__(self, module: nn.Module, forward: Callable) -> None:
        self.module = module
        self.forward = forward
        self.pre: list[Callable] = []
        self.post: list[Callable] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1).f_code in _CALLERS_THAT_RUN_HOOKS:
            return self.forward(*args, **kwargs)
        return _run_with_hooks(self.module, self.forward, self.pre, self.post, args, kwargs)


def _patch(module: nn.Module) -> _Patch:
    own = module.__dict__.get("forward", _MISSING)
    if isinstance(own, _Patch):
        count, saved = _patched[id(module)]
        _patched[id(module)] = (count + 1, saved)
        return own
    patch = _Patch(module, module.forward)
    _patched[id(module)] = (1, own)
    object.__setattr__(module, "forward", patch)
    return patch


def _unpatch(module: nn.Module) -> None:
    count, saved = _patched[id(module)]
    if count > 1:
        _patched[id(module)] = (count - 1, saved)
        return
    del _patched[id(module)]
    if saved is _MISSING:
        module.__dict__.pop("forward", None)
    else:
        object.__setattr__(module, "forward", saved)


@contextmanager
def hooked(module: nn.Module, *, pre: Callable | None = None, post: Callable | None = None) -> Iterator[None]:
    """Within: ``pre(module, args, kwargs)`` before each call of ``module`` (it may return new
    ``(args, kwargs)``) and ``post(module, args, kwargs, result)`` after it (it may return a new
    result) — through ``module(...)`` as module hooks, and through ``module.forward(...)`` too."""
    handles = []
    patch = _patch(module)
    try:
        if pre is not None:
            handles.append(module.register_forward_pre_hook(pre, with_kwargs=True))
            patch.pre.append(pre)
        if post is not None:
            handles.append(module.register_forward_hook(post, with_kwargs=True))
            patch.post.append(post)
        yield
    finally:
        for handle in handles:
            handle.remove()
        if pre is not None and pre in patch.pre:
            patch.pre.remove(pre)
        if post is not None and post in patch.post:
            patch.post.remove(post)
        _unpatch(module)
