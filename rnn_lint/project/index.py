"""The project index: every file's summary, its imports resolved to files, and the questions that
cross files answered from them.

Building it reads the project's Python files (notebooks as their code cells: ``notebooks.py``)
and summarises (``summary.py``, stdlib ``ast``) only those that can matter, chosen from their
text (``prefilter.py``) in rounds: first the files that build recurrent modules, then the files
that can name a class or function defined there (they mention it and import from a file that
defines or passes it on), then the files that can name a class or function building those.
Summaries are cached by content hash in the on-disk cache, so a warm run parses nothing it
parsed before.
"""

from __future__ import annotations

import functools
import gc
import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnn_lint.cache import Cache, digest
from rnn_lint.project.batch import summarise_many
from rnn_lint.project.notebooks import place, project_text
from rnn_lint.project.prefilter import RECORD_FIELDS, RECORD_FORMAT, TextPrefilter
from rnn_lint.project.root import ModuleResolver
from rnn_lint.project.summary import MODEL_WRAPPERS, is_loader_name
from rnn_lint.reading import read_regular_file

#: Bump when the summary's shape changes (cached summaries of another shape are never read).
SUMMARY_FORMAT = "32"
NAMESPACE = "project-summary"
#: The whole index of an unchanged tree, keyed by every file's path and stat.
SNAPSHOT_NAMESPACE = "project-index"
#: What the project tells each file of an unchanged tree (``ProjectIndex.keep_answers``).
ANSWERS_NAMESPACE = "project-answers"
ANSWERS_FORMAT = "1"
#: The answers' key for every file the index did not summarise (no file has this path).
OTHER_FILES = "\0other files"
#: What the pre-filter found in each file of a root, with the file's stat (one entry per root).
RECORDS_NAMESPACE = "project-files"
#: How far imports are followed through re-exports (``from .encoder import Encoder`` in an
#: ``__init__.py``) before giving up.
MAX_HOPS = 8
#: Rounds of the widening text pre-filter.
MAX_ROUNDS = 3
#: How many factories deep an instance is followed (``make_model()`` returning ``make_encoder()``).
MAX_FACTORY_DEPTH = 3


@dataclass(frozen=True)
class Symbol:
    """A name defined by a project file: ``kind`` is "class", "function", "constant" or "module"."""

    kind: str
    path: str
    name: str


@dataclass(frozen=True)
class Site:
    """One construction of a project class: where, and the value it gives one parameter."""

    path: str
    line: int
    value: Any  # a plain Python value, or UNKNOWN_VALUE
    note: str  # "" or where the value came from ("its default", "the --layers default")
    #: the construction writes the argument as a name the index follows (a parameter of the
    #: enclosing function, ``dropout=args.dropout_ratio``, or an imported name), whether or not
    #: its value is known: unknown, it is still a value and not the default; not a call or an
    #: expression (``p if n > 1 else 0``)
    written: bool = False


