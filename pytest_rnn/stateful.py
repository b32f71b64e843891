"""``assert_stateful_equivalence``: a sequence run in chunks, each call continuing from the state the
previous one left, must give what the whole sequence gives in one call.

This is the contract truncated backpropagation through time relies on — a language model trained
on consecutive chunks of one long text (``output, hidden = model(chunk, hidden)``, then
``hidden = hidden.detach()``) — and RNN402's runtime twin: the linter sees a state carried into a
graph that was already backpropagated; this check sees a state that is not carried at all (reset
in ``forward``, taken from the wrong call, handed back as h_0 instead of h_n, fed back transposed or
with h and c swapped). Detaching the state changes no value, so it passes, as it should.

The state travels one of two ways, as models write it:

- **returned**: ``model(chunk, state, **forward_kwargs)`` returns ``(output, state)`` — a bare
  ``nn.LSTM``/``nn.GRU``, a word language model's ``forward(input, hidden)``;
- **kept in an attribute**: ``model(chunk)`` stores it in ``self.hidden`` (or any plain attribute of
  the model or a submodule, ``state_attr="encoder.hidden"``) and reads it on the next call — a
  stateful classifier. Found by itself when the model does not return ``(output, state)`` and a
  call rebinds or rewrites exactly one tensor attribute; the attribute's value when the check is
  called is the initial state of both runs.

Each output is put back together along the axis where the chunks' sizes add up to the whole run's
(a per-step output, also flattened to ``(T·B, V)`` as word language models return it) and the
message names the first chunk, and time step, that differs; an output without such an axis (a
summary) is compared for the last chunk. The final states are compared too. Runs on the model's
float64 CPU copy when it can (see pytest_rnn.precise); the model is left as it was found
(pytest_rnn.preserve).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from pytest_rnn.errors import RnnCheckError, RnnUsageError, Violation, raise_if_any, reports_cleanly
from pytest_rnn.guards import require_runnable
from pytest_rnn.precise import precise_subject
from pytest_rnn.preserve import ModelRunner, untouched
from pytest_rnn.probe import Probe
from pytest_rnn.recurrent import root_name
from pytest_rnn.samples import input_batch_axis
from pytest_rnn.tolerance import Difference, bounds, compare
from pytest_rnn.tree import describe, leaves
from rnn_lint import contract

#: nn.Module's own bookkeeping (hooks, children, parameters): never a state a forward keeps.
_MODULE_INTERNALS = frozenset(vars(nn.Module()))


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


def _is_state(value: Any) -> bool:
    return next(iter(leaves(value)), None) is not None


def _takes_a_state(model: nn.Module) -> bool:
    """Whether ``model(x, state)`` binds: forward has a second positional parameter."""
    try:
        inspect.signature(model.forward).bind(None, None)
    except (TypeError, ValueError):
        return False
    return True


def _plain_attributes(model: nn.Module) -> dict[str, Any]:
    """``{"hidden": …, "encoder.hidden": …}``: every plain attribute of the model and its
    submodules that holds a tensor (alone or in a tuple/list) or None."""
    found = {}
    for path, module in model.named_modules():
        for name, value in vars(module).items():
            if name in _MODULE_INTERNALS or name == "forward":
                continue
            if value is None or _is_state(value):
                found[f"{path}.{name}" if path else name] = value
    return found


def _snapshot(model: nn.Module) -> dict[str, Any]:
    """The plain tensor attributes with copies of their values (a forward may write in place)."""
    return {
        name: (value, [tensor.detach().clone() for _, tensor in leaves(value) if isinstance(tensor, torch.Tensor)])
        for name, value in _plain_attributes(model).items()
    }


def _changed(before: dict[str, Any], model: nn.Module) -> list[str]:
    """Attributes a call bound to a new state or wrote into."""
    changed = []
    for name, value in _plain_attributes(model).items():
        if not _is_state(value):
            continue
        old, copies = before.get(name, (None, []))
        if old is not value or any(not torch.equal(copy, tensor) for copy, (_, tensor) in zip(copies, leaves(value))):
            changed.append(name)
    return changed


def _attribute(model: nn.Module, path: str) -> tuple[nn.Module, str]:
    owner, _, name = path.rpartition(".")
    try:
        module = model.get_submodule(owner) if owner else model
    except AttributeError as error:
        raise RnnUsageError(f"state_attr={path!r}: {type(model).__name__} has no submodule {owner!r}") from error
    return module, name


@dataclass(frozen=True)
class Carry:
    """How the state goes from one call to the next: returned (``attribute`` None) or kept in
    ``attribute`` (a dotted path from the model)."""

    attribute: str | None = None

    def describe(self, model: nn.Module) -> str:
        if self.attribute is None:
            return "the state it returned"
        return f"the state it kept in {root_name(model)}.{self.attribute}"

    def advice(self, model: nn.Module) -> str:
        """RNN402's fix for this model: the catalogue's ("detach the carried state") is about the
        linter's stale graph, not a state that is not carried."""
        if self.attribute is None:
            return (
                "return the recurrent layer's final state as it came ((h_n, c_n) in that order, shaped "
                "(layers·directions, batch, hidden)) and start the next call from the state passed in; reset it "
                "between sequences in the caller, not in forward"
            )
        return (
            f"start each call from {root_name(model)}.{self.attribute} and store the final state there as it "
            "came; reset it between sequences (a reset method the caller calls), not in forward"
        )

    def state_of(self, model: nn.Module) -> Any:
        module, name = _attribute(model, self.attribute or "")
        return getattr(module, name, None)


