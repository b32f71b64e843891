"""The facts about one file that rules query.

One pass of ``interpreter.py`` fills a ``FileFacts``: every construction of a recurrent module
with its configuration, every call of one with what went in, and every operation on the tensors
and parameters that came out of one (reshapes, indexing, writes into parameter slices), plus where
modules escape to code the linter cannot see. Rules read these lists; none walks the tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import libcst as cst

from rnn_lint import contract
from rnn_lint.facts.imports import ImportTable
from rnn_lint.facts.values import (
    UNKNOWN,
    Axis,
    Const,
    FloatNumber,
    Opaque,
    Owner,
    Param,
    ParamSlice,
    Sym,
    Tensor,
    fresh_symbol,
    init_parameter,
)


@dataclass(eq=False)
class Construction:
    """``nn.LSTM(...)`` (or RNN, GRU, a cell) as written in the file."""

    kind: str
    node: cst.Call
    #: every constructor parameter → its value (Const, Sym, Opaque or UNKNOWN), defaults filled in
    config: dict[str, Any]
    #: the arguments the user wrote, by parameter name (unknown keywords included)
    arguments: dict[str, cst.Arg]
    #: True when *args/**kwargs hide some arguments: anything not written is then unknown
    splat: bool
    owner_class: str | None
    #: the kinds a run-time choice allows (``{"lstm": nn.LSTM, "gru": nn.GRU}[kind](...)`` is one
    #: construction per kind, all on the same node); None for a plain ``nn.LSTM(...)``
    alternatives: tuple[str, ...] | None = None
    binding: str | None = None  # "self.lstm", "encoder", … for messages
    #: the blocks a plain run may skip that it was built in (``Interpreter.optional_path``)
    optional_path: tuple[int, ...] = ()

    # --- the symbolic sizes every shape is expressed in ---------------------------------
    def size(self, parameter: str) -> Sym:
        value = self.config.get(parameter, UNKNOWN)
        return as_sym(value, prefix=f"{parameter}@{id(self)}")

    @property
    def layers(self) -> Sym:
        return self.size("num_layers")

    @property
    def directions(self) -> Sym:
        return directions_of(self.config.get("bidirectional", UNKNOWN), self)

    @property
    def layer_directions(self) -> Sym:
        return self.layers * self.directions

    @property
    def hidden(self) -> Sym:
        return self.size("hidden_size")

    @property
    def hidden_out(self) -> Sym:
        proj = self.config.get("proj_size", Const(0))
        if isinstance(proj, Const) and proj.value in (0, None):
            return self.hidden
        if proj is UNKNOWN and "proj_size" not in self.arguments and not self.splat:
            return self.hidden
        return self.size("proj_size")

    @property
    def batch_first(self) -> bool | None:
        """True/False when certain, None when unknown."""
        value = self.config.get("batch_first", UNKNOWN)
        return value.value if isinstance(value, Const) and isinstance(value.value, bool) else None

    @property
    def family(self) -> str:
        return contract.family(self.kind)

    @property
    def is_cell(self) -> bool:
        return contract.is_cell(self.kind)

    def certainly(self, parameter: str) -> Any:
        """The parameter's value when it is known exactly, else contract.UNKNOWN."""
        value = self.config.get(parameter, UNKNOWN)
        return plain(value)

    def by_default(self, parameter: str) -> Any:
        """Like ``certainly`` but also accepts a constructor parameter's default value."""
        value = self.config.get(parameter, UNKNOWN)
        if isinstance(value, Opaque) and value.default is not None:
            return value.default
        if isinstance(value, Sym) and value.default is not None:
            return _number(value.default)
        return plain(value)

    def describe(self) -> str:
        return self.binding or f"nn.{self.kind}"


def plain(value: Any) -> Any:
    """A fact value as a plain Python value for contract.py, or contract.UNKNOWN."""
    if isinstance(value, Const):
        return value.value
    if isinstance(value, Sym) and value.known:
        return _number(value.coeff)
    if isinstance(value, FloatNumber):
        return SOME_FLOAT
    return contract.UNKNOWN


class _SomeFloat(float):
    """A float whose value is unknown (``hidden / 2``): enough for contract's type checks."""

    def __repr__(self) -> str:
        return "<a float>"