class _Sentinel:
    """A marker compared by identity that stays itself in another process: the index is sent to
    the process that analyses a warm run's changed files (``runner._ReadyAnalyser``), and a plain
    ``object()`` or string would arrive as a copy."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        return self.name  # pickled by reference to this module's attribute


UNKNOWN_VALUE = _Sentinel("UNKNOWN_VALUE")

#: What ``_class_covered`` says of a class the project never builds.
NO_INSTANCE = _Sentinel("NO_INSTANCE")


class ProjectIndex:
    def __init__(
        self,
        root: Path,
        summaries: dict[str, dict[str, Any]] | None,
        files: set[str] | None,
        cache: Cache | None = None,
    ) -> None:
        self.root = root
        self.cache = cache
        #: None until needed, on a warm run whose answers were stored (``_read_snapshot``)
        self._summaries = summaries
        self._files = files
        #: the names whose mentions the pre-filter looked for (``_interesting_names``, holders):
        #: only their constructions or calls are all seen
        self._searched: set[str] | None = set() if summaries is not None else None
        self._resolver: ModuleResolver | None = None
        #: the key of the stored index of this tree (None: not stored)
        self.snapshot_key: str | None = None
        #: each indexed file's stat as the build took it (the result cache checks files with
        #: these: one stat per file per run)
        self.file_stats: dict[str, os.stat_result | None] = {}
        #: path → what the project tells it (``ProjectView.digest``), as a run before computed it
        self._stored_answers: dict[str, str] | None = None
        #: how to make the index again when the stored one is gone (a warm run)
        self._rebuild: Callable[[], ProjectIndex] | None = None
        #: files the pre-filter left out, summarised when an import reaches them (a helper module)
        self._reached: set[str] = set()
        #: summarised files whose imports ``_reach_imports`` followed
        self._imports_reached: set[str] = set()
        self._complete = False
        self._prefilter: TextPrefilter | None = None  # while building
        self._symbols: dict[tuple[str, str], Symbol | None] = {}
        self._calls: list[tuple[str, int, dict[str, Any], Symbol | None]] | None = None
        self._opaque: set[Symbol] | None = None
        self._referenced: set[Symbol] | None = None
        self._referenced_by_kind: dict[str, set[Symbol]] = {}
        self._by_callee: dict[Symbol, list[tuple[str, int, dict[str, Any]]]] | None = None
        self._subclasses: dict[Symbol, list[Symbol]] | None = None
        self._covered: dict[Symbol, str | None] = {}
        self._effects: dict[tuple[str, int], str] | None = None
        #: calls whose instance gets weights loaded, not under an ``if`` (with ``_effects``)
        self._loaded: set[tuple[str, int]] = set()
        self._pretrained: dict[Symbol, str] = {}
        self._passed_into: dict[tuple[str, int], list[int]] = {}

    def __getstate__(self) -> dict[str, Any]:
        """What another process analysing files with this index needs: not this run's stats of
        every file, nor the way to rebuild the index (read ``summaries`` before sending it)."""
        state = dict(self.__dict__)
        state.update(file_stats={}, _rebuild=None, _prefilter=None)
        return state

    @property
    def summaries(self) -> dict[str, dict[str, Any]]:
        if self._summaries is None:
            self._read_snapshot()
        assert self._summaries is not None
        return self._summaries

    @property
    def searched(self) -> set[str]:
        if self._searched is None:
            self._read_snapshot()
        assert self._searched is not None
        return self._searched

    def searched_for(self, symbol: Symbol) -> bool:
        """Whether every file that can name ``symbol`` (a class or module function) was read:
        only then are its constructions or calls all seen. A function named as every script's
        (``main``, ``train``) is never looked for — its name says nothing — and its calls are
        taken as those of the files read (``main(args)`` at the bottom of its own script)."""
        return symbol.name in self.searched or (symbol.kind == "function" and symbol.name in _COMMON_NAMES)

    @property
    def files(self) -> set[str]:
        if self._files is None:
            self._read_snapshot()
        assert self._files is not None
        return self._files

    @property
    def resolver(self) -> ModuleResolver:
        if self._resolver is None:
            self._resolver = ModuleResolver(self.root, self.files)
        return self._resolver

    # --- building ---------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        root: Path,
        files: Iterable[str],
        cache: Cache | None = None,
        jobs: int = 1,
        changed: Callable[[], None] | None = None,
        stats: dict[str, os.stat_result] | None = None,
    ) -> ProjectIndex:
        """The index of the project at ``root`` made of ``files``; a cold build summarises each
        round's files on ``jobs`` processes. ``changed`` is called as soon as the build finds
        that the tree is not the one a run before indexed (the runner then starts what it will
        take to analyse the changed files). ``stats``: files' stats the run took already."""
        with _collector_paused():
            return cls._build(root, files, cache, jobs=jobs, changed=changed, stats=stats or {})

    @classmethod
    def _build(
        cls,
        root: Path,
        files: Iterable[str],
        cache: Cache | None,
        use_snapshot: bool = True,
        jobs: int = 1,
        changed: Callable[[], None] | None = None,
        stats: dict[str, os.stat_result] | None = None,
    ) -> ProjectIndex:
        # (the runner's paths are absolute and normalised already: normalising 10,000 costs 20 ms)
        paths = sorted({f if os.path.isabs(f) else os.path.abspath(f) for f in map(str, files)})
        # A warm run over an unchanged tree: every file's stat is as recorded, the index is read
        # back whole (one entry) instead of reading and hashing every file.
        taken = stats or {}
        file_stats = {path: taken.get(path) or _stat(path) for path in paths}
        stamps = {path: _stamp(path, status) for path, status in file_stats.items()}
        snapshot_key = _stamps_key(stamps) if cache is not None else None
        if snapshot_key is not None and use_snapshot:
            index = cls(root, None, None, cache)
            index.file_stats = file_stats
            index.snapshot_key = snapshot_key
            index._complete = True
            answers = cache.load(ANSWERS_NAMESPACE, _answers_key(snapshot_key))
            if isinstance(answers, dict) and answers.get("format") == ANSWERS_FORMAT:
                # Every file's answers are known: the summaries are read only if a file must be
                # linted again (``_read_snapshot``), and rebuilt if they are gone by then.
                index._stored_answers = answers["answers"]
                index._rebuild = lambda: cls._build(root, paths, cache, use_snapshot=False, jobs=jobs)
                return index
            if index._read_snapshot():
                return index
        # What the last run found in each file, kept with the file's stat: a file whose stat is
        # unchanged is not read again (one file edited in a big tree costs that file's parse).
        records_key = digest(RECORD_FORMAT, SUMMARY_FORMAT, _code_stamp(), str(root))
        stored = cache.load(RECORDS_NAMESPACE, records_key) if cache is not None else None
        known: dict[str, list[Any]] = {}
        if isinstance(stored, dict) and stored.get("format") == RECORD_FORMAT:
            known = stored.get("files") or {}
        if known and changed is not None:
            changed()  # indexed before, and no snapshot of this tree: something changed
        prefilter = TextPrefilter(ModuleResolver(root, set(paths)), _content_key)
        for path in paths:
            stamp = stamps[path]
            record = known.get(path)
            if stamp is not None and isinstance(record, list) and len(record) == 1 + len(RECORD_FIELDS):
                if record[0] == stamp:
                    prefilter.add(path, stamp, record=record)
                    continue
            try:
                text = project_text(path, read_regular_file(path))
            except OSError:
                continue
            prefilter.add(path, stamp or "", text=text)
        summaries: dict[str, dict[str, Any]] = {}

        def take(paths: list[str]) -> None:  # one round's files, summarised together
            for path, summary in _summaries(prefilter, paths, cache, jobs).items():
                if summary is not None:
                    summaries[path] = summary

        take([path for path in prefilter.paths if prefilter.builds_recurrent(path)])
        words: set[str] = set()

        def take_naming(new: set[str]) -> None:
            reached: set[str] = set()
            for name, mentions in sorted(prefilter.mentioning(new).items()):
                defining = [path for path in mentions if path in summaries and _defines(summaries[path], name)]
                reached |= prefilter.naming(name, mentions, defining)
            take(sorted(reached - summaries.keys()))

        for _ in range(MAX_ROUNDS):
            new = _interesting_names(summaries.values(), words) - words
            if not new:
                break
            words |= new
            take_naming(new)
        index = cls(root, summaries, set(prefilter.paths), cache)
        index._searched = words
        index.snapshot_key = snapshot_key
        index.file_stats = file_stats
        index._prefilter = prefilter  # the files the reach below summarises are read through it
        index._reach_imports()
        # Holders (``Seq2Seq(encoder, decoder)``) hold no recurrent module of their own: their
        # names become interesting once a site is seen passing them a recurrent model, so that
        # every construction of theirs is seen (one built with an encoder that came from a
        # helper module makes the holder's encoder unknown, as it must).
        for _ in range(MAX_ROUNDS):
            new = {symbol.name for symbol in index._holders()} - words - _COMMON_NAMES
            if not new:
                break
            words |= new
            take_naming(new)
            index._reach_imports()
        index._symbols.clear()  # answers given while the index was still growing
        index._complete = True
        index._prefilter = None
        if cache is not None:
            cache.store(RECORDS_NAMESPACE, records_key, {"format": RECORD_FORMAT, "files": prefilter.records()})
            if snapshot_key is not None:
                snapshot = {
                    "format": SUMMARY_FORMAT,
                    "summaries": index.summaries,
                    "files": prefilter.paths,
                    "searched": sorted(words),
                }
                cache.store(SNAPSHOT_NAMESPACE, snapshot_key, snapshot)
        return index

    def _read_snapshot(self) -> bool:
        """Read the stored index of this tree (``snapshot_key``); rebuild it when it cannot be
        read any more. False when there is none to read."""
        stored = self.cache.load(SNAPSHOT_NAMESPACE, self.snapshot_key) if self.cache and self.snapshot_key else None
        if isinstance(stored, dict) and stored.get("format") == SUMMARY_FORMAT:
            self._summaries, self._files = stored["summaries"], set(stored["files"])
            self._searched = set(stored.get("searched", ()))
            return True
        if self._rebuild is None:
            return False
        fresh = self._rebuild()
        self._summaries, self._files, self._searched = fresh.summaries, fresh.files, fresh.searched
        return True

    def stored_answer(self, path: str) -> str | None:
        """What the project tells ``path`` (``ProjectView.digest``) as stored with this tree's
        index by a run before (None: not stored; compute it)."""
        if self._stored_answers is None:
            return None
        return self._stored_answers.get(path, self._stored_answers.get(OTHER_FILES))

    def keep_answers(self, answer: Callable[[str], str]) -> None:
        """Store ``answer(path)`` (``ProjectView.digest``) for every summarised file — and once
        for all the other files, which the project tells nothing — next to the stored index, so
        that a run over the unchanged tree whose results are all cached reads neither."""
        if self.cache is None or self.snapshot_key is None or self._stored_answers is not None:
            return
        answers = {path: answer(path) for path in sorted(self.summaries)}
        answers[OTHER_FILES] = answer(OTHER_FILES)
        self.cache.store(
            ANSWERS_NAMESPACE, _answers_key(self.snapshot_key), {"format": ANSWERS_FORMAT, "answers": answers}
        )
        self._stored_answers = answers

    def write_deferred(self) -> None:
        """Write the cache entries the build kept back (``load_project(defer_writes=True)``)."""
        if self.cache is not None:
            self.cache.write_deferred()

    def _reach_imports(self) -> None:
        """Summarise the project files that the summarised ones take something from: a base
        class's module (and its bases' modules), the module of a helper a model is handed to, of
        a constant a construction uses, of what a class holding a recurrent module calls in its
        ``__init__`` (a wrapper such as ``WeightDrop(rnn, ...)``: whether it sets the weights of
        what it is handed). The build marks the index complete once nothing more is reached, so
        that it answers the same whichever file asks first."""
        done = self._imports_reached
        while True:
            todo = [path for path in self.summaries if path not in done]
            if not todo:
                break
            for path in todo:
                done.add(path)
                summary = self.summaries[path]
                names = {base for info in summary["classes"].values() for base in info["bases"]}
                names.update(effect["callee"] for effect in summary["effects"] if "callee" in effect)
                holding = {name for name, info in summary["classes"].items() if info["holds_recurrent"]}
                for call in summary["calls"]:
                    scope = call.get("scope", "").split(".")
                    if len(scope) == 3 and scope[1] in holding and scope[2] == "__init__":
                        names.add(call["callee"])
                    for value in [*call["args"], *call["kwargs"].values()]:
                        if value[0] == "ref":
                            names.add(value[1])
                        elif value[0] in ("attribute", "call"):  # args = get_args(): its module's defaults
                            names.add(summary["calls"][value[1]]["callee"])
                for name in sorted(names):
                    self.symbol(path, name)

    def _holders(self) -> set[Symbol]:
        """The project classes a summarised site passes a recurrent model to (``Pooler(Encoder(...))``,
        ``Seq2Seq(encoder, decoder)`` with ``encoder`` bound to one, ``Tagger(make_encoder())``)
        for a parameter they keep in an attribute they call (``self.encoder(src)``): the model is
        a class holding a recurrent module, or such a holder (``Model(Seq2Seq(...))``). A class
        that keeps the model without calling it (a trainer that calls ``self.model.loss(...)``)
        is no holder."""
        holders: set[Symbol] = set()
        while True:
            grown = False
            for path, summary in list(self.summaries.items()):
                calls = summary["calls"]
                for call in calls:
                    if not any(value[0] in ("call", "ref") for value in [*call["args"], *call["kwargs"].values()]):
                        continue
                    outer = self.symbol(path, call["callee"])
                    if outer is None or outer.kind != "class" or outer in holders:
                        continue
                    info = self.class_summary(outer)
                    if info is None or info["params"] is None or not info.get("called_params"):
                        continue
                    passed = [
                        given
                        for param in info["called_params"]
                        if (given := argument_given(call, info["params"], param)) is not None
                    ]
                    for given in passed:
                        made = self.instance_given(path, given)  # Encoder(...), make_encoder(), an imported instance
                        inner = made[0] if made is not None else None
                        inner_info = self.class_summary(inner) if inner is not None else None
                        if inner_info is None:
                            continue
                        if inner in holders or inner_info["holds_recurrent"] or inner_info["recurrent_attributes"]:
                            holders.add(outer)
                            grown = True
                            break
            if not grown:
                return holders

    # --- names ------------------------------------------------------------------------------
    def symbol(self, path: str, dotted: str) -> Symbol | None:
        """What ``dotted`` (``Encoder``, ``models.Encoder``, ``nn.LSTM``) names in file ``path``."""
        key = (path, dotted)
        if key not in self._symbols:
            self._symbols[key] = None  # a cycle of imports resolves to nothing
            self._symbols[key] = self._symbol(path, dotted.split("."), 0)
        return self._symbols[key]

    def _symbol(self, path: str, parts: list[str], hops: int) -> Symbol | None:
        if hops > MAX_HOPS:
            return None
        summary = self._summary_of(path)
        head, rest = parts[0], parts[1:]
        found: Symbol | None = None
        if summary is not None:
            if head in summary["classes"]:
                found = Symbol("class", path, head)
            elif head in summary["functions"]:
                found = Symbol("function", path, head)
            elif head in summary["constants"]:
                found = Symbol("constant", path, head)
            elif head in summary.get("instances", ()):
                found = Symbol("instance", path, head)
            elif head in summary["imports"]:
                module, name, level = summary["imports"][head]
                if name is None:  # import a.b.c as head / import a (head "a")
                    target_parts = module.split(".")
                    if module.split(".", 1)[0] == head and len(rest) >= 1:
                        # ``import a.b`` binds ``a``; ``a.b.X`` names a.b's X
                        return self._in_module(path, target_parts[:1], rest, 0, hops)
                    return self._in_module(path, target_parts, rest, 0, hops)
                file = self.resolver.resolve(path, module, level)
                # ``from models import Encoder``: what the package's own code binds to the name
                # (``from .Encoder import Encoder`` rebinds the submodule's name to the class),
                # else the submodule of that name
                bound = self._bound(file, name, hops)
                if bound is not None:
                    return self._member(bound, rest, hops)
                submodule = self.resolver.resolve(path, f"{module}.{name}" if module else name, level)
                if submodule is not None:
                    return self._member(Symbol("module", submodule, ""), rest, hops)
                if file is None:
                    return None
                found = self._symbol(file, [name], hops + 1)
            else:
                for module, level in summary["star_imports"]:
                    file = self.resolver.resolve(path, module, level)
                    if file is not None and self._summary_of(file) is not None:
                        found = self._symbol(file, [head], hops + 1)
                        if found is not None:
                            break
        elif path not in self.resolver.files:
            return None
        if found is None:
            return None
        return self._member(found, rest, hops)

    def _bound(self, file: str | None, name: str, hops: int) -> Symbol | None:
        """What a package's ``__init__.py`` itself binds to ``name`` (a class it defines or
        imports, a function, a constant), or None when it binds nothing by that name."""
        if file is None or not file.endswith("__init__.py"):
            return None
        summary = self._summary_of(file)
        if summary is None or not any(
            name in summary[part] for part in ("classes", "functions", "constants", "imports")
        ):
            return None
        return self._symbol(file, [name], hops + 1)

    def _summary_of(self, path: str) -> dict[str, Any] | None:
        """A file's summary, made now for a project file the pre-filter left out."""
        summary = self.summaries.get(path)
        if summary is None and not self._complete and path in self.resolver.files and path not in self._reached:
            self._reached.add(path)
            if self._prefilter is None:
                return None
            summary = _summary(self._prefilter, path, self.cache)
            if summary is not None:
                self.summaries[path] = summary
        return summary

    def _in_module(self, importer: str, module: list[str], rest: list[str], level: int, hops: int) -> Symbol | None:
        # the shortest prefix of module + rest that is a file (a namespace package is none),
        # then names inside it: ``models.Encoder`` is what ``models/__init__.py`` binds to
        # ``Encoder`` before it is the submodule ``models/Encoder.py`` (see ``_member``)
        chain = module + rest
        for cut in range(len(module), len(chain) + 1):
            file = self.resolver.resolve(importer, ".".join(chain[:cut]), level)
            if file is not None:
                return self._member(Symbol("module", file, ""), chain[cut:], hops)
        return None

    def _member(self, symbol: Symbol, rest: list[str], hops: int) -> Symbol | None:
        if not rest:
            return symbol
        if symbol.kind != "module":
            return None  # Encoder.from_pretrained and the like: not a name of its own
        folder = os.path.dirname(symbol.path)
        if symbol.path.endswith("__init__.py"):
            bound = self._bound(symbol.path, rest[0], hops)  # models.Encoder: as for ``from models import``
            if bound is not None:
                return self._member(bound, rest[1:], hops + 1)
            candidate = self.resolver._in(folder, rest[:1])
            if candidate is not None:
                return self._member(Symbol("module", candidate, ""), rest[1:], hops)
        return self._symbol(symbol.path, rest, hops + 1)

    def class_summary(self, symbol: Symbol) -> dict[str, Any] | None:
        summary = self._summary_of(symbol.path)
        return summary["classes"].get(symbol.name) if summary and symbol.kind == "class" else None

    def function_summary(self, symbol: Symbol) -> dict[str, Any] | None:
        summary = self._summary_of(symbol.path)
        return summary["functions"].get(symbol.name) if summary and symbol.kind == "function" else None

    def leaves_parameter(self, function: Symbol, parameter: str, depth: int = 0) -> bool:
        """Whether a project function sets none of the weights of the model given as
        ``parameter`` (``evaluate(model, loader)``, a training loop): neither it nor the project
        functions it hands the model to (see ``summary._leaves_weights``)."""
        info = self.function_summary(function)
        leaves = info.get("leaves_weights") if info is not None else None
        if leaves is None or parameter not in leaves or depth > MAX_HOPS:
            return False
        for callee, where in leaves[parameter]:
            inner = self.symbol(function.path, callee)
            inner_info = self.function_summary(inner) if inner is not None else None
            if inner_info is None:
                return False  # another package's function, a class: cannot be read here
            passed = parameter_at(inner_info["params"], where)
            if passed is None or not self.leaves_parameter(inner, passed, depth + 1):
                return False
        return True

    def _loads_with(self, cls: Symbol, method: str, depth: int = 0) -> bool:
        """Whether ``method`` of ``cls`` loads weights each time it runs: the class's own, or a
        base's (``Separator().load_model(path)`` with ``load_model`` in a base class of another
        file). An override that does not load does not hide the base's: that errs towards
        silence."""
        info = self.class_summary(cls)
        if info is None or depth > MAX_HOPS:
            return False
        if method in info.get("loading_methods", ()):
            return True
        return any(base is not None and self._loads_with(base, method, depth + 1) for base in self.bases(cls))

    def bases(self, symbol: Symbol) -> list[Symbol | None]:
        """The bases of a project class, each a project class or None (a class we cannot see:
        ``nn.Module`` included)."""
        info = self.class_summary(symbol)
        if info is None:
            return []
        return [self.symbol(symbol.path, base) for base in info["bases"]]

    # --- constructions ----------------------------------------------------------------------
    def calls(self) -> list[tuple[str, int, dict[str, Any], Symbol | None]]:
        """Every recorded call in the project with what its callee names."""
        if self._calls is None:
            self._calls = [
                (path, index, call, self.symbol(path, call["callee"]))
                for path, summary in sorted(list(self.summaries.items()))
                for index, call in enumerate(summary["calls"])
            ]
        return self._calls

    def sites(self, cls: Symbol) -> list[tuple[str, dict[str, Any]]] | None:
        """The calls constructing ``cls``; None when some construction cannot be seen (the class
        is handed around as a value, subclassed, or looked up by name in its module), or was not
        looked for (its name is none the pre-filter searched: files naming it may be unread)."""
        if cls in self.opaque_classes() or not self.searched_for(cls):
            return None
        return [(path, call) for path, _, call in self.calls_of(cls)]

    def calls_of(self, symbol: Symbol) -> list[tuple[str, int, dict[str, Any]]]:
        """The calls whose callee is ``symbol`` (a class: its constructions)."""
        if self._by_callee is None:
            by_callee: dict[Symbol, list[tuple[str, int, dict[str, Any]]]] = {}
            for path, index, call, callee in self.calls():
                if callee is not None:
                    by_callee.setdefault(callee, []).append((path, index, call))
            self._by_callee = by_callee
        return self._by_callee.get(symbol, [])

    def instance_given(self, path: str, value: list[Any]) -> tuple[Symbol, list[tuple[str, int]]] | None:
        """``instance_made`` for an argument's summarised value: a call (``Encoder(...)``,
        ``make_encoder()``), or a name imported from a module that binds it once to one
        (``from shared import encoder``)."""
        if value[0] == "call":
            return self.instance_made(path, value[1])
        if value[0] == "ref":
            symbol = self.symbol(path, value[1])
            if symbol is not None and symbol.kind == "instance":
                return self.instance_made(symbol.path, self.summaries[symbol.path]["instances"][symbol.name])
        return None

    def instance_made(self, path: str, index: int, depth: int = 0) -> tuple[Symbol, list[tuple[str, int]]] | None:
        """The project class whose instance call ``index`` of file ``path`` makes, with where it
        is built (file, line): a construction (``Encoder(...)``), or a call of a module function
        every ``return`` of which returns instances of that one class, built there or by another
        such function (``make_encoder(args)``). None for anything else."""
        call = self.summaries[path]["calls"][index]
        symbol = self.symbol(path, call["callee"])
        if symbol is None:
            return None
        if symbol.kind == "class":
            return symbol, [(path, call["line"])]
        info = self.function_summary(symbol) if symbol.kind == "function" else None
        returns = info.get("returns") if info is not None else None
        if not returns or depth >= MAX_FACTORY_DEPTH:
            return None
        found: Symbol | None = None
        places: list[tuple[str, int]] = []
        for returned in returns:
            made = self.instance_made(symbol.path, returned, depth + 1)
            if made is None or found not in (None, made[0]):
                return None
            found = made[0]
            places.extend(place for place in made[1] if place not in places)
        return (found, places) if found is not None else None

    def opaque_classes(self) -> set[Symbol]:
        """Classes with constructions the index cannot see: handed around as values (or their
        module looked into by name), or subclassed (built through ``super().__init__``)."""
        if self._opaque is None:
            self._opaque = self.referenced_classes() | set(self.subclasses())
        return self._opaque

    def referenced_classes(self) -> set[Symbol]:
        """Classes handed around as values, or whose module is looked into by name."""
        return self._referenced_of("class")

    def referenced_functions(self) -> set[Symbol]:
        """Module functions handed around as values (a callback, ``model.apply(fn)``)."""
        return self._referenced_of("function")

    def _referenced_of(self, kind: str) -> set[Symbol]:
        # asked once per class of every linted file: made once
        if kind not in self._referenced_by_kind:
            self._referenced_by_kind[kind] = {symbol for symbol in self._referenced_symbols() if symbol.kind == kind}
        return self._referenced_by_kind[kind]

    def _referenced_symbols(self) -> set[Symbol]:
        if self._referenced is None:
            referenced: set[Symbol] = set()
            for path, summary in list(self.summaries.items()):
                for reference in summary["references"]:
                    symbol = self.symbol(path, reference)
                    if symbol is None:
                        continue
                    if symbol.kind in ("class", "function"):
                        referenced.add(symbol)
                    elif symbol.kind == "module" and symbol.path in self.summaries:
                        module = self.summaries[symbol.path]
                        referenced.update(Symbol("class", symbol.path, name) for name in module["classes"])
                        referenced.update(Symbol("function", symbol.path, name) for name in module["functions"])
            self._referenced = referenced
        return self._referenced

    def subclasses(self) -> dict[Symbol, list[Symbol]]:
        """Project class → the project classes deriving from it directly."""
        if self._subclasses is None:
            children: dict[Symbol, list[Symbol]] = {}
            for path, summary in list(self.summaries.items()):
                for name in summary["classes"]:
                    child = Symbol("class", path, name)
                    for base in self.bases(child):
                        if base is not None and base.kind == "class":
                            children.setdefault(base, []).append(child)
            self._subclasses = children
        return self._subclasses

    def parameter_sites(self, cls: Symbol, parameter: str) -> list[Site] | None:
        """What each construction of ``cls`` gives ``parameter`` of its ``__init__`` (or each call
        of a module function, its parameter); None when some call cannot be seen at all.
        ``parameter`` may name an attribute of a parameter, ``"args.n_layers"``: what each
        construction's ``args`` holds there (an argparse default, see ``flow.given_value``)."""
        from rnn_lint.project.flow import given_value

        parameter, _, attr = parameter.partition(".")
        if cls.kind == "function":
            function = self.function_summary(cls)
            if function is None or not function.get("builds_recurrent") or cls in self.referenced_functions():
                return None
            if not self.searched_for(cls) or attr:
                return None  # its calls were not all looked for; attributes are asked of classes only
            params = function["params"]
        else:
            info = self.class_summary(cls)
            if info is None or not info["has_init"] or info["params"] is None:
                return None
            if attr and f"{parameter}.{attr}" not in info["parameter_attributes"]:
                return None  # not read in __init__ as it is (or assigned there)
            params = info["params"]
        if parameter not in params["positional"] and parameter not in params["keyword_only"]:
            return None
        sites = self.sites(cls) if cls.kind == "class" else [(p, c) for p, _i, c in self.calls_of(cls)]
        if not sites:
            return None
        out = []
        for path, call in sites:
            value, note = given_value(self, path, call, params, parameter, attr or None)
            given = None if attr else argument_given(call, params, parameter)
            written = given is not None and given[0] in ("param", "ref")
            out.append(Site(path, call["line"], value, note, written))
        return out

    def value(self, path: str, value: list[Any]) -> tuple[Any, str]:
        """A summary value as a plain Python value (or UNKNOWN_VALUE) and its note."""
        if value[0] == "const":
            return value[1], value[2]
        if value[0] == "ref":
            symbol = self.symbol(path, value[1])
            if symbol is not None and symbol.kind == "constant":
                constant = self.summaries[symbol.path]["constants"][symbol.name]
                return constant, ""
        if value[0] == "attribute":  # args.n_layers, with args = get_args() of an options module
            return self.option_default(self.namespace_from(path, value[1]), value[2])
        return UNKNOWN_VALUE, ""

    def option_default(self, path: str | None, dest: str) -> tuple[Any, str]:
        """The argparse default of option ``dest`` in file ``path`` (None: no file), with its
        note; unknown when that file has none."""
        default = self.summaries[path].get("argparse", {}).get(dest) if path is not None else None
        return (UNKNOWN_VALUE, "") if default is None else self.value(path, default)

    def namespace_from(self, path: str, index: int) -> str | None:
        """The file whose parsed arguments call ``index`` of ``path`` returns (``get_args()`` of
        an options module: every ``return`` of it gives ``parser.parse_args()``), or None."""
        symbol = self.symbol(path, self.summaries[path]["calls"][index]["callee"])
        info = self.function_summary(symbol) if symbol is not None and symbol.kind == "function" else None
        return symbol.path if info is not None and info.get("returns_namespace") else None

    # --- weights that come from elsewhere ---------------------------------------------------
    def covered(self, cls: Symbol) -> str | None:
        """Where instances of ``cls`` get their weights loaded or an initialisation applied
        (``"predict.py:31"``), when every instance the project builds does — directly, through a
        model that holds it, or through the factory that builds it; None when some instance is
        left with PyTorch's default initialisation, or cannot be seen."""
        where = self._class_covered(cls)
        return None if where is NO_INSTANCE else where

    def _class_covered(self, cls: Symbol) -> Any:
        """``covered``, or NO_INSTANCE when the project builds no instance of ``cls`` at all."""
        if cls not in self._covered:
            self._covered[cls] = None  # a cycle (a class holding itself) covers nothing
            self._covered[cls] = self._instances_covered(cls)
        return self._covered[cls]

    def _instances_covered(self, cls: Symbol) -> Any:
        if cls in self.referenced_classes():
            return None
        self._effects_by_call()
        places: list[str] = []
        family = [cls]
        for member in family:  # the class and its subclasses, whose instances run its __init__
            family.extend(child for child in self.subclasses().get(member, []) if child not in family)
        for member in family:
            for path, index, _call in self.calls_of(member):
                where = self._call_covered(path, index)
                if where is None:
                    return None
                if where is not NO_INSTANCE:
                    places.append(where)
            if member in self._pretrained:
                places.append(self._pretrained[member])
        return places[0] if places else NO_INSTANCE

    def _call_covered(self, path: str, index: int) -> str | None:
        effects = self._effects_by_call()
        if (path, index) in effects:
            return effects[(path, index)]
        for holder in self._passed_into.get((path, index), []):  # Seq2Seq(encoder, decoder)
            if self._callee_kind(path, holder) != "class" and not self._wraps(path, holder):
                continue  # train(model), print(model): no model holds it
            where = self._call_covered(path, holder)
            if where is not None:
                return where
        summary = self.summaries[path]
        parts = summary["calls"][index].get("scope", "<module>").split(".")
        if len(parts) >= 2 and parts[1] in summary["classes"]:
            owner = Symbol("class", path, parts[1])
            if not self._may_be_model(owner):
                return None  # a test case's or a script class's method: built when it runs
            # built inside a model: held by it (a model the project never builds holds no
            # instance either)
            return self._class_covered(owner)
        if len(parts) >= 2 and parts[1] in summary["functions"]:  # built by a factory
            factory = Symbol("function", path, parts[1])
            if factory not in self._covered:
                self._covered[factory] = None
                sites = [(p, i) for p, i, _c in self.calls_of(factory)]
                found = [self._call_covered(p, i) for p, i in sites]
                self._covered[factory] = found[0] if found and all(found) else None
            return self._covered[factory]
        return None

    def weights_loaded(self, cls: Symbol, path: str, line: int) -> bool:
        """Whether the instance that the construction of ``cls`` at ``path``:``line`` builds gets
        weights loaded from a checkpoint (``load_state_dict``, ``torch.load`` into it, a helper
        that loads), itself or through a model that holds it: the instance of an evaluation or
        serving script. A load under an ``if`` (``--resume``) does not count: a training script
        trains from scratch as well."""
        self._effects_by_call()
        return any(
            self._call_loaded(site_path, index, set())
            for site_path, index, call in self.calls_of(cls)
            if site_path == path and call["line"] == line
        )

    def _call_loaded(self, path: str, index: int, seen: set[tuple[str, int]]) -> bool:
        if (path, index) in seen:
            return False
        seen.add((path, index))
        if (path, index) in self._loaded:
            return True
        return any(self._call_loaded(path, holder, seen) for holder in self._passed_into.get((path, index), []))

    def _may_be_model(self, cls: Symbol, depth: int = 0) -> bool:
        """False when a project class is certainly no torch module: every base is ``object``,
        ``ABC``, a ``unittest`` class (a test case), or a project class that is certainly none; a
        class without bases too. A base from another library may be a module."""
        info = self.class_summary(cls)
        if info is None or depth > MAX_HOPS:
            return True
        summary = self.summaries.get(cls.path)
        for name, base in zip(info["bases"], self.bases(cls)):
            if base is not None:
                if self._may_be_model(base, depth + 1):
                    return True
                continue
            imported = imported_name(name, summary) or ""
            if (
                adds_no_code(name, summary)
                or name in ("ABC", "abc.ABC")
                or imported.split(".")[0] in ("unittest", "abc")
            ):
                continue
            return True
        return False

    def _wraps(self, path: str, index: int) -> bool:
        """``nn.DataParallel(model)``, ``torch.compile(model)``: the result is the model."""
        return self.summaries[path]["calls"][index]["callee"].rsplit(".", 1)[-1] in MODEL_WRAPPERS

    def _callee_kind(self, path: str, index: int) -> str | None:
        symbol = self.symbol(path, self.summaries[path]["calls"][index]["callee"])
        return None if symbol is None else symbol.kind

    def _effects_by_call(self) -> dict[tuple[str, int], str]:
        """Calls whose instance gets weights loaded or an initialisation applied → where."""
        if self._effects is not None:
            return self._effects
        effects: dict[tuple[str, int], str] = {}
        for path, summary in sorted(list(self.summaries.items())):
            for index, call in enumerate(summary["calls"]):
                for value in [*call["args"], *call["kwargs"].values()]:
                    if value[0] == "call":
                        self._passed_into.setdefault((path, value[1]), []).append(index)
            for effect in summary["effects"]:
                if effect.get("conditional"):
                    continue  # under an ``if``: the instance may as well keep PyTorch's initialisation
                where = self.place(path, effect["line"])
                loads = effect["kind"] == "load"
                if effect["kind"] == "helper":
                    helper = self.symbol(path, effect["callee"])
                    info = self.function_summary(helper) if helper is not None else None
                    if info is None:
                        # not the project's (another package's): only its name can tell
                        if not is_loader_name(effect["callee"]):
                            continue
                    elif not (info.get("inits_recurrent") or info["loads"]):
                        continue
                    loads = info is None or bool(info["loads"])
                elif effect["kind"] == "method":  # model.load_model(path): a method of its class that loads
                    built = self.symbol(path, summary["calls"][effect["call"]]["callee"])
                    if built is None or not self._loads_with(built, effect["method"]):
                        continue
                    loads = True
                if "call" in effect:
                    effects.setdefault((path, effect["call"]), where)
                    if loads:
                        self._loaded.add((path, effect["call"]))
                elif "callee" in effect:  # Net.from_pretrained(...): an instance, loaded
                    symbol = self.symbol(path, effect["callee"])
                    if symbol is not None and symbol.kind == "class":
                        self._pretrained.setdefault(symbol, where)
        self._effects = effects
        return effects

    # --- helpers ----------------------------------------------------------------------------
    def display(self, path: str) -> str:
        try:
            return os.path.relpath(path, self.root)
        except ValueError:
            return path

    def place(self, path: str, line: int) -> str:
        """Where a site is, for messages: "train.py:86", "demo.ipynb:cell 7:1"."""
        return place(self.display(path), path, line)


