"""Keeps read models current by following the event store's notification log.

Each page of events is applied to a read model's rows and its tracking position is
recorded in the SAME transaction, through the eventsourcing library's tracking
recorders, so a crash mid-page rolls both back and the next run resumes exactly where
the last commit left off. Two runners on one model cannot both record a page: the
library's single-row tracking refuses a position that does not move forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import IntegrityError, OperationalError, Tracking

from engine import world
from engine.application import STORE_ERRORS, Engine, schema_ready
from engine.errors import SchemaNotReady
from projections import chain_guard, parking
from projections.base import Db, ReadModel, tracking_name, transaction
from projections.cases import CasesModel
from projections.parking import ParkedCase, RetryOutcome

PAGE = 500
LOST_RACES = 50  # pages lost to other runners in a row before giving up


def all_models() -> list[ReadModel]:
    from projections.appointments import AppointmentsModel
    from projections.jobs import JobsModel
    from projections.outbox import OutboxModel
    from projections.queue import QueueModel
    from projections.signals import SignalsModel
    from projections.timers import TimersModel

    return [
        CasesModel(),
        TimersModel(),
        OutboxModel(),
        JobsModel(),
        AppointmentsModel(),
        QueueModel(),
        SignalsModel(),
    ]


@dataclass(frozen=True)
class ModelStatus:
    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class Projector:
    def __init__(
        self,
        engine: Engine,
        models: list[ReadModel] | None = None,
        page: int = PAGE,
        clock: Callable[[], datetime] = world.now,
    ) -> None:
        self.engine = engine
        self.clock = clock  # when a case is parked: for operators, never for a fold
        self.models = models if models is not None else all_models()
        self.page = page
        self.datastore: Any = engine.store.recorder.datastore  # type: ignore[attr-defined]
        if engine.config.is_postgres:
            from eventsourcing.postgres import PostgresTrackingRecorder

            self.dialect = "postgres"
            self.tracking: Any = PostgresTrackingRecorder(self.datastore)
            self.tracking_table = f"{self.datastore.schema}.{self.tracking.tracking_table_name}"
        else:
            from eventsourcing.sqlite import SQLiteTrackingRecorder

            self.dialect = "sqlite"
            self.tracking = SQLiteTrackingRecorder(self.datastore)
            self.tracking_table = "tracking"
        if not engine.config.creates_tables:
            self._check_models()
            return
        schema_ready(self.tracking.create_table)
        known = schema_ready(self._known_models)
        for model in self.models:
            if known.get(model.name) != model.version:
                schema_ready(partial(self.reset, model, force=False))  # a new or changed model starts from zero
            else:
                schema_ready(partial(self._create, model))

    def _check_models(self) -> None:
        """Table creation is off: `okno migrate` must have made every model's tables, at
        this code's version (a changed model is rebuilt from zero by migrate, not here)."""
        try:
            with transaction(self.datastore, self.dialect, commit=False) as db:
                known = {r["name"]: r["version"] for r in db.rows("SELECT name, version FROM okno_read_models")}
                db.rows("SELECT model FROM okno_parked WHERE model = ''")
                db.rows("SELECT model FROM okno_chain_heads WHERE model = ''")
        except STORE_ERRORS as error:
            raise SchemaNotReady(
                f"the read models have no tables ({type(error).__name__}): run `okno migrate`"
            ) from None
        stale = [
            f"{m.name} (stored {known.get(m.name)}, code {m.version})"
            for m in self.models
            if known.get(m.name) != m.version
        ]
        if stale:
            raise SchemaNotReady("read models differ from this code: " + ", ".join(stale) + "; run `okno migrate`")

    def _known_models(self) -> dict[str, int]:
        with transaction(self.datastore, self.dialect, commit=True) as db:
            db.execute("CREATE TABLE IF NOT EXISTS okno_read_models (name TEXT PRIMARY KEY, version INTEGER NOT NULL)")
            db.execute(parking.PARKING_TABLE)
            db.execute(chain_guard.CHAIN_HEADS_TABLE)
            return {r["name"]: r["version"] for r in db.rows("SELECT name, version FROM okno_read_models")}

    def model(self, name: str) -> ReadModel:
        for model in self.models:
            if model.name == name:
                return model
        raise KeyError(name)

    def _create(self, model: ReadModel) -> None:
        with transaction(self.datastore, self.dialect, commit=True) as db:
            for statement in model.tables(self.dialect):
                db.execute(statement)

    def tracking_name(self, model: ReadModel) -> str:
        return tracking_name(model.name)

    def position(self, model: ReadModel) -> int:
        return int(self.tracking.max_tracking_id(self.tracking_name(model)) or 0)

    def head(self) -> int:
        return int(self.engine.store.recorder.max_notification_id() or 0)

    def status(self) -> list[ModelStatus]:
        head = self.head()
        return [ModelStatus(model.name, self.position(model), head) for model in self.models]

    def run_page(self, model: ReadModel) -> int:
        """Apply the next page of events to one model; the number applied (0: caught up)."""
        return self._run_shared_page([model], self.position(model))

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Bring every model up to the head. Models at the same position share each page:
        it is read and decoded once and applied to all of them in one transaction, with
        each model's tracking row, so rebuilding N models costs one pass over the log, not N.
        Returns events applied, summed over the models (as following each alone would)."""
        applied, lost = 0, 0
        while True:
            positions = {model.name: self.position(model) for model in self.models}
            if not positions:
                return applied
            lowest = min(positions.values())
            group = [model for model in self.models if positions[model.name] == lowest]
            try:
                count = self._run_shared_page(group, lowest)
            except (IntegrityError, OperationalError) as error:
                if not self._lost_race(error):
                    raise
                lost += 1  # another runner recorded this page first: read the positions again
                if lost > LOST_RACES:
                    raise
                continue
            if not count:
                return applied  # the models furthest behind are at the head: all are
            applied += count * len(group)
            if progress:
                progress(count * len(group))

    def _run_shared_page(self, models: list[ReadModel], position: int) -> int:
        notifications = self.engine.store.recorder.select_notifications(
            position or None, self.page, inclusive_of_start=position == 0
        )
        if not notifications:
            return 0
        mapper = self.engine.store.mapper
        # A row that does not decode parks its case (parking.Undecodable), never the page.
        page = [(notification.id, parking.decoded(mapper, notification)) for notification in notifications]
        now = self.clock()
        checked: chain_guard.Checked = {}  # each event's hash recomputed once for all the models
        with transaction(self.datastore, self.dialect, commit=True) as db:
            for model in models:
                self._hold_position(db, model, position)
                # A case the model cannot fold is parked, and the page goes on without it.
                parking.fold_page(db, model, page, now, checked)
                # Same transaction: the rows and the position commit together or not at all.
                self.tracking._insert_tracking(db.cursor, Tracking(self.tracking_name(model), notifications[-1].id))
        return len(notifications)

    def _hold_position(self, db: Db, model: ReadModel, position: int) -> None:
        """Lock the model's position for this transaction and check it is still where this
        page starts. Two runners (a server's refresher and a worker) may read pages from the
        same position that end at different heads; the library's tracking only refuses a
        position that does not move forward, so the later, longer page would fold the
        earlier one's events a second time (or park its cases as duplicates). PostgreSQL locks
        the row until this transaction ends; SQLite's write lock and snapshot do the same."""
        name = self.tracking_name(model)
        lock = " FOR UPDATE" if self.dialect == "postgres" else ""
        held = f"SELECT notification_id FROM {self.tracking_table} WHERE application_name = ?{lock}"
        rows = db.rows(held, (name,))
        if not rows:  # a model's first page: a row at 0 to lock (a second runner waits on its insert)
            db.execute(
                f"INSERT INTO {self.tracking_table} (application_name, notification_id) VALUES (?, 0) "
                "ON CONFLICT (application_name) DO NOTHING",
                (name,),
            )
            rows = db.rows(held, (name,))
        stored = int(rows[0]["notification_id"]) if rows else 0
        if stored != position:
            raise IntegrityError(f"read model {model.name} moved past {position} under this page")

    def _follow(self, model: ReadModel, progress: Callable[[int], None] | None) -> int:
        applied, lost = 0, 0
        while True:
            try:
                count = self.run_page(model)
            except (IntegrityError, OperationalError) as error:
                if not self._lost_race(error):
                    raise
                # Another runner recorded this page first (or held SQLite's write lock):
                # nothing of ours was committed; read the position again and go on.
                lost += 1
                if lost > LOST_RACES:
                    raise
                continue
            if not count:
                return applied
            applied += count
            if progress:
                progress(count)

    def _lost_race(self, error: Exception) -> bool:
        """Whether a failed page lost a race with another runner (read the position again
        and go on) rather than the database being away (the caller's supervisor backs off:
        retrying here at once would wait out a connect timeout fifty times over).
        SQLite's "database is locked" is a race; on PostgreSQL only a deadlock or a
        serialization failure between runners is."""
        if isinstance(error, IntegrityError) or self.dialect == "sqlite":
            return True
        cause: BaseException | None = error
        while cause is not None:
            if isinstance(cause, (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)):
                return True
            cause = cause.__cause__ or cause.__context__
        return False

    def reset(self, model: ReadModel, *, force: bool = True) -> None:
        """Drop and recreate a model's tables (so a changed schema applies) and forget its
        position, in one transaction. Without ``force``, only if the stored version is not
        this model's: processes starting together reset a changed model once, not twice."""
        with transaction(self.datastore, self.dialect, commit=True) as db:
            # Write first, so the transaction holds the lock before it reads the version.
            db.execute("UPDATE okno_read_models SET version = version WHERE name = ?", (model.name,))
            stored = db.rows("SELECT version FROM okno_read_models WHERE name = ?", (model.name,))
            if not force and stored and stored[0]["version"] == model.version:
                for statement in model.tables(self.dialect):
                    db.execute(statement)
                return
            for table in model.table_names():
                db.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in model.tables(self.dialect):
                db.execute(statement)
            db.execute(f"DELETE FROM {self.tracking_table} WHERE application_name = ?", (self.tracking_name(model),))
            parking.forget_model(db, model.name)
            db.execute("DELETE FROM okno_read_models WHERE name = ?", (model.name,))
            db.execute("INSERT INTO okno_read_models VALUES (?, ?)", (model.name, model.version))

    def rebuild(self, model: ReadModel, progress: Callable[[int], None] | None = None) -> int:
        self.reset(model)
        return self._follow(model, progress)

    def parked(self, model_name: str | None = None) -> list[ParkedCase]:
        """The cases read models could not fold (all models, or the one named), oldest first
        per model; each case's number and office as its first event says."""
        with transaction(self.datastore, self.dialect, commit=False) as db:
            found = parking.parked(db, model_name)
        opened: dict[str, tuple[str | None, str | None]] = {}
        for case in found:
            if case.case_id not in opened:
                opened[case.case_id] = self._opened(case.case_id)
        return [replace(c, number=c.number or opened[c.case_id][0], office=opened[c.case_id][1]) for c in found]

    def _opened(self, case_id: str) -> tuple[str | None, str | None]:
        """A case's number and office, from its first event (None for the directory's)."""
        events = self._stream(case_id, 1, 1)
        number, office = (
            (getattr(events[0], "number", None), getattr(events[0], "office", None)) if events else (None, None)
        )
        return (number if isinstance(number, str) else None, office if isinstance(office, str) else None)

    def _stream(self, case_id: str, first: int, last: int) -> list[Any]:
        """A case's events from version ``first`` to ``last``, from its own stream."""
        mapper = self.engine.store.mapper
        stored = self.engine.store.recorder.select_events(UUID(case_id), gt=first - 1, lte=last)
        return [parking.decoded(mapper, event) for event in stored]

    def retry(self, model_name: str | None = None) -> RetryOutcome:
        """Fold parked cases' waiting events again (after a fix), in their order; a case whose
        events all fold now is unparked and followed as any other, one that still fails keeps
        waiting with the new error. Each case in its own transaction."""
        unparked: list[ParkedCase] = []
        still: list[ParkedCase] = []
        for case in self.parked(model_name):
            model = self.model(case.model)
            for _ in range(LOST_RACES):
                with transaction(self.datastore, self.dialect, commit=False) as db:
                    span = parking.waiting_range(db, model.name, case.case_id)
                if span is None:
                    break  # another retry unparked it
                events = self._stream(case.case_id, *span)
                with transaction(self.datastore, self.dialect, commit=True) as db:
                    if parking.waiting_range(db, model.name, case.case_id) != span:
                        continue  # a runner noted more waiting events meanwhile: read them too
                    error = parking.retry_fold(db, model, events)
                    if error is None:
                        parking.unpark(db, model.name, case.case_id)
                        unparked.append(case)
                    else:
                        parking.still_failing(db, model.name, case.case_id, error)
                        still.append(replace(case, error=parking.error_text(error)))
                break
        return RetryOutcome(unparked, still)
