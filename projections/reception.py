"""Questions asked of reception's read models: free slots, an office's live queue, and
how long visitors waited against the regulations' caps."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine.catalog import Service
from engine.errors import InvalidInput, UnknownOffice, UnknownService
from engine.input_checks import CODE, Maybe, checked
from engine.offices import Office
from engine.reception.slots import Booked, Slot, free_slots
from projections.reader import Reader

MAX_SLOT_DAYS = 31  # one question covers at most a month of days


# Read by office and service from the API and the CLI: the same checks as commands (engine.input_checks).
@checked(office=CODE, service=CODE)
def slots(reader: Reader, office: str, service: str, since: date, until: date, now: datetime) -> list[Slot]:
    """Free slots for a service at an office, day by day, none before ``now``."""
    if until < since:
        raise InvalidInput("the period of days ends before it starts")
    if (until - since).days >= MAX_SLOT_DAYS:
        raise InvalidInput(f"ask for at most {MAX_SLOT_DAYS} days of slots at once")
    offices = reader.rows("SELECT config FROM rm_reception_offices WHERE code = ?", (office,))
    if not offices:
        raise UnknownOffice(office)
    services = reader.rows("SELECT config FROM rm_reception_services WHERE code = ?", (service,))
    if not services:
        raise UnknownService(service)
    where = Office.from_dict(json.loads(offices[0]["config"]))
    what = Service.from_dict(json.loads(services[0]["config"]))
    held: dict[str, list[Booked]] = {}
    for row in reader.rows(
        "SELECT day, window_no, start_at, end_at FROM rm_appointments WHERE office = ? "
        "AND day BETWEEN ? AND ? AND status <> 'cancelled'",
        (office, since.isoformat(), until.isoformat()),
    ):
        held.setdefault(row["day"], []).append(
            Booked(row["window_no"], datetime.fromisoformat(row["start_at"]), datetime.fromisoformat(row["end_at"]))
        )
    found: list[Slot] = []
    day = since
    while day <= until:
        found += free_slots(where, what, day, held.get(day.isoformat(), []), now)
        day += timedelta(days=1)
    return found


@dataclass(frozen=True)
class LiveQueue:
    office: str
    day: str
    waiting: list[dict[str, Any]]  # in order of arrival
    serving: list[dict[str, Any]]  # called to a window, visit not ended; latest call first
    done: int


@checked(office=CODE)
def office_today(reader: Reader, office: str, now: datetime) -> date:
    """Today in the office's own time zone (a queue is a local day's)."""
    rows = reader.rows("SELECT timezone FROM rm_offices WHERE code = ?", (office,))
    return now.astimezone(ZoneInfo(rows[0]["timezone"] if rows else "Europe/Moscow")).date()


@checked(office=CODE)
def live_queue(reader: Reader, office: str, day: date) -> LiveQueue:
    if not reader.rows("SELECT code FROM rm_reception_offices WHERE code = ?", (office,)):
        raise UnknownOffice(office)
    rows = reader.rows(
        "SELECT * FROM rm_tickets WHERE office = ? AND day = ? AND state <> 'done' ORDER BY arrived_at, id",
        (office, day.isoformat()),
    )
    done = reader.rows(
        "SELECT COUNT(*) AS n FROM rm_tickets WHERE office = ? AND day = ? AND state = 'done'",
        (office, day.isoformat()),
    )[0]["n"]
    serving = sorted((r for r in rows if r["state"] == "called"), key=lambda r: r["called_at"], reverse=True)
    return LiveQueue(office, day.isoformat(), [r for r in rows if r["state"] == "waiting"], serving, int(done))


@dataclass
class WaitingFigures:
    office: str | None
    visits: int = 0  # tickets called to a window
    within_cap: int = 0  # of them, called within 15 minutes (5 with a booking)
    booked: int = 0
    booked_within_cap: int = 0
    median_wait_minutes: float | None = None
    p90_wait_minutes: float | None = None
    median_service_minutes: float | None = None
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def within_cap_share(self) -> float | None:
        return self.within_cap / self.visits if self.visits else None


@checked(office=Maybe(CODE))
def waiting_figures(
    reader: Reader, since: date, until: date, office: str | None = None, *, per_office: bool = True
) -> list[WaitingFigures]:
    """Visits called to a window in the period and how long they waited: per office (or
    for the one named), or for the whole region as one figure (``per_office=False``)."""
    if since > until:
        raise InvalidInput("the period starts after it ends")
    sql = (
        "SELECT office, appointment, waited_seconds, served_seconds, within_cap, outcome FROM rm_tickets "
        "WHERE called_at IS NOT NULL AND day BETWEEN ? AND ?"
    )
    params: tuple[Any, ...] = (since.isoformat(), until.isoformat())
    if office is not None:
        sql += " AND office = ?"
        params += (office,)
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for row in reader.rows(sql, params):
        groups.setdefault(row["office"] if per_office else None, []).append(row)
    return [_figures(code, rows) for code, rows in sorted(groups.items(), key=lambda g: g[0] or "")]


def _figures(office: str | None, rows: list[dict[str, Any]]) -> WaitingFigures:
    waits = sorted(r["waited_seconds"] / 60 for r in rows)
    served = [r["served_seconds"] / 60 for r in rows if r["served_seconds"] is not None]
    outcomes: dict[str, int] = {}
    for r in rows:
        if r["outcome"]:
            outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    booked = [r for r in rows if r["appointment"]]
    return WaitingFigures(
        office=office,
        visits=len(rows),
        within_cap=sum(int(r["within_cap"]) for r in rows),
        booked=len(booked),
        booked_within_cap=sum(int(r["within_cap"]) for r in booked),
        median_wait_minutes=round(statistics.median(waits), 1),
        p90_wait_minutes=round(waits[min(len(waits) - 1, int(0.9 * len(waits)))], 1),
        median_service_minutes=round(statistics.median(served), 1) if served else None,
        outcomes=outcomes,
    )
