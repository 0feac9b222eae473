"""okno's own conformance models (issue 16), committed so that CI runs them without the public
corpus (SOURCES.md: fetched files stay out of the repository). Each model re-authors one
public model - the same structure, element kinds, dialect extensions and expected path, in
okno's own ids and names - and cites it (repository, path, commit, licence) in an XML comment.

Beside each model a scenario TOML says which files deploy together, which public model it
follows, the steps (as corpus.toml's and ``okno run-model``'s) and the expected end. The runner
plays every scenario twice: on a real store through the engine's commands (then every recorded
event must fold into every read model), and in memory through ``okno run-model`` (which also
checks the data the path ends with). Adding a model is adding two files, not code.

Scenario TOML::

    source = "camunda7-platform"     # one of SOURCES below
    follows = "camunda/camunda-bpm-platform engine/src/test/.../X.bpmn20.xml @ <commit> (Apache-2.0)"
    features = ["multi-instance", "camunda"]
    files = ["model.bpmn", "called.bpmn", "decision.dmn"]   # the first holds `process`
    process = "process_id"
    data = { ... }                   # optional start data
    known_gap = "why"                # optional: okno leaves the path yet; runs as a strict xfail
    [[step]] ...                     # complete / job / message / wait, as run-model's
    [expect] ...                     # completed / outcome / stage / tasks_open / messages_sent / data
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from engine.bpmn.library import compile_bundle
from engine.bpmn.sources import collect_sources
from engine.bpmn.validation import validate
from engine.run_model import load_script, run
from tests.conformance.test_scenarios import assert_every_read_model_folds, check_expectations, play_on_store
from tests.conftest import EngineMaker

ROOT = Path(__file__).resolve().parent / "models_okno"
SCENARIOS = sorted(ROOT.glob("*/*.toml"))
# The public sources of SOURCES.md; a model says which one it follows.
SOURCES = (
    "bpmn-js-examples",
    "bpmn-miwg",
    "camunda7-examples",
    "camunda7-platform",
    "camunda8",
    "camunda8-process-test",
    "flowable",
    "spiffarena",
    "spiffarena-samples",
    "spiffworkflow",
)


def scenario_of(path: Path) -> dict[str, Any]:
    return load_script(path.read_text(encoding="utf-8"), path.name)


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _runs(path: Path) -> Any:
    """A model okno does not yet run along its source's path says why in ``known_gap``: it runs
    as a strict xfail, so closing the gap fails the test until the line goes."""
    gap = scenario_of(path).get("known_gap")
    marks = [pytest.mark.xfail(reason=str(gap), strict=True)] if gap else []
    return pytest.param(path, id=_id(path), marks=marks)


RUNS = [_runs(path) for path in SCENARIOS]


# On a store the suite takes seconds, so the quick loop leaves it to CI; run-model below keeps
# every path checked in the quick loop too.
@pytest.mark.slow
@pytest.mark.parametrize("path", RUNS)
def test_an_own_model_takes_its_sources_path_on_a_store_and_every_event_folds(path: Path, engines: EngineMaker) -> None:
    script = scenario_of(path)
    files: list[str] = list(script["files"])
    model = {
        "file": files[0],
        "with": files[1:],
        "scenario": {key: script[key] for key in ("process", "data", "step", "expect", "start") if key in script},
    }
    engine = engines()
    driver = play_on_store(engine, model, path.parent)
    failures = check_expectations(driver, script.get("expect", {}))
    assert not failures, f"{_id(path)} took another path than its source expects:\n" + "\n".join(failures)
    assert_every_read_model_folds(engine)


@pytest.mark.parametrize("path", RUNS)
def test_an_own_model_takes_its_sources_path_in_run_model(path: Path) -> None:
    script = scenario_of(path)
    plan = validate(collect_sources([path.parent / name for name in script["files"]]))
    assert plan.problems == [], "\n".join(str(p) for p in plan.problems)
    [bundle] = [b for b in plan.bundles if b.process_id == script["process"]]
    result = run(compile_bundle(bundle), script)
    assert result.ok, "\n".join([*result.lines, *result.failures])


@pytest.mark.parametrize("path", SCENARIOS, ids=_id)
def test_an_own_model_cites_the_public_model_it_follows(path: Path) -> None:
    script = scenario_of(path)
    assert script.get("source") in SOURCES, f"{_id(path)}: source must be one of {SOURCES}"
    assert script.get("features"), f"{_id(path)}: list the features the model covers"
    # "owner/repo path @ <40-hex commit> (licence)": enough to fetch the very file followed.
    assert re.fullmatch(r"\S+/\S+ \S+ @ [0-9a-f]{40} \(\S+\)", str(script.get("follows", ""))), (
        f"{_id(path)}: follows must say 'owner/repo path @ commit (licence)'"
    )
    first = (path.parent / script["files"][0]).read_text(encoding="utf-8")
    # The citation is in the model itself, so a copy of the file alone still says where it is from.
    assert "okno's own model after " in first, f"{_id(path)}: no citation of the public model"
    assert any(licence in first for licence in ("Apache-2.0", "MIT", "LGPL")), f"{_id(path)}: no licence cited"


def test_the_own_suite_covers_five_sources_and_the_issues_features(capsys: pytest.CaptureFixture[str]) -> None:
    sources: Counter[str] = Counter()
    features: Counter[str] = Counter()
    for path in SCENARIOS:
        script = scenario_of(path)
        sources[str(script.get("source"))] += 1
        features.update(str(f) for f in script.get("features", []))
    with capsys.disabled():
        print(f"\nown conformance models: {len(SCENARIOS)}; per source: {dict(sorted(sources.items()))}")
        print(f"per feature: {dict(sorted(features.items()))}")
    assert len(sources) >= 5, sources
