"""The spellings of real model code that the analysis recognises: names that mean a batch size,
parameter names, the functions that create tensors or initialise them, and the tests on parameter
names and shapes that real initialisation loops use."""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from rnn_lint import contract
from rnn_lint.facts.imports import ImportTable
from rnn_lint.facts.model import Construction, directions_of
from rnn_lint.facts.values import Opaque, Sym

#: Variables and attributes named like a batch size. Used only when the value itself says nothing.
BATCH_NAMES = frozenset(
    {"batch_size", "batch", "bsz", "bs", "B", "batchsize", "batch_sz", "n_batch", "nbatch", "batch_len"}
)
#: ``len(lengths)``/``lengths.size(0)`` is the batch size.
LENGTHS_NAME = re.compile(r"(^|_)(lengths?|lens|seq_lens?|seq_lengths?)$|lengths$", re.I)
#: The text of ``eval("self.lstm.bias_ih_l" + str(k))``: the owner's expression, then the name.
EVAL_PARAMETER = re.compile(r"^\s*([A-Za-z_][\w.]*)\.((?:bias|weight)_(?:ih|hh|hr)\w*)")
#: Attribute names of recurrent parameters, on any object.
PARAM_ATTRIBUTE = re.compile(r"^(bias|weight)_(ih|hh|hr)(_l\d+)?(_reverse)?$")

CONFIG_ATTRIBUTES = frozenset(contract.parameter_names("LSTM") + contract.parameter_names("RNN"))
TORCH_CREATION = frozenset({"torch.zeros", "torch.ones", "torch.randn", "torch.rand", "torch.empty", "torch.full"})
TORCH_LIKE = frozenset(
    {"torch.zeros_like", "torch.ones_like", "torch.randn_like", "torch.rand_like", "torch.empty_like"}
)
CREATION_METHODS = frozenset({"new_zeros", "new_ones", "new_empty", "new_full", "new"})
PASS_THROUGH_FUNCTIONS = frozenset({"torch.autograd.Variable", "torch.nn.Parameter", "torch.nn.parameter.Parameter"})
RANDOM_INIT_METHODS = frozenset(
    {
        "uniform_",
        "normal_",
        "orthogonal_",
        "xavier_uniform_",
        "xavier_normal_",
        "kaiming_uniform_",
        "kaiming_normal_",
        "random_",
        "bernoulli_",
    }
)
MODULE_RETURNS_SELF = frozenset(
    {"to", "cuda", "cpu", "train", "eval", "float", "double", "half", "requires_grad_", "type", "bfloat16"}
)
HARMLESS_BUILTINS = frozenset(
    {
        "isinstance",
        "issubclass",
        "hasattr",
        "callable",
        "print",
        "repr",
        "str",
        "id",
        "type",
        "super",
        "setattr",
        "delattr",
        "vars",
        "dir",
        "hash",
        "format",
        "sum",
        "any",
        "all",
        "max",
        "min",
        "abs",
        "round",
        "dict",
        "set",
        "frozenset",
        "map",
        "open",
        "bool",
        "hex",
        "divmod",
        "pow",
        "getattr",
    }
)
PROVENANCE_FUNCTIONS = re.compile(
    r"^torch\.(nn\.functional\.)?(dropout|relu|tanh|sigmoid|gelu|elu|leaky_relu|layer_norm|embedding|pad)$"
)
#: Calls that load trained weights into a model: its initialisation then does not matter.
WEIGHT_LOADING_METHODS = frozenset({"load_state_dict", "from_pretrained", "load_from_checkpoint"})
MODULE_BASES = ("torch.nn.", "pytorch_lightning.", "lightning.")


def batch_hint(expression: cst.BaseExpression) -> bool:
    if isinstance(expression, cst.Name):
        return expression.value in BATCH_NAMES
    if isinstance(expression, cst.Attribute):
        return expression.attr.value in BATCH_NAMES
    return False


def param_kind(attr: str) -> str | None:
    return "bias" if attr.startswith("bias") else "weight" if attr.startswith("weight") else None


def attribute_link(candidates: tuple[Construction, ...], attr: str) -> str:
    """Every ``self.lstm.bias_ih_l0`` of one module is the same tensor: give them one identity."""
    return ":".join([attr, *(str(id(c)) for c in candidates)])


