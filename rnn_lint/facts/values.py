"""The abstract values the facts layer computes for expressions.

Every expression evaluates to one of these. The guiding rule is *known or unknown*: a value is
either pinned down (a literal, a module constant, arithmetic over those), tied to a named source
whose value we do not know but whose *identity* we do (a constructor parameter, ``cfg.layers``),
or ``UNKNOWN``. Rules only ever report on the first two kinds.

Numbers are monomials, ``coeff * s1 * s2 * …`` over symbols, which is all the arithmetic that
shape code does: ``num_layers * 2``, ``self.hidden_size * num_directions``, ``n // 4``. Two
expressions mean the same size when their monomials are equal, e.g. ``self.num_layers`` in
``forward`` and ``num_layers=num_layers`` in ``__init__`` after ``self.num_layers = num_layers``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rnn_lint.facts.model import Construction


class _Unknown:
    """The value of anything the analysis cannot follow. Falsy for convenience in `or` chains."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()

#: The symbol of "the batch size", wherever it came from (x.size(0) of a batch-first input,
#: h_n.size(1), a variable called batch_size …).
BATCH = "B"
#: The symbol of "the sequence length".
TIME = "T"

_fresh = itertools.count()
_links = itertools.count(1)


def new_link() -> int:
    """A fresh identity for a parameter reached through a loop (pairs a name with its tensor)."""
    return next(_links)


def fresh_symbol(prefix: str) -> str:
    """A symbol no expression can ever equal (an unknown whose identity we do not know)."""
    return f"{prefix}#{next(_fresh)}"


#: The prefix of an integer whose value is unknown: ``i`` in ``for i in range(n)``, ``2 * i + 1``.
INDEX = "index"


def some_index() -> Sym:
    """A fresh integer of unknown value: indexing with it picks one row, which one is unknown."""
    return Sym.of(fresh_symbol(INDEX))


def is_index(value: Any) -> bool:
    """An integer of unknown value built from loop counters (``2 * i``), not a size."""
    return (
        isinstance(value, Sym)
        and bool(value.symbols)
        and value.coeff.denominator == 1
        and all(symbol.startswith(f"{INDEX}#") for symbol in value.symbols)
    )


@dataclass(frozen=True)
class Const:
    """A value known exactly: int, float, bool, str or None."""

    value: Any


@dataclass(frozen=True)
class Sym:
    """A number ``coeff * product(symbols)``. ``default`` is its value when every symbol takes its
    parameter default (None when some symbol has no default): rules that accept defaults read it.
    """

    coeff: Fraction
    symbols: tuple[str, ...] = ()
    default: Fraction | None = field(default=None, compare=False)
    #: the expression that fixed this batch size when the model was built (``self.batch_size``
    #: read from ``__init__``), None for any other size (see readings.py, RNN107)
    fixed: Any = field(default=None, compare=False)

    @staticmethod
    def of(symbol: str, default: Any = None) -> Sym:
        usable = isinstance(default, (int, float)) and not isinstance(default, bool)
        return Sym(Fraction(1), (symbol,), Fraction(default) if usable else None)

    @staticmethod
    def number(value: int | float | Fraction) -> Sym:
        return Sym(Fraction(value), (), Fraction(value))

    @property
    def known(self) -> bool:
        return not self.symbols

    @property
    def value(self) -> Fraction | None:
        return self.coeff if not self.symbols else None

    def __mul__(self, other: Sym) -> Sym:
        default = self.default * other.default if self.default is not None and other.default is not None else None
        return Sym(self.coeff * other.coeff, tuple(sorted(self.symbols + other.symbols)), default)

    def divide(self, other: Sym) -> Sym | None:
        """self / other when it is again a monomial (every symbol of other appears in self)."""
        if other.coeff == 0:
            return None
        remaining = list(self.symbols)
        for symbol in other.symbols:
            if symbol not in remaining:
                return None
            remaining.remove(symbol)
        default = self.default / other.default if self.default is not None and other.default not in (None, 0) else None
        return Sym(self.coeff / other.coeff, tuple(remaining), default)

    def has(self, symbol: str) -> bool:
        return symbol in self.symbols

    def describe(self) -> str:
        if not self.symbols:
            return _number(self.coeff)
        names = "*".join(s.split(":", 1)[-1] for s in self.symbols)
        return names if self.coeff == 1 else f"{_number(self.coeff)}*{names}"


def _number(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))


ONE = Sym.number(1)
MINUS_ONE = Sym.number(-1)


@dataclass(frozen=True)
class Opaque:
    """A non-numeric value known by identity only: a bool/str parameter (``bidirectional``), or
    an attribute chain on an object we cannot see (``cfg.bidirectional``)."""

    key: str
    default: Any = None


