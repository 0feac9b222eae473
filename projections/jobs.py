"""Jobs: service tasks waiting for their connector, when each is due, and incidents.

The worker (okno.workers.jobs) reads the due jobs here, calls each job's connector and
records what it said as the case's next event; external workers (activateJobs) read the
due jobs of their type. A job an external worker holds is due again when its lock expires.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.case import Case
from projections.base import Db, TableFold
from projections.reader import Reader


@dataclass
class JobRow:
    case_number: str
    task_id: str
    office: str
    element: str  # the BPMN service task
    connector: str
    input: dict[str, Any]  # what the connector is asked, as recorded in the case
    state: str  # due (waits for the worker), retrying (after a failure, until `due`) or incident
    failures: int
    error: str | None  # the connector's last error
    opened_at: str
    due: str  # when the worker tries it (next)
    incident_at: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> JobRow:
        state = "incident" if row["incident_at"] else "retrying" if row["failures"] else "due"
        return cls(
            case_number=row["case_number"],
            task_id=row["task"],
            office=row["office"],
            element=row["element"],
            connector=row["connector"],
            input=json.loads(row["input"]),
            state=state,
            failures=int(row["failures"]),
            error=row["error"],
            opened_at=row["opened_at"],
            due=row["due"],
            incident_at=row["incident_at"],
        )


class JobsModel:
    name = "jobs"
    # An external worker's lock (issue 16) moves a job's due time to the lock's expiry; no
    # event recorded before locks existed holds one, so the rows built before stay right.
    version = 1

    def table_names(self) -> list[str]:
        return ["rm_jobs", "rm_job_cases"]

    def tables(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS rm_job_cases (case_id TEXT PRIMARY KEY, number TEXT NOT NULL, "
            "office TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS rm_jobs (task TEXT PRIMARY KEY, case_number TEXT NOT NULL, "
            "office TEXT NOT NULL, element TEXT NOT NULL, connector TEXT NOT NULL, input TEXT NOT NULL, "
            "opened_at TEXT NOT NULL, due TEXT NOT NULL, failures INTEGER NOT NULL, error TEXT, "
            "incident_at TEXT)",
            "CREATE INDEX IF NOT EXISTS rm_jobs_due ON rm_jobs (incident_at, due)",
        ]

    def apply(self, db: Db, event: Any) -> None:
        if not isinstance(event, Case.Event):
            return
        case_id = str(event.originator_id)
        if isinstance(event, Case.Opened):
            db.execute("INSERT INTO rm_job_cases VALUES (?, ?, ?)", (case_id, event.number, event.office))
        effects = event.effects
        at = event.timestamp.astimezone(UTC).isoformat()
        for job in effects.get("jobs_closed", []):
            db.execute("DELETE FROM rm_jobs WHERE task = ?", (job["task"],))
        opened = effects.get("jobs_opened", [])
        if opened:
            case = db.rows("SELECT number, office FROM rm_job_cases WHERE case_id = ?", (case_id,))[0]
            for job in opened:
                db.execute(
                    "INSERT INTO rm_jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL)",
                    (
                        job["task"],
                        case["number"],
                        case["office"],
                        job["element"],
                        job["connector"],
                        json.dumps(job["input"], ensure_ascii=False, sort_keys=True),
                        at,
                        at,
                    ),
                )
        failed = effects.get("job_failed")
        if failed:
            due = datetime.fromisoformat(failed["retry_at"]).astimezone(UTC).isoformat() if failed["retry_at"] else at
            db.execute(
                "UPDATE rm_jobs SET failures = ?, error = ?, due = ?, incident_at = ? WHERE task = ?",
                (failed["failure"], failed["error"], due, at if failed["incident"] else None, failed["task"]),
            )
        retried = effects.get("job_retried")
        if retried:
            db.execute(
                "UPDATE rm_jobs SET failures = 0, due = ?, incident_at = NULL WHERE task = ?", (at, retried["task"])
            )
        locked = effects.get("job_locked")
        if locked:
            db.execute("UPDATE rm_jobs SET due = ? WHERE task = ?", (_utc(locked["until"]), locked["task"]))

    def apply_page(self, db: Db, events: Sequence[Any]) -> None:
        """The rows ``apply`` leaves event by event, in a few statements for the page: the
        stored rows it can touch read first, then folded in memory (base.TableFold)."""
        # Most events touch no job: they are passed over here rather than in each step below.
        case_events = [
            e
            for e in events
            if isinstance(e, Case.Event)
            and (
                isinstance(e, Case.Opened)
                or e.effects.get("jobs_opened")
                or e.effects.get("jobs_closed")
                or e.effects.get("job_failed")
                or e.effects.get("job_retried")
                or e.effects.get("job_locked")
            )
        ]
        cases = TableFold("rm_job_cases", "case_id", ("case_id", "number", "office"))
        cases.read(db, "case_id", {str(e.originator_id) for e in case_events if e.effects.get("jobs_opened")})
        jobs = TableFold(
            "rm_jobs",
            "task",
            (
                "task",
                "case_number",
                "office",
                "element",
                "connector",
                "input",
                "opened_at",
                "due",
                "failures",
                "error",
                "incident_at",
            ),
        )
        jobs.read(
            db,
            "task",
            {j["task"] for e in case_events for kind in ("jobs_closed", "jobs_opened") for j in e.effects.get(kind, [])}
            | {
                e.effects[kind]["task"]
                for e in case_events
                for kind in ("job_failed", "job_retried", "job_locked")
                if e.effects.get(kind)
            },
        )
        for event in case_events:
            case_id, effects = str(event.originator_id), event.effects
            if isinstance(event, Case.Opened):
                cases.insert({"case_id": case_id, "number": event.number, "office": event.office})
            at = event.timestamp.astimezone(UTC).isoformat()
            for job in effects.get("jobs_closed", []):
                jobs.rows.pop(job["task"], None)
            for job in effects.get("jobs_opened", []):
                case = cases.rows[case_id]  # as ``apply``: a case with no row cannot open a job
                jobs.insert(
                    {
                        "task": job["task"],
                        "case_number": case["number"],
                        "office": case["office"],
                        "element": job["element"],
                        "connector": job["connector"],
                        "input": json.dumps(job["input"], ensure_ascii=False, sort_keys=True),
                        "opened_at": at,
                        "due": at,
                        "failures": 0,
                        "error": None,
                        "incident_at": None,
                    }
                )
            failed = effects.get("job_failed")
            if failed and failed["task"] in jobs.rows:
                due = (
                    datetime.fromisoformat(failed["retry_at"]).astimezone(UTC).isoformat() if failed["retry_at"] else at
                )
                jobs.rows[failed["task"]].update(
                    failures=failed["failure"],
                    error=failed["error"],
                    due=due,
                    incident_at=at if failed["incident"] else None,
                )
            retried = effects.get("job_retried")
            if retried and retried["task"] in jobs.rows:
                jobs.rows[retried["task"]].update(failures=0, due=at, incident_at=None)
            locked = effects.get("job_locked")
            if locked and locked["task"] in jobs.rows:
                jobs.rows[locked["task"]].update(due=_utc(locked["until"]))
        cases.write(db)
        jobs.write(db)


def _utc(moment: str) -> str:
    return datetime.fromisoformat(moment).astimezone(UTC).isoformat()


def due_jobs(reader: Reader, now: datetime, limit: int = 200, types: Sequence[str] | None = None) -> list[JobRow]:
    """The jobs due at ``now``, oldest due first; only those of ``types`` when given (the
    connectors a worker runs, or the one type an external worker asks for)."""
    if types is not None and not types:
        return []
    kinds = f" AND connector IN ({', '.join('?' for _ in types)})" if types is not None else ""
    return [
        JobRow.from_row(r)
        for r in reader.rows(
            f"SELECT * FROM rm_jobs WHERE incident_at IS NULL AND due <= ?{kinds} ORDER BY due, task LIMIT ?",
            (now.astimezone(UTC).isoformat(), *(types or ()), limit),
        )
    ]


def incidents(reader: Reader, office: str | None = None) -> list[JobRow]:
    where = "incident_at IS NOT NULL" + (" AND office = ?" if office else "")
    return [
        JobRow.from_row(r)
        for r in reader.rows(
            f"SELECT * FROM rm_jobs WHERE {where} ORDER BY incident_at, task", (office,) if office else ()
        )
    ]


def jobs_of_cases(reader: Reader, numbers: Sequence[str]) -> dict[str, list[JobRow]]:
    """The jobs of each of ``numbers``, oldest first, in one query (a page of cases' jobs)."""
    found: dict[str, list[JobRow]] = {number: [] for number in numbers}
    if numbers:
        marks = ", ".join("?" for _ in numbers)
        for row in reader.rows(
            f"SELECT * FROM rm_jobs WHERE case_number IN ({marks}) ORDER BY opened_at, task", tuple(numbers)
        ):
            found[row["case_number"]].append(JobRow.from_row(row))
    return found
