"""Issue 18: an edited read-model row (its version cut back, its status set to withdrawn) was
shown by GraphQL, and `history` was even cut to the row's version. History reads the events,
and `Case.readModel` says where the row disagrees with them."""

from __future__ import annotations

from typing import Any

from engine.store import parse_url
from okno.bootstrap import new_engine
from projections.base import transaction
from projections.runner import Projector
from tests.api.conftest import Server
from tests.api.test_end_to_end import CLAIM, open_property_case
from tests.conftest import MASTER_KEY, Entropy

CHECKED = """
query Checked($number: String!) {
  case(number: $number) {
    status version
    history { version kind }
    readModel { eventsVersion readModelVersion agrees warning parkedIn }
  }
}"""


def edit_row(server: Server, sql: str, params: tuple[Any, ...]) -> None:
    """What an administrator does in the database, past the engine."""
    engine = new_engine(parse_url(server.store_url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        projector = Projector(engine)
        with transaction(projector.datastore, projector.dialect, commit=True) as db:
            db.execute(sql, params)
    finally:
        engine.close()


def claimed_case(server: Server) -> str:
    opened = open_property_case(server)
    task = opened["case"]["tasks"][0]["taskId"]
    claimed = server.run(
        "operator", CLAIM, office="LPK", input={"caseNumber": opened["case"]["number"], "taskId": task}
    )["claimTask"]
    assert claimed["__typename"] == "CasePayload", claimed
    return str(opened["case"]["number"])


def test_history_reads_every_event_though_the_read_models_row_was_cut_back(server: Server) -> None:
    number = claimed_case(server)
    edit_row(server, "UPDATE rm_cases SET version = 1, status = ? WHERE number = ?", ("withdrawn", number))

    case = server.run("auditor", CHECKED, number=number)["case"]

    assert case["status"] == "WITHDRAWN" and case["version"] == 1  # what the lists show
    assert [(e["version"], e["kind"]) for e in case["history"]] == [(1, "Opened"), (2, "TaskClaimed")]
    check = case["readModel"]
    assert (check["eventsVersion"], check["readModelVersion"], check["agrees"]) == (2, 1, False)
    assert "the read model shows version 1 of 2" in check["warning"]


def test_a_row_edited_at_its_own_version_is_named_field_by_field(server: Server) -> None:
    number = claimed_case(server)
    clean = server.run("auditor", CHECKED, number=number)["case"]["readModel"]
    assert clean == {"eventsVersion": 2, "readModelVersion": 2, "agrees": True, "warning": None, "parkedIn": []}

    edit_row(server, "UPDATE rm_cases SET status = ? WHERE number = ?", ("withdrawn", number))

    check = server.run("supervisor", CHECKED, office="LPK", number=number)["case"]["readModel"]
    assert check["agrees"] is False
    assert check["warning"] == "status is 'withdrawn' in the read model but 'open' by the events"
