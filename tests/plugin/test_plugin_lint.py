"""``--rnn-lint``: one item per collected Python file, failing with rnn-lint's findings."""

from __future__ import annotations

import sys

import pytest
from plugin_helpers import HAS_LIBCST, LOAD_PLUGIN

pytest.importorskip("torch", reason="pytest-rnn's checks run models: they need torch")
needs_libcst = pytest.mark.skipif(not HAS_LIBCST, reason="--rnn-lint runs the linter, which needs libcst")

BUGGY = """
from torch import nn


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(8, 16, dropout=0.5)
"""
CLEAN = """
def add(a, b):
    return a + b
"""
TESTS = """
def test_addition():
    from clean import add
    assert add(1, 2) == 3
"""


@pytest.fixture
def project(pytester):
    pytester.makepyfile(buggy=BUGGY, clean=CLEAN, test_clean=TESTS)
    return pytester


@needs_libcst
def test_each_file_is_an_item_and_findings_fail_it(project):
    result = project.runpytest_inprocess(*LOAD_PLUGIN, "--rnn-lint", "-v")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "buggy.py::rnn-lint FAILED*",
            "clean.py::rnn-lint PASSED*",
            "test_clean.py::rnn-lint PASSED*",
            "test_clean.py::test_addition PASSED*",
            "*_ rnn-lint buggy.py _*",
            "buggy.py:7:34: RNN301 dropout=0.5 does nothing*",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_without_the_option_nothing_is_linted(project):
    result = project.runpytest_inprocess(*LOAD_PLUGIN)
    result.assert_outcomes(passed=1)


@needs_libcst
def test_ini_switches_linting_on(project):
    project.makeini("[pytest]\nrnn_lint = true\n")
    result = project.runpytest_inprocess(*LOAD_PLUGIN)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["rnn: torch *, rnn-lint on"])


@needs_libcst
def test_marker_selects_the_lint_items(project):
    result = project.runpytest_inprocess(*LOAD_PLUGIN, "--rnn-lint", "-m", "rnn_lint")
    result.assert_outcomes(passed=2, failed=1, deselected=1)


@needs_libcst
def test_tool_rnn_lint_settings_are_honoured(project):
    project.makepyprojecttoml('[tool.rnn-lint]\nignore = ["RNN301"]\n')
    result = project.runpytest_inprocess(*LOAD_PLUGIN, "--rnn-lint")
    result.assert_outcomes(passed=4)
    project.makepyprojecttoml('[tool.rnn-lint]\nextend-exclude = ["buggy.py"]\n')
    result = project.runpytest_inprocess(*LOAD_PLUGIN, "--rnn-lint", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.no_fnmatch_line("buggy.py::rnn-lint*")


@needs_libcst
def test_broken_configuration_stops_the_run(project):
    project.makepyprojecttoml('[tool.rnn-lint]\nselect = "RNN301"\n')
    result = project.runpytest_inprocess(*LOAD_PLUGIN, "--rnn-lint")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*rnn-lint: *pyproject.toml*"])


def test_skipped_with_a_reason_without_libcst(project, monkeypatch):
    monkeypatch.setitem(sys.modules, "libcst", None)  # `import libcst` now raises ImportError
    result = project.runpytest_inprocess(*LOAD_PLUGIN, "--rnn-lint", "-rs")
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(["*SKIPPED [[]3[]]*rnn-lint needs libcst (pip install libcst)*"])
