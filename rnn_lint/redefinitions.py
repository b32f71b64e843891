"""Classes defined more than once in a file: every definition is analysed, not only the last.

A notebook is linted as one module, and tutorials redefine their model cell after cell (the LSTM
of cell 13, changed in cell 29, moved to the GPU in cell 37). The analysis knows a class by its
name, so it analysed only the last definition, and the earlier ones — built and trained in the
cells between — were never checked (ritchieng's deep-learning-wizard: 3 RNN201 and 9 RNN404 in
earlier definitions). For each earlier definition the engine analyses the module again with the
other definitions of that name blanked (their lines kept empty, so that every position stays
where it is), and keeps the findings inside that definition.
"""

from __future__ import annotations

import ast
import re
from typing import NamedTuple

_CLASS_LINE = re.compile(r"^class[ \t]+([A-Za-z_]\w*)", re.MULTILINE)


class EarlierDefinition(NamedTuple):
    first_line: int  # of the definition, its decorators included
    last_line: int
    text: str  # the module with the other definitions of the name blanked


def earlier_definitions(text: str) -> list[EarlierDefinition]:
    """One variant of ``text`` per top-level class definition that a later one of the same name
    replaces; none for a module that defines each class once (a regular expression tells, the
    module is parsed only when it may not)."""
    names = _CLASS_LINE.findall(text)
    if len(names) == len(set(names)):
        return []
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    by_name: dict[str, list[ast.ClassDef]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            by_name.setdefault(node.name, []).append(node)
    lines = text.splitlines(keepends=True)
    variants = []
    for definitions in by_name.values():
        for kept in definitions[:-1]:
            variant = list(lines)
            for other in definitions:
                if other is not kept:
                    for index in range(_first_line(other) - 1, (other.end_lineno or other.lineno)):
                        line = variant[index]
                        variant[index] = line[len(line.rstrip("\r\n")) :]  # the line break alone
            variants.append(EarlierDefinition(_first_line(kept), kept.end_lineno or kept.lineno, "".join(variant)))
    return variants


def _first_line(node: ast.ClassDef) -> int:
    return min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
