"""User tasks as the work lists show them."""

from __future__ import annotations

import strawberry

from api.context import Context
from api.graphql.enums import TaskState
from api.graphql.forms import TaskForm
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
    holder: str | None = strawberry.field(
        description="Who holds it (OFFICE/subject): only they complete it, until they release it or a "
        "supervisor reassigns it."
    )
    completed_by: str | None = strawberry.field(
        default=None, description="Who closed it (office/subject, or what: a timer, a withdrawal); null while open."
    )
    completed_at: str | None = strawberry.field(default=None, description="When it was closed (UTC, ISO 8601).")

    @strawberry.field(
        description="The task's form, from the case's own process version: what completeTask's data "
        "must hold. Null when the model declares none (the task then takes any object of plain names)."
    )
    def form(self, info: strawberry.Info[Context, None]) -> TaskForm | None:
        found = info.context.services.engine.task_form(self.case_number, self.element)
        return TaskForm.of(found) if found is not None else None

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
