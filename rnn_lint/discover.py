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
from collections import Counter
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

    def matches(self, path: str, name: str | None = None) -> bool:
        """``path`` is absolute and normalised; ``name``, its last component, when the caller
        has it (a directory entry's)."""
        if self._name is None:
            return False
        return bool(self._name.match(os.path.basename(path) if name is None else name) or self._absolute.match(path))

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
    if body is None:  # git matches nothing with it
        return None
    regex = body if anchored else f"(?:.*/)?{body}"
    return _IgnoreRule(re.compile(regex, re.DOTALL), negated, directories_only)


def _wildmatch_to_regex(pattern: str) -> str | None:
    """The regex for a gitignore pattern, or None when git's wildmatch would give up on it (an
    unterminated ``[`` class, a trailing escape inside one, an unknown ``[:name:]``): such a line
    matches nothing in git, so it is dropped."""
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
            parsed = _character_class(pattern, i)
            if parsed is None:
                return None
            regex, i = parsed
            out.append(regex)
            continue
        elif char == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


#: ``[:name:]`` inside a class, as git's wildmatch knows them (ASCII, like its ctype macros).
_NAMED_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


def _character_class(pattern: str, start: int) -> tuple[str, int] | None:
    """The ``[...]`` class opening at ``start``, parsed as git's wildmatch (2.39) does: the regex and
    the index after the class, or None when wildmatch gives up on it (the line matches nothing).

    As in wildmatch: ``!`` or ``^`` first negates; a ``]`` first is a member; ``\\`` escapes the
    next character; ``a-z`` is a range, and a reversed one (``z-a``) matches only its first
    character (wildmatch compares that character on its own before it sees the ``-``); a ``-``
    first, last or right after a range is a member; ``[:alpha:]`` and the other POSIX names are
    classes. A class never matches ``/``.
    """
    n = len(pattern)
    i = start + 1
    negated = i < n and pattern[i] in "!^"
    if negated:
        i += 1
    items: list[str] = []
    previous: str | None = None  # the last single character taken, the start of a range
    first = True
    while True:
        if i >= n:
            return None  # unterminated: wildmatch aborts
        char = pattern[i]
        if char == "]" and not first:
            break
        first = False
        if char == "\\":
            i += 1
            if i >= n:
                return None
            items.append(re.escape(pattern[i]))
            previous = pattern[i]
        elif char == "-" and previous is not None and i + 1 < n and pattern[i + 1] != "]":
            i += 1
            end = pattern[i]
            if end == "\\":
                i += 1
                if i >= n:
                    return None
                end = pattern[i]
            if previous <= end:
                items.append(f"{re.escape(previous)}-{re.escape(end)}")
            previous = None  # "a-c-e": the second "-" is a member
        elif char == "[" and pattern.startswith(":", i + 1):
            close = pattern.find("]", i + 2)
            if close < 0:
                return None
            if close - (i + 2) >= 1 and pattern[close - 1] == ":":
                named = _NAMED_CLASSES.get(pattern[i + 2 : close - 1])
                if named is None:
                    return None  # an unknown name: wildmatch aborts
                items.append(named)
                previous = None
                i = close
            else:  # no ":]": the "[" is a member
                items.append(re.escape("["))
                previous = "["
        else:
            items.append(re.escape(char))
            previous = char
        i += 1
    members = "".join(items)
    if negated:
        return f"[^/{members}]", i + 1
    return f"(?!/)[{members}]", i + 1


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


def survey(
    paths: Sequence[str | os.PathLike], settings: Settings, *, force_exclude: bool = False
) -> tuple[int, Counter[str]]:
    """How many files ``discover`` finds under ``paths``, and how many entries it left out, by
    reason ("excluded", "git-ignored", "virtualenv", "not Python"): the explanation of a run that
    found nothing to lint."""
    discovery = _Discovery(settings)
    return len(discovery.run(paths, force_exclude)), discovery.skipped


class _Discovery:
    def __init__(self, settings: Settings):
        self.root = settings.root
        self.excludes = PathPatterns([*settings.exclude, *settings.extend_exclude], settings.root)
        self.includes = PathPatterns([*settings.include, *settings.extend_include], settings.root)
        self._gitignores: dict[str, GitIgnore | None] = {}  # pre-commit names many files per folder
        #: What the walk left out, by reason (for "no Python files found" and its explanation).
        self.skipped: Counter[str] = Counter()

    def run(self, paths: Sequence[str | os.PathLike], force_exclude: bool) -> list[SourceFile]:
        cwd = os.getcwd()
        found: dict[str, SourceFile] = {}
        for given in paths:
            path = os.path.abspath(given)
            is_dir = os.path.isdir(path)
            if force_exclude and self._excluded_with_parents(path, is_dir):
                self.skipped["excluded"] += 1
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
                # Not silence: the engine reports a folder it cannot read as RNN000, with the reason.
                yield directory
                continue
            if any(entry.name == ".gitignore" for entry in entries):
                ignores = ignores.pushed(self._gitignore(directory))
            for entry in entries:
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)  # never follow a link into a cycle
                    is_file = not is_dir and entry.is_file()
                except OSError:
                    continue
                if is_dir:
                    reason = self._skips_directory(entry.path, ignores)
                    if reason and reason != ".git":
                        self.skipped[reason] += 1
                    elif not reason:
                        pending.append((entry.path, ignores))
                elif not is_file:
                    continue
                elif not self.includes.matches(entry.path, entry.name):
                    self.skipped["not Python"] += 1
                elif self.excludes.matches(entry.path, entry.name):
                    self.skipped["excluded"] += 1
                elif ignores.ignores(entry.path, False):
                    self.skipped["git-ignored"] += 1
                else:
                    yield entry.path

    def _skips_directory(self, path: str, ignores: IgnoreStack) -> str | None:
        """Why the walk does not enter ``path`` (None: it does)."""
        if os.path.basename(path) == ".git":
            return ".git"
        if self.excludes.matches(path):
            return "excluded"
        if _is_virtualenv(path):
            return "virtualenv"
        if ignores.ignores(path, True):
            return "git-ignored"
        return None

    def _excluded_with_parents(self, path: str, is_dir: bool) -> bool:
        """--force-exclude: whether the walk would have skipped a named path, had it started at
        the root: the path or a directory it lies in is excluded, a virtualenv or git-ignored."""
        chain = list(reversed(_chain_below(path, self.root)))
        ignores = IgnoreStack.above(chain[0], self.root, self._gitignore)
        for current in chain[:-1]:
            if self._skips_directory(current, ignores) is not None:
                return True
            ignores = ignores.pushed(self._gitignore(current))
        if is_dir:
            return self._skips_directory(path, ignores) is not None
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
    """``path`` relative to ``cwd`` when inside it. Both are absolute and normalised, so that is
    the part after ``cwd`` (``os.path.relpath`` normalised both again: a third of a warm run's
    discovery of 10,000 files)."""
    if not _is_within(path, cwd):
        return path
    if path == cwd:
        return "."
    return path[len(cwd.rstrip(os.sep)) + 1 :]
