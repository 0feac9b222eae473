"""Read models: built incrementally as the simulated days run, they equal a rebuild
from zero; a worker killed in the middle of a page leaves them exactly as a rebuild
would; citizens track a case by number and PIN."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.tracking import TooManyAttempts, Tracking, WrongPin
from engine.application import Engine, scan_cases
from engine.case import case_id_for
from engine.catalog import parse_catalog
from engine.working_days import next_working_day
from okno.demo.connectors import DemoWorker
from okno.demo.region import lipetsk_offices
from okno.demo.simulation import Simulation
from projections.base import PerEvent
from projections.case_queries import case_counts, open_case_numbers, open_task_counts, work_list
from projections.cases import CasesModel
from projections.queries import office_dashboard, service_statistics
from projections.reader import Reader
from projections.runner import Projector, all_models
from tests.conftest import MASTER_KEY, ROOT, T0, BackendContract, EngineMaker, make_engine_factory, shipped_sources

# One test process runs this module, so that each simulated region is simulated once (Regions).
pytestmark = pytest.mark.xdist_group("simulated_region")

TABLES = {
    "rm_cases": "number",
    "rm_tasks": "task_id",
    "rm_done_tasks": "task_id",
    "rm_services": "code",
    "rm_offices": "code",
    "rm_ratings": "case_number",
    "rm_complaints": "complaint",
    "rm_timers": "task",
    "rm_timer_cases": "case_id",
    "rm_outbox": "case_number, message",
    "rm_outbox_cases": "case_id",
    "rm_appointments": "code",
    "rm_tickets": "id",
    "rm_reception_offices": "code",
    "rm_reception_services": "code",
    "rm_jobs": "task",
    "rm_job_cases": "case_id",
}


def dump(projector: Projector) -> dict[str, list[dict[str, Any]]]:
    reader = Reader(projector)
    return {table: reader.rows(f"SELECT * FROM {table} ORDER BY {key}") for table, key in TABLES.items()}


def simulated_region(engine: Engine, days: int, projector: Projector | None = None) -> int:
    """Working days of 60 visitors each through the real queue; the number of cases opened."""
    each_day = list(simulated_days(engine, days, projector))
    return each_day[-1] if each_day else 0


def simulated_days(engine: Engine, days: int, projector: Projector | None = None) -> Iterator[int]:
    """``simulated_region`` a day at a time: after each day, the cases opened so far."""
    catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
    assert engine.deploy(shipped_sources(), T0).ok
    engine.publish_catalog(catalog, T0)
    engine.register_offices(lipetsk_offices(), T0)
    simulation = Simulation(engine, seed=7, job_worker=DemoWorker(engine, seed=7))
    day, opened = date(2026, 11, 2), 0
    for _ in range(days):
        opened += simulation.run_day(day, 60).opened
        if projector is not None:
            projector.catch_up()
        day = next_working_day(day)
        yield opened


class Regions:
    """Stores filled with simulated days before a test opens its engines. The simulation is
    seeded, so a store simulated once per test process and copied (SQLite) is the store
    each test would have simulated itself; PostgreSQL simulates into each test's schema.
    On SQLite one region is simulated, a day further each time a test asks for more, and a
    copy kept after each day: the store after day one of three is the one-day region (the
    same seed, the same draws)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.simulated: dict[int, tuple[Path, int]] = {}
        self.store = folder / "region.sqlite"
        self.engines: list[Engine] = []
        self.days: Iterator[int] | None = None

    def fill(self, url: str, days: int) -> int:
        """``days`` simulated days in the empty store at ``url``; the number of cases opened."""
        if not url.startswith("sqlite:///"):
            return self._simulate(url, days)
        while days not in self.simulated:
            self._simulate_a_day_more()
        path, opened = self.simulated[days]
        shutil.copyfile(path, url.removeprefix("sqlite:///"))
        return opened

    def _simulate_a_day_more(self) -> None:
        if self.days is None:
            make, self.engines = make_engine_factory(f"sqlite:///{self.store}")
            self.days = simulated_days(make(), days=10)
        day = len(self.simulated) + 1
        opened = next(self.days)
        kept = self.folder / f"{day}-days.sqlite"
        # The backup API copies what is committed, the write-ahead log included.
        with sqlite3.connect(self.store) as source, sqlite3.connect(kept) as copy:
            source.backup(copy)
        self.simulated[day] = kept, opened

    def close(self) -> None:
        for engine in self.engines:
            engine.close()

    @staticmethod
    def _simulate(url: str, days: int) -> int:
        make, made = make_engine_factory(url)
        try:
            return simulated_region(make(), days)
        finally:
            for engine in made:
                engine.close()


