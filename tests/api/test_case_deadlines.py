"""Cases by their regulated deadline: `cases(overdue, dueBefore)` finds the open cases to
chase, those waiting on an agency (no open task) as well as those at a desk, by the
office's today, as the work list's filters find tasks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from engine.store import parse_url
from okno.bootstrap import new_engine
from tests.api.conftest import Server
from tests.api.test_end_to_end import open_property_case
from tests.conftest import MASTER_KEY, T0, Entropy

CASES = """query($overdue: Boolean, $before: Date, $o: String) {
  cases(officeId: $o, status: OPEN, overdue: $overdue, dueBefore: $before, first: 100) {
    totalCount edges { node { number deadline tasks { element } } } } }"""
RECEPTION_DATA = {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:30"}


def open_late_cases(url: str) -> tuple[str, str]:
    """Two property cases opened at T0, straight in the store (the API opens cases only
    now): their nine working days are long past. The first waits at the reception desk; the
    second's reception is done, so it waits on its fee check with no task open."""
    engine = new_engine(parse_url(url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        opened = [
            str(
                engine.open_case(
                    service="rosreestr_ownership",
                    office="LPK",
                    channel="window",
                    applicant={"full_name": "Просроченная Дарья Петровна"},
                    actor="LPK/test-operator",
                    at=T0 + timedelta(hours=1),
                ).number
            )
            for _ in range(2)
        ]
        engine.complete_task(
            opened[1], "Task_Reception", RECEPTION_DATA, actor="LPK/test-operator", at=T0 + timedelta(hours=2)
        )
        return opened[0], opened[1]
    finally:
        engine.close()


def numbers(answer: dict[str, object]) -> set[str]:
    edges = answer["cases"]["edges"]  # type: ignore[index]
    return {edge["node"]["number"] for edge in edges}


def test_overdue_and_near_deadline_cases_are_found_by_their_deadline(server: Server) -> None:
    late_at_desk, late_at_agency = open_late_cases(server.store_url)
    fresh = str(open_property_case(server, "deadlines-fresh")["case"]["number"])
    today = datetime.now(UTC).date()
    assert today > date(2026, 11, 30), "the late cases' deadlines (T0 + 9 working days) are past"

    def ask(role: str, **filters: object) -> dict[str, object]:
        return server.run(role, CASES, office="LPK" if role == "supervisor" else None, **filters)

    overdue = ask("supervisor", overdue=True)
    assert numbers(overdue) == {late_at_desk, late_at_agency}
    assert overdue["cases"]["totalCount"] == 2  # type: ignore[index]
    by_number = {e["node"]["number"]: e["node"] for e in overdue["cases"]["edges"]}  # type: ignore[index]
    assert by_number[late_at_agency]["tasks"] == [], "waits on its fee check: no task, still overdue"
    assert by_number[late_at_desk]["tasks"] == [{"element": "Task_Reception"}]

    assert numbers(ask("supervisor", overdue=False)) == {fresh}
    assert numbers(ask("supervisor", overdue=False, before=today.isoformat())) == set()
    assert numbers(ask("supervisor", overdue=False, before=(today + timedelta(days=30)).isoformat())) == {fresh}
    assert numbers(ask("supervisor", before=(today + timedelta(days=30)).isoformat())) == {
        late_at_desk,
        late_at_agency,
        fresh,
    }
    assert numbers(ask("auditor", overdue=True, o="ELC")) == set(), "another office's cases are not its"
    assert numbers(ask("auditor", overdue=True)) == {late_at_desk, late_at_agency}
