"""``assert_batch_independent``: a sample's results must not depend on the other samples.

Run the batch, then run it again with every sample but one replaced by fresh values; the kept
sample's outputs must not move. Samples 0 and B-1 are each kept in turn (a mix-up that leaves one
row alone rarely leaves both). When an output moved, the probe's record of each recurrent call says
where the samples met: if a recurrent layer's own outputs moved, its input or initial state was
already mixed; if none did, the mixing came after them — typically ``h_n.view(B, -1)`` on a
``(L*D, B, H)`` state, which keeps every shape right whenever ``L*D > 1``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from pytest_rnn.errors import RnnUsageError, Violation, raise_if_any, reports_cleanly
from pytest_rnn.follow import unchanged_row
from pytest_rnn.guards import require_runnable
from pytest_rnn.precise import Subject, precise_subject
from pytest_rnn.preserve import ModelRunner, untouched
from pytest_rnn.probe import Probe
from pytest_rnn.recurrent import root_name
from pytest_rnn.samples import (
    PACKED,
    Axis,
    input_batch_axis,
    output_batch_axis,
    perturb_others,
    primary_input,
    sample,
)
from pytest_rnn.tolerance import bounds, compare
from pytest_rnn.tree import describe, leaves, shape_of

#: Seed of the private generator that draws the replacement samples (the global one is untouched).
_SEED = 20240611


#: RNN102's fix when the samples mix before the recurrent layer: the catalogue's is about h_n.
_BEFORE_THE_LAYER = (
    "compute each sample's input and initial state from that sample alone: no statistic over the batch axis "
    "(a batch mean, softmax over it) and no view/reshape across it (permute to move it); h_0 shaped "
    "(num_layers * num_directions, B, H) with sample b at [:, b]"
)


def batch_violations(
    model: nn.Module,
    inputs: tuple,
    forward_kwargs: dict,
    batch_dim: int | None = None,
    *,
    atol: float | None = None,
    rtol: float | None = None,
    subject: Subject | None = None,
) -> list[Violation]:
    """RNN102 wherever a kept sample's results move. Runs ``subject`` (by default the model's
    float64 CPU copy, see pytest_rnn.precise); ``atol``/``rtol`` default to its dtype's bound."""
    subject = subject or precise_subject(model, inputs, forward_kwargs)
    model, inputs, forward_kwargs = subject.model, subject.inputs, subject.forward_kwargs
    tolerance = (atol, rtol)
    position = primary_input(inputs)
    generator = torch.Generator().manual_seed(_SEED)
    with untouched(model) as runner, torch.no_grad():
        base_probe, base = subject.base_run or _run(runner, model, inputs, forward_kwargs)
        x = inputs[position]
        axis, batch = input_batch_axis(x, base_probe, batch_dim)
        if batch < 2:
            raise RnnUsageError(f"batch independence needs at least two samples; the batch has {batch}")
        # Keyed by position among the leaves: a flattened (B*T, V) next to a batched value has no
        # batch axis and is left out, and the runs below are matched leaf by leaf on that position.
        outputs = {
            position_: (name, leaf, axis_)
            for position_, (name, leaf) in enumerate(leaves(base))
            if (axis_ := _checked_axis(model, name, leaf, batch, base_probe, batch_dim)) is not None
        }
        if not outputs:
            raise RnnUsageError(
                f"none of {type(model).__name__}'s outputs has a batch axis of size {batch}: nothing "
                "per sample to compare"
            )
        _require_deterministic(runner, model, inputs, forward_kwargs, outputs, batch, tolerance)

        found: dict[str, Violation] = {}
        for keep in sorted({0, batch - 1}):
            changed = list(inputs)
            changed[position] = perturb_others(x, axis, keep, generator)
            probe, result = _run(runner, model, tuple(changed), forward_kwargs)
            moved = [
                (name, difference)
                for name, leaf, axis_, new in _paired(model, outputs, result)
                if not (difference := _difference(leaf, new, axis_, keep, tolerance)).within
            ]
            for violation in _locate(model, base_probe, probe, keep, moved, tolerance):
                found.setdefault(violation.where, violation)
    return list(found.values())


def _run(runner: ModelRunner, model: nn.Module, inputs: tuple, forward_kwargs: dict) -> tuple[Probe, Any]:
    with Probe(model) as probe:
        result = runner.run(*inputs, **forward_kwargs)
    return probe, result


