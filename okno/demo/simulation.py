"""A simulated working day in the region, driven through the real engine.

Simulated citizens, operators and agencies choose with a *seeded* PRNG, so a demo run
is reproducible; the engine itself never sees the PRNG, only the commands it leads to,
each with its own simulated time.
"""

from __future__ import annotations

import random
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine.application import Engine
from engine.case import Case
from engine.catalog import Service
from engine.errors import OknoError
from engine.offices import Office
from engine.reception.hours import open_intervals
from engine.reception_desk import Reception
from okno.bootstrap import new_projector
from okno.demo.citizens import field_value
from okno.demo.hall import Halls, Visitor
from projections.case_queries import open_case_numbers
from projections.cases import CasesModel
from projections.reader import Reader

MOSCOW = ZoneInfo("Europe/Moscow")

# What agencies answer, by message name: (payload choices with weights).
AGENCY_ANSWERS: dict[str, list[tuple[dict[str, Any], int]]] = {
    "rosreestr_decision": [
        ({"decision": "registered"}, 80),
        ({"decision": "suspended"}, 12),
        ({"decision": "refused"}, 8),
    ],
    "gisgmp_payment_status": [({"paid": True}, 85), ({"paid": False}, 15)],
    "mvd_decision": [({"decision": "issued"}, 94), ({"decision": "refused"}, 6)],
    "mvd_registration_decision": [({"decision": "registered"}, 95), ({"decision": "refused"}, 5)],
    "fns_income_response": [
        ({"confirmed": True, "income_confirmed": True}, 90),
        ({"confirmed": False, "income_confirmed": False}, 10),
    ],
    "zags_birth_response": [({"confirmed": True}, 97), ({"confirmed": False}, 3)],
}
# How likely an agency answers on a given working day: Rosreestr is slow enough that
# some cases wait past the 9-working-day reminder.
ANSWER_CHANCE = {"rosreestr_decision": 0.15}
DEFAULT_ANSWER_CHANCE = 0.5
NEVER_COLLECTED = 25  # one applicant in 25 never comes back for the result

# Operator tasks the citizen must come back for (the result is handed out).
HANDOUT_HINTS = ("выдач", "handout", "issue")


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
    def __init__(self, engine: Engine, seed: int, agency_gateway: Any = None, job_worker: Any = None) -> None:
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

    def run_day(self, day: date, applications: int) -> DayReport:
        rng = random.Random(f"{self.seed}:{day.isoformat()}")  # noqa: S311 - simulation, not security
        report = DayReport(day)
        directory = self.engine.directory()
        services = [Service.from_dict(s) for s in directory.services.values()]
        # Visitors come to an office with windows that is open today: most remote offices
        # keep two to four days a week, and a terminal point has no windows at all.
        offices = [
            o
            for o in map(Office.from_dict, directory.offices.values())
            if o.receives_visitors and open_intervals(o, day)
        ]
        opening = datetime.combine(day, time(8, 0), MOSCOW)

        if self.agency_gateway is not None:
            report.acknowledged += self.agency_gateway(opening + timedelta(minutes=30))
        if self.job_worker is not None:
            self.job_worker.retry_incidents(opening + timedelta(minutes=20))
            self.job_worker.run(opening + timedelta(minutes=40))
        self.cases_model.catch_up()
        for number in open_case_numbers(self.cases):
            at = opening + timedelta(minutes=rng.randint(60, 600))
            self._drive(number, at, rng, report, arrival=False)

        # The day's visitors: a service and an office each, arriving over the office's hours.
        halls = Halls(Reception(self.engine), rng, self.seed, day)
        visitors = []
        for index in range(applications):
            service = rng.choices(services, weights=[s.popularity for s in services])[0]
            office = rng.choices(offices, weights=[o.windows for o in offices])[0]
            visitor = halls.visitor(index, office, service, self._arrival_minute(rng) / 720)
            if visitor is not None:
                visitors.append(visitor)
        halls.book_ahead(visitors, opening - timedelta(hours=13))
        worked_until = [opening + timedelta(minutes=60)]

        def tick(at: datetime) -> None:
            # The worker polls all day; every half hour of simulated time is close enough here.
            while self.job_worker is not None and at >= worked_until[0] + timedelta(minutes=30):
                worked_until[0] += timedelta(minutes=30)
                self.job_worker.run(worked_until[0])

        def opened(visitor: Visitor, case: Case, at: datetime) -> None:
            if case.version == 1 and case.created_on == at:
                report.opened += 1
                report.services[visitor.service.title] += 1
                self._note(case, report)
            self._drive(case.number, at + timedelta(minutes=rng.randint(8, 20)), rng, report, arrival=True)

        hall = halls.run(visitors, opened, tick)
        report.tickets, report.booked, report.consultations = hall.tickets, hall.booked, hall.consultations
        report.commands += hall.commands
        report.refused.update(hall.refused)
        if self.job_worker is not None:
            self.job_worker.run(opening + timedelta(hours=12, minutes=30))
        return report

    def _feedback(self, case: Case, at: datetime, rng: random.Random, report: DayReport) -> None:
        """Some citizens rate the service when their case is done; a few complain."""
        try:
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

    @staticmethod
    def _arrival_minute(rng: random.Random) -> int:
        # Two peaks: late morning and after lunch, over 08:00–20:00.
        peak = rng.choice((150, 390))
        return min(719, max(0, int(rng.gauss(peak, 90))))

    def _drive(self, number: str, at: datetime, rng: random.Random, report: DayReport, *, arrival: bool) -> None:
        closing = datetime.combine(at.date(), time(20, 0), MOSCOW)
        for _ in range(8):
            try:
                case = self.engine.get_case(number)
            except OknoError:
                return
            at = max(at, case.modified_on.astimezone(MOSCOW) + timedelta(minutes=1))
            if not case.is_open or at >= closing:
                return
            command = self._next_command(case, at, rng, arrival)
            if command is None:
                return
            try:
                case = command()
            except OknoError as error:
                report.refused[type(error).__name__] += 1
                return
            report.commands += 1
            self._note(case, report)
            at += timedelta(minutes=rng.randint(5, 40))
            self._feedback(case, at, rng, report)

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
        if name and not arrival and rng.random() < ANSWER_CHANCE.get(name, DEFAULT_ANSWER_CHANCE):
            choices = AGENCY_ANSWERS.get(name, [({}, 1)])
            payload = rng.choices([c[0] for c in choices], weights=[c[1] for c in choices])[0]
            return lambda: self.engine.deliver_message(case.number, name, dict(payload), actor="agency", at=at)
        return None

    @staticmethod
    def _note(case: Case, report: DayReport) -> None:
        effects = case.last_effects
        for message in effects["messages_sent"]:
            report.messages_sent[message["name"]] += 1
        for timer in effects["timers_fired"]:
            report.timers_fired[timer["element"]] += 1
        if effects["completed"]:
            report.completed += 1
