"""A service's term ends when its result is ready, not when the citizen comes for it
(210-ФЗ counts the term to the result; the hand-out is at the applicant's convenience):
the cases read model keeps the day the result was first ready, and the statistics and the
office ranking count a case on time by it."""

from __future__ import annotations

from datetime import date, datetime

from engine.application import Engine
from projections.case_queries import case as case_row
from projections.queries import office_ranking, service_statistics, term_figures
from projections.reader import Reader
from projections.runner import Projector
from tests.conftest import EngineMaker, at, seeded

APPLICANT = {"full_name": "Иванова Мария Петровна", "document": "4210 123456"}


def worked(engine: Engine, answered: datetime, collected: datetime) -> str:
    """A mini_service case (term 5 working days): received, answered by the agency, handed out."""
    number = engine.open_case(
        service="mini_service",
        office="LPK",
        channel="window",
        applicant=APPLICANT,
        actor="LPK/operator",
        at=at(),
    ).number
    engine.complete_task(
        number, "Task_Reception", {"documents_complete": True, "pages": 4}, actor="LPK/operator", at=at(10)
    )
    engine.deliver_message(number, "agency_answer", {"decision": "ok"}, actor="agency", at=answered)
    engine.complete_task(number, "Task_Handout", {}, actor="LPK/operator", at=collected)
    return number


def test_a_result_ready_in_term_is_on_time_however_late_the_citizen_collects_it(engines: EngineMaker) -> None:
    engine = seeded(engines())
    in_term = worked(engine, answered=at(days=2), collected=at(days=30))  # ready on day 2, collected a month later
    late = worked(engine, answered=at(days=20), collected=at(days=21))  # ready after the 5 working days
    waiting = engine.open_case(  # still with the agency a month on: open, overdue, no result
        service="mini_service", office="LPK", channel="window", applicant=APPLICANT, actor="LPK/operator", at=at()
    ).number
    engine.complete_task(
        waiting, "Task_Reception", {"documents_complete": True, "pages": 1}, actor="LPK/operator", at=at(5)
    )
    projector = Projector(engine)
    projector.catch_up()
    reader = Reader(projector)

    ready = case_row(reader, in_term)
    assert ready is not None and ready.deadline is not None
    assert ready.ready_day == at(days=2).date().isoformat() < ready.deadline < at(days=30).date().isoformat()
    overdue = case_row(reader, late)
    assert overdue is not None and overdue.ready_day == at(days=20).date().isoformat() > str(overdue.deadline)

    month = at().strftime("%Y-%m")
    [figures] = service_statistics(reader, month)
    assert (figures.completed, figures.on_time_share) == (2, 0.5)
    [lpk] = [r for r in office_ranking(reader, date(2026, 1, 1), date(2027, 12, 31)) if r.office == "LPK"]
    assert lpk.on_time_share == 0.5

    terms = term_figures(reader, at().date(), at(days=40).date())
    assert (terms.completed, terms.on_time, terms.overdue_open) == (2, 1, 1)
    assert terms.late_services == [("mini_service", 2, 1)]
