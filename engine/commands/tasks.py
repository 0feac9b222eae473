"""User tasks: completing one, and who holds it.

Claims are okno's, not the workflow's: they live beside the workflow state, never in it.

Who may act is decided when the command is given, from what the command records: the
acting staff member (``holder``, ``by``) and the role they acted in. Events recorded before
those fields existed read them back as None, and a rule with nothing to check passes, so
old histories (a task completed by someone other than its holder) replay as recorded.
Every such check runs before the task's data is read: a refusal tells nothing about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.commands.command import CaseCommand, CaseFacts, Ruling, WorkflowCommand
from engine.errors import RoleNotAllowed, TaskAlreadyClaimed, TaskHeldByAnother, TaskNotClaimed, TaskNotReady
from engine.staff import SUPERVISOR, may_work


@dataclass(frozen=True)
class CompleteTask(WorkflowCommand, kind="complete_task", event="TaskCompleted"):
    element: str
    data: dict[str, Any]
    task: str | None = None  # which ready task of the element; absent from events recorded before it
    holder: str | None = None  # who completes it (and so holds it); absent from events recorded before it
    role: str | None = None  # the role they act in; None: an engine caller, not a staff token


@dataclass(frozen=True)
class ClaimTask(CaseCommand, kind="claim", event="TaskClaimed"):
    task: str
    holder: str
    role: str | None = None  # the role the holder acts in; absent from events recorded before it

    def decide(self, case: CaseFacts) -> Ruling:
        task = _open_task(case, self.task)
        _may_work(task, self.role)
        holder = case.claims.get(self.task)
        if holder is not None and holder != self.holder:
            raise TaskAlreadyClaimed(f"task {task['element']} is held by {holder}: it must be released first")
        return Ruling(
            claims={**case.claims, self.task: self.holder},
            claims_changed=[{"task": self.task, "element": task["element"], "holder": self.holder}],
        )


@dataclass(frozen=True)
class ReleaseTask(CaseCommand, kind="release", event="TaskReleased"):
    task: str
    by: str | None = None  # who releases it; absent from events recorded before it
    role: str | None = None

    def decide(self, case: CaseFacts) -> Ruling:
        task = _open_task(case, self.task)
        holder = case.claims.get(self.task)
        if holder is None:
            raise TaskNotClaimed(f"task {task['element']} is not claimed by anyone")
        if self.by is not None and holder != self.by and self.role != SUPERVISOR:
            raise TaskHeldByAnother(
                f"task {task['element']} is held by {holder}: only they or a supervisor of the office release it"
            )
        rest = {key: value for key, value in case.claims.items() if key != self.task}
        return Ruling(claims=rest, claims_changed=[{"task": self.task, "element": task["element"], "holder": None}])


@dataclass(frozen=True)
class ReassignTask(CaseCommand, kind="reassign", event="TaskReassigned"):
    """A supervisor hands a task to a member of staff: one event, and the previous holder
    (if any) loses it."""

    task: str
    holder: str
    role: str | None = None  # the role of who reassigns: a supervisor

    def decide(self, case: CaseFacts) -> Ruling:
        task = _open_task(case, self.task)
        if self.role is not None and self.role != SUPERVISOR:
            raise RoleNotAllowed(f"only a supervisor reassigns a task, not a {self.role}")
        previous = case.claims.get(self.task)
        return Ruling(
            claims={**case.claims, self.task: self.holder},
            claims_changed=[
                {"task": self.task, "element": task["element"], "holder": self.holder, "previous": previous}
            ],
        )


def completing(claims: dict[str, str], task: dict[str, Any], step: CompleteTask) -> Ruling:
    """The rule for completing an open ``task`` (its open-task entry: element, task id, role),
    decided before its data is checked: staff work only tasks of their role; a claimed task
    is completed only by its holder; an unclaimed one is claimed by whoever completes it, in
    the same event, so the record shows who did it."""
    _may_work(task, step.role)
    if step.holder is None:  # recorded before completions named their holder
        return Ruling()
    holder = claims.get(task["task"])
    if holder is not None and holder != step.holder:
        raise TaskHeldByAnother(
            f"task {task['element']} is held by {holder}: only they complete it (or a supervisor reassigns it)"
        )
    if holder is not None:
        return Ruling()
    return Ruling(
        claims={**claims, task["task"]: step.holder},
        claims_changed=[{"task": task["task"], "element": task["element"], "holder": step.holder}],
    )


def _may_work(task: dict[str, Any], role: str | None) -> None:
    if role is not None and not may_work(task.get("role"), role):
        raise RoleNotAllowed(f"task {task['element']} is worked by {task.get('role')}, not by a {role}")


def _open_task(case: CaseFacts, task_id: str) -> dict[str, Any]:
    if task_id not in case.tasks:
        raise TaskNotReady(f"task {task_id} is not an open task of this case")
    return case.tasks[task_id]
