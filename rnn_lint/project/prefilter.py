"""Which project files can matter to the index, told from their text alone (nothing is parsed).

The index summarises (``ast``) only the files a question about a recurrent model can reach:

1. the files that build a recurrent module (the engine's own pre-filter, ``RECURRENT_CODE``);
2. for each name the summaries make interesting (a class holding a recurrent module, a factory
   building one, a model holding such a class — ``index._interesting_names``), the files that
   can *name that definition*: a file mentions a project class ``Encoder`` only through an import
   chain that ends at a file defining ``Encoder`` (``class Encoder`` / ``def Encoder``), and
   every file on the chain mentions the name too — except a ``from m import *``, which passes
   every name on. So a file that mentions ``Encoder`` but imports nothing leading to a
   definition of it (another repository's ``Encoder``, a library's ``Model``) is left out.

The import test errs on the side of reading a file: any ``import``/``from`` text counts (in a
function, a string or a comment too), and ``import a`` or ``from a import b`` reaches every file
under ``a/`` (``a.b.Encoder`` may name any of them), as the index's own resolution can.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from rnn_lint.project.root import ModuleResolver
from rnn_lint.rule import RECURRENT_CODE

#: The engine's pre-filter for recurrent code: a file without these never builds a module.
RECURRENT_NEEDLES = ("RNN", "LSTM", "GRU")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Each pattern starts with a literal, so that ``re`` can skip to its candidates (a leading ``\b``
# makes it try every position, several times slower); a word that merely ends in ``from`` or
# ``import`` only adds a module path that names nothing.
_FROM_IMPORT = re.compile(r"from\s+(\.*)\s*([\w.]*)\s+import\b(\s*\*)?")
_IMPORT = re.compile(r"import[ \t]+([^\n;#]*)")
_STAR = re.compile(r"import\s*\*")
_DEFINITION = re.compile(r"(?:class|def)[ \t]+([A-Za-z_][A-Za-z0-9_]*)")


def builds_recurrent(text: str) -> bool:
    return any(needle in text for needle in RECURRENT_NEEDLES) and RECURRENT_CODE.search(text) is not None


class TextPrefilter:
    """The project's texts, and the files among them that can name a given definition."""

    def __init__(self, texts: dict[str, str], resolver: ModuleResolver) -> None:
        self.texts = texts
        self.resolver = resolver
        self.root = resolver.root
        self._identifiers: dict[str, frozenset[str]] = {}
        self._imports: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._ancestors: dict[str, frozenset[str]] = {}
        self._definitions: dict[str, frozenset[str]] = {}
        self._star_files: list[str] | None = None

    def identifiers(self, path: str) -> frozenset[str]:
        """Every identifier-like word of the file (found once)."""
        found = self._identifiers.get(path)
        if found is None:
            found = self._identifiers[path] = frozenset(_IDENTIFIER.findall(self.texts[path]))
        return found

    def mentioning(self, names: set[str], skip: Iterable[str] = ()) -> dict[str, list[str]]:
        """name → the files (not in ``skip``) whose text mentions it as a word."""
        skipped = set(skip)
        found: dict[str, list[str]] = {}
        for path in self.texts:
            if path in skipped:
                continue
            for name in names.intersection(self.identifiers(path)):
                found.setdefault(name, []).append(path)
        return found

    def naming(self, name: str, candidates: list[str], defining: Iterable[str] = ()) -> set[str]:
        """The files that can name the project's ``name``: among ``candidates`` (files mentioning
        it), those defining it or importing from a file that does or passes it on, and the
        ``from m import *`` files it passes through. ``defining``: files known to define it."""
        reached = {path for path in candidates if name in self.definitions(path)}
        reached.update(defining)
        if not reached:
            return set()  # no project file defines it: every mention names something else
        under: set[str] = set()  # the module paths (without .py) and folders the reached files are in
        for path in reached:
            under |= self.ancestors(path)
        waiting = [path for path in candidates if path not in reached]
        while True:
            grown = False
            for path in waiting:
                if path not in reached and not self.imports(path)[0].isdisjoint(under):
                    reached.add(path)
                    under |= self.ancestors(path)
                    grown = True
            exported = {path[:-3] for path in reached} | {
                os.path.dirname(path) for path in reached if path.endswith("__init__.py")
            }
            for path in self.star_files():
                if path not in reached and not self.imports(path)[1].isdisjoint(exported):
                    reached.add(path)
                    under |= self.ancestors(path)
                    grown = True
            if not grown:
                return reached

    def definitions(self, path: str) -> frozenset[str]:
        """The names after ``class`` or ``def`` in the file (found once)."""
        found = self._definitions.get(path)
        if found is None:
            found = self._definitions[path] = frozenset(_DEFINITION.findall(self.texts[path]))
        return found

    def star_files(self) -> list[str]:
        if self._star_files is None:
            self._star_files = [path for path, text in self.texts.items() if _STAR.search(text)]
        return self._star_files

    def imports(self, path: str) -> tuple[frozenset[str], frozenset[str]]:
        """(every module path an import in the file may name, those imported with ``*``), each
        as the path of the module without ``.py`` (a package: its folder)."""
        found = self._imports.get(path)
        if found is None:
            found = self._imports[path] = self._find_imports(path, self.texts[path])
        return found

    def _find_imports(self, path: str, text: str) -> tuple[frozenset[str], frozenset[str]]:
        modules: set[str] = set()
        starred: set[str] = set()
        bases: list[str] | None = None
        for match in _FROM_IMPORT.finditer(text):
            dots, module, star = match.groups()
            parts = [part for part in module.split(".") if part]
            if dots:
                folder = os.path.dirname(path)
                for _ in range(len(dots) - 1):
                    folder = os.path.dirname(folder)
                found = [os.path.join(folder, *parts)]
            else:
                bases = bases if bases is not None else self.resolver._bases(path)
                found = [os.path.join(base, *parts) for base in bases]
            modules.update(found)
            if star:
                starred.update(found)
        for match in _IMPORT.finditer(text):
            for item in match.group(1).strip().strip("()\\").split(","):
                words = item.split()
                if not words:
                    continue
                parts = [part for part in words[0].strip("()\\").split(".") if part.isidentifier()]
                if not parts:
                    continue
                if not (len(words) >= 3 and words[1] == "as"):
                    parts = parts[:1]  # ``import a.b`` binds ``a``: a.anything may follow
                bases = bases if bases is not None else self.resolver._bases(path)
                modules.update(os.path.join(base, *parts) for base in bases)
        return frozenset(modules), frozenset(starred)

    def ancestors(self, path: str) -> frozenset[str]:
        """The module path of ``path`` and every folder above it up to the root: an import of
        any of them may lead to a name defined in the file."""
        found = self._ancestors.get(path)
        if found is None:
            out = {path[:-3] if path.endswith(".py") else path}
            folder = os.path.dirname(path)
            while folder.startswith(self.root):
                out.add(folder)
                parent = os.path.dirname(folder)
                if folder == self.root or parent == folder:
                    break
                folder = parent
            found = self._ancestors[path] = frozenset(out)
        return found
