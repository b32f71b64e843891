"""Find the recurrent submodules of a model and read their configuration back from the modules.

A module's kind comes from its class (``nn.LSTM`` and subclasses → "LSTM"; a class built on
``nn.RNNBase`` directly is identified by its ``mode``), its configuration from the attributes
PyTorch keeps for each constructor parameter, so the contract's shape and parameter functions
can be asked about exactly this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from rnn_lint import contract

_CLASSES: tuple[tuple[type[nn.Module], str], ...] = (
    (nn.LSTM, "LSTM"),
    (nn.GRU, "GRU"),
    (nn.RNN, "RNN"),
    (nn.LSTMCell, "LSTMCell"),
    (nn.GRUCell, "GRUCell"),
    (nn.RNNCell, "RNNCell"),
)
#: Arguments that say where a module lives, not what it computes.
_FACTORY_ARGUMENTS = ("device", "dtype")


def kind_of(module: nn.Module) -> str | None:
    """The contract's kind ("LSTM", "GRUCell", …) of a recurrent module, None for anything else."""
    for cls, kind in _CLASSES:
        if isinstance(module, cls):
            return kind
    if isinstance(module, nn.RNNBase):
        return contract.RNNBASE_MODES.get(getattr(module, "mode", ""))
    return None


def config_of(module: nn.Module, kind: str) -> dict[str, Any]:
    """The constructor arguments, as the module keeps them (``num_layers``, ``batch_first``, …)."""
    config = {}
    for name in contract.parameter_names(kind):
        if name in _FACTORY_ARGUMENTS:
            continue
        if hasattr(module, name):
            config[name] = getattr(module, name)
    # nn.RNNBase stores bidirectional as given; the contract's arithmetic wants a bool.
    if "bidirectional" in config:
        config["bidirectional"] = bool(config["bidirectional"])
    return config


@dataclass(frozen=True)
class RecurrentModule:
    path: str
    module: nn.Module
    kind: str
    config: dict[str, Any]

    @property
    def is_cell(self) -> bool:
        return contract.is_cell(self.kind)


def root_name(model: nn.Module) -> str:
    return type(model).__name__


def module_path(model: nn.Module, name: str) -> str:
    """``Classifier.encoder.lstm`` for submodule ``encoder.lstm``; ``Classifier`` for the model."""
    return f"{root_name(model)}.{name}" if name else root_name(model)


def recurrent_modules(model: nn.Module) -> list[RecurrentModule]:
    """Every recurrent module in ``model`` (the model itself included), in registration order."""
    found = []
    for name, module in model.named_modules():
        kind = kind_of(module)
        if kind is not None:
            found.append(RecurrentModule(module_path(model, name), module, kind, config_of(module, kind)))
    return found


def describe_config(kind: str, config: dict[str, Any]) -> str:
    """The non-default arguments, as a user would write them: ``LSTM(8, 16, num_layers=2)``."""
    defaults = contract.default_config(kind)
    required = [repr(config[name]) for name in ("input_size", "hidden_size") if name in config]
    rest = [f"{name}={value!r}" for name, value in config.items() if name in defaults and defaults[name] != value]
    return f"{kind}({', '.join(required + rest)})"


def parameters_device(model: nn.Module) -> torch.device | None:
    """The one device all parameters and buffers live on; None when there are none or several."""
    devices = {tensor.device for tensor in [*model.parameters(), *model.buffers()]}
    return devices.pop() if len(devices) == 1 else None
