"""Questions asked of the read models: what an office and a manager see (figures).

Nothing here reads an aggregate; everything reads rows the projections wrote.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from engine.errors import InvalidInput
from engine.input_checks import CODE, LINE, Maybe, checked
from engine.reception.queue import WAIT_CAP_BOOKED_MINUTES, WAIT_CAP_MINUTES
from projections.reader import Reader


@dataclass
class Dashboard:
    office: str
    today: str
    open_cases: int = 0
    due_today: int = 0
    overdue: int = 0
    tasks_by_role: dict[str, int] = field(default_factory=dict)
    opened_per_day: dict[str, int] = field(default_factory=dict)
    completed_per_day: dict[str, int] = field(default_factory=dict)
    lead_time_days: dict[str, tuple[float, float]] = field(default_factory=dict)  # service -> (median, p90)


@checked(office=CODE)
def office_dashboard(reader: Reader, office: str, today: date, days: int = 14) -> Dashboard:
    day = today.isoformat()
    since = (today - timedelta(days=days)).isoformat()
    board = Dashboard(office, day)
    counts = reader.rows(
        "SELECT SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS open_cases, "
        "SUM(CASE WHEN status = 'open' AND deadline = ? THEN 1 ELSE 0 END) AS due_today, "
        "SUM(CASE WHEN status = 'open' AND deadline < ? THEN 1 ELSE 0 END) AS overdue "
        "FROM rm_cases WHERE office = ?",
        (day, day, office),
    )[0]
    board.open_cases, board.due_today, board.overdue = (
        int(counts[k] or 0) for k in ("open_cases", "due_today", "overdue")
    )
    board.tasks_by_role = {
        r["role"] or "-": int(r["n"])
        for r in reader.rows(
            "SELECT role, COUNT(*) AS n FROM rm_tasks WHERE office = ? GROUP BY role ORDER BY role", (office,)
        )
    }
    board.opened_per_day = {
        r["opened_day"]: int(r["n"])
        for r in reader.rows(
            "SELECT opened_day, COUNT(*) AS n FROM rm_cases WHERE office = ? AND opened_day >= ? "
            "GROUP BY opened_day ORDER BY opened_day",
            (office, since),
        )
    }
    board.completed_per_day = {
        r["closed_day"]: int(r["n"])
        for r in reader.rows(
            "SELECT closed_day, COUNT(*) AS n FROM rm_cases WHERE office = ? AND closed_day >= ? "
            "GROUP BY closed_day ORDER BY closed_day",
            (office, since),
        )
    }
    leads: dict[str, list[float]] = defaultdict(list)
    for r in reader.rows(
        "SELECT service, opened_at, closed_at FROM rm_cases WHERE office = ? AND status = 'completed'", (office,)
    ):
        span = datetime.fromisoformat(r["closed_at"]) - datetime.fromisoformat(r["opened_at"])
        leads[r["service"]].append(span.total_seconds() / 86400)
    board.lead_time_days = {
        service: (round(statistics.median(values), 2), round(_percentile(values, 0.9), 2))
        for service, values in sorted(leads.items())
    }
    return board


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


@dataclass
class ServiceFigures:
    service: str
    title: str
    applications: int
    completed: int
    on_time_share: float | None
    same_period_last_year: int
    growth: float | None


@checked(month=CODE, office=Maybe(CODE), district=Maybe(LINE))
def service_statistics(
    reader: Reader, month: str, office: str | None = None, district: str | None = None
) -> list[ServiceFigures]:
    """Applications per service in a month (YYYY-MM), optionally for one office or district,
    with the share completed on time and growth against the same month a year before."""
    try:
        year, number = (int(part) for part in month.split("-"))
        date(year, number, 1)
    except ValueError:
        raise InvalidInput(f"month {month!r} is not YYYY-MM") from None
    last_year = f"{year - 1:04d}-{number:02d}"
    where, params = "", []
    if office:
        where += " AND c.office = ?"
        params.append(office)
    if district:
        where += " AND c.district = ?"
        params.append(district)

    def figures(prefix: str) -> dict[str, dict[str, Any]]:
        rows = reader.rows(
            "SELECT c.service, COALESCE(s.title, c.service) AS title, COUNT(*) AS applications, "
            "SUM(CASE WHEN c.status = 'completed' THEN 1 ELSE 0 END) AS completed, "
            "SUM(CASE WHEN c.status = 'completed' AND COALESCE(c.ready_day, c.closed_day) <= c.deadline "
            "THEN 1 ELSE 0 END) AS on_time "
            "FROM rm_cases c LEFT JOIN rm_services s ON s.code = c.service "
            f"WHERE c.opened_day LIKE ?{where} GROUP BY c.service, s.title",
            (f"{prefix}-%", *params),
        )
        return {r["service"]: r for r in rows}

    now, before = figures(month), figures(last_year)
    result = []
    for code, r in now.items():
        previous = int(before[code]["applications"]) if code in before else 0
        completed = int(r["completed"] or 0)
        result.append(
            ServiceFigures(
                service=code,
                title=r["title"],
                applications=int(r["applications"]),
                completed=completed,
                on_time_share=round(int(r["on_time"] or 0) / completed, 3) if completed else None,
                same_period_last_year=previous,
                growth=round(int(r["applications"]) / previous - 1, 3) if previous else None,
            )
        )
    return sorted(result, key=lambda f: (-f.applications, f.service))


@dataclass
class OfficeRank:
    rank: int
    office: str
    name: str
    score: float
    on_time_share: float | None
    rating: float | None  # mean of all criteria, 1–5
    ratings: int
    complaints: int
    complaint_rate: float | None  # complaints per case opened
    visits: int = 0  # visitors called to a window from the queue
    waiting_share: float | None = None  # of them, called within 15 minutes (5 with a booking)


# The weights of the office ranking; README.md ("Office ranking") explains them.
WEIGHT_ON_TIME, WEIGHT_RATING, WEIGHT_COMPLAINTS, WEIGHT_WAITING = 0.4, 0.25, 0.15, 0.2
COMPLAINT_RATE_FLOOR = 0.10  # at 10 % complaints per case the complaint component is 0
PRIOR_WEIGHT = 20  # cases (or ratings) worth of the region's average mixed into each office's figure


@dataclass
class RankingFormula:
    """The constants of the office ranking, as data: pages show the formula from these, so
    the figures they explain are the ones office_ranking used."""

    on_time_weight: float = WEIGHT_ON_TIME
    rating_weight: float = WEIGHT_RATING
    complaints_weight: float = WEIGHT_COMPLAINTS
    waiting_weight: float = WEIGHT_WAITING
    prior_weight: int = PRIOR_WEIGHT
    complaint_rate_floor: float = COMPLAINT_RATE_FLOOR
    wait_cap_minutes: int = WAIT_CAP_MINUTES
    booked_wait_cap_minutes: int = WAIT_CAP_BOOKED_MINUTES


def office_ranking(reader: Reader, since: date, until: date) -> list[OfficeRank]:
    """Offices ranked on on-time delivery, citizens' ratings, complaints and waiting in the
    queue in a period; a terminal point receives nobody and is not ranked."""
    if since > until:
        raise InvalidInput("the period starts after it ends")
    first, last = since.isoformat(), until.isoformat()
    offices = {r["code"]: r["name"] for r in reader.rows("SELECT code, name FROM rm_offices WHERE kind <> 'terminal'")}
    closed = {
        r["office"]: r
        for r in reader.rows(
            "SELECT office, COUNT(*) AS closed, "
            "SUM(CASE WHEN COALESCE(ready_day, closed_day) <= deadline THEN 1 ELSE 0 END) AS on_time "
            "FROM rm_cases WHERE status = 'completed' AND closed_day BETWEEN ? AND ? GROUP BY office",
            (first, last),
        )
    }
    opened = {
        r["office"]: int(r["n"])
        for r in reader.rows(
            "SELECT office, COUNT(*) AS n FROM rm_cases WHERE opened_day BETWEEN ? AND ? GROUP BY office", (first, last)
        )
    }
    ratings = {
        r["office"]: r
        for r in reader.rows(
            "SELECT office, COUNT(*) AS n, AVG((waiting_time + staff + premises + information) / 4.0) AS mean "
            "FROM rm_ratings WHERE rated_day BETWEEN ? AND ? GROUP BY office",
            (first, last),
        )
    }
    complaints = {
        r["office"]: int(r["n"])
        for r in reader.rows(
            "SELECT office, COUNT(*) AS n FROM rm_complaints WHERE filed_day BETWEEN ? AND ? GROUP BY office",
            (first, last),
        )
    }
    waits = {
        r["office"]: r
        for r in reader.rows(
            "SELECT office, COUNT(*) AS n, SUM(within_cap) AS kept FROM rm_tickets "
            "WHERE called_at IS NOT NULL AND day BETWEEN ? AND ? GROUP BY office",
            (first, last),
        )
    }

    # Region-wide figures: the prior every office is pulled towards while it has few cases
    # or ratings, so one lucky rating does not put a village office at the top.
    all_closed = sum(int(c["closed"]) for c in closed.values())
    region_on_time = sum(int(c["on_time"] or 0) for c in closed.values()) / all_closed if all_closed else 1.0
    all_rated = sum(int(r["n"]) for r in ratings.values())
    region_rating = sum(float(r["mean"]) * int(r["n"]) for r in ratings.values()) / all_rated if all_rated else 3.0
    all_visits = sum(int(w["n"]) for w in waits.values())
    region_waiting = sum(int(w["kept"] or 0) for w in waits.values()) / all_visits if all_visits else 1.0

    scored = []
    for office in offices:
        c, r, n = closed.get(office), ratings.get(office), opened.get(office, 0)
        closed_n, on_time_n = (int(c["closed"]), int(c["on_time"] or 0)) if c else (0, 0)
        rated_n, mean = (int(r["n"]), float(r["mean"])) if r else (0, None)
        filed = complaints.get(office, 0)
        w = waits.get(office)
        visits_n, within_n = (int(w["n"]), int(w["kept"] or 0)) if w else (0, 0)
        waiting_part = (within_n + PRIOR_WEIGHT * region_waiting) / (visits_n + PRIOR_WEIGHT)
        on_time_part = (on_time_n + PRIOR_WEIGHT * region_on_time) / (closed_n + PRIOR_WEIGHT)
        rating_part = ((mean or 0) * rated_n + PRIOR_WEIGHT * region_rating) / (rated_n + PRIOR_WEIGHT)
        rate = filed / n if n else 0.0
        complaint_part = max(0.0, 1 - rate / COMPLAINT_RATE_FLOOR)
        score = 100 * (
            WEIGHT_ON_TIME * on_time_part
            + WEIGHT_RATING * (rating_part - 1) / 4
            + WEIGHT_COMPLAINTS * complaint_part
            + WEIGHT_WAITING * waiting_part
        )
        scored.append(
            (
                round(score, 2),
                office,
                on_time_n / closed_n if closed_n else None,
                mean,
                rated_n,
                filed,
                filed / n if n else None,
                visits_n,
                within_n / visits_n if visits_n else None,
            )
        )
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [
        OfficeRank(
            rank=i + 1,
            office=office,
            name=offices[office],
            score=score,
            on_time_share=None if on_time is None else round(on_time, 3),
            rating=None if mean is None else round(mean, 2),
            ratings=count,
            complaints=filed,
            complaint_rate=None if rate is None else round(rate, 4),
            visits=visits,
            waiting_share=None if waited is None else round(waited, 3),
        )
        for i, (score, office, on_time, mean, count, filed, rate, visits, waited) in enumerate(scored)
    ]


# A case is on time when its result was ready (waiting to be handed out, or the case
# closed) by its regulated deadline: rm_cases.ready_day, projections/cases.py.
ON_TIME = "COALESCE(ready_day, closed_day) <= deadline"


@dataclass(frozen=True)
class TermFigures:
    """How cases kept their regulated terms in a period."""

    completed: int  # cases completed in the period
    on_time: int  # of them, with the result ready by the deadline
    overdue_open: int  # cases still open at the period's end, past their deadline with no result ready
    late_services: list[tuple[str, int, int]]  # (service, completed, on time), the worst share first

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.completed if self.completed else None


def term_figures(reader: Reader, since: date, until: date, worst: int = 3) -> TermFigures:
    """The region's on-time figures for cases completed between ``since`` and ``until``."""
    if since > until:
        raise InvalidInput("the period starts after it ends")
    rows = reader.rows(
        f"SELECT service, COUNT(*) AS n, SUM(CASE WHEN {ON_TIME} THEN 1 ELSE 0 END) AS on_time FROM rm_cases "
        "WHERE status = 'completed' AND closed_day BETWEEN ? AND ? GROUP BY service",
        (since.isoformat(), until.isoformat()),
    )
    overdue = reader.rows(
        "SELECT COUNT(*) AS n FROM rm_cases WHERE status = 'open' AND ready_day IS NULL AND deadline < ?",
        (until.isoformat(),),
    )
    per_service = [(r["service"], int(r["n"]), int(r["on_time"] or 0)) for r in rows]
    late = sorted((s for s in per_service if s[2] < s[1]), key=lambda s: (s[2] / s[1], s[0]))[:worst]
    return TermFigures(
        completed=sum(s[1] for s in per_service),
        on_time=sum(s[2] for s in per_service),
        overdue_open=int(overdue[0]["n"] or 0),
        late_services=late,
    )
