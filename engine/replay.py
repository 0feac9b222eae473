"""Replay: rebuild a case from its inputs alone and check, event by event, that every
recorded effect is reproduced exactly. This is what an auditor's verify runs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.bpmn.inputs import input_from_dict
from engine.bpmn.library import LIBRARY
from engine.bpmn.runtime import StartCase
from engine.case import RUNTIME, Case
from engine.errors import OknoError
from engine.bpmn.runtime import canonical


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


def replay_case(events: Iterable[Case.Event]) -> CaseReplay:
    iterator = iter(events)
    first = next(iterator, None)
    if not isinstance(first, Case.Opened):
        return CaseReplay(number="?", gaps=[1])
    report = CaseReplay(number=first.number)
    process = LIBRARY.get(first.process_version)
    state: str | None = None
    expected_version = 1
    for event in [first, *iterator]:
        if event.originator_version != expected_version:
            report.gaps.append(expected_version)
        expected_version = event.originator_version + 1
        try:
            step_input = input_from_dict(event.input)
            if isinstance(step_input, StartCase):
                step = RUNTIME.start(process, event.originator_id, event.timestamp, step_input)
            else:
                assert state is not None
                step = RUNTIME.apply(process, event.originator_id, state, event.timestamp, step_input)
        except (OknoError, AssertionError, KeyError, ValueError) as error:
            report.checks.append(EventCheck(event.originator_version, type(event).__name__, False,
                                            event.effects, None, str(error)))
            break
        state = step.state
        same = canonical(step.effects) == canonical(event.effects)
        report.checks.append(EventCheck(event.originator_version, type(event).__name__, same,
                                        event.effects, step.effects))
    return report
