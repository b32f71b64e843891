"""The built-in rules: one module per rule, ``rnnNNN_slug.py``.

This package is itself an rnn-lint plugin, announced by the ``builtin`` entry point in the
``rnn_lint`` group, so built-in and third-party rules reach the registry through the same hook.
New rule modules are picked up by their file name; there is no list to keep in step.
"""

from __future__ import annotations

import importlib
import pkgutil

from rnn_lint.hookspecs import hookimpl
from rnn_lint.rule import Rule


@hookimpl
def rnn_lint_rules() -> list[type[Rule]]:
    found: list[type[Rule]] = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("rnn"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, Rule)
            and value is not Rule
            and value.__module__ == module.__name__
        )
    return found
