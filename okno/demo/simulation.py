"""Simulated working days in the region, driven through the real engine, step by step in
time: a day is a queue of events (a visitor arriving, a window calling, a case worked, an
agency answering, the job worker's round), and ``SimulatedDay.advance(until)`` runs the
ones due by then, so the demo can stop at "now" and go on later along the clock.

Simulated citizens, operators and agencies choose with a *seeded* PRNG, so a demo run
is reproducible; the engine itself never sees the PRNG, only the commands it leads to,
each with its own simulated time.
"""

from __future__ import annotations

import heapq
import math
import random
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from eventsourcing.persistence import MapperDeserialisationError

from engine.application import Engine
from engine.bpmn.message_contracts import awaited_contract
from engine.case import Case
from engine.catalog import Service
from engine.errors import OknoError
from engine.offices import Office
from engine.reception.hours import open_intervals
from engine.reception_desk import Reception
from engine.working_days import default_calendar
from okno.bootstrap import new_projector
from okno.demo.agency_answers import answer
from okno.demo.citizens import field_value
from okno.demo.hall import BOOKED_SHARE, Halls, Visitor
from projections.case_queries import open_case_numbers
from projections.cases import CasesModel
from projections.reader import Reader

MOSCOW = ZoneInfo("Europe/Moscow")

# The share of cases an agency answers only after the service's term has run out: agencies
# answer within the regulated term (210-ФЗ; a late answer is what the reminders and the
# on-time figures are for), Rosreestr a little less often, so some registrations wait past
# the 9-working-day reminder.
LATE_SHARE = {"rosreestr": 0.08}
DEFAULT_LATE_SHARE = 0.03
SPARE_DAYS = 2  # of a service's term, the working days the office keeps for reception and hand-out
NEVER_COLLECTED = 25  # one applicant in 25 never comes back for the result
STEPS_PER_VISIT = 8  # commands a case gets at most each time someone turns to it
JOB_ROUND = timedelta(minutes=30)  # the job worker polls all day; every half hour is close enough here
CLOSING = time(20, 0)  # the back office's day ends: nobody works a case after this

# Operator tasks the citizen must come back for (the result is handed out).
HANDOUT_HINTS = ("выдач", "handout", "issue")

AgencyGateway = Callable[[datetime], int]


@dataclass
class DayReport:
    day: date
    opened: int = 0
    completed: int = 0
    commands: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    services: Counter[str] = field(default_factory=Counter)
    messages_sent: Counter[str] = field(default_factory=Counter)
    acknowledged: int = 0
    timers_fired: Counter[str] = field(default_factory=Counter)
    tickets: int = 0
    booked: int = 0
    consultations: int = 0


