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

import hashlib
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from rnn_lint.project.notebooks import project_text
from rnn_lint.project.root import ModuleResolver
from rnn_lint.reading import read_regular_file
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
#: What follows ``import``: a name list, in parentheses or continued with backslashes.
_IMPORTED = re.compile(r"import\s*\(([^)]*)\)|import[ \t]+((?:[^\n;#\\]|\\\n)*)")
#: A name read as an attribute (``models.Encoder``, ``pkg.build_rnn``), or looked up by name
#: (``getattr(models, "Encoder")``).
_ATTRIBUTE = re.compile(r"\.\s*([A-Za-z_][A-Za-z0-9_]*)|[\"']([A-Za-z_][A-Za-z0-9_]*)[\"']")
_DEFINITION = re.compile(r"(?:class|def)[ \t]+([A-Za-z_][A-Za-z0-9_]*)")

#: Bump when what a record holds, or how it is found, changes.
RECORD_FORMAT = "5"
#: What a stored record holds after the file's stamp, each None until a run needed it.
#: "mentions none of": the keys (``_names_key``) of the name sets ``mentioning`` found the file
#: does not mention — the next run, asking for the same names, need not read it again.
RECORD_FIELDS = (
    "content key",
    "builds recurrent",
    "words",
    "definitions",
    "imports",
    "imports *",
    "named",
    "mentions none of",
)
_KEY, _RECURRENT, _WORDS, _DEFINED, _IMPORTS, _STARRED, _NAMED, _SILENT = range(len(RECORD_FIELDS))


