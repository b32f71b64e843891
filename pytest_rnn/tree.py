"""Walk the nested values models take and return: tensors and PackedSequences inside tuples,
lists, namedtuples and dicts.

A PackedSequence is one leaf (its parts only make sense together). Leaves are named the way a
user would index them (``output[1][0]``, ``output['logits']``) so failures point at the value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.nn.utils.rnn import PackedSequence

Leaf = torch.Tensor | PackedSequence


def is_leaf(value: Any) -> bool:
    return isinstance(value, (torch.Tensor, PackedSequence))


def leaves(value: Any, name: str = "output") -> Iterator[tuple[str, Leaf]]:
    """Every tensor or PackedSequence in ``value``, depth first, with its index path."""
    if is_leaf(value):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{name}[{key!r}]")
    elif isinstance(value, (tuple, list)):
        for index, item in enumerate(value):
            yield from leaves(item, f"{name}[{index}]")


def map_leaves(value: Any, fn: Callable[[Leaf], Any]) -> Any:
    """``value`` with every tensor/PackedSequence replaced by ``fn(leaf)``; containers rebuilt."""
    if is_leaf(value):
        return fn(value)
    if isinstance(value, dict):
        return type(value)((key, map_leaves(item, fn)) for key, item in value.items())
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple
        return type(value)(*(map_leaves(item, fn) for item in value))
    if isinstance(value, (tuple, list)):
        return type(value)(map_leaves(item, fn) for item in value)
    return value


def to_device(value: Any, device: torch.device) -> Any:
    return map_leaves(value, lambda leaf: leaf.to(device))


def detached(value: Any) -> Any:
    """A copy of the structure whose tensors no longer hold the graph (kept for comparison)."""

    def detach(leaf: Leaf) -> Leaf:
        if isinstance(leaf, PackedSequence):
            return PackedSequence(leaf.data.detach(), leaf.batch_sizes, leaf.sorted_indices, leaf.unsorted_indices)
        return leaf.detach()

    return map_leaves(value, detach)


def shape_of(leaf: Leaf) -> tuple[int, ...]:
    """A tensor's shape; a PackedSequence's data shape (rows = the sum of the lengths)."""
    return tuple((leaf.data if isinstance(leaf, PackedSequence) else leaf).shape)


def describe(leaf: Leaf) -> str:
    if isinstance(leaf, PackedSequence):
        return f"PackedSequence(data {tuple(leaf.data.shape)}, {len(leaf.batch_sizes)} steps)"
    return str(tuple(leaf.shape))
