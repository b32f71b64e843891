"""What tensor operations do to the layout we follow.

A followed tensor carries one ``Axis`` per dimension, labelled relative to the module it came from
(``h_n`` of an LSTM is ``(LD, B, H)``). ``view``/``reshape`` re-label from the requested sizes,
``permute``/``transpose`` reorder, indexing drops or keeps axes; anything else we do not model
gives ``axes=None`` and the tensor is no longer followed (rules ignore it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rnn_lint.facts.model import Construction
from rnn_lint.facts.values import BATCH, MINUS_ONE, ONE, TIME, UNKNOWN, Axis, Sym, Tensor

#: Methods that return the same layout.
SAME_LAYOUT = frozenset(
    {
        "contiguous",
        "detach",
        "clone",
        "to",
        "cpu",
        "cuda",
        "float",
        "double",
        "half",
        "bfloat16",
        "type",
        "requires_grad_",
        "detach_",
        "zero_",
        "fill_",
        "pin_memory",
        "type_as",
        "tanh",
        "relu",
        "sigmoid",
        "abs",
        "neg",
        "exp",
        "log",
        "mul",
        "div",
        "add",
        "sub",
        "__mul__",
        "masked_fill",
        "share_memory_",
        "clamp",
        "float_",
        "zero",
    }
)
RESHAPES = frozenset({"view", "reshape"})
REORDERS = frozenset({"permute", "transpose", "swapaxes", "swapdims", "movedim"})
REDUCTIONS = frozenset({"sum", "mean", "amax", "amin", "prod", "std", "var", "logsumexp"})


def state_tensors(construction: Construction) -> tuple[Tensor, Tensor | None]:
    """h_n and c_n (None for RNN/GRU) of a full-sequence layer: (L*D, B, H_out) and (L*D, B, H)."""
    ld = construction.layer_directions
    batch = Sym.of(BATCH)
    h = Tensor("h", construction, (Axis("LD", ld), Axis("B", batch), Axis("H", construction.hidden_out)))
    if construction.family != "LSTM":
        return h, None
    return h, Tensor("c", construction, (Axis("LD", ld), Axis("B", batch), Axis("H", construction.hidden)))


def output_tensor(construction: Construction, batch_first: bool | None = None) -> Tensor:
    """The per-step output: (T, B, D*H_out), or (B, T, D*H_out) with batch_first."""
    first = construction.batch_first if batch_first is None else batch_first
    features = Axis("DH", construction.directions * construction.hidden_out)
    batch, time = Axis("B", Sym.of(BATCH)), Axis("T", Sym.of(TIME))
    if first is None:
        return Tensor("output", construction, None)
    return Tensor("output", construction, (batch, time, features) if first else (time, batch, features))


def cell_state(construction: Construction, role: str) -> Tensor:
    size = construction.hidden if role == "cell-c" else construction.hidden_out
    return Tensor(role, construction, (Axis("B", Sym.of(BATCH)), Axis("H", size)))


# --- labelling requested sizes --------------------------------------------------------


def classify(size: Sym, module: Construction | None, hint: str | None = None, last_axis: Any = UNKNOWN) -> str:
    """What a requested size means for ``module``'s tensors: one of values.LABELS, or "infer"
    for -1. Ambiguous sizes (L == D == 2) are "?": rules stay silent on them."""
    if size == MINUS_ONE:
        return "infer"
    if size.symbols == (BATCH,) and size.coeff == 1:
        return "B"
    if size.symbols == (TIME,) and size.coeff == 1:
        return "T"
    if module is not None:
        hidden = last_axis if isinstance(last_axis, Sym) else module.hidden_out
        named = {
            "L": module.layers,
            "D": module.directions,
            "LD": module.layer_directions,
            "H": hidden,
        }
        matches = [label for label, value in named.items() if value == size]
        if (module.layers == ONE and set(matches) == {"D", "LD"}) or (
            module.directions == ONE and set(matches) == {"L", "LD"}
        ):
            matches = ["LD"]  # one layer or one direction: the count of rows is L*D either way
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1 and set(matches) <= {"L", "D", "LD"}:
            return "LDA"  # a layer/direction count, but which one cannot be told (L == D)
        if not matches:
            quotient = size.divide(hidden)
            if quotient is not None and _several_rows(quotient, module):
                return "KH"
    if hint == "B":
        return "B"
    return "?"


def _several_rows(quotient: Sym, module: Construction) -> bool:
    """Whether a requested size of ``quotient * H`` certainly glues whole rows of H and may glue
    more than one: a known integer above 1, or a product of the module's own layer and direction
    counts. An unknown size is no multiple of H: ``view(-1, self.hidden_dim)`` with a hidden_dim
    the analysis cannot see divides by a known H into ``hidden_dim / 128``, which is no evidence."""
    if quotient.coeff.denominator != 1 or quotient.coeff < 1:
        return False
    if not quotient.symbols:
        return quotient.coeff > 1
    counts = set(module.layers.symbols) | set(module.directions.symbols)
    return all(symbol in counts for symbol in quotient.symbols)


def reshape(tensor: Tensor, sizes: Sequence[Sym], labels: Sequence[str]) -> Tensor:
    """The tensor after ``view(*sizes)``. A single -1 is named by elimination when every other
    size is accounted for (``h.view(L, D, -1, H)`` leaves the batch for the -1)."""
    labels = list(labels)
    if tensor.axes is not None and labels.count("infer") == 1 and "?" not in labels:
        before = {axis.label for axis in tensor.axes}
        after = set(labels) - {"infer"}
        if "B" in before and "B" not in after and before - {"B"} <= _covered(after):
            labels[labels.index("infer")] = "B"
    axes = tuple(
        Axis(label if label != "infer" else "?", Sym.of(BATCH) if label == "B" else size)
        for label, size in zip(labels, sizes)
    )
    return tensor.with_axes(axes)


def _covered(labels: set[str]) -> set[str]:
    covered = set(labels)
    if {"L", "D"} <= labels:
        covered.add("LD")
    if "D" in labels and "H" in labels:
        covered.add("DH")
    return covered


def reorder(tensor: Tensor, method: str, dims: Sequence[Any]) -> Tensor:
    axes = tensor.axes
    if axes is None:
        return tensor
    count = len(axes)
    numbers = [_axis_number(d, count) for d in dims]
    if None in numbers:
        return tensor.with_axes(None)
    if method == "permute":
        if sorted(numbers) != list(range(count)):
            return tensor.with_axes(None)
        return _reordered(tensor, tuple(axes[i] for i in numbers))
    if method in ("transpose", "swapaxes", "swapdims") and len(numbers) == 2:
        first, second = numbers
        new = list(axes)
        new[first], new[second] = new[second], new[first]
        return _reordered(tensor, tuple(new))
    if method == "movedim" and len(numbers) == 2:
        new = list(axes)
        moved = new.pop(numbers[0])
        new.insert(numbers[1], moved)
        return _reordered(tensor, tuple(new))
    return tensor.with_axes(None)


def _reordered(tensor: Tensor, axes: tuple[Axis, ...]) -> Tensor:
    """``tensor``'s values with its axes in another order (remembering the tensor they are of)."""
    source = tensor.reordered_from if tensor.reordered_from is not None else tensor
    return replace(tensor, axes=axes, reordered_from=source)


