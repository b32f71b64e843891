"""Jupyter notebooks (``.ipynb``): their code cells linted as one module, as ruff does.

    .ipynb ─▶ JSON (with where each cell's source lies in the file) ─▶ code cells, magics
          neutralised ─▶ one module ─▶ engine ─▶ findings at (cell, line in cell, column)

- **Which cells.** Code cells of a Python notebook (a notebook whose kernel declares another
  language is skipped), in order, each ending with a newline. A cell run by a non-Python cell
  magic (``%%bash``, ``%%writefile``, ``%%html`` …) is left out; ``%%time``, ``%%timeit``,
  ``%%capture`` and the like run Python, so only their first line is neutralised.
- **Neutralised, not parsed.** IPython syntax — line magics (``%matplotlib inline``), shell
  escapes (``!pip install``), ``x = !ls`` / ``x = %time f()``, help (``nn.LSTM?``, ``?x``),
  autocall (``/f a``, ``,f a b``, ``;f a b``) — becomes ``pass`` at the line's indentation,
  with any ``\\`` continuation lines: the line count stays, so positions need no mapping but the
  cell's. Lines inside strings and brackets are
  never taken for magics (a small scanner follows strings, comments and brackets per cell).
- **Positions.** Cells are numbered from 1 over *every* cell of the notebook, markdown
  included (as ruff numbers them); lines and columns count within the cell. For formats that
  point into the ``.ipynb`` file itself (github, sarif), the finding also carries the file's line
  holding that source line.
- **Fixes** edit the module; the edits are carried back to the cells (an edit may never touch a
  neutralised line), and only the ``source`` of the changed cells is rewritten in the original
  JSON text: indentation, key order, escaping, line endings, metadata and outputs stay byte for
  byte, and a ``source`` kept as a list of lines stays one (as a string, a string).
- **A file that is not a notebook** (invalid JSON, no ``cells``) is one RNN000 finding. So is a
  notebook whose joined cells do not parse (a blank left in an exercise): like a Python file with a
  syntax error, it gets no other finding, since what the broken cell defines is unknown.
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rnn_lint.reading import read_regular_file, unreadable_reason
from rnn_lint.rule import CellLocation, Edit, Finding, Fix, Rule
from rnn_lint.text import NEWLINE, edit_spans, line_starts

NOTEBOOK_SUFFIX = ".ipynb"

#: Cell magics whose body is Python that IPython runs (ruff keeps the same list).
PYTHON_CELL_MAGICS = frozenset({"capture", "debug", "prun", "pypy", "python", "python3", "time", "timeit"})

PLACEHOLDER = "pass"


def is_notebook(path: str | Path) -> bool:
    return str(path).endswith(NOTEBOOK_SUFFIX)


class NotebookError(Exception):
    """The file is not a notebook rnn-lint can read; ``line``/``column`` are in the file."""

    def __init__(self, reason: str, line: int = 1, column: int = 1) -> None:
        super().__init__(reason)
        self.reason, self.line, self.column = reason, line, column


# --------------------------------------------------------------------------------------------
# Reading: the JSON, and where each cell's source lies in it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    number: int  # 1-based, over every cell of the notebook
    kind: str  # "code", "markdown", "raw" …
    text: str  # the source, joined
    lines: tuple[str, ...] | None  # the source as the list of strings found, None when a string
    span: tuple[int, int]  # where the source value lies in the JSON text
    element_spans: tuple[tuple[int, int], ...]  # each string's span (one for a string source)


@dataclass(frozen=True)
class Notebook:
    text: str  # the JSON text (without a BOM)
    bom: bool
    cells: tuple[Cell, ...]
    python: bool  # whether the notebook's language is Python (or unstated)

    def file_line(self, position: int) -> int:
        """The 1-based line of the JSON text at index ``position``."""
        return self.text.count("\n", 0, position) + 1


def read_notebook(data: bytes) -> Notebook:
    """Parse an ``.ipynb`` file's bytes; NotebookError when it is not a notebook."""
    return _notebook(*_load(data))


