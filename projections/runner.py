"""Keeps read models current by following the event store's notification log.

Each page of events is applied to a read model's rows and its tracking position is
recorded in the SAME transaction, through the eventsourcing library's tracking
recorders, so a crash mid-page rolls both back and the next run resumes exactly where
the last commit left off. Two runners on one model cannot both record a page: the
library's single-row tracking refuses a position that does not move forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from eventsourcing.persistence import Tracking

from engine.application import Engine, schema_ready
from projections.base import ReadModel, transaction
from projections.cases import CasesModel

PAGE = 500


def all_models() -> list[ReadModel]:
    from projections.timers import TimersModel

    return [CasesModel(), TimersModel()]


@dataclass(frozen=True)
class ModelStatus:
    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class Projector:
    def __init__(self, engine: Engine, models: list[ReadModel] | None = None, page: int = PAGE) -> None:
        self.engine = engine
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
        schema_ready(self.tracking.create_table)
        known = schema_ready(self._known_models)
        for model in self.models:
            if known.get(model.name) != model.version:
                schema_ready(partial(self.reset, model))  # a new or changed model starts again from zero
            else:
                schema_ready(partial(self._create, model))

    def _known_models(self) -> dict[str, int]:
        with transaction(self.datastore, self.dialect, commit=True) as db:
            db.execute("CREATE TABLE IF NOT EXISTS okno_read_models (name TEXT PRIMARY KEY, version INTEGER NOT NULL)")
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
        return f"okno.{model.name}"

    def position(self, model: ReadModel) -> int:
        return int(self.tracking.max_tracking_id(self.tracking_name(model)) or 0)

    def head(self) -> int:
        return int(self.engine.store.recorder.max_notification_id() or 0)

    def status(self) -> list[ModelStatus]:
        head = self.head()
        return [ModelStatus(model.name, self.position(model), head) for model in self.models]

    def run_page(self, model: ReadModel) -> int:
        """Apply the next page of events to one model; the number applied (0: caught up)."""
        position = self.position(model)
        notifications = self.engine.store.recorder.select_notifications(
            position or None, self.page, inclusive_of_start=position == 0)
        if not notifications:
            return 0
        mapper = self.engine.store.mapper
        with transaction(self.datastore, self.dialect, commit=True) as db:
            for notification in notifications:
                model.apply(db, mapper.to_domain_event(notification))
            # Same transaction: the rows and the position commit together or not at all.
            self.tracking._insert_tracking(db.cursor, Tracking(self.tracking_name(model), notifications[-1].id))
        return len(notifications)

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        applied = 0
        for model in self.models:
            while count := self.run_page(model):
                applied += count
                if progress:
                    progress(count)
        return applied

    def reset(self, model: ReadModel) -> None:
        """Drop and recreate a model's tables (so a changed schema applies) and forget its
        position, in one transaction."""
        with transaction(self.datastore, self.dialect, commit=True) as db:
            for table in model.table_names():
                db.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in model.tables(self.dialect):
                db.execute(statement)
            db.execute(f"DELETE FROM {self.tracking_table} WHERE application_name = ?", (self.tracking_name(model),))
            db.execute("DELETE FROM okno_read_models WHERE name = ?", (model.name,))
            db.execute("INSERT INTO okno_read_models VALUES (?, ?)", (model.name, model.version))

    def rebuild(self, model: ReadModel, progress: Callable[[int], None] | None = None) -> int:
        self.reset(model)
        applied = 0
        while count := self.run_page(model):
            applied += count
            if progress:
                progress(count)
        return applied
