"""Subscriptions carry the present (issue 17, finding 6): a case's message shows its tasks as
they are after the change, not as they were when the client subscribed, and says what
changed; an office's work list comes as a snapshot, then deltas. And a `case` query reads
its version and its tasks from one snapshot while commands land (finding 7)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from gql import gql

from tests.api.conftest import Server
from tests.api.test_end_to_end import CLAIM, open_property_case
from tests.api.test_subscriptions import first_messages, ws_client

RELEASE = "mutation($input: TaskInput!) { releaseTask(input: $input) { __typename } }"
WITHDRAW = "mutation($input: WithdrawCaseInput!) { withdrawCase(input: $input) { __typename } }"
TASK = "id taskId element state holder"


def opened_case(server: Server, key: str) -> dict[str, Any]:
    """A property registration opened from the portal, as the `case` query shows it."""
    number = open_property_case(server, key=key)["case"]["number"]
    found: dict[str, Any] = server.run(
        "integrator", f"query($n: String!) {{ case(number: $n) {{ number version tasks {{ {TASK} }} }} }}", n=number
    )["case"]
    return found


def claim(server: Server, number: str, task: str) -> None:
    claimed = server.run("operator", CLAIM, office="LPK", input={"caseNumber": number, "taskId": task})
    assert claimed["claimTask"]["__typename"] == "CasePayload", claimed


@pytest.mark.socket
def test_case_status_changed_shows_the_tasks_as_they_are_after_a_claim(server: Server) -> None:
    opened = opened_case(server, "live-1")
    number, task = opened["number"], opened["tasks"][0]["taskId"]
    query = f"subscription($n: String!) {{ caseStatusChanged(number: $n) {{ version tasks {{ {TASK} }} }} }}"

    messages = asyncio.run(
        first_messages(
            server,
            "integrator",
            None,
            query,
            lambda m: m["caseStatusChanged"]["version"] > opened["version"],
            lambda: claim(server, number, task),
            n=number,
        )
    )
    [after] = messages[-1]["caseStatusChanged"]["tasks"]
    assert (after["state"], after["holder"]) == ("CLAIMED", "LPK/test-operator")


@pytest.mark.socket
def test_case_changed_says_a_claim_happened_and_shows_the_claimed_task(server: Server) -> None:
    opened = opened_case(server, "live-2")
    number, task = opened["number"], opened["tasks"][0]["taskId"]
    query = (
        "subscription($n: String!) { caseChanged(number: $n) { version initial change changes "
        f"case {{ version status tasks {{ {TASK} }} }} tasksOpened {{ {TASK} }} tasksChanged {{ {TASK} }} "
        "tasksClosed } }"
    )

    messages = asyncio.run(
        first_messages(
            server,
            "integrator",
            None,
            query,
            lambda m: m["caseChanged"]["change"] == "task_claimed",
            lambda: claim(server, number, task),
            n=number,
        )
    )
    first, last = messages[0]["caseChanged"], messages[-1]["caseChanged"]
    assert first["initial"] and first["change"] is None and first["changes"] == []
    assert [t["taskId"] for t in first["tasksOpened"]] == [task]
    assert not last["initial"] and last["changes"] == ["task_claimed"]
    assert last["version"] == last["case"]["version"] == opened["version"] + 1
    [now] = last["case"]["tasks"]
    assert (now["state"], now["holder"]) == ("CLAIMED", "LPK/test-operator")
    assert last["tasksChanged"] == [now] and last["tasksOpened"] == [] and last["tasksClosed"] == []


@pytest.mark.socket
def test_case_changed_after_a_withdrawal_closes_the_tasks_and_ends(server: Server) -> None:
    opened = opened_case(server, "live-3")
    number = opened["number"]
    query = (
        "subscription($n: String!) { caseChanged(number: $n) { change "
        f"case {{ status tasks {{ {TASK} }} }} tasksClosed }} }}"
    )

    def withdraw() -> None:
        server.run("integrator", WITHDRAW, input={"caseNumber": number, "reason": "передумала"})

    messages = asyncio.run(
        first_messages(
            server, "integrator", None, query, lambda m: m["caseChanged"]["change"] == "withdrawn", withdraw, n=number
        )
    )
    last = messages[-1]["caseChanged"]
    assert last["case"]["status"] != "OPEN"
    assert last["case"]["tasks"] == []
    assert last["tasksClosed"] == [t["id"] for t in opened["tasks"]]


@pytest.mark.socket
def test_task_list_changes_send_a_snapshot_then_only_what_changed(server: Server) -> None:
    existing = opened_case(server, "live-4")["tasks"][0]
    request = gql(
        'subscription { taskListChanges(officeId: "LPK") { snapshot position '
        f"added {{ {TASK} }} changed {{ {TASK} }} removed }} }}"
    )
    made: dict[str, Any] = {}

    def open_one() -> None:
        opened = opened_case(server, "live-5")
        made["number"], made["task"] = opened["number"], opened["tasks"][0]

    def withdraw() -> None:
        server.run("integrator", WITHDRAW, input={"caseNumber": made["number"], "reason": "передумала"})

    # Each step waits for the message of the one before, so no two are folded into one poll.
    steps: list[tuple[Callable[[dict[str, Any]], bool], Callable[[], None] | None]] = [
        (lambda m: m["snapshot"], open_one),
        (
            lambda m: made["task"]["id"] in [t["id"] for t in m["added"]],
            lambda: claim(server, made["number"], made["task"]["taskId"]),
        ),
        (lambda m: made["task"]["id"] in [t["id"] for t in m["changed"]], withdraw),
        (lambda m: bool(m["removed"]), None),
    ]
    messages: list[dict[str, Any]] = []

    async def follow() -> None:
        async with ws_client(server, "operator", "LPK") as session:
            async for message in session.subscribe(request):
                messages.append(message["taskListChanges"])
                if steps[0][0](messages[-1]):
                    step = steps.pop(0)[1]
                    if step is None:
                        return
                    await asyncio.to_thread(step)

    asyncio.run(asyncio.wait_for(follow(), timeout=30))
    first, later = messages[0], messages[1:]
    assert first["snapshot"] and [t["taskId"] for t in first["added"]] == [existing["taskId"]]
    assert not any(m["snapshot"] for m in later)
    assert [m["position"] for m in messages] == sorted(m["position"] for m in messages)
    # The new task is added once, changed when claimed, removed by its id; the older one is never sent again.
    mine = made["task"]
    assert [t["id"] for m in later for t in m["added"]] == [mine["id"]]
    assert [(t["id"], t["state"], t["holder"]) for m in later for t in m["changed"]] == [
        (mine["id"], "CLAIMED", "LPK/test-operator")
    ]
    assert [i for m in later for i in m["removed"]] == [mine["id"]]


@pytest.mark.slow  # reads racing writes for a second or more
def test_a_case_query_never_shows_one_version_with_another_versions_tasks(server: Server) -> None:
    """Claims and releases land (each committed by the projector) while a client reads the case:
    an even version has the task claimed, an odd one open, in every answer."""
    opened = opened_case(server, "live-6")
    number, task = opened["number"], opened["tasks"][0]["taskId"]
    assert opened["version"] % 2 == 1, "opening leaves the task open at an odd version"
    done = threading.Event()

    def claim_and_release() -> None:
        try:
            for i in range(40):
                mutation = CLAIM if i % 2 == 0 else RELEASE
                server.run("operator", mutation, office="LPK", input={"caseNumber": number, "taskId": task})
        finally:
            done.set()

    writer = threading.Thread(target=claim_and_release)
    writer.start()
    mixed, reads = [], 0
    query = "query($n: String!) { case(number: $n) { version tasks { state } } }"
    with server.client("operator", "LPK") as session:
        request = gql(query)
        request.variable_values = {"n": number}
        while not done.is_set() or reads == 0:
            found = session.execute(request)["case"]
            reads += 1
            expected = "OPEN" if found["version"] % 2 == 1 else "CLAIMED"
            if [t["state"] for t in found["tasks"]] != [expected]:
                mixed.append(found)
    writer.join()
    assert mixed == [], f"{len(mixed)} of {reads} answers mixed two versions, e.g. {mixed[:3]}"


@pytest.mark.slow  # reads racing writes for a second or more
@pytest.mark.parametrize("source", ["case", "cases"])
def test_neither_a_case_nor_a_page_of_cases_shows_one_version_with_another_versions_tasks(
    server: Server, source: str
) -> None:
    """As above, read through the case query and through a page of the office's cases: each
    case on the page comes with the tasks of its own version."""
    opened = opened_case(server, f"live-7-{source}")
    number, task = opened["number"], opened["tasks"][0]["taskId"]
    done = threading.Event()

    def claim_and_release() -> None:
        try:
            for i in range(30):
                mutation = CLAIM if i % 2 == 0 else RELEASE
                server.run("operator", mutation, office="LPK", input={"caseNumber": number, "taskId": task})
        finally:
            done.set()

    query = (
        "query($n: String!) { case(number: $n) { number version tasks { state } } }"
        if source == "case"
        else 'query { cases(officeId: "LPK", first: 50) { edges { node { number version tasks { state } } } } }'
    )
    writer = threading.Thread(target=claim_and_release)
    writer.start()
    mixed, reads = [], 0
    with server.client("operator", "LPK") as session:
        request = gql(query)
        request.variable_values = {"n": number} if source == "case" else {}
        while not done.is_set() or reads == 0:
            answer = session.execute(request)
            found = (
                answer["case"]
                if source == "case"
                else next(e["node"] for e in answer["cases"]["edges"] if e["node"]["number"] == number)
            )
            reads += 1
            expected = "OPEN" if found["version"] % 2 == 1 else "CLAIMED"
            if [t["state"] for t in found["tasks"]] != [expected]:
                mixed.append(found)
    writer.join()
    assert mixed == [], f"{len(mixed)} of {reads} answers mixed two versions, e.g. {mixed[:3]}"
