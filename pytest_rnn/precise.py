"""A float64 copy of the model on the CPU, for the checks that compare a model with itself.

Batch independence and padding invariance look for leaks that may be small: a state read with
``h_n.view(-1, 2 * H, 1)`` and scored into near-uniform probabilities moves a sample's output by
1e-4 of its size, inside float32's noise bound (sqrt(eps) = 3.5e-4) on many seeds. On a float64
copy on the CPU the noise of a reordered sum is ~1e-13 and the bound 1.5e-8, so such a leak is
found on every seed, and no honest model comes near the bound. The copy has float64 parameters,
buffers and floating tensor attributes (a carried ``self.hidden``), and gets float64 CPU copies of
the floating inputs; integer inputs (token ids, lengths) move to the CPU unchanged.

Some models cannot run so (a dtype or device written into ``forward``, a module that cannot be
deep-copied): they are checked as they are, in their own dtype and device with that dtype's
bound. The user's model is never converted, only copied.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from pytest_rnn.preserve import untouched
from pytest_rnn.probe import Probe
from pytest_rnn.tree import map_leaves

_CPU = torch.device("cpu")
_INTERNALS = frozenset(vars(nn.Module()))


def _to_float64_cpu(value: Any) -> Any:
    def convert(leaf: Any) -> Any:
        if isinstance(leaf, PackedSequence):
            return PackedSequence(convert(leaf.data), leaf.batch_sizes, leaf.sorted_indices, leaf.unsorted_indices)
        if leaf.dtype.is_floating_point:
            return leaf.detach().to(_CPU, torch.float64)
        return leaf.to(_CPU)

    return map_leaves(value, convert)


def _convert_attributes(model: nn.Module) -> None:
    """Tensors kept as plain attributes (``self.hidden``, ``self.h0`` that is no parameter)."""
    for module in model.modules():
        for name, value in list(vars(module).items()):
            if name in _INTERNALS or name == "forward":
                continue
            if isinstance(value, (torch.Tensor, tuple, list)) and not isinstance(value, nn.Module):
                object.__setattr__(module, name, _to_float64_cpu(value))


@dataclass
class Subject:
    """What the comparing checks run: the model (or its float64 copy), inputs and keyword
    arguments to match, and whether it is the copy."""

    model: nn.Module
    inputs: tuple
    forward_kwargs: dict
    precise: bool
    #: (probe, result) of one run of ``model`` on ``inputs``, when one was made: every run starts
    #: from the same random and model state, so the checks share it instead of repeating it.
    base_run: tuple[Probe, Any] | None = None


def _already_precise(model: nn.Module) -> bool:
    tensors = [*model.parameters(), *model.buffers()]
    return bool(tensors) and all(t.device.type == "cpu" and t.dtype == torch.float64 for t in tensors)


def precise_subject(model: nn.Module, inputs: tuple, forward_kwargs: dict) -> Subject:
    """A float64 CPU copy with converted inputs when it runs like the model, else the model itself."""
    native = Subject(model, inputs, forward_kwargs, precise=_already_precise(model))
    if native.precise:
        return native
    try:
        twin = copy.deepcopy(model)
        twin.to(_CPU, torch.float64)
        _convert_attributes(twin)
        twin_inputs, twin_kwargs = _to_float64_cpu(inputs), _to_float64_cpu(forward_kwargs)
        with untouched(twin) as runner, torch.no_grad(), Probe(twin) as probe:
            result = runner.run(*twin_inputs, **twin_kwargs)
    except Exception:  # whatever stops the copy, the model itself is checked
        return native
    return Subject(twin, twin_inputs, twin_kwargs, precise=True, base_run=(probe, result))
