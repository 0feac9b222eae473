"""Auditors can trust a history: an event edited, deleted or reordered in the database
makes `okno audit verify` fail, naming the case and the version, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from engine.application import Engine
from engine.case import case_id_for
from tests.commands import okno
from tests.conftest import MASTER_KEY, BackendContract, EngineMaker, at, seeded


class Rows:
    """Raw access to the stored events, as someone with database access would have."""

    def __init__(self, engine: Engine) -> None:
        self.datastore: Any = engine.store.recorder.datastore  # type: ignore[attr-defined]
        self.postgres = engine.config.is_postgres
        name = engine.store.recorder.events_table_name  # type: ignore[attr-defined]
        self.table = f"{self.datastore.schema}.{name}" if self.postgres else name
        self.mark = "%s" if self.postgres else "?"

    def read(self, number: str, version: int) -> dict[str, Any]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT state FROM {self.table} WHERE originator_id = {self.mark} "
                f"AND originator_version = {self.mark}",
                (self._id(number), version),
            )
            row = cursor.fetchone()
        state = row["state"] if isinstance(row, dict) else row[0]
        result: dict[str, Any] = json.loads(zlib.decompress(bytes(state)))
        return result

    def write(self, number: str, version: int, state: dict[str, Any]) -> None:
        blob = zlib.compress(json.dumps(state, separators=(",", ":")).encode())
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"UPDATE {self.table} SET state = {self.mark} WHERE originator_id = {self.mark} "
                f"AND originator_version = {self.mark}",
                (blob, self._id(number), version),
            )

    def delete(self, number: str, version: int) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"DELETE FROM {self.table} WHERE originator_id = {self.mark} AND originator_version = {self.mark}",
                (self._id(number), version),
            )

    def _id(self, number: str) -> Any:
        return case_id_for(number) if self.postgres else case_id_for(number).hex


class TestIntegrity(BackendContract):
    def history(self, engines: EngineMaker) -> tuple[Engine, list[str]]:
        engine = seeded(engines())
        numbers = []
        for _ in range(3):
            number = engine.open_case(
                service="mini_service", office="LPK", channel="window", applicant={}, actor="op", at=at()
            ).number
            engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(5))
            engine.deliver_message(number, "agency_answer", {}, actor="agency", at=at(days=1))
            numbers.append(number)
        return engine, numbers

    def verify(self, url: str, tmp_path: Path, *options: str) -> Any:
        return okno(
            "audit",
            "verify",
            "--all",
            *options,
            cwd=tmp_path,
            env={"OKNO_DATABASE_URL": url, "OKNO_MASTER_KEY": base64.b64encode(MASTER_KEY).decode()},
        )

    def test_an_untouched_history_verifies(self, engines: EngineMaker, url: str, tmp_path: Path) -> None:
        self.history(engines)
        result = self.verify(url, tmp_path)
        assert result.returncode == 0 and "3 of 3 cases verified, 0 diverged" in result.stdout, result.stdout

    def test_an_edited_event_fails_verify_naming_the_case(self, engines: EngineMaker, url: str, tmp_path: Path) -> None:
        engine, numbers = self.history(engines)
        rows = Rows(engine)
        state = rows.read(numbers[1], 2)
        state["actor"] = "someone-else"  # the effects still replay: only the chain can tell
        rows.write(numbers[1], 2, state)
        result = self.verify(url, tmp_path)
        assert result.returncode == 1
        assert f"{numbers[1]} v2: the stored event does not match its hash chain" in result.stdout
        assert "2 of 3 cases verified, 1 diverged" in result.stdout

    def test_a_deleted_or_reordered_event_fails_verify(self, engines: EngineMaker, url: str, tmp_path: Path) -> None:
        engine, numbers = self.history(engines)
        rows = Rows(engine)
        rows.delete(numbers[0], 2)
        second, third = rows.read(numbers[2], 2), rows.read(numbers[2], 3)
        rows.write(numbers[2], 2, third)
        rows.write(numbers[2], 3, second)
        result = self.verify(url, tmp_path)
        assert result.returncode == 1
        assert f"{numbers[0]} v3" in result.stdout and f"{numbers[2]} v2" in result.stdout
        assert "1 of 3 cases verified, 2 diverged" in result.stdout

    @pytest.mark.slow
    def test_verify_in_two_processes_names_the_same_divergences(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine, numbers = self.history(engines)
        rows = Rows(engine)
        state = rows.read(numbers[1], 2)
        state["effects"]["stage"] = "Выдано"  # an effect the input does not give
        rows.write(numbers[1], 2, state)
        result = self.verify(url, tmp_path, "--jobs", "2")
        assert result.returncode == 1
        assert f"{numbers[1]} v2 TaskCompleted: effects differ" in result.stdout, result.stdout
        assert f"{numbers[1]} v2: the stored event does not match its hash chain" in result.stdout
        assert "2 of 3 cases verified, 1 diverged" in result.stdout
