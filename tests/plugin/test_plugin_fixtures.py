"""The plugin as users meet it: options and ini, the header, fixtures, the rnn_cuda marker, xdist."""

from __future__ import annotations

import subprocess
import sys

import pytest
from plugin_helpers import LOAD_PLUGIN, LOAD_XDIST

from pytest_rnn.device import choose_device, parse_device, worker_index

pytest.importorskip("torch", reason="pytest-rnn's checks run models: they need torch")

CHECKED_MODEL = """
import torch
from torch import nn

def lstm():
    model = nn.LSTM(2, 5, num_layers=2, batch_first=True)
    with torch.no_grad():
        model.bias_ih_l0[5:10].fill_(1.0)
        model.bias_ih_l1[5:10].fill_(1.0)
    return model
"""


def test_plugin_module_and_package_import_without_torch():
    code = (
        "import sys, pytest_rnn, pytest_rnn.plugin, pytest_rnn.device, pytest_rnn.errors, pytest_rnn.lint; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_header_names_torch_and_device_without_importing_torch(pytester):
    pytester.makeconftest(
        """
        import sys
        def pytest_unconfigure(config):
            print("torch imported:", "torch" in sys.modules)
        """
    )
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess(*LOAD_PLUGIN)
    import torch

    build = "auto -> cpu (CPU-only torch build)" if torch.__version__.endswith("+cpu") else "auto (CUDA if available"
    result.stdout.fnmatch_lines(
        [f"rnn: torch {torch.__version__}, device {build}*", "*1 passed*", "torch imported: False"]
    )


def test_header_in_process_options_and_flags(pytester):
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN, "--rnn-device", "cpu", "--rnn-watch")
    result.stdout.fnmatch_lines(["rnn: torch *, device cpu, rnn-watch on"])
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN)
    result.stdout.fnmatch_lines(["rnn: torch *, device auto -> *"])


def test_rnn_device_from_option_and_ini(pytester):
    pytester.makepyfile(
        """
        def test_device(rnn_device):
            print("DEVICE", rnn_device)
        """
    )
    pytester.makeini("[pytest]\nrnn_device = cpu\n")
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN, "-s")
    result.stdout.fnmatch_lines(["*DEVICE cpu*"])
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN, "-s", "--rnn-device", "auto")
    result.assert_outcomes(passed=1)


