"""rnn_lint/contract.py against the real torch: every fact both halves rely on, checked by running
PyTorch (the linter never imports torch; these tests do, so a torch release that changes the
contract turns them red)."""

from __future__ import annotations

import itertools
import warnings

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from rnn_lint import contract  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")

LAYERS = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
CELLS = {"RNNCell": nn.RNNCell, "LSTMCell": nn.LSTMCell, "GRUCell": nn.GRUCell}
INPUT, HIDDEN, BATCH, STEPS = 3, 6, 2, 5


def layer_configs():
    for kind, layers, bidirectional, batch_first in itertools.product(LAYERS, (1, 2), (False, True), (False, True)):
        yield kind, {"num_layers": layers, "bidirectional": bidirectional, "batch_first": batch_first}
    yield "LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True, "proj_size": 4}


@pytest.mark.parametrize(("kind", "config"), list(layer_configs()))
@pytest.mark.parametrize("batched", [True, False])
def test_expected_shapes_match_what_torch_returns(kind, config, batched) -> None:
    module = LAYERS[kind](INPUT, HIDDEN, **config)
    shapes = contract.expected_shapes(
        kind, {"input_size": INPUT, "hidden_size": HIDDEN, **config}, batch=BATCH if batched else None, seq_len=STEPS
    )
    output, state = module(torch.zeros(shapes.input))
    h, c = state if kind == "LSTM" else (state, None)
    assert tuple(output.shape) == shapes.output
    assert tuple(h.shape) == shapes.h
    assert (None if c is None else tuple(c.shape)) == shapes.c


@pytest.mark.parametrize("kind", list(CELLS))
def test_cells_take_and_return_batch_major_states(kind) -> None:
    shapes = contract.expected_shapes(kind, {"input_size": INPUT, "hidden_size": HIDDEN}, batch=BATCH)
    result = CELLS[kind](INPUT, HIDDEN)(torch.zeros(shapes.input))
    h, c = result if kind == "LSTMCell" else (result, None)
    assert tuple(h.shape) == shapes.h
    assert (None if c is None else tuple(c.shape)) == shapes.c
    assert contract.batch_axis("h", cell=True) == 0


@pytest.mark.parametrize("batch_first", [False, True])
def test_batch_axes_and_layer_major_state(batch_first) -> None:
    """Perturbing one sample moves only that sample's slice, on each tensor's own batch axis, and
    h_n's row layer*D + direction is that layer's and direction's final state."""
    torch.manual_seed(0)
    module = nn.GRU(INPUT, HIDDEN, num_layers=2, bidirectional=True, batch_first=batch_first).eval()
    x = torch.randn((BATCH, STEPS, INPUT) if batch_first else (STEPS, BATCH, INPUT))
    out, h = module(x)
    moved = x.clone()
    moved.select(contract.batch_axis("input", batch_first), 1).add_(1.0)
    out2, h2 = module(moved)
    sample0 = lambda t, role: t.select(contract.batch_axis(role, batch_first), 0)
    assert torch.equal(sample0(out, "output"), sample0(out2, "output"))
    assert torch.equal(sample0(h, "h_n"), sample0(h2, "h_n"))
    seq = out if not batch_first else out.transpose(0, 1)
    top_forward = h[contract.state_index(1, 0, 2)]
    top_backward = h[contract.state_index(1, 1, 2)]
    assert torch.allclose(seq[-1, :, :HIDDEN], top_forward)
    assert torch.allclose(seq[0, :, HIDDEN:], top_backward)


def test_forget_gate_is_the_second_block_of_the_bias() -> None:
    """With zero weights and input, c_t = f * c_{t-1} + i * g: only a large bias in the forget
    block keeps the previous cell state (-1) whole; any other block leaves at most half of it."""
    kept = {}
    for gate in contract.GATES["LSTM"]:
        cell = nn.LSTMCell(1, HIDDEN)
        with torch.no_grad():
            for parameter in cell.parameters():
                parameter.zero_()
            cell.bias_ih[contract.gate_slice("LSTMCell", gate, HIDDEN)] = 10.0
        _, c = cell(torch.zeros(1, 1), (torch.zeros(1, HIDDEN), -torch.ones(1, HIDDEN)))
        kept[gate] = c.mean().item()
    assert kept["forget"] < -0.99
    assert all(value > -0.6 for gate, value in kept.items() if gate != "forget")
    assert (
        contract.forget_gate_slice(HIDDEN) == contract.gate_slice("LSTM", "forget", HIDDEN) == slice(HIDDEN, 2 * HIDDEN)
    )


