"""One office's day at reception: its bookings and its queue, as one aggregate.

Every booking of a slot and every call of a ticket is decided against the day's state and
recorded at the next version; two writers who decided on the same version meet there and
only one is saved (the other reloads and decides again, seeing the first). That is what
keeps two bookings off one slot, even from different processes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from engine.errors import IdempotencyKeyReused, InvalidInput
from engine.idempotency import request_id

OFFICE_DAY_NAMESPACE = uuid5(NAMESPACE_URL, "https://okno.example/office-day")

CATEGORIES = ("general", "priority")  # priority: disabled people, veterans, pregnant women, parents with infants
OUTCOMES = ("case_opened", "consultation", "no_show")
# Ticket numbers as a hall's board shows them: a letter for the kind of visitor.
PREFIX = {"booked": "З", "priority": "Л", "general": "А"}


def office_day_id(office: str, day: date) -> UUID:
    return uuid5(OFFICE_DAY_NAMESPACE, f"{office}/{day.isoformat()}")


class OfficeDay(Aggregate):
    office: str
    day: str
    appointments: dict[str, dict[str, Any]]  # code -> appointment
    tickets: dict[str, dict[str, Any]]  # ticket id -> ticket
    serving: dict[str, str]  # window (text) -> ticket id being served there
    booked_count: int
    issued: dict[str, int]  # ticket prefix -> how many issued
    # request_id(actor, key) -> {"request": fingerprint, "result": id}: a key is its caller's
    keyed_requests: dict[str, dict[str, str]]
    idempotency: dict[str, dict[str, str]]  # key alone -> the same: only in snapshots from before
    last_at: str

    def __init__(self) -> None:
        """State is set by Started.apply()."""

    class Event(Aggregate.Event):
        actor: str
        idempotency_key: str | None
        request: str  # a fingerprint of the request, to answer a retry under the same key

        def remember(self, day: OfficeDay, result: str) -> None:
            day.last_at = self.timestamp.isoformat()
            if self.idempotency_key:
                day.requests[request_id(self.actor, self.idempotency_key)] = {"request": self.request, "result": result}

    class Started(Event, Aggregate.Created):
        office: str
        day: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, OfficeDay)
            aggregate.office = self.office
            aggregate.day = self.day
            aggregate.appointments = {}
            aggregate.tickets = {}
            aggregate.serving = {}
            aggregate.booked_count = 0
            aggregate.issued = {}
            aggregate.idempotency = {}
            aggregate.keyed_requests = {}
            aggregate.last_at = self.timestamp.isoformat()

    class AppointmentBooked(Event):
        appointment: dict[str, Any]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, OfficeDay)
            aggregate.appointments[self.appointment["code"]] = dict(self.appointment)
            aggregate.booked_count += 1
            self.remember(aggregate, self.appointment["code"])

    class AppointmentCancelled(Event):
        code: str
        reason: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, OfficeDay)
            aggregate.appointments[self.code]["status"] = "cancelled"
            self.remember(aggregate, self.code)

    class TicketIssued(Event):
        ticket: dict[str, Any]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, OfficeDay)
            ticket = dict(self.ticket)
            aggregate.tickets[ticket["id"]] = ticket
            prefix = ticket["number"][0]
            aggregate.issued[prefix] = aggregate.issued.get(prefix, 0) + 1
            if ticket.get("appointment"):
                aggregate.appointments[ticket["appointment"]]["status"] = "arrived"
            self.remember(aggregate, ticket["id"])

    class TicketCalled(Event):
        ticket: str
        window: int

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, OfficeDay)
            ticket = aggregate.tickets[self.ticket]
            ticket.update(state="called", window=self.window, called_at=self.timestamp.isoformat())
            aggregate.serving[str(self.window)] = self.ticket
            self.remember(aggregate, self.ticket)

    class VisitEnded(Event):
        ticket: str
        outcome: str
        case_number: str | None

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, OfficeDay)
            ticket = aggregate.tickets[self.ticket]
            ticket.update(
                state="done", outcome=self.outcome, case_number=self.case_number, ended_at=self.timestamp.isoformat()
            )
            aggregate.serving.pop(str(ticket["window"]), None)
            self.remember(aggregate, self.ticket)

    # -- reading ---------------------------------------------------------------------
    @classmethod
    def start(cls, office: str, day: date, at: datetime) -> OfficeDay:
        """A day is started by its first command, in the same save as that command's event."""
        return cls._create(
            cls.Started,
            id=office_day_id(office, day),
            timestamp=at,
            office=office,
            day=day.isoformat(),
            actor="",
            idempotency_key=None,
            request="",
        )

    @property
    def requests(self) -> dict[str, dict[str, str]]:
        """The keyed requests recorded on this day, by caller and key."""
        if not hasattr(self, "keyed_requests"):  # loaded from a snapshot older than keys with callers
            self.keyed_requests = {}
        return self.keyed_requests

    def retried(self, actor: str, idempotency_key: str | None, request: str) -> str | None:
        """The result of this caller's earlier request under this key (a retry), or None:
        another caller's key is another request. A key remembered from before keys had
        callers (an old snapshot's) is answered as it was then, whoever sends it."""
        if not idempotency_key:
            return None
        earlier = self.requests.get(request_id(actor, idempotency_key)) or self.idempotency.get(idempotency_key)
        if earlier is None:
            return None
        if earlier["request"] != request:
            # Names nothing of the earlier request: its appointment or ticket is not the caller's business.
            raise IdempotencyKeyReused(
                f"this idempotency key was already used at office {self.office} "
                "for a different request; use a new key for a new request"
            )
        return earlier["result"]

    def check_time(self, at: datetime) -> None:
        if at < datetime.fromisoformat(self.last_at):
            raise InvalidInput(
                f"time {at.isoformat()} is before office {self.office}'s last reception event ({self.last_at})"
            )

    def waiting(self) -> list[dict[str, Any]]:
        return [t for t in self.tickets.values() if t["state"] == "waiting"]

    def next_appointment_code(self) -> str:
        """``OFFICE-YYYYMMDD-NNN``: the day's bookings numbered in order."""
        return f"{self.office}-{self.day.replace('-', '')}-{self.booked_count + 1:03d}"

    def next_ticket_number(self, kind: str) -> str:
        prefix = PREFIX[kind]
        return f"{prefix}{self.issued.get(prefix, 0) + 1:03d}"

    # -- recording (the application service has decided; these only record) ------------
    def book(self, appointment: dict[str, Any], *, actor: str, at: datetime, key: str | None, request: str) -> None:
        self.trigger_event(
            self.AppointmentBooked,
            timestamp=at,
            appointment=appointment,
            actor=actor,
            idempotency_key=key,
            request=request,
        )

    def cancel(self, code: str, reason: str, *, actor: str, at: datetime, key: str | None, request: str) -> None:
        self.trigger_event(
            self.AppointmentCancelled,
            timestamp=at,
            code=code,
            reason=reason,
            actor=actor,
            idempotency_key=key,
            request=request,
        )

    def issue(self, ticket: dict[str, Any], *, actor: str, at: datetime, key: str | None, request: str) -> None:
        self.trigger_event(
            self.TicketIssued, timestamp=at, ticket=ticket, actor=actor, idempotency_key=key, request=request
        )

    def call(self, ticket: str, window: int, *, actor: str, at: datetime, key: str | None, request: str) -> None:
        self.trigger_event(
            self.TicketCalled,
            timestamp=at,
            ticket=ticket,
            window=window,
            actor=actor,
            idempotency_key=key,
            request=request,
        )

    def end(
        self,
        ticket: str,
        outcome: str,
        case_number: str | None,
        *,
        actor: str,
        at: datetime,
        key: str | None,
        request: str,
    ) -> None:
        self.trigger_event(
            self.VisitEnded,
            timestamp=at,
            ticket=ticket,
            outcome=outcome,
            case_number=case_number,
            actor=actor,
            idempotency_key=key,
            request=request,
        )
