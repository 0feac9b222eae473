"""User task forms (issue 16): a task with no declared form takes any JSON object with
plain names as keys (bug 6); forms declared by Camunda 7 formData, Camunda Forms (form-js
JSON beside the model) and SpiffArena JSON-Schema forms all check completed data the same
way, naming every problem with its field path."""

from __future__ import annotations

import pytest

from engine.application import Engine
from engine.errors import InvalidTaskData
from tests.conftest import EngineMaker, at, seeded


def open_mini(engine: Engine) -> str:
    number = engine.open_case(
        service="mini_service",
        office="LPK",
        channel="window",
        actor="LPK/operator",
        at=at(),
        applicant={"full_name": "Петров Пётр Петрович", "document": "4210 654321"},
    ).number
    engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="LPK/operator", at=at(1))
    engine.deliver_message(number, "agency_answer", {"ok": True}, actor="agency", at=at(2))
    return number


def test_a_task_without_a_declared_form_takes_any_json_object(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    data = {"handed_to": "Петров П. П.", "copies": 2, "signature": {"present": True, "pages": [1, 2]}}
    case = engine.complete_task(number, "Task_Handout", data, actor="LPK/operator", at=at(3))
    assert case.status == "completed"


def test_a_task_without_a_declared_form_refuses_keys_that_are_not_plain_names(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = open_mini(engine)
    before = len(list(engine.case_events(number)))
    with pytest.raises(InvalidTaskData) as refused:
        engine.complete_task(number, "Task_Handout", {"bad key": 1, "_secret": 2, "ok": 3}, actor="op", at=at(3))
    assert [p.field for p in refused.value.problems] == ["_secret", "bad key"]
    assert len(list(engine.case_events(number))) == before
