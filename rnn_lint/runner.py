"""Lint (or fix) many files: discovery, the rules for each file, and parallel workers.

    paths ─▶ discover ─▶ rules per file (select / ignore / per-file-ignores) ─▶ workers ─▶ sorted

The work for one file is ``engine.lint_file`` (or ``fixer.fix_file``). Files whose text concerns
no rule are settled first by reading them (nearly all files of a big tree: in a forked process,
while this one imports libcst for the others); a process pool spreads the others, the files to
parse, over the cores in chunks; a small run stays in this process, since starting workers
would cost more than it saves. Results do not depend on the number of workers.

The engine and the fixer are imported where a file is read or analysed, not with this module: a
warm run that serves every file from the result cache does without them (about 10 ms of imports).
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from rnn_lint.config import Settings
from rnn_lint.discover import PathPatterns, SourceFile, discover
from rnn_lint.reading import read_regular_file
from rnn_lint.registry import all_rules, matches, select_rules
from rnn_lint.result_cache import ResultCache, Stamp, read_stamped
from rnn_lint.rule import Finding, Rule, applicable

if TYPE_CHECKING:  # the pool is imported only when workers are started (a warm run starts none)
    from concurrent.futures import ProcessPoolExecutor

    from rnn_lint.fixer import FixedFile

#: Below this many files one process does the work: starting workers costs more than it saves.
MIN_FILES_FOR_WORKERS = 32
#: Files per chunk sent to a worker. The files sent are the ones to parse (the others are settled
#: before, see ``_set_aside_quiet_files``), and a few big ones take most of the time, so chunks
#: stay small: no worker should be left with a heavy tail while others idle.
CHUNK = 4


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
    tasks, findings, index, cache, ready = _prepare(
        paths, settings, jobs, force_exclude, project, cache_dir, start_ready=True
    )
    work = functools.partial(_lint_chunk, stamped=cache is not None)

    def meanwhile() -> None:  # while another process analyses: what this one has to write
        if index is not None:
            index.write_deferred()
        if cache is not None:
            cache.prepare_save({task.source.path for task in tasks})

    try:
        chunks = ready.analyse(tasks, work, index, meanwhile) if ready is not None else None
    finally:
        if index is not None:
            index.write_deferred()  # (if not written meanwhile)
    if chunks is None:
        with _analysis_loaded(bool(tasks)):
            chunks = _run(tasks, work, jobs, index, _lint_crash)
    for chunk in chunks:
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
    include a fix that would apply is fixed from its bytes on disk, never from recorded edits.
    Symlinks are written through only to targets inside the folders named (see
    ``fixer.write_fixed``)."""
    from rnn_lint.fixer import FixedFile

    # the cache only serves files with nothing to fix; nothing to fix in a quiet file either
    tasks, unfixable, index, cache, _ = _prepare(
        paths,
        settings,
        jobs,
        force_exclude,
        project,
        cache_dir,
        usable=lambda found: not any(applicable(f.fix, unsafe_fixes) for f in found),
    )
    by_path: dict[str, list[Finding]] = {}
    for finding in unfixable:
        by_path.setdefault(finding.path, []).append(finding)
    results = [FixedFile(path, found, 0) for path, found in by_path.items()]
    within = tuple(sorted({_tree_of(path) for path in paths}))
    work = functools.partial(
        _fix_chunk, unsafe_fixes=unsafe_fixes, write=write, stamped=cache is not None, within=within
    )
    with _analysis_loaded(bool(tasks)):
        for chunk in _run(tasks, work, jobs, index, _fix_crash):
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


