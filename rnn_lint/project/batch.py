"""Summaries of many files at once, on every core.

A cold index summarises every file that can matter before it can answer anything: hundreds of
files in a big project, all of it in the one process that then lints (on 73 public repositories
as one project, about two thirds of the index's cost). A summary is a pure function of the
file's text (``summary.summarise``), so the files of one round — those that build a recurrent
module, then those that can name what the round before found — are summarised in forked worker
processes, their texts sent and their summaries (plain lists and dicts) sent back.

Only where forking is safe (Linux, a single-threaded process, as the runner decides for its
workers) and worth it (``MIN_FILES_FOR_WORKERS``); otherwise, and if a worker dies, in this
process, with the same results. Workers leave Ctrl-C to this process, which stops them.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from rnn_lint.project.summary import summarise

#: Fewer files than this are summarised here: starting workers would cost more than it saves.
MIN_FILES_FOR_WORKERS = 24
#: Files sent to a worker at a time.
CHUNK = 8


def summarise_many(
    texts: dict[str, str], jobs: int, summarise_one: Callable[[str], Any] | None = None
) -> dict[str, Any]:
    """path → ``summarise_one(text)`` (by default ``summary.summarise``) for every path of
    ``texts``, in ``jobs`` processes when there are enough files and forking is safe."""
    summarise_one = summarise_one or summarise
    paths = list(texts)
    if jobs > 1 and len(paths) >= MIN_FILES_FOR_WORKERS and _fork_is_safe():
        results = _in_workers(paths, texts, jobs, summarise_one)
        if results is not None:
            return {path: results[path] for path in paths}
    return {path: summarise_one(texts[path]) for path in paths}


def _fork_is_safe() -> bool:
    return sys.platform == "linux" and threading.active_count() == 1


def _in_workers(
    paths: list[str], texts: dict[str, str], jobs: int, summarise_one: Callable[[str], Any]
) -> dict[str, Any] | None:
    """The summaries made in forked workers; None when a worker died (then this process makes
    them all again: the culprit, if it kills this process too, is the same text either way)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # Largest first, so that the long ones start early and the small ones fill the gaps.
    ordered = sorted(paths, key=lambda path: len(texts[path]), reverse=True)
    chunks = [ordered[start : start + CHUNK] for start in range(0, len(ordered), CHUNK)]
    pool = ProcessPoolExecutor(
        max_workers=min(jobs, len(chunks)),
        mp_context=multiprocessing.get_context("fork"),
        initializer=_leave_interrupts_to_the_parent,
    )
    try:
        futures = [pool.submit(_summarise_chunk, summarise_one, [texts[path] for path in chunk]) for chunk in chunks]
        results: dict[str, Any] = {}
        for chunk, future in zip(chunks, futures, strict=True):
            results.update(zip(chunk, future.result(), strict=True))
        return results
    except BrokenProcessPool:
        return None
    except BaseException:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()  # Ctrl-C, SIGTERM: the workers go with this process's run
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _summarise_chunk(summarise_one: Callable[[str], Any], texts: list[str]) -> list[Any]:
    return [summarise_one(text) for text in texts]


def _leave_interrupts_to_the_parent() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
