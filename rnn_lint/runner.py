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
from rnn_lint.fixer import FixedFile, applicable, fix_file
from rnn_lint.registry import all_rules, matches, select_rules
from rnn_lint.result_cache import ResultCache, Stamp, read_stamped
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
    cache_dir: str | os.PathLike | None = None,
) -> list[Finding]:
    """Every finding in the Python files under ``paths``, sorted by path, line, column and code.
    ``project``: see the whole project (the index of the project enclosing ``paths``), not only
    each file alone (``--isolated`` turns it off).

    With ``cache_dir``, a file whose content was linted before with the same tool, settings and
    answers from the project index is served from the result cache there
    (``rnn_lint.result_cache``)."""
    tasks = plan(paths, settings, force_exclude=force_exclude)
    index = _project_index(paths, settings, tasks, project, cache_dir)
    _use_project(index)
    cache = _open_cache(cache_dir, settings)
    findings: list[Finding] = []
    if cache is not None:
        tasks, findings = _served_from_cache(tasks, cache)
    work = functools.partial(_lint_chunk, stamped=cache is not None)
    for chunk in _run(tasks, work, jobs, index):
        for path, file_findings, stamp in chunk:
            findings.extend(file_findings)
            if cache is not None and stamp is not None:
                cache.record(path, stamp, file_findings, cross_file_digest=_cross_file_digest(path))
    if cache is not None:
        cache.save()
    return sorted(findings)


def fix_paths(
    paths: Sequence[str | os.PathLike],
    settings: Settings,
    *,
    unsafe_fixes: bool = False,
    write: bool = True,
    jobs: int | None = None,
    force_exclude: bool = False,
    project: bool = True,
    cache_dir: str | os.PathLike | None = None,
) -> list[FixedFile]:
    """Apply the fixes of the files under ``paths`` (``write=False``: only compute their diffs);
    one result per file that had findings or fixes, sorted by path.

    The result cache only ever says that a file has nothing to fix: a file whose recorded findings
    include a fix that would apply is fixed from its bytes on disk, never from recorded edits."""
    tasks = plan(paths, settings, force_exclude=force_exclude)
    index = _project_index(paths, settings, tasks, project, cache_dir)
    _use_project(index)
    cache = _open_cache(cache_dir, settings)
    results: list[FixedFile] = []
    if cache is not None:
        tasks, unfixable = _served_from_cache(
            tasks, cache, usable=lambda found: not any(applicable(f.fix, unsafe_fixes) for f in found)
        )
        by_path: dict[str, list[Finding]] = {}
        for finding in unfixable:
            by_path.setdefault(finding.path, []).append(finding)
        results = [FixedFile(path, found, 0) for path, found in by_path.items()]
    work = functools.partial(_fix_chunk, unsafe_fixes=unsafe_fixes, write=write, stamped=cache is not None)
    for chunk in _run(tasks, work, jobs, index):
        for path, result, stamp in chunk:
            if result.findings or result.fixed or result.error:
                results.append(result)
            # A file left as it was read: its findings are its lint findings. A fixed file is
            # linted again next time, from its new bytes.
            if cache is not None and stamp is not None and not result.fixed and not result.error:
                cache.record(path, stamp, result.findings, cross_file_digest=_cross_file_digest(path))
    if cache is not None:
        cache.save()
    return sorted(results, key=lambda result: result.path)


def _open_cache(cache_dir, settings: Settings) -> ResultCache | None:
    if cache_dir is None:
        return None
    selected = select_rules(all_rules(), settings.select, settings.ignore, settings.extend_select)
    return ResultCache.open(cache_dir, settings, selected)


def _served_from_cache(
    tasks: list[FileTask], cache: ResultCache, usable: Callable[[list[Finding]], bool] = lambda found: True
) -> tuple[list[FileTask], list[Finding]]:
    """(the tasks still to run, the findings of the others, from the cache)."""
    remaining: list[FileTask] = []
    served: list[Finding] = []
    for task in tasks:
        found = cache.lookup(
            task.source.path, task.source.display, cross_file_digest=_cross_file_digest(task.source.path)
        )
        if found is not None and usable(found):
            served.extend(found)
        else:
            remaining.append(task)
    return remaining, served


