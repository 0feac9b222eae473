"""Reconciling the read models with the events (`okno audit reconcile`).

The read models are what GraphQL and the work lists show, so an edited row (a case set to
withdrawn, a task deleted) is a forged history verify never sees. Reconcile rebuilds every
model from the event log into a SCRATCH place, with the models' own folds (the runner's
page fold, parking and chain guard included), and lists every difference from the live rows:
table, key, column, live value, rebuilt value.

It never disturbs the live models or a running worker: the live rows and each model's
position are read in one snapshot (a read-only transaction); each model is rebuilt up to
exactly that position, so a worker folding on meanwhile makes no difference. The scratch
place is a schema of its own on PostgreSQL and a database file of its own on SQLite,
dropped afterwards.

Normalised (legitimately different, so not compared): ``okno_parked.parked_at`` (when the
case was parked is the runner's clock, not the events'); tracking positions are not rows.
Nothing else in the models' tables is written from anything but the events.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.application import Engine
from projections import chain_guard, parking
from projections.base import Db, ReadModel, tracking_name, transaction
from projections.runner import Projector

PAGE = 500
PARKED_COMPARED = ("model", "case_id", "number", "position", "version", "waiting_through", "error")
NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # parked_at in the scratch place: not compared


@dataclass(frozen=True)
class Difference:
    table: str
    key: str  # the row's primary key, "column=value" joined by ", "
    column: str  # "(row)" when the row is only on one side
    live: Any
    rebuilt: Any

    def line(self) -> str:
        return f"{self.table} [{self.key}] {self.column}: live {self.live!r}, rebuilt {self.rebuilt!r}"


Rows = dict[tuple[Any, ...], dict[str, Any]]


def reconcile(projector: Projector, make_models: Callable[[], list[ReadModel]]) -> list[Difference]:
    """Every difference between the live rows of the projector's models and the same models
    (fresh instances from ``make_models``) rebuilt from the events up to the live positions."""
    engine, models, datastore, dialect = projector.engine, projector.models, projector.datastore, projector.dialect
    tracking = projector.tracking_table
    live: dict[str, Rows] = {}
    keys: dict[str, tuple[str, ...]] = {}
    positions: dict[str, int] = {}
    with transaction(datastore, dialect, commit=False, snapshot=True) as db:
        for model in models:
            found = db.rows(
                f"SELECT notification_id FROM {tracking} WHERE application_name = ?", (tracking_name(model.name),)
            )
            positions[model.name] = int(found[0]["notification_id"]) if found else 0
            for table in model.table_names():
                keys[table] = primary_key(db, table)
                live[table] = keyed(db.rows(f"SELECT * FROM {table}"), keys[table])
        parked_live = keyed(parked_rows(db), ("model", "case_id"))
    rebuilt: dict[str, Rows] = {}
    with scratch(datastore, dialect) as db:
        fresh = {m.name: m for m in make_models()}
        for model in models:
            scratch_model = fresh[model.name]
            for statement in scratch_model.tables(dialect):
                db.execute(statement)
            fold_until(engine, db, scratch_model, positions[model.name])
            for table in model.table_names():
                rebuilt[table] = keyed(db.rows(f"SELECT * FROM {table}"), keys[table])
        parked_rebuilt = keyed(parked_rows(db), ("model", "case_id"))
    differences: list[Difference] = []
    for table in live:
        differences += compare(table, keys[table], live[table], rebuilt[table])
    differences += compare("okno_parked", ("model", "case_id"), parked_live, parked_rebuilt)
    return differences


def fold_until(engine: Engine, db: Db, model: ReadModel, position: int) -> None:
    """Fold the log into ``model`` up to notification ``position``, page by page, as the runner does."""
    mapper, start = engine.store.mapper, 0
    while start < position:
        notifications = engine.store.recorder.select_notifications(
            start or None, PAGE, stop=position, inclusive_of_start=start == 0
        )
        notifications = [n for n in notifications if n.id <= position]
        if not notifications:
            return
        page = [(n.id, mapper.to_domain_event(n)) for n in notifications]
        parking.fold_page(db, model, page, NEVER)
        start = notifications[-1].id


def parked_rows(db: Db) -> list[dict[str, Any]]:
    return db.rows(f"SELECT {', '.join(PARKED_COMPARED)} FROM okno_parked")


def primary_key(db: Db, table: str) -> tuple[str, ...]:
    """The table's primary key columns; every column when it has none (rows compared whole)."""
    if db.dialect == "postgres":
        found = db.rows(
            "SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(?) AND i.indisprimary ORDER BY a.attnum",
            (table,),
        )
        if found:
            return tuple(r["name"] for r in found)
        columns = db.rows(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema() ORDER BY ordinal_position",
            (table,),
        )
        return tuple(r["name"] for r in columns)
    info = db.rows(f"PRAGMA table_info({table})")
    pk = sorted((r for r in info if r["pk"]), key=lambda r: int(r["pk"]))
    return tuple(r["name"] for r in (pk or info))


def keyed(rows: list[dict[str, Any]], key: tuple[str, ...]) -> Rows:
    return {tuple(row[k] for k in key): row for row in rows}


def compare(table: str, key: tuple[str, ...], live: Rows, rebuilt: Rows) -> list[Difference]:
    found: list[Difference] = []
    for value in sorted(set(live) | set(rebuilt), key=repr):
        name = ", ".join(f"{k}={v}" for k, v in zip(key, value, strict=True))
        mine, theirs = live.get(value), rebuilt.get(value)
        if mine is None or theirs is None:
            found.append(Difference(table, name, "(row)", _short(mine), _short(theirs)))
            continue
        for column in mine:
            if mine[column] != theirs.get(column):
                found.append(Difference(table, name, column, mine[column], theirs.get(column)))
    return found


def _short(row: dict[str, Any] | None) -> str | None:
    return None if row is None else "present"


@contextmanager
def scratch(datastore: Any, dialect: str) -> Iterator[Db]:
    """A place of its own for the rebuilt models, with the runner's parking and chain-heads
    tables; dropped on the way out, whatever happens."""
    if dialect == "postgres":
        name = f"{datastore.schema}_reconcile_{os.getpid()}"
        with datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            cursor.execute(f"CREATE SCHEMA {name}")
        try:
            with datastore.transaction(commit=False) as cursor:  # nothing of it is kept
                cursor.execute(f"SET LOCAL search_path TO {name}")
                db = Db(cursor, dialect)
                _runner_tables(db)
                yield db
        finally:
            with datastore.transaction(commit=True) as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        return
    with tempfile.TemporaryDirectory(prefix="okno-reconcile-") as folder:
        connection = sqlite3.connect(Path(folder) / "scratch.sqlite", isolation_level=None)
        connection.row_factory = sqlite3.Row
        try:
            db = Db(connection.cursor(), dialect)
            db.execute("BEGIN")
            _runner_tables(db)
            yield db
        finally:
            connection.close()


def _runner_tables(db: Db) -> None:
    db.execute(parking.PARKING_TABLE)
    db.execute(chain_guard.CHAIN_HEADS_TABLE)
