"""Analyse only the part of a file a rule can speak about: when the file only *tests for* or
*names the biases of* a recurrent module somewhere, or builds one next to unrelated code.

A file passes the text pre-filter when it builds, binds or tests a recurrent module, or names a
recurrent bias (``rule.RECURRENT_CODE``). Most of the big files that pass only through the last
two — ``isinstance(value, (nn.RNN, nn.GRU, nn.LSTM))`` in one method of a 5,000-line class, a
``.bias_ih`` in one helper of an exporter — build nothing: whatever a rule can report there lies
in the functions holding those lines and in what they call. libcst's tree costs about a hundred
times the text's size to build and hold, so parsing all of such a file cost more than all the
rest of a run on torch's sources (three such files of 220-300 KB, four of five CPU seconds).

``relevant_part`` returns the file's text with every statement that cannot matter replaced by
empty lines. What is kept is kept verbatim at its own lines and columns, so the positions of
findings and the edits of fixes are those of the original file, and suppressions, the
accelerator test and the left-padding test still read the original text. Kept:

- the top-level functions, methods and statements holding an *anchor* (a line where a rule's
  pattern matched);
- whatever they use, transitively: a function, method, class attribute or module statement whose
  name a kept statement mentions (as a name or an attribute: ``helper(m)``, ``self._init(m)``,
  ``THRESHOLD``);
- every import at module level, and the header of each class one of whose members is kept.

A file that builds or binds a recurrent module keeps everything its model, training loop and
callers may need: all but

- top-level functions and classes that cannot give the analysis a fact
  (``_without_unrelated_definitions``): no anchor, no decorator, no attribute the analysis knows
  a meaning of (``vocabulary.ANALYSIS_WORDS``: ``backward``, ``parameters``, ``load_state_dict``
  ...), no module name but builtins, the standard library and plain constants, and named nowhere
  else in the file — a data loader's helpers, a record class, a checksum next to the model. Tried
  only when a glance at the text promises a fifth of the file or more, and only with rnn-lint's
  own rules (a third-party rule may read anything);
- in a file of 64 KB or more, module-level assignments of literal data (``VOCABULARY = ["the",
  ...]``, a table of numbers) that nothing in the file reads: they call and build nothing, and a
  1 MB one-line list took 8 CPU seconds and 700 MB to parse for nothing.

A long run of removed lines becomes one string statement spanning exactly those lines (libcst
takes about 20 µs per empty line; a string's lines cost nothing).

Nothing is sliced when the project index can make the file concern a rule by itself (a base
class in another file), when a selected rule has no pattern to find anchors with (third-party
rules may need anything), or when the text has line breaks or form feeds that Python and a
plain split could count differently.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rnn_lint.guard import MAX_BYTES
from rnn_lint.rule import Rule
from rnn_lint.text import line_starts
from rnn_lint.vocabulary import ANALYSIS_WORDS

#: Anchors that test for a recurrent module or name its biases without building or binding one.
_WEAK_ANCHOR = re.compile(r"isinstance\s*\(|\bbias_(?:ih|hh)")
#: Below this size parsing the whole file costs too little to be worth an ``ast`` pass.
MIN_BYTES = 16 * 1024
#: Slicing that keeps more than this share of the text would save too little.
MAX_KEPT_SHARE = 0.6
#: The same for a file that builds a recurrent module (its ``ast`` pass is paid only when a glance
#: at the text promises enough: ``_may_hold_unrelated_definitions``).
MAX_KEPT_SHARE_BUILDING = 0.85
#: A file that builds a recurrent module loses its unread literal data only from this size.
MIN_DATA_BYTES = 64 * 1024
#: Runs of removed lines at least this long become one string statement (see ``_render``).
MIN_STRING_RUN = 8


@dataclass
class _Unit:
    """A top-level statement, or a statement directly in the body of a top-level class."""

    start: int  # first line (decorators included), 1-based
    end: int  # last line
    binds: set[str] = field(default_factory=set)  # module names, or for a member its class's names
    names: set[str] = field(default_factory=set)  # module-level names it reads
    members: set[str] = field(default_factory=set)  # what it reads on ``self``/``cls``
    owner: ast.ClassDef | None = None  # the class whose body holds it
    always: bool = False  # an import at module level


def relevant_part(source: str, rules: Sequence[type[Rule]], project: Any = None) -> str | None:
    """``source`` with the statements no rule can need blanked out, or None to analyse it all.
    ``project``: the project index's view of the file (or None)."""
    if len(source) > MAX_BYTES or "\r" in source or "\f" in source:
        return None  # a file too large to analyse is skipped whole (guard.check_size), unparsed
    if project is not None and project.involves():
        return None
    found = _anchors(source, rules)
    if found is None:
        return None
    anchors, elsewhere = found
    only_tests = bool(anchors) and len(source) >= MIN_BYTES
    unread_data = len(source) >= MIN_DATA_BYTES
    definitions = bool(elsewhere) and _built_in(rules) and _may_hold_unrelated_definitions(source)
    if not (only_tests or unread_data or definitions):
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the whole-file path reports it
    lines = source.split("\n")
    top_level_only = not (only_tests and elsewhere <= _string_only_lines(tree))
    if not top_level_only:
        keep = _what_the_anchors_need(tree, anchors, len(lines))
    else:
        keep = _without_unrelated_definitions(tree, anchors | elsewhere, lines) if definitions else None
        if unread_data:
            keep = _all_but_unread_data(tree, len(lines), keep)
    share = MAX_KEPT_SHARE_BUILDING if top_level_only else MAX_KEPT_SHARE
    if keep is None or sum(len(line) + 1 for number, line in enumerate(lines, 1) if keep[number]) > (
        share * len(source)
    ):
        return None
    if top_level_only:
        # Only whole top-level statements were left out: each run of their lines becomes blank
        # lines or a string statement at the margin, which cannot change what the rest means.
        return _render(lines, keep, top_level=True)
    text = _render(lines, keep)
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # a layout this module did not foresee: analyse the whole file
    return text