def _choose_carry(model: nn.Module, x: torch.Tensor, state: Any, state_attr: str | None, kwargs: dict) -> Carry:
    """Returned when a state is given or the model returns ``(output, state)`` and takes one back;
    else the one attribute a call changes."""
    if state_attr is not None:
        if state is not None:
            raise RnnUsageError(
                f"state_attr={state_attr!r} carries the state in the model: set model.{state_attr} to the initial "
                "state instead of passing it"
            )
        module, name = _attribute(model, state_attr)
        if not hasattr(module, name):
            raise RnnUsageError(f"state_attr={state_attr!r}: {type(model).__name__} has no attribute {state_attr!r}")
        return Carry(state_attr)
    if state is not None:
        return Carry()
    takes_a_state = _takes_a_state(model)
    with untouched(model) as runner, torch.no_grad():
        before = _snapshot(model)
        try:
            result = runner.run(x, None, **kwargs) if takes_a_state else runner.run(x, **kwargs)
        except (RnnCheckError, RnnUsageError):
            raise
        except Exception as error:  # the model's own error: it cannot start without a state
            called = f"{type(model).__name__}(x, None)" if takes_a_state else f"{type(model).__name__}(x)"
            raise RnnUsageError(
                f"{called} raised {_first_line(error)}: pass the initial state (assert_stateful_equivalence(model, "
                "x, state)), or the keyword arguments forward needs"
            ) from error
        changed = _changed(before, model)
    returns_state = isinstance(result, tuple) and len(result) == 2 and _is_state(result[1])
    if returns_state and takes_a_state:
        return Carry()
    if len(changed) == 1:
        return Carry(changed[0])
    name = type(model).__name__
    if changed:
        raise RnnUsageError(
            f"{name} changes several tensor attributes when called ({', '.join(changed)}): name the one that carries "
            "the state with state_attr="
        )
    raise RnnUsageError(
        f"{name} must return (output, state) and take the state back (model(chunk, state)), or keep its state in an "
        f"attribute, to be run in chunks; it returned {type(result).__name__} and changed no tensor attribute"
    )


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__


def _split(result: Any, model: nn.Module) -> tuple[Any, Any]:
    if not (isinstance(result, tuple) and len(result) == 2):
        raise RnnUsageError(
            f"{type(model).__name__} must return (output, state) to be run in chunks; it returned "
            f"{type(result).__name__}"
        )
    return result


