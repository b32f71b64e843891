from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from rnn_lint.facts.values import MINUS_ONE, TorchLayer
from rnn_lint.rule import RECURRENT_CODE, NodeEdit, Rule, SuggestedFix

if TYPE_CHECKING:  # libcst is loaded only once a file is parsed
    import libcst as cst

    from rnn_lint.facts.model import Construction, FileFacts, Indexing


@cache
def _neutral() -> frozenset[str]:
    """Methods that neither split nor combine a tensor's features: a summary passed through them
    is still the summary (``h_n.detach()``, ``out[:, -1].unsqueeze(1)``), and sizes only read it.
    (Imported here: the facts' tensor module loads libcst, which a run that parses nothing skips.)"""
    from rnn_lint.facts.tensors import SAME_LAYOUT

    return SAME_LAYOUT | {"size", "dim", "unsqueeze", "squeeze"}


def bidirectional(facts: FileFacts, module: Construction) -> bool:
    """Certainly bidirectional: ``True`` written, a module constant, or the default of the
    constructor parameter it comes from (``def __init__(self, ..., bidirectional=True)``) when no
    instantiation in the file passes something else."""
    return not module.is_cell and facts.default_holds(module, "bidirectional") is True


def _uses_of(facts: FileFacts, value: Any) -> list:
    return [use for use in facts.uses if use.value is value]


def _only_passed_on(facts: FileFacts, value: Any, but: Indexing | None = None) -> bool:
    """Nothing reads ``value`` but ``but`` and neutral methods: no other indexing (``h_n[-2]``,
    ``out[0, :, H:]``), no view, no other call or return that may combine it with something.
    For ``out.transpose(0, 1)[:, -1]``, the module's output too: read by that one reordering
    only."""
    if any(i.tensor is value and i is not but and i.node is not (but.node if but else None) for i in facts.indexings):
        return False
    if any(reshape.tensor is value for reshape in facts.reshapes):
        return False
    if not all(use.how == "through" or use.method in _neutral() for use in _uses_of(facts, value)):
        return False
    source = getattr(value, "reordered_from", None)
    if source is None:
        return True
    from rnn_lint.facts.tensors import REORDERS

    if any(i.tensor is source for i in facts.indexings) or any(r.tensor is source for r in facts.reshapes):
        return False
    uses = _uses_of(facts, source)
    reorders = [use for use in uses if use.method in REORDERS]
    return len(reorders) == 1 and all(
        use in reorders or use.how == "through" or use.method in _neutral() for use in uses
    )


def _fed_on_whole(facts: FileFacts, result: Any) -> bool:
    """The indexed summary is used as it is: not split into feature halves or reshaped."""
    if any(i.tensor is result for i in facts.indexings) or any(r.tensor is result for r in facts.reshapes):
        return False
    return all(
        use.how in ("argument", "through", "return") or use.method in _neutral() for use in _uses_of(facts, result)
    )


def _call_of(facts: FileFacts, tensor: Any, position: int) -> Any:
    """The module call that returned ``tensor`` as its result ``position`` (0 output, 1 h_n)."""
    return next(
        (call for call in facts.calls if len(call.results) > position and call.results[position] is tensor), None
    )


def _whole_output(facts: FileFacts, tensor: Any) -> bool:
    """The module call's output, or the padded output ``pad_packed_sequence`` made of it — or
    either with its axes reordered (``out.transpose(0, 1)``, ``out.permute(1, 0, 2)``)."""
    source = tensor.reordered_from if tensor.reordered_from is not None else tensor
    return _call_of(facts, source, 0) is not None or _unpacked(source)


def _unpacked(tensor: Any) -> bool:
    from rnn_lint.facts.packing import Unpack  # loads libcst

    return isinstance(tensor.padding, Unpack)


def _last_layer_backward(indexing: Indexing) -> bool:
    """``h_n[-1]``, ``h_n[-1, :, :]``: the last row of the first axis, every batch and feature."""
    items = indexing.items
    return items[0] == ("int", MINUS_ONE) and all(item == ("full",) for item in items[1:])


