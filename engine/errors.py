"""Typed errors: every refusal a user can meet is one of these, with a clear message.

Nothing that raises one of these has written anything: commands decide first and
record after, so an error always means "no event, no partial state".
"""

from __future__ import annotations

from dataclasses import dataclass


class OknoError(Exception):
    """Base of every error okno reports to a user (CLI, API) instead of a traceback."""

    code = "error"


class NotFound(OknoError):
    code = "not_found"


class UnknownService(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__(f"unknown service {code!r}: it is not in the deployed catalog")


class UnknownOffice(NotFound):
    def __init__(self, office_id: str) -> None:
        super().__init__(f"unknown office {office_id!r}")


class UnknownCase(NotFound):
    def __init__(self, number: str) -> None:
        super().__init__(f"unknown case {number!r}")


class UnknownProcessVersion(NotFound):
    def __init__(self, version: str) -> None:
        super().__init__(f"process version {version!r} is not deployed")


class InvalidInput(OknoError):
    code = "validation"


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


class CaseClosed(InvalidInput):
    code = "case_closed"


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


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
    """An okno expression that is not allowed, or that failed when evaluated."""

    code = "expression"


class ExpressionBudgetExceeded(ExpressionError):
    code = "expression_budget"


class ProcessFailure(OknoError):
    """The model itself failed while a case ran (for example a condition that
    raised). The command is refused and the case stays as it was."""

    code = "process_failure"


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
