"""Every recorded event folds (issue 14, #2): a terminate end event and an escalation end
event nobody catches are thrown events, not messages to an agency, so a case that ends on
one records no message; and a step whose effects a read model could not store is refused
before anything is written."""

from __future__ import annotations

import pytest

from engine.application import Engine
from engine.bpmn.sources import collect_sources
from engine.catalog import Service
from engine.effects import EffectsRefused
from projections.runner import Projector
from tests.conftest import FIXTURES, OFFICE, T0, BackendContract, EngineMaker, at

SERVICES = [
    Service(process, process, "Тестовое ведомство", "federal", 5, ("Паспорт",), 0, process)
    for process in ("terminate_end", "escalation_end", "unfoldable_payload")
]


def end_event_engine(engine: Engine) -> Engine:
    sources = collect_sources([FIXTURES / f"{s.process}.bpmn" for s in SERVICES])
    report = engine.deploy(sources, T0)
    assert report.ok, report.problems
    engine.publish_catalog(SERVICES, T0)
    engine.register_offices([OFFICE], T0)
    return engine


def open_case(engine: Engine, service: str) -> str:
    return engine.open_case(
        service=service,
        office="LPK",
        channel="window",
        actor="LPK/operator",
        at=at(),
        applicant={"full_name": "Петров Пётр Петрович", "document": "4210 654321"},
    ).number


def assert_every_model_folds(engine: Engine) -> None:
    projector = Projector(engine)
    projector.catch_up()
    assert projector.parked() == []
    assert all(s.lag == 0 for s in projector.status())


class TestEndEvents(BackendContract):
    def test_a_terminate_end_event_records_no_message_and_folds(self, engines: EngineMaker) -> None:
        engine = end_event_engine(engines())
        number = open_case(engine, "terminate_end")
        case = engine.complete_task(number, "Task_Refuse", {}, actor="LPK/operator", at=at(5))
        assert case.status == "completed" and case.outcome == "refused"
        assert case.last_effects["messages_sent"] == []
        assert all(e.effects["messages_sent"] == [] for e in engine.case_events(number))
        assert_every_model_folds(engine)

    def test_an_uncaught_escalation_end_event_records_no_message_and_folds(self, engines: EngineMaker) -> None:
        engine = end_event_engine(engines())
        number = open_case(engine, "escalation_end")
        case = engine.complete_task(number, "Task_Check", {}, actor="LPK/operator", at=at(5))
        assert case.status == "completed"
        assert case.last_effects["messages_sent"] == []
        assert_every_model_folds(engine)

    def test_a_step_whose_message_a_read_model_cannot_store_is_refused_and_records_nothing(
        self, engines: EngineMaker
    ) -> None:
        engine = end_event_engine(engines())
        number = open_case(engine, "unfoldable_payload")
        before = len(list(engine.case_events(number)))
        with pytest.raises(EffectsRefused, match=r"messages_sent\.0\.payload\.note: the control character U\+0000"):
            engine.complete_task(number, "Task_Check", {}, actor="LPK/operator", at=at(5))
        assert len(list(engine.case_events(number))) == before
        assert engine.get_case(number).status == "open"
        assert_every_model_folds(engine)