class Simulation:
    def __init__(
        self, engine: Engine, seed: int, agency_gateway: AgencyGateway | None = None, job_worker: Any = None
    ) -> None:
        self.engine = engine
        self.seed = seed
        # Called each morning with the time: the simulated agencies pick up and
        # acknowledge what the cases sent them (through the outbox read model).
        self.agency_gateway = agency_gateway
        # Runs the service tasks' jobs due by a time (okno.demo.connectors.DemoWorker).
        self.job_worker = job_worker
        # The morning backlog comes from the cases read model, caught up to the night's
        # events: a pass over the whole event log instead grows with every simulated day.
        self.cases_model = new_projector(engine, [CasesModel()])
        self.cases = Reader(self.cases_model)
        self.terms: dict[str, int] = {}  # term_days by service code, as the directory has it today

    def day(self, day: date, applications: int, since: datetime | None = None) -> SimulatedDay:
        """A working day, ready to advance; ``since``: the day was simulated up to then
        already (by an earlier run), so only what comes after it happens."""
        return SimulatedDay(self, day, applications, since)

    def run_day(self, day: date, applications: int) -> DayReport:
        """A whole day at once."""
        simulated = self.day(day, applications)
        simulated.advance(datetime.combine(day + timedelta(days=1), time(0, 0), MOSCOW))
        return simulated.report

    # -- a case worked by its office, its citizen and its agencies -------------------------

    def step(self, number: str, at: datetime, rng: random.Random, report: DayReport, *, arrival: bool) -> bool:
        """One command for a case at ``at``; False when nobody has anything to do for it now."""
        try:
            case = self.engine.get_case(number)
        except OknoError:
            return False
        if not case.is_open:
            return False
        command = self._next_command(case, at, rng, arrival)
        if command is None:
            return False
        try:
            case = command()
        except OknoError as error:
            report.refused[type(error).__name__] += 1
            return False
        report.commands += 1
        self.note(case, report)
        return True

    def feedback(self, number: str, at: datetime, rng: random.Random, report: DayReport) -> None:
        """Some citizens rate the service when their case is done; a few complain."""
        try:
            case = self.engine.get_case(number)
            if case.status == "completed" and rng.random() < 0.3:
                mood = rng.choice((5, 5, 5, 4, 4, 3, 2))
                scores = {
                    c: max(1, min(5, mood + rng.choice((-1, 0, 0, 0, 1))))
                    for c in ("waiting_time", "staff", "premises", "information")
                }
                self.engine.rate_case(case.number, scores, actor="citizen", at=at)
                report.commands += 1
            elif rng.random() < 0.01:
                topic = rng.choice(("waiting_time", "staff", "term_exceeded", "information"))
                self.engine.file_complaint(case.number, topic, actor="citizen", at=at)
                report.commands += 1
        except OknoError as error:
            report.refused[type(error).__name__] += 1

    def _next_command(self, case: Case, at: datetime, rng: random.Random, arrival: bool) -> Any:
        for timer in case.timers:
            if timer["due"] and datetime.fromisoformat(timer["due"]) <= at:
                return lambda: self.engine.fire_timer(case.number, timer["element"], at=at)
        for task in case.open_tasks:
            element = self.engine.steps.library.get(case.process_version).elements[task["element"]]
            handout = any(hint in element.name.lower() or hint in element.id.lower() for hint in HANDOUT_HINTS)
            never = zlib.crc32(case.number.encode()) % NEVER_COLLECTED == 0
            if handout and (arrival or never or rng.random() > 0.35):
                continue  # the citizen has not come back for the result today
            if element.role == "expert" and rng.random() > 0.7:
                continue  # the back office gets to it later
            actor = f"{case.office}/{element.role or 'operator'}"
            if not task.get("holder") and rng.random() < 0.25:
                # Some staff take a task into their own list before they work it.
                return lambda: self.engine.claim_task(case.number, task["task"], actor=actor, at=at)
            data = {f.id: field_value(f, rng, at.date()) for f in element.fields}
            return lambda: self.engine.complete_task(
                case.number, task["element"], data, actor=actor, at=at, task=task["task"]
            )
        name = sorted(case.awaiting)[0] if case.awaiting else ""
        if name and not arrival and rng.random() < self.answer_chance(case.service, name):
            # The agency answers as the case's own version of the process says it may.
            contract = awaited_contract(self.engine.steps.library.get(case.process_version).contracts, name)
            payload = answer(contract.schema, rng)
            payload = payload if isinstance(payload, dict) else {}
            agency = name.split("_")[0]
            return lambda: self.engine.deliver_message(case.number, name, payload, actor=f"agency:{agency}", at=at)
        return None

    def answer_chance(self, service: str, message: str) -> float:
        """How likely the agency answers ``message`` on a given working day: a daily chance
        such that all but its late share are answered within the service's term."""
        days = max(1, self.terms.get(service, 5) - SPARE_DAYS)
        late = LATE_SHARE.get(message.split("_")[0], DEFAULT_LATE_SHARE)
        return 1.0 - math.pow(late, 1.0 / days)

    @staticmethod
    def note(case: Case, report: DayReport) -> None:
        effects = case.last_effects
        for message in effects["messages_sent"]:
            report.messages_sent[message["name"]] += 1
        for timer in effects["timers_fired"]:
            report.timers_fired[timer["element"]] += 1
        if effects["completed"]:
            report.completed += 1


@dataclass(order=True)
class _Event:
    at: datetime
    order: int
    kind: str = field(compare=False)  # agencies, incidents, jobs, work (a case), feedback
    number: str = field(default="", compare=False)
    arrival: bool = field(default=False, compare=False)
    steps: int = field(default=0, compare=False)


