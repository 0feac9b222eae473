"""The command registry: every command's recorded form is the tagged JSON events have
always stored, key for key, and reads back as the same command; each names its event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.utils import get_topic

from engine.application import CASE_EVENTS
from engine.case import Case
from engine.case_status import status_after
from engine.commands import (
    Acknowledge,
    ClaimTask,
    Command,
    Complain,
    CompleteJob,
    CompleteLockedJob,
    CompleteTask,
    DeliverMessage,
    DeliverSignal,
    FailJob,
    FailLockedJob,
    FireTimer,
    LockJob,
    Rate,
    ReassignTask,
    ReleaseTask,
    RetryIncident,
    StartCase,
    ThrowJobError,
    Withdraw,
    input_from_dict,
    input_to_dict,
    registered,
)

# Written by hand from the if-chains engine/bpmn/inputs.py had before the registry:
# these are the dicts stored events hold, keys in their stored order.
RECORDED: list[tuple[Command, dict[str, Any]]] = [
    (
        StartCase({"service_code": "mini_service", "office": "LPK"}),
        {"kind": "start", "data": {"service_code": "mini_service", "office": "LPK"}},
    ),
    (
        CompleteTask("Check", {"ok": True}, "t-1", "LPK/operator", "operator"),
        {
            "kind": "complete_task",
            "element": "Check",
            "data": {"ok": True},
            "task": "t-1",
            "holder": "LPK/operator",
            "role": "operator",
        },
    ),
    (
        CompleteTask("Check", {"ok": True}),
        {"kind": "complete_task", "element": "Check", "data": {"ok": True}, "task": None, "holder": None, "role": None},
    ),
    (DeliverMessage("reply", {"found": 1}), {"kind": "message", "name": "reply", "payload": {"found": 1}}),
    (FireTimer("Wait"), {"kind": "timer", "element": "Wait"}),
    (DeliverSignal("tariffs", {"t": 1}), {"kind": "signal", "name": "tariffs", "payload": {"t": 1}}),
    (
        ClaimTask("t-1", "LPK/operator", "operator"),
        {"kind": "claim", "task": "t-1", "holder": "LPK/operator", "role": "operator"},
    ),
    (
        ReleaseTask("t-1", "LPK/boss", "supervisor"),
        {"kind": "release", "task": "t-1", "by": "LPK/boss", "role": "supervisor"},
    ),
    (
        ReassignTask("t-1", "LPK/expert", "supervisor"),
        {"kind": "reassign", "task": "t-1", "holder": "LPK/expert", "role": "supervisor"},
    ),
    (
        Rate({"waiting_time": 5, "staff": 4, "premises": 3, "information": 2}),
        {"kind": "rating", "scores": {"waiting_time": 5, "staff": 4, "premises": 3, "information": 2}},
    ),
    (Complain("staff"), {"kind": "complaint", "topic": "staff"}),
    (Acknowledge(2, "R-77"), {"kind": "acknowledge", "message": 2, "reference": "R-77"}),
    (CompleteJob("t-2", {"inn": "7700"}), {"kind": "job_result", "task": "t-2", "result": {"inn": "7700"}}),
    (FailJob("t-2", "timed out"), {"kind": "job_failure", "task": "t-2", "error": "timed out"}),
    (LockJob("t-2", "w1", 60), {"kind": "job_lock", "task": "t-2", "worker": "w1", "lock_seconds": 60}),
    (
        CompleteLockedJob("t-2", "w1", {"ok": True}),
        {"kind": "job_worker_result", "task": "t-2", "worker": "w1", "result": {"ok": True}},
    ),
    (
        FailLockedJob("t-2", "w1", 2, "down", 30),
        {
            "kind": "job_worker_failure",
            "task": "t-2",
            "worker": "w1",
            "retries": 2,
            "error": "down",
            "backoff_seconds": 30,
        },
    ),
    (
        ThrowJobError("t-2", "w1", "OUT", "none left", {"n": 0}),
        {
            "kind": "job_error",
            "task": "t-2",
            "worker": "w1",
            "code": "OUT",
            "message": "none left",
            "variables": {"n": 0},
        },
    ),
    (RetryIncident("t-2"), {"kind": "incident_retry", "task": "t-2"}),
    (Withdraw("changed my mind"), {"kind": "withdraw", "reason": "changed my mind"}),
]

# The topics stored events name: they must never change.
EVENT_TOPICS = {
    StartCase: "engine.case:Case.Opened",
    CompleteTask: "engine.case:Case.TaskCompleted",
    DeliverMessage: "engine.case:Case.MessageReceived",
    FireTimer: "engine.case:Case.TimerFired",
    DeliverSignal: "engine.case:Case.SignalReceived",
    Withdraw: "engine.case:Case.Withdrawn",
    ClaimTask: "engine.case:Case.TaskClaimed",
    ReleaseTask: "engine.case:Case.TaskReleased",
    ReassignTask: "engine.case:Case.TaskReassigned",
    Rate: "engine.case:Case.Rated",
    Complain: "engine.case:Case.ComplaintFiled",
    Acknowledge: "engine.case:Case.MessageAcknowledged",
    CompleteJob: "engine.case:Case.ServiceTaskCompleted",
    FailJob: "engine.case:Case.ServiceTaskFailed",
    LockJob: "engine.case:Case.JobLocked",
    CompleteLockedJob: "engine.case:Case.ServiceTaskCompleted",
    FailLockedJob: "engine.case:Case.ServiceTaskFailed",
    ThrowJobError: "engine.case:Case.JobErrorThrown",
    RetryIncident: "engine.case:Case.IncidentRetried",
}


@pytest.mark.parametrize(("command", "recorded"), RECORDED, ids=[type(c).__name__ for c, _ in RECORDED])
def test_a_command_is_recorded_as_events_have_always_stored_it(command: Command, recorded: dict[str, Any]) -> None:
    # Byte for byte, key order included: the hash chain and fingerprints digest these bytes.
    assert json.dumps(input_to_dict(command)) == json.dumps(recorded)
    assert input_from_dict(recorded) == command
    assert input_to_dict(input_from_dict(recorded)) == recorded


def test_every_registered_command_is_covered_and_names_its_event() -> None:
    assert {type(command) for command, _ in RECORDED} == set(registered()) == set(EVENT_TOPICS)
    assert {command: get_topic(event) for command, event in CASE_EVENTS.items()} == EVENT_TOPICS


def test_a_task_completed_before_events_named_the_task_reads_without_it() -> None:
    assert input_from_dict({"kind": "complete_task", "element": "Check", "data": {}}) == CompleteTask("Check", {})


def test_claims_and_completions_recorded_before_they_named_who_acted_read_back_without_it() -> None:
    # Their rules then have no one to check: a history recorded before them replays as recorded.
    assert input_from_dict({"kind": "complete_task", "element": "Check", "data": {}, "task": "t-1"}) == CompleteTask(
        "Check", {}, "t-1", None, None
    )
    assert input_from_dict({"kind": "claim", "task": "t-1", "holder": "LPK/a"}) == ClaimTask("t-1", "LPK/a", None)
    assert input_from_dict({"kind": "release", "task": "t-1"}) == ReleaseTask("t-1", None, None)


def test_an_unknown_kind_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown input kind 'teleport'"):
        input_from_dict({"kind": "teleport"})


def test_only_feedback_and_receipts_reach_a_closed_case() -> None:
    assert {command for command in registered() if command.closed_ok} == {Rate, Complain, Acknowledge}


def test_a_kind_is_registered_once() -> None:
    with pytest.raises(TypeError, match="share the kind 'timer'"):

        class _Again(FireTimer, kind="timer", event="TimerFired"):
            pass


def _event(event_class: type[Any], **effects: Any) -> Any:
    """A case event as the store hands it back (the library's typing sees only its base fields)."""
    return event_class(
        originator_id=uuid4(),
        originator_version=2,
        timestamp=datetime(2026, 11, 2, tzinfo=UTC),
        input={},
        effects=effects,
        actor="test",
        idempotency_key=None,
        chain="",
    )


def test_the_status_rule() -> None:
    running = {"completed": False, "outcome": None}
    done = {"completed": True, "outcome": "issued"}
    assert status_after("open", None, _event(Case.TimerFired, **running)) == ("open", None)
    assert status_after("open", None, _event(Case.TaskCompleted, **done)) == ("completed", "issued")
    assert status_after("open", None, _event(Case.Withdrawn, **running)) == ("withdrawn", None)
    # What a closed case takes afterwards changes neither its status nor its outcome.
    assert status_after("completed", "issued", _event(Case.Rated, completed=True, outcome=None)) == (
        "completed",
        "issued",
    )
    assert status_after("withdrawn", None, _event(Case.Rated, **done)) == ("withdrawn", None)
