"""A batch of one (part of ``rnn_check``): the first sample run alone must come back shaped like the
batch's results with a batch axis of 1, and with the values it had in the batch.

Two bugs only show with one sample. A bare ``squeeze()`` on a state or output (RNN108) drops the
batch axis along with the axis it meant, so the model returns ``(H,)`` instead of ``(1, H)`` — and
the loss or the caller fails, or broadcasts, far from the cause. An initial state built for a
fixed batch size (RNN107: ``zeros(L, 32, H)`` from a constructor argument) fits every batch the
tests use until the last, short one. Every argument carrying the batch is cut to its first sample:
the perturbed input on its batch axis, a state given to a recurrent module on the contract's axis,
lengths, and any other tensor with exactly one axis of the batch size.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from pytest_rnn.errors import RnnCheckError, Violation
from pytest_rnn.preserve import ModelRunner, RandomState, untouched
from pytest_rnn.probe import Probe
from pytest_rnn.recurrent import root_name
from pytest_rnn.samples import PACKED, input_batch_axis, output_batch_axis, primary_input, sample
from pytest_rnn.tolerance import bounds, compare
from pytest_rnn.tree import describe, leaves, map_leaves, shape_of
from rnn_lint import contract


class _Ambiguous(Exception):
    """An argument whose batch axis cannot be told: the check is skipped with this reason."""


def _state_axes(probe: Probe) -> dict[int, int]:
    """id(initial state tensor) → its batch axis, for every state a recurrent call was given."""
    axes = {}
    for call in probe.calls:
        axis = contract.batch_axis("h_n", cell=call.module.is_cell)
        states = call.hx if isinstance(call.hx, (tuple, list)) else (call.hx,)
        for state in states:
            if isinstance(state, torch.Tensor):
                axes[id(state)] = axis
    return axes


def _first_sample(value: Any, batch: int, axis: Any, state_axes: dict[int, int], where: str) -> Any:
    if isinstance(value, PackedSequence):
        first = sample(value, PACKED, 0)  # (length, features), its valid steps
        return pack_padded_sequence(first.unsqueeze(1), torch.tensor([first.shape[0]]))
    if axis is not None:
        return value.narrow(axis, 0, 1)
    if id(value) in state_axes and value.dim() > state_axes[id(value)]:
        return value.narrow(state_axes[id(value)], 0, 1)
    candidates = [dim for dim in range(value.dim()) if value.shape[dim] == batch]
    if not candidates:
        return value
    if len(candidates) > 1:
        raise _Ambiguous(f"{where} {describe(value)} has several axes of the batch size {batch}")
    return value.narrow(candidates[0], 0, 1)


def _cut(value: Any, batch: int, state_axes: dict[int, int], where: str) -> Any:
    """``value`` (an argument, with any nesting) cut to its first sample."""
    if isinstance(value, (list, tuple)) and value and all(isinstance(item, int) for item in value):
        return type(value)(value[:1]) if len(value) == batch else value  # lengths as a list
    return map_leaves(value, lambda leaf: _first_sample(leaf, batch, None, state_axes, where))


def _first_length(inputs: tuple, position: int, batch: int) -> int | None:
    """The first sample's length, when another argument is a batch of lengths (one integer per
    sample): a per-step output of that sample alone may stop there."""
    for index, value in enumerate(inputs):
        if index == position:
            continue
        if isinstance(value, torch.Tensor) and value.dim() == 1 and not value.dtype.is_floating_point:
            if value.shape[0] == batch and value.dtype != torch.bool:
                return int(value[0])
        elif isinstance(value, (list, tuple)) and len(value) == batch and all(isinstance(v, int) for v in value):
            return value[0]
    return None


def _carries_batch_state(runner: ModelRunner, batch: int) -> bool:
    """Whether the model keeps a tensor with a batch-sized axis as a plain attribute (``self.hidden``
    carried between calls): a sample alone cannot be handed its part of it, so its values differ."""
    return any(
        isinstance(value, torch.Tensor) and batch in value.shape
        for _, kept in runner.model_state.attributes
        for item in kept.values()
        for value in (item if isinstance(item, (tuple, list)) else (item,))
    )


def single_sample_violations(
    model: nn.Module,
    inputs: tuple,
    forward_kwargs: dict,
    *,
    atol: float | None = None,
    rtol: float | None = None,
    first_length: int | None = None,
    base_run: tuple[Probe, Any] | None = None,
) -> tuple[list[Violation], str | None]:
    """(violations, None), or ([], why the check cannot run). ``first_length``: the first sample's
    length when the batch is padded — its per-step outputs alone may stop there."""
    position = primary_input(inputs)
    with untouched(model) as runner, torch.no_grad():
        if base_run is None:
            with Probe(model) as probe:
                base = runner.run(*inputs, **forward_kwargs)
        else:
            probe, base = base_run
        first = probe.first_call()
        if first is None or first.layout.batch is None:
            return [], "unbatched input"
        axis, batch = input_batch_axis(inputs[position], probe, None)
        if batch < 2:
            return [], "the batch has one sample already"
        carried = _carries_batch_state(runner, batch)
        if first_length is None:
            first_length = _first_length(inputs, position, batch)
        state_axes = _state_axes(probe)
        try:
            single_inputs = tuple(
                _first_sample(value, batch, axis, state_axes, "the input")
                if index == position
                else _cut(value, batch, state_axes, f"argument {index}")
                for index, value in enumerate(inputs)
            )
            single_kwargs = {name: _cut(value, batch, state_axes, f"{name}=") for name, value in forward_kwargs.items()}
        except _Ambiguous as reason:
            return [], f"{reason}: cannot cut it to one sample"
        outputs = [(name, leaf, output_batch_axis(name, leaf, batch, probe, None)) for name, leaf in leaves(base)]
        try:
            with Probe(model):
                single = runner.run(*single_inputs, **single_kwargs)
        except RnnCheckError as error:  # a call PyTorch would refuse, made only with one sample
            return [_alone(violation) for violation in error.violations], None
        # A forward that draws random numbers draws as many as the batch needs, so one sample alone
        # gets other numbers than it got in the batch: its shapes still count, its values cannot.
        draws = not RandomState().same_as(runner.random_state)
    return _compare(
        model, outputs, list(leaves(single)), (atol, rtol), first_length, values=not (draws or carried)
    ), None


def _alone(violation: Violation) -> Violation:
    return Violation(
        violation.code,
        violation.where,
        f"with a batch of one sample: {violation.what}",
        violation.expected,
        violation.got,
    )


def _trimmed(leaf: torch.Tensor, got: tuple[int, ...], length: int | None) -> torch.Tensor:
    """``leaf`` cut to the first sample's valid steps on each axis where its result alone stops there
    (a padded batch unpacked to its longest sequence)."""
    if length is None or len(got) != leaf.dim():
        return leaf
    for dim, size in enumerate(got):
        if size == length < leaf.shape[dim]:
            leaf = leaf.narrow(dim, 0, length)
    return leaf


def _compare(
    model: nn.Module, outputs: list, single: list, tolerance: tuple, first_length: int | None, values: bool = True
) -> list[Violation]:
    where = root_name(model)
    if len(single) != len(outputs):
        return [
            Violation(
                "RNN107",
                where,
                "the model returns a different number of values for one sample than for the batch",
                f"{len(outputs)} values",
                f"{len(single)}",
            )
        ]
    problems = []
    for (name, leaf, axis), (_, alone) in zip(outputs, single):
        if axis is None:
            continue  # no batch axis (a flattened (T*B, V), a scalar): no shape to expect
        if axis == PACKED:
            if isinstance(alone, PackedSequence):
                mine, theirs = sample(leaf, PACKED, 0), sample(alone, PACKED, 0)
                if values and mine.shape == theirs.shape:
                    difference = compare(mine, theirs, *bounds(mine, *tolerance))
                    if not difference.within:
                        problems.append(_moved(where, name, difference))
                continue
            problems.append(
                Violation(
                    "RNN107",
                    where,
                    f"{name} is packed for the batch but not for one sample",
                    "a PackedSequence",
                    type(alone).__name__,
                )
            )
            continue
        got = shape_of(alone) if isinstance(alone, (torch.Tensor, PackedSequence)) else ()
        leaf = _trimmed(leaf, got, first_length)
        expected = list(leaf.shape)
        expected[axis] = 1
        if list(got) == expected:
            if not values:
                continue
            mine, theirs = leaf.select(axis, 0), alone.select(axis, 0)
            difference = compare(mine, theirs, *bounds(mine, *tolerance))
            if not difference.within:
                problems.append(_moved(where, name, difference))
        elif list(got) == expected[:axis] + expected[axis + 1 :]:
            problems.append(
                Violation(
                    "RNN108",
                    where,
                    f"{name} loses its batch axis {axis} when the batch has one sample (a bare squeeze()?)",
                    str(tuple(expected)),
                    str(tuple(got)),
                )
            )
        else:
            problems.append(
                Violation(
                    "RNN107",
                    where,
                    f"{name} for one sample is not shaped like the batch's with a batch axis of 1",
                    str(tuple(expected)),
                    str(tuple(got)),
                )
            )
    return problems


def _moved(where: str, name: str, difference: Any) -> Violation:
    return Violation(
        "RNN102",
        where,
        f"{name} of sample 0 run alone differs from its value in the batch: the batch changes what a sample gets",
        f"equal ({difference.bound})",
        str(difference),
    )
