"""Commands keep the workflow they stepped (engine.case_steps.CaseSteps.live, one per engine) so the next
command on the case skips restoring it from JSON. What a kept workflow gives must be
what a restored one gives, byte for byte, and a step that was not saved, or failed, must
never leave a workflow behind that the next command would trust."""

from __future__ import annotations

import pytest

from engine.application import Engine
from engine.commands import CompleteTask, StartCase, input_from_dict
from engine.errors import TaskNotReady
from engine.replay import Recorded, replay_restoring
from tests.conftest import EngineMaker, at, seeded

APPLICANT = {"full_name": "Иванова Мария Петровна", "document": "4210 123456"}


@pytest.fixture
def engine(engines: EngineMaker) -> Engine:
    return seeded(engines())


def restored_states(engine: Engine, number: str) -> list[str]:
    """The state after each event, computed by restoring the workflow every step."""
    process = engine.steps.library.get(engine.get_case(number).process_version)
    states: list[str] = []
    for event in engine.case_events(number):
        step_input = input_from_dict(event.input)
        if isinstance(step_input, StartCase):
            step = engine.steps.runtime.start(process, event.originator_id, event.timestamp, step_input)
        else:
            step = engine.steps.runtime.apply(process, event.originator_id, states[-1], event.timestamp, step_input)
        states.append(step.state)
    return states


def test_commands_run_on_the_kept_workflow_and_store_what_restoring_gives(engine: Engine) -> None:
    number = engine.open_case(
        service="mini_service", office="LPK", channel="window", applicant=APPLICANT, actor="LPK/operator", at=at()
    ).number
    hits = engine.steps.live.hits
    task = engine.get_case(number).open_tasks[0]["task"]
    engine.claim_task(number, task, actor="LPK/operator", at=at(5))
    engine.complete_task(
        number, "Task_Reception", {"documents_complete": True, "pages": 4}, actor="LPK/operator", at=at(10)
    )
    case = engine.deliver_message(number, "agency_answer", {"decision": "ok"}, actor="agency", at=at(days=3))
    assert engine.steps.live.hits == hits + 3  # every command after opening found its workflow kept
    assert case.state == restored_states(engine, number)[-1]
    events = list(engine.case_events(number))
    assert replay_restoring(engine.steps, case.process_version, case.id, number, [Recorded.of(e) for e in events]).ok


def test_a_refused_command_leaves_no_workflow_kept(engine: Engine) -> None:
    number = engine.open_case(
        service="mini_service", office="LPK", channel="window", applicant=APPLICANT, actor="LPK/operator", at=at()
    ).number
    with pytest.raises(TaskNotReady):
        engine.complete_task(number, "Task_Handout", {}, actor="LPK/operator", at=at(5))
    misses = engine.steps.live.misses
    case = engine.complete_task(
        number, "Task_Reception", {"documents_complete": True, "pages": 4}, actor="LPK/operator", at=at(10)
    )
    assert engine.steps.live.misses == misses + 1  # restored: the refused step may have half-run
    assert case.state == restored_states(engine, number)[-1]


def test_a_step_computed_but_not_saved_is_not_trusted(engine: Engine) -> None:
    number = engine.open_case(
        service="mini_service", office="LPK", channel="window", applicant=APPLICANT, actor="LPK/operator", at=at()
    ).number
    case = engine.get_case(number)
    # Computed, never recorded (as when a save loses a race): the kept workflow has moved on.
    engine.steps.next(case, CompleteTask("Task_Reception", {"documents_complete": False, "pages": 1}), at(3))
    misses = engine.steps.live.misses
    case = engine.complete_task(
        number, "Task_Reception", {"documents_complete": True, "pages": 4}, actor="LPK/operator", at=at(10)
    )
    assert engine.steps.live.misses == misses + 1
    assert case.last_effects["messages_sent"] == [{"name": "agency_request", "payload": {"total": 6}}]
    assert case.state == restored_states(engine, number)[-1]


def test_a_workflow_with_nested_records_is_not_kept(engine: Engine) -> None:
    """Nested records are shared between tasks differently in a live tree and a restored
    one (engine.bpmn.runtime._flat_data), so a case holding them is restored every step."""
    number = engine.open_case(
        service="mini_service", office="LPK", channel="window", applicant=APPLICANT, actor="LPK/operator", at=at()
    ).number
    engine.complete_task(
        number, "Task_Reception", {"documents_complete": True, "pages": 4}, actor="LPK/operator", at=at(10)
    )
    engine.deliver_message(
        number, "agency_answer", {"decision": "ok", "items": [{"n": 1}]}, actor="agency", at=at(days=3)
    )
    misses = engine.steps.live.misses
    case = engine.claim_task(number, engine.get_case(number).open_tasks[0]["task"], actor="LPK/operator", at=at(days=4))
    assert engine.steps.live.misses == misses + 1
    assert case.state == restored_states(engine, number)[-1]


def test_nested_records_make_a_live_tree_differ_from_a_restored_one(engines: EngineMaker) -> None:
    """Why only flat data is kept: `alias = rows` in one step, `rows[0]["n"] = 2` in the
    next. The live tree still shares the record (the message says 2); the restored tree
    holds two copies (it says 1). Commands record what restoring gives, and verify still
    verifies the case: its live replay differs, so it replays the restore way."""
    from engine.bpmn.sources import collect_sources
    from engine.catalog import Service
    from engine.replay import replay_case, replay_live
    from tests.conftest import FIXTURES

    engine = engines()
    seeded(
        engine,
        collect_sources([FIXTURES / "nested_alias.bpmn"]),
        [Service("svc_alias", "alias", "Ведомство", "federal", 9, (), 0, "alias")],
    )
    number = engine.open_case(
        service="svc_alias", office="LPK", channel="window", applicant={}, actor="LPK/operator", at=at()
    ).number
    assert len(engine.steps.live) == 0  # nested records: not kept
    case = engine.complete_task(number, "U1", {}, actor="LPK/operator", at=at(10))
    assert case.last_effects["messages_sent"] == [{"name": "agency_request", "payload": {"seen": 1}}]
    assert case.state == restored_states(engine, number)[-1]
    events = list(engine.case_events(number))
    records = [Recorded.of(e) for e in events]
    assert not replay_live(engine.steps, case.process_version, case.id, number, records).ok  # the live tree says 2
    assert replay_case(engine.steps, events).ok
