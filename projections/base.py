"""What every read model is: tables, and how one case event changes their rows.

A read model never reads the aggregate: it folds the notification log. Its rows and its
tracking position are written in one transaction by the runner, so a crash never applies
an event twice or skips one, and a rebuild from zero gives the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from eventsourcing.persistence import IntegrityError

IN_CHUNK = 500  # values per SQLite `IN (…)`: well inside its limit on parameters


@dataclass
class Db:
    """A cursor inside the runner's transaction, with one placeholder style (``?``)."""

    cursor: Any
    dialect: str  # "sqlite" or "postgres"

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> None:
        if self.dialect == "postgres":
            sql = sql.replace("?", "%s")
        self.cursor.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        """One statement for many rows. psycopg sends them pipelined (one round trip, not one
        per row); sqlite3 prepares the statement once."""
        batch = list(rows)
        if not batch:
            return  # nothing to send: no round trip
        if self.dialect == "postgres":
            sql = sql.replace("?", "%s")
        self.cursor.executemany(sql, batch)

    # Batches of rows. SQLite runs in-process: executemany is already one prepared statement
    # stepped per row. On PostgreSQL psycopg's executemany still binds and runs each row
    # (about 25 µs of client work a row), and a multi-row VALUES list spends as long in
    # psycopg parsing its thousands of placeholders; so a batch goes as ONE parameter, the
    # rows as a JSON array, which the server turns into rows of the table's own row type
    # (json_populate_recordset: each value gets its column's type). Values must be JSON's:
    # text, numbers, None (what the read models store).

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        names = ", ".join(columns)
        if self.dialect != "postgres":
            self.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})",
                (tuple(row) for row in rows),
            )
            return
        batch = _records(columns, rows)
        if batch:
            self.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM json_populate_recordset(NULL::{table}, ?)", (batch,)
            )

    def update(self, table: str, keys: Sequence[str], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Each row: the new values of ``columns``, then the values of ``keys`` that find it
        (one row per key: which of two would win is not defined on PostgreSQL)."""
        if self.dialect != "postgres":
            self.executemany(
                f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} "
                f"WHERE {' AND '.join(f'{k} = ?' for k in keys)}",
                (tuple(row) for row in rows),
            )
            return
        batch = _records([*columns, *keys], rows)
        if batch:
            self.execute(
                f"UPDATE {table} AS t SET {', '.join(f'{c} = v.{c}' for c in columns)} "
                f"FROM json_populate_recordset(NULL::{table}, ?) AS v "
                f"WHERE {' AND '.join(f't.{k} = v.{k}' for k in keys)}",
                (batch,),
            )

    def delete(self, table: str, key: str, values: Iterable[Any]) -> None:
        keys = list(values)
        if not keys:
            return
        if self.dialect == "postgres":
            self.execute(f"DELETE FROM {table} WHERE {key} = ANY(?)", (keys,))
        else:
            self.executemany(f"DELETE FROM {table} WHERE {key} = ?", ((k,) for k in keys))

    def rows_in(self, sql: str, column: str, values: Iterable[Any]) -> list[dict[str, Any]]:
        """The rows of ``sql`` (a SELECT without WHERE) whose ``column`` is one of ``values``:
        on PostgreSQL one array parameter (psycopg parses each placeholder in Python), on
        SQLite ``IN (…)`` by chunks within its limit on parameters."""
        wanted = sorted(set(values))
        if not wanted:
            return []
        if self.dialect == "postgres":
            return self.rows(f"{sql} WHERE {column} = ANY(?)", (wanted,))
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            found += self.rows(f"{sql} WHERE {column} IN ({', '.join('?' for _ in chunk)})", chunk)
        return found

    def rows(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
        self.execute(sql, params)
        # Both backends hand back mapping rows (sqlite3.Row, psycopg's dict_row).
        return [{key: row[key] for key in row.keys()} for row in self.cursor.fetchall()]  # noqa: SIM118


def _records(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str | None:
    """Rows as a JSON array of objects by column name; None for no rows."""
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    return json.dumps(records, ensure_ascii=False, separators=(",", ":")) if records else None


class TableFold:
    """One table's rows by primary key, as a page of events leaves them: the stored rows the
    page can touch are read first, the model's statements are mirrored on them in memory,
    and only the difference is written (deleted, changed and new rows, one batch each)."""

    def __init__(self, table: str, key: str, columns: Sequence[str]) -> None:
        self.table, self.key, self.columns = table, key, tuple(columns)
        self.rows: dict[Any, dict[str, Any]] = {}
        self.stored: dict[Any, dict[str, Any]] = {}

    def read(self, db: Db, column: str, values: Iterable[Any]) -> None:
        """Load the stored rows whose ``column`` is one of ``values``."""
        for row in db.rows_in(f"SELECT {', '.join(self.columns)} FROM {self.table}", column, values):
            if row[self.key] not in self.stored:
                self.stored[row[self.key]] = row
                self.rows[row[self.key]] = dict(row)

    def insert(self, row: dict[str, Any]) -> None:
        """An INSERT: refused, as the database would refuse it, if the key is taken."""
        if row[self.key] in self.rows:
            raise IntegrityError(f"{self.table}: {row[self.key]} is already there")
        self.rows[row[self.key]] = row

    def write(self, db: Db) -> None:
        gone = [key for key in self.stored if key not in self.rows]
        changed = [row for key, row in self.rows.items() if key in self.stored and row != self.stored[key]]
        new = [row for key, row in self.rows.items() if key not in self.stored]
        others = [column for column in self.columns if column != self.key]
        db.delete(self.table, self.key, gone)
        db.update(self.table, [self.key], others, [tuple(row[c] for c in (*others, self.key)) for row in changed])
        db.insert(self.table, self.columns, [tuple(row[c] for c in self.columns) for row in new])


@contextmanager
def transaction(datastore: Any, dialect: str, *, commit: bool, snapshot: bool = False) -> Iterator[Db]:
    """A transaction on the event store's database. On PostgreSQL the read-model tables
    live in the store's schema: the search path is set for this transaction only.

    ``snapshot``: every statement of the transaction sees the same committed state (several
    queries that make one answer). PostgreSQL's default, READ COMMITTED, takes a new snapshot
    per statement, so it asks for REPEATABLE READ; an SQLite transaction (the library's BEGIN,
    in WAL mode) already reads one snapshot from its first SELECT to its end."""
    with datastore.transaction(commit=commit) as cursor:
        if dialect == "postgres":
            if snapshot:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(f"SET LOCAL search_path TO {datastore.schema}")
        yield Db(cursor, dialect)


def tracking_name(model: str) -> str:
    """The name a read model's position is tracked under (the library's application name)."""
    return f"okno.{model}"


class ReadModel(Protocol):
    name: str
    version: int

    def tables(self, dialect: str) -> list[str]:
        """CREATE TABLE IF NOT EXISTS statements (and indexes)."""
        ...

    def table_names(self) -> list[str]: ...

    def apply(self, db: Db, event: Any) -> None:
        """Change the rows for one event of the log (cases, and the directory's reference data)."""
        ...


@runtime_checkable
class PageModel(ReadModel, Protocol):
    """A read model that can also fold a whole page at once: the rows it leaves must be
    exactly those that ``apply`` leaves event by event (tests/projections check it). It is
    what makes a rebuild fast: a page's rows read in one query and written in one batch,
    instead of a round trip per event."""

    def apply_page(self, db: Db, events: Sequence[Any]) -> None: ...


def apply_events(model: ReadModel, db: Db, events: Sequence[Any]) -> None:
    """Fold events into a model's rows: by the page where the model can, else one by one."""
    if isinstance(model, PageModel):
        model.apply_page(db, events)
    else:
        for event in events:
            model.apply(db, event)


class PerEvent:
    """A model seen through ``apply`` alone, as the runner saw every model before pages:
    what the page path is checked and measured against."""

    def __init__(self, model: ReadModel) -> None:
        self.model, self.name, self.version = model, model.name, model.version

    def tables(self, dialect: str) -> list[str]:
        return self.model.tables(dialect)

    def table_names(self) -> list[str]:
        return self.model.table_names()

    def apply(self, db: Db, event: Any) -> None:
        self.model.apply(db, event)
