"""Over many simulated working days, property registrations go through agency answers —
some only after the 9-working-day reminder fired — and results nobody collects go back
to Rosreestr after their 30-day timer; every such case replays exactly."""

from __future__ import annotations

from datetime import date

import pytest

from engine.application import scan_cases
from engine.case import Case
from engine.catalog import parse_catalog
from engine.replay import replay_case
from engine.working_days import next_working_day
from okno.cli.demo import _agencies
from okno.demo.connectors import DemoWorker
from okno.demo.region import lipetsk_offices
from okno.demo.simulation import Simulation
from tests.conftest import ROOT, T0, EngineMaker, shipped_sources


@pytest.mark.slow
def test_reminders_fire_before_late_answers_and_unclaimed_results_go_back(engines: EngineMaker) -> None:
    engine = engines()
    assert engine.deploy(shipped_sources(), T0).ok
    # Only the services of the process this test follows: every visitor is one of its cases.
    catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
    engine.publish_catalog([s for s in catalog if s.process == "property_registration"], T0)
    engine.register_offices(lipetsk_offices(), T0)
    jobs = DemoWorker(engine, seed=12)
    simulation = Simulation(engine, seed=12, agency_gateway=_agencies(engine), job_worker=jobs)
    day = date(2026, 11, 2)
    acknowledged = 0
    for _ in range(40):
        acknowledged += simulation.run_day(day, 5).acknowledged
        day = next_working_day(day)
    assert acknowledged > 0
    assert jobs.totals.by_connector["payment_check"] and jobs.totals.by_connector["sms"]
    assert jobs.totals.failed, "the treasury's outages make some fee checks fail and retry"

    reminded_then_answered, returned = [], []
    connectors_answered = 0
    for number, summary in scan_cases(engine).items():
        events = list(engine.case_events(number))
        opened = events[0]
        assert isinstance(opened, Case.Opened)
        engine.ensure_version(opened.process_version)
        if engine.steps.library.get(opened.process_version).process_id != "property_registration":
            continue
        kinds = [(type(e).__name__, e.input.get("element") or e.input.get("name")) for e in events]
        if ("TimerFired", "Timer_DecisionOverdue") in kinds and ("MessageReceived", "rosreestr_decision") in kinds:
            first_reminder = kinds.index(("TimerFired", "Timer_DecisionOverdue"))
            if kinds.index(("MessageReceived", "rosreestr_decision")) > first_reminder:
                reminded_then_answered.append(number)
        if summary.status == "completed" and engine.get_case(number).outcome == "returned_to_agency":
            returned.append(number)
        # Replay has no connectors at all: their results are recorded inputs.
        assert replay_case(engine.steps, events).ok, number
        connectors_answered += sum(isinstance(e, Case.ServiceTaskCompleted) for e in events)
    assert connectors_answered > 0
    assert reminded_then_answered, "some answers arrive only after the reminder"
    assert returned, "some results are never collected and go back after 30 days"
