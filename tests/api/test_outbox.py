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
    server.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={
            "caseNumber": number,
            "element": "Task_Reception",
            "data": {"documents_complete": True, "property_kind": "flat", "cadastral_number": f"48:{key}"},
        },
    )
    server.work_jobs()
    server.run(
        "expert",  # the package to Росреестр is the expert's (candidateGroups)
        COMPLETE,
        office="LPK",
        input={"caseNumber": number, "element": "Task_SendPackage", "data": {"package_number": f"P-{key}"}},
    )
    return number


def test_an_agency_gateway_picks_up_acknowledges_and_answers(server: Server) -> None:
    numbers = [sent_package(server, str(i)) for i in range(3)]
    first = server.run("integrator", OUTBOX, names=["rosreestr_package"], pending=True, after=None)["outbox"]
    assert [e["node"]["caseNumber"] for e in first["edges"]] == numbers[:2]
    assert first["pageInfo"]["hasNextPage"]
    rest = server.run(
        "integrator", OUTBOX, names=["rosreestr_package"], pending=True, after=first["pageInfo"]["endCursor"]
    )["outbox"]
    assert [e["node"]["caseNumber"] for e in rest["edges"]] == numbers[2:]
    package = first["edges"][0]["node"]
    assert package["message"] == 1 and package["payload"]["package_number"] == "P-0"

    done = server.run("integrator", ACK, input={"caseNumber": numbers[0], "message": 1, "reference": "RR-77/2026"})
    assert done["acknowledgeMessage"]["__typename"] == "CasePayload"
    again = server.run("integrator", ACK, input={"caseNumber": numbers[0], "message": 1, "reference": "RR-77/2026"})
    assert again["acknowledgeMessage"] == {
        "__typename": "ValidationError",
        "message": "message 1 was already acknowledged",
    }
    never = server.run("integrator", ACK, input={"caseNumber": numbers[0], "message": 9, "reference": "x"})
    assert never["acknowledgeMessage"]["message"] == "message 9 was never sent by this case"
    refused = server.run(
        "operator", ACK, office="LPK", input={"caseNumber": numbers[0], "message": 1, "reference": "x"}
    )
    assert refused["acknowledgeMessage"]["__typename"] == "NotAllowedError"

    pending = server.run("integrator", OUTBOX, names=["rosreestr_package"], pending=True, after=None)["outbox"]
    assert numbers[0] not in [e["node"]["caseNumber"] for e in pending["edges"]]
    everything = server.run("integrator", OUTBOX, names=["rosreestr_package"], pending=False, after=None)["outbox"]
    assert everything["edges"][0]["node"]["reference"] == "RR-77/2026"

    answer = server.run(
        "integrator",
        DELIVER,
        input={"caseNumber": numbers[0], "name": "rosreestr_decision", "payload": {"decision": "registered"}},
    )["deliverMessage"]
    assert answer["case"]["stage"] == "Рассмотрение в Росреестре"  # until the SMS is out
    assert server.work_jobs().by_connector == {"sms": 1}  # the applicant's notification, through its connector


ANSWER = """mutation($input: DeliverMessageInput!) { deliverMessage(input: $input) {
  __typename ... on CasePayload { case { number stage } } ... on ValidationError { message }
  ... on NotFoundError { message } ... on NotAllowedError { message } } }"""


def test_an_agency_answer_is_correlated_by_the_reference_it_gave_and_a_wrong_one_changes_nothing(
    server: Server,
) -> None:
    number = sent_package(server, "ref")
    server.run("integrator", ACK, input={"caseNumber": number, "message": 1, "reference": "RR-2026/555"})
    decision = {"name": "rosreestr_decision", "payload": {"decision": "registered"}}

    unknown = server.run("integrator", ANSWER, input={**decision, "reference": "RR-2026/000"})["deliverMessage"]
    assert unknown == {
        "__typename": "NotFoundError",
        "message": "no request was acknowledged with reference 'RR-2026/000'",
    }
    other = sent_package(server, "ref-other")
    mismatch = server.run("integrator", ANSWER, input={**decision, "reference": "RR-2026/555", "caseNumber": other})[
        "deliverMessage"
    ]
    assert mismatch["__typename"] == "ValidationError" and f"belongs to case {number}" in mismatch["message"]
    probing = server.run("operator", ANSWER, office="LPK", input={**decision, "reference": "RR-2026/555"})
    assert probing["deliverMessage"]["__typename"] == "NotAllowedError"

    answered = server.run("integrator", ANSWER, input={**decision, "reference": "RR-2026/555"})["deliverMessage"]
    assert answered["case"]["number"] == number and answered["__typename"] == "CasePayload"
    history = server.run("auditor", "query($n: String!) { case(number: $n) { history { kind } } }", n=other)
    assert [e["kind"] for e in history["case"]["history"]][-1] == "TaskCompleted", "the other case is untouched"


def test_the_gateway_reads_a_personal_value_in_clear_and_the_read_is_recorded_auditors_see_it_sealed(
    server: Server,
) -> None:
    number = sent_package(server, "77")
    query = """query { outbox(names: ["rosreestr_package"], pending: true, first: 5) {
      edges { node { caseNumber payload } } } }"""
    gateway = server.run("integrator", query)["outbox"]["edges"][0]["node"]
    assert gateway["caseNumber"] == number and gateway["payload"]["cadastral_number"] == "48:77"
    audit = server.run("auditor", query)["outbox"]["edges"][0]["node"]
    assert set(audit["payload"]["cadastral_number"]) == {"$sealed"}  # a personal value: sealed under the case key
    assert audit["payload"]["package_number"] == "P-77"
    reads = server.run(
        "auditor", """query($n: String!) { case(number: $n) { personalDataReads { purpose role } } }""", n=number
    )["case"]["personalDataReads"]
    assert {"purpose": "message delivery", "role": "integrator"} in reads
