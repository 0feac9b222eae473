"""The tree-walking interpreter for checked okno expressions and scripts.

Every node visited costs one step of a :class:`Budget`, and every value built is
size-checked before it is built, so an evaluation is bounded in time and memory by
construction (and deterministically: the same input fails at the same step on any
machine, which a wall-clock timeout could not promise for replay).
"""

from __future__ import annotations

import ast
import operator
from collections import ChainMap
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from engine.errors import ExpressionBudgetExceeded, ExpressionError
from engine.expressions.methods import method_of, work_of
from engine.expressions.syntax import (
    CASE_TIME_FUNCTIONS,
    FUNCTIONS,
    check_expression,
    check_script,
)

MAX_STEPS = 100_000
MAX_SIZE = 100_000  # characters of a text, items of a list or dict
MAX_INT_BITS = 4_096


@dataclass
class Budget:
    steps: int = MAX_STEPS

    def spend(self, steps: int = 1) -> None:
        self.steps -= steps
        if self.steps < 0:
            raise ExpressionBudgetExceeded(
                f"evaluation stopped after {MAX_STEPS} steps: the expression or script does too much work"
            )


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_SAFE_VALUES = (str, int, float, bool, list, tuple, dict, type(None))


@lru_cache(maxsize=4096)
def _expression(text: str) -> ast.Expression:
    return check_expression(text)


@lru_cache(maxsize=1024)
def _script(text: str) -> ast.Module:
    return check_script(text)


def evaluate(
    text: str, variables: Mapping[str, Any], budget: Budget | None = None, *, now: datetime | None = None
) -> Any:
    """Evaluate an expression against read-only variables (the case data); ``now`` is the
    case's time, what ``now()`` answers (None outside a case: ``now()`` is refused)."""
    # The empty first map takes no writes (expressions cannot assign) and shields the data.
    machine = _Machine(ChainMap({}, cast(MutableMapping[str, Any], variables)), budget or Budget(), now)
    return machine.value(_expression(text).body)


def execute(
    text: str, variables: MutableMapping[str, Any], budget: Budget | None = None, *, now: datetime | None = None
) -> None:
    """Run a script; its assignments land in ``variables``. ``now`` as for :func:`evaluate`."""
    machine = _Machine(variables, budget or Budget(), now)
    machine.block(_script(text).body)