def _last_step(facts: FileFacts, indexing: Indexing) -> bool:
    """``out[-1]`` seq-first, ``out[:, -1]`` batch-first, or a gather at ``lengths - 1`` (or at
    ``n - 1`` in a loop over the lengths) on the time axis, whatever rows it takes on the batch
    axis (``out[rows, lengths - 1]``, ``out[lengths - 1, rows]``); the features axis whole."""
    labels = [axis.label for axis in indexing.tensor.axes]
    if sorted(labels) != ["B", "DH", "T"] or labels[-1] != "DH":
        return False
    time, features = labels.index("T"), labels.index("DH")
    items = indexing.items
    if len(items) <= time or (len(items) > features and items[features] != ("full",)):
        return False
    if items[time] == ("int", MINUS_ONE):
        return all(item == ("full",) for axis, item in enumerate(items) if axis != time)
    if items[time] != ("other",):
        return False
    part = indexing.node.slice[time].slice
    return (
        _lengths_minus_one(part)
        or _length_in_loop_minus_one(facts, part, indexing.node)
        or _bound_to_lengths_minus_one(facts, part, indexing.node)
    )


def _bound_to_lengths_minus_one(facts: FileFacts, part: Any, node: Any) -> bool:
    """A name its function binds once, to ``lengths - 1``: ``last = lengths - 1`` then
    ``out[rows, last]``."""
    import libcst as cst

    if not (isinstance(part, cst.Index) and isinstance(part.value, cst.Name)):
        return False
    name = part.value.value
    return any(name in names and id(node) in inside for names, inside in _scopes(facts.module).bound)


@dataclass
class _Scopes:
    """What RNN104 reads of a whole file, found once per parsed file (``_scopes``)."""

    #: the loops over lengths: the names each binds, and the ids of the subscripts in its body
    loops: list[tuple[set[str], set[int]]]
    #: per function: the names it binds once to ``lengths - 1``, and the ids of its subscripts
    bound: list[tuple[set[str], set[int]]]


_SCOPES: dict[int, tuple[Any, _Scopes]] = {}


def _scopes(module: cst.Module) -> _Scopes:
    known = _SCOPES.get(id(module))
    if known is not None and known[0] is module:
        return known[1]
    found = _Scopes(_loops_over_lengths(module), _lengths_minus_one_names(module))
    _SCOPES.clear()  # one file at a time: keep the last one's only
    _SCOPES[id(module)] = (module, found)
    return found


def _lengths_minus_one_names(module: cst.Module) -> list[tuple[set[str], set[int]]]:
    """Per function of the file: the names it binds exactly once, by ``name = lengths - 1``,
    and the ids of the subscripts in its body."""
    import libcst as cst

    from rnn_lint.facts.carried_states import names_in_target

    class Bindings(cst.CSTVisitor):
        def __init__(self, top: cst.FunctionDef) -> None:
            self.top = top
            self.subscripts: set[int] = set()
            self.bound: dict[str, int] = {}  # name → how many times the function binds it
            self.to_last: set[str] = set()

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is self.top  # a nested function is a function of its own

        def visit_Subscript(self, node: cst.Subscript) -> None:
            self.subscripts.add(id(node))

        def visit_Assign(self, node: cst.Assign) -> None:
            if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
                name = node.targets[0].target.value
                if _same_values(node.value, name):
                    return  # last = last.cuda(): still lengths - 1
                if _lengths_minus_one(cst.Index(node.value)):
                    self.to_last.add(name)
            for target in node.targets:
                for name in names_in_target(target.target):
                    self.bound[name] = self.bound.get(name, 0) + 1

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            for name in names_in_target(node.target):
                self.bound[name] = self.bound.get(name, 0) + 2  # never once

        def visit_For(self, node: cst.For) -> None:
            for name in names_in_target(node.target):
                self.bound[name] = self.bound.get(name, 0) + 2

    class Functions(cst.CSTVisitor):
        def __init__(self) -> None:
            self.found: list[tuple[set[str], set[int]]] = []

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            bindings = Bindings(node)
            node.visit(bindings)
            once = {name for name in bindings.to_last if bindings.bound.get(name) == 1}
            if once:
                self.found.append((once, bindings.subscripts))

    functions = Functions()
    module.visit(functions)
    return functions.found


