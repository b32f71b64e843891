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

This file holds the walk itself (statements, assignments, expressions, dispatching calls). What a
call *means* lives beside it, mixed into the Interpreter: recurrent modules in module_semantics.py,
tensors in tensor_semantics.py, parameters and branch refinements in parameter_semantics.py; the
spellings of real code it recognises (batch-size names, init functions …) are in idioms.py.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import libcst as cst

from rnn_lint import contract
from rnn_lint.facts import tensors
from rnn_lint.facts.carried_states import CarriedStates
from rnn_lint.facts.devices import Devices
from rnn_lint.facts.factories import forwarded_keywords, named_at_caller
from rnn_lint.facts.foreign_models import call_foreign, call_held, factory_class, table_class
from rnn_lint.facts.idioms import (
    BATCH_NAMES,
    CREATION_METHODS,
    HARMLESS_BUILTINS,
    MODULE_BASES,
    PARAM_ATTRIBUTE,
    PASS_THROUGH_FUNCTIONS,
    TORCH_CREATION,
    TORCH_LIKE,
    WEIGHT_LOADING_METHODS,
    directions_pattern,
    param_kind,
    provenance_source,
    reads_gradient,
)
from rnn_lint.facts.imports import ImportTable, dotted
from rnn_lint.facts.initial_states import InitialStates
from rnn_lint.facts.model import (
    ClassInfo,
    Construction,
    FileFacts,
    Indexing,
    Instantiation,
    ParamWrite,
    as_sym,
    directions_of,
    plain,
)
from rnn_lint.facts.module_semantics import RecurrentModules, recurrent_kind_of
from rnn_lint.facts.packing import Packing
from rnn_lint.facts.parameter_semantics import Parameters
from rnn_lint.facts.project_semantics import (
    ForeignModel,
    HeldInstance,
    OptionDefault,
    chosen_by_option,
    constructor_value,
    function_leaves,
    in_plain_run,
    leaves_weights,
    project_attribute,
    project_base,
    submodule_value,
)
from rnn_lint.facts.readings import Readings
from rnn_lint.facts.tensor_semantics import Tensors
from rnn_lint.facts.uses import KNOWN_LAYERS, SHAPE_KEEPING_FUNCTIONS, Uses
from rnn_lint.facts.values import (
    BATCH,
    MINUS_ONE,
    OWN_STATE,
    UNKNOWN,
    AnyRecurrent,
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
    ParamSlice,
    RecurrentClass,
    Size,
    Sym,
    Tensor,
    TorchLayer,
    TupleValue,
    const_arithmetic,
    element_of,
    is_empty_sequence,
    is_index,
    is_numeric,
    joined_parameters,
    merge,
    merge_all,
    new_link,
    python_number,
    sequence_items,
    some_index,
)
from rnn_lint.guard import tick
from rnn_lint.project.summary import is_training_state

MAX_INLINE_DEPTH = 4
#: A loop over a literal tuple or list of this many parameters at most runs its body on each.
MAX_LISTED_PARAMETERS = 16

_MISSING = object()


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
    #: run for a caller that goes on with what it returns (its uses are recorded there)
    inlined: bool = False

    def lookup(self, name: str) -> Any:
        frame: Frame | None = self
        while frame is not None:
            if name in frame.env:
                return frame.env[name]
            frame = frame.outer
        return _MISSING

    def note(self, key: str, fact: Any) -> None:
        """Remember a fact about a name under ``key`` (a device, a layout), or forget it when the
        name's new value tells nothing (``fact`` is None)."""
        if fact is None:
            self.env.pop(key, None)
        else:
            self.env[key] = Const(fact)


