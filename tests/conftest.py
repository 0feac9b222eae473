"""Shared fixtures: real stores (an SQLite file per test; a PostgreSQL schema per test
when OKNO_TEST_DATABASE_URL is set), the shipped processes, a fixed clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from engine.application import Engine
from engine.bpmn.sources import SourceFile, collect_sources
from engine.catalog import Service
from engine.offices import Office
from engine.store import parse_url
from okno.bootstrap import new_engine

if TYPE_CHECKING:
    from okno.workers.jobs import JobRun

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MASTER_KEY = b"0123456789abcdef0123456789abcdef"
# Every engine a test makes, in this process or in an `okno` it starts, signs with one test
# key (engine.world.signing_key), so stores written in a test load in its CLI and server.
SIGNING_KEY = FIXTURES / "signing.key"
os.environ.setdefault("OKNO_SIGNING_KEY", str(SIGNING_KEY))

PG_URL = os.environ.get("OKNO_TEST_DATABASE_URL")
PG_REASON = "PostgreSQL tests need OKNO_TEST_DATABASE_URL (for example postgresql://postgres@127.0.0.1:5432/test)"


class Entropy:
    """A deterministic stand-in for os.urandom: tests reproduce exactly."""

    def __init__(self) -> None:
        self.counter = 0

    def __call__(self, size: int) -> bytes:
        self.counter += 1
        return uuid.uuid5(uuid.NAMESPACE_OID, str(self.counter)).bytes[:size].ljust(size, b"\0")


def at(minutes: float = 0, days: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, days=days)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'okno.sqlite'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip(PG_REASON)
    import psycopg

    schema = f"okno_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL.split("?")[0], autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL.split('?')[0]}?schema={schema}"
    finally:
        with psycopg.connect(PG_URL.split("?")[0], autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


EngineMaker = Callable[[], Engine]


def make_engine_factory(url: str) -> tuple[EngineMaker, list[Engine]]:
    made: list[Engine] = []

    def make() -> Engine:
        engine = new_engine(parse_url(url), master_key=MASTER_KEY, entropy=Entropy())
        made.append(engine)
        return engine

    return make, made


@pytest.fixture
def engines(sqlite_url: str) -> Iterator[EngineMaker]:
    make, made = make_engine_factory(sqlite_url)
    yield make
    for engine in made:
        engine.close()


def mini_sources() -> list[SourceFile]:
    return collect_sources([FIXTURES / "mini.bpmn"])


MINI_SERVICE = Service("mini_service", "Тестовая услуга", "Тестовое ведомство", "federal", 5, ("Паспорт",), 0, "mini")
OFFICE = Office("LPK", "МФЦ г. Липецк", "centre", "Липецк", 10)


def seeded(engine: Engine, sources: list[SourceFile] | None = None, services: list[Service] | None = None) -> Engine:
    report = engine.deploy(sources or mini_sources(), T0)
    assert report.ok, report.problems
    engine.publish_catalog(services or [MINI_SERVICE], T0)
    engine.register_offices([OFFICE], T0)
    return engine


def shipped_sources() -> list[SourceFile]:
    return collect_sources([ROOT / "processes"])


class BackendContract:
    """A contract every store backend must keep: a test class deriving from it runs each
    test once per backend (``url``); tests get ``engines``, engines on that store, closed
    after the test."""

    @pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
    def url(self, request: pytest.FixtureRequest, sqlite_url: str) -> str:
        """Each contract test runs on SQLite, and on PostgreSQL when OKNO_TEST_DATABASE_URL is set."""
        return sqlite_url if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))

    @pytest.fixture
    def engines(self, url: str) -> Iterator[EngineMaker]:
        make, made = make_engine_factory(url)
        yield make
        for engine in made:
            engine.close()


class PaidTreasury:
    """A fake ГИС ГМП: every fee is paid, unless the treasury is down."""

    def __init__(self) -> None:
        self.down = False

    def paid_amount(self, case_number: str, purpose: str, service: str, amount: int) -> int | None:
        from engine.connectors import ConnectorError

        if self.down:
            raise ConnectorError("ГИС ГМП: сервис временно недоступен (503)")
        return amount or 2000


def work_jobs(engine: Engine, at: datetime, treasury: PaidTreasury | None = None) -> JobRun:
    """What `okno worker` does for service tasks at ``at``: read the due jobs from the jobs
    read model, call the real connectors (a fake treasury), record what they said."""
    from okno.bootstrap import new_connectors
    from okno.workers.jobs import run_due
    from projections.jobs import due_jobs
    from projections.reader import Reader
    from projections.runner import Projector

    projector = Projector(engine)
    projector.catch_up()
    connectors = new_connectors(engine, lambda: at, treasury or PaidTreasury())
    return run_due(engine, due_jobs(Reader(projector), at, types=connectors.names()), connectors, at)
