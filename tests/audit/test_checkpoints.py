"""The store-wide chain and signed checkpoints: what a case's own chain cannot see — its
last events deleted, the whole case deleted, the log truncated or reordered — is caught
against a checkpoint the auditor kept outside the database, with a message naming the
case and version (from the ledger) or the checkpoint; every other case keeps its verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.application import Engine
from engine.case import case_id_for
from engine.checkpoints import Checkpoint
from tests.audit.tampering import PUBLIC_KEY, Tables, audit
from tests.audit.test_signed_chain import three_cases
from tests.conftest import BackendContract, EngineMaker, at, seeded

# Slow: each test fills a store, signs checkpoints and breaks them (seconds each); the README's command runs them.
pytestmark = pytest.mark.slow


class Log(Tables):
    """Raw access to the notification order and the ledger and checkpoints tables."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.id_column = "notification_id" if self.postgres else "rowid"
        self.ledger = self._table("okno_ledger")
        self.checkpoints = self._table("okno_checkpoints")

    def sql(self, statement: str, *params: Any) -> list[Any]:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(statement, params)
            try:
                return list(cursor.fetchall())
            except Exception:  # a statement with no rows to fetch
                return []

    def notification_id(self, number: str, version: int) -> int:
        rows = self.sql(
            f"SELECT {self.id_column} AS n FROM {self.events} WHERE originator_id = {self.mark} "
            f"AND originator_version = {self.mark}",
            self._id(number),
            version,
        )
        row = rows[0]
        return int(row["n"] if isinstance(row, dict) else row[0])

    def swap(self, first: int, second: int) -> None:
        """Two events change places in the log (their notification ids swapped)."""
        spare = 10**9
        for old, new in ((first, spare), (second, first), (spare, second)):
            self.sql(
                f"UPDATE {self.events} SET {self.id_column} = {self.mark} WHERE {self.id_column} = {self.mark}",
                new,
                old,
            )

    def forget_case(self, number: str) -> None:
        """Delete a whole case: its events, and its rows in the ledger too."""
        self.sql(f"DELETE FROM {self.events} WHERE originator_id = {self.mark}", self._id(number))
        self.sql(f"DELETE FROM {self.ledger} WHERE originator_id = {self.mark}", str(case_id_for(number)))


def checkpointed(engine: Engine, tmp_path: Path, url: str) -> tuple[list[str], Path]:
    """Three completed cases, a signed checkpoint over them, exported for the auditor."""
    numbers = three_cases(engine)
    assert engine.signer is not None
    engine.notary().checkpoint(engine.signer, at(days=2))
    kept = tmp_path / "kept-checkpoint.json"
    result = audit(url, tmp_path, "audit", "checkpoint", "--output", str(kept))
    assert result.returncode == 0, result.stdout + result.stderr
    return numbers, kept


def verify_against(url: str, tmp_path: Path, kept: Path) -> Any:
    return audit(url, tmp_path, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY), "--against", str(kept))


