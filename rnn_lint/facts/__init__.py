"""The facts layer: a model of one file that every rule queries (see model.py).

Importing this package does not import libcst (rule modules import ``rnn_lint.facts.values`` at
load time, and ``rnn-lint --version`` or a run that parses nothing must not pay for libcst)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import libcst as cst

    from rnn_lint.facts.model import FileFacts


def build_facts(module: cst.Module, path: str = "", *, source: str | None = None, **context: Any) -> FileFacts:
    """Interpret ``module`` (the parsed text of ``path``) once; rules then query the result.
    ``source``: the file's text, when the caller has it (text searches then need not regenerate
    it from the tree). ``context`` (e.g. ``project=``, the project-wide index) is passed on to the
    interpreter."""
    from rnn_lint.facts.interpreter import build

    facts = build(module, path, source=source, **context)
    facts.source = source
    return facts


def __getattr__(name: str) -> Any:
    if name == "FileFacts":
        from rnn_lint.facts.model import FileFacts

        return FileFacts
    raise AttributeError(f"module 'rnn_lint.facts' has no attribute {name!r}")


__all__ = ["FileFacts", "build_facts"]
