from rnn_lint.facts.values import PackedSequence
from rnn_lint.rule import RECURRENT_CODE, Rule


def _layout(batch_first: bool) -> str:
    return "(B, T, ...)" if batch_first else "(T, B, ...)"


class PackLayoutMismatch(Rule):
    """
    ## What it does
    Flags `pack_padded_sequence(x, lengths, batch_first=X)` whose X disagrees with what the file
    says of `x`'s layout: the module that consumes the packed sequence was written with the other
    `batch_first`, or `x` was made by `pad_sequence(..., batch_first=...)` or `pad_packed_sequence`
    with the other value (what made `x` decides over the module's `batch_first`, which packed input
    does not use).
    Also flags `pad_packed_sequence(out, batch_first=Y)` when Y is not the layout the sequence was
    packed from and the code then reads the result in the packed layout (`out[:, -1]` on a
    `(T, B, H)` result, `out[-1]` on a `(B, T, H)` one).

    It stays silent when `x` was transposed or permuted on the way (its layout is then the code's
    own choice), when the module's `batch_first` was left at its default (with packed input it is
    unused, so it says nothing), when the result of `pad_packed_sequence` is transposed before it
    is read, and whenever a layout is not a literal.

    ## Why is this bad?
    `pack_padded_sequence` reads `lengths` along the batch axis it is told. Told the wrong layout,
    it treats the time axis as the batch: it raises when B and T differ (often only on the
    last, smaller batch) and silently packs garbage when they happen to be equal. A
    `pad_packed_sequence` left at the default `batch_first=False` gives `(T, B, H)` even when
    everything else in the model is batch-first, so `out[:, -1]` is the last *sample*, not the
    last step, and per-step logits come out transposed.

    How it differs from its neighbours: RNN107 flags a read on the wrong axis for a layout the code
    chose consistently; RNN109 flags the layout argument that disagrees with the rest of the code,
    which is where the fix goes. RNN105 flags the last step of a padded batch read on the right axis.

    ## Example
    ```python
    import torch.nn as nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(32, 64, batch_first=True)
            self.out = nn.Linear(64, 10)

        def forward(self, x, lengths):
            packed = pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False)
            out, _ = self.lstm(packed)
            out, _ = pad_packed_sequence(out, batch_first=True)
            return self.out(out)
    ```

    ## Use instead
    ```python
    import torch.nn as nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(32, 64, batch_first=True)
            self.out = nn.Linear(64, 10)

        def forward(self, x, lengths):
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, _ = self.lstm(packed)
            out, _ = pad_packed_sequence(out, batch_first=True)
            return self.out(out)
    ```
    """

    code = "RNN109"
    name = "pack-layout-mismatch"
    pattern = RECURRENT_CODE
    message = "pack_padded_sequence / pad_packed_sequence told a layout the module or the following code does not use"

    def check(self, facts):
        yield from self._packs(facts)
        yield from self._unpacks(facts)

    def _packs(self, facts):
        reported: set[int] = set()
        for pack in facts.pack_layouts:
            evidence, told = pack.source_layout, pack.batch_first
            if isinstance(evidence, bool) and told is not None and evidence != told and id(pack.node) not in reported:
                reported.add(id(pack.node))
                yield self.report(
                    pack.node,
                    f"the padded batch is {_layout(evidence)}, as the pad_sequence or pad_packed_sequence that made "
                    f"it was told (batch_first={evidence}), but pack_padded_sequence is told batch_first={told}: it "
                    f"reads the lengths along the wrong axis; pass batch_first={evidence}",
                )
        by_pack: dict[int, list] = {}
        for call in facts.calls:
            packed = call.input
            # only a fresh pack: the packed output of one module fed to the next says nothing new
            if isinstance(packed, PackedSequence) and packed.pack is not None and packed.module is None:
                by_pack.setdefault(id(packed.pack), []).append(call)
        for calls in by_pack.values():
            pack = calls[0].input.pack
            told = pack.batch_first
            if told is None or pack.source_layout is not None or id(pack.node) in reported:
                continue  # unknown, or the padded tensor's own layout is known and decides
            modules = [call.module for call in calls]
            if any("batch_first" not in m.arguments or m.batch_first is None for m in modules):
                continue
            if all(m.batch_first != told for m in modules):
                reported.add(id(pack.node))
                module = modules[0]
                yield self.report(
                    pack.node,
                    f"`{module.describe()}` is batch_first={module.batch_first}, but the batch it consumes is packed "
                    f"with batch_first={told}{'' if pack.written else ' (the default)'}: pack_padded_sequence "
                    f"then reads the time axis as the batch; pass batch_first={module.batch_first}",
                )

    def _unpacks(self, facts):
        from rnn_lint.facts.packing import Unpack, last_step_axis  # imports libcst: only once a file is parsed

        reported: set[int] = set()
        for indexing in facts.indexings:
            unpack = indexing.tensor.padding
            if not isinstance(unpack, Unpack) or id(unpack.node) in reported:
                continue
            axis = last_step_axis(indexing)
            axes = indexing.tensor.axes
            if axis is None or axes is None or len(axes) < 2:
                continue
            told, packed_as = unpack.batch_first, unpack.packed_as
            if not unpack.disagrees:
                continue
            raw = ("B", "T") if told else ("T", "B")
            if (axes[0].label, axes[1].label) != raw or axes[axis].label != "B":
                continue  # transposed since, or a read of the time axis
            reported.add(id(unpack.node))
            read = "[-1]" if axis == 0 else "[:, -1]"
            yield self.report(
                unpack.node,
                f"pad_packed_sequence(batch_first={told}) gives {_layout(told)}, but the sequence was packed "
                f"batch_first={packed_as} and the result is read as {read} (the last step in that layout, the last "
                f"sample in this one); pass batch_first={packed_as}",
            )
