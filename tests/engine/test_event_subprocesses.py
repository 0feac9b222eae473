"""Event subprocesses started by a message or a signal (engine/bpmn/event_subprocesses.py):
the case waits for their start events while their scope (the process, a subprocess, a
called process) runs, a delivery starts them, an interrupting one ends the rest of its
scope, and starting one leaves the compiled process as it was. The models are
tests/fixtures/events/message_event_subprocesses.bpmn and nested_event_subprocesses.bpmn."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from engine.bpmn.library import CompiledProcess, compile_bundle
from engine.bpmn.runtime import Runtime, Step
from engine.bpmn.sources import SourceFile, collect_sources
from engine.bpmn.validation import validate
from engine.catalog import Service
from engine.commands import Command, CompleteTask, DeliverMessage, DeliverSignal, FireTimer, StartCase
from engine.errors import InvalidMessagePayload, MessageNotAwaited, SignalNotAwaited
from projections.reader import Reader
from projections.runner import Projector
from projections.signals import cases_waiting_for
from tests.conftest import FIXTURES, OFFICE, EngineMaker, at

MODEL = FIXTURES / "events" / "message_event_subprocesses.bpmn"
CONTRACTS = FIXTURES / "events" / "message_event_subprocesses.messages.json"
T0 = datetime.fromisoformat("2026-11-02T09:00:00+03:00")
CASE = uuid.UUID("00000000-0000-4000-8000-00000000e5b1")
WITHDRAWAL = {"reason": "передумал"}


def compiled() -> CompiledProcess:
    plan = validate([SourceFile.read(MODEL), SourceFile.read(CONTRACTS)])
    assert plan.problems == []
    return compile_bundle(plan.bundles[0])


class Case:
    def __init__(self, process: CompiledProcess | None = None) -> None:
        self.process = process or compiled()
        self.runtime = Runtime()
        self.step: Step = self.runtime.start(self.process, CASE, T0, StartCase({}))

    def __call__(self, minutes: int, command: Command) -> dict[str, Any]:
        self.step = self.runtime.apply(self.process, CASE, self.step.state, T0 + timedelta(minutes=minutes), command)
        return self.step.effects


def opened(effects: dict[str, Any]) -> list[str]:
    return [t["element"] for t in effects["tasks_opened"]]


def closed(effects: dict[str, Any]) -> list[str]:
    return sorted(t["element"] for t in effects["tasks_closed"])


def test_a_running_case_awaits_the_messages_and_signals_its_event_subprocesses_start_on() -> None:
    effects = Case().step.effects
    assert opened(effects) == ["Task_Check"]  # none of the event subprocesses runs yet
    assert effects["awaiting"] == ["status_query", "withdrawal"]
    assert effects["signals_awaited"] == ["schedule_changed"]


def test_a_non_interrupting_event_subprocess_runs_beside_the_work_each_time_its_message_comes() -> None:
    case = Case()
    first = case(5, DeliverMessage("status_query", {}))
    assert opened(first) == ["Task_Answer"] and first["tasks_closed"] == []
    second = case(6, DeliverMessage("status_query", {}))
    assert opened(second) == ["Task_Answer"]
    assert second["awaiting"] == ["status_query", "withdrawal"]  # still waited for
    case(7, CompleteTask("Task_Answer", {}))
    case(8, CompleteTask("Task_Answer", {}))
    case(9, CompleteTask("Task_Check", {}))
    effects = case(10, CompleteTask("Task_Issue", {}))
    assert effects["completed"] and effects["outcome"] == "issued"


def test_a_signal_starts_its_non_interrupting_event_subprocess() -> None:
    case = Case()
    effects = case(5, DeliverSignal("schedule_changed", {}))
    assert opened(effects) == ["Task_Notify"] and effects["tasks_closed"] == []
    assert effects["signals_awaited"] == ["schedule_changed"]


def test_an_interrupting_event_subprocess_ends_the_rest_of_the_process_and_the_case_awaits_no_more() -> None:
    case = Case()
    case(5, DeliverMessage("status_query", {}))  # a non-interrupting one running beside
    effects = case(10, DeliverMessage("withdrawal", WITHDRAWAL))
    assert opened(effects) == ["Task_Return"]
    assert closed(effects) == ["Task_Answer", "Task_Check"]
    assert [t["element"] for t in effects["timers_cancelled"]] == ["Timer_Remind"]
    assert effects["awaiting"] == [] and effects["signals_awaited"] == []
    with pytest.raises(MessageNotAwaited, match="not waiting for message 'status_query'"):
        case(11, DeliverMessage("status_query", {}))
    with pytest.raises(SignalNotAwaited):
        case(11, DeliverSignal("schedule_changed", {}))
    effects = case(12, CompleteTask("Task_Return", {}))
    assert effects["completed"] and effects["outcome"] == "withdrawn"


def test_the_payload_keeps_its_contract_and_the_event_subprocess_sees_the_case_data() -> None:
    case = Case()
    case(5, CompleteTask("Task_Check", {"documents_complete": True}))
    state = case.step.state
    with pytest.raises(InvalidMessagePayload):
        case(6, DeliverMessage("withdrawal", {}))  # the contract asks for a reason
    assert case.step.state == state
    case(7, DeliverMessage("withdrawal", WITHDRAWAL))
    case(8, CompleteTask("Task_Return", {}))
    # The payload under the message's name, beside what the case had gathered before.
    assert case.step.data["withdrawal"] == WITHDRAWAL
    assert case.step.data["documents_complete"] is True


def test_a_case_that_has_ended_awaits_nothing() -> None:
    case = Case()
    case(5, CompleteTask("Task_Check", {}))
    effects = case(6, CompleteTask("Task_Issue", {}))
    assert effects["completed"]
    assert effects["awaiting"] == [] and effects["signals_awaited"] == []
    with pytest.raises(MessageNotAwaited):
        case(7, DeliverMessage("withdrawal", WITHDRAWAL))


def test_starting_an_event_subprocess_leaves_the_compiled_process_as_it_was() -> None:
    """SpiffWorkflow wired the event subprocess into the compiled spec on its first start, so
    every case started later on the same version began with it: a case must start the same
    on a version compiled long ago and on a fresh compile (replay)."""
    process = compiled()
    first = Case(process)
    first(5, DeliverMessage("status_query", {}))
    first(6, DeliverSignal("schedule_changed", {}))
    first(7, DeliverMessage("withdrawal", WITHDRAWAL))
    later, fresh = Case(process), Case(compiled())
    assert later.step.state == fresh.step.state
    assert opened(later.step.effects) == ["Task_Check"]


STEPS: dict[str, list[tuple[int, Command]]] = {
    "message_event_subprocesses.bpmn": [
        (5, DeliverMessage("status_query", {})),
        (6, DeliverSignal("schedule_changed", {})),
        (61, FireTimer("Timer_Remind")),
        (62, CompleteTask("Task_Notify", {})),
        (63, DeliverMessage("withdrawal", WITHDRAWAL)),
        (64, CompleteTask("Task_Return", {})),
    ],
    "nested_event_subprocesses.bpmn": [
        (5, CompleteTask("Task_Before", {"received": True})),
        (6, DeliverMessage("withdrawal", {})),
        (7, CompleteTask("Task_Return", {})),
        (8, DeliverSignal("schedule_changed", {})),
        (9, CompleteTask("Task_Review", {})),
        (10, CompleteTask("Task_Notify", {})),
        (11, CompleteTask("Task_Issue", {})),
    ],
}


@pytest.mark.parametrize("model", sorted(STEPS))
def test_a_live_workflow_records_what_a_restored_one_records(model: str) -> None:
    sources = [SourceFile.read(FIXTURES / "events" / model)]
    if model == MODEL.name:
        sources.append(SourceFile.read(CONTRACTS))
    process, runtime = compile_bundle(validate(sources).bundles[0]), Runtime()
    restored = runtime.start(process, CASE, T0, StartCase({}))
    live, effects = runtime.start_live(process, CASE, T0, StartCase({}))
    assert json.loads(effects) == restored.effects
    for minutes, command in STEPS[model]:
        restored = runtime.apply(process, CASE, restored.state, T0 + timedelta(minutes=minutes), command)
        assert json.loads(runtime.apply_live(live, T0 + timedelta(minutes=minutes), command)) == restored.effects
        assert live.state() == restored.state
    assert restored.effects["completed"]


NESTED = FIXTURES / "events" / "nested_event_subprocesses.bpmn"


def nested() -> Case:
    plan = validate([SourceFile.read(NESTED)])
    assert plan.problems == []
    return Case(compile_bundle(plan.bundles[0]))


def test_an_event_subprocess_of_a_subprocess_is_awaited_while_the_subprocess_runs_and_ends_only_it() -> None:
    case = nested()
    assert case.step.effects["awaiting"] == []  # the subprocess has not begun
    effects = case(5, CompleteTask("Task_Before", {}))
    assert opened(effects) == ["Task_Check"] and effects["awaiting"] == ["withdrawal"]
    effects = case(6, DeliverMessage("withdrawal", {}))
    assert opened(effects) == ["Task_Return"] and closed(effects) == ["Task_Check"]
    assert effects["awaiting"] == []
    effects = case(7, CompleteTask("Task_Return", {}))
    assert opened(effects) == ["Task_Review"]  # the subprocess ended; the case goes on along its flow
    assert effects["awaiting"] == []
    with pytest.raises(MessageNotAwaited):
        case(8, DeliverMessage("withdrawal", {}))


def test_an_event_subprocess_of_a_called_process_is_awaited_while_the_called_process_runs() -> None:
    case = nested()
    case(5, CompleteTask("Task_Before", {}))
    effects = case(6, CompleteTask("Task_Check", {}))
    assert opened(effects) == ["Task_Review"] and effects["signals_awaited"] == ["schedule_changed"]
    effects = case(7, DeliverSignal("schedule_changed", {}))
    assert opened(effects) == ["Task_Notify"] and effects["tasks_closed"] == []
    effects = case(8, CompleteTask("Task_Review", {}))
    assert opened(effects) == []  # the called process ends when its event subprocess does
    assert effects["signals_awaited"] == ["schedule_changed"]
    effects = case(9, CompleteTask("Task_Notify", {}))
    assert opened(effects) == ["Task_Issue"] and effects["signals_awaited"] == []
    with pytest.raises(SignalNotAwaited):
        case(10, DeliverSignal("schedule_changed", {}))
    assert case(11, CompleteTask("Task_Issue", {}))["completed"]


SERVICE = Service(
    "evsub", "Услуга с отзывом заявления", "Тестовое ведомство", "regional", 5, (), 0, "message_event_subprocesses"
)


def test_the_read_models_and_awaited_messages_list_the_waits_until_an_interrupting_one_starts(
    engines: EngineMaker,
) -> None:
    engine = engines()
    report = engine.deploy(collect_sources([MODEL, CONTRACTS]), at())
    assert report.ok, report.problems
    engine.publish_catalog([SERVICE], at())
    engine.register_offices([OFFICE], at())
    number = engine.open_case(
        service="evsub", office="LPK", channel="window", actor="LPK/operator", at=at(1), applicant={}
    ).number
    projector = Projector(engine)
    projector.catch_up()
    reader = Reader(projector)
    assert cases_waiting_for(reader, "schedule_changed") == [number]
    awaited = {contract.name: contract for contract in engine.awaited_messages(number)}
    assert sorted(awaited) == ["status_query", "withdrawal"]
    assert awaited["withdrawal"].schema["required"] == ["reason"]

    engine.deliver_message(number, "withdrawal", WITHDRAWAL, actor="gateway", at=at(2))
    projector.catch_up()
    assert cases_waiting_for(reader, "schedule_changed") == []
    assert engine.awaited_messages(number) == []
    assert [t["element"] for t in engine.get_case(number).open_tasks] == ["Task_Return"]
    assert projector.parked() == []
