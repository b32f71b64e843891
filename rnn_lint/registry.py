"""The registry: the one list of rules, gathered through pluggy.

Every rule, the built-in ones included, arrives through the ``rnn_lint_rules`` hook from a plugin
announced in the ``rnn_lint`` entry-point group. Selection (``--select RNN1``, ``--ignore``)
works on rule-code prefixes, as in ruff.
"""

from __future__ import annotations

import functools
from typing import Iterable, Sequence

import pluggy

from rnn_lint.hookspecs import PROJECT, RuleSpecs
from rnn_lint.rule import Rule


class RegistryError(ValueError):
    """A plugin gave a malformed rule or a code that another rule already uses."""


def plugin_manager(extra_plugins: Iterable[object] = ()) -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(RuleSpecs)
    manager.load_setuptools_entrypoints(PROJECT)
    # Running from a source checkout that was never installed: the entry point that announces the
    # built-in rules does not exist yet, so register them the same way by hand.
    import rnn_lint.rules as builtin

    if not manager.is_registered(builtin) and manager.get_plugin("builtin") is None:
        manager.register(builtin, name="builtin")
    for plugin in extra_plugins:
        manager.register(plugin)
    return manager


@functools.lru_cache(maxsize=None)
def all_rules() -> tuple[type[Rule], ...]:
    """Every registered rule class, sorted by code."""
    return collect_rules(plugin_manager())


def collect_rules(manager: pluggy.PluginManager) -> tuple[type[Rule], ...]:
    by_code: dict[str, type[Rule]] = {}
    for provided in manager.hook.rnn_lint_rules():
        for rule in provided or ():
            if not (isinstance(rule, type) and issubclass(rule, Rule)):
                raise RegistryError(f"rnn_lint_rules returned {rule!r}, which is not a subclass of rnn_lint.Rule")
            rule.validate()
            other = by_code.get(rule.code)
            if other is not None and other is not rule:
                raise RegistryError(
                    f"rule code {rule.code} is claimed by both {other.__module__}.{other.__qualname__} "
                    f"and {rule.__module__}.{rule.__qualname__}"
                )
            by_code[rule.code] = rule
    return tuple(by_code[code] for code in sorted(by_code))


def rule_by_code(code: str) -> type[Rule] | None:
    return next((rule for rule in all_rules() if rule.code == code.upper()), None)


def matches(code: str, prefix: str) -> bool:
    """ruff-style selector: "ALL", a full code, or a prefix of one ("RNN", "RNN1")."""
    prefix = prefix.strip().upper()
    return prefix == "ALL" or code.startswith(prefix)


def select_rules(
    rules: Sequence[type[Rule]],
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    extend_select: Sequence[str] = (),
) -> list[type[Rule]]:
    """Apply --select/--extend-select/--ignore. With no select, every rule is on. As in ruff, when a
    code matches both lists, the more specific (longer) selector wins; on a tie, ignore wins."""

    def strongest(code: str, selectors: Iterable[str]) -> int:
        return max((0 if s.upper() == "ALL" else len(s.strip()) for s in selectors if matches(code, s)), default=-1)

    chosen = []
    selectors = list(select if select is not None else ["ALL"]) + list(extend_select)
    for rule in rules:
        on, off = strongest(rule.code, selectors), strongest(rule.code, ignore)
        if on >= 0 and on > off:
            chosen.append(rule)
    return chosen


def unknown_selectors(selectors: Iterable[str], rules: Sequence[type[Rule]]) -> list[str]:
    """Selectors that match no rule (a typo such as RNN9 is a usage error, not silence)."""
    return [s for s in selectors if not any(matches(rule.code, s) for rule in rules) and s.upper() != "RNN000"]
