"""``assert_bidirectional_summary``: does the model read both directions of a bidirectional layer
where each has seen the whole sequence? (RNN104 at run time.)

A bidirectional layer's backward direction runs from the last step to the first, so its output at
the last step has seen one step, and its full-sequence summary is its output at step 0 — or its
row of h_n (``h_n[-1]`` is the top layer's *backward* state). The two tutorial bugs both pass every
shape check: ``out[:, -1]`` reads the backward half where it has seen one step, and ``h_n[-1]``
alone drops the forward direction.

The check runs the model once with gradients on. A forward hook on every bidirectional layer hands
the rest of the model fresh leaf copies of the layer's output, h_n and c_n; one backward pass from
a random weighting of the model's floating outputs (a plain sum would cancel through a softmax)
then says, for each step and direction of the output and each row of the states, whether it
reaches the model's output at all. Only exact zeros count as "not read": a value that reaches the
output through any path, however weak, is read. Parameters' ``.grad`` are never touched (the
gradients are taken with ``torch.autograd.grad`` for the leaves only).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from pytest_rnn.calls import split_result
from pytest_rnn.direct import hooked
from pytest_rnn.errors import Violation, raise_if_any, reports_cleanly
from pytest_rnn.guards import require_runnable
from pytest_rnn.preserve import untouched
from pytest_rnn.recurrent import RecurrentModule, recurrent_modules
from pytest_rnn.tree import leaves
from rnn_lint import contract

#: Seed of the private generator that weights the outputs (the global one is untouched).
_SEED = 20240104


@contextmanager
def _cudnn_off() -> Iterator[None]:
    """cuDNN's recurrent backward refuses eval mode; the native kernels do not."""
    previous = torch.backends.cudnn.enabled
    torch.backends.cudnn.enabled = False
    try:
        yield
    finally:
        torch.backends.cudnn.enabled = previous


@dataclass
class _Call:
    """The leaves one call of a bidirectional layer handed on: output (tensor or packed data), h_n, c_n."""

    output: torch.Tensor | None
    packed: PackedSequence | None
    h: torch.Tensor | None
    c: torch.Tensor | None


@dataclass
class _Reads:
    """What reached the model's output from one bidirectional layer, over all its calls."""

    #: Per direction (0 forward, 1 backward): the step positions read, as "first", "last", "middle".
    steps: tuple[set[str], set[str]] = field(default_factory=lambda: (set(), set()))
    #: Rows of h_n / c_n read, as state_index values.
    h_rows: set[int] = field(default_factory=set)
    c_rows: set[int] = field(default_factory=set)
    calls: int = 0


class _Capture:
    def __init__(self, recurrent: RecurrentModule) -> None:
        self.recurrent = recurrent
        self.calls: list[_Call] = []

    def __call__(self, module: nn.Module, args: tuple, kwargs: dict, result: Any) -> Any:
        output, h, c = split_result(self.recurrent.kind, result)
        if not isinstance(h, torch.Tensor) or not h.dtype.is_floating_point:
            return None
        packed = None
        if isinstance(output, PackedSequence):
            packed = output
            leaf_output = output.data.detach().requires_grad_(True)
            handed_output: Any = PackedSequence(
                leaf_output.clone(), output.batch_sizes, output.sorted_indices, output.unsorted_indices
            )
        elif isinstance(output, torch.Tensor):
            leaf_output = output.detach().requires_grad_(True)
            handed_output = leaf_output.clone()  # a clone: the model may write into its output in place
        else:
            return None
        leaf_h = h.detach().requires_grad_(True)
        leaf_c = c.detach().requires_grad_(True) if isinstance(c, torch.Tensor) else None
        self.calls.append(_Call(leaf_output, packed, leaf_h, leaf_c))
        state: Any = leaf_h.clone()
        if leaf_c is not None:
            state = (state, leaf_c.clone())
        return handed_output, state


def _bidirectional_layers(model: nn.Module) -> list[RecurrentModule]:
    return [
        recurrent
        for recurrent in recurrent_modules(model)
        if not recurrent.is_cell and recurrent.config.get("bidirectional")
    ]


def _target(result: Any, generator: torch.Generator) -> torch.Tensor | None:
    """A random weighting of every floating output that carries a gradient."""
    total = None
    for _, value in leaves(result):
        tensor = value.data if isinstance(value, PackedSequence) else value
        if not (tensor.dtype.is_floating_point and tensor.requires_grad):
            continue
        weights = torch.rand(tensor.shape, generator=generator, dtype=torch.float64) + 0.5
        term = (tensor * weights.to(tensor.device, tensor.dtype)).sum()
        total = term if total is None else total + term
    return total


def _step_positions(count: int) -> list[str]:
    """The name of each step position out of ``count``: first, middle…, last."""
    if count == 1:
        return ["first"]  # one step is both; "first" is the full-sequence summary for the backward half
    return ["first", *(["middle"] * (count - 2)), "last"]


def _read(grad: torch.Tensor | None) -> bool:
    return grad is not None and bool((grad != 0).any())


