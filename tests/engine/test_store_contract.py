"""One contract for the event store, run against every backend: the embedded SQLite
file and PostgreSQL (when OKNO_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import pytest

from engine.application import Engine, scan_cases
from engine.errors import ConcurrencyConflict
from engine.replay import replay_case
from tests.conftest import BackendContract, EngineMaker, at, mini_sources, seeded


class TestStore(BackendContract):
    def run_case(self, engine: Engine) -> str:
        number = engine.open_case(
            service="mini_service",
            office="LPK",
            channel="window",
            applicant={"full_name": "Петров П. П."},
            actor="op",
            at=at(),
        ).number
        engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(5))
        engine.deliver_message(number, "agency_answer", {"decision": "ok"}, actor="agency", at=at(days=2))
        return number

    def test_a_case_saved_by_one_engine_loads_identically_in_another(self, engines: EngineMaker) -> None:
        number = self.run_case(seeded(engines()))
        first, second = engines().get_case(number), engines().get_case(number)
        assert first.state == second.state and first.version == second.version == 3
        assert first.open_tasks[0]["element"] == "Task_Handout"

    def test_a_snapshot_loads_to_the_same_state_as_the_full_history(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        number = self.run_case(engine)
        full = engines().get_case(number)
        engine.store.take_snapshot(full.id)
        from_snapshot = engines().get_case(number)
        assert from_snapshot.state == full.state and from_snapshot.timers == full.timers

    def test_the_second_of_two_writers_gets_a_conflict_and_nothing_is_lost(
        self, engines: EngineMaker, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        first, second = seeded(engines()), engines()
        number = first.open_case(
            service="mini_service", office="LPK", channel="window", applicant={}, actor="op", at=at()
        ).number
        stale = second.get_case(number)
        first.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="first", at=at(5))
        monkeypatch.setattr(second, "get_case", lambda _n: stale)
        with pytest.raises(ConcurrencyConflict):
            second.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="second", at=at(6))
        assert [e.actor for e in engines().case_events(number)] == ["op", "first"]

    def test_every_stored_case_replays_exactly(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        numbers = [self.run_case(engine) for _ in range(3)]
        assert sorted(scan_cases(engine)) == sorted(numbers)
        for number in numbers:
            assert replay_case(engine.steps, engines().case_events(number)).ok

    def test_deploying_the_same_content_twice_is_one_version(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        report = engine.deploy(mini_sources(), at(1))
        assert report.ok and [d.new for d in report.deployed] == [False]
        assert engines().directory().versions["mini"] == [report.deployed[0].version]

    def test_shredding_a_case_key_hides_personal_data_only(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        number = self.run_case(engine)
        assert engine.applicant(number) == {"full_name": "Петров П. П."}
        engine.vault.shred(engine.get_case(number).id)
        assert engines().applicant(number) is None
        assert replay_case(engine.steps, engines().case_events(number)).ok
