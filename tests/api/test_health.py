"""/healthz tells operators the truth: degraded (503) with each reason while a read model
holds parked cases, ok otherwise; it answers from the refresher's last round."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.api.conftest import Server
from tests.api.test_end_to_end import open_property_case
from tests.api.test_parked_cases import plant_poison


def health(server: Server) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"{server.url}/healthz", timeout=30)
    return response.status_code, response.json()


def test_healthz_is_degraded_naming_the_parked_cases_of_each_read_model(server: Server) -> None:
    number = str(open_property_case(server, "health-1")["case"]["number"])
    deadline = time.monotonic() + 30
    while health(server)[0] != 200:
        assert time.monotonic() < deadline, health(server)
        time.sleep(0.1)
    code, body = health(server)
    assert code == 200 and body["status"] == "ok" and body["reasons"] == [] and body["read_models"]["cases"]["lag"] == 0

    plant_poison(server, number)
    while health(server)[0] != 503:  # the refresher's next round parks the case and says so
        assert time.monotonic() < deadline, health(server)
        time.sleep(0.1)
    code, body = health(server)
    assert code == 503 and body["status"] == "degraded"
    assert any("read model outbox: 1 parked case" in reason and "okno projections retry" in reason
               for reason in body["reasons"]), body["reasons"]
    assert [(p["model"], p["case"]) for p in body["parked"]] == [("outbox", "LPK-POISON-API")]
    assert body["read_models"]["outbox"]["lag"] == 0, "the model went on past the parked case"
