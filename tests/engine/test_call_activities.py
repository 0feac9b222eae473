"""Call activities (issue 16): a called process runs inside the caller's one case and one
event stream, pinned by version with the caller; Camunda 7, Flowable and Camunda 8
variable mappings pass what the model says; a call the deploy cannot pin is refused."""

from __future__ import annotations

import hashlib
from typing import Any

from engine.application import Engine
from engine.bpmn.library import compile_bundle
from engine.bpmn.sources import ProcessBundle, SourceFile, collect_sources
from engine.bpmn.validation import validate
from engine.case import Case
from engine.catalog import Service
from engine.replay import Recorded, history, replay_restoring, verify
from projections.case_queries import work_list
from projections.reader import Reader
from projections.runner import Projector
from tests.conftest import FIXTURES, OFFICE, ROOT, T0, BackendContract, EngineMaker, at, mini_sources

CALLS = FIXTURES / "call_activities"
APPLICANT = {"full_name": "Петров Пётр Петрович", "document": "4210 654321"}


def service(process: str) -> Service:
    return Service(process, process, "Тестовое ведомство", "federal", 5, ("Паспорт",), 0, process)


def deployed(engine: Engine, *files: str, processes: tuple[str, ...] = ()) -> Engine:
    report = engine.deploy(collect_sources([CALLS / name for name in files]), T0)
    assert report.ok, report.problems
    engine.publish_catalog([service(p) for p in processes], T0)
    engine.register_offices([OFFICE], T0)
    return engine


def open_case(engine: Engine, process: str, minutes: float = 0) -> str:
    return engine.open_case(
        service=process, office="LPK", channel="window", actor="LPK/operator", at=at(minutes), applicant=APPLICANT
    ).number


def case_data(engine: Engine, number: str) -> dict[str, Any]:
    """The case data after its last step, from the auditors' history."""
    data: dict[str, Any] = {}
    for entry in history(engine.steps, engine.case_events(number)):
        data.update(entry.data_change["set"])
        for name in entry.data_change["removed"]:
            data.pop(name, None)
    return data


def open_tasks(engine: Engine, number: str) -> list[tuple[str, str | None]]:
    return [(t["element"], t["role"]) for t in engine.get_case(number).open_tasks]


def verified(engine: Engine, number: str) -> bool:
    return verify(engine.steps, list(engine.case_events(number))).ok


