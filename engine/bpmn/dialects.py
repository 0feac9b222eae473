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
from collections.abc import Callable

from engine.bpmn.cron import is_cron
from engine.errors import ExpressionError

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<range>\.\.)
  | (?P<op>&&|\|\||==|!=|<=|>=|[<>!=+\-*/%(),.\[\]?:{}])
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
    return _join(_juel(_tokens(text)))


Token = tuple[str, str]

# JUEL methods on strings and collections, and what okno writes for each (receiver r,
# arguments a): anything else called on a value is a Java bean's method and cannot run.
_JUEL_METHODS = frozenset(
    {
        "length",
        "size",
        "isEmpty",
        "contains",
        "containsKey",
        "startsWith",
        "endsWith",
        "equals",
        "equalsIgnoreCase",
        "toUpperCase",
        "toLowerCase",
        "trim",
        "get",
        "substring",
    }
)


def _juel(tokens: list[Token]) -> list[str]:
    question = _find_top(tokens, 0, "?")
    if question is not None:  # a ? b : c, the lowest precedence: it splits the whole segment
        colon = _matching_colon(tokens, question + 1)
        return [
            "(",
            *_juel(tokens[question + 1 : colon]),
            "if",
            *_juel(tokens[:question]),
            "else",
            *_juel(tokens[colon + 1 :]),
            ")",
        ]
    out: list[str] = []
    index = 0
    while index < len(tokens):
        kind, value = tokens[index]
        following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if kind == "name" and value == "empty":
            end = _operand_end(tokens, index + 1)
            out.extend(["is_empty", "(", *_juel(tokens[index + 1 : end]), ")"])
            index = end
            continue
        if kind == "name" and following == "(":
            close = _matching(tokens, index + 1)
            arguments = [_juel(part) for part in _split_commas(tokens[index + 2 : close])]
            if out and out[-1] == ".":
                out.pop()
                receiver = _take_operand(out)
                out.extend(_juel_method(receiver, value, arguments))
            else:
                raise ExpressionError(
                    f"JUEL function {value}(…) cannot run: okno runs no Java functions or beans; "
                    "compute the value in a script task (okno's language) or make the work a service task job"
                )
            index = close + 1
            continue
        if value in "([" and kind == "op":
            index = _bracketed(tokens, index, _juel, out)
            continue
        if kind == "name" and value in _JUEL_WORDS:
            out.append(_JUEL_WORDS[value])
        elif value == "&&":
            out.append("and")
        elif value == "||":
            out.append("or")
        elif value == "!":
            out.append("not")
        elif value == ":":
            raise ExpressionError("':' without '?' is not JUEL")
        elif kind == "range":
            raise ExpressionError("'..' is not JUEL")
        else:
            out.append(value)
        index += 1
    return out


def _juel_method(receiver: list[str], method: str, arguments: list[list[str]]) -> list[str]:
    if receiver == ["execution"]:
        if method == "getVariable" and len(arguments) == 1 and len(arguments[0]) == 1:
            name = arguments[0][0][1:-1] if arguments[0][0][:1] in "\"'" else ""
            if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
                return [name]
        raise ExpressionError(
            f"execution.{method}(…) is Camunda's Java API: okno's case data are plain names, "
            'so write the variable itself (execution.getVariable("x") is x)'
        )
    if method not in _JUEL_METHODS:
        owner = _join(receiver)
        raise ExpressionError(
            f"JUEL method {owner}.{method}(…) cannot run: okno runs no Java beans; compute the value in a "
            "script task (okno's language) or make the work a service task job. Methods okno runs: "
            + ", ".join(sorted(_JUEL_METHODS))
        )
    first = arguments[0] if arguments else []
    wrapped = ["(", *receiver, ")"] if len(receiver) > 1 else receiver
    if method in ("length", "size"):
        return ["len", "(", *receiver, ")"]
    if method == "isEmpty":
        return ["is_empty", "(", *receiver, ")"]
    if method in ("contains", "containsKey"):
        return ["(", *first, "in", *receiver, ")"]
    if method == "equals":
        return ["(", *receiver, "==", *first, ")"]
    if method == "equalsIgnoreCase":
        return ["(", *wrapped, ".", "lower", "(", ")", "==", "(", *first, ")", ".", "lower", "(", ")", ")"]
    if method == "get":
        return [*wrapped, "[", *first, "]"]
    if method == "substring":
        end = arguments[1] if len(arguments) > 1 else []
        return [*wrapped, "[", *first, ":", *end, "]"]
    python = {
        "startsWith": "startswith",
        "endsWith": "endswith",
        "toUpperCase": "upper",
        "toLowerCase": "lower",
        "trim": "strip",
    }[method]
    call: list[str] = [*wrapped, ".", python, "("]
    for position, argument in enumerate(arguments):
        if position:
            call.append(",")
        call.extend(argument)
    return [*call, ")"]