def _alternatives(words: Iterable[str]) -> str:
    """A pattern matching any of ``words``, as a trie (``ab|ac`` is ``a(?:b|c)``): ``re`` tries
    alternatives one after the other at every place, a trie tries one branch per character."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for character in word:
            node = node.setdefault(character, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(character) + pattern(node[character]) for character in sorted(node) if character]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return pattern(trie)


def _names_key(names: Iterable[str]) -> str:
    """A short key for a set of names (what a record remembers a file does not mention)."""
    return hashlib.blake2b(" ".join(sorted(names)).encode(), digest_size=8).hexdigest()


def _named_in(text: str) -> str:
    imported = " ".join(first or second for first, second in _IMPORTED.findall(text))
    attributes = {first or second for first, second in _ATTRIBUTE.findall(text)}
    return " ".join(sorted({*_IDENTIFIER.findall(imported), *attributes}))


#: A factory that hands out a recurrent class (``return nn.LSTM``): the engine's pre-filter need
#: not parse such a file (it builds nothing itself), but its callers build what it returns.
_RETURNS_RECURRENT_CLASS = re.compile(r"return[ \t]+[\w.]*\b(?:LSTM|GRU|RNN)(?:Cell)?[ \t]*(?:#.*)?$", re.MULTILINE)


def builds_recurrent(text: str) -> bool:
    if not any(needle in text for needle in RECURRENT_NEEDLES):
        return False
    return RECURRENT_CODE.search(text) is not None or _RETURNS_RECURRENT_CLASS.search(text) is not None


class TextPrefilter:
    """The project's files as the pre-filter sees them, and those among them that can name a
    given definition. What it finds in a file (does it build a recurrent module, its words, its
    definitions, its imports, its content key) is found once, and can be stored with the file's
    stat (``records``) so that the next run reads again only the files that changed."""

    def __init__(self, resolver: ModuleResolver, content_key: Callable[[str], str]) -> None:
        self.resolver = resolver
        self._content_key = content_key
        self.root = resolver.root
        self.paths: list[str] = []
        self._stamps: dict[str, str] = {}
        self._texts: dict[str, str] = {}
        self._found: dict[str, list[Any]] = {}  # path → a record (see RECORD_FIELDS), None = not yet
        self._identifiers: dict[str, frozenset[str]] = {}
        self._definitions: dict[str, frozenset[str]] = {}
        self._named: dict[str, frozenset[str]] = {}
        self._imports: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._ancestors: dict[str, frozenset[str]] = {}
        self._star_files: list[str] | None = None
        #: path → the name sets this run found it mentions none of (what its record keeps)
        self._silent: dict[str, list[str]] = {}

    def add(self, path: str, stamp: str, text: str | None = None, record: list[Any] | None = None) -> None:
        """A project file: its text (read now), or what a run before found in it when its stamp
        (path, size, modification time, inode) is the one recorded then."""
        self.paths.append(path)
        self._stamps[path] = stamp
        if text is not None:
            self._texts[path] = text
        self._found[path] = list(record[1:]) if record is not None else [None] * len(RECORD_FIELDS)

    def records(self) -> dict[str, list[Any]]:
        """path → [stamp, *what was found] (None: never needed), to be given back to ``add``.
        A file's "mentions none of" keeps the name sets asked about in this run only, so that
        it does not grow as the project's names change."""
        records = {}
        for path in self.paths:
            found = list(self._found[path])
            found[_SILENT] = self._silent.get(path)
            records[path] = [self._stamps[path], *found]
        return records

    def text(self, path: str) -> str:
        text = self._texts.get(path)
        if text is None:
            try:
                text = project_text(path, read_regular_file(path))
            except OSError:
                text = ""  # gone since its stat was taken: nothing to find in it
            self._texts[path] = text
        return text

    def _field(self, path: str, field: int, compute: Callable[[str], Any]) -> Any:
        found = self._found[path]
        if found[field] is None:
            found[field] = compute(self.text(path))
        return found[field]

    def content_key(self, path: str) -> str:
        """The key of the file's summary in the cache (its content and the summary format)."""
        return self._field(path, _KEY, self._content_key)

    def builds_recurrent(self, path: str) -> bool:
        return self._field(path, _RECURRENT, builds_recurrent)

    def identifiers(self, path: str) -> frozenset[str]:
        """Every identifier-like word of the file (found once)."""
        found = self._identifiers.get(path)
        if found is None:
            words = self._field(path, _WORDS, lambda text: " ".join(sorted(set(_IDENTIFIER.findall(text)))))
            found = self._identifiers[path] = frozenset(words.split())
        return found

    def definitions(self, path: str) -> frozenset[str]:
        """The names after ``class`` or ``def`` in the file (found once)."""
        found = self._definitions.get(path)
        if found is None:
            names = self._field(path, _DEFINED, lambda text: " ".join(sorted(set(_DEFINITION.findall(text)))))
            found = self._definitions[path] = frozenset(names.split())
        return found

    def mentioning(self, names: set[str]) -> dict[str, list[str]]:
        """name → the files whose text mentions it as a word."""
        found: dict[str, list[str]] = {}
        # Names that start with a capital (classes) are rare in code: one search for all of them
        # skips the files that mention none (a tenth of the cost of splitting every file into
        # words). Lower-case names (functions) start at almost every place: then each file is
        # split into words once, for every round.
        anywhere = re.compile(_alternatives(names)) if all(name[:1].isupper() for name in names) else None
        key = _names_key(names)
        for path in self.paths:
            if anywhere is not None and self._found[path][_WORDS] is None:
                if key in (self._found[path][_SILENT] or ()) or anywhere.search(self.text(path)) is None:
                    silent = self._silent.setdefault(path, [])
                    if key not in silent:
                        silent.append(key)
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
        # A file names another file's definition only through an import of the name, an
        # attribute (``models.Encoder``), a lookup by name (``getattr(models, "Encoder")``) or a
        # ``from m import *``: a bare ``convert(x)`` there is something else.
        stars = set(self.star_files())
        waiting = [path for path in candidates if path not in reached and (path in stars or name in self.named(path))]
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

    def named(self, path: str) -> frozenset[str]:
        """The names the file imports by name or reads as attributes (found once)."""
        found = self._named.get(path)
        if found is None:
            names = self._field(path, _NAMED, _named_in)
            found = self._named[path] = frozenset(names.split())
        return found

    def star_files(self) -> list[str]:
        if self._star_files is None:
            self._star_files = [
                path for path in self.paths if self._field(path, _STARRED, lambda text: _STAR.search(text) is not None)
            ]
        return self._star_files

    def imports(self, path: str) -> tuple[frozenset[str], frozenset[str]]:
        """(every module path an import in the file may name, those imported with ``*``), each
        as the path of the module without ``.py`` (a package: its folder)."""
        found = self._imports.get(path)
        if found is None:
            modules, starred = self._field(path, _IMPORTS, lambda text: self._find_imports(path, text))
            found = self._imports[path] = (frozenset(modules), frozenset(starred))
        return found

    def _find_imports(self, path: str, text: str) -> list[list[str]]:
        modules: set[str] = set()
        starred: set[str] = set()
        if "import" not in text:
            return [[], []]
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
                bases = bases if bases is not None else self.resolver.search_folders(path)
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
                bases = bases if bases is not None else self.resolver.search_folders(path)
                modules.update(os.path.join(base, *parts) for base in bases)
        return [sorted(modules), sorted(starred)]

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