def _record(recurrent: RecurrentModule, call: _Call, grads: dict[int, torch.Tensor | None], reads: _Reads) -> None:
    config = recurrent.config
    h_out = contract.output_hidden_size(config["hidden_size"], config.get("proj_size", 0) or 0)
    reads.calls += 1
    grad_output = grads.get(id(call.output))
    if grad_output is not None:
        halves = (grad_output[..., :h_out], grad_output[..., h_out:])
        if call.packed is not None:
            sizes = [int(size) for size in call.packed.batch_sizes]
            offsets = [sum(sizes[:step]) for step in range(len(sizes))]
            # Sequence s (packed order, longest first) runs while sizes[t] > s; its last step is then
            # its own last one, the step its backward direction starts from.
            lengths = [sum(1 for size in sizes if size > s) for s in range(sizes[0] if sizes else 0)]
            for direction, half in enumerate(halves):
                for s, length in enumerate(lengths):
                    for t, position in enumerate(_step_positions(length)):
                        if _read(half[offsets[t] + s]):
                            reads.steps[direction].add(position)
        else:
            unbatched = call.h is not None and call.h.dim() == 2
            time = 0 if unbatched else contract.time_axis(bool(config.get("batch_first")))
            steps = grad_output.shape[time]
            for direction, half in enumerate(halves):
                for t, position in enumerate(_step_positions(steps)):
                    if _read(half.select(time, t)):
                        reads.steps[direction].add(position)
    for rows, tensor in ((reads.h_rows, call.h), (reads.c_rows, call.c)):
        grad = grads.get(id(tensor)) if tensor is not None else None
        if grad is None:
            continue
        for row in range(grad.shape[0]):
            if _read(grad[row]):
                rows.add(row)


def _directions_read(rows: set[int]) -> set[int]:
    return {row % 2 for row in rows}


def _describe(recurrent: RecurrentModule, reads: _Reads) -> str:
    """What the model reads of the layer, as a user would index it."""
    layers = recurrent.config.get("num_layers", 1)
    parts = []
    names = ("forward", "backward")
    for direction in (0, 1):
        positions = reads.steps[direction]
        if positions:
            order = [p for p in ("first", "middle", "last") if p in positions]
            parts.append(f"the output's {names[direction]} half at the {'/'.join(order)} step")
    for label, rows in (("h_n", reads.h_rows), ("c_n", reads.c_rows)):
        for row in sorted(rows):
            layer, direction = divmod(row, 2)
            index = f"{row - 2 * layers}" if layer == layers - 1 else f"{row}"
            parts.append(f"{label}[{index}] (layer {layer} {names[direction]})")
    return ", ".join(parts) if parts else "nothing"


def _verdict(recurrent: RecurrentModule, reads: _Reads) -> Violation | None:
    state_directions = _directions_read(reads.h_rows | reads.c_rows)
    forward_used = bool(reads.steps[0]) or 0 in state_directions
    backward_summary = "first" in reads.steps[1] or 1 in state_directions
    # Only the last step: a pooling that reads the middle steps too (max over time may never pick step 0) is a
    # summary of the whole sequence.
    backward_one_step = reads.steps[1] == {"last"} and not backward_summary
    backward_used = bool(reads.steps[1]) or 1 in state_directions
    if not (forward_used or backward_used):
        return None  # the layer's results never reach the output: not a question of directions
    read = _describe(recurrent, reads)
    if backward_one_step:
        return Violation(
            "RNN104",
            recurrent.path,
            "the backward direction is read only at the last step, where it has seen one step: neither its output "
            "at step 0 nor its final state reaches the model's output (out[:, -1] on a bidirectional output?)",
            "the backward direction's full-sequence summary (its output at step 0, or its rows of h_n)",
            read,
        )
    if not forward_used:
        return Violation(
            "RNN104",
            recurrent.path,
            "only the backward direction reaches the model's output; the forward direction's output and final state "
            "are never used (h_n[-1] alone is the top layer's backward state)",
            "both directions' summaries (h_n[-2] and h_n[-1])",
            read,
        )
    return None


def has_bidirectional_layer(model: nn.Module) -> bool:
    return bool(_bidirectional_layers(model))


def bidirectional_violations(model: nn.Module, inputs: tuple, forward_kwargs: dict) -> list[Violation]:
    """RNN104 for each bidirectional layer summarised by one direction. Raises ValueError when the
    model's outputs carry no gradient to measure with."""
    layers = _bidirectional_layers(model)
    if not layers:
        return []
    captures = [_Capture(recurrent) for recurrent in layers]
    generator = torch.Generator().manual_seed(_SEED)
    with untouched(model) as runner, torch.enable_grad(), _cudnn_off():
        with ExitStack() as stack:
            for capture in captures:
                stack.enter_context(hooked(capture.recurrent.module, post=capture))
            result = runner.run(*inputs, **forward_kwargs)
        leaves_to_read = [
            tensor
            for capture in captures
            for call in capture.calls
            for tensor in (call.output, call.h, call.c)
            if tensor is not None
        ]
        if not leaves_to_read:
            return []  # no bidirectional layer was called
        target = _target(result, generator)
        if target is None:
            raise ValueError(
                f"none of {type(model).__name__}'s outputs is a floating tensor that depends on its bidirectional "
                "layers: nothing to measure which of their results are read"
            )
        grads = torch.autograd.grad(target, leaves_to_read, allow_unused=True)
    by_id = {id(tensor): grad for tensor, grad in zip(leaves_to_read, grads)}
    found = []
    for capture in captures:
        if not capture.calls:
            continue
        reads = _Reads()
        for call in capture.calls:
            _record(capture.recurrent, call, by_id, reads)
        violation = _verdict(capture.recurrent, reads)
        if violation is not None:
            found.append(violation)
    return found


@reports_cleanly
def assert_bidirectional_summary(model: nn.Module, *inputs: Any, **forward_kwargs: Any) -> None:
    """RNN104 for every bidirectional layer whose backward direction reaches the model's output only
    through its one-step output (``out[:, -1]``), or whose forward direction never does (``h_n[-1]``
    alone). Measured with one backward pass from the model's outputs to the layer's results."""
    __tracebackhide__ = True
    require_runnable(model, inputs, forward_kwargs, gradients=True)
    raise_if_any(bidirectional_violations(model, inputs, forward_kwargs))
