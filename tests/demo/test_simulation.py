"""The simulated day is steppable by time: advanced in slices it does what it does at
once, records nothing later than where it stopped, and a later run goes on from where the
store's history ends without simulating any moment again."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.domain import DomainEvent

from engine.application import Engine
from engine.catalog import parse_catalog
from engine.reception_desk import Reception
from okno.demo.connectors import DemoWorker
from okno.demo.region import lipetsk_offices
from okno.demo.simulation import DayReport, Simulation, Timeline, last_moment, working_days_until
from tests.conftest import ROOT, T0, make_engine_factory, shipped_sources

MOSCOW = ZoneInfo("Europe/Moscow")
DAY = date(2026, 11, 5)  # a Thursday
NOON = datetime.combine(DAY, time(12, 0), MOSCOW)
EVENING = datetime.combine(DAY, time(23, 0), MOSCOW)


def region(path: Path) -> Engine:
    make, _ = make_engine_factory(f"sqlite:///{path}")
    engine = make()
    assert engine.deploy(shipped_sources(), T0).ok
    engine.publish_catalog(parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8")), T0)
    engine.register_offices(lipetsk_offices(), T0)
    return engine


def simulation(engine: Engine) -> Simulation:
    return Simulation(engine, seed=5, job_worker=DemoWorker(engine, seed=5))


def figures(report: DayReport) -> tuple[int, ...]:
    return (report.tickets, report.booked, report.opened, report.consultations, report.completed, report.commands)


@pytest.mark.slow  # two simulated days
def test_a_day_advanced_in_slices_does_what_it_does_at_once_and_never_records_past_a_slice(tmp_path: Path) -> None:
    whole = region(tmp_path / "whole.sqlite")
    at_once = simulation(whole).day(DAY, 25)
    at_once.advance(EVENING)
    sliced_engine = region(tmp_path / "sliced.sqlite")
    sliced = simulation(sliced_engine).day(DAY, 25)
    for hour in range(8, 24, 2):
        until = datetime.combine(DAY, time(hour, 0), MOSCOW)
        sliced.advance(until)
        ended = last_moment(sliced_engine)
        assert ended is not None and ended <= until, (ended, until)
    assert figures(sliced.report) == figures(at_once.report)
    assert at_once.done and sliced.done and at_once.report.opened > 10


@pytest.mark.slow  # a simulated day in two runs
def test_a_later_run_goes_on_from_noon_calls_who_waits_and_writes_nothing_before_noon(tmp_path: Path) -> None:
    engine = region(tmp_path / "okno.sqlite")
    morning = Timeline(simulation(engine), 60)
    [day] = morning.catch_up(NOON, 1, None)
    assert not day.done and day.report.tickets
    since = last_moment(engine)
    assert since is not None and since <= NOON
    head = engine.store.recorder.max_notification_id() or 0

    afternoon = Timeline(simulation(engine), 60)  # another run, as `okno demo` again at night
    [rest] = afternoon.catch_up(EVENING, 1, since)
    assert rest.day == DAY and rest.since == since and rest.done and rest.report.tickets
    for notification in engine.store.recorder.select_notifications(head + 1, 100_000):
        event = engine.store.mapper.to_domain_event(notification)
        assert isinstance(event, DomainEvent)
        stamp = event.timestamp
        assert since <= stamp <= EVENING, stamp  # no moment simulated twice, none past now
    reception = Reception(engine)
    for office in engine.directory().offices:
        left = reception.day(office, DAY)
        assert left is None or not left.waiting(), f"{office}: tickets left waiting at the end of the day"


def test_the_days_to_simulate_end_today_or_on_the_last_working_day() -> None:
    assert working_days_until(NOON, 2) == [date(2026, 11, 3), DAY]  # 4 November is a holiday
    saturday = datetime(2026, 11, 7, 12, 0, tzinfo=MOSCOW)
    assert working_days_until(saturday, 1) == [date(2026, 11, 6)]


@pytest.mark.parametrize(("term", "message", "late"), [(5, "smev_answer", 0.03), (3, "x", 0.03), (30, "x", 0.03)])
def test_simulated_agencies_answer_within_the_services_term_but_for_their_late_share(
    term: int, message: str, late: float
) -> None:
    sim = Simulation.__new__(Simulation)  # the chance reads only the terms: no store needed
    sim.terms = {"svc": term}
    chance = sim.answer_chance("svc", message)
    days = max(1, term - 2)
    assert 0 < chance <= 1
    assert (1 - chance) ** days == pytest.approx(late)


def test_rosreestr_answers_late_more_often_than_other_agencies() -> None:
    sim = Simulation.__new__(Simulation)
    sim.terms = {"svc": 9}
    assert sim.answer_chance("svc", "rosreestr_decision") < sim.answer_chance("svc", "mvd_answer")
