"""Recorded case histories, checked in under tests/histories/, replay exactly on every
run: a non-deterministic change, or one that changes what an input does to a pinned
process version, fails here."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from engine.bpmn.library import LIBRARY
from engine.bpmn.sources import ProcessBundle
from engine.replay import Recorded, replay

HISTORIES = sorted((Path(__file__).resolve().parent.parent / "histories").glob("*.json"))


def replay_history(history: dict[str, Any]) -> Any:
    bundle = ProcessBundle.from_dict(history["bundle"])
    assert bundle.version == history["process_version"], "the pinned content no longer hashes to its version"
    LIBRARY.add(bundle)
    records = [Recorded.from_dict(e) for e in history["events"]]
    return replay(history["process_version"], UUID(history["case_id"]), history["number"], records)


def test_there_are_recorded_histories_of_every_shipped_process() -> None:
    processes = {json.loads(p.read_text(encoding="utf-8"))["bundle"]["process_id"] for p in HISTORIES}
    assert {"mini", "property_registration", "foreign_passport", "migration_registration",
            "child_benefit"} <= processes


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
def test_a_recorded_history_replays_exactly(path: Path) -> None:
    report = replay_history(json.loads(path.read_text(encoding="utf-8")))
    assert report.ok, [(c.version, c.kind, c.error, c.recorded, c.replayed) for c in report.divergences()]
    assert len(report.checks) >= 3


@pytest.mark.parametrize("path", HISTORIES[:1], ids=[p.stem for p in HISTORIES[:1]])
def test_a_tampered_history_is_caught(path: Path) -> None:
    history = json.loads(path.read_text(encoding="utf-8"))
    edited = copy.deepcopy(history)
    edited["events"][1]["effects"]["stage"] = "Выдано"
    report = replay_history(edited)
    assert not report.ok and [c.version for c in report.divergences()] == [2]
    missing = copy.deepcopy(history)
    del missing["events"][1]
    assert not replay_history(missing).ok
