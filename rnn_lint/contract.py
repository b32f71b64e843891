"""The PyTorch recurrent-layer contract, as plain data and small functions.

This is the single place where the project writes down what ``nn.RNN``, ``nn.LSTM``, ``nn.GRU``
and their cells promise: argument order and defaults, what each call returns and in which shape,
where the batch axis of every tensor is, how the state's first axis is ordered, and the gate order
inside the parameters. The static linter (``rnn_lint``) and the pytest plugin (``pytest_rnn``)
both read it, so the two halves can never disagree about PyTorch.

It imports nothing but the standard library: the linter must not import torch, and the plugin
must stay cheap to load. Every fact is checked against the installed torch by
tests/test_contract.py (written against torch 2.13).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# --------------------------------------------------------------------------------------------
# The modules
# --------------------------------------------------------------------------------------------

#: Full-sequence layers (they take a whole sequence, possibly packed, and return output + state).
LAYER_KINDS = ("RNN", "LSTM", "GRU")
#: Single-step cells (they take and return (B, H) states).
CELL_KINDS = ("RNNCell", "LSTMCell", "GRUCell")
RECURRENT_KINDS = LAYER_KINDS + CELL_KINDS

#: Gates stacked along the first axis of each weight and bias, in PyTorch's order.
GATES: Mapping[str, tuple[str, ...]] = {
    "LSTM": ("input", "forget", "cell", "output"),
    "GRU": ("reset", "update", "new"),
    "RNN": ("hidden",),
}
#: Index of the LSTM forget gate in GATES["LSTM"]: bias[H:2H].
FORGET_GATE = GATES["LSTM"].index("forget")

#: Gate orders other frameworks use, which ported code may silently assume.
FOREIGN_LSTM_GATE_ORDERS: Mapping[str, tuple[str, ...]] = {
    "TensorFlow's i, j, f, o order": ("input", "cell", "forget", "output"),  # Keras' fused LSTM cell
}


#: The ``mode`` attribute nn.RNNBase keeps for each layer kind (nn.RNN's depends on its
#: nonlinearity). It identifies the kind of a module built from RNNBase directly.
RNNBASE_MODES: Mapping[str, str] = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}


def family(kind: str) -> str:
    """'LSTMCell' -> 'LSTM'; 'GRU' -> 'GRU'."""
    return kind[:-4] if kind.endswith("Cell") else kind


def is_cell(kind: str) -> bool:
    return kind in CELL_KINDS


def gate_count(kind: str) -> int:
    """G: how many gate blocks each weight/bias stacks (4 LSTM, 3 GRU, 1 RNN)."""
    return len(GATES[family(kind)])


def gate_slice(kind: str, gate: str, hidden_size: int) -> slice:
    """The rows of a bias (or weight) that belong to ``gate``: the forget gate of an LSTM is
    ``slice(H, 2H)``."""
    index = GATES[family(kind)].index(gate)
    return slice(index * hidden_size, (index + 1) * hidden_size)


def forget_gate_slice(hidden_size: int) -> slice:
    return gate_slice("LSTM", "forget", hidden_size)


# --------------------------------------------------------------------------------------------
# Constructor arguments
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    required: bool = False


_REQUIRED = (Parameter("input_size", None, True), Parameter("hidden_size", None, True))
_FACTORY = (Parameter("device", None), Parameter("dtype", None))

#: Constructor parameters in positional order, with defaults (torch 2.13).
#: Note nn.RNN's 4th positional argument is ``nonlinearity`` (it is popped before the base
#: class sees the rest), and nn.LSTM/nn.GRU's 8th is ``proj_size``.
#: nn.RNNBase's own order, which nn.LSTM and nn.GRU pass through unchanged.
_RNNBASE = _REQUIRED + (
    Parameter("num_layers", 1),
    Parameter("bias", True),
    Parameter("batch_first", False),
    Parameter("dropout", 0.0),
    Parameter("bidirectional", False),
    Parameter("proj_size", 0),
)

CONSTRUCTOR_PARAMETERS: Mapping[str, tuple[Parameter, ...]] = {
    "LSTM": _RNNBASE + _FACTORY,
    "GRU": _RNNBASE + _FACTORY,
    "RNN": _REQUIRED
    + (
        Parameter("num_layers", 1),
        Parameter("nonlinearity", "tanh"),
        Parameter("bias", True),
        Parameter("batch_first", False),
        Parameter("dropout", 0.0),
        Parameter("bidirectional", False),
    )
    + _FACTORY,
    "RNNCell": _REQUIRED + (Parameter("bias", True), Parameter("nonlinearity", "tanh")) + _FACTORY,
    "LSTMCell": _REQUIRED + (Parameter("bias", True),) + _FACTORY,
    "GRUCell": _REQUIRED + (Parameter("bias", True),) + _FACTORY,
}

NONLINEARITIES = ("tanh", "relu")


def parameter_names(kind: str) -> tuple[str, ...]:
    return tuple(p.name for p in CONSTRUCTOR_PARAMETERS[kind])


def default_config(kind: str) -> dict[str, Any]:
    return {p.name: p.default for p in CONSTRUCTOR_PARAMETERS[kind] if not p.required}


def accepts(kind: str, argument: str) -> bool:
    """Whether ``kind``'s constructor takes ``argument`` as a keyword at all."""
    return argument in parameter_names(kind)


