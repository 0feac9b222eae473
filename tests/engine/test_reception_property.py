"""Property: for any sequence of reception commands — good and bad bookings, cancellations,
reschedules, tickets, calls and visit ends — each command records one event (none when
there is nothing to do) or is refused and records nothing; no two bookings ever overlap
at a window; a window serves one visitor at a time; and the day rebuilt from its stored
events is the day the commands decided."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.utils import get_topic
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.application import Engine
from engine.catalog import Service
from engine.errors import OknoError
from engine.reception.office_day import OfficeDay, office_day_id
from engine.reception.slots import slot_id
from engine.reception_desk import Reception
from tests.conftest import MINI_SERVICE, make_engine_factory, mini_sources, seeded

MSK = ZoneInfo("Europe/Moscow")
PASSPORT = Service("passport", "Паспорт", "МВД", "federal", 10, (), 0, "mini", reception_minutes=20)
WEEKS = itertools.count()

SLOT = st.tuples(
    st.integers(1, 3),
    st.sampled_from((2, 8, 9, 10, 11)),
    st.integers(7, 20),
    st.sampled_from((0, 10, 15, 20, 30, 40, 45)),
)
COMMAND = st.one_of(
    st.tuples(st.just("book"), SLOT, st.sampled_from(("mini_service", "passport"))),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("reschedule"), st.integers(0, 5), SLOT),
    st.tuples(
        st.just("ticket"),
        st.sampled_from(("mini_service", "mini_service", "passport", "nope")),
        st.sampled_from(("general", "general", "priority", "vip")),
        st.integers(-3, 3),
    ),
    st.tuples(st.just("call"), st.integers(0, 11)),
    st.tuples(st.just("call"), st.integers(1, 4)),
    st.tuples(st.just("end"), st.integers(0, 5), st.sampled_from(("consultation", "no_show", "case_opened"))),
    st.tuples(st.just("open"), st.integers(0, 5)),
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    make, made = make_engine_factory(f"sqlite:///{tmp_path_factory.mktemp('reception') / 'okno.sqlite'}")
    engine = seeded(make(), mini_sources(), [MINI_SERVICE, PASSPORT])
    yield engine
    for each in made:
        each.close()


def events(engine: Engine) -> int:
    return int(engine.store.recorder.max_notification_id() or 0)


def recorded_since(engine: Engine, position: int) -> int:
    started = get_topic(OfficeDay.Started)
    new = engine.store.recorder.select_notifications(position + 1, 100)
    return sum(1 for notification in new if notification.topic != started)


def run(
    reception: Reception, monday: date, at: datetime, command: tuple[Any, ...], codes: list[str], tickets: list[str]
) -> object:
    def slot(spec: tuple[int, int, int, int]) -> str:
        day, window, hour, minute = spec
        start = datetime.combine(monday + timedelta(days=day), datetime.min.time(), MSK).replace(
            hour=hour, minute=minute
        )
        return slot_id("LPK", window, start)

    def pick(items: list[str], index: int) -> str:
        return items[index % len(items)] if items else f"LPK-{monday:%Y%m%d}-001"

    kind = command[0]
    if kind == "book":
        booked = reception.book(
            office="LPK",
            service=command[2],
            slot=slot(command[1]),
            channel="portal",
            applicant={},
            actor="portal",
            at=at,
        )
        codes.append(booked.code)
        return booked
    if kind == "cancel":
        return reception.cancel(pick(codes, command[1]), "property", actor="portal", at=at)
    if kind == "reschedule":
        moved = reception.reschedule(pick(codes, command[1]), slot(command[2]), actor="portal", at=at)
        codes.append(moved.code)
        return moved
    if kind == "ticket":
        appointment = pick(codes, command[3]) if command[3] > 0 else None
        ticket = reception.issue_ticket(
            office="LPK",
            service=None if appointment else command[1],
            appointment=appointment,
            category=command[2],
            actor="terminal",
            at=at,
        )
        tickets.append(ticket.id)
        return ticket
    if kind == "call":
        return reception.call_next(office="LPK", window=command[1], actor="LPK/op", at=at)
    if kind == "end":
        return reception.end_visit(pick(tickets, command[1]), command[2], actor="LPK/op", at=at)
    return reception.open_case(pick(tickets, command[1]), applicant={"full_name": "Тест"}, actor="LPK/op", at=at)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(COMMAND, min_size=1, max_size=30))
def test_reception_commands_record_one_event_or_nothing_and_keep_the_day_consistent(
    engine: Engine, commands: list[tuple[Any, ...]]
) -> None:
    reception = Reception(engine)
    monday = date(2027, 2, 1) + timedelta(weeks=next(WEEKS))
    start = datetime.combine(monday + timedelta(days=1), datetime.min.time(), MSK).replace(hour=8, minute=30)
    codes: list[str] = []
    tickets: list[str] = []
    for index, command in enumerate(commands):
        at = start + timedelta(minutes=3 * index)
        before = events(engine)
        try:
            result = run(reception, monday, at, command, codes, tickets)
        except OknoError as error:
            assert events(engine) == before, f"{command} was refused but recorded something"
            event(f"{command[0]} refused: {type(error).__name__}")
            continue
        event(f"{command[0]} recorded")
        # One event per command, not counting the day's start: two for a reschedule (the old
        # booking cancelled, the new one made) and for a case opened at the window (the case,
        # and the visit it ends); none for a call when nobody waits.
        expected = {"call": 0 if result is None else 1, "open": 2, "reschedule": 2}.get(command[0], 1)
        assert recorded_since(engine, before) == expected, command

    for offset in range(4):
        day_id = office_day_id("LPK", monday + timedelta(days=offset))
        stored: list[Any] = list(engine.store.events.get(day_id))
        if not stored:
            continue
        rebuilt: Any = None
        for stored_event in stored:
            rebuilt = stored_event.mutate(rebuilt)
        assert isinstance(rebuilt, OfficeDay)
        cached = reception.day("LPK", monday + timedelta(days=offset))
        assert cached is not None and vars(rebuilt) == vars(cached), "the stored events rebuild the same day"
        held = [a for a in rebuilt.appointments.values() if a["status"] != "cancelled"]
        for a, b in itertools.combinations(held, 2):
            overlaps = a["window"] == b["window"] and a["start"] < b["end"] and b["start"] < a["end"]
            assert not overlaps, f"{a['code']} and {b['code']} hold one window's time"
        serving = [t for t in rebuilt.tickets.values() if t["state"] == "called"]
        assert len({t["window"] for t in serving}) == len(serving) == len(rebuilt.serving)
        for ticket in rebuilt.tickets.values():
            if ticket["state"] == "done":
                assert ticket["called_at"] <= ticket["ended_at"] and ticket["outcome"]
