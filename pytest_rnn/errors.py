"""What a failed check reports: violations with the linter's rule codes, and the error that lists them.

Every line of an ``RnnCheckError`` reads ``CODE module.path: what is wrong (expected …, got …) — how
to fix``; the fix is the one ``rnn_lint.contract.PROBLEMS`` gives for the code, so the linter and the
plugin tell the user the same thing — unless that general fix does not fit the model at hand (an
LSTM is not told to use an LSTM; a module without biases is not told to fill one), where the
violation carries its own ``advice``. Torch-free: the plugin module imports this.
"""

from __future__ import annotations

import functools
import os
import sys
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import pytest

from rnn_lint.contract import PROBLEMS


@dataclass(frozen=True)
class Violation:
    """One broken promise of the recurrent-layer contract, at one module."""

    code: str
    #: Dotted path of the module: the model's class name, then ``named_modules`` names
    #: (``Classifier.encoder.lstm``); a function name where no module is involved.
    where: str
    what: str
    expected: str | None = None
    got: str | None = None
    #: How to fix it, when the catalogue's general fix does not fit this model (an LSTM is not
    #: told to use an LSTM); None: the catalogue's.
    advice: str | None = None

    def __post_init__(self) -> None:
        if self.code not in PROBLEMS:
            raise ValueError(f"unknown rule code {self.code!r}: add it to rnn_lint.contract.PROBLEMS")

    @property
    def name(self) -> str:
        return PROBLEMS[self.code].name

    @property
    def fix(self) -> str:
        return self.advice if self.advice is not None else PROBLEMS[self.code].fix

    def __str__(self) -> str:
        detail = ""
        if self.expected is not None or self.got is not None:
            detail = f" (expected {self.expected}, got {self.got})"
        return f"{self.code} {self.where}: {self.what}{detail} — {self.fix}"


class RnnCheckError(AssertionError):
    """A recurrent model broke the contract. ``violations`` holds every problem found, in order."""

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        if not self.violations:
            raise ValueError("RnnCheckError needs at least one violation")
        count = len(self.violations)
        heading = f"{count} recurrent-model check{'s' if count > 1 else ''} failed:"
        super().__init__("\n".join([heading, *(f"  {violation}" for violation in self.violations)]))

    @property
    def codes(self) -> list[str]:
        """The rule codes, in the order of the violations (repeats kept)."""
        return [violation.code for violation in self.violations]


class RnnAdvice(pytest.PytestWarning):
    """A recommendation, not a defect (RNN201: LSTM forget-gate biases left at PyTorch's default):
    ``rnn_check`` reports it in pytest's warnings summary, one line per module, and fails on it only
    when asked (``forget_bias=1.0``, or ini ``rnn_forget_bias_fails = true``). A ``PytestWarning``
    (so a ``UserWarning``): ``-W error::pytest.PytestWarning`` and ``filterwarnings`` treat it as
    any plugin's warning."""


class RnnUsageError(ValueError):
    """The check cannot run as called: the message says what to pass instead (``batch_dim=``,
    ``lengths=``, …) or what the model or its inputs must be. Not a verdict on the model."""


def raise_if_any(violations: Iterable[Violation]) -> None:
    __tracebackhide__ = True
    found = list(violations)
    if found:
        raise RnnCheckError(found)


def _internal_directories() -> tuple[str, ...]:
    """torch's package directory (when imported) and this plugin's."""
    directories = [os.path.dirname(os.path.abspath(__file__)) + os.sep]
    location = getattr(sys.modules.get("torch"), "__file__", None)
    if location:
        directories.append(os.path.dirname(location) + os.sep)
    return tuple(directories)


def without_internal_frames(traceback: types.TracebackType | None) -> types.TracebackType | None:
    """The traceback less torch's frames (``Module._call_impl`` and friends) and the plugin's: a
    violation raised from a forward hook then reads test → the user's forward → the offending call."""
    directories = _internal_directories()
    kept = []
    while traceback is not None:
        if not traceback.tb_frame.f_code.co_filename.startswith(directories):
            kept.append(traceback)
        traceback = traceback.tb_next
    rebuilt = None
    for entry in reversed(kept):
        rebuilt = types.TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt


Function = TypeVar("Function", bound=Callable)


def reports_cleanly(function: Function) -> Function:
    """Raise the RnnCheckErrors and RnnUsageErrors of ``function`` with only the user's frames in
    the traceback."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        __tracebackhide__ = True
        try:
            return function(*args, **kwargs)
        except (RnnCheckError, RnnUsageError) as error:
            error.__traceback__ = without_internal_frames(error.__traceback__)
            raise  # a bare raise keeps the traceback just set

    return wrapper  # type: ignore[return-value]
