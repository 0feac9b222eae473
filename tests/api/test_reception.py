"""Reception end to end over HTTP with a real GraphQL client: the portal finds a free slot
and books it, a terminal issues tickets, an operator calls them and opens the case at
the window, and the hall's board follows over a websocket."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.working_days import is_working_day
from tests.api.conftest import Server
from tests.api.test_subscriptions import first_messages

MSK = ZoneInfo("Europe/Moscow")
SLOTS = """
query Slots($officeId: String!, $service: String!, $from: Date!, $to: Date!) {
  slots(officeId: $officeId, serviceCode: $service, from: $from, to: $to) { id window start end }
}"""
BOOK = """
mutation Book($input: BookAppointmentInput!) {
  bookAppointment(input: $input) {
    __typename
    ... on AppointmentPayload { appointment { code window start status serviceCode } }
    ... on ValidationError { message code }
    ... on NotFoundError { message }
    ... on NotAllowedError { message }
  }
}"""
TICKET = """
mutation Ticket($input: IssueTicketInput!) {
  issueTicket(input: $input) {
    __typename
    ... on TicketPayload { ticket { id number state serviceCode appointmentCode } }
    ... on ValidationError { message code }
    ... on NotFoundError { message }
    ... on NotAllowedError { message }
  }
}"""
CALL = """
mutation Call($input: CallNextTicketInput!) {
  callNextTicket(input: $input) {
    __typename
    ... on CallNextPayload { ticket { id number window state } }
    ... on ValidationError { message code }
    ... on NotAllowedError { message }
  }
}"""
OPEN_AT_WINDOW = """
mutation Open($input: OpenCaseInput!) {
  openCase(input: $input) {
    __typename
    ... on OpenCasePayload { pin case { number channel status } }
    ... on ValidationError { message code }
    ... on NotFoundError { message }
    ... on NotAllowedError { message }
  }
}"""
END = """
mutation End($input: EndVisitInput!) {
  endVisit(input: $input) {
    __typename
    ... on TicketPayload { ticket { state outcome } }
    ... on ValidationError { message code }
  }
}"""
QUEUE = """
query Queue($officeId: String!) {
  queue(officeId: $officeId) { day done waiting { number } serving { number window } }
}"""


def during_opening_hours(server: Server) -> date:
    """Run the server's clock on the next working day at 10:00 in Lipetsk: reception
    checks its commands against the offices' hours, and the real clock may be at night."""
    day = datetime.now(UTC).astimezone(MSK).date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    server.clock_offset[0] = datetime.combine(day, time(10, 0), MSK) - datetime.now(UTC)
    return day


