"""Edge validation: every value that comes from outside is checked here before any
command runs, so what an event records is always something every read model can store.

Why these rules: PostgreSQL text cannot hold NUL; a lone surrogate cannot be encoded
as UTF-8 by any driver; control characters break logs, CSV exports and terminals; an
unbounded size or nesting depth lets one request cost the server what it likes; and a
value JSON does not have (a tuple, a set, NaN, a 200-digit integer) cannot be written
back out by a read model. A refusal names every field at fault and nothing is written.

What each kind of value may hold:
- a **code** (case number, office id, service code, element, task id, message name,
  channel, idempotency key, …): one line, no control characters at all, short;
- a **line** (an agency's reference, a name, a phone): one line, no control characters,
  longer;
- **free text** (a reason, a connector's error, a text inside JSON data): tab, line feed
  and carriage return are allowed — people write paragraphs — nothing else below U+0020
  nor U+007F–U+009F;
- **JSON** (form data, message payloads, job results): objects with code-like keys,
  arrays, free text, booleans, null, integers within 64 bits and finite floats, at most
  ``max_depth`` deep and ``max_nodes`` values in all.

Each command declares its arguments once, with :func:`checked`; the same rules serve the
API's edge for every GraphQL argument (see api/graphql/input_edge.py).
"""

from __future__ import annotations

import functools
import inspect
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

from engine.case_variables import reserved_problems
from engine.errors import FieldProblem, InputRefused

# C0 controls, DEL and C1 controls; free text keeps \t \n \r.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_FREE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
INT64 = 2**63


def text_problem(value: str, *, free: bool) -> str | None:
    """What makes ``value`` unacceptable as text (None: nothing). The value itself is
    never echoed: it may be huge, and messages end up in logs."""
    surrogate = _SURROGATE.search(value)
    if surrogate:
        return (
            f"contains a lone surrogate U+{ord(surrogate.group()):04X} at position {surrogate.start()} "
            "(not valid Unicode text)"
        )
    control = (_CONTROL_IN_FREE_TEXT if free else _CONTROL).search(value)
    if control:
        return f"contains the control character U+{ord(control.group()):04X} at position {control.start()}"
    return None


class Rule(Protocol):
    """How one argument is checked: the problems found, each naming its field."""

    def problems(self, value: object, field: str) -> list[FieldProblem]: ...


@dataclass(frozen=True)
class Text:
    max_length: int
    min_length: int = 1
    free: bool = False  # tab and line breaks allowed (free text), or one line

    def problems(self, value: object, field: str) -> list[FieldProblem]:
        if not isinstance(value, str):
            return [FieldProblem(field, f"must be a text, not {_kind(value)}")]
        if not self.min_length <= len(value) <= self.max_length:
            return [
                FieldProblem(field, f"must be {self.min_length} to {self.max_length} characters long, not {len(value)}")
            ]
        problem = text_problem(value, free=self.free)
        return [FieldProblem(field, problem)] if problem else []


@dataclass(frozen=True)
class Whole:
    low: int
    high: int

    def problems(self, value: object, field: str) -> list[FieldProblem]:
        if not isinstance(value, int) or isinstance(value, bool):
            return [FieldProblem(field, f"must be a whole number, not {_kind(value)}")]
        if not self.low <= value <= self.high:
            return [FieldProblem(field, f"must be from {self.low} to {self.high}")]
        return []


@dataclass(frozen=True)
class Maybe:
    """The rule, or nothing at all (None)."""

    rule: Rule

    def problems(self, value: object, field: str) -> list[FieldProblem]:
        return [] if value is None else self.rule.problems(value, field)