# FEEL's built-in functions whose names have spaces, and the okno function for each.
_FEEL_FUNCTIONS = {
    "string length": "len",
    "upper case": "upper_case",
    "lower case": "lower_case",
    "substring before": "substring_before",
    "substring after": "substring_after",
    "starts with": "starts_with",
    "ends with": "ends_with",
    "string join": "string_join",
    "list contains": "list_contains",
    "distinct values": "distinct_values",
    "index of": "index_of",
    "insert before": "insert_before",
    "years and months duration": "years_and_months_duration",
    "date and time": "date_and_time",
    "round half up": "round_half_up",
    "round half down": "round_half_down",
    "round up": "round_up",
    "round down": "round_down",
    "is empty": "is_empty",
    "day of week": "day_of_week",
    "is defined": "defined",
    "get or else": "get_or_else",
}
# FEEL functions okno runs under their own name (see engine.expressions.feel_functions).
_FEEL_SAME = frozenset(
    {
        "substring",
        "contains",
        "replace",
        "split",
        "count",
        "min",
        "max",
        "sum",
        "mean",
        "median",
        "product",
        "all",
        "any",
        "sublist",
        "append",
        "concatenate",
        "remove",
        "reverse",
        "union",
        "flatten",
        "sort",
        "decimal",
        "floor",
        "ceiling",
        "abs",
        "modulo",
        "sqrt",
        "odd",
        "even",
        "string",
        "number",
        "date",
        "duration",
        "now",
        "today",
        "defined",
    }
    | set(_FEEL_FUNCTIONS.values())
)
_FEEL_REFUSED = {
    "matches": "FEEL matches(…) takes a regular expression, which okno does not run (a crafted pattern can take "
    "unbounded time): use contains, starts with or ends with",
    "get value": "get value(…) is not supported: write context.key",
    "get entries": "get entries(…) is not supported: use a comprehension over record.items() in a script task",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"' + r"|'(?:[^'\\]|\\.)*'")
_SPACED_NAMES = re.compile(
    r"\b("
    + "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in sorted(_FEEL_FUNCTIONS, key=len, reverse=True))
    + r")\s*\("
)


def _feel_names(text: str) -> str:
    """``upper case(x)`` as ``upper_case(x)`` — outside string literals only."""
    parts: list[str] = []
    position = 0
    for match in _STRING.finditer(text):
        parts.append(_spaced(text[position : match.start()]))
        parts.append(match.group())
        position = match.end()
    parts.append(_spaced(text[position:]))
    return "".join(parts)


def _spaced(text: str) -> str:
    return _SPACED_NAMES.sub(lambda m: _FEEL_FUNCTIONS[" ".join(m.group(1).split())] + "(", text)


def feel(text: str) -> str:
    return _join(_feel(_tokens(_feel_names(_feel_literals(text)))))


