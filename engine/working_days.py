"""Working days on the Russian production calendar: the `holidays` library's RU calendar
(public holidays and the days off it knows were moved), corrected by an override file for
working Saturdays and decrees the library does not know yet (processes/calendar.toml, or
the file named by OKNO_CALENDAR_FILE)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import holidays

from engine.errors import OknoError


class CalendarInvalid(OknoError):
    code = "configuration"


@dataclass(frozen=True)
class WorkingCalendar:
    overrides: dict[date, bool] = field(default_factory=dict)  # day -> is it a working day

    @classmethod
    def from_toml(cls, text: str, source: str = "calendar.toml") -> WorkingCalendar:
        try:
            entries = tomllib.loads(text).get("day", [])
            return cls({date.fromisoformat(e["date"]): bool(e["working"]) for e in entries})
        except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as error:
            raise CalendarInvalid(f"{source}: {error}") from None

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return day.weekday() < 5 and day not in _holidays(day.year)

    def is_day_off_for_offices(self, day: date) -> bool:
        """Public holidays, and weekdays a decree made days off: every office is closed.
        (An ordinary Saturday is not one: centres open on Saturdays by their own hours.)"""
        if self.overrides.get(day) is False:
            return True
        return day in _holidays(day.year) and not self.overrides.get(day, False)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        candidate = day + timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += timedelta(days=1)
        return candidate

    def add_working_days(self, day: date, count: int) -> date:
        """The working day ``count`` working days after ``day`` (counted from the day after)."""
        for _ in range(count):
            day = self.next_working_day(day)
        return day


@lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("RU", years=year)


@lru_cache(maxsize=4)
def load_calendar(path: str | None) -> WorkingCalendar:
    if path:
        return WorkingCalendar.from_toml(Path(path).read_text(encoding="utf-8"), path)
    shipped = files("processes").joinpath("calendar.toml")
    return WorkingCalendar.from_toml(shipped.read_text(encoding="utf-8")) if shipped.is_file() else WorkingCalendar()


def default_calendar() -> WorkingCalendar:
    return load_calendar(os.environ.get("OKNO_CALENDAR_FILE"))


def is_working_day(day: date) -> bool:
    return default_calendar().is_working_day(day)


def next_working_day(day: date) -> date:
    return default_calendar().next_working_day(day)


def add_working_days(day: date, count: int) -> date:
    return default_calendar().add_working_days(day, count)
