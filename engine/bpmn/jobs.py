"""Jobs: service tasks waiting for their connector, and the bookkeeping of their attempts.

SpiffWorkflow leaves a service task STARTED (it runs nothing for it): that is a job. The
job's input is evaluated from the case data when it opens and recorded in the effects,
so the connector is asked exactly what the history shows. A worker calls the connector
and records its result (the task completes) or its failure, which okno counts beside the
workflow state (engine/commands/jobs.py).
"""

from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.determinism import clock_of
from engine.bpmn.library import CompiledProcess
from engine.bpmn.service_tasks import ConnectorSpec
from engine.errors import ExpressionError, InvalidInput, ProcessFailure, TaskNotReady
from engine.expressions import evaluate

MAX_RESULT_BYTES = 64 * 1024


def is_job(process: CompiledProcess, element: str) -> bool:
    info = process.elements.get(element)
    return info is not None and info.connector is not None


def is_open_job(process: CompiledProcess, task: Any) -> bool:
    """A STARTED task that waits on its connector. A multi-instance or standard loop service
    task's wrapper shares its runs' element id but runs nothing itself: only the runs are jobs."""
    element = task.task_spec.bpmn_id
    return element is not None and not isinstance(task.task_spec, LoopTask) and is_job(process, str(element))


def waiting(workflow: BpmnWorkflow, process: CompiledProcess) -> dict[str, str]:
    """Open jobs: task id -> element id."""
    return {
        str(task.id): str(task.task_spec.bpmn_id)
        for task in workflow.get_tasks(state=TaskState.STARTED)
        if is_open_job(process, task)
    }


def opened_and_closed(
    workflow: BpmnWorkflow, process: CompiledProcess, before: dict[str, str], after: dict[str, str]
) -> dict[str, Any]:
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
    spec = spec_of(process, element)
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


def spec_of(process: CompiledProcess, element: str) -> ConnectorSpec:
    """The connector of a job's element (a service task ``waiting`` lists)."""
    info = process.elements[element]
    assert info.connector is not None  # waiting() only lists service tasks with a connector
    return info.connector
