"""A user task's declared form, checked before the engine sees the data.

Every problem is reported, each with its field's path, so one refusal tells a clerk
everything to correct. A task that declares no form takes any JSON object (the API's
edge has already bounded its size and depth) whose keys are plain names, as a job's
result is: the names become case data that conditions and scripts read."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from engine.bpmn.form_model import FormField, TaskForm
from engine.bpmn.library import ElementInfo
from engine.errors import FieldProblem, InvalidTaskData

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9 ()\-]{5,20}")
_MISSING = object()


def check_task_data(element: ElementInfo, data: dict[str, Any]) -> None:
    form = element.form
    if form is None:
        problems = [
            FieldProblem(key, "is not a plain name (letters, digits and _, not starting with _ or a digit)")
            for key in sorted(data)
            if not key.isidentifier() or key.startswith("_")
        ]
    elif form.schema is not None:
        problems = _schema_problems(form, data)
    else:
        problems = _field_problems(form, data)
    if problems:
        raise InvalidTaskData(element.id, problems)


def _field_problems(form: TaskForm, data: dict[str, Any]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    declared = {field.id.split(".", 1)[0] for field in form.fields}
    for key in sorted(data):
        if key not in declared:
            allowed = ", ".join(sorted(declared)) or "none"
            problems.append(FieldProblem(key, f"not a field of this task (fields: {allowed})"))
    for field in form.fields:
        value = _at_path(data, field.id)
        if value is _MISSING or value is None:
            if field.required:
                problems.append(FieldProblem(field.id, "is required"))
            continue
        wrong_type = _type_problem(field, value)
        messages = [wrong_type] if wrong_type else _constraint_problems(field, value)
        problems.extend(FieldProblem(field.id, message) for message in messages)
    return problems


def _at_path(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _type_problem(field: FormField, value: Any) -> str | None:
    if field.type == "string":
        return None if isinstance(value, str) and len(value) <= 10_000 else "must be a text (at most 10000 characters)"
    if field.type == "long":
        ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
        return None if ok else "must be a whole number"
    if field.type == "number":
        return None if isinstance(value, int | float) and not isinstance(value, bool) else "must be a number"
    if field.type == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if field.type in ("date", "datetime", "time"):
        return _temporal_problem(field.type, value)
    if field.type == "enum":
        if not field.options:  # its values come from the case's data at run time (form-js valuesKey)
            return None if isinstance(value, str | int | float | bool) else "must be one value"
        return None if value in field.options else f"must be one of {', '.join(field.options)}"
    if field.type == "enum_list":
        if not isinstance(value, list):
            return "must be a list"
        wrong = [str(v) for v in value if field.options and str(v) not in field.options]
        return f"may hold only {', '.join(field.options)}, not {', '.join(wrong)}" if wrong else None
    if field.type == "list":
        return None if isinstance(value, list) else "must be a list"
    if field.type == "any":
        return None
    return f"has unsupported type {field.type}"  # pragma: no cover - refused at deploy


def _temporal_problem(kind: str, value: Any) -> str | None:
    shape = {"date": "a date as YYYY-MM-DD", "datetime": "a date and time in ISO 8601", "time": "a time as HH:MM"}[kind]
    if not isinstance(value, str):
        return f"must be {shape}"
    parse = {"date": date.fromisoformat, "datetime": datetime.fromisoformat, "time": time.fromisoformat}[kind]
    try:
        parse(value)
    except ValueError:
        return f"must be {shape}"
    return None


def _constraint_problems(field: FormField, value: Any) -> list[str]:
    """Every constraint the value breaks, so one refusal says all that is wrong with it."""
    found: list[str] = []
    for name, limit in field.constraints:
        if name == "min" and isinstance(value, int | float) and value < limit:
            found.append(f"must be at least {limit}")
        elif name == "max" and isinstance(value, int | float) and value > limit:
            found.append(f"must be at most {limit}")
        elif name == "minLength" and isinstance(value, str | list) and len(value) < limit:
            found.append(f"must have at least {limit} characters")
        elif name == "maxLength" and isinstance(value, str | list) and len(value) > limit:
            found.append(f"must have at most {limit} characters")
        elif name == "pattern" and isinstance(value, str) and not re.search(limit, value):
            found.append(f"must match the pattern {limit}")
        elif name == "validationType" and isinstance(value, str):
            shape = _EMAIL if limit == "email" else _PHONE
            if not shape.fullmatch(value):
                found.append(f"must be a valid {limit}")
    return found


def _schema_problems(form: TaskForm, data: dict[str, Any]) -> list[FieldProblem]:
    from jsonschema import validators

    assert form.schema is not None
    kind = validators.validator_for(form.schema)
    # formats (date, email…) are checked too: jsonschema only annotates them unless asked
    validator = kind(dict(form.schema), format_checker=kind.FORMAT_CHECKER)
    problems: list[FieldProblem] = []
    for error in validator.iter_errors(data):
        path = ".".join(str(part) for part in error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value if isinstance(error.validator_value, list) else ():
                if name not in error.instance:
                    problems.append(FieldProblem(f"{path}.{name}" if path else str(name), "is required"))
            continue
        problems.append(FieldProblem(path, error.message))  # "": the data as a whole
    # the schema's errors come in its own order; a refusal lists them by field
    return sorted(set(problems), key=lambda p: (p.field, p.message))
