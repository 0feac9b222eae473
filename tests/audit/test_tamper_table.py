"""Issue 18's "Done when": every tamper of the issue's table, performed on one store of
several cases (completed and open ones, a case with a snapshot, read models and outbox
built, personal-data reads), is detected by `okno audit verify` (the real CLI, with the
auditor's public key) or `okno audit reconcile`, with a message naming the case and
version, while verify gives every other case its verdict.

One test per row, so a failure names the row. The tampering itself is the per-row tests'
own code (tests/audit/tampering.py and the modules imported below); this module only runs
each of them against the same kind of store. The rows a case's own chain cannot see (its
last event, a whole case, the last read record deleted) are caught against a signed
checkpoint the auditor kept (`verify --against FILE`, tests/audit/test_checkpoints.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid5

import pytest

from engine.application import SOURCE_NAMESPACE, Engine
from projections.runner import Projector
from tests.audit.tampering import FORGER, PUBLIC_KEY, Tables, audit
from tests.audit.test_access_log_chain import AccessRows
from tests.audit.test_checkpoints import Log
from tests.audit.test_reconcile import edit
from tests.audit.test_signed_chain import three_cases
from tests.audit.test_snapshot_trust import SNAPSHOT_AT, long_case
from tests.audit.test_verify_finishes import flip_a_bit
from tests.conftest import BackendContract, EngineMaker, at, seeded
from tests.projections.test_chain_guard import insert_copy

# Slow: each test fills a store and tampers with it (seconds each); the README's command runs them.
pytestmark = pytest.mark.slow


@dataclass
class Store:
    """The store an auditor is handed: what each row tampers with, and how many cases it holds."""

    engine: Engine
    url: str
    cwd: Path
    completed: str  # three_cases' first, handed out
    open_cases: list[str]  # three_cases' other two: received, answered by the agency
    long: str  # eleven events, a snapshot at v10
    reader: str  # a case whose applicant data was read three times
    projector: Projector

    @property
    def total(self) -> int:
        return len(self.open_cases) + 3

    def verify(self, *args: str) -> Any:
        return audit(self.url, self.cwd, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY), *args)

    def checkpoint(self) -> Path:
        """A signed checkpoint over the store as it is, exported for the auditor to keep."""
        assert self.engine.signer is not None
        self.engine.notary().checkpoint(self.engine.signer, at(days=5))
        kept = self.cwd / "kept-checkpoint.json"
        result = audit(self.url, self.cwd, "audit", "checkpoint", "--output", str(kept))
        assert result.returncode == 0, result.stdout + result.stderr
        return kept

    def others_verified(self, result: Any, failed: int = 1) -> None:
        """Every case but the tampered one(s) has its verdict: verified."""
        summary = f"{self.total - failed} of {self.total} cases verified, {failed} diverged"
        assert summary in result.stdout, result.stdout + result.stderr


def build(engine: Engine, url: str, cwd: Path) -> Store:
    seeded(engine)
    numbers = three_cases(engine)
    engine.complete_task(numbers[0], "Task_Handout", {}, actor="op", at=at(days=2))
    assert engine.get_case(numbers[0]).status == "completed"
    long = long_case(engine)
    reader = engine.open_case(
        service="mini_service",
        office="LPK",
        channel="window",
        applicant={"full_name": "Иванов Иван"},
        actor="op",
        at=at(days=3),
    ).number
    for minutes, actor in ((1, "op"), (2, "inspector"), (3, "op")):
        engine.read_applicant(reader, actor=actor, role="operator", purpose="проверка", at=at(minutes, 3))
    projector = Projector(engine)
    projector.catch_up()  # read models and outbox as the worker leaves them
    return Store(engine, url, cwd, numbers[0], numbers[1:], long, reader, projector)


# ---- the rows -------------------------------------------------------------------------


def one_byte_of_an_events_json(store: Store) -> None:
    tables = Tables(store.engine)
    number = store.open_cases[0]
    state = tables.read(number, 2)
    state["actor"] = "someone-else"
    tables.write(number, 2, state)  # recompressed
    result = store.verify()
    assert result.returncode == 1
    assert f"{number} (process version" in result.stdout
    assert "v2: the stored event does not match its hash chain" in result.stdout
    store.others_verified(result)


def one_bit_of_the_compressed_state(store: Store) -> None:
    tables = Tables(store.engine)
    number = store.open_cases[0]
    tables.put_blob(number, 2, flip_a_bit(tables.blob(number, 2)))
    result = store.verify()
    assert result.returncode == 1
    assert f"{number} (process version" in result.stdout
    assert "v2: the stored event cannot be decoded" in result.stdout
    store.others_verified(result)


def one_byte_of_an_events_json_in_history(store: Store) -> None:
    """The row's other half: history and the XES export read the events too, and warn."""
    number = _edit_actor(store, store.open_cases[0], 2)
    shown = audit(store.url, store.cwd, "audit", "history", number)
    assert shown.returncode == 1, shown.stdout + shown.stderr
    assert "WARNING: v2 cannot be trusted: the stored event does not match its hash chain" in shown.stdout
    assert "someone-else" in shown.stdout  # shown as stored, marked
    assert f"case {number}'s stored history fails its integrity check at v2" in shown.stderr
    clean = audit(store.url, store.cwd, "audit", "history", store.open_cases[1])
    assert clean.returncode == 0 and "WARNING" not in clean.stdout + clean.stderr, clean.stdout + clean.stderr