def _length_in_loop_minus_one(facts: FileFacts, part: Any, node: Any) -> bool:
    """``n - 1`` where ``n`` is the target of a loop over lengths that holds ``node``:
    ``for i, n in enumerate(lengths): summary[i] = out[i, n - 1]``."""
    import libcst as cst

    left = _minus_one(part.value) if isinstance(part, cst.Index) else None
    if not isinstance(left, cst.Name):
        return False
    return any(left.value in targets and id(node) in inside for targets, inside in _scopes(facts.module).loops)


def _loops_over_lengths(module: cst.Module) -> list[tuple[set[str], set[int]]]:
    """The file's ``for`` loops over lengths (``for n in lengths``, ``enumerate(lengths)``,
    ``zip(words, lengths)``, ``lengths.tolist()``): the names each binds, and the ids of the
    subscripts in its body."""
    import libcst as cst

    from rnn_lint.facts.carried_states import names_in_target

    def iterates_lengths(node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("enumerate", "zip"):
            return any(_names_lengths(arg.value) for arg in node.args)
        return _names_lengths(node)

    class Loops(cst.CSTVisitor):
        def __init__(self) -> None:
            self.found: list[tuple[set[str], set[int]]] = []

        def visit_For(self, node: cst.For) -> None:
            if not iterates_lengths(node.iter):
                return
            targets = set(names_in_target(node.target))
            subscripts = _Subscripts()
            node.body.visit(subscripts)
            self.found.append((targets, subscripts.ids))

    class _Subscripts(cst.CSTVisitor):
        def __init__(self) -> None:
            self.ids: set[int] = set()

        def visit_Subscript(self, node: cst.Subscript) -> None:
            self.ids.add(id(node))

    loops = Loops()
    module.visit(loops)
    return loops.found


def _time_axis(indexing: Indexing) -> int:
    return [axis.label for axis in indexing.tensor.axes].index("T")


#: Methods that give the same values on another device or in another integer type.
_SAME_VALUES = frozenset({"cuda", "cpu", "to", "long", "int", "contiguous", "detach"})


def _same_values(value: Any, name: str) -> bool:
    """``name.cuda()``, ``name.to(device)``, ``name.long()``: ``name``'s values, moved."""
    import libcst as cst

    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value in _SAME_VALUES
        and isinstance(value.func.value, cst.Name)
        and value.func.value.value == name
    )


def _lengths_minus_one(part: Any) -> bool:
    """``lengths - 1`` or ``lengths.sub(1)`` (``lengths.long() - 1``, ``batch.lengths - 1`` …)."""
    import libcst as cst

    if not isinstance(part, cst.Index):
        return False
    value = part.value
    left = value.func.value if _sub_one(value) else _minus_one(value)
    return left is not None and _names_lengths(left)


def _minus_one(value: Any) -> Any:
    """``x`` of ``x - 1``, else None."""
    import libcst as cst

    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Subtract):
        if isinstance(value.right, cst.Integer) and value.right.value == "1":
            return value.left
    return None


def _names_lengths(node: Any) -> bool:
    """A lengths tensor: ``lengths``, ``self.lengths``, ``batch.lengths``, ``lengths.long()``,
    ``lengths.tolist()``."""
    import libcst as cst

    from rnn_lint.facts.idioms import LENGTHS_NAME

    while isinstance(node, (cst.Call, cst.Attribute)):
        if isinstance(node, cst.Attribute) and LENGTHS_NAME.search(node.attr.value):
            return True
        node = node.func if isinstance(node, cst.Call) else node.value
    return isinstance(node, cst.Name) and LENGTHS_NAME.search(node.value) is not None


def _sub_one(value: Any) -> bool:
    """``x.sub(1)``."""
    import libcst as cst

    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value == "sub"
        and len(value.args) == 1
        and value.args[0].keyword is None
        and isinstance(value.args[0].value, cst.Integer)
        and value.args[0].value.value == "1"
    )