SOME_FLOAT = _SomeFloat(0.5)


def _number(value: Any) -> Any:
    from fractions import Fraction

    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    return value


def as_sym(value: Any, prefix: str = "unknown") -> Sym:
    """View a value as a number for shape arithmetic; an unknown becomes a symbol of its own."""
    if isinstance(value, Sym):
        return value
    if isinstance(value, Const) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
        return Sym.number(value.value)
    if isinstance(value, Const) and isinstance(value.value, bool):
        return Sym.number(int(value.value))
    if isinstance(value, Opaque):
        return Sym.of(value.key, value.default)
    return Sym.of(fresh_symbol(prefix))


def directions_of(bidirectional: Any, construction: Any = None) -> Sym:
    """D as a monomial: 1 or 2 when bidirectional is known, else a symbol tied to its source, so
    that ``2 if bidirectional else 1`` written anywhere evaluates to the same D."""
    if isinstance(bidirectional, Const):
        return Sym.number(2 if bidirectional.value else 1)
    if isinstance(bidirectional, Opaque):
        default = None if bidirectional.default is None else (2 if bidirectional.default else 1)
        return Sym.of(f"D:{bidirectional.key}", default)
    return Sym.of(fresh_symbol(f"D@{id(construction)}"))


@dataclass(eq=False)
class ModuleCall:
    """``self.lstm(x, hx)``: which module, what went in."""

    node: cst.Call
    module: Construction
    input: Any
    state: Any  # the value passed as hx, None when none was passed
    #: the tensors of ``state``, with the axes of any tensor the user created named for this module
    states: tuple[Tensor, ...] = ()
    #: what the call returned: (output, h_n, c_n) — output a PackedSequence for a packed input,
    #: c_n None for RNN/GRU; empty for cells and when the candidates disagree on the layout
    results: tuple[Any, ...] = ()


@dataclass(eq=False)
class Reshape:
    """``t.view(...)``/``t.reshape(...)`` on a tensor we follow. ``sizes`` are the requested sizes
    as monomials, ``labels`` what each one is for ``tensor.module`` (see values.LABELS)."""

    node: cst.Call
    tensor: Tensor
    sizes: tuple[Sym, ...]
    labels: tuple[str, ...]


@dataclass(eq=False)
class Indexing:
    """``t[...]`` on a tensor we follow. ``items`` per indexed axis: ("int", Sym), ("full",),
    ("slice", lower, upper, step) with each bound's value (None when absent), or ("other",)."""

    node: cst.Subscript
    tensor: Tensor
    items: tuple[tuple[Any, ...], ...]
    #: the tensor the indexing gave (its own uses are recorded against it)
    result: Any = None


@dataclass(eq=False)
class ParamWrite:
    """A constant (or unknown) value written into a parameter or a slice of one:
    ``b[H:2*H].fill_(1.)``, ``nn.init.constant_(b, 0)``, ``b.data[n // 4:n // 2] = 1``."""

    node: cst.CSTNode
    target: Param | ParamSlice
    value: Any  # Const / Sym / UNKNOWN

    @property
    def param(self) -> Param:
        return self.target.param if isinstance(self.target, ParamSlice) else self.target


@dataclass(eq=False)
class Instantiation:
    """``Model(...)``: a class of this file built with these arguments (as evaluated; UNKNOWN
    stands for a ``*args``/``**kwargs`` splat)."""

    class_name: str
    node: cst.Call
    args: list[Any]
    kwargs: dict[str, Any]


@dataclass(eq=False)
class ClassInfo:
    name: str
    node: cst.ClassDef
    methods: dict[str, cst.FunctionDef]
    in_file_bases: list[str]
    #: derives from a class we cannot see that might initialise weights itself
    unknown_base: bool
    attributes: dict[str, Any] = field(default_factory=dict)
    #: bases defined in other files of the project (project_semantics.BaseClass)
    project_bases: list[Any] = field(default_factory=list)

    @property
    def is_model(self) -> bool:
        """A class with a ``forward``: a model's code, where sizes and devices must follow the
        input (a test case's methods work on the test's own fixed batch, on the CPU)."""
        return "forward" in self.methods


