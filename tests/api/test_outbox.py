"""Interagency requests: an agency gateway reads what cases sent from the outbox over
GraphQL, acknowledges receipt with its own reference, and later delivers the answer."""

from __future__ import annotations

from tests.api.conftest import Server
from tests.api.test_end_to_end import COMPLETE, DELIVER, open_property_case

OUTBOX = """query($names: [String!], $pending: Boolean!, $after: String) {
  outbox(names: $names, pending: $pending, first: 2, after: $after) {
    edges { node { caseNumber message name payload acknowledgedAt reference } }
    pageInfo { hasNextPage endCursor } } }"""
ACK = """mutation($input: AcknowledgeMessageInput!) {
  acknowledgeMessage(input: $input) {
    __typename ... on ValidationError { message } ... on NotAllowedError { message } } }"""


def sent_package(server: Server, key: str) -> str:
    number = str(open_property_case(server, key)["case"]["number"])
    server.run("operator", COMPLETE, office="LPK", input={
        "caseNumber": number, "element": "Task_Reception",
        "data": {"documents_complete": True, "property_kind": "flat", "cadastral_number": f"48:{key}"}})
    server.work_jobs()
    server.run("operator", COMPLETE, office="LPK", input={
        "caseNumber": number, "element": "Task_SendPackage", "data": {"package_number": f"P-{key}"}})
    return number


def test_an_agency_gateway_picks_up_acknowledges_and_answers(server: Server) -> None:
    numbers = [sent_package(server, str(i)) for i in range(3)]
    first = server.run("integrator", OUTBOX, names=["rosreestr_package"], pending=True, after=None)["outbox"]
    assert [e["node"]["caseNumber"] for e in first["edges"]] == numbers[:2]
    assert first["pageInfo"]["hasNextPage"]
    rest = server.run("integrator", OUTBOX, names=["rosreestr_package"], pending=True,
                      after=first["pageInfo"]["endCursor"])["outbox"]
    assert [e["node"]["caseNumber"] for e in rest["edges"]] == numbers[2:]
    package = first["edges"][0]["node"]
    assert package["message"] == 1 and package["payload"]["package_number"] == "P-0"

    done = server.run("integrator", ACK, input={"caseNumber": numbers[0], "message": 1, "reference": "RR-77/2026"})
    assert done["acknowledgeMessage"]["__typename"] == "CasePayload"
    again = server.run("integrator", ACK, input={"caseNumber": numbers[0], "message": 1, "reference": "RR-77/2026"})
    assert again["acknowledgeMessage"] == {"__typename": "ValidationError",
                                           "message": "message 1 was already acknowledged"}
    never = server.run("integrator", ACK, input={"caseNumber": numbers[0], "message": 9, "reference": "x"})
    assert never["acknowledgeMessage"]["message"] == "message 9 was never sent by this case"
    refused = server.run("operator", ACK, office="LPK", input={"caseNumber": numbers[0], "message": 1,
                                                               "reference": "x"})
    assert refused["acknowledgeMessage"]["__typename"] == "NotAllowedError"

    pending = server.run("integrator", OUTBOX, names=["rosreestr_package"], pending=True, after=None)["outbox"]
    assert numbers[0] not in [e["node"]["caseNumber"] for e in pending["edges"]]
    everything = server.run("integrator", OUTBOX, names=["rosreestr_package"], pending=False, after=None)["outbox"]
    assert everything["edges"][0]["node"]["reference"] == "RR-77/2026"

    answer = server.run("integrator", DELIVER, input={"caseNumber": numbers[0], "name": "rosreestr_decision",
                                                      "payload": {"decision": "registered"}})["deliverMessage"]
    assert answer["case"]["stage"] == "Рассмотрение в Росреестре"  # until the SMS is out
    assert server.work_jobs().by_connector == {"sms": 1}  # the applicant's notification, through its connector
