"""``okno run-model``: a unit test for analysts. A model runs in memory on scripted inputs
(task data, agency messages, time passing) and prints the path taken and the final data;
expectations in the script make it pass or fail, so it can run in the analysts' own CI.

Script (TOML)::

    process = "property_registration"     # optional when the file holds one process
    services = "catalog"                  # optional: run once per catalog service of the process ...
    services = ["rosreestr_ownership"]    # ... or once per service named
    start = "2026-11-02T09:00:00+03:00"   # optional
    data = { cadastral_number = "48:20:0012345:67" }   # optional start data

    [[step]]
    complete = "Task_Reception"            # a user task's element id
    data = { documents_complete = true }
    [[step]]
    message = "rosreestr_decision"
    payload = { decision = "registered" }
    [[step]]
    job = "Task_CheckFee"                  # a service task's connector answers ...
    result = { fee_paid = true }
    only_when = "state_fee > 0"            # any step: skipped when this is false on the case data
    [[step]]
    job = "Task_NotifyApplicant"           # ... or fails (retried after a backoff, then an incident)
    fail = "SMS gateway timed out"
    [[step]]
    job = "Task_CheckInventory"            # ... or an external worker throws a BPMN error at it
    error = "OUT_OF_STOCK"                 # (an error boundary event catches it, else an incident)
    variables = { missing = ["book"] }     # optional: the data the catching event gets
    [[step]]
    signal = "tariffs_changed"             # a broadcast signal reaches the case
    payload = { tariff = 350 }
    [[step]]
    wait = "P31D"                          # time passes; every timer due by then fires, in time order
    [[step]]
    complete = "Task_Reception"
    data = { documents_complete = "yes" }
    expect_error = "invalid_task_data"     # this step must be refused

    [expect]
    completed = true
    outcome = "issued"
    stage = "Готово к выдаче"
    tasks_open = ["Task_Handout"]
    messages_sent = ["rosreestr_package"]
    data = { result = "registered" }       # these keys, with these values

Services. ``services = "catalog"`` runs the script once for every service of the catalog
(the ``catalog.toml`` among the paths given, or beside the BPMN files) whose ``process`` is
the script's process, each starting with what a case of that service opens with:
``service_code``, ``state_fee``, ``term_days``, ``agency``, ``service_parameters``
(engine.case_variables.service_variables, the engine's own opening). A list of codes runs
those services, with their catalog variables where the catalog has them (else only
``service_code``). The start ``data`` comes first; the service's variables are laid over it.

``only_when`` (any step) is an okno expression over the case data as it stands before the
step: false, and the step is skipped. Services that share a process differ in data, so one
script serves them all: the fee steps run only where ``state_fee > 0``, a step for birth
certificates only where ``service_parameters.certificate_kind == "birth"``.
"""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.bpmn.library import CompiledProcess
from engine.bpmn.runtime import Runtime, Step
from engine.case_variables import SERVICE_CODE, service_variables
from engine.catalog import Service
from engine.commands import (
    Command,
    CompleteJob,
    CompleteTask,
    DeliverMessage,
    DeliverSignal,
    FailJob,
    FireTimer,
    LockJob,
    StartCase,
    ThrowJobError,
)
from engine.errors import ExpressionError, OknoError
from engine.expressions import check_expression, evaluate

DEFAULT_START = "2026-11-02T09:00:00+03:00"
STEP_GAP = timedelta(minutes=10)
MAX_FIRINGS_PER_WAIT = 1000
RUN_NAMESPACE = uuid.UUID("6f6b6e6f-0000-4000-8000-00000000a11a")
RUN_WORKER = "run-model"  # the external worker a script's BPMN error comes from
EVERY_CATALOG_SERVICE = "catalog"  # services = "catalog": each catalog service of the process


class ScriptInvalid(OknoError):
    code = "validation"


@dataclass
class RunResult:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)  # each stage the case entered, in order
    outcome: str | None = None  # what the case ended with, if it did

    @property
    def ok(self) -> bool:
        return not self.failures


