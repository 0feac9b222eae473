"""Issue 17, finding 5, over HTTP with a real GraphQL client: an applicant's details are
checked when a case opens or an appointment is booked — a blank name, an e-mail, a phone,
a birth date, a СНИЛС and a passport that are not what they say are refused, every problem
at once, each named as the input spells it with a code, and nothing is recorded; what
passes is stored normalised (phone in E.164, СНИЛС as 000-000-000 00)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.conftest import Server
from tests.api.test_idempotency import stored
from tests.api.test_reception import BOOK, SLOTS, during_opening_hours

OPEN = """
mutation Open($input: OpenCaseInput!) {
  openCase(input: $input) {
    __typename
    ... on OpenCasePayload { case { number } }
    ... on ValidationError { message code fields { field message code } }
  }
}"""
BOOK_WITH_FIELDS = BOOK.replace(
    "... on ValidationError { message code }", "... on ValidationError { message code fields { field code } }"
)
APPLICANT = """
query($n: String!) {
  case(number: $n) { applicant { fullName phone email birthDate snils passportSeries passportNumber } }
}"""
VALID = {"fullName": "Орлова Елена Викторовна"}


def open_case(server: Server, applicant: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = server.run(
        "integrator",
        OPEN,
        input={"serviceCode": "rosreestr_ownership", "officeId": "LPK", "channel": "portal", "applicant": applicant},
    )["openCase"]
    return result


@pytest.mark.parametrize(
    ("given", "field", "code"),
    [
        ({"fullName": " "}, "input.applicant.fullName", "blank"),
        ({**VALID, "email": "not-an-email"}, "input.applicant.email", "invalid_email"),
        ({**VALID, "birthDate": "31.12.1999"}, "input.applicant.birthDate", "invalid_date"),
        ({**VALID, "snils": "1"}, "input.applicant.snils", "invalid_snils"),
        ({**VALID, "phone": "abc"}, "input.applicant.phone", "invalid_phone"),
        ({**VALID, "snils": "112-233-445 96"}, "input.applicant.snils", "invalid_snils"),
        (
            {**VALID, "passportSeries": "42 1", "passportNumber": "123456"},
            "input.applicant.passportSeries",
            "invalid_passport_series",
        ),
        ({**VALID, "passportSeries": "4210"}, "input.applicant.passportNumber", "required"),
        ({"fullName": "R2-D2"}, "input.applicant.fullName", "not_a_name"),
    ],
)
def test_each_wrong_applicant_detail_is_refused_by_its_field_and_code_and_nothing_is_recorded(
    server: Server, given: dict[str, str], field: str, code: str
) -> None:
    before = stored(server)
    refused = open_case(server, given)
    assert refused["__typename"] == "ValidationError", refused
    assert [(f["field"], f["code"]) for f in refused["fields"]] == [(field, code)]
    assert stored(server) == before


def test_all_five_problems_of_the_finding_are_reported_at_once(server: Server) -> None:
    refused = open_case(
        server,
        {"fullName": " ", "email": "not-an-email", "birthDate": "31.12.1999", "snils": "1", "phone": "abc"},
    )
    assert refused["__typename"] == "ValidationError"
    assert refused["code"] == "input_refused"
    assert {(f["field"], f["code"]) for f in refused["fields"]} == {
        ("input.applicant.fullName", "blank"),
        ("input.applicant.email", "invalid_email"),
        ("input.applicant.birthDate", "invalid_date"),
        ("input.applicant.snils", "invalid_snils"),
        ("input.applicant.phone", "invalid_phone"),
    }
    assert all(f["message"] for f in refused["fields"])


def test_a_birth_date_after_the_request_day_is_refused(server: Server) -> None:
    tomorrow = (server.now() + timedelta(days=2)).date().isoformat()
    refused = open_case(server, {**VALID, "birthDate": tomorrow})
    assert [(f["field"], f["code"]) for f in refused["fields"]] == [("input.applicant.birthDate", "date_in_future")]
    ancient = open_case(server, {**VALID, "birthDate": "1850-01-01"})
    assert [f["code"] for f in ancient["fields"]] == ["implausible_age"]


def test_valid_details_open_the_case_and_are_stored_normalised(server: Server) -> None:
    opened = open_case(
        server,
        {
            "fullName": "  Орлова   Елена Викторовна ",
            "phone": "8 (904) 555-12-34",
            "email": "Orlova@Example.RU",
            "birthDate": "1990-12-31",
            "snils": "11223344595",
            "passportSeries": "42 10",
            "passportNumber": "123456",
            "document": "",
        },
    )
    assert opened["__typename"] == "OpenCasePayload", opened
    shown = server.run("operator", APPLICANT, office="LPK", n=opened["case"]["number"])["case"]["applicant"]
    assert shown == {
        "fullName": "Орлова Елена Викторовна",
        "phone": "+79045551234",
        "email": "Orlova@example.ru",
        "birthDate": "1990-12-31",
        "snils": "112-233-445 95",
        "passportSeries": "4210",
        "passportNumber": "123456",
    }


def test_a_booking_contact_is_checked_the_same_way_and_named_as_the_contact(server: Server) -> None:
    day = during_opening_hours(server)
    slot = server.run(
        None, SLOTS, officeId="LPK", service="rosreestr_ownership", **{"from": day.isoformat()}, to=day.isoformat()
    )["slots"][0]["id"]
    before = stored(server)
    refused = server.run(
        "integrator",
        BOOK_WITH_FIELDS,
        input={
            "officeId": "LPK",
            "serviceCode": "rosreestr_ownership",
            "slotId": slot,
            "channel": "portal",
            "contact": {"fullName": "Иванова А. П.", "phone": "abc", "email": "nobody"},
        },
    )["bookAppointment"]
    assert refused["__typename"] == "ValidationError", refused
    assert {(f["field"], f["code"]) for f in refused["fields"]} == {
        ("input.contact.phone", "invalid_phone"),
        ("input.contact.email", "invalid_email"),
    }
    assert stored(server) == before
