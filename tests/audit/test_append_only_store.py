"""The store under least-privilege roles (issue 18): `okno migrate --writer --auditor` as the
administrator, then the suite's end-to-end case with okno connected as the writer (server,
projector, job worker), and the database itself refusing the writer any rewrite of history
and the auditor any write at all."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest

from engine.store import parse_url
from okno.bootstrap import new_engine
from tests.api.conftest import seed, serve_in_process
from tests.api.test_end_to_end import test_a_property_registration_from_the_portal_to_hand_out as end_to_end
from tests.commands import okno
from tests.conftest import MASTER_KEY, Entropy, at

pytestmark = pytest.mark.postgres

EVENT_TABLES = ("okno_events", "okno_snapshots", "okno_ledger", "okno_checkpoints")
KEY = base64.b64encode(MASTER_KEY).decode()


@dataclass(frozen=True)
class Roles:
    admin_url: str
    writer: str
    auditor: str

    def url_as(self, role: str) -> str:
        """The store's URL, connecting as ``role`` (trust authentication on loopback)."""
        parsed = urlparse(self.admin_url)
        return urlunparse(parsed._replace(netloc=f"{role}@{parsed.hostname}:{parsed.port or 5432}"))

    @property
    def schema(self) -> str:
        return self.admin_url.split("schema=")[1]

    def connect(self, role: str) -> psycopg.Connection[Any]:
        url = self.url_as(role).split("?")[0]
        return psycopg.connect(url, autocommit=True, options=f"-c search_path={self.schema}")


def cli(url: str, *args: str, tmp_path: Path) -> Any:
    return okno(*args, cwd=tmp_path, env={"OKNO_DATABASE_URL": url, "OKNO_MASTER_KEY": KEY, "OKNO_CREATE_TABLES": "no"})


@pytest.fixture
def roles(postgres_url: str, tmp_path: Path) -> Iterator[Roles]:
    """A store migrated by its administrator, with a writer and an auditor named for this
    run (roles are the cluster's, not the database's), dropped afterwards."""
    suffix = uuid.uuid4().hex[:10]
    made = Roles(postgres_url, f"okno_writer_{suffix}", f"okno_auditor_{suffix}")
    try:
        migrated = okno(
            "migrate",
            "--writer",
            made.writer,
            "--auditor",
            made.auditor,
            cwd=tmp_path,
            env={"OKNO_DATABASE_URL": postgres_url, "OKNO_MASTER_KEY": KEY},
        )
        assert migrated.returncode == 0, migrated.stderr
        assert f"writer {made.writer}" in migrated.stdout
        assert "history: okno_checkpoints, okno_events, okno_ledger, okno_snapshots" in migrated.stdout
        assert "does not know" not in migrated.stderr, "every table okno makes has a kind in okno.store_roles.TABLES"
        yield made
    finally:
        for role in (made.writer, made.auditor):
            drop_role(postgres_url, role)


def drop_role(postgres_url: str, role: str) -> None:
    """Drop a run's role. DROP OWNED BY also revokes its rights on the shared database,
    whose catalog row another test process may be granting on at that moment: PostgreSQL
    then answers "tuple concurrently updated", and the drop is simply tried again."""
    for attempt in range(5):
        try:
            with psycopg.connect(postgres_url.split("?")[0], autocommit=True) as admin:
                if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                    admin.execute(f'DROP OWNED BY "{role}"')
                    admin.execute(f'DROP ROLE "{role}"')
            return
        except psycopg.errors.InternalError:
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


@pytest.fixture
def writer_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite's server, seeding and job worker build their engines from a URL alone: as
    the writer's processes they run with table creation off (the writer may create nothing)."""
    monkeypatch.setattr("tests.api.conftest.parse_url", lambda url: parse_url(url, create_tables=False))


def refused(connection: psycopg.Connection[Any], statement: str) -> bool:
    try:
        connection.execute(statement)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


@pytest.mark.usefixtures("writer_processes")
def test_the_end_to_end_case_runs_as_a_writer_who_cannot_rewrite_history(roles: Roles, tmp_path: Path) -> None:
    writer_url = roles.url_as(roles.writer)
    for server in serve_in_process(writer_url):  # seeds as the writer: deploy, catalog, offices
        end_to_end(server)  # the server's refresher projects as the writer, its job worker works as it
    worker = cli(writer_url, "worker", "--once", tmp_path=tmp_path)
    assert worker.returncode == 0, worker.stderr

    with roles.connect(roles.writer) as writer:
        recorded = writer.execute("SELECT count(*) FROM okno_events").fetchone()
        assert recorded is not None and recorded[0] > 7
        for table in EVENT_TABLES:
            column = "sequence" if table == "okno_checkpoints" else "originator_version"
            for statement in (
                f"UPDATE {table} SET {column} = {column}",
                f"DELETE FROM {table}",
                f"TRUNCATE {table}",
                f"ALTER TABLE {table} DISABLE TRIGGER ALL",
                f"DROP TABLE {table}",
            ):
                assert refused(writer, statement), f"the writer could {statement}"
        # Keys: shredding deletes one, but a key is never rewritten or all dropped at once.
        assert refused(writer, "UPDATE okno_case_keys SET wrapped = wrapped")
        assert refused(writer, "TRUNCATE okno_case_keys")
        assert refused(writer, "CREATE TABLE okno_shadow (x int)")
        assert refused(writer, "SELECT setval('okno_events_notification_id_seq', 1)")
    with roles.connect(roles.writer) as writer:
        still = writer.execute("SELECT count(*) FROM okno_events").fetchone()
        assert still == recorded, "nothing the writer tried changed the history"


