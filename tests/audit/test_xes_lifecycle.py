"""The XES export tells each task's lifecycle (scheduled, started — claimed, or opened if
nobody claimed it — and completed), the case's process version, staff as resources and the
agency, by its catalog name, as the resource of its steps; pm4py reads it back."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import pytest

from engine.application import Engine
from engine.xes import write_xes
from tests.conftest import MINI_SERVICE, EngineMaker, at, seeded

# Slow: each test runs cases and reads their XES back in pm4py (seconds each); the README's command runs them.
pytestmark = pytest.mark.slow


def exported(engine: Engine, numbers: list[str], tmp_path: Path) -> Any:
    agencies = {code: str(s["agency"]) for code, s in engine.directory().services.items()}
    buffer = io.BytesIO()
    write_xes(engine.steps.library, (list(engine.case_events(n)) for n in numbers), buffer, agencies)
    path = tmp_path / "okno.xes"
    path.write_bytes(buffer.getvalue())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        return pm4py.read_xes(str(path))


def two_cases(engines: EngineMaker) -> tuple[Engine, str, str]:
    engine = seeded(engines())
    claimed = engine.open_case(
        service="mini_service", office="LPK", channel="window", applicant={}, actor="op", at=at()
    )
    task = claimed.open_tasks[0]["task"]
    engine.claim_task(claimed.number, task, actor="anna", at=at(2))
    engine.complete_task(claimed.number, "Task_Reception", {"documents_complete": True}, actor="anna", at=at(7))
    engine.deliver_message(claimed.number, "agency_answer", {}, actor="agency", at=at(days=1))
    unclaimed = engine.open_case(
        service="mini_service", office="LPK", channel="window", applicant={}, actor="op", at=at(10)
    )
    engine.complete_task(unclaimed.number, "Task_Reception", {"documents_complete": True}, actor="boris", at=at(15))
    return engine, claimed.number, unclaimed.number


def test_pm4py_reads_a_start_and_a_complete_transition_for_every_done_task(
    engines: EngineMaker, tmp_path: Path
) -> None:
    engine, claimed, unclaimed = two_cases(engines)
    log = exported(engine, [claimed, unclaimed], tmp_path)
    reception = log[log["concept:name"] == "Приём"]
    for number in (claimed, unclaimed):
        transitions = list(reception[reception["case:concept:name"] == number]["lifecycle:transition"])
        assert transitions == ["schedule", "start", "complete"], (number, transitions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pm4py.objects.conversion.log import converter
        from pm4py.objects.log.util import interval_lifecycle

        intervals = interval_lifecycle.to_interval(converter.apply(log, variant=converter.Variants.TO_EVENT_LOG))
    spans = [
        (trace.attributes["concept:name"], e["start_timestamp"], e["time:timestamp"])
        for trace in intervals
        for e in trace
        if e["concept:name"] == "Приём"
    ]
    assert len(spans) == 2 and all(start < end for _, start, end in spans)


def test_a_claimed_task_starts_when_claimed_by_its_holder(engines: EngineMaker, tmp_path: Path) -> None:
    engine, claimed, unclaimed = two_cases(engines)
    log = exported(engine, [claimed, unclaimed], tmp_path)
    rows = log[(log["concept:name"] == "Приём") & (log["case:concept:name"] == claimed)]
    start = rows[rows["lifecycle:transition"] == "start"].iloc[0]
    assert start["org:resource"] == "anna" and start["time:timestamp"] == at(2)
    assert start["okno:claims"] == "1"
    complete = rows[rows["lifecycle:transition"] == "complete"].iloc[0]
    assert complete["org:resource"] == "anna" and complete["time:timestamp"] == at(7)
    plain = log[(log["concept:name"] == "Приём") & (log["case:concept:name"] == unclaimed)]
    assert list(plain[plain["lifecycle:transition"] == "start"]["time:timestamp"]) == [at(10)]
    assert list(plain[plain["lifecycle:transition"] == "complete"]["org:resource"]) == ["boris"]


def test_the_trace_names_its_process_version_and_the_agency_is_the_resource_of_its_steps(
    engines: EngineMaker, tmp_path: Path
) -> None:
    engine, claimed, unclaimed = two_cases(engines)
    log = exported(engine, [claimed, unclaimed], tmp_path)
    version = engine.get_case(claimed).process_version
    assert set(log["case:okno:process_version"]) == {version}
    agency_steps = log[log["concept:name"].isin(["Отправлен запрос: agency_request", "Получен ответ: agency_answer"])]
    assert len(agency_steps) == 3  # two requests, one answer
    assert set(agency_steps["org:resource"]) == {MINI_SERVICE.agency}
