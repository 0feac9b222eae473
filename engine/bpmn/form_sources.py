"""Reading a user task's form from whichever dialect declared it.

- Camunda 7 ``camunda:formData`` fields inside the task;
- Camunda Forms (form-js JSON): a ``.form`` file deployed beside the model, named by
  ``camunda:formRef`` or ``camunda:formKey="camunda-forms:deployment:<file>"`` (Camunda 7),
  ``zeebe:formDefinition formId=`` (Camunda 8, the form's own ``id``), or embedded in the
  model as ``zeebe:userTaskForm`` named by ``formKey="camunda-forms:bpmn:<id>"``;
- SpiffArena: a JSON Schema file named by the task's ``spiffworkflow:property
  formJsonSchemaFilename`` (its UI schema only draws the form, so it is not read).

A form that is named but not deployed, or that cannot be read, is a deploy-time problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.bpmn.form_model import FormField, TaskForm
from engine.bpmn.json_schemas import values_of
from engine.bpmn.sources import BPMN_NS, CAMUNDA_NS, SourceFile
from engine.case_variables import RESERVED_VARIABLES

ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
FORM_SUFFIXES = (".form", ".json")

# form-js component types that hold a value, and the field type each becomes.
_FORM_JS_TYPES = {
    "textfield": "string",
    "textarea": "string",
    "number": "number",
    "checkbox": "boolean",
    "select": "enum",
    "radio": "enum",
    "checklist": "enum_list",
    "taglist": "enum_list",
}
_DATETIME_SUBTYPES = {"date": "date", "time": "time", "datetime": "datetime"}
_SCHEMA_TYPES = {"string": "string", "integer": "long", "number": "number", "boolean": "boolean", "array": "list"}
_SCHEMA_FORMATS = {"date": "date", "date-time": "datetime", "time": "time"}
# A group whose quantified body holds a quantifier again, as (a+)+ or (.*x){9}: the
# shapes that backtrack exponentially. Patterns come from untrusted models.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")


class FormProblem(Exception):
    """Why a task's form cannot be read; validation reports it against the task."""


def is_form_source(source: SourceFile) -> bool:
    return source.name.lower().endswith(FORM_SUFFIXES)


@dataclass(frozen=True)
class FormReference:
    kind: str  # "form-js" or "json-schema"
    by: str  # "file" (a file name) or "id" (a form-js form's own id)
    key: str


def form_reference(task: etree._Element) -> FormReference | None:
    """The deployed form file a task names, if it names one."""
    b, c, z, s = f"{{{BPMN_NS}}}", f"{{{CAMUNDA_NS}}}", f"{{{ZEEBE_NS}}}", f"{{{SPIFF_NS}}}"
    if task.get(f"{c}formRef"):
        return FormReference("form-js", "id", str(task.get(f"{c}formRef")))
    form_key = task.get(f"{c}formKey") or ""
    if form_key.startswith("camunda-forms:deployment:"):
        return FormReference("form-js", "file", form_key.removeprefix("camunda-forms:deployment:"))
    definition = task.find(f"{b}extensionElements/{z}formDefinition")
    if definition is not None and definition.get("formId"):
        return FormReference("form-js", "id", str(definition.get("formId")))
    for prop in task.findall(f"{b}extensionElements/{s}properties/{s}property"):
        if prop.get("name") == "formJsonSchemaFilename" and prop.get("value"):
            return FormReference("json-schema", "file", str(prop.get("value")))
    return None


def find_form(reference: FormReference, sources: Iterable[SourceFile]) -> SourceFile | None:
    for source in sources:
        if not is_form_source(source):
            continue
        if reference.by == "file" and source.name == reference.key.rsplit("/", 1)[-1]:
            return source
        if reference.by == "id" and source.name.lower().endswith(".form"):
            try:
                document = json.loads(source.text)
            except ValueError:
                continue
            if isinstance(document, dict) and document.get("id") == reference.key:
                return source
    return None


def task_form(task: etree._Element, forms: Iterable[SourceFile]) -> TaskForm | None:
    """The form a task declares, read; None when it declares none (it then takes any
    object). Raises FormProblem when the form is named but missing or unreadable."""
    b, c, z = f"{{{BPMN_NS}}}", f"{{{CAMUNDA_NS}}}", f"{{{ZEEBE_NS}}}"
    form_data = task.find(f"{b}extensionElements/{c}formData")
    if form_data is not None:
        return TaskForm("camunda:formData", tuple(_camunda_fields(form_data)))
    reference = form_reference(task)
    if reference is not None:
        source = find_form(reference, forms)
        if source is None:
            what = f"form {reference.key!r}" if reference.by == "id" else f"form file {reference.key!r}"
            raise FormProblem(f"{what} is not deployed with the model: deploy the .form/.json file beside it")
        document = _json(source.text, source.name)
        if reference.kind == "json-schema":
            return TaskForm(f"json-schema {source.name}", tuple(_schema_fields(document, source.name)), document)
        return TaskForm(f"form-js {source.name}", tuple(_form_js_fields(document, source.name)), form_js=document)
    definition = task.find(f"{b}extensionElements/{z}formDefinition")
    key = definition.get("formKey") if definition is not None else None
    if key and key.startswith("camunda-forms:bpmn:"):
        embedded_id = key.removeprefix("camunda-forms:bpmn:")
        embedded = [e for e in task.getroottree().iter(f"{z}userTaskForm") if e.get("id") == embedded_id]
        if not embedded:
            raise FormProblem(f"formKey {key!r} names no zeebe:userTaskForm {embedded_id!r} in the model")
        name = f"zeebe:userTaskForm {embedded_id}"
        document = _json(embedded[0].text or "", name)
        return TaskForm(f"form-js {name}", tuple(_form_js_fields(document, name)), form_js=document)
    return None