class TestCallActivitiesRun(BackendContract):
    def test_a_camunda7_call_to_a_second_process_of_the_file_runs_in_the_one_case(self, engines: EngineMaker) -> None:
        engine = deployed(engines(), "camunda7_same_file.bpmn", processes=("call_c7_parent",))
        number = open_case(engine, "call_c7_parent")
        engine.complete_task(number, "Task_Receive", {"pages": 3}, actor="LPK/operator", at=at(1))
        # The called process's task is the case's task, with its role and its stage.
        assert open_tasks(engine, number) == [("Check_Review", "expert")]
        assert engine.get_case(number).stage == "expertise"
        # The diagram draws the call activity as where the case is, while its callee runs.
        done, active = engine.steps.element_states(engine.get_case(number))
        assert {"Call_Check", "Check_Review"} <= active and "Task_Receive" in done
        engine.complete_task(number, "Check_Review", {"verdict": "ok"}, actor="LPK/expert", at=at(2))
        assert open_tasks(engine, number) == [("Task_Issue", "operator")]
        data = case_data(engine, number)
        assert data["check_verdict"] == "ok"  # camunda:out verdict -> check_verdict
        assert "verdict" not in data and "page_count" not in data  # only what is mapped comes back
        case = engine.complete_task(number, "Task_Issue", {}, actor="LPK/operator", at=at(3))
        assert case.status == "completed" and case.outcome == "issued"
        assert verified(engine, number)

    def test_camunda7_in_mappings_give_the_called_process_named_and_computed_variables_only(
        self, engines: EngineMaker
    ) -> None:
        engine = deployed(engines(), "camunda7_same_file.bpmn", processes=("call_c7_parent",))
        number = open_case(engine, "call_c7_parent")
        engine.complete_task(number, "Task_Receive", {"pages": 3}, actor="LPK/operator", at=at(1))
        engine.complete_task(number, "Check_Review", {"verdict": "incomplete"}, actor="LPK/expert", at=at(2))
        data = case_data(engine, number)
        # sides = ${pages * 2} went in; pages itself did not (camunda:in names what passes),
        # so the callee's pages, mapped back out, is null.
        assert data["sides_checked"] == 6 and data["pages_seen_by_check"] is None
        assert engine.get_case(number).outcome == "refused"

    def test_a_camunda8_call_maps_feel_inputs_and_outputs_across_files(self, engines: EngineMaker) -> None:
        engine = deployed(
            engines(), "zeebe_parent.bpmn", "zeebe_child.bpmn", processes=("call_zeebe_parent", "call_zeebe_child")
        )
        number = open_case(engine, "call_zeebe_parent")
        assert open_tasks(engine, number) == [("Child_Review", "expert")]
        engine.complete_task(number, "Child_Review", {}, actor="LPK/expert", at=at(1))
        assert open_tasks(engine, number) == [("Task_Handout", "operator")]
        data = case_data(engine, number)
        assert data["review_decision"] == "approved"  # =office, =channel = "window", a static value in
        assert not {"decision", "centre", "in_person"} & set(data)  # propagateAllChildVariables=false
        assert data["agency"] != "rosreestr"  # the child's own agency stays in the child: the case's is the catalog's
        assert engine.complete_task(number, "Task_Handout", {}, actor="LPK/operator", at=at(2)).status == "completed"
        assert verified(engine, number)

    def test_a_flowable_call_maps_in_and_out_and_takes_the_callees_lane_role(self, engines: EngineMaker) -> None:
        engine = deployed(
            engines(),
            "flowable_order.bpmn",
            "flowable_credit.bpmn",
            processes=("call_flowable_order", "call_flowable_credit"),
        )
        number = open_case(engine, "call_flowable_order")
        assert open_tasks(engine, number) == [("verifyCreditHistory", "expert")]
        engine.complete_task(number, "verifyCreditHistory", {}, actor="LPK/expert", at=at(1))
        assert open_tasks(engine, number) == [("prepareAndShipTask", "operator")]
        assert engine.get_case(number).stage == "shipping"
        data = case_data(engine, number)
        assert data["credit_ok"] is True and "amount" not in data and "creditApproved" not in data
        assert verified(engine, number)

    def test_a_case_inside_a_called_process_restores_from_the_store_and_replays_both_ways(
        self, engines: EngineMaker
    ) -> None:
        first = deployed(engines(), "camunda7_same_file.bpmn", processes=("call_c7_parent",))
        number = open_case(first, "call_c7_parent")
        first.complete_task(number, "Task_Receive", {"pages": 3}, actor="LPK/operator", at=at(1))
        # Another engine on the store has no live workflow: it restores the called process from the state.
        second = engines()
        assert open_tasks(second, number) == [("Check_Review", "expert")]
        second.complete_task(number, "Check_Review", {"verdict": "ok"}, actor="LPK/expert", at=at(2))
        second.complete_task(number, "Task_Issue", {}, actor="LPK/operator", at=at(3))
        events = list(second.case_events(number))
        opened = events[0]
        assert isinstance(opened, Case.Opened)
        records = [Recorded.of(e) for e in events]
        restoring = replay_restoring(second.steps, opened.process_version, opened.originator_id, number, records)
        assert restoring.ok and verified(second, number) and verified(first, number)

    def test_the_called_process_task_is_on_the_expert_work_list_and_every_event_folds(
        self, engines: EngineMaker
    ) -> None:
        engine = deployed(
            engines(),
            "flowable_order.bpmn",
            "flowable_credit.bpmn",
            processes=("call_flowable_order", "call_flowable_credit"),
        )
        number = open_case(engine, "call_flowable_order")
        projector = Projector(engine)
        projector.catch_up()
        listed = work_list(Reader(projector), "LPK", role="expert").rows
        assert [(t.case_number, t.element, t.role) for t in listed] == [(number, "verifyCreditHistory", "expert")]
        engine.complete_task(number, "verifyCreditHistory", {}, actor="LPK/expert", at=at(1))
        engine.complete_task(number, "prepareAndShipTask", {}, actor="LPK/operator", at=at(2))
        projector.catch_up()
        assert projector.parked() == [] and all(s.lag == 0 for s in projector.status())
        assert work_list(Reader(projector), "LPK").rows == []

    def test_a_boundary_timer_on_a_call_activity_closes_the_called_task_in_the_same_case(
        self, engines: EngineMaker
    ) -> None:
        engine = engines()
        conformance = ROOT / "tests" / "conformance" / "models_okno" / "call_activities"
        sources = collect_sources([conformance / "c7_timer_on_call.bpmn", conformance / "simple_subprocess.bpmn"])
        assert engine.deploy(sources, T0).ok
        engine.publish_catalog([service("timerOnCallActivity")], T0)
        engine.register_offices([OFFICE], T0)
        number = open_case(engine, "timerOnCallActivity")
        case = engine.get_case(number)
        assert open_tasks(engine, number) == [("task", "operator")]
        assert [t["element"] for t in case.timers] == ["timer"]
        case = engine.fire_timer(number, "timer", at=at(61))
        assert [t["element"] for t in case.last_effects["tasks_closed"]] == ["task"]
        assert open_tasks(engine, number) == [("escalatedTask", "supervisor")]
        assert (
            engine.complete_task(number, "escalatedTask", {}, actor="LPK/supervisor", at=at(62)).status == "completed"
        )
        assert verified(engine, number)

    def test_the_callee_is_pinned_with_the_caller_until_the_caller_is_redeployed(self, engines: EngineMaker) -> None:
        engine = deployed(
            engines(), "zeebe_parent.bpmn", "zeebe_child.bpmn", processes=("call_zeebe_parent", "call_zeebe_child")
        )
        before = open_case(engine, "call_zeebe_parent")
        child = (CALLS / "zeebe_child.bpmn").read_text(encoding="utf-8")
        renamed = SourceFile("zeebe_child.bpmn", child.replace("Child_Review", "Child_Review_v2"))
        # The callee alone redeployed: a new version of the callee, not of the caller.
        report = engine.deploy([renamed], at(1))
        assert report.ok and [d.process_id for d in report.deployed] == ["call_zeebe_child"]
        assert open_tasks(engine, open_case(engine, "call_zeebe_parent", 2)) == [("Child_Review", "expert")]
        # Deployed together with the caller, the caller gets a new version that calls it.
        parent = SourceFile.read(CALLS / "zeebe_parent.bpmn")
        report = engine.deploy([parent, renamed], at(3))
        assert report.ok
        assert open_tasks(engine, open_case(engine, "call_zeebe_parent", 4)) == [("Child_Review_v2", "expert")]
        # A case already running keeps the callee it started with.
        assert open_tasks(engine, before) == [("Child_Review", "expert")]
        engine.complete_task(before, "Child_Review", {}, actor="LPK/expert", at=at(5))
        assert verified(engine, before)


