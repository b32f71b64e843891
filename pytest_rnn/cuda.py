"""What only matters on the GPU: cuDNN's flat weight buffer (RNN401) and agreement with the CPU
(RNN403). Each check is split into the part that needs a GPU (running, deciding whether cuDNN is in
play) and a pure part that judges tensors, so the judging is tested on the CPU as well.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from pytest_rnn.errors import Violation
from pytest_rnn.preserve import untouched
from pytest_rnn.probe import Probe, RecurrentCall
from pytest_rnn.recurrent import recurrent_modules, root_name
from pytest_rnn.tolerance import compare, parity_tolerance, tf32_enabled
from pytest_rnn.tree import leaves, to_device
from rnn_lint import contract


def uses_cudnn_weights(module: nn.Module) -> bool:
    """Whether cuDNN would run this layer from one flat weight buffer — the conditions under which
    ``flatten_parameters()`` does anything (same dtype, all on CUDA, acceptable to cuDNN, no alias)."""
    weights = getattr(module, "_flat_weights", None)
    if not isinstance(module, nn.RNNBase) or not weights or not all(isinstance(w, torch.Tensor) for w in weights):
        return False
    if not torch.backends.cudnn.enabled or not torch._use_cudnn_rnn_flatten_weight():
        return False
    dtype = weights[0].dtype
    if any(w.dtype != dtype or not w.is_cuda or not torch.backends.cudnn.is_acceptable(w) for w in weights):
        return False
    return len({w.data_ptr() for w in weights}) == len(weights)


def fragmented(weights: Sequence[torch.Tensor]) -> bool:
    """True when the weights do not all live in one storage — cuDNN then copies them into a flat
    buffer at every call (and warns "…not part of single contiguous chunk of memory…")."""
    return len({w.untyped_storage().data_ptr() for w in weights}) > 1


def fragmented_weights_violation(path: str, module: nn.Module) -> Violation | None:
    """RNN401 for one layer that cuDNN runs from weights scattered over several storages, and that
    its next forward call will not re-flatten by itself: since torch 2.x a *replaced* parameter
    (``module.weight_hh_l0 = nn.Parameter(...)``) is noticed and flattened at the next call, while
    new storage under the same parameter (``param.data = ...``) is copied at every call."""
    if not (uses_cudnn_weights(module) and fragmented(module._flat_weights)):
        return None
    heals_itself = getattr(module, "_weights_have_changed", None)
    if callable(heals_itself) and heals_itself():
        return None
    storages = len({w.untyped_storage().data_ptr() for w in module._flat_weights})
    return Violation(
        "RNN401",
        path,
        "its weights are not one flat cuDNN buffer (replaced or re-registered since "
        "the module was moved?), so every call copies them",
        "1 storage",
        f"{storages} storages for {len(module._flat_weights)} weights",
    )


def flat_weight_violations(model: nn.Module, warned: bool = False) -> list[Violation]:
    """RNN401 for each cuDNN layer whose weights are not one chunk. ``warned``: cuDNN's warning
    was seen during the run; it names no module, so it is reported on the model when no layer
    can be blamed by its storage."""
    problems = [
        problem
        for recurrent in recurrent_modules(model)
        if (problem := fragmented_weights_violation(recurrent.path, recurrent.module)) is not None
    ]
    if warned and not problems:
        problems.append(
            Violation(
                "RNN401",
                root_name(model),
                f"cuDNN warned that RNN weights are '{contract.CUDNN_FRAGMENTED_WEIGHTS_WARNING}'",
                "no warning",
                "the warning",
            )
        )
    return problems


def is_fragmentation_warning(message: Warning | str) -> bool:
    return contract.CUDNN_FRAGMENTED_WEIGHTS_WARNING in str(message)


def _padded(value: Any) -> torch.Tensor:
    return pad_packed_sequence(value)[0] if isinstance(value, PackedSequence) else value


def parity_violations(
    model_name: str, device_run: tuple[Probe, Any], cpu_run: tuple[Probe, Any], dtype: torch.dtype, tf32: bool
) -> list[Violation]:
    """RNN403 where the device's results leave the CPU's by more than the precision allows: at the
    first recurrent call whose outputs differ, else at the model for each differing output."""
    tolerance = parity_tolerance(dtype, tf32)
    precision = "TF32" if dtype == torch.float32 and tf32 else str(dtype).replace("torch.", "")
    (device_probe, device_result), (cpu_probe, cpu_result) = device_run, cpu_run
    if len(device_probe.calls) == len(cpu_probe.calls):
        for on_device, on_cpu in zip(device_probe.calls, cpu_probe.calls):
            for role, got, expected in _call_values(on_device, on_cpu):
                difference = compare(_padded(expected), _padded(got), tolerance)
                if not difference.within:
                    return [
                        Violation(
                            "RNN403",
                            on_device.path,
                            f"its {role} on {_device(got)} differs from the CPU's",
                            f"equal {difference.bound} for {precision}",
                            str(difference),
                        )
                    ]
    problems = []
    for (name, got), (_, expected) in zip(leaves(device_result), leaves(cpu_result)):
        got, expected = _padded(got), _padded(expected)
        if not got.dtype.is_floating_point:
            equal = torch.equal(got.cpu(), expected.cpu())
            if not equal:
                problems.append(
                    Violation(
                        "RNN403",
                        model_name,
                        f"{name} on {_device(got)} differs from the CPU's",
                        "equal",
                        "different values",
                    )
                )
            continue
        difference = compare(expected, got, tolerance)
        if not difference.within:
            problems.append(
                Violation(
                    "RNN403",
                    model_name,
                    f"{name} on {_device(got)} differs from the CPU's",
                    f"equal {difference.bound} for {precision}",
                    str(difference),
                )
            )
    return problems


def _call_values(on_device: RecurrentCall, on_cpu: RecurrentCall):
    if not on_device.module.is_cell and on_device.output is not None and on_cpu.output is not None:
        yield "output", on_device.output, on_cpu.output
    for (role, got), (_, expected) in zip(on_device.state_tensors(), on_cpu.state_tensors()):
        yield role, got, expected


def _device(value: Any) -> str:
    return str(value.data.device if isinstance(value, PackedSequence) else value.device)


def _probed(model: nn.Module, inputs: tuple, forward_kwargs: dict) -> tuple[Probe, Any]:
    with untouched(model) as runner, torch.no_grad(), Probe(model) as probe:
        result = runner.run(*inputs, **forward_kwargs)
    return probe, result


def device_parity(model: nn.Module, inputs: tuple, forward_kwargs: dict) -> list[Violation]:
    """Run the model where it is and a CPU copy of it on CPU copies of the inputs; compare."""
    device_run = _probed(model, inputs, forward_kwargs)
    cpu_model = copy.deepcopy(model).to("cpu")
    cpu = torch.device("cpu")
    try:
        cpu_run = _probed(cpu_model, to_device(inputs, cpu), to_device(forward_kwargs, cpu))
    except RuntimeError as error:  # a device hard-coded in forward, typically
        return [
            Violation(
                "RNN403",
                root_name(model),
                f"the CPU copy cannot run: {str(error).splitlines()[0]}",
                "the same model to run on any device",
                "an error on the CPU",
            )
        ]
    dtype = next((p.dtype for p in model.parameters() if p.dtype.is_floating_point), torch.float32)
    return parity_violations(root_name(model), device_run, cpu_run, dtype, tf32_enabled())
