"""Build a file's facts by interpreting it abstractly, one function at a time.

The interpreter walks statements in order with an environment of abstract values (values.py):
assignments bind, branches are walked both ways and merged (a variable that differs between
paths becomes unknown), loops once. Calls to functions and methods defined in the same file are
inlined with the caller's arguments (a few levels deep), so ``h0 = self.init_hidden(B)`` and an
``init_forget_bias(self.lstm)`` helper are followed. Everything the rules need is recorded in
``FileFacts`` as it is met.

Order of work: declarations (imports, classes, functions, module constants); every class's
``__init__`` (which builds the modules and the attribute table that ``self.x`` reads); the module's
own statements; then every function and method not yet reached by inlining.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import libcst as cst

from rnn_lint import contract
from rnn_lint.facts import tensors
from rnn_lint.facts.imports import ImportTable, dotted
from rnn_lint.facts.model import (
    ClassInfo,
    Construction,
    FileFacts,
    Indexing,
    ModuleCall,
    ParamWrite,
    Reshape,
    as_sym,
    directions_of,
    plain,
)
from rnn_lint.facts.values import (
    BATCH,
    RANDOM,
    TIME,
    UNKNOWN,
    AnyRecurrent,
    Axis,
    ClassRef,
    Const,
    FloatNumber,
    FunctionRef,
    ImportRef,
    Instance,
    Iterable,
    ListValue,
    ModuleRef,
    Opaque,
    Owner,
    PackedSequence,
    Param,
    ParamName,
    ParamSlice,
    Size,
    Sym,
    Tensor,
    TupleValue,
    fresh_symbol,
    merge,
    sequence_items,
)

MAX_INLINE_DEPTH = 4

#: Variables and attributes named like a batch size. Used only when the value itself says nothing.
BATCH_NAMES = frozenset(
    {"batch_size", "batch", "bsz", "bs", "B", "batchsize", "batch_sz", "n_batch", "nbatch", "batch_len"}
)
#: ``len(lengths)``/``lengths.size(0)`` is the batch size.
_LENGTHS_NAME = re.compile(r"(^|_)(lengths?|lens|seq_lens?|seq_lengths?)$|lengths$", re.I)
#: The text of ``eval("self.lstm.bias_ih_l" + str(k))``: the owner's expression, then the name.
_EVAL_PARAMETER = re.compile(r"^\s*([A-Za-z_][\w.]*)\.((?:bias|weight)_(?:ih|hh|hr)\w*)")
#: Attribute names of recurrent parameters, on any object.
_PARAM_ATTRIBUTE = re.compile(r"^(bias|weight)_(ih|hh|hr)(_l\d+)?(_reverse)?$")

_CONFIG_ATTRIBUTES = frozenset(contract.parameter_names("LSTM") + contract.parameter_names("RNN"))
_TORCH_CREATION = frozenset({"torch.zeros", "torch.ones", "torch.randn", "torch.rand", "torch.empty", "torch.full"})
_TORCH_LIKE = frozenset(
    {"torch.zeros_like", "torch.ones_like", "torch.randn_like", "torch.rand_like", "torch.empty_like"}
)
_CREATION_METHODS = frozenset({"new_zeros", "new_ones", "new_empty", "new_full", "new"})
_PASS_THROUGH_FUNCTIONS = frozenset({"torch.autograd.Variable", "torch.nn.Parameter", "torch.nn.parameter.Parameter"})
_RANDOM_INIT_METHODS = frozenset(
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
_MODULE_RETURNS_SELF = frozenset(
    {"to", "cuda", "cpu", "train", "eval", "float", "double", "half", "requires_grad_", "type", "bfloat16"}
)
_HARMLESS_BUILTINS = frozenset(
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
_PROVENANCE_FUNCTIONS = re.compile(
    r"^torch\.(nn\.functional\.)?(dropout|relu|tanh|sigmoid|gelu|elu|leaky_relu|layer_norm|embedding|pad)$"
)
#: Calls that load trained weights into a model: its initialisation then does not matter.
_WEIGHT_LOADING_METHODS = frozenset({"load_state_dict", "from_pretrained", "load_from_checkpoint"})
_MODULE_BASES = ("torch.nn.", "pytorch_lightning.", "lightning.")

_MISSING = object()
_links = itertools.count(1)


@dataclass
class Frame:
    """One executing function (or the module, or a class body): its names and what it returns."""

    key: str
    env: dict[str, Any]
    outer: Frame | None = None
    class_info: ClassInfo | None = None
    self_name: str | None = None
    returns: list[Any] = field(default_factory=list)
    #: name → the name it was computed from by a batch-preserving call (``x = self.embed(tokens)``)
    provenance: dict[str, str] = field(default_factory=dict)
    node: cst.FunctionDef | None = None
    inlined: bool = False

    def lookup(self, name: str) -> Any:
        frame: Frame | None = self
        while frame is not None:
            if name in frame.env:
                return frame.env[name]
            frame = frame.outer
        return _MISSING


class Interpreter:
    def __init__(self, module: cst.Module, path: str = "") -> None:
        self.imports = ImportTable()
        self.facts = FileFacts(module, self.imports, path=path)
        self.module = module
        self.module_frame = Frame("<module>", {})
        self.functions: dict[str, cst.FunctionDef] = {}
        self.analyzed: set[int] = set()
        self.inlined: set[int] = set()
        self.stack: list[int] = []
        self.constructions: dict[int, Construction] = {}
        #: symbols of sizes read off inputs by name, once we know what they are (BATCH / TIME)
        self.size_meaning: dict[str, str] = {}
        #: constructions returned by a function: they escape unless the function is called here
        self.returned: list[tuple[int, Construction]] = []
        self.nested: list[tuple[cst.FunctionDef, Frame, ClassInfo | None]] = []

    # ======================================================================================
    # The order of work
    # ======================================================================================
    def run(self) -> FileFacts:
        self._declare(self.module.body, self.module_frame)
        for info in list(self.facts.classes.values()):
            self._class_body_constants(info)
            init = info.methods.get("__init__")
            if init is not None:
                self._analyze(init, info)
        self._exec_block(self.module.body, self.module_frame)
        for info in list(self.facts.classes.values()):
            for method in info.methods.values():
                if id(method) not in self.analyzed:
                    self._analyze(method, info)
        for function in self.functions.values():
            if id(function) not in self.analyzed:
                self._analyze(function, None)
        while self.nested:
            function, outer, info = self.nested.pop(0)
            if id(function) not in self.analyzed:
                self._analyze(function, info, outer=outer)
        for function_id, construction in self.returned:
            if function_id not in self.inlined:
                self.facts.escaped.add(id(construction))
        return self.facts

    def _declare(self, statements: Sequence[cst.BaseStatement], frame: Frame) -> None:
        """Imports, classes, functions and literal constants, before anything runs."""
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, (cst.Import, cst.ImportFrom)):
                        self.imports.add(small)
                    elif isinstance(small, (cst.Assign, cst.AnnAssign)):
                        targets = small.targets if isinstance(small, cst.Assign) else [small]
                        for target in targets:
                            if isinstance(target.target, cst.Name):
                                self.imports.define(target.target.value)
                                if small.value is not None and _is_literal_expression(small.value):
                                    frame.env[target.target.value] = self._eval(small.value, frame)
            elif isinstance(statement, cst.ClassDef):
                self.imports.define(statement.name.value)
                self._declare_class(statement)
            elif isinstance(statement, cst.FunctionDef):
                self.imports.define(statement.name.value)
                self.functions[statement.name.value] = statement
            elif isinstance(statement, (cst.If, cst.Try, cst.With)):
                for block in _blocks(statement):
                    self._declare(block, frame)

    def _declare_class(self, node: cst.ClassDef) -> ClassInfo:
        methods = {}
        for statement in node.body.body:
            if isinstance(statement, cst.FunctionDef):
                methods[statement.name.value] = statement
        in_file, unknown = [], False
        for base in node.bases:
            if base.keyword is not None:
                continue
            qualified = self.imports.qualify(base.value)
            name = dotted(base.value)
            if qualified is not None and qualified.startswith(_MODULE_BASES):
                continue
            if name is not None and name in self.facts.classes:
                in_file.append(name)
            elif name in ("object", "ABC", "Generic"):
                continue
            else:
                unknown = True
        info = ClassInfo(node.name.value, node, methods, in_file, unknown)
        self.facts.classes[info.name] = info
        return info

    def _class_body_constants(self, info: ClassInfo) -> None:
        frame = Frame(info.name, {}, self.module_frame)
        for statement in info.node.body.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if (
                        isinstance(small, cst.Assign)
                        and len(small.targets) == 1
                        and isinstance(small.targets[0].target, cst.Name)
                    ):
                        if _is_literal_expression(small.value):
                            info.attributes[small.targets[0].target.value] = self._eval(small.value, frame)

    # ======================================================================================
    # Functions
    # ======================================================================================
    def _analyze(self, function: cst.FunctionDef, info: ClassInfo | None, outer: Frame | None = None) -> None:
        """Run a function on its own, its parameters unknown but for their identity."""
        self._call_function(FunctionRef(function, info.name if info else None, outer=outer), None, {}, standalone=True)

    def _call_function(
        self,
        ref: FunctionRef,
        args: list[Any] | None,
        kwargs: dict[str, Any],
        standalone: bool = False,
        caller: Frame | None = None,
    ) -> Any:
        function: cst.FunctionDef = ref.node
        if id(function) in self.stack or len(self.stack) >= MAX_INLINE_DEPTH:
            return UNKNOWN
        info = self.facts.classes.get(ref.class_name) if ref.class_name else None
        key = f"{ref.class_name}.{function.name.value}" if ref.class_name else function.name.value
        frame = Frame(key, {}, ref.outer or self.module_frame, info, node=function, inlined=not standalone)
        decorators = {dotted(d.decorator) or "" for d in function.decorators}
        is_method = info is not None and "staticmethod" not in decorators
        self._bind_parameters(
            function, frame, info if is_method else None, "classmethod" in decorators, ref.bound, args, kwargs
        )
        # self.reset_parameters() from __init__: the method sees (and may set) the attributes the
        # caller has assigned so far, which are not in the class table until the caller finishes
        shares_self = (
            caller is not None and caller.self_name is not None and ref.bound == caller.env.get(caller.self_name)
        )
        if shares_self:
            frame.env.update({key: value for key, value in caller.env.items() if key.startswith("self.")})
        self.analyzed.add(id(function))
        if not standalone:
            self.inlined.add(id(function))
        self.stack.append(id(function))
        try:
            self._exec_block(_body(function), frame)
        finally:
            self.stack.pop()
        if shares_self:
            caller.env.update({key: value for key, value in frame.env.items() if key.startswith("self.")})
        if info is not None:
            self._commit_attributes(frame, info)
        if standalone:
            for value in frame.returns:
                for construction in _constructions_in(value):
                    self.returned.append((id(function), construction))
            return UNKNOWN
        if not frame.returns:
            return Const(None)
        result = frame.returns[0]
        for value in frame.returns[1:]:
            result = merge(result, value)
        return result

    def _bind_parameters(
        self,
        function: cst.FunctionDef,
        frame: Frame,
        info: ClassInfo | None,
        is_classmethod: bool,
        bound: Any,
        args: list[Any] | None,
        kwargs: dict[str, Any],
    ) -> None:
        params = function.params
        positional = list(params.posonly_params) + list(params.params)
        remaining = list(args) if args is not None else None
        for index, param in enumerate(positional):
            name = param.name.value
            if index == 0 and info is not None:
                frame.self_name = None if is_classmethod else name
                frame.env[name] = UNKNOWN if is_classmethod else (bound if bound is not None else Instance(info.name))
                continue
            frame.env[name] = self._argument(frame, param, remaining, kwargs)
        for param in params.kwonly_params:
            frame.env[param.name.value] = self._argument(frame, param, None if args is None else [], kwargs)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                frame.env[star.name.value] = UNKNOWN

    def _argument(self, frame: Frame, param: cst.Param, remaining: list[Any] | None, kwargs: dict[str, Any]) -> Any:
        name = param.name.value
        if remaining is None:  # standalone: known by identity only
            if name in BATCH_NAMES:
                return Sym.of(BATCH)
            default = plain(self._eval(param.default, self.module_frame)) if param.default is not None else None
            return Opaque(f"{frame.key}:{name}", None if default is contract.UNKNOWN else default)
        if remaining:
            return remaining.pop(0)
        if name in kwargs:
            return kwargs[name]
        if param.default is not None:
            return self._eval(param.default, self.module_frame)
        return UNKNOWN

    def _commit_attributes(self, frame: Frame, info: ClassInfo) -> None:
        for key, value in frame.env.items():
            if key.startswith("self."):
                name = key[5:]
                info.attributes[name] = merge(info.attributes[name], value) if name in info.attributes else value

    # ======================================================================================
    # Statements
    # ======================================================================================
    def _exec_block(self, statements: Sequence[cst.CSTNode], frame: Frame) -> bool:
        """Run statements in order. Returns True when the block certainly leaves the function
        (return/raise), so the caller can ignore this path's bindings."""
        for statement in statements:
            if self._exec_statement(statement, frame):
                return True
        return False

    def _exec_statement(self, statement: cst.CSTNode, frame: Frame) -> bool:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if self._exec_small(small, frame):
                    return True
            return False
        if isinstance(statement, cst.If):
            return self._exec_if(statement, frame)
        if isinstance(statement, (cst.For, cst.While)):
            self._exec_loop(statement, frame)
            return False
        if isinstance(statement, cst.Try):
            self._exec_try(statement, frame)
            return False
        if isinstance(statement, cst.With):
            for item in statement.items:
                value = self._eval(item.item, frame)
                if item.asname is not None:
                    self._assign(item.asname.name, UNKNOWN if not isinstance(value, Param) else value, frame)
            return self._exec_block(_body(statement), frame)
        if isinstance(statement, cst.FunctionDef):
            if frame is not self.module_frame:
                frame.env[statement.name.value] = FunctionRef(statement, None, outer=frame)
                self.nested.append((statement, frame, None))
            return False
        if isinstance(statement, cst.ClassDef):
            if frame is not self.module_frame and statement.name.value not in self.facts.classes:
                info = self._declare_class(statement)
                init = info.methods.get("__init__")
                if init is not None:
                    self._analyze(init, info)
            return False
        if isinstance(statement, cst.Match):
            self._eval(statement.subject, frame)
            self._exec_branches(
                [case.body.body if hasattr(case.body, "body") else [] for case in statement.cases], frame
            )
            return False
        return False

    def _exec_small(self, small: cst.BaseSmallStatement, frame: Frame) -> bool:
        if isinstance(small, cst.Expr):
            self._eval(small.value, frame)
        elif isinstance(small, cst.Assign):
            value = self._eval(small.value, frame)
            for target in small.targets:
                self._assign(target.target, value, frame, small.value)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self._assign(small.target, self._eval(small.value, frame), frame, small.value)
        elif isinstance(small, cst.AugAssign):
            self._exec_augmented(small, frame)
        elif isinstance(small, cst.Return):
            frame.returns.append(self._eval(small.value, frame) if small.value is not None else Const(None))
            return True
        elif isinstance(small, cst.Raise):
            if small.exc is not None:
                self._eval(small.exc, frame)
            return True
        elif isinstance(small, (cst.Import, cst.ImportFrom)):
            self.imports.add(small)
        elif isinstance(small, cst.Assert):
            self._eval(small.test, frame)
        elif isinstance(small, cst.Del):
            pass
        return False

    def _exec_if(self, statement: cst.If, frame: Frame) -> bool:
        test = self._eval(statement.test, frame)
        when_true, when_false = self._refinements(statement.test, frame)
        if isinstance(test, Const) and isinstance(test.value, (bool, int, type(None))):
            taken = bool(test.value)
            frame.env.update(when_true if taken else when_false)
            if taken:
                return self._exec_block(_body(statement), frame)
            return self._exec_else(statement.orelse, frame)
        before = dict(frame.env)
        frame.env.update(when_true)
        leaves_true = self._exec_block(_body(statement), frame)
        after_true = frame.env
        frame.env = dict(before)
        frame.env.update(when_false)
        leaves_false = self._exec_else(statement.orelse, frame)
        after_false = frame.env
        if leaves_true and leaves_false:
            frame.env = before
            return True
        if leaves_true:
            frame.env = after_false
        elif leaves_false:
            frame.env = after_true
        else:
            frame.env = self._merge_envs(after_true, after_false, frame)
        return False

    def _exec_else(self, orelse: Any, frame: Frame) -> bool:
        if orelse is None:
            return False
        if isinstance(orelse, cst.If):
            return self._exec_if(orelse, frame)
        return self._exec_block(_body(orelse), frame)

    def _exec_branches(self, blocks: Sequence[Sequence[cst.CSTNode]], frame: Frame) -> None:
        before = dict(frame.env)
        result = dict(before)
        for block in blocks:
            frame.env = dict(before)
            if not self._exec_block(block, frame):
                result = self._merge_envs(result, frame.env, frame)
        frame.env = result

    def _exec_loop(self, statement: cst.For | cst.While, frame: Frame) -> None:
        before = dict(frame.env)
        if isinstance(statement, cst.For):
            iterable = self._eval(statement.iter, frame)
            self._assign(statement.target, _element_of(iterable), frame)
        else:
            self._eval(statement.test, frame)
        self._exec_block(_body(statement), frame)
        frame.env = self._merge_envs(before, frame.env, frame)
        if statement.orelse is not None:
            self._exec_block(_body(statement.orelse), frame)

    def _exec_try(self, statement: cst.Try, frame: Frame) -> None:
        self._exec_block(_body(statement), frame)
        blocks = [_body(handler) for handler in statement.handlers]
        if statement.orelse is not None:
            blocks.append(_body(statement.orelse))
        if blocks:
            self._exec_branches([[]] + blocks, frame)
        if statement.finalbody is not None:
            self._exec_block(_body(statement.finalbody), frame)

    def _merge_envs(self, a: dict[str, Any], b: dict[str, Any], frame: Frame) -> dict[str, Any]:
        merged = {}
        for key in a.keys() | b.keys():
            if key in a and key in b:
                merged[key] = merge(a[key], b[key])
            else:
                present = a[key] if key in a else b[key]
                outer = self._attribute_default(key, frame) if key.startswith("self.") else _MISSING
                merged[key] = present if outer is _MISSING else merge(present, outer)
        return merged

    def _attribute_default(self, key: str, frame: Frame) -> Any:
        if frame.class_info is None:
            return _MISSING
        value = self._class_attribute(frame.class_info.name, key[5:])
        return _MISSING if value is None else value

    def _exec_augmented(self, small: cst.AugAssign, frame: Frame) -> None:
        value = self._eval(small.value, frame)
        target = small.target
        if isinstance(target, cst.Subscript):
            base = self._eval(target.value, frame)
            if isinstance(base, (Param, ParamSlice)):
                sliced = self._param_subscript(base, target, frame)
                written = value if isinstance(small.operator, cst.AddAssign) else UNKNOWN
                self.facts.param_writes.append(ParamWrite(small, sliced, written))
            return
        current = self._eval(target, frame)
        if isinstance(current, (Param, ParamSlice)):
            self.facts.param_writes.append(
                ParamWrite(small, current, value if isinstance(small.operator, cst.AddAssign) else UNKNOWN)
            )
            return
        self._assign(target, UNKNOWN, frame)

    # ======================================================================================
    # Assignment
    # ======================================================================================
    def _assign(
        self, target: cst.BaseExpression, value: Any, frame: Frame, value_node: cst.BaseExpression | None = None
    ) -> None:
        if isinstance(target, cst.Name):
            frame.env[target.value] = value
            self._name_binding(value, target.value)
            source = _provenance_source(value_node, self.imports) if value_node is not None else None
            if source is not None and source != target.value:
                frame.provenance[target.value] = source
            else:
                frame.provenance.pop(target.value, None)
            return
        if isinstance(target, cst.Attribute):
            if isinstance(target.value, cst.Name) and target.value.value == frame.self_name:
                frame.env[f"self.{target.attr.value}"] = value
                self._name_binding(value, f"self.{target.attr.value}")
                return
            base = self._eval(target.value, frame)
            if target.attr.value == "data" and isinstance(base, (Param, ParamSlice)):
                self.facts.param_writes.append(ParamWrite(target, base, UNKNOWN))
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            elements = [element.value for element in target.elements]
            values = _unpack(value, len(elements), [isinstance(e, cst.StarredElement) for e in target.elements])
            for element, item in zip(elements, values):
                self._assign(element, item, frame)
            return
        if isinstance(target, cst.StarredElement):
            self._assign(target.value, UNKNOWN, frame)
            return
        if isinstance(target, cst.Subscript):
            base = self._eval(target.value, frame)
            if isinstance(base, (Param, ParamSlice)):
                self.facts.param_writes.append(ParamWrite(target, self._param_subscript(base, target, frame), value))
            else:
                self._subscript_items(target, frame)

    def _name_binding(self, value: Any, name: str) -> None:
        if isinstance(value, ModuleRef):
            for construction in value.candidates:
                if construction.binding is None:
                    construction.binding = name

    # ======================================================================================
    # Expressions
    # ======================================================================================
    def _eval(self, node: cst.BaseExpression | None, frame: Frame) -> Any:
        if node is None:
            return UNKNOWN
        if isinstance(node, cst.Integer):
            return Sym.number(int(node.evaluated_value))
        if isinstance(node, cst.Float):
            return Const(float(node.evaluated_value))
        if isinstance(node, cst.SimpleString):
            try:
                return Const(node.evaluated_value)
            except Exception:  # an unusual prefix libcst cannot evaluate
                return UNKNOWN
        if isinstance(node, cst.ConcatenatedString):
            return Const(node.evaluated_value) if node.evaluated_value is not None else UNKNOWN
        if isinstance(node, cst.FormattedString):
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    self._eval(part.expression, frame)
            text = "".join(p.value for p in node.parts if isinstance(p, cst.FormattedStringText))
            return Opaque(f"fstring:{text}")
        if isinstance(node, cst.Name):
            return self._eval_name(node, frame)
        if isinstance(node, cst.Attribute):
            return self._eval_attribute(node, frame)
        if isinstance(node, cst.Call):
            return self._eval_call(node, frame)
        if isinstance(node, cst.Subscript):
            return self._eval_subscript(node, frame)
        if isinstance(node, cst.BinaryOperation):
            return self._eval_binary(node, frame)
        if isinstance(node, cst.UnaryOperation):
            return self._eval_unary(node, frame)
        if isinstance(node, cst.IfExp):
            return self._eval_ifexp(node, frame)
        if isinstance(node, (cst.Tuple, cst.List)):
            items = tuple(self._eval(element.value, frame) for element in node.elements)
            starred = any(isinstance(element, cst.StarredElement) for element in node.elements)
            if isinstance(node, cst.List):
                return ListValue(items, exact=not starred)
            return UNKNOWN if starred else TupleValue(items)
        if isinstance(node, cst.Comparison):
            return self._eval_comparison(node, frame)
        if isinstance(node, cst.BooleanOperation):
            left, right = self._eval(node.left, frame), self._eval(node.right, frame)
            if isinstance(left, Const) and isinstance(right, Const):
                if isinstance(node.operator, cst.And):
                    return left if not left.value else right
                return left if left.value else right
            return UNKNOWN
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            return self._eval_comprehension(node, frame)
        if isinstance(node, cst.NamedExpr):
            value = self._eval(node.value, frame)
            self._assign(node.target, value, frame)
            return value
        if isinstance(node, cst.Lambda):
            return UNKNOWN
        if isinstance(node, (cst.Await, cst.StarredElement)):
            return self._eval(node.value, frame)
        if isinstance(node, cst.Dict):
            values = []
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    self._eval(element.key, frame)
                values.append(self._eval(element.value, frame))
            return ListValue(tuple(values), exact=False)  # what matters is which modules it holds
        if isinstance(node, cst.Set):
            for element in node.elements:
                self._eval(element.value, frame)
            return UNKNOWN
        if isinstance(node, cst.Ellipsis):
            return Const(Ellipsis)
        return UNKNOWN

    def _eval_name(self, node: cst.Name, frame: Frame) -> Any:
        name = node.value
        if name in ("True", "False", "None"):
            return Const({"True": True, "False": False, "None": None}[name])
        value = frame.lookup(name)
        if value is not _MISSING:
            return value
        if name in self.functions:
            return FunctionRef(self.functions[name])
        if name in self.facts.classes:
            return ClassRef(name)
        qualified = self.imports.qualify(node)
        if qualified is not None:
            return ImportRef(qualified)
        if name in BATCH_NAMES:
            return Sym.of(BATCH)
        return UNKNOWN

    def _eval_attribute(self, node: cst.Attribute, frame: Frame) -> Any:
        attr = node.attr.value
        if isinstance(node.value, cst.Name) and node.value.value == frame.self_name and frame.class_info is not None:
            local = frame.env.get(f"self.{attr}", _MISSING)
            if local is not _MISSING:
                return local
            return self._instance_attribute(frame.class_info.name, attr, frame)
        qualified = self.imports.qualify(node)
        if qualified is not None and frame.lookup(dotted(node).split(".", 1)[0]) is _MISSING:
            return ImportRef(qualified)
        base = self._eval(node.value, frame)
        return self._attribute_of(base, attr, node.value.value if isinstance(node.value, cst.Name) else None, frame)

    def _attribute_of(self, base: Any, attr: str, base_name: str | None, frame: Frame) -> Any:
        """``base.attr``; ``base_name`` is the variable's name when ``base`` is a plain name."""
        if isinstance(base, Instance):
            return self._instance_attribute(base.class_name, attr, frame)
        if isinstance(base, ModuleRef):
            return self._module_attribute(base, attr)
        if isinstance(base, AnyRecurrent):
            if _PARAM_ATTRIBUTE.match(attr):
                return self._param(Owner((), base.family), _param_kind(attr))
            if attr in ("_all_weights", "_flat_weights_names"):
                return self._weight_names(Owner((), base.family), nested=attr == "_all_weights")
            return UNKNOWN
        if isinstance(base, Tensor):
            if attr in ("shape",):
                return Size(tuple(axis.size for axis in base.axes)) if base.axes is not None else UNKNOWN
            if attr in ("data",):
                return base
            if attr in ("T", "mT"):
                return tensors.transpose_all(base)
            return UNKNOWN
        if isinstance(base, (Param, ParamSlice)):
            if attr == "data":
                return base
            if attr == "shape" and isinstance(base, Param):
                return Size((self._param_rows(base),))
            return UNKNOWN
        if isinstance(base, TupleValue) and attr in ("data",):
            return base
        if _PARAM_ATTRIBUTE.match(attr):
            return self._param(Owner(), _param_kind(attr))
        if attr == "shape" and base_name is not None:
            return self._named_size(base_name, frame)
        if isinstance(base, Opaque):
            return Opaque(f"{base.key}.{attr}")
        if attr in BATCH_NAMES:
            return Sym.of(BATCH)
        return UNKNOWN

    def _instance_attribute(self, class_name: str, attr: str, frame: Frame) -> Any:
        value = self._class_attribute(class_name, attr)
        if value is not None:
            return value
        method = self._method(class_name, attr)
        if method is not None:
            return FunctionRef(method[1], method[0], bound=Instance(class_name))
        if attr in BATCH_NAMES:
            return Sym.of(BATCH)
        return Opaque(f"{class_name}.{attr}")

    def _class_attribute(self, class_name: str, attr: str, seen: set[str] | None = None) -> Any:
        info = self.facts.classes.get(class_name)
        if info is None:
            return None
        if attr in info.attributes:
            return info.attributes[attr]
        seen = seen or set()
        seen.add(class_name)
        for base in info.in_file_bases:
            if base not in seen:
                value = self._class_attribute(base, attr, seen)
                if value is not None:
                    return value
        return None

    def _method(self, class_name: str, name: str, seen: set[str] | None = None) -> tuple[str, cst.FunctionDef] | None:
        info = self.facts.classes.get(class_name)
        if info is None:
            return None
        if name in info.methods:
            return class_name, info.methods[name]
        seen = seen or set()
        seen.add(class_name)
        for base in info.in_file_bases:
            if base not in seen:
                found = self._method(base, name, seen)
                if found is not None:
                    return found
        return None

    def _module_attribute(self, ref: ModuleRef, attr: str) -> Any:
        if _PARAM_ATTRIBUTE.match(attr) or attr in ("bias_ih", "bias_hh", "weight_ih", "weight_hh"):
            return self._param(Owner(ref.candidates), _param_kind(attr), _attribute_link(ref.candidates, attr))
        if attr in ("_all_weights", "_flat_weights_names"):
            return self._weight_names(Owner(ref.candidates), nested=attr == "_all_weights")
        if attr in _CONFIG_ATTRIBUTES:
            values = [candidate.config.get(attr, UNKNOWN) for candidate in ref.candidates]
            result = values[0]
            for value in values[1:]:
                result = merge(result, value)
            return result
        return UNKNOWN

    def _eval_subscript(self, node: cst.Subscript, frame: Frame) -> Any:
        base = self._eval(node.value, frame)
        if isinstance(base, Tensor):
            items = self._subscript_items(node, frame)
            if base.axes is not None:
                self.facts.indexings.append(Indexing(node, base, tuple(items)))
            return tensors.index(base, items)
        if isinstance(base, (Param, ParamSlice)):
            return self._param_subscript(base, node, frame)
        single = self._single_index(node, frame)
        items = sequence_items(base) if not isinstance(base, Size) else None
        if items is not None and single is not None and -len(items) <= single < len(items):
            return items[single]
        if isinstance(base, ListValue):
            self._subscript_items(node, frame)
            return base.element()
        if isinstance(base, Size) and single is not None:
            return self._resolve(base.item(single))
        self._subscript_items(node, frame)
        return UNKNOWN

    def _single_index(self, node: cst.Subscript, frame: Frame) -> int | None:
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return None
        value = self._eval(node.slice[0].slice.value, frame)
        if isinstance(value, Sym) and value.known and value.coeff.denominator == 1:
            return int(value.coeff)
        return None

    def _subscript_items(self, node: cst.Subscript, frame: Frame) -> list[tuple[Any, ...]]:
        items: list[tuple[Any, ...]] = []
        for element in node.slice:
            part = element.slice
            if isinstance(part, cst.Slice):
                bounds = [self._eval(b, frame) if b is not None else None for b in (part.lower, part.upper, part.step)]
                items.append(("full",) if all(b is None for b in bounds) else ("slice",))
                continue
            if isinstance(part.value, cst.Ellipsis):
                items.append(("ellipsis",))
                continue
            value = self._eval(part.value, frame)
            if value == Const(None):
                items.append(("none",))
            elif isinstance(value, Sym) and value.known:
                items.append(("int", value))
            else:
                items.append(("other",))
        return items

    def _eval_binary(self, node: cst.BinaryOperation, frame: Frame) -> Any:
        left, right = self._eval(node.left, frame), self._eval(node.right, frame)
        operator = node.operator
        numeric = all(_numeric(value) for value in (left, right))
        if isinstance(operator, cst.Multiply) and numeric:
            if (isinstance(left, Const) and isinstance(left.value, float)) or (
                isinstance(right, Const) and isinstance(right.value, float)
            ):
                return _const_arithmetic(left, right, lambda a, b: a * b)
            return as_sym(left) * as_sym(right)
        if isinstance(operator, cst.FloorDivide) and numeric:
            quotient = as_sym(left).divide(as_sym(right))
            if quotient is not None and (quotient.symbols or quotient.coeff.denominator == 1):
                return quotient
            return _const_arithmetic(left, right, lambda a, b: a // b)
        if isinstance(operator, cst.Divide) and numeric:
            known = _const_arithmetic(left, right, lambda a, b: a / b)
            return Const(float(known.value)) if isinstance(known, (Const,)) else FloatNumber()
        if isinstance(operator, (cst.Add, cst.Modulo)) and isinstance(left, Const) and isinstance(left.value, str):
            # "bias_ih_l" + str(k), "bias_ih_l%d" % k: only the literal part is known, as for an f-string
            text = left.value + (right.value if isinstance(right, Const) and isinstance(right.value, str) else "")
            return Opaque(f"fstring:{text}")
        if isinstance(operator, (cst.Add, cst.Subtract)):
            directions = _directions_pattern(node, left, right)
            if directions is not None:
                return directions
            if numeric:
                result = _const_arithmetic(
                    left, right, (lambda a, b: a + b) if isinstance(operator, cst.Add) else (lambda a, b: a - b)
                )
                if result is not UNKNOWN:
                    return result
        if isinstance(operator, (cst.Modulo, cst.Power)) and numeric:
            return _const_arithmetic(
                left, right, (lambda a, b: a % b) if isinstance(operator, cst.Modulo) else (lambda a, b: a**b)
            )
        return UNKNOWN

    def _eval_unary(self, node: cst.UnaryOperation, frame: Frame) -> Any:
        value = self._eval(node.expression, frame)
        if isinstance(node.operator, cst.Minus):
            if isinstance(value, Sym):
                return value * Sym.number(-1)
            if isinstance(value, Const) and isinstance(value.value, (int, float)):
                return Const(-value.value)
        if isinstance(node.operator, cst.Not) and isinstance(value, Const):
            return Const(not value.value)
        if isinstance(node.operator, cst.Not) and isinstance(value, Opaque):
            return Opaque(f"not:{value.key}", None if value.default is None else not value.default)
        return UNKNOWN if not isinstance(node.operator, cst.Plus) else value

    def _eval_ifexp(self, node: cst.IfExp, frame: Frame) -> Any:
        test = self._eval(node.test, frame)
        body, orelse = self._eval(node.body, frame), self._eval(node.orelse, frame)
        if isinstance(test, Const):
            return body if test.value else orelse
        if body == Sym.number(2) and orelse == Sym.number(1):
            return directions_of(test)
        if (
            body == Sym.number(1)
            and orelse == Sym.number(2)
            and isinstance(test, Opaque)
            and test.key.startswith("not:")
        ):
            return directions_of(Opaque(test.key[4:], None if test.default is None else not test.default))
        return merge(body, orelse)

    def _eval_comparison(self, node: cst.Comparison, frame: Frame) -> Any:
        left = self._eval(node.left, frame)
        if len(node.comparisons) != 1:
            for target in node.comparisons:
                self._eval(target.comparator, frame)
            return UNKNOWN
        comparison = node.comparisons[0]
        right = self._eval(comparison.comparator, frame)
        operator = comparison.operator
        if isinstance(operator, (cst.Is, cst.IsNot)) and right == Const(None) and isinstance(left, Const):
            result = left.value is None
            return Const(result if isinstance(operator, cst.Is) else not result)
        a, b = _python_number(left), _python_number(right)
        if a is None or b is None:
            if isinstance(left, Const) and isinstance(right, Const) and isinstance(operator, (cst.Equal, cst.NotEqual)):
                same = left.value == right.value
                return Const(same if isinstance(operator, cst.Equal) else not same)
            return UNKNOWN
        table = {
            cst.Equal: a == b,
            cst.NotEqual: a != b,
            cst.LessThan: a < b,
            cst.GreaterThan: a > b,
            cst.LessThanEqual: a <= b,
            cst.GreaterThanEqual: a >= b,
        }
        for kind, result in table.items():
            if isinstance(operator, kind):
                return Const(result)
        return UNKNOWN

    def _eval_comprehension(self, node: Any, frame: Frame) -> Any:
        saved = dict(frame.env)
        clause = node.for_in
        while clause is not None:
            iterable = self._eval(clause.iter, frame)
            self._assign(clause.target, _element_of(iterable), frame)
            for condition in clause.ifs:
                self._eval(condition.test, frame)
            clause = clause.inner_for_in
        if isinstance(node, cst.DictComp):
            self._eval(node.key, frame)
            element = self._eval(node.value, frame)
        else:
            element = self._eval(node.elt, frame)
        frame.env = saved
        return ListValue((element,), exact=False) if not isinstance(node, cst.SetComp) else UNKNOWN

    # ======================================================================================
    # Calls
    # ======================================================================================
    def _eval_call(self, node: cst.Call, frame: Frame) -> Any:
        func = node.func
        if isinstance(func, cst.Attribute):
            qualified = self._qualified_callee(func, frame)
            if qualified is not None:
                return self._call_qualified(qualified, node, frame)
            receiver = self._eval(func.value, frame)
            if isinstance(receiver, Instance):
                member = self._eval_attribute(func, frame)
                if isinstance(member, (ModuleRef, Instance, FunctionRef)):
                    return self._call_value(member, node, frame)
                return self._instance_method(receiver, func.attr.value, node, frame)
            return self._call_method(receiver, func.attr.value, node, frame)
        callee = self._eval(func, frame)
        if isinstance(callee, ImportRef):
            return self._call_qualified(callee.path, node, frame)
        if isinstance(callee, (ModuleRef, Instance, FunctionRef)):
            return self._call_value(callee, node, frame)
        if isinstance(callee, ClassRef):
            self._arguments(node, frame)
            return Instance(callee.name)
        if isinstance(func, cst.Name) and callee is UNKNOWN:
            return self._call_builtin(func.value, node, frame)
        return self._call_unknown(node, frame)

    def _qualified_callee(self, func: cst.Attribute, frame: Frame) -> str | None:
        """``torch.zeros`` / ``nn.init.constant_``: an imported function, unless a local variable
        of the same name shadows the import."""
        path = dotted(func)
        if path is None:
            return None
        head = path.split(".", 1)[0]
        if head == frame.self_name or frame.lookup(head) is not _MISSING:
            return None
        return self.imports.qualify(func)

    def _call_value(self, callee: Any, node: cst.Call, frame: Frame) -> Any:
        if isinstance(callee, ModuleRef):
            return self._call_module(callee, node, frame)
        if isinstance(callee, Instance):
            return self._call_instance(callee, node, frame)
        args, kwargs = self._arguments(node, frame)
        return self._call_function(callee, args, kwargs, caller=frame)

    def _arguments(self, node: cst.Call, frame: Frame) -> tuple[list[Any], dict[str, Any]]:
        args, kwargs = [], {}
        for arg in node.args:
            value = self._eval(arg.value, frame)
            if arg.star:
                args.append(UNKNOWN)
            elif arg.keyword is not None:
                kwargs[arg.keyword.value] = value
            else:
                args.append(value)
        return args, kwargs

    def _call_unknown(self, node: cst.Call, frame: Frame, receiver: Any = UNKNOWN) -> Any:
        """A call into code we cannot see: whatever module or model reaches it escapes."""
        args, kwargs = self._arguments(node, frame)
        for value in list(args) + list(kwargs.values()):
            self._escape(value)
            if isinstance(value, (Param, ParamSlice)):
                self.facts.param_writes.append(ParamWrite(node, value, UNKNOWN))
        return UNKNOWN

    def _escape(self, value: Any) -> None:
        if isinstance(value, ModuleRef):
            for construction in value.candidates:
                self.facts.escaped.add(id(construction))
        elif isinstance(value, Instance):
            self.facts.escaped_classes.add(value.class_name)
        elif isinstance(value, (TupleValue, ListValue)):
            for item in value.items:
                self._escape(item)

    def _call_builtin(self, name: str, node: cst.Call, frame: Frame) -> Any:
        args, kwargs = self._arguments(node, frame)
        if name == "len" and args:
            return self._length(node.args[0].value, args[0], frame)
        if name == "getattr" and len(args) >= 2:
            return self._getattr(args[0], args[1], frame)
        if name in ("int",) and args:
            value = args[0]
            if isinstance(value, Const) and isinstance(value.value, (int, float, bool)):
                return Sym.number(int(value.value))
            return value if isinstance(value, (Sym, Opaque)) else UNKNOWN
        if name == "float" and args:
            value = args[0]
            return (
                Const(float(value.value))
                if isinstance(value, Const) and isinstance(value.value, (int, float))
                else FloatNumber()
            )
        if name in ("list", "tuple", "reversed", "sorted", "iter") and args:
            return args[0]
        if name == "enumerate" and args:
            return Iterable(TupleValue((UNKNOWN, _element_of(args[0]))))
        if name == "zip" and args:
            return Iterable(TupleValue(tuple(_element_of(a) for a in args)))
        if name == "filter" and len(args) == 2:
            return self._filter(node.args[0].value, args[1])
        if name == "next" and args:
            return _element_of(args[0])
        if name == "eval" and args:
            return self._eval_of_parameter_name(args[0], frame)
        if name in ("range",):
            return Iterable(UNKNOWN)
        if name in _HARMLESS_BUILTINS:
            return UNKNOWN
        for value in list(args) + list(kwargs.values()):
            self._escape(value)
            if isinstance(value, (Param, ParamSlice)):
                self.facts.param_writes.append(ParamWrite(node, value, UNKNOWN))
        return UNKNOWN

    def _call_qualified(self, qualified: str, node: cst.Call, frame: Frame) -> Any:
        kind = _recurrent(qualified)
        if kind is not None:
            return self._construct(kind, node, frame)
        if not qualified.startswith("torch"):
            if qualified.startswith(("pytorch_lightning.", "lightning.")) and qualified.endswith("Trainer"):
                self.facts.trains = True
            return self._call_unknown(node, frame)
        name = qualified
        if name.startswith("torch.optim."):
            self.facts.trains = True
        if name in ("torch.nn.ModuleList", "torch.nn.Sequential", "torch.nn.ModuleDict"):
            args, _ = self._arguments(node, frame)
            if name == "torch.nn.Sequential":
                return ListValue(tuple(args))
            if not args:
                return ListValue(())
            items = sequence_items(args[0])
            return (
                args[0]
                if isinstance(args[0], ListValue)
                else ListValue(items if items is not None else (_element_of(args[0]),), items is not None)
            )
        if name in _TORCH_CREATION:
            return self._create(node, frame, fill=name == "torch.full")
        if name in _TORCH_LIKE:
            args, _ = self._arguments(node, frame)
            return Tensor("created", args[0].module, args[0].axes) if args and isinstance(args[0], Tensor) else UNKNOWN
        if name in _PASS_THROUGH_FUNCTIONS:
            args, _ = self._arguments(node, frame)
            return args[0] if args else UNKNOWN
        if name in ("torch.cat", "torch.concat", "torch.concatenate"):
            args, kwargs = self._arguments(node, frame)
            parts = (sequence_items(args[0]) or ()) if args else ()
            dim = kwargs.get("dim", args[1] if len(args) > 1 else Sym.number(0))
            return tensors.concatenate(parts, dim)
        if name in ("torch.reshape",):
            args, _ = self._arguments(node, frame)
            if args and isinstance(args[0], Tensor) and len(node.args) > 1:
                return self._reshape(args[0], node, [node.args[1]], args[1:], frame)
            return UNKNOWN
        if name in ("torch.transpose", "torch.permute", "torch.swapaxes", "torch.movedim"):
            args, _ = self._arguments(node, frame)
            if args and isinstance(args[0], Tensor):
                dims = list(sequence_items(args[1]) or ()) if len(args) == 2 and sequence_items(args[1]) else args[1:]
                return tensors.reorder(args[0], name.rsplit(".", 1)[1], dims)
            return UNKNOWN
        if name == "torch.chunk":
            args, kwargs = self._arguments(node, frame)
            if args and isinstance(args[0], Param) and len(args) > 1:
                return self._chunk(args[0], args[1])
            return UNKNOWN
        if name.startswith("torch.nn.init."):
            return self._init_function(name.rsplit(".", 1)[1], node, frame)
        if name in ("torch.nn.utils.rnn.pack_padded_sequence", "torch.nn.utils.rnn.pack_sequence"):
            self._arguments(node, frame)
            return PackedSequence()
        if name == "torch.nn.utils.rnn.pad_packed_sequence":
            args, kwargs = self._arguments(node, frame)
            packed = args[0] if args else kwargs.get("sequence", UNKNOWN)
            batch_first = kwargs.get("batch_first", args[1] if len(args) > 1 else Const(False))
            if isinstance(packed, PackedSequence) and packed.module is not None and isinstance(batch_first, Const):
                return TupleValue((tensors.output_tensor(packed.module, bool(batch_first.value)), UNKNOWN))
            return UNKNOWN
        args, kwargs = self._arguments(node, frame)
        if name in ("torch.squeeze", "torch.unsqueeze", "torch.sum", "torch.mean", "torch.flatten", "torch.stack"):
            return UNKNOWN
        return UNKNOWN

    def _construct(self, kind: str, node: cst.Call, frame: Frame) -> ModuleRef:
        known = self.constructions.get(id(node))
        names = contract.parameter_names(kind)
        defaults = contract.default_config(kind)
        config: dict[str, Any] = {}
        arguments: dict[str, cst.Arg] = {}
        splat = False
        position = 0
        for arg in node.args:
            value = self._eval(arg.value, frame)
            if arg.star:
                splat = True
                continue
            if arg.keyword is not None:
                name = arg.keyword.value
            else:
                if position >= len(names):
                    continue
                name = names[position]
                position += 1
            config[name] = value
            arguments[name] = arg
        for name, default in defaults.items():
            if name not in config:
                config[name] = UNKNOWN if splat else Const(default)
        for name in ("input_size", "hidden_size"):
            config.setdefault(name, UNKNOWN)
        if known is not None:
            for name, value in config.items():
                if known.config.get(name, _MISSING) != value:
                    known.config[name] = UNKNOWN
            return ModuleRef((known,))
        owner = frame.class_info.name if frame.class_info is not None else None
        construction = Construction(kind, node, config, arguments, splat, owner)
        self.constructions[id(node)] = construction
        self.facts.constructions.append(construction)
        return ModuleRef((construction,))

    def _create(self, node: cst.Call, frame: Frame, fill: bool = False) -> Any:
        """torch.zeros(B, L, H) and friends: a tensor whose axes are sized by the arguments.
        ``fill``: torch.full/new_full, whose first argument is the size and the second a value."""
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        keyword = {arg.keyword.value: arg for arg in node.args if arg.keyword is not None}
        for name, arg in keyword.items():
            if name != "size":
                self._eval(arg.value, frame)
        if "size" in keyword:
            positional = [keyword["size"]] + positional
        if any(arg.star for arg in node.args) or not positional:
            return UNKNOWN
        sizes: list[tuple[Any, cst.BaseExpression | None]] = []
        if fill or len(positional) == 1:
            first = positional[0]
            value = self._eval(first.value, frame)
            for extra in positional[1:]:
                self._eval(extra.value, frame)
            items = sequence_items(value)
            if items is not None and isinstance(first.value, (cst.Tuple, cst.List)):
                sizes = [(item, element.value) for item, element in zip(items, first.value.elements)]
            elif items is not None:
                sizes = [(item, None) for item in items]
            elif _numeric(value) and not fill:
                sizes = [(value, first.value)]
            else:
                return UNKNOWN
        else:
            sizes = [(self._eval(arg.value, frame), arg.value) for arg in positional]
        axes = tuple(
            Axis("?", self._resolve(as_sym(value)), "B" if expression is not None and _batch_hint(expression) else None)
            for value, expression in sizes
        )
        return Tensor("created", None, axes, origin=node)

    def _call_method(self, receiver: Any, method: str, node: cst.Call, frame: Frame) -> Any:
        if method in _WEIGHT_LOADING_METHODS:
            self.facts.loads_weights = True
        elif method == "backward" or method == "fit":
            self.facts.trains = True
        if method in ("append", "extend", "insert"):
            return self._grow_list(receiver, method, node, frame)
        if method == "format" and isinstance(receiver, Const) and isinstance(receiver.value, str):
            self._arguments(node, frame)
            return Opaque(f"fstring:{receiver.value}")
        if isinstance(receiver, Tensor):
            return self._tensor_method(receiver, method, node, frame)
        if isinstance(receiver, (Param, ParamSlice)):
            return self._param_method(receiver, method, node, frame)
        if isinstance(receiver, ModuleRef):
            return self._module_method(receiver, method, node, frame)
        if isinstance(receiver, Instance):
            return self._instance_method(receiver, method, node, frame)
        if isinstance(receiver, FunctionRef):
            return self._call_unknown(node, frame)
        if isinstance(receiver, AnyRecurrent):
            owner = Owner((), receiver.family)
            self._arguments(node, frame)
            return self._module_iterable(method, owner) or UNKNOWN
        if isinstance(receiver, TupleValue) and method in ("detach", "contiguous"):
            return receiver
        return self._unknown_method(receiver, method, node, frame)

    def _unknown_method(self, receiver: Any, method: str, node: cst.Call, frame: Frame) -> Any:
        func = node.func
        if method in _CREATION_METHODS and (method != "new" or len(node.args) >= 2):
            return self._create(node, frame, fill=method == "new_full")
        if method == "size" and isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            args, _ = self._arguments(node, frame)
            size = self._named_size(func.value.value, frame)
            if not args:
                return size
            index = _python_number(args[0])
            return (
                self._resolve(size.item(int(index))) if isinstance(index, int) and isinstance(size, Size) else UNKNOWN
            )
        iterable = self._module_iterable(method, Owner())
        if iterable is not None:
            self._arguments(node, frame)
            return iterable
        if method == "apply":
            args, _ = self._arguments(node, frame)
            if args and not isinstance(args[0], FunctionRef):
                self.facts.escaped_classes.update(self.facts.classes)  # any model here may be the one
                for construction in self.facts.constructions:
                    self.facts.escaped.add(id(construction))
            return receiver
        if method in ("add_module", "register_module", "register_buffer", "register_parameter"):
            self._arguments(node, frame)
            return UNKNOWN
        if method in ("detach", "contiguous", "to", "cuda", "cpu"):
            self._arguments(node, frame)
            return receiver if isinstance(receiver, TupleValue) else UNKNOWN
        return self._call_unknown(node, frame, receiver)

    def _grow_list(self, receiver: Any, method: str, node: cst.Call, frame: Frame) -> Any:
        """``layers.append(nn.LSTM(...))``: the list (a local or ``self.x``) now holds the module.
        Into a list we do not follow, the module escapes."""
        args, _ = self._arguments(node, frame)
        if method == "insert":
            args = args[1:]
        added: tuple[Any, ...] = tuple(args[:1])
        if method == "extend" and args:
            items = sequence_items(args[0])
            added = items if items is not None else (_element_of(args[0]),)
        target = node.func.value if isinstance(node.func, cst.Attribute) else None
        followed = isinstance(target, cst.Name) or (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value == frame.self_name
        )
        if isinstance(receiver, ListValue) and followed:
            exact = receiver.exact and method == "append"
            self._assign(target, ListValue(receiver.items + added, exact), frame)
        else:
            for value in added:
                self._escape(value)
        return Const(None)

    # --- recurrent modules ---------------------------------------------------------------
    def _module_method(self, ref: ModuleRef, method: str, node: cst.Call, frame: Frame) -> Any:
        if method in ("forward", "__call__"):
            return self._call_module(ref, node, frame)
        owner = Owner(ref.candidates)
        iterable = self._module_iterable(method, owner)
        if iterable is not None:
            self._arguments(node, frame)
            return iterable
        args, _ = self._arguments(node, frame)
        if method in _MODULE_RETURNS_SELF:
            return ref
        if method == "apply" and args and not isinstance(args[0], FunctionRef):
            self._escape(ref)
        if method in _WEIGHT_LOADING_METHODS:
            self.facts.loads_weights = True
        return UNKNOWN

    def _module_iterable(self, method: str, owner: Owner) -> Iterable | None:
        if method == "named_parameters":
            link = next(_links)
            return Iterable(TupleValue((ParamName(owner, None, link), self._param(owner, None, link))))
        if method == "parameters":
            return Iterable(self._param(owner, None, next(_links)))
        if method in ("modules", "children"):
            return Iterable(UNKNOWN)
        if method in ("named_modules", "named_children"):
            return Iterable(TupleValue((UNKNOWN, UNKNOWN)))
        return None

    def _call_module(self, ref: ModuleRef, node: cst.Call, frame: Frame) -> Any:
        args, kwargs = self._arguments(node, frame)
        input_value = args[0] if args else kwargs.get("input", UNKNOWN)
        state = args[1] if len(args) > 1 else kwargs.get("hx")
        input_node = node.args[0].value if node.args and node.args[0].keyword is None else None
        for construction in ref.candidates:
            if isinstance(input_node, cst.Name) and not construction.is_cell:
                self._register_input(input_node.value, construction.batch_first, frame)
            states = (
                tuple(self._relabel_state(t, construction) for t in _tensors_in(state)) if state is not None else ()
            )
            self.facts.calls.append(ModuleCall(node, construction, input_value, state, states))
        first = ref.candidates[0]
        if any(not _same_layout(first, other) for other in ref.candidates[1:]):
            return UNKNOWN
        if first.is_cell:
            if first.kind == "LSTMCell":
                return TupleValue((tensors.cell_state(first, "cell-h"), tensors.cell_state(first, "cell-c")))
            return tensors.cell_state(first, "cell-h")
        output = PackedSequence(first) if isinstance(input_value, PackedSequence) else tensors.output_tensor(first)
        h, c = tensors.state_tensors(first)
        return TupleValue((output, TupleValue((h, c)) if c is not None else h))

    def _relabel_state(self, tensor: Tensor, construction: Construction) -> Tensor:
        """A tensor passed as a module's initial state, its axes named for that module."""
        if tensor.axes is None or tensor.role != "created":
            return tensor
        axes = tuple(
            Axis(
                tensors.classify(
                    self._resolve(axis.size) if isinstance(axis.size, Sym) else as_sym(axis.size),
                    construction,
                    axis.hint,
                ),
                axis.size,
                axis.hint,
            )
            for axis in tensor.axes
        )
        return Tensor("created", construction, axes, origin=tensor.origin)

    def _register_input(self, name: str, batch_first: bool | None, frame: Frame) -> None:
        """``self.lstm(x)``: sizes read off ``x`` (and what it was computed from) by name are now
        known to be the batch and time sizes."""
        if batch_first is None:
            return
        batch_axis, time_axis = (0, 1) if batch_first else (1, 0)
        seen = set()
        while name is not None and name not in seen:
            seen.add(name)
            prefix = f"size:{frame.key}:{name}"
            self.size_meaning.setdefault(f"{prefix}:{batch_axis}", BATCH)
            self.size_meaning.setdefault(f"{prefix}:{time_axis}", TIME)
            name = frame.provenance.get(name)

    def _resolve(self, value: Any) -> Any:
        if not isinstance(value, Sym) or not value.symbols:
            return value
        symbols = tuple(sorted(self.size_meaning.get(symbol, symbol) for symbol in value.symbols))
        return Sym(value.coeff, symbols, value.default) if symbols != value.symbols else value

    def _named_size(self, name: str, frame: Frame) -> Any:
        value = frame.lookup(name)
        if isinstance(value, Tensor):
            return Size(tuple(axis.size for axis in value.axes)) if value.axes is not None else UNKNOWN
        if isinstance(value, (Param, ParamSlice)):
            return Size((self._param_rows(value),)) if isinstance(value, Param) else UNKNOWN
        if _LENGTHS_NAME.search(name):
            return Size((Sym.of(BATCH),))
        return Size(prefix=f"size:{frame.key}:{name}")

    def _length(self, node: cst.BaseExpression, value: Any, frame: Frame) -> Any:
        if isinstance(value, Tensor):
            return tensors.axis_size(value, Sym.number(0))
        if isinstance(value, Param):
            return self._param_rows(value)
        if isinstance(value, TupleValue):
            return Sym.number(len(value.items))
        if isinstance(node, cst.Name):
            size = self._named_size(node.value, frame)
            return self._resolve(size.item(0)) if isinstance(size, Size) else UNKNOWN
        return UNKNOWN

    # --- models defined in this file ---------------------------------------------------
    def _call_instance(self, instance: Instance, node: cst.Call, frame: Frame) -> Any:
        found = self._method(instance.class_name, "forward")
        if found is None:
            self._arguments(node, frame)
            return UNKNOWN
        args, kwargs = self._arguments(node, frame)
        return self._call_function(FunctionRef(found[1], found[0], bound=instance), args, kwargs)

    def _instance_method(self, instance: Instance, method: str, node: cst.Call, frame: Frame) -> Any:
        found = self._method(instance.class_name, method)
        if found is not None:
            args, kwargs = self._arguments(node, frame)
            return self._call_function(FunctionRef(found[1], found[0], bound=instance), args, kwargs)
        iterable = self._module_iterable(method, Owner())
        if iterable is not None:
            self._arguments(node, frame)
            return iterable
        args, kwargs = self._arguments(node, frame)
        if method == "apply":
            if args and not isinstance(args[0], FunctionRef):
                self.facts.escaped_classes.add(instance.class_name)
            return instance
        if method in _MODULE_RETURNS_SELF:
            return instance
        if method in _WEIGHT_LOADING_METHODS:
            self.facts.loads_weights = True
        return UNKNOWN

    # --- tensors -------------------------------------------------------------------------
    def _tensor_method(self, tensor: Tensor, method: str, node: cst.Call, frame: Frame) -> Any:
        if method in tensors.RESHAPES:
            args, _ = self._arguments(node, frame)
            return self._reshape(tensor, node, list(node.args), args, frame)
        if method in tensors.REORDERS:
            args, _ = self._arguments(node, frame)
            dims = list(sequence_items(args[0])) if len(args) == 1 and sequence_items(args[0]) is not None else args
            return tensors.reorder(tensor, method, dims)
        if method in tensors.SAME_LAYOUT:
            self._arguments(node, frame)
            return tensor
        args, kwargs = self._arguments(node, frame)
        if method == "size":
            if not args:
                return Size(tuple(axis.size for axis in tensor.axes)) if tensor.axes is not None else UNKNOWN
            return tensors.axis_size(tensor, args[0])
        if method == "squeeze":
            return tensors.squeeze(tensor, args[0]) if args else tensor.with_axes(None)
        if method == "unsqueeze":
            return tensors.unsqueeze(tensor, args[0]) if args else tensor.with_axes(None)
        if method in tensors.REDUCTIONS:
            dim = args[0] if args else kwargs.get("dim")
            keep = kwargs.get("keepdim", args[1] if len(args) > 1 else Const(False))
            if dim is None:
                return UNKNOWN
            return tensors.reduce(tensor, dim, isinstance(keep, Const) and bool(keep.value))
        if method in _CREATION_METHODS:
            return self._create(node, frame, fill=method == "new_full")
        return tensor.with_axes(None)

    def _reshape(self, tensor: Tensor, node: cst.Call, arg_nodes: list[cst.Arg], args: list[Any], frame: Frame) -> Any:
        expressions: list[cst.BaseExpression | None] = [arg.value for arg in arg_nodes if arg.keyword is None]
        values = [value for value, arg in zip(args, arg_nodes) if arg.keyword is None]
        if len(values) == 1 and isinstance(values[0], (TupleValue, ListValue, Size)):
            expression = expressions[0]
            items = sequence_items(values[0])
            if items is None:
                return tensor.with_axes(None)
            values = list(items)
            expressions = (
                [e.value for e in expression.elements]
                if isinstance(expression, (cst.Tuple, cst.List))
                else [None] * len(values)
            )
        if not values or any(not _numeric(value) for value in values):
            return tensor.with_axes(None)
        sizes = tuple(self._resolve(as_sym(value)) for value in values)
        # c_n's features are H even when an LSTM projects h to proj_size
        last = tensor.axes[-1].size if tensor.axes and tensor.role == "c" else UNKNOWN
        labels = tuple(
            tensors.classify(
                size, tensor.module, "B" if expression is not None and _batch_hint(expression) else None, last
            )
            for size, expression in zip(sizes, expressions)
        )
        if tensor.axes is not None:
            self.facts.reshapes.append(Reshape(node, tensor, sizes, labels))
        return tensors.reshape(tensor, sizes, labels)

    # --- parameters ------------------------------------------------------------------------
    def _param(self, owner: Owner, kind: str | None, link: int | str | None = None) -> Param:
        families = {c.family for c in owner.constructions} or (
            {owner.any_family} if owner.any_family else self.facts.families
        )
        gates = contract.gate_count(next(iter(families))) if len(families) == 1 else None
        hiddens = {c.hidden for c in owner.constructions}
        unit = next(iter(hiddens)) if len(hiddens) == 1 else Sym.of(fresh_symbol("H"))
        return Param(owner, kind, link, unit, gates)

    def _param_rows(self, param: Param) -> Any:
        if param.gates is None or not isinstance(param.unit, Sym):
            return UNKNOWN
        return Sym.number(param.gates) * param.unit

    def _weight_names(self, owner: Owner, nested: bool) -> Iterable:
        link = next(_links)
        names = Iterable(ParamName(owner, None, link))
        return Iterable(names) if nested else names

    def _eval_of_parameter_name(self, text: Any, frame: Frame) -> Any:
        """``eval("lstm.bias_ih_l" + str(k))``, an idiom of several NER code bases: a parameter of
        whatever the prefix names."""
        literal = text.value if isinstance(text, Const) and isinstance(text.value, str) else None
        if isinstance(text, Opaque) and text.key.startswith("fstring:"):
            literal = text.key[len("fstring:") :]
        match = _EVAL_PARAMETER.match(literal or "")
        if match is None:
            return UNKNOWN
        try:
            owner_expression = cst.parse_expression(match.group(1))
        except cst.ParserSyntaxError:
            return UNKNOWN
        owner = self._eval(owner_expression, frame)
        return self._getattr(owner, Opaque(f"fstring:{match.group(2)}"), frame)

    def _filter(self, predicate: cst.BaseExpression, iterable: Any) -> Any:
        element = _element_of(iterable)
        if isinstance(predicate, cst.Lambda) and isinstance(element, ParamName):
            kind = _name_test_kind(predicate.body)
            if kind is not None:
                return Iterable(ParamName(element.owner, kind[0] if kind[1] else None, element.link))
        return iterable

    def _getattr(self, target: Any, name: Any, frame: Frame) -> Any:
        if isinstance(name, Const) and isinstance(name.value, str):
            return self._attribute_of(target, name.value, None, frame)
        owner = (
            Owner(target.candidates)
            if isinstance(target, ModuleRef)
            else Owner((), target.family)
            if isinstance(target, AnyRecurrent)
            else Owner()
        )
        if isinstance(name, ParamName):
            return self._param(name.owner if not owner.constructions else owner, name.kind, name.link)
        if isinstance(name, Opaque) and name.key.startswith("fstring:"):
            text = name.key[8:]
            if "bias" in text or "weight" in text:
                return self._param(owner, "bias" if "bias" in text else "weight")
        if isinstance(target, (ModuleRef, AnyRecurrent)):
            return self._param(owner, None)
        return UNKNOWN

    def _param_subscript(self, base: Param | ParamSlice, node: cst.Subscript, frame: Frame) -> ParamSlice:
        param = base.param if isinstance(base, ParamSlice) else base
        if isinstance(base, ParamSlice) or len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Slice):
            self._subscript_items(node, frame)
            return ParamSlice(param, None, None)
        part = node.slice[0].slice
        lower = self._eval(part.lower, frame) if part.lower is not None else Sym.number(0)
        upper = self._eval(part.upper, frame) if part.upper is not None else self._param_rows(param)
        if part.step is not None:
            self._eval(part.step, frame)
            return ParamSlice(param, None, None)
        return ParamSlice(param, self._in_units(lower, param), self._in_units(upper, param))

    def _in_units(self, bound: Any, param: Param) -> Fraction | None:
        if not _numeric(bound) or not isinstance(param.unit, Sym):
            return None
        if as_sym(bound) == Sym.number(0):
            return Fraction(0)
        quotient = as_sym(bound).divide(param.unit)
        if quotient is None or quotient.symbols:
            return None
        value = quotient.coeff
        if value < 0 and param.gates is not None:
            value += param.gates
        return value

    def _chunk(self, param: Param, count: Any) -> Any:
        number = _python_number(count)
        if not isinstance(number, int) or number <= 0 or number > 16:
            return UNKNOWN
        if param.gates is None:
            return TupleValue(tuple(ParamSlice(param, None, None) for _ in range(number)))
        width = Fraction(param.gates, number)
        return TupleValue(tuple(ParamSlice(param, width * i, width * (i + 1)) for i in range(number)))

    def _param_method(self, target: Param | ParamSlice, method: str, node: cst.Call, frame: Frame) -> Any:
        args, kwargs = self._arguments(node, frame)
        if method == "fill_":
            self.facts.param_writes.append(ParamWrite(node, target, args[0] if args else kwargs.get("value", UNKNOWN)))
            return target
        if method == "zero_":
            self.facts.param_writes.append(ParamWrite(node, target, Sym.number(0)))
            return target
        if method == "add_":
            self.facts.param_writes.append(ParamWrite(node, target, args[0] if args else UNKNOWN))
            return target
        if method in ("copy_", "set_", "masked_fill_", "index_fill_", "clamp_", "mul_"):
            self.facts.param_writes.append(ParamWrite(node, target, UNKNOWN))
            return target
        if method in _RANDOM_INIT_METHODS:
            self.facts.param_writes.append(ParamWrite(node, target, RANDOM))
            return target
        if method == "chunk" and isinstance(target, Param) and args:
            return self._chunk(target, args[0])
        if method in ("size",) and isinstance(target, Param):
            return self._param_rows(target) if not args or _python_number(args[0]) == 0 else UNKNOWN
        if method in ("numel", "nelement") and isinstance(target, Param) and target.kind == "bias":
            return self._param_rows(target)
        if method in ("dim", "ndimension"):
            return UNKNOWN
        if method in ("detach", "view_as", "data"):
            return target
        return UNKNOWN

    def _init_function(self, name: str, node: cst.Call, frame: Frame) -> Any:
        args, kwargs = self._arguments(node, frame)
        target = args[0] if args else kwargs.get("tensor", UNKNOWN)
        if isinstance(target, (Param, ParamSlice)):
            if name == "constant_":
                value = args[1] if len(args) > 1 else kwargs.get("val", UNKNOWN)
            elif name == "ones_":
                value = Sym.number(1)
            elif name == "zeros_":
                value = Sym.number(0)
            else:
                value = RANDOM
            self.facts.param_writes.append(ParamWrite(node, target, value))
        return target

    # ======================================================================================
    # Refinement: what a branch's test tells us inside it
    # ======================================================================================
    def _refinements(self, test: cst.BaseExpression, frame: Frame) -> tuple[dict[str, Any], dict[str, Any]]:
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            when_true, when_false = self._refinements(test.expression, frame)
            return when_false, when_true
        if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
            left, _ = self._refinements(test.left, frame)
            right, _ = self._refinements(test.right, frame)
            return {**left, **right}, {}
        if (
            isinstance(test, cst.Call)
            and isinstance(test.func, cst.Name)
            and test.func.value == "isinstance"
            and len(test.args) == 2
        ):
            return self._isinstance_refinement(test.args[0].value, test.args[1].value, frame), {}
        tested = _name_test(test)
        if tested is not None:
            name, kind, positive = tested
            value = frame.lookup(name)
            if isinstance(value, (ParamName, Param)) and value.link is not None:
                other = {"bias": "weight", "weight": "bias"}[kind]
                # Recurrent parameters are all weight_* or bias_*: the other branch has the other kind.
                return (
                    self._refine_link(frame, value.link, kind if positive else other),
                    self._refine_link(frame, value.link, other if positive else kind),
                )
        dimension = _dimension_test(test)
        if dimension is not None:
            name, kind = dimension
            value = frame.lookup(name)
            if isinstance(value, Param) and value.link is not None:
                other = {"bias": "weight", "weight": "bias"}[kind]
                return self._refine_link(frame, value.link, kind), self._refine_link(frame, value.link, other)
        return {}, {}

    def _refine_link(self, frame: Frame, link: int, kind: str) -> dict[str, Any]:
        """Every name bound to this loop's parameter (or its name) now has a known kind."""
        updates = {}
        frame_chain: Frame | None = frame
        while frame_chain is not None:
            for key, value in frame_chain.env.items():
                if isinstance(value, (ParamName, Param)) and value.link == link and key not in updates:
                    updates[key] = (
                        ParamName(value.owner, kind, link) if isinstance(value, ParamName) else value.refined(kind)
                    )
            frame_chain = frame_chain.outer
        return updates

    def _isinstance_refinement(
        self, subject: cst.BaseExpression, classes: cst.BaseExpression, frame: Frame
    ) -> dict[str, Any]:
        if not isinstance(subject, cst.Name):
            return {}
        nodes = [e.value for e in classes.elements] if isinstance(classes, (cst.Tuple, cst.List)) else [classes]
        kinds = {self.imports.recurrent_kind(n) for n in nodes}
        if None in kinds or not kinds:
            return {}
        families = {contract.family(kind) for kind in kinds}
        current = frame.lookup(subject.value)
        if isinstance(current, ModuleRef):
            kept = tuple(c for c in current.candidates if c.kind in kinds)
            return {subject.value: ModuleRef(kept)} if kept else {}
        return {subject.value: AnyRecurrent(next(iter(families)) if len(families) == 1 else None)}


