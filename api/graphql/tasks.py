"""User tasks as the work lists show them."""

from __future__ import annotations

import strawberry

from api.graphql.relay import Node, PageInfo, global_id
from api.graphql.views import from_view
from projections.case_queries import TaskRow


@strawberry.type
class Task(TaskRow, Node):
    element: str = strawberry.field(description="The BPMN element id of the task.")
    state: str = strawberry.field(description="open or claimed")
    holder: str | None = strawberry.field(
        description="Who holds it (OFFICE/subject): only they complete it, until they release it or a "
        "supervisor reassigns it."
    )

    @classmethod
    def of(cls, row: TaskRow) -> Task:
        return from_view(cls, row, id=global_id("Task", row.task_id))


@strawberry.type
class TaskEdge:
    node: Task
    cursor: str


@strawberry.type
class TaskConnection:
    edges: list[TaskEdge]
    page_info: PageInfo
