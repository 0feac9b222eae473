"""Reception: slots from opening hours, bookings that never share a slot, and the queue's
calling order, with every refusal typed and recording nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.application import Engine
from engine.catalog import Service
from engine.errors import (
    AppointmentNotValid,
    IdempotencyKeyReused,
    InvalidInput,
    OfficeClosed,
    OknoError,
    ServiceNotOffered,
    SlotTaken,
    SlotUnavailable,
    UnknownAppointment,
    UnknownOffice,
    VisitNotInProgress,
    WindowBusy,
)
from engine.offices import Office
from engine.reception.hours import open_intervals
from engine.reception.office_day import office_day_id
from engine.reception.slots import day_slots, slot_id
from engine.reception_desk import Reception
from tests.conftest import MINI_SERVICE, OFFICE, T0, EngineMaker, mini_sources, seeded

MSK = ZoneInfo("Europe/Moscow")
TUESDAY = date(2026, 11, 3)
HOLIDAY = date(2026, 11, 4)  # День народного единства
PASSPORT = Service("passport", "Паспорт", "МВД", "federal", 10, ("Заявление",), 0, "mini", reception_minutes=20)
VILLAGE = Office(
    "VLG",
    "ТОСП с. Тестовое",
    "remote",
    "Липецк",
    2,
    parent="LPK",
    window_services={"1": ("mini_service",), "2": ("mini_service",)},
)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MSK)


@pytest.fixture
def engine(engines: EngineMaker) -> Engine:
    engine = seeded(engines(), services=[MINI_SERVICE, PASSPORT])
    engine.register_offices([OFFICE, VILLAGE], T0)
    return engine


@pytest.fixture
def reception(engine: Engine) -> Reception:
    return Reception(engine)


def events(engine: Engine) -> int:
    return int(engine.store.recorder.max_notification_id() or 0)


def book(
    reception: Reception,
    slot: str,
    *,
    at: datetime = T0,
    key: str | None = None,
    service: str = "mini_service",
    office: str = "LPK",
) -> str:
    return reception.book(
        office=office,
        service=service,
        slot=slot,
        channel="portal",
        applicant={"full_name": "Иванов И. И.", "phone": "+7 904 000-00-00"},
        actor="portal",
        at=at,
        idempotency_key=key,
    ).code


def test_slots_follow_hours_breaks_bookable_windows_and_the_services_reception_time() -> None:
    # A centre: 08:00–20:00 on weekdays; windows 8–10 of 10 take bookings (a third).
    assert OFFICE.bookable_windows == (8, 9, 10)
    slots = day_slots(OFFICE, MINI_SERVICE, TUESDAY)
    assert len(slots) == 3 * 48  # 12 hours of 15-minute slots at three windows
    assert slots[0].start == local(TUESDAY, 8) and slots[-1].end == local(TUESDAY, 20)
    assert len(day_slots(OFFICE, PASSPORT, TUESDAY)) == 3 * 36  # 20-minute reception
    # A remote office closes for lunch: no slot crosses 12:00–13:00.
    village = day_slots(VILLAGE, MINI_SERVICE, TUESDAY)
    assert village and not any(s.start < local(TUESDAY, 13) and s.end > local(TUESDAY, 12) for s in village)
    # Days off: a public holiday everywhere, Sunday for centres, Saturday for remote offices.
    assert open_intervals(OFFICE, HOLIDAY) == [] and day_slots(OFFICE, MINI_SERVICE, HOLIDAY) == []
    assert day_slots(OFFICE, MINI_SERVICE, date(2026, 11, 8)) == []
    assert day_slots(OFFICE, MINI_SERVICE, date(2026, 11, 7))  # Saturday 09:00–15:00
    assert day_slots(VILLAGE, MINI_SERVICE, date(2026, 11, 7)) == []
    # A window reserved for some services offers no slots for others.
    assert day_slots(VILLAGE, PASSPORT, TUESDAY) == []


def test_a_booking_holds_its_slot_and_is_answered_again_for_a_retry(reception: Reception, engine: Engine) -> None:
    slot = slot_id("LPK", 9, local(TUESDAY, 10, 15))
    code = book(reception, slot, key="portal-1")
    assert code == "LPK-20261103-001"
    appointment = reception.appointment(code)
    assert (appointment.window, appointment.start, appointment.end) == (
        9,
        local(TUESDAY, 10, 15),
        local(TUESDAY, 10, 30),
    )
    before = events(engine)
    assert book(reception, slot, key="portal-1") == code  # a retry: the same answer, nothing new
    with pytest.raises(SlotTaken):
        book(reception, slot)
    # A 20-minute passport slot at 10:00 would overlap 10:15 at the same window.
    with pytest.raises(SlotTaken):
        book(reception, slot_id("LPK", 9, local(TUESDAY, 10, 0)), service="passport")
    with pytest.raises(IdempotencyKeyReused):
        book(reception, slot_id("LPK", 9, local(TUESDAY, 11, 0)), key="portal-1")
    assert events(engine) == before


@pytest.mark.parametrize(
    ("slot", "error"),
    [
        ("LPK/9/2026-11-02T10:00", SlotUnavailable),  # in the past (T0 is 12:00 Moscow that day)
        ("LPK/9/2026-11-03T20:00", SlotUnavailable),  # after closing
        ("LPK/9/2026-11-03T10:07", SlotUnavailable),  # off the 15-minute grid
        ("LPK/9/2026-11-04T10:00", SlotUnavailable),  # a public holiday
        ("LPK/9/2026-12-31T10:00", SlotUnavailable),  # beyond the 30-day horizon
        ("LPK/2/2026-11-03T10:00", ServiceNotOffered),  # window 2 takes no bookings
        ("ELC/9/2026-11-03T10:00", InvalidInput),  # another office's slot
        ("tomorrow at ten", InvalidInput),
    ],
)
def test_a_slot_that_cannot_be_booked_is_refused_with_its_reason(
    reception: Reception, engine: Engine, slot: str, error: type[OknoError]
) -> None:
    before = events(engine)
    with pytest.raises(error):
        book(reception, slot)
    assert events(engine) == before


def test_an_office_that_does_not_offer_the_service_or_does_not_exist_is_refused(
    reception: Reception, engine: Engine
) -> None:
    before = events(engine)
    with pytest.raises(ServiceNotOffered):
        book(reception, slot_id("VLG", 2, local(TUESDAY, 9)), service="passport", office="VLG")
    with pytest.raises(UnknownOffice):
        book(reception, slot_id("XXX", 2, local(TUESDAY, 9)), office="XXX")
    assert events(engine) == before


def test_cancelling_frees_the_slot_and_rescheduling_moves_the_booking_in_one_step(reception: Reception) -> None:
    first = slot_id("LPK", 8, local(TUESDAY, 9))
    code = book(reception, first)
    assert reception.cancel(code, "plans changed", actor="call_centre", at=T0).status == "cancelled"
    with pytest.raises(AppointmentNotValid):
        reception.cancel(code, "twice", actor="call_centre", at=T0)
    again = book(reception, first)
    moved = reception.reschedule(
        again, slot_id("LPK", 10, local(TUESDAY + timedelta(days=2), 14)), actor="portal", at=T0
    )
    assert moved.start == local(date(2026, 11, 5), 14) and moved.status == "booked"
    assert reception.appointment(again).status == "cancelled"
    book(reception, first)  # the old slot is free again
    with pytest.raises(UnknownAppointment):
        reception.cancel("LPK-20261103-099", "no such", actor="portal", at=T0)


def test_the_queue_calls_booked_visitors_at_their_time_then_priority_then_in_order_of_arrival(
    reception: Reception, engine: Engine
) -> None:
    code = book(reception, slot_id("LPK", 9, local(TUESDAY, 10, 0)))
    issue = reception.issue_ticket
    first = issue(office="LPK", service="mini_service", actor="terminal", at=local(TUESDAY, 9, 40))
    priority = issue(
        office="LPK", service="mini_service", category="priority", actor="terminal", at=local(TUESDAY, 9, 45)
    )
    booked = issue(office="LPK", appointment=code, actor="terminal", at=local(TUESDAY, 9, 50))
    assert (first.number, priority.number, booked.number) == ("А001", "Л001", "З001")

    # 09:55: the booked visitor's time has not come: priority first, then the others in order.
    called = reception.call_next(office="LPK", window=1, actor="LPK/op1", at=local(TUESDAY, 9, 55))
    assert called is not None and called.id == priority.id and called.window == 1
    with pytest.raises(WindowBusy):
        reception.call_next(office="LPK", window=1, actor="LPK/op1", at=local(TUESDAY, 9, 56))
    # 10:00: the booked visitor goes before the general ticket that came earlier.
    called = reception.call_next(office="LPK", window=2, actor="LPK/op2", at=local(TUESDAY, 10, 0))
    assert called is not None and called.id == booked.id
    called = reception.call_next(office="LPK", window=3, actor="LPK/op3", at=local(TUESDAY, 10, 1))
    assert called is not None and called.id == first.id
    assert reception.call_next(office="LPK", window=4, actor="LPK/op4", at=local(TUESDAY, 10, 2)) is None

    # The visit ends with a consultation, or with a case opened at the window (one transaction).
    assert reception.end_visit(priority.id, "consultation", actor="LPK/op1", at=local(TUESDAY, 10, 5)).state == "done"
    with pytest.raises(VisitNotInProgress):
        reception.end_visit(priority.id, "consultation", actor="LPK/op1", at=local(TUESDAY, 10, 6))
    case = reception.open_case(
        booked.id, applicant={"full_name": "Петров П. П."}, actor="LPK/op2", at=local(TUESDAY, 10, 12)
    )
    ticket = reception.ticket(booked.id)
    assert (ticket.state, ticket.outcome, ticket.case_number) == ("done", "case_opened", case.number)
    assert engine.get_case(case.number).channel == "window"
    assert reception.appointment(code).status == "arrived"
    with pytest.raises(AppointmentNotValid):
        issue(office="LPK", appointment=code, actor="terminal", at=local(TUESDAY, 10, 13))


def test_tickets_are_refused_when_the_office_is_closed_or_the_request_is_wrong(
    reception: Reception, engine: Engine
) -> None:
    before = events(engine)
    with pytest.raises(OfficeClosed):
        reception.issue_ticket(office="LPK", service="mini_service", actor="terminal", at=local(HOLIDAY, 10))
    with pytest.raises(OfficeClosed):
        reception.issue_ticket(office="VLG", service="mini_service", actor="terminal", at=local(TUESDAY, 12, 30))
    with pytest.raises(ServiceNotOffered):
        reception.issue_ticket(office="VLG", service="passport", actor="terminal", at=local(TUESDAY, 10))
    with pytest.raises(InvalidInput):
        reception.issue_ticket(
            office="LPK", service="mini_service", category="vip", actor="terminal", at=local(TUESDAY, 10)
        )
    with pytest.raises(InvalidInput):
        reception.call_next(office="LPK", window=11, actor="LPK/op", at=local(TUESDAY, 10))
    assert events(engine) == before


def test_two_engines_booking_one_slot_record_one_booking(engines: EngineMaker) -> None:
    """Two processes' engines, each with its own cache, decide on the same day version:
    the second save is refused, it decides again and sees the slot taken."""
    first = seeded(engines(), mini_sources())
    second = engines()
    slot = slot_id("LPK", 8, local(TUESDAY, 15))
    a, b = Reception(first), Reception(second)
    a.day("LPK", TUESDAY), b.day("LPK", TUESDAY)  # both have looked at the (empty) day
    book(a, slot_id("LPK", 10, local(TUESDAY, 9)))  # the day exists now; b's view is stale
    assert book(a, slot).endswith("-002")
    with pytest.raises(SlotTaken):
        book(b, slot)
    day = a.day("LPK", TUESDAY)
    assert day is not None and day.id == office_day_id("LPK", TUESDAY)
    assert sum(1 for x in day.appointments.values() if x["window"] == 8) == 1


@pytest.mark.parametrize(
    "office",
    [
        Office("BAD", "Плохой", "centre", "Липецкий", 3, hours={"mon": ("20:00-08:00",)}),
        Office("BAD", "Плохой", "centre", "Липецкий", 3, hours={"funday": ("08:00-12:00",)}),
        Office("BAD", "Плохой", "centre", "Липецкий", 3, hours={"mon": ("8-12",)}),
        Office("BAD", "Плохой", "centre", "Липецкий", 3, hours={"mon": ("08:00-13:00", "12:00-17:00")}),
        Office("BAD", "Плохой", "centre", "Липецкий", 3, timezone="Europe/Lipetsk"),
        Office("BAD", "Плохой", "centre", "Липецкий", 3, window_services={"4": ("МВД",)}),
        Office("BAD", "Плохой", "centre", "Липецкий", 3, booking_windows=5),
        Office("BAD", "Плохой", "kiosk", "Липецк", 1, parent="LPK"),
        Office("BAD", "Плохой", "centre", "Липецк", 1, parent="LPK"),
        Office("BAD", "Плохой", "remote", "Липецк", 1),
        Office("BAD", "ТОСП в чужом районе", "remote", "Усманский", 1, parent="LPK"),
        Office("BAD", "ТОСП при ТОСП", "remote", "Липецк", 1, parent="VLG"),
        Office("BAD", "ТОСП без центра", "remote", "Липецк", 1, parent="NOPE"),
        Office("BAD", "Терминал с окном", "terminal", "Липецк", 1, parent="LPK", terminals=1),
        Office("BAD", "Терминал без терминала", "terminal", "Липецк", 0, parent="LPK"),
        Office("BAD", "Плохой", "centre", "Липецк", 1, terminals=-1),
    ],
)
def test_an_office_with_impossible_hours_windows_or_place_in_the_network_is_refused_at_registration(
    engine: Engine, office: Office
) -> None:
    before = events(engine)
    with pytest.raises(InvalidInput, match="BAD: "):
        engine.register_offices([office], T0)
    assert events(engine) == before and "BAD" not in engine.directory().offices


def test_a_window_that_serves_some_services_calls_only_their_visitors(reception: Reception, engine: Engine) -> None:
    special = Office("SPC", "МФЦ с окнами МВД", "centre", "Липецкий", 2, window_services={"1": ("МВД",)})
    engine.register_offices([special], T0)
    walk_in = reception.issue_ticket(office="SPC", service="mini_service", actor="terminal", at=local(TUESDAY, 9))
    assert reception.call_next(office="SPC", window=1, actor="SPC/op", at=local(TUESDAY, 9, 1)) is None
    passport = reception.issue_ticket(office="SPC", service="passport", actor="terminal", at=local(TUESDAY, 9, 2))
    called = reception.call_next(office="SPC", window=1, actor="SPC/op", at=local(TUESDAY, 9, 3))
    assert called is not None and called.id == passport.id  # it came later, but window 1 serves only МВД
    called = reception.call_next(office="SPC", window=2, actor="SPC/op", at=local(TUESDAY, 9, 4))
    assert called is not None and called.id == walk_in.id


def test_a_network_listing_an_office_twice_is_refused_whole(engine: Engine) -> None:
    before = events(engine)
    twice = [Office("TWO", "МФЦ", "centre", "Липецк", 2), Office("TWO", "МФЦ снова", "centre", "Липецк", 3)]
    with pytest.raises(InvalidInput, match="TWO: listed twice"):
        engine.register_offices(twice, T0)
    assert events(engine) == before and "TWO" not in engine.directory().offices


def test_a_terminal_point_takes_no_tickets_and_no_bookings_its_villagers_book_at_their_centre(
    reception: Reception, engine: Engine
) -> None:
    point = Office("VLG-I1", "Информационный терминал, с. Тестовое", "terminal", "Липецк", 0, parent="LPK", terminals=1)
    engine.register_offices([point], T0)
    with pytest.raises(InvalidInput, match="VLG-I1 is an information terminal point"):
        reception.issue_ticket(office="VLG-I1", service="mini_service", actor="VLG-I1/terminal", at=local(TUESDAY, 9))
    slot = day_slots(OFFICE, MINI_SERVICE, TUESDAY)[0]
    with pytest.raises(InvalidInput, match="booked at LPK"):
        reception.book(
            office="VLG-I1",
            service="mini_service",
            slot=slot_id("VLG-I1", slot.window, slot.start),
            channel="terminal",
            applicant={},
            actor="VLG-I1/terminal",
            at=local(TUESDAY, 8),
        )
    booked = reception.book(
        office="LPK",
        service="mini_service",
        slot=slot_id("LPK", slot.window, slot.start),
        channel="terminal",
        applicant={},
        actor="VLG-I1/terminal",
        at=local(TUESDAY, 8),
    )
    assert booked.code.startswith("LPK")
