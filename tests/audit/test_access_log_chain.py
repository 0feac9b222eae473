"""The personal-data access log is chained like a case's history: a read record deleted
or edited in the database makes `okno audit verify` fail, naming the case and the record."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from engine.access_log import access_log_id
from engine.application import Engine
from engine.case import case_id_for
from tests.commands import okno
from tests.conftest import MASTER_KEY, BackendContract, EngineMaker, at, seeded
from tests.engine.test_integrity import Rows

# Slow: each test fills a store and damages its access log (seconds each); the README's command runs them.
pytestmark = pytest.mark.slow


class AccessRows(Rows):
    """The stored records of a case's personal-data access log, as a database administrator sees them."""

    def _id(self, number: str) -> Any:
        log = access_log_id(case_id_for(number))
        return log if self.postgres else log.hex


class TestAccessLogChain(BackendContract):
    def reads(self, engines: EngineMaker) -> tuple[Engine, str]:
        engine = seeded(engines())
        number = engine.open_case(
            service="mini_service",
            office="LPK",
            channel="window",
            applicant={"full_name": "Иванов Иван"},
            actor="op",
            at=at(),
        ).number
        for minutes, actor in ((1, "op"), (2, "inspector"), (3, "op")):
            engine.read_applicant(number, actor=actor, role="operator", purpose="проверка", at=at(minutes))
        return engine, number

    def verify(self, url: str, tmp_path: Path) -> Any:
        return okno(
            "audit",
            "verify",
            "--all",
            cwd=tmp_path,
            env={"OKNO_DATABASE_URL": url, "OKNO_MASTER_KEY": base64.b64encode(MASTER_KEY).decode()},
        )

    def test_an_untouched_access_log_verifies(self, engines: EngineMaker, url: str, tmp_path: Path) -> None:
        self.reads(engines)
        result = self.verify(url, tmp_path)
        assert result.returncode == 0 and "1 of 1 cases verified, 0 diverged" in result.stdout, result.stdout

    def test_a_deleted_personal_data_read_record_fails_verify(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine, number = self.reads(engines)
        AccessRows(engine).delete(number, 3)  # the inspector's read
        result = self.verify(url, tmp_path)
        assert result.returncode == 1, result.stdout
        assert f"{number}: personal-data access log v4: the stored record does not match its hash chain" in (
            result.stdout
        )
        assert "0 of 1 cases verified, 1 diverged" in result.stdout

    def test_an_edited_personal_data_read_record_fails_verify(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine, number = self.reads(engines)
        rows = AccessRows(engine)
        state = rows.read(number, 3)
        state["actor"] = "op"  # the inspector's read passed off as the operator's
        rows.write(number, 3, state)
        result = self.verify(url, tmp_path)
        assert result.returncode == 1, result.stdout
        assert f"{number}: personal-data access log v3: the stored record does not match its hash chain" in (
            result.stdout
        )