def _known_to_break(facts: FileFacts, result: Any, module: Construction) -> bool:
    """A consumer sized for one direction: ``nn.Linear(hidden, ...)`` (alone or first in an
    ``nn.Sequential``) fed the summary, directly or through dropout or an activation."""
    for use in _uses_of(facts, result):
        layer = use.callee
        if isinstance(layer, TorchLayer) and layer.kind == "Linear" and layer.in_features == module.hidden_out:
            return True
    return False


def _torch_name(facts: FileFacts) -> str | None:
    return next((name for name, path in facts.imports.names.items() if path == "torch"), None)


def cat_both_directions(module: cst.Module, node: cst.Subscript, torch: str) -> NodeEdit | None:
    """``h_n[-1]`` → ``torch.cat((h_n[-2], h_n[-1]), dim=-1)``, for a plain ``h_n`` or
    ``self.h_n`` written on one line."""
    import libcst as cst

    base = node.value
    simple = isinstance(base, cst.Name) or (isinstance(base, cst.Attribute) and isinstance(base.value, cst.Name))
    text = module.code_for_node(node)
    if not simple or node.lpar or "\n" in text or "#" in text:
        return None
    name = module.code_for_node(base)
    rest = ", ".join(module.code_for_node(element.slice) for element in node.slice[1:])
    rest = f", {rest}" if rest else ""
    return NodeEdit(node, f"{torch}.cat(({name}[-2{rest}], {name}[-1{rest}]), dim=-1)")


