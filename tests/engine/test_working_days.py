"""Regulated terms count working days on the Russian production calendar."""

from __future__ import annotations

from datetime import date

import pytest

from engine.working_days import CalendarInvalid, WorkingCalendar, add_working_days, is_working_day


def test_weekends_and_public_holidays_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 11, 21))  # Saturday
    assert not is_working_day(date(2026, 11, 4))  # Unity Day
    assert not is_working_day(date(2026, 1, 7))  # Christmas, inside the New Year holidays
    assert is_working_day(date(2026, 11, 5))


def test_the_override_file_moves_days_the_library_does_not_know() -> None:
    assert is_working_day(date(2025, 11, 1))  # a working Saturday by decree
    assert not is_working_day(date(2025, 11, 3))  # the Monday it moved to


def test_a_term_counts_from_the_day_after_registration() -> None:
    # Registered on Friday 30 October 2026: 9 working days, skipping the weekend and 4 November.
    assert add_working_days(date(2026, 10, 30), 9) == date(2026, 11, 13)
    assert add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 12)  # 31 Dec and 1–10 Jan are off


def test_a_broken_override_file_is_a_clear_error() -> None:
    with pytest.raises(CalendarInvalid, match=r"calendar\.toml"):
        WorkingCalendar.from_toml('[[day]]\ndate = "not a date"\nworking = true\n')
