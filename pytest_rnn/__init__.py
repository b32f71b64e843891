"""pytest-rnn: run a recurrent PyTorch model inside its tests and check what it claims.

    from pytest_rnn import (assert_rnn_shapes, assert_forget_gate_bias, assert_no_inert_dropout,
                            assert_batch_independent, assert_padding_invariant, assert_gradient_flow,
                            assert_bidirectional_summary, assert_stateful_equivalence, RnnCheckError)

Failures are ``RnnCheckError`` (an AssertionError) naming the rule codes rnn-lint uses. Importing
this package does not import torch — pytest loads ``pytest_rnn.plugin`` for every run, and torch
costs seconds — so the checks below load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_rnn.errors import RnnAdvice, RnnCheckError, RnnUsageError, Violation

__all__ = [
    "RnnAdvice",
    "RnnCheckError",
    "RnnReport",
    "RnnUsageError",
    "Violation",
    "assert_batch_independent",
    "assert_bidirectional_summary",
    "assert_forget_gate_bias",
    "assert_gradient_flow",
    "assert_no_inert_dropout",
    "assert_padding_invariant",
    "assert_rnn_shapes",
    "assert_stateful_equivalence",
]

if TYPE_CHECKING:
    from pytest_rnn.batch import assert_batch_independent
    from pytest_rnn.bidirectional import assert_bidirectional_summary
    from pytest_rnn.gradient import assert_gradient_flow
    from pytest_rnn.padding import assert_padding_invariant
    from pytest_rnn.parameters import assert_forget_gate_bias, assert_no_inert_dropout
    from pytest_rnn.report import RnnReport
    from pytest_rnn.shapes import assert_rnn_shapes
    from pytest_rnn.stateful import assert_stateful_equivalence

_LAZY = {
    "assert_rnn_shapes": "pytest_rnn.shapes",
    "assert_forget_gate_bias": "pytest_rnn.parameters",
    "assert_no_inert_dropout": "pytest_rnn.parameters",
    "assert_batch_independent": "pytest_rnn.batch",
    "assert_bidirectional_summary": "pytest_rnn.bidirectional",
    "assert_padding_invariant": "pytest_rnn.padding",
    "assert_gradient_flow": "pytest_rnn.gradient",
    "assert_stateful_equivalence": "pytest_rnn.stateful",
    "RnnReport": "pytest_rnn.report",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_rnn' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
