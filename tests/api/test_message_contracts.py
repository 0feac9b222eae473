"""An agency's answer is a contract (issue 17, finding 1): a payload the model does not
know is refused with the allowed values, nothing is recorded, and an agency gateway learns
every payload from the API alone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Server
from tests.api.test_end_to_end import COMPLETE, open_property_case

DELIVER = """
mutation Deliver($input: DeliverMessageInput!) {
  deliverMessage(input: $input) {
    __typename
    ... on CasePayload { case { version stage tasks { element } } }
    ... on ValidationError { message code fields { field message } }
  }
}"""
VERSION = """
query Version($number: String!) { case(number: $number) { version } }"""
CASE = """
query Case($number: String!) {
  case(number: $number) {
    version stage
    awaitedMessages { name direction payloadSchema description }
  }
}"""
SERVICE_MESSAGES = """
query Services {
  services { code messages { name direction payloadSchema description } }
}"""


def property_case_awaiting_rosreestr(server: Server, key: str) -> str:
    number: str = open_property_case(server, key)["case"]["number"]
    reception = {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:20:0012345:67"}
    done = server.run(
        "operator", COMPLETE, office="LPK", input={"caseNumber": number, "element": "Task_Reception", "data": reception}
    )
    assert done["completeTask"]["__typename"] == "CasePayload", done
    assert server.work_jobs().completed == 1  # ГИС ГМП: paid
    sent = server.run(
        "expert",  # the package to Росреестр is the expert's (candidateGroups)
        COMPLETE,
        office="LPK",
        input={"caseNumber": number, "element": "Task_SendPackage", "data": {"package_number": "PKG-1"}},
    )
    assert sent["completeTask"]["case"]["stage"] == "Рассмотрение в Росреестре"
    return number


def passport_case_awaiting_mvd(server: Server) -> str:
    opened = server.run(
        "operator",
        """mutation Open($input: OpenCaseInput!) {
          openCase(input: $input) { __typename ... on OpenCasePayload { case { number } } }
        }""",
        office="LPK",
        input={
            "serviceCode": "mvd_foreign_passport_biometric",
            "officeId": "LPK",
            "channel": "window",
            "applicant": {"fullName": "Кузнецова Анна Сергеевна"},
        },
    )["openCase"]
    number: str = opened["case"]["number"]
    data = {"passport_kind": "biometric", "applicant_under_14": False, "payment_uin": "18810000000000000001"}
    done = server.run(
        "operator", COMPLETE, office="LPK", input={"caseNumber": number, "element": "Task_Reception", "data": data}
    )
    assert done["completeTask"]["__typename"] == "CasePayload", done
    paid = deliver(server, number, "gisgmp_payment_status", {"paid": True})
    assert paid["__typename"] == "CasePayload", paid
    return number


def deliver(server: Server, number: str, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = server.run(
        "integrator", DELIVER, input={"caseNumber": number, "name": name, "payload": payload}
    )["deliverMessage"]
    return answer


def case_version(server: Server, number: str) -> int:
    version: int = server.run("auditor", VERSION, number=number)["case"]["version"]
    return version


@pytest.mark.parametrize("decision", ["Registered", "rejected", "отказ", None])
def test_a_rosreestr_decision_the_model_does_not_know_is_refused_with_the_allowed_values_and_nothing_recorded(
    server: Server, decision: str | None
) -> None:
    number = property_case_awaiting_rosreestr(server, f"portal-{decision}")
    before = case_version(server, number)

    refused = deliver(server, number, "rosreestr_decision", {"decision": decision})

    assert refused["__typename"] == "ValidationError", refused
    assert refused["code"] == "message_payload"
    [field] = refused["fields"]
    assert field["field"] == "input.payload.decision"
    for allowed in ("registered", "suspended", "refused"):
        assert allowed in field["message"]
    assert "rosreestr_decision[" not in refused["message"], "no model expression reaches a client"
    assert case_version(server, number) == before, "nothing was recorded"
    accepted = deliver(server, number, "rosreestr_decision", {"decision": "registered"})
    assert accepted["__typename"] == "CasePayload", accepted


def test_an_answer_without_its_decision_is_refused_naming_the_missing_field(server: Server) -> None:
    number = property_case_awaiting_rosreestr(server, "portal-missing")

    refused = deliver(server, number, "rosreestr_decision", {"verdict": "registered"})

    assert refused["code"] == "message_payload"
    assert {f["field"] for f in refused["fields"]} >= {"input.payload.decision"}


def test_an_mvd_decision_of_approved_is_refused_listing_issued_and_refused(server: Server) -> None:
    number = passport_case_awaiting_mvd(server)
    before = case_version(server, number)

    refused = deliver(server, number, "mvd_decision", {"decision": "approved"})

    assert refused["code"] == "message_payload", refused
    [field] = refused["fields"]
    assert field["field"] == "input.payload.decision"
    assert "issued" in field["message"] and "refused" in field["message"]
    assert case_version(server, number) == before


def test_a_message_the_case_is_not_waiting_for_names_the_messages_it_waits_for(server: Server) -> None:
    number = property_case_awaiting_rosreestr(server, "portal-other")

    refused = deliver(server, number, "mvd_decision", {"decision": "issued"})

    assert refused["code"] == "message_not_awaited"
    assert "rosreestr_decision" in refused["message"]


def test_a_case_publishes_the_contract_of_the_message_it_waits_for(server: Server) -> None:
    number = property_case_awaiting_rosreestr(server, "portal-awaits")

    awaited = server.run("auditor", CASE, number=number)["case"]["awaitedMessages"]

    [contract] = awaited
    assert (contract["name"], contract["direction"]) == ("rosreestr_decision", "RECEIVES")
    decision = contract["payloadSchema"]["properties"]["decision"]
    assert sorted(decision["enum"]) == ["refused", "registered", "suspended"]
    assert contract["payloadSchema"]["required"] == ["decision"]
    assert contract["description"]


def test_each_service_lists_the_messages_its_process_receives_and_sends(server: Server) -> None:
    services = {s["code"]: s["messages"] for s in server.run("integrator", SERVICE_MESSAGES)["services"]}

    property_messages = {(m["name"], m["direction"]): m for m in services["rosreestr_ownership"]}
    assert set(property_messages) == {
        ("rosreestr_decision", "RECEIVES"),
        ("rosreestr_package", "SENDS"),
        ("rosreestr_reminder", "SENDS"),
        ("rosreestr_additional_documents", "SENDS"),
    }
    package = property_messages[("rosreestr_package", "SENDS")]["payloadSchema"]
    assert set(package["properties"]) == {"package_number", "cadastral_number", "property_kind", "fee_paid"}
    passport = {(m["name"], m["direction"]) for m in services["mvd_foreign_passport_biometric"]}
    assert {("mvd_decision", "RECEIVES"), ("gisgmp_payment_status", "RECEIVES")} <= passport
