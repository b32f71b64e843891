"""Apply the fixes rules offer, as ruff does.

Each pass lints the text, takes every applicable fix whose edits overlap none already taken
(in source order), applies them bottom-up so earlier offsets stay valid, and lints again: a fix
can reveal or remove other findings, and fixes left out for overlapping get their turn. It stops
when nothing applicable is left, or after ``MAX_PASSES``. A pass whose result no longer parses is
undone and reported, never written.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import io
import os
import signal
import stat
import threading
import tokenize
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnn_lint.atomic import write_atomically
from rnn_lint.engine import ParseFailure, lint_file, lint_source, parse
from rnn_lint.notebook import fix_notebook, is_notebook
from rnn_lint.reading import read_regular_file
from rnn_lint.rule import Edit, Finding, Fix, Rule, applicable
from rnn_lint.text import edit_spans

MAX_PASSES = 10


@dataclass(frozen=True)
class FixedFile:
    """What fixing one file did: the findings left, how many were fixed, the unified diff when
    the file was not written (``--diff``), and a problem that stopped the fixing early."""

    path: str
    findings: list[Finding]
    fixed: int
    diff: str | None = None
    error: str | None = None
    #: The fixed bytes, when there were fixes and the file was not written (``write=False``).
    output: bytes | None = None


class FixNotApplicable(Exception):
    """The chosen fixes cannot be applied to this text (the message says why)."""


def fix_file(
    path: str | Path,
    rules: Sequence[type[Rule]],
    *,
    display_path: str | None = None,
    unsafe_fixes: bool = False,
    write: bool = True,
    data: bytes | None = None,
    project: Any = None,
    within: Sequence[str] | None = None,
    on_written: Callable[[], None] | None = None,
) -> FixedFile:
    """Fix one file in place (``write``) or compute its diff; the text is read once (``data``: the
    bytes, when the caller has read them already). A symlink is written through only to a target
    inside the folders ``within`` (see ``write_fixed``); a file that cannot be written keeps its
    findings and gets an RNN000 saying why. ``on_written``: see ``write_fixed``."""
    if is_notebook(path):
        return fix_notebook(
            path,
            rules,
            display_path=display_path,
            unsafe_fixes=unsafe_fixes,
            write=write,
            data=data,
            within=within,
            on_written=on_written,
        )
    shown = display_path or str(path)
    try:
        data = read_regular_file(path) if data is None else data
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        original = data.decode(encoding)
    except (OSError, UnicodeDecodeError, SyntaxError):
        # Nothing to fix in a file we cannot read; the engine words the RNN000 finding.
        return FixedFile(shown, lint_file(path, rules, display_path=shown, data=data), 0)
    fixed_source, fixed, findings, error = fix_source(
        original, shown, rules, unsafe_fixes=unsafe_fixes, project=project
    )
    diff = output = None
    if fixed:
        if write:
            try:
                write_fixed(path, fixed_source.encode(encoding), within, on_written)
            except (OSError, UnicodeEncodeError) as problem:
                # The file is as it was: its findings are the ones before fixing, plus this one.
                left = lint_source(original, shown, rules, project=project)
                return FixedFile(shown, sorted([*left, cannot_write(shown, problem)]), 0, None, error)
        else:
            diff = unified_diff(original, fixed_source, shown)
            output = fixed_source.encode(encoding)
    return FixedFile(shown, findings, fixed, diff, error, output)


class OutsideTheTree(OSError):
    """A symlink whose target lies outside the folders being linted: never written through."""


def write_fixed(
    path: str | os.PathLike,
    data: bytes,
    within: Sequence[str] | None = None,
    on_written: Callable[[], None] | None = None,
) -> None:
    """Write fixed bytes over ``path`` atomically (``atomic.write_atomically``). A symlink is
    written through to its target (the link stays a link) only when the target lies inside one
    of the folders ``within`` (real paths); one pointing elsewhere is refused.

    ``on_written`` is called once the file is replaced, with SIGINT and SIGTERM held back from the
    replacement until it returns: an interrupted run knows of every file it rewrote (the runner
    marks the file there), never one replaced but not yet counted."""
    target = os.path.realpath(path)
    if within is not None and target != os.path.abspath(path) and not any(_inside(target, root) for root in within):
        raise OutsideTheTree(f"it is a symlink to {target}, outside the linted folders; not written through")
    # Replacing the file would succeed in a writable folder (and always as root): a file its owner
    # made read-only is left alone, as an editor would.
    if not os.stat(target).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise PermissionError(errno.EACCES, "the file is read-only", target)
    if on_written is None:
        write_atomically(target, data)
        return
    with signals_held_back():
        write_atomically(target, data)
        on_written()


@contextlib.contextmanager
def signals_held_back() -> Iterator[None]:
    """SIGINT and SIGTERM that arrive inside the block are delivered when it ends.

    Two mechanisms, because a signal reaches Python code in two ways: a Python handler (the
    main thread's KeyboardInterrupt, the CLI's SIGTERM handler) runs in the main thread whichever
    thread the kernel picked, so it is swapped for one that only records the signal, which is
    raised again after the block; a default action (a worker's SIGTERM kills it) acts in the
    kernel, so the signals are blocked for this thread (workers have no other thread)."""
    held = (signal.SIGINT, signal.SIGTERM)
    caught: list[int] = []
    replaced = {}
    if threading.current_thread() is threading.main_thread():
        for signum in held:
            handler = signal.getsignal(signum)
            if callable(handler):
                replaced[signum] = handler
                signal.signal(signum, lambda signum, frame: caught.append(signum))
    blocking = hasattr(signal, "pthread_sigmask")
    previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, held) if blocking else None
    try:
        yield
    finally:
        if previous_mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)  # a blocked default action acts now
        for signum, handler in replaced.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(caught):
            signal.raise_signal(signum)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def cannot_write(shown: str, problem: Exception) -> Finding:
    """The RNN000 finding for fixes that could not be written (the file is unchanged)."""
    if isinstance(problem, OSError) and not isinstance(problem, OutsideTheTree):
        reason = problem.strerror or str(problem)
    else:
        reason = str(problem)
    message = f"cannot write the fixes: {reason} (the file is unchanged)"
    return Finding(
        path=shown, line=1, col=1, code="RNN000", end_line=1, end_col=1, name="syntax-error", message=message
    )


def fix_source(
    source: str,
    path: str,
    rules: Sequence[type[Rule]],
    *,
    unsafe_fixes: bool = False,
    apply: Callable[[str, list[Fix]], str] | None = None,
    project: Any = None,
) -> tuple[str, int, list[Finding], str | None]:
    """(fixed text, number of fixes applied, findings left, error or None).

    ``apply`` applies fixes to a text (default: ``apply_fixes``); a notebook's carries the edits
    back to its cells, and raises FixNotApplicable for an edit it cannot place. ``project`` as for
    ``engine.lint_source``."""
    apply = apply or apply_fixes
    fixed = 0
    findings = lint_source(source, path, rules, project=project)
    for _ in range(MAX_PASSES):
        chosen = _non_overlapping(finding.fix for finding in findings if applicable(finding.fix, unsafe_fixes))
        if not chosen:
            break
        fixed_now = [finding for finding in findings if finding.fix in chosen]
        try:
            candidate = apply(source, chosen)
        except FixNotApplicable as error:
            codes = ", ".join(sorted({finding.code for finding in fixed_now}))
            return source, fixed, findings, f"fixes for {codes} in {path} were not applied: {error}"
        try:
            parse(candidate)
        except ParseFailure:  # as the engine would see it
            codes = ", ".join(sorted({finding.code for finding in fixed_now}))
            return source, fixed, findings, f"fixes for {codes} would make {path} unparsable; they were not applied"
        source, fixed = candidate, fixed + len(fixed_now)
        findings = lint_source(source, path, rules, project=project)
    return source, fixed, findings, None


def apply_fixes(source: str, fixes: Iterable[Fix]) -> str:
    """``source`` with the edits of ``fixes`` (which must not overlap) applied."""
    for start, end, content in edit_spans(source, fixes):  # bottom-up: earlier offsets stay valid
        source = source[:start] + content + source[end:]
    return source


def _non_overlapping(fixes: Iterable[Fix | None]) -> list[Fix]:
    """The fixes to apply in one pass: in source order, each one whose edits touch nothing an
    earlier one edits (two insertions at one point conflict too: their order would be a guess)."""
    taken: list[Fix] = []
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
    ordered = sorted(
        {fix for fix in fixes if fix is not None and fix.edits}, key=lambda fix: min(_span(e) for e in fix.edits)
    )
    for fix in ordered:
        mine = [_span(edit) for edit in fix.edits]
        if any(_overlap(a, b) for a in mine for b in spans):
            continue
        taken.append(fix)
        spans.extend(mine)
    return taken


def _span(edit: Edit) -> tuple[tuple[int, int], tuple[int, int]]:
    return (edit.line, edit.col), (edit.end_line, edit.end_col)


def _overlap(a, b) -> bool:
    return (a[0] < b[1] and b[0] < a[1]) or a[0] == b[0]


def unified_diff(before: str, after: str, path: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=path, tofile=path
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n" for line in lines)
