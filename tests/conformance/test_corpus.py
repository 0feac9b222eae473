"""The corpus list holds together without the model files (they live in shared/, see SOURCES.md)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

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


@pytest.mark.parametrize("model", [m for m in MODELS if "scenario" in m], ids=lambda m: m["file"].split("/")[-1])
def test_scenarios_are_run_model_scripts(model: dict[str, Any]) -> None:
    scenario = model["scenario"]
    assert scenario.get("process"), "a scenario names the process it runs"
    for step in scenario.get("step", []):
        assert set(step) <= STEP_KEYS
        assert len(set(step) & {"complete", "message", "wait", "job", "signal"}) == 1
    assert set(scenario.get("expect", {})) <= EXPECT_KEYS