#: Marks a configuration value the caller could not determine (the linter's "unknown").
#: The checks below never report on an unknown value.
class _Unknown:
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:  # an unknown is never taken for a definite answer
        raise TypeError("UNKNOWN has no truth value; test with `is UNKNOWN`")


UNKNOWN: Any = _Unknown()


def _known(value: Any) -> bool:
    return value is not UNKNOWN


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class ArgumentProblem:
    """One thing wrong with a constructor call. ``argument`` names the offending keyword."""

    argument: str
    message: str
    raises: str | None  # "TypeError"/"ValueError" when PyTorch raises, None when it is silent


def argument_problems(kind: str, config: Mapping[str, Any]) -> list[ArgumentProblem]:
    """What PyTorch will reject (or silently misread) in a constructor call.

    ``config`` maps argument names to values as the caller passed them (``UNKNOWN`` where the
    value cannot be known). Only arguments present in ``config`` are checked, so passing just the
    explicit arguments reports only what the user wrote. Inert dropout is not here: see
    ``inert_dropout``.
    """
    problems: list[ArgumentProblem] = []
    fam = family(kind)
    for argument in config:
        if accepts(kind, argument):
            continue
        if argument == "proj_size" and kind in ("RNN", "GRU"):
            continue  # PyTorch's own message for this one is a ValueError, below
        hint = " (only nn.RNN and nn.RNNCell do)" if argument == "nonlinearity" else ""
        problems.append(
            ArgumentProblem(argument, f"nn.{kind} takes no `{argument}`{hint}; PyTorch raises TypeError", "TypeError")
        )
    # proj_size on nn.RNN / nn.GRU: both raise ValueError when it is passed by keyword.
    proj = config.get("proj_size", 0)
    if kind in ("RNN", "GRU") and _known(proj) and proj != 0:
        problems.append(
            ArgumentProblem(
                "proj_size",
                f"proj_size is only supported by nn.LSTM, not nn.{kind}; PyTorch raises ValueError",
                "ValueError",
            )
        )
    if kind == "LSTM" and _known(proj) and _is_number(proj):
        hidden = config.get("hidden_size", UNKNOWN)
        if proj < 0:
            problems.append(
                ArgumentProblem("proj_size", f"proj_size={proj} is negative; PyTorch raises ValueError", "ValueError")
            )
        elif proj > 0 and _known(hidden) and _is_number(hidden) and proj >= hidden:
            problems.append(
                ArgumentProblem(
                    "proj_size",
                    f"proj_size={proj} must be smaller than hidden_size={hidden}; PyTorch raises ValueError",
                    "ValueError",
                )
            )
    nonlinearity = config.get("nonlinearity", "tanh")
    if fam == "RNN" and _known(nonlinearity) and nonlinearity not in NONLINEARITIES:
        when = "at the first forward call" if is_cell(kind) else "at construction"
        problems.append(
            ArgumentProblem(
                "nonlinearity",
                f"nonlinearity={nonlinearity!r} is not 'tanh' or 'relu'; PyTorch raises ValueError {when}",
                "ValueError",
            )
        )
    dropout = config.get("dropout", 0.0)
    if "dropout" in config and accepts(kind, "dropout") and _known(dropout):
        if isinstance(dropout, bool) or not _is_number(dropout) or not 0 <= dropout <= 1:
            problems.append(
                ArgumentProblem(
                    "dropout",
                    f"dropout={dropout!r} is not a probability in [0, 1]; PyTorch raises ValueError",
                    "ValueError",
                )
            )
    for argument in ("bias", "batch_first"):  # layers type-check these two; cells and bidirectional don't
        value = config.get(argument, True)
        if argument in config and not is_cell(kind) and _known(value) and not isinstance(value, bool):
            problems.append(
                ArgumentProblem(argument, f"{argument}={value!r} is not a bool; PyTorch raises TypeError", "TypeError")
            )
    for argument in ("input_size", "hidden_size"):
        value = config.get(argument, UNKNOWN)
        if _known(value) and isinstance(value, float):
            problems.append(
                ArgumentProblem(
                    argument,
                    f"{argument}={value!r} is a float (true division `/`?); PyTorch raises TypeError",
                    "TypeError",
                )
            )
    layers = config.get("num_layers", 1)
    if "num_layers" in config and accepts(kind, "num_layers") and _known(layers) and isinstance(layers, bool):
        problems.append(
            ArgumentProblem(
                "num_layers",
                f"num_layers={layers!r} is a bool: a positional argument meant for `bias` or `batch_first`? "
                f"PyTorch silently builds {int(layers)} layer(s)",
                None,
            )
        )
    return problems