def test_bad_device_values_are_usage_errors(pytester):
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN, "--rnn-device", "tpu")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--rnn-device must be auto, cpu, cuda or cuda:N, not 'tpu'*"])
    pytester.makeini("[pytest]\nrnn_device = gpu\n")
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini rnn_device: --rnn-device must be*"])


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_cuda_without_cuda_fails_the_tests_that_need_it(pytester):
    pytester.makepyfile(
        """
        def test_device(rnn_device):
            pass

        def test_unrelated():
            pass
        """
    )
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN, "--rnn-device", "cuda")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*--rnn-device cuda was asked for, but CUDA is not available*"])


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a machine without CUDA")
def test_rnn_cuda_marker_skips_with_a_reason(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.rnn_cuda
        def test_gpu():
            raise AssertionError("must not run")

        def test_cpu():
            pass
        """
    )
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN, "-rs", "--strict-markers")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*SKIPPED*rnn_cuda: CUDA is not available (torch *)*"])
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN, "-rs", "--rnn-device", "cpu")
    result.stdout.fnmatch_lines(["*SKIPPED*rnn_cuda: --rnn-device is cpu*"])


def test_markers_are_registered(pytester):
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.rnn_cuda: needs a CUDA device*", "@pytest.mark.rnn_lint: *"])


def test_rnn_check_fixture_passes_and_reports(pytester):
    pytester.makepyfile(checked_model=CHECKED_MODEL)
    pytester.makepyfile(
        """
        import torch
        from checked_model import lstm

        def test_report(rnn_check):
            report = rnn_check(lstm(), torch.randn(3, 4, 2))
            assert report.device == "cpu"
            module = report["LSTM"]
            assert module.kind == "LSTM" and module.config["num_layers"] == 2
            assert module.calls[0]["h_n"] == "(2, 3, 5)"
            print(report)
        """
    )
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN, "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*recurrent modules on cpu:",
            "  LSTM: LSTM(2, 5, num_layers=2, batch_first=True) on cpu",
            "    call 1: input (3, 4, 2), output (3, 4, 5), h_n (2, 3, 5), c_n (2, 3, 5)",
            "checks passed: shapes, packed-lengths, inert-dropout, forget-bias-advice, gate-slices, "
            "batch-independence, batch-of-one",
        ]
    )


def test_rnn_check_fixture_lists_every_violation(pytester):
    pytester.makepyfile(
        """
        import warnings
        import torch
        from torch import nn

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self.rnn = nn.LSTM(2, 5, num_layers=2, batch_first=True)
                    self.extra = nn.GRU(2, 5, dropout=0.5)
                self.head = nn.Linear(10, 2)

            def forward(self, x):
                _, (h_n, _) = self.rnn(x)
                return self.head(h_n.view(x.size(0), -1))

        def test_all(rnn_check):
            rnn_check(Classifier(), torch.randn(3, 4, 2), forget_bias=1.0)

        def test_without_forget_bias(rnn_check):
            rnn_check(Classifier(), torch.randn(3, 4, 2), forget_bias=None)
        """
    )
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*5 recurrent-model checks failed:",
            "*RNN406 Classifier.extra: the model's forward never ran this nn.GRU*",
            "*RNN301 Classifier.extra: dropout=0.5 acts between stacked layers only*",
            "*RNN201 Classifier.rnn: layer 0 forget-gate bias*",
            "*RNN201 Classifier.rnn: layer 1 forget-gate bias*",
            "*RNN102 Classifier: output for sample 0 moved*",
            "*3 recurrent-model checks failed:",
        ]
    )


def test_device_choice_spreads_xdist_workers_over_gpus():
    assert choose_device("auto", cuda_available=False, device_count=0, worker=3) == "cpu"
    assert choose_device("auto", cuda_available=True, device_count=2, worker=None) == "cuda:0"
    assert [choose_device("cuda", cuda_available=True, device_count=2, worker=n) for n in range(4)] == [
        "cuda:0",
        "cuda:1",
        "cuda:0",
        "cuda:1",
    ]
    assert choose_device("cuda:1", cuda_available=True, device_count=2, worker=0) == "cuda:1"
    assert choose_device("cpu", cuda_available=True, device_count=2, worker=1) == "cpu"
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        choose_device("cuda", cuda_available=False, device_count=0, worker=None)
    assert worker_index({"PYTEST_XDIST_WORKER": "gw7"}) == 7
    assert worker_index({}) is None
    assert parse_device(" CUDA:2 ") == "cuda:2"


def test_xdist_workers_take_their_own_gpu(pytester):
    """Three workers on a (faked) two-GPU host: gw0 → cuda:0, gw1 → cuda:1, gw2 → cuda:0."""
    pytest.importorskip("xdist")
    pytester.makeconftest(
        """
        import torch

        torch.cuda.is_available = lambda: True
        torch.cuda.device_count = lambda: 2
        torch.cuda.set_device = lambda device: None
        """
    )
    pytester.makepyfile(
        """
        def test_device(rnn_device, worker_id):
            assert str(rnn_device) == f"cuda:{int(worker_id[2:]) % 2}"
        """
    )
    result = pytester.runpytest_subprocess(*LOAD_PLUGIN, *LOAD_XDIST, "-n", "3", "--dist", "each")
    result.assert_outcomes(passed=3)


def test_checks_run_under_xdist(pytester):
    pytest.importorskip("xdist")
    pytester.makepyfile(checked_model=CHECKED_MODEL)
    pytester.makepyfile(
        """
        import pytest
        import torch
        from checked_model import lstm

        @pytest.mark.parametrize("batch", [2, 3, 5, 7])
        def test_check(rnn_check, batch):
            rnn_check(lstm(), torch.randn(batch, 4, 2))
        """
    )
    result = pytester.runpytest_subprocess(*LOAD_PLUGIN, *LOAD_XDIST, "-n", "2", "--rnn-device", "cpu")
    result.assert_outcomes(passed=4)


def test_without_torch_the_fixtures_say_what_is_missing(monkeypatch):
    import sys

    from pytest_rnn.device import cuda_skip_reason, resolve

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(RuntimeError, match="need torch"):
        resolve("auto")
    assert cuda_skip_reason("auto") == "rnn_cuda: torch is not installed"
