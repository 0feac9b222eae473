"""`okno audit history` reads as people need it: the model's element names, who did what,
the stage, times in the office's own time zone; with --as-of, the case's state at that
moment (a date alone: the end of that day in the office's zone), personal fields masked."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from engine.bpmn.sources import collect_sources
from engine.offices import Office
from tests.commands import okno
from tests.conftest import FIXTURES, MASTER_KEY, MINI_SERVICE, T0, EngineMaker, at

# Slow: each test runs cases on a store of its own (seconds each); the README's command runs them.
pytestmark = pytest.mark.slow

# The office is in Novosibirsk (UTC+7), so a history in Moscow time or UTC would be wrong.
NSK = Office("NSK", "МФЦ г. Новосибирск", "centre", "Новосибирск", 4, timezone="Asia/Novosibirsk")
PERSONAL = '<camunda:property id="personal" value="true"/>'


def mini_with_a_personal_field(tmp_path: Path) -> Path:
    """The test model, its "pages" field declared personal data (a test's own model)."""
    text = (FIXTURES / "mini.bpmn").read_text(encoding="utf-8")
    plain = '<camunda:formField id="pages" label="Листов" type="long"/>'
    assert plain in text
    personal = (
        '<camunda:formField id="pages" label="Листов" type="long">'
        f"<camunda:properties>{PERSONAL}</camunda:properties></camunda:formField>"
    )
    path = tmp_path / "models" / "mini.bpmn"
    path.parent.mkdir()
    path.write_text(text.replace(plain, personal), encoding="utf-8")
    return path


def a_case(engines: EngineMaker, tmp_path: Path) -> str:
    """Opened 16:00 Novosibirsk time, claimed 16:02, done 16:07; the agency answers next day."""
    engine = engines()
    report = engine.deploy(collect_sources([mini_with_a_personal_field(tmp_path)]), T0)
    assert report.ok, report.problems
    engine.publish_catalog([MINI_SERVICE], T0)
    engine.register_offices([NSK], T0)
    case = engine.open_case(service="mini_service", office="NSK", channel="window", applicant={}, actor="op", at=at())
    engine.claim_task(case.number, case.open_tasks[0]["task"], actor="anna", at=at(2))
    engine.complete_task(
        case.number, "Task_Reception", {"documents_complete": True, "pages": 73}, actor="anna", at=at(7)
    )
    engine.deliver_message(case.number, "agency_answer", {}, actor="agency", at=at(days=1))
    return case.number


def history(sqlite_url: str, tmp_path: Path, *args: str) -> Any:
    env = {"OKNO_DATABASE_URL": sqlite_url, "OKNO_MASTER_KEY": base64.b64encode(MASTER_KEY).decode()}
    result = okno("audit", "history", *args, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_history_names_elements_actors_and_stages_with_times_in_the_office_zone(
    engines: EngineMaker, sqlite_url: str, tmp_path: Path
) -> None:
    number = a_case(engines, tmp_path)
    out = history(sqlite_url, tmp_path, number)
    assert "times in Asia/Novosibirsk" in out
    assert "v1 2026-11-02 16:00:00 +07 Заявление принято — op; stage: Приём документов" in out
    assert "v2 2026-11-02 16:02:00 +07 Задача «Приём» взята в работу: anna — anna" in out
    assert "v3 2026-11-02 16:07:00 +07 Выполнена задача «Приём» — anna; stage: Рассмотрение в ведомстве" in out
    assert "v4 2026-11-03 16:00:00 +07 Получен ответ ведомства: agency_answer — agency" in out
    headlines = [line for line in out.splitlines() if line.startswith("v")]
    assert not any("Task_Reception" in line for line in headlines), "element ids are for machines"


def test_as_of_a_moment_prints_the_case_state_then(engines: EngineMaker, sqlite_url: str, tmp_path: Path) -> None:
    number = a_case(engines, tmp_path)
    out = history(sqlite_url, tmp_path, number, "--as-of", "2026-11-02T16:03")  # office time: claimed, not done
    assert "v2 " in out and "v3 " not in out
    assert "as of 2026-11-02 16:03:00 +07: open; stage: Приём документов" in out
    assert "  open task «Приём» (operator, held by anna)" in out


def test_as_of_a_date_means_the_end_of_that_day_in_the_office_zone(
    engines: EngineMaker, sqlite_url: str, tmp_path: Path
) -> None:
    number = a_case(engines, tmp_path)
    out = history(sqlite_url, tmp_path, number, "--as-of", "2026-11-02")
    assert "v3 " in out and "v4 " not in out, "the whole day's events, and none of the next"
    assert "as of 2026-11-02 23:59:59 +07: open; stage: Рассмотрение в ведомстве" in out
    assert "  no open tasks" in out
    assert '"documents_complete": true' in out
    help_text = okno("audit", "history", "--help", cwd=tmp_path).stdout
    assert "end of that day in the office's time zone" in " ".join(help_text.split())


def test_personal_fields_are_masked_in_the_history_and_the_state(
    engines: EngineMaker, sqlite_url: str, tmp_path: Path
) -> None:
    number = a_case(engines, tmp_path)
    out = history(sqlite_url, tmp_path, number, "--as-of", "2026-11-02")
    assert "73" not in "".join(out.split(number)), "a personal value never shows"
    state = out[out.index("as of ") :]
    assert '"pages": "•••"' in state
