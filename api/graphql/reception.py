"""Reception over GraphQL: free slots and bookings for the portal, terminals and the call
centre; tickets, the live queue and the hall's display board for offices."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from api.auth import NotAuthenticated
from api.callers import caller_key
from api.citizens import CITIZEN, check_anonymous_booking, check_booking_pin
from api.context import Context
from api.graphql.errors import ConflictError, NotAllowedError, NotFoundError, ValidationError, attempt
from api.graphql.office_day import office_today_now
from engine import reception_desk as desk
from engine.errors import InputRefused, NotFound
from engine.reception_desk import Reception
from projections.reception import live_queue, slots

BOARD_POLL_SECONDS = 0.5
BOARD_LINES = 8  # the last calls a hall's board shows
RECEPTION_ROLES = ("integrator", "operator", "supervisor")
STAFF = ("operator", "supervisor")


@strawberry.type(description="A time a booked visitor can be received at a window.")
class Slot:
    id: str = strawberry.field(description="Pass it to bookAppointment: OFFICE/WINDOW/YYYY-MM-DDTHH:MM.")
    office_id: str
    window: int
    start: datetime
    end: datetime


@strawberry.type
class Appointment:
    code: str = strawberry.field(description="The booking's code, printed for the citizen.")
    office_id: str
    window: int
    service_code: str
    start: datetime
    end: datetime
    channel: str
    status: str = strawberry.field(description="booked, arrived or cancelled")

    @classmethod
    def of(cls, view: desk.Appointment) -> Appointment:
        return cls(
            code=view.code,
            office_id=view.office,
            window=view.window,
            service_code=view.service,
            start=view.start,
            end=view.end,
            channel=view.channel,
            status=view.status,
        )


@strawberry.type
class Ticket:
    id: str = strawberry.field(description="OFFICE-YYYYMMDD-NUMBER: names the ticket in endVisit and openCase.")
    number: str = strawberry.field(
        description="What the hall's board shows: А015 (in turn), Л003 (priority), З007 (booked)."
    )
    office_id: str
    service_code: str
    category: str
    appointment_code: str | None
    arrived_at: datetime
    state: str = strawberry.field(description="waiting, called or done")
    window: int | None
    called_at: datetime | None
    outcome: str | None
    case_number: str | None

    @classmethod
    def of(cls, view: desk.Ticket) -> Ticket:
        return cls(
            id=view.id,
            number=view.number,
            office_id=view.office,
            service_code=view.service,
            category=view.category,
            appointment_code=view.appointment,
            arrived_at=view.arrived_at,
            state=view.state,
            window=view.window,
            called_at=view.called_at,
            outcome=view.outcome,
            case_number=view.case_number,
        )

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> Ticket:
        return cls.of(desk.Ticket.of({**row, "window": row["window_no"]}))


@strawberry.type(description="An office's queue today, from the read model.")
class Queue:
    office_id: str
    day: date
    waiting: list[Ticket] = strawberry.field(description="In order of arrival.")
    serving: list[Ticket] = strawberry.field(description="Called to a window, the latest call first.")
    done: int


@strawberry.type
class BoardLine:
    number: str
    window: int


@strawberry.type(description="What a hall's display board shows: the latest calls and how many wait.")
class Board:
    office_id: str
    called: list[BoardLine]
    waiting: int


@strawberry.type
class AppointmentPayload:
    appointment: Appointment
    pin: str | None = strawberry.field(
        default=None,
        description="Hand it to the citizen with the code (booked and rescheduled bookings): with both, "
        "appointment, rescheduleAppointment and cancelAppointment need no token. A moved booking has "
        "a new code and PIN. Null after cancelling.",
    )


@strawberry.type
class TicketPayload:
    ticket: Ticket


@strawberry.type
class CallNextPayload:
    ticket: Ticket | None = strawberry.field(description="Null when nobody waits for what the window serves.")


Errors = ValidationError | NotFoundError | NotAllowedError | ConflictError
AppointmentResult = Annotated[AppointmentPayload | Errors, strawberry.union("AppointmentResult")]
TicketResult = Annotated[TicketPayload | Errors, strawberry.union("TicketResult")]
CallNextResult = Annotated[CallNextPayload | Errors, strawberry.union("CallNextResult")]


@strawberry.input
class BookingContactInput:
    full_name: str
    phone: str | None = None
    email: str | None = None


@strawberry.input
class BookAppointmentInput:
    office_id: str
    service_code: str
    slot_id: str = strawberry.field(description="A slot's id from `slots`.")
    channel: str = strawberry.field(description="portal, terminal, call_centre or window")
    contact: BookingContactInput | None = None
    idempotency_key: str | None = None


PIN_ARGUMENT = "The booking's PIN (AppointmentPayload.pin): without a token it is what lets the caller at the booking."


@strawberry.input
class CancelAppointmentInput:
    code: str
    reason: str
    pin: str | None = strawberry.field(default=None, description=PIN_ARGUMENT)
    idempotency_key: str | None = None


@strawberry.input
class RescheduleAppointmentInput:
    code: str
    slot_id: str
    pin: str | None = strawberry.field(default=None, description=PIN_ARGUMENT)
    idempotency_key: str | None = None


@strawberry.input
class IssueTicketInput:
    office_id: str
    service_code: str | None = strawberry.field(
        default=None, description="What the visitor came for; not needed with an appointment."
    )
    appointment_code: str | None = None
    category: str = strawberry.field(default="general", description="general or priority")
    idempotency_key: str | None = None


@strawberry.input
class CallNextTicketInput:
    office_id: str
    window: int
    idempotency_key: str | None = None


@strawberry.input
class EndVisitInput:
    ticket_id: str
    outcome: str = strawberry.field(description="consultation or no_show (opening a case ends a visit by itself)")
    idempotency_key: str | None = None


def _reception(info: strawberry.Info[Context, None]) -> Reception:
    return Reception(info.context.services.engine)


def _in_office(info: strawberry.Info[Context, None], code: str, roles: tuple[str, ...] = RECEPTION_ROLES) -> None:
    """The office a reception code or ticket id names: staff act only in their own. The
    role is checked before the code is read, so a caller without the role learns nothing."""
    who = info.context.who
    who.require(*roles)
    who.require(*roles, office=desk.split_code(code)[0])


def _at_booking(info: strawberry.Info[Context, None], code: str, pin: str | None) -> None:
    """A caller with a token as its role allows (_in_office); one without, by the booking's
    PIN (api.citizens)."""
    context = info.context
    if context.principal is not None or pin is None:
        if context.principal is None:
            raise NotAuthenticated("this needs a bearer token (okno token create), or the booking's PIN")
        _in_office(info, code)
        return
    services = context.services
    check_booking_pin(
        services.tracking.attempts,
        Reception(services.engine),
        code,
        pin,
        services.clock(),
        caller_key(None, context.request),
    )


def _actor(info: strawberry.Info[Context, None]) -> str:
    """Who a command is recorded as: the token's holder, or an anonymous citizen (each
    command's own check has refused the anonymous where a token is needed)."""
    return CITIZEN if info.context.principal is None else info.context.actor()


