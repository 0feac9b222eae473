"""2. Event append rate: the same stored events (as the engine wrote them: compressed
case events with workflow state) appended through the eventsourcing library's recorder,
against the database driver inserting the same rows into a plain table with the same
columns and keys, as the physical ceiling. Each at two grains: one event per transaction
(as one command commits one event) and many in one transaction (the ceiling a group
commit could reach)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import StoredEvent

from engine.application import Engine
from engine.store import StoreConfig
from okno.bench.clock import rate, stopwatch
from okno.bench.stores import raw_connection
from okno.bench.workload import bench_engine

BATCH = 100


@dataclass(frozen=True)
class AppendFigures:
    events: int
    library_single: float  # events/s, one event per transaction
    raw_single: float
    library_batch: float  # events/s, BATCH events per transaction
    raw_batch: float  # one transaction: COPY (PostgreSQL) or executemany (SQLite)


def stored_events(engine: Engine, limit: int) -> list[StoredEvent]:
    rows = engine.store.recorder.select_notifications(None, limit, inclusive_of_start=True)
    return [StoredEvent(r.originator_id, r.originator_version, r.topic, r.state) for r in rows]


def measure(events: list[StoredEvent], fresh: Any) -> AppendFigures:
    """``fresh(name)`` gives an empty store config."""
    single = _library(fresh("append_single"), events, 1)
    batch = _library(fresh("append_batch"), events, BATCH)
    config = fresh("append_raw")
    if config.is_postgres:
        raw_single, raw_batch = _raw_postgres(config, events)
    else:
        raw_single, raw_batch = _raw_sqlite(config, events)
    return AppendFigures(len(events), single, raw_single, batch, raw_batch)


def _library(config: StoreConfig, events: list[StoredEvent], per_transaction: int) -> float:
    engine = bench_engine(config, "append")
    recorder = engine.store.recorder
    try:
        began = stopwatch()
        for start in range(0, len(events), per_transaction):
            recorder.insert_events(events[start : start + per_transaction])
        return rate(len(events), stopwatch() - began)
    finally:
        engine.close()


def _raw_postgres(config: StoreConfig, events: list[StoredEvent]) -> tuple[float, float]:
    rows = [(e.originator_id, e.originator_version, e.topic, e.state) for e in events]
    create = (
        "CREATE TABLE {t} (originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text, "
        "state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version)); "
        "CREATE UNIQUE INDEX {t}_nid ON {t} (notification_id)"
    )
    with raw_connection(config) as connection:
        for table in ("raw_single", "raw_batch"):
            connection.execute(create.format(t=table))
        connection.commit()
        began = stopwatch()
        for row in rows:
            connection.execute(
                "INSERT INTO raw_single (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)", row
            )
            connection.commit()
        single = rate(len(rows), stopwatch() - began)
        began = stopwatch()
        with (
            connection.cursor() as cursor,
            cursor.copy("COPY raw_batch (originator_id, originator_version, topic, state) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        connection.commit()
        batch = rate(len(rows), stopwatch() - began)
    return single, batch


def _raw_sqlite(config: StoreConfig, events: list[StoredEvent]) -> tuple[float, float]:
    rows = [(str(e.originator_id), e.originator_version, e.topic, e.state) for e in events]
    connection = sqlite3.connect(config.env["SQLITE_DBNAME"], isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")  # as the library's SQLite store runs
        for table in ("raw_single", "raw_batch"):
            connection.execute(
                f"CREATE TABLE {table} (notification_id INTEGER PRIMARY KEY, "
                "originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB)"
            )
            connection.execute(f"CREATE UNIQUE INDEX {table}_agg ON {table} (originator_id, originator_version)")
        began = stopwatch()
        for row in rows:
            connection.execute("BEGIN")
            connection.execute(
                "INSERT INTO raw_single (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)", row
            )
            connection.execute("COMMIT")
        single = rate(len(rows), stopwatch() - began)
        began = stopwatch()
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO raw_batch (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)", rows
        )
        connection.execute("COMMIT")
        batch = rate(len(rows), stopwatch() - began)
    finally:
        connection.close()
    return single, batch
