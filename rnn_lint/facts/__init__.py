"""The facts layer: a model of one file that every rule queries (see model.py)."""

from __future__ import annotations

import libcst as cst

from rnn_lint.facts.model import FileFacts


def build_facts(module: cst.Module, path: str = "") -> FileFacts:
    """Interpret ``module`` (the parsed text of ``path``) once; rules then query the result."""
    from rnn_lint.facts.interpreter import build

    return build(module, path)


__all__ = ["FileFacts", "build_facts"]
