"""The read side's one door to the database: read-only transactions over the read
models' tables (and the store's side tables), for the query modules of this package."""

from __future__ import annotations

from typing import Any, Protocol

from eventsourcing.persistence import OperationalError

from projections.base import transaction


class Database(Protocol):
    """Where the read models live: a Projector (this module does not import the runner,
    whose models read through it)."""

    datastore: Any
    dialect: str


class Reader:
    def __init__(self, projector: Database) -> None:
        self.projector = projector

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """A read is idempotent: one whose connection was cut off mid-statement (the pool
        drops it) is asked once more, on another connection."""
        try:
            return self._rows(sql, params)
        except OperationalError:
            return self._rows(sql, params)

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        with transaction(self.projector.datastore, self.projector.dialect, commit=False) as db:
            return db.rows(sql, params)
