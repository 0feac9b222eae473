"""What a work list needs of the connections, over HTTP GraphQL (issue 17, finding 9):
counts, typed filters that refuse a misspelling, the outbox of one case, cursors that
belong to their connection, completed tasks by id, and the work list's filters and sorts."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Any

from tests.api.conftest import Server
from tests.api.test_end_to_end import CLAIM, COMPLETE, open_property_case
from tests.api.test_outbox import sent_package

RECEPTION_DATA = {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:20:0012345:67"}


def ask(server: Server, role: str, query: str, office: str | None = None, **variables: Any) -> dict[str, Any]:
    """The whole answer (data and errors) of one POST to /graphql."""
    response = server.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {server.token(role, office)}"},
    )
    answer: dict[str, Any] = response.json()
    return answer


def numbers_of(connection: dict[str, Any]) -> list[str]:
    return [e["node"]["caseNumber"] for e in connection["edges"]]


def test_every_connection_counts_its_rows_with_its_filters(server: Server) -> None:
    sent = sent_package(server, "count-0")  # its reception is done, so its tasks moved on
    fresh = [open_property_case(server, f"count-{i}")["case"]["number"] for i in (1, 2)]
    cases = ask(
        server,
        "auditor",
        "{ all: cases(first: 1) { totalCount edges { node { number } } } "
        "open: cases(status: OPEN, first: 1) { totalCount } done: cases(status: COMPLETED) { totalCount } }",
    )["data"]
    assert (cases["all"]["totalCount"], len(cases["all"]["edges"])) == (3, 1)
    assert (cases["open"]["totalCount"], cases["done"]["totalCount"]) == (3, 0)
    tasks = ask(
        server,
        "supervisor",
        '{ all: tasks(officeId: "LPK", first: 1) { totalCount } '
        'reception: tasks(officeId: "LPK", role: OPERATOR, state: OPEN) { totalCount edges { node { caseNumber } } } }',
        office="LPK",
    )["data"]
    assert tasks["reception"]["totalCount"] == len(tasks["reception"]["edges"]) >= 2
    assert set(fresh) <= set(numbers_of(tasks["reception"]))
    assert tasks["all"]["totalCount"] >= tasks["reception"]["totalCount"]
    outbox = ask(server, "integrator", "{ outbox(first: 1) { totalCount } }")["data"]
    assert outbox["outbox"]["totalCount"] >= 1, sent
    notifications = ask(server, "integrator", "{ notifications(first: 1) { totalCount } }")["data"]
    assert notifications["notifications"]["totalCount"] >= 0


def test_a_misspelt_filter_is_refused_not_answered_empty(server: Server) -> None:
    open_property_case(server, "typo")
    for role, office, query, wrong in [
        ("auditor", None, "{ cases(status: compelted) { totalCount } }", "compelted"),
        ("supervisor", "LPK", '{ tasks(officeId: "LPK", state: opne) { totalCount } }', "opne"),
        ("supervisor", "LPK", '{ tasks(officeId: "LPK", role: opertor) { totalCount } }', "opertor"),
        ("auditor", None, '{ cases(status: "open") { totalCount } }', '"open"'),
        ("integrator", None, "{ notifications(channel: smss) { totalCount } }", "smss"),
    ]:
        answer = ask(server, role, query, office=office)
        assert answer.get("data") is None, query
        assert wrong in answer["errors"][0]["message"], answer


def test_enums_name_the_case_and_task_states_and_the_channel_in_answers(server: Server) -> None:
    number = open_property_case(server, "enums")["case"]["number"]
    found = ask(
        server,
        "supervisor",
        "query($n: String!) { case(number: $n) { status channel tasks { state } } }",
        office="LPK",
        n=number,
    )["data"]["case"]
    assert found == {"status": "OPEN", "channel": "PORTAL", "tasks": [{"state": "OPEN"}]}
    roles = ask(server, "analyst", '{ __type(name: "Role") { enumValues { name } } }')["data"]["__type"]
    assert {v["name"] for v in roles["enumValues"]} >= {"OPERATOR", "SUPERVISOR", "ANALYST", "AUDITOR", "INTEGRATOR"}


def test_the_outbox_of_one_case(server: Server) -> None:
    first, second = sent_package(server, "box-1"), sent_package(server, "box-2")
    query = "query($n: String) { outbox(caseNumber: $n, pending: false) { totalCount edges { node { caseNumber } } } }"
    mine = ask(server, "integrator", query, n=second)["data"]["outbox"]
    assert (numbers_of(mine), mine["totalCount"]) == ([second], 1)
    assert first in numbers_of(ask(server, "integrator", query, n=None)["data"]["outbox"])


def test_a_cursor_belongs_to_the_connection_that_gave_it(server: Server) -> None:
    for key in ("cursor-1", "cursor-2"):
        open_property_case(server, key)
    cases = ask(server, "supervisor", '{ cases(officeId: "LPK", first: 1) { pageInfo { endCursor } } }', office="LPK")
    cursor = cases["data"]["cases"]["pageInfo"]["endCursor"]
    answer = ask(
        server,
        "supervisor",
        'query($after: String) { tasks(officeId: "LPK", first: 1, after: $after) { totalCount } }',
        office="LPK",
        after=cursor,
    )
    assert answer["data"] is None
    assert "this cursor belongs to cases, not to tasks" in answer["errors"][0]["message"], answer
    outbox = ask(server, "integrator", "query($after: String) { outbox(after: $after) { totalCount } }", after=cursor)
    assert "this cursor belongs to cases, not to outbox" in outbox["errors"][0]["message"], outbox


def test_a_completed_task_resolves_by_its_node_id(server: Server) -> None:
    opened = open_property_case(server, "done-1")
    number, task_id = opened["case"]["number"], opened["case"]["tasks"][0]["taskId"]
    done = server.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={"caseNumber": number, "element": "Task_Reception", "data": RECEPTION_DATA},
    )["completeTask"]
    assert done["__typename"] == "CasePayload", done
    node_id = base64.urlsafe_b64encode(f"Task:{task_id}".encode()).decode()
    query = "query($id: ID!) { node(id: $id) { ... on Task { taskId element state completedBy completedAt } } }"
    found = ask(server, "supervisor", query, office="LPK", id=node_id)["data"]["node"]
    assert found is not None, "a completed task is still a node"
    assert (found["taskId"], found["element"], found["state"]) == (task_id, "Task_Reception", "COMPLETED")
    assert found["completedBy"] == "LPK/test-operator" and found["completedAt"]
    listed = ask(server, "supervisor", '{ tasks(officeId: "LPK") { edges { node { taskId } } } }', office="LPK")
    assert task_id not in [e["node"]["taskId"] for e in listed["data"]["tasks"]["edges"]], "the work list stays open"
    completed = ask(
        server,
        "supervisor",
        '{ tasks(officeId: "LPK", state: COMPLETED) { totalCount edges { node { taskId completedBy } } } }',
        office="LPK",
    )["data"]["tasks"]
    assert [e["node"] for e in completed["edges"]] == [{"taskId": task_id, "completedBy": "LPK/test-operator"}]


WORK = """query($holder: Holder, $sort: TaskSort, $after: String, $service: String, $overdue: Boolean,
  $dueBefore: Date, $dueAfter: Date, $first: Int!) {
  tasks(officeId: "LPK", holder: $holder, sort: $sort, after: $after, serviceCode: $service, overdue: $overdue,
        dueBefore: $dueBefore, dueAfter: $dueAfter, first: $first) {
    totalCount edges { node { taskId caseNumber holder dueDay openedAt } }
    pageInfo { hasNextPage endCursor } } }"""


def test_the_work_list_filters_by_holder_service_and_due(server: Server) -> None:
    numbers = [open_property_case(server, f"work-{i}")["case"] for i in range(3)]
    claimed = numbers[1]
    server.run(
        "operator",
        CLAIM,
        office="LPK",
        input={"caseNumber": claimed["number"], "taskId": claimed["tasks"][0]["taskId"]},
    )

    def work(role: str = "operator", **variables: Any) -> dict[str, Any]:
        answer = ask(server, role, WORK, office="LPK", **{"first": 20, **variables})
        assert "errors" not in answer, answer
        tasks: dict[str, Any] = answer["data"]["tasks"]
        return tasks

    mine = work(holder="MINE")
    assert (numbers_of(mine), mine["totalCount"]) == ([claimed["number"]], 1)
    assert work(role="supervisor", holder="MINE")["totalCount"] == 0
    free = numbers_of(work(holder="UNASSIGNED"))
    assert claimed["number"] not in free and numbers[0]["number"] in free
    assert work(service="rosreestr_ownership")["totalCount"] == len(work()["edges"])
    assert work(service="no_such_service")["totalCount"] == 0
    every = work()["edges"]
    due = sorted({e["node"]["dueDay"] for e in every})
    day_before = (date.fromisoformat(due[0]) - timedelta(days=1)).isoformat()
    assert work(dueBefore=day_before)["totalCount"] == 0
    assert work(dueBefore=due[-1])["totalCount"] == len(every), "the bounds hold the day named"
    assert work(dueAfter=due[0])["totalCount"] == len(every)
    assert work(dueAfter=day_before, dueBefore=day_before)["totalCount"] == 0
    assert work(overdue=True)["totalCount"] == 0 and work(overdue=False)["totalCount"] == len(every)


def test_the_work_list_sorts_by_due_and_created_and_pages_stably(server: Server) -> None:
    for i in range(3):
        open_property_case(server, f"sort-{i}")

    def pages(sort: str) -> list[dict[str, Any]]:
        seen, after = [], None
        while True:
            answer = ask(server, "operator", WORK, office="LPK", sort=sort, first=1, after=after)
            assert "errors" not in answer, answer
            page = answer["data"]["tasks"]
            seen += [e["node"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return seen
            after = page["pageInfo"]["endCursor"]

    oldest = pages("CREATED_ASC")
    assert [t["openedAt"] for t in oldest] == sorted(t["openedAt"] for t in oldest) and len(oldest) >= 3
    newest = pages("CREATED_DESC")
    assert [t["taskId"] for t in newest] == [t["taskId"] for t in reversed(oldest)]
    by_due = pages("DUE_ASC")
    assert sorted(t["taskId"] for t in by_due) == sorted(t["taskId"] for t in oldest), "each task once"
    assert [t["dueDay"] for t in by_due] == sorted(t["dueDay"] for t in by_due)
    cursor = ask(server, "operator", WORK, office="LPK", sort="DUE_ASC", first=1)["data"]["tasks"]["pageInfo"]
    other = ask(server, "operator", WORK, office="LPK", sort="CREATED_ASC", first=1, after=cursor["endCursor"])
    assert "this cursor belongs to tasks sorted DUE_ASC" in other["errors"][0]["message"], other
