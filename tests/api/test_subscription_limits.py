"""Subscriptions are bounded, over a real websocket: a connection and a token may each run
only so many at once (one more is refused with a clear error, ending one frees its place),
and a case number that names no case ends the subscription with an error instead of
polling it forever."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import pytest
from gql import gql
from gql.client import AsyncClientSession
from gql.transport.exceptions import TransportQueryError

from api.subscription_limits import PER_CONNECTION, PER_TOKEN
from tests.api.conftest import Server
from tests.api.test_subscriptions import ws_client

pytestmark = pytest.mark.socket  # subscriptions run over a real websocket

TASKS = 'subscription { taskListChanged(officeId: "LPK") { taskId } }'
CASE = "subscription($n: String!) { caseStatusChanged(number: $n) { number } }"
Outcome = tuple[str, Any]


async def hold(session: AsyncClientSession, query: str, outcomes: asyncio.Queue[Outcome], **variables: Any) -> None:
    """Run one subscription until cancelled, reporting each message, its error or its end."""
    request = gql(query)
    request.variable_values = variables or None
    try:
        async for message in session.subscribe(request):
            await outcomes.put(("message", message))
    except TransportQueryError as error:
        await outcomes.put(("error", str(error)))
        return
    await outcomes.put(("ended", None))


async def start(session: AsyncClientSession, query: str = TASKS) -> tuple[asyncio.Task[None], Outcome]:
    outcomes: asyncio.Queue[Outcome] = asyncio.Queue()
    task = asyncio.create_task(hold(session, query, outcomes))
    return task, await asyncio.wait_for(outcomes.get(), timeout=30)


def test_a_case_number_that_names_no_case_ends_with_an_error(server: Server) -> None:
    async def run() -> Outcome:
        outcomes: asyncio.Queue[Outcome] = asyncio.Queue()
        async with ws_client(server, "integrator", None) as session:
            await asyncio.wait_for(hold(session, CASE, outcomes, n="LPK-NOSUCHCASE"), timeout=10)
        return await outcomes.get()

    kind, message = asyncio.run(run())
    assert kind == "error" and "no case 'LPK-NOSUCHCASE'" in message


def test_one_connection_runs_at_most_its_share_and_ending_one_frees_a_place(server: Server) -> None:
    async def run() -> None:
        async with ws_client(server, "operator", "LPK") as session:
            running = [await start(session) for _ in range(PER_CONNECTION)]
            assert all(kind == "message" for _, (kind, _) in running)
            _, (kind, message) = await start(session)
            assert kind == "error" and f"at most {PER_CONNECTION} subscriptions" in message, message
            running[0][0].cancel()  # the client completes one
            for _ in range(100):  # until the server has let it go
                again, (kind, message) = await start(session)
                if kind == "message":
                    break
                await asyncio.sleep(0.05)
            assert kind == "message", message
            for task in [*(task for task, _ in running[1:]), again]:
                task.cancel()

    asyncio.run(run())


def test_one_token_runs_at_most_its_share_over_all_its_connections(server: Server) -> None:
    connections = -(-(PER_TOKEN + 1) // PER_CONNECTION)

    async def run() -> list[str]:
        async with AsyncExitStack() as stack:  # several sockets, each with a token for the same subject
            sessions = [
                await stack.enter_async_context(ws_client(server, "operator", "LPK")) for _ in range(connections)
            ]
            kinds: list[str] = []
            tasks = []
            for number in range(PER_TOKEN + 1):
                task, (kind, message) = await start(sessions[number % connections])
                tasks.append(task)
                kinds.append(kind if kind == "message" else message)
            for task in tasks:
                task.cancel()
            return kinds

    kinds = asyncio.run(run())
    assert kinds[:PER_TOKEN] == ["message"] * PER_TOKEN
    assert f"a token may run at most {PER_TOKEN} subscriptions" in kinds[PER_TOKEN]