def _call(runner: ModelRunner, carry: Carry, piece: torch.Tensor, state: Any, kwargs: dict, *, fresh: bool) -> Any:
    """(output, state after the call). ``fresh``: from the model state the check was called with
    (the whole run, the first chunk); else the attribute keeps what the previous chunk left."""
    if carry.attribute is None:
        return _split(runner.run(piece, state, **kwargs), runner.model)
    output = runner.run(piece, **kwargs) if fresh else runner.model(piece, **kwargs)
    return output, carry.state_of(runner.model)


@dataclass(frozen=True)
class Chunked:
    """The outputs and final state of the chunked run, and where its chunks lie on the time axis."""

    outputs: list[Any]
    state: Any
    steps: list[int]


def _run_in_chunks(
    runner: ModelRunner, carry: Carry, x: torch.Tensor, state: Any, axis: int, chunks: int, kwargs: dict, model: Any
) -> Chunked | Violation:
    pieces = torch.tensor_split(x, chunks, dim=axis)
    outputs, carried = [], state
    for index, piece in enumerate(pieces):
        try:
            output, carried = _call(runner, carry, piece, carried, kwargs, fresh=index == 0)
        except (RnnCheckError, RnnUsageError):
            raise
        except Exception as error:  # the model's own error, on a chunk
            reason = _first_line(error)
            if index == 0:
                raise RnnUsageError(
                    f"{type(model).__name__} cannot run the first chunk ({piece.shape[axis]} of {x.shape[axis]} steps "
                    f"along axis {axis}): {reason}. Choose chunks= (or time_dim=) so that each chunk is a sequence it "
                    "accepts"
                ) from error
            return Violation(
                "RNN402",
                root_name(model),
                f"chunk {index + 1} of {chunks} fails when given {carry.describe(model)} after chunk {index}: the "
                "state it hands on is not one it can continue from (transposed, reordered, reshaped?)",
                "the run to continue",
                reason,
                carry.advice(model),
            )
        outputs.append(output)
    return Chunked(outputs, carried, [piece.shape[axis] for piece in pieces])


def _joined_axis(whole: torch.Tensor, parts: list[torch.Tensor]) -> int | None:
    """The axis along which the chunks' outputs add up to ``whole``; None when no axis grows with
    the steps (a summary of the sequence, compared for the last chunk)."""
    if all(part.shape == whole.shape for part in parts):
        return None
    for axis in range(whole.dim()):
        rest = whole.shape[:axis] + whole.shape[axis + 1 :]
        if all(part.dim() == whole.dim() and part.shape[:axis] + part.shape[axis + 1 :] == rest for part in parts):
            if sum(part.shape[axis] for part in parts) == whole.shape[axis]:
                return axis
    return None


def _unflattened(tensor: torch.Tensor, axis: int, first: int, second: int) -> torch.Tensor:
    return tensor.reshape(tensor.shape[:axis] + (first, second) + tensor.shape[axis + 1 :])


def _arrangements(
    whole: torch.Tensor, parts: list[torch.Tensor], axis: int, steps: list[int]
) -> list[tuple[torch.Tensor, torch.Tensor, int | None]]:
    """(whole, the chunks put together, the time axis of both — None if unknown), for each way the
    chunks may fit together. An axis of T·n (a per-step output flattened, ``view(-1, V)``) is cut
    into (T, n) when the model flattened time-major and (n, T) when it flattened batch-major: the
    chunks go together along T either way; a correct model matches one of the two."""
    total = sum(steps)
    size = whole.shape[axis]
    if size == total:
        return [(whole, torch.cat(parts, dim=axis), axis)]
    per_step = size // total
    if size % total or any(part.shape[axis] != count * per_step for part, count in zip(parts, steps)):
        return [(whole, torch.cat(parts, dim=axis), None)]
    time_major = torch.cat([_unflattened(p, axis, count, per_step) for p, count in zip(parts, steps)], dim=axis)
    batch_major = torch.cat([_unflattened(p, axis, per_step, count) for p, count in zip(parts, steps)], dim=axis + 1)
    return [
        (_unflattened(whole, axis, total, per_step), time_major, axis),
        (_unflattened(whole, axis, per_step, total), batch_major, axis + 1),
    ]


