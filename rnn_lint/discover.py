"""Which files to lint: walk the given paths, skipping what the user and git leave out.

A directory is not entered when an exclude pattern matches it, when it is a virtualenv (it holds
a ``pyvenv.cfg``), or when a ``.gitignore`` on the way ignores it. Files and folders named on the
command line are taken as they are (as in ruff) unless ``force_exclude`` is set — pre-commit
passes every staged file by name, so its hook needs the excludes applied to them too.

Inside folders, the files taken are those matching ``include`` (default ``*.py`` and ``*.ipynb``)
or ``extend-include``.

Exclude (and include) patterns follow ruff: a pattern matches a path when it matches the path's last component
(``build``, ``*.egg-info``) or the whole absolute path once the pattern is anchored at the
settings' root (``src/legacy``, ``tests/*``); ``*`` may cross ``/`` there. ``.gitignore`` files
follow git's own rules (see ``GitIgnore``).
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rnn_lint.config import Settings


class PathPatterns:
    """ruff-style glob patterns, anchored at ``root``."""

    def __init__(self, patterns: Iterable[str], root: Path):
        anchor = glob.escape(os.path.abspath(root))
        names, absolutes = [], []
        for pattern in patterns:
            pattern = pattern.rstrip("/") or pattern
            names.append(fnmatch.translate(pattern))
            relative = pattern.removeprefix("./")
            absolutes.append(fnmatch.translate(relative if os.path.isabs(relative) else f"{anchor}/{relative}"))
        self._name = re.compile("|".join(names)) if names else None
        self._absolute = re.compile("|".join(absolutes)) if absolutes else None

    def matches(self, path: str) -> bool:
        """``path`` is absolute and normalised."""
        if self._name is None:
            return False
        return bool(self._name.match(os.path.basename(path)) or self._absolute.match(path))

    def matches_file_or_folder(self, path: str, root: Path) -> bool:
        """Whether ``path`` or a directory it lies in (below ``root``) matches: ``tests`` and
        ``tests/`` cover every file inside, as ``tests/*`` does."""
        return any(self.matches(current) for current in _chain_below(path, root))


# --------------------------------------------------------------------------------------------
# .gitignore
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _IgnoreRule:
    regex: re.Pattern[str]
    negated: bool
    directories_only: bool


class GitIgnore:
    """The patterns of one ``.gitignore`` file, matched as git does (gitignore(5)).

    - blank lines and ``#`` comments are skipped; trailing spaces are dropped unless escaped;
    - ``!pattern`` re-includes what an earlier pattern ignored (the last matching line wins);
    - ``pattern/`` matches directories only;
    - a pattern with a ``/`` at its start or middle is anchored at the file's directory, one
      without matches at any depth;
    - ``*`` and ``?`` never match ``/``; ``[...]`` is a character class;
    - ``**/`` leading, ``/**/`` inside and ``/**`` trailing match any number of directories.
    """

    def __init__(self, directory: str, lines: Iterable[str]):
        self.directory = directory
        self.rules = [rule for rule in map(_parse_ignore_line, lines) if rule is not None]

    @classmethod
    def read(cls, folder: str, name: str = ".gitignore", directory: str | None = None) -> GitIgnore | None:
        """The file ``folder/name``, whose patterns are relative to ``directory`` (default:
        ``folder``); None when there is no such file."""
        try:
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as handle:
                return cls(directory or folder, handle.read().splitlines())
        except OSError:
            return None

    def verdict(self, path: str, is_dir: bool) -> bool | None:
        """True if ignored, False if re-included by ``!``, None if no line speaks of ``path``."""
        prefix = self.directory.rstrip(os.sep) + os.sep
        if not path.startswith(prefix):
            return None
        relative = path[len(prefix) :].replace(os.sep, "/")
        for rule in reversed(self.rules):
            if rule.directories_only and not is_dir:
                continue
            if rule.regex.fullmatch(relative):
                return not rule.negated
        return None


def _parse_ignore_line(line: str) -> _IgnoreRule | None:
    if not line or line.startswith("#"):
        return None
    # Trailing spaces are ignored unless the last one is escaped with a backslash.
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        stripped += " "
    line = stripped
    negated = line.startswith("!")  # "\\!" and "\\#" are literal: the escape is undone below
    if negated:
        line = line[1:]
    directories_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    body = _wildmatch_to_regex(line)
    regex = body if anchored else f"(?:.*/)?{body}"
    return _IgnoreRule(re.compile(regex, re.DOTALL), negated, directories_only)


