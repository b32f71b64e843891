"""The registry: the one list of rules, gathered through pluggy.

Every rule, the built-in ones included, arrives through the ``rnn_lint_rules`` hook from a plugin
announced in the ``rnn_lint`` entry-point group. Selection (``--select RNN1``, ``--ignore``)
works on rule-code prefixes, as in ruff.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Iterable, Sequence

import pluggy

from rnn_lint.hookspecs import PROJECT, RuleSpecs
from rnn_lint.rule import Rule

#: Comma-separated importable modules to register as plugins besides the entry points (like
#: PYTEST_PLUGINS): for trying a rule module without packaging it, and for tests. Read by every
#: process, so parallel workers see the same rules.
PLUGINS_ENV = "RNN_LINT_PLUGINS"


class RegistryError(ValueError):
    """A plugin could not be loaded, gave a malformed rule, or a code that another rule uses."""


def plugin_manager(extra_plugins: Iterable[object] = ()) -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(RuleSpecs)
    try:
        manager.load_setuptools_entrypoints(PROJECT)
    except Exception as error:  # a broken third-party package must not look like our crash
        raise RegistryError(
            f"cannot load an `{PROJECT}` entry-point plugin: {type(error).__name__}: {error}"
        ) from error
    # Running from a source checkout that was never installed: the entry point that announces the
    # built-in rules does not exist yet, so register them the same way by hand.
    import rnn_lint.rules as builtin

    if not manager.is_registered(builtin) and manager.get_plugin("builtin") is None:
        manager.register(builtin, name="builtin")
    for name in filter(None, (part.strip() for part in os.environ.get(PLUGINS_ENV, "").split(","))):
        try:
            module = importlib.import_module(name)
            if not manager.is_registered(module):
                manager.register(module, name=name)
        except Exception as error:
            raise RegistryError(
                f"cannot load plugin {name!r} named in {PLUGINS_ENV}: {type(error).__name__}: {error}"
            ) from error
    for plugin in extra_plugins:
        manager.register(plugin)
    return manager


def all_rules() -> tuple[type[Rule], ...]:
    """Every registered rule class, sorted by code."""
    return _all_rules(os.environ.get(PLUGINS_ENV, ""))


@functools.cache
def _all_rules(env_plugins: str) -> tuple[type[Rule], ...]:
    # Cached per value of the environment variable, so setting it later takes effect.
    return collect_rules(plugin_manager())


def collect_rules(manager: pluggy.PluginManager) -> tuple[type[Rule], ...]:
    by_code: dict[str, type[Rule]] = {}
    try:
        provided_by_plugins = manager.hook.rnn_lint_rules()
    except Exception as error:
        raise RegistryError(f"a plugin's rnn_lint_rules hook failed: {type(error).__name__}: {error}") from error
    for provided in provided_by_plugins:
        for rule in provided or ():
            if not (isinstance(rule, type) and issubclass(rule, Rule)):
                raise RegistryError(f"rnn_lint_rules returned {rule!r}, which is not a subclass of rnn_lint.Rule")
            try:
                rule.validate()
            except ValueError as error:
                raise RegistryError(str(error)) from error
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
    # An empty selector would be a prefix of every code: it is a mistake, not "select everything".
    return [
        s
        for s in selectors
        if not s.strip() or (not any(matches(rule.code, s) for rule in rules) and s.upper() != "RNN000")
    ]
