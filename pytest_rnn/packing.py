"""Check the lengths every ``pack_padded_sequence`` call is given, however the model imported it.

``pack_padded_sequence`` accepts a length longer than the padded batch without a word and builds a
corrupt PackedSequence; lengths on the GPU fail with a bare RuntimeError. Both are RNN106. Patching
the function itself would miss ``from torch.nn.utils.rnn import pack_padded_sequence`` done before
the check, so the check sits one level down, on ``_VF._pack_padded_sequence`` (looked up at each
call by every import style). If a future torch no longer goes through it, ``lengths_checked``
reports so and the module-level check of the PackedSequence (``calls.py``) still catches lengths > T.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
import torch.nn.utils.rnn as rnn_utils

from pytest_rnn.errors import RnnCheckError, Violation
from rnn_lint import contract

_PACK = "_pack_padded_sequence"
WHERE = "pack_padded_sequence"


def lengths_violations(padded: torch.Tensor, lengths: torch.Tensor, batch_first: bool) -> list[Violation]:
    """What is wrong with ``lengths`` for packing ``padded``; [] when nothing is."""
    problems = []
    if lengths.device.type != contract.LENGTHS_DEVICE:
        problems.append(
            Violation(
                "RNN106",
                WHERE,
                "lengths must stay on the CPU even when the batch is on the GPU",
                "a 1-D CPU int64 tensor (lengths.cpu())",
                f"a tensor on {lengths.device}",
            )
        )
        return problems  # its values cannot be read without a copy; the device is the problem to fix
    steps = padded.shape[1 if batch_first else 0] if padded.dim() >= 2 else 0
    values = [int(v) for v in lengths.reshape(-1).tolist()]
    too_long = [(index, value) for index, value in enumerate(values) if value > steps]
    if too_long:
        shown = ", ".join(f"sample {index}: {value}" for index, value in too_long[:5])
        problems.append(
            Violation(
                "RNN106",
                WHERE,
                f"lengths longer than the padded sequence ({shown}); PyTorch packs them silently into a corrupt batch",
                f"every length ≤ T = {steps}",
                f"max {max(values)}",
            )
        )
    return problems


def packing_reachable() -> bool:
    """Whether this torch packs through ``_VF._pack_padded_sequence`` (the place the check sits)."""
    vf = getattr(rnn_utils, "_VF", None)
    return vf is not None and hasattr(vf, _PACK)


@contextmanager
def lengths_checked(on_violation: Callable[[list[Violation]], None] | None = None) -> Iterator[bool]:
    """Within: every packing checks its lengths first. ``on_violation`` sees the problems before
    they are raised (``--rnn-watch`` records them). Yields whether the check could be installed."""
    if not packing_reachable():
        yield False
        return
    vf = rnn_utils._VF
    had_own = _PACK in vars(vf)
    original = getattr(vf, _PACK)

    def checked(padded, lengths, batch_first, *rest, **kwargs):
        __tracebackhide__ = True
        problems = lengths_violations(padded, lengths, batch_first)
        if problems:
            if on_violation is not None:
                on_violation(problems)
            raise RnnCheckError(problems)
        return original(padded, lengths, batch_first, *rest, **kwargs)

    setattr(vf, _PACK, checked)
    try:
        yield True
    finally:
        if had_own:
            setattr(vf, _PACK, original)
        else:
            delattr(vf, _PACK)