def _load(data: bytes) -> tuple[str, bool, dict]:
    """The JSON text (without a BOM), whether there was a BOM, and the decoded document."""
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NotebookError(f"cannot decode notebook as UTF-8: {error}") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(f"invalid notebook JSON: {error.msg}", error.lineno, error.colno) from error
    except RecursionError as error:
        raise NotebookError("invalid notebook JSON: nested too deeply") from error
    if not isinstance(document, dict):
        raise NotebookError("not a Jupyter notebook: the JSON is not an object")
    if not isinstance(document.get("cells"), list) and not isinstance(document.get("worksheets"), list):
        raise NotebookError("not a Jupyter notebook: it has no 'cells'")
    return text, bom, document


def _notebook(text: str, bom: bool, document: dict) -> Notebook:
    return Notebook(text, bom, tuple(_cells(text, document)), _is_python(document))


def _is_python(document: dict) -> bool:
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return True
    for key, field_name in (("language_info", "name"), ("kernelspec", "language")):
        table = metadata.get(key)
        if isinstance(table, dict) and isinstance(table.get(field_name), str):
            return table[field_name].lower() in ("python", "python3", "ipython", "ipython3")
    return True


def _cells(text: str, document: dict) -> list[Cell]:
    """Every cell of nbformat 4 (``cells``) or 3 (``worksheets[*].cells``, code in ``input``)."""
    top = _members(text, _skip_space(text, 0))
    if "cells" in document:
        lists, source_key = [(top["cells"], document["cells"])], "source"
    elif isinstance(document.get("worksheets"), list):
        lists = []
        for (start, _), sheet in zip(_elements(text, top["worksheets"][0]), document["worksheets"]):
            if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list):
                lists.append((_members(text, start)["cells"], sheet["cells"]))
        source_key = "input"
    else:
        raise NotebookError("not a Jupyter notebook: it has no 'cells'")  # _load checked it
    cells: list[Cell] = []
    for cells_span, decoded in lists:
        for (start, end), raw in zip(_elements(text, cells_span[0]), decoded):
            number = len(cells) + 1
            if not isinstance(raw, dict):
                raise NotebookError(f"not a Jupyter notebook: cell {number} is not an object")
            kind = raw.get("cell_type") if isinstance(raw.get("cell_type"), str) else "?"
            members = _members(text, start)
            key = source_key if kind == "code" else "source"
            if key not in members:
                cells.append(Cell(number, kind, "", (), (end, end), ()))
                continue
            value_start, value_end = members[key]
            source = raw[key]
            if isinstance(source, str):
                cells.append(Cell(number, kind, source, None, (value_start, value_end), ((value_start, value_end),)))
            elif isinstance(source, list) and all(isinstance(line, str) for line in source):
                spans = tuple(_elements(text, value_start))
                cells.append(Cell(number, kind, "".join(source), tuple(source), (value_start, value_end), spans))
            else:
                raise NotebookError(f"not a Jupyter notebook: the source of cell {number} is not text")
    return cells


