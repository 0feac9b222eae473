"""Weekly opening hours as an office's set-up writes them ("08:00-13:00" spans by weekday),
and what is wrong with them. Pure text checks: when an office is actually open (its time
zone, breaks and the production calendar) is engine.reception.hours."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


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
