"""Jobs: a connector's result for a service task, its failure, and a retry of an incident.

Failures are counted beside the workflow state (the workflow's task stays STARTED): each
schedules the next attempt after a doubling backoff, and the last allowed failure makes
the job an incident until someone retries it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.commands.command import CaseCommand, CaseFacts, OpenJob, Ruling, WorkflowCommand
from engine.errors import InvalidInput, TaskNotReady

MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class CompleteJob(WorkflowCommand, kind="job_result", event="ServiceTaskCompleted"):
    """A connector's result for a service task's job: merged into the case data."""

    task: str
    result: dict[str, Any]


@dataclass(frozen=True)
class FailJob(CaseCommand, kind="job_failure", event="ServiceTaskFailed"):
    """A connector's failure for a job: retried after a backoff, or an incident when spent."""

    task: str
    error: str

    def decide(self, case: CaseFacts) -> Ruling:
        return Ruling(_account(case.jobs, case.stored.get("jobs", {}), self.task, self.error, case.now))


@dataclass(frozen=True)
class RetryIncident(CaseCommand, kind="incident_retry", event="IncidentRetried"):
    """Someone fixed what made a job fail: run it again with fresh attempts."""

    task: str

    def decide(self, case: CaseFacts) -> Ruling:
        return Ruling(_account(case.jobs, case.stored.get("jobs", {}), self.task, None, case.now))


def _account(
    jobs: dict[str, OpenJob], failures: dict[str, Any], task: str, error: str | None, now: datetime
) -> dict[str, Any]:
    """The effect of a connector's failure (``error``) or of a retry of an incident
    (``error`` None) on a job's attempts."""
    job = jobs.get(task)
    if job is None:
        raise TaskNotReady(f"job {task} is not waiting in this case")
    element = job.element
    entry = failures.get(task, {"failures": 0, "incident": False})
    described = {"task": task, "element": element, "connector": job.connector}
    if error is None:
        if not entry["incident"]:
            raise InvalidInput(f"job {element} is not an incident: it is still being tried")
        return {"job_retried": described}
    if entry["incident"]:
        raise InvalidInput(f"job {element} is an incident: retry it before reporting another failure")
    if not isinstance(error, str) or not 0 < len(error) <= MAX_ERROR_CHARS:
        raise InvalidInput(f"a failure carries the connector's error (1–{MAX_ERROR_CHARS} characters)")
    count = entry["failures"] + 1
    incident = count >= job.attempts
    retry_at = None if incident else (now + timedelta(seconds=backoff_seconds(job, count))).isoformat()
    return {
        "job_failed": {
            **described,
            "failure": count,
            "attempts": job.attempts,
            "error": error,
            "incident": incident,
            "retry_at": retry_at,
        }
    }


def backoff_seconds(job: OpenJob, failures: int) -> int:
    """How long to wait before the next attempt after ``failures`` failed ones."""
    return int(job.backoff_seconds * 2 ** max(failures - 1, 0))


def carried_failures(failures: dict[str, Any], feedback: dict[str, Any]) -> dict[str, Any]:
    """The failure counts kept in the case state after a step."""
    kept = dict(failures)
    if "job_failed" in feedback:
        failed = feedback["job_failed"]
        kept[failed["task"]] = {"failures": failed["failure"], "incident": failed["incident"]}
    if "job_retried" in feedback:
        kept.pop(feedback["job_retried"]["task"], None)
    return kept
