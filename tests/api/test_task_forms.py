"""Issue 17, findings 2 and 4, as an integrator meets them over HTTP.

2. A task's form is published: ``Task.form`` gives each field's id, label, type, whether
   it is required, its allowed values with their labels, its default, its constraints,
   whether it is personal data, and the form as a JSON Schema, for open and done tasks
   alike; completing with wrong data names every field at fault (``input.data.<field>``).
4. ``openCase.data`` and a task's data cannot set the variables okno keeps itself
   (``service_code``, ``office``, ``channel``): refused, naming each, nothing recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.api.conftest import Server
from tests.api.test_end_to_end import COMPLETE

FORM = """
  form {
    origin
    fields { id label type required enumValues enumOptions { value label } default constraints personal }
    jsonSchema
  }"""
OPEN_WITH_FORMS = (
    """
mutation Open($input: OpenCaseInput!) {
  openCase(input: $input) {
    __typename
    ... on OpenCasePayload { case { number tasks { element name"""
    + FORM
    + """ } } }
    ... on ValidationError { message code fields { field message } }
  }
}"""
)
CASE_AS_OF = (
    """
query AsOf($number: String!, $asOf: DateTime) {
  case(number: $number, asOf: $asOf) { version tasks { element"""
    + FORM
    + """ } }
}"""
)
# One service of each shipped process.
SHIPPED_SERVICES = {
    "rosreestr_ownership": "Task_Reception",
    "mvd_residence_registration": "Task_Reception",
    "mvd_foreign_passport_biometric": "Task_Reception",
    "child_monthly_benefit": "Task_Reception",
}
RECEPTION = {
    "applicant_present": True,
    "documents_complete": True,
    "property_kind": "flat",
    "cadastral_number": "48:20:0012345:67",
    "fee_paid": True,
}


def open_case(server: Server, service: str, key: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    opened: dict[str, Any] = server.run(
        "integrator",
        OPEN_WITH_FORMS,
        input={
            "serviceCode": service,
            "officeId": "LPK",
            "channel": "portal",
            "applicant": {"fullName": "Кузнецова Анна Сергеевна", "document": "4215 654321"},
            "idempotencyKey": key,
            **({"data": data} if data is not None else {}),
        },
    )["openCase"]
    return opened


def complete(server: Server, number: str, data: dict[str, Any], key: str) -> dict[str, Any]:
    done: dict[str, Any] = server.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={"caseNumber": number, "element": "Task_Reception", "data": data, "idempotencyKey": key},
    )["completeTask"]
    return done


def reception_form(server: Server, key: str) -> tuple[str, dict[str, Any]]:
    opened = open_case(server, "rosreestr_ownership", key)
    assert opened["__typename"] == "OpenCasePayload", opened
    [task] = opened["case"]["tasks"]
    return opened["case"]["number"], task["form"]


def test_each_shipped_process_publishes_its_first_tasks_form_with_russian_labels(server: Server) -> None:
    for index, (service, element) in enumerate(SHIPPED_SERVICES.items()):
        opened = open_case(server, service, f"forms-{index}")
        assert opened["__typename"] == "OpenCasePayload", opened
        [task] = [t for t in opened["case"]["tasks"] if t["element"] == element]
        form = task["form"]
        assert form is not None and form["origin"] == "camunda:formData", service
        assert form["fields"], service
        for field in form["fields"]:
            assert field["label"] and field["label"] != field["id"], (service, field)
            assert any("а" <= ch <= "я" for ch in field["label"].lower()), (service, field["label"])
            for option in field["enumOptions"]:
                assert option["label"] != option["value"], (service, option)
        Draft202012Validator.check_schema(form["jsonSchema"])


SERVICE_FORMS = (
    """