def _first_step(whole: torch.Tensor, joined: torch.Tensor, time_axis: int, difference: Difference) -> int:
    """The first index along ``time_axis`` where ``joined`` is out of bounds."""
    relative = difference.tolerance if difference.relative is None else difference.relative
    a, b = whole.detach().to("cpu", torch.float64), joined.detach().to("cpu", torch.float64)
    out = ((a - b).abs() > difference.tolerance + relative * a.abs()) | (torch.isnan(a) != torch.isnan(b))
    others = [dim for dim in range(out.dim()) if dim != time_axis]
    positions = out.any(dim=others) if others else out
    return int(positions.nonzero()[0]) if bool(positions.any()) else difference.index[time_axis]


def _output_difference(
    whole: torch.Tensor, parts: list[torch.Tensor], steps: list[int], tolerance: tuple
) -> tuple[Difference, str] | None:
    """(how far the chunked output is from the whole run's, where it first differs), None when it
    is within bounds."""
    chunks = len(parts)
    axis = _joined_axis(whole, parts)
    if axis is None:
        if parts[-1].shape != whole.shape:
            raise RnnUsageError(
                f"cannot put the chunks' outputs ({', '.join(describe(p) for p in parts)}) back together into "
                f"the whole run's {describe(whole)}"
            )
        difference = compare(whole, parts[-1], *bounds(whole, *tolerance))
        return None if difference.within else (difference, f"for the last chunk ({chunks} of {chunks})")
    found = []
    for expected, joined, time_axis in _arrangements(whole, parts, axis, steps):
        difference = compare(expected, joined, *bounds(whole, *tolerance))
        if difference.within:
            return None
        step = None if time_axis is None else _first_step(expected, joined, time_axis, difference)
        found.append((step, difference))
    # The arrangement that matches longest is the model's: a wrong one differs from step 0.
    step, difference = max(found, key=lambda item: (-1 if item[0] is None else item[0], -item[1].max_abs))
    if step is None:
        return difference, f"from index {difference.index[axis]} along axis {axis}"
    chunk = next(index for index in range(chunks) if step < sum(steps[: index + 1]))
    return difference, f"from chunk {chunk + 1} of {chunks} on (time step {step} of {sum(steps)})"


