"""Where the reported nodes are: positions for a few nodes, not for the whole module.

libcst's ``MetadataWrapper.resolve_many([PositionProvider, ParentNodeProvider])`` builds a
``CodeRange`` for every node and visits the whole tree a second time for the parents; it was a
third of rnn-lint's time. Here one code-generation pass (the same walk libcst's provider makes,
with the same syntactic positions) keeps only what findings need:

- the syntactic range of each wanted node (a reported node, a node a fix edits);
- the start line of the statement each wanted node belongs to (for ``# noqa``);
- for an argument a fix deletes, its neighbours' positions (to take the comma with it).

The pass stops as soon as everything wanted has been seen.

When the text libcst parsed is at hand (``text``), the pass covers only the top-level statements
that hold a wanted node, not everything before them: which statement holds a node is found by
walking the tree's references (``gc.get_referents``, in C, far cheaper than generating text);
each such statement is generated on its own from line 1, and where it starts in ``text`` is found
by searching for the generated text (up to its last wanted node) at the start of a line. The
statement really is there (libcst gives its text back exactly), so a single match is the
statement and fixes its first line; when the text occurs at more than one line start, or is not
found (a text that is not the one parsed), the whole module is generated as before.

Positions are 1-based lines and 0-based columns in the text libcst parsed; ``engine`` maps them
back to the original text when it was normalised before parsing (form feeds, see
``engine.normalise``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState

from rnn_lint.guard import tick

Position = tuple[int, int]  # (line 1-based, column 0-based)
Range = tuple[Position, Position]


class _Done(Exception):
    """Raised inside the code generation once every wanted node has been placed."""


_STATEMENTS = (cst.SimpleStatementLine, cst.BaseCompoundStatement)


@dataclass
class Located:
    """What ``locate`` found: syntactic ranges, statement start lines, and the parent call of
    each argument asked for (keyed by ``id(node)``)."""

    ranges: dict[int, Range] = field(default_factory=dict)
    statement_lines: dict[int, int] = field(default_factory=dict)
    calls: dict[int, cst.Call] = field(default_factory=dict)

    def range(self, node: cst.CSTNode) -> Range:
        return self.ranges[id(node)]


class _LocatingState(CodegenState):
    """A code-generation state that tracks line and column and records only wanted nodes.

    ``record_syntactic_position`` may hoist a start or end from a child (``start_node``/
    ``end_node``), so the ranges of every node are kept while generating (a tuple per node, far
    cheaper than libcst's ``CodeRange`` objects and its second, parent-providing visit).
    """

    def __init__(self, module: cst.Module, wanted: set[int], arguments: set[int]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1
        self.column = 0
        self.wanted = wanted
        self.arguments = arguments
        self.remaining = set(wanted)
        self.computed: dict[int, Range] = {}
        self.starts: list[Position] = []  # where each node being generated began
        self.statements: list[tuple[cst.CSTNode, int]] = []  # enclosing statements, innermost last
        self.result = Located()

    # --- text ------------------------------------------------------------------------------
    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        if "\n" not in value and "\r" not in value:
            self.column += len(value)
            return
        lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.line += len(lines) - 1
        self.column = len(lines[-1])

    # --- nodes -----------------------------------------------------------------------------
    def before_codegen(self, node: cst.CSTNode) -> None:
        self.starts.append((self.line, self.column))
        if type(node) is cst.Call and self.arguments:
            for argument in node.args:  # type: ignore[attr-defined]
                if id(argument) in self.arguments:
                    self.result.calls[id(argument)] = node  # type: ignore[assignment]
                    self._want_neighbours(node, argument)  # type: ignore[arg-type]

    def after_codegen(self, node: cst.CSTNode) -> None:
        # A node without a syntactic position of its own gets its whitespace-inclusive range,
        # as with libcst's PositionProvider.
        start = self.starts.pop()
        key = id(node)
        if key not in self.computed:
            self._record(key, start, (self.line, self.column))

    def _want_neighbours(self, call: cst.Call, argument: cst.Arg) -> None:
        index = next(i for i, arg in enumerate(call.args) if arg is argument)
        if index + 1 < len(call.args):
            self._want(call.args[index + 1])
        if index > 0:
            self._want(call.args[index - 1].value)

    def _want(self, node: cst.CSTNode) -> None:
        if id(node) not in self.wanted:
            self.wanted.add(id(node))
            self.remaining.add(id(node))

    @contextmanager
    def record_syntactic_position(
        self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None, end_node: cst.CSTNode | None = None
    ) -> Iterator[None]:
        start = (self.line, self.column)
        statement = isinstance(node, _STATEMENTS)
        if statement:
            tick()  # the file's time budget (guard.time_budget)
            self.statements.append((node, start[0]))
        try:
            yield
        finally:
            if statement:
                self.statements.pop()
        # Not reached when the pass stops early (_Done): nothing more is recorded then.
        end = (self.line, self.column)
        if start_node is not None:
            start = self.computed[id(start_node)][0]
        if end_node is not None:
            end = self.computed[id(end_node)][1]
        self._record(id(node), start, end)

    def _record(self, key: int, start: Position, end: Position) -> None:
        self.computed[key] = (start, end)
        if key in self.remaining:
            self.result.ranges[key] = (start, end)
            self.result.statement_lines[key] = self.statements[-1][1] if self.statements else start[0]
            self.remaining.discard(key)
            if not self.remaining:
                raise _Done


def locate(
    module: cst.Module,
    nodes: Iterable[cst.CSTNode],
    arguments: Iterable[cst.CSTNode] = (),
    text: str | None = None,
) -> Located:
    """Syntactic ranges and statement lines of ``nodes`` (all in ``module``), plus the calls and
    neighbours of ``arguments`` (``cst.Arg`` nodes a fix deletes, also in ``nodes``).

    ``text``: the text libcst parsed ``module`` from; with it, only the top-level statements that
    hold the nodes are generated (see the module's docstring)."""
    wanted = {id(node) for node in nodes}
    argument_ids = {id(node) for node in arguments}
    if not wanted:
        return Located()
    if text is not None:
        located = _locate_by_statement(module, wanted, argument_ids, text)
        if located is not None:
            return located
    return _locate_in(module, module, wanted, argument_ids)


def _locate_in(module: cst.Module, root: cst.CSTNode, wanted: set[int], arguments: set[int]) -> Located:
    """Generate ``root`` (the module, or one of its top-level statements: then lines count from
    its first line) until every wanted node is placed."""
    state = _LocatingState(module, set(wanted), arguments)
    with suppress(_Done):
        root._codegen(state)
    return state.result


def _locate_by_statement(module: cst.Module, wanted: set[int], arguments: set[int], text: str) -> Located | None:
    """``locate`` generating only the top-level statements that hold wanted nodes; None when one
    of them cannot be placed in ``text`` without doubt (the caller then generates the module)."""
    holders = _holding_statements(module, wanted)
    if holders is None:
        return None
    located = Located()
    for statement, held in holders:
        part = _LocatingState(module, held, arguments)
        with suppress(_Done):
            statement._codegen(part)
        if part.remaining:
            return None  # not all placed: a node shared with another statement, say
        first_line = _first_line(text, "".join(part.tokens))
        if first_line is None:
            return None
        shift = first_line - 1
        for key, ((line, column), (end_line, end_column)) in part.result.ranges.items():
            located.ranges[key] = ((line + shift, column), (end_line + shift, end_column))
        for key, line in part.result.statement_lines.items():
            located.statement_lines[key] = line + shift
        located.calls.update(part.result.calls)
    return located


def _holding_statements(module: cst.Module, wanted: set[int]) -> list[tuple[cst.CSTNode, set[int]]] | None:
    """The top-level statements holding the wanted nodes, in order, each with the wanted nodes
    below it (a node is given to the first statement that holds it, as the whole-module pass
    would); None when a wanted node is in none of them (the module's header or footer)."""
    remaining = set(wanted)
    holders = []
    for statement in module.body:
        below = _ids_below(statement)
        held = remaining & below
        if held:
            holders.append((statement, held))
            remaining -= held
            if not remaining:
                return holders
    return None


def _ids_below(root: cst.CSTNode) -> set[int]:
    """The ids of ``root`` and every node below it: a breadth-first walk of the objects each node
    refers to, one C call per level (the children of a libcst node are its fields: nodes, and
    sequences of nodes)."""
    traversed = _traversed_types()
    ids = {id(root)}
    level: list = [root]
    while level:
        level = [child for child in gc.get_referents(*level) if type(child) in traversed]
        ids.update(map(id, level))
    return ids


_TRAVERSED: set[type] = set()


def _traversed_types() -> set[type]:
    """libcst's node classes, and the sequences that hold nodes."""
    if not _TRAVERSED:
        pending: list[type] = [cst.CSTNode]
        while pending:
            kind = pending.pop()
            _TRAVERSED.add(kind)
            pending.extend(kind.__subclasses__())
        _TRAVERSED.update((tuple, list))
    return _TRAVERSED


#: Searches for a statement's text give up (and the whole module is generated) after this many
#: matches that do not start a line: a text so repetitive is not worth scanning.
_MAX_MATCHES = 64


def _first_line(text: str, generated: str) -> int | None:
    """The line of ``text`` where ``generated`` (the start of a top-level statement's text)
    begins, when it begins exactly one line of ``text``; else None."""
    found = _line_starts_of(text, generated)
    if not found and generated.endswith(("\n", "\r")):
        # The last statement of a file that does not end with a newline: libcst generates one.
        found = _line_starts_of(text, generated[:-2] if generated.endswith("\r\n") else generated[:-1])
    if found is None or len(found) != 1:
        return None
    (index,) = found
    line_feeds = text.count("\n", 0, index)
    if "\r" not in text:
        return line_feeds + 1
    return line_feeds + text.count("\r", 0, index) - text.count("\r\n", 0, index) + 1


def _line_starts_of(text: str, generated: str) -> list[int] | None:
    """Where ``generated`` occurs at the start of a line of ``text`` (at most two places: two
    already make it ambiguous); None when it cannot be told cheaply."""
    if not generated:
        return None
    found: list[int] = []
    start = 0
    for _ in range(_MAX_MATCHES):
        index = text.find(generated, start)
        if index < 0:
            return found
        if index == 0 or text[index - 1] in "\n\r":
            found.append(index)
            if len(found) == 2:
                return found
        start = index + 1
    return None