def _what_the_anchors_need(tree: ast.Module, anchors: set[int], count: int) -> list[bool] | None:
    """Per line (1-based; index 0 unused): whether it is kept, for a file whose every anchor
    only tests for a recurrent module or names its biases."""
    kept = _closure(list(_units(tree)), anchors)
    if kept is None:
        return None
    keep = [False] * (count + 1)
    for unit in kept:
        for number in range(unit.start, unit.end + 1):
            keep[number] = True
    for owner in {id(unit.owner): unit.owner for unit in kept if unit.owner is not None}.values():
        for number in range(_first_line(owner), _first_line(owner.body[0])):
            keep[number] = True  # the class header, up to its first member (blanked or kept)
    return keep


def _all_but_unread_data(tree: ast.Module, count: int, keep: list[bool] | None = None) -> list[bool] | None:
    """Per line: whether it is kept (``keep``'s choice, or everything), for a large file that
    builds a recurrent module: all but module-level assignments of literal data (a vocabulary, a
    table of numbers) whose names nothing in the file reads. Such a statement calls nothing and
    builds nothing; its value can only matter through its name. None when nothing is left out."""
    read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store)}
    return _without(tree.body, lambda statement: _unread_data(statement, read), count, keep)


def _without(
    statements: list[ast.stmt], leave_out: Callable[[ast.stmt], bool], count: int, keep: list[bool] | None = None
) -> list[bool] | None:
    """Per line: ``keep`` (or everything) less the lines of the ``statements`` to leave out, but
    for the lines they share with a statement kept. None when nothing is left out."""
    dropped: list[range] = []
    shared: set[int] = set()
    for statement in statements:
        lines = range(_first_line(statement), (statement.end_lineno or statement.lineno) + 1)
        if leave_out(statement):
            dropped.append(lines)
        else:
            shared.update(lines)
    if not dropped:
        return keep
    keep = list(keep) if keep is not None else [True] * (count + 1)
    for lines in dropped:
        for number in lines:
            if number not in shared:  # ``x = [1, 2]; rnn = nn.LSTM(8, 8)`` keeps its line
                keep[number] = False
    return keep


def _unread_data(statement: ast.stmt, read: set[str]) -> bool:
    if isinstance(statement, ast.Assign):
        targets, value = statement.targets, statement.value
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        targets, value = [statement.target], statement.value
    else:
        return False
    if not all(isinstance(target, ast.Name) and target.id not in read for target in targets):
        return False
    return all(isinstance(node, _LITERAL_NODES) for node in ast.walk(value))


#: What a literal data value is made of: constants in lists, tuples, sets and dicts, signed.
_LITERAL_NODES = (
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.Dict,
    ast.UnaryOp,
    ast.USub,
    ast.UAdd,
    ast.Load,
)


def _built_in(rules: Sequence[type[Rule]]) -> bool:
    """Whether every rule is one of rnn-lint's: what a third-party rule reads, ``vocabulary``
    does not list."""
    return all(rule.__module__.startswith("rnn_lint.rules.") for rule in rules)