class BidirectionalSummary(Rule):
    """
    ## What it does
    On a bidirectional `nn.RNN`/`nn.LSTM`/`nn.GRU` (`bidirectional=True` written, a module
    constant, or the default of the constructor parameter it comes from when no instantiation in
    the file passes another value), flags a sequence summary read from one direction only:

    * `h_n[-1]` alone: the top layer's *backward* final state;
    * the output's last time step used whole — `out[-1]` (seq-first), `out[:, -1]`
      (batch-first), or a gather at `lengths - 1` (written there, or in a name the function binds
      once to it) — as the summary: its backward half has seen only the last step. The same
      holds of the output `pad_packed_sequence` gives back after a packed run (where `[:, -1]` is
      moreover zeros for every shorter sequence), and of either with its axes reordered first
      (`out.transpose(0, 1)[:, -1]`, `out = out.permute(1, 0, 2)` then `out[-1]`) when that
      reordering is all that reads the output.

    The last index may be spelled out: `h_n[h_n.size(0) - 1]`, `out[out.shape[0] - 1]`,
    `out[:, out.size(1) - 1]`, `out[len(out) - 1]` read what `[-1]` reads.

    ## Why is this bad?
    `h_n` is `(num_layers * num_directions, B, H)`, layer-major: for a bidirectional module
    `h_n[-2]` is the top layer's forward state and `h_n[-1]` its backward one. The backward
    direction reads the sequence from the end, so its final state sits at step 0 of the output,
    not at the last step: `out[-1, :, H:]` is the backward direction after one step. A model
    summarised by `h_n[-1]` or `out[-1]` trains, but on half (or less) of what the
    bidirectional layer computed, and nothing fails to say so.

    This is not RNN101: RNN101 flags a *split* of `h_n` or of the output in the wrong order
    (`h_n.view(num_directions, num_layers, ...)`), whatever is read afterwards. RNN104 flags
    *reading* one direction where both were meant; a view in the right order followed by
    `[-1]` reads the top layer's both directions and is left alone.

    ## Example
    ```python
    import torch.nn as nn

    class Classifier(nn.Module):
        def __init__(self, hidden=128):
            super().__init__()
            self.lstm = nn.LSTM(100, hidden, batch_first=True, bidirectional=True)
            self.fc = nn.Linear(2 * hidden, 5)

        def forward(self, x):
            out, (h_n, c_n) = self.lstm(x)
            return self.fc(h_n[-1])
    ```

    ## Use instead
    ```python
    import torch
    import torch.nn as nn

    class Classifier(nn.Module):
        def __init__(self, hidden=128):
            super().__init__()
            self.lstm = nn.LSTM(100, hidden, batch_first=True, bidirectional=True)
            self.fc = nn.Linear(2 * hidden, 5)

        def forward(self, x):
            out, (h_n, c_n) = self.lstm(x)
            return self.fc(torch.cat((h_n[-2], h_n[-1]), dim=-1))
    ```
    From the output: `torch.cat((out[-1, :, :H], out[0, :, H:]), dim=-1)` (seq-first), or pool
    over all steps. Reads of both directions, feature-half splits, pooling, attention over all
    steps, unidirectional modules and modules whose direction is unknown are left alone.

    The fix (`--fix --unsafe-fixes`) rewrites `h_n[-1]` as `torch.cat((h_n[-2], h_n[-1]),
    dim=-1)`, which doubles the summary's size: it is offered only when the summary does not go
    straight into an `nn.Linear` sized for one direction (that layer must change too).
    """

    code = "RNN104"
    name = "bidirectional-summary"
    pattern = RECURRENT_CODE
    message = "a bidirectional module summarised by one direction"
    fix_applicability = "unsafe"

    def check(self, facts):
        verdicts: dict[int, list] = {}
        for indexing in facts.indexings:
            tensor = indexing.tensor
            module = tensor.module
            if module is None or tensor.axes is None or not bidirectional(facts, module):
                continue
            if tensor.role == "h" and _call_of(facts, tensor, 1) is not None and _last_layer_backward(indexing):
                verdicts.setdefault(id(indexing.node), []).append(("h", indexing, self._state_alone(facts, indexing)))
            elif tensor.role == "output" and _whole_output(facts, tensor) and _last_step(facts, indexing):
                alone = _only_passed_on(facts, tensor, indexing) and _fed_on_whole(facts, indexing.result)
                verdicts.setdefault(id(indexing.node), []).append(("output", indexing, alone))
        torch = _torch_name(facts)
        for found in verdicts.values():
            if not all(alone for _, _, alone in found):
                continue  # one run of the code reads both directions: not certain
            kind, indexing, _ = found[0]
            module = indexing.tensor.module
            if kind == "h":
                fix = None
                breaks = any(_known_to_break(facts, i.result, module) for _, i, _ in found)
                edit = cat_both_directions(facts.module, indexing.node, torch) if torch and not breaks else None
                if edit is not None:
                    fix = SuggestedFix("Concatenate both directions of the top layer", "unsafe", (edit,))
                yield self.report(
                    indexing.node,
                    f"`{module.describe()}` is bidirectional: h_n[-1] is only the top layer's backward state; "
                    "use torch.cat((h_n[-2], h_n[-1]), dim=-1) for both directions",
                    fix,
                )
            elif _unpacked(indexing.tensor) and indexing.items[_time_axis(indexing)] == ("int", MINUS_ONE):
                yield self.report(
                    indexing.node,
                    f"`{module.describe()}` is bidirectional: the output's last step holds a backward half that has "
                    "seen one step, and pad_packed_sequence filled it with zeros for every shorter sequence; "
                    "use h_n of the packed run, or gather the forward half at lengths - 1 and take the backward "
                    "half of step 0",
                )
            else:
                yield self.report(
                    indexing.node,
                    f"`{module.describe()}` is bidirectional: the output's last step holds a backward half that has "
                    "seen one step; concatenate the forward half of the last step with the backward half of step 0, "
                    "use h_n, or pool over all steps",
                )

    @staticmethod
    def _state_alone(facts: FileFacts, indexing: Indexing) -> bool:
        """``h_n[-1]`` is all that is read of ``h_n``, and the call's output goes nowhere (an
        output that is pooled or attended over is the summary; h_n[-1] is then only a query)."""
        call = _call_of(facts, indexing.tensor, 1)
        if not _only_passed_on(facts, indexing.tensor, indexing) or not _fed_on_whole(facts, indexing.result):
            return False
        output = call.results[0]
        return not any(i.tensor is output for i in facts.indexings) and _only_passed_on(facts, output)
