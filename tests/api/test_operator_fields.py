"""What the operator's workplace reads that the API did not publish before, through the
real client: `me` (who the token names), `Task.form.formJs` (a Camunda Form's own form-js
document, for the form viewer) and `Case.diagram` (the process XML with the elements passed
and active, for bpmn-js)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from gql.transport.exceptions import TransportQueryError

from tests.api.conftest import Server
from tests.operator_forms import FIXTURES, FORMS_SERVICE, form_server

__all__ = ["form_server"]  # the fixture, used by name

OPEN = """
mutation Open($input: OpenCaseInput!) {
  openCase(input: $input) {
    __typename
    ... on OpenCasePayload { case { number tasks { element form { origin formJs fields { id } } } } }
    ... on ValidationError { message }
  }
}"""
DIAGRAM = """
query Diagram($number: String!) { case(number: $number) { diagram { xml passed active } } }"""


def open_case(server: Server, service: str, key: str) -> dict[str, Any]:
    opened: dict[str, Any] = server.run(
        "operator",
        OPEN,
        office="LPK",
        input={
            "serviceCode": service,
            "officeId": "LPK",
            "channel": "window",
            "applicant": {"fullName": "Кузнецова Анна Сергеевна", "document": "4215 654321"},
            "idempotencyKey": key,
        },
    )["openCase"]
    assert opened["__typename"] == "OpenCasePayload", opened
    case: dict[str, Any] = opened["case"]
    return case


def test_me_names_the_callers_subject_role_and_office(server: Server) -> None:
    assert server.run("operator", "{ me { subject role office } }", office="LPK")["me"] == {
        "subject": "test-operator",
        "role": "operator",
        "office": "LPK",
    }
    assert server.run("auditor", "{ me { role office } }")["me"] == {"role": "auditor", "office": None}
    with pytest.raises(TransportQueryError) as refused:
        server.run(None, "{ me { subject } }")
    assert refused.value.errors is not None
    assert refused.value.errors[0]["extensions"]["code"] == "not_authenticated"


def test_a_camunda_forms_task_publishes_its_form_js_document_and_other_forms_none(form_server: Server) -> None:
    case = open_case(form_server, FORMS_SERVICE.code, "operator-fields-1")
    [task] = case["tasks"]
    assert task["form"]["origin"] == "form-js operator-application.form"
    written = json.loads((FIXTURES / "operator-application.form").read_text(encoding="utf-8"))
    assert task["form"]["formJs"] == written
    shipped = open_case(form_server, "rosreestr_ownership", "operator-fields-2")
    [reception] = shipped["tasks"]
    assert reception["form"]["origin"] == "camunda:formData"
    assert reception["form"]["formJs"] is None


def test_a_cases_diagram_is_its_deployed_model_with_the_path_taken_and_the_current_task(form_server: Server) -> None:
    number = open_case(form_server, FORMS_SERVICE.code, "operator-fields-3")["number"]
    diagram = form_server.run("operator", DIAGRAM, office="LPK", number=number)["case"]["diagram"]
    assert diagram["xml"] == (FIXTURES / "operator_forms.bpmn").read_text(encoding="utf-8")
    assert "StartEvent_1" in diagram["passed"]
    assert diagram["active"] == ["Task_Application"]
    with pytest.raises(TransportQueryError) as refused:
        form_server.run("operator", DIAGRAM, office="GRZ", number=number)
    assert refused.value.errors is not None
    assert refused.value.errors[0]["extensions"]["code"] == "not_allowed"