@pytest.mark.usefixtures("writer_processes")
def test_the_auditor_verifies_every_case_and_can_write_nothing(roles: Roles, tmp_path: Path) -> None:
    writer_url = roles.url_as(roles.writer)
    seed(writer_url)
    engine = new_engine(parse_url(writer_url, create_tables=False), master_key=MASTER_KEY, entropy=Entropy())
    try:
        number = engine.open_case(
            service="rosreestr_ownership",
            office="LPK",
            channel="portal",
            applicant={"full_name": "Кузнецова Анна Сергеевна", "document": "4215 654321"},
            actor="integrator/portal",
            at=at(5),
        ).number
    finally:
        engine.close()

    verified = cli(roles.url_as(roles.auditor), "audit", "verify", "--all", tmp_path=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "1 of 1 cases verified, 0 diverged" in verified.stdout, number
    with roles.connect(roles.auditor) as auditor:
        for table in (*EVENT_TABLES, "okno_case_keys", "rm_cases", "notification_tracking"):
            assert refused(auditor, f"INSERT INTO {table} DEFAULT VALUES"), table
            assert refused(auditor, f"DELETE FROM {table}"), table
            assert refused(auditor, f"TRUNCATE {table}"), table
        assert refused(auditor, "SELECT okno_lock_events()")
        assert auditor.execute("SELECT count(*) FROM okno_events").fetchone() is not None


@pytest.mark.usefixtures("writer_processes")
def test_the_roles_keep_their_rights_when_the_administrator_rebuilds_and_migrates_again(
    roles: Roles, tmp_path: Path
) -> None:
    admin = {"OKNO_DATABASE_URL": roles.admin_url, "OKNO_MASTER_KEY": KEY}
    seed(roles.url_as(roles.writer))
    rebuilt = okno("projections", "rebuild", "cases", cwd=tmp_path, env=admin)  # drops and creates rm_ tables
    assert rebuilt.returncode == 0, rebuilt.stderr
    worker = cli(roles.url_as(roles.writer), "worker", "--once", tmp_path=tmp_path)
    assert worker.returncode == 0, worker.stderr
    with roles.connect(roles.writer) as writer:
        writer.execute("UPDATE rm_offices SET name = name")  # a read model's rows stay the writer's to keep
    with roles.connect(roles.auditor) as auditor:
        offices = auditor.execute("SELECT count(*) FROM rm_offices").fetchone()
        assert offices is not None and offices[0] > 0
        assert refused(auditor, "DELETE FROM rm_offices")

    again = okno("migrate", cwd=tmp_path, env=admin)  # no names: the roles in place are granted again
    assert again.returncode == 0, again.stderr
    assert f"writer {roles.writer}, auditor {roles.auditor}" in again.stdout
    with roles.connect(roles.writer) as writer:
        assert refused(writer, "DELETE FROM okno_events")
        writer.execute("UPDATE rm_offices SET name = name")
    named_again = okno("migrate", "--writer", roles.writer, "--auditor", roles.auditor, cwd=tmp_path, env=admin)
    assert (
        named_again.returncode == 0
        and "history: okno_checkpoints, okno_events, okno_ledger, okno_snapshots" in named_again.stdout
    )


def test_migrate_refuses_roles_on_sqlite_and_a_writer_that_is_the_administrator(
    tmp_path: Path, postgres_url: str
) -> None:
    on_sqlite = okno(
        *("migrate", "--writer", "w", "--auditor", "a"),
        cwd=tmp_path,
        env={"OKNO_DATABASE_URL": f"sqlite:///{tmp_path / 'okno.sqlite'}", "OKNO_MASTER_KEY": KEY},
    )
    assert on_sqlite.returncode == 2 and "roles need PostgreSQL" in on_sqlite.stderr
    himself = okno(
        *("migrate", "--writer", "postgres", "--auditor", "someone_else"),
        cwd=tmp_path,
        env={"OKNO_DATABASE_URL": postgres_url, "OKNO_MASTER_KEY": KEY},
    )
    assert himself.returncode == 2 and "owns the tables" in himself.stderr
