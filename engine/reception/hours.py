"""When an office is open: weekly hours with breaks, in the office's own time zone, and
the production calendar's public holidays as days off."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from engine.offices import Office
from engine.opening_hours import WEEKDAYS, parse_span
from engine.working_days import WorkingCalendar, default_calendar

Interval = tuple[datetime, datetime]


def open_intervals(office: Office, day: date, calendar: WorkingCalendar | None = None) -> list[Interval]:
    """The office's open intervals on a local day (aware datetimes in its time zone)."""
    calendar = calendar or default_calendar()
    if calendar.is_day_off_for_offices(day):
        return []
    zone = ZoneInfo(office.timezone)
    spans = office.hours.get(WEEKDAYS[day.weekday()], ())
    return [
        (datetime.combine(day, start, zone), datetime.combine(day, end, zone))
        for start, end in (parse_span(text) for text in spans)
    ]


def is_open(office: Office, at: datetime, calendar: WorkingCalendar | None = None) -> bool:
    local = at.astimezone(ZoneInfo(office.timezone))
    return any(start <= local < end for start, end in open_intervals(office, local.date(), calendar))


def local_day(office: Office, at: datetime) -> date:
    return at.astimezone(ZoneInfo(office.timezone)).date()