# ==========================================================================================
# Helpers
# ==========================================================================================


def _body(node: Any) -> Sequence[cst.CSTNode]:
    body = node.body
    return body.body if hasattr(body, "body") else [body]


def _blocks(statement: cst.CSTNode) -> Iterator[Sequence[cst.CSTNode]]:
    yield _body(statement)
    if isinstance(statement, cst.If) and statement.orelse is not None:
        yield from _blocks(statement.orelse) if isinstance(statement.orelse, cst.If) else [_body(statement.orelse)]
    if isinstance(statement, cst.Try):
        for handler in statement.handlers:
            yield _body(handler)
        for extra in (statement.orelse, statement.finalbody):
            if extra is not None:
                yield _body(extra)


def _is_literal_expression(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString, cst.Name)):
        return True
    if isinstance(node, cst.UnaryOperation):
        return _is_literal_expression(node.expression)
    if isinstance(node, cst.BinaryOperation):
        return _is_literal_expression(node.left) and _is_literal_expression(node.right)
    if isinstance(node, (cst.Tuple, cst.List)):
        return all(_is_literal_expression(e.value) for e in node.elements)
    return False


def _numeric(value: Any) -> bool:
    if isinstance(value, Const):
        return (
            isinstance(value.value, (int, float))  # bools count: True is 1 to PyTorch
        )
    return isinstance(value, (Sym, Opaque)) or value is UNKNOWN