class SimulatedDay:
    """One working day of the region, advanced in slices of time: ``advance(until)`` runs
    every event due by ``until`` and keeps the rest for the next slice. Nothing it records
    is later than the last ``until``."""

    def __init__(self, simulation: Simulation, day: date, applications: int, since: datetime | None) -> None:
        self.simulation = simulation
        self.day = day
        self.since = since
        self.tally = DayReport(day)  # what happened outside the halls
        engine = simulation.engine
        # One PRNG per day and start: the same seed and the same slices give the same run.
        start = since.isoformat() if since else ""
        self.rng = random.Random(f"{simulation.seed}:{day.isoformat()}{start}")  # noqa: S311 - simulation
        self.events: list[_Event] = []
        self.order = 0
        self.started = False
        self.applications = applications
        self.opening = datetime.combine(day, time(8, 0), MOSCOW)
        self.closing = datetime.combine(day, CLOSING, MOSCOW)
        directory = engine.directory()
        self.services = [Service.from_dict(s) for s in directory.open_services().values()]
        simulation.terms = {code: int(s["term_days"]) for code, s in directory.services.items()}
        # Visitors come to an office with windows that is open today: most remote offices
        # keep two to four days a week, and a terminal point has no windows at all.
        self.offices = [
            o
            for o in map(Office.from_dict, directory.offices.values())
            if o.receives_visitors and open_intervals(o, day)
        ]
        self.halls = Halls(Reception(engine), self.rng, simulation.seed, day, self.services, since)

    @property
    def done(self) -> bool:
        return self.started and not self.events and self.halls.next_at() is None

    def next_at(self) -> datetime | None:
        """When the next thing happens (None: the day is over)."""
        if not self.started:
            return self.opening
        times = [t for t in (self.events[0].at if self.events else None, self.halls.next_at()) if t is not None]
        return min(times, default=None)

    def advance(self, until: datetime) -> DayReport:
        """Everything due by ``until``, in time order across the region."""
        if not self.started:
            self._start()
        while True:
            own = self.events[0].at if self.events else None
            hall = self.halls.next_at()
            if hall is not None and (own is None or hall < own):
                if hall > until:
                    break
                self.halls.step(self._opened)
                continue
            if own is None or own > until:
                break
            self._run(heapq.heappop(self.events))
        return self.report

    @property
    def report(self) -> DayReport:
        """The day so far, the halls' figures included."""
        hall = self.halls.report
        report = replace(self.tally, refused=self.tally.refused + Counter(hall.refused))
        report.tickets, report.booked, report.consultations = hall.tickets, hall.booked, hall.consultations
        report.commands += hall.commands
        return report

    # -- planning --------------------------------------------------------------------------

    def _start(self) -> None:
        """The day's plan: the morning rounds, the backlog, the visitors (some booked the
        evening before). An earlier run's part of the day (before ``since``) is not
        planned again: its visitors came, its morning rounds were made."""
        self.started = True
        since = self.since
        for minutes, kind in ((20, "incidents"), (30, "agencies"), (40, "jobs")):
            self._at(self.opening + timedelta(minutes=minutes), kind)
        rounds = self.opening + timedelta(minutes=60) + JOB_ROUND
        while rounds <= self.closing + JOB_ROUND:
            self._at(rounds, "jobs")
            rounds += JOB_ROUND
        # The open cases someone turns to some time today.
        self.simulation.cases_model.catch_up()
        for number in open_case_numbers(self.simulation.cases):
            self._at(self.opening + timedelta(minutes=self.rng.randint(60, 600)), "work", number, steps=STEPS_PER_VISIT)
        # The day's visitors: a service and an office each, arriving over the office's hours.
        visitors = []
        for index in range(self.applications):
            service = self.rng.choices(self.services, weights=[s.popularity for s in self.services])[0]
            office = self.rng.choices(self.offices, weights=[o.windows for o in self.offices])[0]
            visitor = self.halls.visitor(index, office, service, self._arrival_minute(self.rng) / 720)
            if visitor is not None:
                visitors.append(visitor)
        coming = [v for v in visitors if since is None or v.arrival > since]
        evening_before = self.opening - timedelta(hours=13)
        if since is None or since < self.opening:
            self.halls.book_ahead(coming, evening_before if since is None else max(since, evening_before))
        else:
            # Who booked did so the evening before, in the earlier run (the halls adopt
            # their appointments): the rest of the day brings walk-ins.
            coming = [v for v in coming if self.rng.random() >= BOOKED_SHARE]
        self.halls.start(visitors, coming, since)
        if since is not None:
            self.events = [e for e in self.events if e.at > since]
            heapq.heapify(self.events)

    def _at(self, at: datetime, kind: str, number: str = "", *, arrival: bool = False, steps: int = 0) -> None:
        self.order += 1
        heapq.heappush(self.events, _Event(at, self.order, kind, number, arrival, steps))

    @staticmethod
    def _arrival_minute(rng: random.Random) -> int:
        # Two peaks: late morning and after lunch, over 08:00–20:00.
        peak = rng.choice((150, 390))
        return min(719, max(0, int(rng.gauss(peak, 90))))

    # -- running ---------------------------------------------------------------------------

    def _run(self, event: _Event) -> None:
        simulation, report = self.simulation, self.tally
        if event.kind == "incidents" and simulation.job_worker is not None:
            simulation.job_worker.retry_incidents(event.at)
        elif event.kind == "agencies" and simulation.agency_gateway is not None:
            report.acknowledged += simulation.agency_gateway(event.at)
        elif event.kind == "jobs" and simulation.job_worker is not None:
            simulation.job_worker.run(event.at)
        elif event.kind == "feedback":
            simulation.feedback(event.number, event.at, self.rng, report)
            self._at(event.at, "work", event.number, arrival=event.arrival, steps=event.steps)
        elif event.kind == "work":
            self._work(event)

    def _work(self, event: _Event) -> None:
        """A command for the case, then (if it has more to do) its next step a little later."""
        if event.at >= self.closing or event.steps <= 0:
            return
        try:
            modified = self.simulation.engine.get_case(event.number).modified_on
        except OknoError:
            return
        ready = modified.astimezone(MOSCOW) + timedelta(minutes=1)
        if ready > event.at:  # the case moved since (a job, an agency): a minute after that
            self._at(ready, "work", event.number, arrival=event.arrival, steps=event.steps)
            return
        if self.simulation.step(event.number, event.at, self.rng, self.tally, arrival=event.arrival):
            later = event.at + timedelta(minutes=self.rng.randint(5, 40))
            self._at(later, "feedback", event.number, arrival=event.arrival, steps=event.steps - 1)

    def _opened(self, visitor: Visitor, case: Case, at: datetime) -> None:
        if case.version == 1 and case.created_on == at:
            self.tally.opened += 1
            self.tally.services[visitor.service.title] += 1
            self.simulation.note(case, self.tally)
        later = at + timedelta(minutes=self.rng.randint(8, 20))
        self._at(later, "work", case.number, arrival=True, steps=STEPS_PER_VISIT)


