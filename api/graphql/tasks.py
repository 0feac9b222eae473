"""User tasks as the work lists show them."""

from __future__ import annotations

import strawberry

from api.graphql.enums import TaskState
from api.graphql.relay import Connection, Node, global_id
from api.graphql.views import from_view
from projections.case_queries import TaskRow


@strawberry.type
class Task(TaskRow, Node):
    element: str = strawberry.field(description="The BPMN element id of the task.")
    role: str | None = strawberry.field(
        description="The staff group(s) the model names, comma-joined; null: any staff of the office."
    )
    state: TaskState = strawberry.field(description="OPEN, CLAIMED or COMPLETED.")  # type: ignore[assignment]
    completed_by: str | None = strawberry.field(
        default=None, description="Who closed it (office/subject, or what: a timer, a withdrawal); null while open."
    )
    completed_at: str | None = strawberry.field(default=None, description="When it was closed (UTC, ISO 8601).")

    @classmethod
    def of(cls, row: TaskRow) -> Task:
        return from_view(cls, row, id=global_id("Task", row.task_id), state=TaskState(row.state))


@strawberry.type
class TaskEdge:
    node: Task
    cursor: str


@strawberry.type
class TaskConnection(Connection):
    edges: list[TaskEdge]