class TestCheckpoints(BackendContract):
    def test_an_untouched_store_verifies_against_its_checkpoint_and_events_after_it_only_continue_the_chain(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        _, kept = checkpointed(engine, tmp_path, url)
        checkpoint = Checkpoint.from_json(kept.read_text())
        assert (checkpoint.sequence, checkpoint.cases, checkpoint.events) == (1, 3, 9)
        assert checkpoint.timestamp_token is None and checkpoint.signature
        three_cases(engine, day=3)  # after the checkpoint's head: linked later, not counted by it
        engine.notary().follow()
        result = verify_against(url, tmp_path, kept)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "6 of 6 cases verified" in result.stdout
        assert f"checked against kept checkpoint 1 (head notification {checkpoint.head})" in result.stdout

    def test_an_event_deleted_after_the_head_breaks_the_ledgers_continuity_not_the_checkpoint(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        _, kept = checkpointed(engine, tmp_path, url)
        later = three_cases(engine, day=3)
        engine.notary().follow()
        Log(engine).delete(later[0], 3)
        result = verify_against(url, tmp_path, kept)
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"(case {later[0]} v3) is in the ledger but missing from the log (deleted)" in result.stdout
        assert "the kept checkpoint (sequence 1" not in result.stdout  # the log up to its head is intact

    def test_deleting_a_completed_cases_last_event_is_named_by_case_and_version(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        numbers, kept = checkpointed(engine, tmp_path, url)
        Log(engine).delete(numbers[1], 3)  # the case reopens: what is left still links
        result = verify_against(url, tmp_path, kept)
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"(case {numbers[1]} v3) is in the ledger but missing from the log (deleted)" in result.stdout
        assert "the kept checkpoint (sequence 1" in result.stdout
        assert "counted 3 cases, 9 case events" in result.stdout and "now holds 3, 8," in result.stdout
        assert "3 of 3 cases verified" in result.stdout  # every case still has its own verdict

    def test_deleting_the_last_event_and_its_ledger_row_is_caught_by_the_stored_checkpoint_without_the_file(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        numbers, _ = checkpointed(engine, tmp_path, url)
        log = Log(engine)
        last = log.notification_id(numbers[2], 3)
        log.delete(numbers[2], 3)
        log.sql(f"DELETE FROM {log.ledger} WHERE notification_id = {log.mark}", last)
        result = audit(url, tmp_path, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY))
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"stored checkpoint 1 (sequence 1, head notification {last}" in result.stdout
        assert "now holds 3, 8," in result.stdout

    def test_deleting_a_whole_case_with_its_ledger_rows_is_caught_by_the_kept_checkpoints_count(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        numbers, kept = checkpointed(engine, tmp_path, url)
        Log(engine).forget_case(numbers[0])
        result = verify_against(url, tmp_path, kept)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "the kept checkpoint (sequence 1" in result.stdout
        assert "counted 3 cases, 9 case events" in result.stdout and "now holds 2, 6," in result.stdout
        assert "2 of 2 cases verified" in result.stdout

    def test_deleting_middle_events_names_each_by_case_and_version(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        numbers, kept = checkpointed(engine, tmp_path, url)
        log = Log(engine)
        log.delete(numbers[0], 2)
        log.delete(numbers[2], 2)
        result = verify_against(url, tmp_path, kept)
        assert result.returncode == 1, result.stdout + result.stderr
        for number in (numbers[0], numbers[2]):
            assert f"(case {number} v2) is in the ledger but missing from the log (deleted)" in result.stdout
        assert "1 of 3 cases verified, 2 diverged" in result.stdout  # their own chains break as well

    def test_reordering_the_log_names_the_notifications_that_moved(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        numbers, kept = checkpointed(engine, tmp_path, url)
        log = Log(engine)
        first, second = log.notification_id(numbers[0], 3), log.notification_id(numbers[1], 3)
        log.swap(first, second)  # each case's own chain still holds
        result = verify_against(url, tmp_path, kept)
        assert result.returncode == 1, result.stdout + result.stderr
        assert (
            f"notification {first}: the ledger recorded case {numbers[0]} v3, the log now holds case {numbers[1]} v3"
            in result.stdout
        )
        assert "the kept checkpoint (sequence 1" in result.stdout
        assert "3 of 3 cases verified" in result.stdout

    def test_an_event_inserted_before_the_head_is_named(self, engines: EngineMaker, url: str, tmp_path: Path) -> None:
        engine = seeded(engines())
        numbers, kept = checkpointed(engine, tmp_path, url)
        log = Log(engine)
        after = log.notification_id(numbers[0], 3)
        # Room made in the log, and a copy of another case's event put there.
        log.sql(
            f"UPDATE {log.events} SET {log.id_column} = {log.id_column} + 1000 WHERE {log.id_column} > {log.mark}",
            after,
        )
        copied = log.blob(numbers[1], 3)
        topic = log.sql(
            f"SELECT topic FROM {log.events} WHERE originator_id = {log.mark} AND originator_version = 3",
            log._id(numbers[1]),
        )[0]
        log.sql(
            f"INSERT INTO {log.events} ({log.id_column}, originator_id, originator_version, topic, state) "
            f"VALUES ({log.mark}, {log.mark}, 4, {log.mark}, {log.mark})",
            after + 1,
            log._id(numbers[0]),
            topic["topic"] if isinstance(topic, dict) else topic[0],
            copied,
        )
        result = verify_against(url, tmp_path, kept)
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"notification {after + 1}: the ledger recorded case {numbers[1]} v1" in result.stdout
        assert "the kept checkpoint (sequence 1" in result.stdout
        assert "2 of 3 cases verified, 1 diverged" in result.stdout

    def test_a_kept_checkpoint_edited_by_hand_fails_its_signature(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        _, kept = checkpointed(engine, tmp_path, url)
        data = json.loads(kept.read_text())
        data["head"] -= 3  # moved back, to hide the events after it
        kept.write_text(json.dumps(data))
        result = verify_against(url, tmp_path, kept)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "the kept checkpoint cannot be trusted: checkpoint 1" in result.stdout
        assert "was edited: its content does not hash to its hash" in result.stdout

    def test_stored_checkpoints_form_a_chain_a_deleted_one_breaks(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        checkpointed(engine, tmp_path, url)
        assert engine.signer is not None
        for day in (3, 5):
            three_cases(engine, day=day)
            made = engine.notary().checkpoint(engine.signer, at(days=day + 2))
            assert made is not None
        latest = engine.checkpoints.latest()
        assert latest is not None and latest.sequence == 3
        log = Log(engine)
        log.sql(f"DELETE FROM {log.checkpoints} WHERE sequence = 2")
        result = audit(url, tmp_path, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY))
        assert result.returncode == 1, result.stdout + result.stderr
        assert "stored checkpoints 2..2 are missing (deleted)" in result.stdout
        assert "stored checkpoint 3 does not name checkpoint 1's hash" in result.stdout


def test_the_worker_signs_checkpoints_and_the_auditor_exports_the_latest(
    engines: EngineMaker, sqlite_url: str, tmp_path: Path
) -> None:
    engine = seeded(engines())
    three_cases(engine)
    nothing = audit(sqlite_url, tmp_path, "audit", "checkpoint", "--output", str(tmp_path / "none.json"))
    assert nothing.returncode == 2 and "no checkpoint yet" in nothing.stderr
    worked = audit(sqlite_url, tmp_path, "worker", "--once")
    assert worked.returncode == 0, worked.stdout + worked.stderr
    assert (
        "checkpoint 1 signed at notification" in worked.stdout and "(3 cases, 12 case events)" in worked.stdout
    )  # with the timers it fired
    again = audit(sqlite_url, tmp_path, "worker", "--once")
    assert "checkpoint" not in again.stdout  # nothing new: no new checkpoint
    saved = audit(sqlite_url, tmp_path, "audit", "checkpoint", "--output", str(tmp_path / "kept.json"))
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert "checkpoint 1 (head notification" in saved.stdout
