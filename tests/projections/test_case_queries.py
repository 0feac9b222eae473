"""The read side answers with typed rows: a page of cases is dataclass instances in the
keyset's order, resumed after a row's key, and a filter or key of the wrong shape is
refused before any SQL runs."""

from __future__ import annotations

import dataclasses

import pytest

from engine.errors import InvalidInput
from projections.case_queries import CaseRow, Stage, TaskRow, case, cases, work_list
from projections.directory import ServiceRow, service
from projections.reader import Reader
from projections.runner import Projector
from tests.conftest import BackendContract, EngineMaker, at, seeded


def reader_over_cases(engines: EngineMaker, count: int) -> tuple[Reader, list[str]]:
    engine = seeded(engines())
    numbers = [
        engine.open_case(
            service="mini_service", office="LPK", channel="window", applicant={}, actor="op", at=at(minutes=i)
        ).number
        for i in range(count)
    ]
    projector = Projector(engine)
    projector.catch_up()
    return Reader(projector), numbers


class TestCaseQueries(BackendContract):
    def test_paging_through_cases_gives_typed_rows_newest_first_each_once(self, engines: EngineMaker) -> None:
        reader, numbers = reader_over_cases(engines, 5)
        seen: list[CaseRow] = []
        after = None
        while True:
            page = cases(reader, "LPK", "open", first=2, after=after)
            assert len(page.rows) <= 2 and len(page.keys) == len(page.rows)
            seen += page.rows
            if not page.more:
                break
            after = page.keys[-1]
        assert all(type(row) is CaseRow and dataclasses.is_dataclass(row) for row in seen)
        assert [row.number for row in seen] == list(reversed(numbers))  # opened a minute apart: newest first
        assert [(r.opened_at, r.number) for r in seen] == sorted(((r.opened_at, r.number) for r in seen), reverse=True)
        first = seen[-1]
        assert first.office_code == "LPK" and first.service_code == "mini_service" and first.version >= 1
        assert all(type(stage) is Stage for stage in first.stages)
        assert case(reader, first.number) == first
        assert case(reader, "LPK-NOSUCHCASE") is None
        assert cases(reader, "LPK", "completed").rows == []
        found = service(reader, "mini_service")
        assert type(found) is ServiceRow and found.documents == ["Паспорт"]

    def test_a_work_list_is_typed_rows_oldest_first(self, engines: EngineMaker) -> None:
        reader, _ = reader_over_cases(engines, 3)
        page = work_list(reader, "LPK", first=100)
        assert page.rows and all(type(row) is TaskRow for row in page.rows)
        assert [(t.opened_at, t.task_id) for t in page.rows] == sorted((t.opened_at, t.task_id) for t in page.rows)

    def test_a_bad_filter_page_size_or_key_is_refused(self, engines: EngineMaker) -> None:
        reader, _ = reader_over_cases(engines, 1)
        for refused in (
            lambda: cases(reader, "LPK\x00"),
            lambda: cases(reader, status="x" * 200),
            lambda: cases(reader, first=0),
            lambda: cases(reader, first=101),
            lambda: cases(reader, after=("2026-11-02T09:00:00+00:00",)),
            lambda: cases(reader, after=("2026-11-02T09:00:00+00:00", 7)),
            lambda: work_list(reader, "LPK", role="op\x07"),
        ):
            with pytest.raises(InvalidInput):
                refused()
