"""Reception's read models: free slots leave out what is booked, the live queue shows who
waits and who is at which window, and every called visit's wait is measured against the
regulations' cap — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.catalog import Service
from engine.errors import InvalidInput, UnknownOffice
from engine.reception.slots import slot_id
from engine.reception_desk import Reception
from projections.queries import office_ranking
from projections.reader import Reader
from projections.reception import live_queue, slots, waiting_figures
from projections.runner import Projector
from tests.conftest import MINI_SERVICE, T0, BackendContract, EngineMaker, seeded

MSK = ZoneInfo("Europe/Moscow")
DAY = date(2026, 11, 3)


def local(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 3, hour, minute, tzinfo=MSK)


class TestReceptionModels(BackendContract):
    def test_slots_queue_and_waiting_figures_follow_the_office_day(self, engines: EngineMaker) -> None:
        engine = seeded(
            engines(),
            services=[
                MINI_SERVICE,
                Service("long", "Долгая", "МВД", "federal", 5, (), 0, "mini", reception_minutes=30),
            ],
        )
        reception = Reception(engine)
        projector = Projector(engine)
        reader = Reader(projector)
        projector.catch_up()
        free = slots(reader, "LPK", "mini_service", DAY, DAY, T0)
        assert len(free) == 3 * 48

        booked = reception.book(
            office="LPK",
            service="mini_service",
            slot=slot_id("LPK", 8, local(10)),
            channel="call_centre",
            applicant={},
            actor="cc",
            at=T0,
        )
        reception.book(
            office="LPK",
            service="long",
            slot=slot_id("LPK", 9, local(11)),
            channel="portal",
            applicant={},
            actor="portal",
            at=T0,
        )
        projector.catch_up()
        after = {s.id for s in slots(reader, "LPK", "mini_service", DAY, DAY, T0)}
        assert len(after) == 3 * 48 - 3  # 10:00 at window 8; 11:00 and 11:15 under the 30-minute booking
        assert slot_id("LPK", 8, local(10)) not in after and slot_id("LPK", 9, local(11, 15)) not in after
        # Slots already past are not offered: at 10:05 that day, only later ones remain.
        assert all(s.start >= local(10, 5) for s in slots(reader, "LPK", "mini_service", DAY, DAY, local(10, 5)))

        walk_in = reception.issue_ticket(office="LPK", service="mini_service", actor="terminal", at=local(9, 30))
        reception.call_next(office="LPK", window=1, actor="LPK/op", at=local(9, 50))  # walk-in: 20 min
        with_booking = reception.issue_ticket(office="LPK", appointment=booked.code, actor="terminal", at=local(9, 55))
        late = reception.issue_ticket(office="LPK", service="mini_service", actor="terminal", at=local(9, 58))
        reception.call_next(office="LPK", window=8, actor="LPK/op", at=local(10, 3))  # booked: 3 min
        projector.catch_up()
        queue = live_queue(reader, "LPK", DAY)
        assert [t["id"] for t in queue.waiting] == [late.id]
        assert [(t["id"], t["window_no"]) for t in queue.serving] == [(with_booking.id, 8), (walk_in.id, 1)]

        reception.end_visit(walk_in.id, "consultation", actor="LPK/op", at=local(10, 10))
        reception.open_case(with_booking.id, applicant={"full_name": "Сидоров С. С."}, actor="LPK/op", at=local(10, 20))
        projector.catch_up()
        [figures] = waiting_figures(reader, DAY, DAY, "LPK")
        assert (figures.visits, figures.within_cap, figures.booked, figures.booked_within_cap) == (2, 1, 1, 1)
        assert figures.median_wait_minutes == 11.5 and figures.outcomes == {"consultation": 1, "case_opened": 1}
        assert live_queue(reader, "LPK", DAY).done == 2
        rank = office_ranking(reader, DAY, DAY)[0]
        assert (rank.visits, rank.waiting_share) == (2, 0.5)
        statuses = {r["code"]: r["status"] for r in reader.rows("SELECT code, status FROM rm_appointments")}
        assert statuses[booked.code] == "arrived"

    def test_bad_questions_are_typed_errors(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        projector = Projector(engine)
        projector.catch_up()
        reader = Reader(projector)
        with pytest.raises(UnknownOffice):
            slots(reader, "XXX", "mini_service", DAY, DAY, T0)
        with pytest.raises(InvalidInput):
            slots(reader, "LPK", "mini_service", DAY, date(2026, 12, 31), T0)
        with pytest.raises(InvalidInput):
            slots(reader, "LPK", "mini_service", DAY, date(2026, 11, 1), T0)
        with pytest.raises(UnknownOffice):
            live_queue(reader, "XXX", DAY)
