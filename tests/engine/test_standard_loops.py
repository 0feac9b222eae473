"""Standard loops (bpmn:standardLoopCharacteristics) on user, service (job), script and
subprocess activities: the activity runs again while its loopCondition (okno's language,
or JUEL/FEEL translated at deploy) holds, at most loopMaximum times (1…100; 100 when the
model names none, with a warning); testBefore asks the condition before the first run.
Each run's data is what the next run and the condition read, and a replay gives the same."""

from __future__ import annotations

from typing import Any

from engine.application import Engine
from engine.bpmn.sources import SourceFile
from engine.bpmn.standard_loops import LOOP_LIMIT
from engine.bpmn.validation import Plan, validate
from engine.catalog import Service
from tests.conftest import OFFICE, T0, BackendContract, EngineMaker, at
from tests.engine.test_multi_instance import assert_replays, case_data, open_case, tasks_of

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
                  id="Definitions_loop" targetNamespace="http://okno.example/tests">
  <bpmn:process id="loop" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"/>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Loop"/>
"""
TAIL = """
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Loop" targetRef="EndEvent_1"/>
    <bpmn:endEvent id="EndEvent_1"/>
  </bpmn:process>
</bpmn:definitions>
"""


def marker(condition: str | None = "not complete", maximum: str | None = "5", test_before: bool = False) -> str:
    attributes = (f' loopMaximum="{maximum}"' if maximum is not None else "") + (
        ' testBefore="true"' if test_before else ""
    )
    inner = f"<bpmn:loopCondition>{condition}</bpmn:loopCondition>" if condition is not None else ""
    return f"<bpmn:standardLoopCharacteristics{attributes}>{inner}</bpmn:standardLoopCharacteristics>"


def user_task(loop: str) -> str:
    task = '<bpmn:userTask id="Task_Loop" name="Доукомплектование" camunda:candidateGroups="operator">'
    return f"{task}{loop}</bpmn:userTask>"


def script_task(loop: str, script: str = "runs = runs + 1") -> str:
    task = '<bpmn:scriptTask id="Task_Loop" scriptFormat="python">'
    return f"{task}<bpmn:script>{script}</bpmn:script>{loop}</bpmn:scriptTask>"


def model(activity: str) -> SourceFile:
    return SourceFile("loop.bpmn", HEAD + activity + TAIL)


def plan_of(activity: str) -> Plan:
    return validate([model(activity)])


def problems_of(activity: str) -> list[str]:
    return [str(problem) for problem in plan_of(activity).problems]


def deployed(engine: Engine, activity: str) -> Engine:
    report = engine.deploy([model(activity)], T0)
    assert report.ok, report.problems
    engine.publish_catalog([Service("loop", "loop", "Тестовое ведомство", "federal", 5, ("Паспорт",), 0, "loop")], T0)
    engine.register_offices([OFFICE], T0)
    return engine


def complete(engine: Engine, number: str, element: str, data: dict[str, Any], minute: int) -> None:
    (task,) = tasks_of(engine, number, element)
    engine.complete_task(number, element, data, actor="LPK/operator", at=at(minute), task=task["task"])


class TestStandardLoops(BackendContract):
    def test_a_user_task_loop_runs_again_while_its_condition_holds(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), user_task(marker()))
        number = open_case(engine, "loop", {"complete": False})
        complete(engine, number, "Task_Loop", {"complete": False}, 1)
        complete(engine, number, "Task_Loop", {"complete": False}, 2)
        assert engine.get_case(number).status == "open"
        complete(engine, number, "Task_Loop", {"complete": True}, 3)
        assert engine.get_case(number).status == "completed"
        assert_replays(engine, number)

    def test_a_loop_ends_after_loop_maximum_runs_even_while_its_condition_holds(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), user_task(marker(maximum="2")))
        number = open_case(engine, "loop", {"complete": False})
        complete(engine, number, "Task_Loop", {}, 1)
        complete(engine, number, "Task_Loop", {}, 2)
        assert engine.get_case(number).status == "completed"
        assert_replays(engine, number)

    def test_test_before_skips_the_activity_when_the_condition_fails_at_once(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), user_task(marker(test_before=True)))
        number = open_case(engine, "loop", {"complete": True})
        assert engine.get_case(number).status == "completed"

    def test_without_test_before_the_activity_runs_once_before_the_condition_is_asked(
        self, engines: EngineMaker
    ) -> None:
        engine = deployed(engines(), script_task(marker(condition="runs &lt; 0")))
        number = open_case(engine, "loop", {"runs": 0})
        assert case_data(engine, number)["runs"] == 1

    def test_each_run_reads_the_data_the_run_before_left(self, engines: EngineMaker) -> None:
        script = "seen = seen + [queue[0]]\nqueue = queue[1:]"
        engine = deployed(engines(), script_task(marker(condition="len(queue) &gt; 0", maximum="10"), script))
        number = open_case(engine, "loop", {"queue": ["паспорт", "СНИЛС", "ИНН"], "seen": []})
        data = case_data(engine, number)
        assert data["seen"] == ["паспорт", "СНИЛС", "ИНН"] and data["queue"] == []
        assert_replays(engine, number)

    def test_a_service_task_loop_opens_one_job_per_run(self, engines: EngineMaker) -> None:
        service = (
            '<bpmn:serviceTask id="Task_Loop" name="Запрос в ведомство">'
            '<bpmn:extensionElements><zeebe:taskDefinition type="agency-request"/></bpmn:extensionElements>'
            f"{marker(condition='answer == &quot;wait&quot;', maximum='3')}</bpmn:serviceTask>"
        )
        engine = deployed(engines(), service)
        number = open_case(engine, "loop")
        for minute, answer in enumerate(("wait", "ready"), start=1):
            [job] = engine.get_case(number).open_jobs  # the loop itself is no job
            assert job["element"] == "Task_Loop"
            engine.complete_job(number, job["task"], {"answer": answer}, actor="worker", at=at(minute))
        case = engine.get_case(number)
        assert case.status == "completed" and case.open_jobs == []
        assert_replays(engine, number)

    def test_a_subprocess_loop_runs_its_whole_flow_each_time(self, engines: EngineMaker) -> None:
        subprocess = (
            '<bpmn:subProcess id="Task_Loop">'
            + marker(condition="${!complete}", maximum="3")
            + '<bpmn:startEvent id="Sub_Start"/>'
            + '<bpmn:sequenceFlow id="S1" sourceRef="Sub_Start" targetRef="Task_Check"/>'
            + '<bpmn:userTask id="Task_Check" camunda:candidateGroups="operator"/>'
            + '<bpmn:sequenceFlow id="S2" sourceRef="Task_Check" targetRef="Sub_End"/><bpmn:endEvent id="Sub_End"/>'
            + "</bpmn:subProcess>"
        )
        engine = deployed(engines(), subprocess)
        number = open_case(engine, "loop", {"complete": False})
        complete(engine, number, "Task_Check", {"complete": False}, 1)
        complete(engine, number, "Task_Check", {"complete": True}, 2)
        assert engine.get_case(number).status == "completed"
        assert_replays(engine, number)

    def test_a_loop_naming_no_maximum_ends_after_the_limit(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), script_task(marker(condition="= runs &gt; 0", maximum=None)))
        number = open_case(engine, "loop", {"runs": 0})
        assert case_data(engine, number)["runs"] == LOOP_LIMIT
        assert engine.get_case(number).status == "completed"


def test_a_loop_naming_no_maximum_deploys_with_a_warning_saying_the_limit() -> None:
    plan = plan_of(script_task(marker(maximum=None)))
    assert plan.problems == []
    assert any(f'as if loopMaximum="{LOOP_LIMIT}"' in str(warning) for warning in plan.warnings)


def test_a_loop_with_neither_condition_nor_maximum_is_refused() -> None:
    assert any("a standard loop needs a loopCondition" in p for p in problems_of(user_task(marker(None, maximum=None))))


def test_a_loop_maximum_outside_the_limit_or_not_a_number_is_refused() -> None:
    assert any("loopMaximum 1000 is outside 1…100" in p for p in problems_of(user_task(marker(maximum="1000"))))
    assert any("loopMaximum 0 is outside" in p for p in problems_of(user_task(marker(maximum="0"))))
    assert any(
        "loopMaximum 'three' is not a whole number" in p for p in problems_of(user_task(marker(maximum="three")))
    )


def test_a_loop_condition_okno_cannot_evaluate_is_refused_at_its_line() -> None:
    problems = problems_of(user_task(marker(condition="().__class__")))
    assert any(p.startswith("loop.bpmn:") and "loopCondition '().__class__'" in p for p in problems), problems


def test_a_loop_and_multi_instance_on_one_activity_are_refused() -> None:
    both = (
        marker()
        + "<bpmn:multiInstanceLoopCharacteristics>"
        + "<bpmn:loopCardinality>2</bpmn:loopCardinality>"
        + "</bpmn:multiInstanceLoopCharacteristics>"
    )
    assert any("either a standard loop or multi-instance" in p for p in problems_of(user_task(both)))
