"""A PostgreSQL connection cut off while idle in the pool (a restart, a failover, an
administrator's pg_terminate_backend) is replaced before anyone uses it."""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest

from engine.application import EPOCH_ID
from engine.store import parse_url
from okno.bootstrap import new_engine
from tests.conftest import MASTER_KEY, PG_URL, Entropy

pytestmark = pytest.mark.postgres


def terminate(application_name: str) -> int:
    """Cut off every connection of one application name (only this test's), as an administrator would."""
    assert PG_URL
    with psycopg.connect(PG_URL.split("?")[0], autocommit=True, application_name="okno-test-terminator") as db:
        return len(
            db.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s AND pid <> pg_backend_pid()",
                (application_name,),
            ).fetchall()
        )


def backends(application_name: str) -> int:
    assert PG_URL
    with psycopg.connect(PG_URL.split("?")[0], autocommit=True, application_name="okno-test-terminator") as db:
        row = db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (application_name,)
        ).fetchone()
        return int(row[0]) if row else 0


def test_statements_after_a_burst_of_terminated_connections_meet_a_live_one(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"okno-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PGAPPNAME", name)  # libpq names every connection this engine opens
    engine = new_engine(parse_url(postgres_url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        engine.keys.get(EPOCH_ID)
        deadline = time.monotonic() + 10
        while terminate(name) < 5:  # the whole pool is open (5 connections), and every one is cut off
            assert time.monotonic() < deadline, "the pool never held five connections"
            time.sleep(0.05)
        while backends(name):  # their server processes are gone (terminating only signals them)
            assert time.monotonic() < deadline, "the terminated backends did not exit"
            time.sleep(0.01)
        # Our own statements on the datastore are not retried by the library: each would meet
        # a dead connection, one per connection in the pool.
        for _ in range(10):
            assert engine.keys.get(EPOCH_ID) is None
            assert engine.notifications.count() == {}
    finally:
        engine.close()
