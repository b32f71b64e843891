"""Lint one file: the pipeline, top to bottom.

    text ─▶ pre-filter (needles) ─▶ parse (libcst) ─▶ facts ─▶ rules ─▶ positions ─▶ noqa ─▶ findings

Everything that touches more than one file (discovery, configuration, parallel workers, output
formats) lives in ``runner.py`` and ``cli.py``; this module knows about one text at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from rnn_lint.facts import build_facts
from rnn_lint.rule import Diagnostic, Edit, Finding, Fix, Rule
from rnn_lint.suppress import parse_suppressions

SYNTAX_ERROR = "RNN000"


def lint_file(path: str | Path, rules: Sequence[type[Rule]], display_path: str | None = None) -> list[Finding]:
    """Read and lint one file. A file that cannot be read is an RNN000 finding, never an exception."""
    shown = display_path or str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return _unreadable(shown, f"cannot read file: {error.strerror or error}", rules)
    try:
        source = _decode(data)
    except (UnicodeDecodeError, SyntaxError) as error:
        return _unreadable(shown, f"cannot decode file: {error}", rules)
    return lint_source(source, shown, rules)


def lint_source(source: str, path: str, rules: Sequence[type[Rule]]) -> list[Finding]:
    """Lint ``source`` (the text of ``path``) with ``rules``; findings sorted by position."""
    active = [rule for rule in rules if rule.code != SYNTAX_ERROR]
    wants_syntax_errors = len(active) != len(rules)
    if not _may_concern(source, rules):
        return []
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        if not wants_syntax_errors:
            return []
        line, column, reason = _python_syntax_error(source) or (error.raw_line, error.raw_column + 1, error.message)
        return [_syntax_finding(path, line, column, f"cannot parse file: {reason}", rules)]
    except (RecursionError, MemoryError, ValueError) as error:  # pathological inputs
        return [_syntax_finding(path, 1, 1, f"cannot parse file: {error}", rules)] if wants_syntax_errors else []

    try:
        facts = build_facts(module, path)
    except Exception as error:  # a bug of ours must not stop the run or hide the other files
        return [_internal_error(path, "the analysis", error)] if wants_syntax_errors else []
    reported: list[tuple[type[Rule], Diagnostic]] = []
    failures: list[Finding] = []
    for rule_class in active:
        try:
            reported.extend((rule_class, diagnostic) for diagnostic in rule_class().check(facts) or ())
        except Exception as error:  # one broken (perhaps third-party) rule must not silence the others
            if wants_syntax_errors:
                failures.append(_internal_error(path, f"rule {rule_class.code}", error))
    if not reported:
        return failures
    return sorted(_to_findings(module, source, path, reported) + failures)


def _to_findings(
    module: cst.Module, source: str, path: str, reported: Iterable[tuple[type[Rule], Diagnostic]]
) -> list[Finding]:
    # Positions cost a full code-generation pass, so only files with something to report pay it.
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    metadata = wrapper.resolve_many([PositionProvider, ParentNodeProvider])
    positions, parents = metadata[PositionProvider], metadata[ParentNodeProvider]
    suppressions = parse_suppressions(source)
    findings: set[Finding] = set()
    for rule_class, diagnostic in reported:
        where = positions[diagnostic.node]
        statement_line = positions[_statement_of(diagnostic.node, parents)].start.line
        if suppressions.silences(rule_class.code, where.start.line, statement_line):
            continue
        fix = None
        if diagnostic.fix is not None:
            fix = Fix(
                diagnostic.fix.message,
                diagnostic.fix.applicability,
                tuple(_edit(edit.node, edit.replacement, positions, parents) for edit in diagnostic.fix.edits),
            )
        findings.add(
            Finding(
                path=path,
                line=where.start.line,
                col=where.start.column + 1,
                code=rule_class.code,
                end_line=where.end.line,
                end_col=where.end.column + 1,
                name=rule_class.name,
                message=diagnostic.message,
                fix=fix,
            )
        )
    return sorted(findings)


def _statement_of(node: cst.CSTNode, parents) -> cst.CSTNode:
    """The statement a node belongs to: a simple statement's line, or a compound statement's
    header (for an expression in an ``if``/``for``/``with`` test)."""
    current = node
    while True:
        if isinstance(current, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            return current
        parent = parents.get(current)
        if parent is None:
            return node
        current = parent


def _edit(node: cst.CSTNode, replacement: str, positions, parents) -> Edit:
    where = positions[node]
    start, end = where.start, where.end
    if replacement == "" and isinstance(node, cst.Arg):
        # Deleting an argument: take the separator with it, before it when it is the last one.
        call = parents.get(node)
        if isinstance(call, cst.Call):
            index = next(i for i, arg in enumerate(call.args) if arg is node)
            if index + 1 < len(call.args):
                end = positions[call.args[index + 1]].start
            elif index > 0:
                start = positions[call.args[index - 1].value].end  # eat the comma before it
    return Edit(start.line, start.column + 1, end.line, end.column + 1, replacement)


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


def _may_concern(source: str, rules: Sequence[type[Rule]]) -> bool:
    """The cheap text test: skip parsing when no selected rule could find anything here."""
    return any(
        any(needle in source for needle in rule.needles) and (rule.pattern is None or rule.pattern.search(source))
        for rule in rules
    )


def _decode(data: bytes) -> str:
    """Decode like Python does: a BOM, else a PEP 263 coding cookie, else UTF-8."""
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