@dataclass(frozen=True)
class Mapped:
    """An object of a few named values (an applicant's details, a rating's scores)."""

    key: Rule
    value: Rule
    max_items: int

    def problems(self, value: object, field: str) -> list[FieldProblem]:
        if not isinstance(value, Mapping):
            return [FieldProblem(field, f"must be an object, not {_kind(value)}")]
        if len(value) > self.max_items:
            return [FieldProblem(field, f"has {len(value)} entries; at most {self.max_items}")]
        found: list[FieldProblem] = []
        for key, item in value.items():
            key_problems = self.key.problems(key, f"{field} key")
            found += key_problems or self.value.problems(item, f"{field}.{key}")
        return found


@dataclass(frozen=True)
class Items:
    """A list of values, each held to ``rule``."""

    rule: Rule
    max_items: int

    def problems(self, value: object, field: str) -> list[FieldProblem]:
        if not isinstance(value, list | tuple):
            return [FieldProblem(field, f"must be a list, not {_kind(value)}")]
        if len(value) > self.max_items:
            return [FieldProblem(field, f"has {len(value)} items; at most {self.max_items}")]
        return [p for index, item in enumerate(value) for p in self.rule.problems(item, f"{field}[{index}]")]


@dataclass(frozen=True)
class Record:
    """An object whose attributes are each held to their rule (a BPMN source file's name
    and text)."""

    fields: tuple[tuple[str, Rule], ...]

    def problems(self, value: object, field: str) -> list[FieldProblem]:
        return [p for name, rule in self.fields for p in rule.problems(getattr(value, name, None), f"{field}.{name}")]


@dataclass(frozen=True)
class Json:
    """A JSON value as the API's JSON scalar gives it: only JSON's types, bounded."""

    max_depth: int = 16
    max_nodes: int = 5_000
    max_text: int = 10_000  # characters in one text value
    max_key: int = 128
    object_only: bool = True  # form data and payloads are objects
    # A GraphQL edge sees some values already parsed by their scalar (a Date, an enum's
    # member): made by the API's own parser, they are not the client's raw text.
    parsed: tuple[type, ...] = ()

    def problems(self, value: object, field: str) -> list[FieldProblem]:
        if self.object_only and not isinstance(value, dict):
            return [FieldProblem(field, f"must be a JSON object, not {_kind(value)}")]
        found: list[FieldProblem] = []
        budget = [self.max_nodes]
        self._walk(value, field, 1, found, budget)
        return found[:10]  # a value wrong everywhere says so ten times, not ten thousand

    def _walk(self, value: object, path: str, depth: int, found: list[FieldProblem], budget: list[int]) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            if budget[0] == -1:
                found.append(FieldProblem(path, f"the value has more than {self.max_nodes} parts"))
            return
        if isinstance(value, dict):
            if depth > self.max_depth:
                found.append(FieldProblem(path, f"is nested deeper than {self.max_depth} levels"))
                return
            for key, item in value.items():
                if not isinstance(key, str):
                    found.append(FieldProblem(path, f"has a key that is {_kind(key)}, not a text"))
                    continue
                key_problem = (
                    f"has a key of {len(key)} characters (1 to {self.max_key})"
                    if not 0 < len(key) <= self.max_key
                    else text_problem(key, free=False)
                )
                if key_problem:
                    found.append(FieldProblem(path, key_problem.replace("contains", "has a key that contains")))
                    continue
                self._walk(item, f"{path}.{key}", depth + 1, found, budget)
        elif isinstance(value, list):
            if depth > self.max_depth:
                found.append(FieldProblem(path, f"is nested deeper than {self.max_depth} levels"))
                return
            for index, item in enumerate(value):
                self._walk(item, f"{path}[{index}]", depth + 1, found, budget)
        elif isinstance(value, str):
            if len(value) > self.max_text:
                found.append(FieldProblem(path, f"is a text of {len(value)} characters; at most {self.max_text}"))
                return
            problem = text_problem(value, free=True)
            if problem:
                found.append(FieldProblem(path, problem))
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, int):
            if not -INT64 < value < INT64:
                found.append(FieldProblem(path, "is a whole number beyond 64 bits"))
        elif isinstance(value, float):
            if not math.isfinite(value):
                found.append(FieldProblem(path, f"is {value}, which JSON has no number for"))
        elif not isinstance(value, self.parsed):
            found.append(FieldProblem(path, f"is {_kind(value)}, which JSON has no type for"))


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


