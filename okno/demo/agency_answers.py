"""What a simulated agency answers: a payload made from the awaited message's JSON Schema
(its contract, engine/bpmn/message_contracts.py), so a process that arrives with messages
the demo has never heard of is answered all the same.

The happy path is the usual answer: an enum's first value, a yes for a yes/no; a fixed
small share of answers take one of the other values, so the processes' other branches
(a refusal, a suspension, an unpaid fee) are walked too.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from typing import Any

from engine.application import Engine
from engine.bpmn.message_contracts import awaited_contract

OTHER_SHARE = 0.1  # answers off the happy path, per enum or yes/no in the payload


def answer(schema: Mapping[str, Any], rng: random.Random) -> Any:
    """A value that fits ``schema``: the happy path, or for a share of the enums and
    yes/nos, another of their values."""
    return _value(schema, lambda values: values[0] if rng.random() >= OTHER_SHARE else rng.choice(values[1:]))


def happy_answer(engine: Engine, version: str, name: str) -> dict[str, Any]:
    """What an agency usually answers message ``name`` of a case on process ``version``
    (the benchmark's agencies: always the happy path)."""
    return dict(_happy(engine, version, name))


@functools.lru_cache(maxsize=512)
def _happy(engine: Engine, version: str, name: str) -> Mapping[str, Any]:
    payload = variants(awaited_contract(engine.steps.library.get(version).contracts, name).schema)[0]
    return payload if isinstance(payload, dict) else {}


def variants(schema: Mapping[str, Any]) -> list[Any]:
    """Every answer that differs from the happy path in at most one enum or yes/no (the
    happy path first): for tests that want each branch an agency can take."""
    happy = _value(schema, lambda values: values[0])
    found = [happy]
    for path, values in _choices(schema, ()):
        for other in values[1:]:
            found.append(_replaced(happy, path, other))
    return found


def _alternatives(schema: Mapping[str, Any]) -> list[Any] | None:
    if "const" in schema:
        return None
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return list(schema["enum"])
    if _type(schema) == "boolean":
        return [True, False]
    return None


def _value(schema: Mapping[str, Any], pick: Any) -> Any:
    if "const" in schema:
        return schema["const"]
    values = _alternatives(schema)
    if values is not None:
        return values[0] if len(values) == 1 else pick(values)
    for keyword in ("oneOf", "anyOf", "allOf"):
        if isinstance(schema.get(keyword), list) and schema[keyword]:
            return _value(schema[keyword][0], pick)
    kind = _type(schema)
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: _value(sub, pick) for name, sub in properties.items() if isinstance(sub, Mapping)}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "null":
        return None
    if kind == "string":
        return "2026-01-01" if schema.get("format") == "date" else "ok"
    return None


def _choices(schema: Mapping[str, Any], path: tuple[str, ...]) -> list[tuple[tuple[str, ...], list[Any]]]:
    """Where in the payload an answer can leave the happy path, and the values it can take."""
    values = _alternatives(schema)
    if values is not None:
        return [(path, values)] if len(values) > 1 else []
    if _type(schema) != "object":
        return []
    found = []
    for name, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, Mapping):
            found.extend(_choices(sub, (*path, name)))
    return found


def _replaced(value: Any, path: tuple[str, ...], other: Any) -> Any:
    if not path:
        return other
    return {**value, path[0]: _replaced(value[path[0]], path[1:], other)}


def _type(schema: Mapping[str, Any]) -> str | None:
    """The schema's type; of a list of types, the first that is not null ("integer or null"
    answers an integer)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"] or ["null"]
        kind = kinds[0]
    if kind is None and "properties" in schema:
        return "object"
    return kind if isinstance(kind, str) else None