def _prepare(
    paths: Sequence[str | os.PathLike],
    settings: Settings,
    jobs: int | None,
    force_exclude: bool,
    project: bool,
    cache_dir: str | os.PathLike | None,
    usable: Callable[[list[Finding]], bool] = lambda found: True,
    start_ready: bool = False,
) -> tuple[list[FileTask], list[Finding], Any, ResultCache | None, _ReadyAnalyser | None]:
    """What a lint and a fix run share before analysing: (the tasks left to analyse, the findings
    served from the cache — of files whose findings are ``usable`` —, the project index, the
    result cache, and with ``start_ready`` the process that may analyse a warm run's changed files,
    started as soon as one is seen: see ``_ReadyAnalyser``). Quiet files are settled, and recorded
    in the cache, here."""
    cache = _open_cache(cache_dir, settings, project=project)
    ready = _ReadyAnalyser(cache, jobs) if start_ready else None
    changed = ready.start if ready is not None else None
    try:
        early_stats = _stat_ahead(paths, cache, ready)
        sources = discover(paths, settings, force_exclude=force_exclude)
        tasks = _tasks(sources, settings)
        # the files found are the index's own when it covers the paths named (no walk twice)
        found = None if force_exclude else [source.path for source in sources]
        started = _settle_early(tasks, cache, jobs)
        if started is not None and ready is not None and project:
            # a cold plain run: libcst is imported there while this process builds the index
            ready.start_for_all()
        try:
            index = _project_index(
                paths, settings, tasks, project, cache_dir, jobs, found, changed, early_stats, defer_writes=start_ready
            )
            _use_project(index)
            served: list[Finding] = []
            if cache is not None:
                stats = index.file_stats if index is not None else early_stats
                tasks, served = _served_from_cache(tasks, cache, usable, stats, changed)
            load = ready is None or not ready.for_all
            tasks, quiet = _set_aside_quiet_files(
                tasks, stamped=cache is not None, jobs=jobs, started=started, load_analysis=load
            )
        finally:
            if started is not None:
                started.cancel()
        if cache is not None:
            for path, stamp in quiet:
                cache.record(path, stamp, [], cross_file_digest=_cross_file_digest(path))
    except BaseException:
        if ready is not None:
            ready.cancel()
        raise
    return tasks, served, index, cache, ready


def _stat_ahead(
    paths: Sequence[str | os.PathLike], cache: ResultCache | None, ready: _ReadyAnalyser | None
) -> dict[str, os.stat_result]:
    """A warm run over folders big enough for ``_ReadyAnalyser``: the stat of every file the result
    cache recorded under them, taken before the tree is walked, and the analysing process started
    at once if a file analysed before has changed. The result cache and the project index take
    these stats instead of their own (no file is statted twice), and the process gets a head start
    of the walk and of the lookups before the changed file's (about 60 ms of the 0.2 s it takes to
    import libcst). Named files are few and found at once: they are left to the run."""
    if cache is None or ready is None or not ready.allowed:
        return {}
    folders = [os.path.abspath(path) for path in paths if os.path.isdir(path)]
    if not folders or len(folders) != len(paths):
        return {}
    stats, changed = cache.stat_recorded(folders)
    if changed:
        ready.start()
    return stats


def _tree_of(path: str | os.PathLike) -> str:
    """The folder a named path stands for, as a real path: itself, or a file's folder."""
    absolute = os.path.abspath(path)
    return os.path.realpath(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))


def _open_cache(cache_dir, settings: Settings, project: bool = False) -> ResultCache | None:
    if cache_dir is None:
        return None
    selected = select_rules(all_rules(), settings.select, settings.ignore, settings.extend_select)
    return ResultCache.open(cache_dir, settings, selected, project=project)


def _served_from_cache(
    tasks: list[FileTask],
    cache: ResultCache,
    usable: Callable[[list[Finding]], bool] = lambda found: True,
    stats: dict[str, os.stat_result | None] | None = None,
    changed: Callable[[], None] | None = None,
) -> tuple[list[FileTask], list[Finding]]:
    """(the tasks still to run, the findings of the others, from the cache). ``stats``: the
    files' stats the project index took this run (a file is not statted twice); ``changed`` is
    called at each file the cache cannot serve that was analysed before or is new."""
    remaining: list[FileTask] = []
    served: list[Finding] = []
    stats = stats or {}
    for task in tasks:
        path = task.source.path
        found = cache.lookup(
            path, task.source.display, cross_file_digest=_cross_file_digest(path), status=stats.get(path)
        )
        if found is not None and usable(found):
            served.extend(found)
        else:
            # a quiet file settled again (its timestamps too recent to trust) needs no analysis
            if changed is not None and not cache.settled_unread(path):
                changed()
            remaining.append(task)
    return remaining, served


