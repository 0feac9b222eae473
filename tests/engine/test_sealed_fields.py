"""Form fields marked personal are recorded sealed under the case's key, in the event's
input and in the effects that carry them on (messages sent), while the workflow runs on
the plain values and a case loaded from the store replays exactly (issue 18)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from engine.application import Engine
from engine.case import Case, case_id_for
from engine.catalog import parse_catalog
from engine.personal_data import PersonalDataError
from engine.replay import verify
from engine.sealed_fields import is_token
from tests.conftest import ROOT, EngineMaker, at, seeded, shipped_sources, work_jobs

CADASTRAL = "48:20:0012345:67"
INCOME = 31337


@pytest.fixture
def engine(engines: EngineMaker) -> Iterator[Engine]:
    catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
    yield seeded(engines(), shipped_sources(), catalog)


def property_case_sent_to_rosreestr(engine: Engine) -> str:
    number = engine.open_case(
        service="rosreestr_ownership",
        office="LPK",
        channel="window",
        applicant={"full_name": "А. Б."},
        actor="LPK/operator",
        at=at(),
    ).number
    engine.complete_task(
        number,
        "Task_Reception",
        {"documents_complete": True, "property_kind": "flat", "cadastral_number": CADASTRAL},
        actor="op",
        at=at(10),
    )
    work_jobs(engine, at(11))
    engine.complete_task(number, "Task_SendPackage", {"package_number": "P-1"}, actor="expert", at=at(days=1))
    return number


def stored_events(engine: Engine, number: str) -> list[Case.Event]:
    return [e for e in engine.store.events.get(case_id_for(number)) if isinstance(e, Case.Event)]


def recorded_text(events: list[Case.Event]) -> str:
    return json.dumps([[e.input, e.effects] for e in events], ensure_ascii=False)


def test_a_personal_form_field_is_recorded_sealed_in_the_input_and_in_the_message_it_goes_on_in(
    engine: Engine,
) -> None:
    number = property_case_sent_to_rosreestr(engine)
    events = stored_events(engine, number)
    assert CADASTRAL not in recorded_text(events)
    reception = next(e for e in events if isinstance(e, Case.TaskCompleted) and e.input["element"] == "Task_Reception")
    assert is_token(reception.input["data"]["cadastral_number"])
    assert reception.input["data"]["property_kind"] == "flat"  # not personal: stays readable for auditors
    sent: Any = next(e for e in events if e.effects.get("messages_sent")).effects["messages_sent"][0]
    assert is_token(sent["payload"]["cadastral_number"]) and sent["payload"]["fee_paid"] is True


def test_the_workflow_runs_on_the_plain_value_and_a_case_loaded_afresh_replays(
    engine: Engine, engines: EngineMaker
) -> None:
    number = property_case_sent_to_rosreestr(engine)
    fresh = engines()  # nothing cached: every step recomputed from the stored (sealed) inputs
    case = fresh.get_case(number)
    assert case.awaiting == ["rosreestr_decision"]
    assert verify(fresh.steps, stored_events(fresh, number)).ok


def test_a_retry_of_a_completion_with_personal_data_is_recognised_under_its_key(engine: Engine) -> None:
    number = engine.open_case(
        service="rosreestr_ownership", office="LPK", channel="window", applicant={}, actor="LPK/op", at=at()
    ).number
    data = {"documents_complete": True, "property_kind": "flat", "cadastral_number": CADASTRAL}
    first = engine.complete_task(number, "Task_Reception", data, actor="op", at=at(1), idempotency_key="k-1")
    again = engine.complete_task(number, "Task_Reception", data, actor="op", at=at(2), idempotency_key="k-1")
    assert again.version == first.version


def test_a_shredded_case_takes_no_more_personal_values(engine: Engine) -> None:
    number = engine.open_case(
        service="rosreestr_ownership", office="LPK", channel="window", applicant={}, actor="LPK/op", at=at()
    ).number
    engine.vault.shred(case_id_for(number))
    data = {"documents_complete": True, "property_kind": "flat", "cadastral_number": CADASTRAL}
    with pytest.raises(PersonalDataError, match="shredded"):
        engine.complete_task(number, "Task_Reception", data, actor="op", at=at(1))
    assert len(stored_events(engine, number)) == 1


def test_an_eligibility_decision_runs_on_the_sealed_family_income(engine: Engine, engines: EngineMaker) -> None:
    number = engine.open_case(
        service="child_monthly_benefit",
        office="LPK",
        channel="window",
        applicant={},
        actor="LPK/op",
        at=at(),
    ).number
    engine.complete_task(
        number,
        "Task_Reception",
        {
            "children_count": 3,
            "family_income": INCOME,
            "family_size": 5,
            "youngest_child_age": 2,
            "resident_of_region": True,
        },
        actor="op",
        at=at(1),
    )
    assert str(INCOME) not in recorded_text(stored_events(engine, number))
    assert engines().get_case(number).open_tasks == engine.get_case(number).open_tasks
