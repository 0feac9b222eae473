"""The case engine through its commands on a real SQLite store: a case runs its
process, and every kind of bad input is refused with a typed error and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.application import Engine, scan_cases
from engine.errors import (
    CaseClosed,
    ConcurrencyConflict,
    InputRefused,
    InvalidInput,
    InvalidTaskData,
    MessageNotAwaited,
    TaskNotReady,
    TimerNotDue,
    UnknownCase,
    UnknownOffice,
    UnknownService,
)
from tests.conftest import EngineMaker, at, seeded

APPLICANT = {"full_name": "Иванова Мария Петровна", "document": "4210 123456"}


def open_mini(engine: Engine, **overrides: Any) -> str:
    arguments: dict[str, Any] = dict(
        service="mini_service", office="LPK", channel="window", applicant=APPLICANT, actor="LPK/operator", at=at()
    )
    arguments.update(overrides)
    return engine.open_case(**arguments).number


def event_count(engine: Engine, number: str) -> int:
    return len(list(engine.case_events(number)))


def test_a_case_runs_its_process_from_reception_to_hand_out(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    case = engine.get_case(number)
    assert [t["element"] for t in case.open_tasks] == ["Task_Reception"]
    assert case.open_tasks[0]["role"] == "operator"
    assert case.stage == "Приём документов"

    case = engine.complete_task(
        number, "Task_Reception", {"documents_complete": True, "pages": 4}, actor="LPK/operator", at=at(10)
    )
    assert case.open_tasks == []
    assert case.awaiting == ["agency_answer"]
    assert case.stage == "Рассмотрение в ведомстве"
    assert case.last_effects["messages_sent"] == [{"name": "agency_request", "payload": {"total": 6}}]

    case = engine.deliver_message(number, "agency_answer", {"decision": "ok"}, actor="agency", at=at(days=3))
    assert [t["element"] for t in case.open_tasks] == ["Task_Handout"]
    assert case.timers[0]["element"] == "Timer_Unclaimed"
    assert case.timers[0]["due"] == at(days=33).isoformat()

    case = engine.complete_task(number, "Task_Handout", {}, actor="LPK/operator", at=at(days=5))
    assert (case.status, case.outcome) == ("completed", "issued")
    assert case.timers == []
    assert case.last_effects["timers_cancelled"][0]["element"] == "Timer_Unclaimed"
    assert [e.originator_version for e in engine.case_events(number)] == [1, 2, 3, 4]


def test_an_unclaimed_result_goes_back_after_its_timer(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(10))
    engine.deliver_message(number, "agency_answer", {}, actor="agency", at=at(days=1))
    with pytest.raises(TimerNotDue):
        engine.fire_timer(number, "Timer_Unclaimed", at=at(days=30))
    case = engine.fire_timer(number, "Timer_Unclaimed", at=at(days=31, minutes=1))
    assert (case.status, case.outcome) == ("completed", "returned_to_agency")


def test_incomplete_documents_end_the_case_at_reception(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    case = engine.complete_task(number, "Task_Reception", {"documents_complete": False}, actor="op", at=at(5))
    assert (case.status, case.outcome) == ("completed", "refused_at_reception")
    with pytest.raises(CaseClosed):
        engine.complete_task(number, "Task_Handout", {}, actor="op", at=at(6))


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (lambda e, n: e.complete_task(n, "Task_Handout", {}, actor="op", at=at(5)), TaskNotReady),
        (lambda e, n: e.complete_task(n, "Task_Reception", {}, actor="op", at=at(5)), InvalidTaskData),
        (
            lambda e, n: e.complete_task(n, "Task_Reception", {"documents_complete": "yes"}, actor="op", at=at(5)),
            InvalidTaskData,
        ),
        (
            lambda e, n: e.complete_task(
                n, "Task_Reception", {"documents_complete": True, "x": 1}, actor="op", at=at(5)
            ),
            InvalidTaskData,
        ),
        (
            lambda e, n: e.complete_task(
                n, "Task_Reception", {"documents_complete": True, "pages": True}, actor="op", at=at(5)
            ),
            InvalidTaskData,
        ),
        (
            lambda e, n: e.complete_task(
                n,
                "Task_Reception",
                {"documents_complete": True},
                actor="op",
                at=at(5),
                task="00000000-0000-0000-0000-000000000000",
            ),
            TaskNotReady,
        ),
        (lambda e, n: e.deliver_message(n, "agency_answer", {}, actor="agency", at=at(5)), MessageNotAwaited),
        (lambda e, n: e.fire_timer(n, "Timer_Unclaimed", at=at(5)), TimerNotDue),
        (
            lambda e, n: e.complete_task(n, "Task_Reception", {"documents_complete": True}, actor="op", at=at(-5)),
            InvalidInput,
        ),
        (lambda e, n: e.complete_task("LPK-NOSUCHCASE", "Task_Reception", {}, actor="op", at=at(5)), UnknownCase),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(engines: EngineMaker, command: Any, error: type) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    before = engine.get_case(number).state
    with pytest.raises(error) as raised:
        command(engine, number)
    assert str(raised.value)
    fresh = engines()  # a second engine reads the store, not a cache
    assert event_count(fresh, number) == 1
    assert fresh.get_case(number).state == before


def test_a_task_of_another_case_is_not_ready_in_this_one(engines: EngineMaker) -> None:
    engine = seeded(engines())
    first, second = open_mini(engine), open_mini(engine)
    other_task = engine.get_case(second).open_tasks[0]["task"]
    with pytest.raises(TaskNotReady):
        engine.complete_task(
            first, "Task_Reception", {"documents_complete": True}, actor="op", at=at(5), task=other_task
        )


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"service": "no_such_service"}, UnknownService),
        ({"office": "NOWHERE"}, UnknownOffice),
        ({"channel": "pigeon"}, InvalidInput),
        ({"applicant": {"favourite_colour": "blue"}}, InputRefused),
    ],
)
def test_opening_a_case_with_bad_input_is_refused(engines: EngineMaker, overrides: dict[str, Any], error: type) -> None:
    engine = seeded(engines())
    with pytest.raises(error):
        open_mini(engine, **overrides)
    assert scan_cases(engine) == {}


def test_of_two_concurrent_writers_one_wins_and_the_other_gets_a_conflict(engines: EngineMaker) -> None:
    first, second = seeded(engines()), engines()
    number = open_mini(first)
    assert second.get_case(number).version == 1  # both now hold version 1
    first.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="a", at=at(5))
    stale: Any = second.store.repository.get(first.get_case(number).id, version=1)
    from engine.case import Case
    from engine.commands import CompleteTask

    step = second.steps.next(stale, CompleteTask("Task_Reception", {"documents_complete": False}), at(6))
    stale.record(
        Case.TaskCompleted,
        CompleteTask("Task_Reception", {"documents_complete": False}),
        step,
        actor="b",
        at=at(6),
        idempotency_key=None,
        signer=second.signer,
    )
    from eventsourcing.persistence import IntegrityError

    with pytest.raises(IntegrityError):
        second.store.save(stale)
    assert [e.actor for e in engines().case_events(number)] == ["LPK/operator", "a"]


def test_a_command_on_a_stale_engine_reports_a_conflict_and_loses_nothing(
    engines: EngineMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = seeded(engines()), engines()
    number = open_mini(first)
    stale = second.get_case(number)
    first.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="a", at=at(5))
    monkeypatch.setattr(second, "get_case", lambda _number: stale)
    with pytest.raises(ConcurrencyConflict) as raised:
        second.complete_task(number, "Task_Reception", {"documents_complete": False}, actor="b", at=at(6))
    assert raised.value.number == number and raised.value.version == 1
    history = list(engines().case_events(number))
    assert [e.actor for e in history] == ["LPK/operator", "a"]


def test_retries_with_the_same_idempotency_key_record_once(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = open_mini(engine, idempotency_key="portal-42")
    assert open_mini(engine, idempotency_key="portal-42", at=at(1)) == number
    for attempt in range(3):
        engine.complete_task(
            number,
            "Task_Reception",
            {"documents_complete": True},
            actor="op",
            at=at(5 + attempt),
            idempotency_key="reception-1",
        )
    assert event_count(engines(), number) == 2
    assert len(scan_cases(engine)) == 1


def test_personal_data_is_sealed_at_rest_and_shredding_makes_it_unreadable(
    engines: EngineMaker, sqlite_url: str
) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    assert engine.applicant(number) == APPLICANT
    import sqlite3
    import zlib

    rows = sqlite3.connect(sqlite_url.removeprefix("sqlite:///")).execute("select state from stored_events")
    stored = b"".join(zlib.decompress(row[0]) for row in rows)  # the store compresses, never encrypts
    assert b"mini_service" in stored
    assert "Иванова".encode() not in stored and b"4210 123456" not in stored
    assert json.dumps("Иванова").strip('"').encode() not in stored
    case = engine.get_case(number)
    engine.vault.shred(case.id)
    assert engine.applicant(number) is None
    assert engine.get_case(number).version == 1  # the history itself is untouched


def test_loading_a_long_case_uses_snapshots(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(5))
    engine.deliver_message(number, "agency_answer", {}, actor="agency", at=at(days=1))
    case = engine.get_case(number)
    engine.store.take_snapshot(case.id)
    fresh = engines().get_case(number)
    assert fresh.state == case.state and fresh.version == case.version


def test_a_script_that_would_run_for_ever_is_stopped_and_the_case_is_not_corrupted(engines: EngineMaker) -> None:
    from engine.bpmn.sources import SourceFile
    from engine.errors import ProcessFailure
    from tests.conftest import FIXTURES

    heavy = (
        (FIXTURES / "mini.bpmn")
        .read_text(encoding="utf-8")
        .replace(
            "for p in [1, 2, 3]:\n    total += p",
            "items = [0] * 5000\nfor a in items:\n    for b in items:\n        total += 1",
        )
    )
    engine = seeded(engines(), [SourceFile("mini.bpmn", heavy)])
    number = open_mini(engine)
    with pytest.raises(ProcessFailure, match=r"Script_Count.*steps"):
        engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(5))
    fresh = engines()
    assert event_count(fresh, number) == 1
    case = fresh.get_case(number)
    assert [t["element"] for t in case.open_tasks] == ["Task_Reception"]


def test_an_idempotency_key_reused_for_a_different_request_is_refused(engines: EngineMaker) -> None:
    from engine.errors import IdempotencyKeyReused

    engine = seeded(engines())
    number = open_mini(engine, idempotency_key="k1")
    with pytest.raises(IdempotencyKeyReused):
        open_mini(engine, idempotency_key="k1", channel="portal")
    engine.complete_task(
        number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(5), idempotency_key="k2"
    )
    with pytest.raises(IdempotencyKeyReused):
        engine.complete_task(
            number, "Task_Reception", {"documents_complete": False}, actor="op", at=at(6), idempotency_key="k2"
        )
    assert event_count(engines(), number) == 2


def test_a_task_is_claimed_by_one_operator_released_and_claimed_again(engines: EngineMaker) -> None:
    from engine.errors import TaskAlreadyClaimed, TaskNotClaimed

    engine = seeded(engines())
    number = open_mini(engine)
    task = engine.get_case(number).open_tasks[0]["task"]
    case = engine.claim_task(number, task, actor="LPK/ivanova", at=at(1))
    assert case.open_tasks[0]["holder"] == "LPK/ivanova"
    with pytest.raises(TaskAlreadyClaimed, match="held by LPK/ivanova"):
        engine.claim_task(number, task, actor="LPK/petrov", at=at(2))
    engine.release_task(number, task, actor="LPK/ivanova", at=at(3))
    with pytest.raises(TaskNotClaimed):
        engine.release_task(number, task, actor="LPK/ivanova", at=at(4))
    case = engine.claim_task(number, task, actor="LPK/petrov", at=at(5))
    assert case.open_tasks[0]["holder"] == "LPK/petrov"
    case = engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="LPK/petrov", at=at(6))
    with pytest.raises(TaskNotReady):
        engine.claim_task(number, task, actor="LPK/petrov", at=at(7))
    from engine.replay import replay_case

    assert replay_case(engine.steps, engines().case_events(number)).ok
    assert [type(e).__name__ for e in engine.case_events(number)] == [
        "Opened",
        "TaskClaimed",
        "TaskReleased",
        "TaskClaimed",
        "TaskCompleted",
    ]


def test_a_citizen_rates_a_closed_case_once_on_four_criteria(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    engine.complete_task(number, "Task_Reception", {"documents_complete": False}, actor="op", at=at(5))
    scores = {"waiting_time": 5, "staff": 4, "premises": 3, "information": 5}
    for bad, fragment in [
        ({**scores, "staff": 6}, "staff: must be a whole number from 1 to 5"),
        ({**scores, "staff": 0}, "staff: must be a whole number from 1 to 5"),
        ({k: v for k, v in scores.items() if k != "premises"}, "premises: missing"),
        ({**scores, "coffee": 5}, "coffee: unknown criterion"),
    ]:
        with pytest.raises(InvalidInput, match=fragment):
            engine.rate_case(number, bad, actor="citizen", at=at(10))
    case = engine.rate_case(number, scores, actor="citizen", at=at(10))
    assert case.last_effects["rating"] == scores and case.status == "completed"
    with pytest.raises(InvalidInput, match="already been rated"):
        engine.rate_case(number, scores, actor="citizen", at=at(11))
    with pytest.raises(InvalidInput, match="complaint topic"):
        engine.file_complaint(number, "weather", actor="citizen", at=at(12))
    engine.file_complaint(number, "waiting_time", actor="citizen", at=at(12))
    assert event_count(engines(), number) == 4
