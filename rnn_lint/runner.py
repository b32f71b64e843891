"""Lint (or fix) many files: discovery, the rules for each file, and parallel workers.

    paths ─▶ discover ─▶ rules per file (select / ignore / per-file-ignores) ─▶ workers ─▶ sorted

The work for one file is ``engine.lint_file`` (or ``fixer.fix_file``), which reads the file once.
A process pool spreads files over the cores in chunks; a small run stays in this process, since
starting workers would cost more than it saves. Results do not depend on the number of workers.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from rnn_lint.config import Settings
from rnn_lint.discover import PathPatterns, SourceFile, discover
from rnn_lint.engine import lint_file
from rnn_lint.fixer import FixedFile, fix_file
from rnn_lint.registry import all_rules, matches, select_rules
from rnn_lint.rule import Finding, Rule

#: Below this many files one process does the work: starting workers costs more than it saves.
MIN_FILES_FOR_WORKERS = 32
#: Files per chunk sent to a worker. Most files are skipped unparsed and a few big ones take most
#: of the time, so chunks stay small: no worker should be left with a heavy tail while others idle.
CHUNK = 16


class InternalError(Exception):
    """A rule or the engine crashed on a file (a bug in rnn-lint or in a rule plugin). The
    message is one line naming the file and where the crash happened."""


@dataclass(frozen=True)
class FileTask:
    source: SourceFile
    rules: tuple[type[Rule], ...]


def lint_paths(
    paths: Sequence[str | os.PathLike],
    settings: Settings,
    *,
    jobs: int | None = None,
    force_exclude: bool = False,
    project: bool = True,
) -> list[Finding]:
    """Every finding in the Python files under ``paths``, sorted by path, line, column and code.
    ``project``: see the whole project (the index of the project enclosing ``paths``), not only
    each file alone (``--isolated`` turns it off)."""
    tasks = plan(paths, settings, force_exclude=force_exclude)
    index = _project_index(paths, settings, tasks, project)
    per_chunk = _run(tasks, _lint_chunk, jobs, index)
    return sorted(finding for chunk in per_chunk for finding in chunk)


def fix_paths(
    paths: Sequence[str | os.PathLike],
    settings: Settings,
    *,
    unsafe_fixes: bool = False,
    write: bool = True,
    jobs: int | None = None,
    force_exclude: bool = False,
    project: bool = True,
) -> list[FixedFile]:
    """Apply the fixes of the files under ``paths`` (``write=False``: only compute their diffs);
    one result per file that had findings or fixes, sorted by path."""
    work = functools.partial(_fix_chunk, unsafe_fixes=unsafe_fixes, write=write)
    tasks = plan(paths, settings, force_exclude=force_exclude)
    per_chunk = _run(tasks, work, jobs, _project_index(paths, settings, tasks, project))
    return sorted((result for chunk in per_chunk for result in chunk), key=lambda result: result.path)


def plan(paths: Sequence[str | os.PathLike], settings: Settings, *, force_exclude: bool = False) -> list[FileTask]:
    """The files to lint, each with the rules that apply to it; files no rule applies to are left
    out. Selectors are not validated here (see ``config.load_settings`` and the CLI)."""
    selected = tuple(select_rules(all_rules(), settings.select, settings.ignore, settings.extend_select))
    per_file = [(PathPatterns([pattern], settings.root), codes) for pattern, codes in settings.per_file_ignores.items()]
    tasks = []
    for source in discover(paths, settings, force_exclude=force_exclude):
        ignored = [
            code
            for patterns, codes in per_file
            if patterns.matches_file_or_folder(source.path, settings.root)
            for code in codes
        ]
        rules = tuple(rule for rule in selected if not any(matches(rule.code, code) for code in ignored))
        if rules:
            tasks.append(FileTask(source, rules))
    return tasks


def default_jobs() -> int:
    return os.cpu_count() or 1


# --------------------------------------------------------------------------------------------
# Workers
# --------------------------------------------------------------------------------------------

Result = TypeVar("Result")


def _run(
    tasks: list[FileTask], work: Callable[[list[FileTask]], Result], jobs: int | None, index: Any = None
) -> list[Result]:
    jobs = max(1, jobs or default_jobs())
    _use_project(index)
    if jobs == 1 or len(tasks) < MIN_FILES_FOR_WORKERS:
        return [work(tasks)]
    # Largest files first, so the long parses start early and small files fill the gaps at the end.
    ordered = sorted(tasks, key=_size, reverse=True)
    chunks = [ordered[start : start + CHUNK] for start in range(0, len(ordered), CHUNK)]
    try:
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(chunks)),
            mp_context=_pool_context(),
            initializer=_use_project,  # once per worker, not once per chunk
            initargs=(index,),
        ) as pool:
            return list(pool.map(work, chunks))
    except BrokenProcessPool as error:
        raise InternalError(f"a worker process died ({error}); try again with --jobs 1") from error


def _size(task: FileTask) -> int:
    try:
        return os.path.getsize(task.source.path)
    except OSError:
        return 0


def _pool_context():
    # Forked workers inherit the loaded rules, plugins and libcst instead of importing them again.
    # Forking is only safe from a single-threaded process on Linux (a host such as pytest may run
    # threads; macOS frameworks do): otherwise start fresh interpreters.
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


# --------------------------------------------------------------------------------------------
# The project index
# --------------------------------------------------------------------------------------------

#: The index of the project being linted, in this process (set by ``_run``, and in each worker by
#: the pool's initializer); None: every file alone.
_PROJECT: Any = None


def _project_index(paths: Sequence[str | os.PathLike], settings: Settings, tasks: list[FileTask], project: bool):
    """The index of the project enclosing ``paths``, when asked for and there is something to lint.
    It covers the whole project whichever files were named, so ``rnn-lint model.py`` and a run
    over the tree report the same findings in model.py."""
    if not project or not tasks:
        return None
    from rnn_lint.project import load_project

    return load_project(paths, settings)


def _use_project(index: Any) -> None:
    global _PROJECT
    _PROJECT = index


def project_view(path: str) -> Any:
    """What the project tells about ``path`` (None when linting files alone)."""
    if _PROJECT is None:
        return None
    from rnn_lint.facts.project_semantics import ProjectView

    return ProjectView(_PROJECT, path)


def _lint_chunk(tasks: Iterable[FileTask]) -> list[Finding]:
    findings: list[Finding] = []
    for task in tasks:
        try:
            findings.extend(
                lint_file(
                    task.source.path,
                    task.rules,
                    display_path=task.source.display,
                    project=project_view(task.source.path),
                )
            )
        except Exception as error:
            raise _crash(task.source, error) from error
    return findings


def _fix_chunk(tasks: Iterable[FileTask], *, unsafe_fixes: bool, write: bool) -> list[FixedFile]:
    results = []
    for task in tasks:
        try:
            result = fix_file(
                task.source.path,
                task.rules,
                display_path=task.source.display,
                unsafe_fixes=unsafe_fixes,
                write=write,
                project=project_view(task.source.path),
            )
        except Exception as error:
            raise _crash(task.source, error) from error
        if result.findings or result.fixed or result.error:
            results.append(result)
    return results


def _crash(source: SourceFile, error: Exception) -> InternalError:
    """One line for the user that is still enough for a bug report: the file, the exception and
    the innermost frame (a worker's traceback does not survive the trip back)."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    detail = " ".join(str(error).split())  # one line, however the exception prints itself
    if len(detail) > 200:
        detail = detail[:200] + "…"
    return InternalError(f"crashed while linting {source.display}: {type(error).__name__}: {detail}{where}")
