"""1. Case throughput: complete cases through the real engine into a durable store, by
one and by two worker processes, each command committed alone and with group commit (the
50 in-flight cases' next commands committed together per round), against the same cases
through bare SpiffWorkflow in memory (no store, no serialization, no checks) as the
ceiling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.application import Engine
from engine.bpmn.determinism import CaseClock, CaseWorkflow
from engine.bpmn.library import CompiledProcess, ProcessLibrary
from engine.bpmn.runtime import _waiting_message
from engine.case import Case
from engine.catalog import Service
from engine.commands import CompleteJob, CompleteTask, DeliverMessage, FireTimer, StartCase, input_from_dict
from engine.offices import Office
from engine.store import StoreConfig
from okno.bench.clock import rate, stopwatch
from okno.bench.processes import in_processes
from okno.bench.workload import Arrival, Driver, arrivals, bench_engine


@dataclass(frozen=True)
class Run:
    cases: int
    completed: int
    steps: int
    seconds: float

    @property
    def cases_per_second(self) -> float:
        return rate(self.completed, self.seconds)

    @property
    def steps_per_second(self) -> float:
        return rate(self.steps, self.seconds)


def region(engine: Engine) -> tuple[list[Service], list[Office]]:
    directory = engine.directory()
    services = [Service.from_dict(directory.services[code]) for code in sorted(directory.services)]
    offices = [Office.from_dict(directory.offices[code]) for code in sorted(directory.offices)]
    return services, offices


def drive_in_process(engine: Engine, chosen: list[Arrival], seed: int, grouped: bool = False) -> tuple[Run, list[str]]:
    began = stopwatch()
    driven = Driver(engine, seed).drive(chosen, grouped=grouped)
    seconds = stopwatch() - began
    return Run(driven.cases, driven.completed, driven.steps, seconds), driven.numbers


def drive_processes(config: StoreConfig, count: int, seed: int, processes: int, grouped: bool = False) -> Run:
    """``processes`` workers, each with its own engine and connections, share one batch
    of arrivals; the clock runs from the first worker's start to the last one's end.
    ``grouped``: each worker commits a round of its in-flight cases' commands together."""
    reports = in_processes(_worker, config, [(count, seed, part, processes, grouped) for part in range(processes)])
    began = min(r[0] for r in reports)
    ended = max(r[1] for r in reports)
    return Run(sum(r[2] for r in reports), sum(r[3] for r in reports), sum(r[4] for r in reports), ended - began)


def _worker(
    config: StoreConfig, count: int, seed: int, part: int, parts: int, grouped: bool, barrier: Any, results: Any
) -> None:
    try:
        engine = bench_engine(config, f"throughput:{seed}:{part}")
        services, offices = region(engine)
        mine = [a for a in arrivals(services, offices, count, seed) if a.index % parts == part]
        barrier.wait()
        began = stopwatch()
        driven = Driver(engine, seed).drive(mine, grouped=grouped)
        ended = stopwatch()
        engine.close()
        results.put((began, ended, driven.cases, driven.completed, driven.steps))
    except Exception as error:  # the parent reports it; a worker must not hang the barrier
        barrier.abort()
        results.put(f"worker {part}: {type(error).__name__}: {error}")


# -- the ceiling: bare SpiffWorkflow ----------------------------------------------------------
@dataclass(frozen=True)
class Recorded:
    case_id: UUID
    process_version: str
    steps: list[tuple[dict[str, Any], datetime]]


def recorded_inputs(engine: Engine, numbers: list[str]) -> list[Recorded]:
    """The inputs the engine recorded for these cases, to run them again without it."""
    found = []
    for number in numbers:
        events = list(engine.case_events(number))
        first = events[0]
        assert isinstance(first, Case.Opened)
        engine.ensure_version(first.process_version)
        # Personal values are recorded sealed under the case's key: the engine opens them
        # when it loads a case, so the bare run is given them open too (outside its timing).
        steps = [(engine.opened(number, e.input), e.timestamp) for e in events]
        found.append(Recorded(first.originator_id, first.process_version, steps))
    return found


def bare_spiff(library: ProcessLibrary, cases: list[Recorded]) -> Run:
    """The same inputs straight into SpiffWorkflow, one workflow object in memory per
    case: what interpreting the BPMN costs with nothing around it. Okno's own
    bookkeeping inputs (claims, ratings, acknowledgements) are no work for SpiffWorkflow."""
    steps = completed = 0
    began = stopwatch()
    for case in cases:
        process = library.get(case.process_version)
        workflow = None
        ids = 0
        for data, at in case.steps:
            step = input_from_dict(data)
            clock = CaseClock(case.case_id, at, ids)  # ids and time as the engine gives them
            if isinstance(step, StartCase):
                workflow = CaseWorkflow(process.spec, process.subprocess_specs, clock)
                workflow.get_next_task(spec_name="Start").data.update(step.data)
                workflow.do_engine_steps()
            else:
                assert workflow is not None
                workflow.set_clock(clock)
                _bare_step(process, workflow, step)
            ids = clock.next_id
            steps += 1
        completed += bool(workflow is not None and workflow.is_completed())
    return Run(len(cases), completed, steps, stopwatch() - began)


def _bare_step(process: CompiledProcess, workflow: BpmnWorkflow, step: Any) -> None:
    if isinstance(step, CompleteTask):
        task = next(
            t
            for t in workflow.get_tasks(state=TaskState.READY, manual=True)
            if t.task_spec.bpmn_id == step.element and (step.task is None or str(t.id) == step.task)
        )
        task.data.update(step.data)
        task.run()
        workflow.do_engine_steps()
    elif isinstance(step, DeliverMessage):
        waiting = _waiting_message(workflow, step.name)
        result_var = getattr(waiting, "result_var", None) or step.name
        workflow.send_event(
            BpmnEvent(MessageEventDefinition(step.name), {"payload": step.payload, "result_var": result_var})
        )
        workflow.do_engine_steps()
    elif isinstance(step, FireTimer):
        workflow.refresh_timers()
        workflow.do_engine_steps()
    elif isinstance(step, CompleteJob):
        task = next(t for t in workflow.get_tasks(state=TaskState.STARTED) if str(t.id) == step.task)
        task.data.update(step.result)
        task.complete()
        workflow.do_engine_steps()
