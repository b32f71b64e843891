"""Where the reported nodes are: positions for a few nodes, not for the whole module.

libcst's ``MetadataWrapper.resolve_many([PositionProvider, ParentNodeProvider])`` builds a
``CodeRange`` for every node and visits the whole tree a second time for the parents; it was a
third of rnn-lint's time. Here one code-generation pass (the same walk libcst's provider makes,
with the same syntactic positions) keeps only what findings need:

- the syntactic range of each wanted node (a reported node, a node a fix edits);
- the start line of the statement each wanted node belongs to (for ``# noqa``);
- for an argument a fix deletes, its neighbours' positions (to take the comma with it).

The pass stops as soon as everything wanted has been seen.

Positions are 1-based lines and 0-based columns in the text libcst parsed; ``engine`` maps them
back to the original text when it was normalised before parsing (form feeds, see
``engine.normalise``).
"""

from __future__ import annotations

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


def locate(module: cst.Module, nodes: Iterable[cst.CSTNode], arguments: Iterable[cst.CSTNode] = ()) -> Located:
    """Syntactic ranges and statement lines of ``nodes`` (all in ``module``), plus the calls and
    neighbours of ``arguments`` (``cst.Arg`` nodes a fix deletes, also in ``nodes``)."""
    wanted = {id(node) for node in nodes}
    state = _LocatingState(module, wanted, {id(node) for node in arguments})
    if not wanted:
        return state.result
    with suppress(_Done):
        module._codegen(state)
    return state.result
