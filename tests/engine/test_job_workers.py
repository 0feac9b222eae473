"""Every service task is a job (issue 16): a job type okno has no connector for waits for
an external worker, which activates it with a lock, completes it, fails it with retries and
a backoff, or throws a BPMN error that an error boundary event catches (bug 7b); an expired
lock returns the job. Each outcome is one case event, and replay reproduces it."""

from __future__ import annotations

import pytest

from engine.application import Engine
from engine.bpmn.sources import SourceFile, collect_sources
from engine.bpmn.validation import validate
from engine.catalog import Service
from engine.commands.job_workers import JobLocked, JobNotHeld
from engine.errors import ConcurrencyConflict
from engine.replay import replay_case
from projections.jobs import due_jobs
from projections.reader import Reader
from projections.runner import Projector
from tests.conftest import FIXTURES, BackendContract, EngineMaker, at, seeded, work_jobs

ORDER = Service("order_process", "Заказ", "Магазин", "federal", 5, (), 0, "order_process")


@pytest.fixture
def engine(engines: EngineMaker) -> Engine:
    return seeded(engines(), collect_sources([FIXTURES / "order_process.bpmn"]), [ORDER])


def order(engine: Engine) -> tuple[str, str]:
    case = engine.open_case(
        service="order_process",
        office="LPK",
        channel="portal",
        applicant={},
        actor="portal",
        at=at(),
        data={"order_total": 1250},
    )
    [job] = case.open_jobs
    assert (job["element"], job["connector"]) == ("Task_CheckInventory", "checkInventory")
    return case.number, job["task"]


def test_a_job_of_a_type_with_no_connector_waits_for_an_external_worker(engine: Engine) -> None:
    number, task = order(engine)
    run = work_jobs(engine, at(5))
    assert (run.completed, run.failed) == (0, 0), "the built-in worker leaves it alone, it does not fail it"
    assert engine.get_case(number).open_jobs[0]["task"] == task


def test_a_worker_activates_completes_and_the_next_job_gets_its_mapped_input(engine: Engine) -> None:
    number, task = order(engine)
    locked = engine.lock_job(number, task, "w1", 60, actor="integrator/w1", at=at(1)).last_effects["job_locked"]
    assert locked == {
        "task": task,
        "element": "Task_CheckInventory",
        "connector": "checkInventory",
        "worker": "w1",
        "until": at(2).isoformat(),
        "retries": 3,
    }
    assert engine.job_variables(number, task)["order_total"] == 1250, "no inputs: the case's variables"
    with pytest.raises(JobLocked, match="held by worker w1"):
        engine.lock_job(number, task, "w2", 60, actor="integrator/w2", at=at(1.5))
    with pytest.raises(JobNotHeld):
        engine.complete_locked_job(number, task, "w2", {}, actor="integrator/w2", at=at(1.5))
    case = engine.complete_locked_job(number, task, "w1", {"in_stock": True}, actor="integrator/w1", at=at(1.5))
    [charge] = case.open_jobs
    assert (charge["connector"], charge["input"]) == ("chargePayment", {"amount": 1250, "currency": "RUB"})
    assert replay_case(engine.steps, list(engine.case_events(number))).ok


def test_an_expired_lock_returns_the_job_to_another_worker(engine: Engine) -> None:
    number, task = order(engine)
    engine.lock_job(number, task, "w1", 60, actor="integrator/w1", at=at(1))
    projector = Projector(engine)
    projector.catch_up()
    assert not due_jobs(Reader(projector), at(1.5)), "a locked job is not due"
    assert [row.task_id for row in due_jobs(Reader(projector), at(2))] == [task]
    engine.lock_job(number, task, "w2", 60, actor="integrator/w2", at=at(2))
    with pytest.raises(JobNotHeld, match="held by worker w2"):
        engine.complete_locked_job(number, task, "w1", {}, actor="integrator/w1", at=at(2.5))
    done = engine.complete_locked_job(number, task, "w2", {}, actor="integrator/w2", at=at(2.5))
    assert done.open_jobs[0]["element"] == "Task_ChargePayment"


def test_a_failure_with_retries_waits_its_backoff_and_none_left_is_an_incident(engine: Engine) -> None:
    number, task = order(engine)
    engine.lock_job(number, task, "w1", 60, actor="w", at=at(1))
    failed = engine.fail_locked_job(number, task, "w1", 2, "db down", 120, actor="w", at=at(1.5))
    effect = failed.last_effects["job_failed"]
    assert (effect["failure"], effect["attempts"], effect["incident"]) == (1, 3, False)
    assert effect["retry_at"] == at(3.5).isoformat()
    with pytest.raises(JobLocked, match="waits for its retry"):
        engine.lock_job(number, task, "w1", 60, actor="w", at=at(3))
    assert engine.lock_job(number, task, "w1", 60, actor="w", at=at(3.5)).last_effects["job_locked"]["retries"] == 2
    spent = engine.fail_locked_job(number, task, "w1", 0, "still down", 0, actor="w", at=at(4))
    assert spent.last_effects["job_failed"]["incident"]
    with pytest.raises(JobLocked, match="incident"):
        engine.lock_job(number, task, "w1", 60, actor="w", at=at(5))
    engine.retry_incident(number, task, actor="sup", at=at(6))
    engine.lock_job(number, task, "w1", 60, actor="w", at=at(7))
    assert engine.complete_locked_job(number, task, "w1", {}, actor="w", at=at(7.5)).open_jobs
    assert replay_case(engine.steps, list(engine.case_events(number))).ok