class _Machine:
    def __init__(self, variables: MutableMapping[str, Any], budget: Budget, now: datetime | None) -> None:
        self.variables = variables
        self.budget = budget
        self.now = now

    # statements ---------------------------------------------------------------
    def block(self, statements: list[ast.stmt]) -> None:
        for statement in statements:
            self.statement(statement)

    def statement(self, node: ast.stmt) -> None:
        self.budget.spend()
        if isinstance(node, ast.Assign):
            result = self.value(node.value)
            for target in node.targets:
                self.assign(target, result)
        elif isinstance(node, ast.AugAssign):
            current = self.value(node.target)
            self.assign(node.target, self.binary(node.op, current, self.value(node.value)))
        elif isinstance(node, ast.If):
            self.block(node.body if _truth(self.value(node.test)) else node.orelse)
        elif isinstance(node, ast.For):
            for item in _iterable(self.value(node.iter)):
                self.budget.spend()
                self.bind(node.target, item)
                try:
                    self.block(node.body)
                except _Break:
                    break
                except _Continue:
                    continue
        elif isinstance(node, ast.Expr):
            self.value(node.value)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self.delete(target)
        elif isinstance(node, ast.Break):
            raise _Break
        elif isinstance(node, ast.Continue):
            raise _Continue
        # ast.Pass: nothing to do

    def bind(self, target: ast.expr, item: Any) -> None:
        """A loop's name takes the item; names in a tuple (k, v) unpack it."""
        if isinstance(target, ast.Name):
            self.variables[target.id] = item
            return
        assert isinstance(target, ast.Tuple)
        if not isinstance(item, (list, tuple)) or len(item) != len(target.elts):
            raise ExpressionError(f"cannot unpack {type(item).__name__} into {len(target.elts)} names")
        for name, part in zip(target.elts, item, strict=True):
            assert isinstance(name, ast.Name)
            self.variables[name.id] = part

    def delete(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            if target.id not in self.variables:
                raise ExpressionError.undefined(target.id)
            try:
                del self.variables[target.id]
            except KeyError:
                raise ExpressionError(f"{target.id!r} cannot be deleted here") from None
            return
        assert isinstance(target, ast.Subscript)
        container = self.value(target.value)
        key = self.value(target.slice)
        if isinstance(container, dict) and isinstance(key, str) and key in container:
            del container[key]
        elif isinstance(container, list) and isinstance(key, int) and not isinstance(key, bool):
            try:
                del container[key]
            except IndexError:
                raise ExpressionError(f"index {key} is out of range") from None
        else:
            raise ExpressionError(f"cannot delete {key!r} from {type(container).__name__}")

    def assign(self, target: ast.expr, result: Any) -> None:
        if isinstance(target, ast.Name):
            self.variables[target.id] = result
            return
        container = self.value(target.value) if isinstance(target, (ast.Subscript, ast.Attribute)) else None
        key: Any = target.attr if isinstance(target, ast.Attribute) else None
        if isinstance(target, ast.Subscript):
            key = self.value(target.slice)
        if isinstance(container, dict) and isinstance(key, str):
            container[key] = result
            _check_size(container)
        elif isinstance(container, list) and isinstance(key, int) and not isinstance(key, bool):
            try:
                container[key] = result
            except IndexError:
                raise ExpressionError(f"index {key} is out of range") from None
        else:
            raise ExpressionError("only a key of a data record or an index of a list can be assigned")

    # expressions --------------------------------------------------------------
    def value(self, node: ast.expr) -> Any:
        self.budget.spend()
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.BoolOp):
            result: Any = None
            for operand in node.values:
                result = self.value(operand)
                if isinstance(node.op, ast.And) and not _truth(result):
                    return result
                if isinstance(node.op, ast.Or) and _truth(result):
                    return result
            return result
        if isinstance(node, ast.UnaryOp):
            operand = self.value(node.operand)
            if isinstance(node.op, ast.Not):
                return not _truth(operand)
            if not isinstance(operand, (int, float)):
                raise ExpressionError(f"cannot negate {type(operand).__name__}")
            return -operand if isinstance(node.op, ast.USub) else +operand
        if isinstance(node, ast.BinOp):
            return self.binary(node.op, self.value(node.left), self.value(node.right))
        if isinstance(node, ast.Compare):
            left = self.value(node.left)
            for op, comparator in zip(node.ops, node.comparators, strict=True):
                right = self.value(comparator)
                if not _compare(op, left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return self.value(node.body) if _truth(self.value(node.test)) else self.value(node.orelse)
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.value(item) for item in node.elts]
        if isinstance(node, ast.Dict):
            built: dict[str, Any] = {}
            for key_node, value_node in zip(node.keys, node.values, strict=True):
                if key_node is None:
                    raise ExpressionError("unpacking is not allowed")
                key = self.value(key_node)
                if not isinstance(key, str):
                    raise ExpressionError("keys of a data record are texts")
                built[key] = self.value(value_node)
            return built
        if isinstance(node, ast.Attribute):
            return _lookup(self.value(node.value), node.attr)
        if isinstance(node, ast.Subscript):
            container = self.value(node.value)
            if isinstance(node.slice, ast.Slice):
                return self.slice(container, node.slice)
            return _lookup(container, self.value(node.slice))
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return _Machine(ChainMap({}, self.variables), self.budget, self.now).comprehension(node)
        if isinstance(node, ast.JoinedStr):
            return self.f_string(node)
        raise ExpressionError(f"{type(node).__name__} is not allowed")  # pragma: no cover

    def call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Name) and node.func.id == "defined":
            return self.defined(node.args[0])
        if isinstance(node.func, ast.Name) and node.func.id == "get_or_else":
            if self.defined(node.args[0]):
                found = self.value(node.args[0])
                if found is not None:
                    return found
            return self.value(node.args[1])
        receiver = self.value(node.func.value) if isinstance(node.func, ast.Attribute) else None
        arguments = [self.value(argument) for argument in node.args]
        keywords = {str(keyword.arg): self.value(keyword.value) for keyword in node.keywords}
        for argument in arguments:
            _check_size(argument)
        if isinstance(node.func, ast.Attribute):
            name = node.func.attr
            method = method_of(receiver, name)
            self.budget.spend(work_of(receiver))
            if any(argument is receiver for argument in arguments):
                raise ExpressionError(f"{name}(…) cannot put a value inside itself")
            try:
                result = method(receiver, *arguments, **keywords)
            except (TypeError, ValueError, ArithmeticError, LookupError) as error:
                raise ExpressionError(f".{name}(…) failed: {error}") from None
            return _checked(result)
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        try:
            if name in CASE_TIME_FUNCTIONS:
                result = FUNCTIONS[name](self.now, *arguments, **keywords)
            else:
                result = FUNCTIONS[name](*arguments, **keywords)
        except (TypeError, ValueError, ArithmeticError) as error:
            raise ExpressionError(f"{name}(…) failed: {error}") from None
        return _checked(result)

    def defined(self, node: ast.expr) -> bool:
        """FEEL's defined(x): whether x (a name or a lookup) can be read, null included."""
        try:
            self.value(node)
        except ExpressionBudgetExceeded:
            raise
        except ExpressionError:
            return False
        return True

    def comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> Any:
        """Run in its own scope (self is a fresh layer): loop names do not leak into the case.
        A set comprehension gives a list of distinct values in first-seen order: case data is
        JSON, and a Python set's order would differ between runs."""
        built: list[Any] = []
        record: dict[str, Any] = {}
        seen: set[Any] = set()

        def emit() -> None:
            if isinstance(node, ast.DictComp):
                key = self.value(node.key)
                if not isinstance(key, str):
                    raise ExpressionError("keys of a data record are texts")
                record[key] = self.value(node.value)
                _check_size(record)
                return
            item = self.value(node.elt)
            if isinstance(node, ast.SetComp):
                hashable = isinstance(item, (str, int, float, bool, type(None)))
                if (item, type(item)) in seen if hashable else item in built:
                    return
                if hashable:
                    seen.add((item, type(item)))
                else:
                    self.budget.spend(len(built) // 100)
            built.append(item)
            _check_size(built)

        self.generate(node.generators, emit)
        return record if isinstance(node, ast.DictComp) else built

    def generate(self, generators: list[ast.comprehension], emit: Callable[[], None]) -> None:
        first, rest = generators[0], generators[1:]
        for item in _iterable(self.value(first.iter)):
            self.budget.spend()  # every iteration costs, even one its conditions skip
            self.bind(first.target, item)
            if all(_truth(self.value(test)) for test in first.ifs):
                if rest:
                    self.generate(rest, emit)
                else:
                    emit()

    def f_string(self, node: ast.JoinedStr) -> str:
        parts: list[str] = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
                continue
            assert isinstance(part, ast.FormattedValue)
            value = self.value(part.value)
            if not isinstance(value, (str, int, float, bool, type(None))):
                raise ExpressionError(
                    f"an f-string shows texts and numbers, not a {type(value).__name__}: "
                    "pick the parts, or join a list with ', '.join(…)"
                )
            if part.conversion == ord("r"):
                value = repr(value)
            elif part.conversion == ord("s"):
                value = str(value)
            spec = part.format_spec
            constants = spec.values if isinstance(spec, ast.JoinedStr) else []
            text_spec = "".join(str(c.value) for c in constants if isinstance(c, ast.Constant))
            try:
                parts.append(format(value, text_spec))
            except (TypeError, ValueError) as error:
                raise ExpressionError(f"cannot format {value!r} as {text_spec!r}: {error}") from None
            _check_size(parts[-1])
        return str(_checked("".join(parts)))

    def name(self, identifier: str) -> Any:
        if identifier in self.variables:
            return self.variables[identifier]
        if identifier in FUNCTIONS:
            raise ExpressionError(f"{identifier} is a function: call it as {identifier}(…)")
        raise ExpressionError.undefined(identifier)

    def binary(self, op: ast.operator, left: Any, right: Any) -> Any:
        _guard_growth(op, left, right)
        try:
            result = _BINARY[type(op)](left, right)
        except (TypeError, ArithmeticError, ValueError) as error:
            raise ExpressionError(
                f"cannot compute {type(left).__name__} {_symbol(op)} {type(right).__name__}: {error}"
            ) from None
        return _checked(result)

    def slice(self, container: Any, node: ast.Slice) -> Any:
        bounds = [None if part is None else self.value(part) for part in (node.lower, node.upper, node.step)]
        if not isinstance(container, (str, list)):
            raise ExpressionError(f"cannot slice {type(container).__name__}")
        if not all(bound is None or (isinstance(bound, int) and not isinstance(bound, bool)) for bound in bounds):
            raise ExpressionError("slice bounds are whole numbers")
        if bounds[2] == 0:
            raise ExpressionError("slice step cannot be zero")
        return container[bounds[0] : bounds[1] : bounds[2]]


def _iterable(items: Any) -> list[Any]:
    if not isinstance(items, (list, tuple, dict, str)):
        raise ExpressionError(f"cannot loop over {type(items).__name__}")
    return list(items)


def _truth(value: Any) -> bool:
    return bool(value)


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool:
    if isinstance(op, (ast.Is, ast.IsNot)) and not (left is None or right is None):
        raise ExpressionError("'is' compares only with None; use == for values")
    try:
        return bool(_COMPARE[type(op)](left, right))
    except TypeError as error:
        raise ExpressionError(f"cannot compare {type(left).__name__} with {type(right).__name__}: {error}") from None


def _lookup(container: Any, key: Any) -> Any:
    if isinstance(container, dict):
        if key not in container:
            raise ExpressionError.no_key(key)
        return container[key]
    if isinstance(container, (list, str)) and isinstance(key, int) and not isinstance(key, bool):
        try:
            return container[key]
        except IndexError:
            raise ExpressionError(f"index {key} is out of range") from None
    raise ExpressionError(f"cannot look up {key!r} in {type(container).__name__}")


def _guard_growth(op: ast.operator, left: Any, right: Any) -> None:
    """Refuse, before computing, an operation whose result would blow the size budget."""
    if isinstance(op, ast.Mult):
        for sized, count in ((left, right), (right, left)):
            if isinstance(sized, (str, list)) and isinstance(count, int) and len(sized) * max(count, 0) > MAX_SIZE:
                raise ExpressionBudgetExceeded(f"result would exceed {MAX_SIZE} items")
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise ExpressionBudgetExceeded(f"number would exceed {MAX_INT_BITS} bits")
    if (
        isinstance(op, ast.Pow)
        and isinstance(left, int)
        and isinstance(right, int)
        and right > 0
        and max(left.bit_length(), 1) * right > MAX_INT_BITS
    ):
        raise ExpressionBudgetExceeded(f"number would exceed {MAX_INT_BITS} bits")
    if isinstance(op, ast.Pow) and isinstance(right, (int, float)) and abs(right) > 10_000:
        raise ExpressionBudgetExceeded("exponent is too large")


def _check_size(value: Any) -> None:
    if isinstance(value, (str, list, tuple, dict)) and len(value) > MAX_SIZE:
        raise ExpressionBudgetExceeded(f"a value would exceed {MAX_SIZE} items")


def _checked(value: Any) -> Any:
    if not isinstance(value, _SAFE_VALUES):
        raise ExpressionError(f"a {type(value).__name__} value is not allowed")
    _check_size(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _symbol(op: ast.operator) -> str:
    return {
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.Div: "/",
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.Pow: "**",
    }.get(type(op), "?")
