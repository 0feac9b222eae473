"""Multi-instance in every dialect (issue 16): the BPMN standard form SpiffWorkflow writes,
Camunda 7's camunda:collection, Flowable's flowable:collection and Camunda 8's
zeebe:loopCharacteristics all deploy and run, sequential and parallel, one user task per
instance in the task list, each completed by the ordinary CompleteTask; output
collections gather each instance's result, and a completion condition ends the loop
early."""

from __future__ import annotations

import json
from typing import Any

from engine.application import Engine
from engine.bpmn.sources import SourceFile, collect_sources
from engine.bpmn.validation import validate
from engine.catalog import Service
from engine.replay import verify
from projections.case_queries import work_list
from projections.reader import Reader
from projections.runner import Projector
from tests.conftest import FIXTURES, OFFICE, T0, BackendContract, EngineMaker, at

MODELS = (
    "mi_standard",
    "mi_camunda",
    "mi_flowable",
    "mi_zeebe",
    "mi_cardinality",
    "mi_camunda_quorum",
    "mi_subprocess",
)
SERVICES = [Service(model, model, "Тестовое ведомство", "federal", 5, ("Паспорт",), 0, model) for model in MODELS]


def mi_engine(engine: Engine) -> Engine:
    sources = collect_sources([FIXTURES / "multi_instance" / f"{model}.bpmn" for model in MODELS])
    report = engine.deploy(sources, T0)
    assert report.ok, report.problems
    engine.publish_catalog(SERVICES, T0)
    engine.register_offices([OFFICE], T0)
    return engine


def open_case(engine: Engine, service: str, data: dict[str, Any] | None = None) -> str:
    return engine.open_case(
        service=service,
        office="LPK",
        channel="window",
        actor="LPK/operator",
        at=at(),
        applicant={"full_name": "Петров Пётр Петрович", "document": "4210 654321"},
        data=data,
    ).number


