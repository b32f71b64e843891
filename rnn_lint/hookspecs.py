"""The pluggy hooks rnn-lint offers. Built-in rules use them exactly as third-party ones do.

A plugin is any module or object with ``@hookimpl``-marked functions, announced through an entry
point in the ``rnn_lint`` group::

    # the plugin's pyproject.toml
    [project.entry-points.rnn_lint]
    my_rules = "my_package.rnn_rules"

    # my_package/rnn_rules.py
    from rnn_lint import hookimpl, Rule

    class NoBareGRU(Rule):
        code = "XYZ001"
        ...

    @hookimpl
    def rnn_lint_rules():
        return [NoBareGRU]
"""

from __future__ import annotations

import pluggy

PROJECT = "rnn_lint"  # also the entry-point group

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class RuleSpecs:
    @hookspec
    def rnn_lint_rules(self) -> list[type]:
        """Return the rule classes (subclasses of ``rnn_lint.Rule``) this plugin provides."""
