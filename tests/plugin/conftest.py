"""Shared set-up of the plugin's tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _seeded_torch():
    """Every test starts from the same random state. The models use PyTorch's random init, and for
    an unlucky draw a tiny ReLU RNN really has no gradient path left from its first step (RNN203)."""
    import torch

    torch.manual_seed(0)