def test_a_portal_booking_a_terminal_ticket_and_a_case_opened_at_the_window(server: Server) -> None:
    day = during_opening_hours(server)
    found = server.run(
        None, SLOTS, officeId="LPK", service="rosreestr_ownership", **{"from": day.isoformat()}, to=day.isoformat()
    )["slots"]
    assert found and all(datetime.fromisoformat(s["start"]) >= server.now() for s in found)
    slot = found[0]["id"]

    contact = {"fullName": "Иванова А. П.", "phone": "+7 904 111-22-33"}
    booked = server.run(
        "integrator",
        BOOK,
        input={
            "officeId": "LPK",
            "serviceCode": "rosreestr_ownership",
            "slotId": slot,
            "channel": "portal",
            "contact": contact,
            "idempotencyKey": "portal-b1",
        },
    )["bookAppointment"]
    assert booked["__typename"] == "AppointmentPayload", booked
    code = booked["appointment"]["code"]
    again = server.run(
        "integrator",
        BOOK,
        input={"officeId": "LPK", "serviceCode": "rosreestr_ownership", "slotId": slot, "channel": "call_centre"},
    )["bookAppointment"]
    assert (again["__typename"], again["code"]) == ("ValidationError", "slot_taken")
    past = f"LPK/{found[0]['window']}/{day.isoformat()}T08:00"
    refused = server.run(
        "integrator",
        BOOK,
        input={"officeId": "LPK", "serviceCode": "rosreestr_ownership", "slotId": past, "channel": "portal"},
    )["bookAppointment"]
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "slot_unavailable")
    left = server.run(
        None, SLOTS, officeId="LPK", service="rosreestr_ownership", **{"from": day.isoformat()}, to=day.isoformat()
    )["slots"]
    assert slot not in {s["id"] for s in left}

    walk_in = server.run("integrator", TICKET, input={"officeId": "LPK", "serviceCode": "mvd_passport"})
    booked_ticket = server.run("integrator", TICKET, input={"officeId": "LPK", "appointmentCode": code})
    assert walk_in["issueTicket"]["ticket"]["number"] == "А001"
    assert booked_ticket["issueTicket"]["ticket"]["number"] == "З001"

    # Window 3 serves only the MVD's services (the region's set-up): the passport walk-in.
    first = server.run("operator", CALL, office="LPK", input={"officeId": "LPK", "window": 3})["callNextTicket"]
    assert first["ticket"]["number"] == "А001"
    busy = server.run("operator", CALL, office="LPK", input={"officeId": "LPK", "window": 3})["callNextTicket"]
    assert (busy["__typename"], busy["code"]) == ("ValidationError", "window_busy")
    other = server.run("operator", CALL, office="ELC", input={"officeId": "LPK", "window": 2})["callNextTicket"]
    assert other["__typename"] == "NotAllowedError"
    second = server.run("operator", CALL, office="LPK", input={"officeId": "LPK", "window": 4})["callNextTicket"]
    assert second["ticket"]["number"] == "З001"  # nobody else waits: called before the booked time

    ended = server.run(
        "operator", END, office="LPK", input={"ticketId": first["ticket"]["id"], "outcome": "consultation"}
    )["endVisit"]
    assert ended["ticket"] == {"state": "done", "outcome": "consultation"}
    opened = server.run(
        "operator",
        OPEN_AT_WINDOW,
        office="LPK",
        input={
            "serviceCode": "rosreestr_ownership",
            "officeId": "LPK",
            "channel": "window",
            "applicant": {"fullName": "Иванова А. П.", "document": "4210 123456"},
            "ticketId": second["ticket"]["id"],
            "idempotencyKey": "window-2-open",
        },
    )["openCase"]
    assert opened["__typename"] == "OpenCasePayload", opened
    assert opened["case"]["channel"] == "WINDOW" and len(opened["pin"]) == 6
    queue = server.run("operator", QUEUE, office="LPK", officeId="LPK")["queue"]
    assert (queue["day"], queue["done"], queue["waiting"], queue["serving"]) == (day.isoformat(), 2, [], [])


@pytest.mark.parametrize(("role", "office"), [(None, None), ("operator", "ELC"), ("auditor", None)])
def test_the_queue_is_not_for_everyone(server: Server, role: str | None, office: str | None) -> None:
    during_opening_hours(server)
    from gql.transport.exceptions import TransportQueryError

    if role is None:
        with pytest.raises(TransportQueryError, match="bearer token"):
            server.run(role, QUEUE, officeId="LPK")
        return
    with pytest.raises(TransportQueryError, match="may not"):
        server.run(role, QUEUE, office=office, officeId="LPK")
    denied = server.run(role, TICKET, office=office, input={"officeId": "LPK", "serviceCode": "mvd_passport"})
    assert denied["issueTicket"]["__typename"] == "NotAllowedError"


@pytest.mark.socket  # the board follows over a websocket
def test_the_halls_board_shows_each_call_to_a_window_to_a_screen_without_a_token(server: Server) -> None:
    during_opening_hours(server)
    query = 'subscription { queueBoard(officeId: "LPK") { called { number window } waiting } }'

    def act() -> None:
        server.run(
            "integrator", TICKET, input={"officeId": "LPK", "serviceCode": "mvd_passport", "category": "priority"}
        )
        server.run("operator", CALL, office="LPK", input={"officeId": "LPK", "window": 7})

    def shows_call(message: dict[str, Any]) -> bool:
        return bool(message["queueBoard"]["called"])

    # The hall's screen has nobody to sign in: it subscribes anonymously.
    messages = asyncio.run(first_messages(server, None, None, query, shows_call, act))
    assert messages[0]["queueBoard"] == {"called": [], "waiting": 0}
    assert messages[-1]["queueBoard"] == {"called": [{"number": "Л001", "window": 7}], "waiting": 0}


def test_a_variable_of_the_wrong_type_is_told_what_is_wrong_not_internal_error(server: Server) -> None:
    from gql.transport.exceptions import TransportQueryError

    with pytest.raises(TransportQueryError, match="cannot represent a Date"):
        server.run(None, SLOTS, officeId="LPK", service="mvd_passport", **{"from": "tomorrow"}, to="2026-11-03")
    with pytest.raises(TransportQueryError, match="String!' to be provided"):
        server.run(None, SLOTS, service="mvd_passport", **{"from": "2026-11-03"}, to="2026-11-03")