def one_byte_of_an_events_json_in_the_xes_export(store: Store) -> None:
    number = _edit_actor(store, store.open_cases[0], 2)
    exported = _export(store)
    assert exported.returncode == 1, exported.stdout + exported.stderr
    assert f"WARNING: case {number}: integrity failed: v2: the stored event does not match" in exported.stderr
    marks = _integrity_marks(store.cwd / "okno.xes")
    assert len(marks) == store.total and set(filter(None, marks.values())) == {marks[number]}
    assert str(marks[number]).startswith("failed: v2: the stored event does not match its hash chain")
    assert _export(store, "--allow-broken").returncode == 0


def one_bit_of_the_compressed_state_in_history_and_export(store: Store) -> None:
    """Export no longer aborts: the case is marked, every other one is written."""
    tables = Tables(store.engine)
    number = store.open_cases[0]
    tables.put_blob(number, 2, flip_a_bit(tables.blob(number, 2)))
    exported = _export(store)
    assert exported.returncode == 1, exported.stdout + exported.stderr
    assert f"{store.total} cases written" in exported.stdout
    marks = _integrity_marks(store.cwd / "okno.xes")
    assert str(marks[number]).startswith("failed: v2: the stored event cannot be decoded")
    assert [n for n, mark in marks.items() if mark] == [number]
    shown = audit(store.url, store.cwd, "audit", "history", number)
    assert shown.returncode == 1, shown.stdout + shown.stderr
    assert "WARNING: v2 cannot be trusted: the stored event cannot be decoded" in shown.stdout
    assert "internal error" not in shown.stderr


