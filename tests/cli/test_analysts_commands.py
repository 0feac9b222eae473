"""Issue 19: `okno validate` and `okno deploy` take the paths analysts type — a catalog.toml
by itself, the shell's `processes/*.bpmn` — and deploy says what it did to every service."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from okno.cli import cli
from tests.conftest import ROOT

PROCESSES = ROOT / "processes"
ANALYSTS_CATALOG = """
[[service]]
code = "analyst_certificate"
title = "Справка, добавленная аналитиком"
agency = "Тестовое ведомство"
level = "regional"
term_days = 3
documents = ["Паспорт"]
fee = 0
process = "child_benefit"
"""


def run(*args: str, database: Path | None = None) -> Result:
    env = {"OKNO_DATABASE_URL": f"sqlite:///{database}"} if database else None
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_validate_reads_a_catalog_named_alone_as_a_catalog_checked_against_the_models_beside_it() -> None:
    result = run("validate", str(PROCESSES / "catalog.toml"))
    assert result.exit_code == 0, result.output
    assert "ok child_benefit" in result.output
    assert "ok catalog: " in result.output
    assert "not well-formed XML" not in result.output


def test_validate_names_a_catalogs_process_missing_beside_it(tmp_path: Path) -> None:
    (tmp_path / "catalog.toml").write_text(ANALYSTS_CATALOG.replace("child_benefit", "no_such_process"), "utf-8")
    (tmp_path / "child_benefit.bpmn").write_bytes((PROCESSES / "child_benefit.bpmn").read_bytes())
    (tmp_path / "child_benefit_eligibility.dmn").write_bytes((PROCESSES / "child_benefit_eligibility.dmn").read_bytes())
    result = run("validate", str(tmp_path / "catalog.toml"))
    assert result.exit_code == 1
    assert (
        "service analyst_certificate: process 'no_such_process' is not among the files validated "
        "(the models beside the catalog)" in result.output
    )


def test_validate_of_the_shells_bpmn_glob_finds_the_dmn_files_beside_each_model() -> None:
    models = sorted(str(p) for p in PROCESSES.glob("*.bpmn"))  # what `processes/*.bpmn` expands to
    result = run("validate", *models)
    assert result.exit_code == 0, result.output
    assert "ok child_benefit" in result.output


def test_a_model_named_alone_is_the_version_its_folder_deploys() -> None:
    alone = run("validate", str(PROCESSES / "property_registration.bpmn"))
    folder = run("validate", str(PROCESSES))
    [line] = [x for x in alone.output.splitlines() if x.startswith("ok property_registration ")]
    assert line.split()[2] in folder.output  # the message contract beside it is part of its version


def test_a_flow_named_alone_brings_the_common_processes_it_calls_from_beside_it() -> None:
    """An agency flow calls the centre's common processes (mfc_*.bpmn), each in its own file:
    named alone it validates, as the same version its folder deploys."""
    alone = run("validate", str(PROCESSES / "mvd_passport.bpmn"))
    assert alone.exit_code == 0, alone.output
    [line] = [x for x in alone.output.splitlines() if x.startswith("ok mvd_passport ")]
    assert "mfc_reception.bpmn" in line and "mfc_handout.bpmn" in line
    assert line.split()[2] in run("validate", str(PROCESSES)).output


def test_a_dmn_file_beside_that_the_model_does_not_call_is_not_read(tmp_path: Path) -> None:
    for name in ("child_benefit.bpmn", "child_benefit_eligibility.dmn"):
        (tmp_path / name).write_bytes((PROCESSES / name).read_bytes())
    (tmp_path / "unrelated.dmn").write_text("<not dmn", "utf-8")
    result = run("validate", str(tmp_path / "child_benefit.bpmn"))
    assert result.exit_code == 0, result.output


@pytest.mark.slow  # deploys the shipped models three times
def test_deploy_reads_a_catalog_by_path_and_keeps_and_names_a_service_it_does_not_mention(tmp_path: Path) -> None:
    database = tmp_path / "okno.sqlite"
    first = run("deploy", str(PROCESSES), database=database)
    assert first.exit_code == 0, first.output
    analysts = tmp_path / "analysts.toml"
    analysts.write_text(ANALYSTS_CATALOG, "utf-8")
    added = run("deploy", str(analysts), database=database)
    assert added.exit_code == 0, added.output
    assert "catalog: added analyst_certificate" in added.output
    assert "catalog: 1 added, 0 updated, 0 unchanged, " in added.output
    again = run("deploy", str(PROCESSES / "catalog.toml"), database=database)
    assert again.exit_code == 0, again.output
    assert (
        "catalog: kept analyst_certificate: deployed, not in this catalog (`okno retire analyst_certificate` "
        "to retire it)" in again.output
    )
    assert "catalog: 0 added, 0 updated, " in again.output and ", 1 kept" in again.output


def test_the_shells_processes_glob_checks_the_calendar_as_a_calendar_and_skips_what_is_not_a_model() -> None:
    everything = sorted(str(p) for p in PROCESSES.iterdir())  # what `processes/*` expands to
    result = run("validate", *everything)
    assert result.exit_code == 0, result.output
    assert "no [[service]] entries" not in result.output  # calendar.toml is not read as a catalog
    assert "ok calendar " in result.output and "calendar.toml: 1 working day(s)" in result.output
    assert "ok catalog: " in result.output
    assert f"warning: {PROCESSES / 'README.md'}: skipped: not a model" in result.output
    assert "not well-formed XML" not in result.output


def test_a_broken_calendar_is_a_problem_at_its_file(tmp_path: Path) -> None:
    calendar = tmp_path / "calendar.toml"
    calendar.write_text('[[day]]\ndate = "2026-13-01"\nworking = true\n', "utf-8")
    result = run("validate", str(PROCESSES / "child_benefit.bpmn"), str(calendar))
    assert result.exit_code == 1
    assert f"{calendar}: month must be in 1..12" in result.output


def test_a_catalog_problem_names_the_catalog_file_it_is_in(tmp_path: Path) -> None:
    catalog = tmp_path / "region_catalog.toml"
    catalog.write_text(ANALYSTS_CATALOG.replace("child_benefit", "no_such_process"), "utf-8")
    result = run("validate", str(PROCESSES / "child_benefit.bpmn"), str(catalog))
    assert result.exit_code == 1
    assert f"{catalog}: service analyst_certificate: process 'no_such_process' is not among the files validated" in (
        result.output
    )


def test_naming_only_what_is_not_a_model_is_an_error_not_a_silent_pass() -> None:
    result = run("validate", str(PROCESSES / "README.md"))
    assert result.exit_code == 1
    assert "nothing to read: " in result.output and "README.md: not a model" in result.output
