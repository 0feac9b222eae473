"""The demo's halls: a simulated day of visitors through the real electronic queue.

Some visitors booked a slot the evening before (portal, call centre); the rest arrive
and take a ticket at a terminal. Each office staffs as many windows as its day's
visitors need; an operator calls the next ticket whenever a window is free, and the
visit ends with a case opened at the window or with a consultation. Every step is a real
reception command; the simulation only decides who arrives when and how long a
reception takes (with a seeded PRNG, so a demo run is reproducible).
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from engine.case import Case
from engine.catalog import Service
from engine.errors import OknoError
from engine.offices import Office
from engine.reception.hours import is_open, open_intervals
from engine.reception.slots import free_slots
from engine.reception_desk import Reception, held
from okno.demo.citizens import applicant

VISITORS_PER_OPERATOR = 16  # an operator's day at reception, with room for the peaks
BOOKED_SHARE = 0.25  # visitors who book ahead
NO_SHOW = 0.08  # booked visitors who do not come
PRIORITY_SHARE = 0.08  # visitors of a priority category
CONSULTATION_SHARE = 0.15  # visitors who only ask


@dataclass
class Visitor:
    index: int
    office: Office
    service: Service
    arrival: datetime
    category: str = "general"
    consultation: bool = False
    appointment: str | None = None
    came: bool = True


@dataclass
class HallReport:
    tickets: int = 0
    booked: int = 0
    consultations: int = 0
    commands: int = 0
    refused: dict[str, int] = field(default_factory=dict)

    def refuse(self, error: OknoError) -> None:
        self.refused[type(error).__name__] = self.refused.get(type(error).__name__, 0) + 1


OnCase = Callable[[Visitor, Case, datetime], None]


class Halls:
    def __init__(self, reception: Reception, rng: random.Random, seed: int, day: date) -> None:
        self.reception = reception
        self.rng = rng
        self.key = f"demo:{seed}:{day.isoformat()}"
        self.day = day
        self.report = HallReport()

    def visitor(self, index: int, office: Office, service: Service, share_of_day: float) -> Visitor | None:
        """A visitor arriving ``share_of_day`` into the office's open hours; None on a day it is closed."""
        intervals = open_intervals(office, self.day)
        total = sum((end - start for start, end in intervals), timedelta())
        offset = total * share_of_day
        for start, end in intervals:
            if offset < end - start:
                return Visitor(
                    index,
                    office,
                    service,
                    start + offset,
                    category="priority" if self.rng.random() < PRIORITY_SHARE else "general",
                    consultation=self.rng.random() < CONSULTATION_SHARE,
                )
            offset -= end - start
        return None

    def book_ahead(self, visitors: list[Visitor], evening_before: datetime) -> None:
        """Some visitors book the evening before: the first free slot from when they mean to
        come; they arrive up to ten minutes early, and a few do not come at all."""
        points: dict[str, list[str]] = {}  # centre -> its villages' terminal points
        for entry in self.reception.engine.directory().offices.values():
            if entry["kind"] == "terminal" and entry.get("parent"):
                points.setdefault(entry["parent"], []).append(entry["code"])
        for visitor in visitors:
            if visitor.consultation or self.rng.random() >= BOOKED_SHARE:
                continue
            day = self.reception.day(visitor.office.code, self.day)
            free = free_slots(visitor.office, visitor.service, self.day, held(day) if day else [], visitor.arrival)
            if not free:
                continue
            channel, actor = booking_channel(self.rng, visitor.office, points)
            try:
                booked = self.reception.book(
                    office=visitor.office.code,
                    service=visitor.service.code,
                    slot=free[0].id,
                    channel=channel,
                    applicant={},
                    actor=actor,
                    at=evening_before,
                    idempotency_key=f"{self.key}:book:{visitor.index}",
                )
            except OknoError as error:
                self.report.refuse(error)
                continue
            self.report.commands += 1
            visitor.appointment = booked.code
            early = booked.start - timedelta(minutes=self.rng.randint(0, 10))
            # Early, unless the office is still closed then (before opening, or at lunch).
            visitor.arrival = early if is_open(visitor.office, early) else booked.start
            visitor.came = self.rng.random() >= NO_SHOW

    def run(self, visitors: list[Visitor], on_case: OnCase, tick: Callable[[datetime], None]) -> HallReport:
        """Every office's queue, event by event in time order across the region (``tick``
        runs before each event, for what else happens as the day goes by)."""
        offices = {v.office.code: v.office for v in visitors}
        per_office = Counter(v.office.code for v in visitors)
        free = {code: staffed(offices[code], n) for code, n in per_office.items()}
        waiting: dict[str, Visitor] = {}  # ticket id -> visitor
        queued: Counter[str] = Counter()  # visitors waiting, by office
        events: list[tuple[datetime, int, str, Visitor, str, int]] = []
        order = 0
        for visitor in visitors:
            if visitor.came:
                order += 1
                heapq.heappush(events, (visitor.arrival, order, "arrive", visitor, "", 0))
        while events:
            at, _, kind, visitor, ticket, window = heapq.heappop(events)
            tick(at)
            office = visitor.office.code
            if kind == "arrive":
                if not self._arrive(visitor, at, waiting):
                    continue
                queued[office] += 1
            else:
                self._finish(visitor, ticket, at, on_case)
                free[office].add(window)
            for free_window in sorted(free[office]):
                if not queued[office]:
                    break  # nobody waits here: a call would only read the office's day to find that
                called = self._call(office, free_window, at)
                if called is None:
                    continue  # nobody waits for what this window serves
                caller = waiting.pop(called)
                queued[office] -= 1
                free[office].discard(free_window)
                minutes = caller.service.reception_minutes * self.rng.uniform(0.5, 1.3)
                if caller.consultation:
                    minutes /= 2
                order += 1
                heapq.heappush(
                    events, (at + timedelta(minutes=round(minutes, 1)), order, "finish", caller, called, free_window)
                )
        return self.report

    def _arrive(self, visitor: Visitor, at: datetime, waiting: dict[str, Visitor]) -> bool:
        try:
            ticket = self.reception.issue_ticket(
                office=visitor.office.code,
                service=None if visitor.appointment else visitor.service.code,
                appointment=visitor.appointment,
                category=visitor.category,
                actor=f"{visitor.office.code}/terminal",
                at=at,
                idempotency_key=f"{self.key}:ticket:{visitor.index}",
            )
        except OknoError as error:
            self.report.refuse(error)
            return False
        self.report.commands += 1
        self.report.tickets += 1
        self.report.booked += visitor.appointment is not None
        waiting[ticket.id] = visitor
        return True

    def _call(self, office: str, window: int, at: datetime) -> str | None:
        try:
            ticket = self.reception.call_next(office=office, window=window, actor=f"{office}/operator-{window}", at=at)
        except OknoError as error:
            self.report.refuse(error)
            return None
        if ticket is None:
            return None
        self.report.commands += 1
        return ticket.id

    def _finish(self, visitor: Visitor, ticket: str, at: datetime, on_case: OnCase) -> None:
        office = visitor.office.code
        try:
            if visitor.consultation:
                self.reception.end_visit(ticket, "consultation", actor=f"{office}/operator", at=at)
                self.report.consultations += 1
            else:
                case = self.reception.open_case(
                    ticket,
                    applicant=applicant(self.rng),
                    actor=f"{office}/operator",
                    at=at,
                    service=visitor.service.code,
                    idempotency_key=f"{self.key}:{visitor.index}",
                )
                on_case(visitor, case, at)
        except OknoError as error:
            self.report.refuse(error)
            return
        self.report.commands += 1


def booking_channel(rng: random.Random, office: Office, points: dict[str, list[str]]) -> tuple[str, str]:
    """How a visitor to ``office`` books, and from where (the actor): the portal or the
    call centre, or an information terminal — in the office itself, or in a village of its
    centre (``points``: centre -> terminal points) that has a terminal and no office.
    Villagers use terminals more, as the region planned them for villages."""
    terminals = [f"{office.code}/terminal"] * min(office.terminals, 1)
    terminals += [f"{point}/terminal" for point in points.get(office.parent or office.code, [])]
    weights = {"portal": 2, "call_centre": 1, "terminal": (3 if office.kind == "remote" else 1) * bool(terminals)}
    channel = rng.choices(list(weights), weights=list(weights.values()))[0]
    if channel == "terminal":
        return channel, rng.choice(terminals)
    return channel, channel


def staffed(office: Office, visitors: int) -> set[int]:
    """The windows an office opens for a day: every specialised one, and as many of the
    others as the day's visitors need."""
    special = {int(w) for w in office.window_services}
    general = [w for w in range(1, office.windows + 1) if w not in special]
    return special | set(general[: max(1, math.ceil(visitors / VISITORS_PER_OPERATOR))])
