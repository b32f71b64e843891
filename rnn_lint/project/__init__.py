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
from rnn_lint.project.root import find_root


def load_project(
    paths: Sequence[str | os.PathLike], settings=None, *, cache_dir: str | os.PathLike | None = None, use_cache=True
) -> ProjectIndex:
    """The index of the project enclosing ``paths``: every Python file under its root that the
    settings' excludes and ``.gitignore`` leave in (those are not the project's own code)."""
    from rnn_lint.cache import CACHE_DIR_NAME, Cache
    from rnn_lint.config import Settings
    from rnn_lint.discover import discover

    root = find_root(paths)
    settings = settings if settings is not None else Settings(root=root)
    files = [source.path for source in discover([root], settings)]
    cache = None
    if use_cache:
        cache = Cache(Path(cache_dir) if cache_dir is not None else root / CACHE_DIR_NAME)
    return ProjectIndex.build(root, files, cache)


__all__ = ["ProjectIndex", "find_root", "load_project"]
