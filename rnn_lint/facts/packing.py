"""Padded batches: how they are packed, unpacked and read. The facts behind RNN109
(pack-layout-mismatch), RNN105 (padding-leak) and the time-axis half of RNN107 (shape-mismatch).

* **packs.** ``pack_padded_sequence(x, lengths, batch_first=X)`` is a ``Pack``: the layout it was
  told, whether that was written or left at the default, and what the file says about ``x``'s own
  layout: ``pad_sequence(..., batch_first=...)`` made it, or it was transposed/permuted on the way
  (then its layout is the code's own choice and nothing is assumed). The ``PackedSequence`` value
  carries its ``Pack`` through the module, so the module call and ``pad_packed_sequence`` see it.
* **unpacks.** ``pad_packed_sequence(out, batch_first=Y)`` gives an output tensor in layout Y whose
  ``padding`` is an ``Unpack``: its short sequences end in padding, and the pack that made it says
  which layout the rest of the code uses.
* **runs on padded batches.** A module run (not packed) in a function that also holds sequence
  lengths (a parameter or local named ``lengths``, ``seq_lens`` …) gives an output whose
  ``padding`` is a ``LengthsKnown``: the batch it ran on is padded.

Evidence of a tensor's layout is kept per name in the frame (``layout-of:<name>``): True/False
from ``pad_sequence``, ``REORDERED`` after a transpose/permute. It follows batch-preserving calls
(``emb = self.embedding(x)``) as ``provenance`` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import libcst as cst

from rnn_lint.facts import tensors
from rnn_lint.facts.idioms import provenance_source
from rnn_lint.facts.values import Const, PackedSequence, Sym, Tensor

if TYPE_CHECKING:
    from rnn_lint.facts.interpreter import Frame
    from rnn_lint.facts.model import Construction, Indexing

#: The key under which a frame remembers what is known of a local tensor's layout.
_LAYOUT = "layout-of:"
#: The tensor was transposed or permuted on the way: its layout is the code's own choice.
REORDERED = "reordered"
#: Methods and attributes that reorder axes.
REORDERING = frozenset({"transpose", "permute", "t", "movedim", "moveaxis", "swapaxes", "swapdims", "T", "mT"})
#: Methods that keep the layout of their receiver (the evidence on it still holds).
_KEEPS = frozenset({"contiguous", "float", "double", "half", "long", "to", "cuda", "cpu", "detach", "clone", "type"})
_PAD_SEQUENCE = "torch.nn.utils.rnn.pad_sequence"
#: Names that hold one length per sequence (``lengths``, ``text_lengths``, ``src_lens``); the
#: singular ``seq_len`` is as often the padded length T, so it is no evidence.
_LENGTHS = re.compile(r"(?:^|_)(?:lengths|lens)$", re.I)


@dataclass(eq=False)
class Pack:
    """``pack_padded_sequence(x, lengths, batch_first=X)``."""

    node: cst.Call
    #: X as told (False when left out), None when it is not a literal
    batch_first: bool | None
    #: whether batch_first was written in the call
    written: bool
    #: what the file says of the padded tensor's layout: True/False (pad_sequence), REORDERED, None
    source_layout: bool | str | None


@dataclass(eq=False)
class Unpack:
    """``pad_packed_sequence(out, batch_first=Y)`` of a module's packed output."""

    node: cst.Call
    batch_first: bool
    module: Construction
    pack: Pack | None

    @property
    def packed_as(self) -> bool | None:
        """The layout the pack was told, which is the layout the code around it uses."""
        return self.pack.batch_first if self.pack is not None else None


@dataclass(frozen=True)
class LengthsKnown:
    """A module run on a padded (not packed) batch: the function that ran it holds ``name``."""

    name: str