def _python_number(value: Any) -> Any:
    if isinstance(value, Sym) and value.known:
        return int(value.coeff) if value.coeff.denominator == 1 else float(value.coeff)
    if isinstance(value, Const) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
        return value.value
    return None


def _const_arithmetic(left: Any, right: Any, operation) -> Any:
    a, b = _python_number(left), _python_number(right)
    if a is None or b is None:
        return UNKNOWN
    try:
        result = operation(a, b)
    except (ZeroDivisionError, OverflowError, ValueError, TypeError):
        return UNKNOWN
    if isinstance(result, float):
        return Const(result)
    return Sym.number(result)


def _directions_pattern(node: cst.BinaryOperation, left: Any, right: Any) -> Sym | None:
    """``int(bidirectional) + 1`` and ``1 + bidirectional``: the number of directions."""
    if not isinstance(node.operator, cst.Add):
        return None
    for value, other in ((left, right), (right, left)):
        if other == Sym.number(1) and isinstance(value, Opaque) and not value.key.startswith("fstring:"):
            return directions_of(value)
    return None


def _recurrent(qualified: str) -> str | None:
    if qualified.startswith("torch.nn."):
        name = qualified[len("torch.nn.") :]
        if name in contract.RECURRENT_KINDS:
            return name
    return None