def _set_aside_quiet_files(
    tasks: list[FileTask],
    *,
    stamped: bool,
    jobs: int | None = 1,
    started: _SettlingApart | None = None,
    load_analysis: bool = True,
) -> tuple[list[FileTask], list[tuple[str, Any]]]:
    """(the tasks to analyse, (path, stamp) of the files set aside): a file whose text concerns
    no rule (``engine.may_find``), and which the project does not involve, has no finding, which
    this process can tell by reading it. Most files of a big tree are such files; sending each to
    a worker and its result back cost more than reading it here, and the workers are left the
    files that are parsed.

    Many files on more than one core (``MIN_FILES_TO_SETTLE_APART``): a forked process reads them
    while this one imports what the analysis needs (``_load_analysis``), at the same time instead
    of one after the other. ``started``: such a process, started on these tasks before the project
    index was built (a cold run: see ``_settle_early``). ``load_analysis``: whether this process
    will analyse the files (else the process that will has imported what that takes)."""
    if not tasks:
        return [], []
    outcome = None
    if started is not None and started.count == len(tasks):
        outcome = started.outcome(load_analysis)
    elif _worth_settling_apart(tasks, jobs):
        apart = _SettlingApart.start(tasks, stamped)
        outcome = apart.outcome(load_analysis) if apart is not None else None
    if outcome is None:
        try:
            outcome = _quiet_files(tasks, stamped)
        except (KeyboardInterrupt, Terminated) as stop:
            raise _interrupted(stop) from None
    analysed, quiet = outcome
    if _PROJECT is not None:  # the text alone was read: a file the project involves is analysed
        involved = {index for index, _ in quiet if _involved(tasks[index].source.path)}
        if involved:
            analysed = sorted([*analysed, *involved])
            quiet = [(index, stamp) for index, stamp in quiet if index not in involved]
    return [tasks[index] for index in analysed], [(tasks[index].source.path, stamp) for index, stamp in quiet]


def _involved(path: str) -> bool:
    """Whether the project can make a file concern a rule that its text alone does not
    (``ProjectView.involves``); only a file the index summarised can be."""
    if path not in _PROJECT.summaries:
        return False
    view = project_view(path)
    return view is not None and view.involves()


#: From this many files to settle, on two cores or more, settling them goes to a forked process.
#: Starting it costs about 10 ms; importing libcst, which it runs alongside, 0.2 s.
MIN_FILES_TO_SETTLE_APART = 1000


def _quiet_files(tasks: list[FileTask], stamped: bool) -> tuple[list[int], list[tuple[int, Any]]]:
    """(the indices of the tasks to analyse, (index, stamp) of the quiet ones), from their text."""
    from rnn_lint.engine import may_find

    analysed: list[int] = []
    quiet: list[tuple[int, Any]] = []
    for index, task in enumerate(tasks):
        path = task.source.path
        stamp, data = _read(path, hashed=False) if stamped else (None, _read_plain(path))
        if data is None or may_find(path, task.rules, data):
            analysed.append(index)  # an unreadable file's RNN000 is the engine's to word
        else:
            quiet.append((index, stamp))
    return analysed, quiet


def _settle_early(tasks: list[FileTask], cache: ResultCache | None, jobs: int | None) -> _SettlingApart | None:
    """A cold run over many files: their text is read in a forked process from now on, while this
    one builds the project index and imports libcst (a warm run settles only the files the cache
    cannot serve, once it is known which)."""
    if (cache is not None and cache.entries) or not _worth_settling_apart(tasks, jobs):
        return None
    return _SettlingApart.start(tasks, stamped=cache is not None)


def _worth_settling_apart(tasks: list[FileTask], jobs: int | None) -> bool:
    return max(1, jobs or default_jobs()) > 1 and len(tasks) >= MIN_FILES_TO_SETTLE_APART


