"""A user task's declared fields, checked before the engine sees the data."""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.bpmn.library import ElementInfo, FormField
from engine.errors import FieldProblem, InvalidTaskData


def check_task_data(element: ElementInfo, data: dict[str, Any]) -> None:
    problems: list[FieldProblem] = []
    declared = {field.id: field for field in element.fields}
    for key in sorted(data):
        if key not in declared:
            allowed = ", ".join(sorted(declared)) or "none"
            problems.append(FieldProblem(key, f"not a field of this task (fields: {allowed})"))
    for field in element.fields:
        if field.id not in data or data[field.id] is None:
            if field.required:
                problems.append(FieldProblem(field.id, "is required"))
            continue
        message = _type_problem(field, data[field.id])
        if message:
            problems.append(FieldProblem(field.id, message))
    if problems:
        raise InvalidTaskData(element.id, problems)


def _type_problem(field: FormField, value: Any) -> str | None:
    if field.type == "string":
        return None if isinstance(value, str) and len(value) <= 10_000 else "must be a text (at most 10000 characters)"
    if field.type == "long":
        ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
        return None if ok else "must be a whole number"
    if field.type == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if field.type == "date":
        if not isinstance(value, str):
            return "must be a date as YYYY-MM-DD"
        try:
            date.fromisoformat(value)
        except ValueError:
            return "must be a date as YYYY-MM-DD"
        return None
    if field.type == "enum":
        return None if value in field.options else f"must be one of {', '.join(field.options)}"
    return f"has unsupported type {field.type}"  # pragma: no cover - refused at deploy
