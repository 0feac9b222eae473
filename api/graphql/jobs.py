"""Service-task jobs: what a case waits for from a connector, and the incidents among them."""

from __future__ import annotations

import json
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON


@strawberry.type(description="A service task waiting for its connector. An incident has spent its attempts: the "
                             "case waits until a supervisor retries it.")
class Job:
    case_number: str
    task_id: str = strawberry.field(description="Pass it to retryIncident.")
    office: str
    element: str = strawberry.field(description="The BPMN service task.")
    connector: str
    input: JSON = strawberry.field(description="What the connector is asked, as recorded in the case.")
    state: str = strawberry.field(description="due (waits for the worker), retrying (after a failure, until "
                                              "`due`) or incident")
    failures: int
    error: str | None = strawberry.field(description="The connector's last error.")
    opened_at: str
    due: str = strawberry.field(description="When the worker tries it (next).")
    incident_at: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> Job:
        state = "incident" if row["incident_at"] else "retrying" if row["failures"] else "due"
        return cls(case_number=row["case_number"], task_id=row["task"], office=row["office"],
                   element=row["element"], connector=row["connector"], input=cast(JSON, json.loads(row["input"])),
                   state=state, failures=row["failures"], error=row["error"], opened_at=row["opened_at"],
                   due=row["due"], incident_at=row["incident_at"])
