"""What a command is: an input from outside, recorded verbatim in the case's event.

Each command is a frozen dataclass that names, once, the ``kind`` its events record it
under, the Case event class that records it (by the class's name, which is also the kind
the hash chain links: engine.integrity), and whether a closed case still takes it. Its
recorded form is its tag and its fields in declaration order, so the dataclass alone
decides what the event stores (engine/commands/__init__.py lists every command).

Two sorts: a :class:`WorkflowCommand` steps the case's BPMN workflow (the SpiffWorkflow
adapter, engine/bpmn/runtime.py, runs it); a :class:`CaseCommand` is decided by a rule of
okno's own beside the workflow (claims, ratings, acknowledgements, job attempts) and
leaves the workflow as it was.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar


class Command:
    """Base of every command; a concrete one is declared with its class keywords:
    ``class Rate(CaseCommand, kind="rating", event="Rated", closed_ok=True)``."""

    kind: ClassVar[str]  # its tag in the recorded input; never change it, events store it
    event: ClassVar[str]  # the name of the Case event class that records it
    closed_ok: ClassVar[bool]  # a closed case still takes it

    def __init_subclass__(
        cls, *, kind: str | None = None, event: str | None = None, closed_ok: bool = False, **rest: Any
    ) -> None:
        super().__init_subclass__(**rest)
        if kind is None:  # a sort of command (WorkflowCommand, CaseCommand), not one
            return
        if event is None:
            raise TypeError(f"command {cls.__name__} names no event class")
        if kind in _BY_KIND:
            raise TypeError(f"commands {_BY_KIND[kind].__name__} and {cls.__name__} share the kind {kind!r}")
        cls.kind, cls.event, cls.closed_ok = kind, event, closed_ok
        _BY_KIND[kind] = cls


class WorkflowCommand(Command):
    """A command the BPMN runtime runs on the case's workflow."""


class CaseCommand(Command, ABC):
    """A command decided by one of okno's case rules, beside the workflow, which it leaves as it was."""

    @abstractmethod
    def decide(self, case: CaseFacts) -> Ruling:
        """The rule: what the command does to the case, or a refusal (an OknoError)."""


@dataclass(frozen=True)
class OpenJob:
    """A service task waiting on its connector, and how often its connector is tried."""

    element: str
    connector: str
    attempts: int
    backoff_seconds: int  # before the second attempt; it doubles after each failure


@dataclass(frozen=True)
class CaseFacts:
    """What a case rule reads: okno's state kept beside the workflow (as stored) and the
    workflow's open user tasks and jobs before the step. The runtime gathers them, so the
    rules know nothing of SpiffWorkflow or of the process model."""

    stored: dict[str, Any]
    tasks: dict[str, dict[str, Any]]  # open user tasks by task id
    jobs: dict[str, OpenJob]  # by task id
    now: datetime

    @property
    def claims(self) -> dict[str, str]:
        claims: dict[str, str] = self.stored.get("claims", {})
        return claims


@dataclass(frozen=True)
class Ruling:
    """What a case rule decided: the effect keys it adds (``feedback``), and the claims
    after it with the claims it changed (None: the claims stay as they were)."""

    feedback: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, str] | None = None
    claims_changed: list[dict[str, Any]] = field(default_factory=list)


_BY_KIND: dict[str, type[Command]] = {}


def registered() -> list[type[Command]]:
    """Every command, in the order they were declared."""
    return list(_BY_KIND.values())


def input_to_dict(command: Command) -> dict[str, Any]:
    """The command as its event records it: its kind, then its fields in declaration order
    (the stored bytes depend on that order: never reorder a command's fields)."""
    recorded: dict[str, Any] = {"kind": command.kind}
    for each in fields(command):  # type: ignore[arg-type]
        recorded[each.name] = getattr(command, each.name)
    return recorded


def input_from_dict(recorded: dict[str, Any]) -> Command:
    """The command an event recorded. A field added to a command after events were
    recorded without it has a default, which such an event gets."""
    kind = recorded["kind"]
    command = _BY_KIND.get(kind)
    if command is None:
        raise ValueError(f"unknown input kind {kind!r}")
    values = {
        each.name: recorded[each.name] if each.default is MISSING else recorded.get(each.name, each.default)
        for each in fields(command)  # type: ignore[arg-type]
    }
    return command(**values)