def _same_layout(a: Construction, b: Construction) -> bool:
    return (
        a.family == b.family
        and a.is_cell == b.is_cell
        and a.layers == b.layers
        and a.directions == b.directions
        and a.hidden_out == b.hidden_out
        and a.batch_first == b.batch_first
    )


def _element_of(iterable: Any) -> Any:
    if isinstance(iterable, Iterable):
        return iterable.element
    if isinstance(iterable, ListValue):
        return iterable.element()
    if isinstance(iterable, TupleValue) and iterable.items:
        result = iterable.items[0]
        for item in iterable.items[1:]:
            result = merge(result, item)
        return result
    return UNKNOWN


def _unpack(value: Any, count: int, starred: list[bool]) -> list[Any]:
    items: tuple[Any, ...] | None = None
    if isinstance(value, (TupleValue, ListValue)):
        items = sequence_items(value)
    elif isinstance(value, Size):
        items = value.items if value.items is not None else tuple(value.item(i) for i in range(count))
    if items is None or any(starred):
        if items is not None and any(starred):
            star = starred.index(True)
            after = count - star - 1
            if len(items) >= count - 1:
                return list(items[:star]) + [UNKNOWN] + (list(items[len(items) - after :]) if after else [])
        return [UNKNOWN] * count
    if len(items) != count:
        return [UNKNOWN] * count
    return list(items)