def code_module(data: bytes) -> NotebookModule | None:
    """The code cells of a notebook's bytes as the module ``lint_notebook`` lints, without finding
    where each cell's source lies in the JSON (what the project index reads: it never writes a
    fix, and finding the positions takes longer than decoding the JSON); None when the notebook
    is not Python. NotebookError when it is not a notebook."""
    _, _, document = _load(data)
    if not _is_python(document):
        return None
    if isinstance(document.get("cells"), list):
        decoded, source_key = document["cells"], "source"
    else:
        sheets = [sheet for sheet in document["worksheets"] if isinstance(sheet, dict)]
        decoded = [cell for sheet in sheets if isinstance(sheet.get("cells"), list) for cell in sheet["cells"]]
        source_key = "input"
    cells = []
    for number, raw in enumerate(decoded, 1):
        if not isinstance(raw, dict) or raw.get("cell_type") != "code":
            continue
        source = raw.get(source_key, "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if isinstance(source, str):
            cells.append(Cell(number, "code", source, None, (0, 0), ()))
    return NotebookModule.of(Notebook("", False, tuple(cells), True))


# A reader of just enough JSON structure to know where values lie; the values themselves (and
# the validation) are json's. The text is known to be valid JSON when these run.
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _skip_space(text: str, index: int) -> int:
    return _SPACE.match(text, index).end()  # type: ignore[union-attr]


def _value_end(text: str, start: int) -> int:
    return _DECODER.raw_decode(text, start)[1]


def _members(text: str, start: int) -> dict[str, tuple[int, int]]:
    """The spans of the values of the object at ``start`` (the last of duplicate keys wins, as
    in json)."""
    members: dict[str, tuple[int, int]] = {}
    index = _skip_space(text, start + 1)
    if text[index] == "}":
        return members
    while True:
        key, index = json.decoder.scanstring(text, index + 1)
        index = _skip_space(text, _skip_space(text, index) + 1)  # past the colon
        end = _value_end(text, index)
        members[key] = (index, end)
        index = _skip_space(text, end)
        if text[index] == "}":
            return members
        index = _skip_space(text, index + 1)  # past the comma


def _elements(text: str, start: int) -> list[tuple[int, int]]:
    """The spans of the elements of the array at ``start``."""
    elements: list[tuple[int, int]] = []
    index = _skip_space(text, start + 1)
    if text[index] == "]":
        return elements
    while True:
        end = _value_end(text, index)
        elements.append((index, end))
        index = _skip_space(text, end)
        if text[index] == "]":
            return elements
        index = _skip_space(text, index + 1)


# --------------------------------------------------------------------------------------------
# IPython syntax
# --------------------------------------------------------------------------------------------

_ASSIGNED_MAGIC = re.compile(r"[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[%!]")
_CELL_MAGIC = re.compile(r"%%(\w+)")


def python_lines(text: str) -> tuple[list[str], set[int]] | None:
    """The cell's lines (ends kept) with IPython syntax replaced by placeholders, and the indices
    of the replaced lines; None when the whole cell is not Python (a non-Python cell magic)."""
    lines = _split_lines(text)
    neutralised: set[int] = set()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = _CELL_MAGIC.match(lines[first].lstrip())
        if magic is None or magic.group(1) not in PYTHON_CELL_MAGICS:
            return None
    scanner = _Scanner()
    continued = False  # the previous line was IPython syntax ending with a backslash
    indent = ""
    for index, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if continued:
            neutralised.add(index)
        elif scanner.at_statement_start() and _is_ipython(body, scanner):
            indent = body[: len(body) - len(body.lstrip())]
            neutralised.add(index)
        else:
            scanner.feed(body)
            continue
        continued = body.endswith("\\")
        lines[index] = indent + PLACEHOLDER + line[len(body) :]
    return lines, neutralised


def _is_ipython(body: str, scanner: _Scanner) -> bool:
    stripped = body.lstrip()
    if stripped[:1] in ("%", "!", "?"):
        return True
    if stripped[:1] in ("/", ",", ";") and (stripped[1:2].isidentifier()):
        return True  # autocall: ``/f a`` is f(a), ``,f a b`` is f("a", "b"); no statement starts so
    if _ASSIGNED_MAGIC.match(stripped):
        return True
    return "?" in body and scanner.has_question_mark(body)


class _Scanner:
    """Follows strings, comments and brackets over a cell's lines, to know whether a line starts
    a statement (only then can it be IPython syntax)."""

    def __init__(self) -> None:
        self.quote: str | None = None  # the open string's quote, when a line ends inside one
        self.depth = 0
        self.continuation = False

    def at_statement_start(self) -> bool:
        return self.quote is None and self.depth == 0 and not self.continuation

    def has_question_mark(self, body: str) -> bool:
        """Whether ``body`` (a line starting a statement) has a ``?`` outside strings and
        comments: never Python, so IPython's help syntax."""
        probe = _Scanner()
        return probe._scan(body, question=True)

    def feed(self, body: str) -> None:
        self._scan(body)

    def _scan(self, body: str, question: bool = False) -> bool:
        index, length = 0, len(body)
        comment = False
        while index < length:
            char = body[index]
            if self.quote is not None:
                if char == "\\":
                    index += 2
                    continue
                if body.startswith(self.quote, index):
                    index += len(self.quote)
                    self.quote = None
                    continue
                index += 1
                continue
            if char == "#":
                comment = True
                break
            if char in "'\"":
                self.quote = body[index : index + 3] if body[index : index + 3] in ('"""', "'''") else char
                index += len(self.quote)
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            elif char == "?" and question:
                return True
            index += 1
        if self.quote is not None and len(self.quote) == 1 and not body.endswith("\\"):
            self.quote = None  # an unterminated one-line string: Python's error, not ours to follow
        self.continuation = self.quote is None and not comment and body.endswith("\\")
        return False


def _split_lines(text: str) -> list[str]:
    """Lines with their ends, broken where the engine breaks them (``\\r\\n``, ``\\r``, ``\\n``)."""
    lines, start = [], 0
    for match in NEWLINE.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


# --------------------------------------------------------------------------------------------
# The module the engine lints
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """A run of the module's text from one cell. ``original`` is None for Python text (fixes may
    edit it); otherwise the piece stands in for ``original`` (a neutralised line, or the newline
    added after a cell that has none) and is never edited."""

    cell: int
    text: str
    original: str | None = None


@dataclass(frozen=True)
class CellSpan:
    number: int
    first_line: int  # the module line of the cell's first line
    line_count: int


class NotebookModule:
    """The code cells as one module: its text, and the way back to cells."""

    def __init__(self, pieces: Sequence[Piece]) -> None:
        self.pieces = tuple(pieces)
        self.text = "".join(piece.text for piece in self.pieces)
        spans: list[CellSpan] = []
        line = 1
        for number in dict.fromkeys(piece.cell for piece in self.pieces):
            count = sum(len(NEWLINE.findall(piece.text)) for piece in self.pieces if piece.cell == number)
            spans.append(CellSpan(number, line, count))
            line += count
        self.cells = tuple(spans)

    @classmethod
    def of(cls, notebook: Notebook) -> NotebookModule:
        pieces: list[Piece] = []
        for cell in notebook.cells:
            if cell.kind != "code" or not cell.text:
                continue
            found = python_lines(cell.text)
            if found is None:
                continue
            lines, neutralised = found
            originals = _split_lines(cell.text)
            python: list[str] = []
            for index, line in enumerate(lines):
                if index in neutralised:
                    if python:
                        pieces.append(Piece(cell.number, "".join(python)))
                        python = []
                    pieces.append(Piece(cell.number, line, originals[index]))
                else:
                    python.append(line)
            if python:
                pieces.append(Piece(cell.number, "".join(python)))
            if not cell.text.endswith(("\n", "\r")):
                pieces.append(Piece(cell.number, "\n", ""))
        return cls(pieces)

    def cell_texts(self) -> dict[int, str]:
        """Each cell's source as the notebook holds it (neutralised lines restored)."""
        texts: dict[int, list[str]] = {}
        for piece in self.pieces:
            texts.setdefault(piece.cell, []).append(piece.text if piece.original is None else piece.original)
        return {number: "".join(parts) for number, parts in texts.items()}

    def locate(self, line: int) -> tuple[CellSpan, int]:
        """The cell holding module line ``line``, and the line's number within it."""
        chosen = self.cells[0]
        for cell in self.cells:
            if cell.first_line > line:
                break
            chosen = cell
        return chosen, line - chosen.first_line + 1

    def apply(self, fixes: Iterable[Fix]) -> NotebookModule:
        """The module with the edits of ``fixes`` (which must not overlap) applied to its pieces;
        FixNotApplicable when an edit would touch a neutralised line or two cells."""
        from rnn_lint.fixer import FixNotApplicable

        bounds, position = [], 0
        for piece in self.pieces:
            bounds.append((position, position + len(piece.text)))
            position += len(piece.text)
        texts = [piece.text for piece in self.pieces]
        for start, end, content in edit_spans(self.text, fixes):  # bottom-up: earlier offsets stay valid
            # The last piece that holds the whole edit: an insertion at a boundary goes to the
            # start of the following piece.
            index = next(
                (
                    i
                    for i in reversed(range(len(self.pieces)))
                    if self.pieces[i].original is None and bounds[i][0] <= start and end <= bounds[i][1]
                ),
                None,
            )
            if index is None:
                raise FixNotApplicable("it would edit IPython syntax or more than one cell")
            piece_start = bounds[index][0]
            texts[index] = texts[index][: start - piece_start] + content + texts[index][end - piece_start :]
        return NotebookModule([replace(piece, text=text) for piece, text in zip(self.pieces, texts)])


# --------------------------------------------------------------------------------------------
# Findings in cell coordinates
# --------------------------------------------------------------------------------------------


def to_cells(findings: Iterable[Finding], module: NotebookModule, notebook: Notebook) -> list[Finding]:
    """Findings on the module, re-expressed in cells (file-level ones, such as an unreadable
    file, pass as they are)."""
    if not module.cells:
        return list(findings)
    element_lines = {cell.number: _source_line_offsets(cell) for cell in notebook.cells}
    out = []
    for finding in findings:
        cell, line = module.locate(finding.line)
        end_cell, end_line = module.locate(finding.end_line)
        end_col = finding.end_col
        if end_cell.number != cell.number:  # cannot happen for one statement; stay in the cell
            end_line, end_col = cell.line_count, 1
        # Python places "unexpected end of file" one line past the text: keep it in the cell.
        line, end_line = min(line, cell.line_count), min(end_line, cell.line_count)
        location = CellLocation(
            cell.number,
            _file_line(notebook, element_lines, cell.number, line),
            _file_line(notebook, element_lines, cell.number, end_line),
        )
        fix = finding.fix
        if fix is not None:
            fix = Fix(fix.message, fix.applicability, tuple(_edit_in_cell(edit, module) for edit in fix.edits))
        out.append(replace(finding, cell=location, line=line, end_line=end_line, end_col=end_col, fix=fix))
    return sorted(out)


def _edit_in_cell(edit: Edit, module: NotebookModule) -> Edit:
    cell, line = module.locate(edit.line)
    _, end_line = module.locate(edit.end_line)
    return replace(edit, line=line, end_line=end_line, cell=cell.number)


def _source_line_offsets(cell: Cell) -> list[tuple[int, int]]:
    """(offset in the cell's text, index of the JSON string) for each string of the source."""
    if cell.lines is None:
        return [(0, 0)]
    offsets, position = [], 0
    for index, line in enumerate(cell.lines):
        offsets.append((position, index))
        position += len(line)
    return offsets


def _file_line(notebook: Notebook, element_lines, number: int, line: int) -> int:
    """The line of the .ipynb file holding line ``line`` of cell ``number``: the line of the JSON
    string it starts in."""
    cell = notebook.cells[number - 1]
    if not cell.element_spans:
        return notebook.file_line(cell.span[0])
    line_start = line_starts(cell.text)[min(line, len(line_starts(cell.text))) - 1]
    element = 0
    for position, index in element_lines[number]:
        if position > line_start:
            break
        element = index
    return notebook.file_line(cell.element_spans[min(element, len(cell.element_spans) - 1)][0])


# --------------------------------------------------------------------------------------------
# Linting and fixing a notebook file
# --------------------------------------------------------------------------------------------


def lint_notebook(
    path: str | Path,
    rules: Sequence[type[Rule]],
    display_path: str | None = None,
    *,
    project: Any = None,
    data: bytes | None = None,
) -> list[Finding]:
    """Read and lint one notebook (``data``: its bytes, when the caller has read them already); a
    file that is not one is an RNN000 finding."""
    shown = display_path or str(path)
    try:
        data = read_regular_file(path) if data is None else data  # a FIFO is refused, not waited on
    except OSError as error:
        return _not_a_notebook(shown, NotebookError(unreadable_reason(path, error)), rules)
    return lint_notebook_data(data, shown, rules, project=project)


def lint_notebook_data(data: bytes, path: str, rules: Sequence[type[Rule]], *, project: Any = None) -> list[Finding]:
    """Lint a notebook's bytes (from a file, or from standard input) shown as ``path``.

    Like a Python file that mentions no recurrent module, a notebook whose text has none of the
    rules' needles is not analysed further once its JSON is known to be a notebook."""
    from rnn_lint.engine import lint_source

    # the needles' bytes in the file's bytes: searching the decoded text, once per rule, was a
    # quarter of the run on a tutorial repository's notebooks (megabytes of outputs each)
    needles = {needle.encode() for rule in rules for needle in rule.needles}
    try:
        loaded = _load(data)
        if not any(needle in data for needle in needles):
            return []
        notebook = _notebook(*loaded)
    except NotebookError as error:
        return _not_a_notebook(path, error, rules)
    module = NotebookModule.of(notebook) if notebook.python else None
    if module is None or not module.cells:
        return []
    findings = (
        lint_source(module.text, path, rules)
        if project is None
        else lint_source(module.text, path, rules, project=project)
    )
    return to_cells(findings, module, notebook)


@dataclass(frozen=True)
class NotebookFix:
    """What fixing a notebook's bytes gives: the new bytes (None when nothing was fixed), the
    findings left (in cells), how many fixes were applied, one unified diff per changed cell,
    and a problem that stopped the fixing early."""

    data: bytes | None
    findings: list[Finding]
    fixed: int
    diff: str = ""
    error: str | None = None


def fix_notebook_data(
    data: bytes, path: str, rules: Sequence[type[Rule]], *, unsafe_fixes: bool = False
) -> NotebookFix:
    """Fix a notebook's bytes shown as ``path``: only the changed cells' source is rewritten,
    in the JSON text as it was."""
    from rnn_lint.fixer import fix_source, unified_diff

    try:
        notebook = read_notebook(data)
    except NotebookError as error:
        return NotebookFix(None, _not_a_notebook(path, error, rules), 0)
    module = NotebookModule.of(notebook) if notebook.python else None
    if module is None or not module.cells:
        return NotebookFix(None, [], 0)
    versions = {module.text: module}

    def apply(source: str, fixes: Sequence[Fix]) -> str:
        fixed_module = versions[source].apply(fixes)
        versions[fixed_module.text] = fixed_module
        return fixed_module.text

    fixed_text, fixed, findings, error = fix_source(module.text, path, rules, unsafe_fixes=unsafe_fixes, apply=apply)
    if not fixed:
        return NotebookFix(None, to_cells(findings, module, notebook), 0, "", error)
    before, after = module.cell_texts(), versions[fixed_text].cell_texts()
    changed = {number: text for number, text in after.items() if text != before[number]}
    new_data = _encode(render(notebook, changed), notebook.bom)
    new_notebook = read_notebook(new_data)
    remaining = to_cells(findings, NotebookModule.of(new_notebook), new_notebook)
    diff = "".join(unified_diff(before[number], changed[number], f"{path}:cell {number}") for number in changed)
    return NotebookFix(new_data, remaining, fixed, diff, error)


def fix_notebook(
    path: str | Path,
    rules: Sequence[type[Rule]],
    *,
    display_path: str | None = None,
    unsafe_fixes: bool = False,
    write: bool = True,
    data: bytes | None = None,
    within: Sequence[str] | None = None,
    on_written=None,
):
    """Fix one notebook file in place (``write``, as ``fixer.write_fixed`` writes: a failed write
    leaves it whole and is an RNN000) or compute its per-cell diff: a ``fixer.FixedFile``
    (``data``: its bytes, when the caller has read them already)."""
    from rnn_lint.fixer import FixedFile, cannot_write, write_fixed

    shown = display_path or str(path)
    try:
        data = read_regular_file(path) if data is None else data
    except OSError:
        return FixedFile(shown, lint_notebook(path, rules, display_path=shown), 0)
    result = fix_notebook_data(data, shown, rules, unsafe_fixes=unsafe_fixes)
    if result.data is not None and write:
        try:
            write_fixed(path, result.data, within, on_written)
        except OSError as problem:  # the notebook is as it was: its findings, and why it is
            left = lint_notebook_data(data, shown, rules)
            return FixedFile(shown, sorted([*left, cannot_write(shown, problem)]), 0, None, result.error)
    diff = result.diff if result.data is not None and not write else None
    output = result.data if not write else None
    return FixedFile(shown, result.findings, result.fixed, diff, result.error, output)


def _encode(text: str, bom: bool) -> bytes:
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def _not_a_notebook(path: str, error: NotebookError, rules: Sequence[type[Rule]]) -> list[Finding]:
    """The RNN000 finding for a file that is not a notebook, at the JSON error's position."""
    from rnn_lint.engine import SYNTAX_ERROR

    rule = next((rule for rule in rules if rule.code == SYNTAX_ERROR), None)
    if rule is None:
        return []
    line, column = max(error.line, 1), max(error.column, 1)
    return [Finding(path, line, column, SYNTAX_ERROR, line, column, rule.name, error.reason)]


# --------------------------------------------------------------------------------------------
# Writing back: only the changed cells' source, in the JSON text as it was
# --------------------------------------------------------------------------------------------


def render(notebook: Notebook, changed: dict[int, str]) -> str:
    """The notebook's JSON text with the source of the cells in ``changed`` replaced."""
    text = notebook.text
    ascii_only = not any(ord(char) > 127 for char in text)
    replacements = []
    for number, new_text in changed.items():
        cell = notebook.cells[number - 1]
        if cell.lines is None:
            replacements.append((*cell.span, _string(new_text, ascii_only)))
        else:
            replacements.append((*cell.span, _render_list(text, cell, new_text, ascii_only)))
    for start, end, content in sorted(replacements, reverse=True):
        text = text[:start] + content + text[end:]
    return text


def _string(value: str, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only)


def _render_list(text: str, cell: Cell, new_text: str, ascii_only: bool) -> str:
    """The new source array, laid out as the old one: unchanged strings keep their exact JSON
    text, and so does the gap between two strings that were neighbours before; a new gap is the
    array's usual one."""
    assert cell.lines is not None
    old_lines, new_lines = list(cell.lines), _split_lines(new_text)
    tokens = [text[start:end] for start, end in cell.element_spans]
    start, end = cell.span
    spans = cell.element_spans
    gaps = [text[a[1] : b[0]] for a, b in itertools.pairwise(spans)]
    # (JSON text, index of the old string it keeps, or None)
    new_tokens: list[tuple[str, int | None]] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            new_tokens.extend((tokens[i], i) for i in range(i1, i2))
        elif tag == "replace" and i2 - i1 == j2 - j1:  # rewritten in place: same neighbours
            new_tokens.extend((_string(new_lines[j1 + k], ascii_only), i1 + k) for k in range(i2 - i1))
        else:
            new_tokens.extend((_string(line, ascii_only), None) for line in new_lines[j1:j2])
    if not spans:  # was empty: Jupyter's layout would need an indentation we cannot see
        return "[" + ", ".join(token for token, _ in new_tokens) + "]"
    opening = text[start + 1 : spans[0][0]]
    closing = text[spans[-1][1] : end - 1]
    usual = Counter(gaps).most_common(1)[0][0] if gaps else "," + opening
    body = []
    for index, (token, old) in enumerate(new_tokens):
        if index:
            previous = new_tokens[index - 1][1]
            body.append(gaps[old - 1] if old is not None and previous == old - 1 else usual)
        body.append(token)
    return "[" + opening + "".join(body) + closing + "]"
