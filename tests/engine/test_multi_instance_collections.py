"""A multi-instance input collection given by an expression (Camunda 8's
``inputCollection="= [1, 2, 3]"`` or ``"= order.lines"``, Camunda 7's
``camunda:collection="${order.items}"``): translated into okno's language at deploy,
evaluated once on the case data when the activity is reached, kept in the case's state so
every instance and a replay read the same items; refused at deploy, saying why, when
okno cannot evaluate it."""

from __future__ import annotations

from typing import Any

import pytest

from engine.application import Engine
from engine.bpmn.sources import SourceFile
from engine.bpmn.validation import validate
from engine.catalog import Service
from engine.errors import ProcessFailure
from tests.conftest import OFFICE, T0, BackendContract, EngineMaker, at
from tests.engine.test_multi_instance import assert_replays, case_data, open_case, tasks_of

# A Camunda 8 model: one signature per signer, in turn; COLLECTION is the expression tested.
ZEEBE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
                  id="Definitions_mi_feel" targetNamespace="http://okno.example/tests">
  <bpmn:process id="mi_feel" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"/>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Sign"/>
    <bpmn:userTask id="Task_Sign" name="Подпись">
      <bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="operator"/></bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true">
        <bpmn:extensionElements>
          <zeebe:loopCharacteristics inputCollection="COLLECTION" inputElement="signer"
                                     outputCollection="signed" outputElement="= signer"/>
        </bpmn:extensionElements>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Sign" targetRef="EndEvent_1"/>
    <bpmn:endEvent id="EndEvent_1"/>
  </bpmn:process>
</bpmn:definitions>
"""

# A Camunda 7 model: the collection as a JUEL expression over a nested variable.
CAMUNDA = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  id="Definitions_mi_juel" targetNamespace="http://okno.example/tests">
  <bpmn:process id="mi_juel" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"/>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Copy"/>
    <bpmn:scriptTask id="Task_Copy" name="Копия" scriptFormat="python">
      <bpmn:script>copy = "копия: " + sheet</bpmn:script>
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="${order.sheets}" camunda:elementVariable="sheet">
        <bpmn:loopDataOutputRef>copies</bpmn:loopDataOutputRef>
        <bpmn:outputDataItem id="copy"/>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Copy" targetRef="EndEvent_1"/>
    <bpmn:endEvent id="EndEvent_1"/>
  </bpmn:process>
</bpmn:definitions>
"""


def zeebe(collection: str) -> SourceFile:
    return SourceFile("mi_feel.bpmn", ZEEBE.replace("COLLECTION", collection.replace('"', "&#34;")))


def problems_of(source: SourceFile) -> list[str]:
    return [str(problem) for problem in validate([source]).problems]


def deployed(engine: Engine, source: SourceFile, process: str) -> Engine:
    report = engine.deploy([source], T0)
    assert report.ok, report.problems
    engine.publish_catalog(
        [Service(process, process, "Тестовое ведомство", "federal", 5, ("Паспорт",), 0, process)], T0
    )
    engine.register_offices([OFFICE], T0)
    return engine


def sign_all(engine: Engine, number: str, data: dict[str, Any] | None = None) -> list[str]:
    """Complete each signature in turn; return the signers the instances were given."""
    for minute in range(1, 10):
        open_now = tasks_of(engine, number, "Task_Sign")
        if not open_now:
            break
        (task,) = open_now
        engine.complete_task(
            number, "Task_Sign", dict(data or {}), actor="LPK/operator", at=at(minute), task=task["task"]
        )
    return [str(signer) for signer in case_data(engine, number)["signed"]]


class TestCollectionExpressions(BackendContract):
    def test_a_feel_list_literal_as_input_collection_runs_one_instance_per_item(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), zeebe('= ["Иванов", "Петрова", "Сидоров"]'), "mi_feel")
        number = open_case(engine, "mi_feel")
        assert sign_all(engine, number) == ["Иванов", "Петрова", "Сидоров"]
        assert engine.get_case(number).status == "completed"
        assert_replays(engine, number)

    def test_a_feel_path_as_input_collection_reads_the_case_data(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), zeebe("= order.signers"), "mi_feel")
        number = open_case(engine, "mi_feel", {"order": {"signers": ["Анна", "Борис"]}})
        assert sign_all(engine, number) == ["Анна", "Борис"]
        assert_replays(engine, number)

    def test_the_items_are_the_ones_the_expression_gave_when_the_activity_was_reached(
        self, engines: EngineMaker
    ) -> None:
        engine = deployed(engines(), zeebe("= for s in order.signers return s"), "mi_feel")
        number = open_case(engine, "mi_feel", {"order": {"signers": ["Анна", "Борис"]}})
        # The first instance's data empties the list the expression read: the loop goes on
        # over the items it was given, as Camunda's does, and a replay gives the same.
        assert sign_all(engine, number, {"order": {"signers": []}}) == ["Анна", "Борис"]
        assert_replays(engine, number)

    def test_an_input_collection_that_gives_no_list_fails_the_step_naming_the_expression(
        self, engines: EngineMaker
    ) -> None:
        engine = deployed(engines(), zeebe("= order.count"), "mi_feel")
        with pytest.raises(ProcessFailure, match=r"input collection 'order.count' gave int, not a list"):
            open_case(engine, "mi_feel", {"order": {"count": 3}})

    def test_a_camunda_7_collection_expression_runs_and_gathers_the_outputs(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), SourceFile("mi_juel.bpmn", CAMUNDA), "mi_juel")
        number = open_case(engine, "mi_juel", {"order": {"sheets": ["лист 1", "лист 2"]}})
        assert engine.get_case(number).status == "completed"
        assert case_data(engine, number)["copies"] == ["копия: лист 1", "копия: лист 2"]
        assert_replays(engine, number)


def test_an_input_collection_okno_cannot_evaluate_is_refused_saying_why_and_nothing_else() -> None:
    problems = problems_of(zeebe("= order.signers("))
    assert any("inputCollection '= order.signers(' is neither one variable nor an expression" in p for p in problems)
    assert not any("needs exactly one of loopCardinality" in p for p in problems), problems


def test_an_input_collection_calling_a_function_okno_lacks_is_refused_at_deploy() -> None:
    problems = problems_of(zeebe("= shuffle(order.signers)"))
    assert any("inputCollection '= shuffle(order.signers)'" in p and "shuffle" in p for p in problems), problems


def test_a_multi_instance_element_named_like_a_variable_okno_sets_is_refused_at_deploy() -> None:
    source = SourceFile(
        "mi_feel.bpmn", zeebe("= [1, 2]").text.replace('inputElement="signer"', 'inputElement="office"')
    )
    problems = problems_of(source)
    assert any("multi-instance element 'office' is a variable okno sets when a case opens" in p for p in problems)
