"""One call of one recurrent module, held against the contract: its input and initial state before
the call, its outputs after it. Shared by the probe (``assert_*``, ``rnn_check``) and ``--rnn-watch``.

The checks before the call matter most: PyTorch answers a batch-major state with a bare
RuntimeError ("Expected hidden[0] size (2, 3, 4), got [3, 2, 4]"), and a PackedSequence built from
lengths longer than the padded batch with an unrelated one, or none at all. Reporting RNN103 /
RNN106 first tells the user which promise they broke and how to keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch.nn.utils.rnn import PackedSequence

from pytest_rnn.errors import Violation
from pytest_rnn.tree import describe
from rnn_lint import contract

#: The "batch axis" of a PackedSequence: its samples are found through its lengths, not an axis.
PACKED = "packed"


@dataclass(frozen=True)
class Layout:
    """What an input says about its call: batch size (None: unbatched), steps (None: a cell), packed."""

    batch: int | None
    steps: int | None
    packed: bool = False


def split_arguments(args: tuple, kwargs: dict) -> tuple[Any, Any]:
    """(input, hx) of ``forward(input, hx=None)``, the signature of every recurrent module."""
    inp = args[0] if args else kwargs.get("input")
    hx = args[1] if len(args) > 1 else kwargs.get("hx")
    return inp, hx


def split_result(kind: str, result: Any) -> tuple[Any, Any, Any]:
    """(output, h, c): layers return ``output, h_n`` or ``output, (h_n, c_n)``; cells return ``h``
    or ``(h, c)`` (then output is h). Anything else comes back as (result, None, None)."""
    if contract.is_cell(kind):
        if contract.returns_cell_state(kind) and isinstance(result, tuple) and len(result) == 2:
            return result[0], result[0], result[1]
        return result, result, None
    if not (isinstance(result, tuple) and len(result) == 2):
        return result, None, None
    output, state = result
    if contract.returns_cell_state(kind):
        if isinstance(state, tuple) and len(state) == 2:
            return output, state[0], state[1]
        return output, state, None
    return output, state, None


def state_names(kind: str) -> tuple[str, str]:
    """What the user calls the initial states of this kind of module."""
    return ("hx", "cx") if contract.is_cell(kind) else ("h_0", "c_0")


def _shape(value: torch.Tensor) -> tuple[int, ...]:
    return tuple(value.shape)


def input_violations(where: str, kind: str, config: dict, inp: Any, hx: Any) -> tuple[Layout | None, list[Violation]]:
    """The call's layout and what is wrong with its input and initial state."""
    layout, problems = _input_layout(where, kind, config, inp)
    if layout is None:
        return None, problems
    return layout, problems + _state_violations(where, kind, config, layout, hx) + state_device_violations(
        where, kind, inp, hx
    )


def state_device_violations(where: str, kind: str, inp: Any, hx: Any) -> list[Violation]:
    """RNN404 for an initial state on another device than the input: ``torch.zeros(L, B, H)`` in
    ``forward`` makes it on the CPU whatever device the model runs on, and PyTorch's answer
    ("Input and hidden tensors are not at the same device") names neither the module nor the fix."""
    data = inp.data if isinstance(inp, PackedSequence) else inp
    if not isinstance(data, torch.Tensor):
        return []
    states = hx if isinstance(hx, (tuple, list)) else (hx,)
    problems = []
    for name, state in zip(state_names(kind), states):
        if isinstance(state, torch.Tensor) and state.device != data.device:
            problems.append(
                Violation(
                    "RNN404",
                    where,
                    f"{name} is on {state.device} but the input is on {data.device}: the state was made without "
                    "the input's device",
                    str(data.device),
                    str(state.device),
                )
            )
    return problems


def _input_layout(where: str, kind: str, config: dict, inp: Any) -> tuple[Layout | None, list[Violation]]:
    cell = contract.is_cell(kind)
    input_size = config["input_size"]
    if isinstance(inp, PackedSequence):
        if cell:
            return None, [
                Violation(
                    "RNN107",
                    where,
                    f"nn.{kind} takes one step (B, input_size), not a PackedSequence",
                    "a tensor",
                    "a PackedSequence",
                )
            ]
        data, batch_sizes = inp.data, inp.batch_sizes
        problems = []
        rows = int(batch_sizes.sum())
        if rows != data.shape[0]:
            # pack_padded_sequence silently accepts lengths longer than the padded batch: its steps
            # then claim more rows than the data holds, and the layer fails or reads garbage.
            problems.append(
                Violation(
                    "RNN106",
                    where,
                    "the PackedSequence claims more rows than its data holds: "
                    "it was packed with lengths longer than the padded sequence",
                    f"{rows} rows (the sum of the lengths)",
                    f"{data.shape[0]}",
                )
            )
        if data.dim() != 2 or data.shape[-1] != input_size:
            problems.append(
                Violation(
                    "RNN107",
                    where,
                    "the packed data has the wrong feature size",
                    f"(rows, {input_size})",
                    str(_shape(data)),
                )
            )
        layout = Layout(int(batch_sizes[0]) if len(batch_sizes) else 0, len(batch_sizes), packed=True)
        return (None if problems else layout), problems
    if not isinstance(inp, torch.Tensor):
        return None, [
            Violation(
                "RNN107",
                where,
                f"nn.{kind} needs a tensor or a PackedSequence as input",
                "a tensor",
                type(inp).__name__,
            )
        ]
    batched_dims, unbatched_dims = (2, 1) if cell else (3, 2)
    expected_layout = (
        "(B, input_size)" if cell else "(B, T, input_size)" if config.get("batch_first") else "(T, B, input_size)"
    )
    if inp.dim() not in (batched_dims, unbatched_dims):
        return None, [
            Violation(
                "RNN107",
                where,
                f"input has {inp.dim()} dimensions",
                f"{expected_layout} or unbatched",
                str(_shape(inp)),
            )
        ]
    if inp.shape[-1] != input_size:
        return None, [
            Violation(
                "RNN107",
                where,
                "the input's last axis is not input_size",
                f"{expected_layout} with input_size {input_size}",
                str(_shape(inp)),
            )
        ]
    if inp.dim() == unbatched_dims:
        return Layout(None, None if cell else inp.shape[0]), []
    batch = inp.shape[contract.batch_axis("input", bool(config.get("batch_first")), cell=cell)]
    steps = None if cell else inp.shape[contract.time_axis(bool(config.get("batch_first")))]
    return Layout(batch, steps), []


