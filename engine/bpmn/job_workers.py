"""What an external worker's completion or BPMN error does to the case's workflow.

A completion merges the worker's variables into the case data, as a connector's result
does. A BPMN error is thrown at the job's service task, as SpiffWorkflow throws one from
an error end event: an ``ErrorEventDefinition`` with the worker's code, caught by the
error boundary event on the task (or an error event subprocess around it) whose errorRef
names that code, or that names none. What catches it gets the worker's variables as its
data. When nothing does, the workflow is left as it was and the job is an incident with
the error's words (as Zeebe does), decided here because only the workflow knows.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition

from engine.bpmn import jobs
from engine.bpmn.library import CompiledProcess
from engine.commands import CompleteLockedJob, Ruling, ThrowJobError
from engine.commands.command import OpenJob
from engine.commands.job_workers import check_holder, failure


def run(
    process: CompiledProcess,
    workflow: BpmnWorkflow,
    step: CompleteLockedJob | ThrowJobError,
    stored: dict[str, Any],
    now: datetime,
) -> Ruling:
    task = jobs.started_job(workflow, process, step.task)
    element = str(task.task_spec.bpmn_id)
    check_holder(stored, step.task, step.worker, element)
    if isinstance(step, CompleteLockedJob):
        task.data.update(deepcopy(jobs.checked_result(step.result)))
        task.complete()
        workflow.do_engine_steps()
        return Ruling()
    variables = jobs.checked_result(step.variables)
    spec = jobs.spec_of(process, element)
    event = BpmnEvent(ErrorEventDefinition(step.code, code=step.code), deepcopy(variables), target=task.workflow)
    described = {"task": step.task, "element": element, "connector": spec.name, "code": step.code}
    workflow.top_workflow.catch(event)
    uncaught = event in workflow.bpmn_events
    if uncaught:
        # Nothing waits for this error: SpiffWorkflow left it as an event for the outside.
        workflow.bpmn_events.remove(event)
        entry = stored.get("jobs", {}).get(step.task, {"failures": 0})
        words = f"unhandled BPMN error {step.code}" + (f": {step.message}" if step.message else "")
        job = OpenJob(element, spec.name, spec.attempts, spec.backoff_seconds)
        failed = failure(job, step.task, entry["failures"] + 1, 0, words, None, step.worker)
        return Ruling({"job_error": {**described, "message": step.message, "caught": False}, "job_failed": failed})
    workflow.do_engine_steps()
    return Ruling({"job_error": {**described, "message": step.message, "caught": True}})
