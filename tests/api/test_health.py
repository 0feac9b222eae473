"""/healthz tells operators the truth: degraded (503) with each reason while a read model
holds parked cases, ok otherwise; it answers from the refresher's last round. A refresh
that cannot reach the store never fails the request that asked for it."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from eventsourcing.persistence import OperationalError

from api.auth import Tokens
from api.context import Services
from projections.reader import Reader
from projections.runner import Projector
from tests.api.conftest import Server
from tests.api.test_end_to_end import open_property_case
from tests.api.test_parked_cases import plant_poison
from tests.conftest import MASTER_KEY, EngineMaker

pytestmark = pytest.mark.socket  # health as a running server's refresher reports it


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
    assert any(
        "read model outbox: 1 parked case" in reason and "okno projections retry" in reason
        for reason in body["reasons"]
    ), body["reasons"]
    assert [(p["model"], p["case"]) for p in body["parked"]] == [("outbox", "LPK-POISON-API")]
    assert body["read_models"]["outbox"]["lag"] == 0, "the model went on past the parked case"


class DeadStore:
    """A projector whose store is away: every catch-up fails as a cut connection does."""

    def __init__(self) -> None:
        self.attempts = 0

    def catch_up(self) -> int:
        self.attempts += 1
        raise OperationalError("couldn't get a connection after 10.00 sec")


def test_while_refreshes_fail_requests_leave_the_store_to_the_background_refresher(engines: EngineMaker) -> None:
    engine = engines()
    projector = Projector(engine)
    services = Services(
        engine=engine,
        projector=projector,
        reader=Reader(projector),
        tokens=Tokens(MASTER_KEY, None),
        clock=lambda: datetime.now(UTC),
    )
    dead = DeadStore()
    services.projector = dead  # type: ignore[assignment]
    assert services.refresh() is False and dead.attempts == 1, "a failed refresh never fails its caller"
    assert services.refreshing.reason == "OperationalError: couldn't get a connection after 10.00 sec"
    for _ in range(5):
        assert services.refresh() is False  # within the backoff: no request waits on the dead store
    assert dead.attempts == 1
    assert services.refresh(probe=True) is False and dead.attempts == 2  # the refresher keeps trying
    services.projector = projector
    assert services.refresh(probe=True) is True and services.refreshing.healthy
    assert services.refresh() is True