def _axis_number(value: Any, count: int) -> int | None:
    """A dim argument as an axis index in [0, count), or None when it is not a known integer."""
    if isinstance(value, Sym) and value.known and value.coeff.denominator == 1:
        number = int(value.coeff)
        if -count <= number < count:
            return number % count
    return None


def transpose_all(tensor: Tensor) -> Tensor:
    """``t.T``: every axis reversed."""
    return tensor if tensor.axes is None else _reordered(tensor, tuple(reversed(tensor.axes)))


def index(tensor: Tensor, items: Sequence[tuple[Any, ...]]) -> Tensor:
    """The tensor after ``t[items]``. Items: ("int", Sym), ("index", Sym) (an integer of unknown
    value, ``h[2 * i]``), ("full",), ("slice", lower, upper, step) (the bounds' values), ("none",), ("ellipsis",),
    ("other",)."""
    if tensor.axes is None:
        return tensor
    axes = list(tensor.axes)
    if any(item[0] == "other" for item in items):
        return tensor.with_axes(None)
    consuming = sum(1 for item in items if item[0] in ("int", "index", "full", "slice"))
    expanded: list[tuple[Any, ...]] = []
    for item in items:
        if item[0] == "ellipsis":
            expanded.extend([("full",)] * max(len(axes) - consuming, 0))
        else:
            expanded.append(item)
    result: list[Axis] = []
    position = 0
    for item in expanded:
        if item[0] == "none":
            result.append(Axis("?", ONE))
            continue
        if position >= len(axes):
            return tensor.with_axes(None)
        axis = axes[position]
        position += 1
        if item[0] == "full":
            result.append(axis)
        elif item[0] == "slice":
            result.append(Axis(axis.label, UNKNOWN))
    result.extend(axes[position:])
    return tensor.with_axes(tuple(result))


