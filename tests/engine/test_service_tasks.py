"""Service tasks: jobs for named connectors, results and failures recorded as inputs,
retries with a doubling backoff, incidents and their retry — and replay calls no connector."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from engine.application import Engine
from engine.bpmn.sources import SourceFile
from engine.bpmn.validation import validate
from engine.catalog import parse_catalog
from engine.connectors import ConnectorCall, ConnectorRegistry
from engine.errors import InvalidInput, OknoError, TaskNotReady
from engine.replay import replay_case
from okno.workers.jobs import run_due
from projections.jobs import due_jobs, incidents
from projections.reader import Reader
from projections.runner import Projector
from tests.conftest import (
    MASTER_KEY,
    ROOT,
    BackendContract,
    EngineMaker,
    PaidTreasury,
    at,
    seeded,
    shipped_sources,
    work_jobs,
)

RECEPTION = {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:20:0000001:1"}


@pytest.fixture
def engine(engines: EngineMaker) -> Iterator[Engine]:
    catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
    yield seeded(engines(), shipped_sources(), catalog)


def received(engine: Engine) -> tuple[str, str]:
    number = engine.open_case(
        service="rosreestr_ownership",
        office="LPK",
        channel="window",
        applicant={"full_name": "Петрова А. А.", "phone": "+7 904 111-22-33"},
        actor="LPK/operator",
        at=at(),
    ).number
    case = engine.complete_task(number, "Task_Reception", RECEPTION, actor="LPK/operator", at=at(10))
    [job] = case.open_jobs
    assert (job["element"], job["connector"]) == ("Task_CheckFee", "payment_check")
    assert job["input"] == {"purpose": "state_fee", "service": "rosreestr_ownership", "amount": 4000}
    return number, job["task"]


def test_a_failing_connector_is_retried_with_doubling_backoff_then_becomes_an_incident(engine: Engine) -> None:
    number, _ = received(engine)
    treasury = PaidTreasury()
    treasury.down = True
    moment, waits = at(11), []
    projector = Projector(engine)
    for _ in range(5):  # R5/PT10M in the model: five attempts, 10 minutes doubling
        run = work_jobs(engine, moment, treasury)
        assert run.failed == 1
        failed = engine.get_case(number).last_effects["job_failed"]
        if failed["retry_at"]:
            retry_at = datetime.fromisoformat(failed["retry_at"])
            waits.append(retry_at - moment)
            assert work_jobs(engine, retry_at - timedelta(seconds=1), treasury).failed == 0, (
                "nothing is tried before its backoff is over"
            )
            moment = retry_at
    assert waits == [timedelta(minutes=10 * 2**i) for i in range(4)]
    assert failed["incident"] and failed["failure"] == 5
    projector.catch_up()
    [incident] = incidents(Reader(projector), "LPK")
    assert incident.error == "ГИС ГМП: сервис временно недоступен (503)"
    assert not due_jobs(Reader(projector), moment + timedelta(days=30)), "an incident waits for a person"

    treasury.down = False
    engine.retry_incident(number, incident.task_id, actor="LPK/supervisor", at=moment + timedelta(hours=1))
    assert work_jobs(engine, moment + timedelta(hours=1, minutes=1), treasury).completed == 1
    case = engine.get_case(number)
    assert [t["element"] for t in case.open_tasks] == ["Task_SendPackage"] and not case.open_jobs
    projector.catch_up()
    assert not incidents(Reader(projector), "LPK")


def test_replaying_a_case_reproduces_every_effect_and_calls_no_connector(engine: Engine) -> None:
    number, fee = received(engine)
    engine.fail_job(number, fee, "timeout", actor="worker", at=at(11))
    calls: list[ConnectorCall] = []

    def counting(call: ConnectorCall) -> dict[str, object]:
        calls.append(call)
        return {"fee_paid": True}

    registry = ConnectorRegistry()
    registry.register("payment_check", counting)
    projector = Projector(engine)
    projector.catch_up()
    run_due(engine, due_jobs(Reader(projector), at(40)), registry, at(40))
    assert len(calls) == 1 and calls[0].attempt == 2 and calls[0].input["service"] == "rosreestr_ownership"
    events = list(engine.case_events(number))
    assert [type(e).__name__ for e in events][-2:] == ["ServiceTaskFailed", "ServiceTaskCompleted"]
    assert replay_case(engine.steps, events).ok
    assert len(calls) == 1, "replay took the recorded result; it never called the connector"


def test_two_workers_on_one_due_job_record_it_once(engine: Engine) -> None:
    number, _ = received(engine)
    projector = Projector(engine)
    projector.catch_up()
    rows = due_jobs(Reader(projector), at(12))
    registry = ConnectorRegistry()
    registry.register("payment_check", lambda call: {"fee_paid": True})
    first = run_due(engine, rows, registry, at(12))
    second = run_due(engine, rows, registry, at(12))  # the same rows, read before the first recorded
    assert (first.completed, second.completed, second.dropped) == (1, 0, 1)
    assert [type(e).__name__ for e in engine.case_events(number)].count("ServiceTaskCompleted") == 1


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (lambda e, n, t: e.complete_job(n, t, ["not", "an", "object"], actor="w", at=at(20)), InvalidInput),
        (lambda e, n, t: e.complete_job(n, t, {"__class__": 1}, actor="w", at=at(20)), InvalidInput),
        (lambda e, n, t: e.complete_job(n, "no-such-job", {}, actor="w", at=at(20)), TaskNotReady),
        (lambda e, n, t: e.fail_job(n, t, "", actor="w", at=at(20)), InvalidInput),
        (lambda e, n, t: e.retry_incident(n, t, actor="sup", at=at(20)), InvalidInput),
        (lambda e, n, t: e.complete_task(n, "Task_CheckFee", {}, actor="op", at=at(20)), TaskNotReady),
    ],
)
def test_bad_job_input_is_refused_and_changes_nothing(engine: Engine, command: object, error: type) -> None:
    number, fee = received(engine)
    version = engine.get_case(number).version
    with pytest.raises(error):
        command(engine, number, fee)  # type: ignore[operator]
    assert engine.get_case(number).version == version


def test_the_sms_goes_to_a_sealed_outbox_once_and_the_read_is_recorded(engine: Engine) -> None:
    number, _ = received(engine)
    work_jobs(engine, at(11))
    engine.complete_task(number, "Task_SendPackage", {"package_number": "P-1"}, actor="LPK/expert", at=at(20))
    engine.deliver_message(number, "rosreestr_decision", {"decision": "registered"}, actor="rr", at=at(days=3))
    work_jobs(engine, at(days=3, minutes=1))
    [sms] = engine.notifications.pending()
    assert sms["channel"] == "sms" and number in sms["text"] and "registered" in sms["text"]
    assert "+7 904" not in str(sms), "the recipient is sealed under the case's key"
    assert [r.purpose for r in engine.personal_data_reads(number)] == ["notification"]
    assert engine.get_case(number).last_effects["tasks_opened"][0]["element"] == "Task_Handout"


ZEEBE_SERVICE_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="D" targetNamespace="x">
  <bpmn:process id="notify" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="Task_Mail" name="E-mail">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="{connector}" retries="2" />
        <zeebe:ioMapping><zeebe:input source="=case_kind" target="template" /></zeebe:ioMapping>
      </bpmn:extensionElements>
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Task_Mail" />
    <bpmn:sequenceFlow id="F2" sourceRef="Task_Mail" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_camunda_8_task_definition_of_any_type_deploys_as_a_job() -> None:
    ok = validate([SourceFile("notify.bpmn", ZEEBE_SERVICE_TASK.format(connector="email"))])
    assert not ok.problems
    # issue 16: a type okno ships no connector for is a job an external worker takes
    other = validate([SourceFile("notify.bpmn", ZEEBE_SERVICE_TASK.format(connector="telegram"))])
    assert not other.problems
    bad_retries = ZEEBE_SERVICE_TASK.format(connector="email").replace('retries="2"', 'retries="many"')
    problems = validate([SourceFile("notify.bpmn", bad_retries)]).problems
    assert [str(p) for p in problems] == [
        "notify.bpmn:6: Task_Mail: retries 'many' must be a whole number from 1 to 20"
    ]


def test_a_connector_that_raises_fails_the_attempt_in_words(engine: Engine) -> None:
    number, _ = received(engine)

    def broken(call: ConnectorCall) -> dict[str, object]:
        raise RuntimeError("connection reset by peer")

    registry = ConnectorRegistry()
    registry.register("payment_check", broken)
    projector = Projector(engine)
    projector.catch_up()
    run = run_due(engine, due_jobs(Reader(projector), at(12)), registry, at(12))
    assert run.failed == 1
    assert engine.get_case(number).last_effects["job_failed"]["error"] == "RuntimeError: connection reset by peer"
    with pytest.raises(OknoError):
        engine.fail_job(number, "unknown", "x", actor="w", at=at(13))


class TestJobRace(BackendContract):
    @pytest.mark.slow
    def test_two_worker_processes_complete_each_due_job_exactly_once(self, engines: EngineMaker, url: str) -> None:
        catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
        engine = seeded(engines(), shipped_sources(), catalog)
        numbers = [received(engine)[0] for _ in range(20)]
        script = textwrap.dedent(f"""
            import os, contextlib
            from datetime import datetime, timezone
            from eventsourcing.persistence import IntegrityError
            from okno.bootstrap import new_engine  # signs, and trusts its key, as a worker does
            from engine.store import parse_url
            from tests.conftest import work_jobs

            engine = new_engine(parse_url({url!r}), master_key={MASTER_KEY!r}, entropy=os.urandom)
            for _ in range(50):  # the loser of a race on the read models' rows tries again
                with contextlib.suppress(IntegrityError):
                    run = work_jobs(engine, datetime(2026, 11, 3, tzinfo=timezone.utc))
                    break
            print(run.completed, run.dropped)
        """)
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        outputs = [w.communicate(timeout=300) for w in workers]
        assert all(w.returncode == 0 for w in workers), outputs
        # The workers' own counts are approximate when they race (like the timers'); the events are exact.
        assert sum(int(out.split()[0]) for out, _ in outputs) >= 20, outputs
        reader = engines()
        for number in numbers:
            kinds = [type(e).__name__ for e in reader.case_events(number)]
            assert kinds.count("ServiceTaskCompleted") == 1, (number, kinds)


CAMUNDA_SERVICE_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="x">
  <bpmn:process id="fee_only" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="Task_Fee" camunda:type="external" camunda:topic="payment_check">
      <bpmn:extensionElements>
        <camunda:properties><camunda:property name="stage" value="Проверка оплаты" /></camunda:properties>
        <camunda:inputOutput><camunda:inputParameter name="service">${service_code}</camunda:inputParameter>
        </camunda:inputOutput>
        <camunda:failedJobRetryTimeCycle>R2/PT30S</camunda:failedJobRetryTimeCycle>
      </bpmn:extensionElements>
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Task_Fee" />
    <bpmn:sequenceFlow id="F2" sourceRef="Task_Fee" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_job_can_start_a_stage_and_its_own_retry_cycle_applies(engines: EngineMaker) -> None:
    from engine.catalog import Service

    engine = seeded(
        engines(),
        [SourceFile("fee_only.bpmn", CAMUNDA_SERVICE_TASK)],
        [Service("fee_only", "Оплата", "ФК", "federal", 1, (), 0, "fee_only")],
    )
    case = engine.open_case(service="fee_only", office="LPK", channel="window", applicant={}, actor="op", at=at())
    assert case.stage == "Проверка оплаты"
    [job] = case.open_jobs
    failed = engine.fail_job(case.number, job["task"], "down", actor="w", at=at(1)).last_effects["job_failed"]
    assert (failed["attempts"], datetime.fromisoformat(failed["retry_at"]) - at(1)) == (2, timedelta(seconds=30))
    assert engine.fail_job(case.number, job["task"], "down", actor="w", at=at(2)).last_effects["job_failed"]["incident"]
    engine.retry_incident(case.number, job["task"], actor="sup", at=at(3))
    done = engine.complete_job(case.number, job["task"], {"fee_paid": True}, actor="w", at=at(4))
    assert done.status == "completed" and not done.open_jobs


def test_the_result_ready_sms_of_the_common_hand_out_needs_no_decision() -> None:
    """processes/mfc_handout.bpmn asks for `result_ready` with the service only: every case
    of the flows built on it once failed its SMS job there and never reached the hand-out."""
    from engine.connectors import ConnectorCall
    from engine.connectors.notifications import notifier

    sent: list[str] = []

    class Outbox:
        def put(self, key: str, case: str, channel: str, recipient: object, text: str, at: object) -> None:
            sent.append(text)

    send = notifier(
        "sms",
        Outbox(),  # type: ignore[arg-type]  # only put() is called
        lambda number: {"phone": "+7 904 000-00-00"},
        lambda n, f: f,
        lambda: at(),
    )
    call = ConnectorCall(
        "LPK-1", "LPK", "t1", "Task_NotifyApplicant", "sms", {"template": "result_ready", "service": "x"}, 1, "k"
    )
    assert send(call) and "по заявлению LPK-1 готов результат. " in sent[0]
    named = ConnectorCall(
        "LPK-2", "LPK", "t2", "Task_Notify", "sms", {"template": "result_ready", "decision": "registered"}, 1, "k2"
    )
    send(named)
    assert "готов результат (registered)." in sent[1]