def _feel(tokens: list[Token]) -> list[str]:
    out: list[str] = []
    index = 0
    while index < len(tokens):
        kind, value = tokens[index]
        following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if kind == "name" and value in ("function", "instance"):
            raise ExpressionError(f"FEEL '{value}' is not supported: define the logic in a script task")
        if kind == "name" and value == "if":
            then = _find_keyword(tokens, index + 1, "then", opener="if", closer="then")
            otherwise = _find_keyword(tokens, then + 1, "else", opener="if", closer="else")
            out.extend(
                [
                    "(",
                    *_feel(tokens[then + 1 : otherwise]),
                    "if",
                    *_feel(tokens[index + 1 : then]),
                    "else",
                    *_feel(tokens[otherwise + 1 :]),
                    ")",
                ]
            )
            return out
        if kind == "name" and value in ("for", "some", "every"):
            word = "return" if value == "for" else "satisfies"
            end = _find_keyword(tokens, index + 1, word, opener=value, closer=word)
            loops: list[str] = []
            for binding in _split_commas(tokens[index + 1 : end]):
                if len(binding) < 3 or binding[0][0] != "name" or binding[1][1] != "in":
                    raise ExpressionError(f"FEEL '{value}' takes 'name in list' before '{word}'")
                loops.extend(["for", binding[0][1], "in", *_feel_iteration(binding[2:])])
            body = _feel(tokens[end + 1 :])
            if value == "for":
                out.extend(["[", *body, *loops, "]"])
            else:
                out.extend(["any" if value == "some" else "all", "(", "[", *body, *loops, "]", ")"])
            return out
        if kind == "name" and value == "between":
            operand = _take_operand_feel(out)
            low_end = _find_top(tokens, index + 1, "and")
            if low_end is None:
                raise ExpressionError("FEEL 'between' takes 'x between a and b'")
            high_end = _find_top(tokens, low_end + 1, "and", "or")
            high_end = len(tokens) if high_end is None else high_end
            low, high = _feel(tokens[index + 1 : low_end]), _feel(tokens[low_end + 1 : high_end])
            out.extend(["(", *low, "<=", *operand, "<=", *high, ")"])
            index = high_end
            continue
        if value == "in" and following in ("[", "("):
            close = _matching(tokens, index + 1)
            if _find_top(tokens[index + 2 : close], 0, "..") is not None:
                operand = _take_operand_feel(out)
                low, high = _split_range(tokens[index + 2 : close])
                lower = ">=" if following == "[" else ">"
                upper = "<=" if tokens[close][1] == "]" else "<"
                out.extend(["(", *operand, lower, *low, "and", *operand, upper, *high, ")"])
                index = close + 1
                continue
        if kind == "name" and following == "(" and value not in ("not",):
            spaced = " ".join(value.split("_"))
            if value in _FEEL_REFUSED or spaced in _FEEL_REFUSED:
                raise ExpressionError(_FEEL_REFUSED.get(value) or _FEEL_REFUSED[spaced])
            if value not in _FEEL_SAME:
                raise ExpressionError(
                    f"FEEL function {value}(…) is not supported; okno runs: "
                    + ", ".join(sorted(set(_FEEL_FUNCTIONS) | (_FEEL_SAME - set(_FEEL_FUNCTIONS.values()))))
                )
            out.append(value)
            index += 1
            continue
        if value == "{" and kind == "op":
            close = _matching(tokens, index)
            out.append("{")
            for position, entry in enumerate(_split_commas(tokens[index + 1 : close])):
                colon = _find_top(entry, 0, ":")
                if colon != 1 or entry[0][0] not in ("name", "string"):
                    raise ExpressionError("a FEEL context entry is written key: value")
                key = entry[0][1] if entry[0][0] == "string" else f'"{entry[0][1]}"'
                out.extend([*([","] if position else []), key, ":", *_feel(entry[2:])])
            out.append("}")
            index = close + 1
            continue
        if value in "([" and kind == "op":
            index = _bracketed(tokens, index, _feel, out)
            continue
        if value == "=":
            out.append("==")
        elif kind == "name" and value in ("then", "else", "return", "satisfies"):
            raise ExpressionError(f"FEEL '{value}' without its 'if', 'for', 'some' or 'every'")
        elif kind == "name" and value in _FEEL_WORDS:
            out.append(_FEEL_WORDS[value])
        elif kind == "range":
            raise ExpressionError("FEEL ranges [a..b] are supported after 'in', in 'for', and in DMN input entries")
        elif value in ("&&", "||", "!", "?", ":"):
            raise ExpressionError(f"{value!r} is not FEEL")
        else:
            out.append(value)
        index += 1
    return out


def _feel_iteration(tokens: list[Token]) -> list[str]:
    """What a FEEL ``for``/``some`` iterates: a list, or a range ``1..n`` (both ends in,
    counting down when n < 1, as FEEL does)."""
    if _find_top(tokens, 0, "..") is None:
        return _feel(tokens)
    low, high = _split_range(tokens)
    return ["span", "(", *low, ",", *high, ")"]


def _split_range(tokens: list[Token]) -> tuple[list[str], list[str]]:
    dots = _find_top(tokens, 0, "..")
    assert dots is not None
    return _feel(tokens[:dots]), _feel(tokens[dots + 1 :])


# token-list helpers ------------------------------------------------------------------
def _bracketed(tokens: list[Token], start: int, translate: Callable[[list[Token]], list[str]], out: list[str]) -> int:
    """A bracketed list (call arguments, a list literal) at ``start``, each item translated
    in the same dialect, onto ``out``; returns the index after its closing bracket."""
    close = _matching(tokens, start)
    out.append(tokens[start][1])
    for position, part in enumerate(_split_commas(tokens[start + 1 : close])):
        if position:
            out.append(",")
        out.extend(translate(part))
    out.append(tokens[close][1])
    return close + 1


def _matching(tokens: list[Token], start: int) -> int:
    """The index of the bracket that closes the one at ``start`` (FEEL's half-open
    ranges close a "(" with "]" and a "[" with ")", so any closer closes any opener)."""
    depth = 0
    for index in range(start, len(tokens)):
        kind, value = tokens[index]
        if kind != "op":
            continue
        if value in "([{":
            depth += 1
        elif value in ")]}":
            depth -= 1
            if depth == 0:
                return index
    raise ExpressionError("a bracket is not closed")