@strawberry.type
class ReceptionQuery:
    @strawberry.field(
        description="Free slots for a service at an office, day by day (at most 31 days); public, like the catalog."
    )
    def slots(
        self,
        info: strawberry.Info[Context, None],
        office_id: str,
        service_code: str,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
    ) -> list[Slot]:
        services = info.context.services
        services.refresh()
        return [
            Slot(id=s.id, office_id=s.office, window=s.window, start=s.start, end=s.end)
            for s in slots(services.reader, office_id, service_code, from_, to, services.clock())
        ]

    @strawberry.field(
        description="One booking by its code (integrators; staff of its office; without a token, with its PIN)."
    )
    def appointment(
        self,
        info: strawberry.Info[Context, None],
        code: str,
        pin: Annotated[str | None, strawberry.argument(description=PIN_ARGUMENT)] = None,
    ) -> Appointment | None:
        _at_booking(info, code, pin)
        try:
            return Appointment.of(_reception(info).appointment(code))
        except NotFound:
            return None

    @strawberry.field(description="An office's live queue (integrators: terminals and boards; staff of the office).")
    def queue(self, info: strawberry.Info[Context, None], office_id: str, day: date | None = None) -> Queue:
        info.context.who.require(*RECEPTION_ROLES, office=office_id)
        services = info.context.services
        services.refresh()
        view = live_queue(services.reader, office_id, day or office_today_now(info, office_id))
        return Queue(
            office_id=office_id,
            day=date.fromisoformat(view.day),
            waiting=[Ticket.of_row(r) for r in view.waiting],
            serving=[Ticket.of_row(r) for r in view.serving],
            done=view.done,
        )


def as_contact(refused: InputRefused) -> InputRefused:
    """The engine's ``applicant`` is what a booking's input calls ``contact``."""
    return InputRefused(
        [
            replace(p, field="contact" + p.field.removeprefix("applicant")) if p.field.startswith("applicant") else p
            for p in refused.problems
        ]
    )


def _command(info: strawberry.Info[Context, None], run: Callable[[Reception, str, datetime], Any]) -> Any:
    services = info.context.services
    return attempt(lambda: run(Reception(services.engine), _actor(info), services.clock()))