def _cross_file_digest(path: str) -> str:
    """A digest of everything the project index can tell ``path`` ("" when linting files alone):
    a file's recorded findings are only valid with the same answers."""
    view = project_view(path)
    return "" if view is None else view.digest()


def plan(paths: Sequence[str | os.PathLike], settings: Settings, *, force_exclude: bool = False) -> list[FileTask]:
    """The files to lint, each with the rules that apply to it; files no rule applies to are left
    out. Selectors are not validated here (see ``config.load_settings`` and the CLI)."""
    selected = tuple(select_rules(all_rules(), settings.select, settings.ignore, settings.extend_select))
    per_file = [(PathPatterns([pattern], settings.root), codes) for pattern, codes in settings.per_file_ignores.items()]
    tasks = []
    rules_when_ignoring: dict[tuple[str, ...], tuple[type[Rule], ...]] = {(): selected}  # 10,000 files, few sets
    for source in discover(paths, settings, force_exclude=force_exclude):
        ignored = tuple(
            code
            for patterns, codes in per_file
            if patterns.matches_file_or_folder(source.path, settings.root)
            for code in codes
        )
        rules = rules_when_ignoring.get(ignored)
        if rules is None:
            rules = tuple(rule for rule in selected if not any(matches(rule.code, code) for code in ignored))
            rules_when_ignoring[ignored] = rules
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


def _project_index(
    paths: Sequence[str | os.PathLike],
    settings: Settings,
    tasks: list[FileTask],
    project: bool,
    cache_dir: str | os.PathLike | None = None,
):
    """The index of the project enclosing ``paths``, when asked for and there is something to lint.
    It covers the whole project whichever files were named, so ``rnn-lint model.py`` and a run
    over the tree report the same findings in model.py. Its summaries live in the same cache
    folder as the results (none with ``--no-cache``)."""
    if not project or not tasks:
        return None
    from rnn_lint.project import load_project

    return load_project(paths, settings, cache_dir=cache_dir, use_cache=cache_dir is not None)


def _use_project(index: Any) -> None:
    global _PROJECT
    _PROJECT = index


def project_view(path: str) -> Any:
    """What the project tells about ``path`` (None when linting files alone)."""
    if _PROJECT is None:
        return None
    from rnn_lint.facts.project_semantics import ProjectView

    return ProjectView(_PROJECT, path)


def _lint_chunk(tasks: Iterable[FileTask], *, stamped: bool = False) -> list[tuple[str, list[Finding], Stamp | None]]:
    """(path, findings, stamp of the bytes linted when ``stamped``) for each file."""
    results = []
    for task in tasks:
        stamp, data = _read(task.source.path) if stamped else (None, None)
        try:
            findings = lint_file(
                task.source.path,
                task.rules,
                display_path=task.source.display,
                project=project_view(task.source.path),
                data=data,
            )
        except Exception as error:
            raise _crash(task.source, error) from error
        results.append((task.source.path, findings, stamp))
    return results


def _fix_chunk(
    tasks: Iterable[FileTask], *, unsafe_fixes: bool, write: bool, stamped: bool = False
) -> list[tuple[str, FixedFile, Stamp | None]]:
    results = []
    for task in tasks:
        stamp, data = _read(task.source.path) if stamped else (None, None)
        try:
            result = fix_file(
                task.source.path,
                task.rules,
                display_path=task.source.display,
                unsafe_fixes=unsafe_fixes,
                write=write,
                data=data,
                project=project_view(task.source.path),
            )
        except Exception as error:
            raise _crash(task.source, error) from error
        results.append((task.source.path, result, stamp))
    return results


def _read(path: str) -> tuple[Stamp | None, bytes | None]:
    stamped = read_stamped(path)
    return stamped if stamped is not None else (None, None)


def _crash(source: SourceFile, error: Exception) -> InternalError:
    """One line for the user that is still enough for a bug report: the file, the exception and
    the innermost frame (a worker's traceback does not survive the trip back)."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    detail = " ".join(str(error).split())  # one line, however the exception prints itself
    if len(detail) > 200:
        detail = detail[:200] + "…"
    return InternalError(f"crashed while linting {source.display}: {type(error).__name__}: {detail}{where}")
