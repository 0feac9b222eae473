"""Time in expressions: the case's own time (the time of the event being applied, never
the wall clock) and working-day arithmetic on the Russian production calendar, so a
model can say "two working days from now" in a timer."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from engine.errors import ExpressionError
from engine.working_days import add_working_days as _add_working_days

ZONE = ZoneInfo("Europe/Moscow")  # the region's zone; offices carry their own for reports


def now(moment: datetime | None) -> str:
    """The case's current time, ISO 8601 (the interpreter passes the case's time)."""
    if moment is None:
        raise ExpressionError("now() is the time of a case: it is only available while a case runs")
    return moment.astimezone(ZONE).isoformat()


def add_working_days(moment: str, days: int) -> str:
    """``moment`` plus ``days`` working days, at the same time of day (ISO 8601)."""
    if not isinstance(moment, str) or not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 366:
        raise ExpressionError("add_working_days(moment, days) takes an ISO date-time and 0–366 days")
    try:
        start = datetime.fromisoformat(moment)
    except ValueError:
        raise ExpressionError(f"{moment!r} is not an ISO date-time") from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZONE)
    local = start.astimezone(ZONE)
    day = _add_working_days(local.date(), days)
    return datetime.combine(day, local.timetz()).isoformat()
