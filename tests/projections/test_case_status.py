"""The cases read model keeps a case's status by the engine's one rule
(engine.case_status), from its first event on, event by event and a page at once."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from engine.case import Case
from engine.directory import Directory
from projections.base import Db
from projections.cases import CasesModel
from tests.projections.test_page_folding import T0, event, fold, office, service

CASE = UUID(int=77)


def history(opening: dict[str, Any], *later: tuple[type[Case.Event], dict[str, Any]]) -> list[Any]:
    events = [
        event(
            Directory.OfficesRegistered,
            originator_id=UUID(int=1),
            originator_version=1,
            timestamp=T0,
            offices=[office("LPK", "Europe/Moscow")],
        ),
        event(
            Directory.CatalogPublished,
            originator_id=UUID(int=1),
            originator_version=2,
            timestamp=T0,
            services=[service("s1", 5)],
        ),
        event(
            Case.Opened,
            originator_id=CASE,
            originator_version=1,
            timestamp=T0 + timedelta(hours=1),
            originator_topic="engine.case:Case",
            input={},
            effects=opening,
            actor="test",
            idempotency_key=None,
            chain="",
            number="N-1",
            service="s1",
            office="LPK",
            channel="window",
            process_version="v",
            applicant={},
        ),
    ]
    for version, (kind, effects) in enumerate(later, start=2):
        events.append(
            event(
                kind,
                originator_id=CASE,
                originator_version=version,
                timestamp=T0 + timedelta(hours=version),
                input={},
                effects=effects,
                actor="test",
                idempotency_key=None,
                chain="",
            )
        )
    return events


def sqlite_db() -> tuple[Db, Callable[[], None]]:
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    return Db(connection.cursor(), "sqlite"), connection.close


def case_row(events: list[Any], *, by_page: bool) -> tuple[Any, ...]:
    rows = fold(sqlite_db, CasesModel(), [events], by_page=by_page)["rm_cases"]
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize("by_page", [False, True])
def test_a_process_that_ends_at_its_start_opens_a_completed_case(by_page: bool) -> None:
    events = history(
        {"stage": None, "completed": True, "outcome": "issued"},
        (
            Case.Rated,
            {
                "stage": None,
                "completed": True,
                "outcome": "issued",
                "rating": {"waiting_time": 5, "staff": 5, "premises": 5, "information": 5},
            },
        ),
    )
    row = case_row(events, by_page=by_page)
    assert row[6:8] == ("completed", "issued")
    assert row[12] == (T0 + timedelta(hours=1)).isoformat()  # closed when opened


@pytest.mark.parametrize("by_page", [False, True])
def test_a_withdrawn_case_keeps_its_status_when_rated_after(by_page: bool) -> None:
    events = history(
        {"stage": "Приём", "completed": False, "outcome": None},
        (Case.Withdrawn, {"stage": "Приём", "completed": False, "outcome": None}),
        (
            Case.ComplaintFiled,
            {"stage": "Приём", "completed": True, "outcome": "refused", "complaint": {"topic": "staff"}},
        ),
    )
    row = case_row(events, by_page=by_page)
    assert row[6:8] == ("withdrawn", None)
    assert row[12] == (T0 + timedelta(hours=2)).isoformat()
