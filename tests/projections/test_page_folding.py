"""Folding a page at once (``apply_page``) leaves exactly the rows that ``apply`` leaves event
by event, for histories made to be awkward: tasks closed and opened again under one id,
claims of tasks before they open, messages acknowledged in the page that sent them, timers
rescheduled, jobs failing and retried, offices changing time zone mid-page, events of cases
the model never saw."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row

from engine.case import Case
from engine.directory import Directory
from projections.base import Db, ReadModel, apply_events
from projections.cases import CasesModel
from projections.jobs import JobsModel
from projections.outbox import OutboxModel
from projections.timers import TimersModel

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
DIRECTORY = UUID(int=1)


def office(code: str, timezone: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": code,
        "kind": "centre",
        "district": f"district {code}",
        "timezone": timezone,
        "parent": None,
        "windows": 3,
    }


def service(code: str, term_days: int) -> dict[str, Any]:
    return {
        "code": code,
        "title": code,
        "agency": "agency",
        "level": "federal",
        "term_days": term_days,
        "process": "p",
        "documents": ["паспорт"],
        "fee": 0,
        "popularity": 1,
    }


def event(kind: type[Any], **fields: Any) -> Any:
    """An event as the store would hand it back (the library's typing sees only its base fields)."""
    return kind(**fields)


class History:
    """A random log of case events (and a few directory events) from one seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # seeded: the same history every run
        self.events: list[Any] = []
        self.at = T0
        self.ids = 0
        self.directory_version = 0
        self.cases: list[dict[str, Any]] = []

    def next_id(self, kind: str) -> str:
        self.ids += 1
        return f"{kind}-{self.ids}"

    def tick(self) -> datetime:
        self.at += timedelta(minutes=self.rng.randint(1, 400))
        return self.at

    def directory(self, kind: type[Any], **fields: Any) -> None:
        self.directory_version += 1
        self.events.append(
            event(
                kind,
                originator_id=DIRECTORY,
                originator_version=self.directory_version,
                timestamp=self.tick(),
                **fields,
            )
        )

    def build(self, length: int) -> list[Any]:
        self.directory(
            Directory.OfficesRegistered, offices=[office("LPK", "Europe/Moscow"), office("EKB", "Asia/Yekaterinburg")]
        )
        self.directory(Directory.CatalogPublished, services=[service("s1", 5), service("s2", 9)])
        for _ in range(length):
            roll = self.rng.random()
            if roll < 0.02:
                self.directory(
                    Directory.OfficesRegistered,
                    offices=[office("LPK", self.rng.choice(["Europe/Moscow", "Asia/Vladivostok"]))],
                )
            elif roll < 0.03:
                self.directory(Directory.CatalogPublished, services=[service("s1", self.rng.randint(1, 20))])
            elif roll < 0.2 or not self.cases:
                self.open()
            elif roll < 0.22:
                self.stranger()
            else:
                self.step(self.rng.choice(self.cases))
        return self.events

    def open(self) -> None:
        number = self.next_id("N")
        case = {
            "id": UUID(int=10_000 + self.ids),
            "number": number,
            "version": 1,
            "tasks": [],
            "closed": [],
            "timers": [],
            "jobs": [],
            "sent": 0,
            "rated": False,
            "done": False,
        }
        self.cases.append(case)
        effects = self.effects(case, opening=True)
        self.events.append(
            event(
                Case.Opened,
                originator_id=case["id"],
                originator_version=1,
                timestamp=self.tick(),
                originator_topic="engine.case:Case",
                input={},
                effects=effects,
                actor="test",
                idempotency_key=None,
                chain="",
                number=number,
                service=self.rng.choice(["s1", "s2", "s3"]),
                office=self.rng.choice(["LPK", "EKB", "NOPE"]),
                channel="window",
                process_version="v",
                applicant={},
            )
        )

    def stranger(self) -> None:
        """An event of a case no model has a row for (its Opened is not in this log)."""
        self.events.append(
            event(
                Case.TaskCompleted,
                originator_id=UUID(int=999_999 - self.ids),
                originator_version=2,
                timestamp=self.tick(),
                input={},
                effects={
                    "stage": "x",
                    "tasks_opened": [{"task": self.next_id("T"), "element": "e", "name": "n"}],
                    "claims": [{"task": "T-0", "holder": "h"}],
                    "messages_sent": [{"name": "m", "payload": {}}],
                },
                actor="test",
                idempotency_key=None,
                chain="",
            )
        )
        self.ids += 1

    def step(self, case: dict[str, Any]) -> None:
        case["version"] += 1
        effects = self.effects(case, opening=False)
        kind = Case.Withdrawn if self.rng.random() < 0.03 else Case.TaskCompleted
        if kind is Case.Withdrawn or effects.get("completed"):
            case["done"] = True
            self.cases.remove(case)
        self.events.append(
            event(
                kind,
                originator_id=case["id"],
                originator_version=case["version"],
                timestamp=self.tick(),
                input={},
                effects=effects,
                actor="test",
                idempotency_key=None,
                chain="",
            )
        )

    def effects(self, case: dict[str, Any], *, opening: bool) -> dict[str, Any]:
        rng, effects = self.rng, dict[str, Any]()
        effects["stage"] = rng.choice(["Приём", "Проверка", "Выдача", None]) if not opening else "Приём"
        if rng.random() < 0.3 and case["tasks"]:
            target = rng.choice([*case["tasks"], *case["closed"], "T-unknown"])
            effects["claims"] = [{"task": target, "holder": rng.choice(["staff-1", "staff-2", None])}]
        if case["tasks"] and rng.random() < 0.5:
            closing = rng.sample(case["tasks"], rng.randint(1, len(case["tasks"])))
            effects["tasks_closed"] = [{"task": t} for t in closing]
            case["tasks"] = [t for t in case["tasks"] if t not in closing]
            case["closed"].extend(closing)
        if rng.random() < 0.05:  # a task claimed before it opens: the claim changes no row
            early = self.next_id("T")
            effects.setdefault("claims", []).append({"task": early, "holder": "staff-3"})
            case["tasks"].append(early)
            effects["tasks_opened"] = [{"task": early, "element": "Task_Early", "name": "Рано", "role": "operator"}]
        opening_tasks = []
        for _ in range(rng.randint(0, 2)):
            reopened = [t for t in case["closed"] if t not in case["tasks"]]
            task = rng.choice(reopened) if reopened and rng.random() < 0.2 else self.next_id("T")
            case["tasks"].append(task)
            opening_tasks.append(
                {
                    "task": task,
                    "element": rng.choice(["Task_Check", "Task_Handout"]),
                    "name": rng.choice(["Проверка", "Выдача результата"]),
                    "role": "operator",
                    **({"due": "2026-03-20"} if rng.random() < 0.2 else {}),
                }
            )
        if opening_tasks:
            effects["tasks_opened"] = effects.get("tasks_opened", []) + opening_tasks
        if rng.random() < 0.3:
            effects["messages_sent"] = [
                {"name": "request", "payload": {"n": i, "текст": "да"}} for i in range(rng.randint(1, 2))
            ]
            case["sent"] += len(effects["messages_sent"])
        if case["sent"] and rng.random() < 0.3:
            effects["acknowledged"] = {"message": rng.randint(1, case["sent"] + 1), "reference": self.next_id("R")}
        if case["timers"] and rng.random() < 0.3:
            gone = rng.choice(case["timers"])
            effects[rng.choice(["timers_fired", "timers_cancelled"])] = [{"task": gone}]
            case["timers"].remove(gone)
        if rng.random() < 0.3:
            reschedule = case["timers"] and rng.random() < 0.5
            timer = rng.choice(case["timers"]) if reschedule else self.next_id("W")
            if not reschedule:
                case["timers"].append(timer)
            due = (self.at + timedelta(hours=rng.randint(1, 90))).isoformat() if rng.random() < 0.9 else None
            effects["timers_scheduled"] = [{"task": timer, "element": "Timer_Remind", "due": due}]
        if case["jobs"] and rng.random() < 0.3:
            job = rng.choice(case["jobs"])
            if rng.random() < 0.4:
                effects["jobs_closed"] = [{"task": job}]
                case["jobs"].remove(job)
            elif rng.random() < 0.6:
                effects["job_failed"] = {
                    "task": job,
                    "failure": rng.randint(1, 5),
                    "error": "timeout",
                    "retry_at": (self.at + timedelta(minutes=5)).isoformat() if rng.random() < 0.5 else None,
                    "incident": rng.random() < 0.3,
                }
            elif rng.random() < 0.6:
                effects["job_retried"] = {"task": job}
            else:  # an external worker holds it (issue 16): due again when the lock expires
                until = self.at + timedelta(minutes=rng.randint(1, 30))
                effects["job_locked"] = {"task": job, "worker": "w", "until": until.isoformat()}
        if rng.random() < 0.2:
            job = self.next_id("J")
            case["jobs"].append(job)
            effects["jobs_opened"] = [
                {"task": job, "element": "Service_Sms", "connector": "sms", "input": {"phone": "+7", "текст": "готово"}}
            ]
        if not opening and not case["rated"] and rng.random() < 0.05:
            case["rated"] = True
            effects["rating"] = {"waiting_time": 5, "staff": 4, "premises": 3, "information": 5}
        if not opening and rng.random() < 0.03:
            effects["complaint"] = {"topic": "очередь"}
        if rng.random() < 0.2:
            effects["awaiting"] = ["agency_answer"]
        if not opening and rng.random() < 0.05:
            effects["completed"] = True
            effects["outcome"] = rng.choice(["issued", "refused"])
        return effects


MODELS: list[type[Any]] = [CasesModel, TimersModel, OutboxModel, JobsModel]


Backend = Callable[[], tuple[Db, Callable[[], None]]]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Empty tables on SQLite (in memory), or in a PostgreSQL schema of this test's own."""
    if request.param == "sqlite":

        def sqlite_db() -> tuple[Db, Callable[[], None]]:
            connection = sqlite3.connect(":memory:")
            connection.row_factory = sqlite3.Row
            return Db(connection.cursor(), "sqlite"), connection.close

        return sqlite_db
    url = str(request.getfixturevalue("postgres_url"))
    server, schema = url.split("?schema=")

    def postgres_db() -> tuple[Db, Callable[[], None]]:
        connection = psycopg.connect(server, row_factory=dict_row)
        connection.execute(f"SET search_path TO {schema}")
        # Closed without a commit: the tables made for one fold are rolled back with it.
        return Db(connection.cursor(), "postgres"), connection.close

    return postgres_db


def fold(
    backend: Backend, model: ReadModel, pages: list[list[Any]], *, by_page: bool
) -> dict[str, list[tuple[Any, ...]]]:
    db, close = backend()
    for statement in model.tables(db.dialect):
        db.execute(statement)
    for page in pages:
        if by_page:
            apply_events(model, db, page)
        else:
            for event in page:
                model.apply(db, event)
    tables = {
        table: sorted(tuple(row.values()) for row in db.rows(f"SELECT * FROM {table}")) for table in model.table_names()
    }
    close()
    return tables


@pytest.mark.parametrize("seed", range(12))
def test_a_page_folded_at_once_leaves_the_rows_of_its_events_applied_one_by_one(backend: Backend, seed: int) -> None:
    events = History(seed).build(400)
    rng = random.Random(seed)  # seeded: the same page boundaries every run
    pages, start = [], 0
    while start < len(events):
        size = rng.choice([1, 2, 7, 37, 120, 500])
        pages.append(events[start : start + size])
        start += size
    for make in MODELS:
        model = make()
        expected = fold(backend, model, [events], by_page=False)
        assert any(expected.values()), model.name
        assert fold(backend, make(), pages, by_page=True) == expected, f"{model.name}, seed {seed}"
        assert fold(backend, make(), [events], by_page=True) == expected, f"{model.name} in one page, seed {seed}"


def test_the_histories_reach_the_awkward_paths() -> None:
    effects = [e.effects for seed in range(12) for e in History(seed).build(400) if isinstance(e, Case.Event)]
    for key in (
        "claims",
        "tasks_closed",
        "acknowledged",
        "timers_fired",
        "timers_cancelled",
        "timers_scheduled",
        "jobs_closed",
        "job_failed",
        "job_retried",
        "job_locked",
        "rating",
        "complaint",
        "completed",
    ):
        assert sum(1 for e in effects if e.get(key)) >= 5, key
