"""After a case is shredded, none of its applicant's personal values can be found anywhere
in the store: not in any table (events and snapshots decompressed the way the library
stores them), not in the raw database file, not in the XES export — while the case's
history still verifies on its hash chain and its non-personal effects (issue 18)."""

from __future__ import annotations

import contextlib
import io
import sqlite3
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.application import Engine
from engine.catalog import parse_catalog
from engine.reception.slots import slot_id
from engine.reception_desk import Reception
from engine.replay import verify
from engine.xes import write_xes
from projections.runner import Projector
from tests.conftest import ROOT, T0, EngineMaker, make_engine_factory, seeded, shipped_sources, work_jobs
from tests.engine.test_reception import TUESDAY, local

NAME = "Петрова Анна Сергеевна"
PHONE = "+79041112233"  # as the engine normalises "+7 904 111-22-33"
CADASTRAL = "48:20:0012345:67"
SECRETS = (NAME, PHONE, CADASTRAL)
PACKAGE = "ПАКЕТ-7731"  # not personal: it stays, in the events as in the outbox


def complete_case_from_a_booking(engine: Engine) -> str:
    """Booked with a contact, opened at the window from the appointment, personal form data
    taken, a package sent to Росреестр, its decision, an SMS to the applicant, handed out."""
    reception = Reception(engine)
    code = reception.book(
        office="LPK",
        service="rosreestr_ownership",
        slot=slot_id("LPK", 9, local(TUESDAY, 10, 0)),
        channel="portal",
        applicant={"full_name": NAME, "phone": "+7 904 111-22-33"},
        actor="portal",
        at=T0,
    ).code
    ticket = reception.issue_ticket(office="LPK", appointment=code, actor="terminal", at=local(TUESDAY, 9, 58))
    assert reception.call_next(office="LPK", window=9, actor="LPK/op", at=local(TUESDAY, 10, 0)) is not None
    opened = local(TUESDAY, 10, 5)
    number = reception.open_case(ticket.id, applicant={}, actor="LPK/op", at=opened).number

    def at(minutes: float = 0, days: float = 0) -> datetime:
        return opened + timedelta(minutes=minutes, days=days)

    data = {"documents_complete": True, "property_kind": "flat", "cadastral_number": CADASTRAL}
    engine.complete_task(number, "Task_Reception", data, actor="LPK/op", at=at(5))
    work_jobs(engine, at(6))  # the state fee is found paid
    task = engine.get_case(number).open_tasks[0]["task"]
    for minute in range(7, 11):  # passed between staff a while: enough events for a snapshot of the case
        engine.claim_task(number, task, actor="LPK/ex", at=at(minute))
        engine.release_task(number, task, actor="LPK/ex", at=at(minute + 0.5))
    engine.complete_task(number, "Task_SendPackage", {"package_number": PACKAGE}, actor="LPK/ex", at=at(30))
    engine.deliver_message(number, "rosreestr_decision", {"decision": "registered"}, actor="rosreestr", at=at(days=5))
    work_jobs(engine, at(days=5, minutes=1))  # the applicant is told by SMS
    case = engine.complete_task(number, "Task_Handout", {"handed_over": True}, actor="LPK/op", at=at(days=6))
    assert case.status != "open"
    assert sum(engine.notifications.count().values()) >= 1  # an SMS waits for its gateway
    Projector(engine).catch_up()
    return number


def found_in(blob: bytes, wanted: tuple[str, ...] = SECRETS) -> set[str]:
    """The values in ``blob`` as it is, and decompressed when it is zlib (the library's
    compressor): as UTF-8 text or JSON's \\u escapes."""
    texts = [blob]
    with contextlib.suppress(zlib.error):
        texts.append(zlib.decompress(blob))
    found = set()
    for text in texts:
        for value in wanted:
            escaped = "".join(f"\\u{ord(c):04x}" if ord(c) > 127 else c for c in value).encode("ascii")
            if value.encode("utf-8") in text or escaped in text:
                found.add(value)
    return found