class _SettlingApart:
    """``_quiet_files`` in a forked process (the tasks are inherited, not sent)."""

    def __init__(self, process, receiver, count: int) -> None:
        self.process, self.receiver = process, receiver
        self.count = count  # how many tasks it settles

    @classmethod
    def start(cls, tasks: list[FileTask], stamped: bool) -> _SettlingApart | None:
        """None where processes are not forked: a fresh interpreter would import everything again."""
        context = _pool_context()
        if context.get_start_method() != "fork":
            return None
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_quiet_files_child, args=(tasks, stamped, sender, os.getpid()), daemon=True)
        process.start()
        sender.close()
        return cls(process, receiver, len(tasks))

    def outcome(self, load_analysis: bool = True) -> tuple[list[int], list[tuple[int, Any]]] | None:
        """What it found, once this process has loaded the analysis (``load_analysis``); None if
        it died."""
        try:
            if load_analysis:
                _load_analysis()
            analysed, quiet = self.receiver.recv()
        except EOFError:
            return None
        except (KeyboardInterrupt, Terminated) as stop:
            raise _interrupted(stop) from None
        finally:
            self.cancel()
        return analysed, [(index, stamp if stamp is None else Stamp(*stamp)) for index, stamp in quiet]

    def cancel(self) -> None:
        """Stop it if it still runs (the run stopped before it needed it)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.receiver.close()


def _quiet_files_child(tasks: list[FileTask], stamped: bool, sender, parent: int) -> None:
    _start_worker(None, parent)
    analysed, quiet = _quiet_files(tasks, stamped)
    # stamps as tuples: ten thousand dataclasses take a while to pickle
    fields = [
        (index, None if s is None else (s.size, s.mtime_ns, s.ctime_ns, s.content_hash, s.timestamps_trusted))
        for index, s in quiet
    ]
    sender.send((analysed, fields))
    sender.close()


#: From this many files in the last run's results, a warm run on more than one core that finds a
#: file changed starts its analysing process then (``_ReadyAnalyser``): below it, finding what
#: changed takes too little time for the fork to pay.
MIN_FILES_TO_START_READY = 1000


class _ReadyAnalyser:
    """A warm run's analysis, started as soon as the run sees that something changed. Analysing a
    changed file takes importing libcst (0.2 s) on top of finding the file (the project index,
    the result cache: 0.2 to 0.4 s on 10,000 files). The project index sees a change as it starts
    (a stamp unlike the one recorded), the result cache at the first file it cannot serve; from
    then on a forked process imports libcst while this one goes on finding, then analyses the
    files it is sent (fewer than ``MIN_FILES_FOR_WORKERS``: more go to the pool, as on a cold run)
    with the project index sent along. A run that finds nothing changed forks nothing: a process
    forked at the outset cost such a run 30 to 70 ms (copy-on-write faults, and its import competing
    for the cores). It is forked with ``os.fork`` and spoken to through two pipes: starting a
    multiprocessing process costs 25 ms of imports.

    A cold plain run over many files starts it at the outset (``start_for_all``): it imports
    libcst while this process builds the project index, then analyses every file left, on its
    own workers — this process never imports libcst (0.2 s off the run)."""

    def __init__(self, cache: ResultCache | None, jobs: int | None) -> None:
        self.jobs = jobs
        self.allowed = (
            cache is not None
            and len(cache.entries) >= MIN_FILES_TO_START_READY
            and max(1, jobs or default_jobs()) >= 2
            and _can_fork()
        )
        self.for_all = False  # started on a cold run, to analyse every file (``start_for_all``)
        self.pid = 0
        self.to_child: Any = None
        self.from_child: Any = None

    def start_for_all(self) -> None:
        """A cold run: fork now, to analyse all the files the run leaves (however many)."""
        if max(1, self.jobs or default_jobs()) >= 2 and _can_fork():
            self.allowed, self.for_all = True, True
            self.start()
            self.for_all = bool(self.pid)

    def start(self) -> None:
        """Something changed: fork now (once)."""
        if not self.allowed or self.pid or not _can_fork():  # (no thread may have started since)
            return
        self.allowed = False
        task_read, task_write = os.pipe()
        result_read, result_write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(task_write)
            os.close(result_read)
            code = 1
            try:
                _ready_child(os.fdopen(task_read, "rb"), os.fdopen(result_write, "wb"), parent, self.jobs)
                code = 0
            finally:
                os._exit(code)
        os.close(task_read)
        os.close(result_write)
        self.pid, self.to_child, self.from_child = pid, os.fdopen(task_write, "wb"), os.fdopen(result_read, "rb")

    def analyse(
        self,
        tasks: list[FileTask],
        work: Callable[[list[FileTask]], list[Result]],
        project: Any,
        meanwhile: Callable[[], None] | None = None,
    ) -> list[list[Result]] | None:
        """``work`` on each task, one result per task in order, analysed there; None when it is
        not the one to do it (never started, nothing to analyse, or enough files for the pool),
        and then it is stopped. A process that dies costs only the file it died on, as a worker
        does. ``meanwhile`` is called while it analyses (the result cache prepares its save)."""
        import pickle

        try:
            if not self.pid or not tasks or (len(tasks) >= MIN_FILES_FOR_WORKERS and not self.for_all):
                return None
            if project is not None:
                _ = project.summaries  # what a warm run left in the cache is read here, sent whole
            try:
                message = pickle.dumps((tasks, work, project, self.for_all), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # a plugin's rule or a patched function that cannot be pickled
                return None  # the work is done here
            try:
                self.to_child.write(message)
                self.to_child.close()
                if meanwhile is not None:
                    meanwhile()
                ok, value = pickle.load(self.from_child)
            except (OSError, EOFError, pickle.UnpicklingError):
                # its workers report a file that kills them; it dying itself, all is done again here
                return None if self.for_all else self._died(tasks, work, project)
            if not ok:
                raise value
            return value
        except (KeyboardInterrupt, Terminated) as stop:
            raise _interrupted(stop) from None
        finally:
            self.cancel()

    def _died(self, tasks: list[FileTask], work, project: Any) -> list[list[Result]]:
        """Each file again in a process of its own: the one that dies is reported, the others
        analysed (see ``_in_workers``)."""
        context = _pool_context()
        results = []
        for task in tasks:
            part, exitcode = _alone(work, task, context, project)
            results.append(part if part is not None else _lint_crash(task, _death(exitcode)))
        return results

    def cancel(self) -> None:
        """Stop it if it still runs, and collect it."""
        if self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        for pipe in (self.to_child, self.from_child):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


def _ready_child(tasks_in, results_out, parent: int, jobs: int | None) -> None:
    import pickle

    _start_worker(None, parent)
    _load_analysis()
    try:
        tasks, work, project, for_all = pickle.load(tasks_in)
    except (EOFError, OSError, pickle.UnpicklingError):
        return  # nothing to do: the run is over
    _use_project(project)
    try:
        if for_all:  # a cold run's files, on workers forked from here as the run's would be
            with _analysis_loaded(True):
                outcome = (True, _run(tasks, work, jobs, project, _lint_crash))
        else:
            outcome = (True, [work([task]) for task in tasks])
    except Exception as error:
        outcome = (False, error)
    pickle.dump(outcome, results_out, protocol=pickle.HIGHEST_PROTOCOL)
    results_out.flush()


def _load_analysis() -> None:
    """Import what analysing a file takes (libcst above all)."""
    import importlib

    for module in ("libcst", "libcst.native", "rnn_lint.engine", "rnn_lint.facts.interpreter", "rnn_lint.positions"):
        importlib.import_module(module)


@contextlib.contextmanager
def _analysis_loaded(needed: bool) -> Iterator[None]:
    """When files are to be analysed: what that takes imported first (libcst above all), so that
    workers forked later share it instead of each importing it again; and, while they are
    analysed, the garbage collector leaves alone the objects that exist by then (``gc.freeze``:
    modules and classes, which every full collection would walk again, and which forked workers
    would then copy page by page) and runs less often (the trees libcst builds hold no cycles:
    reference counting frees them). Both put back afterwards: about 5% of the analysis."""
    if not needed:
        yield
        return
    import gc

    _load_analysis()
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _read_plain(path: str) -> bytes | None:
    try:
        return read_regular_file(path)
    except OSError:
        return None


def _cross_file_digest(path: str) -> str:
    """A digest of everything the project index can tell ``path`` ("" when linting files alone):
    a file's recorded findings are only valid with the same answers."""
    if _PROJECT is None:
        return ""
    stored = _PROJECT.stored_answer(path)
    if stored is not None:
        return stored  # a warm run: neither the views nor their module are needed
    from rnn_lint.facts.project_semantics import told

    return told(_PROJECT, path)


