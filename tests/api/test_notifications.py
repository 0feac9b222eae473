"""The SMS gateway's side: notifications the sms connector wrote, read over GraphQL with
the recipient unsealed for the gateway only (each read logged), then marked sent."""

from __future__ import annotations

import pytest
from gql.transport.exceptions import TransportQueryError

from engine.store import parse_url
from okno.bootstrap import new_engine
from tests.api.conftest import Server
from tests.api.test_end_to_end import COMPLETE, DELIVER, OPEN
from tests.conftest import MASTER_KEY, Entropy

NOTIFICATIONS = """query($pending: Boolean!) { notifications(channel: SMS, pending: $pending) {
  edges { node { key caseNumber channel recipient text sentAt } } } }"""
SENT = """mutation($key: String!) { markNotificationSent(input: {key: $key}) {
  __typename ... on NotificationSentPayload { key sentAt } ... on NotFoundError { message } } }"""


def test_the_sms_gateway_reads_the_recipient_marks_it_sent_and_each_read_is_recorded(server: Server) -> None:
    opened = server.run(
        "integrator",
        OPEN,
        input={
            "serviceCode": "rosreestr_ownership",
            "officeId": "LPK",
            "channel": "portal",
            "idempotencyKey": "sms",
            "applicant": {"fullName": "Орлова Е. В.", "phone": "+7 904 555-12-34"},
        },
    )["openCase"]
    number = opened["case"]["number"]
    server.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={
            "caseNumber": number,
            "element": "Task_Reception",
            "data": {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:9"},
        },
    )
    server.work_jobs()
    server.run(
        "expert",  # the package to Росреестр is the expert's (candidateGroups)
        COMPLETE,
        office="LPK",
        input={"caseNumber": number, "element": "Task_SendPackage", "data": {"package_number": "P-9"}},
    )
    server.run(
        "integrator",
        DELIVER,
        input={"caseNumber": number, "name": "rosreestr_decision", "payload": {"decision": "registered"}},
    )
    assert server.work_jobs().by_connector == {"sms": 1}

    [edge] = server.run("integrator", NOTIFICATIONS, pending=True)["notifications"]["edges"]
    sms = edge["node"]
    # the phone as the applicant was stored: E.164, what an SMS gateway takes
    assert (sms["caseNumber"], sms["channel"], sms["recipient"]) == (number, "SMS", "+79045551234")
    assert number in sms["text"] and sms["sentAt"] is None
    with pytest.raises(TransportQueryError, match="may not"):
        server.run("operator", NOTIFICATIONS, office="LPK", pending=True)

    sent = server.run("integrator", SENT, key=sms["key"])["markNotificationSent"]
    assert sent["__typename"] == "NotificationSentPayload"
    again = server.run("integrator", SENT, key=sms["key"])["markNotificationSent"]
    assert again["sentAt"] == sent["sentAt"], "marking twice keeps the first time"
    assert server.run("integrator", SENT, key="nope")["markNotificationSent"]["__typename"] == "NotFoundError"
    assert server.run("integrator", NOTIFICATIONS, pending=True)["notifications"]["edges"] == []

    engine = new_engine(parse_url(server.store_url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        purposes = [(r.role, r.purpose) for r in engine.personal_data_reads(number)]
    finally:
        engine.close()
    assert purposes == [("connector", "notification"), ("integrator", "notification delivery")]
