"""The expression dialects analysts write, translated into okno's expression language at
deploy: Camunda 7 JUEL (``${…}``), FEEL (Camunda 8's ``=…`` and DMN unary tests), and
bare ISO 8601 timer literals (``PT72H``, ``P3D``, ``R3/PT10M``, dates).

Only the usual subset is translated — comparisons, and/or/not, arithmetic, string, number
and list literals, ``in``, null checks, ranges in tests, ``date("…")`` and
``duration("…")`` literals. Anything else is a deploy-time problem naming the element,
never a failure when a case reaches it. Translation is a pure function of the text, so a
pinned version translates the same way on every replay.
"""

from __future__ import annotations

import re

from engine.bpmn.cron import is_cron
from engine.errors import ExpressionError

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<range>\.\.)
  | (?P<op>&&|\|\||==|!=|<=|>=|[<>!=+\-*/%(),.\[\]?:])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
""",
    re.VERBOSE,
)
_ISO_TIMER = re.compile(
    r"^(?:R\d*/)?(?:P(?!$)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?)$",
    re.IGNORECASE,
)

_JUEL_WORDS = {
    "and": "and",
    "or": "or",
    "not": "not",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
    "null": "None",
    "true": "True",
    "false": "False",
}
_FEEL_WORDS = {"and": "and", "or": "or", "null": "None", "true": "True", "false": "False", "in": "in"}
_FEEL_LITERALS = ("date", "duration", "date and time", "time")


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(f"cannot read {text[position : position + 12]!r}")
        kind = match.lastgroup or ""
        if kind != "space":
            found.append((kind, match.group()))
        position = match.end()
    return found


def is_iso_timer(text: str) -> bool:
    return bool(_ISO_TIMER.match(text.strip()))


def normalize(text: str, *, timer: bool = False) -> str:
    """An okno expression for what the analyst wrote (raises ExpressionError if it is
    outside the supported subset)."""
    stripped = text.strip()
    if stripped.startswith("${") and stripped.endswith("}"):
        return juel(stripped[2:-1])
    if stripped.startswith("#{") and stripped.endswith("}"):
        return juel(stripped[2:-1])
    if stripped.startswith("=") and not stripped.startswith("=="):
        translated = feel(stripped[1:])
        return translated
    if timer and (is_iso_timer(stripped) or is_cron(stripped)):  # a literal, not an expression
        return f'"{stripped}"'
    return stripped


def juel(text: str) -> str:
    out: list[str] = []
    tokens = _tokens(text)
    for index, (kind, value) in enumerate(tokens):
        following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if kind == "name" and value in _JUEL_WORDS:
            out.append(_JUEL_WORDS[value])
        elif kind == "name" and value == "empty":
            raise ExpressionError("JUEL 'empty' is not supported: write x == null or x == ''")
        elif kind == "name" and following == "(":
            raise ExpressionError(f"JUEL method and function calls ({value}(…)) are not supported")
        elif value == "&&":
            out.append("and")
        elif value == "||":
            out.append("or")
        elif value == "!":
            out.append("not")
        elif value in ("?", ":"):
            raise ExpressionError("the JUEL conditional a ? b : c is not supported")
        elif kind == "range":
            raise ExpressionError("'..' is not JUEL")
        else:
            out.append(value)
    return _join(out)


def feel(text: str) -> str:
    tokens = _tokens(_feel_literals(text))
    out: list[str] = []
    index = 0
    while index < len(tokens):
        kind, value = tokens[index]
        following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if value == "=":
            out.append("==")
        elif kind == "name" and value == "not" and following == "(":
            out.append("not")
        elif kind == "name" and value in (
            "then",
            "else",
            "if",
            "for",
            "some",
            "every",
            "satisfies",
            "function",
            "instance",
        ):
            raise ExpressionError(f"FEEL '{value}' is not supported: use comparisons, and/or/not and in")
        elif kind == "name" and value in _FEEL_WORDS:
            out.append(_FEEL_WORDS[value])
        elif kind == "name" and following == "(" and value not in ("not",):
            raise ExpressionError(f"FEEL function {value}(…) is not supported (only date(…) and duration(…))")
        elif kind == "range":
            raise ExpressionError("FEEL ranges [a..b] are supported only in DMN input entries")
        elif value in ("&&", "||", "!", "?", ":"):
            raise ExpressionError(f"{value!r} is not FEEL")
        else:
            out.append(value)
        index += 1
    return _join(out)


def feel_unary_test(text: str) -> str:
    """A DMN input entry in FEEL, as an okno test on the input (``?`` stands for it)."""
    test = text.strip()
    if test in ("", "-"):
        return test
    negated = False
    if test.startswith("not(") and test.endswith(")"):
        negated, test = True, test[4:-1].strip()
    parts = _split_top_level(test)
    alternatives = [_single_test(part.strip()) for part in parts]
    combined = alternatives[0] if len(alternatives) == 1 else " or ".join(f"({a})" for a in alternatives)
    return f"not ({combined})" if negated else combined


def _single_test(part: str) -> str:
    ranged = re.fullmatch(r"([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\]\[\)])", part)
    if ranged:
        opening, low, high, closing = ranged.groups()
        lower = ">=" if opening == "[" else ">"
        upper = "<=" if closing == "]" else "<"
        return f"? {lower} {feel(low)} and ? {upper} {feel(high)}"
    for operator in ("<=", ">=", "!=", "<", ">", "="):
        if part.startswith(operator):
            python = "==" if operator == "=" else operator
            return f"? {python} {feel(part[len(operator) :])}"
    return f"? == {feel(part)}"


def _split_top_level(text: str) -> list[str]:
    parts, depth, current, quote = [], 0, "", ""
    for char in text:
        if quote:
            current += char
            if char == quote:
                quote = ""
            continue
        if char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    return [*parts, current]


def _feel_literals(text: str) -> str:
    """date("2026-01-01") and duration("P3D") are written as their ISO text."""
    for name in sorted(_FEEL_LITERALS, key=len, reverse=True):
        text = re.sub(rf'\b{name}\s*\(\s*("[^"]*")\s*\)', r"\1", text)
    return text


def _join(parts: list[str]) -> str:
    text = ""
    for part in parts:
        glue = not text or text[-1] in "([." or part in ").],"
        if part in "([" and text and (text[-1].isalnum() or text[-1] in "_)]\"'"):
            glue = True  # a call or a lookup: f(x), data["k"]
        if text.endswith(("not", "in", "and", "or")) and part in "([":
            glue = False
        text += part if glue else f" {part}"
    return text
