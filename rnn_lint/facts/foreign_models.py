"""Models of other project files held by a class of this file (``Seq2Seq(encoder, decoder)``
with the ``Encoder`` in another module): its ``forward`` is run in its own file, and what it
returns comes back here (see ``project_semantics.ProjectView.submodule``).

Only the recurrent results the encoder's ``forward`` returns as they came out of its module
(``outputs``, ``hidden``, ``cell``) come back, as tensors of a ``ForeignConstruction``: a copy of
the encoder's module whose configuration keeps only what the project knows for certain (a
parameter's default does not count: the sites decide) and whose name is the path this file
reaches it by (``self.encoder.rnn``), with the site the instance is built at for messages.
Anything the encoder computed from them (``torch.cat``, ``tanh(fc(...))``) is unknown here.

A function of another file that returns a recurrent *class* (``make_rnn(kind)``) is answered here
too (``factory_class``): the class it picks for the argument given, when that is known.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rnn_lint.facts import tensors
from rnn_lint.facts.imports import dotted
from rnn_lint.facts.model import Construction, ModuleCall, plain
from rnn_lint.facts.project_semantics import (
    ForeignForward,
    ForeignModel,
    HeldInstance,
    ProjectView,
    chosen_class,
    site_values,
)
from rnn_lint.facts.values import (
    ONE,
    UNKNOWN,
    Axis,
    Const,
    FloatNumber,
    Instance,
    Opaque,
    RecurrentClass,
    Sym,
    Tensor,
    TupleValue,
)
from rnn_lint.project.index import ProjectIndex, Symbol


@dataclass(eq=False)
class ForeignConstruction(Construction):
    """A recurrent module of a ``ForeignModel``, as this file sees it: its configuration only as
    far as it is certain (a parameter's default is not: another file decides), its name the path
    this file reaches it by, and the instance's construction site for messages."""

    site: str = ""

    def describe(self) -> str:
        return f"{self.binding} ({self.site})" if self.site else str(self.binding)


def run_forward(index: ProjectIndex, symbol: Symbol, interpreters: dict[str, Any]) -> ForeignForward | None:
    """Interpret the file of ``symbol`` (once: ``interpreters`` keeps it) and run its class's
    ``forward`` with unknown inputs."""
    import libcst as cst

    from rnn_lint.facts.interpreter import Interpreter
    from rnn_lint.facts.values import FunctionRef
    from rnn_lint.guard import MAX_BYTES

    try:
        if symbol.path not in interpreters:
            interpreters[symbol.path] = None
            text = Path(symbol.path).read_bytes().decode("utf-8", "replace")
            if len(text) > MAX_BYTES:
                return None  # a file too large to lint is too large to run for another
            module = cst.parse_module(text)
            interpreter = Interpreter(module, symbol.path, ProjectView(index, symbol.path), text)
            interpreter.run()
            interpreters[symbol.path] = interpreter
        interpreter = interpreters[symbol.path]
        found = None if interpreter is None else interpreter._method(symbol.name, "forward")
        if found is None:
            return None
        owner, function = found
        first_call = len(interpreter.facts.calls)
        value = interpreter._call_function(FunctionRef(function, owner, bound=Instance(symbol.name)), None, {})
    except Exception:  # another file that cannot be run tells nothing; this one is still linted
        return None
    parameters = [p.name.value for p in [*function.params.posonly_params, *function.params.params]][1:]
    input_axes: dict[int, str] = {}
    if parameters:
        prefix = f"size:{owner}.forward:{parameters[0]}:"
        for key, meaning in interpreter.size_meaning.items():
            if key.startswith(prefix) and key[len(prefix) :].isdigit():
                input_axes[int(key[len(prefix) :])] = meaning
    return ForeignForward(value, list(interpreter.facts.calls[first_call:]), input_axes)


def call_foreign(interpreter: Any, model: ForeignModel, node: Any, frame: Any) -> Any:
    """``self.encoder(src)`` where ``self.encoder`` is a ``ForeignModel``: what its ``forward``
    returns, with each recurrent result the encoder returns as it came out of its module (h_n,
    c_n, the output) made a tensor of a ``ForeignConstruction``, its call recorded here; anything
    the encoder computed from them is unknown."""
    interpreter._arguments(node, frame)  # their uses are this file's; they are not followed in
    project: ProjectView | None = interpreter.project
    ran = project.foreign_forward(model.symbol) if project is not None else None
    if ran is None:
        return UNKNOWN
    first = node.args[0].value if node.args and node.args[0].keyword is None else None
    if first is not None and type(first).__name__ == "Name":  # src: its sizes are the encoder's input's
        for axis, meaning in ran.input_axes.items():
            interpreter.size_meaning.setdefault(f"size:{frame.key}:{first.value}:{axis}", meaning)
    return _named(interpreter, ran.value, ran.calls, node, model.symbol.name, model.where, certain=True)


def call_held(interpreter: Any, instance: HeldInstance, node: Any, frame: Any) -> Any:
    """``self.encoder(src)`` where ``self.encoder`` is a ``HeldInstance`` (a class of this file):
    run as any instance, then each raw recurrent result it returns named for ``self.encoder``
    and the site that built it; what the encoder computed from them stays as it was."""
    first = len(interpreter.facts.calls)
    value = interpreter._call_instance(instance, node, frame)
    calls = interpreter.facts.calls[first:]
    return _named(interpreter, value, calls, node, instance.class_name, instance.where, certain=False)


def _named(
    interpreter: Any,
    value: Any,
    calls: list[ModuleCall],
    node: Any,
    class_name: str,
    where: tuple[str, ...],
    certain: bool,
) -> Any:
    """``value`` with each tensor that is a result of one of ``calls`` as it came out of its
    module replaced by the same result of a ``ForeignConstruction`` (its call recorded at
    ``node``); anything else is UNKNOWN when ``certain`` (another file's), else kept."""
    callee = interpreter.module.code_for_node(node.func)
    made: dict[int, tuple[Any, ...]] = {}

    def proxied(call: ModuleCall, position: int) -> Any:
        if id(call) not in made:
            proxy = _proxy(call.module, callee, class_name, where, certain)
            h, c = tensors.state_tensors(proxy)
            fresh = (tensors.output_tensor(proxy), h, c)
            made[id(call)] = tuple(_like(old, new) for old, new in zip(call.results, fresh))
            record = ModuleCall(node, proxy, UNKNOWN, None, ())
            record.results = made[id(call)]
            interpreter.facts.calls.append(record)
        result = made[id(call)][position]
        return UNKNOWN if result is None else result

    def convert(item: Any) -> Any:
        if isinstance(item, TupleValue):
            return TupleValue(tuple(convert(part) for part in item.items))
        if isinstance(item, Tensor):
            for call in calls:
                if call.module.is_cell or isinstance(call.module, ForeignConstruction):
                    continue
                for position, result in enumerate(call.results):
                    if result is item:
                        return proxied(call, position)
        return UNKNOWN if certain else item

    return convert(value)


def _proxy(
    module: Construction, callee: str, class_name: str, where: tuple[str, ...], certain: bool
) -> ForeignConstruction:
    """``module`` as reached through ``callee`` (``self.encoder``); ``certain``: keep only what
    another file can be sure of."""
    config = {name: _certain(value) for name, value in module.config.items()} if certain else dict(module.config)
    # "the Encoder built in train.py:40 with n_layers=2 and bidirectional=True"
    values = site_values(*(module.config.get(name) for name in ("num_layers", "bidirectional", "batch_first")))
    places = " and ".join(where) if len(where) <= 3 else f"{len(where)} sites"
    given = [value.describe() for value in values]
    site = f"the {class_name} built in {places}"
    if given:
        site += " with " + (given[0] if len(given) == 1 else ", ".join(given[:-1]) + " and " + given[-1])
    inner = module.binding[len("self.") :] if module.binding and module.binding.startswith("self.") else None
    return ForeignConstruction(
        module.kind,
        module.node,
        config,
        module.arguments,
        module.splat,
        None,
        alternatives=module.alternatives,
        binding=f"{callee}.{inner}" if inner else callee,
        site=site,
    )


def _certain(value: Any) -> Any:
    """A configuration value as certain as another file can be of it: a parameter's default is
    not (the instance this file holds may be built with another value)."""
    if isinstance(value, (Const, FloatNumber)):
        return value
    if isinstance(value, Sym):
        return value if value.known else replace(value, default=None)
    if isinstance(value, Opaque):
        return Opaque(value.key)
    return UNKNOWN


def _like(original: Any, fresh: Any) -> Any:
    """``fresh``, with a batch of one when the foreign run had one by design."""
    if not isinstance(original, Tensor) or not isinstance(fresh, Tensor) or original.axes is None or fresh.axes is None:
        return fresh
    if any(axis.label == "B" and axis.size == ONE for axis in original.axes):
        return fresh.with_axes(tuple(Axis("B", ONE) if axis.label == "B" else axis for axis in fresh.axes))
    return fresh


def factory_class(interpreter: Any, node: Any, frame: Any) -> Any:
    """``make_rnn("lstm")`` with ``make_rnn`` a function of another project file that returns a
    recurrent class: that class (``RecurrentClass``), when the argument is known; UNKNOWN when it
    is not (nothing is guessed); None when the callee is no such factory."""
    project: ProjectView | None = interpreter.project
    name = dotted(node.func)
    choice = project.class_factory(name) if project is not None and name is not None else None
    if choice is None:
        return None
    args, kwargs = interpreter._arguments(node, frame)
    value: Any = UNKNOWN
    if choice["param"] is not None:
        value = kwargs.get(choice["param"], UNKNOWN)
        if choice["param"] not in kwargs:
            if choice["position"] is not None and choice["position"] < len(args):
                value = args[choice["position"]]
            elif choice["default"] is not None and not any(arg.star for arg in node.args):
                value = Const(choice["default"])
    kind = chosen_class(choice, plain(value))
    return RecurrentClass((kind,)) if kind is not None else UNKNOWN


def table_class(interpreter: Any, node: Any, frame: Any) -> Any:
    """``RNNS["gru"]`` with ``RNNS`` a dict of recurrent classes imported from another project
    file: that class; UNKNOWN for a key that is not known (nothing is guessed); None when the
    name is no such table."""
    import libcst as cst

    project: ProjectView | None = interpreter.project
    if project is None or not isinstance(node.value, cst.Name) or len(node.slice) != 1:
        return None
    table = project.class_table(node.value.value)
    part = node.slice[0].slice
    if table is None or not isinstance(part, cst.Index):
        return None
    key = plain(interpreter._eval(part.value, frame))
    return RecurrentClass((table[key],)) if isinstance(key, str) and key in table else UNKNOWN