def one_bit_of_the_compressed_state_in_a_rebuild(store: Store) -> None:
    """Rebuilding (and the worker, which folds the same pages) parks the case, naming it
    and the version, and folds every other case."""
    tables = Tables(store.engine)
    number = store.open_cases[0]
    tables.put_blob(number, 2, flip_a_bit(tables.blob(number, 2)))
    rebuilt = audit(store.url, store.cwd, "projections", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "case(s) parked" in rebuilt.stdout
    parked = store.projector.parked()
    assert parked and {p.case_id for p in parked} == {str(_case_id(number))}
    assert all(f"case {number} version 2" in p.error and "cannot be decoded" in p.error for p in parked), parked
    assert _read_model_versions(store)[store.long] == 11
    retried = audit(store.url, store.cwd, "projections", "retry")  # still damaged: still parked, no crash
    assert retried.returncode == 1 and "still parked" in retried.stdout, retried.stdout + retried.stderr


def one_bit_of_the_compressed_state_before_the_worker(store: Store) -> None:
    """A row damaged before the worker reads it: `okno worker --once` parks its case and
    projects the events of the others, the one after it included."""
    number = store.open_cases[0]
    task = store.engine.get_case(number).open_tasks[0]["task"]
    store.engine.claim_task(number, task, actor="op", at=at(days=4))
    store.engine.claim_task(
        store.long, store.engine.get_case(store.long).open_tasks[0]["task"], actor="op", at=at(days=4)
    )
    tables = Tables(store.engine)
    tables.put_blob(number, 4, flip_a_bit(tables.blob(number, 4)))
    worked = audit(store.url, store.cwd, "worker", "--once")
    assert worked.returncode == 0, worked.stdout + worked.stderr
    parked = store.projector.parked()
    assert parked and {p.case_id for p in parked} == {str(_case_id(number))}
    assert all(f"case {number} version 4" in p.error and "cannot be decoded" in p.error for p in parked), parked
    versions = _read_model_versions(store)
    assert versions[number] == 3 and versions[store.long] == 12


def delete_a_middle_event(store: Store) -> None:
    number = store.open_cases[1]
    Tables(store.engine).delete(number, 2)
    result = store.verify()
    assert result.returncode == 1
    assert f"{number} (process version" in result.stdout and "version 2 is missing" in result.stdout
    store.others_verified(result)
    _show_refuses(store, number)


def swap_two_versions(store: Store) -> None:
    tables = Tables(store.engine)
    number = store.open_cases[1]
    second, third = tables.blob(number, 2), tables.blob(number, 3)
    tables.put_blob(number, 2, third)
    tables.put_blob(number, 3, second)
    result = store.verify()
    assert result.returncode == 1
    assert f"{number} (process version" in result.stdout and "v2:" in result.stdout
    store.others_verified(result)
    _show_refuses(store, number)


def delete_the_last_event_of_a_projected_case(store: Store) -> None:
    """Half of the row: the read model saw the completion the events no longer hold.
    The other half (nothing projected it) is the checkpoints' row below."""
    Tables(store.engine).delete(store.completed, 4)
    result = store.verify()
    assert result.returncode == 1
    assert (
        f"{store.completed}: the read model shows version 4, completed; the events end at version 3, open"
    ) in result.stdout
    store.others_verified(result)


def insert_an_event_copied_from_another_case(store: Store) -> None:
    victim, donor = store.open_cases[1], store.open_cases[0]
    insert_copy(store.engine, list(store.engine.case_events(donor))[1], victim, 4)
    result = store.verify()
    assert result.returncode == 1
    assert f"{victim} (process version" in result.stdout and "v4:" in result.stdout
    store.others_verified(result)
    store.projector.catch_up()  # the worker never projects it: the case is parked, naming case and version
    parked = store.projector.parked()
    assert parked and all(victim in p.error and "version 4" in p.error for p in parked)


def edit_and_rechain_with_okno_code(store: Store) -> None:
    tables = Tables(store.engine)
    number = store.open_cases[0]
    state = tables.read(number, 2)
    state["actor"] = "someone-else"
    tables.write(number, 2, state)
    tables.rechain(number, 3)  # the chain recomputed; the old signatures kept
    result = store.verify()
    assert result.returncode == 1
    assert f"{number} (process version" in result.stdout
    assert "v2: its signature does not verify with key" in result.stdout
    store.others_verified(result)


def edit_and_resign_with_the_administrators_key(store: Store) -> None:
    tables = Tables(store.engine)
    number = store.open_cases[0]
    state = tables.read(number, 3)
    state["actor"] = "forged-agency"
    tables.write(number, 3, state)
    tables.rechain(number, 3, signer=FORGER)
    result = store.verify()
    assert result.returncode == 1
    assert f"{number} (process version" in result.stdout
    assert f"v1: it is signed by key {FORGER.key_id}, which is not among the trusted public keys" in result.stdout
    store.others_verified(result)


def edit_a_read_model_row(store: Store) -> None:
    number = store.open_cases[0]
    edit(store.projector, "UPDATE rm_cases SET status = ? WHERE number = ?", ("withdrawn", number))
    task = store.engine.get_case(store.long).open_tasks[0]["task"]
    edit(store.projector, "DELETE FROM rm_tasks WHERE task_id = ?", (task,))
    found = audit(store.url, store.cwd, "audit", "reconcile")
    assert found.returncode == 1, found.stdout + found.stderr
    assert f"rm_cases [number={number}] status: live 'withdrawn', rebuilt 'open'" in found.stdout
    assert f"rm_tasks [task_id={task}]" in found.stdout
    assert "2 differences" in found.stdout


def edit_a_stored_bpmn_source(store: Store) -> None:
    version = store.engine.get_case(store.completed).process_version
    tables = Tables(store.engine)
    source_id = uuid5(SOURCE_NAMESPACE, version)
    stored = tables.read(source_id, 1)
    stored["bundle"]["bpmn"]["text"] = stored["bundle"]["bpmn"]["text"].replace("Приём", "Приём (изм.)")
    tables.write(source_id, 1, stored)
    result = store.verify()
    assert result.returncode == 1
    assert "is not deployed" not in result.stdout
    for number in (store.completed, *store.open_cases, store.long, store.reader):
        assert f"{number}: process version {version}: its stored source was edited" in result.stdout
    store.others_verified(result, failed=store.total)  # all on that version: each its own verdict


def edit_a_snapshot(store: Store) -> None:
    tables = Tables(store.engine)
    snapshot = tables.read(store.long, SNAPSHOT_AT, tables.snapshots)
    snapshot["state"]["status"] = "completed"
    snapshot["state"]["office"] = "ELC"
    tables.write(store.long, SNAPSHOT_AT, snapshot, tables.snapshots)
    result = store.verify()
    assert result.returncode == 1
    assert f"{store.long} (process version" in result.stdout
    assert "its snapshot cannot be trusted: its state does not match its seal's digest (edited)" in result.stdout
    store.others_verified(result)


def edit_an_event_older_than_a_snapshot(store: Store) -> None:
    tables = Tables(store.engine)
    state = tables.read(store.long, 3)
    state["actor"] = "LPK/someone-else"
    tables.write(store.long, 3, state)
    result = store.verify()
    assert result.returncode == 1
    assert f"{store.long} (process version" in result.stdout
    assert "v3: the stored event does not match its hash chain" in result.stdout
    store.others_verified(result)
    _show_refuses(store, store.long)


def delete_a_personal_data_read_record(store: Store) -> None:
    AccessRows(store.engine).delete(store.reader, 3)  # the inspector's read
    result = store.verify()
    assert result.returncode == 1
    assert (
        f"{store.reader}: personal-data access log v4: the stored record does not match its hash chain"
    ) in result.stdout
    store.others_verified(result)


def delete_the_last_event_before_any_projection(store: Store) -> None:
    """The case's own chain and the read model cannot tell (the row and its read-model
    trace are both gone); the checkpoint the auditor kept can, and names case and version."""
    kept = store.checkpoint()
    log = Log(store.engine)
    log.delete(store.completed, 4)
    edit(store.projector, "DELETE FROM rm_cases WHERE number = ?", (store.completed,))
    result = store.verify("--against", str(kept))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"(case {store.completed} v4) is in the ledger but missing from the log (deleted)" in result.stdout
    assert "the kept checkpoint (sequence 1" in result.stdout
    store.others_verified(result, failed=0)  # its own chain holds: the checkpoint is the finding


def delete_the_last_event_and_its_ledger_row(store: Store) -> None:
    """Even without the kept file, the stored signed checkpoint's counts catch it."""
    store.checkpoint()
    log = Log(store.engine)
    last = log.notification_id(store.completed, 4)
    log.delete(store.completed, 4)
    log.sql(f"DELETE FROM {log.ledger} WHERE notification_id = {log.mark}", last)
    edit(store.projector, "DELETE FROM rm_cases WHERE number = ?", (store.completed,))
    result = store.verify()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "stored checkpoint 1 (sequence 1" in result.stdout, result.stdout
    assert f"it counted {store.total} cases" in result.stdout and f"the log now holds {store.total}, " in result.stdout


def delete_a_whole_case(store: Store) -> None:
    kept = store.checkpoint()
    Log(store.engine).forget_case(store.completed)
    result = store.verify("--against", str(kept))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the kept checkpoint (sequence 1" in result.stdout
    assert f"counted {store.total} cases" in result.stdout and f"now holds {store.total - 1}," in result.stdout
    total = store.total - 1
    assert f"{total} of {total} cases verified" in result.stdout  # every remaining case its verdict


def delete_the_last_personal_data_read_record(store: Store) -> None:
    kept = store.checkpoint()
    AccessRows(store.engine).delete(store.reader, 4)  # the last read: what is left still links
    result = store.verify("--against", str(kept))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "is in the ledger but missing from the log (deleted)" in result.stdout
    assert "the kept checkpoint (sequence 1" in result.stdout


def _edit_actor(store: Store, number: str, version: int) -> str:
    tables = Tables(store.engine)
    state = tables.read(number, version)
    state["actor"] = "someone-else"
    tables.write(number, version, state)
    return number


def _export(store: Store, *args: str) -> Any:
    return audit(store.url, store.cwd, "audit", "export", "--public-key", str(PUBLIC_KEY), *args)


def _integrity_marks(path: Path) -> dict[str, str | None]:
    """Each trace's case number and its okno:integrity attribute (None: none)."""
    from lxml import etree

    ns = {"x": "http://www.xes-standard.org/"}
    marks: dict[str, str | None] = {}
    for trace in etree.parse(str(path)).getroot().iterfind("x:trace", ns):
        name = trace.find("x:string[@key='concept:name']", ns)
        mark = trace.find("x:string[@key='okno:integrity']", ns)
        assert name is not None
        marks[str(name.get("value"))] = None if mark is None else str(mark.get("value"))
    return marks


def _case_id(number: str) -> Any:
    from engine.case import case_id_for

    return case_id_for(number)


def _read_model_versions(store: Store) -> dict[str, int]:
    from tests.projections.test_chain_guard import rows

    return {r["number"]: r["version"] for r in rows(store.projector, "SELECT number, version FROM rm_cases")}


def _show_refuses(store: Store, number: str) -> None:
    shown = audit(store.url, store.cwd, "case", "show", number)
    assert shown.returncode == 2, shown.stdout + shown.stderr
    assert f"case {number} cannot be loaded" in shown.stderr
    assert "internal error" not in shown.stderr


Row = Callable[[Store], None]
ROWS: list[Any] = [
    pytest.param(one_byte_of_an_events_json, id="one byte of an event's JSON, recompressed"),
    pytest.param(one_byte_of_an_events_json_in_history, id="one byte of an event's JSON: history warns"),
    pytest.param(one_byte_of_an_events_json_in_the_xes_export, id="one byte of an event's JSON: XES marks the trace"),
    pytest.param(one_bit_of_the_compressed_state, id="one bit of the compressed state"),
    pytest.param(
        one_bit_of_the_compressed_state_in_history_and_export, id="one bit of the compressed state: export goes on"
    ),
    pytest.param(one_bit_of_the_compressed_state_in_a_rebuild, id="one bit of the compressed state: rebuild goes on"),
    pytest.param(
        one_bit_of_the_compressed_state_before_the_worker, id="one bit of the compressed state: the worker goes on"
    ),
    pytest.param(delete_a_middle_event, id="delete a middle event"),
    pytest.param(swap_two_versions, id="swap two versions"),
    pytest.param(delete_the_last_event_of_a_projected_case, id="delete the last event (projected)"),
    # The row's other half: caught by the store-wide chain and signed checkpoints.
    pytest.param(delete_the_last_event_before_any_projection, id="delete the last event (before any projection)"),
    pytest.param(delete_the_last_event_and_its_ledger_row, id="delete the last event and its ledger row"),
    pytest.param(insert_an_event_copied_from_another_case, id="insert an event copied from another case"),
    pytest.param(edit_and_rechain_with_okno_code, id="edit an event, recompute effects and chain with okno code"),
    pytest.param(edit_and_resign_with_the_administrators_key, id="edit an event, re-sign with another key"),
    pytest.param(edit_a_read_model_row, id="edit a read-model row"),
    pytest.param(edit_a_stored_bpmn_source, id="edit a stored BPMN source"),
    pytest.param(edit_a_snapshot, id="edit a snapshot"),
    pytest.param(edit_an_event_older_than_a_snapshot, id="edit an event older than a snapshot"),
    pytest.param(delete_a_whole_case, id="delete a whole case"),
    pytest.param(delete_a_personal_data_read_record, id="delete a personal-data read record"),
    pytest.param(delete_the_last_personal_data_read_record, id="delete the last personal-data read record"),
]


class TestTamperTable(BackendContract):
    def test_an_untouched_store_verifies_and_reconciles(self, engines: EngineMaker, url: str, tmp_path: Path) -> None:
        store = build(engines(), url, tmp_path)
        result = store.verify()
        assert result.returncode == 0, result.stdout + result.stderr
        store.others_verified(result, failed=0)
        assert audit(url, tmp_path, "audit", "reconcile").returncode == 0

    @pytest.mark.parametrize("row", ROWS)
    def test_the_tamper_is_detected_naming_case_and_version(
        self, row: Row, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        row(build(engines(), url, tmp_path))
