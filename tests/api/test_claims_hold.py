"""Issue 17, finding 3: claims protect a task, and roles are enforced per task — over
GraphQL, as an office's front-end drives them.

A claimed task is completed only by its holder (another operator is refused whatever
they send, before the data is read); completing an unclaimed task claims it in the same
event; a supervisor reassigns a task or releases anyone's claim; an expert's task is
worked by experts, with their own tokens."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError

from api.auth import NotAllowed
from tests.api.conftest import Server
from tests.api.test_end_to_end import CLAIM, COMPLETE, HISTORY, open_property_case
from tests.commands import okno
from tests.conftest import MASTER_KEY

RELEASE = """
mutation Release($input: TaskInput!) {
  releaseTask(input: $input) {
    __typename
    ... on CasePayload { case { tasks { taskId state holder } } }
    ... on ValidationError { message code }
    ... on NotAllowedError { message }
  }
}"""
REASSIGN = """
mutation Reassign($input: ReassignTaskInput!) {
  reassignTask(input: $input) {
    __typename
    ... on CasePayload { case { tasks { taskId state holder } } }
    ... on ValidationError { message code }
    ... on NotAllowedError { message }
  }
}"""
RECEPTION_DATA = {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:20:0012345:67"}


def as_staff(server: Server, subject: str, role: str, query: str, **variables: Any) -> dict[str, Any]:
    """``query`` run with a token of ``subject``, a ``role`` of office LPK."""
    token = server.tokens.issue(subject, role, "LPK", datetime.now(UTC))
    request = gql(query)
    request.variable_values = variables
    with Client(transport=server.graphql_transport({"Authorization": f"Bearer {token}"})) as session:
        result: dict[str, Any] = session.execute(request)
        return result


def history(server: Server, number: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = server.run("auditor", HISTORY, number=number)["case"]["history"]
    return found


def settled(server: Server, number: str, kind: str) -> dict[str, Any]:
    """The case's last event once the read models show one of ``kind`` (the worker ran
    in another process: the server's read side catches up on its own)."""
    deadline = time.monotonic() + 30
    while True:
        events = history(server, number)
        if events[-1]["kind"] == kind or time.monotonic() > deadline:
            return events[-1]
        time.sleep(0.1)


def reception_of(server: Server, key: str) -> tuple[str, str]:
    case = open_property_case(server, key)["case"]
    return case["number"], case["tasks"][0]["taskId"]


def complete_reception(
    server: Server, number: str, who: str, role: str = "operator", data: dict[str, Any] = RECEPTION_DATA
) -> dict[str, Any]:
    """``who`` (staff of LPK) completes the case's reception task: the completeTask answer."""
    answer: dict[str, Any] = as_staff(
        server, who, role, COMPLETE, input={"caseNumber": number, "element": "Task_Reception", "data": data}
    )["completeTask"]
    return answer


def test_another_operator_cannot_complete_a_claimed_task_whatever_they_send(server: Server) -> None:
    number, task = reception_of(server, "claims-1")
    claimed = as_staff(server, "ivanova", "operator", CLAIM, input={"caseNumber": number, "taskId": task})
    assert claimed["claimTask"]["case"]["tasks"][0]["holder"] == "LPK/ivanova"
    # invalid data, data setting okno's own variables, then valid data: the same refusal
    for data in ({"documents_complete": "yes"}, {**RECEPTION_DATA, "office": "ELC"}, RECEPTION_DATA):
        refused = complete_reception(server, number, "petrov", data=data)
        assert refused["__typename"] == "NotAllowedError", refused
        assert "held by LPK/ivanova" in refused["message"]
    assert [e["kind"] for e in history(server, number)] == ["Opened", "TaskClaimed"], "nothing was recorded"
    done = complete_reception(server, number, "ivanova")
    assert done["__typename"] == "CasePayload", done


def test_completing_an_unclaimed_task_claims_it_in_the_same_event(server: Server) -> None:
    number, task = reception_of(server, "claims-2")
    done = complete_reception(server, number, "petrov")
    assert done["__typename"] == "CasePayload", done
    events = history(server, number)
    assert [e["kind"] for e in events] == ["Opened", "TaskCompleted"]
    completed = events[1]
    assert completed["actor"] == "LPK/petrov"
    assert completed["input"]["holder"] == "LPK/petrov" and completed["input"]["role"] == "operator"
    assert completed["effects"]["claims"] == [{"task": task, "element": "Task_Reception", "holder": "LPK/petrov"}]


