"""Shared set-up of the plugin's tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _seeded_torch():
    """Every test starts from the same random state. The models use PyTorch's random init, and for
    an unlucky draw a tiny ReLU RNN really has no gradient path left from its first step (RNN203).
    Without torch there is nothing to seed: the tests that need it skip themselves."""
    try:
        import torch
    except ImportError:
        return

    torch.manual_seed(0)
