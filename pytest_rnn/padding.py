"""``assert_padding_invariant``: padding a sequence into a batch must not change its result.

Each sequence is run alone, trimmed to its length, and compared with its row of the padded batch
run with lengths: per-step outputs on the valid steps, everything else whole. Lengths are checked
before anything runs — PyTorch silently packs lengths longer than the padded batch. When a result
differs, the recurrent layers' final states say where padding got in: a layer whose h_n differs ran
over the padded steps (the batch was not packed); if every state agrees, the padded steps were read
afterwards (``out[:, -1]`` on a padded batch is the classic).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from pytest_rnn.errors import RnnUsageError, Violation, raise_if_any, reports_cleanly
from pytest_rnn.follow import matching_row
from pytest_rnn.guards import require_runnable
from pytest_rnn.packing import lengths_checked
from pytest_rnn.precise import Subject, precise_subject
from pytest_rnn.preserve import ModelRunner, untouched
from pytest_rnn.probe import Probe
from pytest_rnn.recurrent import root_name
from pytest_rnn.samples import PACKED, output_batch_axis, sample
from pytest_rnn.tolerance import Difference, bounds, compare
from pytest_rnn.tree import describe, leaves

WHERE_LENGTHS = "lengths"


def as_lengths_list(lengths: Any) -> list[int]:
    if isinstance(lengths, torch.Tensor):
        if lengths.dim() != 1:
            raise RnnUsageError(f"lengths must be 1-D, got shape {tuple(lengths.shape)}")
        return [int(v) for v in lengths.cpu().tolist()]
    return [int(v) for v in lengths]


def _single(lengths: Any, value: int) -> Any:
    """``lengths`` for one sequence, in the caller's own type, dtype and device."""
    if isinstance(lengths, torch.Tensor):
        return torch.tensor([value], dtype=lengths.dtype, device=lengths.device)
    return type(lengths)([value]) if isinstance(lengths, (list, tuple)) else [value]


def padded_batch_first(padded: torch.Tensor, batch: int, batch_first: bool | None, model: nn.Module) -> bool:
    if batch_first is not None:
        return batch_first
    candidates = [axis for axis in (0, 1) if padded.shape[axis] == batch]
    if len(candidates) == 1:
        return candidates[0] == 0
    for module in model.modules():  # T == B: the layout the first recurrent layer was built for
        if isinstance(module, nn.RNNBase):
            return bool(module.batch_first)
    raise RnnUsageError(f"cannot tell whether the padded batch {tuple(padded.shape)} is batch-first: pass batch_first=")


def lengths_violations(padded: torch.Tensor, lengths: list[int], batch_first: bool) -> list[Violation]:
    batch = padded.shape[0 if batch_first else 1]
    steps = padded.shape[1 if batch_first else 0]
    problems = []
    if len(lengths) != batch:
        problems.append(
            Violation(
                "RNN106", WHERE_LENGTHS, "one length per sequence in the batch", f"{batch} lengths", f"{len(lengths)}"
            )
        )
    too_long = [index for index, value in enumerate(lengths) if value > steps]
    if too_long:
        problems.append(
            Violation(
                "RNN106",
                WHERE_LENGTHS,
                f"sample{'s' if len(too_long) > 1 else ''} {', '.join(map(str, too_long))} longer than the padded "
                "sequence; PyTorch packs such lengths silently into a corrupt batch",
                f"every length ≤ T = {steps}",
                f"max {max(lengths)}",
            )
        )
    empty = [index for index, value in enumerate(lengths) if value < 1]
    if empty:
        problems.append(
            Violation(
                "RNN106",
                WHERE_LENGTHS,
                f"sample{'s' if len(empty) > 1 else ''} {', '.join(map(str, empty))} with no steps",
                "every length ≥ 1",
                f"min {min(lengths)}",
            )
        )
    return problems


def padding_violations(
    model: nn.Module,
    padded: torch.Tensor,
    lengths: Any,
    *,
    batch_first: bool | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    forward_kwargs: dict | None = None,
    subject: Subject | None = None,
) -> list[Violation]:
    """RNN106 for lengths that cannot be right, else RNN105 wherever padding changed a result.
    Runs ``subject`` (by default the model's float64 CPU copy, see pytest_rnn.precise)."""
    forward_kwargs = forward_kwargs or {}
    values = as_lengths_list(lengths)
    if padded.dim() < 2:
        raise RnnUsageError(f"a padded batch has at least two axes (batch and time), got shape {tuple(padded.shape)}")
    batch_first = padded_batch_first(padded, len(values), batch_first, model)
    problems = lengths_violations(padded, values, batch_first)
    if problems:
        return problems
    batch = len(values)
    subject = subject or precise_subject(model, (padded, lengths), forward_kwargs)
    model, (padded, lengths), forward_kwargs = subject.model, subject.inputs[:2], subject.forward_kwargs
    tolerance = (atol, rtol)
    with untouched(model) as runner, torch.no_grad(), lengths_checked():
        probe, result = _run(runner, model, (padded, lengths), forward_kwargs)
        outputs = [
            (name, leaf, output_batch_axis(name, leaf, batch, probe, 0 if batch_first else 1))
            for name, leaf in leaves(result)
        ]
        differing: dict[str, list[tuple[int, Difference]]] = {}
        layer_leaks: dict[str, tuple[int, str, Difference]] = {}
        for index, length in enumerate(values):
            alone_input = padded[index : index + 1, :length] if batch_first else padded[:length, index : index + 1]
            alone_probe, alone = _run(runner, model, (alone_input, _single(lengths, length)), forward_kwargs)
            alone_leaves = list(leaves(alone))
            if len(alone_leaves) != len(outputs):
                raise RnnUsageError(
                    f"{type(model).__name__} returns {len(outputs)} values for the batch but "
                    f"{len(alone_leaves)} for one sequence: they cannot be compared"
                )
            for (name, leaf, axis), (_, single) in zip(outputs, alone_leaves):
                if axis is None:
                    continue
                difference = _compare_sample(name, leaf, axis, index, single, length, tolerance)
                if not difference.within:
                    differing.setdefault(name, []).append((index, difference))
            leak = _first_state_leak(probe, alone_probe, index, tolerance)
            if leak is not None and leak[0] not in layer_leaks:
                layer_leaks[leak[0]] = (index, leak[1], leak[2])
    return _violations(model, differing, layer_leaks, values, padded.shape[1 if batch_first else 0])


