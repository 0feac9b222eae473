"""A citizen's `track` over HTTP: the PIN lockout counts per client (the caller's address,
or a token's subject), so a stranger guessing from one place never locks the citizen out
elsewhere, and an unknown number reads exactly like a wrong PIN."""

from __future__ import annotations

from typing import Any

from api.tracking import PIN_ATTEMPTS
from tests.api.conftest import Server
from tests.api.test_end_to_end import open_property_case

TRACK = "query($n: String!, $p: String!) { track(number: $n, pin: $p) { number } }"


def track(server: Server, number: str, pin: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = server.http.post("/graphql", headers=headers, json={"query": TRACK, "variables": {"n": number, "p": pin}})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_stranger_guessing_pins_from_one_address_never_locks_the_citizen_out(server: Server) -> None:
    opened = open_property_case(server, key="lockout-1")
    number, pin = opened["case"]["number"], opened["pin"]
    wrong = "000000" if pin != "000000" else "111111"
    for _ in range(PIN_ATTEMPTS):
        assert "does not match" in track(server, number, wrong)["errors"][0]["message"]
    assert "too many attempts" in track(server, number, pin)["errors"][0]["message"]  # this address waits
    helper = server.token("integrator")  # the call centre, asking for the citizen with its own token
    assert track(server, number, pin, helper)["data"]["track"]["number"] == number


def test_an_unknown_number_and_a_wrong_pin_read_the_same(server: Server) -> None:
    opened = open_property_case(server, key="lockout-2")
    number, pin = opened["case"]["number"], opened["pin"]
    wrong = "000000" if pin != "000000" else "111111"
    unknown = track(server, "LPK-NOSUCHCASE", pin)
    mistaken = track(server, number, wrong)
    for answer in (unknown, mistaken):
        for error in answer["errors"]:
            error.pop("locations", None)
    assert unknown == mistaken
