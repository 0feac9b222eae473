"""The demo's halls: a day's visitors through the real electronic queue, with no reads
of an office's day that a real operator would not make."""

from __future__ import annotations

import random
from datetime import date, datetime

from engine.catalog import Service, parse_catalog
from engine.offices import Office
from engine.reception_desk import Reception, Ticket
from okno.demo.hall import Halls, Visitor
from okno.demo.region import lipetsk_offices
from tests.conftest import ROOT, T0, EngineMaker, shipped_sources

DAY = date(2026, 11, 23)  # a Monday


class CountingReception(Reception):
    """The real reception desk, counting the windows called while the office's queue was empty."""

    empty_calls = 0
    calls = 0

    def call_next(
        self, *, office: str, window: int, actor: str, at: datetime, idempotency_key: str | None = None
    ) -> Ticket | None:
        day = self.day(office, DAY)
        self.calls += 1
        self.empty_calls += day is None or not day.waiting()
        return super().call_next(office=office, window=window, actor=actor, at=at, idempotency_key=idempotency_key)


def test_a_window_is_called_only_while_someone_waits_at_its_office(engines: EngineMaker) -> None:
    # Calling every free window after each event read the office's whole day each time,
    # most of them to learn nobody waited: at a region's volume, most of the hall's time.
    engine = engines()
    catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
    assert engine.deploy(shipped_sources(), T0).ok
    engine.publish_catalog(catalog, T0)
    engine.register_offices(lipetsk_offices(), T0)
    reception = CountingReception(engine)
    rng = random.Random(3)
    services = [Service.from_dict(s) for s in engine.directory().services.values()]
    halls = Halls(reception, rng, 3, DAY, services, None)
    office = next(o for o in map(Office.from_dict, engine.directory().offices.values()) if o.code == "LPK")
    visitors: list[Visitor] = []
    for index in range(12):
        visitor = halls.visitor(index, office, services[index % len(services)], index / 12)
        assert visitor is not None
        visitor.consultation = True  # a visit that ends at the window, with no case to drive
        visitors.append(visitor)
    halls.start(visitors, visitors, None)
    while halls.next_at() is not None:
        halls.step(lambda *_: None)
    report = halls.report
    assert report.tickets == report.consultations == 12
    assert reception.calls >= 12 and reception.empty_calls == 0
