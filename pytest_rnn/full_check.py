"""What the ``rnn_check`` fixture does: every applicable check, on the chosen device, in one go.

Shapes first (a broken call stops everything: the model cannot run); then configuration (inert
dropout, forget bias), batch independence when there are several samples, which results of each
bidirectional layer reach the output (RNN104), padding invariance when lengths are given, and on
CUDA the cuDNN facts (flat weights, lengths on the CPU) and parity with a CPU copy. Gradient flow
is not among them: how much gradient may fade depends on the architecture and the sequence length
(a default GRU keeps about 1e-4 of it over 20 steps), so it takes a threshold only the user can
set: ``assert_gradient_flow(model, x, min_ratio=...)``. All violations are gathered into one
RnnCheckError; without any, the report of each recurrent submodule comes back. The model returns to
the device it came from.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from pytest_rnn.batch import batch_violations
from pytest_rnn.bidirectional import bidirectional_violations, has_bidirectional_layer
from pytest_rnn.cuda import (
    device_parity,
    flat_weight_violations,
    is_fragmentation_warning,
)
from pytest_rnn.errors import RnnAdvice, RnnUsageError, Violation, raise_if_any, reports_cleanly
from pytest_rnn.guards import require_runnable
from pytest_rnn.packing import lengths_checked
from pytest_rnn.padding import as_lengths_list, lengths_violations, padded_batch_first, padding_violations
from pytest_rnn.parameters import forget_bias_violations, gate_slice_violations, inert_dropout_violations
from pytest_rnn.precise import precise_subject
from pytest_rnn.recurrent import parameters_device
from pytest_rnn.report import RnnReport, report_from_probe
from pytest_rnn.samples import input_batch_axis, primary_input
from pytest_rnn.shapes import probed_run
from pytest_rnn.single import single_sample_violations
from pytest_rnn.tree import to_device
from pytest_rnn.uncalled import uncalled_modules


@contextmanager
def on_device(model: nn.Module, device: torch.device) -> Iterator[None]:
    """Move the model to ``device`` for the block and back afterwards. A model spread over several
    devices is left where it is (moving it would lose the placement)."""
    home = parameters_device(model)
    move = home is not None and home != device
    if move:
        model.to(device)
    try:
        yield
    finally:
        if move:
            model.to(home)  # through Module.to, so an LSTM re-flattens its cuDNN weights at home


@contextmanager
def fragmentation_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Catch cuDNN's fragmentation warning every time (Python shows a warning once per place);
    every other warning is passed on untouched when the block ends."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seen: list[warnings.WarningMessage] = []
        yield seen
    for message in caught:
        if is_fragmentation_warning(message.message):
            seen.append(message)
        else:
            warnings.warn_explicit(message.message, message.category, message.filename, message.lineno)


#: ``forget_bias``'s default: LSTM forget-gate biases below 1 are advice (a pytest warning).
ADVISE = "advise"


def warn_advice(advice: list[Violation]) -> None:
    """One RnnAdvice warning per module, however many of its layers and directions are concerned."""
    by_module: dict[str, list[Violation]] = {}
    for violation in advice:
        by_module.setdefault(violation.where, []).append(violation)
    for where, found in by_module.items():
        more = (
            f" (and {len(found) - 1} more layer{'s' if len(found) > 2 else ''} or directions)" if len(found) > 1 else ""
        )
        first = found[0]
        warnings.warn(
            RnnAdvice(f"{first.code} {where}: {first.what}{more} — {first.fix}"),
            stacklevel=4,
        )


def run_rnn_check(
    model: nn.Module,
    inputs: tuple,
    *,
    device: torch.device,
    lengths: Any = None,
    forget_bias: float | str | None = ADVISE,
    unused: bool | Iterable[str] = (),
    atol: float | None = None,
    rtol: float | None = None,
    forward_kwargs: dict | None = None,
) -> RnnReport:
    __tracebackhide__ = True
    forward_kwargs = forward_kwargs or {}
    if lengths is not None and len(inputs) != 1:
        raise TypeError(
            "with lengths=, rnn_check calls model(padded, lengths): give exactly one input, the padded batch"
        )
    require_runnable(model, inputs, forward_kwargs, gradients=has_bidirectional_layer(model))
    if lengths is not None and isinstance(inputs[0], torch.Tensor) and inputs[0].dim() >= 2:
        # Before anything runs: PyTorch's own error for a length of 0 or > T names no sample.
        values = as_lengths_list(lengths)
        batch_first = padded_batch_first(inputs[0], len(values), None, model)
        raise_if_any(lengths_violations(inputs[0], values, batch_first))
    checks: list[str] = []
    skipped: list[tuple[str, str]] = []
    violations: list[Violation] = []
    with on_device(model, device), fragmentation_warnings() as cudnn_warnings, lengths_checked() as packing_checked:
        args = tuple(to_device(inputs, device))
        kwargs = to_device(forward_kwargs, device)
        call_args = args + ((lengths,) if lengths is not None else ())

        probe, _ = probed_run(model, call_args, kwargs)  # raises at once on a call PyTorch would refuse
        violations += probe.violations
        checks.append("shapes")
        uncalled, uncalled_skips = uncalled_modules(probe, unused)
        violations += uncalled
        skipped += uncalled_skips
        if not probe.calls:
            raise RnnUsageError(f"{type(model).__name__}'s forward called no recurrent submodule: nothing to check")
        if packing_checked:
            checks.append("packed-lengths")
        violations += inert_dropout_violations(model)
        checks.append("inert-dropout")
        advice: list[Violation] = []
        if forget_bias is None:
            skipped.append(("forget-bias", "forget_bias=None"))
        elif forget_bias == ADVISE:  # a recommendation: the warnings summary, not a failure
            advice = forget_bias_violations(model, 1.0)
            checks.append("forget-bias-advice")
        else:
            violations += forget_bias_violations(model, float(forget_bias))
            checks.append("forget-bias")
        violations += gate_slice_violations(model)
        checks.append("gate-slices")

        first = probe.first_call()
        batch = None
        if first is not None and first.layout.batch is not None:
            batch = input_batch_axis(call_args[primary_input(call_args)], probe, None)[1]
        # The comparing checks run a float64 CPU copy (when the model allows), made once for both.
        subject = precise_subject(model, call_args, kwargs) if (batch or 0) > 1 or lengths is not None else None
        if batch is not None and batch > 1:
            violations += batch_violations(model, call_args, kwargs, atol=atol, rtol=rtol, subject=subject)
            checks.append("batch-independence")
            alone, reason = single_sample_violations(
                subject.model,
                subject.inputs,
                subject.forward_kwargs,
                atol=atol,
                rtol=rtol,
                first_length=None if lengths is None else as_lengths_list(lengths)[0],
                base_run=subject.base_run,
            )
            found = {(violation.code, violation.where) for violation in violations}
            violations += [violation for violation in alone if (violation.code, violation.where) not in found]
            if reason is None:
                checks.append("batch-of-one")
            else:
                skipped.append(("batch-of-one", reason))
        else:
            skipped.append(("batch-independence", "one sample" if batch == 1 else "unbatched input"))
            skipped.append(("batch-of-one", "one sample" if batch == 1 else "unbatched input"))

        if has_bidirectional_layer(model):
            try:
                violations += bidirectional_violations(model, call_args, kwargs)
                checks.append("bidirectional-summary")
            except ValueError as reason:
                skipped.append(("bidirectional-summary", str(reason)))
        else:
            skipped.append(("bidirectional-summary", "no bidirectional layer"))

        if lengths is not None:
            violations += padding_violations(
                model, args[0], lengths, atol=atol, rtol=rtol, forward_kwargs=kwargs, subject=subject
            )
            checks.append("padding")
        else:
            skipped.append(("padding", "no lengths given"))

        skipped.append(("gradient-flow", "needs a threshold for your sequence lengths: call assert_gradient_flow"))

        if device.type == "cuda":
            violations += flat_weight_violations(model, warned=bool(cudnn_warnings))
            violations += device_parity(model, call_args, kwargs)
            checks += ["flat-weights", "cpu-parity"]
        else:
            skipped.append(("cuda", f"running on {device}"))
    warn_advice(advice)
    raise_if_any(violations)
    return report_from_probe(probe, str(device), tuple(checks), tuple(skipped))


class RnnCheck:
    """The ``rnn_check`` fixture's value: call it like a function.

    ``rnn_check(model, *inputs, lengths=None, forget_bias=ADVISE, unused=(), **forward_kwargs)`` moves
    model and inputs to ``rnn_device`` (lengths stay as given: a DataLoader hands them out on the
    CPU), runs every applicable check, raises one RnnCheckError listing every violation, and
    otherwise returns an RnnReport. The model goes back to its own device afterwards. ``unused``
    names recurrent submodules forward is not meant to run (True: any); ``allow_unused`` (ini
    ``rnn_allow_unused``) is the default for ``unused=True``. LSTM forget-gate biases below 1 are an
    RnnAdvice warning unless ``forget_bias`` is given (then RNN201 fails below it; None: not
    checked) or ``forget_bias_fails`` (ini ``rnn_forget_bias_fails``) is set.
    """

    def __init__(self, device: torch.device, allow_unused: bool = False, forget_bias_fails: bool = False) -> None:
        self.device = device
        self.allow_unused = allow_unused
        self.forget_bias_fails = forget_bias_fails

    @reports_cleanly
    def __call__(
        self,
        model: nn.Module,
        *inputs: Any,
        lengths: Any = None,
        forget_bias: float | str | None = ADVISE,
        unused: bool | Iterable[str] = (),
        atol: float | None = None,
        rtol: float | None = None,
        **forward_kwargs: Any,
    ) -> RnnReport:
        __tracebackhide__ = True
        return run_rnn_check(
            model,
            inputs,
            device=self.device,
            lengths=lengths,
            forget_bias=1.0 if self.forget_bias_fails and forget_bias == ADVISE else forget_bias,
            unused=True if self.allow_unused and unused == () else unused,
            atol=atol,
            rtol=rtol,
            forward_kwargs=forward_kwargs,
        )

    def __repr__(self) -> str:
        return f"<rnn_check on {self.device}>"
