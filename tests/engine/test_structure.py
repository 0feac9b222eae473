"""Models run as the modelers write them (issue 16, structure): embedded subprocesses with
their flow references, files whose only process is not marked executable, bare tasks,
data stores drawn for readers, several executable pools in one file, and roles in every
dialect, with a task that names none open to any staff of its office."""

from __future__ import annotations

import hashlib

import pytest
from lxml import etree

from engine.application import Engine
from engine.bpmn.library import compile_bundle
from engine.bpmn.roles import assignee_of, role_of
from engine.bpmn.sources import SourceFile, collect_sources
from engine.bpmn.validation import Plan, validate
from engine.case import Case
from engine.catalog import Service
from engine.replay import verify
from projections.case_queries import work_list
from projections.reader import Reader
from projections.runner import Projector
from tests.conftest import FIXTURES, MINI_SERVICE, OFFICE, T0, BackendContract, EngineMaker, at, mini_sources

STRUCTURE = FIXTURES / "structure"


def service(process: str) -> Service:
    return Service(process, process, "Тестовое ведомство", "federal", 5, ("Паспорт",), 0, process)


def deployed(engine: Engine, *names: str) -> Engine:
    sources = collect_sources([STRUCTURE / name for name in names])
    report = engine.deploy(sources, T0)
    assert report.ok, report.problems
    engine.publish_catalog([service(d.process_id) for d in report.deployed], T0)
    engine.register_offices([OFFICE], T0)
    return engine


def open_case(engine: Engine, process: str) -> str:
    return engine.open_case(
        service=process, office="LPK", channel="window", actor="LPK/operator", at=at(), applicant={}
    ).number


def plan_of(*names: str) -> Plan:
    return validate(collect_sources([STRUCTURE / name for name in names]))


def test_a_subprocess_written_by_camunda_modeler_has_no_false_id_problems() -> None:
    plan = plan_of("modeler_subprocess.bpmn")
    assert [str(p) for p in plan.problems] == []
    assert [b.process_id for b in plan.bundles] == ["modeler_subprocess"]


def test_a_file_whose_only_process_is_unmarked_validates_with_warnings_not_problems() -> None:
    plan = plan_of("flowable_unmarked.bpmn")
    assert [str(p) for p in plan.problems] == []
    warnings = [str(w) for w in plan.warnings]
    assert any(
        w.startswith("flowable_unmarked.bpmn:")
        and ": flowable_unmarked: warning: " in w
        and "not marked executable" in w
        for w in warnings
    ), warnings
    assert any(": noteTask: warning: an untyped task passes straight through" in w for w in warnings), warnings
    assert any(": verifyReportTask: warning: user task has no role" in w for w in warnings), warnings
    assert all(int(w.split(":")[1]) > 1 for w in warnings), warnings


def test_a_single_process_marked_not_executable_runs_with_a_warning() -> None:
    text = mini_sources()[0].text.replace('isExecutable="true"', 'isExecutable="false"')
    plan = validate([SourceFile("mini.bpmn", text)])
    assert plan.problems == [] and [b.process_id for b in plan.bundles] == ["mini"]
    assert any("is marked not executable, but it is the file's only process" in str(w) for w in plan.warnings)


def test_a_file_of_several_processes_none_executable_is_refused() -> None:
    text = (
        (STRUCTURE / "two_pools.bpmn")
        .read_text(encoding="utf-8")
        .replace('isExecutable="true"', 'isExecutable="false"')
    )
    plan = validate([SourceFile("two_pools.bpmn", text)])
    assert plan.bundles == []
    assert any("pool_reception is marked not executable" in str(p) for p in plan.problems), plan.problems


def test_two_executable_pools_are_two_processes_with_their_own_versions() -> None:
    plan = plan_of("two_pools.bpmn")
    assert plan.problems == []
    assert sorted(b.process_id for b in plan.bundles) == ["pool_archive", "pool_reception"]
    assert len({b.version for b in plan.bundles}) == 2