def _run(runner: ModelRunner, model: nn.Module, inputs: tuple, forward_kwargs: dict) -> tuple[Probe, Any]:
    with Probe(model) as probe:
        result = runner.run(*inputs, **forward_kwargs)
    return probe, result


def _compare_sample(
    name: str, leaf: Any, axis: Any, index: int, single: Any, length: int, tolerance: tuple
) -> Difference:
    """Row ``index`` of a batched result against the same sequence's result alone (batch of one)."""
    mine = sample(leaf, axis, index)
    if axis == PACKED:
        alone = sample(single, PACKED, 0)
    else:
        if single.dim() != leaf.dim() or single.shape[axis] != 1:
            raise RnnUsageError(
                f"{name} is {describe(leaf)} for the batch but {describe(single)} for one sequence: "
                "cannot line up the samples"
            )
        alone = single.select(axis, 0)
        for dim in range(mine.dim()):  # a per-step output: compare the valid steps only
            if mine.shape[dim] != alone.shape[dim]:
                if alone.shape[dim] != length or mine.shape[dim] < length:
                    raise RnnUsageError(
                        f"{name} is {describe(leaf)} for the batch but {describe(single)} for one "
                        f"sequence of length {length}: cannot line up the steps"
                    )
                mine = mine.narrow(dim, 0, length)
    return compare(alone, mine, *bounds(alone, *tolerance))


def _first_state_leak(batched: Probe, alone: Probe, index: int, tolerance: tuple):
    """(path, state name, difference) of the first recurrent call whose final state for this
    sequence differs from the run alone, or None."""
    if len(batched.calls) != len(alone.calls):
        return None  # a step-by-step loop over cells runs T times for the batch, fewer alone
    for mine, single in zip(batched.calls, alone.calls):
        if mine.layout is None or single.layout is None or mine.layout.batch is None or single.layout.batch != 1:
            continue
        row = matching_row(mine, single, index)  # the model may have sorted its batch by length
        for (name, state), (_, alone_state) in zip(mine.state_tensors(), single.state_tensors()):
            axis = 0 if mine.module.is_cell else 1
            a, b = state.select(axis, row), alone_state.select(axis, 0)
            difference = compare(b, a, *bounds(b, *tolerance))
            if not difference.within:
                return mine.path, name, difference
    return None


#: RNN105's fix when the recurrent layers already skip the padding: packing again changes nothing.
_AFTER_THE_LAYERS = (
    "read each sequence's last valid step — h_n of the packed run, or the output gathered at lengths - 1 "
    "(not out[:, -1]) — and mask the padded steps in any pooling or attention over time"
)


def _violations(model, differing, layer_leaks, lengths, steps) -> list[Violation]:
    problems = []
    for path, (index, state, difference) in layer_leaks.items():
        problems.append(
            Violation(
                "RNN105",
                path,
                f"{state} of sample {index} (length {lengths[index]} of {steps}) differs from the sequence run alone: "
                "the layer ran over the padded steps",
                f"equal ({difference.bound})",
                str(difference),
            )
        )
    for name, found in differing.items():
        samples = ", ".join(f"{index} (length {lengths[index]} of {steps})" for index, _ in found)
        worst = max((difference for _, difference in found), key=lambda d: d.max_abs)
        after = (
            ""
            if layer_leaks
            else (
                ", while the recurrent layers' final states agree: what comes after them "
                "reads padded steps (out[:, -1] on a padded batch?) or mixes samples"
            )
        )
        problems.append(
            Violation(
                "RNN105",
                root_name(model),
                f"{name} of sample{'s' if len(found) > 1 else ''} {samples} differs from the sequence run alone{after}",
                f"equal on the valid steps ({worst.bound})",
                str(worst),
                None if layer_leaks else _AFTER_THE_LAYERS,
            )
        )
    return problems


@reports_cleanly
def assert_padding_invariant(
    model: nn.Module,
    padded: torch.Tensor,
    lengths: Any,
    *,
    batch_first: bool | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    **forward_kwargs: Any,
) -> None:
    """Call ``model(padded, lengths, **forward_kwargs)`` and compare each sample's outputs with the
    model run on that sequence alone, trimmed to its length (per-step outputs on the valid steps);
    a difference is RNN105. Lengths longer than the padded sequence (or too few, or empty) are
    RNN106, reported before the model runs. ``batch_first=None`` reads the layout from the shape
    (the axis of size len(lengths)). Runs on a float64 CPU copy of the model when it can;
    ``atol``/``rtol`` default to the bound of the dtype it ran in (1.5e-8 for float64)."""
    __tracebackhide__ = True
    require_runnable(model, (padded, lengths), forward_kwargs)
    raise_if_any(
        padding_violations(
            model,
            padded,
            lengths,
            batch_first=batch_first,
            atol=atol,
            rtol=rtol,
            forward_kwargs=forward_kwargs,
        )
    )
