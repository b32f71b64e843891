"""The pytest plugin (entry point ``pytest11: rnn``): options, markers, fixtures, header.

pytest imports this module for every run once the package is installed, so it must stay cheap:
nothing here imports torch at import time. Fixtures and hooks import it when a test needs it;
``--rnn-watch`` (which hooks into torch for the whole run) imports it when switched on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_rnn.device import cuda_skip_reason, header, parse_device, resolve

if TYPE_CHECKING:
    import torch

    from pytest_rnn.full_check import RnnCheck

_GROUP = "rnn"


def _device_option(value: str) -> str:
    import argparse

    try:
        return parse_device(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(_GROUP, "pytest-rnn: check recurrent PyTorch models")
    group.addoption(
        "--rnn-device",
        dest="rnn_device",
        default=None,
        type=_device_option,
        metavar="DEVICE",
        help="device for the rnn_device/rnn_check fixtures: auto (CUDA when available, the default), "
        "cpu, cuda or cuda:N. Ini: rnn_device.",
    )
    parser.addini("rnn_device", "device for rnn_device/rnn_check: auto, cpu, cuda or cuda:N", default="auto")
    group.addoption(
        "--rnn-watch",
        dest="rnn_watch",
        action="store_true",
        default=None,
        help="check every recurrent call of every test (state shapes, packed lengths, flat cuDNN "
        "weights, state carried over a backward pass) and fail the test that made a bad one. "
        "Ini: rnn_watch.",
    )
    parser.addini("rnn_watch", "check every recurrent call of every test (as --rnn-watch)", type="bool", default=False)
    group.addoption(
        "--rnn-lint",
        dest="rnn_lint",
        action="store_true",
        default=None,
        help="run rnn-lint on every collected Python file as a test item, honouring [tool.rnn-lint]. Ini: rnn_lint.",
    )
    parser.addini("rnn_lint", "run rnn-lint on every collected Python file (as --rnn-lint)", type="bool", default=False)
    parser.addini(
        "rnn_allow_unused",
        "rnn_check: a recurrent submodule forward never runs is a skip with the reason, not RNN406",
        type="bool",
        default=False,
    )
    parser.addini(
        "rnn_forget_bias_fails",
        "rnn_check: LSTM forget-gate biases below 1 fail (RNN201) instead of being a warning",
        type="bool",
        default=False,
    )


def requested_device(config: pytest.Config) -> str:
    option = config.getoption("rnn_device")
    return option if option is not None else parse_device(config.getini("rnn_device"))


def _switched_on(config: pytest.Config, name: str) -> bool:
    """A flag given on the command line, else its ini twin."""
    option = config.getoption(name)
    return bool(option if option is not None else config.getini(name))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rnn_cuda: needs a CUDA device; skipped with the reason when none is available")
    config.addinivalue_line("markers", "rnn_lint: an rnn-lint check of one file (made by --rnn-lint)")
    try:
        requested_device(config)
    except ValueError as error:
        raise pytest.UsageError(f"ini rnn_device: {error}") from None
    if _switched_on(config, "rnn_watch"):
        from pytest_rnn.watch import WatchPlugin

        config.pluginmanager.register(WatchPlugin(), "rnn-watch")
    if _switched_on(config, "rnn_lint"):
        from pytest_rnn.lint import LintPlugin

        config.pluginmanager.register(LintPlugin(config), "rnn-lint")


def pytest_report_header(config: pytest.Config) -> str:
    return header(
        requested_device(config), watch=_switched_on(config, "rnn_watch"), lint=_switched_on(config, "rnn_lint")
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("rnn_cuda") is not None:
        reason = cuda_skip_reason(requested_device(item.config))
        if reason is not None:
            pytest.skip(reason)


@pytest.fixture(scope="session")
def rnn_device(pytestconfig: pytest.Config) -> torch.device:
    """The torch.device to test on: --rnn-device / ini rnn_device (default auto: CUDA when
    available). Under pytest-xdist, worker gwN takes cuda:(N mod number of GPUs)."""
    try:
        return resolve(requested_device(pytestconfig))
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def rnn_check(rnn_device: torch.device, pytestconfig: pytest.Config) -> RnnCheck:
    """``rnn_check(model, *inputs, lengths=None, forget_bias=<advice>, unused=(), **forward_kwargs)``:
    every applicable check on rnn_device; raises RnnCheckError listing all violations, else returns
    a report of each recurrent submodule."""
    from pytest_rnn.full_check import RnnCheck

    return RnnCheck(
        rnn_device,
        allow_unused=bool(pytestconfig.getini("rnn_allow_unused")),
        forget_bias_fails=bool(pytestconfig.getini("rnn_forget_bias_fails")),
    )
