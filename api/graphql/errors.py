"""Mutation results are unions of a payload and these typed errors: a user's mistake is
never a generic server error."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import strawberry

from api.auth import NotAllowed, NotAuthenticated
from engine.errors import ConcurrencyConflict, InputRefused, InvalidTaskData, NotFound, OknoError


@strawberry.type
class FieldError:
    field: str
    message: str
    code: str | None = strawberry.field(
        default=None,
        description="What kind of problem (invalid_phone, invalid_snils, date_in_future, …), where the rule names one.",
    )


@strawberry.type(description="The input was refused; nothing was recorded.")
class ValidationError:
    message: str
    code: str
    fields: list[FieldError]


@strawberry.type(description="What the input names does not exist.")
class NotFoundError:
    message: str


@strawberry.type(description="The caller's role or office may not do this.")
class NotAllowedError:
    message: str


@strawberry.type(description="Another writer changed the case first; reload and retry.")
class ConflictError:
    message: str


Problem = ValidationError | NotFoundError | NotAllowedError | ConflictError
T = TypeVar("T")


def as_problem(error: OknoError) -> Problem:
    if isinstance(error, NotFound):
        return NotFoundError(message=str(error))
    if isinstance(error, (NotAllowed, NotAuthenticated)):
        return NotAllowedError(message=str(error))
    if isinstance(error, ConcurrencyConflict):
        return ConflictError(message=str(error))
    fields = (  # a task's form names its fields within the data: input.data.<field>
        [
            FieldError(field=_input_field(f"data.{p.field}" if p.field else "data"), message=p.message)
            for p in error.problems
        ]
        if isinstance(error, InvalidTaskData)
        else []
    )
    if isinstance(error, InputRefused):  # the engine names its arguments; a client looks for input.caseNumber
        fields = [FieldError(field=_input_field(p.field), message=p.message, code=p.code) for p in error.problems]
    return ValidationError(message=str(error), code=error.code, fields=fields)


# Arguments that are input objects: their keys are GraphQL fields, spelt in camelCase too
# (a JSON argument's keys, ``data.some_key``, are the client's own and stay as sent).
_INPUT_OBJECTS = {"applicant", "contact"}


def _input_field(name: str) -> str:
    """``case_number``, ``applicant.birth_date`` (or ``data.some_key``) as the mutation's input spells it."""
    head, dot, rest = name.partition(".")
    if head in _INPUT_OBJECTS:
        rest = ".".join(_camel(part) for part in rest.split("."))
    return "input." + _camel(head) + dot + rest


def _camel(name: str) -> str:
    first, *words = name.split("_")
    return first + "".join(w.title() for w in words)


def attempt(command: Callable[[], T]) -> T | Problem:
    try:
        return command()
    except OknoError as error:
        return as_problem(error)
