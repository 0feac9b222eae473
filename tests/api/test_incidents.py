"""Incidents over GraphQL: a job whose connector failed every attempt shows to the office's
supervisor, who retries it with retryIncident; the worker then completes it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from gql.transport.exceptions import TransportQueryError

from tests.api.conftest import Server
from tests.api.test_end_to_end import COMPLETE, open_property_case
from tests.conftest import PaidTreasury

INCIDENTS = """query($o: String) { incidents(officeId: $o) {
  caseNumber taskId element connector input failures error } }"""
RETRY = """mutation($input: TaskInput!) { retryIncident(input: $input) {
  __typename ... on CasePayload { case { stage tasks { element } } }
  ... on ValidationError { message } ... on NotAllowedError { message } } }"""


def test_a_spent_job_is_an_incident_the_supervisor_retries(server: Server) -> None:
    number = str(open_property_case(server, "incident")["case"]["number"])
    server.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={
            "caseNumber": number,
            "element": "Task_Reception",
            "data": {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:5"},
        },
    )
    treasury = PaidTreasury()
    treasury.down = True
    for minutes in (1, 12, 33, 74, 155):  # R5/PT10M: the attempts after 10, 20, 40 and 80 minutes
        assert server.work_jobs(treasury, later=timedelta(minutes=minutes)).failed == 1
    server.clock_offset[0] = timedelta(hours=3)  # the supervisor comes to it later

    for _ in range(100):  # the worker wrote from another process: the server's read models follow within a poll
        found = server.run("supervisor", INCIDENTS, office="LPK", o="LPK")["incidents"]
        if found:
            break
        time.sleep(0.1)
    [incident] = found
    assert (incident["caseNumber"], incident["element"], incident["connector"], incident["failures"]) == (
        number,
        "Task_CheckFee",
        "payment_check",
        5,
    )
    assert incident["input"] == {"purpose": "state_fee", "service": "rosreestr_ownership", "amount": 4000}
    assert "503" in incident["error"]
    assert server.run("auditor", INCIDENTS)["incidents"][0]["taskId"] == incident["taskId"]
    case_jobs = server.run(
        "supervisor",
        "query($n: String!) { case(number: $n) { tasks { element } jobs { element connector state failures } } }",
        office="LPK",
        n=number,
    )["case"]
    assert case_jobs == {
        "tasks": [],
        "jobs": [{"element": "Task_CheckFee", "connector": "payment_check", "state": "incident", "failures": 5}],
    }
    with pytest.raises(TransportQueryError, match="may not act in office LPK"):
        server.run("supervisor", INCIDENTS, office="ELC", o="LPK")

    task = {"caseNumber": number, "taskId": incident["taskId"]}
    refused = server.run("operator", RETRY, office="LPK", input=task)["retryIncident"]
    assert refused["__typename"] == "NotAllowedError"
    retried = server.run("supervisor", RETRY, office="LPK", input={**task, "idempotencyKey": "retry-1"})
    assert retried["retryIncident"]["__typename"] == "CasePayload"
    again = server.run("supervisor", RETRY, office="LPK", input={**task, "idempotencyKey": "retry-2"})
    assert again["retryIncident"] == {
        "__typename": "ValidationError",
        "message": "job Task_CheckFee is not an incident: it is still being tried",
    }
    assert not server.run("supervisor", INCIDENTS, office="LPK", o="LPK")["incidents"], "mutations read their writes"

    assert server.work_jobs(PaidTreasury()).completed == 1
    moved = server.run(
        "expert",  # the package to Росреестр is the expert's (candidateGroups)
        COMPLETE,
        office="LPK",
        input={"caseNumber": number, "element": "Task_SendPackage", "data": {"package_number": "P-5"}},
    )
    assert moved["completeTask"]["case"]["stage"] == "Рассмотрение в Росреестре"
