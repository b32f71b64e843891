"""Every definition of a class defined more than once is analysed (``rnn_lint.redefinitions``)."""

from __future__ import annotations

import json
from pathlib import Path

from rnn_lint.engine import lint_file, lint_source
from rnn_lint.fixer import fix_file
from rnn_lint.redefinitions import earlier_definitions
from rnn_lint.registry import all_rules

RULES = all_rules()

TWICE = """\
import torch.nn as nn


@decorated
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(8, 16, dropout=0.5)


class Other:
    pass


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(8, 16, num_layers=2, dropout=0.5)
"""


def test_each_earlier_definition_is_a_variant_with_the_others_blanked() -> None:
    [variant] = earlier_definitions(TWICE)
    assert (variant.first_line, variant.last_line) == (4, 8)
    lines = variant.text.splitlines()
    assert len(lines) == len(TWICE.splitlines())  # every position where it was
    assert lines[:8] == TWICE.splitlines()[:8]
    assert lines[14:] == [""] * 4 and "class Other:" in variant.text


def test_line_breaks_are_kept_and_a_module_without_repeats_gives_none() -> None:
    crlf = TWICE.replace("\n", "\r\n")
    [variant] = earlier_definitions(crlf)
    assert variant.text.count("\r\n") == crlf.count("\r\n")
    assert earlier_definitions(TWICE.replace("class Model(", "class Final(", 1)) == []
    assert earlier_definitions("class A:\n    pass\nclass A(\n") == []  # not Python: nothing to add


def test_the_earlier_definition_is_reported_and_the_later_one_still_checked() -> None:
    found = [(f.line, f.code) for f in lint_source(TWICE.replace("@decorated\n", "\n"), "m.py", RULES)]
    assert found == [(8, "RNN301")]
    swapped = TWICE.replace("dropout=0.5)\n\n\nclass Other", "num_layers=3, dropout=0.5)\n\n\nclass Other")
    swapped = swapped.replace("num_layers=2, dropout=0.5)\n", "dropout=0.3)\n")
    assert [(f.line, f.code) for f in lint_source(swapped, "m.py", RULES)] == [(18, "RNN301")]


def test_a_notebook_model_redefined_in_a_later_cell(tmp_path: Path) -> None:
    first = (
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.gru = nn.GRU(4, 4, dropout=0.2)\n"
    )
    second = first.replace("dropout=0.2", "num_layers=2, dropout=0.2")
    cells = ["import torch.nn as nn\n", first, "net = Net()\n", second, "net = Net()\n"]
    document = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": c} for c in cells
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "tutorial.ipynb"
    path.write_text(json.dumps(document, indent=1))
    assert [(f.cell.number, f.line, f.code) for f in lint_file(path, RULES)] == [(2, 4, "RNN301")]


def test_a_fix_inside_an_earlier_definition_edits_the_file_there(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(TWICE.replace("@decorated\n", "\n"))
    fixed = fix_file(path, RULES, unsafe_fixes=True)
    assert fixed.fixed == 1
    text = path.read_text()
    assert "self.rnn = nn.GRU(8, 16)\n" in text and "num_layers=2, dropout=0.5" in text