def as_bytes(value: Any) -> bytes | None:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    return None


def secrets_in_rows(
    rows: Iterator[tuple[str, tuple[Any, ...]]], wanted: tuple[str, ...] = SECRETS
) -> dict[str, set[str]]:
    where: dict[str, set[str]] = {}
    for table, row in rows:
        for value in row:
            blob = as_bytes(value)
            if blob is not None and (hit := found_in(blob, wanted)):
                where.setdefault(table, set()).update(hit)
    return where


def xes_of(engine: Engine, number: str) -> bytes:
    out = io.BytesIO()
    write_xes(engine.steps.library, [list(engine.case_events(number))], out)
    return out.getvalue()


def shred_and_check_the_record(engine: Engine, number: str) -> None:
    assert engine.applicant(number) is not None
    engine.shred_case(number)
    assert engine.applicant(number) is None
    verdict = verify(engine.steps, list(engine.case_events(number)))
    assert verdict.ok and not verdict.broken  # the chain holds; what could not be run stands as recorded


@pytest.fixture
def catalog_engine(engines: EngineMaker) -> Engine:
    catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
    return seeded(engines(), shipped_sources(), catalog)


def sqlite_rows(path: Path) -> Iterator[tuple[str, tuple[Any, ...]]]:
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert "okno_case_keys" in tables and "rm_outbox" in tables
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                yield table, tuple(row)
    finally:
        db.close()


def test_the_search_finds_what_the_store_holds_in_clear(catalog_engine: Engine, sqlite_url: str) -> None:
    """The search below can fail: it finds a value the events hold in clear, compressed,
    and the one read model that carries it, and the case's snapshot holds the personal
    values the workflow runs on until the case is shredded."""
    number = complete_case_from_a_booking(catalog_engine)
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    where = secrets_in_rows(sqlite_rows(path), (PACKAGE, CADASTRAL))
    assert PACKAGE in where["stored_events"] and PACKAGE in where["rm_outbox"]
    assert CADASTRAL in where["stored_snapshots"]
    assert catalog_engine.get_case(number).version >= 10


def test_no_personal_value_of_a_shredded_case_is_left_in_any_table_the_file_or_the_export(
    catalog_engine: Engine, sqlite_url: str
) -> None:
    number = complete_case_from_a_booking(catalog_engine)
    shred_and_check_the_record(catalog_engine, number)
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    assert secrets_in_rows(sqlite_rows(path)) == {}
    for file in path.parent.glob(path.name + "*"):  # the database and its -wal/-shm
        assert not found_in(file.read_bytes()), file
    assert not found_in(xes_of(catalog_engine, number))


def postgres_rows(engine: Engine) -> Iterator[tuple[str, tuple[Any, ...]]]:
    datastore: Any = engine.store.recorder.datastore  # type: ignore[attr-defined]
    schema = getattr(datastore, "schema", "") or "public"
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            (schema,),
        )
        tables = [r["table_name"] if isinstance(r, dict) else r[0] for r in cursor.fetchall()]
        assert "okno_case_keys" in tables and "rm_outbox" in tables
        for table in tables:
            cursor.execute(f'SELECT * FROM {schema}."{table}"')
            for row in cursor.fetchall():
                yield table, tuple(row.values() if isinstance(row, dict) else row)


@pytest.mark.postgres
def test_no_personal_value_of_a_shredded_case_is_left_in_any_postgres_table(postgres_url: str) -> None:
    make, made = make_engine_factory(postgres_url)
    try:
        catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
        engine = seeded(make(), shipped_sources(), catalog)
        number = complete_case_from_a_booking(engine)
        shred_and_check_the_record(engine, number)
        assert secrets_in_rows(postgres_rows(engine)) == {}
        assert not found_in(xes_of(engine, number))
    finally:
        for engine in made:
            engine.close()
