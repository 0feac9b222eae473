"""What a citizen does without a token (api.citizens), through the real GraphQL client: book
a window on the portal channel and get a code and a PIN; look the booking up, move it and
cancel it with them; rate a visit with the case's number and PIN. The code alone opens
nothing, a wrong PIN is refused and counted, and one address cannot book an office's day."""

from __future__ import annotations

from typing import Any

import pytest
from gql.transport.exceptions import TransportQueryError

from api.citizens import BOOKINGS_PER_WINDOW
from api.tracking import PIN_ATTEMPTS
from tests.api.conftest import Server
from tests.api.test_end_to_end import open_property_case
from tests.api.test_reception import SLOTS, during_opening_hours

ERROR = "... on Error { code message fields { field code } }"
BOOKED = f"""
mutation($input: BookAppointmentInput!) {{
  bookAppointment(input: $input) {{
    __typename ... on AppointmentPayload {{ pin appointment {{ code start status }} }} {ERROR}
  }}
}}"""
LOOK_UP = "query($code: String!, $pin: String) { appointment(code: $code, pin: $pin) { code status start } }"
MOVED = f"""
mutation($input: RescheduleAppointmentInput!) {{
  rescheduleAppointment(input: $input) {{
    __typename ... on AppointmentPayload {{ pin appointment {{ code start }} }} {ERROR}
  }}
}}"""
CANCELLED = f"""
mutation($input: CancelAppointmentInput!) {{
  cancelAppointment(input: $input) {{ __typename ... on AppointmentPayload {{ pin appointment {{ status }} }} {ERROR} }}
}}"""
RATED = f"""
mutation($input: RateVisitInput!) {{
  rateVisit(input: $input) {{ __typename ... on CasePayload {{ case {{ number }} }} {ERROR} }}
}}"""
CONTACT = {"fullName": "Иванова Анна Петровна", "phone": "+7 904 111-22-33"}


def free_slots(server: Server, count: int) -> list[str]:
    day = during_opening_hours(server).isoformat()
    found = server.run(None, SLOTS, officeId="LPK", service="rosreestr_ownership", **{"from": day}, to=day)["slots"]
    assert len(found) >= count
    return [s["id"] for s in found[:count]]


def book(server: Server, slot: str, contact: dict[str, str] | None = CONTACT, channel: str = "portal") -> Any:
    wanted = {"officeId": "LPK", "serviceCode": "rosreestr_ownership", "slotId": slot, "channel": channel}
    return server.run(None, BOOKED, input={**wanted, "contact": contact})["bookAppointment"]


def test_a_citizen_books_looks_up_moves_and_cancels_with_the_code_and_pin(server: Server) -> None:
    first, second = free_slots(server, 2)
    booked = book(server, first)
    assert booked["__typename"] == "AppointmentPayload", booked
    code, pin = booked["appointment"]["code"], booked["pin"]
    assert len(pin) == 6 and pin.isdigit()

    assert server.run(None, LOOK_UP, code=code, pin=pin)["appointment"]["status"] == "booked"
    moved = server.run(None, MOVED, input={"code": code, "slotId": second, "pin": pin})["rescheduleAppointment"]
    assert moved["__typename"] == "AppointmentPayload", moved
    new_code, new_pin = moved["appointment"]["code"], moved["pin"]
    assert new_code != code and len(new_pin) == 6
    assert server.run(None, LOOK_UP, code=code, pin=pin)["appointment"]["status"] == "cancelled"

    cancelled = server.run(None, CANCELLED, input={"code": new_code, "reason": "не смогу прийти", "pin": new_pin})
    assert cancelled["cancelAppointment"]["appointment"]["status"] == "cancelled"
    assert cancelled["cancelAppointment"]["pin"] is None


