"""User tasks as the work lists show them."""

from __future__ import annotations

from typing import Any

import strawberry

from api.graphql.relay import Node, PageInfo, global_id


@strawberry.type
class Task(Node):
    task_id: str
    case_number: str
    office: str
    element: str = strawberry.field(description="The BPMN element id of the task.")
    name: str
    role: str | None
    state: str = strawberry.field(description="open or claimed")
    holder: str | None
    opened_at: str
    due_day: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> Task:
        return cls(id=global_id("Task", row["task_id"]), task_id=row["task_id"], case_number=row["case_number"],
                   office=row["office"], element=row["element"], name=row["name"], role=row["role"],
                   state=row["state"], holder=row["holder"], opened_at=row["opened_at"], due_day=row["due_day"])


@strawberry.type
class TaskEdge:
    node: Task
    cursor: str


@strawberry.type
class TaskConnection:
    edges: list[TaskEdge]
    page_info: PageInfo
