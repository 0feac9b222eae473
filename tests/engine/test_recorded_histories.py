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

from engine.bpmn.sources import ProcessBundle
from engine.case_steps import CaseSteps
from engine.replay import Recorded, replay, replay_live

HISTORIES = sorted((Path(__file__).resolve().parent.parent / "histories").glob("*.json"))


def replay_history(history: dict[str, Any]) -> Any:
    bundle = ProcessBundle.from_dict(history["bundle"])
    assert bundle.version == history["process_version"], "the pinned content no longer hashes to its version"
    steps = CaseSteps()
    steps.library.add(bundle)
    records = [Recorded.from_dict(e) for e in history["events"]]
    return replay(steps, history["process_version"], UUID(history["case_id"]), history["number"], records)


def test_there_are_recorded_histories_of_every_shipped_process() -> None:
    processes = {json.loads(p.read_text(encoding="utf-8"))["bundle"]["process_id"] for p in HISTORIES}
    assert {"mini", "property_registration", "foreign_passport", "migration_registration", "child_benefit"} <= processes


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


def live_and_restored(
    steps: CaseSteps, process_version: str, case_id: UUID, records: list[Recorded]
) -> list[tuple[str, str, str, str]]:
    """Each step's (effects, state) through one live workflow and through the restore path."""
    from engine.bpmn.runtime import LiveCase, canonical
    from engine.commands import StartCase, input_from_dict

    process = steps.library.get(process_version)
    runtime = steps.runtime
    made: list[tuple[str, str, str, str]] = []
    live: LiveCase | None = None
    state = ""
    for record in records:
        step_input = input_from_dict(record.input)
        if isinstance(step_input, StartCase):
            live, live_effects = runtime.start_live(process, case_id, record.timestamp, step_input)
            restored = runtime.start(process, case_id, record.timestamp, step_input)
        else:
            assert live is not None
            live_effects = runtime.apply_live(live, record.timestamp, step_input)
            restored = runtime.apply(process, case_id, state, record.timestamp, step_input)
        state = restored.state
        made.append((live_effects, live.state(), canonical(restored.effects), restored.state))
    return made


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
def test_a_live_workflow_steps_exactly_as_a_restored_one(path: Path) -> None:
    """replay() keeps one workflow in memory; the engine restores it from JSON each step.
    Both give the same effects AND the same serialized state after every step."""
    history = json.loads(path.read_text(encoding="utf-8"))
    steps = CaseSteps()
    steps.library.add(ProcessBundle.from_dict(history["bundle"]))
    records = [Recorded.from_dict(e) for e in history["events"]]
    made = live_and_restored(steps, history["process_version"], UUID(history["case_id"]), records)
    for version, (live_effects, live_state, effects, state) in enumerate(made, start=1):
        assert live_effects == effects, version
        assert live_state == state, version
    assert replay_live(steps, history["process_version"], UUID(history["case_id"]), history["number"], records).ok
