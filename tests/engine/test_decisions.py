"""Business rule tasks in every dialect, and DMN as Camunda writes it (issue 16): a file
with several decisions whose top decision requires another (bug 5: Camunda's invoice
example passed okno's checks and then failed inside SpiffWorkflow), every hit policy,
and the result variable of Camunda 7 and Camunda 8."""

from __future__ import annotations

from typing import Any

import pytest

from engine.application import Engine
from engine.bpmn.sources import SourceFile, collect_sources
from engine.bpmn.validation import validate
from engine.catalog import Service
from engine.errors import ProcessFailure
from engine.replay import replay_case
from projections.runner import Projector
from tests.conftest import FIXTURES, EngineMaker, at, seeded

DECISIONS = FIXTURES / "decisions"
PROCESSES = ("invoice_c7", "invoice_c8", "invoice_spiff", "hit_policies")


def decisions_engine(engine: Engine) -> Engine:
    services = [Service(p, p, "Тестовое ведомство", "federal", 5, ("Паспорт",), 0, p) for p in PROCESSES]
    return seeded(engine, collect_sources([DECISIONS]), services)


def decide(engine: Engine, process: str, data: dict[str, Any]) -> dict[str, Any]:
    """Open a case, enter ``data``, and return the payload of the message the model
    sends with its decisions' results."""
    number = engine.open_case(
        service=process, office="LPK", channel="window", actor="LPK/operator", at=at(), applicant={}
    ).number
    case = engine.complete_task(number, "Task_Enter", data, actor="LPK/operator", at=at(1))
    assert case.status == "completed"
    [sent] = case.last_effects["messages_sent"]
    payload: dict[str, Any] = sent["payload"]
    return payload


def test_a_dmn_file_with_several_decisions_and_a_required_decision_deploys_and_runs(engines: EngineMaker) -> None:
    engine = decisions_engine(engines())
    misc = decide(engine, "invoice_c7", {"amount": 300, "invoiceCategory": "Misc"})
    assert misc == {"approverGroups": ["sales", "management"]}
    travel = decide(engine, "invoice_c7", {"amount": 5000, "invoiceCategory": "Travel Expenses"})
    assert travel == {"approverGroups": ["accounting", "sales"]}


def test_a_camunda_8_called_decision_sets_its_result_variable(engines: EngineMaker) -> None:
    engine = decisions_engine(engines())
    result = decide(engine, "invoice_c8", {"amount": 1500, "invoiceCategory": "Misc"})
    assert result == {"classification": "exceptional", "groups": ["management"]}


def test_a_spiffworkflow_called_decision_id_merges_the_outputs_by_name(engines: EngineMaker) -> None:
    engine = decisions_engine(engines())
    result = decide(engine, "invoice_spiff", {"amount": 10, "invoiceCategory": "Software License Costs"})
    assert result == {"approverGroups": ["sales", "management"]}


def test_every_hit_policy_gives_what_dmn_says(engines: EngineMaker) -> None:
    engine = decisions_engine(engines())
    high, mid, low = {"level": "high", "score": 3}, {"level": "mid", "score": 2}, {"level": "low", "score": 1}
    four = {"level": "high", "score": 4}
    assert decide(engine, "hit_policies", {"n": 12}) == {
        "hp_unique": high,
        "hp_first": low,
        "hp_any": high,
        "hp_priority": high,
        "hp_collect": [low, mid, high, four],
        "hp_rule_order": [low, mid, high, four],
        "hp_output_order": [high, four, mid, low],
        "hp_sum": 10,
        "hp_min": 1,
        "hp_max": 4,
        "hp_count": 4,
    }


def test_a_case_through_every_hit_policy_replays_and_folds(engines: EngineMaker) -> None:
    engine = decisions_engine(engines())
    for process, data in (("hit_policies", {"n": 12}), ("invoice_c7", {"amount": 300, "invoiceCategory": "Misc"})):
        number = engine.open_case(
            service=process, office="LPK", channel="window", actor="LPK/operator", at=at(), applicant={}
        ).number
        assert engine.complete_task(number, "Task_Enter", data, actor="LPK/operator", at=at(1)).status == "completed"
        assert replay_case(engine.steps, list(engine.case_events(number))).ok
    Projector(engine).catch_up()  # every recorded event folds into the read models


def test_a_table_no_rule_matches_gives_null_or_empty(engines: EngineMaker) -> None:
    engine = decisions_engine(engines())
    result = decide(engine, "hit_policies", {"n": -1})
    assert result["hp_unique"] is None and result["hp_collect"] == [] and result["hp_sum"] is None
    assert result["hp_count"] == 0


def test_any_with_rules_that_disagree_fails_the_step_and_records_nothing(engines: EngineMaker) -> None:
    engine = decisions_engine(engines())
    number = engine.open_case(
        service="hit_policies", office="LPK", channel="window", actor="LPK/operator", at=at(), applicant={}
    ).number
    before = len(list(engine.case_events(number)))
    with pytest.raises(ProcessFailure, match="hit policy ANY, but rules 1 and 2 give different outputs"):
        engine.complete_task(number, "Task_Enter", {"n": 7}, actor="LPK/operator", at=at(1))
    assert len(list(engine.case_events(number))) == before


def test_a_decision_okno_cannot_evaluate_is_refused_at_deploy_with_why() -> None:
    dmn = SourceFile(
        "bad.dmn",
        """<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="bad" name="bad" namespace="x">
  <decision id="literal"><literalExpression><text>1</text></literalExpression></decision>
  <decision id="weird"><decisionTable hitPolicy="SOMETIMES"><input id="i"><inputExpression><text>n</text>
    </inputExpression></input><output id="o" name="x"/></decisionTable></decision>
  <decision id="ranked"><decisionTable hitPolicy="PRIORITY"><input id="i2"><inputExpression><text>n</text>
    </inputExpression></input><output id="o2" name="x"/></decisionTable></decision>
  <decision id="summed"><decisionTable hitPolicy="FIRST" aggregation="SUM"><input id="i3"><inputExpression>
    <text>n</text></inputExpression></input><output id="o3" name="x"/></decisionTable></decision>
  <decision id="needy"><informationRequirement><requiredDecision href="#absent"/></informationRequirement>
    <decisionTable><input id="i4"><inputExpression><text>n</text></inputExpression></input>
    <output id="o4" name="x"/></decisionTable></decision>
</definitions>""",
    )
    problems = [str(p) for p in validate([dmn]).problems]
    assert problems == [
        "bad.dmn:2: literal: decision has no decision table: okno evaluates decision tables only",
        "bad.dmn:3: weird: hit policy 'SOMETIMES' is not a DMN hit policy",
        "bad.dmn:5: ranked: hit policy PRIORITY ranks rules by their outputs' outputValues, and none are given",
        "bad.dmn:7: summed: aggregation 'SUM' needs hit policy COLLECT and one of SUM, MIN, MAX, COUNT",
        "bad.dmn:9: needy: required decision 'absent' is not in this DMN file",
    ]


def test_a_business_rule_task_naming_no_decision_is_refused_at_deploy() -> None:
    bpmn = (DECISIONS / "invoice_c8.bpmn").read_text(encoding="utf-8")
    broken = SourceFile("broken.bpmn", bpmn.replace('decisionId="invoiceClassification" ', ""))
    problems = [str(p) for p in validate([broken, *collect_sources([DECISIONS / "invoice_decisions.dmn"])]).problems]
    assert problems == [
        "broken.bpmn:17: Task_Classify: businessRuleTask names no decision: set camunda:decisionRef, "
        "zeebe:calledDecision decisionId, or spiffworkflow:calledDecisionId"
    ]