#: A top-level ``def``/``class`` line, and what makes its block worth keeping at a glance.
_TOP_LEVEL_DEFINITION = re.compile(r"^(?:async[ \t]+def|def|class)[ \t]", re.MULTILINE)
_MODEL_TEXT = re.compile(r"torch|nn\.|backward|param|weight|bias|state|hidden|\binit|LSTM|GRU|RNN|lstm|gru|rnn")
#: Leaving definitions out pays for its ``ast`` pass when they are at least this share of the text.
MIN_UNRELATED_SHARE = 0.2


def _may_hold_unrelated_definitions(source: str) -> bool:
    """A glance at the text: do top-level definitions that mention nothing a model is made of
    (torch, parameters, states, recurrent names) make up enough of it to try?"""
    starts = [match.start() for match in _TOP_LEVEL_DEFINITION.finditer(source)]
    if len(starts) < 2:
        return False
    unrelated = 0
    for start, end in zip(starts, [*starts[1:], len(source)], strict=True):
        if _MODEL_TEXT.search(source, start, end) is None:
            unrelated += end - start
    return unrelated >= MIN_UNRELATED_SHARE * len(source)


#: Attributes the analysis reads only on values it knows (a list's ``append``, a string's
#: ``format``, a config dict's ``pop``, which the project summary looks for): on the values of
#: code it cannot reach they tell it nothing.
_KNOWN_RECEIVERS_ONLY = frozenset(
    {"append", "extend", "insert", "format", "index", "lower", "upper", "startswith", "replace", "update", "add"}
    | {"pop", "popitem", "setdefault", "clear", "__setitem__", "__delitem__"}
)
#: Attributes that can tell the analysis something whatever they are read on (``loss.backward()``
#: says the file trains, ``m.named_parameters()`` may initialise any model).
_TELLING_ATTRIBUTES = ANALYSIS_WORDS - _KNOWN_RECEIVERS_ONLY
#: Builtins a definition may call and stay unrelated: all but those reading or writing names
#: given as strings, or running code.
_PLAIN_BUILTINS = frozenset(dir(builtins)) - {
    "getattr",
    "setattr",
    "hasattr",
    "delattr",
    "vars",
    "globals",
    "locals",
    "eval",
    "exec",
    "compile",
    "__import__",
}


def _without_unrelated_definitions(tree: ast.Module, anchors: set[int], lines: list[str]) -> list[bool] | None:
    """Per line: whether it is kept, for a file that builds a recurrent module: all but the
    top-level functions and classes that cannot give the analysis a fact. Such a definition

    - holds no anchor, has no decorator (which may register it somewhere) and is the only
      binding of its name;
    - reads no attribute the analysis knows a meaning of (``vocabulary``; ``append`` and the like
      excepted: the analysis reads them only on values it knows) and declares nothing ``global``;
    - reads no module name but builtins, standard-library modules, names assigned from those,
      and other such definitions: so every value in it is one the analysis knows nothing of;
    - is not named anywhere else in the file (as a word: calls, ``__all__``, strings), so no
      code kept can hand it a model.

    None when there is none."""
    bindings = _module_bindings(tree)
    plain = _plain_names(tree, bindings)
    candidates: dict[str, tuple[ast.stmt, frozenset[str]]] = {}
    for statement in tree.body:
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if statement.decorator_list or len(bindings[statement.name]) > 1:
            continue
        first, last = _first_line(statement), statement.end_lineno or statement.lineno
        if any(first <= line <= last for line in anchors):
            continue
        free = _free_names(statement, "\n".join(lines[first - 1 : last]), bindings)
        if free is not None:
            candidates[statement.name] = (statement, free)
    while candidates:
        allowed = plain | candidates.keys()
        reaching = {name for name, (_, free) in candidates.items() if not free <= allowed}
        if not reaching:
            owned = set()
            for statement, _ in candidates.values():
                owned.update(range(_first_line(statement), (statement.end_lineno or statement.lineno) + 1))
            kept = "\n".join(line for number, line in enumerate(lines, 1) if number not in owned)
            reaching = candidates.keys() & set(_WORD.findall(kept))
        if not reaching:
            break
        for name in reaching:
            del candidates[name]
    if not candidates:
        return None
    dropped = {id(statement) for statement, _ in candidates.values()}
    return _without(tree.body, lambda statement: id(statement) in dropped, len(lines))


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _module_bindings(tree: ast.Module) -> dict[str, list[ast.stmt]]:
    """Each module-level name, with the top-level statements binding it."""
    bindings: dict[str, list[ast.stmt]] = defaultdict(list)
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bindings[statement.name].append(statement)
            continue
        for name in _walk_names(statement)[1]:
            bindings[name].append(statement)
    return bindings


