"""What the rest of the project tells the interpreter about one file (the project index's view).

The interpreter asks five questions here, and nowhere else crosses files:

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
  file (``foreign_forward``, ``foreign_models.py``) and whose recurrent results come back as
  tensors of a ``ForeignConstruction``: the shape rules then see what this file does with the encoder's
  ``h_n`` (``hidden[-1]`` of a bidirectional encoder, ``hidden.view(batch, -1)``).

- ``class_factory``: how a function of another file picks the recurrent class it returns
  (``def make_rnn(kind): return nn.LSTM if kind == "lstm" else nn.GRU``), so that
  ``make_rnn("lstm")(...)`` builds an LSTM here when the argument is known (``chosen_class``);
  ``class_table``: a dict of recurrent classes imported from another file (``RNNS[kind](...)``).

``digest`` sums up every answer the file can get, for caching the file's results.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from rnn_lint.facts.values import UNKNOWN, Const, Instance, Opaque, python_number
from rnn_lint.project.index import (
    UNKNOWN_VALUE,
    ProjectIndex,
    Site,
    Symbol,
    adds_no_code,
    digest,
    fingerprint,
    is_torch_module,
    parameter_at,
)
from rnn_lint.project.summary import is_command_line_note


class SiteArguments(NamedTuple):
    """What one construction of a project class gives some of its parameters (``constructions``)."""

    values: dict[str, SiteValue | None]
    #: the instance may get weights from a checkpoint (``ProjectIndex.weights_loaded``)
    weights_loaded: bool
    #: the parameters whose argument the construction writes with a value the index cannot know
    #: (``dropout=args.dropout_ratio`` in a class whose own constructions cannot all be seen)
    written_unknown: frozenset[str] = frozenset()


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

    @property
    def overridable(self) -> bool:
        """Some site gives it as a command-line option's default (``--layers``, default 1): the
        configuration of a plain run, not the only one that runs (see ``OptionDefault``)."""
        return any(is_command_line_note(site.note) for site in self.sites)

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


@dataclass(frozen=True)
class OptionDefault(Opaque):
    """A constructor parameter that the project's constructions give a command-line option's
    default (``Encoder(args.n_layers)``, ``--n_layers`` defaulting to 1): run as an unknown value
    whose default is that value, as a parameter's own default is when a file is linted alone, so
    that code for other values (``h_n.view(B, -1)``, harmless with one layer) is still checked;
    ``given`` names the sites for a rule that reports what a plain run does (RNN301)."""

    given: SiteValue | None = None
    #: computed from an option (``0 if config.n_layers == 1 else p``): ``given`` holds the value
    #: a plain run computes, not one a site gives (``site_values`` leaves it out)
    derived: bool = False


def chosen_by_option(option: OptionDefault, plain: Any, otherwise: Any = UNKNOWN) -> Any:
    """A value computed from a command-line option's default (a comparison of it, a branch it
    chooses): unknown, but ``plain`` in a plain run when that is a constant; else ``otherwise``."""
    value = plain.value if isinstance(plain, Const) else python_number(plain)  # (a number is a Sym)
    if value is None or option.given is None:
        return otherwise
    given = option.given
    computed = SiteValue(value, given.parameter, given.sites, given.where)
    return OptionDefault(f"{option.key}:computed", value, computed, derived=True)


def site_values(*values: Any) -> list[SiteValue]:
    """The values among ``values`` that the project's construction sites give (directly, or as
    the option defaults of ``OptionDefault``)."""
    found = []
    for value in values:
        if isinstance(value, OptionDefault):
            if value.derived:
                continue
            value = value.given
        if isinstance(value, SiteValue):
            found.append(value)
    return found


def in_plain_run(value: Any) -> Any:
    """A construction's argument as a plain run of the project gives it: a command-line
    option's default counts (``OptionDefault``); else the value itself."""
    return value.given if isinstance(value, OptionDefault) else value


@dataclass
class BaseClass:
    """A base class from another project file."""

    name: str
    #: attribute → the recurrent classes its ``__init__`` may assign (``self.rnn_cell = nn.LSTM``)
    recurrent_attributes: dict[str, tuple[str, ...]]
    #: its own code (or an ancestor's) may set parameters, or an ancestor cannot be seen
    opaque: bool