class Interpreter(
    RecurrentModules, Tensors, Parameters, Devices, Uses, InitialStates, CarriedStates, Packing, Readings
):
    def __init__(self, module: cst.Module, path: str = "", project: Any = None, source: str | None = None) -> None:
        #: the file's text, when the caller has it (searched for names; else made from the tree)
        self.source = source
        self.imports = ImportTable()
        self.facts = FileFacts(module, self.imports, path=path, project=project)
        #: the project index's view of this file (project_semantics.ProjectView), or None
        self.project = project
        self.module = module
        self.module_frame = Frame("<module>", {})
        self.functions: dict[str, cst.FunctionDef] = {}
        self.analyzed: set[int] = set()
        self.inlined: set[int] = set()
        self.stack: list[int] = []
        self.constructions: dict[tuple[int, str], Construction] = {}
        #: symbols of sizes read off inputs by name, once we know what they are (BATCH / TIME)
        self.size_meaning: dict[str, str] = {}
        #: constructions returned by a function: they escape unless the function is called here
        self.returned: list[tuple[int, Construction]] = []
        self.nested: list[tuple[cst.FunctionDef, Frame, ClassInfo | None]] = []
        #: how many forward() calls are being run (modules handed out there do not escape)
        self.forward_depth = 0
        #: factory calls met so far (devices.py): id(node) → where it was made
        self._factories: dict[int, Any] = {}
        #: tensors put on the GPU unconditionally (devices.py): id(origin) → the .cuda() call
        self._gpu_placements: dict[int, Any] = {}
        #: how many branches (if, try, `a if c else b`, `c and a`) the code being run is inside
        self.conditional = 0
        #: the blocks a plain run of the script may skip that the code being run is inside (an
        #: ``if`` other than the main guard, a ``while``, an ``except``), innermost last, each
        #: numbered once: a checkpoint loaded there (``if args.resume:``) leaves a model that may
        #: as well train from its initialisation, as the project index reads it
        #: (project/summary.py) — unless the module was built in those blocks too
        #: (``_weights_in_or_out``)
        self.optional_path: tuple[int, ...] = ()
        self._blocks = itertools.count()
        #: the method being run when the run of the file did not reach it (``def load_model(self,
        #: path)``, a ``from_pretrained`` classmethod, an override of ``load_state_dict``): what
        #: it loads, if nothing else in the file names it, is loaded on request, not by every run
        #: (``_loads_on_request``)
        self.uncalled_method: cst.FunctionDef | None = None
        #: where the run saved its own state so far (``_saved_or_loaded``)
        self._saved_states: set[str] = set()
        self._paths_bound_once: frozenset[str] | None = None  # see _path_name_key

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
                    self.uncalled_method = method
                    self._analyze(method, info)
        self.uncalled_method = None
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
        in_file, unknown, project_bases = [], False, []
        for base in node.bases:
            if base.keyword is not None:
                continue
            # ``Base[int]`` (``Generic[T]``) inherits from ``Base``
            written = base.value.value if isinstance(base.value, cst.Subscript) else base.value
            qualified = self.imports.qualify(written)
            name = dotted(written)
            if qualified is not None and qualified.startswith(MODULE_BASES):
                continue
            if name is not None and name in self.facts.classes:
                in_file.append(name)
            elif name in ("object", "ABC", "Generic"):
                continue
            elif name is not None and (foreign := project_base(self.project, name)) is not None:
                project_bases.append(foreign)  # defined in another file of the project: as if local
                unknown = unknown or foreign.opaque
            else:
                unknown = True
        info = ClassInfo(node.name.value, node, methods, in_file, unknown, project_bases=project_bases)
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
        call: cst.Call | None = None,
        placed_by: Frame | None = None,
    ) -> Any:
        """Run ``ref`` with ``args`` and ``kwargs`` (``standalone``: for itself, every parameter
        unknown). ``call`` made in ``caller`` (or, for an instance's method, in ``placed_by``):
        its arguments on an accelerator stay there in the function (``_pass_placements``)."""
        function: cst.FunctionDef = ref.node
        if id(function) in self.stack or len(self.stack) >= MAX_INLINE_DEPTH:
            return UNKNOWN
        info = self.facts.classes.get(ref.class_name) if ref.class_name else None
        key = f"{ref.class_name}.{function.name.value}" if ref.class_name else function.name.value
        frame = Frame(key, {}, ref.outer or self.module_frame, info, inlined=not standalone)
        decorators = {dotted(d.decorator) or "" for d in function.decorators}
        is_method = info is not None and "staticmethod" not in decorators
        self._bind_parameters(
            function, frame, info if is_method else None, "classmethod" in decorators, ref.bound, args, kwargs
        )
        if call is not None and (caller or placed_by) is not None:
            self._pass_placements(function, call, caller or placed_by, frame, is_method)
        forwarded = None if args is None else forwarded_keywords(function, call, kwargs, caller)
        if forwarded is not None:  # a factory: what reaches its **kwargs is the caller's
            frame.env[function.params.star_kwarg.name.value] = forwarded
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
        in_forward = function.name.value == "forward"
        self.forward_depth += in_forward
        try:
            self._exec_block(_body(function), frame)
        finally:
            self.stack.pop()
            self.forward_depth -= in_forward
        if shares_self:
            caller.env.update({key: value for key, value in frame.env.items() if key.startswith("self.")})
        if info is not None:
            self._commit_attributes(frame, info)
        if standalone:
            for value in frame.returns:
                for construction in _constructions_in(value):
                    self.returned.append((id(function), construction))
            return UNKNOWN
        result = merge_all(frame.returns) if frame.returns else Const(None)
        if forwarded is not None:
            named_at_caller(result, forwarded)
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
            if frame.key.endswith(".__init__") and frame.class_info is not None:
                built = constructor_value(self.project, frame.class_info.name, name)
                if built is not None:  # every construction in the project gives it this value
                    return _as_run(built, f"{frame.key}:{name}")
                held = submodule_value(self.project, frame.class_info.name, name, self.facts.classes)
                if held is not None:  # Seq2Seq(encoder, decoder): every construction passes an Encoder
                    return held
            elif frame.class_info is None and frame.outer is self.module_frame and frame.key in self.functions:
                built = constructor_value(self.project, frame.key, name, "function")
                if built is not None:  # every call of this module function gives it this value
                    return _as_run(built, f"{frame.key}:{name}")
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
        tick()  # the file's time budget (guard.time_budget)
        if isinstance(statement, cst.BaseSmallStatement):  # the body of `if use_cuda: h = h.cuda()`
            return self._exec_small(statement, frame)
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
            self._note_state_bindings(small, value, frame)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self._assign(small.target, self._eval(small.value, frame), frame, small.value)
        elif isinstance(small, cst.AugAssign):
            self._exec_augmented(small, frame)
        elif isinstance(small, cst.Return):
            value = self._eval(small.value, frame) if small.value is not None else Const(None)
            if not frame.inlined:  # an inlined call hands the value to its caller, whose uses count
                self._note_use(small, value, "return")
            frame.returns.append(value)
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

    @contextlib.contextmanager
    def _maybe_skipped(self, skipped: bool = True) -> Iterator[None]:
        """Run what follows as a block a plain run may skip (``optional_path``)."""
        outer = self.optional_path
        if skipped:
            self.optional_path = (*outer, next(self._blocks))
        try:
            yield
        finally:
            self.optional_path = outer

    def _exec_if(self, statement: cst.If, frame: Frame) -> bool:
        with self._maybe_skipped(not _is_main_guard(statement.test)):
            return self._exec_if_branches(statement, frame)

    def _exec_if_branches(self, statement: cst.If, frame: Frame) -> bool:
        test = self._eval(statement.test, frame)
        when_true, when_false = self._refinements(statement.test, frame)
        if isinstance(test, Const) and isinstance(test.value, (bool, int, type(None))):
            taken = bool(test.value)
            frame.env.update(when_true if taken else when_false)
            # A flag the user flips (`USE_CUDA = True`) picks the branch, but what runs under it is
            # still a choice, not every path: a `.cuda()` there is guarded (devices.py asks).
            flag = not _written_constant(statement.test)
            self.conditional += flag
            try:
                if taken:
                    return self._exec_block(_body(statement), frame)
                return self._exec_else(statement.orelse, frame)
            finally:
                self.conditional -= flag
        before = dict(frame.env)
        frame.env.update(when_true)
        self.conditional += 1  # what runs from here on may not run at all (devices.py asks)
        try:
            leaves_true = self._exec_block(_body(statement), frame)
            after_true = frame.env
            frame.env = dict(before)
            frame.env.update(when_false)
            leaves_false = self._exec_else(statement.orelse, frame)
        finally:
            self.conditional -= 1
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
            listed = sequence_items(iterable) if isinstance(iterable, (TupleValue, ListValue)) else None
            each = listed and len(listed) <= MAX_LISTED_PARAMETERS and all(isinstance(item, Param) for item in listed)
            # for bias in (lstm.bias_ih_l0, lstm.bias_hh_l0): the body runs on each in turn
            for item in listed if each else [element_of(iterable)]:
                self._assign(statement.target, item, frame)
                self._exec_block(_body(statement), frame)
        else:
            self._eval(statement.test, frame)
            with self._maybe_skipped():
                self._exec_block(_body(statement), frame)
        frame.env = self._merge_envs(before, frame.env, frame)
        if statement.orelse is not None:
            self._exec_block(_body(statement.orelse), frame)

    def _exec_try(self, statement: cst.Try, frame: Frame) -> None:
        guarded = bool(statement.handlers)  # `try: h = h.cuda() except …: pass`
        # `try: model.load_state_dict(...) except FileNotFoundError: pass`: a run may carry on
        # without what the body does (a handler that raises again does not let it)
        carries_on = any(not _ends_raising(handler) for handler in statement.handlers)
        self.conditional += guarded
        try:
            with self._maybe_skipped(carries_on):
                self._exec_block(_body(statement), frame)
        finally:
            self.conditional -= guarded
        blocks = [_body(handler) for handler in statement.handlers]
        if statement.orelse is not None:
            blocks.append(_body(statement.orelse))
        if blocks:
            with self._maybe_skipped(bool(statement.handlers)):  # an except block, or an else that a raise skips
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
        if reads_gradient(small.value):
            return  # p.data -= lr * p.grad: an update step, which initialises nothing
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
            self._note_placement(target.value, value_node, frame)
            self._note_size_one_axes(target.value, value_node, frame)
            self._note_layout(target.value, value_node, frame)
            source = provenance_source(value_node, self.imports) if value_node is not None else None
            if source is not None and source != target.value:
                frame.provenance[target.value] = source
            else:
                frame.provenance.pop(target.value, None)
            return
        if isinstance(target, cst.Attribute):
            self._note_attribute_write(target, frame)
            if isinstance(target.value, cst.Name) and target.value.value == frame.self_name:
                frame.env[f"self.{target.attr.value}"] = value
                self._name_binding(value, f"self.{target.attr.value}")
                self._note_state_attribute(target.attr.value, value, value_node, frame)
                return
            base = self._eval(target.value, frame)
            if target.attr.value == "data" and isinstance(base, (Param, ParamSlice)):
                self.facts.param_writes.append(ParamWrite(target, base, UNKNOWN))
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            self._note_state_unpacking(target, value)
            elements = [element.value for element in target.elements]
            values = _unpack(value, len(elements), [isinstance(e, cst.StarredElement) for e in target.elements])
            placement = self._sorted_placement(target, value_node, frame)
            for element, item in zip(elements, values):
                self._assign(element, item, frame)
            self._note_unpacked_state_attributes(elements, value_node, frame)
            self._note_sorted(placement, frame)
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
            left = self._eval(node.left, frame)
            self.conditional += 1  # `use_cuda and h.cuda()`
            try:
                right = self._eval(node.right, frame)
            finally:
                self.conditional -= 1
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
            return self._fixed_batch(node, self._instance_attribute(frame.class_info.name, attr, frame), frame)
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
            if PARAM_ATTRIBUTE.match(attr):
                return self._param(Owner((), base.family), param_kind(attr))
            if attr in ("_all_weights", "_flat_weights_names"):
                return self._weight_names(Owner((), base.family), nested=attr == "_all_weights")
            if attr == "all_weights":
                return self._all_weights(Owner((), base.family), f"all_weights:{new_link()}")
            return UNKNOWN
        if isinstance(base, Tensor):
            if attr in ("shape",):
                return Size(tuple(axis.size for axis in base.axes)) if base.axes is not None else UNKNOWN
            if attr in ("data",):
                return replace(base, detached=True)
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
        if PARAM_ATTRIBUTE.match(attr):
            return self._param(Owner(), param_kind(attr))
        if attr == "shape" and base_name is not None:
            return self._named_size(base_name, frame)
        if isinstance(base, Opaque):
            return self._parameter_attribute(base, attr, base_name, frame)
        if attr in BATCH_NAMES:
            return Sym.of(BATCH)
        return UNKNOWN

    def _parameter_attribute(self, base: Opaque, attr: str, base_name: str | None, frame: Frame) -> Any:
        """``base.attr`` of a value the analysis does not know. ``args.n_layers`` written in a
        class's ``__init__`` whose parameter ``args`` every construction in the project fills
        alike (``Encoder(args)`` in train.py, with ``--n_layers``'s default): that value."""
        key = f"{base.key}.{attr}"
        if frame.class_info is not None and frame.key.endswith(".__init__") and base.key == f"{frame.key}:{base_name}":
            built = constructor_value(self.project, frame.class_info.name, f"{base_name}.{attr}")
            if built is not None:
                return _as_run(built, key)
        return Opaque(key)

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
        return project_attribute(info, attr)

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

    def _eval_subscript(self, node: cst.Subscript, frame: Frame) -> Any:
        base = self._eval(node.value, frame)
        if base is UNKNOWN or isinstance(base, ImportRef):
            chosen = table_class(self, node, frame)  # RNNS[cell], the dict of classes of another file
            if chosen is not None:
                return chosen
        if isinstance(base, Tensor):
            items = self._subscript_items(node, frame, base)
            result = tensors.index(base, items)
            if base.axes is not None:
                indexing = Indexing(node, base, tuple(items))
                indexing.result = result = replace(result, read=indexing)  # followed until fed on (RNN107)
                self.facts.indexings.append(indexing)
            return result
        if isinstance(base, (Param, ParamSlice)):
            return self._param_subscript(base, node, frame)
        if base == OWN_STATE:  # torch.load("best.pt")["model"], of a file this run saved
            self._subscript_items(node, frame)
            return OWN_STATE
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

    def _subscript_items(self, node: cst.Subscript, frame: Frame, base: Tensor | None = None) -> list[tuple[Any, ...]]:
        items: list[tuple[Any, ...]] = []
        for axis, element in enumerate(node.slice):
            part = element.slice
            if isinstance(part, cst.Slice):
                bounds = [self._eval(b, frame) if b is not None else None for b in (part.lower, part.upper, part.step)]
                items.append(("full",) if all(b is None for b in bounds) else ("slice", *bounds))
                continue
            if isinstance(part.value, cst.Ellipsis):
                items.append(("ellipsis",))
                continue
            uses = len(self.facts.uses)
            value = self._eval(part.value, frame)
            if value == Const(None):
                items.append(("none",))
            elif base is not None and self._last_index(part.value, base, axis, items, frame):
                items.append(("int", MINUS_ONE))
                del self.facts.uses[uses:]  # (``len(out)`` reads only the size of what it indexes)
            elif isinstance(value, Sym) and value.known:
                items.append(("int", value))
            elif is_index(value):
                items.append(("index", value))
            else:
                items.append(("other",))
        return items

    def _last_index(
        self, node: cst.BaseExpression, tensor: Tensor, axis: int, before: list[tuple[Any, ...]], frame: Frame
    ) -> bool:
        """``out.size(k) - 1``, ``out.shape[k] - 1`` or ``len(out) - 1`` (k = 0) indexing axis k of
        ``out`` itself: its last index, spelled out (``out[out.size(0) - 1]`` is ``out[-1]``)."""
        if any(item[0] in ("ellipsis", "none") for item in before):
            return False  # the written position is not the axis
        if not (isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract)):
            return False
        if not (isinstance(node.right, cst.Integer) and node.right.evaluated_value == 1):
            return False
        left, owner, position = node.left, None, None
        if isinstance(left, cst.Call) and len(left.args) == 1 and left.args[0].keyword is None:
            given = left.args[0].value
            if _attribute_named(left.func, "size") and isinstance(given, cst.Integer):
                owner, position = left.func.value, given.evaluated_value
            elif isinstance(left.func, cst.Name) and left.func.value == "len" and not left.args[0].star:
                owner, position = given, 0
        elif isinstance(left, cst.Subscript) and _attribute_named(left.value, "shape") and len(left.slice) == 1:
            index = left.slice[0].slice
            if isinstance(index, cst.Index) and isinstance(index.value, cst.Integer):
                owner, position = left.value.value, index.value.evaluated_value
        return isinstance(owner, cst.Name) and position == axis and self._eval(owner, frame) is tensor

    def _eval_binary(self, node: cst.BinaryOperation, frame: Frame) -> Any:
        left, right = self._eval(node.left, frame), self._eval(node.right, frame)
        operator = node.operator
        numeric = all(is_numeric(value) for value in (left, right))
        if isinstance(operator, cst.Multiply) and numeric:
            if (isinstance(left, Const) and isinstance(left.value, float)) or (
                isinstance(right, Const) and isinstance(right.value, float)
            ):
                return const_arithmetic(left, right, lambda a, b: a * b)
            return as_sym(left) * as_sym(right)
        if isinstance(operator, cst.FloorDivide) and numeric:
            quotient = as_sym(left).divide(as_sym(right))
            if quotient is not None and (quotient.symbols or quotient.coeff.denominator == 1):
                return quotient
            return const_arithmetic(left, right, lambda a, b: a // b)
        if isinstance(operator, cst.Divide) and numeric:
            known = const_arithmetic(left, right, lambda a, b: a / b)
            return Const(float(known.value)) if isinstance(known, (Const,)) else FloatNumber()
        if isinstance(operator, (cst.Add, cst.Modulo)) and isinstance(left, Const) and isinstance(left.value, str):
            # "bias_ih_l" + str(k), "bias_ih_l%d" % k: only the literal part is known, as for an f-string
            text = left.value + (right.value if isinstance(right, Const) and isinstance(right.value, str) else "")
            return Opaque(f"fstring:{text}")
        if isinstance(operator, cst.Add):
            joined = joined_parameters(left, right)
            if joined is not None:
                return joined
        if isinstance(operator, (cst.Add, cst.Subtract)):
            directions = directions_pattern(node, left, right)
            if directions is not None:
                return directions
            if numeric:
                result = const_arithmetic(
                    left, right, (lambda a, b: a + b) if isinstance(operator, cst.Add) else (lambda a, b: a - b)
                )
                if result is not UNKNOWN:
                    return result
                if any(is_index(value) for value in (left, right)) and all(
                    is_index(value) or isinstance(python_number(value), int) for value in (left, right)
                ):
                    return some_index()  # 2 * i + 1: still an integer, a different one
        if isinstance(operator, (cst.Modulo, cst.Power)) and numeric:
            return const_arithmetic(
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
        self.conditional += 1
        try:
            body, orelse = self._eval(node.body, frame), self._eval(node.orelse, frame)
        finally:
            self.conditional -= 1
        if isinstance(test, Const):
            return body if test.value else orelse
        if isinstance(test, OptionDefault) and isinstance(test.given, Const):
            # a plain run takes the branch the option's default chooses; other runs either
            return chosen_by_option(test, in_plain_run(body if test.given.value else orelse), merge(body, orelse))
        if is_empty_sequence(orelse) and element_of(body) is not UNKNOWN:
            return body  # ``list(self.rnn.parameters()) if cond else []``: its elements, or none
        if is_empty_sequence(body) and element_of(orelse) is not UNKNOWN:
            return orelse
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
        found = self._compare(left, right, operator)
        option = left if isinstance(left, OptionDefault) else right if isinstance(right, OptionDefault) else None
        if found is UNKNOWN and option is not None:
            # ``config.n_layers == 1`` with ``--n_layers`` defaulting to 1: unknown, but true in a
            # plain run (which ``0 if config.n_layers == 1 else p`` then follows)
            return chosen_by_option(option, self._compare(in_plain_run(left), in_plain_run(right), operator))
        return found

    def _compare(self, left: Any, right: Any, operator: Any) -> Any:
        if isinstance(operator, (cst.Is, cst.IsNot)) and right == Const(None) and isinstance(left, Const):
            result = left.value is None
            return Const(result if isinstance(operator, cst.Is) else not result)
        a, b = python_number(left), python_number(right)
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
            self._assign(clause.target, element_of(iterable), frame)
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
        if _calls_base_initialiser(node, frame):
            # Base.__init__(self, ...): what super().__init__(...) is, the instance not handed over
            args, kwargs = self._arguments(node, frame)
            self._hand_over(args[1:], kwargs, node)
            return UNKNOWN
        if isinstance(func, cst.Attribute):
            qualified = self._qualified_callee(func, frame)
            if qualified is not None:
                return self._call_qualified(qualified, node, frame)
            receiver = self._eval(func.value, frame)
            if isinstance(receiver, Instance):
                member = self._eval_attribute(func, frame)
                if isinstance(member, ForeignModel):  # self.encoder(src), the Encoder of another file
                    return call_foreign(self, member, node, frame)
                if isinstance(member, HeldInstance):  # self.encoder(src), the Encoder of this file
                    return call_held(self, member, node, frame)
                if isinstance(member, (ModuleRef, Instance, FunctionRef)):
                    return self._call_value(member, node, frame)
                if isinstance(member, TorchLayer) or _starts_with_layer(member):
                    return self._call_layer(member, node, frame)
                if isinstance(member, RecurrentClass):  # self.rnn_cell(...) after self.rnn_cell = nn.LSTM
                    return self._construct_one_of(member.kinds, node, frame)
                return self._instance_method(receiver, func.attr.value, node, frame)
            return self._call_method(receiver, func.attr.value, node, frame)
        callee = self._eval(func, frame)
        if isinstance(callee, ImportRef):
            return self._call_qualified(callee.path, node, frame)
        if isinstance(callee, (ModuleRef, Instance, FunctionRef)):
            return self._call_value(callee, node, frame)
        if isinstance(callee, ForeignModel):
            return call_foreign(self, callee, node, frame)
        if isinstance(callee, RecurrentClass):
            return self._construct_one_of(callee.kinds, node, frame)
        if isinstance(callee, TorchLayer) or _starts_with_layer(callee):
            return self._call_layer(callee, node, frame)
        if isinstance(callee, ClassRef):
            args, kwargs = self._arguments(node, frame)
            self.facts.instantiations.append(Instantiation(callee.name, node, args, kwargs))
            return Instance(callee.name)
        if isinstance(func, cst.Name) and callee is UNKNOWN:
            chosen = factory_class(self, node, frame)  # make_rnn(cell) imported relatively
            return chosen if chosen is not None else self._call_builtin(func.value, node, frame)
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
        return self._call_function(callee, args, kwargs, caller=frame, call=node)

    def _arguments(self, node: cst.Call, frame: Frame) -> tuple[list[Any], dict[str, Any]]:
        args, kwargs = [], {}
        for arg in node.args:
            value = self._eval(arg.value, frame)
            self._note_use(node, value, "argument")
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
        self._hand_over(args, kwargs, node)
        return UNKNOWN

    def _hand_over(self, args: list[Any], kwargs: dict[str, Any], node: cst.Call) -> None:
        """What is given to code we cannot see escapes; a parameter given there may be set."""
        for value in list(args) + list(kwargs.values()):
            self._escape(value)
            if isinstance(value, (Param, ParamSlice)):
                self.facts.param_writes.append(ParamWrite(node, value, UNKNOWN))

    def _escape(self, value: Any) -> None:
        if self.forward_depth:
            return  # what forward() hands to a helper (a device lookup, a runner) is not initialised there
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
            return Iterable(TupleValue((UNKNOWN, element_of(args[0]))))
        if name == "zip" and args:
            return Iterable(TupleValue(tuple(element_of(a) for a in args)))
        if name == "filter" and len(args) == 2:
            return self._filter(node.args[0].value, args[1])
        if name == "next" and args:
            return element_of(args[0])
        if name == "eval" and args:
            return self._eval_of_parameter_name(args[0], frame)
        if name in ("range",):
            return Iterable(some_index())
        if name in HARMLESS_BUILTINS:
            return UNKNOWN
        for value in list(args) + list(kwargs.values()):
            self._escape(value)
            if isinstance(value, (Param, ParamSlice)):
                self.facts.param_writes.append(ParamWrite(node, value, UNKNOWN))
        return UNKNOWN

    def _call_qualified(self, qualified: str, node: cst.Call, frame: Frame) -> Any:
        kind = recurrent_kind_of(qualified)
        if kind is not None:
            return self._construct(kind, node, frame)
        if qualified in ("copy.deepcopy", "copy.copy"):
            args, _ = self._arguments(node, frame)
            return args[0] if args else UNKNOWN
        if not qualified.startswith("torch"):
            chosen = factory_class(self, node, frame)
            if chosen is not None:  # make_rnn("lstm"), a project function returning nn.LSTM
                return chosen
            if qualified.startswith(("pytorch_lightning.", "lightning.")) and qualified.endswith("Trainer"):
                self.facts.trains = True
            if leaves_weights(self.project, dotted(node.func)):
                self._arguments(node, frame)  # WeightDrop(rnn, ...): what it is handed keeps its initialisation
                return UNKNOWN
            if self.project is not None and not any(arg.star for arg in node.args):
                args, kwargs = self._arguments(node, frame)
                handed: list[int | str] = [i for i, v in enumerate(args) if _holds_model(v)]
                handed += [k for k, v in kwargs.items() if _holds_model(v)]
                if not function_leaves(self.project, dotted(node.func), handed):
                    self._hand_over(args, kwargs, node)  # evaluate(model, loader) in utils.py sets nothing
                return UNKNOWN
            return self._call_unknown(node, frame)
        name = qualified
        if name in ("torch.save", "torch.load"):
            return self._saved_or_loaded(name, node, frame)
        if name.startswith("torch.optim."):
            self.facts.trains = True
        if name.startswith("torch.nn.") and name[len("torch.nn.") :] in KNOWN_LAYERS:
            return self._torch_layer(name[len("torch.nn.") :], node, frame)
        if name in SHAPE_KEEPING_FUNCTIONS:
            return self._call_shape_keeping(node, frame)
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
                else ListValue(items if items is not None else (element_of(args[0]),), items is not None)
            )
        if name in TORCH_CREATION:
            return self._factory_placed(self._create(node, frame, fill=name == "torch.full"), node, frame)
        if name in TORCH_LIKE:
            args, _ = self._arguments(node, frame)
            return Tensor("created", args[0].module, args[0].axes) if args and isinstance(args[0], Tensor) else UNKNOWN
        if name in PASS_THROUGH_FUNCTIONS:
            args, _ = self._arguments(node, frame)
            if not args:
                return UNKNOWN
            return self._unplaced(args[0]) if name.endswith("Parameter") else args[0]
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
        if name == "torch.nn.utils.rnn.pack_padded_sequence":
            args, kwargs = self._arguments(node, frame)
            self._note_pack(node, frame)
            first = node.args[0].value if node.args and node.args[0].keyword is None else None
            layout = kwargs.get("batch_first", args[2] if len(args) > 2 else Const(False))
            return PackedSequence(
                source=first.value if isinstance(first, cst.Name) else None,
                batch_first=layout.value if isinstance(layout, Const) and isinstance(layout.value, bool) else None,
                pack=self._note_pack_layout(node, frame, layout),
            )
        if name == "torch.nn.utils.rnn.pack_sequence":
            self._arguments(node, frame)
            return PackedSequence()
        if name == "torch.nn.utils.rnn.pad_packed_sequence":
            args, kwargs = self._arguments(node, frame)
            packed = args[0] if args else kwargs.get("sequence", UNKNOWN)
            batch_first = kwargs.get("batch_first", args[1] if len(args) > 1 else Const(False))
            if isinstance(packed, PackedSequence) and packed.module is not None and isinstance(batch_first, Const):
                return TupleValue((self._unpacked(node, packed, bool(batch_first.value)), UNKNOWN))
            return UNKNOWN
        args, kwargs = self._arguments(node, frame)
        if name == "torch.stack":
            parts = (sequence_items(args[0]) or ()) if args else ()
            return tensors.stack(parts, kwargs.get("dim", args[1] if len(args) > 1 else Sym.number(0)))
        if name in ("torch.squeeze", "torch.unsqueeze", "torch.sum", "torch.mean", "torch.flatten"):
            return UNKNOWN
        return UNKNOWN

    def _call_method(self, receiver: Any, method: str, node: cst.Call, frame: Frame) -> Any:
        self._note_tuple_method(receiver, method, node, frame)
        if method in WEIGHT_LOADING_METHODS or method == "state_dict":
            return self._weights_in_or_out(method, node, frame)
        if method == "backward" or method == "fit":
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
        if isinstance(receiver, ClassRef):
            found = self._method(receiver.name, method)
            decorators = {dotted(d.decorator) or "" for d in found[1].decorators} if found is not None else set()
            if decorators & {"staticmethod", "classmethod"}:
                # BiLSTM.LSTM(...) of a class of this file: a factory as self.LSTM(...) is
                return self._call_value(FunctionRef(found[1], found[0]), node, frame)
        if isinstance(receiver, AnyRecurrent):
            owner = Owner((), receiver.family)
            self._arguments(node, frame)
            return self._module_iterable(method, owner) or UNKNOWN
        if isinstance(receiver, TupleValue) and method in ("detach", "contiguous"):
            return receiver
        return self._unknown_method(receiver, method, node, frame)

    def _unknown_method(self, receiver: Any, method: str, node: cst.Call, frame: Frame) -> Any:
        func = node.func
        if method in CREATION_METHODS and (method != "new" or len(node.args) >= 2):
            return self._create(node, frame, fill=method == "new_full")
        if method == "size" and isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            args, _ = self._arguments(node, frame)
            size = self._named_size(func.value.value, frame)
            if not args:
                return size
            index = python_number(args[0])
            return (
                self._resolve(size.item(int(index))) if isinstance(index, int) and isinstance(size, Size) else UNKNOWN
            )
        iterable = self._module_iterable(method, Owner())
        if iterable is not None:
            self._arguments(node, frame)
            return iterable
        if method == "apply":
            args, _ = self._arguments(node, frame)
            if args and not isinstance(args[0], FunctionRef) and self._may_be_module_apply(receiver, node, frame):
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

    def _may_be_module_apply(self, receiver: Any, node: cst.Call, frame: Frame) -> bool:
        """Whether ``x.apply(f)`` may be ``model.apply(init_fn)``: not an autograd function's
        ``GradReverse.apply(x)``, nor ``f`` a builtin (``.apply(len)``, ``.apply(str.lower)``) or a
        lambda that calls nothing that can set a weight (pandas' ``df.apply(lambda s: s.lower())``)."""
        if isinstance(receiver, ClassRef):
            info = self.facts.classes.get(receiver.name)
            if info is not None and any((dotted(base.value) or "").endswith("Function") for base in info.node.bases):
                return False
        argument = node.args[0].value
        if isinstance(argument, cst.Lambda):
            return not _sets_nothing(argument.body)
        if isinstance(argument, cst.Name):
            unbound = frame.lookup(argument.value) is _MISSING and argument.value not in self.imports.names
            return not (unbound and argument.value in _BUILTIN_MAPS)
        if isinstance(argument, cst.Attribute) and isinstance(argument.value, cst.Name):
            return argument.value.value not in ("str", "int", "float", "bytes")
        return True

    def _saved_or_loaded(self, name: str, node: cst.Call, frame: Frame) -> Any:
        """``torch.save(model.state_dict(), "best.pt")`` and, after it, ``torch.load("best.pt")``:
        what is loaded back is the run's own state (early stopping through a file, as
        pytorchtools' ``EarlyStopping`` does), not a checkpoint of another run."""
        args, kwargs = self._arguments(node, frame)
        positional = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
        if name == "torch.save":
            where = positional[1] if len(positional) > 1 else None
            key = _path_key(args[1] if len(args) > 1 else UNKNOWN) or self._path_name_key(where)
            if key is not None and _holds_own_state(args[0] if args else kwargs.get("obj")):
                self._saved_states.add(key)
            return UNKNOWN
        key = _path_key(args[0] if args else UNKNOWN) or self._path_name_key(positional[0] if positional else None)
        return OWN_STATE if key is not None and key in self._saved_states else UNKNOWN

    def _path_name_key(self, node: cst.BaseExpression | None) -> str | None:
        """A path held in a name the file binds once, to a string or an f-string
        (``model_path = f"model_files/{folder}/tagger.m"``): the same file wherever it is read."""
        if not isinstance(node, cst.Name):
            return None
        if self._paths_bound_once is None:
            import ast

            from rnn_lint.project.summary import names_bound_once_to_text

            try:
                text = self.source if self.source is not None else self.module.code
                self._paths_bound_once = names_bound_once_to_text(ast.parse(text))
            except (SyntaxError, ValueError, RecursionError):
                self._paths_bound_once = frozenset()
        return f"name:{node.value}" if node.value in self._paths_bound_once else None

    def _weights_in_or_out(self, method: str, node: cst.Call, frame: Frame) -> Any:
        """``model.state_dict()`` is the model's own state; loading anything else (a checkpoint,
        ``from_pretrained``) means the weights are trained elsewhere and their init is moot."""
        args, kwargs = self._arguments(node, frame)
        if method == "state_dict":
            return OWN_STATE
        receiver = node.func.value if isinstance(node.func, cst.Attribute) else None
        if (
            (args[0] if args else kwargs.get("state_dict")) == OWN_STATE  # an early-stopping restore
            or self._loads_on_request()
            or (receiver is not None and is_training_state(dotted(receiver)))
        ):
            return UNKNOWN
        if not self.optional_path:
            self.facts.loads_weights = True  # a checkpoint every run loads
        elif dotted(receiver) is not None and isinstance(loaded := self._eval(receiver, frame), ModuleRef):
            # cove's ``if layer1: self.rnn = nn.LSTM(...); self.rnn.load_state_dict(...)``: a
            # module built under every condition the load is under is loaded whenever it exists
            depth = len(self.optional_path)
            for construction in loaded.candidates:
                if construction.optional_path[:depth] == self.optional_path:
                    self.facts.loaded_constructions.add(id(construction))
        return UNKNOWN

    def _loads_on_request(self) -> bool:
        """Whether the code being run is a method the run of the file did not reach and that
        nothing else in the file names (``x.restore(...)``, ``Model.from_pretrained(...)``):
        another program may call it, or not."""
        method = self.uncalled_method
        if method is None:
            return False
        # searched in the text (a comment or a string naming it counts too: then it is not
        # assumed uncalled); walking a 300 KB module's tree for it took a second
        named = re.compile(rf"\.\s*{re.escape(method.name.value)}\b")
        text = self.source if self.source is not None else self.module.code
        own = self.module.code_for_node(method)
        return len(named.findall(text)) == len(named.findall(own))  # its own super() call aside

    def _grow_list(self, receiver: Any, method: str, node: cst.Call, frame: Frame) -> Any:
        """``layers.append(nn.LSTM(...))``: the list (a local or ``self.x``) now holds the module.
        Into a list we do not follow, the module escapes."""
        args, _ = self._arguments(node, frame)
        if method == "insert":
            args = args[1:]
        added: tuple[Any, ...] = tuple(args[:1])
        if method == "extend" and args:
            items = sequence_items(args[0])
            added = items if items is not None else (element_of(args[0]),)
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

    # --- models defined in this file ---------------------------------------------------

    # --- tensors -------------------------------------------------------------------------

    # --- parameters ------------------------------------------------------------------------

    # ======================================================================================
    # Refinement: what a branch's test tells us inside it
    # ======================================================================================


# ==========================================================================================
# Helpers
# ==========================================================================================


def _as_run(built: Any, key: str) -> Any:
    """A value every construction site gives a parameter, as the analysis runs with it: itself,
    or, when it is a command-line option's default, an ``OptionDefault`` (a run may pass another)."""
    return OptionDefault(key, built.value, built) if built.overridable else built


def _written_constant(test: cst.BaseExpression) -> bool:
    """``if True:``, ``if 0:``: a constant written in the test itself, not a flag read from a name."""
    return isinstance(test, cst.Integer) or (isinstance(test, cst.Name) and test.value in ("True", "False", "None"))


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
    """Safe to evaluate before anything runs: literals, names, ``nn.LSTM``, and containers and
    arithmetic of those (``RNNS = {"lstm": nn.LSTM, "gru": nn.GRU}``)."""
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString, cst.Name)):
        return True
    if isinstance(node, cst.Attribute):
        return dotted(node) is not None
    if isinstance(node, cst.Dict):
        return all(
            isinstance(e, cst.DictElement) and _is_literal_expression(e.key) and _is_literal_expression(e.value)
            for e in node.elements
        )
    if isinstance(node, cst.UnaryOperation):
        return _is_literal_expression(node.expression)
    if isinstance(node, cst.BinaryOperation):
        return _is_literal_expression(node.left) and _is_literal_expression(node.right)
    if isinstance(node, (cst.Tuple, cst.List)):
        return all(_is_literal_expression(e.value) for e in node.elements)
    return False


