"""The XES export reads back into a standard process-mining tool (pm4py), which
discovers a process model from it."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pytest

from engine.application import Engine, scan_cases
from engine.case import Case
from engine.xes import write_xes
from tests.conftest import EngineMaker
from tests.projections.test_read_models import simulated_region


@pytest.mark.slow
def test_the_xes_export_reads_back_in_pm4py_and_a_process_model_is_discovered(
    engines: EngineMaker, tmp_path: Path
) -> None:
    engine: Engine = engines()
    opened = simulated_region(engine, days=2)  # ~100 cases: enough for the miner to find every activity
    numbers = sorted(scan_cases(engine))
    buffer = io.BytesIO()
    agencies = {code: str(s["agency"]) for code, s in engine.directory().services.items()}
    written = write_xes(engine.steps.library, ([e for e in engine.case_events(n)] for n in numbers), buffer, agencies)
    assert written == len(numbers) == opened > 80
    path = tmp_path / "okno.xes"
    path.write_bytes(buffer.getvalue())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        log = pm4py.read_xes(str(path))
        net, initial, final = pm4py.discover_petri_net_inductive(log)
    assert log["case:concept:name"].nunique() == opened
    activities = set(log["concept:name"])
    assert {"Заявление принято", "Приём и проверка документов", "Получен ответ: rosreestr_decision"} <= activities
    labels = {t.label for t in net.transitions if t.label}
    assert labels == activities, "the discovered model covers every activity of the log"
    assert initial and final
    resources = set(log["org:resource"])
    assert any(r.endswith("/operator") for r in resources) and resources & set(agencies.values())
    first = next(e for e in engine.case_events(numbers[0]))
    assert isinstance(first, Case.Opened)