def case_data(engine: Engine, number: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(engine.get_case(number).state)["workflow"]["data"]
    return data


def assert_replays(engine: Engine, number: str) -> None:
    """Replaying the case's inputs reproduces every recorded state and effect, and every
    read model folds every recorded event."""
    assert verify(engine.steps, list(engine.case_events(number))).ok
    projector = Projector(engine)
    projector.catch_up()
    assert projector.parked() == []


def tasks_of(engine: Engine, number: str, element: str) -> list[dict[str, Any]]:
    return [task for task in engine.get_case(number).open_tasks if task["element"] == element]


class TestMultiInstance(BackendContract):
    def test_standard_parallel_multi_instance_lists_one_task_per_item_and_gathers_the_outputs(
        self, engines: EngineMaker
    ) -> None:
        engine = mi_engine(engines())
        number = open_case(engine, "mi_standard")
        checks = tasks_of(engine, number, "Task_Check")
        assert len(checks) == 3
        projector = Projector(engine)
        projector.catch_up()
        listed = work_list(Reader(projector), "LPK", role="expert").rows
        assert sorted(row.task_id for row in listed) == sorted(task["task"] for task in checks)
        for minute, task in enumerate(checks, start=1):
            engine.complete_task(
                number, "Task_Check", {"verdict": "ok"}, actor="LPK/expert", at=at(minute), task=task["task"]
            )
        case = engine.get_case(number)
        assert case.status == "completed"
        data = case_data(engine, number)
        assert data["verdicts"] == ["ok", "ok", "ok"] and data["accepted"] is True
        assert_replays(engine, number)

    def test_a_completion_condition_ends_a_parallel_multi_instance_early(self, engines: EngineMaker) -> None:
        engine = mi_engine(engines())
        number = open_case(engine, "mi_standard")
        first = tasks_of(engine, number, "Task_Check")[0]
        engine.complete_task(
            number, "Task_Check", {"verdict": "refuse"}, actor="LPK/expert", at=at(1), task=first["task"]
        )
        case = engine.get_case(number)
        assert case.status == "completed" and tasks_of(engine, number, "Task_Check") == []
        assert case_data(engine, number)["verdicts"] == ["refuse"]
        assert_replays(engine, number)

    def test_camunda_sequential_multi_instance_offers_one_task_at_a_time(self, engines: EngineMaker) -> None:
        engine = mi_engine(engines())
        number = open_case(engine, "mi_camunda")
        for minute in (1, 2):
            (task,) = tasks_of(engine, number, "Task_Sign")
            engine.complete_task(
                number, "Task_Sign", {"signed": True}, actor="LPK/operator", at=at(minute), task=task["task"]
            )
        assert engine.get_case(number).status == "completed"
        assert "owner" not in case_data(engine, number)  # the element variable is the instance's own
        assert_replays(engine, number)

    def test_flowable_parallel_multi_instance_stops_on_its_completion_condition(self, engines: EngineMaker) -> None:
        engine = mi_engine(engines())
        number = open_case(engine, "mi_flowable")
        reviews = tasks_of(engine, number, "Task_Review")
        assert len(reviews) == 3
        engine.complete_task(
            number, "Task_Review", {"approved": True}, actor="LPK/supervisor", at=at(1), task=reviews[0]["task"]
        )
        assert len(tasks_of(engine, number, "Task_Review")) == 2
        engine.complete_task(
            number, "Task_Review", {"approved": False}, actor="LPK/supervisor", at=at(2), task=reviews[1]["task"]
        )
        assert engine.get_case(number).status == "completed"
        assert_replays(engine, number)

    def test_zeebe_multi_instance_gathers_its_output_collection(self, engines: EngineMaker) -> None:
        engine = mi_engine(engines())
        members = [{"age": 40}, {"age": 12}, {"age": 7}]
        number = open_case(engine, "mi_zeebe", {"members": members, "limit": 5000})
        assert engine.get_case(number).status == "completed"
        assert case_data(engine, number)["fees"] == [2000, 1200, 700]

    def test_zeebe_completion_condition_in_feel_ends_a_sequential_loop_early(self, engines: EngineMaker) -> None:
        engine = mi_engine(engines())
        members = [{"age": 12}, {"age": 40}, {"age": 7}]
        number = open_case(engine, "mi_zeebe", {"members": members, "limit": 1500})
        assert engine.get_case(number).status == "completed"
        assert case_data(engine, number)["fees"] == [1200, 2000]
        assert_replays(engine, number)

    def test_a_camunda_quorum_reads_the_loop_counters_and_withdraws_the_open_instance(
        self, engines: EngineMaker
    ) -> None:
        engine = mi_engine(engines())
        number = open_case(engine, "mi_camunda_quorum", {"experts": ["a", "b", "c"]})
        votes = tasks_of(engine, number, "Task_Vote")
        assert len(votes) == 3
        engine.complete_task(
            number, "Task_Vote", {"approve": True}, actor="LPK/expert", at=at(1), task=votes[0]["task"]
        )
        assert len(tasks_of(engine, number, "Task_Vote")) == 2  # 1/3 < 0.6
        engine.complete_task(
            number, "Task_Vote", {"approve": True}, actor="LPK/expert", at=at(2), task=votes[2]["task"]
        )
        case = engine.get_case(number)
        assert case.status == "completed" and case.open_tasks == []  # 2/3 >= 0.6
        assert_replays(engine, number)

    def test_a_parallel_multi_instance_subprocess_runs_one_subprocess_per_item(self, engines: EngineMaker) -> None:
        engine = mi_engine(engines())
        number = open_case(engine, "mi_subprocess", {"heirs": ["Анна", "Борис"]})
        checks = tasks_of(engine, number, "Task_Check")
        assert len(checks) == 2
        for minute, (task, parts) in enumerate(zip(checks, (1, 1), strict=True), start=1):
            engine.complete_task(
                number, "Task_Check", {"parts": parts}, actor="LPK/expert", at=at(minute), task=task["task"]
            )
        assert engine.get_case(number).status == "completed"
        assert sorted(case_data(engine, number)["shares"]) == ["Анна: 1/2", "Борис: 1/2"]
        assert_replays(engine, number)

    def test_a_loop_cardinality_runs_that_many_sequential_instances(self, engines: EngineMaker) -> None:
        engine = mi_engine(engines())
        number = open_case(engine, "mi_cardinality", {"copies": 3, "printed": 0})
        assert engine.get_case(number).status == "completed"
        assert case_data(engine, number)["printed"] == 3
        assert_replays(engine, number)


def test_multi_instance_without_a_collection_or_cardinality_is_refused_at_its_own_line() -> None:
    source = SourceFile(
        "broken.bpmn",
        """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="t">
  <bpmn:process id="broken" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"/>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_1"/>
    <bpmn:manualTask id="Task_1">
      <bpmn:multiInstanceLoopCharacteristics/>
    </bpmn:manualTask>
  </bpmn:process>
</bpmn:definitions>
""",
    )
    problems = [str(problem) for problem in validate([source]).problems]
    assert any(
        p.startswith("broken.bpmn:7: Task_1: multi-instance needs exactly one of loopCardinality") for p in problems
    )
