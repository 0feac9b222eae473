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
        fields = [FieldError(field=_input_field(p.field), message=p.message) for p in error.problems]
    return ValidationError(message=str(error), code=error.code, fields=fields)


def _input_field(name: str) -> str:
    """``case_number`` (or ``data.some_key``) as the mutation's input spells it."""
    head, dot, rest = name.partition(".")
    first, *words = head.split("_")
    return "input." + first + "".join(w.title() for w in words) + dot + rest


def attempt(command: Callable[[], T]) -> T | Problem:
    try:
        return command()
    except OknoError as error:
        return as_problem(error)