def inert_dropout(kind: str, config: Mapping[str, Any]) -> bool:
    """True when ``dropout`` is definitely non-zero and definitely acts on nothing: PyTorch applies
    it between stacked layers only, so with one layer it is a no-op (torch only warns)."""
    if is_cell(kind):
        return False
    dropout = config.get("dropout", 0.0)
    layers = config.get("num_layers", 1)
    if not (_known(dropout) and _known(layers)):
        return False
    return _is_number(dropout) and dropout > 0 and layers == 1


# --------------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------------


def num_directions(bidirectional: bool) -> int:
    return 2 if bidirectional else 1


def output_hidden_size(hidden_size: int, proj_size: int = 0) -> int:
    """H_out: the size of h and of each direction's output features (proj_size when > 0)."""
    return proj_size if proj_size and proj_size > 0 else hidden_size


def state_index(layer: int, direction: int, directions: int) -> int:
    """Row of h_n/c_n holding (layer, direction): the first axis is layer-major."""
    return layer * directions + direction


#: Where the batch axis is, per tensor role, for a batched call. The states never move:
#: h_0/h_n/c_0/c_n are (L*D, B, H) whatever batch_first says.
def batch_axis(role: str, batch_first: bool = False, *, cell: bool = False) -> int:
    if cell:
        return 0  # cells take (B, I) and return (B, H)
    if role in ("input", "output"):
        return 0 if batch_first else 1
    if role in ("h", "c", "h_0", "c_0", "h_n", "c_n"):
        return 1
    raise ValueError(f"unknown tensor role {role!r}")


def time_axis(batch_first: bool = False) -> int:
    return 1 if batch_first else 0


@dataclass(frozen=True)
class Shapes:
    """The shapes one call must have. ``c`` is None for RNN/GRU."""

    input: tuple[int, ...]
    output: tuple[int, ...]
    h: tuple[int, ...]
    c: tuple[int, ...] | None


def expected_shapes(
    kind: str,
    config: Mapping[str, Any],
    *,
    batch: int | None,
    seq_len: int | None = None,
) -> Shapes:
    """The contract's shapes for a call. ``batch=None`` means an unbatched call.
    For cells ``seq_len`` is ignored and ``output`` equals ``h``."""
    cfg = {**default_config(kind), **config}
    inp, hidden = cfg["input_size"], cfg["hidden_size"]
    if is_cell(kind):
        lead = () if batch is None else (batch,)
        h = lead + (hidden,)
        return Shapes(lead + (inp,), h, h, h if kind == "LSTMCell" else None)
    layers = cfg["num_layers"]
    dirs = num_directions(cfg["bidirectional"])
    h_out = output_hidden_size(hidden, cfg.get("proj_size", 0) or 0)
    if batch is None:
        shapes = Shapes((seq_len, inp), (seq_len, dirs * h_out), (layers * dirs, h_out), (layers * dirs, hidden))
    elif cfg["batch_first"]:
        shapes = Shapes(
            (batch, seq_len, inp),
            (batch, seq_len, dirs * h_out),
            (layers * dirs, batch, h_out),
            (layers * dirs, batch, hidden),
        )
    else:
        shapes = Shapes(
            (seq_len, batch, inp),
            (seq_len, batch, dirs * h_out),
            (layers * dirs, batch, h_out),
            (layers * dirs, batch, hidden),
        )
    return shapes if kind == "LSTM" else Shapes(shapes.input, shapes.output, shapes.h, None)