@dataclass(frozen=True)
class HeldInstance(Instance):
    """An instance of a class of this file that every construction of its holder passes in
    (``Seq2Seq(Encoder(...), ...)`` with both classes here): run as any instance, its raw
    recurrent results named for the path the holder reaches them by."""

    #: where those instances are built ("train.py:40"), for messages
    where: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForeignModel:
    """An instance of a project class defined in another file, held by a class of this file:
    every construction of the holder passes one (``Seq2Seq(encoder, decoder)``)."""

    symbol: Symbol
    #: where those instances are built ("train.py:40"), for messages
    where: tuple[str, ...]


@dataclass
class ForeignForward:
    """What a foreign model's ``forward`` returns, run in its own file: the value, the recurrent
    calls whose results it may hold, and what the sizes of its first input are (``BATCH``/``TIME``
    by axis) when that input reaches a recurrent module."""

    value: Any
    calls: list[Any]  # model.ModuleCall
    input_axes: dict[int, str] = field(default_factory=dict)


#: Files whose foreign forward is being run now (a model holding a model of a file that holds
#: one of the first file's: stop there).
_RUNNING: set[str] = set()
#: Per index, the foreign forwards run so far and the interpreter of each file that ran them:
#: every holder of an encoder, in whichever file, reuses one run of the encoder's file.
_RUNS: weakref.WeakKeyDictionary[ProjectIndex, tuple[dict[Symbol, Any], dict[str, Any]]] = weakref.WeakKeyDictionary()


#: What ``ProjectView.digest`` is for a file the index did not summarise.
_TOLD_NOTHING = fingerprint({})


def told(index: ProjectIndex, path: str) -> str:
    """``ProjectView(index, path).digest()`` (``path``: absolute and normalised), without making
    a view for each of the many files the index did not summarise: the project tells them
    nothing."""
    stored = index.stored_answer(path)
    if stored is not None:
        return stored
    if path not in index.summaries:
        return _TOLD_NOTHING
    return ProjectView(index, path).digest()