def load_script(text: str, name: str) -> dict[str, Any]:
    try:
        script = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScriptInvalid(f"{name}: not valid TOML: {error}") from None
    for index, step in enumerate(script.get("step", []), start=1):
        kinds = [k for k in ("complete", "message", "signal", "wait", "job") if k in step]
        if len(kinds) != 1:
            raise ScriptInvalid(f"{name}: step {index} needs exactly one of complete, message, signal, wait, job")
        condition = step.get("only_when")
        if condition is not None:
            if not isinstance(condition, str) or not condition.strip():
                raise ScriptInvalid(f'{name}: step {index}: only_when must be an expression, e.g. "state_fee > 0"')
            try:
                check_expression(condition)
            except ExpressionError as error:
                raise ScriptInvalid(f"{name}: step {index}: only_when {condition!r}: {error}") from None
    services = script.get("services")
    listed = isinstance(services, list) and all(isinstance(s, str) and s for s in services)
    if services is not None and services != EVERY_CATALOG_SERVICE and not listed:
        raise ScriptInvalid(f'{name}: services must be "catalog" or a list of service codes')
    return script


def service_scripts(
    script: dict[str, Any], process_id: str, catalog: list[Service] | None, name: str = "script"
) -> list[tuple[str | None, dict[str, Any]]]:
    """The runs a script stands for: (service code, the script with that service's start
    data) per service it names, or the one run of the script as written."""
    services = script.get("services")
    if not services:
        return [(None, script)]
    known = {s.code: s for s in catalog or []}
    if services == EVERY_CATALOG_SERVICE:
        if catalog is None:
            raise ScriptInvalid(
                f'{name}: services = "catalog" needs a catalog.toml among the paths given or beside the BPMN files'
            )
        chosen = [s for s in catalog if s.process == process_id]
        if not chosen:
            raise ScriptInvalid(f"{name}: no catalog service runs process {process_id!r}")
        codes = [s.code for s in chosen]
    else:
        codes = list(services)
    runs: list[tuple[str | None, dict[str, Any]]] = []
    for code in codes:
        entry = known.get(code)
        opening = service_variables(entry) if entry is not None else {SERVICE_CODE: code}
        runs.append((code, {**script, "data": {**script.get("data", {}), **opening}}))
    return runs


def run_services(
    process: CompiledProcess, script: dict[str, Any], catalog: list[Service] | None, name: str = "script"
) -> list[tuple[str | None, RunResult]]:
    """Run the script once per service it stands for (``service_scripts``)."""
    return [(code, run(process, one)) for code, one in service_scripts(script, process.process_id, catalog, name)]


def _duration(text: str, start: datetime) -> timedelta:
    try:
        delta: timedelta = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(text), start
        )
    except Exception:  # SpiffWorkflow raises a bare Exception for a bad duration
        raise ScriptInvalid(f"wait {text!r} is not an ISO 8601 duration such as P3D or PT4H") from None
    return delta


