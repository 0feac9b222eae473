"""What a subscription message says changed: a case as it is now and what happened to it
since the subscriber's previous message, or an office's work list as a delta. Both are
worked out from two snapshots of the read model, the one last sent and the one read now."""

from __future__ import annotations

import re
from collections.abc import Sequence

import strawberry

from api.graphql.cases import Case
from api.graphql.relay import global_id
from api.graphql.tasks import Task
from engine.case import Case as CaseAggregate
from projections.case_queries import CaseRow, TaskRow


@strawberry.type(
    description="A case after a change: the case as it is at `version` (its status, stage and tasks "
    "read from one snapshot of the read model, not as they were when the subscription started), "
    "and what changed since the previous message of the subscription."
)
class CaseChange:
    case: Case = strawberry.field(description="The case as it is at `version`, its tasks read with it.")
    version: int = strawberry.field(description="The case's version this message shows (its last event's).")
    initial: bool = strawberry.field(
        description="True for the first message: the case as it was when the subscription started "
        "(`tasksOpened` then lists all its tasks, `changes` is empty)."
    )
    change: str | None = strawberry.field(
        description="The kind of the last event since the previous message, as recorded (snake case of "
        "the event: task_claimed, task_released, task_completed, service_task_completed, "
        "message_received, timer_fired, withdrawn…); null in the first message."
    )
    changes: list[str] = strawberry.field(
        description="The kinds of every event since the previous message, oldest first: several when "
        "they came between two polls of the read model."
    )
    tasks_opened: list[Task] = strawberry.field(description="Tasks of the case not in the previous message.")
    tasks_changed: list[Task] = strawberry.field(
        description="Tasks in the previous message whose state or holder changed (claimed, released)."
    )
    tasks_closed: list[strawberry.ID] = strawberry.field(
        description="Node ids (`Task.id`) of the previous message's tasks that are no longer open "
        "(completed, cancelled by the workflow, closed with the case)."
    )


@strawberry.type(
    description="An office's work list, as a change to the one sent before: a client keeps the list "
    "by `Task.id`, starts from the first message (`snapshot`: the whole list, all in `added`), then "
    "applies each message's `added`, `changed` and `removed` in order."
)
class TaskListChange:
    snapshot: bool = strawberry.field(description="True for the first message: `added` is the whole list.")
    added: list[Task] = strawberry.field(description="Tasks now on the list that the previous message had not.")
    changed: list[Task] = strawberry.field(
        description="Tasks on both whose row changed (claimed, released, due day), as they are now."
    )
    removed: list[strawberry.ID] = strawberry.field(
        description="Node ids (`Task.id`) of tasks the previous message had that are gone (completed, "
        "withdrawn, or past the list's first 100)."
    )
    position: int = strawberry.field(
        description="How far the read model had read the event log when this list was read: grows "
        "from message to message (with gaps)."
    )


def event_kind(event: CaseAggregate.Event) -> str:
    """An event's kind as an integrator reads it: its recorded class name in snake case (names
    that are never changed, since stored events carry them)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


def task_delta(
    before: Sequence[TaskRow], now: Sequence[TaskRow]
) -> tuple[list[TaskRow], list[TaskRow], list[strawberry.ID]]:
    """Added, changed and removed tasks (by node id), from the list last sent to the one read now."""
    previous = {task.task_id: task for task in before}
    current = {task.task_id for task in now}
    added = [task for task in now if task.task_id not in previous]
    changed = [task for task in now if task.task_id in previous and previous[task.task_id] != task]
    removed = [strawberry.ID(global_id("Task", task.task_id)) for task in before if task.task_id not in current]
    return added, changed, removed


def case_change(
    row: CaseRow, tasks: Sequence[TaskRow], before: Sequence[TaskRow] | None, kinds: Sequence[str]
) -> CaseChange:
    """The message for ``row`` and its ``tasks`` (one snapshot), after a message that showed
    ``before`` (None: this is the first) and the events of ``kinds`` since."""
    opened, changed, closed = task_delta(before or [], tasks)
    return CaseChange(
        case=Case.of(row, list(tasks)),
        version=row.version,
        initial=before is None,
        change=kinds[-1] if kinds else None,
        changes=list(kinds),
        tasks_opened=[Task.of(t) for t in opened],
        tasks_changed=[Task.of(t) for t in changed],
        tasks_closed=closed,
    )


def task_list_change(before: Sequence[TaskRow] | None, now: Sequence[TaskRow], position: int) -> TaskListChange:
    """The message for the work list ``now`` after one that showed ``before`` (None: the first)."""
    added, changed, removed = task_delta(before or [], now)
    return TaskListChange(
        snapshot=before is None,
        added=[Task.of(t) for t in added],
        changed=[Task.of(t) for t in changed],
        removed=removed,
        position=position,
    )