class ProjectView:
    """The index seen from one file (``path``: absolute)."""

    def __init__(self, index: ProjectIndex, path: str) -> None:
        self.index = index
        self.path = os.path.abspath(path)
        self._answers: dict[str, Any] = {}
        if index not in _RUNS:
            _RUNS[index] = ({}, {})
        #: foreign forwards run, and the interpreters that ran other files (one per file,
        #: whichever of its classes is asked), shared by the views of one index
        self._forwards, self._interpreters = _RUNS[index]

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
        return bool(self._class_factories())  # make_rnn(cell)(...) with make_rnn in another file

    # --- constructor parameters -------------------------------------------------------------
    def constructor_value(self, class_name: str, parameter: str, kind: str = "class") -> SiteValue | None:
        """``kind`` "function": a parameter of a module function of this file (a factory that
        builds a recurrent module), which takes the value all its calls give it."""
        sites = self.index.parameter_sites(Symbol(kind, self.path, class_name), parameter)
        answer = None
        if sites and all(site.value is not UNKNOWN_VALUE for site in sites):
            first = sites[0].value
            if all(type(site.value) is type(first) and site.value == first for site in sites):
                where = tuple(dict.fromkeys(self.index.place(site.path, site.line) for site in sites))
                answer = SiteValue(first, parameter, tuple(sites), where)
        self._answers[f"param:{kind}:{class_name}.{parameter}"] = (
            None if answer is None else [answer.value, answer.where]
        )
        return answer

    def constructions(self, class_name: str, parameters: tuple[str, ...]) -> list[SiteArguments] | None:
        """Each construction of ``class_name`` in the project, with the value it gives each of
        ``parameters`` (None where unknown): for a rule that can tell which constructions are
        wrong when they disagree. None when the project cannot list them."""
        symbol = Symbol("class", self.path, class_name)
        columns = [self.index.parameter_sites(symbol, parameter) for parameter in parameters]
        if not columns or any(column is None for column in columns):
            return None
        out = []
        for sites in zip(*columns):
            where = (self.index.place(sites[0].path, sites[0].line),)
            values = {
                parameter: None if site.value is UNKNOWN_VALUE else SiteValue(site.value, parameter, (site,), where)
                for parameter, site in zip(parameters, sites)
            }
            written = frozenset(p for p, site in zip(parameters, sites) if site.written and site.value is UNKNOWN_VALUE)
            loaded = self.index.weights_loaded(symbol, sites[0].path, sites[0].line)
            out.append(SiteArguments(values, loaded, written))
        return out

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
            # Encoder(...), make_encoder(...) returning one, an instance imported from a module
            made = self.index.instance_given(path, given) if given is not None else None
            if made is None or found not in (None, made[0]):
                return None
            found = made[0]
            places.extend(self.index.place(site, line) for site, line in made[1])
        return (found, tuple(dict.fromkeys(places))) if found is not None else None

    def foreign_forward(self, symbol: Symbol) -> ForeignForward | None:
        """Run ``forward`` of the project class ``symbol`` (defined in another file) in its own
        file, as the interpreter runs any method there; None when it cannot be run."""
        if symbol not in self._forwards:
            self._forwards[symbol] = None
            if symbol.path not in _RUNNING:
                _RUNNING.add(symbol.path)
                try:
                    from rnn_lint.facts.foreign_models import run_forward  # loads libcst

                    self._forwards[symbol] = run_forward(self.index, symbol, self._interpreters)
                finally:
                    _RUNNING.discard(symbol.path)
        return self._forwards[symbol]

    # --- factories of recurrent classes -----------------------------------------------------
    def class_factory(self, dotted: str) -> dict[str, Any] | None:
        """How the project function ``dotted`` names in this file picks the recurrent class it
        returns (``summary._class_choice``), when it is defined in another file."""
        symbol = self.index.symbol(self.path, dotted)
        info = self.index.function_summary(symbol) if symbol is not None and symbol.path != self.path else None
        answer = info.get("returns_class") if info is not None else None
        self._answers[f"factory:{dotted}"] = answer
        return answer

    def class_table(self, name: str) -> dict[str, str] | None:
        """The dict of recurrent classes ``name`` imports from another project file (``from
        cells import RNNS``), key → class."""
        summary = self.index.summaries.get(self.path)
        origin = summary["imports"].get(name) if summary is not None else None
        answer = None
        if origin is not None and origin[1] is not None:
            module, imported, level = origin
            file = self.index.resolver.resolve(self.path, module, level)
            other = self.index.summaries.get(file) if file is not None and file != self.path else None
            if other is not None:
                answer = other.get("class_tables", {}).get(imported)
        self._answers[f"table:{name}"] = answer
        return answer

    def _class_factories(self) -> dict[str, dict[str, Any]]:
        """The factories of recurrent classes this file calls, by the name it calls them."""
        summary = self.index.summaries.get(self.path)
        found: dict[str, dict[str, Any]] = {}
        for call in summary["calls"] if summary is not None else ():
            choice = self.class_factory(call["callee"])
            if choice is not None:
                found[call["callee"]] = choice
        for name in summary["imports"] if summary is not None else ():
            table = self.class_table(name)
            if table is not None:
                found[f"{name}[]"] = {"table": table}
        return found

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
                summary = self.index.summaries.get(symbol.path)
                if not (is_torch_module(base_name, summary) or adds_no_code(base_name, summary)):
                    opaque = True
                continue
            opaque = self._collect(base, attributes, seen) or opaque
        return opaque

    # --- weights ----------------------------------------------------------------------------
    def leaves_weights(self, dotted: str) -> bool:
        """Whether the project class ``dotted`` names in this file (defined in another file) can
        neither set nor load the parameters of a module handed to it: no method of it or of a
        base of it (a torch module, ``ABC`` or such a project class) initialises or loads
        anything. awd-lstm's ``WeightDrop(rnn, ["weight_hh_l0"])`` only moves a weight, so the
        LSTM it wraps keeps PyTorch's biases."""
        symbol = self.index.symbol(self.path, dotted)
        answer = (
            symbol is not None
            and symbol.kind == "class"
            and symbol.path != self.path
            and not self._collect(symbol, {}, set())
        )
        self._answers[f"leaves:{dotted}"] = answer
        return answer

    def function_leaves(self, dotted: str, handed: list[int | str]) -> bool:
        """Whether the project function ``dotted`` names in this file (defined in another file)
        sets none of the weights of the models handed to it at ``handed`` (positions and
        keywords): a training loop or ``evaluate(model, loader)`` in utils.py, which leaves the
        LSTM to RNN201 as the same helper written in this file does."""
        found = self._function_elsewhere(dotted)
        if found is None or not handed:
            return False
        symbol, info = found
        names = [parameter_at(info["params"], where) for where in handed]
        return all(name is not None and self.index.leaves_parameter(symbol, name) for name in names)

    def _helpers(self, summary: dict[str, Any]) -> dict[str, list[str]]:
        """For each project function of another file that this file calls, the parameters it sets
        none of the weights of (what ``function_leaves`` answers from)."""
        answers = {}
        for callee in _callees(summary):
            found = self._function_elsewhere(callee)
            if found is not None:
                symbol, info = found
                params = [*info["params"]["positional"], *info["params"]["keyword_only"]]
                answers[callee] = [name for name in params if self.index.leaves_parameter(symbol, name)]
        return answers

    def _function_elsewhere(self, dotted: str) -> tuple[Symbol, dict[str, Any]] | None:
        """The project function of another file that ``dotted`` names here, with its summary."""
        symbol = self.index.symbol(self.path, dotted)
        info = self.index.function_summary(symbol) if symbol is not None and symbol.path != self.path else None
        return None if info is None else (symbol, info)

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
        stored = self.index.stored_answer(self.path) if depth == 0 else None
        if stored is not None:  # the tree is as when a run before computed it
            return stored
        summary = self.index.summaries.get(self.path)
        questions: dict[str, Any] = {}
        if summary is not None:
            for name, info in summary["classes"].items():
                for parameter in [*_parameters(info), *info["parameter_attributes"]]:
                    value = self.constructor_value(name, parameter)
                    questions[f"{name}.{parameter}"] = None if value is None else [repr(value.value), value.where]
                    # each construction's own value (``constructions``), which counts when they disagree
                    sites = self.index.parameter_sites(Symbol("class", self.path, name), parameter)
                    questions[f"{name}.{parameter}:sites"] = [
                        [
                            site.path,
                            site.line,
                            "?" if site.value is UNKNOWN_VALUE else repr(site.value),
                            site.note,
                            site.written,
                        ]
                        for site in sites or ()
                    ]
                    if "." in parameter:
                        continue  # an attribute of a parameter (``args.n_layers``) holds no submodule
                    held = self.submodule(name, parameter)
                    if held is not None:  # of this file or (with its text) of another
                        told = self._file_digest(held[0], depth) if held[0].path != self.path else []
                        questions[f"{name}.{parameter}:held"] = [held[0].name, held[1], *told]
                questions[f"weights:{name}"] = self.weights_from_elsewhere(name)
                symbol = Symbol("class", self.path, name)  # and whether each construction loads weights
                questions[f"loaded:{name}"] = [
                    [path, call["line"], self.index.weights_loaded(symbol, path, call["line"])]
                    for path, call in self.index.sites(symbol) or ()
                ]
                for base in info["bases"]:
                    found = self.base(base)
                    questions[f"base:{base}"] = None if found is None else [found.recurrent_attributes, found.opaque]
            questions["factories"] = self._class_factories()
            questions["wrappers"] = {callee: self.leaves_weights(callee) for callee in _callees(summary)}
            questions["helpers"] = self._helpers(summary)
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


