"""What makes a check meaningless before it runs, said plainly instead of leaking torch's error.

A model on the meta device has shapes but no values; NaN or Inf in an input or a weight turns
every comparison and gradient into NaN (and a gradient check would blame the forget bias); under
``torch.inference_mode()`` autograd is off for good, so no gradient can be measured; an empty
batch holds no sample to compare. Each is an ``RnnUsageError`` naming what to change.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from pytest_rnn.errors import RnnUsageError
from pytest_rnn.recurrent import root_name
from pytest_rnn.tree import leaves


def _tensor(leaf: Any) -> torch.Tensor:
    return leaf.data if isinstance(leaf, PackedSequence) else leaf


def _not_finite(tensor: torch.Tensor) -> bool:
    return tensor.dtype.is_floating_point and tensor.device.type != "meta" and not bool(torch.isfinite(tensor).all())


def require_runnable(model: nn.Module, inputs: tuple, forward_kwargs: dict, *, gradients: bool = False) -> None:
    """Raise RnnUsageError when ``model(*inputs, **forward_kwargs)`` cannot be checked meaningfully.
    ``gradients``: the check needs autograd (gradient flow, bidirectional summary)."""
    name = root_name(model)
    for what, tensors in (("parameter", model.named_parameters()), ("buffer", model.named_buffers())):
        for tensor_name, tensor in tensors:
            if tensor.device.type == "meta":
                raise RnnUsageError(
                    f"{name}'s {what} {tensor_name} is on the meta device: it has a shape but no values. Materialise "
                    "the model first (model.to_empty(device='cpu'), then load or initialise its weights)"
                )
            if _not_finite(tensor):
                raise RnnUsageError(
                    f"{name}'s {what} {tensor_name} holds NaN or Inf: every output and gradient would too. Check the "
                    "initialisation or the checkpoint (a diverged training run?)"
                )
    for leaf_name, leaf in [*leaves(inputs, "input"), *leaves(forward_kwargs, "kwargs")]:
        tensor = _tensor(leaf)
        if tensor.device.type == "meta":
            raise RnnUsageError(f"{leaf_name} is on the meta device: give the checks real values")
        if _not_finite(tensor):
            raise RnnUsageError(
                f"{leaf_name} holds NaN or Inf: the checks compare values and gradients, which would be NaN too. "
                "Give them finite inputs"
            )
    first = next((_tensor(leaf) for _, leaf in leaves(inputs, "input")), None)
    if first is not None and first.numel() == 0:
        raise RnnUsageError(
            f"the input {tuple(first.shape)} is empty: a batch of 0 samples (or 0 steps) gives the checks "
            "nothing to check"
        )
    if gradients and torch.is_inference_mode_enabled():
        raise RnnUsageError(
            "called under torch.inference_mode(): autograd is off there for good, and this check measures gradients. "
            "Call it outside inference_mode (the checks switch gradients off themselves where they need to)"
        )