@dataclass
class FileFacts:
    module: cst.Module
    imports: ImportTable
    path: str = ""
    constructions: list[Construction] = field(default_factory=list)
    calls: list[ModuleCall] = field(default_factory=list)
    reshapes: list[Reshape] = field(default_factory=list)
    indexings: list[Indexing] = field(default_factory=list)
    param_writes: list[ParamWrite] = field(default_factory=list)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    #: constructions that reach code the linter cannot see (an imported function, a return)
    escaped: set[int] = field(default_factory=set)
    #: classes whose instances (hence every module inside) reach such code
    escaped_classes: set[str] = field(default_factory=set)
    #: the file loads weights (load_state_dict, from_pretrained …): initialisation does not matter
    loads_weights: bool = False
    #: constructions loaded whenever they are built, under a condition (``if layer1:`` builds
    #: the module and loads it)
    loaded_constructions: set[int] = field(default_factory=set)
    #: the file trains something (.backward(), torch.optim, a Lightning Trainer)
    trains: bool = False
    #: the file calls pack_padded_sequence
    packs: bool = False
    #: factory-made CPU tensors passed as initial states (devices.StateCreation, RNN404)
    state_creations: list[Any] = field(default_factory=list)
    #: pack_padded_sequence given lengths on an accelerator (devices.PackLengths, RNN106)
    pack_lengths: list[Any] = field(default_factory=list)
    #: the file's text when the engine passed it (None: regenerated from ``module`` when needed)
    source: str | None = None
    #: recurrent results used as a receiver, an argument or a return value (uses.TensorUse)
    uses: list[Any] = field(default_factory=list)
    #: every ``Model(...)`` of a class defined in this file
    instantiations: list[Instantiation] = field(default_factory=list)
    #: tensors a model's __init__ stores on self (initial_states.StateAttribute, RNN405)
    state_attributes: list[Any] = field(default_factory=list)
    #: id(assignment) → {target as written: the module} for targets bound to a recurrent module's
    #: returned state that is still in the autograd graph (carried_states.py, RNN402)
    state_bindings: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: class → {attribute: module} for a forward that feeds self.<attribute> back into the module
    #: and stores its returned state there (carried_states.py, RNN402)
    attribute_carries: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: id(call) → the class whose forward a call of a model of this file runs
    instance_calls: dict[int, str] = field(default_factory=dict)
    #: id() of the functions (0: the module's own code) where states are bound or models called:
    #: the only places a carried state can be (carried_states.py reads no other)
    carry_scopes: set[int] = field(default_factory=set)
    #: what the rest of the project tells about this file (project_semantics.ProjectView), or None
    project: Any = None
    #: every pack_padded_sequence with the layout it was told (packing.Pack, RNN109)
    pack_layouts: list[Any] = field(default_factory=list)
    #: tensor factories whose sizes include a batch fixed when the model was built (readings.FixedSizes)
    fixed_sizes: dict[int, Any] = field(default_factory=dict)
    #: attributes assigned outside ``__init__``: (class, name) for ``self.batch_size = x.size(0)`` in
    #: a method, (None, name) for ``model.batch_size = len(batch)`` anywhere
    reassigned_attributes: set[tuple[str | None, str]] = field(default_factory=set)
    #: a fixed ``self.batch_size`` (by id of the expression) → the class it was read in
    fixed_owners: dict[int, str] = field(default_factory=dict)
    #: a recurrent state handled as the other family's (readings.StateKind, RNN107)
    state_kinds: list[Any] = field(default_factory=list)

    def escapes(self, construction: Construction) -> bool:
        if id(construction) in self.escaped:
            return True
        owner = construction.owner_class
        seen: set[str] = set()
        while owner is not None and owner not in seen:
            seen.add(owner)
            info = self.classes.get(owner)
            if owner in self.escaped_classes or (info is not None and info.unknown_base):
                return True
            owner = self._holder_of(owner)
        return False

    def default_holds(self, construction: Construction, parameter: str) -> Any:
        """``construction.by_default(parameter)``, unless the value comes from a parameter of its
        class's ``__init__`` that code of this file passes (or may pass, through a splat or a
        subclass with its own ``__init__``) something other than that default: then UNKNOWN.
        Instantiations in other files stay unseen."""
        value = construction.config.get(parameter, UNKNOWN)
        default = construction.by_default(parameter)
        if not isinstance(value, Opaque) or default is contract.UNKNOWN:
            return default
        owner = init_parameter(value.key)
        info = self.classes.get(owner[0]) if owner is not None else None
        if info is None or "__init__" not in info.methods:
            return default
        class_name, name = owner
        params = info.methods["__init__"].params
        positional = [p.name.value for p in list(params.posonly_params) + list(params.params)][1:]
        position = positional.index(name) if name in positional else None
        subclasses = {c.name for c in self.classes.values() if class_name in c.in_file_bases}
        if any("__init__" in self.classes[c].methods for c in subclasses):
            return contract.UNKNOWN
        made_here = self._instantiations_by_class
        for made in [made for name in (class_name, *subclasses) for made in made_here.get(name, ())]:
            if any(arg.star for arg in made.node.args):
                return contract.UNKNOWN
            passed = made.kwargs.get(name, UNKNOWN if name in made.kwargs else None)
            if passed is None and position is not None and position < len(made.args):
                passed = made.args[position]
            if passed is not None and plain(passed) != default:
                return contract.UNKNOWN
        return default

    def _holder_of(self, class_name: str) -> str | None:
        """A class of this file whose instances hold an instance of ``class_name`` (one level up)."""
        return self._holders.get(class_name)

    # Indexes for the rules' queries, built once the facts are complete (rules run after the
    # interpreter): a file of n model classes must not cost n * n.
    @cached_property
    def _holders(self) -> dict[str, str]:
        from rnn_lint.facts.values import Instance

        holders: dict[str, str] = {}
        for info in self.classes.values():
            for value in info.attributes.values():
                if isinstance(value, Instance):
                    holders.setdefault(value.class_name, info.name)
        return holders

    @cached_property
    def _instantiations_by_class(self) -> dict[str, list[Instantiation]]:
        by_class: dict[str, list[Instantiation]] = {}
        for made in self.instantiations:
            by_class.setdefault(made.class_name, []).append(made)
        return by_class

    def sites(self) -> list[list[Construction]]:
        """The constructions grouped by the call that makes them: one each, except for a run-time
        choice of class (``RNNS[kind](...)``), which is one construction per possible kind."""
        by_node: dict[int, list[Construction]] = {}
        for construction in self.constructions:
            by_node.setdefault(id(construction.node), []).append(construction)
        return list(by_node.values())

    def owner_includes(self, owner: Owner, construction: Construction) -> bool:
        if any(candidate is construction for candidate in owner.constructions):
            return True
        if owner.constructions:
            return False
        return owner.any_family in (None, construction.family)

    @cached_property
    def uses_accelerator(self) -> bool:
        """The file moves something to a GPU (``.cuda()``, ``torch.device(...)``, ``"cuda"`` …)."""
        from rnn_lint.facts.devices import uses_accelerator

        return uses_accelerator(self.source if self.source is not None else self.module.code)

    @cached_property
    def attribute_uses(self) -> Any:
        """How often each attribute name is stored and read in the file (initial_states.py)."""
        from rnn_lint.facts.initial_states import attribute_uses

        return attribute_uses(self.code)

    @cached_property
    def code(self) -> str:
        """The file's text (generated once from the tree, for the few facts read off the text)."""
        return self.module.code

    @cached_property
    def stale_carries(self) -> list[Any]:
        """States carried across a loop that calls backward() without a detach (carried_states.py)."""
        from rnn_lint.facts.carried_states import stale_carries

        if not self.trains or not (self.state_bindings or self.instance_calls):
            return []  # nothing calls backward(), or nothing returns a state: nothing is stale
        return stale_carries(self)

    @property
    def families(self) -> set[str]:
        return {construction.family for construction in self.constructions}


__all__ = [
    "Axis",
    "ClassInfo",
    "Construction",
    "FileFacts",
    "Indexing",
    "ModuleCall",
    "ParamWrite",
    "Reshape",
    "as_sym",
    "directions_of",
    "plain",
]
