"""What every read model is: tables, and how one case event changes their rows.

A read model never reads the aggregate: it folds the notification log. Its rows and its
tracking position are written in one transaction by the runner, so a crash never applies
an event twice or skips one, and a rebuild from zero gives the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass
class Db:
    """A cursor inside the runner's transaction, with one placeholder style (``?``)."""

    cursor: Any
    dialect: str  # "sqlite" or "postgres"

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> None:
        if self.dialect == "postgres":
            sql = sql.replace("?", "%s")
        self.cursor.execute(sql, tuple(params))

    def rows(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
        self.execute(sql, params)
        # Both backends hand back mapping rows (sqlite3.Row, psycopg's dict_row).
        return [{key: row[key] for key in row.keys()} for row in self.cursor.fetchall()]  # noqa: SIM118


@contextmanager
def transaction(datastore: Any, dialect: str, *, commit: bool) -> Iterator[Db]:
    """A transaction on the event store's database. On PostgreSQL the read-model tables
    live in the store's schema: the search path is set for this transaction only."""
    with datastore.transaction(commit=commit) as cursor:
        if dialect == "postgres":
            cursor.execute(f"SET LOCAL search_path TO {datastore.schema}")
        yield Db(cursor, dialect)


class ReadModel(Protocol):
    name: str
    version: int

    def tables(self, dialect: str) -> list[str]:
        """CREATE TABLE IF NOT EXISTS statements (and indexes)."""
        ...

    def table_names(self) -> list[str]:
        ...

    def apply(self, db: Db, event: Any) -> None:
        """Change the rows for one event of the log (cases, and the directory's reference data)."""
        ...
