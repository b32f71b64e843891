"""Notebooks in the project index: the text the index reads from a project file, and the place of
a line of a notebook as findings name it.

Tutorials define a model in one cell and build it in another (``CharRNN(n_chars, 128, 1, 0.5)``
in cell 7 for the ``nn.GRU(..., n_layers, dropout=dropout)`` of cell 3), and evaluation notebooks
load the checkpoints of a project's ``model.py``. The index reads a notebook as the linter lints
it: its code cells in order as one module (``notebook.NotebookModule``), so that the lines of
the index's summary are the lines the rules see. A site in a notebook is named as findings are
("demo.ipynb:cell 7:1").

Most of a notebook's bytes are outputs (images, tables), and decoding them is the cost. The index
decodes only a notebook that mentions a recurrent module somewhere (the needles the linter itself
looks for before reading one): the others define no recurrent model and pass none on. A notebook
that only builds a project class by a name without those words (``Seq2Seq(enc, dec)``) is not
read, so its sites are not seen.
"""

from __future__ import annotations

import functools
import os

from rnn_lint.notebook import NotebookError, NotebookModule, code_module, is_notebook
from rnn_lint.reading import read_regular_file
from rnn_lint.rule import Rule

#: A notebook without any of these bytes is not decoded (see the module docstring).
RECURRENT_NEEDLES = tuple(needle.encode() for needle in Rule.needles)


def project_text(path: str, data: bytes) -> str:
    """The Python text the index reads from a project file's bytes: a notebook's code cells as
    the linter lints them ("" when it is not a Python notebook, or mentions no recurrent module)."""
    if not is_notebook(path):
        return data.decode("utf-8", "replace")
    module = _module(data)
    return module.text if module is not None else ""


def place(display: str, path: str, line: int) -> str:
    """ "train.py:86", or "demo.ipynb:cell 7:1" for line 11 of a notebook's module."""
    if is_notebook(path):
        where = _cell_line(path, line)
        if where is not None:
            return f"{display}:cell {where[0]}:{where[1]}"
    return f"{display}:{line}"


def _module(data: bytes) -> NotebookModule | None:
    if not any(needle in data for needle in RECURRENT_NEEDLES):
        return None
    try:
        return code_module(data)
    except NotebookError:
        return None  # the linter reports it (RNN000); the index has nothing to read in it


def _cells(path: str) -> tuple[tuple[int, int], ...] | None:
    """(cell number, first module line) of each code cell, read again from the file: only a
    finding's message or the project's answers about a site need it."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return _cells_of(path, status.st_size, status.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _cells_of(path: str, size: int, mtime_ns: int) -> tuple[tuple[int, int], ...] | None:
    try:
        module = _module(read_regular_file(path))
    except OSError:
        return None
    return tuple((cell.number, cell.first_line) for cell in module.cells) if module is not None else None


def _cell_line(path: str, line: int) -> tuple[int, int] | None:
    cells = _cells(path)
    if not cells:
        return None
    number, first = cells[0]
    for cell_number, first_line in cells:
        if first_line > line:
            break
        number, first = cell_number, first_line
    return number, line - first + 1
