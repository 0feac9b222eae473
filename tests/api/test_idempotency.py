"""Issue 14 #3 and #9 over HTTP with a real GraphQL client: an idempotency key belongs to
the caller (token subject) who sent it, so another caller's openCase under the same key is
that caller's own new case and never hands out the first citizen's number or PIN; the same
caller's key for another citizen is a conflict naming no case; a refused openCase at a
window writes nothing, not even a key row. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from gql import Client, gql

from engine.store import parse_url
from okno.bootstrap import new_engine
from tests.api.conftest import Server
from tests.api.test_reception import CALL, END, OPEN_AT_WINDOW, TICKET, during_opening_hours
from tests.conftest import MASTER_KEY, Entropy

OPEN = """
mutation Open($input: OpenCaseInput!) {
  openCase(input: $input) {
    __typename
    ... on OpenCasePayload { pin case { number } }
    ... on ValidationError { message code }
    ... on NotFoundError { message }
    ... on NotAllowedError { message }
    ... on ConflictError { message }
  }
}"""
CITIZEN_A = {"fullName": "Андреева Анна Андреевна", "document": "4201 111111"}
CITIZEN_B = {"fullName": "Борисов Борис Борисович", "document": "4202 222222"}


def run_as(
    server: Server, subject: str, role: str, query: str, office: str | None = None, **variables: Any
) -> dict[str, Any]:
    """A request under a token for ``subject`` (the conftest's tokens share one per role)."""
    token = server.tokens.issue(subject, role, office, datetime.now(UTC))
    request = gql(query)
    request.variable_values = variables
    with Client(transport=server.graphql_transport({"Authorization": f"Bearer {token}"})) as session:
        result: dict[str, Any] = session.execute(request)
        return result


def open_case(
    server: Server, subject: str, role: str, applicant: dict[str, str], key: str = "K-1", office: str | None = None
) -> dict[str, Any]:
    result = run_as(
        server,
        subject,
        role,
        OPEN,
        office=office,
        input={
            "serviceCode": "rosreestr_ownership",
            "officeId": "LPK",
            "channel": "portal",
            "applicant": applicant,
            "idempotencyKey": key,
        },
    )["openCase"]
    assert isinstance(result, dict)
    return result


def stored(server: Server) -> tuple[int, int]:
    """Key rows and the notification log's head, read from the server's store."""
    engine = new_engine(parse_url(server.store_url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        with engine.store.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            cursor.execute(f"SELECT COUNT(*) AS n FROM {engine.keys._table}")
            row = cursor.fetchone()
        rows = int(row["n"] if isinstance(row, dict) else row[0])
        return rows, int(engine.store.recorder.max_notification_id() or 0)
    finally:
        engine.close()


def test_a_key_reused_by_another_caller_opens_their_own_case_and_never_hands_out_the_first(server: Server) -> None:
    first = open_case(server, "portal-a", "integrator", CITIZEN_A)
    assert first["__typename"] == "OpenCasePayload", first
    number_a, pin_a = first["case"]["number"], first["pin"]

    second = open_case(server, "supervisor-b", "supervisor", CITIZEN_B, office="LPK")
    assert second["__typename"] == "OpenCasePayload", second
    answer = json.dumps(second, ensure_ascii=False)
    assert number_a not in answer and pin_a not in answer
    assert second["case"]["number"] != number_a and second["pin"] != pin_a
    # B's application was not dropped: B's case tracks with B's PIN.
    engine = new_engine(parse_url(server.store_url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        case_b = engine.get_case(second["case"]["number"])
        assert engine.vault.check_pin(case_b.id, second["pin"])
        assert engine.applicant(case_b.number) == {
            "full_name": CITIZEN_B["fullName"],
            "document": CITIZEN_B["document"],
        }
        assert engine.applicant(number_a) == {"full_name": CITIZEN_A["fullName"], "document": CITIZEN_A["document"]}
    finally:
        engine.close()

    # The first caller's retry is still its own case; another integrator subject is another caller.
    retry = open_case(server, "portal-a", "integrator", CITIZEN_A)
    assert (retry["case"]["number"], retry["pin"]) == (number_a, pin_a)
    third = open_case(server, "terminal-c", "integrator", CITIZEN_A)
    assert third["case"]["number"] not in (number_a, second["case"]["number"])


def test_the_same_callers_key_for_another_citizen_is_refused_naming_no_case(server: Server) -> None:
    first = open_case(server, "portal-a", "integrator", CITIZEN_A)
    before = stored(server)
    reused = open_case(server, "portal-a", "integrator", CITIZEN_B)
    assert (reused["__typename"], reused["code"]) == ("ValidationError", "idempotency_key_reused"), reused
    answer = json.dumps(reused, ensure_ascii=False)
    assert first["case"]["number"] not in answer and first["pin"] not in answer and "LPK-" not in answer
    assert stored(server) == before


def test_a_refused_open_at_a_window_writes_nothing(server: Server) -> None:
    day = during_opening_hours(server)
    ticket = run_as(
        server, "terminal-1", "integrator", TICKET, input={"officeId": "LPK", "serviceCode": "mvd_passport"}
    )["issueTicket"]["ticket"]
    called = run_as(server, "op-1", "operator", CALL, office="LPK", input={"officeId": "LPK", "window": 3})
    assert called["callNextTicket"]["ticket"]["id"] == ticket["id"]
    ended = run_as(
        server, "op-1", "operator", END, office="LPK", input={"ticketId": ticket["id"], "outcome": "consultation"}
    )["endVisit"]
    assert ended["ticket"]["state"] == "done"
    unknown = f"LPK-{day.strftime('%Y%m%d')}-А999"
    before = stored(server)
    for ticket_id, refusal in ((unknown, "NotFoundError"), (ticket["id"], "ValidationError")):
        for key in (None, "window-1"):
            refused = run_as(
                server,
                "op-1",
                "operator",
                OPEN_AT_WINDOW,
                office="LPK",
                input={
                    "serviceCode": "mvd_passport",
                    "officeId": "LPK",
                    "channel": "window",
                    "applicant": CITIZEN_A,
                    "ticketId": ticket_id,
                    "idempotencyKey": key,
                },
            )["openCase"]
            assert refused["__typename"] == refusal, refused
    assert stored(server) == before
