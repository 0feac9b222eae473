"""A case as it stood at any moment: its events up to then, folded by the same read models
that serve today's view (the case with its tasks, and its jobs), in a private in-memory table."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from engine.case import Case
from projections.base import Db, ReadModel
from projections.case_queries import CaseRow, TaskRow
from projections.cases import CasesModel
from projections.jobs import JobRow, JobsModel
from projections.reader import Reader


@dataclass(frozen=True)
class CaseThen:
    """The case's row, its open tasks and its service-task jobs at one moment."""

    case: CaseRow
    tasks: list[TaskRow]
    jobs: list[JobRow]


def case_then(reader: Reader, events: Iterable[Case.Event], moment: datetime) -> CaseThen | None:
    """The case, its tasks and its jobs as of ``moment``, or None if it was not opened yet."""
    chosen = [event for event in events if event.timestamp <= moment]
    if not chosen or not isinstance(chosen[0], Case.Opened):
        return None
    opened = chosen[0]
    models: tuple[ReadModel, ...] = (CasesModel(), JobsModel())
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    db = Db(connection.cursor(), "sqlite")
    for model in models:
        for statement in model.tables("sqlite"):
            db.execute(statement)
    # The reference rows the case refers to, as the live read model has them.
    for table, key in (("rm_services", opened.service), ("rm_offices", opened.office)):
        for row in reader.rows(f"SELECT * FROM {table} WHERE code = ?", (key,)):
            db.execute(f"INSERT INTO {table} VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))
    for event in chosen:
        for model in models:
            model.apply(db, event)
    case = CaseRow.from_row(db.rows("SELECT * FROM rm_cases WHERE number = ?", (opened.number,))[0])
    tasks = [
        TaskRow.from_row(row)
        for row in db.rows("SELECT * FROM rm_tasks WHERE case_number = ? ORDER BY opened_at, task_id", (opened.number,))
    ]
    jobs = [
        JobRow.from_row(row)
        for row in db.rows("SELECT * FROM rm_jobs WHERE case_number = ? ORDER BY opened_at, task", (opened.number,))
    ]
    connection.close()
    return CaseThen(case, tasks, jobs)
