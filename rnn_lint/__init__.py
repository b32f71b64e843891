"""rnn-lint: a static linter for PyTorch recurrent-network code.

Importing this package is cheap (no libcst, no torch): the pytest plugin reads
``rnn_lint.contract`` from here. The public names below load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Diagnostic",
    "Finding",
    "Fix",
    "NodeEdit",
    "Rule",
    "SuggestedFix",
    "__version__",
    "hookimpl",
    "lint_file",
    "lint_source",
]

if TYPE_CHECKING:
    from rnn_lint.engine import lint_file, lint_source
    from rnn_lint.hookspecs import hookimpl
    from rnn_lint.rule import Diagnostic, Finding, Fix, NodeEdit, Rule, SuggestedFix

_LAZY = {
    "Diagnostic": "rnn_lint.rule",
    "Finding": "rnn_lint.rule",
    "Fix": "rnn_lint.rule",
    "NodeEdit": "rnn_lint.rule",
    "Rule": "rnn_lint.rule",
    "SuggestedFix": "rnn_lint.rule",
    "hookimpl": "rnn_lint.hookspecs",
    "lint_source": "rnn_lint.engine",
    "lint_file": "rnn_lint.engine",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rnn_lint' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
