"""Issue 19: a deploy adds and updates services and never drops one silently; retiring is
explicit; the `services` read model and openCase agree on which services take cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from click.testing import CliRunner

from engine.application import Engine
from engine.catalog import Service
from engine.directory import Directory
from engine.errors import ServiceRetired, UnknownService
from okno.bootstrap import shipped_processes
from okno.cli.models import _deploy
from projections import directory as directory_rows
from projections.reader import Reader
from projections.runner import Projector
from tests.conftest import MINI_SERVICE, OFFICE, T0, BackendContract, EngineMaker, at, mini_sources

ANALYSTS = Service(
    "analyst_certificate", "Справка аналитика", "Тестовое ведомство", "regional", 3, ("Паспорт",), 0, "mini"
)


def open_case(engine: Engine, service: str) -> str:
    return engine.open_case(
        service=service, office="LPK", channel="window", actor="LPK/operator", at=at(), applicant={}
    ).number


def listed(engine: Engine) -> list[str]:
    """The codes GraphQL `services` answers (its resolver reads exactly this)."""
    projector = Projector(engine)
    projector.catch_up()
    return [row.code for row in directory_rows.services(Reader(projector))]


def with_analysts_service(engine: Engine) -> Engine:
    assert engine.deploy(mini_sources(), T0).ok
    engine.register_offices([OFFICE], T0)
    engine.publish_catalog([MINI_SERVICE, ANALYSTS], T0)
    return engine


class TestCatalogKeepsServices(BackendContract):
    def test_the_demos_deploy_of_the_shipped_catalog_keeps_an_analysts_service_taking_cases(
        self, engines: EngineMaker
    ) -> None:
        engine = with_analysts_service(engines())
        sources, catalog = shipped_processes()
        _deploy(engine, sources, catalog, T0 + timedelta(hours=1), quiet=True)  # as `okno demo` does
        assert ANALYSTS.code in engine.directory().open_services()
        assert ANALYSTS.code in listed(engine)
        assert open_case(engine, ANALYSTS.code)
        assert {s.code for s in catalog} < set(listed(engine))

    def test_publishing_reports_what_it_added_updated_kept_and_left_unmentioned(self, engines: EngineMaker) -> None:
        engine = with_analysts_service(engines())
        renamed = replace(MINI_SERVICE, title="Тестовая услуга (новая редакция)")
        extra = replace(MINI_SERVICE, code="mini_extra")
        changes = engine.publish_catalog([renamed, extra], at(1))
        assert (changes.added, changes.updated, changes.unchanged) == (["mini_extra"], ["mini_service"], [])
        assert changes.not_mentioned == [ANALYSTS.code]
        again = engine.publish_catalog([renamed, extra], at(2))
        assert not again.changed and again.unchanged == ["mini_service", "mini_extra"]

    def test_a_retired_service_takes_no_new_case_and_leaves_services_but_its_open_cases_go_on(
        self, engines: EngineMaker
    ) -> None:
        engine = with_analysts_service(engines())
        number = open_case(engine, ANALYSTS.code)
        assert engine.retire_services([ANALYSTS.code], at(1)) == [ANALYSTS.code]
        assert engine.retire_services([ANALYSTS.code], at(2)) == []  # retired already: nothing recorded
        with pytest.raises(ServiceRetired) as refused:
            open_case(engine, ANALYSTS.code)
        assert refused.value.code == "service_retired"
        assert ANALYSTS.code not in listed(engine)
        assert engine.get_case(number).status == "open"
        case = engine.complete_task(
            number, "Task_Reception", {"documents_complete": True}, actor="LPK/operator", at=at(5)
        )
        assert [t["element"] for t in case.open_tasks] != ["Task_Reception"]  # the case went on
        projector = Projector(engine)
        projector.catch_up()
        row = directory_rows.service(Reader(projector), ANALYSTS.code)
        assert row is not None and row.retired  # its cases still find its title

    def test_a_deploy_naming_a_retired_service_leaves_it_retired_and_undo_restores_it(
        self, engines: EngineMaker
    ) -> None:
        engine = with_analysts_service(engines())
        engine.retire_services([ANALYSTS.code], at(1))
        changes = engine.publish_catalog([MINI_SERVICE, ANALYSTS], at(2))
        assert changes.still_retired == [ANALYSTS.code] and not changes.changed
        assert ANALYSTS.code not in listed(engine)
        assert engine.restore_services([ANALYSTS.code], at(3)) == [ANALYSTS.code]
        assert ANALYSTS.code in listed(engine)
        assert open_case(engine, ANALYSTS.code)

    def test_retiring_an_unknown_service_is_refused_and_records_nothing(self, engines: EngineMaker) -> None:
        engine = with_analysts_service(engines())
        version = engine.directory().version
        with pytest.raises(UnknownService):
            engine.retire_services([ANALYSTS.code, "no_such_service"], at(1))
        assert engine.directory().version == version
        assert engine.directory().takes_cases(ANALYSTS.code)

    def test_an_old_history_that_replaced_the_catalog_replays_and_the_read_model_agrees(
        self, engines: EngineMaker
    ) -> None:
        """Before issue 19 a publish recorded the whole catalog, dropping what it left out:
        openCase refused the dropped service while `services` still listed it."""
        engine = engines()
        assert engine.deploy(mini_sources(), T0).ok
        engine.register_offices([OFFICE], T0)
        directory = engine.directory(T0)
        for services in ([MINI_SERVICE, ANALYSTS], [MINI_SERVICE]):  # recorded as the old code did
            directory.trigger_event(Directory.CatalogPublished, timestamp=T0, services=[s.to_dict() for s in services])
        engine.store.save(directory)
        with pytest.raises(ServiceRetired):
            open_case(engine, ANALYSTS.code)
        assert listed(engine) == [MINI_SERVICE.code]
        assert open_case(engine, MINI_SERVICE.code)


def test_okno_retire_prints_what_it_did_and_undo_restores(
    engines: EngineMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from okno.cli import cli

    engine = with_analysts_service(engines())
    monkeypatch.setattr("okno.cli.models.open_engine", lambda: _Borrowed(engine))
    runner = CliRunner()
    result = runner.invoke(cli, ["retire", ANALYSTS.code, ANALYSTS.code])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"retired {ANALYSTS.code}: takes no new case; its open cases go on"]
    result = runner.invoke(cli, ["retire", "--undo", ANALYSTS.code])
    assert result.output.splitlines() == [f"restored {ANALYSTS.code}: takes new cases"]
    assert engine.directory().takes_cases(ANALYSTS.code)


class _Borrowed:
    """open_engine's context manager around an engine the test closes itself."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Engine:
        return self.engine

    def __exit__(self, *exc: object) -> None:
        return None
