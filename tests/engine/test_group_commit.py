"""Group commit: commands decided together and saved in one transaction. A refused command
changes nothing; a conflict writes nothing of the group and its commands run again one by
one (each recorded once or refused with its typed error); commands on one case see each
other; idempotency keys still tell a retry; the cache holds only what was committed; and
grouped cases replay like any other."""

from __future__ import annotations

import threading

import pytest

from engine.application import Engine
from engine.case import Case
from engine.commands import COMPLAINT_TOPICS
from engine.errors import CaseClosed, InvalidInput, OknoError, TaskNotReady, UnknownCase
from engine.group_commit import GroupCommitter
from engine.replay import replay_case
from tests.conftest import BackendContract, EngineMaker, at, seeded

TOPIC = COMPLAINT_TOPICS[0]


def open_mini(engine: Engine, key: str | None = None) -> str:
    return engine.open_case(
        service="mini_service",
        office="LPK",
        channel="window",
        applicant={"full_name": "И. И."},
        actor="op",
        at=at(),
        idempotency_key=key,
    ).number


def reception(engine: Engine, number: str, key: str | None = None) -> Case:
    return engine.complete_task(
        number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(5), idempotency_key=key
    )


def kinds(engine: Engine, number: str) -> list[str]:
    return [type(e).__name__ for e in engine.case_events(number)]


def notification_ids(engine: Engine, number: str) -> list[int]:
    """Where each of the case's events stands in the store's notification log."""
    case_id = engine.get_case(number).id
    found = []
    for notification in engine.store.recorder.select_notifications(1, 10_000):
        if notification.originator_id == case_id:
            found.append(notification.id)
    return found


