"""One bad case never stops the others (issue 14, #1 and #2): an event a read model cannot
fold parks its case for that model, its later events wait behind it, every other case goes
on folding, and a retry after the fix folds the waiting events in their order."""

from __future__ import annotations

from typing import Any

from engine.application import Engine
from projections.base import Db, PerEvent
from projections.runner import Projector, all_models
from tests.conftest import BackendContract, EngineMaker, at, seeded
from tests.engine.test_case_engine import open_mini
from tests.poison import NAMELESS_MESSAGE, NUL_REFERENCE, ForgedCase, forge_case
from tests.projections.test_read_models import dump

RECEIVED = {"documents_complete": True, "pages": 4}


def poisoned_store(engine: Engine) -> tuple[list[str], ForgedCase, ForgedCase]:
    """Real cases before and after two forged ones: one with a message without a name
    (refused on both backends), one acknowledging with a NUL in its reference (refused by
    PostgreSQL's text); each forged case has events after its poison."""
    seeded(engine)
    real = [open_mini(engine)]
    nameless, nul = forge_case(engine, real[0], "LPK-POISON-1"), forge_case(engine, real[0], "LPK-POISON-2")
    nameless.write()
    nul.write()
    nul.write({"messages_sent": [{"name": "request", "payload": {}}]})  # the message the NUL acknowledges
    nameless.write(NAMELESS_MESSAGE)
    nul.write(NUL_REFERENCE)
    real.append(open_mini(engine, at=at(3)))
    engine.complete_task(real[0], "Task_Reception", RECEIVED, actor="LPK/operator", at=at(10))
    nameless.write()
    nul.write()
    engine.complete_task(real[1], "Task_Reception", RECEIVED, actor="LPK/operator", at=at(12))
    return real, nameless, nul


def expected_parked(engine: Engine) -> set[tuple[str, str]]:
    parked = {("outbox", "LPK-POISON-1")}
    if engine.config.is_postgres:
        parked.add(("outbox", "LPK-POISON-2"))
    return parked


