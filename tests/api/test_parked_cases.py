"""A poison event in the store (issue 14, #1) through the real server: mutations after it
still answer their payload (never "internal error": their events are stored), and the
parked case is shown to supervisors of its office and to auditors."""

from __future__ import annotations

import pytest
from gql.transport.exceptions import TransportQueryError

from engine.store import parse_url
from okno.bootstrap import new_engine
from tests.api.conftest import Server
from tests.api.test_end_to_end import open_property_case
from tests.conftest import MASTER_KEY, Entropy
from tests.poison import NAMELESS_MESSAGE, forge_case

PARKED = """query($model: String) { parkedCases(model: $model) { model caseNumber position error parkedAt } }"""
COMPLETE = """mutation($input: CompleteTaskInput!) { completeTask(input: $input) {
  __typename ... on CasePayload { case { number version stage } } ... on ValidationError { message }
  ... on NotFoundError { message } } }"""


def plant_poison(server: Server, like: str) -> None:
    """A case whose second event sends a message without a name, written straight to the store."""
    engine = new_engine(parse_url(server.store_url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        forged = forge_case(engine, like, "LPK-POISON-API")
        forged.write()
        forged.write(NAMELESS_MESSAGE)
        forged.write()
    finally:
        engine.close()


def test_mutations_after_a_poison_event_answer_their_payload_and_the_parked_case_is_shown(server: Server) -> None:
    number = str(open_property_case(server, "poison-1")["case"]["number"])
    plant_poison(server, number)

    done = server.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={
            "caseNumber": number,
            "element": "Task_Reception",
            "data": {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:1"},
        },
    )["completeTask"]
    assert done["__typename"] == "CasePayload", done
    assert done["case"]["number"] == number and done["case"]["version"] == 2
    later = open_property_case(server, "poison-2")  # a new case after the poison: its payload too
    assert later["case"]["status"] == "OPEN"

    parked = server.run("auditor", PARKED)["parkedCases"]
    assert [(p["model"], p["caseNumber"]) for p in parked] == [("outbox", "LPK-POISON-API")]
    assert parked[0]["position"] > 0 and parked[0]["error"] and parked[0]["parkedAt"]
    assert server.run("supervisor", PARKED, office="LPK", model="outbox")["parkedCases"] == parked
    assert server.run("supervisor", PARKED, office="ELC")["parkedCases"] == []  # another office's case
    with pytest.raises(TransportQueryError, match="may not"):
        server.run("operator", PARKED, office="LPK")


def test_a_mutation_the_read_models_cannot_follow_answers_the_case_from_its_stored_events(server: Server) -> None:
    number = str(open_property_case(server, "unfollowed-1")["case"]["number"])
    engine = new_engine(parse_url(server.store_url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        # The cases model loses a table: every fold of it fails from now on (on SQLite the
        # refresh fails, on PostgreSQL the cases are parked), and rm_cases stays at version 1.
        with engine.store.recorder.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            schema = getattr(engine.store.recorder.datastore, "schema", None)  # type: ignore[attr-defined]
            table = f"{schema}.rm_tasks" if engine.config.is_postgres else "rm_tasks"
            cursor.execute(f"ALTER TABLE {table} RENAME TO rm_tasks_away")
    finally:
        engine.close()
    done = server.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={
            "caseNumber": number,
            "element": "Task_Reception",
            "data": {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:2"},
        },
    )["completeTask"]
    assert done["__typename"] == "CasePayload", done
    assert done["case"]["number"] == number and done["case"]["version"] == 2
