"""One description of a user task's form, whichever dialect declared it.

Camunda 7 ``camunda:formData``, Camunda Forms (form-js JSON) and SpiffArena JSON-Schema
forms are all read into these (engine.bpmn.form_sources), and completing a task is
checked against them alone (engine.bpmn.forms)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The types a field may have: Camunda 7's own names, and what form-js and JSON Schema add
# ("list": a form-js dynamic list, its rows unchecked; "any": an input okno does not know).
FIELD_TYPES = frozenset(
    {"string", "long", "number", "boolean", "date", "datetime", "time", "enum", "enum_list", "list", "any"}
)


@dataclass(frozen=True)
class FormField:
    id: str  # the data key; a form-js group's child is "group.key"
    type: str
    label: str
    required: bool
    options: tuple[str, ...] = ()  # an enum's allowed values
    default: Any = None
    # min, max (numbers), minLength, maxLength, pattern (texts): as the form named them
    constraints: tuple[tuple[str, Any], ...] = ()
    personal: bool = False  # declared personal data (a form property "personal")
    option_labels: tuple[str, ...] = ()  # each allowed value's label, as the form shows it ("" when none)

    def constraint(self, name: str) -> Any:
        return dict(self.constraints).get(name)


@dataclass(frozen=True)
class TaskForm:
    """A declared form: where it comes from (for messages), its fields, for a JSON-Schema
    form the schema itself, which completing is also validated against, and for a Camunda
    Form its form-js document, which a form viewer draws as the modeller laid it out."""

    origin: str  # "camunda:formData", "form-js invoice.form", "json-schema x-schema.json"
    fields: tuple[FormField, ...]
    schema: Mapping[str, Any] | None = field(default=None, compare=False)
    form_js: Mapping[str, Any] | None = field(default=None, compare=False)