def test_a_bpmn_error_from_a_worker_is_caught_by_the_error_boundary_event(engine: Engine) -> None:
    number, task = order(engine)
    engine.lock_job(number, task, "w1", 60, actor="w", at=at(1))
    case = engine.throw_job_error(
        number, task, "w1", "OUT_OF_STOCK", "nothing left", {"missing": ["book"]}, actor="w", at=at(1.5)
    )
    assert case.status == "completed" and not case.open_jobs
    assert case.last_effects["job_error"] == {
        "task": task,
        "element": "Task_CheckInventory",
        "connector": "checkInventory",
        "code": "OUT_OF_STOCK",
        "message": "nothing left",
        "caught": True,
    }
    assert case.last_effects["jobs_closed"] == [{"task": task, "element": "Task_CheckInventory"}]
    assert type(list(engine.case_events(number))[-1]).__name__ == "JobErrorThrown"
    assert replay_case(engine.steps, list(engine.case_events(number))).ok


def test_an_error_no_boundary_catches_is_an_incident_and_changes_no_path(engine: Engine) -> None:
    number, task = order(engine)
    engine.lock_job(number, task, "w1", 60, actor="w", at=at(1))
    case = engine.throw_job_error(number, task, "w1", "NO_SUCH_CODE", "boom", {}, actor="w", at=at(1.5))
    assert case.status == "open" and case.open_jobs[0]["task"] == task
    assert case.last_effects["job_error"]["caught"] is False
    failed = case.last_effects["job_failed"]
    assert failed["incident"] and failed["error"] == "unhandled BPMN error NO_SUCH_CODE: boom"
    assert replay_case(engine.steps, list(engine.case_events(number))).ok


def test_an_outcome_repeated_under_its_idempotency_key_is_recorded_once(engine: Engine) -> None:
    number, task = order(engine)
    engine.lock_job(number, task, "w1", 60, actor="w", at=at(1))
    first = engine.complete_locked_job(number, task, "w1", {}, actor="w", at=at(1.5), idempotency_key="done-1")
    again = engine.complete_locked_job(number, task, "w1", {}, actor="w", at=at(1.6), idempotency_key="done-1")
    assert again.version == first.version


SERVICE_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:flowable="http://flowable.org/bpmn"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="D" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="Task_1" {attributes}>{extension}
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Task_1" />
    <bpmn:sequenceFlow id="F2" sourceRef="Task_1" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.mark.parametrize(
    ("attributes", "extension", "job_type"),
    [
        ('camunda:type="external" camunda:topic="invoice-archive"', "", "invoice-archive"),
        ("", '<bpmn:extensionElements><zeebe:taskDefinition type="telegram" /></bpmn:extensionElements>', "telegram"),
        (
            "",
            '<bpmn:extensionElements><zeebe:taskDefinition type="=&quot;fax&quot;" /></bpmn:extensionElements>',
            "fax",
        ),
        ('camunda:class="org.example.ArchiveDelegate"', "", "org.example.ArchiveDelegate"),
        ('camunda:delegateExpression="${archiveAdapter}"', "", "${archiveAdapter}"),
        ('camunda:expression="${archive.store(execution)}"', "", "${archive.store(execution)}"),
        ('flowable:class="org.example.FlowableDelegate"', "", "org.example.FlowableDelegate"),
        ("", "", "Task_1"),
    ],
)
def test_every_service_task_is_a_job_of_its_type(
    engines: EngineMaker, attributes: str, extension: str, job_type: str
) -> None:
    source = SourceFile("p.bpmn", SERVICE_TASK.format(attributes=attributes, extension=extension))
    assert not validate([source]).problems
    engine = seeded(engines(), [source], [Service("p", "P", "A", "federal", 1, (), 0, "p")])
    case = engine.open_case(service="p", office="LPK", channel="window", applicant={}, actor="op", at=at())
    assert [job["connector"] for job in case.open_jobs] == [job_type]