def test_a_one_pool_file_keeps_the_version_it_always_had() -> None:
    [source] = mini_sources()
    bundle = validate([source]).bundles[0]
    content = hashlib.sha256(source.name.encode() + b"\0" + source.text.encode() + b"\0").hexdigest()
    assert bundle.version == content
    assert "pooled" not in bundle.to_dict()


def xml_task(attributes: str, body: str = "", tag: str = "userTask") -> etree._Element:
    return etree.fromstring(
        f'<bpmn:{tag} xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:flowable="http://flowable.org/bpmn" '
        'xmlns:activiti="http://activiti.org/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
        f'id="Task_1" {attributes}>{body}</bpmn:{tag}>'
    )


def zeebe(attributes: str) -> str:
    return f"<bpmn:extensionElements><zeebe:assignmentDefinition {attributes}/></bpmn:extensionElements>"


@pytest.mark.parametrize(
    ("attributes", "body", "role"),
    [
        ('camunda:candidateGroups="expert"', "", "expert"),
        ('camunda:candidateGroups="expert, supervisor"', "", "expert,supervisor"),
        ('flowable:candidateGroups="accountancy"', "", "accountancy"),
        ('activiti:candidateGroups="management"', "", "management"),
        ("", zeebe('candidateGroups="operator"'), "operator"),
        ("", zeebe('candidateGroups="operator,expert"'), "operator,expert"),
        ("", zeebe('candidateGroups="=[&quot;expert&quot;,&quot;supervisor&quot;]"'), "expert,supervisor"),
        ("", zeebe('candidateGroups="=&quot;expert&quot;"'), "expert"),
        ("", zeebe('candidateGroups="=groups_of(x)"'), "lane"),  # decided only at run time: the lane
        ('camunda:assignee="demo"', "", "lane"),
    ],
)
def test_roles_are_read_in_every_dialect(attributes: str, body: str, role: str) -> None:
    assert role_of(xml_task(attributes, body), {"Task_1": "lane"}) == role


@pytest.mark.parametrize(
    ("attributes", "body", "assignee"),
    [
        ('camunda:assignee="demo"', "", "demo"),
        ('flowable:assignee="kermit"', "", "kermit"),
        ('activiti:assignee="gonzo"', "", "gonzo"),
        ("", zeebe('assignee="=&quot;demo&quot;"'), "demo"),
        ("", zeebe('assignee="demo"'), "demo"),
        ('camunda:candidateGroups="expert"', "", None),
    ],
)
def test_assignees_are_kept_in_every_dialect(attributes: str, body: str, assignee: str | None) -> None:
    assert assignee_of(xml_task(attributes, body)) == assignee


def test_a_manual_task_takes_its_lanes_role() -> None:
    text = (STRUCTURE / "lanes_manual.bpmn").read_text(encoding="utf-8")
    plan = validate([SourceFile("lanes_manual.bpmn", text)])
    assert plan.problems == []
    elements = compile_bundle(plan.bundles[0]).elements
    assert elements["Task_Hand"].role == "operator"
    assert elements["Task_Sign"].role == "supervisor"


