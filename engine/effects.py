"""What a case event's effects may hold, checked before the event is recorded.

Effects are a record for readers: every read model folds them. An event whose effects a
model cannot store (a message without a name, text with NUL that PostgreSQL's text refuses,
a lone surrogate no encoder takes) would be stored for good and stop that model, so such
an event is never recorded: the command is refused and nothing is written. The shape is
the one the read models fold (projections/), as a pydantic schema; every text anywhere in
the effects (payloads, job inputs, errors) is also checked to be storable.
"""

from __future__ import annotations

from typing import Any, NotRequired

from pydantic import ConfigDict, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict  # pydantic needs this TypedDict before Python 3.12

from engine.errors import InvalidInput

STRICT = ConfigDict(strict=True)
# Text a read model stores: no NUL or other control characters (tab and line breaks are
# text), no lone surrogates (a half of a UTF-16 pair: UTF-8 cannot encode it).
ALLOWED_CONTROLS = frozenset("\t\n\r")


class EffectsRefused(InvalidInput):
    code = "effects_refused"

    def __init__(self, problem: str) -> None:
        super().__init__(f"the step's effects cannot be recorded ({problem}); nothing was written")
        self.problem = problem


@with_config(STRICT)
class TaskOpened(TypedDict):
    task: str
    element: str
    name: str
    role: NotRequired[str | None]
    due: NotRequired[str | None]


@with_config(STRICT)
class ElementTask(TypedDict):
    task: str
    element: str


@with_config(STRICT)
class Timer(TypedDict):
    task: str
    element: str
    due: str


@with_config(STRICT)
class Message(TypedDict):
    name: str
    payload: Any


@with_config(STRICT)
class Claim(TypedDict):
    task: str
    holder: str | None
    previous: NotRequired[str | None]  # a reassignment's previous holder


@with_config(STRICT)
class Acknowledged(TypedDict):
    message: int
    reference: str


@with_config(STRICT)
class JobOpened(TypedDict):
    task: str
    element: str
    connector: str
    input: Any


@with_config(STRICT)
class JobFailed(TypedDict):
    task: str
    element: str
    connector: str
    failure: int
    attempts: int
    error: str
    incident: bool
    retry_at: str | None
    worker: NotRequired[str]  # an external worker's report (engine/commands/job_workers.py)


@with_config(STRICT)
class JobLocked(TypedDict):
    task: str
    element: str
    connector: str
    worker: str
    until: str
    retries: int


@with_config(STRICT)
class JobError(TypedDict):
    task: str
    element: str
    connector: str
    code: str
    message: str
    caught: bool


@with_config(STRICT)
class Complaint(TypedDict):
    topic: str


@with_config(STRICT)
class Effects(TypedDict):
    tasks_opened: list[TaskOpened]
    tasks_closed: list[ElementTask]
    timers_scheduled: list[Timer]
    timers_fired: list[Timer]
    timers_cancelled: list[Timer]
    messages_sent: list[Message]
    awaiting: list[str]
    stage: str | None
    completed: bool
    outcome: str | None
    claims: NotRequired[list[Claim]]
    acknowledged: NotRequired[Acknowledged]
    jobs_opened: NotRequired[list[JobOpened]]
    jobs_closed: NotRequired[list[ElementTask]]
    job_failed: NotRequired[JobFailed]
    job_retried: NotRequired[ElementTask]
    job_locked: NotRequired[JobLocked]
    job_error: NotRequired[JobError]
    rating: NotRequired[dict[str, int]]
    complaint: NotRequired[Complaint]
    signals_awaited: NotRequired[list[str]]


SCHEMA: TypeAdapter[Effects] = TypeAdapter(Effects)


def check_effects(effects: dict[str, Any]) -> None:
    """Refuse (EffectsRefused) effects a read model could not fold."""
    try:
        SCHEMA.validate_python(effects)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise EffectsRefused(f"{where}: {first['msg']}, got {_excerpt(first.get('input'))}") from None
    for key, value in effects.items():
        if key != "state":  # the workflow's own state: stored with the event, never folded
            _check_text(value, key)


def _check_text(value: Any, where: str) -> None:
    if isinstance(value, str):
        problem = unstorable(value)
        if problem:
            raise EffectsRefused(f"{where}: {problem}")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, f"{where} (a key)")
            _check_text(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_text(item, f"{where}.{index}")


def unstorable(text: str) -> str | None:
    """Why a read model could not store this text, or None."""
    for index, char in enumerate(text):
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            return f"a lone surrogate U+{code:04X} at character {index}"
        if (code < 0x20 or 0x7F <= code < 0xA0) and char not in ALLOWED_CONTROLS:
            return f"the control character U+{code:04X} at character {index}"
    return None


def _excerpt(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"