def _holds_model(value: Any) -> bool:
    """A module or model, or a tuple or list holding one."""
    if isinstance(value, (ModuleRef, Instance)):
        return True
    return isinstance(value, (TupleValue, ListValue)) and any(_holds_model(item) for item in value.items)


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


def _starts_with_layer(value: Any) -> bool:
    """An ``nn.Sequential(nn.Linear(...), ...)``: calling it feeds its first layer."""
    return isinstance(value, ListValue) and value.exact and bool(value.items) and isinstance(value.items[0], TorchLayer)


def _constructions_in(value: Any) -> list[Construction]:
    if isinstance(value, ModuleRef):
        return list(value.candidates)
    if isinstance(value, (TupleValue, ListValue)):
        return [c for item in value.items for c in _constructions_in(item)]
    return []


def build(module: cst.Module, path: str = "", project: Any = None, source: str | None = None) -> FileFacts:
    return Interpreter(module, path, project, source).run()


def _is_main_guard(test: cst.BaseExpression) -> bool:
    """``if __name__ == "__main__":``: the script's body, not a condition."""
    return (
        isinstance(test, cst.Comparison)
        and isinstance(test.left, cst.Name)
        and test.left.value == "__name__"
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Equal)
        and isinstance(test.comparisons[0].comparator, cst.SimpleString)
        and test.comparisons[0].comparator.evaluated_value == "__main__"
    )