def _callees(summary: dict[str, Any]) -> list[str]:
    """The names the file calls that may be project classes, each once."""
    return sorted({call["callee"] for call in summary["calls"]})


def _parameters(info: dict[str, Any]) -> list[str]:
    params = info["params"] or {"positional": [], "keyword_only": []}
    return [*params["positional"], *params["keyword_only"]]


# --- the interpreter's entry points (each None-safe: a one-file run has no project) --------------


def constructor_value(
    project: ProjectView | None, class_name: str, parameter: str, kind: str = "class"
) -> SiteValue | None:
    return None if project is None else project.constructor_value(class_name, parameter, kind)


def leaves_weights(project: ProjectView | None, dotted: str | None) -> bool:
    return project is not None and dotted is not None and project.leaves_weights(dotted)


def function_leaves(project: ProjectView | None, dotted: str | None, handed: list[int | str]) -> bool:
    return project is not None and dotted is not None and project.function_leaves(dotted, handed)


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
        return HeldInstance(symbol.name, where) if symbol.name in local_classes else None
    return ForeignModel(symbol, where)


def chosen_class(choice: dict[str, Any], value: Any) -> str | None:
    """The recurrent class a factory's ``choice`` returns for its parameter's ``value`` (a plain
    value; None when that is not a string the choice knows)."""
    if choice["param"] is None:
        return choice["otherwise"]
    if not isinstance(value, str):
        return None
    if choice["transform"] == "lower":
        value = value.lower()
    elif choice["transform"] == "upper":
        value = value.upper()
    for literals, kind in choice["cases"]:
        if value in literals:
            return kind
    return choice["otherwise"]


def project_attribute(info: Any, attr: str) -> Any:
    """``self.attr`` of a class read from its bases in other files: a recurrent class it assigns."""
    from rnn_lint.facts.values import RecurrentClass

    for base in info.project_bases:
        kinds = base.recurrent_attributes.get(attr)
        if kinds:
            return RecurrentClass(tuple(kinds))
    return None
