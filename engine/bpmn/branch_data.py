"""Data set on a non-interrupting boundary branch reaches the rest of the case.

In Camunda and Zeebe a case's variables belong to the process: a reminder branch that
sets ``reminded = true`` and ends leaves it set for the task still open. SpiffWorkflow
keeps data per branch (each task a copy of its parent's), so the branch's data ended with
it. Here, when such a branch reaches its end event, what it changed (compared with the
data it started with at its boundary event) is copied into the tasks still live in the
same (sub)process, once: the end event is marked so a later step does not merge it again.

Only branches of non-interrupting boundary events are merged: an interrupting one ends
the activity anyway, and parallel branches meet at their join as BPMN draws them."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, EndEvent
from SpiffWorkflow.util.task import TaskState

_MERGED = "okno_branch_merged"
_FOUND = "okno_has_non_interrupting_boundary"
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def merge_finished_branches(workflow: Any) -> None:
    if not _has_non_interrupting_boundary(workflow):
        return  # most models: no walk of the task tree
    # Every task, not get_tasks(state=COMPLETED): that stops below a task still open.
    for end in workflow.get_tasks():
        if end.state != TaskState.COMPLETED or not isinstance(end.task_spec, EndEvent):
            continue
        if end.internal_data.get(_MERGED):
            continue
        boundary = _boundary_of(end)
        if boundary is None:
            continue
        end.internal_data[_MERGED] = True
        changed = {k: v for k, v in end.data.items() if k not in boundary.data or boundary.data[k] != v}
        if not changed:
            continue
        for task in end.workflow.get_tasks():
            if task.workflow is end.workflow and task.state & _LIVE:
                task.data.update(deepcopy(changed))
                if task.state == TaskState.WAITING and task.parent is not None:
                    # A waiting catch (a receive task, a message or timer event) takes its
                    # parent's data again when its event comes (SpiffWorkflow's
                    # _inherit_data, the parent's values winning): the change goes there too.
                    task.parent.data.update(deepcopy(changed))


def _has_non_interrupting_boundary(workflow: Any) -> bool:
    # Asked on every step: the answer is kept on the compiled spec, which lives as long as
    # its process version is compiled (engine.bpmn.library) and never changes.
    known: bool | None = getattr(workflow.spec, _FOUND, None)
    if known is None:
        specs = [workflow.spec, *workflow.subprocess_specs.values()]
        known = any(
            isinstance(task_spec, BoundaryEvent) and not task_spec.cancel_activity
            for spec in specs
            for task_spec in spec.task_specs.values()
        )
        setattr(workflow.spec, _FOUND, known)
    return known


def _boundary_of(task: Any) -> Any:
    """The non-interrupting boundary event this branch started at, or None."""
    current = task.parent
    while current is not None:
        spec = current.task_spec
        if isinstance(spec, BoundaryEvent):
            return None if spec.cancel_activity else current
        current = current.parent
    return None