def _walk_names(root: ast.AST) -> tuple[set[str], set[str], bool]:
    """(the names ``root`` reads, the names it binds in any scope within — an over-estimate is
    safe here —, whether it declares a name global or reads a telling attribute), in one walk."""
    loaded: set[str] = set()
    bound: set[str] = set()
    telling = False
    for node in ast.walk(root):
        kind = type(node)
        if kind is ast.Name:
            (loaded if type(node.ctx) is ast.Load else bound).add(node.id)
        elif kind is ast.Attribute:
            telling = telling or node.attr in _TELLING_ATTRIBUTES
        elif kind is ast.arg:
            bound.add(node.arg)
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            bound.add(node.name)
        elif kind in (ast.Import, ast.ImportFrom):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif kind in (ast.ExceptHandler, ast.MatchAs, ast.MatchStar) and node.name:
            bound.add(node.name)
        elif kind is ast.MatchMapping and node.rest:
            bound.add(node.rest)
        elif kind in (ast.Global, ast.Nonlocal):
            telling = True
    return loaded, bound, telling


def _plain_names(tree: ast.Module, bindings: dict[str, list[ast.stmt]]) -> set[str]:
    """Module names whose every binding is plain: builtins left alone, imports of the standard
    library, and assignments computed from plain names only."""
    plain = {name for name in _PLAIN_BUILTINS if name not in bindings}
    plain.update(("__file__", "__name__", "__doc__"))
    tainted: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue  # decided as candidates
        loaded, bound, telling = _walk_names(statement)
        if not _plain_statement(statement, loaded, telling, plain):
            tainted |= bound
        plain |= bound - tainted
    return plain - tainted


def _plain_statement(statement: ast.stmt, loaded: set[str], telling: bool, plain: set[str]) -> bool:
    if isinstance(statement, ast.Import):
        return all(alias.name.split(".")[0] in sys.stdlib_module_names for alias in statement.names)
    if isinstance(statement, ast.ImportFrom):
        return statement.level == 0 and (statement.module or "").split(".")[0] in sys.stdlib_module_names
    if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return all(isinstance(target, ast.Name) for target in targets) and not telling and loaded <= plain
    return False


#: An attribute read, as the text shows it (strings and comments too: an over-estimate).
_ATTRIBUTE_TEXT = re.compile(r"\.[ \t]*([A-Za-z_][A-Za-z0-9_]*)")


def _free_names(statement: ast.stmt, text: str, bindings: dict[str, list[ast.stmt]]) -> frozenset[str] | None:
    """The module names a definition may read (a name it both binds and reads counts when the
    module binds it too), or None when it declares a name global or reads a telling attribute.
    ``text``: its source, to rule out most definitions that read one without walking them."""
    if not _TELLING_ATTRIBUTES.isdisjoint(_ATTRIBUTE_TEXT.findall(text)):
        return None
    loaded, bound, telling = _walk_names(statement)
    if telling:
        return None
    local = bound - {getattr(statement, "name", "")}
    return frozenset(name for name in loaded if name not in local or name in bindings)


def _render(lines: list[str], keep: list[bool], top_level: bool = False) -> str:
    """The kept lines in place, the others empty; a long run of removed lines becomes one string
    statement spanning exactly those lines (libcst takes about 20 µs per empty line, and a
    string's lines cost nothing), indented as the kept line after it (``top_level``: at the
    margin, where a removed top-level statement was)."""
    out: list[str] = []
    number = 1
    total = len(lines)
    while number <= total:
        if keep[number]:
            out.append(lines[number - 1])
            number += 1
            continue
        end = number
        while end + 1 <= total and not keep[end + 1]:
            end += 1
        run = end - number + 1
        following = lines[end] if end < total else ""
        indent = "" if top_level else following[: len(following) - len(following.lstrip(" \t"))]
        if run >= MIN_STRING_RUN and end < total:
            out.append(indent + '"""')
            out.extend([""] * (run - 2))
            out.append('"""')
        else:
            out.extend([""] * run)
        number = end + 1
    return "\n".join(out)


def _anchors(source: str, rules: Sequence[type[Rule]]) -> tuple[set[int], set[int]] | None:
    """(the lines where the rules' patterns match weakly — a test or a bias name —, the lines
    where they match otherwise, comments left out), or None when a rule has no pattern."""
    patterns = {rule.pattern for rule in rules if rule.code != "RNN000"}
    if not patterns or None in patterns:
        return None
    starts = line_starts(source)
    weak: set[int] = set()
    strong: set[int] = set()
    for pattern in patterns:
        for match in pattern.finditer(source):
            first = bisect_right(starts, match.start())
            lines = range(first, first + match.group().count("\n") + 1)
            if _WEAK_ANCHOR.search(match.group()):
                weak.update(lines)
            elif not _in_comment(source[starts[first - 1] : match.start()]):
                strong.update(lines)
    return weak, strong


