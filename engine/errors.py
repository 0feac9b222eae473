"""Typed errors: every refusal a user can meet is one of these, with a clear message.

Nothing that raises one of these has written anything: commands decide first and
record after, so an error always means "no event, no partial state".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class OknoError(Exception):
    """Base of every error okno reports to a user (CLI, API) instead of a traceback.

    ``code`` is the stable, snake_case name a client branches on (the API publishes it as
    ``Error.code`` and ``extensions.code``; docs/ERRORS.md lists them all): never change
    one. ``problems`` names the input fields at fault as the engine names its arguments
    (``waiting_time``, ``data.cadastral_number``); the API spells them as its input does.
    """

    code = "error"
    problems: Sequence[FieldProblem] = ()

    def __init__(self, *args: object, field: str | None = None, problems: Sequence[FieldProblem] | None = None) -> None:
        super().__init__(*args)
        if problems is not None:
            self.problems = list(problems)
        elif field is not None:
            self.problems = [FieldProblem(field, str(args[0]) if args else self.code)]

    def public_message(self) -> str:
        """What a user may be shown: the message itself, except where it would quote a
        model's own text (ProcessFailure), which only the server's log gets."""
        return str(self)


class NotFound(OknoError):
    code = "not_found"


class UnknownService(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__(f"unknown service {code!r}: it is not in the deployed catalog", field="service")


class ServiceRetired(NotFound):
    code = "service_retired"

    def __init__(self, code: str) -> None:
        super().__init__(f"service {code!r} is retired: it takes no new case (its open cases go on)", field="service")


class UnknownOffice(NotFound):
    def __init__(self, office_id: str) -> None:
        super().__init__(f"unknown office {office_id!r}", field="office")


class UnknownCase(NotFound):
    def __init__(self, number: str) -> None:
        super().__init__(f"unknown case {number!r}", field="number")


class UnknownProcessVersion(NotFound):
    def __init__(self, version: str) -> None:
        super().__init__(f"process version {version!r} is not deployed")


class InvalidInput(OknoError):
    code = "validation"  # published since the first API: kept, though newer codes say more


class NotAllowed(OknoError):
    """The caller may not do this: checked before anything they sent is read, so a refusal
    tells nothing about their input (api/auth.py raises it too)."""

    code = "not_allowed"


class TaskHeldByAnother(NotAllowed):
    code = "task_held_by_another"


class RoleNotAllowed(NotAllowed):
    code = "role_not_allowed"


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"


class TaskNotReady(InvalidInput):
    code = "task_not_ready"


class TaskAlreadyClaimed(InvalidInput):
    code = "task_already_claimed"


class TaskNotClaimed(InvalidInput):
    code = "task_not_claimed"


class MessageNotAwaited(InvalidInput):
    code = "message_not_awaited"


class SignalNotAwaited(InvalidInput):
    code = "signal_not_awaited"


class TimerNotDue(InvalidInput):
    code = "timer_not_due"


class AlreadyRated(InvalidInput):
    """A case is rated once: a citizen's second rating is refused, the first one stands."""

    code = "already_rated"


class CaseClosed(InvalidInput):
    code = "case_closed"


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str
    # What kind of problem, for a front-end to branch on (``invalid_phone``); None where a
    # rule has not named its kinds yet.
    code: str | None = None

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidTaskData(InvalidInput):
    code = "invalid_task_data"

    def __init__(self, element_id: str, problems: list[FieldProblem]) -> None:
        self.element_id = element_id
        self.problems = problems
        listed = "; ".join(str(p) for p in problems)
        super().__init__(f"data for task {element_id} does not fit its fields: {listed}")


class InputRefused(InvalidInput):
    """A value from outside failed the edge checks (engine.input_checks): control
    characters, lone surrogates, a size or depth over its bound, or a type JSON lacks."""

    code = "input_refused"

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("input refused: " + "; ".join(str(p) for p in problems))


