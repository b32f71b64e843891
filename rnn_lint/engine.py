"""Lint one file: the pipeline, top to bottom.

    text ─▶ pre-filter (needles) ─▶ parse (libcst) ─▶ facts ─▶ rules ─▶ positions ─▶ noqa ─▶ findings

Everything that touches more than one file (discovery, configuration, parallel workers, output
formats) lives in ``runner.py`` and ``cli.py``; this module knows about one text at a time.
"""

from __future__ import annotations

import functools
import tokenize
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rnn_lint.guard import (
    DEEP,
    OutOfTime,
    TooComplex,
    check_depth,
    check_size,
    nesting,
    tick,
    time_budget,
    with_room_for,
)
from rnn_lint.reading import read_regular_file, unreadable_reason
from rnn_lint.redefinitions import earlier_definitions
from rnn_lint.rule import Diagnostic, Edit, Finding, Fix, Rule
from rnn_lint.slicing import relevant_part
from rnn_lint.suppress import parse_suppressions

if TYPE_CHECKING:  # libcst is imported only when a file is parsed (``--version`` never pays it)
    import libcst as cst

SYNTAX_ERROR = "RNN000"


class ParseFailure(Exception):
    """The text cannot be analysed: where and why (an RNN000 finding)."""

    def __init__(self, line: int, column: int, reason: str, skipped: bool = False) -> None:
        super().__init__(reason)
        self.line, self.column, self.reason = line, column, reason
        #: Not a syntax error: the file is beyond what rnn-lint analyses (``reason`` says why).
        self.skipped = skipped


def lint_file(
    path: str | Path,
    rules: Sequence[type[Rule]],
    display_path: str | None = None,
    *,
    project: Any = None,
    data: bytes | None = None,
) -> list[Finding]:
    """Read and lint one file. A file that cannot be read is an RNN000 finding, never an exception.

    ``data``: the file's bytes when the caller has read them already (the result cache records
    the hash of exactly the bytes that were linted). A Jupyter notebook (``.ipynb``) is linted by
    ``notebook.lint_notebook``."""
    if str(path).endswith(".ipynb"):
        from rnn_lint.notebook import lint_notebook

        return lint_notebook(path, rules, display_path, project=project, data=data)
    shown = display_path or str(path)
    try:
        data = read_regular_file(path) if data is None else data
    except OSError as error:
        return _unreadable(shown, unreadable_reason(path, error), rules)
    try:
        source = _decode(data)
    except (UnicodeDecodeError, SyntaxError) as error:
        return _unreadable(shown, f"cannot decode file: {error}", rules)
    return lint_source(source, shown, rules, project=project)


def may_find(path: str | Path, rules: Sequence[type[Rule]], data: bytes, *, project: Any = None) -> bool:
    """False when ``lint_file(path, rules, data=data, project=project)`` surely finds nothing,
    known without parsing: the text concerns no rule (the check ``lint_source`` starts with) and
    the project cannot make it concern one. The runner settles such files (nearly all of a big
    tree) itself instead of sending them to its workers."""
    if str(path).endswith(".ipynb"):
        return True
    if data.isascii() and not any(needle in data for needle in _needle_bytes(tuple(rules))):
        # ASCII decodes to itself whatever the encoding, unless a coding cookie names one Python
        # refuses: the RNN000 that takes is lint_file's to word.
        second_line_end = data.find(b"\n", data.find(b"\n") + 1)
        if b"coding" not in (data if second_line_end < 0 else data[:second_line_end]):
            return project is not None and project.involves()
    try:
        source = _decode(data)
    except (UnicodeDecodeError, SyntaxError):
        return True  # the RNN000 finding is lint_file's to word
    if prefilter(source, rules):
        return True
    return project is not None and project.involves()


def lint_source(source: str, path: str, rules: Sequence[type[Rule]], *, project: Any = None) -> list[Finding]:
    """Lint ``source`` (the text of ``path``) with ``rules``; findings sorted by position.

    ``project`` is the project-wide index (or None): it is handed to the facts builder so that
    cross-file knowledge can refine one file's facts.
    """
    wants_syntax_errors = any(rule.code == SYNTAX_ERROR for rule in rules)
    concerned = prefilter(source, rules)
    if not concerned and project is not None and project.involves():
        concerned = list(rules)  # e.g. self.rnn_cell(...) with nn.LSTM chosen by a base in another file
    if not concerned:
        return []
    text = relevant_part(source, concerned, project) or source
    try:
        depth = measure(text)
        findings = with_room_for(depth, lambda: _analyse(text, source, path, concerned, rules, project))
        return _with_earlier_definitions(findings, text, source, path, concerned, rules, project, depth)
    except ParseFailure as failure:
        message = failure.reason if failure.skipped else f"cannot parse file: {failure.reason}"
        return [_syntax_finding(path, failure.line, failure.column, message, rules)] if wants_syntax_errors else []
    except OutOfTime as error:
        return [_syntax_finding(path, 1, 1, str(error), rules)] if wants_syntax_errors else []
    except RecursionError:  # deeper than ``nesting_depth`` measured: a gap in it, not in the file
        message = "skipped: too deeply nested to analyse (recursion limit reached)"
        return [_syntax_finding(path, 1, 1, message, rules)] if wants_syntax_errors else []


