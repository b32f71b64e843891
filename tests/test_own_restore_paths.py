"""``torch.save(model.state_dict(), path)`` then ``model.load_state_dict(torch.load(path))``
restores the run's own weights only when ``path`` is certainly the same file: a literal, or a
name the file binds once, to a string or an f-string. A parameter, or a name bound twice, may
name another file: that load is a checkpoint's, and RNN201 stays silent."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnn_lint.config import Settings
from rnn_lint.engine import lint_source
from rnn_lint.registry import all_rules
from rnn_lint.runner import lint_paths

TRAIN = """import torch
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(16, 32)

    def forward(self, x):
        return self.lstm(x)[0].sum()


def train(batches, folder, given_path){binding}
    model = Tagger()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for x in batches:
        loss = model(x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        torch.save(model.state_dict(), {path})
    model.load_state_dict(torch.load({path}))
"""

CASES = [
    (':\n    path = "best.pt"', "path", True),
    (':\n    path = f"models/{folder}/best.pt"', "path", True),
    (":", '"best.pt"', True),
    (":", "given_path", False),  # a parameter: any file
    (':\n    path = "best.pt"\n    if folder:\n        path = folder', "path", False),  # bound twice
]


@pytest.mark.parametrize(("binding", "path", "restored"), CASES)
def test_a_restore_through_the_same_file_is_no_checkpoint(binding: str, path: str, restored: bool) -> None:
    source = TRAIN.format(binding=binding, path=path)
    found = [f for f in lint_source(source, "train.py", all_rules()) if f.code == "RNN201"]
    assert bool(found) == restored


@pytest.mark.parametrize(("binding", "path", "restored"), CASES)
def test_the_project_index_reads_the_restore_the_same_way(
    tmp_path: Path, binding: str, path: str, restored: bool
) -> None:
    """The model in model.py, its training and restore in train.py (pytorch_neural_crf)."""
    source = TRAIN.format(binding=binding, path=path)
    model_part, train_part = source.split("\n\n\ndef train", 1)
    (tmp_path / ".git").mkdir()
    (tmp_path / "model.py").write_text(model_part + "\n")
    (tmp_path / "train.py").write_text("import torch\nfrom model import Tagger\n\n\ndef train" + train_part)
    found = lint_paths([str(tmp_path)], Settings(root=tmp_path), jobs=1)
    assert bool([f for f in found if f.code == "RNN201"]) == restored
