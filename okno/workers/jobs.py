"""The job worker: it calls the connector of each due job (projections.jobs) and records
the result or the failure as the case's next event (engine.Engine.complete_job /
fail_job). Connectors run at least once: two workers may both call one before either
records it; the second record is refused (the job is gone, or the case version moved)
and changes nothing, and each call carries the job's key so a connector can make a
repeated call harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from eventsourcing.persistence import OperationalError

from engine.application import Engine
from engine.connectors import ConnectorCall, ConnectorRegistry
from engine.group_commit import Group
from projections.jobs import JobRow


@dataclass
class JobRun:
    """Counts for the log. When workers race, a worker may count an attempt another one
    recorded under the same key (the events themselves are exact: one per attempt)."""

    completed: int = 0
    failed: int = 0
    incidents: int = 0
    dropped: int = 0
    by_connector: dict[str, int] = field(default_factory=dict)


def run_due(
    engine: Engine,
    rows: list[JobRow],
    connectors: ConnectorRegistry,
    now: datetime,
    actor: str = "job-worker",
    batch: int = 100,
) -> JobRun:
    """Call the connector of each given due job and record what it said,
    up to ``batch`` results committed together (engine.group_commit). A job of a type no
    connector here runs is left for an external worker (activateJobs), never failed."""
    run = JobRun()
    known = set(connectors.names())
    rows = [row for row in rows if row.connector in known]
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
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


def _run_one(
    engine: Engine, group: Group, row: JobRow, connectors: ConnectorRegistry, now: datetime, actor: str
) -> None:
    attempt = row.failures + 1
    # One key per attempt, the same for workers racing on it: the time it fell due
    # (a retried incident starts counting attempts again, at a new time).
    key = f"job:{row.task_id}:{row.due}"
    call = ConnectorCall(
        case_number=row.case_number,
        office=row.office,
        task=row.task_id,
        element=row.element,
        connector=row.connector,
        input=row.input,
        attempt=attempt,
        key=key,
    )
    outcome = connectors.call(call)
    by = f"{actor}/{call.connector}"
    if outcome.result is not None:
        group.submit(
            (call.connector, True),
            partial(
                engine.complete_job, call.case_number, call.task, outcome.result, actor=by, at=now, idempotency_key=key
            ),
        )
    else:
        group.submit(
            (call.connector, False),
            partial(engine.fail_job, call.case_number, call.task, outcome.error, actor=by, at=now, idempotency_key=key),
        )
