"""The facts layer: a model of one file that every rule queries (see model.py)."""

from __future__ import annotations

import libcst as cst

from rnn_lint.facts.model import FileFacts


def build_facts(module: cst.Module, source: str = "") -> FileFacts:
    from rnn_lint.facts.interpreter import build

    return build(module, source)


__all__ = ["FileFacts", "build_facts"]
