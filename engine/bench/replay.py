"""5. Replay: cases verified per second, as `okno audit verify` does it (read the events,
re-run every input against the pinned version, compare every effect, check the hash
chain). The ceiling is bare SpiffWorkflow running the same inputs (section 1)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.application import Engine
from engine.bench.clock import rate, stopwatch
from engine.integrity import broken_links
from engine.replay import replay_case


@dataclass(frozen=True)
class ReplayFigures:
    cases: int
    verified: int
    cases_per_second: float


def measure(engine: Engine, numbers: list[str]) -> ReplayFigures:
    verified = 0
    began = stopwatch()
    for number in numbers:
        events = list(engine.case_events(number))
        report = replay_case(events)
        if report.ok and not broken_links(events):
            verified += 1
    return ReplayFigures(len(numbers), verified, rate(len(numbers), stopwatch() - began))
