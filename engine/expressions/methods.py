"""Method calls on the built-in values of case data: texts, lists and data records.

Only the methods named here run, and only on a value of the type they belong to: a
method is looked up in these tables, never on the value itself, so no attribute of a
Python object is ever reached. Methods that change their receiver are for scripts only
(an expression such as a gateway condition must not alter the case data it reads).
Each guard refuses, before computing, a result that would blow the size budget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.errors import ExpressionBudgetExceeded, ExpressionError

MAX_SIZE = 100_000  # as the interpreter's: characters of a text, items of a list or dict


def _size_guard(length: int) -> None:
    if length > MAX_SIZE:
        raise ExpressionBudgetExceeded(f"a value would exceed {MAX_SIZE} items")


def _replace(text: str, old: str, new: str, count: int = -1) -> str:
    occurrences = text.count(old) if old else len(text) + 1
    if count >= 0:
        occurrences = min(occurrences, count)
    _size_guard(len(text) + occurrences * max(0, len(new) - len(old)))
    return text.replace(old, new, count)


def _join(separator: str, items: list[Any]) -> str:
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ExpressionError("join(…) takes a list of texts")
    _size_guard(sum(len(item) for item in items) + len(separator) * max(0, len(items) - 1))
    return separator.join(items)


def _padded(method: Callable[..., str]) -> Callable[..., str]:
    def guarded(text: str, width: int, *rest: Any) -> str:
        if not isinstance(width, int) or width > MAX_SIZE:
            raise ExpressionBudgetExceeded(f"a value would exceed {MAX_SIZE} items")
        return method(text, width, *rest)

    return guarded


def _extend(items: list[Any], more: Any) -> None:
    if not isinstance(more, list):
        raise ExpressionError("extend(…) takes a list")
    _size_guard(len(items) + len(more))
    items.extend(more)


def _append(items: list[Any], value: Any) -> None:
    _size_guard(len(items) + 1)
    items.append(value)


def _insert(items: list[Any], index: int, value: Any) -> None:
    _size_guard(len(items) + 1)
    items.insert(index, value)


def _sort(items: list[Any], reverse: bool = False) -> None:
    items.sort(reverse=bool(reverse))


def _update(record: dict[str, Any], other: Any) -> None:
    if not isinstance(other, dict):
        raise ExpressionError("update(…) takes a data record")
    _size_guard(len(record) + len(other))
    record.update(other)


def _setdefault(record: dict[str, Any], key: Any, default: Any = None) -> Any:
    if not isinstance(key, str):
        raise ExpressionError("keys of a data record are texts")
    _size_guard(len(record) + 1)
    return record.setdefault(key, default)


def _keys(record: dict[str, Any]) -> list[str]:
    return list(record.keys())


def _values(record: dict[str, Any]) -> list[Any]:
    return list(record.values())


def _items(record: dict[str, Any]) -> list[list[Any]]:
    return [[key, value] for key, value in record.items()]


def _copy(value: Any) -> Any:
    return value.copy()


TEXT_METHODS: dict[str, Callable[..., Any]] = {
    "lower": str.lower,
    "upper": str.upper,
    "strip": str.strip,
    "lstrip": str.lstrip,
    "rstrip": str.rstrip,
    "split": str.split,
    "rsplit": str.rsplit,
    "splitlines": str.splitlines,
    "join": _join,
    "startswith": str.startswith,
    "endswith": str.endswith,
    "replace": _replace,
    "find": str.find,
    "index": str.index,
    "count": str.count,
    "title": str.title,
    "capitalize": str.capitalize,
    "isdigit": str.isdigit,
    "isalpha": str.isalpha,
    "isalnum": str.isalnum,
    "isspace": str.isspace,
    "zfill": _padded(str.zfill),
    "ljust": _padded(str.ljust),
    "rjust": _padded(str.rjust),
    "center": _padded(str.center),
}
LIST_METHODS: dict[str, Callable[..., Any]] = {
    "append": _append,
    "extend": _extend,
    "insert": _insert,
    "pop": list.pop,
    "remove": list.remove,
    "clear": list.clear,
    "index": list.index,
    "count": list.count,
    "sort": _sort,
    "reverse": list.reverse,
    "copy": _copy,
}
RECORD_METHODS: dict[str, Callable[..., Any]] = {
    "get": dict.get,
    "keys": _keys,
    "values": _values,
    "items": _items,
    "update": _update,
    "pop": dict.pop,
    "setdefault": _setdefault,
    "clear": dict.clear,
    "copy": _copy,
}
# Methods that change the value they are called on: refused in expressions.
CHANGING = frozenset(
    {"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "update", "setdefault"}
)
METHOD_NAMES = frozenset(TEXT_METHODS) | frozenset(LIST_METHODS) | frozenset(RECORD_METHODS)
# The only keyword argument a call may pass: sort(reverse=True), sorted(xs, reverse=True).
KEYWORDS = frozenset({"reverse"})


def method_of(receiver: Any, name: str) -> Callable[..., Any]:
    """The allowed method ``name`` of ``receiver``'s built-in type, or a clear refusal."""
    table = (
        TEXT_METHODS
        if isinstance(receiver, str)
        else LIST_METHODS
        if isinstance(receiver, list)
        else RECORD_METHODS
        if isinstance(receiver, dict)
        else {}
    )
    method = table.get(name)
    if method is None:
        kinds: dict[type, str] = {str: "a text", list: "a list", dict: "a data record"}
        kind = kinds.get(type(receiver))
        if kind is None:
            raise ExpressionError(f"{type(receiver).__name__} has no methods: .{name}(…) is not allowed")
        raise ExpressionError(f"{kind} has no method {name}(…); it has: {', '.join(sorted(table))}")
    return method


def work_of(receiver: Any) -> int:
    """Budget steps a method call costs beyond the call itself: one per hundred items."""
    return len(receiver) // 100 if isinstance(receiver, (str, list, dict)) else 0