@pytest.mark.parametrize(
    ("kind", "layers", "bidirectional"), [("LSTM", 2, True), ("GRU", 1, False), ("RNNCell", 1, False)]
)
def test_bias_names_and_gate_count(kind, layers, bidirectional) -> None:
    if contract.is_cell(kind):
        module = CELLS[kind](INPUT, HIDDEN)
    else:
        module = LAYERS[kind](INPUT, HIDDEN, num_layers=layers, bidirectional=bidirectional)
    parameters = dict(module.named_parameters())
    for bias_ih, bias_hh, _, _ in contract.bias_names(kind, layers, bidirectional):
        assert parameters[bias_ih].shape == (contract.gate_count(kind) * HIDDEN,)
        assert bias_hh in parameters


POSITIONAL_ORDER_CASES = [
    ("LSTM", (INPUT, HIDDEN, 2, False, True, 0.5, True, 4)),
    ("GRU", (INPUT, HIDDEN, 2, False, True, 0.5, True)),
    ("RNN", (INPUT, HIDDEN, 2, "relu", False, True, 0.5, True)),
    ("RNNCell", (INPUT, HIDDEN, False, "relu")),
    ("LSTMCell", (INPUT, HIDDEN, False)),
]


@pytest.mark.parametrize(("kind", "args"), POSITIONAL_ORDER_CASES)
def test_positional_order(kind, args) -> None:
    module = {**LAYERS, **CELLS}[kind](*args)
    for parameter, value in zip(contract.CONSTRUCTOR_PARAMETERS[kind], args):
        seen = getattr(module, parameter.name)
        assert seen == value or (parameter.name == "bias" and bool(seen) == value), parameter.name


ARGUMENT_CASES = [
    ("LSTM", {"nonlinearity": "tanh"}),
    ("GRU", {"nonlinearity": "relu"}),
    ("RNN", {"nonlinearity": "sigmoid"}),
    ("GRU", {"proj_size": 4}),
    ("LSTM", {"proj_size": HIDDEN}),
    ("LSTM", {"proj_size": -1}),
    ("GRU", {"dropout": 1.5}),
    ("GRU", {"dropout": True}),
    ("GRU", {"batch_first": 1}),
    ("LSTM", {"bias": 0}),
    ("GRU", {"hidden_size": HIDDEN / 2}),
    ("LSTMCell", {"num_layers": 2}),
    ("LSTM", {"num_layers": True}),
    ("RNN", {"nonlinearity": "relu", "dropout": 0.5, "num_layers": 2}),
    ("LSTM", {"proj_size": 2}),
    ("RNNCell", {"bias": 0}),
]


@pytest.mark.parametrize(("kind", "written"), ARGUMENT_CASES)
def test_argument_problems_agree_with_torch(kind, written) -> None:
    config = {"input_size": INPUT, "hidden_size": HIDDEN, **written}
    problems = contract.argument_problems(kind, config)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            {**LAYERS, **CELLS}[kind](**config)
        raised = None
    except (TypeError, ValueError) as error:
        raised = type(error).__name__
    assert {p.raises for p in problems if p.raises} == ({raised} if raised else set())
    silent = [p for p in problems if p.raises is None]
    assert bool(silent) == (kind == "LSTM" and written.get("num_layers") is True)


@pytest.mark.parametrize(("kind", "layers", "dropout"), [("LSTM", 1, 0.5), ("GRU", 2, 0.5), ("RNN", 1, 0.0)])
def test_inert_dropout_is_exactly_when_torch_warns(kind, layers, dropout) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LAYERS[kind](INPUT, HIDDEN, num_layers=layers, dropout=dropout)
    warned = any("dropout" in str(w.message) for w in caught)
    assert contract.inert_dropout(kind, {"num_layers": layers, "dropout": dropout}) == warned


def test_every_code_has_a_fix_and_the_rules_agree() -> None:
    from rnn_lint.registry import all_rules

    for code, problem in contract.PROBLEMS.items():
        assert problem.code == code and problem.fix and problem.summary
    linted = {p.code for p in contract.PROBLEMS.values() if "lint" in p.checked_by}
    assert linted == {rule.code for rule in all_rules()}
