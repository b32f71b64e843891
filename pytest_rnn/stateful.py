"""``assert_stateful_equivalence``: a sequence run in chunks, each call continuing from the state the
previous one returned, must give what the whole sequence gives in one call.

This is the contract truncated backpropagation through time relies on — a language model trained
on consecutive chunks of one long text (``output, hidden = model(chunk, hidden)``, then
``hidden = hidden.detach()``) — and RNN402's runtime twin: the linter sees a state carried into a
graph that was already backpropagated; this check sees a state that is not carried at all (reset
in ``forward``, taken from the wrong call, or handed back as h_0 instead of h_n).

The model is called ``model(chunk, state, **forward_kwargs)`` and must return ``(output, state)``.
Each output is put back together along the axis where the chunks' sizes add up to the whole run's
(a per-step output, also flattened to ``(T·B, V)`` as word language models return it); an output
without such an axis (a summary) is compared for the last chunk. The final states are compared
too. Runs on the model's float64 CPU copy when it can (see pytest_rnn.precise).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from pytest_rnn.errors import RnnUsageError, Violation, raise_if_any, reports_cleanly
from pytest_rnn.guards import require_runnable
from pytest_rnn.precise import precise_subject
from pytest_rnn.preserve import untouched
from pytest_rnn.probe import Probe
from pytest_rnn.recurrent import root_name
from pytest_rnn.samples import input_batch_axis
from pytest_rnn.tolerance import bounds, compare
from pytest_rnn.tree import describe, leaves
from rnn_lint import contract


def _time_axis(x: torch.Tensor, probe: Probe, time_dim: int | None) -> int:
    if time_dim is not None:
        if not -x.dim() <= time_dim < x.dim():
            raise RnnUsageError(f"time_dim={time_dim} is out of range for an input of shape {tuple(x.shape)}")
        return time_dim % x.dim()
    first = probe.first_call()
    if first is None:
        raise RnnUsageError("no recurrent submodule was called, so the time axis cannot be inferred: pass time_dim=")
    if first.layout.steps is None:
        raise RnnUsageError(f"{first.path} is a cell, so the time axis of the input cannot be inferred: pass time_dim=")
    if first.input is x:
        return contract.time_axis(bool(first.module.config.get("batch_first"))) if first.layout.batch is not None else 0
    batch_axis = input_batch_axis(x, probe, None)[0] if first.layout.batch is not None else None
    candidates = [axis for axis in range(x.dim()) if x.shape[axis] == first.layout.steps and axis != batch_axis]
    if len(candidates) != 1:
        raise RnnUsageError(
            f"cannot infer the time axis of the input {tuple(x.shape)} from the {first.layout.steps} steps "
            f"{first.path} received: pass time_dim="
        )
    return candidates[0]


def _split(result: Any, model: nn.Module) -> tuple[Any, Any]:
    if not (isinstance(result, tuple) and len(result) == 2):
        raise RnnUsageError(
            f"{type(model).__name__} must return (output, state) to be run in chunks; it returned "
            f"{type(result).__name__}"
        )
    return result


def _joined(whole: torch.Tensor, parts: list[torch.Tensor]) -> torch.Tensor:
    """The chunks' outputs put together along the axis where they add up to ``whole``; the last
    chunk's output when no axis grows with the steps (a summary of the sequence)."""
    if all(part.shape == whole.shape for part in parts):
        return parts[-1]
    for axis in range(whole.dim()):
        rest = whole.shape[:axis] + whole.shape[axis + 1 :]
        if all(part.dim() == whole.dim() and part.shape[:axis] + part.shape[axis + 1 :] == rest for part in parts):
            if sum(part.shape[axis] for part in parts) == whole.shape[axis]:
                return torch.cat(parts, dim=axis)
    return parts[-1]


def stateful_violations(
    model: nn.Module,
    x: torch.Tensor,
    state: Any,
    *,
    chunks: int,
    time_dim: int | None,
    atol: float | None,
    rtol: float | None,
    forward_kwargs: dict,
) -> list[Violation]:
    if not isinstance(x, torch.Tensor):
        raise RnnUsageError("assert_stateful_equivalence takes the sequence as a tensor (not packed)")
    if chunks < 2:
        raise RnnUsageError(f"chunks must be at least 2, got {chunks}")
    require_runnable(model, (x, state), forward_kwargs)
    subject = precise_subject(model, (x, state), forward_kwargs)
    copy, (x, state), kwargs = subject.model, subject.inputs, subject.forward_kwargs
    tolerance = (atol, rtol)
    with untouched(copy) as runner, torch.no_grad():
        with Probe(copy) as probe:
            whole_output, whole_state = _split(runner.run(x, state, **kwargs), model)
        axis = _time_axis(x, probe, time_dim)
        if x.shape[axis] < chunks:
            raise RnnUsageError(f"{x.shape[axis]} steps cannot be cut into {chunks} chunks")
        outputs, carried = [], state
        for piece in torch.tensor_split(x, chunks, dim=axis):
            output, carried = _split(runner.run(piece, carried, **kwargs), model)
            outputs.append(output)
    problems = []
    where = root_name(model)
    whole_leaves = list(leaves(whole_output))
    chunk_leaves = [list(leaves(output)) for output in outputs]
    if any(len(found) != len(whole_leaves) for found in chunk_leaves):
        raise RnnUsageError(f"{type(model).__name__} returns a different number of outputs for a chunk")
    for position, (name, whole) in enumerate(whole_leaves):
        parts = [found[position][1] for found in chunk_leaves]
        if not all(isinstance(part, torch.Tensor) for part in [whole, *parts]):
            continue
        joined = _joined(whole, parts)
        if joined.shape != whole.shape:
            raise RnnUsageError(
                f"cannot put {name} of the chunks ({', '.join(describe(p) for p in parts)}) back together into "
                f"the whole run's {describe(whole)}"
            )
        difference = compare(whole, joined, *bounds(whole, *tolerance))
        if not difference.within:
            problems.append(
                Violation(
                    "RNN402",
                    where,
                    f"{name} run in {chunks} chunks, each from the state the previous one returned, differs from "
                    "the whole sequence run at once: the state returned is not the one that continues the sequence",
                    f"equal ({difference.bound})",
                    str(difference),
                )
            )
    for (name, whole), (_, last) in zip(leaves(whole_state, "state"), leaves(carried, "state")):
        if isinstance(whole, torch.Tensor) and isinstance(last, torch.Tensor) and whole.shape == last.shape:
            difference = compare(whole, last, *bounds(whole, *tolerance))
            if not difference.within:
                problems.append(
                    Violation(
                        "RNN402",
                        where,
                        f"the final {name} after {chunks} chunks differs from the whole sequence's",
                        f"equal ({difference.bound})",
                        str(difference),
                    )
                )
    return problems


@reports_cleanly
def assert_stateful_equivalence(
    model: nn.Module,
    x: torch.Tensor,
    state: Any = None,
    *,
    chunks: int = 2,
    time_dim: int | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    **forward_kwargs: Any,
) -> None:
    """Run ``model(x, state)`` whole, then ``x`` cut into ``chunks`` pieces along its time axis, each
    call given the state the previous one returned; outputs (joined along their time axis) and the
    final state must match (RNN402). ``model`` returns ``(output, state)``; ``time_dim`` is the time
    axis of ``x``, inferred from the first recurrent layer by default."""
    __tracebackhide__ = True
    raise_if_any(
        stateful_violations(
            model, x, state, chunks=chunks, time_dim=time_dim, atol=atol, rtol=rtol, forward_kwargs=forward_kwargs
        )
    )
