"""Run a user's model for a check and leave it exactly as it was found.

The checks switch the model to eval mode (dropout off, batch-norm statistics frozen) and may
change the grad mode; every run starts from the same random state, so a model that draws random
numbers in ``forward`` (a random initial state, say) gives the same result each time and only what
the check changed can move the outputs. On the way out, each submodule gets its own train/eval flag
back (not ``model.train()``, which would set them all alike), and the CPU and CUDA random states
are put back as they were. Parameters, their ``.grad`` and ``requires_grad`` are never written to:
the gradient check asks ``torch.autograd.grad`` for input gradients only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


class RandomState:
    """The CPU generator's state and, when CUDA is in use, every CUDA generator's."""

    def __init__(self) -> None:
        self.cpu = torch.get_rng_state()
        self.cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None

    def restore(self) -> None:
        torch.set_rng_state(self.cpu)
        if self.cuda is not None:
            torch.cuda.set_rng_state_all(self.cuda)


@contextmanager
def untouched(model: nn.Module) -> Iterator[ModelRunner]:
    """Within: ``runner.run(*args, **kwargs)`` calls the model in eval mode from the entry random
    state. On exit: train/eval flags, grad mode and random state are what they were on entry."""
    modes = [(module, module.training) for module in model.modules()]
    grad_enabled = torch.is_grad_enabled()
    random_state = RandomState()
    try:
        for module, _ in modes:
            module.training = False
        yield ModelRunner(model, random_state)
    finally:
        for module, training in modes:
            module.training = training
        torch.set_grad_enabled(grad_enabled)
        random_state.restore()


class ModelRunner:
    def __init__(self, model: nn.Module, random_state: RandomState) -> None:
        self.model = model
        self.random_state = random_state

    def run(self, *args: Any, **kwargs: Any) -> Any:
        self.random_state.restore()
        return self.model(*args, **kwargs)
