"""A citizen follows a case live: `caseTracked(number, pin)` gives what `track` gives, when
subscribed and again when the case changes, and ends when it closes; a wrong PIN ends it
at once with `track`'s error. (The track page asked again once a minute: `caseChanged` is
for staff and integrators, and a citizen has no token.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from gql import gql
from gql.transport.exceptions import TransportQueryError

from tests.api.conftest import Server
from tests.api.test_end_to_end import open_property_case
from tests.api.test_subscriptions import ws_client

TRACKED = "subscription($n: String!, $p: String!) { caseTracked(number: $n, pin: $p) { number status stage } }"
WITHDRAW = "mutation($input: WithdrawCaseInput!) { withdrawCase(input: $input) { __typename } }"


@pytest.mark.socket
def test_a_citizen_follows_the_case_until_it_closes_with_no_token(server: Server) -> None:
    opened = open_property_case(server, key="tracked-1")
    number, pin = opened["case"]["number"], opened["pin"]
    request = gql(TRACKED)
    request.variable_values = {"n": number, "p": pin}

    async def follow() -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []
        async with ws_client(server, None, None) as session:  # no token: a citizen's browser
            async for message in session.subscribe(request):
                received.append(message["caseTracked"])
                if len(received) == 1:
                    await asyncio.to_thread(
                        server.run, "integrator", WITHDRAW, input={"caseNumber": number, "reason": "передумала"}
                    )
        return received  # the subscription ended by itself

    messages = asyncio.run(asyncio.wait_for(follow(), timeout=30))
    assert messages[0] == {"number": number, "status": "OPEN", "stage": opened["case"]["stage"]}
    assert messages[-1]["status"] == "WITHDRAWN" and len(messages) == 2


@pytest.mark.socket
def test_a_wrong_pin_ends_the_subscription_with_tracks_error(server: Server) -> None:
    opened = open_property_case(server, key="tracked-2")
    number, pin = opened["case"]["number"], opened["pin"]
    request = gql(TRACKED)
    request.variable_values = {"n": number, "p": "000000" if pin != "000000" else "111111"}

    async def follow() -> None:
        async with ws_client(server, None, None) as session:
            async for _ in session.subscribe(request):
                pass

    with pytest.raises(TransportQueryError) as refused:
        asyncio.run(asyncio.wait_for(follow(), timeout=30))
    assert refused.value.errors and refused.value.errors[0]["extensions"]["code"] == "wrong_pin"