class TestStructureRuns(BackendContract):
    def test_a_modeler_subprocess_runs_to_its_end(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), "modeler_subprocess.bpmn")
        number = open_case(engine, "modeler_subprocess")
        assert [t["element"] for t in engine.get_case(number).open_tasks] == ["Task_Review"]
        case = engine.complete_task(number, "Task_Review", {}, actor="LPK/operator", at=at(5))
        assert case.status == "completed"

    def test_an_unmarked_flowable_process_runs_its_bare_task_through_and_keeps_its_data_store(
        self, engines: EngineMaker
    ) -> None:
        engine = deployed(engines(), "flowable_unmarked.bpmn")
        number = open_case(engine, "flowable_unmarked")
        [task] = engine.get_case(number).open_tasks
        assert (task["element"], task["role"]) == ("writeReportTask", "accountancy")
        case = engine.complete_task(number, "writeReportTask", {}, actor="LPK/operator", at=at(5))
        [task] = case.open_tasks  # the bare noteTask passed straight through
        assert (task["element"], task["role"]) == ("verifyReportTask", None)
        case = engine.complete_task(number, "verifyReportTask", {}, actor="LPK/supervisor", at=at(6))
        assert case.status == "completed"

    def test_two_executable_pools_deploy_on_a_fresh_store_and_each_runs(self, engines: EngineMaker) -> None:
        engine = engines()
        report = engine.deploy(collect_sources([STRUCTURE / "two_pools.bpmn"]), T0)
        assert report.ok, report.problems
        assert sorted(d.process_id for d in report.deployed) == ["pool_archive", "pool_reception"]
        assert all(d.new for d in report.deployed)
        again = engine.deploy(collect_sources([STRUCTURE / "two_pools.bpmn"]), T0)
        assert again.ok and not any(d.new for d in again.deployed)
        deployed(engine, "two_pools.bpmn")
        reception = open_case(engine, "pool_reception")
        case = engine.complete_task(reception, "Task_Accept", {}, actor="LPK/operator", at=at(5))
        assert case.status == "completed"
        assert [m["name"] for m in case.last_effects["messages_sent"]] == ["agency_request"]
        archive = open_case(engine, "pool_archive")
        assert [t["element"] for t in engine.get_case(archive).open_tasks] == ["Task_File"]
        restarted = engines()  # a new process reads the pool's version back from the store
        case = restarted.complete_task(archive, "Task_File", {}, actor="LPK/operator", at=at(6))
        assert case.status == "completed"
        for number in (reception, archive):  # as `okno audit verify` does
            events = list(restarted.case_events(number))
            assert isinstance(events[0], Case.Opened)
            restarted.ensure_version(events[0].process_version)
            assert verify(restarted.steps, events).ok

    def test_a_task_without_a_role_is_on_every_staff_roles_work_list(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), "flowable_unmarked.bpmn")
        engine.deploy(mini_sources(), T0)
        engine.publish_catalog([MINI_SERVICE, service("flowable_unmarked")], T0)
        number = open_case(engine, "flowable_unmarked")
        engine.complete_task(number, "writeReportTask", {}, actor="LPK/operator", at=at(5))
        projector = Projector(engine)
        projector.catch_up()
        reader = Reader(projector)
        for role in ("operator", "expert", "supervisor"):
            assert [t.element for t in work_list(reader, "LPK", role).rows] == ["verifyReportTask"], role
        assert work_list(reader, "LPK", "accountancy").rows[0].element == "verifyReportTask"


def test_a_problem_only_spiffworkflow_finds_is_located_at_its_element() -> None:
    text = (STRUCTURE / "modeler_subprocess.bpmn").read_text(encoding="utf-8")
    without_end = text.replace('targetRef="Event_SubEnd"', 'targetRef="Task_Review"').replace(
        '<bpmn:endEvent id="Event_SubEnd">\n        <bpmn:incoming>Flow_1b2</bpmn:incoming>\n      </bpmn:endEvent>\n',
        "",
    )
    assert "Event_SubEnd" not in without_end
    [problem] = validate([SourceFile("no_end.bpmn", without_end)]).problems
    subprocess_line = next(n for n, line in enumerate(without_end.splitlines(), 1) if 'id="Activity_Check"' in line)
    assert (problem.file, problem.line, problem.element) == ("no_end.bpmn", subprocess_line, "Activity_Check")
    assert "End event" in problem.message


def test_a_sequence_flow_to_nowhere_is_named_at_the_flow() -> None:
    text = (STRUCTURE / "modeler_subprocess.bpmn").read_text(encoding="utf-8")
    broken = text.replace('targetRef="EndEvent_1"', 'targetRef="EndEvent_Nowhere"')
    [problem] = validate([SourceFile("nowhere.bpmn", broken)]).problems
    flow_line = next(n for n, line in enumerate(broken.splitlines(), 1) if 'id="Flow_0a2"' in line)
    assert (problem.line, problem.element) == (flow_line, "Flow_0a2")
    assert "targetRef 'EndEvent_Nowhere'" in problem.message