def init_parameter(key: str) -> tuple[str, str] | None:
    """(class, parameter) of the key the interpreter gives a parameter of a class's ``__init__``
    (``Decoder.__init__:n_layers``); None for any other key."""
    function, _, parameter = key.rpartition(":")
    class_name, _, method = function.rpartition(".")
    return (class_name, parameter) if method == "__init__" and class_name else None


@dataclass(frozen=True)
class FloatNumber:
    """A number that is certainly a float though its value is unknown: ``hidden / 2``."""


@dataclass(frozen=True)
class TupleValue:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class ListValue:
    """A list, ``nn.ModuleList``, ``nn.Sequential`` or dict of modules: what was put in it.
    ``exact`` when the items are known in order (a literal); otherwise only which values may be
    in it (a comprehension, or appends in a loop)."""

    items: tuple[Any, ...]
    exact: bool = True

    def element(self) -> Any:
        """The value one iteration (or an unknown index) gives."""
        return merge_all(self.items)


def sequence_items(value: Any) -> tuple[Any, ...] | None:
    """The items of a tuple, an exactly known list, or a followed size."""
    if isinstance(value, TupleValue) or (isinstance(value, ListValue) and value.exact):
        return value.items
    if isinstance(value, Size) and value.items is not None:
        return value.items
    return None


# --- modules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleRef:
    """A recurrent module object: one construction, or several when the code picks one at run
    time (``self.rnn = nn.LSTM(...) if cell == "lstm" else nn.GRU(...)``)."""

    candidates: tuple[Construction, ...]

    @property
    def only(self) -> Construction | None:
        return self.candidates[0] if len(self.candidates) == 1 else None


@dataclass(frozen=True)
class AnyRecurrent:
    """Some recurrent module of a known family we cannot pin to a construction, e.g. ``m`` inside
    ``if isinstance(m, nn.LSTM):`` in an ``apply`` callback. Parameter writes through it may
    concern any LSTM of the file."""

    family: str  # "LSTM", "GRU", "RNN"


@dataclass(frozen=True)
class Instance:
    """An object of a class defined in this file (``self`` inside it, ``model = Net()``)."""

    class_name: str


# --- tensors ------------------------------------------------------------------------------

#: Axis labels, each relative to the module a tensor came from.
#:   LD: layers*directions (the state's first axis); L, D: once split; B: batch; T: time;
#:   H: H_out (a state's or one direction's features); DH: D*H_out (output features);
#:   LDA: L, D or L*D, which one cannot be told (they are equal);
#:   KH: a multiple of H_out that may be more than one H (2*H, D*H …);
#:   SB: several (B, …) blocks joined on their batch axis (``torch.cat([h[0], h[1]], dim=0)``):
#:       block-major rows, each block one row per sample; ?: anything else.
LABELS = ("LD", "L", "D", "LDA", "B", "T", "H", "DH", "KH", "SB", "?")


@dataclass(frozen=True)
class Axis:
    label: str
    size: Any  # Sym or UNKNOWN
    #: "B" when the expression that sized this axis is named like a batch size
    #: (``torch.zeros(batch_size, ...)``) even though its value is unknown.
    hint: str | None = None


@dataclass(frozen=True)
class Tensor:
    """A tensor whose layout we follow.

    ``module`` is the construction it belongs to (whose configuration gives meaning to L, D, H);
    ``role`` is what it is: "output", "h", "c" (final states), "created" (a tensor the user built,
    whose axes are classified once we see which module it is fed to), "cell-state" (a cell's h/c).
    """

    role: str
    module: Construction | None
    axes: tuple[Axis, ...] | None
    #: where a tensor the user created was made (``torch.zeros(...)``), for reporting there
    origin: Any = field(default=None, compare=False)
    #: "default" for a factory-made tensor without ``device=`` (the CPU); None when unknown
    #: or following another tensor (see devices.py)
    device: str | None = None
    #: cut from the autograd graph (``.detach()``, ``.data``): carrying it across batches is fine
    detached: bool = field(default=False, compare=False)
    #: why this output is known to be a padded batch (packing.Unpack/LengthsKnown), else None
    padding: Any = field(default=None, compare=False)
    #: the indexing (model.Indexing) this tensor was read by, kept while it is followed (RNN107)
    read: Any = field(default=None, compare=False)
    #: the tensor whose axes ``permute``/``transpose`` put in this one's order (the same values):
    #: ``out.transpose(0, 1)[:, -1]`` still reads the module's whole output (RNN104)
    reordered_from: Any = field(default=None, compare=False)

    def with_axes(self, axes: tuple[Axis, ...] | None) -> Tensor:
        return replace(self, axes=axes, reordered_from=None)

    def axis_index(self, label: str) -> int | None:
        if self.axes is None:
            return None
        for index, axis in enumerate(self.axes):
            if axis.label == label:
                return index
        return None


