"""What the rest of the project tells the interpreter about one file (the project index's view).

The interpreter asks four questions here, and nowhere else crosses files:

- ``constructor_value``: the value every construction of a class of this file gives one of its
  ``__init__`` parameters (``Decoder(hidden, vocab, n_layers=1)`` in train.py). It is a
  ``SiteValue`` — a Const that remembers the sites, so a rule can name them — only when the index
  sees every construction and they all agree; otherwise the parameter stays known by identity
  only, as in a one-file run.
- ``base``: a base class defined in another project file, with the recurrent classes its
  ``__init__`` assigns to attributes (``self.rnn_cell = nn.LSTM``), so a subclass's
  ``self.rnn_cell(...)`` builds a module as if the base were local.
- ``weights_from_elsewhere``: where an instance of a class of this file gets its weights loaded
  or an initialisation applied in another file (RNN201 stays silent then).
- ``submodule``: the project class whose instance every construction of a class of this file
  passes to one of its ``__init__`` parameters (``Seq2Seq(encoder, decoder)`` with ``encoder =
  Encoder(...)`` in train.py). A class of this file is then an ``Instance`` the interpreter runs as
  any other; a class of another file is a ``ForeignModel``, whose ``forward`` is run in its own
  file (``foreign_forward``) and whose recurrent results come back as tensors of a
  ``ForeignConstruction``: the shape rules then see what this file does with the encoder's
  ``h_n`` (``hidden[-1]`` of a bidirectional encoder, ``hidden.view(batch, -1)``).

``digest`` sums up every answer the file can get, for caching the file's results.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rnn_lint.facts.model import Construction, ModuleCall
from rnn_lint.facts.values import (
    ONE,
    UNKNOWN,
    Axis,
    Const,
    FloatNumber,
    Instance,
    Opaque,
    Sym,
    Tensor,
    TupleValue,
)
from rnn_lint.project.index import UNKNOWN_VALUE, ProjectIndex, Site, Symbol, digest, fingerprint


class SiteValue(Const):
    """A constructor parameter's value given by every construction the project holds. Equal to
    the plain Const of the same value (the sites are only for messages)."""

    def __init__(self, value: Any, parameter: str, sites: tuple[Site, ...], display: tuple[str, ...]) -> None:
        super().__init__(value)
        object.__setattr__(self, "parameter", parameter)
        object.__setattr__(self, "sites", sites)
        object.__setattr__(self, "where", display)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Const) and type(other.value) is type(self.value) and other.value == self.value

    def __hash__(self) -> int:
        return hash((Const, self.value))

    def __repr__(self) -> str:
        return f"SiteValue({self.value!r} from {', '.join(self.where)})"

    def describe(self) -> str:
        """``n_layers=1`` with where it came from when it is not written at the site."""
        notes = sorted({site.note for site in self.sites if site.note})
        suffix = f" ({', '.join(notes)})" if notes else ""
        return f"{self.parameter}={self.value!r}{suffix}"


def built_with(values: list[SiteValue]) -> str:
    """ "built in train.py:86 with n_layers=1, dropout=0.5": the sites and the values they give."""
    places: list[str] = []
    for value in values:
        for place in value.where:
            if place not in places:
                places.append(place)
    where = f"at {len(places)} sites ({', '.join(places[:3])}, …)" if len(places) > 3 else "in " + " and ".join(places)
    described = [value.describe() for value in values]
    given = described[0] if len(described) == 1 else ", ".join(described[:-1]) + " and " + described[-1]
    return f"built {where} with {given}"


def site_values(*values: Any) -> list[SiteValue]:
    return [value for value in values if isinstance(value, SiteValue)]


@dataclass
class BaseClass:
    """A base class from another project file."""

    name: str
    #: attribute → the recurrent classes its ``__init__`` may assign (``self.rnn_cell = nn.LSTM``)
    recurrent_attributes: dict[str, tuple[str, ...]]
    #: its own code (or an ancestor's) may set parameters, or an ancestor cannot be seen
    opaque: bool


@dataclass(frozen=True)
class ForeignModel:
    """An instance of a project class defined in another file, held by a class of this file:
    every construction of the holder passes one (``Seq2Seq(encoder, decoder)``)."""

    symbol: Symbol
    #: where those instances are built ("train.py:40"), for messages
    where: tuple[str, ...]


@dataclass(eq=False)
class ForeignConstruction(Construction):
    """A recurrent module of a ``ForeignModel``, as this file sees it: its configuration only as
    far as it is certain (a parameter's default is not: another file decides), its name the path
    this file reaches it by, and the instance's construction site for messages."""

    site: str = ""

    def describe(self) -> str:
        return f"{self.binding} ({self.site})" if self.site else str(self.binding)


@dataclass
class ForeignForward:
    """What a foreign model's ``forward`` returns, run in its own file: the value, the recurrent
    calls whose results it may hold, and what the sizes of its first input are (``BATCH``/``TIME``
    by axis) when that input reaches a recurrent module."""

    value: Any
    calls: list[ModuleCall]
    input_axes: dict[int, str] = field(default_factory=dict)


#: Files whose foreign forward is being run now (a model holding a model of a file that holds
#: one of the first file's: stop there).
_RUNNING: set[str] = set()


class ProjectView:
    """The index seen from one file (``path``: absolute)."""

    def __init__(self, index: ProjectIndex, path: str) -> None:
        self.index = index
        self.path = os.path.abspath(path)
        self._answers: dict[str, Any] = {}
        self._forwards: dict[Symbol, ForeignForward | None] = {}
        #: the interpreters that ran other files (one per file, whichever of its classes is asked)
        self._interpreters: dict[str, Any] = {}

    def involves(self) -> bool:
        """Whether the project can add to what the file's own text shows: one of its classes
        derives from a project class that assigns a recurrent class to an attribute."""
        summary = self.index.summaries.get(self.path)
        if summary is None:
            return False
        for name, info in summary["classes"].items():
            for base in info["bases"]:
                found = self.base(base)
                if found is not None and found.recurrent_attributes:
                    return True
            for parameter in _parameters(info):
                held = self.submodule(name, parameter)
                if held is not None and held[0].path != self.path:
                    return True  # Seq2Seq(encoder, decoder) with the encoder's LSTM in another file
        return False

    # --- constructor parameters -------------------------------------------------------------
    def constructor_value(self, class_name: str, parameter: str, kind: str = "class") -> SiteValue | None:
        """``kind`` "function": a parameter of a module function of this file (a factory that
        builds a recurrent module), which takes the value all its calls give it."""
        sites = self.index.parameter_sites(Symbol(kind, self.path, class_name), parameter)
        answer = None
        if sites and all(site.value is not UNKNOWN_VALUE for site in sites):
            first = sites[0].value
            if all(type(site.value) is type(first) and site.value == first for site in sites):
                where = tuple(dict.fromkeys(f"{self.index.display(site.path)}:{site.line}" for site in sites))
                answer = SiteValue(first, parameter, tuple(sites), where)
        self._answers[f"param:{kind}:{class_name}.{parameter}"] = (
            None if answer is None else [answer.value, answer.where]
        )
        return answer

    # --- submodules passed in ---------------------------------------------------------------
    def submodule(self, class_name: str, parameter: str) -> tuple[Symbol, tuple[str, ...]] | None:
        """The project class every construction of ``class_name`` passes an instance of to
        ``parameter`` (``Seq2Seq(Encoder(...), ...)``, or a name bound to one), with where those
        instances are built; None when some construction cannot be seen, leaves the parameter to
        its default, or passes something else (another class, a torch module, a value)."""
        cls = Symbol("class", self.path, class_name)
        info = self.index.class_summary(cls)
        sites = self.index.sites(cls)
        answer = None
        if info is not None and info["params"] is not None and sites:
            answer = self._held(info["params"], sites, parameter)
        self._answers[f"submodule:{class_name}.{parameter}"] = (
            None if answer is None else [answer[0].path, answer[0].name, answer[1]]
        )
        return answer

    def _held(
        self, params: dict[str, Any], sites: list[tuple[str, dict[str, Any]]], parameter: str
    ) -> tuple[Symbol, tuple[str, ...]] | None:
        found: Symbol | None = None
        places: list[str] = []
        for path, call in sites:
            given = call["kwargs"].get(parameter)
            if given is None and parameter in params["positional"]:
                position = params["positional"].index(parameter)
                if position < len(call["args"]) and not call["star"]:
                    given = call["args"][position]
            if given is None or given[0] != "call":
                return None
            made = self.index.summaries[path]["calls"][given[1]]
            symbol = self.index.symbol(path, made["callee"])
            if symbol is None or symbol.kind != "class" or found not in (None, symbol):
                return None
            found = symbol
            places.append(f"{self.index.display(path)}:{made['line']}")
        return (found, tuple(dict.fromkeys(places))) if found is not None else None

    def foreign_forward(self, symbol: Symbol) -> ForeignForward | None:
        """Run ``forward`` of the project class ``symbol`` (defined in another file) in its own
        file, as the interpreter runs any method there; None when it cannot be run."""
        if symbol not in self._forwards:
            self._forwards[symbol] = None
            if symbol.path not in _RUNNING:
                _RUNNING.add(symbol.path)
                try:
                    self._forwards[symbol] = _run_forward(self.index, symbol, self._interpreters)
                finally:
                    _RUNNING.discard(symbol.path)
        return self._forwards[symbol]

    # --- bases ------------------------------------------------------------------------------
    def base(self, dotted: str) -> BaseClass | None:
        """The project class ``dotted`` names in this file when it is defined in another file."""
        symbol = self.index.symbol(self.path, dotted)
        answer = None
        if symbol is not None and symbol.kind == "class" and symbol.path != self.path:
            attributes: dict[str, tuple[str, ...]] = {}
            opaque = self._collect(symbol, attributes, set())
            answer = BaseClass(symbol.name, attributes, opaque)
        self._answers[f"base:{dotted}"] = None if answer is None else [answer.recurrent_attributes, answer.opaque]
        return answer

    def _collect(self, symbol: Symbol, attributes: dict[str, tuple[str, ...]], seen: set[Symbol]) -> bool:
        """Gather the recurrent attributes of ``symbol`` and its ancestors (nearest wins); True
        when something in the chain may set parameters or cannot be seen."""
        if symbol in seen:
            return True
        seen.add(symbol)
        info = self.index.class_summary(symbol)
        if info is None:
            return True
        for attr, kinds in info["recurrent_attributes"].items():
            attributes.setdefault(attr, tuple(kinds))
        opaque = info["touches_weights"] or info["opaque_bases"]
        for base_name, base in zip(info["bases"], self.index.bases(symbol)):
            if base is None:
                if not _is_torch_module(base_name, self.index.summaries.get(symbol.path)):
                    opaque = True
                continue
            opaque = self._collect(base, attributes, seen) or opaque
        return opaque

    # --- weights ----------------------------------------------------------------------------
    def weights_from_elsewhere(self, class_name: str) -> str | None:
        """Where instances of ``class_name`` get weights loaded or initialised in the project, e.g.
        "predict.py:31", when every instance the project builds does (ProjectIndex.covered)."""
        where = self.index.covered(Symbol("class", self.path, class_name))
        self._answers[f"weights:{class_name}"] = where
        return where

    def digest(self, depth: int = 0) -> str:
        """A digest of everything the project can tell this file (its facts depend on nothing
        else): for caching a file's results next to its content hash. A model held from another
        file brings that file's text and what the project tells it."""
        summary = self.index.summaries.get(self.path)
        questions: dict[str, Any] = {}
        if summary is not None:
            for name, info in summary["classes"].items():
                for parameter in _parameters(info):
                    value = self.constructor_value(name, parameter)
                    questions[f"{name}.{parameter}"] = None if value is None else [repr(value.value), value.where]
                    held = self.submodule(name, parameter)
                    if held is not None and held[0].path != self.path:
                        told = self._file_digest(held[0], depth)
                        questions[f"{name}.{parameter}:held"] = [held[0].name, held[1], *told]
                questions[f"weights:{name}"] = self.weights_from_elsewhere(name)
                for base in info["bases"]:
                    found = self.base(base)
                    questions[f"base:{base}"] = None if found is None else [found.recurrent_attributes, found.opaque]
            for name, function in summary["functions"].items():
                for parameter in [*function["params"]["positional"], *function["params"]["keyword_only"]]:
                    value = self.constructor_value(name, parameter, "function")
                    questions[f"{name}().{parameter}"] = None if value is None else [repr(value.value), value.where]
        return fingerprint(questions)

    def _file_digest(self, symbol: Symbol, depth: int) -> list[str]:
        """The text of the file defining ``symbol`` and what the project tells it."""
        try:
            text = Path(symbol.path).read_bytes()
        except OSError:
            return ["unreadable"]
        told = ProjectView(self.index, symbol.path).digest(depth + 1) if depth < 3 else "deep"
        return [digest(text.decode("utf-8", "replace")), told]


def _parameters(info: dict[str, Any]) -> list[str]:
    params = info["params"] or {"positional": [], "keyword_only": []}
    return [*params["positional"], *params["keyword_only"]]


def _run_forward(index: ProjectIndex, symbol: Symbol, interpreters: dict[str, Any]) -> ForeignForward | None:
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
            interpreter = Interpreter(module, symbol.path, ProjectView(index, symbol.path))
            interpreter.run()
            interpreters[symbol.path] = interpreter
        interpreter = interpreters[symbol.path]
        found = None if interpreter is None else interpreter._method(symbol.name, "forward")
        if found is None:
            return None
        owner, function = found
        first_call = len(interpreter.facts.calls)
        value = interpreter._call_function(FunctionRef(function, owner, bound=Instance(symbol.name)), None, {})
    except (OSError, cst.ParserSyntaxError, RecursionError, MemoryError, ValueError):
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
    callee = interpreter.module.code_for_node(node.func)
    made: dict[int, tuple[Any, ...]] = {}

    def proxied(call: ModuleCall, position: int) -> Any:
        if id(call) not in made:
            proxy = _proxy(call.module, callee, model)
            h, c = _states_of(proxy)
            fresh = (_output_of(proxy), h, c)
            made[id(call)] = tuple(_like(old, new) for old, new in zip(call.results, fresh))
            record = ModuleCall(node, proxy, UNKNOWN, None, ())
            record.results = made[id(call)]
            interpreter.facts.calls.append(record)
        result = made[id(call)][position]
        return UNKNOWN if result is None else result

    def convert(value: Any) -> Any:
        if isinstance(value, TupleValue):
            return TupleValue(tuple(convert(item) for item in value.items))
        if isinstance(value, Tensor):
            for call in ran.calls:
                if call.module.is_cell:
                    continue
                for position, result in enumerate(call.results):
                    if result is value:
                        return proxied(call, position)
        return UNKNOWN

    return convert(ran.value)


def _proxy(module: Construction, callee: str, model: ForeignModel) -> ForeignConstruction:
    config = {name: _certain(value) for name, value in module.config.items()}
    # "the Encoder built in train.py:40 with n_layers=2 and bidirectional=True"
    values = site_values(*(module.config.get(name) for name in ("num_layers", "bidirectional", "batch_first")))
    places = " and ".join(model.where) if len(model.where) <= 3 else f"{len(model.where)} sites"
    given = [value.describe() for value in values]
    site = f"the {model.symbol.name} built in {places}"
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


def _output_of(proxy: Construction) -> Tensor:
    from rnn_lint.facts import tensors

    return tensors.output_tensor(proxy)


def _states_of(proxy: Construction) -> tuple[Tensor, Tensor | None]:
    from rnn_lint.facts import tensors

    return tensors.state_tensors(proxy)


def _like(original: Any, fresh: Any) -> Any:
    """``fresh``, with a batch of one when the foreign run had one by design."""
    if not isinstance(original, Tensor) or not isinstance(fresh, Tensor) or original.axes is None or fresh.axes is None:
        return fresh
    if any(axis.label == "B" and axis.size == ONE for axis in original.axes):
        return fresh.with_axes(tuple(Axis("B", ONE) if axis.label == "B" else axis for axis in fresh.axes))
    return fresh


def _is_torch_module(base: str, summary: dict[str, Any] | None) -> bool:
    """``nn.Module`` (or any ``torch.nn`` class) as imported in the base's file."""
    if summary is None:
        return False
    head, _, rest = base.partition(".")
    origin = summary["imports"].get(head)
    if origin is None:
        return False
    module, name, _level = origin
    full = ".".join(filter(None, [module, name, rest])) if name else ".".join(filter(None, [module, rest]))
    return full.startswith(("torch.nn.", "pytorch_lightning.", "lightning."))


# --- the interpreter's entry points (each None-safe: a one-file run has no project) --------------


def constructor_value(
    project: ProjectView | None, class_name: str, parameter: str, kind: str = "class"
) -> SiteValue | None:
    return None if project is None else project.constructor_value(class_name, parameter, kind)


def project_base(project: ProjectView | None, dotted: str) -> BaseClass | None:
    return None if project is None else project.base(dotted)


def submodule_value(project: ProjectView | None, class_name: str, parameter: str, local_classes: Any) -> Any:
    """An ``__init__`` parameter's value when every construction passes an instance of one
    project class: an ``Instance`` of a class of this file, a ``ForeignModel`` of another's."""
    held = None if project is None else project.submodule(class_name, parameter)
    if held is None:
        return None
    symbol, where = held
    if symbol.path == project.path:
        return Instance(symbol.name) if symbol.name in local_classes else None
    return ForeignModel(symbol, where)


def project_attribute(info: Any, attr: str) -> Any:
    """``self.attr`` of a class read from its bases in other files: a recurrent class it assigns."""
    from rnn_lint.facts.values import RecurrentClass

    for base in info.project_bases:
        kinds = base.recurrent_attributes.get(attr)
        if kinds:
            return RecurrentClass(tuple(kinds))
    return None