@dataclass(frozen=True)
class CaseData(Json):
    """Values for a case's variables (a case's opening data, a task's data, a job's
    result): a JSON object that may not set the variables okno keeps itself."""

    def problems(self, value: object, field: str) -> list[FieldProblem]:
        return super().problems(value, field) + reserved_problems(value, field)


# The kinds of values commands take, with their bounds.
CODE = Text(max_length=128)  # ids, element ids, message names, channels, topics …
CASE_NUMBER = Text(max_length=64)
KEY = Text(max_length=200)  # an idempotency key
ACTOR = Text(max_length=200)  # who acts: office/subject from a token, or a worker's name
LINE = Text(max_length=500)  # an agency's reference, a person's name, a phone
FREE_TEXT = Text(max_length=4_000, free=True)  # a reason, a connector's error message
JSON_OBJECT = Json()
CASE_DATA = CaseData()
POSITION = Whole(1, 1_000_000)  # a message's number in a case's outbox, a window
APPLICANT = Mapped(key=CODE, value=Text(max_length=500, min_length=0), max_items=32)
SCORES = Mapped(key=CODE, value=Whole(-1_000, 1_000), max_items=16)
# BPMN and DMN files: XML allows no other control characters either; the API's body limit is 2 MiB.
SOURCES = Items(
    Record((("name", Text(max_length=255)), ("text", Text(max_length=4 * 1024 * 1024, free=True)))), max_items=200
)

# Parameters are named as the engine names them; a refusal names the field as the API
# and the CLI do, so a caller finds it in what it sent.
OUTSIDE_NAMES = {
    "number": "case_number",
    "task": "task_id",
    "office": "office_id",
    "service": "service_code",
    "slot": "slot_id",
    "ticket": "ticket_id",
    "appointment": "appointment_code",
}

F = TypeVar("F", bound=Callable[..., Any])


def check(values: Mapping[str, object], rules: Mapping[str, Rule]) -> None:
    """Refuse ``values`` (by argument name) that break their rules, naming every field at fault."""
    found: list[FieldProblem] = []
    for name, rule in rules.items():
        if name in values:
            found += rule.problems(values[name], OUTSIDE_NAMES.get(name, name))
    if found:
        raise InputRefused(found)


def checked(**rules: Rule) -> Callable[[F], F]:
    """Declare how a command's arguments are checked; the command runs only if they pass.

    ``@checked(number=CASE_NUMBER, reference=LINE, actor=ACTOR, idempotency_key=Maybe(KEY))``
    on a method checks those arguments on every call, from whichever front-end."""

    def declare(command: F) -> F:
        signature = inspect.signature(command)
        unknown = sorted(set(rules) - set(signature.parameters))
        if unknown:
            raise TypeError(f"{command.__qualname__} has no arguments {', '.join(unknown)}")

        # Where each checked argument sits when passed by position, worked out once: every
        # command goes through here, and binding the signature per call cost a third of it.
        positional = [
            name
            for name, parameter in signature.parameters.items()
            if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        ]
        places = [(name, rule, positional.index(name) if name in positional else None) for name, rule in rules.items()]

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            found: list[FieldProblem] = []
            for name, rule, place in places:
                if name in kwargs:
                    value = kwargs[name]
                elif place is not None and place < len(args):
                    value = args[place]
                else:
                    continue  # not passed: its default applies, or Python refuses the call
                found += rule.problems(value, OUTSIDE_NAMES.get(name, name))
            if found:
                raise InputRefused(found)
            return command(*args, **kwargs)

        run.input_rules = dict(rules)  # type: ignore[attr-defined]  # what a test can drive every command with
        return cast(F, run)

    return declare
