"""What ``rnn_check`` (and ``assert_rnn_shapes``) hand back when nothing is wrong: each recurrent
submodule, how it is configured, where it lives and the shapes it saw."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pytest_rnn.probe import Probe
from pytest_rnn.recurrent import describe_config, parameters_device


@dataclass(frozen=True)
class ModuleReport:
    path: str
    kind: str
    config: dict[str, Any]
    device: str
    #: One entry per call, role → shape as text ("input", "h_0", "output", "h_n", "c_n"; cells: "hx", "h", …).
    calls: tuple[dict[str, str], ...]

    def __str__(self) -> str:
        lines = [f"{self.path}: {describe_config(self.kind, self.config)} on {self.device}"]
        for index, shapes in enumerate(self.calls):
            seen = ", ".join(f"{role} {shape}" for role, shape in shapes.items())
            lines.append(f"  call {index + 1}: {seen}")
        if not self.calls:
            lines.append("  not called")
        return "\n".join(lines)


@dataclass(frozen=True)
class RnnReport:
    device: str
    modules: tuple[ModuleReport, ...]
    #: The checks that ran, in order ("shapes", "forget-bias", "batch-independence", …).
    checks: tuple[str, ...] = ()
    #: (check, why it did not run) for the applicable-only checks that were left out.
    skipped: tuple[tuple[str, str], ...] = ()

    def __iter__(self) -> Iterator[ModuleReport]:
        return iter(self.modules)

    def __len__(self) -> int:
        return len(self.modules)

    def __getitem__(self, path: str) -> ModuleReport:
        """By full path (``Classifier.lstm``) or by the submodule's own name (``lstm``)."""
        for module in self.modules:
            if module.path == path or module.path.split(".", 1)[-1] == path:
                return module
        raise KeyError(f"no recurrent module {path!r}; have {[module.path for module in self.modules]}")

    def __str__(self) -> str:
        lines = [f"recurrent modules on {self.device}:"]
        lines += ["  " + line for module in self.modules for line in str(module).splitlines()]
        if self.checks:
            lines.append(f"checks passed: {', '.join(self.checks)}")
        for check, reason in self.skipped:
            lines.append(f"skipped {check}: {reason}")
        return "\n".join(lines)


def report_from_probe(
    probe: Probe, device: str, checks: tuple[str, ...] = (), skipped: tuple[tuple[str, str], ...] = ()
) -> RnnReport:
    modules = []
    for recurrent in probe.modules:
        calls = tuple(call.observed() for call in probe.calls if call.module is recurrent)
        where = parameters_device(recurrent.module)
        modules.append(
            ModuleReport(
                recurrent.path,
                recurrent.kind,
                dict(recurrent.config),
                str(where) if where is not None else device,
                calls,
            )
        )
    return RnnReport(device, tuple(modules), checks, skipped)