def is_torch_module(base: str, summary: dict[str, Any] | None) -> bool:
    """``nn.Module`` (or any ``torch.nn`` class) as imported in the base's file."""
    full = imported_name(base, summary)
    return full is not None and full.startswith(("torch.nn.", "pytorch_lightning.", "lightning."))


#: Bases that bring a class no code of their own (``Generic[T]`` is recorded as ``Generic``).
CODELESS_BASES = frozenset({"abc.ABC", "typing.Generic", "typing_extensions.Generic"})


def adds_no_code(base: str, summary: dict[str, Any] | None) -> bool:
    """``object``, ``ABC``, ``Generic``: a base that cannot initialise or load anything."""
    return base == "object" or imported_name(base, summary) in CODELESS_BASES


def imported_name(dotted: str, summary: dict[str, Any] | None) -> str | None:
    """The full name ``dotted`` (``nn.Module``, ``unittest.TestCase``) stands for through the
    imports of a file's summary (``torch.nn.Module``); None when its head is not imported."""
    if summary is None:
        return None
    head, _, rest = dotted.partition(".")
    origin = summary["imports"].get(head)
    if origin is None:
        return None
    module, name, _level = origin
    return ".".join(filter(None, [module, name, rest])) if name else ".".join(filter(None, [module, rest]))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the index is built: ``ast`` allocates millions of
    nodes, each allocation burst starts a collection that walks every object alive (the
    summaries kept so far included), and none of them form cycles — reference counting frees
    each tree. Measured: a fifth of the summaries' CPU time on 970 files."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _stamp(path: str, stat: os.stat_result | None) -> str | None:
    """The file's path, size, modification time and inode (None when it cannot be read)."""
    if stat is None:
        return None
    return f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}"


