"""Reception's commands: book, cancel and reschedule appointments; issue, call and close
tickets; open a case at the window that ends the visit.

Each command decides against the office's day and records one event on it. When
another writer saved the day first, the command reloads it and decides again, so a
second booking of a slot sees the first and is refused as taken.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar, cast
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from engine.applicant import normalised as applicant_details
from engine.application import Engine
from engine.case import Case
from engine.catalog import Service
from engine.directory import Directory
from engine.errors import (
    AppointmentNotValid,
    ConcurrencyConflict,
    IdempotencyKeyReused,
    InvalidInput,
    OfficeClosed,
    ServiceNotOffered,
    ServiceRetired,
    UnknownAppointment,
    UnknownOffice,
    UnknownService,
    UnknownTicket,
    VisitNotInProgress,
    WindowBusy,
)
from engine.input_checks import ACTOR, APPLICANT, CASE_DATA, CODE, FREE_TEXT, KEY, POSITION, Maybe, checked
from engine.offices import Office
from engine.reception.hours import is_open, local_day
from engine.reception.office_day import CATEGORIES, OUTCOMES, OfficeDay, office_day_id
from engine.reception.queue import pick_next
from engine.reception.slots import Booked, check_slot, parse_slot_id
from engine.working_days import WorkingCalendar

T = TypeVar("T")
ATTEMPTS = 30  # writers racing on one office's day: decide again this many times at most
BOOKING_CHANNELS = ("portal", "terminal", "call_centre", "window")
# The ids a booking's PIN is derived from: apart from cases' ids, so a booking and a case
# never share a PIN by construction.
APPOINTMENT_PIN_NAMESPACE = uuid5(NAMESPACE_URL, "https://okno.example/appointment-pin")


@dataclass(frozen=True)
class Appointment:
    code: str
    office: str
    window: int
    service: str
    start: datetime
    end: datetime
    channel: str
    status: str  # booked, arrived, cancelled

    @classmethod
    def of(cls, row: dict[str, Any]) -> Appointment:
        return cls(
            code=row["code"],
            office=row["office"],
            window=row["window"],
            service=row["service"],
            start=datetime.fromisoformat(row["start"]),
            end=datetime.fromisoformat(row["end"]),
            channel=row["channel"],
            status=row["status"],
        )


@dataclass(frozen=True)
class Ticket:
    id: str
    number: str
    office: str
    service: str
    category: str
    appointment: str | None
    arrived_at: datetime
    state: str  # waiting, called, done
    window: int | None
    called_at: datetime | None
    outcome: str | None
    case_number: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> Ticket:
        def moment(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            id=row["id"],
            number=row["number"],
            office=row["office"],
            service=row["service"],
            category=row["category"],
            appointment=row.get("appointment"),
            arrived_at=datetime.fromisoformat(row["arrived_at"]),
            state=row["state"],
            window=row.get("window"),
            called_at=moment(row.get("called_at")),
            outcome=row.get("outcome"),
            case_number=row.get("case_number"),
        )


def request_print(kind: str, **fields: Any) -> str:
    """What a request asked for, to tell a retry (same key, same request) from a reuse."""
    text = json.dumps({"kind": kind, **fields}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def split_code(code: str) -> tuple[str, date]:
    """``OFFICE-YYYYMMDD-NNN`` (an appointment) or ``OFFICE-YYYYMMDD-А001`` (a ticket)."""
    parts = code.rsplit("-", 2) if isinstance(code, str) and len(code) <= 64 else []
    if len(parts) != 3 or not parts[1].isdigit() or len(parts[1]) != 8:
        raise InvalidInput(f"{code!r} is not an appointment code or ticket id (OFFICE-YYYYMMDD-NNN)")
    try:
        return parts[0], date(int(parts[1][:4]), int(parts[1][4:6]), int(parts[1][6:]))
    except ValueError:
        raise InvalidInput(f"{code!r} does not name a real day") from None


class Reception:
    def __init__(self, engine: Engine, calendar: WorkingCalendar | None = None) -> None:
        self.engine = engine
        self.calendar = calendar

    # -- appointments --------------------------------------------------------------
    # Each command declares how its arguments from outside are checked (engine.input_checks).
    @checked(
        office=CODE, service=CODE, slot=CODE, channel=CODE, applicant=APPLICANT, actor=ACTOR, idempotency_key=Maybe(KEY)
    )
    def book(
        self,
        *,
        office: str,
        service: str,
        slot: str,
        channel: str,
        applicant: dict[str, str],
        actor: str,
        at: datetime,
        idempotency_key: str | None = None,
    ) -> Appointment:
        applicant = applicant_details(applicant, at)  # stored normalised; a retry compares that
        directory = self.engine.reference()
        where, entry = _reception(directory, office), _service(directory, service)
        if channel not in BOOKING_CHANNELS:
            raise InvalidInput(
                f"unknown booking channel {channel!r}; channels: {', '.join(BOOKING_CHANNELS)}", field="channel"
            )
        request = request_print("book", office=office, service=service, slot=slot, channel=channel)
        _, start = parse_slot_id(slot, where)

        def decide(day: OfficeDay) -> str:
            chosen = check_slot(where, entry, slot, held(day), at, self.calendar)
            code = day.next_appointment_code()
            sealed = self.engine.vault.seal(uuid5(day.id, code), applicant) if applicant else {}
            day.book(
                {
                    "code": code,
                    "office": office,
                    "window": chosen.window,
                    "service": service,
                    "start": chosen.start.isoformat(),
                    "end": chosen.end.isoformat(),
                    "channel": channel,
                    "status": "booked",
                    "applicant": sealed,
                },
                actor=actor,
                at=at,
                key=idempotency_key,
                request=request,
            )
            return code

        def same_applicant(day: OfficeDay, code: str) -> None:
            """The applicant is part of the request, compared sealed-side (never printed in clear)."""
            stored = day.appointments[code]["applicant"]
            if (self.engine.vault.unseal(uuid5(day.id, code), stored) if stored else {}) != applicant:
                raise IdempotencyKeyReused(
                    "this idempotency key was already used for a different request "
                    "(another applicant); use a new key for a new request"
                )

        code = self._on_day(
            office, start.date(), at, actor, idempotency_key, request, decide, same_request=same_applicant
        )
        return self.appointment(code)

    @checked(code=CODE, reason=FREE_TEXT, actor=ACTOR, idempotency_key=Maybe(KEY))
    def cancel(
        self, code: str, reason: str, *, actor: str, at: datetime, idempotency_key: str | None = None
    ) -> Appointment:
        office, day_of = split_code(code)
        request = request_print("cancel", code=code, reason=reason)

        def decide(day: OfficeDay) -> str:
            found = day.appointments.get(code)
            if found is None:
                raise UnknownAppointment(code)
            if found["status"] != "booked":
                raise AppointmentNotValid(f"appointment {code} is {found['status']}: it cannot be cancelled")
            day.cancel(code, reason, actor=actor, at=at, key=idempotency_key, request=request)
            return code

        self._on_day(
            office, day_of, at, actor, idempotency_key, request, decide, missing=_raise(UnknownAppointment(code))
        )
        return self.appointment(code)

    @checked(code=CODE, slot=CODE, actor=ACTOR, idempotency_key=Maybe(KEY))
    def reschedule(
        self, code: str, slot: str, *, actor: str, at: datetime, idempotency_key: str | None = None
    ) -> Appointment:
        """Move a booking to another slot: the old one is cancelled and the new one booked
        in one transaction, so the citizen never holds both or neither."""
        office, old_day = split_code(code)
        directory = self.engine.reference()
        where = _office(directory, office)
        _, start = parse_slot_id(slot, where)
        request = request_print("reschedule", code=code, slot=slot)
        for _ in range(ATTEMPTS):
            old = self.day(office, old_day)
            if old is None:
                raise UnknownAppointment(code)
            new = (
                old
                if start.date() == old_day
                else (self.day(office, start.date()) or OfficeDay.start(office, start.date(), at))
            )
            earlier = new.retried(actor, idempotency_key, request)
            if earlier is not None:
                return self.appointment(earlier)
            found = old.appointments.get(code)
            if found is None:
                raise UnknownAppointment(code)
            if found["status"] != "booked":
                raise AppointmentNotValid(f"appointment {code} is {found['status']}: it cannot be rescheduled")
            old.check_time(at)
            new.check_time(at)
            kept = [
                b
                for b in held(new)
                if not (new is old and b.window == found["window"] and b.start.isoformat() == found["start"])
            ]
            chosen = check_slot(
                where, _service(directory, found["service"], booked=True), slot, kept, at, self.calendar
            )
            new_code = new.next_appointment_code()
            old.cancel(code, f"rescheduled to {new_code}", actor=actor, at=at, key=None, request=request)
            # The citizen's contacts move with the booking, sealed under the new code's own key.
            applicant = (
                self.engine.vault.unseal(uuid5(old.id, code), found["applicant"]) or {} if found["applicant"] else {}
            )
            sealed = self.engine.vault.seal(uuid5(new.id, new_code), applicant) if applicant else {}
            new.book(
                {
                    **found,
                    "code": new_code,
                    "window": chosen.window,
                    "start": chosen.start.isoformat(),
                    "end": chosen.end.isoformat(),
                    "status": "booked",
                    "applicant": sealed,
                    "rescheduled_from": code,
                },
                actor=actor,
                at=at,
                key=idempotency_key,
                request=request,
            )
            if self._save(old, new):
                return self.appointment(new_code)
        raise ConcurrencyConflict(f"office {office} reception", 0)

    def pin(self, code: str) -> str:
        """The booking's PIN: with its code it lets the citizen look the booking up, move or
        cancel it without a token. Derived from the master key and the code as a case's PIN
        is (engine.personal_data): never stored, and a lost slip can be reprinted."""
        return self.engine.vault.pin(uuid5(APPOINTMENT_PIN_NAMESPACE, code))

    def check_pin(self, code: str, pin: str) -> bool:
        """Any code, booked or not, has a PIN, so the answer tells nothing of which exist."""
        return self.engine.vault.check_pin(uuid5(APPOINTMENT_PIN_NAMESPACE, code), pin)

    @checked(code=CODE)
    def appointment(self, code: str) -> Appointment:
        office, day_of = split_code(code)
        day = self.day(office, day_of)
        found = day.appointments.get(code) if day is not None else None
        if found is None:
            raise UnknownAppointment(code)
        return Appointment.of(found)

    # -- the queue ------------------------------------------------------------------
    @checked(
        office=CODE,
        actor=ACTOR,
        service=Maybe(CODE),
        appointment=Maybe(CODE),
        category=CODE,
        idempotency_key=Maybe(KEY),
    )
    def issue_ticket(
        self,
        *,
        office: str,
        actor: str,
        at: datetime,
        service: str | None = None,
        appointment: str | None = None,
        category: str = "general",
        idempotency_key: str | None = None,
    ) -> Ticket:
        directory = self.engine.reference()
        where = _reception(directory, office)
        if category not in CATEGORIES:
            raise InvalidInput(f"unknown category {category!r}; categories: {', '.join(CATEGORIES)}", field="category")
        if not is_open(where, at, self.calendar):
            raise OfficeClosed(f"office {office} is closed at {at.isoformat()}: no tickets are issued")
        if appointment is None:
            if service is None:
                raise InvalidInput("name the service the visitor came for, or their appointment")
            entry = _service(directory, service)
            if not any(where.serves(w, entry.code, entry.agency) for w in range(1, where.windows + 1)):
                raise ServiceNotOffered(f"office {office} does not offer {service!r}")
        request = request_print("ticket", office=office, service=service, appointment=appointment, category=category)

        def decide(day: OfficeDay) -> str:
            booked = day.appointments.get(appointment) if appointment else None
            if appointment and booked is None:
                raise UnknownAppointment(f"{appointment} (not at office {office} today)")
            if booked is not None:
                if booked["status"] != "booked":
                    raise AppointmentNotValid(f"appointment {appointment} is {booked['status']}")
                if service is not None and service != booked["service"]:
                    raise InvalidInput(f"appointment {appointment} is for {booked['service']!r}, not {service!r}")
                if at >= datetime.fromisoformat(booked["end"]):
                    raise AppointmentNotValid(f"appointment {appointment}'s time has passed: take a ticket without it")
            kind = "booked" if booked is not None else category
            number = day.next_ticket_number(kind)
            ticket_id = f"{office}-{day.day.replace('-', '')}-{number}"
            day.issue(
                {
                    "id": ticket_id,
                    "number": number,
                    "office": office,
                    "day": day.day,
                    "service": booked["service"] if booked else service,
                    "category": category,
                    "appointment": appointment,
                    "appointment_start": booked["start"] if booked else None,
                    "arrived_at": at.isoformat(),
                    "state": "waiting",
                    "window": None,
                    "called_at": None,
                    "ended_at": None,
                    "outcome": None,
                    "case_number": None,
                },
                actor=actor,
                at=at,
                key=idempotency_key,
                request=request,
            )
            return ticket_id

        ticket_id = self._on_day(office, local_day(where, at), at, actor, idempotency_key, request, decide)
        return self.ticket(ticket_id)

    @checked(office=CODE, window=POSITION, actor=ACTOR, idempotency_key=Maybe(KEY))
    def call_next(
        self, *, office: str, window: int, actor: str, at: datetime, idempotency_key: str | None = None
    ) -> Ticket | None:
        """The ticket called to ``window``, or None when nobody waits for what it serves."""
        directory = self.engine.reference()
        where = _office(directory, office)
        if not 1 <= window <= where.windows:
            raise InvalidInput(f"office {office} has windows 1 to {where.windows}, not {window}", field="window")
        services = directory.services
        request = request_print("call", office=office, window=window)

        def serves(code: str) -> bool:
            entry = services.get(code)
            return where.serves(window, code, entry["agency"] if entry else "")

        def decide(day: OfficeDay) -> str | None:
            busy = day.serving.get(str(window))
            if busy:
                raise WindowBusy(
                    f"window {window} is still serving {day.tickets[busy]['number']}: end that visit first"
                )
            chosen = pick_next(day.waiting(), serves, at)
            if chosen is None:
                return None
            day.call(chosen["id"], window, actor=actor, at=at, key=idempotency_key, request=request)
            return str(chosen["id"])

        ticket_id = self._on_day(
            office,
            local_day(where, at),
            at,
            actor,
            idempotency_key,
            request,
            decide,
            missing=lambda _office, _day: None,
        )
        return None if ticket_id is None else self.ticket(ticket_id)

    @checked(ticket=CODE, outcome=CODE, actor=ACTOR, idempotency_key=Maybe(KEY))
    def end_visit(
        self, ticket: str, outcome: str, *, actor: str, at: datetime, idempotency_key: str | None = None
    ) -> Ticket:
        """A visit without a case: a consultation, or a called visitor who did not come up."""
        if outcome not in OUTCOMES or outcome == "case_opened":
            raise InvalidInput(
                f"a visit ends with a consultation or no_show here, not {outcome!r} "
                "(a case opened at the window ends its visit by itself)"
            )
        office, day_of = split_code(ticket)
        request = request_print("end", ticket=ticket, outcome=outcome)

        def decide(day: OfficeDay) -> str:
            self._in_progress(day, ticket)
            day.end(ticket, outcome, None, actor=actor, at=at, key=idempotency_key, request=request)
            return ticket

        self._on_day(office, day_of, at, actor, idempotency_key, request, decide, missing=_raise(UnknownTicket(ticket)))
        return self.ticket(ticket)

    @checked(
        ticket=CODE,
        applicant=APPLICANT,
        actor=ACTOR,
        service=Maybe(CODE),
        data=Maybe(CASE_DATA),
        idempotency_key=Maybe(KEY),
    )
    def open_case(
        self,
        ticket: str,
        *,
        applicant: dict[str, str],
        actor: str,
        at: datetime,
        service: str | None = None,
        data: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Case:
        """Open the visitor's case at the window; the visit ends with it, in one transaction."""
        office, day_of = split_code(ticket)
        where = _office(self.engine.reference(), office)
        number: str | None = None  # what the first attempt decided: a lost race decides again on it
        for _ in range(ATTEMPTS):
            day = self.day(office, day_of)
            if day is None:
                raise UnknownTicket(ticket)

            def visit_in_progress(day: OfficeDay = day) -> None:  # refused before anything is written
                self._in_progress(day, ticket)
                day.check_time(at)

            def same_ticket(case: Case, day: OfficeDay = day) -> None:
                if self._ticket_row(day, ticket).get("case_number") != case.number:
                    raise IdempotencyKeyReused(
                        "this idempotency key was already used for a different request "
                        "(another ticket); use a new key for a new request"
                    )

            case = self.engine.new_case(
                service=service or self._ticket_row(day, ticket)["service"],
                office=office,
                channel="window" if where.kind == "centre" else "remote_office",
                applicant=self._with_booking_contact(day, ticket, applicant),
                actor=actor,
                at=at,
                data=data,
                idempotency_key=idempotency_key,
                preconditions=visit_in_progress,
                retried=same_ticket,
                number=number,
            )
            if not case.pending_events:
                self._destroy_booking_copy(day, ticket)  # a crash may have come between save and this
                return case  # a retry: the case and the visit's end were recorded the first time
            number = case.number
            day.end(ticket, "case_opened", case.number, actor=actor, at=at, key=None, request="")
            try:
                self.engine.save_new_case(case, day)
            except ConcurrencyConflict:
                continue  # the day moved on (or the case exists): decide again
            self._remember(day)
            self._destroy_booking_copy(day, ticket)
            return case
        raise ConcurrencyConflict(f"office {office} reception", 0)

    def _with_booking_contact(self, day: OfficeDay, ticket: str, applicant: dict[str, str]) -> dict[str, str]:
        """The applicant of a case opened from a booking: the contact the citizen booked
        with, and over it what the window entered. It is sealed again under the case's key
        (one key per case is what shredding deletes), and the appointment's copy is
        destroyed once the case is saved (:meth:`_destroy_booking_copy`). A retry after
        that finds no booking copy; it is then compared with what the case holds, over
        which only the fields entered again must agree."""
        row = self._ticket_row(day, ticket)
        code = row.get("appointment")
        stored = day.appointments[code]["applicant"] if code and code in day.appointments else None
        if not code or not stored:
            return applicant
        booked = self.engine.vault.unseal(uuid5(day.id, code), stored)
        if booked is None:  # destroyed: the case opened from it already holds the contact
            held = self.engine.applicant(row["case_number"]) if row.get("case_number") else None
            return {**(held or {}), **applicant}
        return {**booked, **applicant}

    def _destroy_booking_copy(self, day: OfficeDay, ticket: str) -> None:
        """Delete the appointment's key: its sealed contact in the office's day stays in
        the log (events are never rewritten) but no longer opens; the case's copy is the
        only one left, and shredding the case removes that one."""
        code = self._ticket_row(day, ticket).get("appointment")
        if code:
            self.engine.vault.shred(uuid5(day.id, code))

    @checked(ticket=CODE)
    def ticket(self, ticket: str) -> Ticket:
        office, day_of = split_code(ticket)
        day = self.day(office, day_of)
        if day is None:
            raise UnknownTicket(ticket)
        return Ticket.of(self._ticket_row(day, ticket))

    def day(self, office: str, day_of: date) -> OfficeDay | None:
        try:
            found: Any = self.engine.store.repository.get(office_day_id(office, day_of))
        except AggregateNotFoundError:
            return None
        assert isinstance(found, OfficeDay)
        return found

    # -- internals --------------------------------------------------------------------
    @staticmethod
    def _ticket_row(day: OfficeDay, ticket: str) -> dict[str, Any]:
        found = day.tickets.get(ticket)
        if found is None:
            raise UnknownTicket(ticket)
        return found

    def _in_progress(self, day: OfficeDay, ticket: str) -> None:
        state = self._ticket_row(day, ticket)["state"]
        if state != "called":
            raise VisitNotInProgress(f"ticket {ticket} is {state}: only a called visitor's visit can end")

    def _on_day(
        self,
        office: str,
        day_of: date,
        at: datetime,
        actor: str,
        key: str | None,
        request: str,
        decide: Callable[[OfficeDay], T],
        *,
        missing: Callable[[str, date], T] | None = None,
        same_request: Callable[[OfficeDay, str], None] | None = None,
    ) -> T:
        """Decide against the day and save what was decided; on a lost race, again. A retry
        under the same caller's earlier key gets that request's answer, once ``same_request``
        (what the request print leaves out) agrees; a day with no events yet is started,
        unless ``missing`` says what that means instead."""
        for _ in range(ATTEMPTS):
            day = self.day(office, day_of)
            if day is None:
                if missing is not None:
                    return missing(office, day_of)
                day = OfficeDay.start(office, day_of, at)
            earlier = day.retried(actor, key, request)
            if earlier is not None:
                if same_request is not None:
                    same_request(day, earlier)
                return cast(T, earlier)
            day.check_time(at)
            result = decide(day)
            if not day.pending_events or self._save(day):
                return result
        raise ConcurrencyConflict(f"office {office} reception on {day_of.isoformat()}", 0)

    def _save(self, *days: OfficeDay) -> bool:
        unique = list({d.id: d for d in days}.values())
        try:
            self.engine.store.save(*unique)
        except IntegrityError:
            return False
        for day in unique:
            self._remember(day)
        return True

    def _remember(self, day: OfficeDay) -> None:
        cache = self.engine.store.repository.cache
        if cache is not None:
            from copy import deepcopy

            cache.put(day.id, deepcopy(day))


