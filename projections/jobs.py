"""Jobs: service tasks waiting for their connector, when each is due, and incidents.

The worker reads the due jobs here, calls each job's connector and records the result or
the failure as the case's next event (engine.Engine.complete_job / fail_job). Connectors
run at least once: two workers may both call one before either records it; the second
record is refused (the job is gone, or the case version moved) and changes nothing, and
each call carries the job's key so a connector can make a repeated call harmless.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from eventsourcing.persistence import OperationalError

from engine.application import Engine
from engine.case import Case
from engine.connectors import ConnectorCall, ConnectorRegistry
from engine.group_commit import Group
from projections.base import Db, TableFold


class JobsModel:
    name = "jobs"
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
                db.execute("INSERT INTO rm_jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL)",
                           (job["task"], case["number"], case["office"], job["element"], job["connector"],
                            json.dumps(job["input"], ensure_ascii=False, sort_keys=True), at, at))
        failed = effects.get("job_failed")
        if failed:
            due = (datetime.fromisoformat(failed["retry_at"]).astimezone(UTC).isoformat()
                   if failed["retry_at"] else at)
            db.execute("UPDATE rm_jobs SET failures = ?, error = ?, due = ?, incident_at = ? WHERE task = ?",
                       (failed["failure"], failed["error"], due, at if failed["incident"] else None,
                        failed["task"]))
        retried = effects.get("job_retried")
        if retried:
            db.execute("UPDATE rm_jobs SET failures = 0, due = ?, incident_at = NULL WHERE task = ?",
                       (at, retried["task"]))

    def apply_page(self, db: Db, events: Sequence[Any]) -> None:
        """The rows ``apply`` leaves event by event, in a few statements for the page: the
        stored rows it can touch read first, then folded in memory (base.TableFold)."""
        # Most events touch no job: they are passed over here rather than in each step below.
        case_events = [e for e in events if isinstance(e, Case.Event) and (
            isinstance(e, Case.Opened) or e.effects.get("jobs_opened") or e.effects.get("jobs_closed")
            or e.effects.get("job_failed") or e.effects.get("job_retried"))]
        cases = TableFold("rm_job_cases", "case_id", ("case_id", "number", "office"))
        cases.read(db, "case_id", {str(e.originator_id) for e in case_events if e.effects.get("jobs_opened")})
        jobs = TableFold("rm_jobs", "task", ("task", "case_number", "office", "element", "connector", "input",
                                             "opened_at", "due", "failures", "error", "incident_at"))
        jobs.read(db, "task", {j["task"] for e in case_events for kind in ("jobs_closed", "jobs_opened")
                               for j in e.effects.get(kind, [])}
                  | {e.effects[kind]["task"] for e in case_events for kind in ("job_failed", "job_retried")
                     if e.effects.get(kind)})
        for event in case_events:
            case_id, effects = str(event.originator_id), event.effects
            if isinstance(event, Case.Opened):
                cases.insert({"case_id": case_id, "number": event.number, "office": event.office})
            at = event.timestamp.astimezone(UTC).isoformat()
            for job in effects.get("jobs_closed", []):
                jobs.rows.pop(job["task"], None)
            for job in effects.get("jobs_opened", []):
                case = cases.rows[case_id]  # as ``apply``: a case with no row cannot open a job
                jobs.insert({"task": job["task"], "case_number": case["number"], "office": case["office"],
                             "element": job["element"], "connector": job["connector"],
                             "input": json.dumps(job["input"], ensure_ascii=False, sort_keys=True),
                             "opened_at": at, "due": at, "failures": 0, "error": None, "incident_at": None})
            failed = effects.get("job_failed")
            if failed and failed["task"] in jobs.rows:
                due = (datetime.fromisoformat(failed["retry_at"]).astimezone(UTC).isoformat()
                       if failed["retry_at"] else at)
                jobs.rows[failed["task"]].update(failures=failed["failure"], error=failed["error"], due=due,
                                                 incident_at=at if failed["incident"] else None)
            retried = effects.get("job_retried")
            if retried and retried["task"] in jobs.rows:
                jobs.rows[retried["task"]].update(failures=0, due=at, incident_at=None)
        cases.write(db)
        jobs.write(db)


def due_jobs(rows: Any, now: datetime, limit: int = 200) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = rows(
        "SELECT * FROM rm_jobs WHERE incident_at IS NULL AND due <= ? ORDER BY due, task LIMIT ?",
        (now.astimezone(UTC).isoformat(), limit))
    return found


def incidents(rows: Any, office: str | None = None) -> list[dict[str, Any]]:
    where = "incident_at IS NOT NULL" + (" AND office = ?" if office else "")
    found: list[dict[str, Any]] = rows(f"SELECT * FROM rm_jobs WHERE {where} ORDER BY incident_at, task",
                                       (office,) if office else ())
    return found


@dataclass
class JobRun:
    """Counts for the log. When workers race, a worker may count an attempt another one
    recorded under the same key (the events themselves are exact: one per attempt)."""

    completed: int = 0
    failed: int = 0
    incidents: int = 0
    dropped: int = 0
    by_connector: dict[str, int] = field(default_factory=dict)


def run_due(engine: Engine, rows: list[dict[str, Any]], connectors: ConnectorRegistry, now: datetime,
            actor: str = "job-worker", batch: int = 100) -> JobRun:
    """Call the connector of each given due job (rows of rm_jobs) and record what it said,
    up to ``batch`` results committed together (engine.group_commit)."""
    run = JobRun()
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        try:
            with engine.group_commit() as group:
                for row in chunk:
                    _run_one(engine, group, row, connectors, now, actor)
        except OperationalError:
            run.dropped += len(chunk)  # the store was busy (SQLite's lock): the next poll tries again
            continue
        for outcome in group.outcomes:
            connector, completed = outcome.tag
            if not outcome.recorded:
                run.dropped += 1  # another worker recorded this attempt, or the case moved on
            elif completed:
                run.completed += 1
                run.by_connector[connector] = run.by_connector.get(connector, 0) + 1
            else:
                run.failed += 1
                if (outcome.effects or {}).get("job_failed", {}).get("incident"):
                    run.incidents += 1
    return run


def _run_one(engine: Engine, group: Group, row: dict[str, Any], connectors: ConnectorRegistry, now: datetime,
             actor: str) -> None:
    attempt = int(row["failures"]) + 1
    # One key per attempt, the same for workers racing on it: the time it fell due
    # (a retried incident starts counting attempts again, at a new time).
    key = f"job:{row['task']}:{row['due']}"
    call = ConnectorCall(case_number=row["case_number"], office=row["office"], task=row["task"],
                         element=row["element"], connector=row["connector"], input=json.loads(row["input"]),
                         attempt=attempt, key=key)
    outcome = connectors.call(call)
    by = f"{actor}/{call.connector}"
    if outcome.result is not None:
        group.submit((call.connector, True), partial(engine.complete_job, call.case_number, call.task,
                                                     outcome.result, actor=by, at=now, idempotency_key=key))
    else:
        group.submit((call.connector, False), partial(engine.fail_job, call.case_number, call.task,
                                                      outcome.error, actor=by, at=now, idempotency_key=key))