def _stamps_key(stamps: dict[str, str | None]) -> str | None:
    """A key from every file's stamp (None when one cannot be read: then the files themselves
    are read)."""
    if None in stamps.values():
        return None
    return digest(SUMMARY_FORMAT, _code_stamp(), *stamps.values())


def _answers_key(snapshot_key: str) -> str:
    """The stored answers of a snapshot (whose key holds the code's stamp, ``_code_stamp``)."""
    return digest(ANSWERS_FORMAT, snapshot_key)


@functools.cache
def _code_stamp() -> str:
    """The size and modification time of rnn-lint's modules, part of every key the index stores
    under (summaries, the pre-filter's records, the snapshot and its answers): what an edited
    rnn-lint computes differently is never read back from what an older one stored, as with the
    result cache (``result_cache.tool_fingerprint``)."""
    package = Path(__file__).resolve().parent.parent
    parts = []
    for module in sorted(package.rglob("*.py")):
        try:
            stat = module.stat()
        except OSError:
            continue
        parts.append(f"{module}\0{stat.st_size}\0{stat.st_mtime_ns}")
    return digest(*parts)


def _content_key(text: str) -> str:
    return digest(SUMMARY_FORMAT, _code_stamp(), text)


def _summary(prefilter: TextPrefilter, path: str, cache: Cache | None) -> dict[str, Any] | None:
    return _summaries(prefilter, [path], cache, jobs=1)[path]


