"""Issue 18: an event copied from another case into a case's stream passed verify's notice
but the worker projected it. The chain guard parks such a case for every read model, with a
reason naming the case and the version, and every other case goes on folding."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from engine.application import Engine
from engine.case import Case, case_id_for
from projections.base import transaction
from projections.runner import Projector
from tests.conftest import BackendContract, EngineMaker, at, seeded
from tests.engine.test_case_engine import open_mini

RECEIVED = {"documents_complete": True, "pages": 4}


def insert_copy(engine: Engine, source: Case.Event, into: str, version: int) -> None:
    """Write ``source`` (another case's event) into case ``into`` at ``version``, straight
    through the event store, as a hand in the database would."""
    target = engine.get_case(into)
    fields = {
        name: getattr(source, name) for name in ("timestamp", "input", "effects", "actor", "idempotency_key", "chain")
    }
    copied = type(source)(originator_id=target.id, originator_version=version, **fields)
    engine.store.recorder.insert_events([engine.store.mapper.to_stored_event(copied)])


def rows(projector: Projector, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with transaction(projector.datastore, projector.dialect, commit=False) as db:
        return db.rows(sql, params)


class TestChainGuard(BackendContract):
    def test_an_event_copied_from_another_case_is_never_projected_and_its_case_is_parked(
        self, engines: EngineMaker
    ) -> None:
        engine = seeded(engines())
        victim, donor = open_mini(engine), open_mini(engine, at=at(1))
        engine.complete_task(donor, "Task_Reception", RECEIVED, actor="LPK/operator", at=at(5))
        copied = list(engine.case_events(donor))[1]
        insert_copy(engine, copied, victim, 2)
        later = open_mini(engine, at=at(8))
        projector = Projector(engine)
        projector.catch_up()

        victim_row = rows(projector, "SELECT version, status FROM rm_cases WHERE number = ?", (victim,))[0]
        assert victim_row["version"] == 1  # the copy's effects (the reception task closed) never applied
        assert [
            r["element"] for r in rows(projector, "SELECT element FROM rm_tasks WHERE case_number = ?", (victim,))
        ] == ["Task_Reception"]
        parked = projector.parked()
        assert {p.model for p in parked} == {m.name for m in projector.models}
        assert {p.case_id for p in parked} == {str(case_id_for(victim))}
        for case in parked:
            assert "version 2" in case.error and victim in case.error and "chain broken" in case.error
        # Every other case folds on, before and after the copy.
        assert {r["number"] for r in rows(projector, "SELECT number FROM rm_cases WHERE version > 1")} == {donor}
        assert rows(projector, "SELECT version FROM rm_cases WHERE number = ?", (later,))[0]["version"] == 1

        # A retry cannot fold it either: the chain is still broken.
        outcome = projector.retry()
        assert outcome.unparked == [] and len(outcome.still_parked) == len(projector.models)

    def test_a_case_whose_number_is_another_cases_is_parked_at_its_first_event(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        number = open_mini(engine)
        opened = next(iter(engine.case_events(number)))
        assert isinstance(opened, Case.Opened)
        forged = Case.Opened(
            originator_id=UUID(int=18),
            originator_version=1,
            originator_topic=opened.originator_topic,
            timestamp=opened.timestamp,
            **{
                name: getattr(opened, name)
                for name in (
                    "input",
                    "effects",
                    "actor",
                    "idempotency_key",
                    "chain",
                    "number",
                    "service",
                    "office",
                    "channel",
                    "process_version",
                    "applicant",
                )
            },
        )
        engine.store.recorder.insert_events([engine.store.mapper.to_stored_event(forged)])
        projector = Projector(engine)
        projector.catch_up()
        parked = projector.parked("cases")
        assert [p.case_id for p in parked] == [str(forged.originator_id)]
        assert "version 1" in parked[0].error and f"number {number} is not this case's" in parked[0].error
        assert rows(projector, "SELECT case_id FROM rm_cases WHERE number = ?", (number,)) == [
            {"case_id": str(opened.originator_id)}
        ]

    def test_a_clean_store_parks_nothing_and_each_model_keeps_its_cases_last_hash(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        number = open_mini(engine)
        engine.complete_task(number, "Task_Reception", RECEIVED, actor="LPK/operator", at=at(5))
        projector = Projector(engine)
        projector.catch_up()
        assert projector.parked() == []
        head = engine.get_case(number).chain
        kept = rows(projector, "SELECT model, version, chain FROM okno_chain_heads WHERE number = ?", (number,))
        assert {(r["model"], r["version"], r["chain"]) for r in kept} == {(m.name, 2, head) for m in projector.models}
