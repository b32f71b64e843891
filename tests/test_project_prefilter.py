"""What the project index reads and parses (its pre-filter): only the files that can matter.

The answers it gives are tested in test_project.py; these tests pin down that files which cannot
matter are never parsed, and that the narrowing loses no file that can.
"""

from __future__ import annotations

import json
from pathlib import Path

from rnn_lint.project.index import ProjectIndex

MODEL = """
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, hidden, n_layers=1, dropout=0.5):
        super().__init__()
        self.rnn = nn.GRU(hidden, hidden, n_layers, dropout=dropout)
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def build(root: Path) -> ProjectIndex:
    return ProjectIndex.build(root, [str(p) for p in root.rglob("*") if p.is_file()])


def test_notebooks_are_not_read_for_the_index(tmp_path: Path) -> None:
    # a notebook's JSON mentions GRU and the model's name, but defines and builds nothing
    cell = {"cell_type": "code", "source": ["from net import Net\n", "m = Net(8)\n", "nn.GRU(8, 8)\n"]}
    write(tmp_path, {"net.py": MODEL, "run.ipynb": json.dumps({"cells": [cell]})})
    index = build(tmp_path)
    assert str(tmp_path / "run.ipynb") not in index.summaries
    assert str(tmp_path / "run.ipynb") not in index.resolver.files
    assert str(tmp_path / "net.py") in index.summaries