def _wildmatch_to_regex(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "*" and pattern.startswith("**", i):
            at_start = i == 0 or pattern[i - 1] == "/"
            end = i + 2
            if at_start and end < n and pattern[end] == "/":  # "**/": zero or more directories
                out.append("(?:.*/)?")
                i = end + 1
                continue
            if at_start and end == n:  # trailing "/**": everything inside
                out.append(".*")
                i = end
                continue
            out.append("[^/]*")  # any other "**" is a plain "*"
            i = end
            while i < n and pattern[i] == "*":
                i += 1
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            close = _class_end(pattern, i)
            if close < 0:
                out.append(re.escape(char))
            else:
                out.append(_class_to_regex(pattern[i + 1 : close]))
                i = close
        elif char == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _class_to_regex(content: str) -> str:
    out = ["["]
    if content[:1] in ("!", "^"):
        out.append("^/")  # a negated class still never matches a separator
        content = content[1:]
    i = 0
    while i < len(content):
        char = content[i]
        if char == "\\" and i + 1 < len(content):
            i += 1
            out.append(re.escape(content[i]))
        elif char in "[]^\\&~|":  # literal in a glob class, special (or set syntax) in a regex one
            out.append("\\" + char)
        else:
            out.append(char)  # including "-" for ranges
        i += 1
    return "".join(out) + "]"


def _class_end(pattern: str, start: int) -> int:
    """Index of the ``]`` closing the class opened at ``start``, or -1."""
    i = start + 1
    if i < len(pattern) and pattern[i] in "!^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":  # a leading "]" is a literal member
        i += 1
    while i < len(pattern):
        if pattern[i] == "]":
            return i
        i += 1
    return -1


class IgnoreStack:
    """The .gitignore files in force for one directory, outermost first; deeper files win."""

    def __init__(self, layers: Sequence[GitIgnore] = ()):
        self.layers = tuple(layers)

    def pushed(self, layer: GitIgnore | None) -> IgnoreStack:
        return IgnoreStack(self.layers + (layer,)) if layer and layer.rules else self

    def ignores(self, path: str, is_dir: bool) -> bool:
        for layer in reversed(self.layers):
            verdict = layer.verdict(path, is_dir)
            if verdict is not None:
                return verdict
        return False

    @classmethod
    def above(cls, directory: str, root: Path, read: Callable[[str], GitIgnore | None]) -> IgnoreStack:
        """The ignore files that apply inside ``directory`` from the directories above it: up to
        the enclosing git repository's top (and its ``.git/info/exclude``), or, outside any
        repository, up to ``root`` when ``directory`` lies below it. ``directory``'s own file is
        pushed by whoever enters it."""
        chain = [directory]
        while (parent := os.path.dirname(chain[-1])) != chain[-1]:
            chain.append(parent)
        top = next((d for d in chain if os.path.exists(os.path.join(d, ".git"))), None)
        if top is None:
            top = os.path.abspath(root)
            if not _is_within(directory, top):
                return cls()
        layers = [GitIgnore.read(os.path.join(top, ".git", "info"), "exclude", directory=top)]
        layers += [read(ancestor) for ancestor in reversed(chain[1 : chain.index(top) + 1])]
        return cls([layer for layer in layers if layer and layer.rules])


# --------------------------------------------------------------------------------------------
# The walk
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    path: str  # absolute and normalised, for opening and for matching patterns
    display: str  # what the user sees: relative to the current directory when inside it


def discover(
    paths: Sequence[str | os.PathLike], settings: Settings, *, force_exclude: bool = False
) -> list[SourceFile]:
    """The Python files under ``paths``, each once, sorted by displayed path."""
    return _Discovery(settings).run(paths, force_exclude)


class _Discovery:
    def __init__(self, settings: Settings):
        self.root = settings.root
        self.excludes = PathPatterns([*settings.exclude, *settings.extend_exclude], settings.root)
        self.includes = PathPatterns([*settings.include, *settings.extend_include], settings.root)
        self._gitignores: dict[str, GitIgnore | None] = {}  # pre-commit names many files per folder

    def run(self, paths: Sequence[str | os.PathLike], force_exclude: bool) -> list[SourceFile]:
        cwd = os.getcwd()
        found: dict[str, SourceFile] = {}
        for given in paths:
            path = os.path.abspath(given)
            is_dir = os.path.isdir(path)
            if force_exclude and self._excluded_with_parents(path, is_dir):
                continue
            if is_dir:
                ignores = IgnoreStack.above(path, self.root, self._gitignore)
                for file in self._walk(path, ignores):
                    found.setdefault(file, SourceFile(file, _display(file, cwd)))
            else:
                # A named file is linted whatever its suffix (pre-commit also passes scripts with a
                # python shebang); a missing one becomes an RNN000 finding in the engine.
                found.setdefault(path, SourceFile(path, _display(path, cwd)))
        return sorted(found.values(), key=lambda source: source.display)

    def _walk(self, top: str, ignores: IgnoreStack) -> Iterator[str]:
        pending = [(top, ignores)]
        while pending:
            directory, ignores = pending.pop()
            try:
                with os.scandir(directory) as scan:
                    entries = list(scan)
            except OSError:
                continue  # an unreadable directory holds nothing we could lint
            if any(entry.name == ".gitignore" for entry in entries):
                ignores = ignores.pushed(self._gitignore(directory))
            for entry in entries:
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)  # never follow a link into a cycle
                    is_file = not is_dir and entry.is_file()
                except OSError:
                    continue
                if is_dir:
                    if not self._skips_directory(entry.path, ignores):
                        pending.append((entry.path, ignores))
                elif (
                    is_file
                    and self.includes.matches(entry.path)
                    and not (self.excludes.matches(entry.path) or ignores.ignores(entry.path, False))
                ):
                    yield entry.path

    def _skips_directory(self, path: str, ignores: IgnoreStack) -> bool:
        return (
            os.path.basename(path) == ".git"
            or self.excludes.matches(path)
            or _is_virtualenv(path)
            or ignores.ignores(path, True)
        )

    def _excluded_with_parents(self, path: str, is_dir: bool) -> bool:
        """--force-exclude: whether the walk would have skipped a named path, had it started at
        the root: the path or a directory it lies in is excluded, a virtualenv or git-ignored."""
        chain = list(reversed(_chain_below(path, self.root)))
        ignores = IgnoreStack.above(chain[0], self.root, self._gitignore)
        for current in chain[:-1]:
            if self._skips_directory(current, ignores):
                return True
            ignores = ignores.pushed(self._gitignore(current))
        if is_dir:
            return self._skips_directory(path, ignores)
        return self.excludes.matches(path) or ignores.ignores(path, False)

    def _gitignore(self, directory: str) -> GitIgnore | None:
        if directory not in self._gitignores:
            self._gitignores[directory] = GitIgnore.read(directory)
        return self._gitignores[directory]


def _chain_below(path: str, root: Path) -> list[str]:
    """``path`` and the directories it lies in, innermost first, stopping below ``root`` (only
    ``path`` itself when it is outside ``root``)."""
    top = os.path.abspath(root)
    chain = [path]
    while (parent := os.path.dirname(chain[-1])) != chain[-1] and parent != top and _is_within(parent, top):
        chain.append(parent)
    return chain


def _is_virtualenv(directory: str) -> bool:
    return os.path.exists(os.path.join(directory, "pyvenv.cfg"))


def _is_within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _display(path: str, cwd: str) -> str:
    return os.path.relpath(path, cwd) if _is_within(path, cwd) else path
