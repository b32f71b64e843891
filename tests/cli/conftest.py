from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from cli_helpers import HERE, REPO, Run, run_command

from rnn_lint.cli import main
from rnn_lint.registry import PLUGINS_ENV


@pytest.fixture
def test_rules(monkeypatch):
    """Register the TST rules of cli_test_rules.py, here and in any subprocess or worker."""
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(PLUGINS_ENV, "cli_test_rules")
    # subprocesses import the rules from here and rnn_lint from this checkout, installed or not
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(HERE), str(REPO), os.environ.get("PYTHONPATH")]))
    )


@pytest.fixture
def cli(capsys, monkeypatch, tmp_path):
    """Run ``rnn-lint ARGS`` in this process, in ``tmp_path`` unless ``cwd`` says otherwise."""

    def run(*args: str, cwd: Path | None = None) -> Run:
        monkeypatch.chdir(cwd or tmp_path)
        code = main(list(args))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


@pytest.fixture
def console(tmp_path):
    """Run the installed ``rnn-lint`` console script (a real process)."""
    script = Path(sys.executable).with_name("rnn-lint")
    if not script.exists():
        pytest.skip("the rnn-lint console script is not installed here (pip install -e .)")

    def run(*args: str, cwd: Path | None = None, env: dict | None = None) -> Run:
        return run_command([str(script), *args], cwd or tmp_path, env=env)

    return run
