"""What the expression language allows, checked before anything runs.

The whitelist is of syntax, not of values: a node type that is not listed here is a
deploy-time problem, so a hostile model (imports, dunder access, ``while True``) is
rejected with the line and column of the offending text and never executed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

from engine.errors import ExpressionError
from engine.expressions import feel_functions, time_functions
from engine.expressions.methods import CHANGING, KEYWORDS, METHOD_NAMES

MAX_SIZE = 100_000  # characters of a text, items of a list or dict


def _range(*bounds: int) -> list[int]:
    """range(…) as a list, refused before it is built if it would exceed the size budget."""
    if not all(isinstance(bound, int) and not isinstance(bound, bool) for bound in bounds):
        raise ExpressionError("range(…) takes whole numbers")
    span = range(*bounds)
    if len(span) > MAX_SIZE:
        raise ExpressionError(f"range(…) of {len(span)} numbers exceeds {MAX_SIZE} items")
    return list(span)


def _print(*values: Any) -> None:
    """SpiffArena's scripts print to the server's log; a case keeps no such log, so a
    script's print is a call without effect (its arguments are still evaluated)."""
    del values


# Pure functions of their arguments that cannot reach the interpreter or the host.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "round": round,
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "sum": sum,
    "any": any,
    "all": all,
    "sorted": sorted,
    "range": _range,
    "list": list,
    "print": _print,
    "now": time_functions.now,
    "add_working_days": time_functions.add_working_days,
    **feel_functions.FUNCTIONS,
}
# Functions of the case's time: the interpreter passes it first (None outside a case).
CASE_TIME_FUNCTIONS = frozenset({"now", "today"})
# Calls the interpreter decides itself, with their number of arguments: defined(x) asks
# whether x can be read at all; get_or_else(x, default) reads x, or gives the default
# when x cannot be read or is None (Camunda 8's FEEL "get or else").
SPECIAL_FORMS = {"defined": 1, "get_or_else": 2}

_EXPRESSION_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.IfExp,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Subscript,
    ast.Slice,
    ast.Attribute,
    ast.Call,
    ast.keyword,
    # comprehensions: each has its own names, and every iteration costs budget
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.comprehension,
    # f-strings, with constant, simple format specs only (see _SAFE_FORMAT)
    ast.JoinedStr,
    ast.FormattedValue,
)

_STATEMENT_NODES: tuple[type[ast.AST], ...] = (
    ast.Module,
    ast.Assign,
    ast.AugAssign,
    ast.If,
    ast.For,
    ast.Pass,
    ast.Expr,
    ast.Break,
    ast.Continue,
    ast.Delete,
    ast.Del,
)
# A format spec that cannot ask for a huge padding: fill/align, sign, width ≤ 999,
# grouping, precision ≤ 99, type.
_SAFE_FORMAT = re.compile(r"^(?:.?[<>^=])?[+\- ]?0?\d{0,3}[,_]?(?:\.\d{1,2})?[sdfeEgG%xXob]?$")


def check_expression(text: str) -> ast.Expression:
    """Parse and check one expression; raise :class:`ExpressionError` naming the problem."""
    tree = _parse(text.strip(), "eval")
    assert isinstance(tree, ast.Expression)
    _check(tree, _EXPRESSION_NODES, changing=False)
    return tree


def check_script(text: str) -> ast.Module:
    """Parse and check a script (assignments, if, for over data)."""
    tree = _parse(text, "exec")
    assert isinstance(tree, ast.Module)
    _check(tree, _EXPRESSION_NODES + _STATEMENT_NODES, changing=True)
    return tree


def _parse(text: str, mode: str) -> ast.AST:
    try:
        return ast.parse(text, mode=mode)
    except SyntaxError as error:
        where = f"line {error.lineno}, column {error.offset}: " if error.lineno else ""
        raise ExpressionError(f"{where}not valid okno syntax: {error.msg}") from None


