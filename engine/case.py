"""The Case aggregate: one application of a citizen for one service.

Each event records ONE input (what came from outside) and the effects it had. The
aggregate's state is what replaying the inputs through the case's pinned process
version gives; the effects are a record for readers and for the auditor's check.

An event's effect on the case is its step's (the new workflow state and the effects),
which only running the process computes, so an event's ``apply`` cannot make it alone:
whoever holds the step folds it in with :meth:`Case.advance` right after the event is
applied. A command computes the step once and passes it to :meth:`Case.open` or
:meth:`Case.record`; an engine rebuilding a case from stored events recomputes each step
from its input and refuses a case whose recorded effects it does not reproduce
(engine.case_steps, the store's projector). Nothing is handed over out of sight.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from engine.bpmn.runtime import Step, canonical
from engine.case_status import status_after
from engine.commands import Command as Input
from engine.commands import StartCase, input_to_dict
from engine.effects import check_effects
from engine.errors import IdempotencyKeyReused
from engine.idempotency import request_id
from engine.integrity import GENESIS, link
from engine.signing import Signer, event_message

Sealing = Callable[[Any], Any]  # what a command records in place of personal values (engine.sealed_fields)


def as_is(tree: Any) -> Any:
    return tree


CASE_NAMESPACE = UUID("6f6b6e6f-0000-4000-8000-00000000ca5e")


def fingerprint(step_input: dict[str, Any]) -> str:
    """What an idempotency key was used for, to tell a retry from a reuse."""
    return hashlib.sha256(canonical(step_input).encode("utf-8")).hexdigest()[:24]


def case_id_for(number: str) -> UUID:
    return uuid5(CASE_NAMESPACE, number)


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
    last_key: str | None  # the key that signed the last event (None: unsigned, before signing began)

    def __init__(self) -> None:
        """State is set by the created event's apply(); declared above for readers and mypy."""

    class Event(Aggregate.Event):
        input: dict[str, Any]
        effects: dict[str, Any]
        actor: str
        idempotency_key: str | None
        chain: str  # SHA-256 over this event and the previous one's chain (engine.integrity)
        # The writer's key id and its Ed25519 signature over ``chain`` (engine.signing);
        # None on events recorded before signing began, which read back without them.
        key: str | None = field(default=None, kw_only=True)
        signature: str | None = field(default=None, kw_only=True)

        def apply(self, aggregate: Aggregate) -> None:
            """Nothing the event can do alone: its step is folded in by :meth:`Case.advance`."""

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
            aggregate.state = ""  # the opening step's state comes with it, in advance()

    class TaskCompleted(Event):
        pass

    class MessageReceived(Event):
        pass

    class TimerFired(Event):
        pass

    class SignalReceived(Event):
        pass

    class Withdrawn(Event):
        pass

    class TaskClaimed(Event):
        pass

    class TaskReleased(Event):
        pass

    class TaskReassigned(Event):
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

    class JobLocked(Event):  # an external worker activated a job (engine/commands/job_workers.py)
        pass

    class JobErrorThrown(Event):  # an external worker threw a BPMN error at a job's service task
        pass

    # -- evolving state ---------------------------------------------------------
    def advance(self, event: Case.Event, step: Step) -> None:
        """Fold in the step ``event`` recorded, just after the event was applied: computed by
        the command that records it, or recomputed (and checked) when the case is rebuilt."""
        if event.originator_version != self.version:
            raise ValueError(f"event version {event.originator_version} is not the case's {self.version}")
        self.state = step.state
        self.chain = event.chain
        self.last_key = event.key
        effects = step.effects
        self.last_effects = effects
        closed = {t["task"] for t in effects["tasks_closed"]}
        self.open_tasks = [t for t in self.open_tasks if t["task"] not in closed] + effects["tasks_opened"]
        holders = {c["task"]: c["holder"] for c in effects.get("claims", [])}
        if holders:
            self.open_tasks = [
                {**t, "holder": holders[t["task"]]} if t["task"] in holders else t for t in self.open_tasks
            ]
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

    @property
    def requests(self) -> dict[str, str]:
        """The keyed requests this case has recorded, by caller and key."""
        if not hasattr(self, "keyed_requests"):  # loaded from a snapshot older than keys with callers
            self.keyed_requests = {}
        return self.keyed_requests

    def already_did(self, actor: str, idempotency_key: str | None, step: Input, sealing: Sealing = as_is) -> bool:
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
        plain = input_to_dict(step)
        # Recorded inputs hold personal values sealed (deterministically: the same input
        # seals the same); events recorded before sealing hold them in clear.
        if recorded not in (fingerprint(sealing(plain)), fingerprint(plain)):
            # Names no case: a key is the caller's, the case may not be.
            raise IdempotencyKeyReused(
                "this idempotency key was already used for a different request; use a new key for a new request"
            )
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
    def open(
        cls,
        *,
        number: str,
        service: str,
        office: str,
        channel: str,
        process_version: str,
        applicant: dict[str, str],
        start: StartCase,
        step: Step,
        actor: str,
        at: datetime,
        idempotency_key: str | None,
        sealing: Sealing = as_is,
        signer: Signer | None,
    ) -> Case:
        """A new case, with ``step`` the one ``start`` made (engine.case_steps.CaseSteps.opening).
        ``sealing``: the event records its input and effects with personal values sealed."""
        case_id = case_id_for(number)
        opened = {
            "number": number,
            "service": service,
            "office": office,
            "channel": channel,
            "process_version": process_version,
            "applicant": applicant,
        }
        check_effects(step.effects)  # never record an event a read model cannot fold
        recorded_input, recorded_effects = sealing(input_to_dict(start)), sealing(step.effects)
        chain = link(
            GENESIS,
            version=1,
            kind="Opened",
            timestamp=at,
            actor=actor,
            input=recorded_input,
            effects=recorded_effects,
            idempotency_key=idempotency_key,
            opened=opened,
            key=signer.key_id if signer else None,
        )
        case = cls._create(
            cls.Opened,
            id=case_id,
            timestamp=at,
            input=recorded_input,
            effects=recorded_effects,
            actor=actor,
            idempotency_key=idempotency_key,
            chain=chain,
            **_signed(signer, chain),
            **opened,
        )
        case.advance(case.last_pending(), step)
        return case

    def record(
        self,
        event_class: type[Case.Event],
        step_input: Input,
        step: Step,
        *,
        actor: str,
        at: datetime,
        idempotency_key: str | None,
        sealing: Sealing = as_is,
        signer: Signer | None,
    ) -> None:
        recorded_input = sealing(input_to_dict(step_input))
        check_effects(step.effects)  # never record an event a read model cannot fold
        recorded_effects = sealing(step.effects)
        chain = link(
            self.chain,
            version=self.version + 1,
            kind=event_class.__name__,
            timestamp=at,
            actor=actor,
            input=recorded_input,
            effects=recorded_effects,
            idempotency_key=idempotency_key,
            key=signer.key_id if signer else None,
        )
        self.trigger_event(
            event_class,
            timestamp=at,
            input=recorded_input,
            effects=recorded_effects,
            actor=actor,
            idempotency_key=idempotency_key,
            chain=chain,
            **_signed(signer, chain),
        )
        self.advance(self.last_pending(), step)

    def last_pending(self) -> Case.Event:
        """The event just triggered (it waits in the pending events until saved)."""
        event = self.pending_events[-1]
        assert isinstance(event, Case.Event)
        return event


def _signed(signer: Signer | None, chain: str) -> dict[str, str]:
    """An event's key id and signature; nothing from an engine without a signer (tests
    writing a store as okno wrote it before signing began)."""
    if signer is None:
        return {}
    return {"key": signer.key_id, "signature": signer.sign(event_message(signer.key_id, chain))}
