"""No false failures: every plain configuration of nn.RNN/LSTM/GRU and of the cells passes every
check — batch-first or not, bidirectional, stacked, projected, unbatched, packed, stepped in a loop.

A check that knew only one layout (dim 0 as every output's batch axis, say) fails here: a bare
``nn.LSTM(batch_first=True)`` returns h_n with its batch on axis 1.
"""

from __future__ import annotations

import itertools

import plugin_models
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from pytest_rnn import (
    assert_batch_independent,
    assert_forget_gate_bias,
    assert_gradient_flow,
    assert_no_inert_dropout,
    assert_padding_invariant,
    assert_rnn_shapes,
)
from rnn_lint import contract

# PyTorch's own note that LSTM projections bypass oneDNN on the CPU: expected, not ours to show.
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")

BATCH, STEPS, FEATURES, HIDDEN = 3, 4, 2, 5

LAYER_CONFIGS = [
    pytest.param(
        kind,
        {"batch_first": bf, "bidirectional": bi, "num_layers": layers},
        id=f"{kind}-{'bf' if bf else 'sf'}-{'bi' if bi else 'uni'}-L{layers}",
    )
    for kind, bf, bi, layers in itertools.product(("RNN", "LSTM", "GRU"), (False, True), (False, True), (1, 2))
] + [
    pytest.param("LSTM", {"proj_size": 2}, id="LSTM-proj"),
    pytest.param(
        "LSTM", {"proj_size": 2, "bidirectional": True, "num_layers": 2, "batch_first": True}, id="LSTM-proj-bi-L2-bf"
    ),
    pytest.param("RNN", {"nonlinearity": "relu", "num_layers": 2}, id="RNN-relu-L2"),
    pytest.param("GRU", {"bias": False, "num_layers": 2, "dropout": 0.25}, id="GRU-nobias-dropout-L2"),
]