def _with_earlier_definitions(
    findings: list[Finding],
    text: str,
    source: str,
    path: str,
    concerned: Sequence[type[Rule]],
    rules: Sequence[type[Rule]],
    project: Any,
    depth: int,
) -> list[Finding]:
    """``findings`` and those inside the definitions of a class that a later definition of the
    same name replaces (a notebook's model redefined in a later cell: ``redefinitions``)."""
    variants = earlier_definitions(text)
    if not variants:
        return findings
    seen = set(findings)
    for first_line, last_line, variant_text in variants:
        found = with_room_for(depth, lambda text=variant_text: _analyse(text, source, path, concerned, rules, project))
        for finding in found:
            if first_line <= finding.line <= last_line and finding not in seen:
                seen.add(finding)
                findings.append(finding)
    return sorted(findings)


def _analyse(
    text: str, source: str, path: str, concerned: Sequence[type[Rule]], rules: Sequence[type[Rule]], project: Any
) -> list[Finding]:
    """Parse, facts, rules, positions: the part of ``lint_source`` that needs room for the tree,
    within the file's time budget. ``text`` is what is parsed: ``source`` itself, or its
    relevant part (``slicing``), whose kept lines are ``source``'s at the same places."""
    with time_budget():
        return _analyse_in_time(text, source, path, concerned, rules, project)


def _analyse_in_time(
    text: str, source: str, path: str, concerned: Sequence[type[Rule]], rules: Sequence[type[Rule]], project: Any
) -> list[Finding]:
    wants_syntax_errors = any(rule.code == SYNTAX_ERROR for rule in rules)
    active = [rule for rule in concerned if rule.code != SYNTAX_ERROR]
    module, shift = _parse_measured(text)

    from rnn_lint.facts import build_facts

    try:
        facts = (
            build_facts(module, path, source=source)
            if project is None
            else build_facts(module, path, source=source, project=project)
        )
    except RecursionError:
        raise
    except Exception as error:  # a bug of ours must not stop the run or hide the other files
        return [_internal_error(path, "the analysis", error)] if wants_syntax_errors else []
    reported: list[tuple[type[Rule], Diagnostic]] = []
    failures: list[Finding] = []
    for rule_class in active:
        tick()
        try:
            reported.extend((rule_class, diagnostic) for diagnostic in rule_class().check(facts) or ())
        except RecursionError:
            raise
        except Exception as error:  # one broken (perhaps third-party) rule must not silence the others
            if wants_syntax_errors:
                failures.append(_internal_error(path, f"rule {rule_class.code}", error))
    if not reported:
        return failures
    parsed = normalise(text)[0]  # what libcst parsed, where ``positions`` finds the statements
    return sorted(_to_findings(module, shift, source, path, reported, parsed) + failures)


# --------------------------------------------------------------------------------------------
# The stages
# --------------------------------------------------------------------------------------------


def prefilter(source: str, rules: Sequence[type[Rule]]) -> list[type[Rule]]:
    """The cheap text test, run once per file: the rules that could find something in ``source``
    (none: the file is not parsed). Rules sharing needles and pattern (all built-in ones do) are
    tested once together."""
    concerned: list[type[Rule]] = []
    for needles, pattern, group in _needle_groups(tuple(rules)):
        if any(needle in source for needle in needles) and (pattern is None or pattern.search(source) is not None):
            concerned.extend(group)
    if len(concerned) > 1:
        order = {rule: index for index, rule in enumerate(rules)}
        concerned.sort(key=order.__getitem__)
    return concerned


@functools.lru_cache(maxsize=16)
def _needle_bytes(rules: tuple[type[Rule], ...]) -> tuple[bytes, ...]:
    """Every needle of the rules, encoded: in a file of ASCII bytes, a needle is found in the
    bytes exactly when it is found in the text."""
    return tuple({needle.encode() for needles, _, _ in _needle_groups(rules) for needle in needles})


@functools.lru_cache(maxsize=16)
def _needle_groups(rules: tuple[type[Rule], ...]) -> list[tuple[tuple[str, ...], Any, list[type[Rule]]]]:
    """The rules grouped by (needles, pattern), computed once per rule selection, not per file."""
    groups: dict[tuple[tuple[str, ...], Any], list[type[Rule]]] = {}
    for rule in rules:
        groups.setdefault((rule.needles, rule.pattern), []).append(rule)
    return [(needles, pattern, group) for (needles, pattern), group in groups.items()]


