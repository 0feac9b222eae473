"""What Camunda 7 and Flowable fill in where a model says nothing (issue 16, second wave):
sequence flows drawn without an id, and a gateway's way out drawn without a condition,
which those engines take as always true and Zeebe refuses."""

from __future__ import annotations

from engine.application import Engine
from engine.bpmn.sources import SourceFile, collect_sources
from engine.bpmn.validation import Plan, validate
from engine.case import Case
from engine.catalog import Service
from engine.replay import verify
from tests.conftest import FIXTURES, OFFICE, T0, BackendContract, EngineMaker, at

GAPS = FIXTURES / "gaps"


def plan_of(name: str) -> Plan:
    return validate(collect_sources([GAPS / name]))


def deployed(engine: Engine, *names: str) -> Engine:
    report = engine.deploy(collect_sources([GAPS / name for name in names]), T0)
    assert report.ok, report.problems
    engine.publish_catalog(
        [
            Service(d.process_id, d.process_id, "Тестовое ведомство", "federal", 5, ("Паспорт",), 0, d.process_id)
            for d in report.deployed
        ],
        T0,
    )
    engine.register_offices([OFFICE], T0)
    return engine


def open_case(engine: Engine, process: str) -> str:
    return engine.open_case(
        service=process, office="LPK", channel="window", actor="LPK/operator", at=at(), applicant={}
    ).number


def ready(engine: Engine, number: str) -> list[str]:
    return sorted(str(t["element"]) for t in engine.get_case(number).open_tasks)


def test_sequence_flows_without_an_id_validate() -> None:
    plan = plan_of("unnamed_flows.bpmn")
    assert [str(p) for p in plan.problems] == []
    assert [b.process_id for b in plan.bundles] == ["unnamed_flows"]


def test_an_unconditioned_way_out_of_a_camunda_gateway_validates() -> None:
    plan = plan_of("unconditioned_choice.bpmn")
    assert [str(p) for p in plan.problems] == []


def test_a_plain_sketchs_unconditioned_way_out_is_still_refused_at_its_flow() -> None:
    # No engine's namespace: the labels on the ways out are for readers, not a rule.
    text = (GAPS / "unconditioned_choice.bpmn").read_text(encoding="utf-8")
    text = text.replace('xmlns:camunda="http://camunda.org/schema/1.0/bpmn"', "")
    text = text.replace(' camunda:candidateGroups="operator"', "").replace(' camunda:candidateGroups="supervisor"', "")
    problems = [str(p) for p in validate([SourceFile("sketch.bpmn", text)]).problems]
    assert any(": Flow_small: flow out of diverging gateway Gateway_amount has no condition" in p for p in problems)


def test_an_unconditioned_way_out_of_a_zeebe_gateway_is_still_refused_at_its_flow() -> None:
    problems = [str(p) for p in plan_of("zeebe_unconditioned_choice.bpmn").problems]
    assert len(problems) == 2, problems
    assert problems[0].startswith("zeebe_unconditioned_choice.bpmn:")
    assert ": Flow_small: flow out of diverging gateway Gateway_amount has no condition" in problems[0]
    assert ": Flow_file: flow out of diverging gateway Gateway_notify has no condition" in problems[1]


class TestEngineDefaultsRun(BackendContract):
    def test_a_fork_and_join_of_unnamed_flows_runs_to_its_end_and_replays(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), "unnamed_flows.bpmn")
        number = open_case(engine, "unnamed_flows")
        assert ready(engine, number) == ["checkDocuments", "takeFee"]
        engine.complete_task(number, "takeFee", {}, actor="LPK/operator", at=at(5))
        engine.complete_task(number, "checkDocuments", {}, actor="LPK/operator", at=at(6))
        assert ready(engine, number) == ["handOut"]
        case = engine.complete_task(number, "handOut", {}, actor="LPK/operator", at=at(7))
        assert case.status == "completed"
        restarted = engines()
        events = list(restarted.case_events(number))
        assert isinstance(events[0], Case.Opened)
        restarted.ensure_version(events[0].process_version)
        assert verify(restarted.steps, events).ok

    def test_a_small_amount_takes_the_unconditioned_flow_and_files_only(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), "unconditioned_choice.bpmn")
        number = open_case(engine, "unconditioned_choice")
        engine.complete_task(number, "enterAmount", {"amount": 50}, actor="LPK/operator", at=at(5))
        assert ready(engine, number) == ["fileRecord"]  # the inclusive gateway always files
        case = engine.complete_task(number, "fileRecord", {}, actor="LPK/operator", at=at(6))
        assert case.status == "completed"

    def test_a_large_amount_takes_the_first_true_flow_and_the_inclusive_gateway_both(
        self, engines: EngineMaker
    ) -> None:
        engine = deployed(engines(), "unconditioned_choice.bpmn")
        number = open_case(engine, "unconditioned_choice")
        engine.complete_task(number, "enterAmount", {"amount": 5000}, actor="LPK/operator", at=at(5))
        assert ready(engine, number) == ["approveLarge"]  # the first flow holds; the unconditioned one is not taken
        engine.complete_task(number, "approveLarge", {}, actor="LPK/supervisor", at=at(6))
        assert ready(engine, number) == ["fileRecord", "tellApplicant"]
        engine.complete_task(number, "fileRecord", {}, actor="LPK/operator", at=at(7))
        case = engine.complete_task(number, "tellApplicant", {}, actor="LPK/operator", at=at(8))
        assert case.status == "completed"