def provenance_source(node: cst.BaseExpression, imports: ImportTable) -> str | None:
    """For ``x = self.embedding(tokens)`` (a call that keeps the batch axis where it was), the
    name it was computed from: ``tokens``."""
    if not isinstance(node, cst.Call) or not node.args or node.args[0].keyword is not None:
        return None
    first = node.args[0].value
    if not isinstance(first, cst.Name):
        return None
    func = node.func
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
        return first.value
    qualified = imports.qualify(func)
    if qualified is not None and PROVENANCE_FUNCTIONS.match(qualified):
        return first.value
    return None


def name_test(test: cst.BaseExpression) -> tuple[str, str, bool] | None:
    """``'bias' in name`` / ``name.startswith('weight')`` / ``'bias' not in name``:
    (variable, "bias"|"weight", positive). A dotted text is read by its last part, which is what
    a parameter's name ends with: ``'.u.weight' in name``, ``'rnn.bias' in name``."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comparison = test.comparisons[0]
        if isinstance(test.left, cst.SimpleString) and isinstance(comparison.comparator, cst.Name):
            text = test.left.evaluated_value
            last = text.rsplit(".", 1)[-1] if isinstance(text, str) else ""
            kind = "bias" if last.startswith("bias") else "weight" if last.startswith("weight") else None
            if kind is not None and isinstance(comparison.operator, (cst.In, cst.NotIn)):
                return comparison.comparator.value, kind, isinstance(comparison.operator, cst.In)
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute) and test.func.attr.value == "startswith":
        if isinstance(test.func.value, cst.Name) and test.args and isinstance(test.args[0].value, cst.SimpleString):
            text = test.args[0].value.evaluated_value
            if isinstance(text, str) and text.startswith(("bias", "weight")):
                return test.func.value.value, "bias" if text.startswith("bias") else "weight", True
    return None


def name_test_kind(test: cst.BaseExpression) -> tuple[str, bool] | None:
    found = name_test(test)
    return (found[1], found[2]) if found else None


def dimension_test(test: cst.BaseExpression) -> tuple[str, str] | None:
    """``p.dim() == 1``/``len(p.shape) == 1`` (a bias) or ``p.dim() > 1``/``>= 2`` (a weight)."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    left, comparison = test.left, test.comparisons[0]
    name = None
    if (
        isinstance(left, cst.Call)
        and isinstance(left.func, cst.Attribute)
        and left.func.attr.value in ("dim", "ndimension")
    ):
        if isinstance(left.func.value, cst.Name):
            name = left.func.value.value
    elif isinstance(left, cst.Attribute) and left.attr.value == "ndim" and isinstance(left.value, cst.Name):
        name = left.value.value
    elif isinstance(left, cst.Call) and isinstance(left.func, cst.Name) and left.func.value == "len" and left.args:
        inner = left.args[0].value
        if isinstance(inner, cst.Attribute) and inner.attr.value == "shape" and isinstance(inner.value, cst.Name):
            name = inner.value.value
    if name is None or not isinstance(comparison.comparator, cst.Integer):
        return None
    number = int(comparison.comparator.evaluated_value)
    operator = comparison.operator
    if (isinstance(operator, cst.Equal) and number == 1) or (isinstance(operator, cst.LessThan) and number == 2):
        return name, "bias"
    if (isinstance(operator, (cst.GreaterThan,)) and number == 1) or (
        isinstance(operator, cst.GreaterThanEqual) and number == 2
    ):
        return name, "weight"
    return None


def directions_pattern(node: cst.BinaryOperation, left: Any, right: Any) -> Sym | None:
    """``int(bidirectional) + 1`` and ``1 + bidirectional``: the number of directions."""
    if not isinstance(node.operator, cst.Add):
        return None
    for value, other in ((left, right), (right, left)):
        if other == Sym.number(1) and isinstance(value, Opaque) and not value.key.startswith("fstring:"):
            return directions_of(value)
    return None


def reads_gradient(node: cst.CSTNode) -> bool:
    """Whether ``node`` reads a ``.grad``: ``p.data.add_(p.grad.data, alpha=-lr)`` and
    ``p.data -= lr * p.grad`` are an optimiser's step (word_language_model's, sru's), not an
    initialisation. (A walk by hand: importing libcst.matchers costs 0.2 s.)"""
    pending: list[cst.CSTNode] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, cst.Attribute) and current.attr.value == "grad":
            return True
        pending.extend(current.children)
    return False
