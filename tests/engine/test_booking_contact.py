"""A booking's contact follows the citizen into their case: once the case opens from the
appointment, the contact is sealed under the case's key alone, so shredding the case
leaves no copy that still opens under the appointment's own key (issue 18)."""

from __future__ import annotations

from uuid import uuid5

import pytest

from engine.application import Engine
from engine.reception.office_day import office_day_id
from engine.reception.slots import slot_id
from engine.reception_desk import Reception
from tests.conftest import MINI_SERVICE, OFFICE, T0, EngineMaker, seeded
from tests.engine.test_reception import PASSPORT, TUESDAY, VILLAGE, local

CONTACT = {"full_name": "Петрова Анна Сергеевна", "phone": "+7 904 111-22-33"}
STORED = {"full_name": "Петрова Анна Сергеевна", "phone": "+79041112233"}  # as the engine normalises it


@pytest.fixture
def engine(engines: EngineMaker) -> Engine:
    engine = seeded(engines(), services=[MINI_SERVICE, PASSPORT])
    engine.register_offices([OFFICE, VILLAGE], T0)
    return engine


def booked_visit(engine: Engine, applicant: dict[str, str]) -> tuple[Reception, str, str]:
    """A citizen who booked with their contact, came, and was called to a window."""
    reception = Reception(engine)
    code = reception.book(
        office="LPK",
        service="mini_service",
        slot=slot_id("LPK", 9, local(TUESDAY, 10, 0)),
        channel="portal",
        applicant=CONTACT,
        actor="portal",
        at=T0,
    ).code
    ticket = reception.issue_ticket(office="LPK", appointment=code, actor="terminal", at=local(TUESDAY, 9, 58))
    called = reception.call_next(office="LPK", window=1, actor="LPK/op1", at=local(TUESDAY, 10, 0))
    assert called is not None and called.id == ticket.id
    case = reception.open_case(ticket.id, applicant=applicant, actor="LPK/op1", at=local(TUESDAY, 10, 5))
    return reception, code, case.number


def appointment_copy(engine: Engine, reception: Reception, code: str) -> dict[str, str] | None:
    day = reception.day("LPK", TUESDAY)
    assert day is not None
    stored = day.appointments[code]["applicant"]
    return engine.vault.unseal(uuid5(office_day_id("LPK", TUESDAY), code), stored) if stored else None


def test_a_case_opened_from_a_booking_takes_its_contact_under_the_case_key(engine: Engine) -> None:
    reception, code, number = booked_visit(engine, {})
    assert engine.applicant(number) == STORED  # the window did not have to type it again
    assert appointment_copy(engine, reception, code) is None  # the appointment's own key is gone


def test_what_the_window_enters_wins_over_the_booking_contact(engine: Engine) -> None:
    _, _, number = booked_visit(engine, {"full_name": "Петрова А. С.", "email": "anna@example.ru"})
    assert engine.applicant(number) == {
        "full_name": "Петрова А. С.",
        "email": "anna@example.ru",
        "phone": STORED["phone"],
    }


def test_shredding_the_case_leaves_no_readable_copy_of_the_booking_contact(engine: Engine) -> None:
    reception, code, number = booked_visit(engine, {})
    engine.vault.shred(engine.get_case(number).id)
    assert engine.applicant(number) is None
    assert appointment_copy(engine, reception, code) is None
