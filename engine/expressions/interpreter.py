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
from engine.expressions.syntax import CASE_TIME_FUNCTIONS, FUNCTIONS, check_expression, check_script

MAX_STEPS = 100_000
MAX_SIZE = 100_000  # characters of a text, items of a list or dict
MAX_INT_BITS = 4_096


@dataclass
class Budget:
    steps: int = MAX_STEPS

    def spend(self) -> None:
        self.steps -= 1
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
            assert isinstance(node.target, ast.Name)
            items = self.value(node.iter)
            if not isinstance(items, (list, tuple, dict, str)):
                raise ExpressionError(f"cannot loop over {type(items).__name__}")
            for item in list(items):
                self.budget.spend()
                self.variables[node.target.id] = item
                try:
                    self.block(node.body)
                except _Break:
                    break
                except _Continue:
                    continue
        elif isinstance(node, ast.Expr):
            self.value(node.value)
        elif isinstance(node, ast.Break):
            raise _Break
        elif isinstance(node, ast.Continue):
            raise _Continue
        # ast.Pass: nothing to do

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
            assert isinstance(node.func, ast.Name)
            arguments = [self.value(argument) for argument in node.args]
            for argument in arguments:
                _check_size(argument)
            try:
                if node.func.id in CASE_TIME_FUNCTIONS:
                    result = FUNCTIONS[node.func.id](self.now, *arguments)
                else:
                    result = FUNCTIONS[node.func.id](*arguments)
            except (TypeError, ValueError, ArithmeticError) as error:
                raise ExpressionError(f"{node.func.id}(…) failed: {error}") from None
            return _checked(result)
        raise ExpressionError(f"{type(node).__name__} is not allowed")  # pragma: no cover

    def name(self, identifier: str) -> Any:
        if identifier in self.variables:
            return self.variables[identifier]
        if identifier in FUNCTIONS:
            raise ExpressionError(f"{identifier} is a function: call it as {identifier}(…)")
        raise ExpressionError(f"name {identifier!r} is not defined in the case data")

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
            raise ExpressionError(f"the data record has no {key!r}")
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
