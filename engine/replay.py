"""Replay: rebuild a case from its inputs alone and check, event by event, that every
recorded effect is reproduced exactly. This is what an auditor's verify runs, and what
the recorded histories under tests/ are replayed with on every run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from engine.bpmn.inputs import input_from_dict
from engine.bpmn.library import LIBRARY
from engine.bpmn.runtime import StartCase, canonical
from engine.case import RUNTIME, Case
from engine.errors import OknoError


@dataclass(frozen=True)
class Recorded:
    """One recorded event, as stored or as checked in under tests/histories/."""

    version: int
    kind: str
    timestamp: datetime
    input: dict[str, Any]
    effects: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "kind": self.kind, "timestamp": self.timestamp.isoformat(),
                "input": self.input, "effects": self.effects}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recorded:
        return cls(data["version"], data["kind"], datetime.fromisoformat(data["timestamp"]), data["input"],
                   data["effects"])

    @classmethod
    def of(cls, event: Case.Event) -> Recorded:
        return cls(event.originator_version, type(event).__name__, event.timestamp, event.input, event.effects)


@dataclass(frozen=True)
class EventCheck:
    version: int
    kind: str
    reproduced: bool
    recorded: dict[str, Any]
    replayed: dict[str, Any] | None
    error: str | None = None


@dataclass
class CaseReplay:
    number: str
    checks: list[EventCheck] = field(default_factory=list)
    gaps: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.gaps and bool(self.checks) and all(check.reproduced for check in self.checks)

    def divergences(self) -> list[EventCheck]:
        return [check for check in self.checks if not check.reproduced]


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    kind: str
    timestamp: datetime
    actor: str
    input: dict[str, Any]
    effects: dict[str, Any]
    data_change: dict[str, Any]  # {"set": {name: value}, "removed": [name]}


def history(events: Iterable[Case.Event]) -> list[HistoryEntry]:
    """Every event of a case with the change it made to the case data (by replaying it)."""
    events = list(events)
    if not events or not isinstance(events[0], Case.Opened):
        return []
    first = events[0]
    process = LIBRARY.get(first.process_version)
    entries: list[HistoryEntry] = []
    state: str | None = None
    before: dict[str, Any] = {}
    for event in events:
        step_input = input_from_dict(event.input)
        if isinstance(step_input, StartCase):
            step = RUNTIME.start(process, event.originator_id, event.timestamp, step_input)
        else:
            assert state is not None
            step = RUNTIME.apply(process, event.originator_id, state, event.timestamp, step_input)
        state = step.state
        after = step.data if step.data or not before else before
        change = {"set": {k: v for k, v in after.items() if before.get(k, _MISSING) != v},
                  "removed": sorted(k for k in before if k not in after)}
        entries.append(HistoryEntry(event.originator_version, type(event).__name__, event.timestamp, event.actor,
                                    event.input, event.effects, change))
        before = after
    return entries


_MISSING = object()


def replay_case(events: Iterable[Case.Event]) -> CaseReplay:
    """Replay a stored case (its events as the store returns them)."""
    events = list(events)
    if not events or not isinstance(events[0], Case.Opened):
        return CaseReplay(number="?", gaps=[1])
    first = events[0]
    return replay(first.process_version, first.originator_id, first.number, [Recorded.of(e) for e in events])


def replay(process_version: str, case_id: UUID, number: str, records: list[Recorded]) -> CaseReplay:
    report = CaseReplay(number=number)
    process = LIBRARY.get(process_version)
    state: str | None = None
    for expected, record in enumerate(records, start=1):
        if record.version != expected:
            report.gaps.append(expected)
        try:
            step_input = input_from_dict(record.input)
            if isinstance(step_input, StartCase):
                step = RUNTIME.start(process, case_id, record.timestamp, step_input)
            elif state is None:
                raise OknoError("the history does not begin with the case being opened")
            else:
                step = RUNTIME.apply(process, case_id, state, record.timestamp, step_input)
        except (OknoError, KeyError, ValueError) as error:
            report.checks.append(EventCheck(record.version, record.kind, False, record.effects, None, str(error)))
            break
        state = step.state
        same = canonical(step.effects) == canonical(record.effects)
        report.checks.append(EventCheck(record.version, record.kind, same, record.effects, step.effects))
    return report