def test_a_supervisor_reassigns_a_task_in_one_event_and_the_old_holder_loses_it(server: Server) -> None:
    number, task = reception_of(server, "claims-3")
    as_staff(server, "ivanova", "operator", CLAIM, input={"caseNumber": number, "taskId": task})
    by_operator = as_staff(
        server, "petrov", "operator", REASSIGN, input={"caseNumber": number, "taskId": task, "holder": "LPK/petrov"}
    )["reassignTask"]
    assert by_operator["__typename"] == "NotAllowedError", by_operator
    elsewhere = as_staff(
        server, "boss", "supervisor", REASSIGN, input={"caseNumber": number, "taskId": task, "holder": "ELC/petrov"}
    )["reassignTask"]
    assert elsewhere["__typename"] == "ValidationError", "a holder outside the case's office is refused"
    moved = as_staff(
        server,
        "boss",
        "supervisor",
        REASSIGN,
        input={"caseNumber": number, "taskId": task, "holder": "LPK/petrov", "idempotencyKey": "re-1"},
    )["reassignTask"]
    assert moved["__typename"] == "CasePayload", moved
    assert moved["case"]["tasks"][0]["holder"] == "LPK/petrov" and moved["case"]["tasks"][0]["state"] == "CLAIMED"
    events = history(server, number)
    assert [e["kind"] for e in events] == ["Opened", "TaskClaimed", "TaskReassigned"]
    assert events[2]["effects"]["claims"] == [
        {"task": task, "element": "Task_Reception", "holder": "LPK/petrov", "previous": "LPK/ivanova"}
    ]
    lost = complete_reception(server, number, "ivanova")
    assert lost["__typename"] == "NotAllowedError", lost
    done = complete_reception(server, number, "petrov")
    assert done["__typename"] == "CasePayload", done


def test_only_the_holder_or_a_supervisor_releases_a_claim(server: Server) -> None:
    number, task = reception_of(server, "claims-4")
    as_staff(server, "ivanova", "operator", CLAIM, input={"caseNumber": number, "taskId": task})
    refused = as_staff(server, "petrov", "operator", RELEASE, input={"caseNumber": number, "taskId": task})[
        "releaseTask"
    ]
    assert refused["__typename"] == "NotAllowedError", refused
    released = as_staff(server, "boss", "supervisor", RELEASE, input={"caseNumber": number, "taskId": task})[
        "releaseTask"
    ]
    assert released["__typename"] == "CasePayload", released
    assert released["case"]["tasks"][0]["state"] == "OPEN"
    as_staff(server, "petrov", "operator", CLAIM, input={"caseNumber": number, "taskId": task})
    own = as_staff(server, "petrov", "operator", RELEASE, input={"caseNumber": number, "taskId": task})["releaseTask"]
    assert own["__typename"] == "CasePayload", own


def test_an_experts_task_is_worked_by_an_expert_not_by_an_operator_or_a_supervisor(server: Server) -> None:
    number, _ = reception_of(server, "claims-5")
    complete_reception(server, number, "ivanova")
    assert server.work_jobs().completed == 1  # the state fee is paid: the package is the expert's
    [package] = settled(server, number, "ServiceTaskCompleted")["effects"]["tasks_opened"]
    assert (package["element"], package["role"]) == ("Task_SendPackage", "expert")
    package["taskId"] = package["task"]
    send = {"caseNumber": number, "element": "Task_SendPackage", "data": {"package_number": "PKG-1"}}
    for role in ("operator", "supervisor"):
        claim = as_staff(server, role, role, CLAIM, input={"caseNumber": number, "taskId": package["taskId"]})[
            "claimTask"
        ]
        assert claim["__typename"] == "NotAllowedError", (role, claim)
        complete = as_staff(server, role, role, COMPLETE, input=send)["completeTask"]
        assert complete["__typename"] == "NotAllowedError", (role, complete)
        assert "expert" in complete["message"]
    done = as_staff(server, "sidorova", "expert", COMPLETE, input=send)["completeTask"]
    assert done["__typename"] == "CasePayload", done
    assert done["case"]["stage"] == "Рассмотрение в Росреестре"


def test_an_expert_is_staff_of_one_office(server: Server) -> None:
    with pytest.raises(NotAllowed, match="needs --office"):
        server.tokens.issue("sidorova", "expert", None, datetime.now(UTC))
    elsewhere = server.tokens.issue("sidorova", "expert", "ELC", datetime.now(UTC))
    number, _ = reception_of(server, "claims-6")
    request = gql(HISTORY)
    request.variable_values = {"number": number}
    with (
        Client(transport=server.graphql_transport({"Authorization": f"Bearer {elsewhere}"})) as session,
        pytest.raises(TransportQueryError, match="may not act in office LPK"),
    ):
        session.execute(request)


@pytest.mark.slow
def test_okno_token_create_issues_an_experts_token_for_an_office(tmp_path: Path) -> None:
    key = {"OKNO_MASTER_KEY": base64.b64encode(MASTER_KEY).decode()}
    issued = okno(
        "token", "create", "--role", "expert", "--office", "LPK", "--subject", "sidorova", cwd=tmp_path, env=key
    )
    assert issued.returncode == 0, issued.stderr
    claims = jwt.decode(issued.stdout.strip(), options={"verify_signature": False})
    assert (claims["role"], claims["office"], claims["sub"]) == ("expert", "LPK", "sidorova")
