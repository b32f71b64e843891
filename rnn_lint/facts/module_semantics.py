"""What the interpreter knows about recurrent modules: building one (its configuration), its
attributes, calling it (what comes back, with which layout), and models of the same file that
hold one (calling them runs their ``forward``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from rnn_lint import contract
from rnn_lint.facts import tensors
from rnn_lint.facts.factories import ForwardedKeywords
from rnn_lint.facts.idioms import (
    CONFIG_ATTRIBUTES,
    LENGTHS_NAME,
    MODULE_RETURNS_SELF,
    PARAM_ATTRIBUTE,
    WEIGHT_LOADING_METHODS,
    attribute_link,
    param_kind,
)
from rnn_lint.facts.model import (
    Construction,
    ModuleCall,
    as_sym,
)
from rnn_lint.facts.uses import with_one_sample
from rnn_lint.facts.values import (
    BATCH,
    TIME,
    UNKNOWN,
    Axis,
    Const,
    FunctionRef,
    Instance,
    Iterable,
    ModuleRef,
    Owner,
    PackedSequence,
    Param,
    ParamName,
    ParamSlice,
    Size,
    Sym,
    Tensor,
    TupleValue,
    merge_all,
    new_link,
)

if TYPE_CHECKING:
    from rnn_lint.facts.interpreter import Frame


class RecurrentModules:
    """Mixed into the Interpreter; uses its evaluation methods and ``facts``."""

    def _construct_one_of(self, kinds: tuple[str, ...], node: cst.Call, frame: Frame) -> ModuleRef:
        """``RNNS[kind](...)``: one construction per kind the choice allows, on the same node. Rules
        that hold for every kind (inert dropout) still report; the others see the alternatives."""
        candidates = [self._construct(kind, node, frame, alternatives=kinds).only for kind in kinds]
        return ModuleRef(tuple(c for c in candidates if c is not None))

    def _construct(
        self, kind: str, node: cst.Call, frame: Frame, alternatives: tuple[str, ...] | None = None
    ) -> ModuleRef:
        known = self.constructions.get((id(node), kind))
        names = contract.parameter_names(kind)
        defaults = contract.default_config(kind)
        config: dict[str, Any] = {}
        arguments: dict[str, cst.Arg] = {}
        splat = False
        forwarded = None
        position = 0
        for arg in node.args:
            value = self._eval(arg.value, frame)
            if arg.star == "**" and isinstance(value, ForwardedKeywords) and forwarded is None:
                forwarded = value  # a factory's **kwargs: the keywords its caller wrote
                continue
            if arg.star:
                splat = True
                continue
            if arg.keyword is not None:
                name = arg.keyword.value
            else:
                if position >= len(names):
                    continue
                name = names[position]
                position += 1
            config[name] = value
            arguments[name] = arg
        if forwarded is not None:
            for name, value in forwarded.values.items():
                config.setdefault(name, value)
                arguments.setdefault(name, forwarded.arguments[name])
            node = forwarded.call  # one construction per call of the factory, where its caller wrote it
            known = self.constructions.get((id(node), kind))
        for name, default in defaults.items():
            if name not in config:
                config[name] = UNKNOWN if splat else Const(default)
        for name in ("input_size", "hidden_size"):
            config.setdefault(name, UNKNOWN)
        if known is not None:
            for name, value in config.items():
                if name not in known.config or known.config[name] != value:
                    known.config[name] = UNKNOWN
            return ModuleRef((known,))
        owner = frame.class_info.name if frame.class_info is not None else None
        if forwarded is not None:
            owner = forwarded.owner_class
        construction = Construction(kind, node, config, arguments, splat, owner, alternatives=alternatives)
        construction.optional_path = self.optional_path
        self.constructions[(id(node), kind)] = construction
        self.facts.constructions.append(construction)
        return ModuleRef((construction,))

    def _module_attribute(self, ref: ModuleRef, attr: str) -> Any:
        if PARAM_ATTRIBUTE.match(attr) or attr in ("bias_ih", "bias_hh", "weight_ih", "weight_hh"):
            return self._param(Owner(ref.candidates), param_kind(attr), attribute_link(ref.candidates, attr))
        if attr in ("_all_weights", "_flat_weights_names"):
            return self._weight_names(Owner(ref.candidates), nested=attr == "_all_weights")
        if attr == "all_weights":
            return self._all_weights(Owner(ref.candidates), attribute_link(ref.candidates, attr))
        if attr in CONFIG_ATTRIBUTES:
            return merge_all([candidate.config.get(attr, UNKNOWN) for candidate in ref.candidates])
        return UNKNOWN

    def _module_method(self, ref: ModuleRef, method: str, node: cst.Call, frame: Frame) -> Any:
        if method in ("forward", "__call__"):
            return self._call_module(ref, node, frame)
        owner = Owner(ref.candidates)
        iterable = self._module_iterable(method, owner)
        if iterable is not None:
            self._arguments(node, frame)
            return iterable
        args, _ = self._arguments(node, frame)
        if method in MODULE_RETURNS_SELF:
            return ref
        if method == "apply" and args and not isinstance(args[0], FunctionRef):
            self._escape(ref)
        return UNKNOWN

    def _module_iterable(self, method: str, owner: Owner) -> Iterable | None:
        if method == "named_parameters":
            link = new_link()
            return Iterable(TupleValue((ParamName(owner, None, link), self._param(owner, None, link))))
        if method == "parameters":
            return Iterable(self._param(owner, None, new_link()))
        if method in ("modules", "children"):
            return Iterable(UNKNOWN)
        if method in ("named_modules", "named_children"):
            return Iterable(TupleValue((UNKNOWN, UNKNOWN)))
        return None

    def _call_module(self, ref: ModuleRef, node: cst.Call, frame: Frame) -> Any:
        args, kwargs = self._arguments(node, frame)
        input_value = args[0] if args else kwargs.get("input", UNKNOWN)
        state = args[1] if len(args) > 1 else kwargs.get("hx")
        input_node = node.args[0].value if node.args and node.args[0].keyword is None else None
        for construction in ref.candidates:
            if isinstance(input_value, PackedSequence) and input_value.source is not None:
                self._register_input(input_value.source, input_value.batch_first, frame)
            elif isinstance(input_node, cst.Name) and not construction.is_cell:
                self._register_input(input_node.value, construction.batch_first, frame)
            states = tuple(self._relabel_state(t, construction) for t in tensors_in(state)) if state is not None else ()
            call = ModuleCall(node, construction, input_value, state, states)
            self.facts.calls.append(call)
            self._note_state_devices(call, input_node, frame)
        first = ref.candidates[0]
        state_known = all(same_layout(first, other) for other in ref.candidates[1:])
        if not state_known and (first.is_cell or not all(same_output(first, o) for o in ref.candidates[1:])):
            return UNKNOWN
        if first.is_cell:
            if first.kind == "LSTMCell":
                return TupleValue((tensors.cell_state(first, "cell-h"), tensors.cell_state(first, "cell-c")))
            return tensors.cell_state(first, "cell-h")
        if isinstance(input_value, PackedSequence):
            output = PackedSequence(first, pack=input_value.pack)
        else:
            output = self._padded_run(tensors.output_tensor(first), frame, input_node)
        h, c = tensors.state_tensors(first)
        if self._one_sample(input_node, first.batch_first, frame):  # a batch of one by design
            output, h, c = with_one_sample(output), with_one_sample(h), with_one_sample(c)
        for call in self.facts.calls[len(self.facts.calls) - len(ref.candidates) :]:
            call.results = (output, h, c) if state_known else (output,)
        if not state_known:  # an LSTM's (h_n, c_n) or another module's h_n: only the output is known
            return TupleValue((output, UNKNOWN))
        return TupleValue((output, TupleValue((h, c)) if c is not None else h))

    def _relabel_state(self, tensor: Tensor, construction: Construction) -> Tensor:
        """A tensor passed as a module's initial state, its axes named for that module."""
        if tensor.axes is None or tensor.role != "created":
            return tensor
        axes = tuple(
            Axis(
                tensors.classify(
                    self._resolve(axis.size) if isinstance(axis.size, Sym) else as_sym(axis.size),
                    construction,
                    axis.hint,
                ),
                axis.size,
                axis.hint,
            )
            for axis in tensor.axes
        )
        return Tensor("created", construction, axes, origin=tensor.origin)

    def _register_input(self, name: str, batch_first: bool | None, frame: Frame) -> None:
        """``self.lstm(x)``: sizes read off ``x`` (and what it was computed from) by name are now
        known to be the batch and time sizes."""
        if batch_first is None:
            return
        batch_axis, time_axis = (0, 1) if batch_first else (1, 0)
        seen = set()
        while name is not None and name not in seen:
            seen.add(name)
            prefix = f"size:{frame.key}:{name}"
            self.size_meaning.setdefault(f"{prefix}:{batch_axis}", BATCH)
            self.size_meaning.setdefault(f"{prefix}:{time_axis}", TIME)
            name = frame.provenance.get(name)

    def _resolve(self, value: Any) -> Any:
        if not isinstance(value, Sym) or not value.symbols:
            return value
        symbols = tuple(sorted(self.size_meaning.get(symbol, symbol) for symbol in value.symbols))
        return Sym(value.coeff, symbols, value.default) if symbols != value.symbols else value

    def _named_size(self, name: str, frame: Frame) -> Any:
        value = frame.lookup(name)
        if isinstance(value, Tensor):
            return Size(tuple(axis.size for axis in value.axes)) if value.axes is not None else UNKNOWN
        if isinstance(value, (Param, ParamSlice)):
            return Size((self._param_rows(value),)) if isinstance(value, Param) else UNKNOWN
        if LENGTHS_NAME.search(name):
            return Size((Sym.of(BATCH),))
        return Size(prefix=f"size:{frame.key}:{name}")

    def _length(self, node: cst.BaseExpression, value: Any, frame: Frame) -> Any:
        if isinstance(value, Tensor):
            return tensors.axis_size(value, Sym.number(0))
        if isinstance(value, Param):
            return self._param_rows(value)
        if isinstance(value, TupleValue):
            return Sym.number(len(value.items))
        if isinstance(node, cst.Name):
            size = self._named_size(node.value, frame)
            return self._resolve(size.item(0)) if isinstance(size, Size) else UNKNOWN
        return UNKNOWN

    def _call_instance(self, instance: Instance, node: cst.Call, frame: Frame) -> Any:
        found = self._method(instance.class_name, "forward")
        if found is None:
            self._arguments(node, frame)
            return UNKNOWN
        args, kwargs = self._arguments(node, frame)
        self._note_instance_call(found[0], node)
        return self._call_function(
            FunctionRef(found[1], found[0], bound=instance), args, kwargs, call=node, placed_by=frame
        )

    def _instance_method(self, instance: Instance, method: str, node: cst.Call, frame: Frame) -> Any:
        if method in WEIGHT_LOADING_METHODS or method == "state_dict":
            return self._weights_in_or_out(method, node, frame)
        found = self._method(instance.class_name, method)
        if found is not None:
            args, kwargs = self._arguments(node, frame)
            ref = FunctionRef(found[1], found[0], bound=instance)
            return self._call_function(ref, args, kwargs, call=node, placed_by=frame)
        iterable = self._module_iterable(method, Owner())
        if iterable is not None:
            self._arguments(node, frame)
            return iterable
        args, kwargs = self._arguments(node, frame)
        if method == "apply":
            if args and not isinstance(args[0], FunctionRef):
                self.facts.escaped_classes.add(instance.class_name)
            return instance
        if method in MODULE_RETURNS_SELF:
            return instance
        return UNKNOWN


def recurrent_kind_of(qualified: str) -> str | None:
    if qualified.startswith("torch.nn."):
        name = qualified[len("torch.nn.") :]
        if name in contract.RECURRENT_KINDS:
            return name
    return None


def same_layout(a: Construction, b: Construction) -> bool:
    """Whether a call of either gives results of the same structure and shapes: ``nn.RNN`` and
    ``nn.GRU`` do (an output and one h_n), an LSTM does not (its state is ``(h_n, c_n)``)."""
    return (a.family == "LSTM") == (b.family == "LSTM") and same_output(a, b)


def same_output(a: Construction, b: Construction) -> bool:
    """Whether a call of either gives an output of the same shape (``nn.LSTM`` or ``nn.GRU``
    chosen at run time: the same output, states of different structures)."""
    return (
        a.is_cell == b.is_cell
        and a.layers == b.layers
        and a.directions == b.directions
        and a.hidden_out == b.hidden_out
        and a.batch_first == b.batch_first
    )


def tensors_in(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, TupleValue):
        return [t for item in value.items for t in tensors_in(item)]
    return []
