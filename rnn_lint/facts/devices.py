"""Where tensors live: the facts behind RNN404 (state-device) and RNN106 (lengths-mismatch).

Two kinds of fact, both gathered as the interpreter walks:

* **initial states made by a tensor factory.** ``torch.zeros/ones/randn/rand/empty/full(...)``
  without ``device=`` makes a CPU tensor. The created ``Tensor`` value carries
  ``device="default"``; ``.to(...)``, ``.cuda()``, ``.type_as(...)``, ``nn.Parameter(...)`` and
  the like make its device unknown again (``new_zeros``/``zeros_like`` never set it: they follow
  their receiver) — except a hard-coded GPU (``.cuda()``, ``.to("cuda")``, ``device="cuda"``)
  met on every path (not under an ``if``, a ``try`` or a conditional expression, where
  ``if use_cuda:`` guards live), which marks it ``device="cuda"``: a GPU tensor that a CPU run
  cannot use. When such a tensor reaches a recurrent module's call as its state, a
  ``StateCreation`` is recorded: the factory call, the module call, and whether the module's input
  is a name that is already bound where the factory is called (then ``device=<input>.device`` can be
  written there).
* **lengths on an accelerator.** Within one function, a name assigned from ``.cuda()``,
  ``.to(<not "cpu">)``, a factory with a ``device=`` that is not the CPU, or an expression of such
  a name that no ``.cpu()``/``.tolist()``/``len()`` brings back, is on an accelerator. A
  ``pack_padded_sequence`` given such lengths is a ``PackLengths`` fact.

Everything unknown stays silent: a tensor moved on one branch only, lengths from a caller, a
device chosen by a variable that may be the CPU but reached through a helper we cannot see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import libcst as cst

from rnn_lint.facts.imports import dotted
from rnn_lint.facts.values import UNKNOWN, Const, Tensor, TupleValue

if TYPE_CHECKING:
    from rnn_lint.facts.interpreter import Frame
    from rnn_lint.facts.model import ModuleCall

#: A tensor made by a factory without ``device=``: on the CPU whatever the model is on.
DEFAULT = "default"
#: A tensor put on the GPU by a hard-coded ``.cuda()`` / ``"cuda"``: unusable on a CPU run.
GPU = "cuda"
#: The key under which a frame remembers that a local name is on an accelerator.
_ON_ACCELERATOR = "device-of:"
#: name → the factory call (a CPU tensor) it was bound to on some path: ``if hidden is None:
#: hidden = torch.zeros(...)``, ``h0 = torch.zeros(...) if hidden is None else hidden``
_MADE_ON_A_PATH = "cpu-factory-of:"
_NO_FACTORY = Const("bound to no factory")
#: Methods that move a tensor (its device is then whatever they were told).
MOVES = frozenset({"to", "cuda", "cpu", "type_as", "type", "pin_memory"})
#: Calls that bring a tensor's values back to the CPU (or out of tensors altogether).
BACK_ON_CPU = frozenset({"cpu", "tolist", "numpy", "item", "len", "list", "tuple", "sorted", "int"})


@dataclass(eq=False)
class StateCreation:
    """A factory-made CPU tensor passed as a recurrent module's initial state."""

    #: the factory call (``torch.zeros(...)``), where the finding and the fix go
    node: cst.Call
    call: ModuleCall
    #: the factory is in a method of a class of this file or in code that forward() runs
    in_model_code: bool
    #: the key of the function that made it (``Model.__init__`` states belong to RNN405)
    function: str
    #: the module's input, when it is a plain name already bound where the factory is called
    input_name: str | None
    #: DEFAULT (the factory left it on the CPU) or GPU (``node`` is the hard-coded ``.cuda()``)
    device: str = DEFAULT


@dataclass(eq=False)
class PackLengths:
    """``pack_padded_sequence(x, lengths)`` given lengths that were moved to an accelerator."""

    node: cst.Call
    #: the lengths argument as written
    lengths: cst.BaseExpression
    #: how they got there, for the message (``lengths.cuda()``, ``.to(device)``)
    how: str