class Packing:
    """Mixed into the Interpreter; uses its evaluation methods and ``facts``."""

    # --- layout evidence per name ---------------------------------------------------------
    def _note_layout(self, name: str, value_node: cst.BaseExpression | None, frame: Frame) -> None:
        """After ``name = value_node``: remember what is known of ``name``'s layout."""
        key = _LAYOUT + name
        evidence = self._layout_evidence(value_node, frame) if value_node is not None else None
        if evidence is None:
            frame.env.pop(key, None)
        else:
            frame.env[key] = Const(evidence)

    def _layout_evidence(self, node: cst.BaseExpression, frame: Frame) -> bool | str | None:
        if isinstance(node, cst.Name):
            return self._layout_of(node.value, frame)
        if isinstance(node, cst.Attribute):
            return REORDERED if node.attr.value in ("T", "mT") else None
        if not isinstance(node, cst.Call):
            return None
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in REORDERING:
            return REORDERED
        if self.imports.qualify(func) == _PAD_SEQUENCE:
            told = _argument(node, "batch_first", 1)
            if told is None:
                return False
            value = self._eval(told, frame)
            return value.value if isinstance(value, Const) and isinstance(value.value, bool) else REORDERED
        if isinstance(func, cst.Attribute) and func.attr.value in _KEEPS:
            return self._layout_evidence(func.value, frame)
        source = provenance_source(node, self.imports)
        return self._layout_of(source, frame) if source is not None else None

    def _layout_of(self, name: str, frame: Frame) -> bool | str | None:
        seen: set[str] = set()
        current: str | None = name
        while current is not None and current not in seen:
            seen.add(current)
            value = frame.lookup(_LAYOUT + current)
            if isinstance(value, Const):
                return value.value
            current = frame.provenance.get(current)
        return None

    # --- pack_padded_sequence / pad_packed_sequence ---------------------------------------
    def _note_pack_layout(self, node: cst.Call, frame: Frame, batch_first: Any) -> Pack:
        told = _argument(node, "batch_first", 2)
        layout: bool | None = False
        if told is not None:
            known = isinstance(batch_first, Const) and isinstance(batch_first.value, bool)
            layout = batch_first.value if known else None
        source = _argument(node, "input", 0)
        evidence = self._layout_evidence(source, frame) if source is not None else None
        pack = Pack(node, layout, told is not None, evidence)
        self.facts.pack_layouts.append(pack)
        return pack

    def _unpacked(self, node: cst.Call, packed: PackedSequence, batch_first: bool) -> Tensor:
        """``pad_packed_sequence``'s padded output, in the layout it was told."""
        output = tensors.output_tensor(packed.module, batch_first)
        return replace(output, padding=Unpack(node, batch_first, packed.module, packed.pack))

    def _padded_run(self, output: Any, frame: Frame) -> Any:
        """A module's output from an unpacked input: a padded batch when the function holds lengths."""
        if not isinstance(output, Tensor):
            return output
        name = _lengths_in(frame)
        return replace(output, padding=LengthsKnown(name)) if name is not None else output


def _argument(node: cst.Call, keyword: str, position: int) -> cst.BaseExpression | None:
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [arg for arg in node.args if arg.keyword is None]
    if any(arg.star for arg in positional[: position + 1]):
        return None
    return positional[position].value if len(positional) > position else None


def _lengths_in(frame: Frame) -> str | None:
    """A name of the function's own that holds sequence lengths (not one of an enclosing scope)."""
    for key in frame.env:
        if ":" not in key and "." not in key and _LENGTHS.search(key):
            return key
    return None


def last_step_axis(indexing: Indexing) -> int | None:
    """Which axis ``t[-1]`` (0) or ``t[:, -1]`` (1) takes the last element of, else None."""
    items = indexing.items
    minus_one = ("int", Sym.number(-1))
    if items and items[0] == minus_one:
        return 0
    if len(items) >= 2 and items[0] == ("full",) and items[1] == minus_one:
        return 1
    return None


__all__ = ["REORDERED", "LengthsKnown", "Pack", "Packing", "Unpack", "last_step_axis"]
