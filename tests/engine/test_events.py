"""Events as the BPMN engines run them (issue 16): timers that fire when due, cycles and
cron, event-based gateways that take one branch, signals, send and receive tasks, and
errors, escalations, terminate and link events. Each model is okno's own, small, under
tests/fixtures/events/, with the public model it follows cited in it."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from engine.bpmn.library import CompiledProcess, compile_bundle
from engine.bpmn.runtime import Runtime, Step
from engine.bpmn.sources import SourceFile
from engine.bpmn.validation import validate
from engine.commands import Command, CompleteTask, DeliverMessage, DeliverSignal, FireTimer, StartCase
from engine.commands.job_workers import LockJob, ThrowJobError
from engine.errors import MessageNotAwaited, SignalNotAwaited
from engine.run_model import RunResult, load_script, run
from tests.conftest import FIXTURES

EVENTS = FIXTURES / "events"
T0 = datetime.fromisoformat("2026-11-02T09:00:00+03:00")
CASE = uuid.UUID("00000000-0000-4000-8000-000000000016")


def compiled(model: str) -> CompiledProcess:
    plan = validate([SourceFile.read(EVENTS / model)])
    assert plan.problems == []
    return compile_bundle(plan.bundles[0])


def deploy_problems(model: str) -> list[str]:
    return [str(p) for p in validate([SourceFile.read(EVENTS / model)]).problems]


def run_script(model: str, script: str) -> RunResult:
    result = run(compiled(model), load_script(script, "script"))
    assert result.ok, "\n".join(result.lines + result.failures)
    return result


class Case:
    """One case of a model stepped through the runtime, as the engine steps it."""

    def __init__(self, model: str, data: dict[str, Any] | None = None) -> None:
        self.process = compiled(model)
        self.runtime = Runtime()
        self.step: Step = self.runtime.start(self.process, CASE, T0, StartCase(data or {}))

    def __call__(self, after: timedelta, command: Command) -> dict[str, Any]:
        self.step = self.runtime.apply(self.process, CASE, self.step.state, T0 + after, command)
        return self.step.effects


def elements(timers: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(t["element"], t["due"]) for t in timers]


# --- timers -------------------------------------------------------------------------------


def test_a_message_after_an_event_gateways_timer_came_due_is_refused_and_only_the_timer_path_runs() -> None:
    case = Case("event_gateway.bpmn")
    scheduled = case(timedelta(minutes=1), CompleteTask("Task_Submit", {}))["timers_scheduled"]
    assert elements(scheduled) == [("Event_Deadline", "2026-11-02T07:01:00+00:00")]
    state = case.step.state
    with pytest.raises(MessageNotAwaited, match="timer Event_Deadline came due first"):
        case(timedelta(hours=2), DeliverMessage("agency_answer", {"decision": "yes"}))
    assert case.step.state == state  # refused: nothing changed
    effects = case(timedelta(hours=2, minutes=1), FireTimer("Event_Deadline"))
    assert effects["completed"] and effects["outcome"] == "late"


def test_a_message_before_the_gateways_timer_is_due_takes_the_message_path() -> None:
    case = Case("event_gateway.bpmn")
    case(timedelta(minutes=1), CompleteTask("Task_Submit", {}))
    effects = case(timedelta(minutes=30), DeliverMessage("agency_answer", {}))
    assert effects["completed"] and effects["outcome"] == "answered"
    assert elements(effects["timers_cancelled"]) == [("Event_Deadline", "2026-11-02T07:01:00+00:00")]


def test_a_timer_stepped_exactly_at_its_due_time_fires() -> None:
    case = Case("timer_chain.bpmn")
    assert elements(case.step.effects["timers_scheduled"]) == [("Timer_First", "2026-11-02T07:00:00+00:00")]
    effects = case(timedelta(hours=1), FireTimer("Timer_First"))
    assert elements(effects["timers_fired"]) == [("Timer_First", "2026-11-02T07:00:00+00:00")]
    assert elements(effects["timers_scheduled"]) == [("Timer_Second", "2026-11-02T08:00:00+00:00")]


def test_run_model_wait_fires_every_timer_due_by_then_in_time_order() -> None:
    result = run_script("timer_chain.bpmn", '[[step]]\nwait = "PT3H"\n[expect]\ncompleted = true\noutcome = "waited"\n')
    fired = [line for line in result.lines if "timer Timer_" in line]
    assert [line.split()[0] for line in fired] == ["2026-11-02T10:00:00+03:00", "2026-11-02T11:00:00+03:00"]


def test_a_cycle_timer_firing_is_reported_fired_and_scheduled_again_never_cancelled() -> None:
    case = Case("reminder_cycle.bpmn")
    assert elements(case.step.effects["timers_scheduled"]) == [("Timer_Remind", "2026-11-02T07:00:00+00:00")]
    first = case(timedelta(hours=1), FireTimer("Timer_Remind"))
    assert elements(first["timers_fired"]) == [("Timer_Remind", "2026-11-02T07:00:00+00:00")]
    assert elements(first["timers_scheduled"]) == [("Timer_Remind", "2026-11-02T08:00:00+00:00")]
    assert first["timers_cancelled"] == [] and first["tasks_closed"] == []  # non-interrupting
    second = case(timedelta(hours=2), FireTimer("Timer_Remind"))
    assert elements(second["timers_fired"]) == [("Timer_Remind", "2026-11-02T08:00:00+00:00")]
    assert second["timers_cancelled"] == [] and second["timers_scheduled"] == []


def test_data_set_on_a_non_interrupting_timer_branch_is_kept() -> None:
    result = run_script(
        "reminder_cycle.bpmn",
        '[[step]]\nwait = "PT90M"\n[[step]]\ncomplete = "Task_Review"\n'
        '[expect]\ncompleted = true\noutcome = "reviewed"\ndata = { reminded = true }\n',
    )
    assert any("timer Timer_Remind" in line for line in result.lines)


def test_a_quartz_cron_cycle_fires_at_nine_in_the_morning_office_time() -> None:
    case = Case("cron_reminder.bpmn")
    # Started at 09:00 Moscow: the next nine o'clock is tomorrow's (06:00 UTC).
    assert elements(case.step.effects["timers_scheduled"]) == [("Timer_Remind", "2026-11-03T06:00:00+00:00")]
    effects = case(timedelta(days=1), FireTimer("Timer_Remind"))
    assert elements(effects["timers_fired"]) == [("Timer_Remind", "2026-11-03T06:00:00+00:00")]
    assert elements(effects["timers_scheduled"]) == [("Timer_Remind", "2026-11-04T06:00:00+00:00")]


def test_a_cron_cycle_behind_an_event_gateway_is_due_at_its_first_time_and_fires_once() -> None:
    case = Case("cron_gateway.bpmn")
    # Started at 09:00 Moscow: the gateway's cron is due at tomorrow's nine (06:00 UTC).
    assert elements(case.step.effects["timers_scheduled"]) == [("Event_Morning", "2026-11-03T06:00:00+00:00")]
    effects = case(timedelta(days=1), FireTimer("Event_Morning"))
    assert elements(effects["timers_fired"]) == [("Event_Morning", "2026-11-03T06:00:00+00:00")]
    assert opened(effects) == ["Task_Morning"]
    assert effects["timers_scheduled"] == [] and effects["awaiting"] == []  # the gateway took one event, once


def test_a_message_before_the_gateways_cron_is_due_takes_the_message_path() -> None:
    case = Case("cron_gateway.bpmn")
    effects = case(timedelta(hours=3), DeliverMessage("applicant_reply", {}))
    assert effects["completed"] and effects["outcome"] == "replied"
    assert elements(effects["timers_cancelled"]) == [("Event_Morning", "2026-11-03T06:00:00+00:00")]


def test_a_cron_cycle_on_an_intermediate_catch_is_passed_once_at_its_first_time() -> None:
    case = Case("cron_wait.bpmn")
    # Monday 09:00 Moscow: the next weekday ten o'clock is today's (07:00 UTC).
    assert elements(case.step.effects["timers_scheduled"]) == [("Wait_Weekday", "2026-11-02T07:00:00+00:00")]
    effects = case(timedelta(hours=1), FireTimer("Wait_Weekday"))
    assert elements(effects["timers_fired"]) == [("Wait_Weekday", "2026-11-02T07:00:00+00:00")]
    assert opened(effects) == ["Task_Call"] and effects["timers_scheduled"] == []  # not again tomorrow
    effects = case(timedelta(hours=2), CompleteTask("Task_Call", {}))
    assert effects["completed"] and effects["outcome"] == "called"


def test_a_cron_expression_okno_cannot_run_is_refused_at_deploy(tmp_path: Any) -> None:
    model = (EVENTS / "cron_reminder.bpmn").read_text(encoding="utf-8").replace("0 0 9 * * ?", "0 0 99 * * ?")
    path = tmp_path / "bad_cron.bpmn"
    path.write_text(model, encoding="utf-8")
    found = [str(p) for p in validate([SourceFile.read(path)]).problems]
    assert len(found) == 1 and ": Timer_Remind: timer '0 0 99 * * ?': not a cron expression okno can run" in found[0]


# --- signals ------------------------------------------------------------------------------


def test_a_signal_start_event_is_refused_at_deploy_with_the_reason() -> None:
    assert deploy_problems("signal_start.bpmn") == [
        "signal_start.bpmn:11: Start_Signal: a signal start event cannot start an okno case: a case is opened "
        "for an applicant (open_case), and a signal names none. Use a none start event, and a signal catch "
        "after it if the case must wait for the signal"
    ]


def test_a_signal_thrown_inside_a_case_reaches_its_own_waiting_catch() -> None:
    case = Case("signal_throw.bpmn")
    assert case.step.effects["signals_awaited"] == ["documents_ready"]
    effects = case(timedelta(minutes=5), CompleteTask("Task_Prepare", {}))
    assert effects["completed"] and effects["outcome"] == "ready"
    assert effects["signals_awaited"] == [] and effects["messages_sent"] == []  # a signal is no agency message


def test_a_case_waiting_for_a_signal_says_so_and_takes_its_payload() -> None:
    case = Case("signal_wait.bpmn")
    assert case.step.effects["signals_awaited"] == ["tariffs_changed"]
    with pytest.raises(SignalNotAwaited, match="not waiting for signal 'service_suspended'"):
        case(timedelta(minutes=1), DeliverSignal("service_suspended", {}))
    effects = case(timedelta(minutes=2), DeliverSignal("tariffs_changed", {"tariff": 350}))
    assert [t["element"] for t in effects["tasks_opened"]] == ["Task_Recalculate"]
    assert effects["signals_awaited"] == ["service_suspended"]  # the boundary event on the task
    assert case.step.data["tariff"] == 350


def test_a_signal_boundary_event_interrupts_its_task() -> None:
    case = Case("signal_wait.bpmn")
    case(timedelta(minutes=2), DeliverSignal("tariffs_changed", {}))
    effects = case(timedelta(minutes=3), DeliverSignal("service_suspended", {}))
    assert effects["completed"] and effects["outcome"] == "suspended"
    assert [t["element"] for t in effects["tasks_closed"]] == ["Task_Recalculate"]


def test_a_model_without_signals_records_no_signal_key() -> None:
    case = Case("timer_chain.bpmn")
    assert "signals_awaited" not in case.step.effects


# --- send and receive tasks ---------------------------------------------------------------


def test_a_send_task_sends_its_message_and_a_receive_task_waits_for_its_own() -> None:
    case = Case("send_receive.bpmn")
    assert [m["name"] for m in case.step.effects["messages_sent"]] == ["fns_request"]
    assert case.step.effects["awaiting"] == ["fns_answer"]
    effects = case(timedelta(minutes=5), DeliverMessage("fns_answer", {"inn": "7700"}))
    assert effects["completed"] and effects["outcome"] == "answered"
    assert case.step.data["fns_answer"] == {"inn": "7700"}


def test_a_receive_task_without_a_message_is_refused_at_deploy(tmp_path: Any) -> None:
    model = (EVENTS / "send_receive.bpmn").read_text(encoding="utf-8").replace(' messageRef="Message_Answer"', "")
    path = tmp_path / "no_message.bpmn"
    path.write_text(model, encoding="utf-8")
    found = [str(p) for p in validate([SourceFile.read(path)]).problems]
    assert found == [
        "no_message.bpmn:16: Receive_Answer: receiveTask needs messageRef naming a bpmn:message in this file: "
        "the message it receives"
    ]


def test_a_send_task_run_by_an_external_worker_is_not_taken_for_a_message(tmp_path: Any) -> None:
    model = (EVENTS / "send_receive.bpmn").read_text(encoding="utf-8")
    model = model.replace(' messageRef="Message_Request"', ' camunda:type="external" camunda:topic="fns"')
    path = tmp_path / "external_send.bpmn"
    path.write_text(model, encoding="utf-8")
    assert not any("sendTask needs messageRef" in str(p) for p in validate([SourceFile.read(path)]).problems)


# --- terminate, errors, escalations, links, conditions -------------------------------------


def opened(effects: dict[str, Any]) -> list[str]:
    return sorted(t["element"] for t in effects["tasks_opened"])


def test_a_terminate_end_event_in_a_subprocess_ends_only_the_subprocess() -> None:
    case = Case("terminate_subprocess.bpmn")
    assert opened(case.step.effects) == ["Task_Decisive", "Task_Other"]
    effects = case(timedelta(minutes=5), CompleteTask("Task_Decisive", {}))
    assert sorted(t["element"] for t in effects["tasks_closed"]) == ["Task_Decisive", "Task_Other"]
    assert opened(effects) == ["Task_Handout"] and not effects["completed"]
    assert effects["messages_sent"] == []


def test_an_error_end_event_is_caught_by_the_subprocess_error_boundary() -> None:
    case = Case("error_escalation.bpmn")
    effects = case(timedelta(minutes=5), CompleteTask("Task_Verify", {"finding": "fraud"}))
    assert effects["completed"] and effects["outcome"] == "refused" and effects["messages_sent"] == []


def test_an_escalation_is_caught_by_a_non_interrupting_boundary_and_the_subprocess_goes_on() -> None:
    case = Case("error_escalation.bpmn")
    effects = case(timedelta(minutes=5), CompleteTask("Task_Verify", {"finding": "slow"}))
    assert opened(effects) == ["Task_Finish", "Task_Supervise"] and effects["messages_sent"] == []
    case(timedelta(minutes=6), CompleteTask("Task_Finish", {}))
    effects = case(timedelta(minutes=7), CompleteTask("Task_Supervise", {}))
    assert effects["completed"] and effects["outcome"] == "checked"


def test_a_link_throw_goes_on_at_the_link_catch_of_its_name() -> None:
    case = Case("link_events.bpmn")
    assert opened(case(timedelta(minutes=5), CompleteTask("Task_Reception", {}))) == ["Task_Handout"]


def test_a_link_nobody_catches_is_refused_at_deploy(tmp_path: Any) -> None:
    model = (
        (EVENTS / "link_events.bpmn")
        .read_text(encoding="utf-8")
        .replace(
            'name="handout"/>\n    </bpmn:intermediateCatchEvent>',
            'name="hand-out"/>\n    </bpmn:intermediateCatchEvent>',
        )
    )
    path = tmp_path / "broken_link.bpmn"
    path.write_text(model, encoding="utf-8")
    found = [str(p) for p in validate([SourceFile.read(path)]).problems]
    assert "broken_link.bpmn:14: Link_ToHandout: link 'handout' is thrown here but no link catch event" in found[0]


def test_a_conditional_event_is_refused_with_the_reason(tmp_path: Any) -> None:
    model = (EVENTS / "signal_wait.bpmn").read_text(encoding="utf-8")
    model = model.replace(
        '<bpmn:signalEventDefinition id="SED_1" signalRef="Signal_Tariffs"/>',
        '<bpmn:conditionalEventDefinition id="CED_1"><bpmn:condition>tariff &gt; 0</bpmn:condition>'
        "</bpmn:conditionalEventDefinition>",
    )
    path = tmp_path / "conditional.bpmn"
    path.write_text(model, encoding="utf-8")
    found = [str(p) for p in validate([SourceFile.read(path)]).problems]
    assert len(found) == 1 and ": Event_Tariffs: conditional events are refused: SpiffWorkflow keeps" in found[0]


def test_a_subprocess_boundary_timer_still_fires_after_a_loop_inside_the_subprocess() -> None:
    case = Case("subprocess_loop_timer.bpmn")
    for minutes in (5, 10, 50):
        case(timedelta(minutes=minutes), CompleteTask("Task_Fill", {"done": False}))
    effects = case(timedelta(hours=1), FireTimer("Timer_Deadline"))
    assert effects["completed"] and effects["outcome"] == "late"
    assert elements(effects["timers_fired"]) == [("Timer_Deadline", "2026-11-02T07:00:00+00:00")]


def test_run_model_scripts_a_signal_step() -> None:
    result = run_script(
        "signal_wait.bpmn",
        '[[step]]\nsignal = "tariffs_changed"\npayload = { tariff = 350 }\n'
        '[[step]]\nsignal = "service_suspended"\n[expect]\ncompleted = true\noutcome = "suspended"\n',
    )
    assert "awaits signal tariffs_changed" in result.lines[0]


def test_an_error_starts_its_event_subprocess_and_ends_the_work() -> None:
    case = Case("event_subprocesses.bpmn")
    assert opened(case.step.effects) == ["Task_Check"]  # neither event subprocess runs yet
    effects = case(timedelta(minutes=5), CompleteTask("Task_Check", {"finding": "fraud"}))
    assert opened(effects) == ["Task_Report"]
    effects = case(timedelta(minutes=6), CompleteTask("Task_Report", {}))
    assert effects["completed"] and effects["outcome"] == "fraud_reported"


def test_an_escalation_starts_its_non_interrupting_event_subprocess_beside_the_work() -> None:
    case = Case("event_subprocesses.bpmn")
    effects = case(timedelta(minutes=5), CompleteTask("Task_Check", {"finding": "late"}))
    assert opened(effects) == ["Task_Issue", "Task_Supervise"]
    case(timedelta(minutes=6), CompleteTask("Task_Supervise", {}))
    effects = case(timedelta(minutes=7), CompleteTask("Task_Issue", {}))
    assert effects["completed"] and effects["outcome"] == "issued"


def test_an_error_end_event_in_a_subprocess_starts_its_error_event_subprocess_and_interrupts_the_rest() -> None:
    case = Case("scoped_event_subprocess.bpmn")
    assert opened(case.step.effects) == ["Task_Photo", "Task_Verify"]
    effects = case(timedelta(minutes=5), CompleteTask("Task_Verify", {"finding": "forged"}))
    assert opened(effects) == ["Task_Handle"]
    # The photo comparison beside it belongs to the interrupted subprocess: closed, not left open.
    assert sorted(t["element"] for t in effects["tasks_closed"]) == ["Task_Photo", "Task_Verify"]


def test_when_a_subprocesss_error_event_subprocess_ends_the_subprocess_ends_and_the_case_goes_on() -> None:
    case = Case("scoped_event_subprocess.bpmn")
    case(timedelta(minutes=5), CompleteTask("Task_Verify", {"finding": "forged"}))
    assert opened(case(timedelta(minutes=6), CompleteTask("Task_Handle", {}))) == ["Task_Next"]
    effects = case(timedelta(minutes=7), CompleteTask("Task_Next", {}))
    assert effects["completed"] and effects["outcome"] == "accepted"


def test_an_error_the_subprocesss_event_subprocess_does_not_name_reaches_the_boundary_on_the_subprocess() -> None:
    case = Case("scoped_event_subprocess.bpmn")
    effects = case(timedelta(minutes=5), CompleteTask("Task_Verify", {"finding": "unreadable"}))
    assert opened(effects) == ["Task_Again"]
    effects = case(timedelta(minutes=6), CompleteTask("Task_Again", {}))
    assert effects["completed"] and effects["outcome"] == "resubmitted"


def test_a_non_interrupting_escalation_event_subprocess_in_a_subprocess_leaves_its_work_open(tmp_path: Any) -> None:
    model = (EVENTS / "scoped_event_subprocess.bpmn").read_text(encoding="utf-8")
    model = model.replace(
        '<bpmn:error id="Error_Forged" errorCode="forged"/>',
        '<bpmn:escalation id="Escalation_Forged" escalationCode="forged"/>',
    )
    model = model.replace(
        '<bpmn:endEvent id="End_Forged"><bpmn:errorEventDefinition errorRef="Error_Forged"/></bpmn:endEvent>',
        '<bpmn:endEvent id="End_Forged"><bpmn:escalationEventDefinition escalationRef="Escalation_Forged"/>'
        "</bpmn:endEvent>",
    )
    model = model.replace(
        '<bpmn:startEvent id="Start_Forged"><bpmn:errorEventDefinition errorRef="Error_Forged"/></bpmn:startEvent>',
        '<bpmn:startEvent id="Start_Forged" isInterrupting="false">'
        '<bpmn:escalationEventDefinition escalationRef="Escalation_Forged"/></bpmn:startEvent>',
    )
    (tmp_path / "scoped_escalation.bpmn").write_text(model, encoding="utf-8")
    case = Case(str(tmp_path / "scoped_escalation.bpmn"))
    effects = case(timedelta(minutes=5), CompleteTask("Task_Verify", {"finding": "forged"}))
    assert opened(effects) == ["Task_Handle"]
    assert [t["element"] for t in effects["tasks_closed"]] == ["Task_Verify"]  # the photo comparison goes on


def test_a_workers_bpmn_error_in_a_subprocess_is_caught_by_its_event_subprocess_and_closes_the_job(
    tmp_path: Any,
) -> None:
    model = (EVENTS / "scoped_event_subprocess.bpmn").read_text(encoding="utf-8")
    model = model.replace(
        '<bpmn:userTask id="Task_Verify" name="Проверка подлинности" camunda:candidateGroups="operator" '
        'camunda:formKey="verify">',
        '<bpmn:serviceTask id="Task_Verify" name="Проверка подлинности" camunda:type="external" '
        'camunda:topic="verify_document">',
    )
    model = model.replace(
        '<camunda:formData><camunda:formField id="finding" label="Итог" type="string"/></camunda:formData>\n'
        "        </bpmn:extensionElements>\n      </bpmn:userTask>",
        "</bpmn:extensionElements>\n      </bpmn:serviceTask>",
    )
    (tmp_path / "scoped_job.bpmn").write_text(model, encoding="utf-8")
    case = Case(str(tmp_path / "scoped_job.bpmn"))
    [job] = case.step.effects["jobs_opened"]
    case(timedelta(minutes=1), LockJob(job["task"], "w1", 60))
    effects = case(timedelta(minutes=2), ThrowJobError(job["task"], "w1", "forged", "stamp does not match", {}))
    assert effects["job_error"]["caught"] and effects["jobs_closed"] == [
        {"element": "Task_Verify", "task": job["task"]}
    ]
    assert opened(effects) == ["Task_Handle"]
    assert [t["element"] for t in effects["tasks_closed"]] == ["Task_Photo"]
    assert opened(case(timedelta(minutes=3), CompleteTask("Task_Handle", {}))) == ["Task_Next"]


def test_an_event_subprocess_one_case_started_leaves_the_process_as_it_was_for_the_next_case() -> None:
    process, runtime = compiled("event_subprocesses.bpmn"), Runtime()
    first = runtime.start(process, CASE, T0, StartCase({}))
    first = runtime.apply(
        process, CASE, first.state, T0 + timedelta(minutes=1), CompleteTask("Task_Check", {"finding": "fraud"})
    )
    assert opened(first.effects) == ["Task_Report"]
    # SpiffWorkflow linked the event subprocess to the shared spec's start: every later case
    # started it with the process, and never completed.
    other = uuid.UUID("00000000-0000-4000-8000-000000000017")
    step = runtime.start(process, other, T0, StartCase({}))
    assert opened(step.effects) == ["Task_Check"]
    step = runtime.apply(
        process, other, step.state, T0 + timedelta(minutes=1), CompleteTask("Task_Check", {"finding": "ok"})
    )
    step = runtime.apply(process, other, step.state, T0 + timedelta(minutes=2), CompleteTask("Task_Issue", {}))
    assert step.effects["completed"] and step.effects["outcome"] == "issued"


# --- replay: a live workflow steps as a restored one -------------------------------------

SCRIPTS: dict[str, list[tuple[timedelta, Command]]] = {
    "reminder_cycle.bpmn": [
        (timedelta(hours=1), FireTimer("Timer_Remind")),
        (timedelta(hours=2), FireTimer("Timer_Remind")),
        (timedelta(hours=3), CompleteTask("Task_Review", {})),
    ],
    "signal_wait.bpmn": [
        (timedelta(minutes=1), DeliverSignal("tariffs_changed", {"tariff": 350})),
        (timedelta(minutes=2), DeliverSignal("service_suspended", {})),
    ],
    "event_gateway.bpmn": [
        (timedelta(minutes=1), CompleteTask("Task_Submit", {})),
        (timedelta(minutes=2), DeliverMessage("agency_answer", {})),
    ],
    "error_escalation.bpmn": [
        (timedelta(minutes=1), CompleteTask("Task_Verify", {"finding": "slow"})),
        (timedelta(minutes=2), CompleteTask("Task_Supervise", {})),
        (timedelta(minutes=3), CompleteTask("Task_Finish", {})),
    ],
    "event_subprocesses.bpmn": [
        (timedelta(minutes=1), CompleteTask("Task_Check", {"finding": "late"})),
        (timedelta(minutes=2), CompleteTask("Task_Supervise", {})),
        (timedelta(minutes=3), CompleteTask("Task_Issue", {})),
    ],
    "cron_reminder.bpmn": [
        (timedelta(days=1), FireTimer("Timer_Remind")),
        (timedelta(days=2), FireTimer("Timer_Remind")),
    ],
    "scoped_event_subprocess.bpmn": [
        (timedelta(minutes=1), CompleteTask("Task_Verify", {"finding": "forged"})),
        (timedelta(minutes=2), CompleteTask("Task_Handle", {})),
        (timedelta(minutes=3), CompleteTask("Task_Next", {})),
    ],
    "cron_wait.bpmn": [
        (timedelta(hours=1), FireTimer("Wait_Weekday")),
        (timedelta(hours=2), CompleteTask("Task_Call", {})),
    ],
    "cron_gateway.bpmn": [
        (timedelta(days=1), FireTimer("Event_Morning")),
        (timedelta(days=1, hours=1), CompleteTask("Task_Morning", {})),
    ],
}


@pytest.mark.parametrize("model", sorted(SCRIPTS))
def test_a_live_workflow_records_what_a_restored_one_records(model: str) -> None:
    process, runtime = compiled(model), Runtime()
    restored = runtime.start(process, CASE, T0, StartCase({}))
    live, effects = runtime.start_live(process, CASE, T0, StartCase({}))
    assert json.loads(effects) == restored.effects
    for after, command in SCRIPTS[model]:
        restored = runtime.apply(process, CASE, restored.state, T0 + after, command)
        assert json.loads(runtime.apply_live(live, T0 + after, command)) == restored.effects
        assert live.state() == restored.state


def test_a_signal_end_event_throws_its_signal_and_the_waiting_branch_goes_on() -> None:
    case = Case("signal_end.bpmn")
    effects = case(timedelta(minutes=5), CompleteTask("Task_Prepare", {}))
    assert effects["completed"] and effects["outcome"] == "ready"
    assert effects["signals_awaited"] == []


def test_a_non_interrupting_signal_boundary_leaves_its_task_open(tmp_path: Any) -> None:
    model = (EVENTS / "signal_wait.bpmn").read_text(encoding="utf-8")
    model = model.replace(
        'attachedToRef="Task_Recalculate">', 'attachedToRef="Task_Recalculate" cancelActivity="false">'
    )
    (tmp_path / "signal_aside.bpmn").write_text(model, encoding="utf-8")
    plan = validate([SourceFile.read(tmp_path / "signal_aside.bpmn")])
    process, runtime = compile_bundle(plan.bundles[0]), Runtime()
    step = runtime.start(process, CASE, T0, StartCase({}))
    step = runtime.apply(process, CASE, step.state, T0 + timedelta(minutes=1), DeliverSignal("tariffs_changed", {}))
    step = runtime.apply(process, CASE, step.state, T0 + timedelta(minutes=2), DeliverSignal("service_suspended", {}))
    assert step.effects["tasks_closed"] == [] and not step.effects["completed"]
    step = runtime.apply(process, CASE, step.state, T0 + timedelta(minutes=3), CompleteTask("Task_Recalculate", {}))
    assert step.effects["completed"]
    assert [t["element"] for t in step.effects["tasks_closed"]] == ["Task_Recalculate"]


def test_a_signal_after_an_event_gateways_timer_came_due_is_refused_too(tmp_path: Any) -> None:
    model = (EVENTS / "event_gateway.bpmn").read_text(encoding="utf-8")
    model = model.replace(
        '<bpmn:message id="Message_Answer" name="agency_answer"/>',
        '<bpmn:signal id="Signal_Answer" name="answers_published"/>',
    )
    model = model.replace(
        '<bpmn:messageEventDefinition id="MED_1" messageRef="Message_Answer"/>',
        '<bpmn:signalEventDefinition id="SED_1" signalRef="Signal_Answer"/>',
    )
    (tmp_path / "signal_gateway.bpmn").write_text(model, encoding="utf-8")
    process, runtime = (
        compile_bundle(validate([SourceFile.read(tmp_path / "signal_gateway.bpmn")]).bundles[0]),
        Runtime(),
    )
    step = runtime.start(process, CASE, T0, StartCase({}))
    step = runtime.apply(process, CASE, step.state, T0 + timedelta(minutes=1), CompleteTask("Task_Submit", {}))
    assert step.effects["signals_awaited"] == ["answers_published"]
    with pytest.raises(SignalNotAwaited, match="timer Event_Deadline came due first"):
        runtime.apply(process, CASE, step.state, T0 + timedelta(hours=2), DeliverSignal("answers_published", {}))
    early = runtime.apply(process, CASE, step.state, T0 + timedelta(minutes=30), DeliverSignal("answers_published", {}))
    assert early.effects["completed"] and early.effects["outcome"] == "answered"