def run(process: CompiledProcess, script: dict[str, Any]) -> RunResult:
    result = RunResult()
    runtime = Runtime()
    case_id = uuid.uuid5(RUN_NAMESPACE, process.version)
    try:
        now = datetime.fromisoformat(str(script.get("start", DEFAULT_START)))
    except ValueError:
        raise ScriptInvalid(f"start {script.get('start')!r} is not an ISO date-time") from None
    if now.tzinfo is None:
        raise ScriptInvalid("start needs a time zone, e.g. 2026-11-02T09:00:00+03:00")
    timers: dict[str, dict[str, Any]] = {}
    tasks: dict[str, str] = {}
    sent: list[str] = []
    jobs: dict[str, str] = {}  # open service-task jobs: task id -> element
    step = runtime.start(process, case_id, now, StartCase(dict(script.get("data", {}))))
    _record(result, "start", now, step, timers, tasks, sent, jobs)

    def apply(
        step: Step, now: datetime, step_input: Command, label: str, index: int, expect_error: str | None = None
    ) -> Step:
        """One input of the script, applied to the case as it stands (this run's own tallies)."""
        return _apply(
            result,
            runtime,
            process,
            case_id,
            step,
            now,
            step_input,
            label,
            index,
            expect_error,
            timers,
            tasks,
            sent,
            jobs,
        )

    for index, entry in enumerate(script.get("step", []), start=1):
        if "only_when" in entry and not _holds(result, str(entry["only_when"]), step, now, index):
            continue
        if "wait" in entry:
            until = now + _duration(str(entry["wait"]), now)
            result.lines.append(f"{until.isoformat()}  … {entry['wait']} pass")
            # Every timer due by then fires, earliest first, each at its own due time: a
            # timer one firing schedules (a chain, a cycle's next time) fires too if it is
            # due by then. Bounded, since a cycle could be due every second.
            for _ in range(MAX_FIRINGS_PER_WAIT):
                due = [t for t in timers.values() if t["due"] and datetime.fromisoformat(t["due"]) <= until]
                if not due:
                    break
                timer = min(due, key=lambda t: (datetime.fromisoformat(t["due"]), t["element"], t["task"]))
                now = max(now, datetime.fromisoformat(timer["due"]).astimezone(now.tzinfo))
                before = step
                step = apply(step, now, FireTimer(timer["element"]), f"timer {timer['element']}", index)
                if step is before:  # refused (reported): do not try it again
                    timers.pop(timer["task"], None)
            now = until
            continue
        now += STEP_GAP
        step_input: Command
        if "complete" in entry:
            step_input = CompleteTask(str(entry["complete"]), dict(entry.get("data", {})))
            label = f"complete {entry['complete']}"
        elif "job" in entry:
            # The connector's answer as the worker would record it: a result, or a failure.
            element = str(entry["job"])
            task = next((t for t, e in jobs.items() if e == element), element)
            if "error" in entry:
                # As a worker records it: the job activated (locked), then the error thrown.
                lock = LockJob(task, RUN_WORKER, 60)
                label = f"job {element} activated"
                step = apply(step, now, lock, label, index)
                now += STEP_GAP
                code, message = str(entry["error"]), str(entry.get("message", ""))
                step_input = ThrowJobError(task, RUN_WORKER, code, message, dict(entry.get("variables", {})))
                label = f"job {element} threw {code}"
            elif "fail" in entry:
                step_input, label = FailJob(task, str(entry["fail"])), f"job {element} failed"
            else:
                step_input, label = CompleteJob(task, dict(entry.get("result", {}))), f"job {element} done"
        elif "signal" in entry:
            step_input = DeliverSignal(str(entry["signal"]), dict(entry.get("payload", {})))
            label = f"signal {entry['signal']}"
        else:
            step_input = DeliverMessage(str(entry["message"]), dict(entry.get("payload", {})))
            label = f"message {entry['message']}"
        step = apply(step, now, step_input, label, index, entry.get("expect_error"))
    _check(result, script.get("expect", {}), step, tasks, sent)
    return result


def _holds(result: RunResult, condition: str, step: Step, now: datetime, index: int) -> bool:
    """Whether a step's ``only_when`` holds on the case data; a condition that cannot be
    evaluated fails the run (and the step is skipped)."""
    try:
        holds = bool(evaluate(condition, step.data, now=now))
    except ExpressionError as error:
        result.lines.append(f"{now.isoformat()}  step {index}: only_when {condition!r} FAILED: {error}")
        result.failures.append(f"step {index}: only_when {condition!r} could not be evaluated: {error}")
        return False
    if not holds:
        result.lines.append(f"{now.isoformat()}  step {index} skipped: only_when {condition!r} is false")
    return holds


def _apply(
    result: RunResult,
    runtime: Runtime,
    process: CompiledProcess,
    case_id: uuid.UUID,
    step: Step,
    now: datetime,
    step_input: Command,
    label: str,
    index: int,
    expect_error: str | None,
    timers: dict[str, dict[str, Any]],
    tasks: dict[str, str],
    sent: list[str],
    jobs: dict[str, str],
) -> Step:
    try:
        following = runtime.apply(process, case_id, step.state, now, step_input)
    except OknoError as error:
        if expect_error and error.code == expect_error:
            result.lines.append(f"{now.isoformat()}  {label}: refused as expected ({error.code}): {error}")
        else:
            result.lines.append(f"{now.isoformat()}  {label}: REFUSED ({error.code}): {error}")
            result.failures.append(f"step {index} ({label}) was refused: {error}")
        return step
    if expect_error:
        result.failures.append(f"step {index} ({label}) should have been refused with {expect_error}")
    _record(result, label, now, following, timers, tasks, sent, jobs)
    return following


