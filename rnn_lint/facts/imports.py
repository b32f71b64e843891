"""Resolve names to what they were imported as, with a per-file import table.

Cheaper than libcst's ScopeProvider/QualifiedNameProvider (which cost several times the parse
itself) and enough here: every import style of torch is a binding from a local name to a dotted
path. ``nn.LSTM`` with ``import torch.nn as nn`` resolves to ``torch.nn.LSTM``; so do
``torch.nn.LSTM``, ``L`` after ``from torch.nn import LSTM as L`` and ``tnn.LSTM`` after
``import torch.nn as tnn``. Names a file assigns itself shadow ``from torch.nn import *``.
"""

from __future__ import annotations

import libcst as cst

from rnn_lint.contract import RECURRENT_KINDS

#: Where torch defines names that user code imports from deeper paths.
_CANONICAL_PREFIXES = (
    ("torch.nn.modules.rnn.", "torch.nn."),
    ("torch.nn.modules.", "torch.nn."),
    ("torch.nn.utils.rnn.", "torch.nn.utils.rnn."),
)

_RECURRENT = {f"torch.nn.{kind}": kind for kind in RECURRENT_KINDS}


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def _module_path(node: cst.BaseExpression) -> str:
    return dotted(node) or ""


class ImportTable:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.star_modules: list[str] = []
        self.local_definitions: set[str] = set()

    def add(self, statement: cst.Import | cst.ImportFrom) -> None:
        if isinstance(statement, cst.Import):
            for alias in statement.names:
                path = _module_path(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.names[alias.asname.name.value] = path
                else:
                    top = path.split(".", 1)[0]
                    self.names[top] = top
            return
        if statement.relative or statement.module is None:
            return
        module = _module_path(statement.module)
        if isinstance(statement.names, cst.ImportStar):
            self.star_modules.append(module)
            return
        for alias in statement.names:
            name = _module_path(alias.name)
            local = (
                alias.asname.name.value
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                else name
            )
            self.names[local] = f"{module}.{name}"

    def define(self, name: str) -> None:
        """The file binds ``name`` itself (def, class, assignment): it shadows star imports."""
        self.local_definitions.add(name)

    def qualify(self, node: cst.BaseExpression) -> str | None:
        """The canonical dotted path ``node`` refers to, or None when it is not an import."""
        path = dotted(node)
        if path is None:
            return None
        head, _, rest = path.partition(".")
        if head in self.names:
            base = self.names[head]
        elif head in self.local_definitions:
            return None
        else:
            base = next((f"{module}.{head}" for module in self.star_modules if _star_exports(module, head)), None)
            if base is None:
                return None
        return canonical(f"{base}.{rest}" if rest else base)

    def recurrent_kind(self, node: cst.BaseExpression) -> str | None:
        """'LSTM', 'GRUCell', … when ``node`` names one of torch's recurrent modules."""
        qualified = self.qualify(node)
        return _RECURRENT.get(qualified) if qualified else None


def canonical(path: str) -> str:
    for prefix, replacement in _CANONICAL_PREFIXES:
        if path.startswith(prefix):
            return replacement + path[len(prefix) :]
    return path


def _star_exports(module: str, name: str) -> bool:
    """Whether ``from module import *`` can bind ``name`` (for the modules that matter here)."""
    if module in ("torch.nn", "torch.nn.modules", "torch.nn.modules.rnn"):
        return name in RECURRENT_KINDS or name in ("Module", "init", "functional", "utils", "Parameter")
    if module == "torch.nn.utils.rnn":
        return name in (
            "pack_padded_sequence",
            "pad_packed_sequence",
            "pack_sequence",
            "pad_sequence",
            "PackedSequence",
        )
    if module == "torch":
        return name in (
            "nn",
            "zeros",
            "ones",
            "randn",
            "rand",
            "empty",
            "full",
            "cat",
            "stack",
            "no_grad",
            "chunk",
            "reshape",
        )
    return False
