"""A task's form as JSON Schema (issue 17, finding 2): the one translation of a TaskForm,
which accepts what completing the task accepts and refuses what it refuses, for every
shipped user task and for forms of every dialect."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from engine.application import Engine
from engine.bpmn.form_model import FormField, TaskForm
from engine.bpmn.form_schema import form_json_schema
from engine.bpmn.forms import check_task_data
from engine.bpmn.library import ElementInfo, ProcessLibrary
from engine.bpmn.validation import validate
from engine.catalog import parse_catalog
from engine.errors import InvalidTaskData, UnknownCase
from tests.conftest import ROOT, EngineMaker, at, seeded, shipped_sources

SCENARIOS = sorted((ROOT / "processes" / "scenarios").glob("*.toml"))


@functools.cache
def shipped_user_tasks() -> dict[str, dict[str, ElementInfo]]:
    library = ProcessLibrary()
    plan = validate(shipped_sources())
    assert not plan.problems
    found: dict[str, dict[str, ElementInfo]] = {}
    for bundle in plan.bundles:
        library.add(bundle)
        elements = library.get(bundle.version).elements
        found[bundle.process_id] = {i: e for i, e in elements.items() if e.kind == "userTask"}
    return found


def accepted(element: ElementInfo, data: dict[str, Any]) -> bool:
    try:
        check_task_data(element, data)
    except InvalidTaskData:
        return False
    return True


def test_every_shipped_user_task_declares_a_form_with_a_label_for_each_field_and_value() -> None:
    tasks = shipped_user_tasks()
    # Every shipped process with a user task, the common called ones and the agencies' flows too.
    assert {"property_registration", "foreign_passport", "mfc_reception", "mfc_handout"} <= set(tasks)
    for process, elements in tasks.items():
        for ident, element in elements.items():
            assert element.form is not None, f"{process} {ident} declares no form"
            assert element.form.fields, f"{process} {ident}"
            for field in element.form.fields:
                assert field.label and field.label != field.id, (process, ident, field.id)
                assert all(field.option_labels) and len(field.option_labels) == len(field.options), field.id
            Draft202012Validator.check_schema(form_json_schema(element.form))


def scenario_steps() -> list[tuple[str, str, dict[str, Any], bool]]:
    steps = []
    for path in SCENARIOS:
        script = tomllib.loads(path.read_text(encoding="utf-8"))
        for step in script.get("step", []):
            if "complete" in step:
                steps.append((script["process"], step["complete"], step.get("data", {}), "expect_error" not in step))
    return steps


def task_of(process: str, element: str) -> ElementInfo:
    """A scenario names a task of its process or of the centre's common called processes
    (`mfc_reception`'s Task_Reception, `mfc_handout`'s Task_Handout), which run in its case."""
    tasks = shipped_user_tasks()
    if element in tasks[process]:
        return tasks[process][element]
    return next(found[element] for name, found in sorted(tasks.items()) if name.startswith("mfc_") and element in found)


@pytest.mark.parametrize(("process", "element", "data", "fits"), scenario_steps())
def test_the_schema_of_each_shipped_task_agrees_with_completing_on_the_scenarios_data(
    process: str, element: str, data: dict[str, Any], fits: bool
) -> None:
    """What the shipped scenarios complete each task with, a client checking against the
    published schema alone would send (or hold back) the same."""
    info = task_of(process, element)
    assert info.form is not None
    schema_fits = not list(Draft202012Validator(form_json_schema(info.form)).iter_errors(data))
    assert (accepted(info, data), schema_fits) == (fits, fits)


FIELDS = (
    FormField("name", "string", "Имя", True, constraints=(("minLength", 2), ("maxLength", 5))),
    FormField("count", "long", "Количество", False, constraints=(("min", 1), ("max", 9))),
    FormField("kind", "enum", "Вид", True, options=("a", "b"), option_labels=("Первый", "Второй")),
    FormField("tags", "enum_list", "Метки", False, options=("x", "y")),
    FormField("day", "date", "Дата", False),
    FormField("mail", "string", "Почта", False, constraints=(("validationType", "email"),)),
    FormField("address.city", "string", "Город", True),
    FormField("address.flat", "long", "Квартира", False),
    FormField(
        "snils", "string", "СНИЛС", False, personal=True, constraints=(("pattern", r"^\d{3}-\d{3}-\d{3} \d{2}$"),)
    ),
)
FORM = TaskForm("camunda:formData", FIELDS)
ELEMENT = ElementInfo("Task_X", "userTask", "X", None, None, None, FIELDS, form=FORM)
GOOD = {"name": "Анна", "kind": "a", "address": {"city": "Липецк"}}


@pytest.mark.parametrize(
    "data",
    [
        GOOD,
        {**GOOD, "count": 3, "tags": ["x"], "day": "2026-11-02", "mail": "a@b.ru", "snils": "112-233-445 95"},
        {**GOOD, "count": None, "day": None},  # an optional field left empty
        {**GOOD, "address": {"city": "Липецк", "flat": 12}},
    ],
)
def test_data_completing_accepts_fits_the_schema(data: dict[str, Any]) -> None:
    assert accepted(ELEMENT, data)
    assert not list(Draft202012Validator(form_json_schema(FORM)).iter_errors(data))


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "a", "address": {"city": "Липецк"}},  # required missing
        {**GOOD, "name": "А"},  # too short
        {**GOOD, "name": 5},  # wrong type
        {**GOOD, "count": 0},  # under its minimum
        {**GOOD, "count": True},  # a boolean is not a number
        {**GOOD, "kind": "c"},  # not an allowed value
        {**GOOD, "tags": ["z"]},
        {**GOOD, "day": 20261102},
        {**GOOD, "snils": "1"},  # breaks its pattern
        {**GOOD, "mail": "a@b"},  # not an e-mail address
        {**GOOD, "other": 1},  # not a field of the form
        {**GOOD, "address": {}},  # a required field of a group
        {**GOOD, "address": {"city": "Липецк", "flat": "12"}},
    ],
)
def test_data_completing_refuses_the_schema_refuses(data: dict[str, Any]) -> None:
    assert not accepted(ELEMENT, data)
    assert list(Draft202012Validator(form_json_schema(FORM)).iter_errors(data))


def test_the_schema_carries_titles_allowed_values_with_labels_and_personal_data() -> None:
    schema = form_json_schema(FORM)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["name", "kind", "address"]
    kind = schema["properties"]["kind"]
    assert kind["title"] == "Вид" and kind["enum"] == ["a", "b"]
    assert kind["oneOf"] == [{"const": "a", "title": "Первый"}, {"const": "b", "title": "Второй"}]
    assert schema["properties"]["snils"]["x-personal"] is True
    assert schema["properties"]["address"]["required"] == ["city"]
    assert schema["properties"]["mail"]["format"] == "email"


def test_a_json_schema_form_is_published_as_the_model_wrote_it() -> None:
    own = {"type": "object", "properties": {"x": {"type": "string", "title": "Икс"}}, "required": ["x"]}
    assert form_json_schema(TaskForm("json-schema x.json", (), own)) == own


def test_completing_names_every_constraint_a_value_breaks() -> None:
    element = ElementInfo(
        "Task_Y",
        "userTask",
        "Y",
        None,
        None,
        None,
        (),
        form=TaskForm(
            "form-js y.form",
            (FormField("code", "string", "Код", True, constraints=(("maxLength", 2), ("pattern", r"^\d+$"))),),
        ),
    )
    with pytest.raises(InvalidTaskData) as refused:
        check_task_data(element, {"code": "abc"})
    assert [p.message for p in refused.value.problems] == [
        "must have at most 2 characters",
        r"must match the pattern ^\d+$",
    ]


@pytest.fixture
def shipped(engines: EngineMaker) -> Engine:
    catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
    return seeded(engines(), shipped_sources(), catalog)


def test_a_cases_task_form_comes_from_its_pinned_version_while_open_and_once_done(
    shipped: Engine, engines: EngineMaker
) -> None:
    number = shipped.open_case(
        service="rosreestr_ownership",
        office="LPK",
        channel="window",
        applicant={"full_name": "А. Б."},
        actor="op",
        at=at(),
    ).number
    form = shipped.task_form(number, "Task_Reception")
    assert form is not None and [f.id for f in form.fields][:3] == [
        "applicant_present",
        "documents_complete",
        "property_kind",
    ]
    shipped.complete_task(
        number,
        "Task_Reception",
        {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:20:0012345:67"},
        actor="op",
        at=at(1),
    )
    assert shipped.task_form(number, "Task_Reception") == form, "a done task keeps its form"
    assert shipped.task_form(number, "Timer_Unclaimed") is None  # not a user task: no form
    # Another engine over the same store (an API process that never ran this case) finds it too.
    other = engines()
    assert other.task_form(number, "Task_Reception") == form
    with pytest.raises(UnknownCase):
        other.task_form("LPK-NO-SUCH-CASE", "Task_Reception")


def test_a_cases_pinned_version_is_read_from_the_store_once(shipped: Engine, engines: EngineMaker) -> None:
    number = shipped.open_case(
        service="rosreestr_ownership",
        office="LPK",
        channel="window",
        applicant={"full_name": "А. Б."},
        actor="op",
        at=at(),
    ).number
    reader = engines()  # an API process that did not open the case
    for engine in (shipped, reader):
        reads: list[str] = []
        read = engine.pinned._read

        def counted(asked: str, read: Callable[[str], str | None] = read, reads: list[str] = reads) -> str | None:
            reads.append(asked)
            return read(asked)

        engine.pinned._read = counted
        for _ in range(5):
            engine.task_form(number, "Task_Reception")
        assert reads == ([] if engine is shipped else [number]), "the engine that saved it knows it already"


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-20, 20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["a", "b", "c", "x", "Анна", "А", "2026-11-02", "02.11.2026", "a@b.ru", "112-233-445 95", ""]),
    st.lists(st.sampled_from(["x", "y", "z", 1]), max_size=3),
)
DATA = st.dictionaries(
    st.sampled_from([f.id.split(".")[0] for f in FIELDS] + ["other"]),
    st.one_of(VALUES, st.dictionaries(st.sampled_from(["city", "flat", "x"]), VALUES, max_size=3)),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(DATA, DATA.map(lambda changes: {**GOOD, **changes})))
def test_data_that_fits_the_published_schema_is_never_refused(data: dict[str, Any]) -> None:
    """A client that checks its data against Task.form.jsonSchema (formats asserted, as the
    schema's description asks) is not refused by completing."""
    checker = Draft202012Validator(form_json_schema(FORM), format_checker=Draft202012Validator.FORMAT_CHECKER)
    if not list(checker.iter_errors(data)):
        assert accepted(ELEMENT, data), data


def test_an_enum_whose_values_come_from_the_case_takes_one_value_of_any_kind() -> None:
    """A form-js select with ``valuesKey`` lists its values at run time: the form names none,
    so completing takes one plain value (it refused every value before)."""
    field = FormField("branch", "enum", "Филиал", True)
    element = ElementInfo(
        "Task_Z", "userTask", "Z", None, None, None, (field,), form=TaskForm("form-js z.form", (field,))
    )
    assert accepted(element, {"branch": "LPK-2"})
    assert not accepted(element, {"branch": ["LPK-2"]})
