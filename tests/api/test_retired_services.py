"""Issue 19, as an integrator meets it: `services` lists exactly the services openCase takes;
a retired one leaves the list, openCase refuses it with `service_retired`, and
`service(code)` still finds it (its cases name it), marked retired."""

from __future__ import annotations

import time
from typing import Any

from engine.store import parse_url
from okno.bootstrap import new_engine
from tests.api.conftest import Server
from tests.conftest import MASTER_KEY, Entropy

OPEN = """
mutation Open($input: OpenCaseInput!) {
  openCase(input: $input) {
    __typename
    ... on OpenCasePayload { case { number } }
    ... on Error { code message }
  }
}"""
SERVICES = "{ services { code retired } }"
ONE = "query One($code: String!) { service(code: $code) { code retired } }"
RETIRED = "mvd_passport_lost"


def open_case(server: Server, service: str) -> dict[str, Any]:
    answer: dict[str, Any] = server.run(
        "operator",
        OPEN,
        office="LPK",
        input={
            "serviceCode": service,
            "officeId": "LPK",
            "channel": "window",
            "applicant": {"fullName": "Кузнецова Анна Сергеевна", "document": "4215 654321"},
        },
    )["openCase"]
    return answer


def listed(server: Server) -> list[str]:
    return [s["code"] for s in server.run(None, SERVICES)["services"]]


def test_services_and_open_case_agree_on_a_retired_service(server: Server) -> None:
    assert RETIRED in listed(server)
    engine = new_engine(parse_url(server.store_url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        assert engine.retire_services([RETIRED], server.now()) == [RETIRED]
    finally:
        engine.close()
    deadline = time.monotonic() + 30
    while RETIRED in listed(server):  # the server's read models catch up
        assert time.monotonic() < deadline, "the retired service never left `services`"
        time.sleep(0.1)
    refused = open_case(server, RETIRED)
    assert (refused["__typename"], refused["code"]) == ("NotFoundError", "service_retired"), refused
    assert server.run(None, ONE, code=RETIRED)["service"] == {"code": RETIRED, "retired": True}
    services = server.run(None, SERVICES)["services"]
    assert not any(s["retired"] for s in services)
    assert open_case(server, "mvd_passport")["__typename"] == "OpenCasePayload"
