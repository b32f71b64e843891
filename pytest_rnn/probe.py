"""Watch every recurrent submodule of one model while it runs.

Forward pre-hooks (with keyword arguments, so ``hx=`` is seen too) check each call's input and
initial state before PyTorch does, and raise ``RnnCheckError`` for what PyTorch would reject or
silently misread; forward hooks check the outputs and keep the call, so the other checks can find
each output's batch axis and compare a layer's states between runs. The hooks go away on exit,
whatever happened inside.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from pytest_rnn.calls import (
    PACKED,
    Layout,
    input_violations,
    output_violations,
    packed_rows,
    split_arguments,
    split_result,
)
from pytest_rnn.direct import hooked
from pytest_rnn.errors import RnnCheckError, Violation
from pytest_rnn.recurrent import RecurrentModule, recurrent_modules
from pytest_rnn.tree import describe
from rnn_lint import contract

if TYPE_CHECKING:
    from typing_extensions import Self


@dataclass
class RecurrentCall:
    """What one recurrent module was given and gave back in one call."""

    module: RecurrentModule
    layout: Layout
    input: Any
    hx: Any
    output: Any = None
    h: torch.Tensor | None = None
    c: torch.Tensor | None = None

    @property
    def path(self) -> str:
        return self.module.path

    def state_tensors(self) -> list[tuple[str, torch.Tensor]]:
        """The final states with their names, those the call returned."""
        names = ("h", "c") if self.module.is_cell else ("h_n", "c_n")
        return [(name, tensor) for name, tensor in zip(names, (self.h, self.c)) if isinstance(tensor, torch.Tensor)]

    def batch_axes(self) -> list[tuple[Any, int | str]]:
        """(returned value, its batch axis) for every output of a batched call (PACKED for a
        PackedSequence)."""
        if self.layout.batch is None:
            return []
        cell = self.module.is_cell
        found: list[tuple[Any, int | str]] = []
        if not cell and self.output is not None:
            if isinstance(self.output, PackedSequence):
                found.append((self.output, PACKED))
            else:
                found.append((self.output, contract.batch_axis("output", bool(self.module.config.get("batch_first")))))
        for role, tensor in zip(("h_n", "c_n"), (self.h, self.c)):
            if isinstance(tensor, torch.Tensor):
                found.append((tensor, contract.batch_axis(role, cell=cell)))
        return found

    def observed(self) -> dict[str, str]:
        """Shapes as seen, by role, for reports."""
        seen = {"input": describe(self.input) if isinstance(self.input, (torch.Tensor, PackedSequence)) else "?"}
        h_name, c_name = ("hx", "cx") if self.module.is_cell else ("h_0", "c_0")
        if isinstance(self.hx, torch.Tensor):
            seen[h_name] = describe(self.hx)
        elif isinstance(self.hx, (tuple, list)):
            for name, tensor in zip((h_name, c_name), self.hx):
                seen[name] = describe(tensor)
        if not self.module.is_cell and isinstance(self.output, (torch.Tensor, PackedSequence)):
            seen["output"] = describe(self.output)
        for name, tensor in self.state_tensors():
            seen[name] = describe(tensor)
        return seen


@dataclass
class Probe:
    """``with Probe(model) as probe: model(x)`` → ``probe.calls``, ``probe.violations``."""

    model: nn.Module
    modules: list[RecurrentModule] = field(default_factory=list)
    calls: list[RecurrentCall] = field(default_factory=list)
    #: Problems found after a call returned (outputs that break the contract). Problems found
    #: before a call are raised on the spot, since PyTorch would fail or misread the call.
    violations: list[Violation] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.modules = recurrent_modules(self.model)
        self._hooks = ExitStack()
        self._pending: dict[int, list[RecurrentCall]] = {}

    def __enter__(self) -> Self:
        with ExitStack() as stack:
            for recurrent in self.modules:
                stack.enter_context(hooked(recurrent.module, pre=self._before(recurrent), post=self._after(recurrent)))
            self._hooks = stack.pop_all()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._hooks.close()
        self._pending.clear()

    def unobserved(self) -> list[RecurrentModule]:
        """The recurrent modules no call was seen of, in registration order."""
        called = {id(call.module) for call in self.calls}
        return [recurrent for recurrent in self.modules if id(recurrent) not in called]

    def _before(self, recurrent: RecurrentModule):
        def hook(module: nn.Module, args: tuple, kwargs: dict) -> None:
            __tracebackhide__ = True
            inp, hx = split_arguments(args, kwargs)
            layout, problems = input_violations(recurrent.path, recurrent.kind, recurrent.config, inp, hx)
            if problems:
                raise RnnCheckError(problems)
            call = RecurrentCall(recurrent, layout, inp, hx)
            self.calls.append(call)  # in the order the calls started: the first is the entry layer
            self._pending.setdefault(id(module), []).append(call)

        return hook

    def _after(self, recurrent: RecurrentModule):
        def hook(module: nn.Module, args: tuple, kwargs: dict, result: Any) -> None:
            stack = self._pending.get(id(module))
            if not stack:
                return
            call = stack.pop()
            call.output, call.h, call.c = split_result(recurrent.kind, result)
            self.violations.extend(
                output_violations(
                    recurrent.path, recurrent.kind, recurrent.config, call.layout, result, packed_rows(call.input)
                )
            )

        return hook

    def first_call(self) -> RecurrentCall | None:
        return self.calls[0] if self.calls else None

    def per_step_layouts(self) -> list[tuple[tuple[int, ...], int]]:
        """(leading shape, batch axis) of each batched layer's tensor output: a value shaped
        (T, B, anything) after a seq-first layer is per step, batch on axis 1."""
        layouts = []
        for call in self.calls:
            if call.module.is_cell or call.layout.batch is None or not isinstance(call.output, torch.Tensor):
                continue
            batch_first = bool(call.module.config.get("batch_first"))
            layouts.append((tuple(call.output.shape[:-1]), contract.batch_axis("output", batch_first)))
        return layouts

    def known_batch_axes(self) -> dict[int, int | str]:
        """id(value) → batch axis, for every value a recurrent call returned during the run."""
        return {id(value): axis for call in self.calls for value, axis in call.batch_axes()}
