"""Where a project starts, and which file an import of it names.

The root is the nearest folder above the linted paths holding ``pyproject.toml``, ``setup.py``,
``setup.cfg`` or ``.git``; without one, the current folder when the paths are files inside it,
else their common folder (a folder named is then the project). Imports resolve the way
Python would find them when the project runs: a script's own folder first (``python train.py``
puts it on ``sys.path``, so ``import model`` is the sibling ``model.py``), then each folder above
it up to the root, then ``<root>/src`` (src layout). A dotted name ``a.b`` is ``a/b.py`` or
``a/b/__init__.py`` — with or without ``__init__.py`` files on the way (namespace packages).
Relative imports (``from ..models import X``) count from the importing file's package.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def find_root(paths: Sequence[str | os.PathLike]) -> Path:
    """The project root enclosing ``paths`` (absolute)."""
    absolute = [Path(os.path.abspath(p)) for p in paths] or [Path.cwd()]
    folders = [p if p.is_dir() else p.parent for p in absolute]
    common = Path(os.path.commonpath([str(f) for f in folders]))
    for folder in (common, *common.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    # No marker: the current folder when only files inside it are named (``rnn-lint models/x.py``
    # run from the project's top), else the paths' common folder — a folder named is the project
    # itself: ``rnn-lint repos/`` run from /tmp must not read the rest of /tmp.
    cwd = Path.cwd()
    if common == cwd:
        return cwd
    only_files = all(not p.is_dir() for p in absolute)
    return cwd if only_files and cwd in common.parents else common


class ModuleResolver:
    """Dotted module names to files under one root, from the point of view of an importing file."""

    def __init__(self, root: Path, files: set[str]) -> None:
        self.root = str(root)
        self.files = files  # absolute, normalised paths of the project's Python files
        self._cache: dict[tuple[str, str, int], str | None] = {}
        self._bases_of: dict[str, list[str]] = {}

    def resolve(self, importer: str, module: str, level: int = 0) -> str | None:
        """The file ``module`` names when imported from ``importer`` (None: not the project's)."""
        key = (os.path.dirname(importer), module, level)
        if key not in self._cache:
            self._cache[key] = self._resolve(importer, module, level)
        return self._cache[key]

    def _resolve(self, importer: str, module: str, level: int) -> str | None:
        parts = [p for p in module.split(".") if p]
        if level:
            base = os.path.dirname(importer)
            for _ in range(level - 1):
                base = os.path.dirname(base)
            return self._in(base, parts)
        for base in self.search_folders(importer):
            found = self._in(base, parts)
            if found is not None:
                return found
        return None

    def search_folders(self, importer: str) -> list[str]:
        """Where an absolute import from ``importer`` is looked for (the same for every file of a
        folder: found once per folder)."""
        start = os.path.dirname(importer)
        found = self._bases_of.get(start)
        if found is None:
            found = self._bases_of[start] = self._folders_up(start)
        return found

    def _folders_up(self, start: str) -> list[str]:
        bases = []
        folder = start
        while True:
            bases.append(folder)
            if folder == self.root or not folder.startswith(self.root) or os.path.dirname(folder) == folder:
                break
            folder = os.path.dirname(folder)
        src = os.path.join(self.root, "src")
        if src not in bases:
            bases.append(src)
        return bases

    def _in(self, base: str, parts: list[str]) -> str | None:
        if not parts:
            init = os.path.join(base, "__init__.py")
            return init if init in self.files else None
        stem = os.path.join(base, *parts)
        for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
            if candidate in self.files:
                return candidate
        return None
