"""Working days on the Russian production calendar (the `holidays` library's RU
calendar, which includes the days the government moves)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("RU", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_working_day(day: date) -> date:
    """The first working day strictly after ``day``."""
    candidate = day + timedelta(days=1)
    while not is_working_day(candidate):
        candidate += timedelta(days=1)
    return candidate


def add_working_days(day: date, count: int) -> date:
    """The working day ``count`` working days after ``day`` (counted from the day after)."""
    for _ in range(count):
        day = next_working_day(day)
    return day