def plan_problems(*sources: SourceFile) -> list[str]:
    return [str(problem) for problem in validate(list(sources)).problems]


def model(name: str, processes: str) -> SourceFile:
    return SourceFile(
        name,
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
        ' id="D" targetNamespace="http://okno.example/tests">\n' + processes + "\n</bpmn:definitions>\n",
    )


def calling(process_id: str, call: str, executable: bool = True) -> str:
    flag = "true" if executable else "false"
    return (
        f'<bpmn:process id="{process_id}" isExecutable="{flag}">\n'
        f'<bpmn:startEvent id="{process_id}_start"/>\n'
        f'<bpmn:sequenceFlow id="{process_id}_f1" sourceRef="{process_id}_start" targetRef="{process_id}_call"/>\n'
        f"{call}\n"
        f'<bpmn:sequenceFlow id="{process_id}_f2" sourceRef="{process_id}_call" targetRef="{process_id}_end"/>\n'
        f'<bpmn:endEvent id="{process_id}_end"/>\n'
        "</bpmn:process>"
    )


class TestCallActivityValidation:
    def test_a_call_to_a_process_not_in_the_deploy_is_refused_with_the_processes_it_has(self) -> None:
        source = model(
            "caller.bpmn", calling("caller", '<bpmn:callActivity id="caller_call" calledElement="nowhere"/>')
        )
        assert plan_problems(source) == [
            "caller.bpmn:6: caller_call: call activity calls process 'nowhere', which is not in this deploy "
            "(processes: caller)"
        ]

    def test_a_recursive_call_cycle_is_refused(self) -> None:
        first = calling("first", '<bpmn:callActivity id="first_call" calledElement="second"/>')
        second = calling("second", '<bpmn:callActivity id="second_call" calledElement="first"/>', executable=False)
        problems = plan_problems(model("cycle.bpmn", first + second))
        assert any(
            "first: process first calls itself (first -> second -> first): recursive call activities are refused" in p
            for p in problems
        ), problems

    def test_a_called_element_chosen_at_run_time_is_refused_with_the_why(self) -> None:
        juel = model("juel.bpmn", calling("juel", '<bpmn:callActivity id="juel_call" calledElement="${next}"/>'))
        feel = model(
            "feel.bpmn",
            calling(
                "feel",
                '<bpmn:callActivity id="feel_call"><bpmn:extensionElements>'
                '<zeebe:calledElement processId="=next"/></bpmn:extensionElements></bpmn:callActivity>',
            ),
        )
        for source, text in ((juel, "${next}"), (feel, "=next")):
            [problem] = plan_problems(source)
            assert f"call activity calls {text!r}, an expression: okno pins the called process" in problem
            assert "a case's version must be fixed at deploy" in problem

    def test_a_mapping_outside_okno_s_expressions_is_refused_at_its_element(self) -> None:
        call = (
            '<bpmn:callActivity id="bad_call" calledElement="bad"><bpmn:extensionElements>'
            '<camunda:in sourceExpression="${execution.getVariable(1)}" target="x"/>'
            "</bpmn:extensionElements></bpmn:callActivity>"
        )
        problems = plan_problems(model("bad.bpmn", calling("bad", call)))
        assert any("bad_call: in mapping sourceExpression" in p for p in problems), problems

    def test_a_java_variable_mapping_or_a_cmmn_case_call_is_refused(self) -> None:
        java = '<bpmn:callActivity id="java_call" calledElement="x" camunda:variableMappingClass="org.Mapper"/>'
        cmmn = '<bpmn:callActivity id="cmmn_call" camunda:caseRef="loanCase"/>'
        [java_problem] = plan_problems(model("java.bpmn", calling("java", java)))
        assert "java_call: camunda:variableMappingClass is Java code okno cannot run" in java_problem
        [cmmn_problem] = plan_problems(model("cmmn.bpmn", calling("cmmn", cmmn)))
        assert "cmmn_call: call activity calls a CMMN case (camunda:caseRef)" in cmmn_problem

    def test_a_call_to_a_process_two_files_define_is_refused(self) -> None:
        caller = model("caller.bpmn", calling("caller", '<bpmn:callActivity id="caller_call" calledElement="lib"/>'))
        one = model("one.bpmn", calling("lib", '<bpmn:manualTask id="lib_call"/>', executable=False))
        two = model("two.bpmn", calling("lib", '<bpmn:manualTask id="lib_call"/>', executable=False))
        problems = plan_problems(caller, one, two)
        assert any(
            "caller_call: call activity calls process 'lib', which is in one.bpmn and two.bpmn" in p for p in problems
        ), problems

    def test_task_ids_shared_by_a_caller_and_its_callee_are_refused(self) -> None:
        task = '<bpmn:userTask id="Same_Task" camunda:candidateGroups="operator"/>'
        caller = calling("outer", '<bpmn:callActivity id="outer_call" calledElement="inner"/>').replace(
            "</bpmn:process>", task + "</bpmn:process>"
        )
        callee = calling("inner", '<bpmn:callActivity id="Same_Task_holder" calledElement="leaf"/>', False).replace(
            "</bpmn:process>", task + "</bpmn:process>"
        )
        leaf = calling("leaf", '<bpmn:manualTask id="leaf_call"/>', executable=False)
        problems = plan_problems(model("clash.bpmn", caller + callee + leaf))
        assert any("Same_Task: id 'Same_Task' is used in process outer too" in p for p in problems), problems

    def test_a_file_of_called_processes_only_is_not_refused_for_lacking_an_executable_pool(self) -> None:
        caller = model("caller.bpmn", calling("caller", '<bpmn:callActivity id="caller_call" calledElement="lib"/>'))
        library = model("library.bpmn", calling("lib", '<bpmn:manualTask id="lib_call"/>', executable=False))
        plan = validate([caller, library])
        assert plan.problems == []
        [bundle] = plan.bundles
        assert bundle.process_id == "caller" and bundle.called == (library,)
        compiled = compile_bundle(bundle)
        assert "lib_call" in compiled.elements and "lib" in compiled.subprocess_specs

    def test_the_decisions_a_called_process_uses_come_with_the_callers_bundle(self) -> None:
        caller = model("caller.bpmn", calling("caller", '<bpmn:callActivity id="caller_call" calledElement="rules"/>'))
        rule = '<bpmn:businessRuleTask id="rules_call" camunda:decisionRef="child_benefit_eligibility"/>'
        library = model("library.bpmn", calling("rules", rule, executable=False))
        dmn = SourceFile.read(ROOT / "processes" / "child_benefit_eligibility.dmn")
        [bundle] = validate([caller, library, dmn]).bundles
        assert bundle.dmn == (dmn,) and bundle.called == (library,)
        compile_bundle(bundle)
        assert plan_problems(caller, library) == [
            "library.bpmn:3: rules: decision 'child_benefit_eligibility' is not in any DMN file deployed with it"
        ]


