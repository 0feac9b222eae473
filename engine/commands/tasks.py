"""User tasks: completing one, and who holds it.

Claims are okno's, not the workflow's: they live beside the workflow state, never in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.commands.command import CaseCommand, CaseFacts, Ruling, WorkflowCommand
from engine.errors import TaskAlreadyClaimed, TaskNotClaimed, TaskNotReady


@dataclass(frozen=True)
class CompleteTask(WorkflowCommand, kind="complete_task", event="TaskCompleted"):
    element: str
    data: dict[str, Any]
    task: str | None = None  # which ready task of the element; absent from events recorded before it


@dataclass(frozen=True)
class ClaimTask(CaseCommand, kind="claim", event="TaskClaimed"):
    task: str
    holder: str

    def decide(self, case: CaseFacts) -> Ruling:
        task = _open_task(case, self.task)
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

    def decide(self, case: CaseFacts) -> Ruling:
        task = _open_task(case, self.task)
        if case.claims.get(self.task) is None:
            raise TaskNotClaimed(f"task {task['element']} is not claimed by anyone")
        rest = {key: value for key, value in case.claims.items() if key != self.task}
        return Ruling(claims=rest, claims_changed=[{"task": self.task, "element": task["element"], "holder": None}])


def _open_task(case: CaseFacts, task_id: str) -> dict[str, Any]:
    if task_id not in case.tasks:
        raise TaskNotReady(f"task {task_id} is not an open task of this case")
    return case.tasks[task_id]