def _check(tree: ast.AST, allowed: tuple[type[ast.AST], ...], *, changing: bool) -> None:
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise ExpressionError(_at(node, f"{_describe(node)} is not allowed in okno expressions"))
        if isinstance(node, ast.Constant) and not isinstance(node.value, (str, int, float, bool, type(None))):
            raise ExpressionError(_at(node, f"literal {node.value!r} is not allowed"))
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ExpressionError(_at(node, f"name {node.id!r} is not allowed: names may not start with '_'"))
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ExpressionError(_at(node, f"attribute {node.attr!r} is not allowed: only lookups of case data"))
        if isinstance(node, ast.Call):
            _check_call(node, changing)
        if isinstance(node, ast.comprehension):
            if node.is_async:
                raise ExpressionError(_at(node.target, "async comprehensions are not allowed"))
            _check_loop_target(node.target)
        if isinstance(node, ast.FormattedValue):
            _check_format(node)
        if isinstance(node, ast.Delete):
            for target in node.targets:
                if not isinstance(target, (ast.Name, ast.Subscript)) or isinstance(
                    getattr(target, "slice", None), ast.Slice
                ):
                    raise ExpressionError(_at(node, "del takes a name or one key of a data record or list"))
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.For)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(node, ast.For):
                    continue
                if not isinstance(target, (ast.Name, ast.Subscript, ast.Attribute)):
                    raise ExpressionError(_at(node, "only a name or a data lookup can be assigned to"))
                if isinstance(node, ast.For):
                    _check_loop_target(target)
        if isinstance(node, ast.For) and node.orelse:
            raise ExpressionError(_at(node, "for … else is not allowed"))


def _check_call(node: ast.Call, changing: bool) -> None:
    if isinstance(node.func, ast.Attribute):
        name = node.func.attr
        if name not in METHOD_NAMES:
            raise ExpressionError(
                _at(node, f"method {name}(…) is not allowed; methods: {', '.join(sorted(METHOD_NAMES))}")
            )
        if name in CHANGING and not changing:
            raise ExpressionError(
                _at(node, f"{name}(…) changes its value: an expression only reads, so use it in a script")
            )
    elif not isinstance(node.func, ast.Name) or (node.func.id not in FUNCTIONS and node.func.id not in SPECIAL_FORMS):
        raise ExpressionError(
            _at(
                node,
                f"call of {ast.unparse(node.func)!r} is not allowed; functions: {', '.join(sorted(FUNCTIONS))}",
            )
        )
    elif node.func.id in SPECIAL_FORMS and (len(node.args) != SPECIAL_FORMS[node.func.id] or node.keywords):
        raise ExpressionError(_at(node, f"{node.func.id}(…) takes {SPECIAL_FORMS[node.func.id]} argument(s)"))
    for keyword in node.keywords:
        if keyword.arg not in KEYWORDS:
            raise ExpressionError(_at(node, "keyword arguments are not allowed (only reverse=…)"))


def _check_loop_target(target: ast.expr) -> None:
    names = target.elts if isinstance(target, ast.Tuple) else [target]
    if not names or not all(isinstance(name, ast.Name) for name in names):
        raise ExpressionError(_at(target, "a loop takes one name, or names to unpack (k, v)"))


def _check_format(node: ast.FormattedValue) -> None:
    if node.conversion not in (-1, ord("s"), ord("r")):
        raise ExpressionError(_at(node, "only !s and !r conversions are allowed in f-strings"))
    spec = node.format_spec
    if spec is None:
        return
    assert isinstance(spec, ast.JoinedStr)
    if not all(isinstance(part, ast.Constant) for part in spec.values):
        raise ExpressionError(_at(node, "an f-string format spec must be written out, not computed"))
    text = "".join(str(part.value) for part in spec.values if isinstance(part, ast.Constant))
    if not _SAFE_FORMAT.match(text):
        raise ExpressionError(_at(node, f"format spec {text!r} is not allowed (width ≤ 999, precision ≤ 99)"))


def _describe(node: ast.AST) -> str:
    names = {
        "Import": "import",
        "ImportFrom": "import",
        "While": "a while loop",
        "Lambda": "lambda",
        "FunctionDef": "a function definition",
        "ClassDef": "a class",
        "ListComp": "a comprehension",
        "GeneratorExp": "a generator",
        "DictComp": "a comprehension",
        "SetComp": "a comprehension",
        "Global": "global",
        "Nonlocal": "nonlocal",
        "With": "with",
        "Try": "try",
        "Raise": "raise",
        "Delete": "del",
        "Yield": "yield",
        "Await": "await",
        "NamedExpr": "the := operator",
        "JoinedStr": "an f-string",
        "Starred": "unpacking",
    }
    return names.get(type(node).__name__, type(node).__name__)


def _at(node: ast.AST, message: str) -> str:
    line = getattr(node, "lineno", None)
    if line is None:
        return message
    return f"line {line}, column {getattr(node, 'col_offset', 0) + 1}: {message}"