def test_the_code_alone_opens_nothing_and_a_wrong_pin_is_refused_then_locked_out(server: Server) -> None:
    (slot,) = free_slots(server, 1)
    booked = book(server, slot)
    code, pin = booked["appointment"]["code"], booked["pin"]
    with pytest.raises(TransportQueryError, match="bearer token"):
        server.run(None, LOOK_UP, code=code)
    with pytest.raises(TransportQueryError, match="bearer token"):
        server.run(None, CANCELLED, input={"code": code, "reason": "чужая запись"})
    wrong = "000000" if pin != "000000" else "111111"
    refused = server.run(None, CANCELLED, input={"code": code, "reason": "чужая запись", "pin": wrong})
    assert refused["cancelAppointment"]["code"] == "wrong_pin"
    assert refused["cancelAppointment"]["fields"] == [{"field": "input.pin", "code": None}]
    for _ in range(PIN_ATTEMPTS - 1):
        server.run(None, CANCELLED, input={"code": code, "reason": "чужая запись", "pin": wrong})
    locked = server.run(None, CANCELLED, input={"code": code, "reason": "x", "pin": pin})["cancelAppointment"]
    assert locked["code"] == "too_many_attempts"  # even the right PIN, from this client, for a while
    assert server.run("integrator", LOOK_UP, code=code)["appointment"]["status"] == "booked"


def test_an_anonymous_booking_names_each_missing_contact_and_the_channel_at_its_field(server: Server) -> None:
    (slot,) = free_slots(server, 1)
    refused = book(server, slot, contact={"fullName": " "}, channel="window")
    assert refused["__typename"] == "ValidationError"
    assert {(f["field"], f["code"]) for f in refused["fields"]} >= {
        ("input.channel", None),
        ("input.contact.fullName", "required"),
        ("input.contact.phone", "required"),
    }
    bad_phone = book(server, slot, contact={"fullName": "Иванова А. П.", "phone": "abc"})
    assert {(f["field"], f["code"]) for f in bad_phone["fields"]} == {("input.contact.phone", "invalid_phone")}


def test_one_address_books_only_a_few_windows_without_a_token(server: Server) -> None:
    slots = free_slots(server, BOOKINGS_PER_WINDOW + 1)
    for slot in slots[:BOOKINGS_PER_WINDOW]:
        assert book(server, slot)["__typename"] == "AppointmentPayload"
    assert book(server, slots[-1])["code"] == "too_many_bookings"
    with_token = {"officeId": "LPK", "serviceCode": "rosreestr_ownership", "slotId": slots[-1], "channel": "portal"}
    assert server.run("integrator", BOOKED, input=with_token)["bookAppointment"]["__typename"] == "AppointmentPayload"


def test_a_citizen_rates_a_visit_once_with_the_number_and_pin_and_sees_nothing_of_the_staff(
    server: Server,
) -> None:
    opened = open_property_case(server, key="rate-anonymously")
    number, pin = opened["case"]["number"], opened["pin"]
    scores = {"caseNumber": number, "waitingTime": 5, "staff": 4, "premises": 3, "information": 5}
    out_of_range = server.run(None, RATED, input={**scores, "staff": 9, "pin": pin})["rateVisit"]
    assert [f["field"] for f in out_of_range["fields"]] == ["input.staff"]
    wrong = server.run(None, RATED, input={**scores, "pin": "000000" if pin != "000000" else "111111"})
    assert wrong["rateVisit"]["code"] == "wrong_pin"
    with pytest.raises(TransportQueryError, match="bearer token"):  # rated, but who holds its tasks is not told
        server.run(
            None,
            "mutation($input: RateVisitInput!) { rateVisit(input: $input) "
            "{ ... on CasePayload { case { tasks { holder } } } } }",
            input={**scores, "pin": pin},
        )
    again = server.run(None, RATED, input={**scores, "pin": pin})["rateVisit"]
    assert again["code"] == "already_rated"
    with pytest.raises(TransportQueryError, match="bearer token"):
        server.run(None, RATED, input=scores)  # no PIN, no token
