"""What the expression language allows, checked before anything runs.

The whitelist is of syntax, not of values: a node type that is not listed here is a
deploy-time problem, so a hostile model (imports, dunder access, ``while True``) is
rejected with the line and column of the offending text and never executed.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from engine.errors import ExpressionError
from engine.expressions import time_functions

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
    "now": time_functions.now,
    "add_working_days": time_functions.add_working_days,
}
# Functions of the case's time: the interpreter passes it first (None outside a case).
CASE_TIME_FUNCTIONS = frozenset({"now"})

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
)


def check_expression(text: str) -> ast.Expression:
    """Parse and check one expression; raise :class:`ExpressionError` naming the problem."""
    tree = _parse(text.strip(), "eval")
    assert isinstance(tree, ast.Expression)
    _check(tree, _EXPRESSION_NODES)
    return tree


def check_script(text: str) -> ast.Module:
    """Parse and check a script (assignments, if, for over data)."""
    tree = _parse(text, "exec")
    assert isinstance(tree, ast.Module)
    _check(tree, _EXPRESSION_NODES + _STATEMENT_NODES)
    return tree


def _parse(text: str, mode: str) -> ast.AST:
    try:
        return ast.parse(text, mode=mode)
    except SyntaxError as error:
        where = f"line {error.lineno}, column {error.offset}: " if error.lineno else ""
        raise ExpressionError(f"{where}not valid okno syntax: {error.msg}") from None


def _check(tree: ast.AST, allowed: tuple[type[ast.AST], ...]) -> None:
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
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise ExpressionError(
                    _at(
                        node,
                        f"call of {ast.unparse(node.func)!r} is not allowed; functions: {', '.join(sorted(FUNCTIONS))}",
                    )
                )
            if node.keywords:
                raise ExpressionError(_at(node, "keyword arguments are not allowed"))
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.For)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if not isinstance(target, (ast.Name, ast.Subscript, ast.Attribute)):
                    raise ExpressionError(_at(node, "only a name or a data lookup can be assigned to"))
                if isinstance(node, ast.For) and not isinstance(target, ast.Name):
                    raise ExpressionError(_at(node, "a for loop takes one name"))
        if isinstance(node, ast.For) and node.orelse:
            raise ExpressionError(_at(node, "for … else is not allowed"))


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