def squeeze(tensor: Tensor, dim: Any) -> Tensor:
    """Drops an axis only when its size is certainly 1; an axis that may be 1 loses the layout."""
    if tensor.axes is None:
        return tensor
    number = _axis_number(dim, len(tensor.axes))
    if number is None:
        return tensor.with_axes(None)
    size = tensor.axes[number].size
    if size == ONE:
        return tensor.with_axes(tensor.axes[:number] + tensor.axes[number + 1 :])
    if isinstance(size, Sym) and size.known:
        return tensor
    return tensor.with_axes(None)


def unsqueeze(tensor: Tensor, dim: Any) -> Tensor:
    if tensor.axes is None:
        return tensor
    number = _axis_number(dim, len(tensor.axes) + 1)
    if number is None:
        return tensor.with_axes(None)
    axes = list(tensor.axes)
    axes.insert(number, Axis("?", ONE))
    return tensor.with_axes(tuple(axes))


def reduce(tensor: Tensor, dim: Any, keepdim: bool) -> Tensor:
    if tensor.axes is None:
        return tensor
    number = _axis_number(dim, len(tensor.axes))
    if number is None:
        return tensor.with_axes(None)
    if keepdim:
        axes = list(tensor.axes)
        axes[number] = Axis("?", ONE)
        return tensor.with_axes(tuple(axes))
    return tensor.with_axes(tensor.axes[:number] + tensor.axes[number + 1 :])


def concatenate(tensors: Sequence[Any], dim: Any) -> Any:
    """``torch.cat``: the layout of the parts, with the joined axis no longer labelled. States of
    one module joined on their batch axis (``torch.cat([h[-2], h[-1]], dim=0)``, two (B, H)
    blocks) keep their role, the joined axis labelled SB: one row per (block, sample)."""
    if not tensors or not all(isinstance(t, Tensor) and t.axes is not None for t in tensors):
        return UNKNOWN
    first = tensors[0]
    if any(len(t.axes) != len(first.axes) for t in tensors):
        return UNKNOWN
    number = _axis_number(dim, len(first.axes))
    if number is None:
        return UNKNOWN
    axes = list(first.axes)
    if len(tensors) > 1 and _same_states(tensors) and all(t.axes[number].label == "B" for t in tensors):
        axes[number] = Axis("SB", UNKNOWN)
        return Tensor(first.role, first.module, tuple(axes))
    axes[number] = Axis("?", UNKNOWN)
    return Tensor("derived", first.module, tuple(axes))


def stack(tensors: Sequence[Any], dim: Any) -> Any:
    """``torch.stack``: a new axis of len(tensors) at ``dim``. Stacking states of one module keeps
    their role (``torch.stack([h[-2], h[-1]])`` is (2, B, H), like a slice of h_n)."""
    if not tensors or not all(isinstance(t, Tensor) and t.axes is not None for t in tensors):
        return UNKNOWN
    first = tensors[0]
    if any(t.axes != first.axes for t in tensors):
        return UNKNOWN
    number = _axis_number(dim, len(first.axes) + 1)
    if number is None:
        return UNKNOWN
    axes = list(first.axes)
    axes.insert(number, Axis("?", Sym.number(len(tensors))))
    role = first.role if _same_states(tensors) else "derived"
    return Tensor(role, first.module, tuple(axes))


def _same_states(tensors: Sequence[Tensor]) -> bool:
    first = tensors[0]
    return first.role in ("h", "c") and all(t.role == first.role and t.module is first.module for t in tensors)


def axis_size(tensor: Tensor, dim: Any) -> Any:
    """``t.size(dim)``/``t.shape[dim]``: the axis' size as a monomial, when followed."""
    if tensor.axes is None:
        return UNKNOWN
    number = _axis_number(dim, len(tensor.axes))
    if number is None:
        return UNKNOWN
    return tensor.axes[number].size