def _ends_raising(handler: cst.ExceptHandler) -> bool:
    """An ``except`` block that raises again (or exits): what its ``try`` does happened."""
    statements = handler.body.body
    if not statements or not isinstance(statements[-1], cst.SimpleStatementLine):
        return False
    last = statements[-1].body[-1] if statements[-1].body else None
    if isinstance(last, cst.Raise):
        return True
    return (
        isinstance(last, cst.Expr)
        and isinstance(last.value, cst.Call)
        and dotted(last.value.func) in ("sys.exit", "exit", "quit", "os._exit")
    )


def _holds_own_state(value: Any) -> bool:
    """``model.state_dict()``, or a dict or list holding it (``{"model": model.state_dict(), …}``)."""
    if value == OWN_STATE:
        return True
    return isinstance(value, (ListValue, TupleValue)) and any(item == OWN_STATE for item in value.items)


def _path_key(value: Any) -> str | None:
    """The file a path names when it is known (``"best.pt"``, a name bound to it); None otherwise:
    two parameters both called ``path`` (``save(self, path)``, ``load(path)``) need not be one file."""
    return value.value if isinstance(value, Const) and isinstance(value.value, str) else None


def _calls_base_initialiser(node: cst.Call, frame: Frame) -> bool:
    """``Base.__init__(self, ...)`` in a method of a class written ``class C(Base)`` (``Base``
    spelled as in the class statement: ``nn.Module``, ``utils.Trainer``)."""
    func = node.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "__init__") or frame.class_info is None:
        return False
    first = node.args[0] if node.args else None
    if first is None or first.keyword is not None or first.star or frame.self_name is None:
        return False
    if not (isinstance(first.value, cst.Name) and first.value.value == frame.self_name):
        return False
    written = dotted(func.value)
    return written is not None and any(dotted(base.value) == written for base in frame.class_info.node.bases)


def _attribute_named(node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Attribute) and node.attr.value == name


#: Builtins a ``.apply`` may be given that compute a value and set nothing.
_BUILTIN_MAPS = frozenset(
    {"len", "str", "int", "float", "bool", "list", "tuple", "set", "dict", "sorted", "sum", "min", "max", "abs"}
    | {"round", "repr", "type", "isinstance", "print"}
)
#: A method name that may set a weight (``reset_parameters``, ``init_weights``, ``fill_``).
_SETTING_METHOD = re.compile(r"init|reset|load|weight|bias|_$")


def _sets_nothing(expression: cst.BaseExpression) -> bool:
    """A lambda's body that calls only builtins that set nothing and methods whose names say
    they set nothing: no weight can be set by it."""
    pending: list[cst.CSTNode] = [expression]
    while pending:
        current = pending.pop()
        if isinstance(current, cst.Call):
            func = current.func
            if isinstance(func, cst.Attribute):
                if _SETTING_METHOD.search(func.attr.value):
                    return False
            elif not (isinstance(func, cst.Name) and func.value in _BUILTIN_MAPS):
                return False
        elif isinstance(current, (cst.NamedExpr, cst.Lambda)) and current is not expression:
            return False
        pending.extend(current.children)
    return True