def parse(source: str) -> tuple[cst.Module, LineShift]:
    """Parse ``source`` with libcst, after ``normalise``; raise ParseFailure with Python's own
    position and message when it cannot be parsed, or (``skipped``) when it is too large or too
    deeply nested to analyse (see ``guard``)."""
    depth = measure(source)
    try:
        return with_room_for(depth, lambda: _parse_measured(source))
    except RecursionError as error:
        raise ParseFailure(1, 1, "skipped: too deeply nested to analyse (recursion limit reached)", True) from error


def measure(source: str) -> int:
    """The nesting depth of ``source`` (``guard.nesting_depth``), after the size and depth
    guards: raises ParseFailure for a file too large or too deep to analyse, and for a text that
    does not even tokenize (with Python's own message)."""
    try:
        check_size(source)
        depth, cost = nesting(source)
        check_depth(depth, cost)
    except TooComplex as error:
        raise ParseFailure(1, 1, str(error), True) from error
    except (tokenize.TokenError, SyntaxError) as error:
        rejected = _python_syntax_error(source)
        if rejected is not None:
            raise ParseFailure(*rejected) from error
        # Python's tokenize module and its compiler disagree: what was not measured gets room.
        measured = error.args[-1] if error.args and isinstance(error.args[-1], int) else 0
        depth = max(measured, DEEP + 1)
        check_depth(depth)
    return depth


def _parse_measured(source: str) -> tuple[cst.Module, LineShift]:
    """``parse`` once ``measure`` has passed, with room for its depth."""
    import libcst as cst

    text, shift = normalise(source)
    try:
        return cst.parse_module(text), shift
    except cst.ParserSyntaxError as error:
        line, column, reason = _python_syntax_error(source) or (error.raw_line, error.raw_column + 1, error.message)
        raise ParseFailure(line, column, reason) from error
    except RecursionError:
        raise
    except (MemoryError, ValueError) as error:  # pathological inputs
        raise ParseFailure(1, 1, str(error)) from error


class LineShift:
    """Columns removed from the start of some lines by ``normalise``: positions in the parsed
    text map back to the original text by adding them."""

    def __init__(self, removed: dict[int, int] | None = None) -> None:
        self.removed = removed or {}

    def column(self, line: int, column: int) -> int:
        """``column`` (0-based, in the parsed text) on ``line`` as a column of the original text."""
        return column + self.removed.get(line, 0)


def normalise(source: str) -> tuple[str, LineShift]:
    """The text to parse: form feeds in a line's indentation are dropped with everything before
    them on the line, as CPython's tokenizer does (a form feed resets the indentation count);
    libcst would otherwise reject valid code or misplace what follows. The returned ``LineShift``
    maps positions back to ``source``, the text fixes edit."""
    if "\f" not in source:
        return source, LineShift()
    from rnn_lint.text import NEWLINE

    out: list[str] = []
    removed: dict[int, int] = {}
    start = 0
    for number, match in enumerate([*NEWLINE.finditer(source), None], start=1):
        end = match.start() if match else len(source)
        line = source[start:end]
        indent = len(line) - len(line.lstrip(" \t\f"))
        cut = line.rfind("\f", 0, indent) + 1
        if cut:
            removed[number] = cut
            line = line[cut:]
        out.append(line)
        if match:
            out.append(match.group())
            start = match.end()
    return "".join(out), LineShift(removed)


def _to_findings(
    module: cst.Module,
    shift: LineShift,
    source: str,
    path: str,
    reported: Iterable[tuple[type[Rule], Diagnostic]],
    parsed: str | None = None,
) -> list[Finding]:
    import libcst as cst

    from rnn_lint.positions import locate

    reported = list(reported)
    nodes = [diagnostic.node for _, diagnostic in reported]
    arguments = []
    for _, diagnostic in reported:
        if diagnostic.fix is not None:
            for edit in diagnostic.fix.edits:
                nodes.append(edit.node)
                if edit.replacement == "" and isinstance(edit.node, cst.Arg):
                    arguments.append(edit.node)
    located = locate(module, nodes, arguments, text=parsed)
    suppressions = parse_suppressions(source)
    findings: set[Finding] = set()
    for rule_class, diagnostic in reported:
        if id(diagnostic.node) not in located.ranges:  # a rule bug the run cannot pin on the rule
            raise KeyError(
                f"rule {rule_class.code} reported a {type(diagnostic.node).__name__} that is not in the file"
            )
        (line, column), (end_line, end_column) = located.range(diagnostic.node)
        if suppressions.silences(rule_class.code, line, located.statement_lines[id(diagnostic.node)]):
            continue
        fix = None
        if diagnostic.fix is not None:
            edits = [_edit(e.node, e.replacement, located, shift, source, module) for e in diagnostic.fix.edits]
            if all(edit is not None for edit in edits):
                fix = Fix(diagnostic.fix.message, diagnostic.fix.applicability, tuple(edits))  # type: ignore[arg-type]
        findings.add(
            Finding(
                path=path,
                line=line,
                col=shift.column(line, column) + 1,
                code=rule_class.code,
                end_line=end_line,
                end_col=shift.column(end_line, end_column) + 1,
                name=rule_class.name,
                message=diagnostic.message,
                fix=fix,
            )
        )
    return sorted(findings)


