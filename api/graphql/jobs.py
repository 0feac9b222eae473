"""Service-task jobs that have spent their attempts: incidents, for supervisors to retry."""

from __future__ import annotations

import json
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON


@strawberry.type(description="A service task's job whose connector kept failing: the case waits until it is retried.")
class Incident:
    case_number: str
    task_id: str = strawberry.field(description="Pass it to retryIncident.")
    office: str
    element: str = strawberry.field(description="The BPMN service task.")
    connector: str
    input: JSON = strawberry.field(description="What the connector was asked, as recorded in the case.")
    failures: int
    error: str | None = strawberry.field(description="The connector's last error.")
    opened_at: str
    incident_at: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> Incident:
        return cls(case_number=row["case_number"], task_id=row["task"], office=row["office"],
                   element=row["element"], connector=row["connector"], input=cast(JSON, json.loads(row["input"])),
                   failures=row["failures"], error=row["error"], opened_at=row["opened_at"],
                   incident_at=row["incident_at"])