def returns_cell_state(kind: str) -> bool:
    """LSTM layers return ``output, (h_n, c_n)``; LSTMCell returns ``(h, c)``."""
    return family(kind) == "LSTM"


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


def bias_names(kind: str, num_layers: int = 1, bidirectional: bool = False) -> list[tuple[str, str, int, int]]:
    """(bias_ih name, bias_hh name, layer, direction) for every layer and direction."""
    if is_cell(kind):
        return [("bias_ih", "bias_hh", 0, 0)]
    names = []
    for layer in range(num_layers):
        for direction in range(num_directions(bidirectional)):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            names.append((f"bias_ih{suffix}", f"bias_hh{suffix}", layer, direction))
    return names


def default_init_bound(hidden_size: int) -> float:
    """PyTorch initialises every weight and bias uniform(-1/sqrt(H), 1/sqrt(H))."""
    return 1.0 / math.sqrt(hidden_size)


# --------------------------------------------------------------------------------------------
# Packing
# --------------------------------------------------------------------------------------------

#: pack_padded_sequence wants its lengths on this device (a 1-D int64 tensor or a list); CUDA
#: lengths raise "'lengths' argument should be a 1D CPU int64 tensor".
LENGTHS_DEVICE = "cpu"

# --------------------------------------------------------------------------------------------
# cuDNN
# --------------------------------------------------------------------------------------------

#: The part of cuDNN's UserWarning that identifies weights which are not one flat buffer (raised at
#: each call of a module whose weights were replaced; Python shows it once per place by default).
CUDNN_FRAGMENTED_WEIGHTS_WARNING = "not part of single contiguous chunk of memory"


# --------------------------------------------------------------------------------------------
# The problems both halves report, by code
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    code: str
    name: str
    summary: str
    fix: str
    #: "lint" when rnn-lint has a rule for it, "runtime" when pytest-rnn checks it (empty while neither does yet).
    checked_by: tuple[str, ...]


