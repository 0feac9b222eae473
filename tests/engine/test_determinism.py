"""SpiffWorkflow runs only inside a case context that supplies time and ids; the same
input at the same time gives byte-identical state and effects."""

from __future__ import annotations

import uuid

import pytest
import SpiffWorkflow.task as spiff_task

from engine.bpmn.library import compile_bundle
from engine.bpmn.runtime import Runtime
from engine.bpmn.validation import validate
from engine.commands import CompleteTask, StartCase
from tests.conftest import at, mini_sources


def test_spiffworkflow_outside_a_case_context_refuses_to_make_ids() -> None:
    with pytest.raises(RuntimeError, match="outside a deterministic case context"):
        spiff_task.uuid4()


def test_the_same_inputs_at_the_same_times_give_identical_bytes() -> None:
    process = compile_bundle(validate(mini_sources()).bundles[0])
    case_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
    runs = []
    for _ in range(2):
        runtime = Runtime()
        opened = runtime.start(process, case_id, at(), StartCase({"service_code": "x"}))
        step = runtime.apply(process, case_id, opened.state, at(7),
                             CompleteTask("Task_Reception", {"documents_complete": True}))
        runs.append((opened.state, opened.effects, step.state, step.effects))
    assert runs[0] == runs[1]
    assert str(uuid.uuid5(case_id, "0")) in runs[0][0], "task ids are seeded from the case id"


def test_a_later_time_changes_timer_due_dates_and_nothing_else_leaks_the_clock() -> None:
    process = compile_bundle(validate(mini_sources()).bundles[0])
    case_id = uuid.uuid5(uuid.NAMESPACE_OID, "case")
    runtime = Runtime()
    opened = runtime.start(process, case_id, at(), StartCase({}))
    received = runtime.apply(process, case_id, opened.state, at(days=2),
                             CompleteTask("Task_Reception", {"documents_complete": True}))
    from engine.commands import DeliverMessage
    early = runtime.apply(process, case_id, received.state, at(days=3), DeliverMessage("agency_answer", {}))
    late = runtime.apply(process, case_id, received.state, at(days=4), DeliverMessage("agency_answer", {}))
    assert early.effects["timers_scheduled"][0]["due"] == at(days=33).isoformat()
    assert late.effects["timers_scheduled"][0]["due"] == at(days=34).isoformat()