def _tensors_in(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, TupleValue):
        return [t for item in value.items for t in _tensors_in(item)]
    return []


def _constructions_in(value: Any) -> list[Construction]:
    if isinstance(value, ModuleRef):
        return list(value.candidates)
    if isinstance(value, (TupleValue, ListValue)):
        return [c for item in value.items for c in _constructions_in(item)]
    return []


def _batch_hint(expression: cst.BaseExpression) -> bool:
    if isinstance(expression, cst.Name):
        return expression.value in BATCH_NAMES
    if isinstance(expression, cst.Attribute):
        return expression.attr.value in BATCH_NAMES
    return False


def _attribute_link(candidates: tuple[Construction, ...], attr: str) -> str:
    """Every ``self.lstm.bias_ih_l0`` of one module is the same tensor: give them one identity."""
    return ":".join([attr, *(str(id(c)) for c in candidates)])


def _param_kind(attr: str) -> str | None:
    return "bias" if attr.startswith("bias") else "weight" if attr.startswith("weight") else None


def _provenance_source(node: cst.BaseExpression, imports: ImportTable) -> str | None:
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
    if qualified is not None and _PROVENANCE_FUNCTIONS.match(qualified):
        return first.value
    return None


def _name_test(test: cst.BaseExpression) -> tuple[str, str, bool] | None:
    """``'bias' in name`` / ``name.startswith('weight')`` / ``'bias' not in name``:
    (variable, "bias"|"weight", positive)."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comparison = test.comparisons[0]
        if isinstance(test.left, cst.SimpleString) and isinstance(comparison.comparator, cst.Name):
            text = test.left.evaluated_value
            kind = (
                "bias"
                if isinstance(text, str) and text.startswith("bias")
                else "weight"
                if isinstance(text, str) and text.startswith("weight")
                else None
            )
            if kind is not None and isinstance(comparison.operator, (cst.In, cst.NotIn)):
                return comparison.comparator.value, kind, isinstance(comparison.operator, cst.In)
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute) and test.func.attr.value == "startswith":
        if isinstance(test.func.value, cst.Name) and test.args and isinstance(test.args[0].value, cst.SimpleString):
            text = test.args[0].value.evaluated_value
            if isinstance(text, str) and text.startswith(("bias", "weight")):
                return test.func.value.value, "bias" if text.startswith("bias") else "weight", True
    return None


def _name_test_kind(test: cst.BaseExpression) -> tuple[str, bool] | None:
    found = _name_test(test)
    return (found[1], found[2]) if found else None


def _dimension_test(test: cst.BaseExpression) -> tuple[str, str] | None:
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


def build(module: cst.Module, path: str = "") -> FileFacts:
    return Interpreter(module, path).run()