@pytest.fixture(scope="module")
def regions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Regions]:
    kept = Regions(tmp_path_factory.mktemp("regions"))
    yield kept
    kept.close()


class TestReadModels(BackendContract):
    @pytest.mark.slow
    def test_read_models_built_incrementally_equal_a_rebuild_from_zero(self, engines: EngineMaker) -> None:
        engine = engines()
        projector = Projector(engine, page=37)  # odd page size: pages end mid-case
        opened = simulated_region(engine, days=3, projector=projector)
        projector.catch_up()
        incremental = dump(projector)
        assert len(incremental["rm_cases"]) == opened > 120 and incremental["rm_tasks"]
        assert len(incremental["rm_tickets"]) > opened and incremental["rm_appointments"]
        assert all(s.lag == 0 for s in projector.status())
        fresh = Projector(engines())
        for model in fresh.models:
            fresh.rebuild(model)
        assert dump(fresh) == incremental

    @pytest.mark.slow
    def test_folding_by_the_page_leaves_the_rows_applying_each_event_leaves(
        self, engines: EngineMaker, url: str, regions: Regions
    ) -> None:
        regions.fill(url, days=3)
        engine = engines()
        by_event = Projector(engine, [PerEvent(model) for model in all_models()])
        by_event.catch_up()
        expected = dump(by_event)
        assert expected["rm_tasks"] and expected["rm_ratings"] and expected["rm_outbox"]
        for page in (500, 37, 1):  # pages ending mid-case, and a page per event
            by_page = Projector(engine, page=page)
            for model in by_page.models:
                by_page.reset(model)  # the same tables and tracking rows: from zero again
            by_page.catch_up()
            assert dump(by_page) == expected, f"page of {page}"

    @pytest.mark.slow  # a simulated region's store
    def test_the_read_models_agree_with_the_events(self, engines: EngineMaker, url: str, regions: Regions) -> None:
        regions.fill(url, days=2)
        engine = engines()
        projector = Projector(engine)
        projector.catch_up()
        rows = dump(projector)
        for row in rows["rm_cases"][:40]:
            case = engine.get_case(row["number"])
            assert row["status"] == case.status and row["stage"] == case.stage
            assert sorted(t["task_id"] for t in rows["rm_tasks"] if t["case_number"] == case.number) == sorted(
                t["task"] for t in case.open_tasks
            )

    @pytest.mark.slow  # a simulated region's store
    def test_the_open_cases_and_their_counts_are_those_the_events_fold_to(
        self, engines: EngineMaker, url: str, regions: Regions
    ) -> None:
        # The demo's morning backlog and its closing figures come from these queries, not
        # from a fold of the whole store: they must name the same cases a fold finds.
        regions.fill(url, days=2)
        engine = engines()
        projector = Projector(engine, [CasesModel()])
        projector.catch_up()
        reader = Reader(projector)
        folded = scan_cases(engine)
        open_numbers = sorted(n for n, summary in folded.items() if summary.status == "open")
        assert open_numbers and open_case_numbers(reader) == open_numbers
        assert case_counts(reader) == Counter(summary.status for summary in folded.values())
        expected: Counter[tuple[str, str | None]] = Counter()
        for number in open_numbers:
            case = engine.get_case(number)
            for task in case.open_tasks:
                expected[case.office, task["role"]] += 1
        assert {(office, role): n for office, role, n in open_task_counts(reader)} == expected

    @pytest.mark.parametrize(
        "by_page",
        [pytest.param(False, marks=pytest.mark.slow), True],  # event by event takes seconds
        ids=["event by event", "by the page"],
    )
    def test_a_worker_killed_mid_page_resumes_to_exactly_a_clean_rebuild(
        self, engines: EngineMaker, url: str, by_page: bool, regions: Regions
    ) -> None:
        regions.fill(url, days=1)  # pages of 100 over a day's thousands of events
        # The demo's own reader (its morning backlog) left the cases model part way: start
        # every model from nothing, as a new worker on this store would.
        fresh = Projector(engines(), page=100)
        for model in fresh.models:
            fresh.reset(model)
        # By the page: killed after a model folded a whole page, before the commit.
        page_path = (
            textwrap.indent(
                textwrap.dedent("""
            def apply_page(self, db, events):
                apply_events(self.model, db, events)
                self.seen += len(events)
                if self.seen >= 250:
                    os._exit(137)
        """),
                " " * 16,
            )
            if by_page
            else ""
        )
        script = textwrap.dedent(f"""
            import os
            from okno.bootstrap import new_engine  # signs, and trusts its key, as a worker does
            from engine.store import parse_url
            from projections.base import apply_events
            from projections.runner import Projector, all_models

            class Killed:
                def __init__(self, model):
                    self.model, self.name, self.version, self.seen = model, model.name, model.version, 0
                    self.tables, self.table_names = model.tables, model.table_names
                def apply(self, db, event):
                    self.model.apply(db, event)
                    self.seen += 1
                    if self.seen == 250:  # rows written, transaction not committed
                        os._exit(137)
{page_path}

            engine = new_engine(parse_url({url!r}), master_key={MASTER_KEY!r}, entropy=os.urandom)
            Projector(engine, [Killed(m) for m in all_models()], page=100).catch_up()
        """)
        killed = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
        )
        assert killed.returncode == 137, killed.stderr
        restarted = Projector(engines(), page=100)
        assert 0 < restarted.status()[0].position < restarted.head()
        assert restarted.status()[0].position % 100 == 0, "only whole pages were committed"
        restarted.catch_up()
        clean = Projector(engines())
        for model in clean.models:
            clean.rebuild(model)
        assert dump(restarted) == dump(clean)

    @pytest.mark.slow  # a simulated region's store
    def test_a_citizen_tracks_a_case_by_number_and_pin(self, engines: EngineMaker, url: str, regions: Regions) -> None:
        regions.fill(url, days=1)
        engine = engines()
        projector = Projector(engine)
        projector.catch_up()
        reader = Reader(projector)
        number = reader.rows("SELECT number FROM rm_cases ORDER BY number LIMIT 1")[0]["number"]
        pin = engine.vault.pin(case_id_for(number))
        now = datetime(2026, 11, 3, 12, tzinfo=UTC)
        tracking = Tracking(engine, reader)
        status = tracking.track(number, pin, now, "cli")
        assert status.number == number and status.stages and status.expected_completion
        assert "full_name" not in str(status) and "Иван" not in str(status)
        wrong = "000000" if pin != "000000" else "111111"
        with pytest.raises(WrongPin):  # an unknown number is answered as a wrong PIN
            tracking.track("LPK-NOSUCHCASE", pin, now, "cli")
        for _ in range(5):
            with pytest.raises(WrongPin):
                tracking.track(number, wrong, now, "cli")
        with pytest.raises(TooManyAttempts):
            tracking.track(number, pin, now + timedelta(minutes=5), "cli")
        assert tracking.track(number, pin, now + timedelta(minutes=16), "cli").number == number

    @pytest.mark.slow  # seconds: every office's statistics over the simulated region
    def test_work_lists_dashboard_and_statistics_are_filled(
        self, engines: EngineMaker, url: str, regions: Regions
    ) -> None:
        opened = regions.fill(url, days=3)
        engine = engines()
        projector = Projector(engine)
        projector.catch_up()
        reader = Reader(projector)
        busiest = reader.rows(
            "SELECT office, COUNT(*) AS n FROM rm_tasks GROUP BY office ORDER BY n DESC, office LIMIT 1"
        )[0]["office"]
        items = work_list(reader, busiest).rows
        assert items and {item.state for item in items} <= {"open", "claimed"}
        claimed = reader.rows("SELECT holder FROM rm_tasks WHERE state = 'claimed'")
        assert claimed and all(row["holder"] for row in claimed)
        assert [i.opened_at for i in items] == sorted(i.opened_at for i in items)
        board = office_dashboard(reader, busiest, date(2026, 11, 12))
        assert board.open_cases > 0 and sum(board.opened_per_day.values()) > 0
        assert board.overdue > 0  # a week later, open cases with short terms are overdue
        figures = service_statistics(reader, "2026-11")
        assert sum(f.applications for f in figures) == opened
        assert figures[0].applications >= figures[-1].applications


@pytest.mark.slow  # seconds: a region of its own is simulated
def test_the_office_ranking_combines_on_time_share_ratings_and_complaints(
    engines: EngineMaker, sqlite_url: str, regions: Regions
) -> None:
    from projections.queries import office_ranking

    regions.fill(sqlite_url, days=3)
    engine = engines()
    projector = Projector(engine)
    projector.catch_up()
    reader = Reader(projector)
    ranking = office_ranking(reader, date(2026, 11, 1), date(2026, 11, 30))
    receiving = [o for o in lipetsk_offices() if o.receives_visitors]  # terminal points are not ranked
    assert [r.rank for r in ranking] == list(range(1, len(receiving) + 1))
    assert [r.score for r in ranking] == sorted((r.score for r in ranking), reverse=True)
    rated = [r for r in ranking if r.ratings]
    assert rated and all(1 <= (r.rating or 0) <= 5 for r in rated)
    ratings = reader.rows("SELECT COUNT(*) AS n FROM rm_ratings")[0]["n"]
    assert sum(r.ratings for r in ranking) == ratings > 0
    top = ranking[0]
    assert 0 <= top.score <= 100