def _depth_walk(tokens: list[Token], start: int) -> list[tuple[int, int]]:
    """(index, depth) for every token from ``start``; depth counts open brackets."""
    walked: list[tuple[int, int]] = []
    depth = 0
    for index in range(start, len(tokens)):
        kind, value = tokens[index]
        if kind == "op" and value in ")]}":
            depth -= 1
        walked.append((index, depth))
        if kind == "op" and value in "([{":
            depth += 1
    return walked


def _find_top(tokens: list[Token], start: int, *values: str) -> int | None:
    for index, depth in _depth_walk(tokens, start):
        if depth == 0 and tokens[index][1] in values:
            return index
    return None


def _find_keyword(tokens: list[Token], start: int, word: str, *, opener: str, closer: str) -> int:
    nested = 0
    for index, depth in _depth_walk(tokens, start):
        value = tokens[index][1]
        if depth != 0 or tokens[index][0] != "name":
            continue
        if value == opener:
            nested += 1
        elif value == closer:
            if nested == 0:
                return index
            nested -= 1
    raise ExpressionError(f"'{word}' is missing")


def _matching_colon(tokens: list[Token], start: int) -> int:
    nested = 0
    for index, depth in _depth_walk(tokens, start):
        if depth != 0:
            continue
        if tokens[index][1] == "?":
            nested += 1
        elif tokens[index][1] == ":":
            if nested == 0:
                return index
            nested -= 1
    raise ExpressionError("the JUEL conditional a ? b : c has no ':'")


def _split_commas(tokens: list[Token]) -> list[list[Token]]:
    """Arguments at the top level; a comma inside a FEEL for/some/every header binds a
    further name, it does not end the argument."""
    if not tokens:
        return []
    parts: list[list[Token]] = [[]]
    header = False
    for index, depth in _depth_walk(tokens, 0):
        kind, value = tokens[index]
        if depth == 0 and kind == "name" and value in ("for", "some", "every"):
            header = True
        elif depth == 0 and kind == "name" and value in ("return", "satisfies"):
            header = False
        if depth == 0 and value == "," and not header:
            parts.append([])
            continue
        parts[-1].append(tokens[index])
    return parts


def _operand_end(tokens: list[Token], start: int) -> int:
    """Where the operand that starts at ``start`` ends: a name or a bracket, then .name,
    [key] and (arguments) suffixes."""
    if start >= len(tokens):
        raise ExpressionError("'empty' needs a value after it")
    index = _matching(tokens, start) + 1 if tokens[start][1] in "([" else start + 1
    while index < len(tokens):
        value = tokens[index][1]
        if value == "." and index + 1 < len(tokens) and tokens[index + 1][0] == "name":
            index += 2
        elif value in "([" and tokens[index][0] == "op":
            index = _matching(tokens, index) + 1
        else:
            break
    return index


_WORDS = frozenset({"and", "or", "not", "in", "if", "else", "for", "is", "None", "True", "False"})


def _atom(token: str) -> bool:
    return (
        bool(token) and (token[0].isalnum() or token[0] in "_\"'") and token not in _WORDS - {"None", "True", "False"}
    )


def _take_operand(out: list[str]) -> list[str]:
    """Remove from ``out`` and return the operand it ends with (a name, literal or bracket
    and its .name, [key], (arguments) suffixes)."""
    index = len(out)
    while index > 0:
        last = out[index - 1]
        if last in (")", "]"):
            depth = 0
            opener = index - 1
            while opener >= 0:
                if out[opener] in (")", "]"):
                    depth += 1
                elif out[opener] in ("(", "["):
                    depth -= 1
                    if depth == 0:
                        break
                opener -= 1
            index = opener
            if index > 0 and (_atom(out[index - 1]) or out[index - 1] in (")", "]")):
                continue  # a call or a subscript: its owner is part of the operand
            break
        if _atom(last):
            index -= 1
            if index > 0 and out[index - 1] == ".":
                index -= 1
                continue
            break
        break
    operand = out[index:]
    if not operand:
        raise ExpressionError("a method or test needs a value before it")
    del out[index:]
    return operand


def _take_operand_feel(out: list[str]) -> list[str]:
    """The left side of FEEL's ``between`` or ``in`` range: back to the last and/or/not."""
    index = len(out)
    depth = 0
    while index > 0:
        token = out[index - 1]
        if token in (")", "]"):
            depth += 1
        elif token in ("(", "["):
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and token in ("and", "or", "not", ","):
            break
        index -= 1
    operand = out[index:]
    if not operand:
        raise ExpressionError("'between' and 'in' need a value before them")
    del out[index:]
    return operand


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
