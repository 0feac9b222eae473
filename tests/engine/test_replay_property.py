"""Property: for any sequence of commands on any shipped process, each command either
records exactly one event or is refused and changes nothing; versions are contiguous;
and replaying the recorded inputs reproduces every recorded effect exactly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.application import Engine
from engine.bpmn.library import FormField, ProcessLibrary
from engine.bpmn.message_contracts import awaited_contract
from engine.case import Case
from engine.catalog import Service
from engine.errors import OknoError
from engine.replay import opened_records, replay_case, replay_live, replay_restoring
from okno.demo.agency_answers import variants
from tests.conftest import T0, make_engine_factory, mini_sources, seeded, shipped_sources
from tests.engine.test_recorded_histories import live_and_restored

SHIPPED = ["property_registration", "foreign_passport", "migration_registration", "child_benefit"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    make, made = make_engine_factory(f"sqlite:///{tmp_path_factory.mktemp('property') / 'okno.sqlite'}")
    engine = make()
    services = [Service(f"svc_{p}", p, "Ведомство", "federal", 9, (), 0, p) for p in [*SHIPPED, "mini"]]
    seeded(engine, shipped_sources() + mini_sources(), services)
    yield engine
    for each in made:
        each.close()


def field_value(form_field: FormField) -> st.SearchStrategy[Any]:
    if form_field.type == "boolean":
        return st.booleans()
    if form_field.type == "long":
        return st.integers(0, 200_000)
    if form_field.type == "enum":
        return st.sampled_from(form_field.options or ("",))
    if form_field.type == "date":
        return st.dates().map(lambda d: d.isoformat())
    return st.text(max_size=20)


@st.composite
def command(draw: st.DrawFn, case: Case, library: ProcessLibrary) -> tuple[str, Any]:
    options: list[str] = []
    if case.open_tasks:
        options += ["task", "claim", "release"]
    if case.awaiting:
        options.append("message")
    if case.timers:
        options.append("timer")
    if case.open_jobs:
        options += ["job_result", "job_failure", "incident_retry"]
    options += ["rate", "complain"]
    options.append("withdraw")
    kind = (
        draw(st.sampled_from(options))
        if len(options) == 1
        else draw(st.sampled_from(options[:-1]) if draw(st.integers(0, 19)) else st.just("withdraw"))
    )
    if kind == "task":
        task = draw(st.sampled_from(case.open_tasks))
        element = library.get(case.process_version).elements[task["element"]]
        data = {f.id: draw(field_value(f)) for f in element.fields if f.required or draw(st.booleans())}
        return kind, (task["element"], data)
    if kind == "rate":
        return kind, {c: draw(st.integers(0, 6)) for c in ("waiting_time", "staff", "premises", "information")}
    if kind == "complain":
        return kind, draw(st.sampled_from(["staff", "term_exceeded", "nonsense"]))
    if kind in ("claim", "release"):
        task = draw(st.sampled_from(case.open_tasks))
        return kind, (task["task"], draw(st.sampled_from(["LPK/ivanova", "LPK/petrov"])))
    if kind == "message":
        name = draw(st.sampled_from(sorted(case.awaiting)))
        contract = awaited_contract(library.get(case.process_version).contracts, name)
        answers = [*variants(contract.schema), {}]
        return kind, (name, draw(st.sampled_from(answers)))
    if kind in ("job_result", "job_failure", "incident_retry"):
        job = draw(st.sampled_from(case.open_jobs))
        result = draw(
            st.sampled_from(
                [{"fee_paid": True, "fee_paid_amount": 2000}, {"fee_paid": False}, {"sms_sent": True}, {"bad key": 1}]
            )
        )
        return kind, (job["task"], result if kind == "job_result" else draw(st.sampled_from(["timeout", ""])))
    if kind == "timer":
        timer = draw(st.sampled_from(case.timers))
        return kind, (timer["element"], datetime.fromisoformat(timer["due"]))
    return kind, None


@pytest.mark.slow
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@pytest.mark.parametrize("process", [*SHIPPED, "mini"])
@given(data=st.data())
def test_any_command_sequence_replays_exactly(engine: Engine, process: str, data: st.DataObject) -> None:
    now = T0
    case = engine.open_case(
        service=f"svc_{process}", office="LPK", channel="portal", applicant={}, actor="portal", at=now
    )
    for _ in range(data.draw(st.integers(1, 14), label="steps")):
        if not case.is_open:
            break
        kind, argument = data.draw(command(case, engine.steps.library), label="command")
        now += timedelta(minutes=data.draw(st.integers(1, 60 * 24 * 3), label="minutes later"))
        version = case.version
        try:
            if kind == "task":
                case = engine.complete_task(case.number, argument[0], argument[1], actor="op", at=now)
            elif kind == "message":
                case = engine.deliver_message(case.number, argument[0], argument[1], actor="agency", at=now)
            elif kind == "rate":
                case = engine.rate_case(case.number, argument, actor="citizen", at=now)
            elif kind == "complain":
                case = engine.file_complaint(case.number, argument, actor="citizen", at=now)
            elif kind == "claim":
                case = engine.claim_task(case.number, argument[0], actor=argument[1], at=now)
            elif kind == "release":
                case = engine.release_task(case.number, argument[0], actor=argument[1], at=now)
            elif kind == "job_result":
                case = engine.complete_job(case.number, argument[0], argument[1], actor="worker", at=now)
            elif kind == "job_failure":
                case = engine.fail_job(case.number, argument[0], argument[1], actor="worker", at=now)
            elif kind == "incident_retry":
                case = engine.retry_incident(case.number, argument[0], actor="LPK/supervisor", at=now)
            elif kind == "timer":
                now = max(now, argument[1] + timedelta(minutes=1))
                case = engine.fire_timer(case.number, argument[0], at=now)
            else:
                case = engine.withdraw_case(case.number, "applicant withdrew", actor="op", at=now)
        except OknoError:
            case = engine.get_case(case.number)
            assert case.version == version, "a refused command must record nothing"
            continue
        assert case.version == version + 1, "a command records exactly one event"

    events = list(engine.case_events(case.number))
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    report = replay_case(engine.steps, events)
    assert report.ok, [(c.version, c.kind, c.error) for c in report.divergences()]
    # verify's fast path alone (one live workflow, no fallback) reproduces the history the
    # commands made, and steps through the same serialized states.
    records, _ = opened_records(engine.steps, events)  # personal values opened, as verify does
    assert replay_live(engine.steps, case.process_version, case.id, case.number, records).ok
    # Commands ran on kept live workflows (the engine's CaseSteps.live): the restore path,
    # the reference, reproduces what they recorded and ends in the state they stored.
    assert replay_restoring(engine.steps, case.process_version, case.id, case.number, records).ok
    steps = live_and_restored(engine.steps, case.process_version, case.id, records)
    assert engine.get_case(case.number).state == steps[-1][3]
    for version, (live_effects, live_state, effects, state) in enumerate(steps, start=1):
        assert (live_effects, live_state) == (effects, state), version
