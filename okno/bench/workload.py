"""The benchmark's workload: the Lipetsk region's offices, the shipped catalog with its
skewed popularity, a working day's arrival curve, and a driver that takes each case to
its end through real commands (documents accepted, fee checked, package sent, the
agency's answer, the result handed out — about ten steps a case).

Choices are drawn from a seeded PRNG, so two runs put the same work on the engine.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from engine.application import Engine
from engine.case import Case
from engine.catalog import Service
from engine.expressions.time_functions import ZONE as MOSCOW
from engine.group_commit import Group
from engine.offices import Office
from engine.store import StoreConfig
from okno.demo.citizens import applicant, field_value
from okno.demo.region import lipetsk_offices

MASTER_KEY = b"okno-bench-master-key-32-bytes!!"
DAY = date(2026, 3, 2)  # a Monday: a working day on the production calendar
SETUP_AT = datetime.combine(DAY, time(7, 0), MOSCOW)
MAX_STEPS = 40  # a case that is still open after this many commands is counted as stuck
CLAIMED = 0.5  # staff take half the tasks into their own list before they work them
RATED = 0.3  # citizens who rate the service when their case is done
# What a connector answers in the benchmark (the real connectors write notification rows
# and ask the treasury; their cost is not the engine's).
# What agencies usually answer, by the message a case waits for.
AGENCY_ANSWERS: dict[str, dict[str, Any]] = {
    "rosreestr_decision": {"decision": "registered"},
    "gisgmp_payment_status": {"paid": True},
    "mvd_decision": {"decision": "issued"},
    "mvd_registration_decision": {"decision": "registered"},
    "fns_income_response": {"confirmed": True, "income_confirmed": True},
    "zags_birth_response": {"confirmed": True},
    "rosreestr_extract_decision": {"decision": "issued"},
    "mvd_passport_decision": {"decision": "issued"},
    "mvd_certificate_decision": {"decision": "issued"},
    "fns_registration_decision": {"decision": "registered"},
    "fns_request_decision": {"decision": "issued"},
    "smev_response": {"found": True},
}
JOB_RESULTS: dict[str, dict[str, Any]] = {
    "payment_check": {"fee_paid": True, "fee_paid_amount": 2000},
    "sms": {"sms_sent": True},
    "email": {"email_sent": True},
}


class SeededEntropy:
    """Entropy for case numbers and keys from a seeded PRNG: the same run twice opens
    the same case numbers."""

    def __init__(self, seed: str) -> None:
        self._rng = random.Random(seed)  # noqa: S311 - reproducible numbers, not security

    def __call__(self, size: int) -> bytes:
        return self._rng.randbytes(size)


def bench_engine(config: StoreConfig, seed: str) -> Engine:
    from okno.bootstrap import new_engine

    return new_engine(config, master_key=MASTER_KEY, entropy=SeededEntropy(seed))


def seed_region(engine: Engine) -> tuple[list[Service], list[Office]]:
    """Deploy the shipped processes and catalog and register the region's offices."""
    from okno.bootstrap import shipped_processes

    sources, catalog = shipped_processes()
    report = engine.deploy(sources, SETUP_AT)
    assert report.ok, report.problems
    engine.publish_catalog(catalog, SETUP_AT)
    engine.register_offices(lipetsk_offices(), SETUP_AT)
    return catalog, lipetsk_offices()


@dataclass(frozen=True)
class Arrival:
    index: int
    service: str
    office: str
    channel: str
    at: datetime


def arrivals(services: list[Service], offices: list[Office], count: int, seed: int, day: date = DAY) -> list[Arrival]:
    """A working day's applications: services by their catalog popularity (a few
    services carry most of the load), offices by their windows, arrival times on the
    two-peak curve of a centre's day (late morning and after lunch, 08:00–20:00)."""
    rng = random.Random(f"arrivals:{seed}")  # noqa: S311 - a seeded workload
    opening = datetime.combine(day, time(8, 0), MOSCOW)
    minutes = sorted(min(719, max(0, int(rng.gauss(rng.choice((150, 390)), 90)))) for _ in range(count))
    service_weights = [s.popularity for s in services]
    office_weights = [o.windows for o in offices]
    chosen: list[Arrival] = []
    for index, minute in enumerate(minutes):
        service = rng.choices(services, weights=service_weights)[0]
        office = rng.choices(offices, weights=office_weights)[0]
        channel = "window" if office.kind == "centre" else "remote_office"
        chosen.append(
            Arrival(index, service.code, office.code, channel, opening + timedelta(minutes=minute, seconds=index % 60))
        )
    return chosen


@dataclass
class Driven:
    """What driving a set of cases did."""

    cases: int = 0
    completed: int = 0
    stuck: int = 0
    steps: int = 0
    numbers: list[str] = field(default_factory=list)


Command = Callable[[], Case]


