"""Jobs: service tasks waiting for their connector, and the bookkeeping of their attempts.

SpiffWorkflow leaves a service task STARTED (it runs nothing for it): that is a job. The
job's input is evaluated from the case data when it opens and recorded in the effects,
so the connector is asked exactly what the history shows. A worker calls the connector
and records its result (the task completes) or its failure: failures are counted beside
the workflow state, each schedules the next attempt after a doubling backoff, and the
last allowed failure makes the job an incident until someone retries it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.determinism import clock_of
from engine.bpmn.library import CompiledProcess
from engine.bpmn.service_tasks import ConnectorSpec, backoff_seconds
from engine.errors import ExpressionError, InvalidInput, ProcessFailure, TaskNotReady
from engine.expressions import evaluate

MAX_ERROR_CHARS = 2000
MAX_RESULT_BYTES = 64 * 1024


def is_job(process: CompiledProcess, element: str) -> bool:
    info = process.elements.get(element)
    return info is not None and info.connector is not None


def waiting(workflow: BpmnWorkflow, process: CompiledProcess) -> dict[str, str]:
    """Open jobs: task id -> element id."""
    return {str(task.id): str(task.task_spec.bpmn_id) for task in workflow.get_tasks(state=TaskState.STARTED)
            if task.task_spec.bpmn_id is not None and is_job(process, str(task.task_spec.bpmn_id))}


def opened_and_closed(workflow: BpmnWorkflow, process: CompiledProcess, before: dict[str, str],
                      after: dict[str, str]) -> dict[str, Any]:
    """The effect keys for jobs that opened or went (completed or cancelled) in a step;
    absent when none did, so histories recorded before jobs existed stay byte-identical."""
    effects: dict[str, Any] = {}
    new = [task_id for task_id in after if task_id not in before]
    if new:
        tasks = {str(t.id): t for t in workflow.get_tasks(state=TaskState.STARTED)}
        effects["jobs_opened"] = [_opened(process, tasks[task_id], after[task_id]) for task_id in new]
    closed = [{"task": task_id, "element": element} for task_id, element in before.items() if task_id not in after]
    if closed:
        effects["jobs_closed"] = closed
    return effects


def _opened(process: CompiledProcess, task: Any, element: str) -> dict[str, Any]:
    spec = _spec(process, element)
    values: dict[str, Any] = {}
    for name, expression in spec.inputs:
        try:
            values[name] = evaluate(expression, task.data, now=clock_of(task.workflow).now)
        except ExpressionError as error:
            raise ProcessFailure(f"element {element}: connector input {name!r}: {error}") from None
    return {"task": str(task.id), "element": element, "connector": spec.name, "input": values}


def started_job(workflow: BpmnWorkflow, process: CompiledProcess, task_id: str) -> Any:
    jobs = waiting(workflow, process)
    if task_id not in jobs:
        listed = ", ".join(f"{task} ({element})" for task, element in sorted(jobs.items())) or "none"
        raise TaskNotReady(f"job {task_id} is not waiting in this case (jobs: {listed})")
    return next(t for t in workflow.get_tasks(state=TaskState.STARTED) if str(t.id) == task_id)


def checked_result(result: Any) -> dict[str, Any]:
    """A connector's result is case data: a JSON object with plain names as keys."""
    if not isinstance(result, dict):
        raise InvalidInput("a connector's result is an object of named values")
    bad = sorted(str(k) for k in result if not isinstance(k, str) or not k.isidentifier() or k.startswith("_"))
    if bad:
        raise InvalidInput(f"result names {', '.join(bad)} are not plain names")
    try:
        size = len(json.dumps(result, ensure_ascii=False))
    except (TypeError, ValueError):
        raise InvalidInput("a connector's result must be plain JSON values") from None
    if size > MAX_RESULT_BYTES:
        raise InvalidInput(f"a connector's result is limited to {MAX_RESULT_BYTES} bytes")
    return result


def account(process: CompiledProcess, jobs: dict[str, str], failures: dict[str, Any], task: str,
            error: str | None, now: datetime) -> dict[str, Any]:
    """The effect of a connector's failure (``error``) or of a retry of an incident
    (``error`` None) on a job's attempts."""
    element = jobs.get(task)
    if element is None:
        raise TaskNotReady(f"job {task} is not waiting in this case")
    spec = _spec(process, element)
    entry = failures.get(task, {"failures": 0, "incident": False})
    job = {"task": task, "element": element, "connector": spec.name}
    if error is None:
        if not entry["incident"]:
            raise InvalidInput(f"job {element} is not an incident: it is still being tried")
        return {"job_retried": job}
    if entry["incident"]:
        raise InvalidInput(f"job {element} is an incident: retry it before reporting another failure")
    if not isinstance(error, str) or not 0 < len(error) <= MAX_ERROR_CHARS:
        raise InvalidInput(f"a failure carries the connector's error (1–{MAX_ERROR_CHARS} characters)")
    count = entry["failures"] + 1
    incident = count >= spec.attempts
    retry_at = None if incident else (now + timedelta(seconds=backoff_seconds(spec, count))).isoformat()
    return {"job_failed": {**job, "failure": count, "attempts": spec.attempts, "error": error,
                           "incident": incident, "retry_at": retry_at}}


def carried(failures: dict[str, Any], feedback: dict[str, Any]) -> dict[str, Any]:
    """The failure counts kept in the case state after a step."""
    kept = dict(failures)
    if "job_failed" in feedback:
        failed = feedback["job_failed"]
        kept[failed["task"]] = {"failures": failed["failure"], "incident": failed["incident"]}
    if "job_retried" in feedback:
        kept.pop(feedback["job_retried"]["task"], None)
    return kept


def _spec(process: CompiledProcess, element: str) -> ConnectorSpec:
    info = process.elements[element]
    assert info.connector is not None  # waiting() only lists service tasks with a connector
    return info.connector