@pytest.mark.parametrize("kind", ["sendTask", "businessRuleTask"])
def test_a_send_or_business_rule_task_with_a_task_definition_is_a_job(engines: EngineMaker, kind: str) -> None:
    extension = '<bpmn:extensionElements><zeebe:taskDefinition type="notify-agency" /></bpmn:extensionElements>'
    text = SERVICE_TASK.format(attributes="", extension=extension).replace("bpmn:serviceTask", f"bpmn:{kind}")
    source = SourceFile("p.bpmn", text)
    assert not validate([source]).problems
    engine = seeded(engines(), [source], [Service("p", "P", "A", "federal", 1, (), 0, "p")])
    case = engine.open_case(service="p", office="LPK", channel="window", applicant={}, actor="op", at=at())
    assert [job["connector"] for job in case.open_jobs] == ["notify-agency"]


def test_a_job_type_computed_by_feel_is_refused_at_its_line() -> None:
    extension = (
        '<bpmn:extensionElements><zeebe:taskDefinition type="=kind + &quot;-job&quot;" /></bpmn:extensionElements>'
    )
    problems = validate([SourceFile("p.bpmn", SERVICE_TASK.format(attributes="", extension=extension))]).problems
    assert len(problems) == 1 and problems[0].line == 7 and problems[0].element == "Task_1"
    assert "is a FEEL expression: okno decides a job's type at deploy" in problems[0].message


def test_a_lock_outside_its_bounds_is_refused_and_changes_nothing(engine: Engine) -> None:
    number, task = order(engine)
    version = engine.get_case(number).version
    with pytest.raises(Exception, match="lock_seconds"):
        engine.lock_job(number, task, "w1", 0, actor="w", at=at(1))
    assert engine.get_case(number).version == version


class TestJobWorkersOnEveryStore(BackendContract):
    def test_locks_failures_completions_and_errors_on_sqlite_and_postgresql(self, engines: EngineMaker) -> None:
        engine = seeded(engines(), collect_sources([FIXTURES / "order_process.bpmn"]), [ORDER])
        test_an_expired_lock_returns_the_job_to_another_worker(engine)
        test_a_failure_with_retries_waits_its_backoff_and_none_left_is_an_incident(engine)
        test_a_bpmn_error_from_a_worker_is_caught_by_the_error_boundary_event(engine)


def test_two_workers_on_two_engines_never_hold_one_job(engines: EngineMaker) -> None:
    first = seeded(engines(), collect_sources([FIXTURES / "order_process.bpmn"]), [ORDER])
    second = engines()  # another server process on the same store
    number, task = order(first)
    version = second.get_case(number).version  # it read the case before the first worker locked it
    first.lock_job(number, task, "w1", 60, actor="w", at=at(1))
    with pytest.raises((JobLocked, ConcurrencyConflict)):
        second.lock_job(number, task, "w2", 60, actor="w", at=at(1))
    assert [type(e).__name__ for e in first.case_events(number)].count("JobLocked") == 1
    assert first.get_case(number).version == version + 1


def test_without_a_treasury_the_state_fee_check_waits_for_an_external_worker(engines: EngineMaker) -> None:
    """The state-fee check no longer stalls a property registration where okno's worker has
    no ГИС ГМП access point: the job waits for the integrator's own gateway."""
    from engine.catalog import parse_catalog
    from okno.bootstrap import new_connectors
    from okno.workers.jobs import run_due
    from tests.conftest import ROOT, shipped_sources

    catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
    engine = seeded(engines(), shipped_sources(), catalog)
    number = engine.open_case(
        service="rosreestr_ownership", office="LPK", channel="window", applicant={}, actor="op", at=at()
    ).number
    reception = {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:20:0000001:1"}
    [fee] = engine.complete_task(number, "Task_Reception", reception, actor="LPK/operator", at=at(1)).open_jobs
    connectors = new_connectors(engine, lambda: at(2))  # okno worker with no treasury configured
    projector = Projector(engine)
    projector.catch_up()
    run = run_due(engine, due_jobs(Reader(projector), at(2), types=connectors.names()), connectors, at(2))
    assert (run.completed, run.failed) == (0, 0), "no failure, no incident: the job waits"
    engine.lock_job(number, fee["task"], "gis-gmp-gateway", 60, actor="integrator/gis", at=at(3))
    paid = {"fee_paid": True, "fee_paid_amount": 350}
    case = engine.complete_locked_job(number, fee["task"], "gis-gmp-gateway", paid, actor="integrator/gis", at=at(4))
    assert [t["element"] for t in case.open_tasks] == ["Task_SendPackage"]


def test_a_run_model_script_throws_a_bpmn_error_at_a_job() -> None:
    from engine.bpmn.library import compile_bundle
    from engine.run_model import load_script, run

    [bundle] = validate(collect_sources([FIXTURES / "order_process.bpmn"])).bundles
    script = load_script(
        """
        data = { order_total = 10 }
        [[step]]
        job = "Task_CheckInventory"
        error = "OUT_OF_STOCK"
        [expect]
        completed = true
        """,
        "order.toml",
    )
    result = run(compile_bundle(bundle), script)
    assert result.ok, result.lines
    assert any("job Task_CheckInventory threw OUT_OF_STOCK: error OUT_OF_STOCK caught" in line for line in result.lines)