class Devices:
    """Mixed into the Interpreter; uses its evaluation methods and ``facts``."""

    # --- factories and moves ------------------------------------------------------------
    def _factory_placed(self, value: Any, node: cst.Call, frame: Frame) -> Any:
        """``torch.zeros(...)``'s value, marked as a CPU tensor when no ``device=`` is given."""
        self._remember_factory(node, frame)
        if not isinstance(value, Tensor):
            return value
        device = [arg.value for arg in node.args if arg.keyword is not None and arg.keyword.value == "device"]
        if device and _names_gpu(device[0]):
            return self._on_gpu(value, node)
        return replace(value, device=DEFAULT) if _places_nothing(node) else value

    def _remember_factory(self, node: cst.Call, frame: Frame) -> None:
        if id(node) in self._factories:
            return
        in_model = (frame.class_info is not None and frame.class_info.is_model) or self.forward_depth > 0
        # names the fix may use: bound here, and not themselves a tensor on the CPU by default
        bound = frozenset(
            key
            for key, value in _visible_names(frame).items()
            if "." not in key and ":" not in key and not (isinstance(value, Tensor) and value.device == DEFAULT)
        )
        self._factories[id(node)] = (frame, frame.key, in_model, bound)

    def _moved(self, tensor: Tensor, method: str, node: cst.Call, frame: Frame) -> Tensor:
        """``.to(...)``, ``.cuda()`` and friends: the device is no longer the factory's."""
        self._arguments(node, frame)
        target = _device_argument(node) if method == "to" else None
        if method == "cuda" or (target is not None and _names_gpu(target)):
            return self._on_gpu(tensor, node)
        return replace(tensor, device=None) if tensor.device is not None else tensor

    def _on_gpu(self, tensor: Tensor, node: cst.Call) -> Tensor:
        """Put on the GPU by ``node``: noted only when every path gets there (no ``if use_cuda:``)."""
        if self.conditional or not isinstance(tensor.origin, cst.Call):
            return replace(tensor, device=None)
        self._gpu_placements[id(tensor.origin)] = node
        return replace(tensor, device=GPU)

    @staticmethod
    def _unplaced(value: Any) -> Any:
        """``nn.Parameter(t)``: a parameter moves with its module."""
        return replace(value, device=None) if isinstance(value, Tensor) and value.device is not None else value

    # --- states reaching a module ---------------------------------------------------------
    def _note_state_devices(self, call: ModuleCall, input_node: Any, frame: Frame) -> None:
        tensors = _tensors_in(call.state)
        if not tensors:
            origin = self._made_on_a_path(call, frame)
            if origin is not None:
                self._note_cpu_state(origin, self._factories[id(origin)], call, input_node, frame)
            return
        for tensor in tensors:
            if tensor.device not in (DEFAULT, GPU) or not isinstance(tensor.origin, cst.Call):
                continue
            made = self._factories.get(id(tensor.origin))
            if made is None:
                continue
            if tensor.device == GPU:
                placed = self._gpu_placements.get(id(tensor.origin))
                if placed is not None:
                    self.facts.state_creations.append(StateCreation(placed, call, made[2], made[1], None, GPU))
                continue
            self._note_cpu_state(tensor.origin, made, call, input_node, frame)

    def _note_cpu_state(
        self, origin: cst.Call, made: tuple[Any, ...], call: ModuleCall, input_node: Any, frame: Frame
    ) -> None:
        """The state ``origin`` made on the CPU reaches ``call``; the fix may name the input
        (``device=x.device``) when it is bound where the state was made and not itself on the CPU."""
        made_in, function, in_model, bound = made
        name = input_node.value if isinstance(input_node, cst.Name) else None
        on_cpu = isinstance(call.input, Tensor) and call.input.device == DEFAULT
        usable = name if name is not None and made_in is frame and name in bound and not on_cpu else None
        self.facts.state_creations.append(StateCreation(origin, call, in_model, function, usable))

    def _made_on_a_path(self, call: ModuleCall, frame: Frame) -> cst.Call | None:
        """The CPU factory call that ``self.gru(x, hidden)``'s ``hidden`` holds on one path only
        (``if hidden is None: hidden = torch.zeros(...)``): on that path it is still a CPU tensor."""
        positional = [arg for arg in call.node.args if arg.keyword is None]
        given = [arg for arg in call.node.args if arg.keyword is not None and arg.keyword.value == "hx"]
        state = given[0].value if given else positional[1].value if len(positional) > 1 else None
        origin = frame.env.get(_MADE_ON_A_PATH + state.value) if isinstance(state, cst.Name) else None
        return origin if isinstance(origin, cst.Call) and id(origin) in self._factories else None

    # --- lengths ----------------------------------------------------------------------------
    def _note_placement(self, name: str, value_node: cst.BaseExpression | None, frame: Frame) -> None:
        """After ``name = value_node``: remember whether ``name`` is now on an accelerator, and
        the CPU factory call it holds on some path (``_MADE_ON_A_PATH``)."""
        frame.note(_ON_ACCELERATOR + name, self._accelerated(value_node, frame) if value_node is not None else None)
        made = value_node if self._cpu_factory(value_node) else None
        if isinstance(value_node, cst.IfExp):  # torch.zeros(...) if hidden is None else hidden
            for branch, other in ((value_node.body, value_node.orelse), (value_node.orelse, value_node.body)):
                if self._cpu_factory(branch) and isinstance(other, cst.Name):
                    made = branch
        # Bound to anything else, it is marked so (not forgotten): after an ``if`` one of whose
        # branches rebinds it (``if use_cuda: h = h.cuda()``), the paths disagree and nothing is
        # known; a factory bound on one path only (``if hidden is None: hidden = torch.zeros(...)``)
        # is kept, since the other path did not bind the name at all.
        frame.env[_MADE_ON_A_PATH + name] = made if made is not None else _NO_FACTORY

    def _cpu_factory(self, node: cst.BaseExpression | None) -> bool:
        """A tensor factory call of this run without ``device=`` (``torch.zeros(2, B, H)``)."""
        return isinstance(node, cst.Call) and id(node) in self._factories and _places_nothing(node)

    def _accelerated(self, node: cst.BaseExpression, frame: Frame) -> str | None:
        """How ``node`` comes to be on an accelerator (a short description), or None when it is
        not known to be."""
        if isinstance(node, cst.Name):
            value = frame.env.get(_ON_ACCELERATOR + node.value)
            return value.value if isinstance(value, Const) else None
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute):
                method = func.attr.value
                if method in BACK_ON_CPU:
                    return None
                if method == "cuda":
                    return f"{_text(func.value)}.cuda()"
                if method == "to":
                    target = _device_argument(node)
                    if target is None:
                        return self._accelerated(func.value, frame)
                    return None if _names_cpu(target) else f".to({_text(target)})"
            name = dotted(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
            if name is not None and name.rsplit(".", 1)[-1] in BACK_ON_CPU:
                return None
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "device":
                    return None if _names_cpu(arg.value) else f"device={_text(arg.value)}"
            if isinstance(func, cst.Attribute):  # lengths.sum(1), mask.long() …: where the receiver is
                if name is not None and name.startswith("torch.") and name[len("torch.") :] in _KEEP_DEVICE:
                    # torch.sum(ids != 0, dim=-1): where its tensor is (ABSA-PyTorch's lengths)
                    first = next((arg.value for arg in node.args if arg.keyword is None and not arg.star), None)
                    return self._accelerated(first, frame) if first is not None else None
                return self._accelerated(func.value, frame)
            return None
        if isinstance(node, cst.BinaryOperation):
            return self._accelerated(node.left, frame) or self._accelerated(node.right, frame)
        if isinstance(node, cst.Comparison):
            return self._accelerated(node.left, frame)
        if isinstance(node, cst.Subscript):
            return self._accelerated(node.value, frame)
        if isinstance(node, cst.Attribute) and node.attr.value in ("values", "data"):
            return self._accelerated(node.value, frame)  # lengths.sort(descending=True).values
        return None

    def _sorted_placement(
        self, target: cst.BaseExpression, value_node: cst.BaseExpression | None, frame: Frame
    ) -> tuple[str, str | None] | None:
        """``lengths, order = lengths.sort(descending=True)`` (or ``torch.sort(lengths, ...)``): the
        sorted values are where the tensor sorted is — (the name they are bound to, how that
        is on an accelerator), found before the names are bound again; None for other code."""
        if not (isinstance(target, (cst.Tuple, cst.List)) and target.elements and isinstance(value_node, cst.Call)):
            return None
        func = value_node.func
        first = target.elements[0].value
        if isinstance(func, cst.Attribute) and func.attr.value == "sort" and isinstance(first, cst.Name):
            return first.value, self._accelerated(value_node, frame)
        return None

    def _note_sorted(self, placement: tuple[str, str | None] | None, frame: Frame) -> None:
        if placement is not None:
            frame.note(_ON_ACCELERATOR + placement[0], placement[1])

    def _pass_placements(
        self, function: cst.FunctionDef, call: cst.Call, caller: Frame, frame: Frame, method: bool
    ) -> None:
        """A tensor stays where it is when it is passed on: each parameter of ``function`` (run in
        ``frame``) to which ``call``, made in ``caller``, gives a tensor on an accelerator is
        there too (``self.forward(starts, lens)`` with ``lens`` made with
        ``device=self.device``), and says where that came from."""
        if any(arg.star for arg in call.args):
            return
        params = [param.name.value for param in (*function.params.posonly_params, *function.params.params)]
        params = params[1:] if method else params
        for position, arg in enumerate(call.args):
            name = (
                arg.keyword.value if arg.keyword is not None else params[position] if position < len(params) else None
            )
            how = self._accelerated(arg.value, caller) if name is not None else None
            if how is not None:
                passed = " in " in how and how.endswith("()")  # from a caller's caller: says so already
                frame.note(_ON_ACCELERATOR + name, how if passed else f"{how} in {caller.key}()")

    def _note_pack(self, node: cst.Call, frame: Frame) -> None:
        self.facts.packs = True
        positional = [arg for arg in node.args if arg.keyword is None]
        lengths = next((arg for arg in node.args if arg.keyword is not None and arg.keyword.value == "lengths"), None)
        if lengths is None and len(positional) > 1 and not positional[0].star and not positional[1].star:
            lengths = positional[1]
        if lengths is None:
            return
        how = self._accelerated(lengths.value, frame)
        if how is not None and all(pack.node is not node for pack in self.facts.pack_lengths):
            self.facts.pack_lengths.append(PackLengths(node, lengths.value, how))


_ACCELERATOR_TEXT = re.compile(r"\.cuda\(|[\'\"](?:cuda|mps|xla)|torch\.device\(|\.to\(\s*(?:self\.)?device\b")


def uses_accelerator(text: str) -> bool:
    """Whether the file's text moves anything to an accelerator."""
    return bool(_ACCELERATOR_TEXT.search(text))


def _visible_names(frame: Frame) -> dict[str, Any]:
    names: dict[str, Any] = {}
    current: Frame | None = frame
    while current is not None:
        for key, value in current.env.items():
            names.setdefault(key, value)
        current = current.outer
    return names


def _places_nothing(factory: cst.Call) -> bool:
    """A factory call that says nothing of its device (no ``device=``, ``out=`` or ``**kwargs``):
    it makes a CPU tensor."""
    return not any(
        arg.star == "**" or (arg.keyword is not None and arg.keyword.value in ("device", "out")) for arg in factory.args
    )


def _tensors_in(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, TupleValue):
        return [t for item in value.items for t in _tensors_in(item)]
    return []


def _device_argument(node: cst.Call) -> cst.BaseExpression | None:
    """What ``.to(...)`` was told to move to, or None when it only changes the dtype."""
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == "device":
            return arg.value
    positional = [arg.value for arg in node.args if arg.keyword is None]
    if not positional:
        return None
    first = positional[0]
    spelled = dotted(first) if isinstance(first, (cst.Name, cst.Attribute)) else None
    if spelled is not None and (spelled.startswith("torch.") and spelled.rsplit(".", 1)[-1] in _DTYPES):
        return None
    return first


_DTYPES = frozenset(
    {"float", "float32", "float64", "double", "half", "float16", "bfloat16", "long", "int64", "int", "int32", "bool"}
)


def _names_gpu(node: cst.BaseExpression) -> bool:
    """``"cuda"``, ``"cuda:0"``, ``torch.device("cuda")``: a GPU written into the code."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return isinstance(value, str) and (value == "cuda" or value.startswith("cuda:"))
    if isinstance(node, cst.Call) and dotted(node.func) in ("torch.device", "device") and node.args:
        return _names_gpu(node.args[0].value)
    return False


def _names_cpu(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value == "cpu"
    if isinstance(node, cst.Call) and dotted(node.func) in ("torch.device", "device") and node.args:
        return _names_cpu(node.args[0].value)
    return False


#: ``torch.<name>(tensor, ...)`` functions whose result lives where their first tensor does.
_KEEP_DEVICE = frozenset(
    {
        "sum",
        "count_nonzero",
        "cumsum",
        "clamp",
        "clip",
        "ne",
        "eq",
        "gt",
        "ge",
        "lt",
        "le",
        "abs",
        "flatten",
        "squeeze",
        "unsqueeze",
        "max",
        "min",
        "argmax",
        "sort",
    }
)


def _text(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


__all__ = ["DEFAULT", "GPU", "UNKNOWN", "Devices", "PackLengths", "StateCreation"]