def _edit(node: cst.CSTNode, replacement: str, located, shift: LineShift, source: str, module) -> Edit | None:
    """The text edit for a node edit, or None when the original text at the node's position is
    not the node's own text (a fix must never change anything but the node it meant to)."""
    import libcst as cst

    if id(node) not in located.ranges:
        return None
    (line, column), (end_line, end_column) = located.range(node)
    start = (line, shift.column(line, column))
    end = (end_line, shift.column(end_line, end_column))
    if not _text_is(source, start, end, node, module):
        return None
    if replacement == "" and isinstance(node, cst.Arg):
        # Deleting an argument: take the separator with it, before it when it is the last one.
        call = located.calls.get(id(node))
        if call is None:
            return None
        index = next(i for i, arg in enumerate(call.args) if arg is node)
        if index + 1 < len(call.args):
            (next_line, next_column), _ = located.range(call.args[index + 1])
            end = (next_line, shift.column(next_line, next_column))
        elif index > 0:
            _, (previous_line, previous_column) = located.range(call.args[index - 1].value)
            start = (previous_line, shift.column(previous_line, previous_column))  # eat the comma before it
    return Edit(start[0], start[1] + 1, end[0], end[1] + 1, replacement)


def _text_is(source: str, start: tuple[int, int], end: tuple[int, int], node, module) -> bool:
    """Whether the original text between ``start`` and ``end`` is ``node``'s own text."""
    from rnn_lint.text import line_starts, offset

    starts = line_starts(source)
    written = source[offset(starts, len(source), *_one_based(start)) : offset(starts, len(source), *_one_based(end))]
    # The generated text may carry whitespace, comments and (for an argument) the comma after the
    # syntactic range: the range's text must be all of the node's text up to there.
    return bool(written.strip()) and module.code_for_node(node).lstrip().startswith(written)


def _one_based(position: tuple[int, int]) -> tuple[int, int]:
    return position[0], position[1] + 1


def _python_syntax_error(source: str) -> tuple[int, int, str] | None:
    """Where and why Python itself rejects the text: its positions and messages are the ones users
    know (libcst's can point one line late, e.g. after a Python 2 ``print "..."``)."""
    import ast

    try:
        compile(source, "<file>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:  # TabError and IndentationError included
        return error.lineno or 1, error.offset or 1, error.msg
    except (ValueError, RecursionError, MemoryError):
        return None
    return None


def _decode(data: bytes) -> str:
    """Decode like Python does: a BOM, else a PEP 263 coding cookie, else UTF-8."""
    # Most files have neither a BOM nor the word "coding" in their first two lines (where a cookie
    # must be): plain UTF-8, without tokenize's line-by-line detection. Anything else, or bytes
    # that are not UTF-8, take the full path, whose errors are the ones to report.
    second_line_end = data.find(b"\n", data.find(b"\n") + 1)
    head = data if second_line_end < 0 else data[:second_line_end]
    if not data.startswith(b"\xef\xbb\xbf") and b"coding" not in head:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    import io
    import tokenize

    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


def _syntax_finding(path: str, line: int, col: int, message: str, rules: Sequence[type[Rule]]) -> Finding:
    rule = next((r for r in rules if r.code == SYNTAX_ERROR), None)
    name = rule.name if rule else "syntax-error"
    return Finding(
        path=path,
        line=max(line, 1),
        col=max(col, 1),
        code=SYNTAX_ERROR,
        end_line=max(line, 1),
        end_col=max(col, 1),
        name=name,
        message=message,
    )


def _internal_error(path: str, where: str, error: Exception) -> Finding:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
    message = f"internal error in {where} (please report it): {type(error).__name__}: {detail}"
    return Finding(
        path=path, line=1, col=1, code=SYNTAX_ERROR, end_line=1, end_col=1, name="syntax-error", message=message
    )


def _unreadable(path: str, message: str, rules: Sequence[type[Rule]]) -> list[Finding]:
    if not any(rule.code == SYNTAX_ERROR for rule in rules):
        return []
    return [_syntax_finding(path, 1, 1, message, rules)]
