"""3. Command latency as a case's history grows: cases whose staff claim and release a
task over and over (real commands, each one event) are timed as their histories pass
10, 100 and 1,000 events. The ceiling is the same command computed in memory (the
workflow step alone, no load or save)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from engine.application import Engine
from engine.case import Case
from engine.commands import ClaimTask, ReleaseTask
from okno.bench.clock import percentile, stopwatch
from okno.bench.workload import Driver, arrivals

MILESTONES = (10, 100, 1000)


@dataclass
class Milestone:
    events: int
    samples: list[float] = field(default_factory=list)  # seconds per command
    computed: list[float] = field(default_factory=list)  # the same command in memory

    def figures(self) -> dict[str, float]:
        return {
            "events": self.events,
            "samples": len(self.samples),
            "p50_ms": 1000 * percentile(self.samples, 50),
            "p99_ms": 1000 * percentile(self.samples, 99),
            "ceiling_p50_ms": 1000 * percentile(self.computed, 50),
            "ceiling_p99_ms": 1000 * percentile(self.computed, 99),
        }


def measure(engine: Engine, cases: int, window: int, seed: int) -> list[Milestone]:
    """``cases`` cases grow in turn (so the cache holds many, not one); each command
    that brings a case's history into [M, M + window) of a milestone M is a sample."""
    from okno.bench.throughput import region

    services, offices = region(engine)
    driver = Driver(engine, seed)
    chosen = [a for a in arrivals(services, offices, cases * 20, seed + 7)][:cases]
    live: list[Case] = []
    for arrival in chosen:
        case = driver.open(arrival)
        if case.open_tasks:
            live.append(case)
    milestones = {m: Milestone(m) for m in MILESTONES}
    windows = {m: window if m > 10 else max(3, window // 4) for m in MILESTONES}
    last = max(MILESTONES) + window
    while live and live[0].version < last:
        for index, case in enumerate(live):
            task = case.open_tasks[0]
            at = case.modified_on + timedelta(seconds=30)
            holder = task.get("holder")
            measured = next((m for m in MILESTONES if m <= case.version + 1 < m + windows[m]), None)
            if measured is not None:
                step_input = ReleaseTask(task["task"]) if holder else ClaimTask(task["task"], f"{case.office}/operator")
                began = stopwatch()
                engine.steps.next(case, step_input, at)
                milestones[measured].computed.append(stopwatch() - began)
            began = stopwatch()
            if holder:
                case = engine.release_task(case.number, task["task"], actor=holder, at=at)
            else:
                case = engine.claim_task(case.number, task["task"], actor=f"{case.office}/operator", at=at)
            if measured is not None:
                milestones[measured].samples.append(stopwatch() - began)
            live[index] = case
    return [milestones[m] for m in MILESTONES]