def _in_comment(before: str) -> bool:
    """Whether a match preceded by ``before`` on its line is in a comment (sure only when no
    quote could make the ``#`` part of a string)."""
    return "#" in before and not any(quote in before for quote in "'\"")


def _string_only_lines(tree: ast.Module) -> set[int]:
    """Lines holding nothing but a string statement (a docstring): what a pattern matches there
    (``an LSTM (long short-term memory)``) builds nothing."""
    strings: set[int] = set()
    shared: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        end = node.end_lineno or node.lineno
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            strings.update(range(node.lineno, end + 1))
        elif getattr(node, "body", None):  # a compound statement: its header, not its body
            shared.update(range(node.lineno, max(node.body[0].lineno, node.lineno + 1)))
        else:
            shared.update(range(node.lineno, end + 1))
    return strings - shared


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", ())
    return min([node.lineno, *(decorator.lineno for decorator in decorators)])


def _units(tree: ast.Module) -> Iterable[_Unit]:
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef) and _first_line(statement.body[0]) > statement.lineno:
            header = _reads([*statement.bases, *statement.keywords, *statement.decorator_list])[0]
            for member in statement.body:
                unit = _unit(member)
                unit.owner = statement
                unit.names |= header  # a kept member needs its class's bases
                yield unit
            continue  # the header is kept with its members, never on its own
        unit = _unit(statement)
        unit.always = isinstance(statement, (ast.Import, ast.ImportFrom))
        yield unit


def _unit(statement: ast.stmt) -> _Unit:
    unit = _Unit(_first_line(statement), statement.end_lineno or statement.lineno)
    unit.names, unit.members = _reads([statement])
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        unit.binds = {statement.name}
    else:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                unit.binds.add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                unit.binds.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                unit.binds.add(node.name)
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == "__init__":
        unit.binds |= _stored_on_self(statement)
    return unit


def _stored_on_self(statement: ast.stmt) -> set[str]:
    """What ``self.hidden = 8`` in ``__init__`` stores: what ``self.hidden`` in a kept method
    reads (only ``__init__``'s stores count: the interpreter sets up an instance from it)."""
    return {
        node.attr
        for node in ast.walk(statement)
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and _on_self(node)
    }


def _on_self(node: ast.Attribute) -> bool:
    return isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")


def _reads(nodes: Iterable[ast.AST]) -> tuple[set[str], set[str]]:
    """(the names ``nodes`` read, the attributes they read on ``self`` or ``cls``)."""
    names: set[str] = set()
    members: set[str] = set()
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and _on_self(node):
                members.add(node.attr)
    return names, members


def _closure(units: list[_Unit], anchors: set[int]) -> list[_Unit] | None:
    """The units holding an anchor, the imports, and everything they use, transitively; None when
    an anchor lies outside every unit (a class header: slicing would not know what it means)."""
    # Who provides what: a module-level name, a member of a class, a whole class by its name.
    by_name: dict[str, list[_Unit]] = defaultdict(list)
    by_member: dict[tuple[int, str], list[_Unit]] = defaultdict(list)
    for unit in units:
        if unit.owner is None:
            for name in unit.binds:
                by_name[name].append(unit)
        else:
            by_name[unit.owner.name].append(unit)  # a class named by kept code is kept whole
            for name in unit.binds:
                by_member[(id(unit.owner), name)].append(unit)
    seeds = [unit for unit in units if unit.always or any(unit.start <= line <= unit.end for line in anchors)]
    if {line for line in anchors if any(unit.start <= line <= unit.end for unit in seeds)} != anchors:
        return None
    chosen: dict[int, _Unit] = {}
    seen_names: set[str] = set()
    seen_members: set[tuple[int, str]] = set()
    work = list(seeds)
    while work:
        unit = work.pop()
        if id(unit) in chosen:
            continue
        chosen[id(unit)] = unit
        if unit.always:
            continue  # an import reads nothing
        for name in unit.names - seen_names:
            seen_names.add(name)
            work.extend(by_name.get(name, ()))
        if unit.owner is not None:
            for member in unit.members:
                key = (id(unit.owner), member)
                if key not in seen_members:
                    seen_members.add(key)
                    work.extend(by_member.get(key, ()))
    return list(chosen.values())
