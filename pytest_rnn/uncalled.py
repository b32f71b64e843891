"""Recurrent submodules the model's forward never ran (RNN406): what no check has seen.

A check that saw no call of a module has nothing to say about it, and "checks passed" would be a
lie. A module only another method uses (``generate``, a decoder stepped by a training loop) is
the user's to name: ``unused=["decoder"]`` (or ``unused=True`` / ini ``rnn_allow_unused``) turns
its failure into a skip with that reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from pytest_rnn.errors import RnnUsageError, Violation
from pytest_rnn.probe import Probe
from pytest_rnn.recurrent import RecurrentModule


def _named(recurrent: RecurrentModule, names: set[str]) -> bool:
    """By full path (``Model.decoder``) or by the submodule's own name (``decoder``)."""
    return recurrent.path in names or recurrent.path.split(".", 1)[-1] in names


def uncalled_modules(probe: Probe, unused: bool | Iterable[str]) -> tuple[list[Violation], list[tuple[str, str]]]:
    """(RNN406 for each uncalled module not declared unused, (path, reason) skips for the others).
    Raises RnnUsageError for a name in ``unused`` that is no recurrent submodule."""
    names = set() if isinstance(unused, bool) else {unused} if isinstance(unused, str) else set(unused)
    unknown = sorted(name for name in names if not any(_named(recurrent, {name}) for recurrent in probe.modules))
    if unknown:
        have = [recurrent.path for recurrent in probe.modules]
        raise RnnUsageError(f"unused= names {unknown}, which are no recurrent submodules of the model; it has {have}")
    problems, skipped = [], []
    for recurrent in probe.unobserved():
        if unused is True or _named(recurrent, names):
            skipped.append((recurrent.path, "not called by forward (declared unused)"))
            continue
        problems.append(
            Violation(
                "RNN406",
                recurrent.path,
                f"the model's forward never ran this nn.{recurrent.kind}, directly or through module.forward: "
                "no check has seen it",
                "at least one call",
                "none",
            )
        )
    return problems, skipped
