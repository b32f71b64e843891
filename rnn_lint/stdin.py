"""Lint or fix source that arrives on standard input: ``rnn-lint - --stdin-filename PATH``.

Editors and pre-commit-style tools send the buffer being edited, which may differ from the file on
disk, and name the file it belongs to. The text is linted as that file would be: the same
configuration, its ``per-file-ignores``, and (with ``--force-exclude``, as for files named on the
command line) its excludes — an excluded file gives no findings and, with ``--fix``, comes back
unchanged. The disk is never read for the source nor written; the result cache is not used.
"""

from __future__ import annotations

from rnn_lint.config import Settings
from rnn_lint.discover import SourceFile
from rnn_lint.engine import lint_file
from rnn_lint.fixer import FixedFile, fix_file
from rnn_lint.registry import all_rules, select_rules
from rnn_lint.rule import Finding
from rnn_lint.runner import FileTask, plan

#: Shown as the file's path when no --stdin-filename is given, as in ruff.
STDIN = "-"


def lint_stdin(data: bytes, settings: Settings, filename: str | None, *, force_exclude: bool = False) -> list[Finding]:
    """The findings in ``data``, as the file ``filename`` (None: a file no pattern names)."""
    task = _task(settings, filename, force_exclude)
    if task is None:
        return []
    return lint_file(task.source.path, task.rules, display_path=task.source.display, data=data)


def fix_stdin(
    data: bytes,
    settings: Settings,
    filename: str | None,
    *,
    unsafe_fixes: bool = False,
    force_exclude: bool = False,
) -> tuple[bytes, FixedFile]:
    """(the fixed bytes — ``data`` itself when nothing was fixed —, what fixing did)."""
    task = _task(settings, filename, force_exclude)
    if task is None:
        return data, FixedFile(filename or STDIN, [], 0)
    result = fix_file(
        task.source.path,
        task.rules,
        display_path=task.source.display,
        unsafe_fixes=unsafe_fixes,
        write=False,
        data=data,
    )
    return (result.output if result.output is not None else data), result


def _task(settings: Settings, filename: str | None, force_exclude: bool) -> FileTask | None:
    """The file's rules after per-file-ignores, or None when it is excluded or no rule applies."""
    if filename is None:
        rules = tuple(select_rules(all_rules(), settings.select, settings.ignore, settings.extend_select))
        return FileTask(SourceFile(STDIN, STDIN), rules) if rules else None
    tasks = plan([filename], settings, force_exclude=force_exclude)
    return tasks[0] if tasks else None