def plan(paths: Sequence[str | os.PathLike], settings: Settings, *, force_exclude: bool = False) -> list[FileTask]:
    """The files to lint, each with the rules that apply to it; files no rule applies to are left
    out. Selectors are not validated here (see ``config.load_settings`` and the CLI)."""
    return _tasks(discover(paths, settings, force_exclude=force_exclude), settings)


def _tasks(sources: Iterable[SourceFile], settings: Settings) -> list[FileTask]:
    selected = tuple(select_rules(all_rules(), settings.select, settings.ignore, settings.extend_select))
    per_file = [(PathPatterns([pattern], settings.root), codes) for pattern, codes in settings.per_file_ignores.items()]
    tasks = []
    rules_when_ignoring: dict[tuple[str, ...], tuple[type[Rule], ...]] = {(): selected}  # 10,000 files, few sets
    for source in sources:
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


#: Progress of each file, shared with the workers: which file a dead worker was on, and which files
#: ``--fix`` had written when the run was interrupted.
NOT_STARTED, STARTED, DONE, WRITTEN = 0, 1, 2, 3


#: How long stopped workers may take to finish replacing a file before they are killed.
STOP_GRACE_SECONDS = 2.0


class Interrupted(Exception):
    """SIGINT or SIGTERM stopped the run; the workers are gone. ``written``: the files (as
    displayed) that ``--fix`` had rewritten before the stop, each one whole (writes are atomic)."""

    def __init__(self, reason: str, written: list[str]) -> None:
        super().__init__(reason)
        self.reason, self.written = reason, written