def sequence(config: dict, batch: int | None = BATCH, generator_seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(generator_seed)
    if batch is None:
        return torch.randn(STEPS, FEATURES, generator=generator)
    shape = (batch, STEPS, FEATURES) if config.get("batch_first") else (STEPS, batch, FEATURES)
    return torch.randn(shape, generator=generator)


@pytest.mark.parametrize(("kind", "config"), LAYER_CONFIGS)
def test_plain_layer_passes_every_check(kind, config):
    model = plugin_models.layer(kind, FEATURES, HIDDEN, **config)
    x = sequence(config)
    report = assert_rnn_shapes(model, x)
    expected = contract.expected_shapes(
        kind, {"input_size": FEATURES, "hidden_size": HIDDEN, **config}, batch=BATCH, seq_len=STEPS
    )
    seen = report[kind].calls[0]
    assert seen["output"] == str(expected.output)
    assert seen["h_n"] == str(expected.h)
    assert_batch_independent(model, x)
    assert_no_inert_dropout(model)
    assert_forget_gate_bias(model)
    assert assert_gradient_flow(model, x) > 1e-3


@pytest.mark.parametrize(("kind", "config"), LAYER_CONFIGS)
def test_plain_layer_passes_rnn_check(kind, config, rnn_check):
    model = plugin_models.layer(kind, FEATURES, HIDDEN, **config)
    report = rnn_check(model, sequence(config))
    assert {"shapes", "batch-independence", "batch-of-one", "forget-bias-advice"} <= set(report.checks)
    assert "gradient-flow" in dict(report.skipped)


@pytest.mark.parametrize(("kind", "config"), LAYER_CONFIGS)
def test_plain_layer_with_initial_state(kind, config):
    model = plugin_models.layer(kind, FEATURES, HIDDEN, **config)
    full = {"input_size": FEATURES, "hidden_size": HIDDEN, **config}
    shapes = contract.expected_shapes(kind, full, batch=BATCH, seq_len=STEPS)
    h_0 = torch.randn(shapes.h)
    state = (h_0, torch.randn(shapes.c)) if kind == "LSTM" else h_0
    x = sequence(config)
    assert_rnn_shapes(model, x, state)
    assert_batch_independent(model, x, state)


@pytest.mark.parametrize(("kind", "config"), LAYER_CONFIGS)
def test_plain_layer_unbatched(kind, config):
    model = plugin_models.layer(kind, FEATURES, HIDDEN, **config)
    x = sequence(config, batch=None)
    report = assert_rnn_shapes(model, x)
    layers_directions = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    h_out = config.get("proj_size") or HIDDEN
    assert report[kind].calls[0]["h_n"] == str((layers_directions, h_out))
    assert_gradient_flow(model, x)


@pytest.mark.parametrize(("kind", "config"), LAYER_CONFIGS)
def test_plain_layer_packed(kind, config):
    model = plugin_models.layer(kind, FEATURES, HIDDEN, **config)
    lengths = torch.tensor([2, STEPS, 3])
    packed = pack_padded_sequence(
        sequence(config), lengths, batch_first=bool(config.get("batch_first")), enforce_sorted=False
    )
    assert_rnn_shapes(model, packed)
    assert_batch_independent(model, packed)
    assert_gradient_flow(model, packed)


@pytest.mark.parametrize(("kind", "config"), LAYER_CONFIGS)
def test_packed_encoder_is_padding_invariant(kind, config):
    config = dict(config)  # the parameter is shared with the other tests
    batch_first = config.pop("batch_first", False)
    model = plugin_models.PackedEncoder(
        kind, batch_first=batch_first, input_size=FEATURES, hidden_size=HIDDEN, **config
    )
    padded = sequence({"batch_first": batch_first})
    lengths = torch.tensor([2, STEPS, 1])
    assert_padding_invariant(model, padded, lengths)
    assert_batch_independent(model, padded, lengths)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("with_state", [False, True], ids=["no-state", "state"])
def test_plain_cell_passes_every_check(kind, with_state, rnn_check):
    cell = plugin_models.open_forget_gates(plugin_models.CELLS[kind](FEATURES, HIDDEN))
    x = torch.randn(BATCH, FEATURES)
    state = ()
    if with_state:
        h = torch.randn(BATCH, HIDDEN)
        state = ((h, torch.randn(BATCH, HIDDEN)) if kind == "LSTMCell" else h,)
    report = assert_rnn_shapes(cell, x, *state)
    assert report[kind].calls[0]["h"] == str((BATCH, HIDDEN))
    assert_batch_independent(cell, x, *state)
    assert_forget_gate_bias(cell)
    assert_gradient_flow(cell, x, *state)
    rnn_check(cell, x, *state)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_plain_cell_unbatched(kind):
    cell = plugin_models.CELLS[kind](FEATURES, HIDDEN)
    report = assert_rnn_shapes(cell, torch.randn(FEATURES))
    assert report[kind].calls[0]["h"] == str((HIDDEN,))


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_stepped_in_a_loop(kind, rnn_check):
    model = plugin_models.CellLoop(kind, FEATURES, HIDDEN)
    x = torch.randn(STEPS, BATCH, FEATURES)
    report = rnn_check(model, x)
    assert len(report["cell"].calls) == STEPS
    assert assert_gradient_flow(model, x) > 1e-3


def test_token_model_with_embedding_and_dropout(rnn_check):
    """Integer inputs are perturbed within the ids in use; dropout is off while checking."""
    model = plugin_models.TokenTagger()
    tokens = torch.randint(0, 11, (BATCH, STEPS), generator=torch.Generator().manual_seed(1))
    report = rnn_check(model, tokens)
    assert report["rnn"].calls[0]["input"] == str((BATCH, STEPS, 4))
    assert "batch-independence" in report.checks


def test_corrected_twins_pass(rnn_check):
    x = torch.randn(BATCH, STEPS, FEATURES)
    rnn_check(plugin_models.FlattenClassifier("GRU", num_layers=2, bidirectional=True, correct=True), x)
    rnn_check(plugin_models.InitialStateModel(batch_major=False), x)
    lengths = torch.tensor([STEPS, 2, 3])
    rnn_check(plugin_models.LastStepClassifier(correct=True), x, lengths=lengths)


def test_single_layer_flatten_is_not_a_mix():
    """With num_layers * directions == 1, h_n.view(B, -1) is the right flattening: no RNN102."""
    model = plugin_models.FlattenClassifier("LSTM", num_layers=1, correct=False)
    assert_batch_independent(model, torch.randn(BATCH, STEPS, FEATURES))
