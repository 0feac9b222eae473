"""Mutation results are unions of a payload and these typed errors: a user's mistake is
never a generic server error.

Every error type implements ``Error`` (code, message, fields), so a client writes
``... on Error { code message fields { field message } }`` once for any mutation. The
codes are the engine's (``OknoError.code``), one source; docs/ERRORS.md lists them and
says how authentication fails on each transport.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import strawberry

from api.auth import NotAllowed, NotAuthenticated
from api.error_log import log_withheld
from engine.errors import ConcurrencyConflict, FieldProblem, InvalidTaskData, NotFound, OknoError

# Arguments whose value is the client's own JSON: keys inside them are kept as sent.
JSON_ARGUMENTS = frozenset({"data", "payload", "variables"})
# Where the engine's argument and the mutation's input differ in name (engine first).
INPUT_NAMES = {"service": "service_code", "office": "office_id", "number": "case_number"}


CODE = (
    "Stable and snake_case: not_found, not_allowed, conflict, validation, input_refused, "
    "invalid_task_data, process_failure, … (docs/ERRORS.md lists every code)."
)


@strawberry.type(description="One input field at fault.")
class FieldError:
    field: str = strawberry.field(
        description="Its path as the request spells it: input.waitingTime, input.applicant.fullName, "
        "input.data.cadastral_number (keys inside a JSON value as sent)."
    )
    message: str
    code: str | None = strawberry.field(
        default=None,
        description="What kind of problem (invalid_phone, invalid_snils, date_in_future, …), where the rule names one.",
    )


@strawberry.interface(
    name="Error",
    description="What every error of a mutation's result union implements: branch on `code` "
    "(stable, snake_case; docs/ERRORS.md lists every code). Nothing was recorded.",
)
class Error:
    code: str = strawberry.field(description=CODE)
    message: str = strawberry.field(description="For people; it may change. Never quotes a model's expressions.")
    fields: list[FieldError] = strawberry.field(
        default_factory=list, description="Each input field at fault (empty when the input as a whole is refused)."
    )


@strawberry.type(description="The input was refused; nothing was recorded.")
class ValidationError(Error):
    code: str = strawberry.field(default="validation", description=CODE)


@strawberry.type(description="What the input names does not exist (code not_found, or a kind of it).")
class NotFoundError(Error):
    code: str = strawberry.field(default=NotFound.code, description=CODE)


@strawberry.type(description="The caller's role or office may not do this (code not_allowed).")
class NotAllowedError(Error):
    code: str = strawberry.field(default=NotAllowed.code, description=CODE)


@strawberry.type(description="Another writer changed the case first; reload and retry (code conflict).")
class ConflictError(Error):
    code: str = strawberry.field(default=ConcurrencyConflict.code, description=CODE)


Problem = ValidationError | NotFoundError | NotAllowedError | ConflictError
T = TypeVar("T")


def as_problem(error: OknoError) -> Problem:
    """The typed error a mutation answers for ``error``. Authentication is the request's,
    not the mutation's: NotAuthenticated goes on to the top level (extensions.code
    not_authenticated), as it does for queries and subscriptions (docs/ERRORS.md)."""
    if isinstance(error, NotAuthenticated):
        raise error
    message, fields = error.public_message(), input_fields(error)
    if message != str(error):
        log_withheld(error)
    if isinstance(error, NotFound):
        return NotFoundError(code=error.code, message=message, fields=fields)
    if isinstance(error, NotAllowed):
        return NotAllowedError(code=error.code, message=message, fields=fields)
    if isinstance(error, ConcurrencyConflict):
        return ConflictError(code=error.code, message=message, fields=fields)
    return ValidationError(code=error.code, message=message, fields=fields)


def input_fields(error: OknoError, root: str | None = "input") -> list[FieldError]:
    """The error's problems, each named as the request spells it."""
    return [
        FieldError(field=input_field(name, root), message=p.message, code=p.code)
        for name, p in _named(error.problems, error)
    ]


def _named(problems: Sequence[FieldProblem], error: OknoError) -> list[tuple[str, FieldProblem]]:
    # A task's form names its own fields; they arrive inside completeTask's `data`.
    prefix = "data." if isinstance(error, InvalidTaskData) else ""
    return [(p.field if p.field.startswith("input.") else prefix + p.field, p) for p in problems]


def input_field(name: str, root: str | None = "input") -> str:
    """``waiting_time`` (or ``applicant.full_name``, ``data.some_key``) as the request
    spells it: ``input.waitingTime``. The engine names its arguments in Python; GraphQL
    names them in camelCase, except inside a JSON value, whose keys are the client's own.
    A path already spelt from the request (``input.…``) is kept. ``root`` None: a query's
    argument, which stands on its own."""
    if name.startswith("input."):
        return name
    segments = name.split(".")
    if root == "input":
        segments[0] = INPUT_NAMES.get(segments[0], segments[0])
    spelt: list[str] = []
    for index, segment in enumerate(segments):
        key, bracket, rest = segment.partition("[")
        first, *words = key.split("_")
        spelt.append(first + "".join(w[:1].upper() + w[1:] for w in words) + bracket + rest)
        if key in JSON_ARGUMENTS:
            spelt += segments[index + 1 :]
            break
    return ".".join([root, *spelt] if root else spelt)


_input_field = input_field  # the name it had before: callers written against it keep working


def attempt(command: Callable[[], T]) -> T | Problem:
    try:
        return command()
    except OknoError as error:
        return as_problem(error)
