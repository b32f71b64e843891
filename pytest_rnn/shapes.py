"""``assert_rnn_shapes``: run the model once and hold every recurrent call to the contract."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from pytest_rnn.errors import RnnUsageError, raise_if_any, reports_cleanly
from pytest_rnn.guards import require_runnable
from pytest_rnn.preserve import untouched
from pytest_rnn.probe import Probe
from pytest_rnn.recurrent import parameters_device
from pytest_rnn.report import RnnReport, report_from_probe
from pytest_rnn.tree import leaves


def probed_run(model: nn.Module, inputs: tuple, forward_kwargs: dict[str, Any]) -> tuple[Probe, Any]:
    """One eval-mode, no-grad run with the probe on; (probe, the model's output)."""
    probe = Probe(model)
    if not probe.modules:
        raise RnnUsageError(f"{type(model).__name__} has no recurrent submodule (nn.RNN/LSTM/GRU or a cell) to check")
    with untouched(model) as runner, torch.no_grad(), probe:
        output = runner.run(*inputs, **forward_kwargs)
    return probe, output


def device_name(model: nn.Module, inputs: tuple) -> str:
    device = parameters_device(model)
    if device is None:
        device = next(
            (leaf.data.device if hasattr(leaf, "batch_sizes") else leaf.device for _, leaf in leaves(inputs, "input")),
            torch.device("cpu"),
        )
    return str(device)


@reports_cleanly
def assert_rnn_shapes(model: nn.Module, *inputs: Any, **forward_kwargs: Any) -> RnnReport:
    """Run ``model(*inputs, **forward_kwargs)`` once (eval mode, no grad) with hooks on every
    recurrent submodule, the model included, and check each call's input, initial state and
    outputs against that submodule's configuration. A batch-major initial state is RNN103, other
    mismatches RNN107; both are raised before PyTorch's own error. Returns what was seen."""
    __tracebackhide__ = True
    require_runnable(model, inputs, forward_kwargs)
    probe, _ = probed_run(model, inputs, forward_kwargs)
    raise_if_any(probe.violations)
    return report_from_probe(probe, device_name(model, inputs), checks=("shapes",))
