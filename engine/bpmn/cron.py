"""Cron timer cycles, as Camunda 7 (Quartz: seconds first, ``?``, an optional year) and
Camunda 8 (Spring: seconds first) write them, and the classic five fields.

The next occurrence is computed by croniter from a time the caller gives (the case's
clock), never from the host's. A cron expression names wall-clock times, so it is read in
okno's zone (Europe/Moscow, where the offices are): ``0 0 9 * * ?`` is nine in the
morning at the office, whatever zone the server runs in."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from croniter import CroniterError, croniter

from engine.expressions.time_functions import ZONE

_FIELD = re.compile(r"^[0-9*?/,\-LW#A-Za-z]+$")


def is_cron(text: str) -> bool:
    """True for text shaped like a cron expression (five to seven fields), not ISO 8601."""
    fields = text.split()
    return (
        5 <= len(fields) <= 7
        and all(_FIELD.match(f) for f in fields)
        and not text.strip().upper().startswith(("R", "P"))
    )


def _croniter_form(expression: str) -> tuple[str, bool]:
    """croniter's form of the expression, and whether its seconds come first."""
    fields = expression.split()
    if len(fields) == 7:  # Quartz's year: okno's cases do not run for years, any year will do
        if fields[6] not in ("*", "?"):
            raise ValueError("a cron year other than * is not supported")
        fields = fields[:6]
    # Quartz's "no specific value" is "any" for croniter.
    fields = ["*" if f == "?" else f for f in fields]
    return " ".join(fields), len(fields) == 6


def problem(expression: str) -> str | None:
    """Why okno cannot run this cron expression, or None."""
    try:
        form, seconds_first = _croniter_form(expression)
        croniter(form, datetime(2026, 1, 1, tzinfo=ZONE), second_at_beginning=seconds_first).get_next(datetime)
    except (CroniterError, ValueError, KeyError) as error:
        return f"not a cron expression okno can run ({error})"
    return None


def next_after(expression: str, moment: datetime) -> datetime:
    """The first occurrence strictly after ``moment``, in UTC."""
    form, seconds_first = _croniter_form(expression)
    found: datetime = croniter(form, moment.astimezone(ZONE), second_at_beginning=seconds_first).get_next(datetime)
    return found.astimezone(UTC)
