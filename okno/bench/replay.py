"""5. Replay: cases verified per second, as `okno audit verify` does it (read the events,
re-run every input against the pinned version, compare every effect, check the hash
chain), in one process and shared among two as `okno audit verify --jobs 2` does. The
ceiling is bare SpiffWorkflow running the same inputs (section 1), on one core."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.application import Engine
from engine.case import Case
from engine.replay import verify
from engine.store import StoreConfig
from okno.bench.clock import rate, stopwatch
from okno.bench.processes import in_processes
from okno.bench.workload import bench_engine


@dataclass(frozen=True)
class ReplayFigures:
    cases: int
    verified: int
    cases_per_second: float
    # The same cases shared among two processes (each its own engine), from the moment
    # both are ready to the last verdict: what `okno audit verify --jobs 2` gets on 2 cores.
    cases_per_second_2_processes: float | None = None


def measure(engine: Engine, numbers: list[str], processes: int = 2) -> ReplayFigures:
    began = stopwatch()
    verified = sum(_verify(engine, number) for number in numbers)
    seconds = stopwatch() - began
    parallel = measure_processes(engine.config, numbers, processes) if processes > 1 else None
    return ReplayFigures(len(numbers), verified, rate(len(numbers), seconds), parallel)


def measure_processes(config: StoreConfig, numbers: list[str], processes: int) -> float:
    """Cases verified per second by ``processes`` workers, each verifying every
    ``processes``-th case; timed from the barrier all pass once their engine is open."""
    reports = in_processes(_worker, config, [(numbers[part::processes],) for part in range(processes)])
    return rate(len(numbers), max(r[1] for r in reports) - min(r[0] for r in reports))


def _verify(engine: Engine, number: str) -> bool:
    events = list(engine.case_events(number))
    first = events[0]
    assert isinstance(first, Case.Opened)
    engine.ensure_version(first.process_version)
    return verify(engine.steps, events).ok


def _worker(config: StoreConfig, numbers: list[str], barrier: Any, results: Any) -> None:
    try:
        engine = bench_engine(config, "replay")
        for number in numbers[:1]:  # versions compiled and connections warm before the clock
            _verify(engine, number)
        barrier.wait()
        began = stopwatch()
        for number in numbers:
            _verify(engine, number)
        ended = stopwatch()
        engine.close()
        results.put((began, ended))
    except Exception as error:  # the parent reports it; a worker must not hang the barrier
        barrier.abort()
        results.put(f"replay worker: {type(error).__name__}: {error}")