class Driver:
    """Takes cases to their end with real commands, one command per step: a due job gets
    its connector's answer, an open task is (sometimes claimed and) completed with form
    data, an awaited agency answer is delivered, a due timer fires."""

    def __init__(self, engine: Engine, seed: int) -> None:
        self.engine = engine
        self.seed = seed

    def open(self, arrival: Arrival) -> Case:
        rng = random.Random(f"{self.seed}:applicant:{arrival.index}")  # noqa: S311 - a seeded workload
        return self.engine.open_case(
            service=arrival.service,
            office=arrival.office,
            channel=arrival.channel,
            applicant=applicant(rng),
            actor=f"{arrival.office}/operator",
            at=arrival.at,
        )

    def next_command(self, flight: InFlight, at: datetime) -> Command | None:
        engine, case, rng = self.engine, flight.case, flight.rng
        number = case.number
        if flight.acknowledged < flight.sent:
            # The agency's gateway confirms each message it picked up, with its reference.
            message = flight.acknowledged + 1
            flight.acknowledged = message
            return lambda: engine.acknowledge_message(
                number, message, f"REF-{number}-{message}", actor="agency-gateway", at=at
            )
        if not case.is_open:
            if flight.rated or rng.random() >= RATED:
                return None
            flight.rated = True
            scores = {c: rng.choice((3, 4, 5, 5, 5)) for c in ("waiting_time", "staff", "premises", "information")}
            return lambda: engine.rate_case(number, scores, actor="citizen", at=at)
        for job in case.open_jobs:
            result = JOB_RESULTS.get(str(job.get("connector")), {})
            return lambda: engine.complete_job(number, job["task"], dict(result), actor="bench-worker", at=at)
        for task in case.open_tasks:
            element = engine.steps.library.get(case.process_version).elements[task["element"]]
            actor = f"{case.office}/{element.role or 'operator'}"
            if not task.get("holder") and rng.random() < CLAIMED:
                return lambda: engine.claim_task(number, task["task"], actor=actor, at=at)
            data = {f.id: field_value(f, rng, at.date(), main_path=True) for f in element.fields}
            return lambda: engine.complete_task(number, task["element"], data, actor=actor, at=at, task=task["task"])
        if case.awaiting:
            name = sorted(case.awaiting)[0]
            payload = AGENCY_ANSWERS.get(name, {})
            return lambda: engine.deliver_message(number, name, dict(payload), actor="agency", at=at)
        due = sorted((t["due"], t["element"]) for t in case.timers if t["due"])
        if due:
            return lambda: engine.fire_timer(number, due[0][1], at=max(at, datetime.fromisoformat(due[0][0])))
        return None

    def step(self, flight: InFlight, group: Group | None = None) -> bool:
        """One command on a case; False when it has nothing more to do. In a group the
        command is decided now and committed with the group (see :meth:`settle`)."""
        at = flight.case.modified_on.astimezone(MOSCOW) + timedelta(minutes=flight.rng.randint(3, 40))
        command = self.next_command(flight, at)
        if command is None:
            return False
        flight.steps += 1
        if group is not None:
            group.submit(flight, command)
            return True
        flight.case = command()
        flight.sent += len(flight.case.last_effects.get("messages_sent", []))
        return True

    def settle(self, group: Group) -> int:
        """After a group commit: each flight continues from its case as committed. Returns
        the steps recorded."""
        recorded = 0
        for outcome in group.outcomes:
            flight = outcome.tag
            if not isinstance(flight, InFlight):
                continue
            if outcome.recorded and outcome.case is not None and outcome.effects is not None:
                recorded += 1
                flight.case = outcome.case
                flight.sent += len(outcome.effects.get("messages_sent", []))
            else:
                flight.case = self.engine.get_case(flight.case.number)
        return recorded

    def drive(
        self, chosen: list[Arrival], window: int = 50, on_step: Callable[[], None] | None = None, grouped: bool = False
    ) -> Driven:
        """Open the cases in arrival order and advance up to ``window`` of them in turn,
        as an office network has many cases in flight at once (and the cache does not
        hold only the one case being worked). ``grouped``: each round's commands (the
        cases opened and every case's next step) are committed together, one group
        commit per round."""
        driven = Driven()
        pending = list(reversed(chosen))
        live: list[InFlight] = []
        while pending or live:
            with self.engine.group_commit() if grouped else nullcontext() as group:
                while pending and len(live) < window:
                    case = self.open(pending.pop())  # in a group: opened with the round's commit
                    flight = InFlight(case, random.Random(zlib.crc32(f"{self.seed}:{case.number}".encode())))  # noqa: S311
                    flight.sent = len(case.last_effects.get("messages_sent", []))
                    live.append(flight)
                    driven.cases += 1
                    driven.steps += 1
                    driven.numbers.append(case.number)
                    if on_step:
                        on_step()
                still: list[InFlight] = []
                for flight in live:
                    if flight.steps >= MAX_STEPS or not self.step(flight, group):
                        if flight.case.is_open:
                            driven.stuck += 1
                        else:
                            driven.completed += 1
                        continue
                    if group is None:
                        driven.steps += 1
                    if on_step:
                        on_step()
                    still.append(flight)
                live = still
            if group is not None:
                driven.steps += self.settle(group)
        return driven


@dataclass
class InFlight:
    case: Case
    rng: random.Random
    steps: int = 1
    sent: int = 0
    acknowledged: int = 0
    rated: bool = False


def case_ids(engine: Engine, numbers: list[str]) -> list[UUID]:
    from engine.case import case_id_for

    return [case_id_for(n) for n in numbers]
