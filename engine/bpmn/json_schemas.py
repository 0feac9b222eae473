"""JSON Schemas that come with a model: checked once at deploy, then used to check data.

A schema is analysts' data, not trusted code: it must be a valid schema, fetch nothing
(every ``$ref`` stays inside the file) and hold no pattern that backtracks exponentially.
Data is checked with every problem named by its path, so one refusal says all there is
to correct."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from engine.errors import FieldProblem

# A group whose quantified body holds a quantifier again, as (a+)+ or (.*x){9}.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")


def schema_problem(schema: object, where: str) -> str | None:
    """Why ``schema`` cannot be used, or None."""
    from jsonschema import validators
    from jsonschema.exceptions import SchemaError

    if not isinstance(schema, dict):
        return f"{where}: a payload schema is a JSON object"
    try:
        validators.validator_for(schema).check_schema(schema)
    except SchemaError as error:
        return f"{where} is not a valid JSON Schema: {error.message}"
    for ref in values_of(schema, "$ref"):
        if not str(ref).startswith("#"):
            return f"{where}: $ref {ref!r} points outside the schema; okno fetches nothing, keep it in the file"
    for pattern in values_of(schema, "pattern"):
        if not isinstance(pattern, str) or len(pattern) > 500:
            return f"{where}: a pattern is a text of at most 500 characters"
        try:
            re.compile(pattern)
        except re.error as error:
            return f"{where}: pattern {pattern!r} is not a regular expression: {error}"
        if _NESTED_QUANTIFIER.search(pattern):
            return f"{where}: pattern {pattern!r} repeats a repeated group, which can take exponential time"
    return None


def data_problems(schema: Mapping[str, Any], data: Any, root: str) -> list[FieldProblem]:
    """Every way ``data`` breaks ``schema``, each at its path under ``root`` (``payload.decision``)."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    problems: list[FieldProblem] = []
    for error in validator.iter_errors(data):
        path = ".".join([root, *(str(part) for part in error.absolute_path)])
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = error.validator_value if isinstance(error.validator_value, list) else ()
            problems.extend(
                FieldProblem(f"{path}.{name}", "is required") for name in missing if name not in error.instance
            )
        elif error.validator == "enum" and isinstance(error.validator_value, list):
            allowed = ", ".join(json.dumps(v, ensure_ascii=False) for v in error.validator_value)
            shown = json.dumps(error.instance, ensure_ascii=False)
            shown = shown if len(shown) <= 100 else shown[:99] + "…"
            problems.append(FieldProblem(path, f"{shown} is not an allowed value; allowed: {allowed}"))
        else:
            problems.append(FieldProblem(path, error.message[:300]))
    # the schema's errors come in its own order; a refusal lists them by field
    return sorted(set(problems), key=lambda p: (p.field, p.message))


@lru_cache(maxsize=256)
def _validator(schema_text: str) -> Any:
    """One validator per schema text, built once: building one costs far more than a
    check (every delivered message, every replay of one, is checked), and a schema is
    data, so the same text is the same validator for every engine."""
    from jsonschema import validators

    schema = json.loads(schema_text)
    kind = validators.validator_for(schema)
    # formats (date, email…) are checked too: jsonschema only annotates them unless asked
    return kind(schema, format_checker=kind.FORMAT_CHECKER)


def values_of(node: object, key: str) -> Iterator[object]:
    """Every value under ``key`` anywhere in a JSON tree (a schema's ``$ref``s, its patterns)."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key:
                yield value
            yield from values_of(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from values_of(item, key)