@strawberry.type
class ReceptionMutation:
    @strawberry.mutation(
        description="Integrators (portal, terminal, call centre); staff of the office; a citizen without a "
        "token, on the portal channel with a name and a phone or e-mail (a few bookings per address)."
    )
    def book_appointment(self, info: strawberry.Info[Context, None], input: BookAppointmentInput) -> AppointmentResult:
        def run(reception: Reception, actor: str, at: datetime) -> AppointmentPayload:
            contact = {k: v for k, v in vars(input.contact).items() if v} if input.contact else {}
            try:
                if info.context.principal is None:
                    check_anonymous_booking(
                        info.context.services.tracking.attempts,
                        input.channel,
                        contact,
                        at,
                        caller_key(None, info.context.request),
                    )
                else:
                    info.context.who.require(*RECEPTION_ROLES, office=input.office_id)
                booked = reception.book(
                    office=input.office_id,
                    service=input.service_code,
                    slot=input.slot_id,
                    channel=input.channel,
                    applicant=contact,
                    actor=actor,
                    at=at,
                    idempotency_key=input.idempotency_key,
                )
            except InputRefused as refused:
                raise as_contact(refused) from None
            return AppointmentPayload(appointment=Appointment.of(booked), pin=reception.pin(booked.code))

        result: AppointmentResult = _command(info, run)
        return result

    @strawberry.mutation(
        description="Integrators; staff of the office; without a token, with the booking's PIN. The slot is free again."
    )
    def cancel_appointment(
        self, info: strawberry.Info[Context, None], input: CancelAppointmentInput
    ) -> AppointmentResult:
        def run(reception: Reception, actor: str, at: datetime) -> AppointmentPayload:
            _at_booking(info, input.code, input.pin)
            return AppointmentPayload(
                appointment=Appointment.of(
                    reception.cancel(
                        input.code, input.reason, actor=actor, at=at, idempotency_key=input.idempotency_key
                    )
                )
            )

        result: AppointmentResult = _command(info, run)
        return result

    @strawberry.mutation(
        description="Integrators; staff of the office; without a token, with the booking's PIN. The old "
        "booking is cancelled and the new one made in one step; the answer is the new booking, with its own "
        "code and PIN."
    )
    def reschedule_appointment(
        self, info: strawberry.Info[Context, None], input: RescheduleAppointmentInput
    ) -> AppointmentResult:
        def run(reception: Reception, actor: str, at: datetime) -> AppointmentPayload:
            _at_booking(info, input.code, input.pin)
            moved = reception.reschedule(
                input.code, input.slot_id, actor=actor, at=at, idempotency_key=input.idempotency_key
            )
            return AppointmentPayload(appointment=Appointment.of(moved), pin=reception.pin(moved.code))

        result: AppointmentResult = _command(info, run)
        return result

    @strawberry.mutation(description="Integrators (terminals); staff of the office: a visitor arrives.")
    def issue_ticket(self, info: strawberry.Info[Context, None], input: IssueTicketInput) -> TicketResult:
        def run(reception: Reception, actor: str, at: datetime) -> TicketPayload:
            info.context.who.require(*RECEPTION_ROLES, office=input.office_id)
            return TicketPayload(
                ticket=Ticket.of(
                    reception.issue_ticket(
                        office=input.office_id,
                        service=input.service_code,
                        appointment=input.appointment_code,
                        category=input.category,
                        actor=actor,
                        at=at,
                        idempotency_key=input.idempotency_key,
                    )
                )
            )

        result: TicketResult = _command(info, run)
        return result

    @strawberry.mutation(description="Operators and supervisors of the office: call the next visitor to a window.")
    def call_next_ticket(self, info: strawberry.Info[Context, None], input: CallNextTicketInput) -> CallNextResult:
        def run(reception: Reception, actor: str, at: datetime) -> CallNextPayload:
            info.context.who.require(*STAFF, office=input.office_id)
            called = reception.call_next(
                office=input.office_id, window=input.window, actor=actor, at=at, idempotency_key=input.idempotency_key
            )
            return CallNextPayload(ticket=Ticket.of(called) if called else None)

        result: CallNextResult = _command(info, run)
        return result

    @strawberry.mutation(description="Operators and supervisors of the office: a visit ends without a case.")
    def end_visit(self, info: strawberry.Info[Context, None], input: EndVisitInput) -> TicketResult:
        def run(reception: Reception, actor: str, at: datetime) -> TicketPayload:
            _in_office(info, input.ticket_id, STAFF)
            return TicketPayload(
                ticket=Ticket.of(
                    reception.end_visit(
                        input.ticket_id, input.outcome, actor=actor, at=at, idempotency_key=input.idempotency_key
                    )
                )
            )

        result: TicketResult = _command(info, run)
        return result


@strawberry.type
class ReceptionSubscription:
    @strawberry.subscription(
        description="A hall's display board: the latest calls to windows and how many wait, "
        "each time it changes. Public, as the screen in the hall is: no token needed (a token "
        "counts only towards its own subscription limit)."
    )
    async def queue_board(self, info: strawberry.Info[Context, None], office_id: str) -> AsyncGenerator[Board, None]:
        # A board shows what the hall's screen shows anyone who walks in: ticket numbers,
        # windows and a count, nothing personal. A hall's screen has nobody to sign in, and
        # a staff token left on a public display would be the worse risk, so it needs none.
        services = info.context.services
        who = caller_key(info.context.principal, info.context.request)
        with services.subscriptions.held(info.context, who):  # api.subscription_limits
            seen: tuple[Any, ...] | None = None
            while True:
                services.refresh()
                view = live_queue(services.reader, office_id, office_today_now(info, office_id))
                called = [BoardLine(number=r["number"], window=r["window_no"]) for r in view.serving[:BOARD_LINES]]
                current = (tuple((c.number, c.window) for c in called), len(view.waiting))
                if current != seen:
                    seen = current
                    yield Board(office_id=office_id, called=called, waiting=len(view.waiting))
                await asyncio.sleep(BOARD_POLL_SECONDS)
