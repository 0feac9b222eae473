"""Service-task jobs: what a case waits for from a connector or an external worker, and the
incidents among them."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from api.graphql.views import from_view
from projections.jobs import JobRow


@strawberry.type(
    description="A service task's job, waiting for its connector or for an external worker (activateJobs); "
    "`connector` is the job's type. An incident has spent its attempts: the case waits until a supervisor "
    "retries it."
)
class Job(JobRow):
    task_id: str = strawberry.field(description="Pass it to retryIncident.")
    element: str = strawberry.field(description="The BPMN service task.")
    input: JSON = strawberry.field(  # type: ignore[assignment]  # the row's JSON object, as GraphQL's JSON scalar
        description="What the connector is asked, as recorded in the case."
    )
    state: str = strawberry.field(
        description="due (waits for the worker), retrying (after a failure, until `due`) or incident"
    )
    error: str | None = strawberry.field(description="The connector's last error.")
    due: str = strawberry.field(description="When the worker tries it (next).")

    @classmethod
    def of(cls, row: JobRow) -> Job:
        return from_view(cls, row)