def _summaries(
    prefilter: TextPrefilter, paths: list[str], cache: Cache | None, jobs: int
) -> dict[str, dict[str, Any] | None]:
    """path → summary (None: not Python) for each of ``paths``, in their order: from the cache,
    else made (on ``jobs`` processes, ``batch``) and stored there."""
    stored: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for path in paths:
        found = cache.load(NAMESPACE, prefilter.content_key(path)) if cache is not None else None
        if isinstance(found, dict) and found.get("format") == SUMMARY_FORMAT:
            stored[path] = found.get("summary")
        else:
            missing[path] = prefilter.text(path)
    made = summarise_many(missing, jobs)
    if cache is not None:
        for path, summary in made.items():
            cache.store(NAMESPACE, prefilter.content_key(path), {"format": SUMMARY_FORMAT, "summary": summary})
    return {path: stored[path] if path in stored else made[path] for path in paths}


def _defines(summary: dict[str, Any], name: str) -> bool:
    return name in summary["classes"] or name in summary["functions"]


def _interesting_names(summaries: Iterable[dict[str, Any]], known: set[str]) -> set[str]:
    """Names whose mention makes a file worth summarising (when it can reach their definition,
    see prefilter.py): classes that hold a recurrent module, functions that build one, and —
    once ``known`` holds those — the classes and functions whose own code builds a known one (a
    model holding an encoder, a factory). Not their bases: a file naming only the base (every
    ``nn.Module``-like ``Model``, ``ABC``) neither builds nor subclasses the recurrent class, and
    the base's own file is summarised when its subclass's file imports it (``_reach_imports``)."""
    names: set[str] = set()
    summaries = list(summaries)
    # classes assigning a recurrent class to an attribute (``self.rnn_cell = nn.LSTM``): their
    # subclasses' ``self.rnn_cell(...)`` builds a module with the subclass's own arguments
    picking = {
        name for summary in summaries for name, info in summary["classes"].items() if info["recurrent_attributes"]
    }
    for summary in summaries:
        for name, info in summary["classes"].items():
            if (
                info["holds_recurrent"]
                or info["recurrent_attributes"]
                or any(base.rsplit(".", 1)[-1] in picking for base in info["bases"])
            ):
                names.add(name)
        names.update(
            name
            for name, info in summary["functions"].items()
            if info.get("builds_recurrent") or info.get("returns_class")  # a factory of modules or of classes
        )
        names.update(summary.get("class_tables", ()))  # RNNS = {"lstm": nn.LSTM, ...}, imported elsewhere
        for call in summary["calls"]:
            if call["callee"].rsplit(".", 1)[-1] in known:
                scope = call.get("scope", "<module>").split(".")
                if len(scope) >= 2:
                    names.add(scope[1])
    return {name for name in names if name.isidentifier() and len(name) > 2} - _COMMON_NAMES


#: Names so common that their mention says nothing (every script has a main()).
_COMMON_NAMES = frozenset(
    {"main", "train", "test", "evaluate", "run", "forward", "predict", "parse_args", "Module", "object", "nn"}
)


def fingerprint(value: Any) -> str:
    """A digest of a JSON-able value (what a file's facts took from the project)."""
    return digest(json.dumps(value, sort_keys=True, default=str))


def parameter_at(params: dict[str, Any], where: int | str) -> str | None:
    """The parameter an argument given at ``where`` (a position, or a keyword) binds; None past
    the positional ones."""
    if isinstance(where, str):
        return where
    positional = params["positional"]
    return positional[where] if where < len(positional) else None


def argument_given(call: dict[str, Any], params: dict[str, Any], name: str) -> list[Any] | None:
    """The summarised value a call passes for parameter ``name`` (by keyword, else by position),
    or None when it passes none (the default applies, or a splat hides it)."""
    given: list[Any] | None = call["kwargs"].get(name)
    if given is None and name in params["positional"]:
        position = params["positional"].index(name)
        if position < len(call["args"]):
            given = call["args"][position]
    return given
