"""Find the batch axis of inputs and outputs, take one sample out of a batch, and perturb the others.

The batch axis is not dim 0 for everything a recurrent model returns: h_n/c_n keep batch on axis 1
whatever batch_first says, and a seq-first output has it on axis 1 too. So a value a recurrent
module returned gets its axis from the contract (recognised by identity: the probe keeps every
value each call returned); any other value gets the one axis whose size is the batch size, and a
value with several such axes is an error that says so rather than a guess.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from pytest_rnn.calls import PACKED
from pytest_rnn.errors import RnnUsageError
from pytest_rnn.probe import Probe
from pytest_rnn.tree import describe
from rnn_lint import contract

#: A tensor's batch axis, or PACKED for a PackedSequence.
Axis = int | str

_ADVICE = "use a batch size that no other dimension has, or pass batch_dim="


def primary_input(inputs: tuple) -> int:
    """Index of the first tensor/PackedSequence argument: the batch the checks perturb."""
    for index, value in enumerate(inputs):
        if isinstance(value, (torch.Tensor, PackedSequence)):
            return index
    raise RnnUsageError("the model was given no tensor or PackedSequence to check")


def input_batch_axis(x: Any, probe: Probe, batch_dim: int | None) -> tuple[Axis, int]:
    """(axis, batch size) of the model's input ``x``."""
    if isinstance(x, PackedSequence):
        return PACKED, int(x.batch_sizes[0])
    if batch_dim is not None:
        if not -x.dim() <= batch_dim < x.dim():
            raise RnnUsageError(f"batch_dim={batch_dim} is out of range for an input of shape {tuple(x.shape)}")
        axis = batch_dim % x.dim()
        return axis, x.shape[axis]
    first = probe.first_call()
    if first is None:
        raise RnnUsageError("no recurrent submodule was called, so the batch axis cannot be inferred: pass batch_dim=")
    if first.layout.batch is None:
        raise RnnUsageError(
            f"{first.path} was called with an unbatched input, so the input's batch axis cannot be "
            "inferred: pass batch_dim="
        )
    if first.input is x:
        cell = first.module.is_cell
        return contract.batch_axis("input", bool(first.module.config.get("batch_first")), cell=cell), first.layout.batch
    candidates = [axis for axis in range(x.dim()) if x.shape[axis] == first.layout.batch]
    if len(candidates) == 1:
        return candidates[0], first.layout.batch
    found = f"axes {candidates} have" if candidates else "no axis has"
    raise RnnUsageError(
        f"cannot infer the batch axis of the input {tuple(x.shape)}: {found} the batch size "
        f"{first.layout.batch} that {first.path} received; {_ADVICE}"
    )


def output_batch_axis(name: str, leaf: Any, batch: int, probe: Probe, batch_dim: int | None) -> Axis | None:
    """The batch axis of one returned value; None when it has none (an aggregate, a scalar).

    In order: a value a recurrent call returned (the contract's axis); the one axis of size
    ``batch``; among several, the batch axis of a recurrent layer whose output has the same leading
    shape (a per-step head such as ``Linear(out)``), else ``batch_dim``; else an error."""
    if isinstance(leaf, PackedSequence):
        return PACKED
    known = probe.known_batch_axes()
    if id(leaf) in known:
        return known[id(leaf)]
    candidates = [axis for axis in range(leaf.dim()) if leaf.shape[axis] == batch]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    for leading, axis in probe.per_step_layouts():
        if tuple(leaf.shape[:-1]) == leading and axis in candidates:
            return axis
    if batch_dim is not None and batch_dim % leaf.dim() in candidates:
        return batch_dim % leaf.dim()
    raise RnnUsageError(
        f"cannot tell which axis of {name} {describe(leaf)} holds the batch: axes {candidates} all have "
        f"the batch size {batch}; {_ADVICE}"
    )


def sample(leaf: Any, axis: Axis, index: int) -> torch.Tensor:
    """Sample ``index`` of a batched value; of a PackedSequence, its valid steps, sequence-first."""
    if axis == PACKED:
        padded, lengths = pad_packed_sequence(leaf)
        return padded[: int(lengths[index]), index]
    return leaf.select(axis, index)


def perturb_others(x: Any, axis: Axis, keep: int, generator: torch.Generator) -> Any:
    """``x`` with every sample but ``keep`` replaced by fresh values of the same kind and scale."""
    if axis == PACKED:
        padded, lengths = pad_packed_sequence(x)
        changed = perturb_others(padded, 1, keep, generator)
        return pack_padded_sequence(changed, lengths, enforce_sorted=False)
    fresh = _fresh_like(x, generator)
    keep_mask = torch.zeros(x.shape[axis], dtype=torch.bool, device=x.device)
    keep_mask[keep] = True
    view = [1] * x.dim()
    view[axis] = x.shape[axis]
    return torch.where(keep_mask.view(view), x, fresh)


def _fresh_like(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    if x.dtype.is_floating_point or x.dtype.is_complex:
        spread = float(x.detach().float().std()) if x.numel() > 1 else 1.0
        spread = spread if spread > 0 else 1.0
        noise = torch.randn(x.shape, generator=generator, dtype=torch.float64)
        return (noise * spread + float(x.detach().float().mean())).to(x.device, x.dtype)
    if x.dtype == torch.bool:
        raise RnnUsageError("cannot perturb a boolean input; put the real features first in the call")
    low, high = int(x.min()), int(x.max())
    if low == high:
        raise RnnUsageError(
            f"cannot perturb an integer input whose values are all {low}: give the samples different token ids"
        )
    # Stay inside the ids the input already uses, so an embedding never sees an index out of range.
    return torch.randint(low, high + 1, x.shape, generator=generator).to(x.device, x.dtype)