@dataclass(frozen=True)
class PackedSequence:
    """A PackedSequence: an RNN's input from pack_padded_sequence, or its output. ``source`` names
    the padded tensor it was packed from and ``batch_first`` that tensor's layout, so its sizes can
    still be read as the batch size."""

    module: Construction | None = None
    source: str | None = None
    batch_first: bool | None = None
    #: the pack_padded_sequence call that made it (packing.Pack), carried through the module
    pack: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class RecurrentClass:
    """One of several recurrent module classes, chosen at run time:
    ``{"lstm": nn.LSTM, "gru": nn.GRU}[kind]`` or ``nn.LSTM if cell == "lstm" else nn.GRU``."""

    kinds: tuple[str, ...]


#: What ``model.state_dict()`` gives: restoring it later (early stopping) loads no trained weights.
OWN_STATE = Opaque("own-state-dict")


@dataclass(frozen=True)
class Size:
    """``t.size()``/``t.shape``: indexable and unpackable. ``items`` when the tensor is followed;
    otherwise ``prefix`` names per-axis symbols of an input we know only by name
    (``B, T, _ = x.shape`` gives B the symbol ``<prefix>:0``)."""

    items: tuple[Any, ...] | None = None
    prefix: str | None = None

    def item(self, index: int) -> Any:
        if self.items is not None:
            return self.items[index] if -len(self.items) <= index < len(self.items) else UNKNOWN
        if self.prefix is not None and index >= 0:
            return Sym.of(f"{self.prefix}:{index}")
        return UNKNOWN


@dataclass(frozen=True)
class Iterable:
    """Something a ``for`` loop walks, with the value each iteration binds:
    ``lstm.named_parameters()`` binds (ParamName, Param)."""

    element: Any


# --- parameters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """Whose parameters these are. ``constructions`` empty and ``any_family`` set means "some
    module of that family in this file" (a model-wide loop)."""

    constructions: tuple[Construction, ...] = ()
    any_family: str | None = None


@dataclass(frozen=True)
class ParamName:
    """A parameter's name from named_parameters()/_all_weights, refined by tests on it."""

    owner: Owner
    kind: str | None  # "bias", "weight" or None when not yet known
    link: int  # pairs the name with its tensor in `for name, p in m.named_parameters()`


@dataclass(frozen=True)
class Param:
    """A parameter tensor of a recurrent module (``lstm.bias_hh_l0``, ``p`` in a loop).

    ``unit`` is H, the rows of one gate block, as a monomial (a fresh symbol when the owner's
    hidden size cannot be pinned down); ``gates`` is G (4 for an LSTM) when the family is known,
    so the tensor has G*H rows.
    """

    owner: Owner
    kind: str | None
    #: identity of the tensor: one per loop variable, or per module attribute (``bias_ih_l0``)
    link: int | str | None = None
    unit: Any = UNKNOWN
    gates: int | None = None

    def refined(self, kind: str | None) -> Param:
        return replace(self, kind=kind)


@dataclass(frozen=True)
class ParamSlice:
    """Rows [start, stop) of a parameter, in units of H (a gate block) when they can be known:
    (1, 2) is the LSTM forget gate. ``None`` bounds mean they could not be determined."""

    param: Param
    start: Fraction | None
    stop: Fraction | None


#: The value written by a random initialiser (nn.init.orthogonal_, uniform_, …): not a constant.
RANDOM = Opaque("random-init")


@dataclass(frozen=True)
class FunctionRef:
    """A function (or method, with ``bound`` self) defined in this file: calls inline it."""

    node: Any  # cst.FunctionDef
    class_name: str | None = None
    bound: Any = None
    outer: Any = None  # the frame it closes over


@dataclass(frozen=True)
class ClassRef:
    name: str


@dataclass(frozen=True)
class TorchLayer:
    """A non-recurrent ``torch.nn`` layer the analysis knows about: ``nn.Linear`` (with the size
    its input must end with) and layers that keep their input's shape (dropout, activations)."""

    kind: str  # "Linear", "Dropout", "ReLU", …
    in_features: Any = UNKNOWN  # Linear only: a Sym, or UNKNOWN


@dataclass(frozen=True)
class ImportRef:
    path: str


