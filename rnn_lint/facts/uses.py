"""Where the results of a recurrent module go: the facts behind RNN104 (bidirectional-summary)
and RNN108 (bare-squeeze).

The interpreter already records two things done to a followed tensor, ``view``/``reshape``
(``Reshape``) and indexing (``Indexing``, with the tensor it gave). This module records the rest:
every time a module's output, ``h_n`` or ``c_n`` — or a tensor derived from one whose layout is
still followed (``h_n[-1]``, ``out[:, -1]``) — is the receiver of a method (``h_n.squeeze()``),
an argument of a call (``torch.cat((h_n[-2], h_n[-1]), 1)``, ``self.fc(h_n[-1])``) or returned.
Rules can then ask "is ``h_n[-1]`` the only thing this function reads of ``h_n``?" or "is this
squeeze given a dim?" without walking the tree.

Each execution of a function makes fresh tensor values, so uses of one value all belong to one
run of the code; a function the interpreter runs twice (standalone and inlined) records twice,
and rules group by node.

It also knows when a module is fed **one sample by design**: ``self.gru(x.view(1, 1, -1))``,
``self.lstm(x.unsqueeze(0))`` on a batch-first module, ``x[None]`` — written in the call or in
the assignment of the name passed (or of the name it was computed from, ``embedded =
self.embedding(tokens)``). The results' batch axis then has size 1 for certain, and code that
squeezes it away is doing what it means to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import libcst as cst

from rnn_lint.facts.model import as_sym
from rnn_lint.facts.values import ONE, UNKNOWN, Axis, Const, ListValue, PackedSequence, Tensor, TorchLayer, TupleValue

#: The key under which a frame remembers which axes of a name's tensor are certainly of size 1.
_ONES = "size-one-axes:"
_RESHAPES = ("view", "reshape")

#: torch.nn layers that give back their input's shape (what a summary passes through on its way
#: to the classifier), and the functions that do the same.
SHAPE_KEEPING_LAYERS = frozenset(
    {
        "Dropout",
        "Dropout1d",
        "AlphaDropout",
        "Identity",
        "ReLU",
        "ReLU6",
        "LeakyReLU",
        "ELU",
        "SELU",
        "GELU",
        "SiLU",
        "Tanh",
        "Sigmoid",
        "Hardtanh",
        "Mish",
        "Softsign",
    }
)
_FUNCTIONAL = ("dropout", "relu", "tanh", "sigmoid", "gelu", "elu", "leaky_relu", "selu", "silu")
SHAPE_KEEPING_FUNCTIONS = frozenset(
    {"torch.tanh", "torch.relu", "torch.sigmoid", "torch.dropout"}
    | {f"torch.nn.functional.{name}" for name in _FUNCTIONAL}
)
KNOWN_LAYERS = SHAPE_KEEPING_LAYERS | {"Linear"}

#: The roles of tensors that come out of a full-sequence recurrent layer, and of tensors made
#: from them whose layout is still followed (``torch.cat((h_n[-2], h_n[-1]), dim=1)``).
RESULT_ROLES = frozenset({"output", "h", "c", "derived"})


@dataclass(eq=False)
class TensorUse:
    """``node`` uses ``value``: as the receiver of a method (``how="receiver"``), as an argument
    of a call (``"argument"``, ``node`` is the call), in a ``return`` (``"return"``), or as the
    input of a layer or function that gives it back with its layout unchanged (``"through"``:
    dropout, an activation; the call's value is then the same tensor)."""

    node: cst.CSTNode
    value: Tensor | PackedSequence
    how: str
    #: for an argument of a known torch.nn layer (``self.fc(h)``): that layer (values.TorchLayer)
    callee: Any = None

    @property
    def method(self) -> str | None:
        """The method's name for a receiver use (``squeeze`` in ``h_n.squeeze()``)."""
        if self.how == "receiver" and isinstance(self.node, cst.Call) and isinstance(self.node.func, cst.Attribute):
            return self.node.func.attr.value
        return None


def followed_results(value: Any) -> list[Tensor | PackedSequence]:
    """The recurrent results inside ``value`` (a tensor, a packed sequence, or tuples of them)."""
    if isinstance(value, Tensor):
        return [value] if value.role in RESULT_ROLES and value.module is not None else []
    if isinstance(value, PackedSequence):
        return [value] if value.module is not None else []
    if isinstance(value, TupleValue):
        return [found for item in value.items for found in followed_results(item)]
    return []


def size_one_axes(node: cst.BaseExpression) -> tuple[int, ...]:
    """The axes of ``node``'s tensor that are certainly of size 1, read off the expression:
    ``t.view(1, 1, -1)`` → (0, 1), ``t.unsqueeze(0)`` → (0,), ``t[None]`` → (0,), ``t[:, None]``
    → (1,)."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        method = node.func.attr.value
        args = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
        if len(args) != len(node.args):
            return ()
        if method in _RESHAPES:
            if len(args) == 1 and isinstance(args[0], (cst.Tuple, cst.List)):
                args = [element.value for element in args[0].elements]
            return tuple(i for i, arg in enumerate(args) if isinstance(arg, cst.Integer) and arg.value == "1")
        if method == "unsqueeze" and len(args) == 1 and isinstance(args[0], cst.Integer):
            return (int(args[0].value),)
        return ()
    if isinstance(node, cst.Subscript):
        ones = []
        for position, element in enumerate(node.slice):
            part = element.slice
            if isinstance(part, cst.Index) and isinstance(part.value, cst.Name) and part.value.value == "None":
                ones.append(position)
            elif not (isinstance(part, cst.Slice) and part.lower is None and part.upper is None and part.step is None):
                return ()  # an index drops an axis: the positions after it are not what they seem
        return tuple(ones)
    return ()


class Uses:
    """Mixed into the Interpreter: records uses in ``facts.uses``, and batches of one."""

    def _note_use(self, node: cst.CSTNode, value: Any, how: str) -> None:
        for result in followed_results(value):
            self.facts.uses.append(TensorUse(node, result, how))

    def _torch_layer(self, kind: str, node: cst.Call, frame: Any) -> TorchLayer:
        """``nn.Linear(in_features, ...)``, ``nn.Dropout(p)``: a layer value to call later."""
        args, kwargs = self._arguments(node, frame)
        if kind != "Linear":
            return TorchLayer(kind)
        size = args[0] if args else kwargs.get("in_features", UNKNOWN)
        return TorchLayer(kind, self._resolve(as_sym(size)) if size is not UNKNOWN else UNKNOWN)

    def _call_layer(self, layer: Any, node: cst.Call, frame: Any) -> Any:
        """Calling a known layer (or an ``nn.Sequential`` that starts with one): its argument uses
        name it, and a recurrent result passes unchanged through a shape-keeping layer."""
        first = len(self.facts.uses)
        args, _ = self._arguments(node, frame)
        callee = layer.items[0] if isinstance(layer, ListValue) and layer.items else layer
        through = isinstance(layer, TorchLayer) and layer.kind in SHAPE_KEEPING_LAYERS
        return self._passed(first, node, args, callee if isinstance(callee, TorchLayer) else None, through)

    def _call_shape_keeping(self, node: cst.Call, frame: Any) -> Any:
        """``F.dropout(h, p, training)``, ``torch.tanh(h)``: the first argument, unchanged."""
        first = len(self.facts.uses)
        args, _ = self._arguments(node, frame)
        return self._passed(first, node, args, None, True)

    def _passed(self, first: int, node: cst.Call, args: list[Any], callee: Any, through: bool) -> Any:
        for use in self.facts.uses[first:]:
            if use.node is node:
                use.callee = callee
        if through and args and isinstance(args[0], Tensor) and followed_results(args[0]):
            for use in self.facts.uses[first:]:
                if use.node is node and use.value is args[0]:
                    use.how = "through"
            return args[0]
        return UNKNOWN

    def _note_size_one_axes(self, name: str, value_node: cst.BaseExpression | None, frame: Any) -> None:
        """After ``name = value_node``: remember which axes of ``name`` are certainly 1."""
        ones = size_one_axes(value_node) if value_node is not None else ()
        if ones:
            frame.env[_ONES + name] = Const(ones)
        else:
            frame.env.pop(_ONES + name, None)

    def _one_sample(self, input_node: cst.BaseExpression | None, batch_first: bool | None, frame: Any) -> bool:
        """Whether the module's input (``input_node``) certainly holds one sample."""
        if input_node is None or batch_first is None:
            return False
        batch = 0 if batch_first else 1
        if batch in size_one_axes(input_node):
            return True
        name = input_node.value if isinstance(input_node, cst.Name) else None
        seen: set[str] = set()
        while name is not None and name not in seen:
            seen.add(name)
            ones = frame.env.get(_ONES + name)
            if isinstance(ones, Const) and batch in ones.value:
                return True
            name = frame.provenance.get(name)
        return False


def with_one_sample(tensor: Any) -> Any:
    """``tensor`` with its batch axis known to be of size 1."""
    if not isinstance(tensor, Tensor) or tensor.axes is None:
        return tensor
    return tensor.with_axes(tuple(Axis("B", ONE) if axis.label == "B" else axis for axis in tensor.axes))
