"""``pytest --rnn-watch``: check every recurrent call a test makes, with no change to the test.

Global forward hooks (``register_module_forward_pre_hook`` / ``register_module_forward_hook``) are
installed around each test's call phase and removed after it, whatever happened. For each call of an
nn.RNN/LSTM/GRU or cell they check:

- the input and initial state against the module's configuration (RNN103 batch-major state,
  RNN107 other shapes, RNN106 a PackedSequence packed with lengths longer than the padded batch),
  before PyTorch's own, vaguer error;
- lengths handed to ``pack_padded_sequence`` (RNN106: on the GPU, or longer than the batch);
- on CUDA, that cuDNN's weights are one flat buffer (RNN401);
- that the initial state is not carried over from a graph that was already backpropagated (RNN402).

How RNN402 is seen: after each call made with grad enabled, every output is tagged — its autograd
node's ``metadata`` gets a marker, and a tensor hook on the output flips the marker when a backward
pass computes a gradient for it (a loss on the output alone counts: the gradient passes through
it). When a later call's initial state still has a graph, the graph is walked back from it until
tagged nodes; a flipped marker means the state reaches into a graph a backward pass already went
through — without ``retain_graph`` the next backward fails with "Trying to backward through the
graph a second time", with it every step silently backpropagates through all earlier batches.

Global pre-hooks are not given keyword arguments, so a state passed as ``hx=`` is checked after the
call (for RNN402; PyTorch itself rejects a misshapen one). A violation is raised at the call that
made it, so the traceback shows the line; the test fails with it even if the test swallowed it.
"""

from __future__ import annotations

from collections import deque
from contextlib import ExitStack
from typing import Any

import pytest
import torch
from torch import nn
from torch.nn.modules.module import (
    register_module_forward_hook,
    register_module_forward_pre_hook,
)
from torch.nn.utils.rnn import PackedSequence

from pytest_rnn.calls import (
    input_violations,
    split_arguments,
    split_result,
    state_names,
)
from pytest_rnn.cuda import fragmented_weights_violation
from pytest_rnn.errors import RnnCheckError, Violation, without_internal_frames
from pytest_rnn.packing import lengths_checked
from pytest_rnn.recurrent import config_of, kind_of, root_name

_KEY = "pytest_rnn.watch"
#: How many autograd nodes to walk back from a state before giving up (a state built through a
#: large non-recurrent network; the recurrent outputs it came from are normally one or two away).
_WALK_LIMIT = 2000