class Terminated(BaseException):
    """Raised in the main thread by the SIGTERM handler the CLI installs (see ``on_sigterm``)."""


def _interrupted(stop: BaseException, written: list[str] | None = None) -> Interrupted:
    """The ``Interrupted`` for a ``KeyboardInterrupt`` (SIGINT) or a ``Terminated`` (SIGTERM)."""
    return Interrupted("SIGTERM" if isinstance(stop, Terminated) else "SIGINT", written or [])


def on_sigterm(signum, frame) -> None:
    raise Terminated()


def _run(
    tasks: list[FileTask],
    work: Callable[[list[FileTask]], list[Result]],
    jobs: int | None,
    index: Any = None,
    crashed: Callable[[FileTask, str], list[Result]] | None = None,
) -> list[list[Result]]:
    """``work([task])`` for every task, in task order; in worker processes when there are enough
    files. A worker that dies (a segfault in a native parser, the OOM killer) costs only the file
    it was on: that file's result is ``crashed(task, why)`` and the other files are redone."""
    jobs = max(1, jobs or default_jobs())
    _use_project(index)
    results: dict[int, list[Result]] = {}
    progress = bytearray(len(tasks))
    indexed = list(enumerate(tasks))
    try:
        if jobs == 1 or len(tasks) < MIN_FILES_FOR_WORKERS:
            for index, task in indexed:
                results[index] = _tracked(work, index, task, progress)
        else:
            _in_workers(indexed, work, jobs, crashed, results, progress, index)
    except (KeyboardInterrupt, Terminated) as stop:
        written = [tasks[index].source.display for index, state in enumerate(progress) if state == WRITTEN]
        raise _interrupted(stop, sorted(written)) from None
    return [results[index] for index in range(len(tasks))]


def _tracked(work: Callable[[list[FileTask]], list[Result]], index: int, task: FileTask, progress) -> list[Result]:
    global _CURRENT
    progress[index] = STARTED
    _CURRENT = (progress, index)
    try:
        part = work([task])
    finally:
        _CURRENT = None
    progress[index] = WRITTEN if any(_written(result) for result in part) else DONE
    return part


