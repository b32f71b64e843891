"""``assert_gradient_flow``: does the last step's output still feel the first input step?

The ratio ‖∂y_T/∂x_0‖ / ‖∂y_T/∂x_T‖ is measured at the input of the first recurrent module, where
the sequence enters the recurrence (after any embedding; token ids have no gradient): that input is
swapped for a detached copy that requires grad, so the measure belongs to the recurrent stack and
nothing upstream. y_T is the model's first output — its last step when it is per-step (shaped like a
recurrent layer's output), else all of it (logits from h_n). When the first recurrent module is a
cell stepped in a loop, x_0 and x_T are the inputs of its first and last calls, and y_T is its state
after the last call — the end of the recurrence, not the model's output, which may stack every step
(then step 0's own output feels x_0 directly and hides what the recurrence forgot); for a packed batch,
the first and last steps of its longest sequences (a short one says nothing about long-range flow).

A default-initialised LSTM(4, 16) over 100 steps gives 1e-21…5e-18; with its forget-gate bias at 3
it gives 4e-2…1.1 (see the contract notes), so the default ``min_ratio=1e-3`` separates them widely.
The run is in eval mode with cuDNN off: cuDNN's recurrent backward refuses eval mode, and train mode
would bring dropout's randomness into a ratio meant to describe the weights.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from pytest_rnn.calls import split_arguments
from pytest_rnn.direct import hooked
from pytest_rnn.errors import RnnUsageError, Violation, raise_if_any, reports_cleanly
from pytest_rnn.guards import require_runnable
from pytest_rnn.preserve import untouched
from pytest_rnn.probe import Probe, RecurrentCall
from pytest_rnn.tree import leaves
from rnn_lint import contract


class _InputCapture:
    """Forward pre-hook for the first recurrent module: replaces each call's input with a leaf."""

    def __init__(self) -> None:
        self.inputs: list[Any] = []

    def __call__(self, module: nn.Module, args: tuple, kwargs: dict):
        inp, _ = split_arguments(args, kwargs)
        if isinstance(inp, PackedSequence):
            leaf = inp.data.detach().requires_grad_(True)
            replacement: Any = PackedSequence(leaf, inp.batch_sizes, inp.sorted_indices, inp.unsorted_indices)
        elif isinstance(inp, torch.Tensor) and inp.dtype.is_floating_point:
            leaf = replacement = inp.detach().requires_grad_(True)
        else:
            return None
        self.inputs.append(replacement)
        if args:
            return (replacement, *args[1:]), kwargs
        return args, {**kwargs, "input": replacement}


def _leaf(value: Any) -> torch.Tensor:
    return value.data if isinstance(value, PackedSequence) else value


def _packed_rows(batch_sizes: torch.Tensor) -> tuple[list[int], list[int]]:
    """Rows of packed data holding the first and the last step of the longest sequences (the
    ones that run all the steps; a short sequence's ratio says nothing about the long ones)."""
    sizes = [int(size) for size in batch_sizes]
    last_offset = sum(sizes[:-1])
    longest = range(sizes[-1])  # packed order is longest first
    return list(longest), [last_offset + sequence for sequence in longest]


def _step_norms(call: RecurrentCall, grad: torch.Tensor, value: Any) -> tuple[float, float]:
    """‖gradient at the first step‖, ‖gradient at the last step‖ within one call's input."""
    if isinstance(value, PackedSequence):
        first, last = _packed_rows(value.batch_sizes)
        return float(grad[first].norm()), float(grad[last].norm())
    if call.module.is_cell:
        return float(grad.norm()), float(grad.norm())
    axis = _time_axis(call)
    return float(grad.select(axis, 0).norm()), float(grad.select(axis, -1).norm())


def _time_axis(call: RecurrentCall) -> int:
    if call.layout.batch is None:
        return 0  # unbatched (T, features)
    return contract.time_axis(bool(call.module.config.get("batch_first")))


def _last_step_target(result: Any, probe: Probe) -> torch.Tensor:
    """y_T: the first output that carries a gradient, reduced to its last step when it is per-step."""
    for _, value in leaves(result):
        tensor = _leaf(value)
        if not (tensor.dtype.is_floating_point and tensor.requires_grad):
            continue
        if isinstance(value, PackedSequence):
            _, last = _packed_rows(value.batch_sizes)
            return tensor[last]  # the longest sequences' last step, where the ratio is measured
        for call in probe.calls:  # per-step: laid out like some recurrent layer's output
            output = call.output
            if call.module.is_cell or not isinstance(output, torch.Tensor) or output.dim() != tensor.dim():
                continue
            if tuple(output.shape[:-1]) == tuple(tensor.shape[:-1]):
                return tensor.select(_time_axis(call), -1)
        return tensor
    raise RnnUsageError("no output of the model carries a gradient back to its recurrent input")


@contextmanager
def _cudnn_off() -> Iterator[None]:
    previous = torch.backends.cudnn.enabled
    torch.backends.cudnn.enabled = False
    try:
        yield
    finally:
        torch.backends.cudnn.enabled = previous


