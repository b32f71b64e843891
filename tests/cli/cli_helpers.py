"""Helpers shared by the CLI tests (fixtures live in conftest.py)."""

from __future__ import annotations

import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


@dataclass
class Run:
    code: int
    out: str
    err: str


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Create ``files`` (relative path → text, dedented) under ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def run_command(command: list[str], cwd: Path, timeout: float = 120, **kwargs) -> Run:
    done = subprocess.run(command, check=False, cwd=cwd, capture_output=True, text=True, timeout=timeout, **kwargs)
    return Run(done.returncode, done.stdout, done.stderr)
