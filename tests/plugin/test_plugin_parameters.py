"""RNN201 (forget-gate bias) and RNN301 (inert dropout): checks that read the model, not run it."""

from __future__ import annotations

import warnings

import plugin_models
import pytest
import torch
from torch import nn

from pytest_rnn import RnnCheckError, assert_forget_gate_bias, assert_no_inert_dropout
from rnn_lint import contract


def test_default_init_fails_for_every_layer_and_direction():
    torch.manual_seed(0)
    model = nn.LSTM(4, 16, num_layers=2, bidirectional=True)
    with pytest.raises(RnnCheckError) as caught:
        assert_forget_gate_bias(model)
    assert caught.value.codes == ["RNN201"] * 4
    whats = [violation.what for violation in caught.value.violations]
    assert whats[0].startswith("layer 0 forget-gate bias (bias_ih_l0 + bias_hh_l0)[16:32]")
    assert whats[3].startswith("layer 1 (reverse) forget-gate bias (bias_ih_l1_reverse + bias_hh_l1_reverse)")
    assert caught.value.violations[0].fix == contract.PROBLEMS["RNN201"].fix


@pytest.mark.parametrize("idiom", ["bias_ih only", "both halves", "named_parameters loop", "all biases"])
def test_usual_idioms_pass(idiom):
    torch.manual_seed(1)
    model = nn.LSTM(4, 16, num_layers=2)
    hidden = 16
    with torch.no_grad():
        if idiom == "bias_ih only":
            model.bias_ih_l0[hidden : 2 * hidden].fill_(1.0)
            model.bias_ih_l1[hidden : 2 * hidden].fill_(1.0)
        elif idiom == "both halves":
            for layer in range(2):
                getattr(model, f"bias_ih_l{layer}")[hidden : 2 * hidden].fill_(0.5)
                getattr(model, f"bias_hh_l{layer}")[hidden : 2 * hidden].fill_(0.5)
        elif idiom == "named_parameters loop":
            for name, parameter in model.named_parameters():
                if "bias" in name:
                    parameter.zero_()
                    parameter[hidden : 2 * hidden] = 1.0
        else:
            for name, parameter in model.named_parameters():
                if "bias" in name:
                    parameter[hidden : 2 * hidden].fill_(1.0)
    assert_forget_gate_bias(model)


def test_wrong_gate_slice_still_fails():
    """TensorFlow's order puts forget at [2H:3H]; PyTorch's forget gate stays at default."""
    torch.manual_seed(2)
    model = nn.LSTM(4, 16)
    with torch.no_grad():
        model.bias_ih_l0[32:48].fill_(1.0)  # noqa: RNN202 (the bug under test; rnn-lint sees it too)
    with pytest.raises(RnnCheckError, match="RNN201"):
        assert_forget_gate_bias(model)


def test_at_least_and_cells():
    cell = nn.LSTMCell(4, 8)
    with torch.no_grad():
        cell.bias_ih[8:16].fill_(2.0)
        cell.bias_hh[8:16].fill_(0.0)
    assert_forget_gate_bias(cell, at_least=2.0)
    with pytest.raises(RnnCheckError) as caught:
        assert_forget_gate_bias(cell, at_least=3.0)
    (violation,) = caught.value.violations
    assert violation.what.startswith("forget-gate bias (bias_ih + bias_hh)[8:16]")
    assert violation.got == "min 2, mean 2"


def test_no_bias_lstm_fails_and_models_without_lstm_pass():
    with pytest.raises(RnnCheckError, match="no biases"):
        assert_forget_gate_bias(nn.LSTM(4, 8, bias=False))
    assert_forget_gate_bias(nn.Sequential(nn.GRU(4, 8), nn.Linear(8, 2)))
    assert_forget_gate_bias(nn.Linear(3, 3))


def test_nested_lstm_is_named_by_its_path():
    model = plugin_models.TokenTagger()
    with torch.no_grad():
        model.rnn.bias_ih_l1.zero_()
        model.rnn.bias_hh_l1.zero_()
    with pytest.raises(RnnCheckError) as caught:
        assert_forget_gate_bias(model)
    assert [violation.where for violation in caught.value.violations] == ["TokenTagger.rnn"]


def test_inert_dropout():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # PyTorch's own warning about exactly this
        # the bugs under test, which rnn-lint sees statically too:
        model = nn.Sequential(
            nn.LSTM(4, 8, dropout=0.5),  # noqa: RNN301
            nn.GRU(8, 8, num_layers=2, dropout=0.5),
            nn.RNN(8, 8, dropout=0.2),  # noqa: RNN301
        )
    with pytest.raises(RnnCheckError) as caught:
        assert_no_inert_dropout(model)
    assert [(v.code, v.where) for v in caught.value.violations] == [
        ("RNN301", "Sequential.0"),
        ("RNN301", "Sequential.2"),
    ]
    assert caught.value.violations[0].got == "dropout=0.5, num_layers=1"
    assert_no_inert_dropout(nn.LSTM(4, 8, num_layers=2, dropout=0.5))
    assert_no_inert_dropout(nn.LSTMCell(4, 8))
