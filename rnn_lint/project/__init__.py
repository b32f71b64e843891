"""The project index: what the files of a project tell about each other (see index.py).

    paths ─▶ root (root.py) ─▶ the project's Python files ─▶ summaries (summary.py, cached)
          ─▶ ProjectIndex (index.py) ─▶ a view per linted file (facts/project_semantics.py)

``load_project`` is the entry point the runner uses: it finds the root from the linted paths, so
``rnn-lint model.py`` and a whole-tree run see the same index.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from rnn_lint.project.index import ProjectIndex
from rnn_lint.project.root import ROOT_MARKERS, find_root


def load_project(
    paths: Sequence[str | os.PathLike],
    settings=None,
    *,
    cache_dir: str | os.PathLike | None = None,
    use_cache=True,
    jobs: int = 1,
    found: Sequence[str] | None = None,
    changed=None,
    stats: dict[str, os.stat_result] | None = None,
    defer_writes: bool = False,
) -> ProjectIndex:
    """The index of the project enclosing ``paths``: every Python file under its root that the
    settings' excludes and ``.gitignore`` leave in (those are not the project's own code), built
    on ``jobs`` processes when cold. ``found``: the files ``discover`` found under ``paths`` with
    these settings, used when the index covers exactly ``paths`` (a run over the whole project
    walks it once). ``changed`` is called when the index finds the tree changed since a run
    before (see ``ProjectIndex.build``). ``stats``: files' stats this run took already.
    ``defer_writes``: the index's cache entries are written when the caller says
    (``ProjectIndex.write_deferred``), not as it is built."""
    from rnn_lint.cache import CACHE_DIR_NAME, Cache
    from rnn_lint.config import Settings
    from rnn_lint.discover import discover

    root = find_root(paths)
    settings = settings if settings is not None else Settings(root=root)
    scope = _scope(root, paths)
    if found is not None and [os.path.abspath(path) for path in scope] == [os.path.abspath(path) for path in paths]:
        files = list(found)
    else:
        files = [source.path for source in discover(scope, settings)]
    cache = None
    if use_cache:
        cache = Cache(Path(cache_dir) if cache_dir is not None else root / CACHE_DIR_NAME)
        if defer_writes:
            cache.defer_writes()
    index = ProjectIndex.build(root, files, cache, jobs=jobs, changed=changed, stats=stats)

    def answer(path: str) -> str:
        # imported only when answers are computed: a warm run reads the stored ones
        from rnn_lint.facts.project_semantics import ProjectView

        return ProjectView(index, path).digest()

    index.keep_answers(answer)
    return index


def _scope(root: Path, paths: Sequence[str | os.PathLike]) -> list[Path | str | os.PathLike]:
    """What the index walks: the whole root when it is a project (a marker says so, or it is the
    folder the command runs from); otherwise only the paths named. Without that limit,
    ``rnn-lint /tmp/x.py`` would read all of /tmp, and a run from the home folder all of it."""
    if any((root / marker).exists() for marker in ROOT_MARKERS):
        return [root]
    if root == Path.cwd() and root not in (Path.home(), Path(root.anchor)):
        return [root]
    return list(paths) or [root]


__all__ = ["ProjectIndex", "find_root", "load_project"]