class TestCalledFilesInTheVersion:
    def test_a_bundle_without_called_files_keeps_its_hash_and_its_stored_form(self) -> None:
        [bundle] = validate(mini_sources()).bundles
        assert bundle.called == ()
        assert set(bundle.to_dict()) == {"process_id", "bpmn", "dmn"}
        assert ProcessBundle.from_dict(bundle.to_dict()) == bundle
        # The hash as it was computed before call activities existed: each file's name and text.
        digest = hashlib.sha256()
        for source in (bundle.bpmn, *bundle.dmn):
            digest.update(source.name.encode("utf-8") + b"\0" + source.text.encode("utf-8") + b"\0")
        assert bundle.version == digest.hexdigest()

    def test_the_called_files_are_part_of_the_callers_version(self) -> None:
        plan = validate(collect_sources([CALLS / "zeebe_parent.bpmn", CALLS / "zeebe_child.bpmn"]))
        parent = next(b for b in plan.bundles if b.process_id == "call_zeebe_parent")
        assert [s.name for s in parent.called] == ["zeebe_child.bpmn"]
        assert ProcessBundle.from_dict(parent.to_dict()) == parent
        changed = SourceFile(parent.called[0].name, parent.called[0].text + "\n")
        assert ProcessBundle(parent.process_id, parent.bpmn, parent.dmn, called=(changed,)).version != parent.version
        assert ProcessBundle(parent.process_id, parent.bpmn, parent.dmn).version != parent.version
