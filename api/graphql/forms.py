"""A user task's form as the API publishes it: the contract a client fills the task by."""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.scalars import JSON

from engine.bpmn.form_model import FormField as FormFieldModel
from engine.bpmn.form_model import TaskForm as TaskFormModel
from engine.bpmn.form_schema import form_json_schema
from engine.bpmn.library import ElementInfo


@strawberry.type(description="One value an enum field allows, with the label the form shows for it.")
class FormOption:
    value: str
    label: str


@strawberry.type(description="One field of a user task's form, as the model declares it.")
class FormField:
    id: str = strawberry.field(
        description="The key of the value in completeTask's data; a form-js group's field is group.key."
    )
    label: str = strawberry.field(description="The label the form shows (as the model wrote it).")
    type: str = strawberry.field(
        description="string, long (a whole number), number, boolean, date (YYYY-MM-DD), datetime (ISO 8601), "
        "time (HH:MM), enum (one of enumValues), enum_list (a list of enumValues), list, or any (any JSON value)."
    )
    required: bool
    enum_values: list[str] = strawberry.field(description="The values an enum or enum_list field allows.")
    enum_options: list[FormOption] = strawberry.field(description="enumValues with their labels.")
    default: JSON | None = strawberry.field(description="The value the form starts with, if it names one.")
    constraints: JSON | None = strawberry.field(
        description="What the value must also satisfy, by name: min, max (numbers), minLength, maxLength, "
        "pattern (texts), validationType (email or phone); null when nothing."
    )
    personal: bool = strawberry.field(description="The value is the applicant's personal data.")

    @classmethod
    def of(cls, field: FormFieldModel) -> FormField:
        labels = dict(zip(field.options, field.option_labels, strict=False))
        return cls(
            id=field.id,
            label=field.label,
            type=field.type,
            required=field.required,
            enum_values=list(field.options),
            enum_options=[FormOption(value=v, label=labels.get(v) or v) for v in field.options],
            default=cast(JSON, field.default),
            constraints=cast(JSON, dict(field.constraints)) if field.constraints else None,
            personal=field.personal,
        )


@strawberry.type(
    description="A user task's form: what completeTask's data must hold. Completing checks the data "
    "against it and names every field at fault (input.data.<field>)."
)
class TaskForm:
    origin: str = strawberry.field(
        description='Where the model declares it: "camunda:formData", "form-js <file>", "json-schema <file>".'
    )
    fields: list[FormField]
    json_schema: JSON = strawberry.field(
        description="The data as a JSON Schema (draft 2020-12), to check it before sending (assert its "
        "formats: date, date-time, time, email); a JSON-Schema form is published as the model wrote it."
    )
    form_js: JSON | None = strawberry.field(
        description="A Camunda Form's form-js document as the model's .form file (or zeebe:userTaskForm) "
        "holds it, for a form viewer to draw as it was laid out; null for other forms."
    )

    @classmethod
    def of(cls, form: TaskFormModel) -> TaskForm:
        return cls(
            origin=form.origin,
            fields=[FormField.of(f) for f in form.fields],
            json_schema=cast(JSON, form_json_schema(form)),
            form_js=cast(JSON, dict(form.form_js)) if form.form_js is not None else None,
        )


@strawberry.type(description="A user task of a service's process, with the form it is completed by.")
class UserTask:
    element: str = strawberry.field(description="The BPMN element id (Task.element, completeTask's element).")
    name: str
    role: str | None = strawberry.field(description="The staff role that works it; null: any staff role.")
    form: TaskForm | None

    @classmethod
    def of(cls, element: ElementInfo) -> UserTask:
        return cls(
            element=element.id,
            name=element.name,
            role=element.role,
            form=TaskForm.of(element.form) if element.form is not None else None,
        )
