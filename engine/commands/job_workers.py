"""External job workers, as Zeebe's job workers and Camunda 7's fetchAndLock: a worker
activates a job (locks it for a while), then completes it, fails it (with the retries it
has left and a backoff) or throws a BPMN error at its service task.

A lock is okno's state beside the workflow (``locks`` in the case's stored state): who
holds each job and until when. It is decided from the recorded expiry and the command's
own time, never a clock of its own, so a replay decides it the same way; two workers
racing for one job both read the case at one version and only the first save wins
(optimistic concurrency on the case). A failure reported by a worker leaves the job
unlocked but not activatable before its backoff is over (a lock held by no one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.commands.command import CaseCommand, CaseFacts, OpenJob, Ruling, WorkflowCommand
from engine.errors import InvalidInput, TaskNotReady

MAX_LOCK_SECONDS = 24 * 3600
MAX_ERROR_CHARS = 2000


class JobLocked(TaskNotReady):
    """Another worker holds the job, or it waits for its backoff."""

    code = "job_locked"


class JobNotHeld(InvalidInput):
    """A worker reports on a job it does not hold."""

    code = "job_not_held"


@dataclass(frozen=True)
class LockJob(CaseCommand, kind="job_lock", event="JobLocked"):
    """A worker activates a job: it holds it for ``lock_seconds``."""

    task: str
    worker: str
    lock_seconds: int

    def decide(self, case: CaseFacts) -> Ruling:
        job = open_job(case.jobs, self.task)
        entry = case.stored.get("jobs", {}).get(self.task, {"failures": 0, "incident": False})
        if entry["incident"]:
            raise JobLocked(f"job {job.element} is an incident: a supervisor retries it first")
        lock = case.stored.get("locks", {}).get(self.task)
        if lock is not None and datetime.fromisoformat(lock["until"]) > case.now:
            if lock["worker"]:
                raise JobLocked(f"job {job.element} is held by worker {lock['worker']} until {lock['until']}")
            raise JobLocked(f"job {job.element} waits for its retry until {lock['until']}")
        if not 1 <= self.lock_seconds <= MAX_LOCK_SECONDS:
            raise InvalidInput(f"a lock lasts from 1 to {MAX_LOCK_SECONDS} seconds")
        retries = lock["retries"] if lock is not None and "retries" in lock else job.attempts - entry["failures"]
        until = (case.now + timedelta(seconds=self.lock_seconds)).isoformat()
        return Ruling(
            {
                "job_locked": {
                    "task": self.task,
                    "element": job.element,
                    "connector": job.connector,
                    "worker": self.worker,
                    "until": until,
                    "retries": max(int(retries), 1),
                }
            }
        )


@dataclass(frozen=True)
class CompleteLockedJob(WorkflowCommand, kind="job_worker_result", event="ServiceTaskCompleted"):
    """The worker holding a job completes it: its variables are merged into the case data."""

    task: str
    worker: str
    result: dict[str, Any]


@dataclass(frozen=True)
class ThrowJobError(WorkflowCommand, kind="job_error", event="JobErrorThrown"):
    """The worker holding a job throws a BPMN error at its service task: an error boundary
    event (or error event subprocess) whose code matches catches it; if none does, the job
    is an incident with the error's message (as Zeebe does)."""

    task: str
    worker: str
    code: str
    message: str
    variables: dict[str, Any]


@dataclass(frozen=True)
class FailLockedJob(CaseCommand, kind="job_worker_failure", event="ServiceTaskFailed"):
    """The worker holding a job failed on it: ``retries`` left (0: an incident), the next
    activation not before ``backoff_seconds``."""

    task: str
    worker: str
    retries: int
    error: str
    backoff_seconds: int

    def decide(self, case: CaseFacts) -> Ruling:
        job = open_job(case.jobs, self.task)
        check_holder(case.stored, self.task, self.worker, job.element)
        if not 0 < len(self.error) <= MAX_ERROR_CHARS:
            raise InvalidInput(f"a failure carries the worker's error (1–{MAX_ERROR_CHARS} characters)")
        if not 0 <= self.retries <= 100 or not 0 <= self.backoff_seconds <= MAX_LOCK_SECONDS:
            raise InvalidInput(f"retries are 0 to 100, a backoff 0 to {MAX_LOCK_SECONDS} seconds")
        entry = case.stored.get("jobs", {}).get(self.task, {"failures": 0, "incident": False})
        incident = self.retries == 0
        retry_at = None if incident else (case.now + timedelta(seconds=self.backoff_seconds)).isoformat()
        failed = failure(job, self.task, entry["failures"] + 1, self.retries, self.error, retry_at, self.worker)
        return Ruling({"job_failed": failed})


def open_job(jobs: dict[str, OpenJob], task: str) -> OpenJob:
    job = jobs.get(task)
    if job is None:
        raise TaskNotReady(f"job {task} is not waiting in this case")
    return job


def check_holder(stored: dict[str, Any], task: str, worker: str, element: str) -> None:
    """Only the worker that activated a job reports on it. A lock that expired still lets
    its holder report, as long as no other worker activated the job since."""
    lock = stored.get("locks", {}).get(task)
    if lock is None or lock["worker"] != worker:
        holder = f"held by worker {lock['worker']}" if lock is not None and lock["worker"] else "not activated"
        raise JobNotHeld(f"job {element} is {holder}: worker {worker} must activate it first")


def failure(
    job: OpenJob, task: str, count: int, retries: int, error: str, retry_at: str | None, worker: str
) -> dict[str, Any]:
    """A ``job_failed`` effect for a worker's report (the shape the built-in worker's
    failures have, so the read models fold both alike), naming the worker."""
    return {
        "task": task,
        "element": job.element,
        "connector": job.connector,
        "failure": count,
        "attempts": count + retries,
        "error": error,
        "incident": retries == 0,
        "retry_at": retry_at,
        "worker": worker,
    }


def carried_locks(locks: dict[str, Any], feedback: dict[str, Any]) -> dict[str, Any]:
    """The locks kept in the case state after a step (before dropping closed jobs)."""
    kept = dict(locks)
    if "job_locked" in feedback:
        locked = feedback["job_locked"]
        kept[locked["task"]] = {"worker": locked["worker"], "until": locked["until"]}
    failed = feedback.get("job_failed")
    if failed is not None and "worker" in failed:  # a worker's report; the built-in worker keeps no locks
        if failed["retry_at"] is None:
            kept.pop(failed["task"], None)
        else:
            retries = failed["attempts"] - failed["failure"]
            kept[failed["task"]] = {"worker": "", "until": failed["retry_at"], "retries": retries}
    if "job_retried" in feedback:
        kept.pop(feedback["job_retried"]["task"], None)
    return kept
