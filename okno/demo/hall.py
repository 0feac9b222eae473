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
    def __init__(
        self,
        reception: Reception,
        rng: random.Random,
        seed: int,
        day: date,
        services: list[Service],
        since: datetime | None = None,
    ) -> None:
        self.reception = reception
        self.rng = rng
        # The idempotency keys of a day's commands; a run that goes on from an earlier one's
        # ``since`` has visitors of its own, so keys of its own.
        self.key = f"demo:{seed}:{day.isoformat()}" + (f"@{since.isoformat()}" if since else "")
        self.day = day
        self.services = services
        self.report = HallReport()
        self.free: dict[str, set[int]] = {}  # office -> its staffed windows that nobody is at
        self.waiting: dict[str, Visitor] = {}  # ticket id -> visitor
        self.queued: Counter[str] = Counter()  # visitors waiting, by office
        # (time, order, arrive/finish/call, visitor, ticket, window), earliest first
        self.events: list[tuple[datetime, int, str, Visitor, str, int]] = []
        self.order = 0

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

    def start(self, visitors: list[Visitor], coming: list[Visitor], since: datetime | None) -> None:
        """Plan the day's queue: ``coming`` arrive (the ones who come at all); windows are
        staffed for all the day's ``visitors``. A day an earlier run left at ``since``
        goes on from what it left in the queue: the tickets still waiting, and the
        visits in progress at a window, which end a little after ``since``."""
        offices = {v.office.code: v.office for v in visitors}
        per_office = Counter(v.office.code for v in visitors)
        self.free = {code: staffed(offices[code], n) for code, n in per_office.items()}
        for visitor in coming:
            if visitor.came:
                self._push(visitor.arrival, "arrive", visitor, "", 0)
        if since is not None:
            self._adopt(offices, len(visitors), since)

    def next_at(self) -> datetime | None:
        """When the next visitor arrives or a reception ends (None: the halls are empty)."""
        return self.events[0][0] if self.events else None

    def step(self, on_case: OnCase) -> None:
        """The next arrival or end of a reception (or, on a day taken over from an earlier
        run, the office's first calls), and the calls it lets the office make."""
        at, _, kind, visitor, ticket, window = heapq.heappop(self.events)
        office = visitor.office.code
        if kind == "arrive":
            if not self._arrive(visitor, at, self.waiting):
                return
            self.queued[office] += 1
        elif kind == "finish":
            self._finish(visitor, ticket, at, on_case)
            self.free[office].add(window)
        for free_window in sorted(self.free[office]):
            if not self.queued[office]:
                break  # nobody waits here: a call would only read the office's day to find that
            called = self._call(office, free_window, at)
            if called is None:
                continue  # nobody waits for what this window serves
            caller = self.waiting.pop(called)
            self.queued[office] -= 1
            self.free[office].discard(free_window)
            self._push(at + self._reception_time(caller), "finish", caller, called, free_window)

    def _reception_time(self, visitor: Visitor) -> timedelta:
        minutes = visitor.service.reception_minutes * self.rng.uniform(0.5, 1.3)
        if visitor.consultation:
            minutes /= 2
        return timedelta(minutes=round(minutes, 1))

    def _push(self, at: datetime, kind: str, visitor: Visitor, ticket: str, window: int) -> None:
        self.order += 1
        heapq.heappush(self.events, (at, self.order, kind, visitor, ticket, window))

    def _adopt(self, offices: dict[str, Office], planned: int, since: datetime) -> None:
        """The visitors an earlier run left in the halls (still waiting, or at a window),
        and the ones who booked a time after ``since`` (they come, or a few do not)."""
        services = {s.code: s for s in self.services}
        index = planned
        for code in sorted(offices):
            day = self.reception.day(code, self.day)
            if day is None:
                continue
            for row in sorted(day.appointments.values(), key=lambda a: str(a["code"])):
                start = datetime.fromisoformat(row["start"])
                if row["status"] != "booked" or start <= since or row["service"] not in services:
                    continue
                index += 1
                early = max(since, start - timedelta(minutes=self.rng.randint(0, 10)))
                arrival = early if is_open(offices[code], early) else start
                visitor = Visitor(index, offices[code], services[row["service"]], arrival, appointment=row["code"])
                if self.rng.random() >= NO_SHOW:
                    self._push(arrival, "arrive", visitor, "", 0)
            for row in sorted(day.tickets.values(), key=lambda t: str(t["id"])):
                if row["state"] == "done" or row["service"] not in services:
                    continue
                index += 1  # numbered after the day's planned visitors, so their keys never meet
                visitor = Visitor(
                    index,
                    offices[code],
                    services[row["service"]],
                    datetime.fromisoformat(row["arrived_at"]),
                    category=row["category"],
                    consultation=self.rng.random() < CONSULTATION_SHARE,
                    appointment=row.get("appointment"),
                )
                if row["state"] == "waiting":
                    self.waiting[row["id"]] = visitor
                    self.queued[code] += 1
                else:
                    self.free[code].discard(int(row["window"]))
                    self._push(since + self._reception_time(visitor) / 2, "finish", visitor, row["id"], row["window"])
            # The windows free now call whoever waits, as soon as the day goes on (the event
            # needs only the office; the visitor is a stand-in that nobody serves).
            if any(t["state"] == "waiting" for t in day.tickets.values()) and self.free.get(code):
                self._push(since, "call", Visitor(0, offices[code], self.services[0], since), "", 0)

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