class _Marker:
    """Tags the outputs of one recurrent call; flips when a backward pass reaches them."""

    __slots__ = ("backpropagated", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self.backpropagated = False

    def __call__(self, grad: torch.Tensor) -> None:
        self.backpropagated = True


class Watch:
    """The hooks of one test. ``start()``/``stop()``; ``violations`` keeps what was found."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self._stack: list[nn.Module] = []  # modules inside forward, outermost (the model) first
        self._paths: dict[tuple[int, int], str] = {}
        self._handles: list[Any] = []
        self._cleanup = ExitStack()

    def start(self) -> None:
        self._handles = [
            register_module_forward_pre_hook(self._before),
            register_module_forward_hook(self._after, with_kwargs=True, always_call=True),
        ]
        self._cleanup.enter_context(lengths_checked(on_violation=self._record))

    def stop(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._cleanup.close()
        self._stack.clear()

    # --- the hooks ----------------------------------------------------------------------------

    def _before(self, module: nn.Module, args: tuple) -> None:
        __tracebackhide__ = True
        self._stack.append(module)
        kind = kind_of(module)
        if kind is None:
            return
        path = self._path(module)
        config = config_of(module, kind)
        inp, hx = split_arguments(args, {})
        _, problems = input_violations(path, kind, config, inp, hx)
        problems += self._stale_state(path, kind, hx)
        scattered = fragmented_weights_violation(path, module)
        if scattered is not None:
            problems.append(scattered)
        if problems:
            self._fail(problems)

    def _after(self, module: nn.Module, args: tuple, *rest: Any) -> None:
        # Called as (module, args, kwargs, result) normally; as (module, args, result) when forward
        # raised (always_call), where it only keeps the stack of modules straight.
        __tracebackhide__ = True
        kind = kind_of(module)
        path = self._path(module) if kind is not None else ""
        self._pop(module)
        if kind is None or len(rest) != 2:
            return
        kwargs, result = rest
        if "hx" in kwargs:
            problems = self._stale_state(path, kind, kwargs["hx"])
            if problems:
                self._fail(problems)
        if torch.is_grad_enabled():
            self._tag(path, kind, result)

    # --- RNN402 -------------------------------------------------------------------------------

    def _tag(self, path: str, kind: str, result: Any) -> None:
        # One marker for the whole call: a loss on the output alone frees the graph behind h_n too.
        marker = _Marker(path)
        output, h, c = split_result(kind, result)
        if isinstance(output, PackedSequence):
            output = output.data
        for tensor in {id(t): t for t in (output, h, c) if isinstance(t, torch.Tensor)}.values():
            if tensor.requires_grad and tensor.grad_fn is not None:
                tensor.grad_fn.metadata[_KEY] = marker
                tensor.register_hook(marker)

    def _stale_state(self, path: str, kind: str, hx: Any) -> list[Violation]:
        if hx is None or not torch.is_grad_enabled():
            return []
        states = hx if isinstance(hx, (tuple, list)) else (hx,)
        problems = []
        for name, state in zip(state_names(kind), states):
            if not isinstance(state, torch.Tensor) or state.grad_fn is None:
                continue
            used = _backpropagated_origin(state.grad_fn)
            if used is not None:
                problems.append(
                    Violation(
                        "RNN402",
                        path,
                        f"{name} comes from a call of {used.path} whose graph a backward pass already went through",
                        "a detached state (h.detach()) or a fresh one",
                        "a state still attached to that graph",
                    )
                )
        return problems

    # --- bookkeeping --------------------------------------------------------------------------

    def _path(self, module: nn.Module) -> str:
        root = next((outer for outer in self._stack if outer is not module), None) if self._stack else None
        if root is None or root is module:
            return root_name(module)
        key = (id(root), id(module))
        if key not in self._paths:
            name = next((name for name, sub in root.named_modules() if sub is module), None)
            self._paths[key] = f"{root_name(root)}.{name}" if name else root_name(module)
        return self._paths[key]

    def _pop(self, module: nn.Module) -> None:
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index] is module:
                del self._stack[index]
                return

    def _record(self, problems: list[Violation]) -> None:
        for problem in problems:
            if problem not in self.violations:
                self.violations.append(problem)

    def _fail(self, problems: list[Violation]) -> None:
        __tracebackhide__ = True
        self._record(problems)
        raise RnnCheckError(problems)


def _backpropagated_origin(node: Any) -> _Marker | None:
    """The marker of an earlier recurrent call, already reached by a backward pass, that this
    autograd node leads back to; None when there is none within the walk limit."""
    queue, seen = deque([node]), {id(node)}
    while queue and len(seen) <= _WALK_LIMIT:
        current = queue.popleft()
        marker = getattr(current, "metadata", {}).get(_KEY)
        if isinstance(marker, _Marker):
            if marker.backpropagated:
                return marker
            continue  # an earlier call's own outputs: what lies behind them is that call's business
        for parent, _ in current.next_functions:
            if parent is not None and id(parent) not in seen:
                seen.add(id(parent))
                queue.append(parent)
    return None


class WatchPlugin:
    """Registered by the plugin under ``--rnn-watch``: a fresh Watch around every test call."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        watch = Watch()
        watch.start()
        try:
            result = yield
        except RnnCheckError as error:
            error.__traceback__ = without_internal_frames(error.__traceback__)
            raise
        except BaseException:
            if watch.violations:  # the test failed otherwise, after a violation it caught
                item.add_report_section("call", "rnn-watch", "\n".join(map(str, watch.violations)))
            raise
        finally:
            watch.stop()
        if watch.violations:  # raised at the call, but the test caught it
            raise RnnCheckError(watch.violations)
        return result
