"""Subscriptions over a real websocket (graphql-transport-ws): an office's task list and
a case's status push changes as commands happen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from tests.api.conftest import Server
from tests.api.incidents import RETRY, make_incident
from tests.api.test_end_to_end import COMPLETE, open_property_case

pytestmark = pytest.mark.socket  # subscriptions run over a real websocket


def ws_client(server: Server, role: str | None, office: str | None) -> Client:
    """``role`` None: an anonymous connection (no token in connection_init)."""
    transport = WebsocketsTransport(
        url=server.url.replace("http://", "ws://") + "/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload={"Authorization": f"Bearer {server.token(role, office)}"} if role else {},
    )
    return Client(transport=transport)


async def first_messages(
    server: Server,
    role: str | None,
    office: str | None,
    query: str,
    until: Callable[[dict[str, Any]], bool],
    act: Any,
    **variables: Any,
) -> list[dict[str, Any]]:
    """Subscribe, run ``act`` once the first message is in, and collect messages until one
    satisfies ``until``."""
    received: list[dict[str, Any]] = []
    request = gql(query)
    request.variable_values = variables or None
    async with ws_client(server, role, office) as session:

        async def listen() -> None:
            async for message in session.subscribe(request):
                received.append(message)
                if len(received) == 1:
                    await asyncio.to_thread(act)
                if until(message):
                    return

        await asyncio.wait_for(listen(), timeout=30)
    return received


def test_an_office_task_list_is_pushed_when_a_case_opens_and_a_task_is_claimed(server: Server) -> None:
    query = 'subscription { taskListChanged(officeId: "LPK") { taskId element state holder } }'

    def act() -> None:
        opened = open_property_case(server, key="subscription-1")
        task = opened["case"]["tasks"][0]["taskId"]
        server.run(
            "operator",
            "mutation($i: TaskInput!) { claimTask(input: $i) { __typename } }",
            office="LPK",
            i={"caseNumber": opened["case"]["number"], "taskId": task},
        )

    def claimed(message: dict[str, Any]) -> bool:
        return [t["state"] for t in message["taskListChanged"]] == ["CLAIMED"]

    messages = asyncio.run(first_messages(server, "operator", "LPK", query, claimed, act))
    assert messages[0]["taskListChanged"] == []
    assert messages[-1]["taskListChanged"][0]["holder"] == "LPK/test-operator"
    assert all(len(m["taskListChanged"]) == 1 for m in messages[1:])


def test_a_case_status_is_pushed_as_it_moves(server: Server) -> None:
    opened = open_property_case(server, key="subscription-2")
    number = opened["case"]["number"]
    query = "subscription($n: String!) { caseStatusChanged(number: $n) { number stage version } }"

    def act() -> None:
        server.run(
            "operator",
            COMPLETE,
            office="LPK",
            input={
                "caseNumber": number,
                "element": "Task_Reception",
                "data": {"documents_complete": True, "property_kind": "house", "cadastral_number": "48:1"},
            },
        )
        server.work_jobs()

    def moved(message: dict[str, Any]) -> bool:
        return bool(message["caseStatusChanged"]["stage"] != "Приём документов")

    messages = asyncio.run(first_messages(server, "integrator", None, query, moved, act, n=number))
    assert [m["caseStatusChanged"]["stage"] for m in messages][-1] == "Передача документов в Росреестр"


def test_a_subscription_outside_ones_office_is_refused(server: Server) -> None:
    from gql.transport.exceptions import TransportQueryError

    query = 'subscription { taskListChanged(officeId: "LPK") { taskId } }'
    with pytest.raises(TransportQueryError, match="may not act in office LPK"):
        asyncio.run(first_messages(server, "operator", "ELC", query, lambda _: True, lambda: None))


def test_an_offices_incidents_are_pushed_when_a_job_fails_for_good_and_when_it_is_retried(server: Server) -> None:
    query = 'subscription { incidentsChanged(officeId: "LPK") { caseNumber taskId error } }'
    made: dict[str, str] = {}

    def fail_a_job() -> None:
        made.update(make_incident(server, "incident-pushed"))

    def listed(message: dict[str, Any]) -> set[str]:
        return {i["caseNumber"] for i in message["incidentsChanged"]}

    arrived = asyncio.run(
        first_messages(
            server, "supervisor", "LPK", query, lambda m: bool(made) and made["caseNumber"] in listed(m), fail_a_job
        )
    )
    [shown] = [i for i in arrived[-1]["incidentsChanged"] if i["caseNumber"] == made["caseNumber"]]
    assert shown["error"] == "ГИС ГМП: 503"

    def retry() -> None:
        done = server.run(
            "supervisor", RETRY, office="LPK", input={"caseNumber": made["caseNumber"], "taskId": made["taskId"]}
        )
        assert done["retryIncident"]["__typename"] == "CasePayload", done

    gone = asyncio.run(
        first_messages(server, "supervisor", "LPK", query, lambda m: made["caseNumber"] not in listed(m), retry)
    )
    assert made["caseNumber"] in listed(gone[0]) and made["caseNumber"] not in listed(gone[-1])


def test_incidents_of_another_office_are_not_pushed_to_a_supervisor(server: Server) -> None:
    from gql.transport.exceptions import TransportQueryError

    query = 'subscription { incidentsChanged(officeId: "LPK") { caseNumber } }'
    with pytest.raises(TransportQueryError, match="may not act in office LPK"):
        asyncio.run(first_messages(server, "supervisor", "ELC", query, lambda _: True, lambda: None))
