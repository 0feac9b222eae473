"""User task forms (issue 16): a task with no declared form takes any JSON object with
plain names as keys (bug 6); forms declared by Camunda 7 formData, Camunda Forms (form-js
JSON beside the model) and SpiffArena JSON-Schema forms all check completed data the same
way, naming every problem with its field path."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import pytest

from engine.application import Engine
from engine.bpmn.form_model import FIELD_TYPES
from engine.bpmn.library import FormField, ProcessLibrary
from engine.bpmn.sources import ProcessBundle, SourceFile, collect_sources
from engine.bpmn.validation import validate
from engine.catalog import Service
from engine.errors import InvalidTaskData
from engine.replay import replay_case
from tests.conftest import FIXTURES, T0, EngineMaker, at, mini_sources, seeded


def open_mini(engine: Engine) -> str:
    number = engine.open_case(
        service="mini_service",
        office="LPK",
        channel="window",
        actor="LPK/operator",
        at=at(),
        applicant={"full_name": "Петров Пётр Петрович", "document": "4210 654321"},
    ).number
    engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="LPK/operator", at=at(1))
    engine.deliver_message(number, "agency_answer", {"ok": True}, actor="agency", at=at(2))
    return number


def test_a_task_without_a_declared_form_takes_any_json_object(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    data = {"handed_to": "Петров П. П.", "copies": 2, "signature": {"present": True, "pages": [1, 2]}}
    case = engine.complete_task(number, "Task_Handout", data, actor="LPK/operator", at=at(3))
    assert case.status == "completed"


def test_a_task_without_a_declared_form_refuses_keys_that_are_not_plain_names(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    before = len(list(engine.case_events(number)))
    with pytest.raises(InvalidTaskData) as refused:
        engine.complete_task(number, "Task_Handout", {"bad key": 1, "_secret": 2, "ok": 3}, actor="op", at=at(3))
    assert [p.field for p in refused.value.problems] == ["_secret", "bad key"]
    assert len(list(engine.case_events(number))) == before


FORMS = FIXTURES / "forms"
FORM_PROCESSES = ("c8_loan", "c8_embedded", "c7_invoice_approve", "spiff_get_name")


def forms_engine(engine: Engine) -> Engine:
    services = [Service(p, p, "Тестовое ведомство", "federal", 5, ("Паспорт",), 0, p) for p in FORM_PROCESSES]
    return seeded(engine, collect_sources([FORMS]), services)


def open_form_case(engine: Engine, process: str) -> str:
    return engine.open_case(
        service=process, office="LPK", channel="window", actor="LPK/operator", at=at(), applicant={}
    ).number


def refusal(engine: Engine, number: str, element: str, data: dict[str, Any]) -> list[str]:
    before = len(list(engine.case_events(number)))
    with pytest.raises(InvalidTaskData) as refused:
        engine.complete_task(number, element, data, actor="LPK/operator", at=at(1))
    assert len(list(engine.case_events(number))) == before  # a refusal changes nothing
    return [str(p) for p in refused.value.problems]


def test_a_camunda_8_form_by_form_id_checks_every_field_and_names_each_problem(engines: EngineMaker) -> None:
    engine = forms_engine(engines())
    number = open_form_case(engine, "c8_loan")
    problems = refusal(
        engine,
        number,
        "Task_Apply",
        {
            "applicant": {"full_name": "Ян", "email": "not-an-address", "date_of_birth": "31.12.1990"},
            "amount": 500,
            "purpose": "yacht",
            "consent": "yes",
            "zip_code": "39800",
            "colour": "red",
        },
    )
    assert problems == [
        "colour: not a field of this task (fields: amount, applicant, consent, purpose, zip_code)",
        "applicant.full_name: must have at least 3 characters",
        "applicant.email: must be a valid email",
        "applicant.date_of_birth: must be a date as YYYY-MM-DD",
        "amount: must be at least 1000",
        "purpose: must be one of home, car, study",
        "consent: must be true or false",
        "zip_code: must match the pattern ^[0-9]{6}$",
    ]
    assert refusal(engine, number, "Task_Apply", {"consent": True}) == [
        "applicant.full_name: is required",
        "amount: is required",
        "purpose: is required",
    ]
    good = {
        "applicant": {"full_name": "Петров Пётр", "date_of_birth": "1990-12-31"},
        "amount": 25000.5,
        "purpose": "car",
    }
    case = engine.complete_task(number, "Task_Apply", good, actor="LPK/operator", at=at(2))
    assert case.status == "completed"


def test_a_camunda_form_is_deployed_with_its_model_and_is_part_of_its_version(engines: EngineMaker) -> None:
    engine = engines()
    report = engine.deploy(collect_sources([FORMS]), T0)
    assert report.ok, report.problems
    plan = validate(collect_sources([FORMS]))
    bundles = {b.process_id: b for b in plan.bundles}
    assert [f.name for f in bundles["c8_loan"].forms] == ["loan-application.form"]
    assert [f.name for f in bundles["spiff_get_name"].forms] == ["get-name-schema.json"]
    assert bundles["c8_embedded"].forms == ()  # its form is inside the model
    loan = bundles["c8_loan"]
    changed = replace(loan, forms=(SourceFile("loan-application.form", loan.forms[0].text.replace("1000", "2000")),))
    assert changed.version != loan.version
    assert ProcessBundle.from_dict(loan.to_dict()) == loan


def test_a_form_is_stored_with_its_version_and_read_back_by_another_engine(engines: EngineMaker) -> None:
    number = open_form_case(forms_engine(engines()), "c7_invoice_approve")
    later = engines()  # a fresh engine on the same store: the version and its form come from the store
    assert refusal(later, number, "Task_Approve", {}) == ["approved: is required"]
    case = later.complete_task(number, "Task_Approve", {"approved": False}, actor="LPK/operator", at=at(2))
    assert case.status == "completed"
    assert replay_case(later.steps, list(later.case_events(number))).ok


def test_a_bundle_without_forms_keeps_the_hash_and_stored_form_it_had(engines: EngineMaker) -> None:
    bundle = validate(mini_sources()).bundles[0]
    assert "forms" not in bundle.to_dict()
    assert bundle.version == ProcessBundle(bundle.process_id, bundle.bpmn, bundle.dmn).version
    digest = hashlib.sha256()
    for source in (bundle.bpmn, *bundle.dmn):
        digest.update(source.name.encode() + b"\0" + source.text.encode() + b"\0")
    assert bundle.version == digest.hexdigest()


def test_a_form_named_but_not_deployed_is_refused_at_deploy(engines: EngineMaker) -> None:
    sources = collect_sources([FORMS / "c8_loan.bpmn", FORMS / "spiff_get_name.bpmn"])
    problems = [str(p) for p in validate(sources).problems]
    assert problems == [
        "c8_loan.bpmn:13: Task_Apply: form 'loan-application' is not deployed with the model: "
        "deploy the .form/.json file beside it",
        "spiff_get_name.bpmn:12: Task_GetName: form file 'get-name-schema.json' is not deployed with the model: "
        "deploy the .form/.json file beside it",
    ]


def test_a_json_schema_form_that_refers_outside_itself_is_refused_at_deploy() -> None:
    schema = SourceFile(
        "get-name-schema.json", '{"type": "object", "properties": {"a": {"$ref": "https://example.org/s"}}}'
    )
    problems = [str(p) for p in validate([*collect_sources([FORMS / "spiff_get_name.bpmn"]), schema]).problems]
    assert problems == [
        "spiff_get_name.bpmn:12: Task_GetName: get-name-schema.json: $ref 'https://example.org/s' points outside "
        "the schema; okno fetches nothing, keep it in the file"
    ]


def test_a_form_pattern_that_backtracks_exponentially_is_refused_at_deploy() -> None:
    form = SourceFile(
        "bad.form",
        '{"id": "loan-application", "components": [{"type": "textfield", "key": "x", '
        '"validate": {"pattern": "^(a+)+$"}}]}',
    )
    problems = [str(p) for p in validate([*collect_sources([FORMS / "c8_loan.bpmn"]), form]).problems]
    assert len(problems) == 1 and "repeats a repeated group" in problems[0]


def test_an_embedded_camunda_8_form_checks_the_task(engines: EngineMaker) -> None:
    engine = forms_engine(engines())
    number = open_form_case(engine, "c8_embedded")
    assert refusal(engine, number, "Task_Approve", {"decision": "maybe", "comment": "x" * 21}) == [
        "decision: must be one of approve, reject",
        "comment: must have at most 20 characters",
    ]
    case = engine.complete_task(number, "Task_Approve", {"decision": "approve"}, actor="LPK/operator", at=at(2))
    assert case.status == "completed"


def test_a_camunda_7_form_ref_checks_the_task(engines: EngineMaker) -> None:
    engine = forms_engine(engines())
    number = open_form_case(engine, "c7_invoice_approve")
    assert refusal(engine, number, "Task_Approve", {"cost_centres": ["sales", "hr"], "amount": -1}) == [
        "approved: is required",
        "cost_centres: may hold only sales, it, not hr",
        "amount: must be at least 0",
    ]
    data = {"approved": True, "cost_centres": ["it"]}
    assert engine.complete_task(number, "Task_Approve", data, actor="LPK/operator", at=at(2)).status == "completed"


def test_a_spiffarena_json_schema_form_reports_every_problem_with_its_path(engines: EngineMaker) -> None:
    engine = forms_engine(engines())
    number = open_form_case(engine, "spiff_get_name")
    problems = refusal(
        engine, number, "Task_GetName", {"name": "X", "age": 17, "start": "31.12.2026", "address": {"zip": "12"}}
    )
    assert problems == [
        "address.city: is required",
        "address.zip: '12' does not match '^[0-9]{6}$'",
        "age: 17 is less than the minimum of 18",
        "department: is required",
        "name: 'X' is too short",
        "start: '31.12.2026' is not a 'date'",
    ]
    data = {"name": "Пётр", "department": "IT", "address": {"city": "Липецк"}, "extra": [1]}
    assert engine.complete_task(number, "Task_GetName", data, actor="LPK/operator", at=at(2)).status == "completed"


def test_every_dialect_becomes_one_field_description(engines: EngineMaker) -> None:
    library = ProcessLibrary()
    for bundle in validate(collect_sources([FORMS])).bundles:
        library.add(bundle)
    by_process = {b.process_id: library.get(b.version) for b in validate(collect_sources([FORMS])).bundles}
    loan = {f.id: f for f in by_process["c8_loan"].elements["Task_Apply"].fields}
    assert loan["applicant.full_name"] == FormField(
        "applicant.full_name",
        "string",
        "Full name",
        True,
        constraints=(("minLength", 3), ("maxLength", 200)),
        personal=True,
    )
    assert loan["amount"].default == 25000 and loan["purpose"].options == ("home", "car", "study")
    spiff = {f.id: f for f in by_process["spiff_get_name"].elements["Task_GetName"].fields}
    assert spiff["department"] == FormField("department", "enum", "Department", True, ("Finance", "HR", "IT"))
    assert spiff["start"].type == "date" and spiff["age"].type == "long" and spiff["name"].default == "World"
    assert spiff["address"].type == "any"
    every = [f for p in by_process.values() for e in p.elements.values() for f in e.fields]
    assert {f.type for f in every} <= FIELD_TYPES