def _state_violations(where: str, kind: str, config: dict, layout: Layout, hx: Any) -> list[Violation]:
    if hx is None:
        return []
    h_name, c_name = state_names(kind)
    shapes = contract.expected_shapes(kind, config, batch=layout.batch, seq_len=layout.steps)
    if contract.returns_cell_state(kind):
        if not (isinstance(hx, (tuple, list)) and len(hx) == 2 and all(isinstance(t, torch.Tensor) for t in hx)):
            return [
                Violation(
                    "RNN107",
                    where,
                    f"an nn.{kind} state is the pair ({h_name}, {c_name})",
                    f"a tuple ({h_name}, {c_name})",
                    type(hx).__name__,
                )
            ]
        pairs = [(h_name, hx[0], shapes.h), (c_name, hx[1], shapes.c)]
    else:
        if not isinstance(hx, torch.Tensor):
            return [
                Violation("RNN107", where, f"an nn.{kind} state is one tensor {h_name}", "a tensor", type(hx).__name__)
            ]
        pairs = [(h_name, hx, shapes.h)]
    problems = []
    for name, tensor, expected in pairs:
        got = _shape(tensor)
        if got == expected:
            continue
        if _is_batch_major(kind, layout, got, expected):
            problems.append(
                Violation(
                    "RNN103",
                    where,
                    f"{name} is batch-major (B, num_layers*directions, H); states keep batch on axis 1 "
                    "whatever batch_first says",
                    str(expected),
                    str(got),
                )
            )
        else:
            problems.append(
                Violation("RNN107", where, f"{name} does not match the module's configuration", str(expected), str(got))
            )
    return problems


def _is_batch_major(kind: str, layout: Layout, got: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    """(B, L*D, H) where (L*D, B, H) was due — a state built as if batch_first moved it."""
    if contract.is_cell(kind) or layout.batch is None or len(got) != 3:
        return False
    return got == (expected[1], expected[0], expected[2]) and expected[0] != expected[1]


def output_violations(
    where: str, kind: str, config: dict, layout: Layout, result: Any, packed_rows: int | None = None
) -> list[Violation]:
    """What a call returned that its configuration does not explain (custom subclasses, mostly)."""
    shapes = contract.expected_shapes(kind, config, batch=layout.batch, seq_len=layout.steps)
    output, h, c = split_result(kind, result)
    problems = []
    if not contract.is_cell(kind):
        if layout.packed:
            if not isinstance(output, PackedSequence):
                problems.append(
                    Violation(
                        "RNN107",
                        where,
                        "a packed input must give a packed output",
                        "a PackedSequence",
                        type(output).__name__,
                    )
                )
            elif _shape(output.data) != (packed_rows, shapes.output[-1]):
                problems.append(
                    Violation(
                        "RNN107",
                        where,
                        "the packed output's data does not match the configuration",
                        str((packed_rows, shapes.output[-1])),
                        str(_shape(output.data)),
                    )
                )
        elif not isinstance(output, torch.Tensor) or _shape(output) != shapes.output:
            problems.append(
                Violation(
                    "RNN107",
                    where,
                    "output does not match the module's configuration",
                    str(shapes.output),
                    describe(output) if isinstance(output, torch.Tensor) else type(output).__name__,
                )
            )
    h_name = "h" if contract.is_cell(kind) else "h_n"
    expected_states = [(h_name, h, shapes.h)]
    if contract.returns_cell_state(kind):
        expected_states.append(("c" if contract.is_cell(kind) else "c_n", c, shapes.c))
    for name, tensor, expected in expected_states:
        if not isinstance(tensor, torch.Tensor) or _shape(tensor) != expected:
            got = str(_shape(tensor)) if isinstance(tensor, torch.Tensor) else type(tensor).__name__
            problems.append(
                Violation("RNN107", where, f"{name} does not match the module's configuration", str(expected), got)
            )
    return problems


def packed_rows(inp: Any) -> int | None:
    return int(inp.data.shape[0]) if isinstance(inp, PackedSequence) else None