#: (progress, index) of the file this process is working on, for ``_mark_written``.
_CURRENT: tuple[Any, int] | None = None


def _mark_written() -> None:
    """Called by ``fixer.write_fixed`` as soon as the current file is replaced, with SIGINT and
    SIGTERM held back until it returns: a stop never falls between the two, so the files an
    interrupted run lists are exactly the files it rewrote."""
    if _CURRENT is not None:
        progress, index = _CURRENT
        progress[index] = WRITTEN


def _written(entry: object) -> bool:
    """Whether a work result (``(path, result, stamp)``) is a file ``--fix`` wrote."""
    from rnn_lint.fixer import FixedFile

    result = entry[1] if isinstance(entry, tuple) and len(entry) > 1 else entry
    return isinstance(result, FixedFile) and result.fixed > 0 and result.diff is None


def _in_workers(
    indexed: list[tuple[int, FileTask]],
    work: Callable[[list[FileTask]], list[Result]],
    jobs: int,
    crashed: Callable[[FileTask, str], list[Result]] | None,
    results: dict[int, list[Result]],
    progress: bytearray,
    project: Any,
) -> None:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    context = _pool_context()
    shared = context.Array("b", len(progress), lock=False)  # the workers' view of ``progress``
    # Largest files first, so the long parses start early and small files fill the gaps at the end.
    ordered = sorted(indexed, key=lambda item: _size(item[1]), reverse=True)
    chunks = [ordered[start : start + CHUNK] for start in range(0, len(ordered), CHUNK)]
    pool = ProcessPoolExecutor(
        max_workers=min(jobs, len(chunks)),
        mp_context=context,
        initializer=_start_worker,  # once per worker, not once per chunk
        initargs=(shared, os.getpid(), project),
    )
    lost: list[tuple[int, FileTask]] = []
    try:
        futures = [(pool.submit(_work_chunk, work, chunk), chunk) for chunk in chunks]
        for future, chunk in futures:
            try:
                for index, part in future.result():
                    results[index] = part
            except BrokenProcessPool:
                lost.extend(chunk)
    except BaseException:
        _stop_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        progress[:] = bytes(shared[: len(progress)])
    if not lost:
        return
    # A worker died. The files that were being analysed then are the suspects: each is redone
    # alone in a process of its own, which names the culprit; everything else is redone.
    suspects = [(index, task) for index, task in lost if progress[index] == STARTED]
    if not suspects or crashed is None:
        raise InternalError("a worker process died outside of any file's analysis; try again with --jobs 1")
    for index, task in suspects:
        part, exitcode = _alone(work, task, context, project)
        results[index] = part if part is not None else crashed(task, _death(exitcode))
        progress[index] = WRITTEN if part and any(_written(result) for result in part) else DONE
    rest = [(index, task) for index, task in lost if index not in results]
    for index, _ in rest:
        progress[index] = NOT_STARTED
    if rest:
        _in_workers(rest, work, jobs, crashed, results, progress, project)


def _work_chunk(work: Callable[[list[FileTask]], list[Result]], chunk: list[tuple[int, FileTask]]):
    return [(index, _tracked(work, index, task, _PROGRESS)) for index, task in chunk]


_PROGRESS = bytearray(0)  # a worker's shared progress array, set by ``_start_worker``


def _start_worker(progress, parent: int, project: Any = None) -> None:
    """Initialise a worker: its progress array and the project index; Ctrl-C is the parent's to
    handle (it stops the workers); and the worker dies with the parent, even a parent killed with
    SIGKILL."""
    global _PROGRESS
    if progress is not None:
        _PROGRESS = progress
    _use_project(project)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with(parent)


def _die_with(parent: int) -> None:
    if sys.platform == "linux":
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: the kernel kills us with the parent
        except (OSError, AttributeError):
            pass
        else:
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)
            return

    def watch() -> None:  # elsewhere: look for the parent every half second
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="rnn-lint-parent-watch", daemon=True).start()


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now (an interrupt): SIGTERM, which a worker holds back only while it
    replaces a file and marks it written (``_mark_written``), then SIGKILL for any still there.
    A file being fixed is either written whole and listed, or not written."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()


