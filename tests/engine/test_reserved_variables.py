"""The variables okno keeps in every case's data (issue 17, finding 4): what the engine
puts there at opening, and nothing from outside can set them — not an opening's data, a
task's data or a job's result. Each offending name is reported, nothing is recorded."""

from __future__ import annotations

from typing import Any

import pytest

from engine.application import Engine
from engine.bpmn.sources import SourceFile
from engine.bpmn.validation import validate
from engine.case_variables import RESERVED_VARIABLES
from engine.catalog import parse_catalog
from engine.errors import InputRefused
from engine.replay import history
from tests.conftest import ROOT, EngineMaker, at, mini_sources, seeded, shipped_sources


@pytest.fixture
def engine(engines: EngineMaker) -> Engine:
    catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
    return seeded(engines(), shipped_sources(), catalog)


def open_case(engine: Engine, data: dict[str, Any] | None = None, key: str | None = None) -> str:
    return engine.open_case(
        service="rosreestr_ownership",
        office="LPK",
        channel="window",
        applicant={"full_name": "А. Б."},
        actor="LPK/op",
        at=at(),
        data=data,
        idempotency_key=key,
    ).number


def head(engine: Engine) -> int:
    return int(engine.store.recorder.max_notification_id() or 0)


def test_the_reserved_variables_are_the_ones_the_engine_puts_in_a_case_at_opening(engine: Engine) -> None:
    number = open_case(engine, {"note": "из портала"})
    [opened] = history(engine.steps, engine.case_events(number))
    data = opened.data_change["set"]
    assert {name: data[name] for name in RESERVED_VARIABLES} == {
        "service_code": "rosreestr_ownership",
        "office": "LPK",
        "channel": "window",
        # What the catalog says of the service, for the flow that many services share.
        "state_fee": 4000,
        "term_days": 9,
        "agency": "Росреестр",
        "service_parameters": {},
    }
    assert set(data) - set(RESERVED_VARIABLES) == {"note"}, "okno keeps no other variable of its own"


@pytest.mark.parametrize("name", RESERVED_VARIABLES)
def test_opening_data_cannot_set_a_reserved_variable(engine: Engine, name: str) -> None:
    before = head(engine)
    with pytest.raises(InputRefused) as refused:
        open_case(engine, {name: "ELC", "note": "ok"}, key="reserved-1")
    assert [p.field for p in refused.value.problems] == [f"data.{name}"]
    assert head(engine) == before, "nothing recorded"


def test_every_reserved_name_in_the_data_is_named_at_once(engine: Engine) -> None:
    with pytest.raises(InputRefused) as refused:
        open_case(engine, {"service_code": "mvd_residence_registration", "office": "ELC", "channel": "x"})
    assert [p.field for p in refused.value.problems] == ["data.service_code", "data.office", "data.channel"]


def test_task_data_and_job_results_cannot_set_a_reserved_variable(engine: Engine) -> None:
    number = open_case(engine)
    before = head(engine)
    reception = {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:20:0012345:67"}
    with pytest.raises(InputRefused) as refused:
        engine.complete_task(number, "Task_Reception", {**reception, "office": "ELC"}, actor="LPK/op", at=at(1))
    assert [p.field for p in refused.value.problems] == ["data.office"]
    engine.complete_task(number, "Task_Reception", reception, actor="LPK/op", at=at(1))
    with pytest.raises(InputRefused) as refused:
        engine.complete_job(number, "Task_CheckFee", {"fee_paid": True, "service_code": "x"}, actor="w", at=at(2))
    assert [p.field for p in refused.value.problems] == ["result.service_code"]
    assert head(engine) == before + 1, "only the good completion was recorded"


def test_a_form_field_named_after_a_reserved_variable_is_a_warning_at_deploy() -> None:
    [mini] = mini_sources()
    text = mini.text.replace('formField id="pages"', 'formField id="office"')
    plan = validate([SourceFile(mini.name, text)])
    assert not plan.problems, "it deploys (a warning, not a refusal)"
    [warning] = [w for w in plan.warnings if "office" in w.message]
    assert warning.element == "Task_Reception"
    assert "okno sets when a case opens" in warning.message


def test_processes_readme_lists_every_reserved_variable() -> None:
    readme = (ROOT / "processes" / "README.md").read_text(encoding="utf-8")
    for name in RESERVED_VARIABLES:
        assert f"| `{name}`" in readme, name