def _record(
    result: RunResult,
    label: str,
    now: datetime,
    step: Step,
    timers: dict[str, dict[str, Any]],
    tasks: dict[str, str],
    sent: list[str],
    jobs: dict[str, str],
) -> None:
    effects = step.effects
    for gone in effects.get("jobs_closed", []):
        jobs.pop(gone["task"], None)
    for opened in effects.get("jobs_opened", []):
        jobs[opened["task"]] = opened["element"]
    for gone in effects["tasks_closed"]:
        tasks.pop(gone["task"], None)
    for opened in effects["tasks_opened"]:
        tasks[opened["task"]] = opened["element"]
    for gone in effects["timers_cancelled"] + effects["timers_fired"]:
        timers.pop(gone["task"], None)
    for scheduled in effects["timers_scheduled"]:
        timers[scheduled["task"]] = scheduled
    sent.extend(m["name"] for m in effects["messages_sent"])
    if effects["stage"] and effects["stage"] not in result.stages[-1:]:
        result.stages.append(effects["stage"])
    notes = [f"stage: {effects['stage']}"] if effects["stage"] else []
    if effects["tasks_opened"]:
        notes.append("opened " + ", ".join(f"{t['element']} ({t['role']})" for t in effects["tasks_opened"]))
    if effects["messages_sent"]:
        notes.append("sent " + ", ".join(m["name"] for m in effects["messages_sent"]))
    if effects.get("jobs_opened"):
        notes.append(
            "jobs " + ", ".join(f"{j['element']} ({j['connector']} {j['input']})" for j in effects["jobs_opened"])
        )
    if effects.get("job_failed"):
        failed = effects["job_failed"]
        notes.append(
            f"{failed['element']} failed ({failed['failure']} of {failed['attempts']}): "
            + ("INCIDENT" if failed["incident"] else f"retry at {failed['retry_at']}")
        )
    if effects.get("job_error"):
        thrown = effects["job_error"]
        notes.append(f"error {thrown['code']} " + ("caught" if thrown["caught"] else "not caught"))
    if effects["timers_scheduled"]:
        notes.append("timers " + ", ".join(f"{t['element']} at {t['due']}" for t in effects["timers_scheduled"]))
    if effects["awaiting"]:
        notes.append("awaits " + ", ".join(effects["awaiting"]))
    if effects.get("signals_awaited"):
        notes.append("awaits signal " + ", ".join(effects["signals_awaited"]))
    if effects["completed"]:
        notes.append(f"COMPLETED, outcome {effects['outcome']}")
    result.lines.append(f"{now.isoformat()}  {label}: " + "; ".join(notes))


def _check(result: RunResult, expect: dict[str, Any], step: Step, tasks: dict[str, str], sent: list[str]) -> None:
    effects = step.effects
    result.outcome = effects["outcome"]
    actual: dict[str, Any] = {
        "completed": effects["completed"],
        "outcome": effects["outcome"],
        "stage": effects["stage"],
        "tasks_open": sorted(tasks.values()),
        "messages_sent": sent,
    }
    for key in ("completed", "outcome", "stage", "messages_sent"):
        if key in expect and expect[key] != actual[key]:
            result.failures.append(f"expected {key} = {expect[key]!r}, got {actual[key]!r}")
    if "tasks_open" in expect and sorted(expect["tasks_open"]) != actual["tasks_open"]:
        result.failures.append(f"expected tasks_open = {sorted(expect['tasks_open'])!r}, got {actual['tasks_open']!r}")
    for key, value in expect.get("data", {}).items():
        if step.data.get(key) != value:
            result.failures.append(f"expected data {key} = {value!r}, got {step.data.get(key)!r}")
    result.lines.append("final data: " + ", ".join(f"{k}={v!r}" for k, v in sorted(step.data.items())))
