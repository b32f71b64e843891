"""What the interpreter knows about recurrent parameters: reaching them (attributes, loops over
``named_parameters()``/``_all_weights``, ``getattr``/``eval`` on their names), slicing them in
units of one gate block, writing into them, and what the tests in ``if`` statements tell about
them (``if "bias" in name``, ``if isinstance(m, nn.LSTM)``)."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

import libcst as cst

from rnn_lint import contract
from rnn_lint.facts.idioms import (
    EVAL_PARAMETER,
    RANDOM_INIT_METHODS,
    dimension_test,
    name_test,
    name_test_kind,
    reads_gradient,
)
from rnn_lint.facts.model import (
    ParamWrite,
    as_sym,
)
from rnn_lint.facts.values import (
    RANDOM,
    UNKNOWN,
    AnyRecurrent,
    Const,
    Iterable,
    ListValue,
    ModuleRef,
    Opaque,
    Owner,
    Param,
    ParamName,
    ParamSlice,
    Sym,
    TupleValue,
    element_of,
    fresh_symbol,
    is_numeric,
    new_link,
    python_number,
)

if TYPE_CHECKING:
    from rnn_lint.facts.interpreter import Frame


class Parameters:
    """Mixed into the Interpreter; uses its evaluation methods and ``facts``."""

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

    def _all_weights(self, owner: Owner, link: str) -> ListValue:
        """``lstm.all_weights``: per layer and direction, the parameters themselves, in the order
        weight_ih, weight_hh, bias_ih, bias_hh (``all_weights[0][2] is bias_ih_l0``)."""
        kinds = ("weight", "weight", "bias", "bias")
        layer = TupleValue(tuple(self._param(owner, kind, f"{link}:{i}") for i, kind in enumerate(kinds)))
        return ListValue((layer,), exact=False)  # as many as layers times directions

    def _weight_names(self, owner: Owner, nested: bool) -> Iterable:
        link = new_link()
        names = Iterable(ParamName(owner, None, link))
        return Iterable(names) if nested else names

    def _eval_of_parameter_name(self, text: Any, frame: Frame) -> Any:
        """``eval("lstm.bias_ih_l" + str(k))``, an idiom of several NER code bases: a parameter of
        whatever the prefix names."""
        literal = text.value if isinstance(text, Const) and isinstance(text.value, str) else None
        if isinstance(text, Opaque) and text.key.startswith("fstring:"):
            literal = text.key[len("fstring:") :]
        match = EVAL_PARAMETER.match(literal or "")
        if match is None:
            return UNKNOWN
        try:
            owner_expression = cst.parse_expression(match.group(1))
        except cst.ParserSyntaxError:
            return UNKNOWN
        owner = self._eval(owner_expression, frame)
        return self._getattr(owner, Opaque(f"fstring:{match.group(2)}"), frame)

    def _filter(self, predicate: cst.BaseExpression, iterable: Any) -> Any:
        element = element_of(iterable)
        if isinstance(predicate, cst.Lambda) and isinstance(element, ParamName):
            kind = name_test_kind(predicate.body)
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
        if not is_numeric(bound) or not isinstance(param.unit, Sym):
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
        number = python_number(count)
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
        if method in ("add_", "sub_") and any(reads_gradient(arg.value) for arg in node.args):
            return target  # an update step: p.data.add_(p.grad, alpha=-lr)
        if method == "add_":
            self.facts.param_writes.append(ParamWrite(node, target, args[0] if args else UNKNOWN))
            return target
        if method in ("copy_", "set_", "masked_fill_", "index_fill_", "clamp_", "mul_"):
            self.facts.param_writes.append(ParamWrite(node, target, UNKNOWN))
            return target
        if method in RANDOM_INIT_METHODS:
            self.facts.param_writes.append(ParamWrite(node, target, RANDOM))
            return target
        if method == "chunk" and isinstance(target, Param) and args:
            return self._chunk(target, args[0])
        if method in ("size",) and isinstance(target, Param):
            return self._param_rows(target) if not args or python_number(args[0]) == 0 else UNKNOWN
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

    def _refinements(self, test: cst.BaseExpression, frame: Frame) -> tuple[dict[str, Any], dict[str, Any]]:
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            when_true, when_false = self._refinements(test.expression, frame)
            return when_false, when_true
        if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
            left, _ = self._refinements(test.left, frame)
            right, _ = self._refinements(test.right, frame)
            return {**left, **right}, {}
        if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
            # ``"weight_hh" in name or ".u.weight" in name``: a kind both sides agree on
            left, _ = self._refinements(test.left, frame)
            right, _ = self._refinements(test.right, frame)
            return {name: value for name, value in left.items() if right.get(name) == value}, {}
        if (
            isinstance(test, cst.Call)
            and isinstance(test.func, cst.Name)
            and test.func.value == "isinstance"
            and len(test.args) == 2
        ):
            return self._isinstance_refinement(test.args[0].value, test.args[1].value, frame), {}
        tested = name_test(test)
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
        dimension = dimension_test(test)
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
