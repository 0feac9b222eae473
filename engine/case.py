"""The Case aggregate: one application of a citizen for one service.

Each event records ONE input (what came from outside) and the effects it had. The
aggregate's state is what replaying the inputs through the case's pinned process
version gives; the effects are a record for readers and for the auditor's check.

On the live path a command computes its step once and hands it to ``apply`` (see
:func:`prepared`); when a case is rebuilt from stored events, ``apply`` recomputes the
step from the input and refuses a case whose recorded effects it does not reproduce.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from engine.bpmn.library import LIBRARY
from engine.bpmn.runtime import LiveCache, Runtime, Step, canonical
from engine.case_status import status_after
from engine.commands import Command as Input
from engine.commands import StartCase, input_from_dict, input_to_dict
from engine.effects import check_effects
from engine.errors import IdempotencyKeyReused, IntegrityViolation, ReplayDivergence
from engine.idempotency import request_id
from engine.integrity import GENESIS, chain_of, link

CASE_NAMESPACE = UUID("6f6b6e6f-0000-4000-8000-00000000ca5e")
RUNTIME = Runtime()
# Commands keep the workflows they step (see LiveCache): enough for the cases in flight on
# one process at once (the benchmark works 50), small beside the aggregate cache.
LIVE_WORKFLOWS = LiveCache(256)

_prepared: ContextVar[Step | None] = ContextVar("okno_prepared_step", default=None)


def fingerprint(step_input: dict[str, Any]) -> str:
    """What an idempotency key was used for, to tell a retry from a reuse."""
    return hashlib.sha256(canonical(step_input).encode("utf-8")).hexdigest()[:24]


def case_id_for(number: str) -> UUID:
    return uuid5(CASE_NAMESPACE, number)


@contextmanager
def prepared(step: Step) -> Iterator[None]:
    token = _prepared.set(step)
    try:
        yield
    finally:
        _prepared.reset(token)


def _take_prepared(effects: dict[str, Any]) -> Step | None:
    step = _prepared.get()
    if step is None or step.effects is not effects:
        return None
    _prepared.set(None)
    return step


class Case(Aggregate):
    # Attributes, all plain JSON so snapshots can hold them.
    number: str
    service: str
    office: str
    channel: str
    process_version: str
    applicant: dict[str, str]
    state: str
    status: str
    stage: str | None
    outcome: str | None
    open_tasks: list[dict[str, Any]]
    timers: list[dict[str, Any]]
    awaiting: list[str]
    # request_id(actor, key) -> fingerprint of the input that caller used the key for
    # (absent on snapshots taken before keys belonged to their caller: see ``requests``).
    keyed_requests: dict[str, str]
    idempotency: dict[str, str]  # key -> fingerprint: only what such an old snapshot holds
    last_effects: dict[str, Any]
    chain: str  # the hash chain's head: the last event's chain

    def __init__(self) -> None:
        """State is set by the created event's apply(); declared above for readers and mypy."""

    class Event(Aggregate.Event):
        input: dict[str, Any]
        effects: dict[str, Any]
        actor: str
        idempotency_key: str | None
        chain: str  # SHA-256 over this event and the previous one's chain (engine.integrity)

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.advance(self)

    class Opened(Event, Aggregate.Created):
        number: str
        service: str
        office: str
        channel: str
        process_version: str
        applicant: dict[str, str]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.number = self.number
            aggregate.service = self.service
            aggregate.office = self.office
            aggregate.channel = self.channel
            aggregate.process_version = self.process_version
            aggregate.applicant = dict(self.applicant)
            aggregate.status = "open"
            aggregate.stage = None
            aggregate.outcome = None
            aggregate.open_tasks = []
            aggregate.timers = []
            aggregate.awaiting = []
            aggregate.idempotency = {}
            aggregate.keyed_requests = {}
            aggregate.state = ""
            aggregate.advance(self)

    class TaskCompleted(Event):
        pass

    class MessageReceived(Event):
        pass

    class TimerFired(Event):
        pass

    class Withdrawn(Event):
        pass

    class TaskClaimed(Event):
        pass

    class TaskReleased(Event):
        pass

    class Rated(Event):
        pass

    class MessageAcknowledged(Event):
        pass

    class ComplaintFiled(Event):
        pass

    class ServiceTaskCompleted(Event):
        pass

    class ServiceTaskFailed(Event):
        pass

    class IncidentRetried(Event):
        pass

    # -- evolving state ---------------------------------------------------------
    def advance(self, event: Case.Event) -> None:
        step = _take_prepared(event.effects)
        if step is None:
            # Rebuilt from the store: the event must be the one that was recorded.
            previous = GENESIS if isinstance(event, Case.Opened) else self.chain
            if chain_of(event, previous) != event.chain:
                raise IntegrityViolation(
                    f"case {getattr(self, 'number', event.originator_id)} version {event.originator_version}: "
                    "the stored event does not match its hash chain (edited, deleted or reordered)")
            # Recomputed the way replay's reference does, restoring the workflow from the
            # state: loading a case never trusts a workflow kept in memory.
            step = self._recompute(input_from_dict(event.input), event.timestamp)
            if canonical(step.effects) != canonical(event.effects):
                raise ReplayDivergence(
                    f"case {self.number} version {event.originator_version}: replaying the input "
                    "does not reproduce the recorded effects"
                )
        self.state = step.state
        self.chain = event.chain
        effects = step.effects
        self.last_effects = effects
        closed = {t["task"] for t in effects["tasks_closed"]}
        self.open_tasks = [t for t in self.open_tasks if t["task"] not in closed] + effects["tasks_opened"]
        holders = {c["task"]: c["holder"] for c in effects.get("claims", [])}
        if holders:
            self.open_tasks = [{**t, "holder": holders[t["task"]]} if t["task"] in holders else t
                               for t in self.open_tasks]
        gone = {t["task"] for t in effects["timers_cancelled"] + effects["timers_fired"]}
        self.timers = [t for t in self.timers if t["task"] not in gone] + effects["timers_scheduled"]
        self.awaiting = list(effects["awaiting"])
        if "jobs_opened" in effects or "jobs_closed" in effects:
            gone_jobs = {j["task"] for j in effects.get("jobs_closed", [])}
            self.jobs = [j for j in self.open_jobs if j["task"] not in gone_jobs] + effects.get("jobs_opened", [])
        self.stage = effects["stage"]
        self.status, self.outcome = status_after(self.status, self.outcome, event)
        if event.idempotency_key:
            self.requests[request_id(event.actor, event.idempotency_key)] = fingerprint(event.input)

    def compute(self, step: Input, at: datetime) -> Step:
        """The step an input would make now; records nothing. Runs on the case's live
        workflow when one is kept in exactly this case's state, which gives the same step
        byte for byte as restoring it (tests/engine: recorded histories, replay property)."""
        process = LIBRARY.get(self.process_version)
        if isinstance(step, StartCase):
            return RUNTIME.start(process, self.id, at, step)
        return RUNTIME.apply_kept(process, self.id, self.state, at, step, LIVE_WORKFLOWS)

    def _recompute(self, step: Input, at: datetime) -> Step:
        process = LIBRARY.get(self.process_version)
        if isinstance(step, StartCase):
            return RUNTIME.start(process, self.id, at, step)
        return RUNTIME.apply(process, self.id, self.state, at, step)

    @property
    def requests(self) -> dict[str, str]:
        """The keyed requests this case has recorded, by caller and key."""
        if not hasattr(self, "keyed_requests"):  # loaded from a snapshot older than keys with callers
            self.keyed_requests = {}
        return self.keyed_requests

    def already_did(self, actor: str, idempotency_key: str | None, step: Input) -> bool:
        """True when this caller used this key for exactly this input (a retry); the same
        caller's key reused for a different input is refused. Another caller's key is not
        this caller's: it is a new request. A key remembered from before keys had callers
        (an old snapshot's) still tells a retry, from whoever sends it, as it did then."""
        if not idempotency_key:
            return False
        recorded = self.requests.get(request_id(actor, idempotency_key))
        if recorded is None:
            recorded = self.idempotency.get(idempotency_key)
        if recorded is None:
            return False
        if recorded != fingerprint(input_to_dict(step)):
            # Names no case: a key is the caller's, the case may not be.
            raise IdempotencyKeyReused("this idempotency key was already used for a different request; "
                                       "use a new key for a new request")
        return True

    @property
    def open_jobs(self) -> list[dict[str, Any]]:
        """Service tasks waiting for their connector (absent on snapshots from before jobs existed)."""
        jobs: list[dict[str, Any]] = getattr(self, "jobs", [])
        return jobs

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    # -- commands ------------------------------------------------------------------
    @classmethod
    def open(cls, *, number: str, service: str, office: str, channel: str, process_version: str,
             applicant: dict[str, str], start: StartCase, actor: str, at: datetime,
             idempotency_key: str | None) -> Case:
        case_id = case_id_for(number)
        step = RUNTIME.start_kept(LIBRARY.get(process_version), case_id, at, start, LIVE_WORKFLOWS)
        opened = {"number": number, "service": service, "office": office, "channel": channel,
                  "process_version": process_version, "applicant": applicant}
        check_effects(step.effects)  # never record an event a read model cannot fold
        chain = link(GENESIS, version=1, kind="Opened", timestamp=at, actor=actor, input=input_to_dict(start),
                     effects=step.effects, idempotency_key=idempotency_key, opened=opened)
        with prepared(step):
            return cls._create(cls.Opened, id=case_id, timestamp=at, input=input_to_dict(start),
                               effects=step.effects, actor=actor, idempotency_key=idempotency_key, chain=chain,
                               **opened)

    def record(self, event_class: type[Case.Event], step_input: Input, step: Step, *, actor: str,
               at: datetime, idempotency_key: str | None) -> None:
        recorded_input = input_to_dict(step_input)
        check_effects(step.effects)  # never record an event a read model cannot fold
        chain = link(self.chain, version=self.version + 1, kind=event_class.__name__, timestamp=at, actor=actor,
                     input=recorded_input, effects=step.effects, idempotency_key=idempotency_key)
        with prepared(step):
            self.trigger_event(event_class, timestamp=at, input=recorded_input, effects=step.effects, actor=actor,
                               idempotency_key=idempotency_key, chain=chain)
