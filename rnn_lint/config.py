"""Settings: what ``[tool.rnn-lint]`` (or a standalone ``rnn-lint.toml``) says, checked and resolved.

Where the settings come from, like ruff: starting in the current directory and going up, the first
directory holding ``.rnn-lint.toml``, ``rnn-lint.toml`` or a ``pyproject.toml`` *with a
``[tool.rnn-lint]`` table* wins (in that order within a directory). A standalone file holds the
keys at top level. ``--config FILE`` names the file instead; ``--isolated`` reads none.

Everything wrong with a file (bad TOML, an unknown key, a wrong type, a code no rule has) is a
``ConfigError`` whose message is one line naming the file, so the CLI can print it and exit 2.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

#: Directories never worth linting, as in ruff (``exclude`` replaces this list, ``extend-exclude``
#: adds to it). Virtualenvs are also recognised by their ``pyvenv.cfg``, whatever their name.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pycache__",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
    "*.egg-info",
)

#: The files a folder walk takes (``include`` replaces this list, ``extend-include`` adds to it).
DEFAULT_INCLUDES: tuple[str, ...] = ("*.py", "*.ipynb")

CONFIG_NAMES = (".rnn-lint.toml", "rnn-lint.toml", "pyproject.toml")
TABLE = "rnn-lint"  # [tool.rnn-lint] in pyproject.toml


class ConfigError(Exception):
    """A configuration (or option) rnn-lint cannot use; the message is one user-facing line."""


@dataclass
class Settings:
    """Everything ``[tool.rnn-lint]`` can hold, resolved. Patterns are relative to ``root``."""

    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDES))
    extend_exclude: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    include: list[str] = field(default_factory=lambda: list(DEFAULT_INCLUDES))
    extend_include: list[str] = field(default_factory=list)
    root: Path = field(default_factory=Path.cwd)
    config_path: Path | None = None

    def with_overrides(
        self,
        *,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] = (),
        extend_select: Sequence[str] = (),
        exclude: Sequence[str] | None = None,
        extend_exclude: Sequence[str] = (),
    ) -> Settings:
        """The settings after command-line options, which win over the file (as in ruff).

        ``select`` starts the rule selection afresh: the file's select, extend-select and ignore no
        longer apply. Without it, the options add to the file's lists, and an ``--extend-select``
        of exactly a code the file ignores turns that code back on. ``exclude`` replaces the file's
        (or the default) excludes.
        """
        if select is not None:
            rules = {"select": list(select), "ignore": list(ignore), "extend_select": list(extend_select)}
        else:
            reenabled = {code.upper() for code in extend_select}
            rules = {
                "select": self.select,
                "ignore": [code for code in self.ignore if code.upper() not in reenabled] + list(ignore),
                "extend_select": self.extend_select + list(extend_select),
            }
        return replace(
            self,
            **rules,
            exclude=list(exclude) if exclude is not None else self.exclude,
            extend_exclude=self.extend_exclude + list(extend_exclude),
        )


def load_settings(start: Path | None = None, config_file: Path | None = None, isolated: bool = False) -> Settings:
    """The settings for a run from ``start`` (default: the current directory).

    ``config_file`` is read instead of searching; ``isolated`` reads no file at all. With no file,
    ``root`` is ``start``, which is where relative patterns would be anchored.
    """
    here = Path(os.path.abspath(start or Path.cwd()))
    if isolated:
        return Settings(root=here)
    if config_file is not None:
        path = Path(os.path.abspath(config_file))
        return _settings_from(_read_table(path, required=True) or {}, path)
    for directory in (here, *here.parents):
        for name in CONFIG_NAMES:
            path = directory / name
            if path.is_file():
                table = _read_table(path, required=False)
                if table is not None:
                    return _settings_from(table, path)
    return Settings(root=here)


def _read_table(path: Path, *, required: bool) -> dict[str, Any] | None:
    """The rnn-lint keys of ``path``: all of a standalone file, ``[tool.rnn-lint]`` of a
    pyproject.toml (None when it has no such table and ``required`` is false)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise ConfigError(f"{path}: cannot read configuration file: {reason}") from error
    is_pyproject = path.name == "pyproject.toml"
    # Someone else's broken pyproject.toml is not our business when it has no rnn-lint section.
    if is_pyproject and not required and TABLE not in text:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    if not is_pyproject:
        return data
    tool = data.get("tool", {})
    table = tool.get(TABLE) if isinstance(tool, dict) else None
    if table is None:
        if required:
            raise ConfigError(f"{path}: has no [tool.{TABLE}] table")
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{TABLE}] must be a table")
    return table


_LIST_KEYS = ("select", "ignore", "extend-select", "exclude", "extend-exclude", "include", "extend-include")
_CODE_KEYS = ("select", "ignore", "extend-select")
KNOWN_KEYS = _LIST_KEYS + ("per-file-ignores",)


def _settings_from(table: dict[str, Any], path: Path) -> Settings:
    where = f"{path}: [tool.{TABLE}]" if path.name == "pyproject.toml" else f"{path}:"

    def fail(message: str) -> ConfigError:
        return ConfigError(f"{where} {message}")

    for key in table:
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(key.replace("_", "-"), KNOWN_KEYS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(KNOWN_KEYS)})"
            raise fail(f"unknown key '{key}'{hint}")
    lists: dict[str, list[str]] = {}
    for key in _LIST_KEYS:
        if key in table:
            lists[key] = _string_list(table[key], lambda message, key=key: fail(f"'{key}' {message}"))
    per_file: dict[str, list[str]] = {}
    raw = table.get("per-file-ignores", {})
    if not isinstance(raw, dict):
        raise fail("'per-file-ignores' must be a table of glob = [codes]")
    for pattern, codes in raw.items():
        per_file[pattern] = _string_list(
            codes, lambda message, p=pattern: fail(f"'per-file-ignores' entry '{p}' {message}")
        )

    named = [(key, code) for key in _CODE_KEYS for code in lists.get(key, ())]
    named += [("per-file-ignores", code) for codes in per_file.values() for code in codes]
    if named:
        _check_codes(named, fail)
    return Settings(
        select=lists.get("select"),
        ignore=lists.get("ignore", []),
        extend_select=lists.get("extend-select", []),
        exclude=lists.get("exclude", list(DEFAULT_EXCLUDES)),
        extend_exclude=lists.get("extend-exclude", []),
        per_file_ignores=per_file,
        include=lists.get("include", list(DEFAULT_INCLUDES)),
        extend_include=lists.get("extend-include", []),
        root=path.parent,
        config_path=path,
    )


def _string_list(value: Any, fail) -> list[str]:
    if not isinstance(value, list):
        raise fail(f"must be a list of strings, not {_describe(value)}")
    for item in value:
        if not isinstance(item, str):
            raise fail(f"must be a list of strings, but holds {_describe(item)} ({item!r})")
    return list(value)


def _describe(value: Any) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", dict: "a table", list: "a list"}
    return kinds.get(type(value), type(value).__name__)


def _check_codes(named: list[tuple[str, str]], fail) -> None:
    # The registry loads the plugins, so only pay for it when the file names codes.
    from rnn_lint.registry import RegistryError, all_rules, unknown_selectors

    try:
        rules = all_rules()
    except RegistryError as error:
        raise ConfigError(str(error)) from error
    for key, code in named:
        if unknown_selectors([code], rules):
            raise fail(f"'{key}' names unknown rule code '{code}' (see `rnn-lint rule --all`)")
