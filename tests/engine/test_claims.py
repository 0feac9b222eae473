"""Who may work a user task, as the engine decides it when a command is given: the holder
of a claim alone completes the task, before its data is read; completing an unclaimed task
claims it in the same event; a supervisor reassigns and releases; staff work only tasks of
their role. Histories recorded before these rules still replay."""

from __future__ import annotations

import pytest

from engine.commands import CompleteTask
from engine.errors import InvalidTaskData, RoleNotAllowed, TaskHeldByAnother
from engine.replay import replay_case
from engine.staff import may_work
from tests.conftest import EngineMaker, at, seeded
from tests.engine.test_case_engine import event_count, open_mini


def test_a_claimed_task_is_completed_only_by_its_holder_and_others_are_refused_before_their_data(
    engines: EngineMaker,
) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    task = engine.get_case(number).open_tasks[0]["task"]
    engine.claim_task(number, task, actor="LPK/ivanova", role="operator", at=at(1))
    for data in ({"documents_complete": "not a boolean"}, {"documents_complete": True}):
        with pytest.raises(TaskHeldByAnother, match="held by LPK/ivanova"):
            engine.complete_task(number, "Task_Reception", data, actor="LPK/petrov", role="operator", at=at(2))
    assert event_count(engines(), number) == 2
    with pytest.raises(InvalidTaskData):  # the holder's own bad data is still refused as data
        engine.complete_task(number, "Task_Reception", {"documents_complete": "x"}, actor="LPK/ivanova", at=at(3))
    case = engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="LPK/ivanova", at=at(3))
    assert "claims" not in case.last_effects, "already held: the completion changes no claim"
    assert replay_case(engine.steps, engines().case_events(number)).ok


def test_completing_an_unclaimed_task_claims_it_in_the_same_event(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    task = engine.get_case(number).open_tasks[0]["task"]
    case = engine.complete_task(
        number, "Task_Reception", {"documents_complete": True}, actor="LPK/petrov", role="operator", at=at(1)
    )
    assert case.last_effects["claims"] == [{"task": task, "element": "Task_Reception", "holder": "LPK/petrov"}]
    [_, completed] = list(engines().case_events(number))
    assert completed.input["holder"] == "LPK/petrov" and completed.input["role"] == "operator"
    assert replay_case(engine.steps, engines().case_events(number)).ok


def test_staff_claim_and_complete_only_tasks_of_their_role(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    task = engine.get_case(number).open_tasks[0]["task"]  # Task_Reception: the operator's
    for role in ("expert", "supervisor"):
        with pytest.raises(RoleNotAllowed, match="worked by operator"):
            engine.claim_task(number, task, actor=f"LPK/{role}", role=role, at=at(1))
        with pytest.raises(RoleNotAllowed):
            engine.complete_task(
                number, "Task_Reception", {"documents_complete": "?"}, actor=f"LPK/{role}", role=role, at=at(1)
            )
    assert event_count(engines(), number) == 1
    engine.claim_task(number, task, actor="LPK/ivanova", role="operator", at=at(2))


def test_who_may_work_a_task_by_its_role() -> None:
    assert may_work("expert", "expert") and not may_work("expert", "operator") and not may_work("expert", "supervisor")
    assert may_work("expert,supervisor", "supervisor"), "a model that names supervisors lets them work it"
    assert all(may_work(None, role) for role in ("operator", "expert", "supervisor")), "no role: any staff"
    assert may_work("accountancy", "operator"), "groups naming no staff role would strand the task: any staff"
    assert not may_work("accountancy,expert", "operator")


def test_a_supervisor_reassigns_a_task_and_its_holder_loses_it(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    task = engine.get_case(number).open_tasks[0]["task"]
    engine.claim_task(number, task, actor="LPK/ivanova", role="operator", at=at(1))
    with pytest.raises(RoleNotAllowed):
        engine.reassign_task(number, task, "LPK/petrov", actor="LPK/petrov", role="operator", at=at(2))
    case = engine.reassign_task(number, task, "LPK/petrov", actor="LPK/boss", role="supervisor", at=at(2))
    assert case.open_tasks[0]["holder"] == "LPK/petrov"
    assert case.last_effects["claims"] == [
        {"task": task, "element": "Task_Reception", "holder": "LPK/petrov", "previous": "LPK/ivanova"}
    ]
    with pytest.raises(TaskHeldByAnother):
        engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="LPK/ivanova", at=at(3))
    engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="LPK/petrov", at=at(3))
    assert [type(e).__name__ for e in engines().case_events(number)] == [
        "Opened",
        "TaskClaimed",
        "TaskReassigned",
        "TaskCompleted",
    ]
    assert replay_case(engine.steps, engines().case_events(number)).ok


def test_only_the_holder_or_a_supervisor_releases_a_claim(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    task = engine.get_case(number).open_tasks[0]["task"]
    engine.claim_task(number, task, actor="LPK/ivanova", role="operator", at=at(1))
    with pytest.raises(TaskHeldByAnother, match="only they or a supervisor"):
        engine.release_task(number, task, actor="LPK/petrov", role="operator", at=at(2))
    case = engine.release_task(number, task, actor="LPK/boss", role="supervisor", at=at(2))
    assert case.open_tasks[0]["holder"] is None
    engine.claim_task(number, task, actor="LPK/petrov", role="operator", at=at(3))
    engine.release_task(number, task, actor="LPK/petrov", role="operator", at=at(4))


def test_a_completion_recorded_before_holders_were_named_still_replays(engines: EngineMaker) -> None:
    # Before issue 17 a colleague could complete a task another held, and the event named
    # no holder: it stays a valid history (the rule is the command's, not the replay's).
    engine = seeded(engines())
    number = open_mini(engine)
    task = engine.get_case(number).open_tasks[0]["task"]
    engine.claim_task(number, task, actor="LPK/ivanova", at=at(1))
    old_style = CompleteTask("Task_Reception", {"documents_complete": True})  # no holder, no role
    case = engine._handle(number, old_style, "LPK/petrov", at(2), None)
    assert "claims" not in case.last_effects
    assert case.open_tasks == []
    assert replay_case(engine.steps, engines().case_events(number)).ok
