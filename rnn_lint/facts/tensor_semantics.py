"""What the interpreter knows about tensors the user creates (``torch.zeros(B, L, H)``) and about
the methods of the tensors it follows (``view``, ``permute``, ``size`` …); the layout algebra
itself is in tensors.py."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import libcst as cst

from rnn_lint.facts import tensors
from rnn_lint.facts.devices import MOVES
from rnn_lint.facts.idioms import (
    CREATION_METHODS,
    batch_hint,
)
from rnn_lint.facts.model import (
    Reshape,
    as_sym,
)
from rnn_lint.facts.values import (
    UNKNOWN,
    Axis,
    Const,
    ListValue,
    Size,
    Tensor,
    TupleValue,
    is_numeric,
    sequence_items,
)

if TYPE_CHECKING:
    from rnn_lint.facts.interpreter import Frame


class Tensors:
    """Mixed into the Interpreter; uses its evaluation methods and ``facts``."""

    def _create(self, node: cst.Call, frame: Frame, fill: bool = False) -> Any:
        """torch.zeros(B, L, H) and friends: a tensor whose axes are sized by the arguments.
        ``fill``: torch.full/new_full, whose first argument is the size and the second a value."""
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        keyword = {arg.keyword.value: arg for arg in node.args if arg.keyword is not None}
        for name, arg in keyword.items():
            if name != "size":
                self._eval(arg.value, frame)
        if "size" in keyword:
            positional = [keyword["size"]] + positional
        if any(arg.star for arg in node.args) or not positional:
            return UNKNOWN
        sizes: list[tuple[Any, cst.BaseExpression | None]] = []
        if fill or len(positional) == 1:
            first = positional[0]
            value = self._eval(first.value, frame)
            for extra in positional[1:]:
                self._eval(extra.value, frame)
            items = sequence_items(value)
            if items is not None and isinstance(first.value, (cst.Tuple, cst.List)):
                sizes = [(item, element.value) for item, element in zip(items, first.value.elements)]
            elif items is not None:
                sizes = [(item, None) for item in items]
            elif is_numeric(value) and not fill:
                sizes = [(value, first.value)]
            else:
                return UNKNOWN
        else:
            sizes = [(self._eval(arg.value, frame), arg.value) for arg in positional]
        axes = tuple(
            Axis("?", self._resolve(as_sym(value)), "B" if expression is not None and batch_hint(expression) else None)
            for value, expression in sizes
        )
        self._note_fixed_sizes(node, sizes, frame)
        return Tensor("created", None, axes, origin=node)

    def _tensor_method(self, tensor: Tensor, method: str, node: cst.Call, frame: Frame) -> Any:
        self._note_use(node, tensor, "receiver")
        if method in MOVES:
            return self._moved(tensor, method, node, frame)
        if method in tensors.RESHAPES:
            args, _ = self._arguments(node, frame)
            return self._reshape(tensor, node, list(node.args), args, frame)
        if method in tensors.REORDERS:
            args, _ = self._arguments(node, frame)
            dims = list(sequence_items(args[0])) if len(args) == 1 and sequence_items(args[0]) is not None else args
            return tensors.reorder(tensor, method, dims)
        if method in tensors.SAME_LAYOUT:
            self._arguments(node, frame)
            return replace(tensor, detached=True) if method in ("detach", "detach_") else tensor
        args, kwargs = self._arguments(node, frame)
        if method == "size":
            if not args:
                return Size(tuple(axis.size for axis in tensor.axes)) if tensor.axes is not None else UNKNOWN
            return tensors.axis_size(tensor, args[0])
        if method == "squeeze":
            return tensors.squeeze(tensor, args[0]) if args else tensor.with_axes(None)
        if method == "unsqueeze":
            return tensors.unsqueeze(tensor, args[0]) if args else tensor.with_axes(None)
        if method in tensors.REDUCTIONS:
            dim = args[0] if args else kwargs.get("dim")
            keep = kwargs.get("keepdim", args[1] if len(args) > 1 else Const(False))
            if dim is None:
                return UNKNOWN
            return tensors.reduce(tensor, dim, isinstance(keep, Const) and bool(keep.value))
        if method in CREATION_METHODS:
            return self._create(node, frame, fill=method == "new_full")
        return tensor.with_axes(None)

    def _reshape(self, tensor: Tensor, node: cst.Call, arg_nodes: list[cst.Arg], args: list[Any], frame: Frame) -> Any:
        expressions: list[cst.BaseExpression | None] = [arg.value for arg in arg_nodes if arg.keyword is None]
        values = [value for value, arg in zip(args, arg_nodes) if arg.keyword is None]
        if len(values) == 1 and isinstance(values[0], (TupleValue, ListValue, Size)):
            expression = expressions[0]
            items = sequence_items(values[0])
            if items is None:
                return tensor.with_axes(None)
            values = list(items)
            expressions = (
                [e.value for e in expression.elements]
                if isinstance(expression, (cst.Tuple, cst.List))
                else [None] * len(values)
            )
        if not values or any(not is_numeric(value) for value in values):
            return tensor.with_axes(None)
        sizes = tuple(self._resolve(as_sym(value)) for value in values)
        # c_n's features are H even when an LSTM projects h to proj_size
        last = tensor.axes[-1].size if tensor.axes and tensor.role == "c" else UNKNOWN
        labels = tuple(
            tensors.classify(
                size, tensor.module, "B" if expression is not None and batch_hint(expression) else None, last
            )
            for size, expression in zip(sizes, expressions)
        )
        if tensor.axes is not None:
            self.facts.reshapes.append(Reshape(node, tensor, sizes, labels))
        return tensors.reshape(tensor, sizes, labels)
