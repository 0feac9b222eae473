"""The demo on the clock (issue 19): it simulates up to its "now" and no further, so right
after it the API still books the rest of today and its work lists wait forwards."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from click.testing import CliRunner

from api.auth import Tokens
from engine.application import scan_cases
from engine.store import parse_url
from okno.bootstrap import new_engine
from okno.cli.demo import demo_command
from okno.demo.simulation import last_moment
from tests.api.conftest import IN_PROCESS, InProcess, Server, app_for, ready
from tests.api.test_reception import BOOK, SLOTS
from tests.conftest import MASTER_KEY, Entropy

MOSCOW = ZoneInfo("Europe/Moscow")
NOON = datetime(2026, 11, 5, 12, 0, tzinfo=MOSCOW)  # a Thursday, a working day
TASKS = (
    "query($officeId: String!) { tasks(officeId: $officeId, first: 100) "
    "{ edges { node { caseNumber openedAt state } } } }"
)


def run_demo(url: str, now: datetime, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("OKNO_DATABASE_URL", url)
    monkeypatch.setenv("OKNO_MASTER_KEY", base64.b64encode(MASTER_KEY).decode())
    result = CliRunner().invoke(demo_command, ["--applications", "40", "--now", now.isoformat(), *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


@contextmanager
def served_at(url: str, now: datetime) -> Iterator[Server]:
    """The API over the demo's store, its clock at ``now`` from the start (so the server
    itself writes nothing later either)."""
    offset = [now - datetime.now(UTC)]
    app = app_for(url, offset)
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(app.router.lifespan_context(app)):
        transport = InProcess(app, portal)
        with httpx.Client(base_url=IN_PROCESS, transport=transport, timeout=30) as http:
            ready(http)
            yield Server(IN_PROCESS, Tokens(MASTER_KEY, None), url, offset, http, asgi=transport)


def office_with_work(url: str) -> str:
    """An office whose work list the demo left something in (visitors spread over 164
    offices, so which one is the draw's)."""
    engine = new_engine(parse_url(url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        for summary in sorted(scan_cases(engine).values(), key=lambda s: s.number):
            if summary.status == "open" and engine.get_case(summary.number).open_tasks:
                return summary.office
    finally:
        engine.close()
    raise AssertionError("the demo left nothing in any work list")


def store_ends_at(url: str) -> datetime | None:
    engine = new_engine(parse_url(url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        return last_moment(engine)
    finally:
        engine.close()


def test_after_the_demo_at_noon_a_slot_later_today_books_and_nothing_is_later_than_noon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'okno.sqlite'}"
    output = run_demo(url, NOON, monkeypatch)
    assert "2026-11-05 (up to 12:00): " in output, output
    ended = store_ends_at(url)
    assert ended is not None and NOON - timedelta(hours=2) < ended <= NOON, ended

    with served_at(url, NOON) as server:
        today = NOON.date().isoformat()
        slots = server.run(None, SLOTS, officeId="LPK", service="rosreestr_ownership", **{"from": today}, to=today)
        later = [s for s in slots["slots"] if datetime.fromisoformat(s["start"]) > NOON + timedelta(hours=1)]
        assert later, slots
        slot = later[0]["id"]
        wanted = {"officeId": "LPK", "serviceCode": "rosreestr_ownership", "slotId": slot, "channel": "portal"}
        booked = server.run("integrator", BOOK, input=wanted)["bookAppointment"]
        assert booked["__typename"] == "AppointmentPayload", booked

        office = office_with_work(url)
        tasks = server.run("supervisor", TASKS, office=office, officeId=office)["tasks"]["edges"]
        assert tasks, f"the demo left nothing in {office}'s work list"
        opened = [datetime.fromisoformat(t["node"]["openedAt"]) for t in tasks]
        assert max(opened) <= NOON, opened  # every wait in the work list is zero or more