def _checked_axis(
    model: nn.Module, name: str, leaf: Any, batch: int, probe: Probe, batch_dim: int | None
) -> Axis | None:
    """The batch axis of one output; a usage error when ``batch_dim`` makes a batch that value
    does not have (a recurrent layer's h_n says the batch is something else)."""
    axis = output_batch_axis(name, leaf, batch, probe, batch_dim)
    if axis is None or axis == PACKED:
        return axis
    if leaf.shape[axis] != batch:
        first = probe.first_call()
        seen = f"; {first.path} received a batch of {first.layout.batch}" if first and first.layout.batch else ""
        raise RnnUsageError(
            f"{name} of {type(model).__name__} has {leaf.shape[axis]} samples on its batch axis {axis}, but "
            f"batch_dim={batch_dim} makes a batch of {batch}{seen}: pass the batch axis of the first input as "
            "batch_dim= (or leave it out to infer it)"
        )
    return axis


def _paired(model: nn.Module, outputs: dict, result: Any) -> list[tuple[str, Any, Axis, Any]]:
    """(name, base value, axis, new value) for each batched output, matched by leaf position."""
    new_leaves = [leaf for _, leaf in leaves(result)]
    paired = []
    for position, (name, leaf, axis) in outputs.items():
        if position >= len(new_leaves) or shape_of(new_leaves[position]) != shape_of(leaf):
            found = describe(new_leaves[position]) if position < len(new_leaves) else "nothing"
            raise RnnUsageError(
                f"{type(model).__name__} returned {name} as {describe(leaf)} for the batch and {found} when other "
                "samples changed: its outputs' structure depends on the values, so they cannot be compared"
            )
        paired.append((name, leaf, axis, new_leaves[position]))
    return paired


def _difference(old: Any, new: Any, axis: Axis, index: int, tolerance: tuple[float | None, float | None]):
    a, b = sample(old, axis, index), sample(new, axis, index)
    return compare(a, b, *bounds(a, *tolerance))


def _require_deterministic(runner, model, inputs, forward_kwargs, outputs, batch, tolerance) -> None:
    """The same input twice must give the same outputs, or no comparison means anything."""
    _, again = _run(runner, model, inputs, forward_kwargs)
    for name, leaf, _axis, new in _paired(model, outputs, again):
        whole, repeated = (leaf.data, new.data) if isinstance(leaf, PackedSequence) else (leaf, new)
        if not compare(whole, repeated, *bounds(whole, *tolerance)).within:
            raise RnnUsageError(
                f"{type(model).__name__} gives different {name} for the same input in eval mode "
                "(from the same random state): its outputs cannot be compared"
            )


def _locate(
    model: nn.Module, before: Probe, after: Probe, keep: int, moved_outputs: list[tuple[str, Any]], tolerance
) -> list[Violation]:
    """Name the earliest recurrent call whose own outputs moved, else the model's moved outputs."""
    if len(before.calls) == len(after.calls):
        for old_call, new_call in zip(before.calls, after.calls):
            row = unchanged_row(old_call, new_call, keep)  # the model may have reordered its batch
            for (old_value, axis), (new_value, _) in zip(old_call.batch_axes(), new_call.batch_axes()):
                difference = _difference(old_value, new_value, axis, row, tolerance)
                if not difference.within:
                    role = _role(old_call, old_value)
                    return [
                        Violation(
                            "RNN102",
                            old_call.path,
                            f"its {role} for sample {keep} moved when only the other samples changed: its input or "
                            "initial state already mixes samples",
                            f"sample {keep} unchanged ({difference.bound})",
                            str(difference),
                            _BEFORE_THE_LAYER,
                        )
                    ]
    if not moved_outputs:
        return []
    names = ", ".join(name for name, _ in moved_outputs)
    worst = max((difference for _, difference in moved_outputs), key=lambda d: d.max_abs)
    return [
        Violation(
            "RNN102",
            root_name(model),
            f"{names} for sample {keep} moved when only the other samples changed, while the recurrent layers' own "
            "outputs did not: samples are mixed after them (a state flattened with h_n.view(B, -1)?)",
            f"sample {keep} unchanged ({worst.bound})",
            str(worst),
        )
    ]


def _role(call, value) -> str:
    if value is call.output and not call.module.is_cell:
        return "output"
    for name, tensor in call.state_tensors():
        if tensor is value:
            return name
    return "output"


@reports_cleanly
def assert_batch_independent(
    model: nn.Module,
    *inputs: Any,
    batch_dim: int | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    **forward_kwargs: Any,
) -> None:
    """Perturb every sample but one; that sample's outputs must not move (RNN102). Each output is
    compared on its own batch axis (h_n/c_n: axis 1). ``batch_dim`` is the batch axis of the first
    tensor argument, the one perturbed; by default it is inferred from the first recurrent layer.
    Runs on a float64 CPU copy of the model when it can; ``atol``/``rtol`` (|Δ| ≤ atol + rtol·|value|)
    default to the bound of the dtype it ran in (1.5e-8 for float64)."""
    __tracebackhide__ = True
    require_runnable(model, inputs, forward_kwargs)
    raise_if_any(batch_violations(model, inputs, forward_kwargs, batch_dim, atol=atol, rtol=rtol))
