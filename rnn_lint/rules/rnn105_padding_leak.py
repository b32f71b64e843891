from rnn_lint.rule import RECURRENT_CODE, Rule


class PaddingLeak(Rule):
    """
    ## What it does
    Flags the last time step of a padded batch used as the sequence summary: `out[:, -1]`
    (batch-first) or `out[-1]` (seq-first) of what `pad_packed_sequence` returned, or of a
    recurrent module run on a batch that the same function also holds sequence lengths for
    (a parameter or variable named `lengths`, `text_lengths`, `src_lens` …) without packing it.

    It stays silent on `h_n` of a packed run, on a gather at `lengths - 1`, on pooling over time,
    when the file says its batches are left-padded (`padding_side="left"`, Keras'
    `pad_sequences` with its default `padding="pre"`), when the lengths may be `None` (a
    parameter that defaults to `None`), and on bidirectional modules, where the same read is
    RNN104 (bidirectional-summary) and fixing that (`h_n` of a packed run) fixes both.

    ## Why is this bad?
    In a right-padded batch every sequence shorter than the longest ends in padding. After
    `pad_packed_sequence` the padded steps are zeros, so `out[:, -1]` is a zero vector for
    every short sequence; without packing the module has run over the padding, so the last step
    is the state after reading pad tokens. Either way the summary of a sequence depends on how
    long the *other* sequences in its batch are: the model trains, and its accuracy quietly
    depends on batch composition.

    How it differs from its neighbours: RNN107 flags `out[-1]` on a batch-first output (the last
    *sample*, a layout mistake); RNN105 flags the last step read on the right axis of a batch
    whose sequences end at different steps. RNN109 flags a `pad_packed_sequence` told the other
    layout.

    ## Example
    ```python
    import torch.nn as nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(32, 64, batch_first=True)
            self.fc = nn.Linear(64, 2)

        def forward(self, x, lengths):
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, _ = self.gru(packed)
            out, _ = pad_packed_sequence(out, batch_first=True)
            return self.fc(out[:, -1])
    ```

    ## Use instead
    ```python
    import torch.nn as nn
    from torch.nn.utils.rnn import pack_padded_sequence

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(32, 64, batch_first=True)
            self.fc = nn.Linear(64, 2)

        def forward(self, x, lengths):
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            _, h_n = self.gru(packed)
            return self.fc(h_n[-1])
    ```
    Or gather each sequence's own last step:
    `out[torch.arange(out.size(0)), lengths - 1]`.
    """

    code = "RNN105"
    name = "padding-leak"
    pattern = RECURRENT_CODE
    message = "the last time step of a padded batch used as the summary: read h_n of a packed run, or gather"

    def check(self, facts):
        from rnn_lint.facts.packing import LengthsKnown, Unpack, last_step_axis, says_left_padded  # loads libcst

        # the text the file was read from: regenerating it from the tree costs a codegen pass
        if says_left_padded(facts.source if facts.source is not None else facts.module.code):
            return
        reported: set[int] = set()
        for indexing in facts.indexings:
            tensor = indexing.tensor
            padding = tensor.padding
            if tensor.role != "output" or padding is None or tensor.axes is None:
                continue
            axis = last_step_axis(indexing)
            if axis is None or axis >= len(tensor.axes) or tensor.axes[axis].label != "T":
                continue
            module = tensor.module
            if module is None or module.by_default("bidirectional") is True:
                continue  # the same read is RNN104 on a bidirectional module
            if id(indexing.node) in reported:
                continue
            reported.add(id(indexing.node))
            read = "[-1]" if axis == 0 else "[:, -1]"
            if isinstance(padding, Unpack):
                why = "the output of pad_packed_sequence, where every shorter sequence ends in zeros"
            elif isinstance(padding, LengthsKnown):
                why = (
                    f"`{module.describe()}` ran over a padded batch (this function has `{padding.name}`) "
                    "without packing it"
                )
            else:
                continue
            yield self.report(
                indexing.node,
                f"{read} is the last step of a padded batch, {why}: each short sequence's summary is padding; "
                f"pack the batch and read h_n, or gather at lengths - 1",
            )
