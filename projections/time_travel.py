"""A case as it stood at any moment: its events up to then, folded by the same read model
that serves today's view, in a private in-memory table."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from engine.case import Case
from projections.base import Db
from projections.case_queries import CaseRow, TaskRow
from projections.cases import CasesModel
from projections.reader import Reader


def case_as_of(reader: Reader, events: Iterable[Case.Event], moment: datetime) -> tuple[CaseRow, list[TaskRow]] | None:
    """The case's row and open tasks as of ``moment``, or None if it was not opened yet."""
    chosen = [event for event in events if event.timestamp <= moment]
    if not chosen or not isinstance(chosen[0], Case.Opened):
        return None
    opened = chosen[0]
    model = CasesModel()
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    db = Db(connection.cursor(), "sqlite")
    for statement in model.tables("sqlite"):
        db.execute(statement)
    # The reference rows the case refers to, as the live read model has them.
    for table, key in (("rm_services", opened.service), ("rm_offices", opened.office)):
        for row in reader.rows(f"SELECT * FROM {table} WHERE code = ?", (key,)):
            db.execute(f"INSERT INTO {table} VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))
    for event in chosen:
        model.apply(db, event)
    case = CaseRow.from_row(db.rows("SELECT * FROM rm_cases WHERE number = ?", (opened.number,))[0])
    tasks = [
        TaskRow.from_row(row)
        for row in db.rows("SELECT * FROM rm_tasks WHERE case_number = ? ORDER BY opened_at, task_id", (opened.number,))
    ]
    connection.close()
    return case, tasks
