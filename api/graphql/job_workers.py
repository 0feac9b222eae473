"""External job workers over GraphQL, as Zeebe's job workers and Camunda 7's
fetchAndLock: a worker activates jobs of a type with a lock, then completes each one,
fails it (with the retries it has left and a backoff) or throws a BPMN error at its
service task. Workers are machine clients with an integrator token; each outcome is one
case event (engine/commands/job_workers.py), and an idempotency key makes a resent one
harmless."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from api.context import Context
from api.graphql.enums import CaseState
from api.graphql.errors import ConflictError, NotAllowedError, NotFoundError, ValidationError, attempt
from engine.application import Engine
from engine.case import Case as StoredCase
from engine.errors import ConcurrencyConflict, InvalidInput
from projections.jobs import due_jobs

WORKER_ROLES = ("integrator",)
MAX_JOBS = 100


@strawberry.type(description="A job an external worker holds until its deadline.")
class ActivatedJob:
    key: str = strawberry.field(description="Pass it to completeJob, failJob or throwJobError.")
    type: str = strawberry.field(description="The job type: a zeebe:taskDefinition type, a Camunda topic, …")
    case_number: str
    element: str = strawberry.field(description="The BPMN service task.")
    variables: JSON = strawberry.field(
        description="The job's input as its task maps it; the case's variables when the task maps none."
    )
    retries: int = strawberry.field(description="Attempts left, counting this one.")
    deadline: datetime = strawberry.field(description="The lock's expiry: after it, another worker may take the job.")
    worker: str


@strawberry.type
class ActivatedJobsPayload:
    jobs: list[ActivatedJob]


@strawberry.type(description="What a job's outcome did to its case.")
class JobOutcomePayload:
    key: str
    case_number: str
    case_status: CaseState
    case_version: int


Errors = ValidationError | NotFoundError | NotAllowedError | ConflictError
ActivateJobsResult = Annotated[ActivatedJobsPayload | Errors, strawberry.union("ActivateJobsResult")]
JobOutcomeResult = Annotated[JobOutcomePayload | Errors, strawberry.union("JobOutcomeResult")]


def job_key(case_number: str, task: str) -> str:
    return f"{case_number}/{task}"


def split_key(key: str) -> tuple[str, str]:
    number, slash, task = key.rpartition("/")
    if not slash or not number or not task:
        raise InvalidInput(f"job key {key!r} is not CASE/TASK as activateJobs gave it")
    return number, task


def _outcome(info: strawberry.Info[Context, None], key: str, command: Any) -> JobOutcomePayload | Errors:
    def run() -> JobOutcomePayload:
        info.context.who.require(*WORKER_ROLES)
        number, task = split_key(key)
        services = info.context.services
        case: StoredCase = command(services.engine, number, task, info.context.actor(), services.clock())
        services.refresh()
        return JobOutcomePayload(
            key=key, case_number=number, case_status=CaseState(case.status), case_version=case.version
        )

    return attempt(run)


def _activate(
    engine: Engine, row: Any, worker: str, lock_seconds: int, actor: str, now: datetime
) -> ActivatedJob | None:
    try:
        case = engine.lock_job(row.case_number, row.task_id, worker, lock_seconds, actor=actor, at=now)
    except (ConcurrencyConflict, InvalidInput):
        return None  # another worker took it first, or the read model was behind the case
    locked = case.last_effects["job_locked"]
    variables: Any = row.input or engine.job_variables(row.case_number, row.task_id)
    return ActivatedJob(
        key=job_key(row.case_number, row.task_id),
        type=row.connector,
        case_number=row.case_number,
        element=row.element,
        variables=variables,
        retries=int(locked["retries"]),
        deadline=datetime.fromisoformat(locked["until"]),
        worker=worker,
    )


@strawberry.type
class JobWorkerMutation:
    @strawberry.mutation(
        description="Integrators (external job workers): lock up to maxJobs due jobs of a type for "
        "lockSeconds. A job another worker holds is not given out until its lock expires."
    )
    def activate_jobs(
        self, info: strawberry.Info[Context, None], type: str, worker: str, max_jobs: int, lock_seconds: int
    ) -> ActivateJobsResult:
        def run() -> ActivatedJobsPayload:
            info.context.who.require(*WORKER_ROLES)
            if not 1 <= max_jobs <= MAX_JOBS:
                raise InvalidInput(f"maxJobs is 1 to {MAX_JOBS}")
            if not 1 <= lock_seconds <= 24 * 3600:
                raise InvalidInput("lockSeconds is 1 to 86400")
            services = info.context.services
            services.refresh()
            now = services.clock()
            actor = info.context.actor()
            found: list[ActivatedJob] = []
            # A few more rows than asked: some may have been taken since the read model saw them.
            for row in due_jobs(services.reader, now, limit=max_jobs * 2, types=[type]):
                job = _activate(services.engine, row, worker, lock_seconds, actor, now)
                if job is not None:
                    found.append(job)
                if len(found) == max_jobs:
                    break
            if found:
                services.refresh()
            return ActivatedJobsPayload(jobs=found)

        result: ActivatedJobsPayload | Errors = attempt(run)
        return result

    @strawberry.mutation(description="Integrators (the worker holding the job): the job is done.")
    def complete_job(
        self,
        info: strawberry.Info[Context, None],
        key: str,
        worker: str,
        variables: JSON | None = None,
        idempotency_key: str | None = None,
    ) -> JobOutcomeResult:
        return _outcome(
            info,
            key,
            lambda engine, number, task, actor, at: engine.complete_locked_job(
                number, task, worker, _object(variables), actor=actor, at=at, idempotency_key=idempotency_key
            ),
        )

    @strawberry.mutation(
        description="Integrators (the worker holding the job): it failed; retries left (0 makes it an "
        "incident a supervisor retries), not activated again before retryBackoffSeconds."
    )
    def fail_job(
        self,
        info: strawberry.Info[Context, None],
        key: str,
        worker: str,
        retries: int,
        error_message: str,
        retry_backoff_seconds: int = 0,
        idempotency_key: str | None = None,
    ) -> JobOutcomeResult:
        return _outcome(
            info,
            key,
            lambda engine, number, task, actor, at: engine.fail_locked_job(
                number,
                task,
                worker,
                retries,
                error_message,
                retry_backoff_seconds,
                actor=actor,
                at=at,
                idempotency_key=idempotency_key,
            ),
        )

    @strawberry.mutation(
        description="Integrators (the worker holding the job): throw BPMN error errorCode at the job's "
        "service task. An error boundary event catching the code takes the case on, with the variables; "
        "when none does, the job is an incident."
    )
    def throw_job_error(
        self,
        info: strawberry.Info[Context, None],
        key: str,
        worker: str,
        error_code: str,
        error_message: str = "",
        variables: JSON | None = None,
        idempotency_key: str | None = None,
    ) -> JobOutcomeResult:
        return _outcome(
            info,
            key,
            lambda engine, number, task, actor, at: engine.throw_job_error(
                number,
                task,
                worker,
                error_code,
                error_message,
                _object(variables),
                actor=actor,
                at=at,
                idempotency_key=idempotency_key,
            ),
        )


def _object(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("variables must be a JSON object")
    return value
