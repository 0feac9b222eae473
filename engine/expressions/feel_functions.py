"""FEEL's built-in functions (DMN 1.3, as Camunda 8 and DMN tables use them), as okno
functions: the FEEL dialect (engine.bpmn.dialects) rewrites ``upper case(x)`` to
``upper_case(x)``, ``string length(x)`` to ``len(x)`` and so on, and these run them.

FEEL's positions are 1-based and negative positions count from the end; dates, times and
durations are ISO 8601 texts, as everywhere in okno's case data (JSON). FEEL's ``matches``,
and ``replace``/``split`` with a regular expression, are not offered: a backtracking regex
engine can take exponential time on a crafted pattern, and the budget cannot bound it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date as _date
from datetime import datetime
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
)
from typing import Any

from engine.errors import ExpressionBudgetExceeded, ExpressionError
from engine.expressions.time_functions import ZONE

MAX_SIZE = 100_000
_REGEX_SPECIAL = re.compile(r"[\\^$.|?*+()\[\]{}]")


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ExpressionError(f"{what} takes a text, not {type(value).__name__}")
    return value


def _items(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ExpressionError(f"{what} takes a list, not {type(value).__name__}")
    return value


def _number(value: Any, what: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExpressionError(f"{what} takes a number, not {type(value).__name__}")
    return value


def _position(position: Any, length: int, what: str) -> int:
    """A FEEL position (1-based; negative from the end) as a 0-based index."""
    if isinstance(position, float) and position.is_integer():
        position = int(position)
    if not isinstance(position, int) or isinstance(position, bool) or position == 0:
        raise ExpressionError(f"{what}: positions start at 1 (or -1 from the end)")
    return position - 1 if position > 0 else length + position


# strings -------------------------------------------------------------------------
def substring(text: object, start: Any, length: Any = None) -> str:
    text = _text(text, "substring")
    begin = max(_position(start, len(text), "substring"), 0)
    if length is None:
        return text[begin:]
    return text[begin : begin + int(_number(length, "substring"))]


def upper_case(text: Any) -> str:
    return _text(text, "upper case").upper()


def lower_case(text: Any) -> str:
    return _text(text, "lower case").lower()


def substring_before(text: object, match: object) -> str:
    text, match = _text(text, "substring before"), _text(match, "substring before")
    return text.split(match, 1)[0] if match in text else ""


def substring_after(text: object, match: object) -> str:
    text, match = _text(text, "substring after"), _text(match, "substring after")
    return text.split(match, 1)[1] if match in text else ""


def contains(text: Any, match: Any) -> bool:
    return _text(match, "contains") in _text(text, "contains")


def starts_with(text: Any, match: Any) -> bool:
    return _text(text, "starts with").startswith(_text(match, "starts with"))


def ends_with(text: Any, match: Any) -> bool:
    return _text(text, "ends with").endswith(_text(match, "ends with"))


def _literal_pattern(pattern: object, what: str) -> str:
    pattern = _text(pattern, what)
    if _REGEX_SPECIAL.search(pattern):
        raise ExpressionError(
            f"{what} with a regular expression ({pattern!r}) is not supported: okno matches plain text only"
        )
    return pattern


def replace(text: object, pattern: object, replacement: object) -> str:
    text, replacement = _text(text, "replace"), _text(replacement, "replace")
    pattern = _literal_pattern(pattern, "replace")
    if not pattern:
        raise ExpressionError("replace: the pattern is empty")
    if len(text) + text.count(pattern) * max(0, len(replacement) - len(pattern)) > MAX_SIZE:
        raise ExpressionBudgetExceeded(f"a value would exceed {MAX_SIZE} items")
    return text.replace(pattern, replacement)


def split(text: object, delimiter: object) -> list[str]:
    delimiter = _literal_pattern(delimiter, "split")
    if not delimiter:
        raise ExpressionError("split: the delimiter is empty")
    return _text(text, "split").split(delimiter)


def string_join(items: Any, delimiter: Any = "", prefix: Any = "", suffix: Any = "") -> str:
    parts = [_text(item, "string join") for item in _items(items, "string join") if item is not None]
    joined = _text(delimiter, "string join").join(parts)
    return _text(prefix, "string join") + joined + _text(suffix, "string join")


def string(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def number(text: object) -> int | float:
    text = _text(text, "number").strip()
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise ExpressionError(f"number: {text!r} is not a number") from None


# lists ---------------------------------------------------------------------------
def list_contains(items: Any, value: Any) -> bool:
    return value in _items(items, "list contains")


def count(items: Any) -> int:
    return len(_items(items, "count"))


def mean(items: Any) -> float:
    values = [_number(value, "mean") for value in _items(items, "mean")]
    if not values:
        raise ExpressionError("mean of an empty list")
    return sum(values) / len(values)


def median(items: Any) -> float:
    values = sorted(_number(value, "median") for value in _items(items, "median"))
    if not values:
        raise ExpressionError("median of an empty list")
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def product(items: Any) -> int | float:
    result: int | float = 1
    for value in _items(items, "product"):
        result *= _number(value, "product")
        if isinstance(result, int) and result.bit_length() > 4096:
            raise ExpressionBudgetExceeded("number would exceed 4096 bits")
    return result


def sublist(items: object, start: Any, length: Any = None) -> list[Any]:
    items = _items(items, "sublist")
    begin = max(_position(start, len(items), "sublist"), 0)
    if length is None:
        return items[begin:]
    return items[begin : begin + int(_number(length, "sublist"))]


def append(items: Any, *values: Any) -> list[Any]:
    return [*_items(items, "append"), *values]


def concatenate(*lists: Any) -> list[Any]:
    if sum(len(_items(items, "concatenate")) for items in lists) > MAX_SIZE:
        raise ExpressionBudgetExceeded(f"a value would exceed {MAX_SIZE} items")
    return [item for items in lists for item in items]


def insert_before(items: object, position: Any, value: Any) -> list[Any]:
    items = list(_items(items, "insert before"))
    items.insert(_position(position, len(items), "insert before"), value)
    return items


def remove(items: object, position: Any) -> list[Any]:
    items = list(_items(items, "remove"))
    index = _position(position, len(items), "remove")
    if not 0 <= index < len(items):
        raise ExpressionError(f"remove: position {position} is outside the list")
    del items[index]
    return items


def reverse(items: Any) -> list[Any]:
    return list(reversed(_items(items, "reverse")))


def index_of(items: Any, match: Any) -> list[int]:
    return [position for position, item in enumerate(_items(items, "index of"), start=1) if item == match]


def distinct_values(items: Any) -> list[Any]:
    distinct: list[Any] = []
    for item in _items(items, "distinct values"):
        if item not in distinct:
            distinct.append(item)
    return distinct


def union(*lists: Any) -> list[Any]:
    return distinct_values(concatenate(*lists))


def flatten(items: Any) -> list[Any]:
    flat: list[Any] = []

    def walk(value: list[Any], depth: int) -> None:
        if depth > 32:
            raise ExpressionError("flatten: lists nested deeper than 32")
        for item in value:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                flat.append(item)

    walk(_items(items, "flatten"), 0)
    return flat


def sort(items: Any) -> list[Any]:
    try:
        return sorted(_items(items, "sort"))
    except TypeError:
        raise ExpressionError("sort: the list mixes values that cannot be ordered") from None


def span(first: Any, last: Any) -> list[int]:
    """FEEL's ``first..last`` in ``for``: every whole number from one end to the other, both
    included, counting down when ``last < first``."""
    if not all(isinstance(end, int) and not isinstance(end, bool) for end in (first, last)):
        raise ExpressionError("a range a..b in 'for' takes whole numbers")
    if abs(last - first) >= MAX_SIZE:
        raise ExpressionBudgetExceeded(f"a range of more than {MAX_SIZE} numbers")
    return list(range(first, last + 1)) if first <= last else list(range(first, last - 1, -1))


def is_empty(value: Any) -> bool:
    """JUEL's ``empty x`` and FEEL's ``is empty(list)``: null, "" or an empty list or record."""
    return value is None or (isinstance(value, (str, list, dict)) and len(value) == 0)


# numbers -------------------------------------------------------------------------
def _rounded(mode: str) -> Callable[[Any, Any], int | float]:
    def rounding(value: Any, scale: Any = 0) -> int | float:
        value = _number(value, "rounding")
        if isinstance(scale, bool) or not isinstance(scale, int) or not -100 <= scale <= 100:
            raise ExpressionError("the scale of a rounding is a whole number from -100 to 100")
        try:
            result = Decimal(str(value)).quantize(Decimal(1).scaleb(-scale), rounding=mode)
        except InvalidOperation as error:
            raise ExpressionError(f"cannot round {value}: {error}") from None
        return int(result) if scale <= 0 else float(result)

    return rounding


decimal = _rounded(ROUND_HALF_EVEN)
round_half_up = _rounded(ROUND_HALF_UP)
round_half_down = _rounded(ROUND_HALF_DOWN)
round_up = _rounded(ROUND_UP)
round_down = _rounded(ROUND_DOWN)
floor = _rounded(ROUND_FLOOR)
ceiling = _rounded(ROUND_CEILING)


def modulo(dividend: Any, divisor: Any) -> int | float:
    # FEEL's modulo takes the divisor's sign, as Python's % does.
    return _number(dividend, "modulo") % _number(divisor, "modulo")


def sqrt(value: Any) -> float:
    return math.sqrt(_number(value, "sqrt"))


def odd(value: Any) -> bool:
    return int(_number(value, "odd")) % 2 == 1


def even(value: Any) -> bool:
    return int(_number(value, "even")) % 2 == 0


# dates, times and durations, as ISO 8601 texts --------------------------------------
_DURATION = re.compile(r"^-?P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


def date(value: Any, month: Any = None, day: Any = None) -> str:
    try:
        if month is not None:
            return _date(
                int(_number(value, "date")), int(_number(month, "date")), int(_number(day, "date"))
            ).isoformat()
        text = _text(value, "date")
        return (datetime.fromisoformat(text).date() if "T" in text else _date.fromisoformat(text)).isoformat()
    except (ValueError, TypeError) as error:
        raise ExpressionError(f"date: {error}") from None


def date_and_time(value: Any, time_of_day: Any = None) -> str:
    text = (
        _text(value, "date and time") if time_of_day is None else f"{date(value)}T{_text(time_of_day, 'date and time')}"
    )
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError as error:
        raise ExpressionError(f"date and time: {error}") from None


def duration(value: Any) -> str:
    text = _text(value, "duration")
    if not _DURATION.match(text):
        raise ExpressionError(f"duration: {text!r} is not an ISO 8601 duration such as P3D or PT4H")
    return text


def years_and_months_duration(start: Any, end: Any) -> str:
    first, last = _date.fromisoformat(date(start)), _date.fromisoformat(date(end))
    sign = ""
    if last < first:
        first, last, sign = last, first, "-"
    months = (last.year - first.year) * 12 + last.month - first.month - (1 if last.day < first.day else 0)
    return f"{sign}P{months // 12}Y{months % 12}M"


def today(moment: datetime | None) -> str:
    """The case's current date (the interpreter passes the case's time, never the host's)."""
    if moment is None:
        raise ExpressionError("today() is the date of a case: it is only available while a case runs")
    return moment.astimezone(ZONE).date().isoformat()


def day_of_week(value: Any) -> str:
    return _date.fromisoformat(date(value)).strftime("%A")


FUNCTIONS: dict[str, Callable[..., Any]] = {
    function.__name__: function
    for function in (
        substring,
        upper_case,
        lower_case,
        substring_before,
        substring_after,
        contains,
        starts_with,
        ends_with,
        replace,
        split,
        string_join,
        string,
        number,
        list_contains,
        count,
        mean,
        median,
        product,
        sublist,
        append,
        concatenate,
        insert_before,
        remove,
        reverse,
        index_of,
        distinct_values,
        union,
        flatten,
        sort,
        span,
        is_empty,
        modulo,
        sqrt,
        odd,
        even,
        date,
        date_and_time,
        duration,
        years_and_months_duration,
        today,
        day_of_week,
    )
} | {
    "decimal": decimal,
    "round_half_up": round_half_up,
    "round_half_down": round_half_down,
    "round_up": round_up,
    "round_down": round_down,
    "floor": floor,
    "ceiling": ceiling,
}
