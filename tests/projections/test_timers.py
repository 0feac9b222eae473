"""The worker fires due timers: each exactly once, even with two workers running; a timer
whose case has moved on is dropped quietly."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from engine.application import Engine
from engine.case import Case
from okno.workers.timers import fire_due
from projections.reader import Reader
from projections.runner import Projector
from projections.timers import TimerRow, due_timers
from tests.conftest import MASTER_KEY, ROOT, BackendContract, EngineMaker, at, seeded


def cases_with_due_timers(engine: Engine, count: int) -> list[str]:
    numbers = []
    for _ in range(count):
        number = engine.open_case(
            service="mini_service", office="LPK", channel="window", applicant={}, actor="op", at=at()
        ).number
        engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(5))
        engine.deliver_message(number, "agency_answer", {}, actor="agency", at=at(days=1))
        numbers.append(number)
    return numbers


class TestTimers(BackendContract):
    def test_due_timers_fire_and_a_moved_on_case_is_dropped_quietly(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        numbers = cases_with_due_timers(engine, 3)
        engine.complete_task(numbers[0], "Task_Handout", {}, actor="op", at=at(days=2))  # moved on
        projector = Projector(engine)
        projector.catch_up()
        reader = Reader(projector)
        assert due_timers(reader, at(days=30)) == []  # not due yet
        due = due_timers(reader, at(days=40))
        assert sorted(r.case_number for r in due) == sorted(numbers[1:])
        firing = fire_due(engine, due, at(days=40))
        assert (firing.fired, firing.dropped) == (2, 0)
        assert {engine.get_case(n).outcome for n in numbers[1:]} == {"returned_to_agency"}
        stale = [TimerRow(task="gone", case_number=numbers[0], element="Timer_Unclaimed", due=due[0].due)]
        assert fire_due(engine, stale, at(days=41)).dropped == 1
        projector.catch_up()
        assert due_timers(reader, at(days=400)) == []

    @pytest.mark.slow
    def test_two_workers_fire_each_due_timer_exactly_once(self, engines: EngineMaker, url: str, tmp_path: Path) -> None:
        engine = seeded(engines())
        numbers = cases_with_due_timers(engine, 25)
        # Its own folder: on SQLite the store's files (okno.sqlite, -wal, -shm) are in
        # tmp_path, and counting them opened the barrier at once (seen in CI).
        ready = tmp_path / "ready"
        ready.mkdir()
        script = textwrap.dedent(f"""
            import os, contextlib, pathlib, time
            from datetime import datetime, timezone
            from eventsourcing.persistence import IntegrityError
            from okno.bootstrap import new_engine  # signs, and trusts its key, as a worker does
            from engine.store import parse_url
            from projections.reader import Reader
            from projections.runner import Projector
            from okno.workers.timers import fire_due
            from projections.timers import due_timers

            engine = new_engine(parse_url({url!r}), master_key={MASTER_KEY!r}, entropy=os.urandom)
            projector = Projector(engine)
            # Two projectors race on the same rows (tracking, the chain guard's heads): the
            # loser of each page rolls back and tries again, as the worker's loop does.
            for _ in range(50):
                with contextlib.suppress(IntegrityError):
                    projector.catch_up()
                    break
            now = datetime(2027, 6, 1, tzinfo=timezone.utc)
            rows = due_timers(Reader(projector), now)
            # Both have read the due timers before either fires: a worker that started late
            # would otherwise find them fired already, and the race would not be run.
            ready = pathlib.Path({str(ready)!r})
            (ready / str(os.getpid())).touch()
            for _ in range(600):
                if len(list(ready.iterdir())) >= 2:
                    break
                time.sleep(0.1)
            result = fire_due(engine, rows, now, actor="worker-" + str(os.getpid()))
            print(len(rows), result.fired, result.dropped)
        """)
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        outputs = [w.communicate(timeout=300) for w in workers]
        assert all(w.returncode == 0 for w in workers), outputs
        assert all(int(out.split()[0]) > 0 for out, _ in outputs), f"both workers saw due timers: {outputs}"
        counts: Counter[str] = Counter()
        reader = engines()
        for number in numbers:
            events = list(reader.case_events(number))
            counts[number] = sum(isinstance(e, Case.TimerFired) for e in events)
        assert set(counts.values()) == {1}, counts

    def test_a_batch_of_timers_commits_together_and_a_refused_one_does_not_stop_it(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        numbers = cases_with_due_timers(engine, 4)
        projector = Projector(engine)
        projector.catch_up()
        due = due_timers(Reader(projector), at(days=40))
        # A second row for the first case's timer (as a stale read would give): whichever of
        # the two comes first in the batch fires it, and the other is refused on that result.
        twin = TimerRow(task="gone", case_number=numbers[0], element="Timer_Unclaimed", due=due[0].due)
        before = engine.store.recorder.max_notification_id() or 0
        firing = fire_due(engine, [due[0], twin, *due[1:]], at(days=40), batch=3)
        assert (firing.fired, firing.dropped) == (4, 1)
        assert (engine.store.recorder.max_notification_id() or 0) - before == 4
        assert {engine.get_case(n).outcome for n in numbers} == {"returned_to_agency"}
        again = fire_due(engine, due, at(days=41), batch=3)  # the same rows read again: already done
        assert (again.fired, again.dropped) == (0, 4)