def merge(a: Any, b: Any) -> Any:
    """The value of a variable after two control-flow paths: kept when both agree. A state that
    is None on one path (``if self.hidden is None: self.hidden = init()``) keeps the other."""
    if a is b or a == b:
        return b if isinstance(a, Sym) and a.fixed is not None else a
    if a == Const(None) and isinstance(b, (Tensor, TupleValue)):
        return b
    if b == Const(None) and isinstance(a, (Tensor, TupleValue)):
        return a
    if (a == Const(None) and b == OWN_STATE) or (b == Const(None) and a == OWN_STATE):
        return OWN_STATE  # best_state = None; ... best_state = copy.deepcopy(model.state_dict())
    kinds = _recurrent_kinds(a) + _recurrent_kinds(b)
    if _recurrent_kinds(a) and _recurrent_kinds(b):
        return RecurrentClass(tuple(dict.fromkeys(kinds)))
    if isinstance(a, ListValue) and isinstance(b, ListValue):  # appends in a loop or a branch
        items: list[Any] = []
        for item in a.items + b.items:
            if not any(item is kept or item == kept for kept in items):
                items.append(item)
        return ListValue(tuple(items), exact=False)
    if isinstance(a, ModuleRef) and isinstance(b, ModuleRef):
        seen = dict.fromkeys(a.candidates + b.candidates)
        return ModuleRef(tuple(seen))
    return UNKNOWN


def merge_all(values: Sequence[Any]) -> Any:
    """The value after any of several paths (or items): ``merge`` folded over them."""
    if not values:
        return UNKNOWN
    result = values[0]
    for value in values[1:]:
        result = merge(result, value)
    return result


def _recurrent_kinds(value: Any) -> tuple[str, ...]:
    """The recurrent classes a value may be: ``nn.LSTM`` (an import) or a RecurrentClass."""
    from rnn_lint.contract import RECURRENT_KINDS

    if isinstance(value, RecurrentClass):
        return value.kinds
    if isinstance(value, ImportRef) and value.path.startswith("torch.nn."):
        kind = value.path[len("torch.nn.") :]
        return (kind,) if kind in RECURRENT_KINDS else ()
    return ()


# --- arithmetic and iteration on values ------------------------------------------------------


def is_numeric(value: Any) -> bool:
    if isinstance(value, Const):
        return (
            isinstance(value.value, (int, float))  # bools count: True is 1 to PyTorch
        )
    return isinstance(value, (Sym, Opaque)) or value is UNKNOWN


def python_number(value: Any) -> Any:
    if isinstance(value, Sym) and value.known:
        return int(value.coeff) if value.coeff.denominator == 1 else float(value.coeff)
    if isinstance(value, Const) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
        return value.value
    return None


def const_arithmetic(left: Any, right: Any, operation) -> Any:
    a, b = python_number(left), python_number(right)
    if a is None or b is None:
        return UNKNOWN
    try:
        result = operation(a, b)
    except (ZeroDivisionError, OverflowError, ValueError, TypeError):
        return UNKNOWN
    if isinstance(result, float):
        return Const(result)
    return Sym.number(result)


def is_empty_sequence(value: Any) -> bool:
    """``[]`` or ``()``."""
    return isinstance(value, (TupleValue, ListValue)) and value.items == () and getattr(value, "exact", True)


def joined_parameters(left: Any, right: Any) -> Iterable | None:
    """``list(self.embedding.parameters()) + list(self.rnn.parameters())``: an iteration over
    the sum meets the recurrent module's parameters (and others, which no rule asks about);
    None when neither side holds any."""
    sides = [side for side in (left, right) if not is_empty_sequence(side)]
    elements = [element_of(side) for side in sides]
    if any(side is not UNKNOWN and element is UNKNOWN for side, element in zip(sides, elements)):
        return None  # a number, a tensor: no list is joined
    params = [element for element in elements if isinstance(element, Param)]
    if not params or len(params) != len([e for e in elements if e is not UNKNOWN]):
        return None
    # the parameters of a known recurrent module are what the rules ask about; those of a module
    # the analysis cannot pin down (``self.rnn`` an LSTM or an SRU) may be anyone's, as in a loop
    # over its ``parameters()`` alone
    owned = [param for param in params if param.owner.constructions] or params[:1]
    if len(owned) == 1:
        return Iterable(owned[0])
    constructions = tuple(dict.fromkeys(c for param in owned for c in param.owner.constructions))
    units = {param.unit for param in owned}
    gates = {param.gates for param in owned}
    return Iterable(
        Param(
            Owner(constructions),
            owned[0].kind if len({param.kind for param in owned}) == 1 else None,
            new_link(),
            units.pop() if len(units) == 1 else UNKNOWN,
            gates.pop() if len(gates) == 1 else None,
        )
    )


def element_of(iterable: Any) -> Any:
    if isinstance(iterable, Iterable):
        return iterable.element
    if isinstance(iterable, ListValue):
        return iterable.element()
    if isinstance(iterable, TupleValue):
        return merge_all(iterable.items)
    return UNKNOWN
