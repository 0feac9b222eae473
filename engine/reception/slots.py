"""Slots: the times a booked visitor can be received at a window.

They follow from the office's hours and windows and the service's reception time: each
bookable window that serves the service offers back-to-back slots of that length from
the start of each open interval. A slot is free while no booking at that window
overlaps it. The same functions check a booking (the engine) and list free slots (the
read side), so both always agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from engine.catalog import Service
from engine.errors import InvalidInput, ServiceNotOffered, SlotTaken, SlotUnavailable
from engine.offices import Office
from engine.reception.hours import open_intervals
from engine.working_days import WorkingCalendar

BOOKING_HORIZON = timedelta(days=30)  # how far ahead a slot can be booked
_SLOT_ID = re.compile(r"^([A-Za-z0-9-]{1,32})/(\d{1,3})/(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})$")


@dataclass(frozen=True)
class Slot:
    office: str
    window: int
    start: datetime  # aware, in the office's time zone
    end: datetime

    @property
    def id(self) -> str:
        return slot_id(self.office, self.window, self.start)


@dataclass(frozen=True)
class Booked:
    """A booking that holds a window's time: what a new booking must not overlap."""

    window: int
    start: datetime
    end: datetime


def slot_id(office: str, window: int, start: datetime) -> str:
    """``OFFICE/WINDOW/YYYY-MM-DDTHH:MM`` in the office's local time: readable on a
    receipt and stable, so a retry names the same slot."""
    return f"{office}/{window}/{start.strftime('%Y-%m-%dT%H:%M')}"


def parse_slot_id(text: str, office: Office) -> tuple[int, datetime]:
    match = _SLOT_ID.match(text or "")
    if not match:
        raise InvalidInput(f"slot {text!r} is not a slot id (OFFICE/WINDOW/YYYY-MM-DDTHH:MM): take one from `slots`")
    code, window, local = match.groups()
    if code != office.code:
        raise InvalidInput(f"slot {text!r} belongs to office {code}, not {office.code}")
    try:
        start = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(office.timezone))
    except ValueError:
        raise InvalidInput(f"slot {text!r}: {local} is not a date and time") from None
    return int(window), start


def offered_windows(office: Office, service: Service) -> tuple[int, ...]:
    return tuple(w for w in office.bookable_windows if office.serves(w, service.code, service.agency))


def day_slots(office: Office, service: Service, day: date, calendar: WorkingCalendar | None = None) -> list[Slot]:
    """Every slot for the service at the office on a local day, booked or not."""
    length = timedelta(minutes=service.reception_minutes)
    slots: list[Slot] = []
    for window in offered_windows(office, service):
        for start, end in open_intervals(office, day, calendar):
            at = start
            while at + length <= end:
                slots.append(Slot(office.code, window, at, at + length))
                at += length
    slots.sort(key=lambda s: (s.start, s.window))
    return slots


def is_free(slot: Slot, booked: Iterable[Booked]) -> bool:
    return not any(b.window == slot.window and b.start < slot.end and slot.start < b.end for b in booked)


def free_slots(
    office: Office,
    service: Service,
    day: date,
    booked: Iterable[Booked],
    not_before: datetime,
    calendar: WorkingCalendar | None = None,
) -> list[Slot]:
    held = list(booked)
    return [s for s in day_slots(office, service, day, calendar) if s.start >= not_before and is_free(s, held)]


def check_slot(
    office: Office,
    service: Service,
    text: str,
    booked: Iterable[Booked],
    at: datetime,
    calendar: WorkingCalendar | None = None,
) -> Slot:
    """The slot a booking asks for, or the typed reason it cannot have it."""
    if not offered_windows(office, service):
        raise ServiceNotOffered(f"office {office.code} takes no bookings for {service.code!r}")
    window, start = parse_slot_id(text, office)
    if start < at:
        raise SlotUnavailable(f"slot {text} is in the past")
    if start - at > BOOKING_HORIZON:
        raise SlotUnavailable(f"slot {text} is more than {BOOKING_HORIZON.days} days ahead")
    if window not in offered_windows(office, service):
        raise ServiceNotOffered(f"window {window} of office {office.code} takes no bookings for {service.code!r}")
    slot = next(
        (s for s in day_slots(office, service, start.date(), calendar) if s.window == window and s.start == start), None
    )
    if slot is None:
        raise SlotUnavailable(
            f"slot {text} is outside the office's opening hours or off its "
            f"{service.reception_minutes}-minute grid for {service.code!r}"
        )
    if not is_free(slot, booked):
        raise SlotTaken(f"slot {text} is already taken: choose another from `slots`")
    return slot