PROBLEMS: Mapping[str, Problem] = {
    p.code: p
    for p in (
        Problem("RNN000", "syntax-error", "file could not be read or parsed", "fix the syntax error", ("lint",)),
        Problem(
            "RNN101",
            "state-split-order",
            "recurrent state or output split in the wrong axis order",
            "h_n is layer-major: view(L, D, B, H); a bidirectional output is view(..., D, H)",
            ("lint", "runtime"),
        ),
        Problem(
            "RNN102",
            "state-batch-flatten",
            "state flattened per sample without moving batch first: mixes samples",
            "h_n.permute(1, 0, 2).reshape(B, -1), or torch.cat((h_n[-2], h_n[-1]), dim=-1)",
            ("lint", "runtime"),
        ),
        Problem(
            "RNN103",
            "state-batch-first",
            "state treated as batch-major; h_0/h_n/c_0/c_n are (L*D, B, H) even with batch_first=True",
            "create h_0 as zeros(L*D, B, H); index h_n[layer] not h_n[:, layer]",
            ("lint", "runtime"),
        ),
        Problem(
            "RNN104",
            "bidirectional-summary",
            "a bidirectional module summarised by one direction: h_n[-1] alone is the top layer's backward "
            "state, and the output's last step holds a backward half that has seen one step",
            "torch.cat((h_n[-2], h_n[-1]), dim=-1), or cat the forward half of the last step with the "
            "backward half of step 0",
            ("lint", "runtime"),
        ),
        Problem(
            "RNN105",
            "padding-leak",
            "padded steps change a sequence's result",
            "pack the batch with pack_padded_sequence(..., lengths.cpu(), enforce_sorted=False) and read "
            "h_n or gather the output at lengths - 1",
            ("lint", "runtime"),
        ),
        Problem(
            "RNN106",
            "lengths-mismatch",
            "sequence lengths longer than the padded sequence or not on the CPU",
            "pass lengths as a 1-D CPU int64 tensor with every length <= T",
            ("lint", "runtime"),
        ),
        Problem(
            "RNN107",
            "shape-mismatch",
            "an input, state or output does not have the shape the module's configuration implies",
            "give the module (T, B, input_size) input, or (B, T, input_size) with batch_first=True, "
            "and states shaped (num_layers * num_directions, B, hidden_size)",
            ("lint", "runtime"),
        ),
        Problem(
            "RNN108",
            "bare-squeeze",
            "squeeze() with no dim on a recurrent state or output: a batch of one loses its batch axis",
            "name the axis: h_n.squeeze(0), or index the layer you mean (h_n[-1])",
            ("lint", "runtime"),
        ),
        Problem(
            "RNN109",
            "pack-layout-mismatch",
            "pack_padded_sequence / pad_packed_sequence told a layout the module or the following code does not use",
            "give pack_padded_sequence and pad_packed_sequence the module's batch_first",
            ("lint",),
        ),
        Problem(
            "RNN201",
            "missing-forget-bias",
            "LSTM forget-gate bias left at PyTorch's default (about 0)",
            "fill bias_ih[H:2H] and/or bias_hh[H:2H] with 1 (their sum is the effective bias)",
            ("lint", "runtime"),
        ),
        Problem(
            "RNN202",
            "wrong-gate-slice",
            "positive bias written into an LSTM gate other than forget",
            "PyTorch's LSTM gate order is input, forget, cell, output: the forget gate is [H:2H]",
            ("lint", "runtime"),
        ),
        Problem(
            "RNN203",
            "vanishing-gradient",
            "the gradient from the last step barely reaches the first",
            "initialise the LSTM forget-gate bias to 1 (or more), shorten the sequence, or use an LSTM/GRU",
            ("runtime",),
        ),
        Problem(
            "RNN301",
            "inert-dropout",
            "dropout on a one-layer recurrent module does nothing",
            "drop the argument, stack layers (num_layers > 1), or apply nn.Dropout to the output",
            ("lint", "runtime"),
        ),
        Problem(
            "RNN302",
            "invalid-rnn-argument",
            "argument PyTorch rejects or silently misreads",
            "see the message; only nn.RNN/nn.RNNCell take nonlinearity, only nn.LSTM takes proj_size",
            ("lint",),
        ),
        Problem(
            "RNN401",
            "fragmented-weights",
            "cuDNN weights are not one contiguous chunk (every call copies them)",
            "call module.flatten_parameters() after replacing or moving its weights",
            ("runtime",),
        ),
        Problem(
            "RNN402",
            "stale-state",
            "state carried over from a graph that was already backpropagated",
            "detach the carried state between batches: h = h.detach()",
            ("runtime", "lint"),
        ),
        Problem(
            "RNN403",
            "device-mismatch",
            "the module gives different results on the GPU and on the CPU",
            "check custom CUDA code paths and dtype handling; TF32 differences are already allowed for",
            ("runtime",),
        ),
        Problem(
            "RNN404",
            "state-device",
            "an initial state created on a fixed device (the CPU by default) instead of the input's",
            "create it where the input is: torch.zeros(..., device=x.device), or x.new_zeros(...)",
            ("lint", "runtime"),
        ),
        Problem(
            "RNN405",
            "unlearned-initial-state",
            "an initial state meant to be learned that is not an nn.Parameter (or never reaches the module)",
            "self.h0 = nn.Parameter(torch.zeros(L * D, 1, H)), then pass self.h0.expand(-1, B, -1).contiguous()",
            ("lint",),
        ),
        Problem(
            "RNN406",
            "uncalled-module",
            "a recurrent submodule the model's forward never ran: no check can vouch for it",
            "call it in forward, or name it in rnn_check(..., unused=['decoder']) (ini rnn_allow_unused = true) "
            "if only another method (generate, a decoder loop) uses it",
            ("runtime",),
        ),
    )
}