def _json(text: str, name: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise FormProblem(f"{name} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise FormProblem(f"{name} is not a JSON object")
    return document


def _camunda_fields(form_data: etree._Element) -> Iterable[FormField]:
    c = f"{{{CAMUNDA_NS}}}"
    for field in form_data.findall(f"{c}formField"):
        constraints = {x.get("name"): x.get("config") for x in field.findall(f"{c}validation/{c}constraint")}
        properties = {p.get("id"): p.get("value") for p in field.findall(f"{c}properties/{c}property")}
        values = field.findall(f"{c}value")
        limits: list[tuple[str, Any]] = []
        for name, as_name in (("min", "min"), ("max", "max"), ("minlength", "minLength"), ("maxlength", "maxLength")):
            config = constraints.get(name)
            if config is not None and re.fullmatch(r"-?\d+", config.strip()):
                limits.append((as_name, int(config)))
        yield FormField(
            id=str(field.get("id")),
            type=str(field.get("type")),
            label=field.get("label") or "",
            required="required" in constraints,
            options=tuple(str(v.get("id")) for v in values),
            default=_typed_default(str(field.get("type")), field.get("defaultValue")),
            constraints=tuple(limits),
            personal=(properties.get("personal") or "").lower() == "true",
            option_labels=tuple(v.get("name") or "" for v in values),
        )


def _typed_default(kind: str, text: str | None) -> Any:
    """Camunda 7 writes every default as text: a boolean's or a number's is given as its
    value, so a client reads the default it would send."""
    if text is None:
        return None
    if kind == "boolean" and text.strip().lower() in ("true", "false"):
        return text.strip().lower() == "true"
    if kind == "long" and re.fullmatch(r"-?\d+", text.strip()):
        return int(text)
    return text


def _form_js_fields(document: Mapping[str, Any], name: str, prefix: str = "") -> Iterable[FormField]:
    components = document.get("components", [])
    if not isinstance(components, list):
        raise FormProblem(f"{name}: components is not a list")
    for component in components:
        if not isinstance(component, dict):
            raise FormProblem(f"{name}: a component is not an object")
        kind = str(component.get("type", ""))
        if kind in ("group", "dynamiclist"):
            path = component.get("path")
            if kind == "dynamiclist":  # a list of rows: kept as one field, its rows not checked
                if path:
                    yield FormField(f"{prefix}{path}", "list", str(component.get("label") or path), False)
                continue
            yield from _form_js_fields(component, name, f"{prefix}{path}." if path else prefix)
            continue
        key = component.get("key")
        if not key or not isinstance(key, str):
            continue  # text, image, button, separator: shown, not submitted
        validate = component.get("validate") or {}
        if not isinstance(validate, dict):
            raise FormProblem(f"{name}: component {key!r}: validate is not an object")
        field_type = _FORM_JS_TYPES.get(kind) or (
            _DATETIME_SUBTYPES.get(str(component.get("subtype") or "date")) if kind == "datetime" else None
        )
        values = component.get("values") or []
        listed = [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []
        options = tuple(str(v.get("value")) for v in listed)
        labels = tuple(str(v.get("label") or "") for v in listed)
        limits = [(k, validate[k]) for k in ("min", "max", "minLength", "maxLength") if _is_number(validate.get(k))]
        pattern = validate.get("pattern")
        if isinstance(pattern, str) and pattern:
            _check_pattern(pattern, f"{name}: component {key!r}")
            limits.append(("pattern", pattern))
        if validate.get("validationType") in ("email", "phone"):
            limits.append(("validationType", validate["validationType"]))
        properties = component.get("properties") or {}
        yield FormField(
            id=f"{prefix}{key}",
            # an input okno does not know (filepicker, expression…) is taken as any JSON value
            type=field_type or "any",
            label=str(component.get("label") or key),
            required=validate.get("required") is True,
            options=options if field_type in ("enum", "enum_list") and not component.get("valuesKey") else (),
            default=component.get("defaultValue"),
            constraints=tuple(limits),
            personal=isinstance(properties, dict) and str(properties.get("personal", "")).lower() == "true",
            option_labels=labels if field_type in ("enum", "enum_list") and not component.get("valuesKey") else (),
        )


def _schema_fields(schema: dict[str, Any], name: str) -> Iterable[FormField]:
    from jsonschema import validators
    from jsonschema.exceptions import SchemaError

    try:
        validators.validator_for(schema).check_schema(schema)
    except SchemaError as error:
        raise FormProblem(f"{name} is not a valid JSON Schema: {error.message}") from None
    for pattern in _patterns(schema):
        _check_pattern(pattern, name)
    for ref in values_of(schema, "$ref"):
        if not str(ref).startswith("#"):
            raise FormProblem(
                f"{name}: $ref {ref!r} points outside the schema; okno fetches nothing, keep it in the file"
            )
    required = set(schema.get("required") or [])
    properties = schema.get("properties") or {}
    for key, spec in properties.items():
        if not isinstance(spec, dict):
            continue
        kind = spec.get("type")
        options: tuple[str, ...] = ()
        labels: tuple[str, ...] = ()
        if "enum" in spec:
            options = tuple(str(v) for v in spec["enum"])
        elif isinstance(spec.get("oneOf"), list) and all(isinstance(o, dict) and "const" in o for o in spec["oneOf"]):
            options = tuple(str(o["const"]) for o in spec["oneOf"])
            labels = tuple(str(o.get("title") or "") for o in spec["oneOf"])
        field_type = (
            "enum"
            if options
            else _SCHEMA_FORMATS.get(str(spec.get("format")), "")
            or _SCHEMA_TYPES.get(str(kind), "any")  # an object, or a union of types: the schema checks it
        )
        limits = [
            (as_name, spec[k])
            for k, as_name in (
                ("minimum", "min"),
                ("maximum", "max"),
                ("minLength", "minLength"),
                ("maxLength", "maxLength"),
            )
            if _is_number(spec.get(k))
        ]
        if isinstance(spec.get("pattern"), str):
            limits.append(("pattern", spec["pattern"]))
        yield FormField(
            id=str(key),
            type=field_type,
            label=str(spec.get("title") or key),
            required=key in required,
            options=options,
            default=spec.get("default"),
            constraints=tuple(limits),
            personal=spec.get("personal") is True or spec.get("x-personal") is True,
            option_labels=labels,
        )


def _patterns(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "pattern" and isinstance(item, str):
                yield item
            elif key == "patternProperties" and isinstance(item, dict):
                yield from (k for k in item if isinstance(k, str))
                yield from _patterns(item)
            else:
                yield from _patterns(item)
    elif isinstance(value, list):
        for item in value:
            yield from _patterns(item)


def _check_pattern(pattern: str, where: str) -> None:
    if len(pattern) > 500:
        raise FormProblem(f"{where}: pattern is longer than 500 characters")
    try:
        re.compile(pattern)
    except re.error as error:
        raise FormProblem(f"{where}: pattern {pattern!r} is not a regular expression: {error}") from None
    if _NESTED_QUANTIFIER.search(pattern):
        raise FormProblem(
            f"{where}: pattern {pattern!r} repeats a repeated group, which can take exponential time; "
            "write it without the nested repetition"
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _user_tasks(process: etree._Element) -> Iterable[etree._Element]:
    return process.iter(f"{{{BPMN_NS}}}userTask")


def form_problems(process: etree._Element, forms: Iterable[SourceFile]) -> list[tuple[etree._Element, str]]:
    """Each user task of a process whose form is named but missing or unreadable."""
    found: list[tuple[etree._Element, str]] = []
    forms = tuple(forms)
    for task in _user_tasks(process):
        try:
            task_form(task, forms)
        except FormProblem as problem:
            found.append((task, str(problem)))
    return found


def reserved_form_fields(process: etree._Element, forms: Iterable[SourceFile]) -> list[tuple[etree._Element, str]]:
    """Each user task's form field named after a variable okno sets itself: data for it
    is refused (engine.case_variables), so the task could never be completed with it."""
    found: list[tuple[etree._Element, str]] = []
    forms = tuple(forms)
    for task in _user_tasks(process):
        try:
            form = task_form(task, forms)
        except FormProblem:
            continue  # form_problems reports it
        for field in form.fields if form is not None else ():
            if field.id.split(".", 1)[0] in RESERVED_VARIABLES:
                found.append((task, field.id))
    return found


def forms_used(process: etree._Element, forms: Iterable[SourceFile]) -> tuple[SourceFile, ...]:
    """The form files a process's user tasks name: they deploy with it, in its version."""
    forms = tuple(forms)
    used = {
        source.name: source
        for task in _user_tasks(process)
        if (reference := form_reference(task)) is not None and (source := find_form(reference, forms)) is not None
    }
    return tuple(used[name] for name in sorted(used))