def _office(directory: Directory, code: str) -> Office:
    if code not in directory.offices:
        raise UnknownOffice(code)
    return Office.from_dict(directory.offices[code])


def _reception(directory: Directory, code: str) -> Office:
    """An office with windows to receive visitors at: a terminal point has none, so its
    citizens book (on its terminal) a visit to their centre's or a remote office's windows."""
    where = _office(directory, code)
    if not where.receives_visitors:
        raise InvalidInput(
            f"office {code} is an information terminal point without windows: visits are booked "
            f"at {where.parent} or its remote offices",
            field="office",
        )
    return where


def _service(directory: Directory, code: str, booked: bool = False) -> Service:
    """The service a visitor comes for; a retired one only for a visit booked before."""
    if code not in directory.services:
        raise UnknownService(code)
    if not booked and not directory.takes_cases(code):
        raise ServiceRetired(code)
    return Service.from_dict(directory.services[code])


def held(day: OfficeDay) -> list[Booked]:
    """The window time the day's bookings hold (all but the cancelled)."""
    return [
        Booked(a["window"], datetime.fromisoformat(a["start"]), datetime.fromisoformat(a["end"]))
        for a in day.appointments.values()
        if a["status"] != "cancelled"
    ]


def _raise(error: Exception) -> Callable[[str, date], Any]:
    def missing(_office: str, _day: date) -> Any:
        raise error

    return missing
