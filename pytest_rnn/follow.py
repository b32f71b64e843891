"""Follow a sample to its row in a recurrent layer's batch, through any permutation the model makes.

A model that sorts its batch by length before packing (``enforce_sorted=True``, ESIM's encoder,
most pre-1.1 code) hands its recurrent layer sample 2 in row 0, and puts the order back afterwards.
Comparing the layer's rows by the model's sample index would then compare different samples. So
the row is found from what the layer received: in batch independence, the one row of the layer's
input that stayed put while every other sample changed; in padding invariance, the row whose
valid steps equal what the layer received for the sequence run alone. When the input says nothing
(no row, or several, match — the layer's input mixes samples, or does not come from the perturbed
input at all) the sample's own index is kept, as before.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn.utils.rnn import PackedSequence

from pytest_rnn.calls import PACKED
from pytest_rnn.probe import RecurrentCall
from pytest_rnn.samples import sample
from pytest_rnn.tolerance import compare, metamorphic_tolerance
from rnn_lint import contract


def _input_axis(call: RecurrentCall) -> Any:
    if isinstance(call.input, PackedSequence):
        return PACKED
    return contract.batch_axis("input", bool(call.module.config.get("batch_first")), cell=call.module.is_cell)


def _rows(call: RecurrentCall) -> list[torch.Tensor] | None:
    """Each sample's input to the call (valid steps only for a packed batch), or None."""
    if call.layout is None or call.layout.batch is None or not isinstance(call.input, (torch.Tensor, PackedSequence)):
        return None
    axis = _input_axis(call)
    return [sample(call.input, axis, index) for index in range(call.layout.batch)]


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.shape != b.shape:
        return False
    return compare(a, b, metamorphic_tolerance(a)).within


def _choose(candidates: list[int], index: int) -> int:
    if len(candidates) == 1 or (candidates and index not in candidates):
        return candidates[0]
    return index


def unchanged_row(before: RecurrentCall, after: RecurrentCall, index: int) -> int:
    """The row of ``after``'s batch holding the one sample (``index`` in the model's batch) that did
    not change between the two runs: the only row whose input is the same in both."""
    rows_before, rows_after = _rows(before), _rows(after)
    if rows_before is None or rows_after is None or len(rows_before) != len(rows_after):
        return index
    candidates = [row for row, (a, b) in enumerate(zip(rows_before, rows_after)) if _same(a, b)]
    return index if len(candidates) != 1 else candidates[0]


def matching_row(batched: RecurrentCall, alone: RecurrentCall, index: int) -> int:
    """The row of ``batched``'s batch whose valid steps are what ``alone`` (a batch of one) received."""
    rows, single = _rows(batched), _rows(alone)
    if rows is None or single is None or len(single) != 1:
        return index
    (reference,) = single
    candidates = []
    for row, value in enumerate(rows):
        if not batched.module.is_cell and value.shape[0] >= reference.shape[0]:
            value = value[: reference.shape[0]]  # a padded row: its valid steps
        if _same(reference, value):
            candidates.append(row)
    return _choose(candidates, index)
