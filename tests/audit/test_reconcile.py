"""Issue 18: an edited read-model row (a case set to withdrawn, a task row deleted) was shown
by GraphQL and seen by nothing. `okno audit reconcile` rebuilds the models from the events in
a scratch place and names every difference: table, key, column, live and rebuilt values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.application import Engine
from projections.base import transaction
from projections.reconcile import Difference, reconcile
from projections.runner import Projector, all_models
from tests.commands import okno
from tests.conftest import BackendContract, EngineMaker, at, seeded
from tests.engine.test_case_engine import open_mini

# Slow: each test fills a store and edits its read models (seconds each); the README's command runs them.
pytestmark = pytest.mark.slow

RECEIVED = {"documents_complete": True, "pages": 4}


def projected(engine: Engine) -> tuple[Projector, str, str]:
    """Two cases, one past reception, every model caught up."""
    first, second = open_mini(engine), open_mini(engine, at=at(2))
    engine.complete_task(first, "Task_Reception", RECEIVED, actor="LPK/operator", at=at(5))
    projector = Projector(engine)
    projector.catch_up()
    return projector, first, second


def edit(projector: Projector, sql: str, params: tuple[Any, ...]) -> None:
    with transaction(projector.datastore, projector.dialect, commit=True) as db:
        db.execute(sql, params)


def everything(projector: Projector) -> dict[str, list[dict[str, Any]]]:
    with transaction(projector.datastore, projector.dialect, commit=False) as db:
        return {
            table: sorted(db.rows(f"SELECT * FROM {table}"), key=repr)
            for model in projector.models
            for table in model.table_names()
        }


class TestReconcile(BackendContract):
    def test_read_models_folded_from_the_events_have_no_difference(self, engines: EngineMaker) -> None:
        projector, _, _ = projected(seeded(engines()))
        assert reconcile(projector, all_models) == []

    def test_an_edited_case_row_and_a_deleted_task_row_are_each_named_with_both_values(
        self, engines: EngineMaker
    ) -> None:
        projector, first, second = projected(seeded(engines()))
        edit(projector, "UPDATE rm_cases SET status = ? WHERE number = ?", ("withdrawn", first))
        task = projector.engine.get_case(second).open_tasks[0]["task"]
        edit(projector, "DELETE FROM rm_tasks WHERE task_id = ?", (task,))
        before = everything(projector)

        differences = reconcile(projector, all_models)

        assert Difference("rm_cases", f"number={first}", "status", "withdrawn", "open") in differences
        assert Difference("rm_tasks", f"task_id={task}", "(row)", None, "present") in differences
        assert len(differences) == 2, [d.line() for d in differences]
        assert everything(projector) == before  # the live models are read, never touched

    def test_events_recorded_after_the_live_models_position_are_not_a_difference(self, engines: EngineMaker) -> None:
        projector, _, _ = projected(seeded(engines()))
        # A worker that has not folded these yet: the rebuild stops where the live model is.
        open_mini(projector.engine, at=at(9))
        projector.engine.complete_task(
            open_mini(projector.engine, at=at(10)), "Task_Reception", RECEIVED, actor="LPK/operator", at=at(12)
        )
        assert reconcile(projector, all_models) == []

    def test_okno_audit_reconcile_lists_the_differences_and_exits_1(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        projector, first, _ = projected(seeded(engines()))
        clean = okno("audit", "reconcile", cwd=tmp_path, env={"OKNO_DATABASE_URL": url})
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert "0 differences" in clean.stdout
        edit(projector, "UPDATE rm_cases SET status = ? WHERE number = ?", ("withdrawn", first))
        found = okno("audit", "reconcile", cwd=tmp_path, env={"OKNO_DATABASE_URL": url})
        assert found.returncode == 1, found.stdout + found.stderr
        assert f"rm_cases [number={first}] status: live 'withdrawn', rebuilt 'open'" in found.stdout
        assert "1 differences" in found.stdout
