"""When an office is open: weekly hours with breaks, in the office's own time zone, and
the production calendar's public holidays as days off."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import InvalidInput
from engine.offices import WEEKDAYS, Office
from engine.working_days import WorkingCalendar, default_calendar

_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")

Interval = tuple[datetime, datetime]


def parse_span(text: str) -> tuple[time, time]:
    match = _SPAN.match(text)
    if not match:
        raise InvalidInput(f"opening hours {text!r}: write HH:MM-HH:MM, e.g. 08:00-13:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h2 == 24 and m2:
        raise InvalidInput(f"opening hours {text!r}: 24:00 is the latest end")
    start = time(h1, m1)
    end = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
    if end <= start:
        raise InvalidInput(f"opening hours {text!r}: the end is not after the start")
    return start, end


def hours_problems(hours: Mapping[str, tuple[str, ...] | list[str]], timezone: str) -> list[str]:
    """Everything wrong with an office's hours, for a clear error at registration."""
    problems: list[str] = []
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"unknown time zone {timezone!r}")
    for day, spans in hours.items():
        if day not in WEEKDAYS:
            problems.append(f"hours: {day!r} is not a weekday ({', '.join(WEEKDAYS)})")
            continue
        previous: time | None = None
        for text in spans:
            try:
                start, end = parse_span(text)
            except InvalidInput as error:
                problems.append(f"hours.{day}: {error}")
                continue
            if previous is not None and start < previous:
                problems.append(f"hours.{day}: {text} overlaps or precedes the interval before it")
            previous = end
    return problems


def open_intervals(office: Office, day: date, calendar: WorkingCalendar | None = None) -> list[Interval]:
    """The office's open intervals on a local day (aware datetimes in its time zone)."""
    calendar = calendar or default_calendar()
    if calendar.is_day_off_for_offices(day):
        return []
    zone = ZoneInfo(office.timezone)
    spans = office.hours.get(WEEKDAYS[day.weekday()], ())
    return [(datetime.combine(day, start, zone), datetime.combine(day, end, zone))
            for start, end in (parse_span(text) for text in spans)]


def is_open(office: Office, at: datetime, calendar: WorkingCalendar | None = None) -> bool:
    local = at.astimezone(ZoneInfo(office.timezone))
    return any(start <= local < end for start, end in open_intervals(office, local.date(), calendar))


def local_day(office: Office, at: datetime) -> date:
    return at.astimezone(ZoneInfo(office.timezone)).date()
