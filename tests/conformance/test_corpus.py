"""The corpus list holds together without the model files (they live in shared/, see SOURCES.md)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.measure import mark_gaps

HERE = Path(__file__).resolve().parent
MODELS: list[dict[str, Any]] = tomllib.loads((HERE / "corpus.toml").read_text(encoding="utf-8"))["model"]
SOURCES = (HERE / "SOURCES.md").read_text(encoding="utf-8")
LICENCES = {"Apache-2.0", "MIT", "LGPL-2.1-or-later", "LGPL-3.0-or-later", "CC-BY-3.0"}
# run-model's step kinds (`signal` delivers a broadcast signal, issue 16).
STEP_KEYS = {"complete", "message", "wait", "job", "signal", "data", "payload", "result", "fail", "expect_error"}
EXPECT_KEYS = {"completed", "outcome", "stage", "tasks_open", "messages_sent", "data"}


def test_every_model_is_listed_once_with_its_provenance() -> None:
    files = [model["file"] for model in MODELS]
    assert len(files) == len(set(files))
    for model in MODELS:
        assert model["file"].startswith(model["source"] + "/")
        assert model["licence"] in LICENCES
        assert re.fullmatch(r"[0-9a-f]{64}", model["sha256"])
        assert model["upstream"] and model["expected"] and model["features"]
        assert f"### {model['source']}: " in SOURCES, f"{model['source']} is not described in SOURCES.md"
        # A gap okno still has with this model: why, in words (test_scenarios runs it as an xfail).
        assert "known_gap" not in model or (isinstance(model["known_gap"], str) and model["known_gap"].strip())


def test_the_scenarios_cover_enough_models_from_enough_sources() -> None:
    """Issue 16: at least 110 models carry a scenario, from at least five sources."""
    with_scenario = [m for m in MODELS if "scenario" in m]
    assert len(with_scenario) >= 110
    assert len({m["source"] for m in with_scenario}) >= 5


@pytest.mark.parametrize("model", [m for m in MODELS if "scenario" in m], ids=lambda m: m["file"].split("/")[-1])
def test_scenarios_are_run_model_scripts(model: dict[str, Any]) -> None:
    scenario = model["scenario"]
    assert scenario.get("process"), "a scenario names the process it runs"
    for step in scenario.get("step", []):
        assert set(step) <= STEP_KEYS
        assert len(set(step) & {"complete", "message", "wait", "job", "signal"}) == 1
    assert set(scenario.get("expect", {})) <= EXPECT_KEYS


def test_mark_gaps_sets_a_gap_after_expected_and_clears_a_closed_one() -> None:
    text = (
        '[[model]]\nfile = "a/x.bpmn"\nexpected = "X"\n\n'
        '[[model]]\nfile = "a/y.bpmn"\nexpected = "Y"\nknown_gap = "old"\n[model.scenario]\nprocess = "y"\n'
    )
    marked = mark_gaps(text, {"a/x.bpmn": 'refused: "why"', "a/y.bpmn": None})
    models = tomllib.loads(marked)["model"]
    assert models[0]["known_gap"] == 'refused: "why"'
    assert "known_gap" not in models[1] and models[1]["scenario"] == {"process": "y"}
    assert mark_gaps(marked, {}) == marked  # models not named are left as they are
