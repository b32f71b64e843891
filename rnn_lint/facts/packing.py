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
#: Prefixes of a lengths name that say nothing of which batch they are for.
_ANY_BATCH = frozenset({"", "seq", "seqs", "sequence", "sequences", "sent", "sentence", "batch", "input", "inputs"})


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
        """The layout the code around it uses: the one the pack was told, else the module's
        ``batch_first`` when it was written (None when neither is known)."""
        if self.pack is not None and self.pack.batch_first is not None:
            return self.pack.batch_first
        return self.module.batch_first if "batch_first" in self.module.arguments else None

    @property
    def disagrees(self) -> bool:
        """Told another layout than the code around it uses (RNN109)."""
        return self.packed_as is not None and self.packed_as != self.batch_first


@dataclass(frozen=True)
class LengthsKnown:
    """A module run on a padded (not packed) batch: the function that ran it holds ``name``."""

    name: str


class Packing:
    """Mixed into the Interpreter; uses its evaluation methods and ``facts``."""

    # --- layout evidence per name ---------------------------------------------------------
    def _note_layout(self, name: str, value_node: cst.BaseExpression | None, frame: Frame) -> None:
        """After ``name = value_node``: remember what is known of ``name``'s layout."""
        frame.note(_LAYOUT + name, self._layout_evidence(value_node, frame) if value_node is not None else None)

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
            held = frame.lookup(current)  # ``padded, _ = pad_packed_sequence(out)``: as it was told
            if isinstance(held, Tensor) and isinstance(held.padding, Unpack):
                return held.padding.batch_first
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

    def _padded_run(self, output: Any, frame: Frame, input_node: cst.BaseExpression | None) -> Any:
        """A module's output from an unpacked input: a padded batch when the function holds lengths
        for it."""
        if not isinstance(output, Tensor):
            return output
        name = self._lengths_for(input_node, frame)
        return replace(output, padding=LengthsKnown(name)) if name is not None else output

    def _lengths_for(self, input_node: cst.BaseExpression | None, frame: Frame) -> str | None:
        """A name of the running function's own that holds one length per sequence of the batch
        ``input_node`` is: ``lengths``/``seq_lens`` (said of any batch), or ``<prefix>_lengths``
        whose prefix begins a name the input was computed from (``text_lengths`` for ``text``;
        ``src_lengths`` says nothing of a decoder's ``trg``). A parameter that defaults to None
        (or holds None) is no evidence: the function also runs without lengths."""
        inputs: list[str] = []
        current = input_node.value if isinstance(input_node, cst.Name) else None
        if current is None and input_node is not None:
            current = provenance_source(input_node, self.imports)
        while current is not None and current not in inputs:
            inputs.append(current)
            current = frame.provenance.get(current)
        optional = _optional_parameters(self._function_of(frame))
        for key, value in frame.env.items():
            if ":" in key or "." in key or not _LENGTHS.search(key):
                continue
            if key in optional or value == Const(None):
                continue
            prefix = _LENGTHS.sub("", key).rstrip("_").lower()
            if prefix in _ANY_BATCH or any(name.lower().startswith(prefix) for name in inputs):
                return key
        return None

    def _function_of(self, frame: Frame) -> cst.FunctionDef | None:
        class_name, _, name = frame.key.rpartition(".")
        if class_name:
            info = self.facts.classes.get(class_name)
            return info.methods.get(name) if info is not None else None
        return self.functions.get(name)


def _argument(node: cst.Call, keyword: str, position: int) -> cst.BaseExpression | None:
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [arg for arg in node.args if arg.keyword is None]
    if any(arg.star for arg in positional[: position + 1]):
        return None
    return positional[position].value if len(positional) > position else None


def _optional_parameters(function: cst.FunctionDef | None) -> set[str]:
    if function is None:
        return set()
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    return {p.name.value for p in every if isinstance(p.default, cst.Name) and p.default.value == "None"}


_LEFT_PADDED = re.compile(
    r"left[_ -]?pad|pad(?:ding)?_side\s*=\s*['\"]left|padding\s*=\s*['\"]pre\b|\bpre[_-]?pad", re.I
)
_KERAS_POST = re.compile(r"padding\s*=\s*['\"]post")


def says_left_padded(code: str) -> bool:
    """The file says its batches are padded on the left (then the last step is every sequence's
    own): ``padding_side="left"``, ``left_pad``, or Keras' ``pad_sequences``, whose default pads
    before the sequence, without ``padding="post"``."""
    if _LEFT_PADDED.search(code):
        return True
    return "pad_sequences(" in code and not _KERAS_POST.search(code)


def last_step_axis(indexing: Indexing) -> int | None:
    """Which axis ``t[-1]`` (0) or ``t[:, -1]`` (1) takes the last element of, else None."""
    items = indexing.items
    minus_one = ("int", Sym.number(-1))
    if items and items[0] == minus_one:
        return 0
    if len(items) >= 2 and items[0] == ("full",) and items[1] == minus_one:
        return 1
    return None


__all__ = ["REORDERED", "LengthsKnown", "Pack", "Packing", "Unpack", "last_step_axis", "says_left_padded"]
