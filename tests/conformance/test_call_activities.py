"""Call-activity models of okno's own, each after a public model and its source's test
(cited in the model), deployed together with the files it calls and run by its scenario
(a run-model script beside it) along the path that test expects."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.bpmn.library import compile_bundle
from engine.bpmn.sources import collect_sources
from engine.bpmn.validation import validate
from engine.run_model import load_script, run

MODELS = Path(__file__).resolve().parent / "models_okno" / "call_activities"
SCENARIOS = sorted(MODELS.glob("*.toml"))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda path: path.stem)
def test_a_call_activity_model_runs_its_sources_scenario(scenario: Path) -> None:
    script = load_script(scenario.read_text(encoding="utf-8"), scenario.name)
    plan = validate(collect_sources([MODELS / name for name in script["files"]]))
    assert plan.problems == []
    [bundle] = [b for b in plan.bundles if b.process_id == script["process"]]
    result = run(compile_bundle(bundle), script)
    assert result.ok, "\n".join([*result.lines, *result.failures])


def test_there_are_call_activity_scenarios_from_four_sources_or_more() -> None:
    cited = {line.split()[0] for path in MODELS.glob("*.bpmn") for line in path.read_text().split("after ")[1:]}
    assert len(SCENARIOS) >= 4 and len(cited) >= 4, cited