class Ledger:
    """A small read model that notes each event it folds, in the order folded, and fails on
    a chosen case's events after its first while ``broken``: a fold bug, then its fix."""

    name = "ledger"
    version = 1

    def __init__(self, broken_case: str) -> None:
        self.broken_case = broken_case
        self.broken = True
        self.folded = 0

    def table_names(self) -> list[str]:
        return ["t_ledger"]

    def tables(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS t_ledger (seq INTEGER PRIMARY KEY, case_id TEXT NOT NULL, "
            "version INTEGER NOT NULL)"
        ]

    def apply(self, db: Db, event: Any) -> None:
        case_id = str(event.originator_id)
        if self.broken and case_id == self.broken_case and event.originator_version > 1:
            raise ValueError(f"cannot fold version {event.originator_version}")
        self.folded += 1
        seq = int(db.rows("SELECT COALESCE(MAX(seq), 0) AS top FROM t_ledger")[0]["top"]) + 1
        db.execute("INSERT INTO t_ledger VALUES (?, ?, ?)", (seq, case_id, event.originator_version))


class TestParking(BackendContract):
    def test_a_poison_event_parks_its_case_and_every_other_case_folds_on(self, engines: EngineMaker) -> None:
        engine = engines()
        real, nameless, _ = poisoned_store(engine)
        projector = Projector(engine, page=3)  # pages end mid-case
        projector.catch_up()
        assert all(s.lag == 0 for s in projector.status()), projector.status()
        parked = projector.parked()
        assert {(p.model, p.number) for p in parked} == expected_parked(engine)
        poisoned = next(p for p in parked if p.number == "LPK-POISON-1")
        assert poisoned.case_id == str(nameless.case_id)
        assert "rm_outbox" in poisoned.error or "name" in poisoned.error
        assert len(poisoned.error) <= 300
        rows = dump(projector)
        # The other cases' later events folded into every model, the outbox included.
        assert {r["number"]: r["version"] for r in rows["rm_cases"]}[real[1]] == 2
        assert set(real) <= {r["case_number"] for r in rows["rm_outbox"]}
        # The poisoned case folds on in the models that can fold it.
        assert "LPK-POISON-1" in {r["number"] for r in rows["rm_cases"]}

    def test_folding_by_the_page_and_by_the_event_park_the_same_cases_and_leave_the_same_rows(
        self, engines: EngineMaker
    ) -> None:
        engine = engines()
        poisoned_store(engine)
        by_event = Projector(engine, [PerEvent(model) for model in all_models()], page=4)
        by_event.catch_up()
        expected, parked = dump(by_event), {(p.model, p.case_id, p.position) for p in by_event.parked()}
        assert len(parked) == len(expected_parked(engine))
        for page in (500, 1):
            by_page = Projector(engine, page=page)
            for model in by_page.models:
                by_page.reset(model)  # from zero again: the parked cases are forgotten with the rows
            assert by_page.parked() == []
            by_page.catch_up()
            assert dump(by_page) == expected, f"page of {page}"
            assert {(p.model, p.case_id, p.position) for p in by_page.parked()} == parked

    def test_a_rebuild_parks_the_case_again_and_ends_at_the_head(self, engines: EngineMaker) -> None:
        engine = engines()
        poisoned_store(engine)
        projector = Projector(engine)
        projector.catch_up()
        projector.rebuild(projector.model("outbox"))
        assert {(p.model, p.number) for p in projector.parked()} == expected_parked(engine)
        assert all(s.lag == 0 for s in projector.status())

    def test_a_retry_after_the_fix_folds_the_waiting_events_in_order_and_unparks(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        real = open_mini(engine)
        forged = forge_case(engine, real, "LPK-LEDGER")
        forged.write()
        ledger = Ledger(str(forged.case_id))
        projector = Projector(engine, [ledger], page=2)
        forged.write()  # version 2: the ledger fails on it
        other = open_mini(engine, at=at(5))
        forged.write()
        projector.catch_up()
        forged.write()  # folded while parked: waits behind version 2
        engine.complete_task(other, "Task_Reception", RECEIVED, actor="LPK/operator", at=at(10))
        projector.catch_up()
        assert [(p.model, p.number) for p in projector.parked()] == [("ledger", "LPK-LEDGER")]
        assert all(s.lag == 0 for s in projector.status())

        def folded(case_id: str) -> list[int]:
            with projector_db(projector) as db:
                return [
                    r["version"]
                    for r in db.rows("SELECT version FROM t_ledger WHERE case_id = ? ORDER BY seq", (case_id,))
                ]

        assert folded(str(forged.case_id)) == [1]
        assert len(folded(str(engine.get_case(other).id))) == 2  # the other case did not wait

        still = projector.retry()
        assert still.unparked == [] and [p.number for p in still.still_parked] == ["LPK-LEDGER"]
        assert "cannot fold version 2" in projector.parked()[0].error
        assert folded(str(forged.case_id)) == [1]

        ledger.broken = False  # the fix
        outcome = projector.retry("ledger")
        assert [p.number for p in outcome.unparked] == ["LPK-LEDGER"] and outcome.still_parked == []
        assert projector.parked() == []
        assert folded(str(forged.case_id)) == [1, 2, 3, 4]
        forged.write()  # after the retry the case is followed as any other
        projector.catch_up()
        assert folded(str(forged.case_id)) == [1, 2, 3, 4, 5]
        assert all(s.lag == 0 for s in projector.status())


def projector_db(projector: Projector) -> Any:
    from projections.base import transaction

    return transaction(projector.datastore, projector.dialect, commit=False)


class RacingLedger(Ledger):
    """A ledger that runs ``meanwhile`` (another process's retry) just before its first fold:
    after this runner's page has read which cases are parked, before it writes."""

    def __init__(self, broken_case: str, meanwhile: Any) -> None:
        super().__init__(broken_case)
        self.meanwhile = meanwhile

    def apply(self, db: Db, event: Any) -> None:
        if self.meanwhile is not None:
            run, self.meanwhile = self.meanwhile, None
            run()
        super().apply(db, event)


class TestParkingRaces(BackendContract):
    def test_a_retry_committed_under_a_runners_page_makes_the_runner_read_the_page_again(
        self, engines: EngineMaker
    ) -> None:
        engine = seeded(engines())
        forged = forge_case(engine, open_mini(engine), "LPK-RACE")
        forged.write()
        forged.write()  # version 2: the runner's ledger fails on it
        ledger = RacingLedger(str(forged.case_id), None)
        runner = Projector(engine, [ledger])
        runner.catch_up()
        assert [p.number for p in runner.parked()] == ["LPK-RACE"]

        open_mini(engine, at=at(5))  # the next page: another case's event, then the parked case's
        forged.write()
        fixed = Ledger(str(forged.case_id))
        fixed.broken = False
        other = Projector(engines(), [fixed])  # another process, its own connections
        ledger.broken = False
        ledger.meanwhile = lambda: other.retry()  # unparks version 2 while the runner's page is open
        runner.catch_up()

        assert runner.parked() == []
        assert all(s.lag == 0 for s in runner.status())
        with projector_db(runner) as db:
            folded = [
                r["version"]
                for r in db.rows("SELECT version FROM t_ledger WHERE case_id = ? ORDER BY seq", (str(forged.case_id),))
            ]
        assert folded == [1, 2, 3]  # each once, in order: the runner's stale page was not committed