def stateful_violations(
    model: nn.Module,
    x: torch.Tensor,
    state: Any,
    *,
    chunks: int,
    time_dim: int | None,
    state_attr: str | None = None,
    atol: float | None,
    rtol: float | None,
    forward_kwargs: dict,
) -> list[Violation]:
    if not isinstance(x, torch.Tensor):
        raise RnnUsageError("assert_stateful_equivalence takes the sequence as a tensor (not packed)")
    if isinstance(chunks, bool) or not isinstance(chunks, int):
        raise RnnUsageError(f"chunks is the number of pieces to cut the sequence into, got {chunks!r}")
    if chunks < 2:
        raise RnnUsageError(f"chunks must be at least 2, got {chunks}")
    inputs = (x,) if state is None else (x, state)
    require_runnable(model, inputs, forward_kwargs)
    carry = _choose_carry(model, x, state, state_attr, forward_kwargs)
    if carry.attribute is None:
        inputs = (x, state)
    subject = precise_subject(model, inputs, forward_kwargs)
    copy, kwargs = subject.model, subject.forward_kwargs
    x, state = subject.inputs[0], subject.inputs[1] if len(subject.inputs) > 1 else None
    tolerance = (atol, rtol)
    with untouched(copy) as runner, torch.no_grad():
        with Probe(copy) as probe:
            try:
                whole_output, whole_state = _call(runner, carry, x, state, kwargs, fresh=True)
            except (RnnCheckError, RnnUsageError):
                raise
            except Exception as error:  # the model's own error on the call the user asked for
                raise RnnUsageError(
                    f"{type(model).__name__} cannot run the whole sequence {describe(x)}: {_first_line(error)}"
                ) from error
        axis = _time_axis(x, probe, time_dim)
        if x.shape[axis] < chunks:
            raise RnnUsageError(f"{x.shape[axis]} steps (axis {axis}) cannot be cut into {chunks} chunks")
        chunked = _run_in_chunks(runner, carry, x, state, axis, chunks, kwargs, model)
    if isinstance(chunked, Violation):
        return [chunked]
    problems = []
    where = root_name(model)
    carried = carry.describe(model)
    advice = carry.advice(model)
    whole_leaves = list(leaves(whole_output))
    chunk_leaves = [list(leaves(output)) for output in chunked.outputs]
    if any(len(found) != len(whole_leaves) for found in chunk_leaves):
        raise RnnUsageError(f"{type(model).__name__} returns a different number of outputs for a chunk")
    for position, (name, whole) in enumerate(whole_leaves):
        parts = [found[position][1] for found in chunk_leaves]
        if not all(isinstance(part, torch.Tensor) for part in [whole, *parts]):
            continue
        found = _output_difference(whole, parts, chunked.steps, tolerance)
        if found is not None:
            difference, place = found
            problems.append(
                Violation(
                    "RNN402",
                    where,
                    f"{name} run in {chunks} chunks, each from {carried} after the previous one, differs from the "
                    f"whole sequence run at once {place}: the state carried over is not the one that continues it",
                    f"equal ({difference.bound})",
                    str(difference),
                    advice,
                )
            )
    whole_states = list(leaves(whole_state, "state"))
    last_states = list(leaves(chunked.state, "state"))
    if [describe(tensor) for _, tensor in whole_states] != [describe(tensor) for _, tensor in last_states]:
        problems.append(
            Violation(
                "RNN402",
                where,
                f"the state after {chunks} chunks is not shaped like the whole sequence's",
                ", ".join(f"{name} {describe(tensor)}" for name, tensor in whole_states) or "a state",
                ", ".join(f"{name} {describe(tensor)}" for name, tensor in last_states) or "none",
                advice,
            )
        )
        return problems
    for (name, whole), (_, last) in zip(whole_states, last_states):
        if isinstance(whole, torch.Tensor) and isinstance(last, torch.Tensor):
            difference = compare(whole, last, *bounds(whole, *tolerance))
            if not difference.within:
                problems.append(
                    Violation(
                        "RNN402",
                        where,
                        f"the final {name} after {chunks} chunks, each from {carried} after the previous one, differs "
                        "from the whole sequence's",
                        f"equal ({difference.bound})",
                        f"{difference} at {list(difference.index)}",
                        advice,
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
    state_attr: str | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    **forward_kwargs: Any,
) -> None:
    """Run ``x`` whole, then cut into ``chunks`` pieces along its time axis (sizes differ by at most
    one step when ``chunks`` does not divide it), each call continuing from the state the previous
    one left; outputs (joined along their time axis) and the final state must match (RNN402).

    The state is returned — ``model(x, state)`` returns ``(output, state)`` — or kept in an
    attribute the model reads on its next call (``self.hidden``), found by itself or named with
    ``state_attr``. ``time_dim`` is the time axis of ``x``, inferred from the first recurrent
    layer by default (its ``batch_first``). ``atol``/``rtol`` bound the differences (default
    ``sqrt(eps)`` of the dtype compared, float64 when the model can be copied so)."""
    __tracebackhide__ = True
    raise_if_any(
        stateful_violations(
            model,
            x,
            state,
            chunks=chunks,
            time_dim=time_dim,
            state_attr=state_attr,
            atol=atol,
            rtol=rtol,
            forward_kwargs=forward_kwargs,
        )
    )