def test_subprocesses_without_an_end_event_validate() -> None:
    plan = plan_of("implicit_end.bpmn")
    assert [str(p) for p in plan.problems] == []


class TestImplicitEndRuns(BackendContract):
    def test_a_subprocess_without_an_end_event_completes_when_its_paths_stop(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), "implicit_end.bpmn")
        number = open_case(engine, "implicit_end")
        assert ready(engine, number) == ["checkOne", "checkTwo"]
        engine.complete_task(number, "checkOne", {}, actor="LPK/operator", at=at(5))
        assert ready(engine, number) == ["checkTwo"]  # the subprocess waits for its other path
        engine.complete_task(number, "checkTwo", {}, actor="LPK/expert", at=at(6))
        assert ready(engine, number) == ["sign"]
        case = engine.complete_task(number, "sign", {}, actor="LPK/supervisor", at=at(7))
        assert case.status == "completed"


def test_a_data_object_declared_twice_alike_is_one_data_object() -> None:
    plan = plan_of("data_object_twice.bpmn")
    assert [str(p) for p in plan.problems] == []


class TestDataObjectTwiceRuns(BackendContract):
    def test_a_process_with_a_data_object_declared_twice_runs_to_its_end(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), "data_object_twice.bpmn")
        number = open_case(engine, "data_object_twice")
        assert engine.get_case(number).status == "completed"


def test_an_unmarked_process_calls_an_unmarked_one_as_flowable_runs_them() -> None:
    plan = validate(collect_sources([GAPS / "unmarked_caller.bpmn", GAPS / "unmarked_check.bpmn"]))
    assert [str(p) for p in plan.problems] == []
    assert [(b.process_id, [c.name for c in b.called]) for b in plan.bundles] == [
        ("unmarked_caller", ["unmarked_check.bpmn"])
    ]


class TestUnmarkedCallsRun(BackendContract):
    def test_the_called_process_runs_inside_its_unmarked_caller(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), "unmarked_caller.bpmn", "unmarked_check.bpmn")
        number = open_case(engine, "unmarked_caller")
        engine.complete_task(number, "receiveApplication", {}, actor="LPK/operator", at=at(5))
        assert ready(engine, number) == ["verifyDocuments"]
        engine.complete_task(number, "verifyDocuments", {}, actor="LPK/expert", at=at(6))
        assert ready(engine, number) == ["issueResult"]
        case = engine.complete_task(number, "issueResult", {}, actor="LPK/operator", at=at(7))
        assert case.status == "completed"


def test_an_error_ref_naming_no_error_is_its_code() -> None:
    plan = plan_of("error_by_code.bpmn")
    assert [str(p) for p in plan.problems] == []


class TestErrorByCodeRuns(BackendContract):
    def test_the_error_is_caught_by_the_boundary_event(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), "error_by_code.bpmn")
        number = open_case(engine, "error_by_code")
        engine.complete_task(number, "countDocuments", {"missing": True}, actor="LPK/operator", at=at(5))
        assert ready(engine, number) == ["requestDocuments"]

    def test_without_the_error_the_set_is_accepted(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), "error_by_code.bpmn")
        number = open_case(engine, "error_by_code")
        engine.complete_task(number, "countDocuments", {"missing": False}, actor="LPK/operator", at=at(5))
        assert ready(engine, number) == ["acceptSet"]