class TestGroupCommit(BackendContract):
    def test_a_group_saves_its_cases_in_one_transaction(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        numbers = [open_mini(engine) for _ in range(3)]
        before = engine.store.recorder.max_notification_id() or 0
        with engine.group_commit() as group:
            for number in numbers:
                reception(engine, number)
            assert engine.store.recorder.max_notification_id() == before, "nothing is written before the end"
        assert [o.recorded for o in group.outcomes] == [True, True, True]
        assert not group.retried
        assert all(kinds(engine, n) == ["Opened", "TaskCompleted"] for n in numbers)
        assert engine.store.recorder.max_notification_id() == before + 3
        fresh = engines()  # another process sees what was committed
        assert {fresh.get_case(n).stage for n in numbers} == {"Рассмотрение в ведомстве"}

    def test_a_refused_command_in_a_group_changes_nothing(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        first, second = open_mini(engine), open_mini(engine)
        with engine.group_commit() as group:
            reception(engine, first)
            with pytest.raises(TaskNotReady):
                engine.complete_task(second, "Task_Handout", {}, actor="op", at=at(5))
            refused = group.submit(
                "closed", lambda: engine.deliver_message(second, "nobody_waits", {}, actor="agency", at=at(6))
            )
            assert refused is not None and isinstance(refused.error, OknoError)
            with pytest.raises(UnknownCase):
                reception(engine, "LPK-NOSUCHCASE")
        assert kinds(engine, first) == ["Opened", "TaskCompleted"]
        assert kinds(engine, second) == ["Opened"]
        assert engines().get_case(second).version == 1
        assert [(o.tag, o.recorded) for o in group.outcomes] == [(None, True), ("closed", False)]

    def test_two_commands_on_one_case_in_a_group_see_each_other(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        with engine.group_commit() as group:
            number = open_mini(engine)
            reception(engine, number)  # decided on the case the group just opened
            engine.deliver_message(number, "agency_answer", {}, actor="agency", at=at(days=1))
            with pytest.raises(TaskNotReady):  # the reception task is done already, in this group
                engine.complete_task(
                    number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(days=1.5)
                )
            with pytest.raises(InvalidInput):  # before the group's own last event
                engine.complete_task(number, "Task_Handout", {}, actor="op", at=at(1))
            engine.complete_task(number, "Task_Handout", {}, actor="op", at=at(days=2))
            with pytest.raises(CaseClosed):
                engine.withdraw_case(number, "late", actor="op", at=at(days=3))
        assert [o.version for o in group.outcomes] == [1, 2, 3, 4]
        assert kinds(engine, number) == ["Opened", "TaskCompleted", "MessageReceived", "TaskCompleted"]
        assert group.outcomes[1].effects is not None
        assert group.outcomes[1].effects["messages_sent"][0]["name"] == "agency_request"
        assert engine.get_case(number).status == "completed"
        assert engines().get_case(number).status == "completed"
        assert replay_case(engine.steps, engine.case_events(number)).ok

    def test_a_conflict_writes_nothing_of_the_group_and_each_command_runs_again(self, engines: EngineMaker) -> None:
        engine, other = seeded(engines()), engines()
        first, second, third = open_mini(engine), open_mini(engine), open_mini(engine)
        engine.get_case(third)  # cached, so the other engine's write below is news to this one
        with engine.group_commit() as group:
            reception(engine, first)
            reception(engine, second, key="reception-2")
            reception(engine, third)
            # Meanwhile another process records the same request on the second case (under
            # the same key: a client's retry) and a different one on the third.
            reception(other, second, key="reception-2")
            other.withdraw_case(third, "the applicant changed their mind", actor="op", at=at(4))
            written = other.store.recorder.max_notification_id()
        assert group.retried
        by_number = {o.number: o for o in group.outcomes}
        assert by_number[first].recorded
        assert by_number[second].error is None and not by_number[second].recorded  # done by the other one
        assert isinstance(by_number[third].error, CaseClosed)
        # Nothing of the first attempt was written: the first case's event came after the other's.
        assert notification_ids(engine, first)[-1] > (written or 0)
        assert kinds(engine, first) == ["Opened", "TaskCompleted"]
        assert kinds(engine, second) == ["Opened", "TaskCompleted"]
        assert kinds(engine, third) == ["Opened", "Withdrawn"]
        # The cache holds only what was committed.
        assert engine.get_case(third).status == "withdrawn"
        assert engine.get_case(second).version == 2
        assert all(replay_case(engine.steps, engine.case_events(n)).ok for n in (first, second, third))

    def test_idempotency_keys_hold_across_and_within_groups(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        with engine.group_commit() as group:
            number = open_mini(engine, key="open-1")
            assert open_mini(engine, key="open-1") == number  # the same request again, in the group
            reception(engine, number, key="rec-1")
            reception(engine, number, key="rec-1")
        assert [o.recorded for o in group.outcomes] == [True, False, True, False]
        with engine.group_commit() as again:  # the whole batch retried by a client
            open_mini(engine, key="open-1")
            reception(engine, number, key="rec-1")
        assert [o.recorded for o in again.outcomes] == [False, False]
        assert kinds(engine, number) == ["Opened", "TaskCompleted"]

    def test_an_exception_out_of_the_block_writes_nothing(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        number = open_mini(engine)
        with pytest.raises(RuntimeError), engine.group_commit() as group:
            reception(engine, number)
            assert engine.get_case(number).version == 2  # the group sees its own decision
            raise RuntimeError("the caller gave up")
        assert kinds(engine, number) == ["Opened"]
        assert engine.get_case(number).version == 1, "the cache never held the uncommitted case"
        assert group.outcomes[0].error is not None and not group.outcomes[0].recorded

    def test_grouped_cases_replay_and_snapshot_like_any_other(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        numbers = [open_mini(engine) for _ in range(4)]
        # Enough steps to cross a snapshot (every 10 events), each round one group.
        for round_ in range(12):
            with engine.group_commit():
                for number in numbers:
                    if round_ == 0:
                        reception(engine, number)
                    elif round_ == 1:
                        engine.deliver_message(number, "agency_answer", {}, actor="agency", at=at(days=1))
                    else:
                        engine.file_complaint(number, TOPIC, actor="citizen", at=at(days=round_))
        fresh = engines()
        for number in numbers:
            assert replay_case(engine.steps, engine.case_events(number)).ok
            assert fresh.get_case(number).version == engine.get_case(number).version


class TestSharedCommits(BackendContract):
    def test_request_threads_share_commits_and_each_command_is_recorded_once(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        numbers = [open_mini(engine) for _ in range(12)]
        committer = engine.share_commits()
        errors: list[Exception] = []

        def work(number: str) -> None:
            try:
                reception(engine, number, key="rec")
                # Two threads on the same case: one records it, the other finds it done.
                reception(engine, numbers[0], key="rec")
            except Exception as error:
                errors.append(error)

        threads = [threading.Thread(target=work, args=(n,)) for n in numbers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert all(kinds(engines(), n) == ["Opened", "TaskCompleted"] for n in numbers)
        assert committer.commands >= 12 and committer.batches <= committer.commands


def test_a_batch_forms_while_the_previous_one_commits() -> None:
    """Threads that arrive while a save is in progress are saved together in the next one;
    a conflict fails the whole batch and tells each thread."""
    started, release = threading.Event(), threading.Event()
    saved: list[tuple[object, ...]] = []

    def save(*aggregates: object) -> None:
        if not saved:
            started.set()
            release.wait(5)
        saved.append(aggregates)
        if "conflict" in aggregates:
            raise ValueError("conflict")

    committer = GroupCommitter(save, ValueError)
    results: dict[str, bool] = {}

    def submit(name: str) -> None:
        results[name] = committer.commit(name)

    first = threading.Thread(target=submit, args=("first",))
    first.start()
    started.wait(5)
    others = [threading.Thread(target=submit, args=(n,)) for n in ("a", "b", "conflict")]
    for thread in others:
        thread.start()
    while len(committer._queue) < 3:  # all three queued behind the first save
        threading.Event().wait(0.01)
    release.set()
    for thread in [first, *others]:
        thread.join(5)
    assert saved[0] == ("first",) and sorted(map(str, saved[1])) == ["a", "b", "conflict"]
    assert results == {"first": True, "a": False, "b": False, "conflict": False}
    assert (committer.batches, committer.commands) == (2, 4)
