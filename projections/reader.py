"""The read side's one door to the database: read-only transactions over the read
models' tables (and the store's side tables), for the query modules of this package."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from eventsourcing.persistence import OperationalError

from projections.base import Db, tracking_name, transaction

T = TypeVar("T")


class Database(Protocol):
    """Where the read models live: a Projector (this module does not import the runner,
    whose models read through it)."""

    datastore: Any
    dialect: str
    tracking_table: str  # where each model's position is kept


class Reader:
    def __init__(self, projector: Database, within: Db | None = None) -> None:
        self.projector = projector
        self.within = within  # the open snapshot this reader's queries run in, if any

    @contextmanager
    def snapshot(self) -> Iterator[Reader]:
        """A reader whose queries all run in one read transaction, so together they see one
        committed state of the read models: a case's row and its tasks never come from two
        different pages of the projector (it writes both in one transaction)."""
        if self.within is not None:
            yield self  # already inside one
            return
        with transaction(self.projector.datastore, self.projector.dialect, commit=False, snapshot=True) as db:
            inner = type(self)(self.projector, db)
            try:
                yield inner
            finally:
                # The snapshot is over: a read deferred until after it (a page's total,
                # counted only when asked) runs in a transaction of its own.
                inner.within = None

    def consistent(self, read: Callable[[Reader], T]) -> T:
        """``read``'s queries in one snapshot (see ``snapshot``). Idempotent like ``rows``: if
        the connection is cut off, the whole snapshot is read once more, on another one."""
        try:
            with self.snapshot() as snapshot:
                return read(snapshot)
        except OperationalError:
            if self.within is not None:
                raise  # the caller's snapshot is lost with its connection: the caller reads it again
            with self.snapshot() as snapshot:
                return read(snapshot)

    def position(self, model: str) -> int:
        """How far the read model ``model`` has folded the notification log (in a snapshot: as
        of the rows read with it): a notification id, growing, with gaps."""
        found = self.rows(
            f"SELECT notification_id FROM {self.projector.tracking_table} WHERE application_name = ?",
            (tracking_name(model),),
        )
        return int(found[0]["notification_id"]) if found else 0

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """A read is idempotent: one whose connection was cut off mid-statement (the pool
        drops it) is asked once more, on another connection (not inside a snapshot, whose
        earlier reads were on the lost one: the caller reads the whole snapshot again)."""
        if self.within is not None:
            return self.within.rows(sql, params)
        try:
            return self._rows(sql, params)
        except OperationalError:
            return self._rows(sql, params)

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        with transaction(self.projector.datastore, self.projector.dialect, commit=False) as db:
            return db.rows(sql, params)
