"""Run a user's model for a check and leave it exactly as it was found.

The checks switch the model to eval mode (dropout off, batch-norm statistics frozen) and may
change the grad mode; every run starts from the same random state — torch's CPU and CUDA
generators, Python's ``random`` and numpy's global generator — so a model that draws random numbers
in ``forward`` (a random initial state, teacher forcing by coin flip) gives the same result each
time and only what the check changed can move the outputs. Every run also starts from the same
model state: tensors a module keeps as plain attributes (``self.hidden`` carried between calls) and
buffers are put back, by identity and by value, before each run — state a model carries from one
call to the next is not what the checks compare. On the way out, each submodule gets its own
train/eval flag back (not ``model.train()``, which would set them all alike), and the random states
and model state are put back as they were. Parameters, their ``.grad`` and ``requires_grad`` are never written to:
the gradient check asks ``torch.autograd.grad`` for input gradients only.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import torch
from torch import nn


class RandomState:
    """torch's CPU generator and, when CUDA is in use, every CUDA generator; Python's ``random``;
    numpy's global generator when numpy is loaded (a model using it imported it already)."""

    def __init__(self) -> None:
        self.cpu = torch.get_rng_state()
        self.cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
        self.python = random.getstate()
        numpy = sys.modules.get("numpy")
        self.numpy = numpy.random.get_state() if numpy is not None else None

    def same_as(self, other: RandomState) -> bool:
        """Whether no random number was drawn between ``other`` and this one."""
        if not torch.equal(self.cpu, other.cpu) or self.python != other.python:
            return False
        if (self.cuda is None) != (other.cuda is None) or (
            self.cuda is not None and not all(torch.equal(a, b) for a, b in zip(self.cuda, other.cuda))
        ):
            return False
        if self.numpy is None or other.numpy is None:
            return self.numpy is other.numpy
        return all((a == b).all() if hasattr(a, "shape") else a == b for a, b in zip(self.numpy, other.numpy))

    def restore(self) -> None:
        torch.set_rng_state(self.cpu)
        if self.cuda is not None:
            torch.cuda.set_rng_state_all(self.cuda)
        random.setstate(self.python)
        if self.numpy is not None:
            sys.modules["numpy"].random.set_state(self.numpy)


def _holds_tensors(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, (tuple, list)):
        return any(_holds_tensors(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_tensors(item) for item in value.values())
    return False


def _tensors_in(value: Any) -> Iterator[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensors_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors_in(item)


#: nn.Module's own bookkeeping (hooks, children, parameters): never state a forward writes.
_MODULE_INTERNALS = frozenset(vars(nn.Module()))


class ModelState:
    """What a forward may change in a model besides its output: tensor-valued plain attributes
    (``self.hidden``, a tuple of states, ``None`` before the first call) and buffers. Kept by
    identity (a forward rebinding ``self.hidden``) and by value (one writing into it in place)."""

    def __init__(self, model: nn.Module) -> None:
        self.attributes: list[tuple[nn.Module, dict[str, Any]]] = []
        self.buffers: list[tuple[nn.Module, dict[str, Any]]] = []
        self.values: list[tuple[torch.Tensor, torch.Tensor]] = []
        for module in model.modules():
            kept = {
                name: value
                for name, value in vars(module).items()
                if name not in _MODULE_INTERNALS and (value is None or _holds_tensors(value))
            }
            self.attributes.append((module, kept))
            self.buffers.append((module, dict(module._buffers)))
            for value in [*kept.values(), *module._buffers.values()]:
                for tensor in _tensors_in(value):
                    with suppress(RuntimeError):  # an inference tensor outside inference mode, …
                        self.values.append((tensor, tensor.detach().clone()))

    def restore(self) -> None:
        for module, kept in self.attributes:
            for name, value in list(vars(module).items()):
                if name not in _MODULE_INTERNALS and name not in kept and _holds_tensors(value):
                    delattr(module, name)  # state the run created (a lazily built self.hidden)
            for name, value in kept.items():
                object.__setattr__(module, name, value)
        for module, buffers in self.buffers:
            module._buffers.clear()
            module._buffers.update(buffers)
        with torch.no_grad():
            for tensor, saved in self.values:
                with suppress(RuntimeError):
                    if tensor.device.type != "meta" and not torch.equal(tensor, saved):
                        tensor.copy_(saved)


@contextmanager
def untouched(model: nn.Module) -> Iterator[ModelRunner]:
    """Within: ``runner.run(*args, **kwargs)`` calls the model in eval mode from the entry random
    state. On exit: train/eval flags, grad mode and random state are what they were on entry."""
    modes = [(module, module.training) for module in model.modules()]
    grad_enabled = torch.is_grad_enabled()
    random_state = RandomState()
    model_state = ModelState(model)
    try:
        for module, _ in modes:
            module.training = False
        yield ModelRunner(model, random_state, model_state)
    finally:
        model_state.restore()
        for module, training in modes:
            module.training = training
        torch.set_grad_enabled(grad_enabled)
        random_state.restore()


class ModelRunner:
    def __init__(self, model: nn.Module, random_state: RandomState, model_state: ModelState) -> None:
        self.model = model
        self.random_state = random_state
        self.model_state = model_state

    def run(self, *args: Any, **kwargs: Any) -> Any:
        self.random_state.restore()
        self.model_state.restore()
        return self.model(*args, **kwargs)
