"""A user task's form as a JSON Schema (draft 2020-12), for clients that fill it.

The one translation of a ``TaskForm`` into JSON Schema: the API publishes it beside the
form's fields (``Task.form.jsonSchema``), so a client can check its data before it sends
it. It describes what completing the task accepts (engine.bpmn.forms): declared fields
only at the top level, each of its type and constraints, an optional field also null
(completing takes null for a field left empty). A JSON-Schema form (SpiffArena) is its
own schema and is published as the model wrote it."""

from __future__ import annotations

from typing import Any

from engine.bpmn.form_model import FormField, TaskForm

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# The checker's own shapes (engine.bpmn.forms), as JSON Schema spells them.
LONGEST_TEXT = 10_000
PHONE_PATTERN = r"^\+?[0-9 ()\-]{5,20}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_TYPES = {"string": "string", "long": "integer", "number": "number", "boolean": "boolean", "list": "array"}
_FORMATS = {"date": "date", "datetime": "date-time", "time": "time"}
_LIMITS = {"min": "minimum", "max": "maximum", "minLength": "minLength", "maxLength": "maxLength", "pattern": "pattern"}


def form_json_schema(form: TaskForm) -> dict[str, Any]:
    """The JSON Schema of the data a task with this form is completed with."""
    if form.schema is not None:
        return dict(form.schema)
    schema = _object(form.fields, prefix="", closed=True)
    return {"$schema": DIALECT, **schema}


def _object(fields: tuple[FormField, ...], prefix: str, closed: bool) -> dict[str, Any]:
    """The fields under ``prefix`` as an object; a form-js group (``group.key``) nests."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    groups: dict[str, list[FormField]] = {}
    for field in fields:
        rest = field.id.removeprefix(prefix)
        head, dot, _ = rest.partition(".")
        if dot:
            groups.setdefault(head, []).append(field)
            continue
        properties[head] = _field(field)
        if field.required:
            required.append(head)
    for head, members in groups.items():
        properties[head] = _object(tuple(members), f"{prefix}{head}.", closed=False)
        if any(member.required for member in members):
            required.append(head)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if closed:  # completing refuses a top-level name the form does not declare
        schema["additionalProperties"] = False
    return schema


def _field(field: FormField) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": field.label}
    if field.type in ("enum", "enum_list"):
        allowed = _enum(field)
        if field.type == "enum":
            schema.update(allowed)
        else:
            schema["type"] = "array"
            if allowed:
                schema["items"] = allowed
    elif field.type in _FORMATS:
        schema.update(type="string", format=_FORMATS[field.type])
    elif field.type in _TYPES:
        schema["type"] = _TYPES[field.type]
        if field.type == "string":
            schema["maxLength"] = LONGEST_TEXT
        if field.type == "long":  # a whole number the store keeps: 64 bits
            schema.update(minimum=-(2**63) + 1, maximum=2**63 - 1)
    for name, limit in field.constraints:
        if name in _LIMITS:
            schema[_LIMITS[name]] = limit if name != "maxLength" else min(limit, schema.get("maxLength", limit))
        elif name == "validationType":
            if limit == "email":  # the format names it; the pattern is the shape completing checks
                schema.update(format="email", pattern=EMAIL_PATTERN)
            else:
                schema["pattern"] = PHONE_PATTERN
    if field.default is not None:
        schema["default"] = field.default
    if field.personal:
        schema["x-personal"] = True  # an annotation: the value is personal data
    if not field.required:  # left empty, a field may be sent as null
        _allow_null(schema)
    return schema


def _enum(field: FormField) -> dict[str, Any]:
    if not field.options:
        return {"type": "string"} if field.type == "enum" else {}
    allowed: dict[str, Any] = {"enum": list(field.options)}
    labels = dict(zip(field.options, field.option_labels, strict=False))
    if any(labels.values()):  # each value with its label, as form generators read them
        allowed["oneOf"] = [{"const": value, "title": labels.get(value) or value} for value in field.options]
    return allowed


def _allow_null(schema: dict[str, Any]) -> None:
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
        if "oneOf" in schema:
            schema["oneOf"] = [*schema["oneOf"], {"const": None}]
    elif isinstance(schema.get("type"), str):
        schema["type"] = [schema["type"], "null"]