class Timeline:
    """The demo's working days along a clock: ``catch_up`` simulates the days up to "now"
    (the earlier ones in full, today up to now); ``advance`` goes on from there as the
    clock moves, starting each working day when it comes."""

    def __init__(self, simulation: Simulation, applications: int) -> None:
        self.simulation = simulation
        self.applications = applications
        self.days: list[SimulatedDay] = []

    @property
    def current(self) -> SimulatedDay | None:
        return self.days[-1] if self.days else None

    def catch_up(self, now: datetime, days: int, since: datetime | None) -> list[SimulatedDay]:
        """The last ``days`` working days up to ``now`` that come after ``since`` (the
        moment the store's history ends; None: an empty store). A day ``since`` falls on,
        or whose evening-before bookings it follows, goes on from ``since``."""
        caught: list[SimulatedDay] = []
        for day in working_days_until(now, days):
            if since is not None and day < since.astimezone(MOSCOW).date():
                continue
            opening = datetime.combine(day, time(8, 0), MOSCOW)
            started = since if since is not None and since > opening - timedelta(hours=13) else None
            simulated = self.simulation.day(day, self.applications, started)
            simulated.advance(now)
            self.days.append(simulated)
            caught.append(simulated)
        return caught

    def advance(self, now: datetime) -> SimulatedDay | None:
        """Everything due by ``now``; a working day that has begun since is started. The
        day that moved (None: nothing is simulated today, a weekend or a holiday)."""
        today = now.astimezone(MOSCOW).date()
        current = self.current
        if current is None or current.day < today:
            if current is not None:
                current.advance(now)  # what was left of it (all before today)
            if not default_calendar().is_working_day(today):
                return None
            current = self.simulation.day(today, self.applications)
            self.days.append(current)
        current.advance(now)
        return current


def working_days_until(now: datetime, days: int) -> list[date]:
    """The last ``days`` working days up to ``now``'s (today, if it is one), oldest first."""
    calendar = default_calendar()
    day = now.astimezone(MOSCOW).date()
    found: list[date] = []
    while len(found) < days:
        if calendar.is_working_day(day):
            found.insert(0, day)
        day -= timedelta(days=1)
    return found


TAIL = 5000  # the store's newest events looked at for its last moment


def last_moment(engine: Engine) -> datetime | None:
    """When the store's history ends: the latest time among its newest events (None: an
    empty store). The demo writes in time order, save the bookings made the evening
    before, so the newest few thousand events hold the latest time."""
    recorder = engine.store.recorder
    head = recorder.max_notification_id()
    if head is None:
        return None
    latest: datetime | None = None
    for notification in recorder.select_notifications(max(1, head - TAIL + 1), TAIL):
        try:
            event = engine.store.mapper.to_domain_event(notification)
        except MapperDeserialisationError:
            continue
        stamp = getattr(event, "timestamp", None)
        if isinstance(stamp, datetime) and (latest is None or stamp > latest):
            latest = stamp
    return latest