def _alone(
    work: Callable[[list[FileTask]], list[Result]], task: FileTask, context, project: Any
) -> tuple[list[Result] | None, int]:
    """``work([task])`` in a process of its own: (its result or None if the process died, exit code)."""
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_alone_child, args=(work, task, sender, os.getpid(), project), daemon=True)
    process.start()
    sender.close()
    try:
        outcome = receiver.recv()
    except EOFError:
        outcome = None
    finally:
        receiver.close()
        process.join()
    if outcome is None:
        return None, process.exitcode or 0
    ok, value = outcome
    if not ok:
        raise value
    return value, 0


def _alone_child(work, task: FileTask, sender, parent: int, project: Any) -> None:
    _start_worker(None, parent, project)
    try:
        outcome = (True, work([task]))
    except Exception as error:
        outcome = (False, error)
    sender.send(outcome)
    sender.close()


def _death(exitcode: int) -> str:
    if exitcode < 0:
        try:
            how = f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"killed by signal {-exitcode}"
    else:
        how = f"exited with status {exitcode}"
    return f"the analysis crashed its worker process ({how}); the file was skipped — please report it"


def _size(task: FileTask) -> int:
    try:
        return os.path.getsize(task.source.path)
    except OSError:
        return 0


def _pool_context():
    # Forked workers inherit the loaded rules, plugins and libcst instead of importing them again.
    # Forking is only safe from a single-threaded process on Linux (a host such as pytest may run
    # threads; macOS frameworks do): otherwise start fresh interpreters.
    import multiprocessing

    return multiprocessing.get_context("fork" if _can_fork() else "spawn")


def _can_fork() -> bool:
    return sys.platform == "linux" and threading.active_count() == 1


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
    jobs: int | None = None,
    found: Sequence[str] | None = None,
    changed: Callable[[], None] | None = None,
    stats: dict[str, os.stat_result] | None = None,
    defer_writes: bool = False,
):
    """The index of the project enclosing ``paths``, when asked for and there is something to lint.
    It covers the whole project whichever files were named, so ``rnn-lint model.py`` and a run
    over the tree report the same findings in model.py. Its summaries live in the same cache
    folder as the results (none with ``--no-cache``). ``found``: the files discovered under
    ``paths`` (see ``load_project``)."""
    if not project or not tasks:
        return None
    from rnn_lint.project import load_project

    return load_project(
        paths,
        settings,
        cache_dir=cache_dir,
        use_cache=cache_dir is not None,
        jobs=max(1, jobs or default_jobs()),
        found=found,
        changed=changed,
        stats=stats,
        defer_writes=defer_writes,
    )


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
    from rnn_lint.engine import lint_file

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
    tasks: Iterable[FileTask],
    *,
    unsafe_fixes: bool,
    write: bool,
    stamped: bool = False,
    within: Sequence[str] | None = None,
) -> list[tuple[str, FixedFile, Stamp | None]]:
    from rnn_lint.fixer import fix_file

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
                within=within,
                on_written=_mark_written if write else None,
            )
        except Exception as error:
            raise _crash(task.source, error) from error
        results.append((task.source.path, result, stamp))
    return results


def _crash_finding(task: FileTask, why: str) -> Finding:
    return Finding(
        path=task.source.display, line=1, col=1, code="RNN000", end_line=1, end_col=1, name="syntax-error", message=why
    )


def _lint_crash(task: FileTask, why: str) -> list[tuple[str, list[Finding], None]]:
    return [(task.source.path, [_crash_finding(task, why)], None)]


def _fix_crash(task: FileTask, why: str) -> list[tuple[str, FixedFile, None]]:
    from rnn_lint.fixer import FixedFile

    return [(task.source.path, FixedFile(task.source.display, [_crash_finding(task, why)], 0), None)]


def _read(path: str, *, hashed: bool = True) -> tuple[Stamp | None, bytes | None]:
    stamped = read_stamped(path, hashed=hashed)
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
