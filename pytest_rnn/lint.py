"""``pytest --rnn-lint``: every collected Python file becomes one test item that runs rnn-lint on it
and fails with its findings, one ``path:line:col: CODE message`` per line.

Settings come from ``[tool.rnn-lint]`` (or ``rnn-lint.toml``) found from pytest's rootdir, as the
``rnn-lint`` command would find them; a file they exclude, or for which per-file-ignores leave no
rule, gets no item. A broken configuration stops the run with the linter's one-line message.
The linter needs libcst; without it each item is skipped with that reason (torch is not needed).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest


class LintFailure(Exception):
    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _missing_linter() -> str | None:
    try:
        import libcst  # noqa: F401
    except ImportError:
        return "rnn-lint needs libcst (pip install libcst)"
    return None


class LintPlugin:
    """Registered by the plugin under ``--rnn-lint``."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.unavailable = _missing_linter()
        self.settings: Any = None
        if self.unavailable is None:
            from rnn_lint.config import ConfigError, load_settings

            try:
                self.settings = load_settings(start=config.rootpath)
            except ConfigError as error:
                raise pytest.UsageError(f"rnn-lint: {error}") from None

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
        if file_path.suffix != ".py" or not self._selected(file_path):
            return None
        node = RnnLintFile.from_parent(parent, path=file_path)
        node.plugin = self
        return node

    def _selected(self, path: Path) -> bool:
        """Whether rnn-lint would lint this file with at least one rule (excludes honoured)."""
        if self.unavailable is not None:
            return True  # cannot ask the linter; the item will say why it is skipped
        from rnn_lint.runner import plan

        return bool(plan([path], self.settings, force_exclude=True))

    def lint(self, path: Path) -> list[str]:
        from rnn_lint.runner import lint_paths

        shown = _display(path, self.config.rootpath)
        return [
            f"{shown}:{finding.line}:{finding.col}: {finding.code} {finding.message}"
            for finding in lint_paths([path], self.settings, jobs=1, force_exclude=True)
        ]


def _display(path: Path, root: Path) -> str:
    try:
        return os.path.relpath(path, root)
    except ValueError:  # another drive on Windows
        return str(path)


class RnnLintFile(pytest.File):
    plugin: LintPlugin

    def collect(self):
        item = RnnLintItem.from_parent(self, name="rnn-lint")
        item.add_marker("rnn_lint")
        yield item


class RnnLintItem(pytest.Item):
    def runtest(self) -> None:
        plugin: LintPlugin = self.parent.plugin
        if plugin.unavailable is not None:
            pytest.skip(plugin.unavailable)
        lines = plugin.lint(self.path)
        if lines:
            raise LintFailure(lines)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, LintFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"rnn-lint {_display(self.path, self.config.rootpath)}"
