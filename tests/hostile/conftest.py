from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


@pytest.fixture
def rnn_lint_process(tmp_path):
    """Start ``python -m rnn_lint ARGS`` in ``tmp_path`` with the hostile test rules registered."""

    def start(*args: str, **env: str) -> subprocess.Popen:
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": os.pathsep.join([str(HERE), str(REPO)]),
            "RNN_LINT_PLUGINS": "hostile_rules",
            **env,
        }
        return subprocess.Popen(
            [sys.executable, "-m", "rnn_lint", "--isolated", *args],
            # A test runner's worker may ignore SIGINT, and a child would inherit that.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            cwd=tmp_path,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    return start
