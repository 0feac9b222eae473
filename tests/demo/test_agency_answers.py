"""The simulated agencies answer from the processes' message contracts, whatever the
message: the happy path most often, each other branch a small share of the time."""

from __future__ import annotations

import json
import random
from collections import Counter

from engine.bpmn.json_schemas import data_problems
from okno.demo.agency_answers import OTHER_SHARE, answer, variants
from tests.conftest import ROOT

UNKNOWN = {  # a message no process of ours has: nested, typed, optional
    "type": "object",
    "properties": {
        "verdict": {"enum": ["approved", "rejected", "postponed"]},
        "details": {
            "type": "object",
            "properties": {"fee": {"type": ["integer", "null"], "minimum": 100}, "checked": {"type": "boolean"}},
            "required": ["fee"],
        },
        "service": {"const": "unknown"},
        "note": {"type": "string"},
    },
    "required": ["verdict"],
}


def test_every_answer_fits_its_contract_for_every_shipped_message_and_an_unknown_one() -> None:
    rng = random.Random(1)
    schemas = [UNKNOWN] + [
        message["payload"]
        for path in sorted((ROOT / "processes").glob("*.messages.json"))
        for message in json.loads(path.read_text(encoding="utf-8")).get("receives", {}).values()
    ]
    assert len(schemas) > 5
    for schema in schemas:
        for payload in [answer(schema, rng) for _ in range(50)] + variants(schema):
            assert data_problems(schema, payload, "payload") == [], (schema, payload)


def test_the_first_enum_value_and_yes_are_the_usual_answers_and_the_others_come_too() -> None:
    rng = random.Random(7)
    verdicts = Counter(answer(UNKNOWN, rng)["verdict"] for _ in range(2000))
    assert verdicts["approved"] / 2000 > 1 - OTHER_SHARE - 0.03
    assert verdicts["rejected"] > 0 and verdicts["postponed"] > 0
    assert answer(UNKNOWN, rng)["service"] == "unknown"


def test_variants_walk_each_branch_once_from_the_happy_path() -> None:
    found = variants(UNKNOWN)
    assert found[0]["verdict"] == "approved" and found[0]["details"]["checked"] is True
    assert {v["verdict"] for v in found} == {"approved", "rejected", "postponed"}
    assert [v["details"]["checked"] for v in found].count(False) == 1
    assert len(found) == 4