def gradient_ratio(model: nn.Module, inputs: tuple, forward_kwargs: dict) -> tuple[float, RecurrentCall, int]:
    """(ratio, the first recurrent call, steps between x_0 and x_T)."""
    require_runnable(model, inputs, forward_kwargs, gradients=True)
    with untouched(model) as runner, torch.enable_grad(), _cudnn_off():
        probe = Probe(model)
        if not probe.modules:
            raise RnnUsageError(f"{type(model).__name__} has no recurrent submodule to measure")
        with torch.no_grad(), probe:  # which recurrent module sees the sequence first?
            runner.run(*inputs, **forward_kwargs)
        if not probe.calls:
            raise RnnUsageError("no recurrent submodule was called")
        first_module = probe.calls[0].module.module
        # Only the first module's input becomes the leaf: a later one would cut the path from x_0.
        capture = _InputCapture()
        probe = Probe(model)
        with hooked(first_module, pre=capture), probe:
            result = runner.run(*inputs, **forward_kwargs)
        first_call = next(call for call in probe.calls if call.module.module is first_module)
        if not capture.inputs:
            raise RnnUsageError(f"the input of {first_call.path} is not floating point: no gradient to measure")
        own_calls = [call for call in probe.calls if call.module.module is first_module]
        stepped = (
            len(capture.inputs) > 1 and isinstance(own_calls[-1].h, torch.Tensor) and own_calls[-1].h.requires_grad
        )
        # A module stepped in a loop: y_T is its state after the last step, where the recurrence
        # ends — the model's output may stack every step, and the first step's own output would
        # then feel x_0 directly, whatever the recurrence forgot.
        target = own_calls[-1].h if stepped else _last_step_target(result, probe)
        grads = torch.autograd.grad(target.sum(), [_leaf(value) for value in capture.inputs], allow_unused=True)
    grads = [torch.zeros_like(_leaf(value)) if grad is None else grad for grad, value in zip(grads, capture.inputs)]
    if len(capture.inputs) == 1:
        at_first, at_last = _step_norms(first_call, grads[0], capture.inputs[0])
        steps = first_call.layout.steps or 1
    else:  # a module called once per step: its first call against its last
        at_first, at_last = float(grads[0].norm()), float(grads[-1].norm())
        steps = len(capture.inputs)
    if at_last == 0.0:
        if at_first == 0.0:
            raise RnnUsageError(f"the output does not depend on the input of {first_call.path} at all")
        return math.inf, first_call, steps
    return at_first / at_last, first_call, steps


def gradient_violations(
    model: nn.Module, inputs: tuple, forward_kwargs: dict, min_ratio: float
) -> tuple[list[Violation], float]:
    ratio, first_call, steps = gradient_ratio(model, inputs, forward_kwargs)
    if ratio >= min_ratio:
        return [], ratio
    hint, advice = _advice(first_call)
    return [
        Violation(
            "RNN203",
            first_call.path,
            f"the last step's output feels the first input step {ratio:.2g} times as much as the last, over "
            f"{steps} steps{hint}",
            f"‖∂y_T/∂x_0‖ / ‖∂y_T/∂x_T‖ ≥ {min_ratio:g}",
            f"{ratio:.2g}",
            advice,
        )
    ], ratio


_SHORTER_PATH = (
    "shorten the sequence (truncated BPTT), or give the output a shorter path to early steps "
    "(attention, pooling over time)"
)


def _advice(call: RecurrentCall) -> tuple[str, str]:
    """(what the message adds about the module, the fix that fits its kind and initialisation)."""
    family = contract.family(call.module.kind)
    if family == "RNN":
        return "", f"use an LSTM (forget-gate bias 1) or a GRU; or {_SHORTER_PATH}"
    if family != "LSTM":
        return "", _SHORTER_PATH
    if not call.module.config.get("bias", True):
        return "; it has no biases (bias=False)", "build it with bias=True and fill the forget-gate bias [H:2H] with 1"
    hidden = call.module.config["hidden_size"]
    rows = contract.forget_gate_slice(hidden)
    names = contract.bias_names(call.module.kind)[0]
    module = call.module.module
    forget = float((getattr(module, names[0])[rows] + getattr(module, names[1])[rows]).detach().mean())
    hint = f"; its forget-gate bias averages {forget:.2g}"
    if forget >= 1.0:
        return hint, f"the forget-gate bias is already open: {_SHORTER_PATH}"
    return hint, f"fill the forget-gate bias (bias_ih[H:2H] and/or bias_hh[H:2H]) with 1 or more; or {_SHORTER_PATH}"


@reports_cleanly
def assert_gradient_flow(model: nn.Module, *inputs: Any, min_ratio: float = 1e-3, **forward_kwargs: Any) -> float:
    """RNN203 when ‖∂y_T/∂x_0‖ / ‖∂y_T/∂x_T‖ — the last step's output against the first and last
    steps of the first recurrent module's input — is below ``min_ratio``. Returns the ratio."""
    __tracebackhide__ = True
    violations, ratio = gradient_violations(model, inputs, forward_kwargs, min_ratio)
    raise_if_any(violations)
    return ratio