class InvalidMessagePayload(InputRefused):
    """An agency's message whose payload breaks the contract of the message the case
    waits for (engine.bpmn.message_contracts): every problem at its path (``payload.decision``)."""

    code = "message_payload"

    def __init__(self, name: str, problems: list[FieldProblem]) -> None:
        self.problems = problems
        listed = "; ".join(str(p) for p in problems)
        InvalidInput.__init__(self, f"the payload of message {name!r} does not fit its contract: {listed}")


class ConcurrencyConflict(OknoError):
    """Two writers on one case: the other one won; reload and retry."""

    code = "conflict"

    def __init__(self, number: str, version: int) -> None:
        self.number = number
        self.version = version
        super().__init__(
            f"case {number} was changed by another writer after version {version}; "
            "nothing was recorded: reload the case and try again"
        )


class ExpressionError(OknoError):
    """An okno expression that is not allowed, or that failed when evaluated. ``name``:
    the case variable it needed and did not find, when that is what failed."""

    code = "expression"
    name: str | None = None

    @classmethod
    def undefined(cls, name: str) -> ExpressionError:
        return cls._lacking(f"name {name!r} is not defined in the case data", name)

    @classmethod
    def no_key(cls, key: object) -> ExpressionError:
        return cls._lacking(f"the data record has no {key!r}", str(key))

    @classmethod
    def _lacking(cls, message: str, name: str) -> ExpressionError:
        error = cls(message)
        error.name = name
        return error

    def public_message(self) -> str:
        # It may quote the model's expression: the API says only what was missing.
        if self.name is not None:
            return f"a process expression failed: the case has no value for {self.name!r}"
        return "a process expression failed; the server's log has the details"


class ExpressionBudgetExceeded(ExpressionError):
    code = "expression_budget"


class ProcessFailure(OknoError):
    """The model itself failed while a case ran (for example a condition that
    raised). The command is refused and the case stays as it was.

    Its message quotes what the model said (an expression, SpiffWorkflow's words) and is
    for the server's log and the analyst; a client is told only the element and the case
    variable missing (``public_message``): a model's text is not part of the API."""

    code = "process_failure"

    def __init__(self, message: str, *, element: str | None = None, variable: str | None = None) -> None:
        super().__init__(message)
        self.element = element
        self.variable = variable

    def public_message(self) -> str:
        where = f" at element {self.element}" if self.element else ""
        if self.variable is not None:
            return f"the process could not go on{where}: the case has no value for {self.variable!r}"
        return f"the process could not go on{where}; the server's log has the details"


class ReplayDivergence(OknoError):
    code = "replay_divergence"


class IntegrityViolation(OknoError):
    code = "integrity"


class CaseBroken(IntegrityViolation):
    """A case whose stored history does not hold (a broken chain or signature, an event
    that does not decode or replay): it takes no command and is shown to nobody."""

    code = "case_broken"


class SchemaNotReady(OknoError):
    """Table creation is off and the tables are missing or older than this code."""

    code = "configuration"


# -- reception: appointments and the electronic queue ------------------------------------
class UnknownAppointment(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__(f"unknown appointment {code!r}")


class UnknownTicket(NotFound):
    def __init__(self, ticket: str) -> None:
        super().__init__(f"unknown ticket {ticket!r}")


class ServiceNotOffered(InvalidInput):
    code = "service_not_offered"


class SlotUnavailable(InvalidInput):
    """A slot that cannot be booked: in the past, outside opening hours, too far ahead,
    or not on the office's grid for the service."""

    code = "slot_unavailable"


class SlotTaken(InvalidInput):
    code = "slot_taken"


class OfficeClosed(InvalidInput):
    code = "office_closed"


class WindowBusy(InvalidInput):
    code = "window_busy"


class VisitNotInProgress(InvalidInput):
    code = "visit_not_in_progress"


class AppointmentNotValid(InvalidInput):
    """An appointment that cannot be used: cancelled, already used, or its time has passed."""

    code = "appointment_not_valid"