query Forms {
  services { code process userTasks { element name role"""
    + FORM
    + """ } }
}"""
)
EVERY_USER_TASK = {
    "property_registration": [
        "Task_Reception",
        "Task_SendPackage",
        "Task_Suspension",
        "Task_Handout",
        "Task_ReturnToAgency",
    ],
    "migration_registration": ["Task_Reception", "Task_SendPackage", "Task_Handout"],
    "foreign_passport": ["Task_Reception", "Task_RequestPayment", "Task_Handout"],
    "child_benefit": ["Task_Reception", "Task_Grant", "Task_Refuse"],
    # the process's own tasks, then those of the common processes it calls
    "sfr_snils": ["Task_SendPackage", "Task_Reception", "Task_Handout"],
    "sfr_payment": ["Task_SendPackage", "Task_Reception", "Task_Handout"],
    "zags_certificate": ["Task_SendPackage", "Task_Reception", "Task_AwaitFee", "Task_Handout"],
    "zags_registration": ["Task_SendPackage", "Task_Reception", "Task_AwaitFee", "Task_Handout"],
    "social_benefit": ["Task_Application", "Task_SendPackage", "Task_Reception", "Task_Handout"],
    "municipal_land": ["Task_SendPackage", "Task_Reception", "Task_Handout"],
    "municipal_permit": ["Task_SendPackage", "Task_Reception", "Task_AwaitFee", "Task_Handout"],
    "municipal_housing": ["Task_SendPackage", "Task_Reception", "Task_Handout"],
    "municipal_archive": ["Task_SendPackage", "Task_Reception", "Task_Handout"],
    "partner_service": ["Task_SendPackage", "Task_Reception", "Task_Handout"],
    # its own task, then those of the common processes it calls
    "rosreestr_extract": ["Task_SendPackage", "Task_Reception", "Task_AwaitFee", "Task_Handout"],
    "mvd_passport": ["Task_SendPackage", "Task_Reception", "Task_AwaitFee", "Task_Handout"],
    "mvd_certificate": ["Task_SendPackage", "Task_Reception", "Task_Handout"],
    "fns_registration": ["Task_SendPackage", "Task_Reception", "Task_Handout"],
    "fns_request": ["Task_SendPackage", "Task_Reception", "Task_AwaitFee", "Task_Handout"],
}


def test_every_user_task_of_every_shipped_service_is_published_with_its_labelled_form(server: Server) -> None:
    """A client fills every shipped user task from the API alone, before a case reaches it."""
    services = server.run(None, SERVICE_FORMS)["services"]
    assert {s["process"] for s in services} == set(EVERY_USER_TASK)
    for service in services:
        tasks = service["userTasks"]
        assert [t["element"] for t in tasks] == EVERY_USER_TASK[service["process"]], service["code"]
        for task in tasks:
            assert task["name"] and task["role"] in ("operator", "expert"), task
            assert task["form"] is not None and task["form"]["fields"], (service["code"], task["element"])
            for field in task["form"]["fields"]:
                assert field["label"] and field["label"] != field["id"], (task["element"], field)
                assert [o["value"] for o in field["enumOptions"]] == field["enumValues"]
                assert all(o["label"] != o["value"] for o in field["enumOptions"]), field
            Draft202012Validator.check_schema(task["form"]["jsonSchema"])


def test_a_tasks_form_gives_types_required_fields_allowed_values_and_a_json_schema(server: Server) -> None:
    _, form = reception_form(server, "forms-fields")
    fields = {f["id"]: f for f in form["fields"]}
    assert list(fields) == ["applicant_present", "documents_complete", "property_kind", "cadastral_number", "fee_paid"]
    kind = fields["property_kind"]
    assert (kind["label"], kind["type"], kind["required"]) == ("Вид объекта недвижимости", "enum", True)
    assert kind["enumValues"] == ["flat", "house", "land", "nonresidential"]
    assert kind["enumOptions"][0] == {"value": "flat", "label": "Квартира (комната)"}
    assert (fields["fee_paid"]["type"], fields["fee_paid"]["required"]) == ("boolean", False)
    assert [i for i, f in fields.items() if f["personal"]] == ["cadastral_number"]  # the property: personal data

    schema = form["jsonSchema"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["required"]) == {"documents_complete", "property_kind", "cadastral_number"}
    assert schema["properties"]["property_kind"]["title"] == "Вид объекта недвижимости"
    checker = Draft202012Validator(schema)
    assert not list(checker.iter_errors(RECEPTION)), "what completing accepts, the schema accepts"
    wrong = {"documents_complete": "yes", "property_kind": "castle", "surprise": 1}
    assert {tuple(e.path) or e.validator for e in checker.iter_errors(wrong)} == {
        ("documents_complete",),
        ("property_kind",),
        "required",
        "additionalProperties",
    }


def test_completing_with_several_wrong_fields_names_every_one_under_input_data(server: Server) -> None:
    number, _ = reception_form(server, "forms-wrong")
    refused = complete(
        server,
        number,
        {"documents_complete": "yes", "property_kind": "castle", "fee_paid": 1, "surprise": True},
        "wrong-1",
    )
    assert refused["__typename"] == "ValidationError" and refused["code"] == "invalid_task_data", refused
    named = {f["field"]: f["message"] for f in refused["fields"]}
    assert set(named) == {
        "input.data.documents_complete",  # wrong type
        "input.data.property_kind",  # a value not allowed
        "input.data.cadastral_number",  # required, missing
        "input.data.fee_paid",  # wrong type, optional field
        "input.data.surprise",  # not a field of the form
    }
    assert named["input.data.cadastral_number"] == "is required"
    assert "true or false" in named["input.data.documents_complete"]
    done = complete(server, number, RECEPTION, "right-1")
    assert done["__typename"] == "CasePayload", done


def test_an_enum_refusal_lists_the_allowed_values(server: Server) -> None:
    number, _ = reception_form(server, "forms-enum")
    refused = complete(server, number, {**RECEPTION, "property_kind": "Flat"}, "enum-1")
    assert refused["__typename"] == "ValidationError", refused
    [problem] = refused["fields"]
    assert problem == {
        "field": "input.data.property_kind",
        "message": "must be one of flat, house, land, nonresidential",
    }


def test_a_completed_task_still_has_its_form(server: Server) -> None:
    number, form = reception_form(server, "forms-done")
    while_open = datetime.now().astimezone().isoformat()
    done = complete(server, number, RECEPTION, "done-1")
    assert done["__typename"] == "CasePayload", done
    assert "Task_Reception" not in [t["element"] for t in done["case"]["tasks"]]
    # The case as it stood before: its reception task is done now, and still shows its form.
    then = server.run("auditor", CASE_AS_OF, number=number, asOf=while_open)["case"]
    [reception] = [t for t in then["tasks"] if t["element"] == "Task_Reception"]
    assert reception["form"] == form


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"service_code": "mvd_residence_registration", "office": "ELC"}, ["service_code", "office"]),
        ({"channel": "window", "note": "ok"}, ["channel"]),
    ],
)
def test_open_case_data_cannot_set_the_cases_own_variables(
    server: Server, data: dict[str, Any], named: list[str]
) -> None:
    refused = open_case(server, "rosreestr_ownership", "reserved-open", data)
    assert refused["__typename"] == "ValidationError", refused
    assert sorted(f["field"] for f in refused["fields"]) == sorted(f"input.data.{name}" for name in named)
    retried = open_case(server, "rosreestr_ownership", "reserved-open")
    assert retried["__typename"] == "OpenCasePayload", "the refused request recorded nothing under its key"


def test_task_data_cannot_set_the_cases_own_variables(server: Server) -> None:
    number, _ = reception_form(server, "reserved-task")
    refused = complete(server, number, {**RECEPTION, "office": "ELC", "service_code": "x"}, "reserved-1")
    assert refused["__typename"] == "ValidationError", refused
    assert sorted(f["field"] for f in refused["fields"]) == ["input.data.office", "input.data.service_code"]
    then = server.run("auditor", CASE_AS_OF, number=number, asOf=None)["case"]
    assert then["version"] == 1, "nothing was recorded"
