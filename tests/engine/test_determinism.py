"""SpiffWorkflow runs only on a case's workflow, whose clock supplies time and ids; the
same input at the same time gives byte-identical state and effects. The adapter is the
workflow's own: SpiffWorkflow's modules are not patched, and cases stepped at once in
several threads each read their own clock."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
import SpiffWorkflow.task as spiff_task
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from engine.bpmn.determinism import CaseTask
from engine.bpmn.library import compile_bundle
from engine.bpmn.runtime import Runtime, Step
from engine.bpmn.validation import validate
from engine.commands import CompleteTask, StartCase
from tests.conftest import at, mini_sources


def test_spiffworkflow_itself_is_not_patched() -> None:
    assert spiff_task.uuid4 is uuid.uuid4
    assert spiff_task.time is time
    assert spiff_timer.datetime is datetime


def test_a_task_outside_a_case_workflow_refuses_to_be_made() -> None:
    process = compile_bundle(validate(mini_sources()).bundles[0])
    plain = BpmnWorkflow(process.spec, process.subprocess_specs)
    with pytest.raises(RuntimeError, match="outside a case workflow"):
        CaseTask(plain, process.spec.start)


def test_cases_stepped_at_once_in_threads_each_get_their_own_ids_and_times() -> None:
    process = compile_bundle(validate(mini_sources()).bundles[0])
    runtime = Runtime()

    def run(index: int) -> tuple[Step, Step]:
        case_id = uuid.uuid5(uuid.NAMESPACE_OID, f"case {index % 4}")
        opened = runtime.start(process, case_id, at(index % 4), StartCase({"service_code": "x"}))
        return opened, runtime.apply(
            process,
            case_id,
            opened.state,
            at(10 + index % 4),
            CompleteTask("Task_Reception", {"documents_complete": True}),
        )

    alone = [run(index) for index in range(4)]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(run, range(32)))
    assert together == [alone[index % 4] for index in range(32)]


def test_the_same_inputs_at_the_same_times_give_identical_bytes() -> None:
    process = compile_bundle(validate(mini_sources()).bundles[0])
    case_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
    runs = []
    for _ in range(2):
        runtime = Runtime()
        opened = runtime.start(process, case_id, at(), StartCase({"service_code": "x"}))
        step = runtime.apply(
            process, case_id, opened.state, at(7), CompleteTask("Task_Reception", {"documents_complete": True})
        )
        runs.append((opened.state, opened.effects, step.state, step.effects))
    assert runs[0] == runs[1]
    assert str(uuid.uuid5(case_id, "0")) in runs[0][0], "task ids are seeded from the case id"


def test_a_later_time_changes_timer_due_dates_and_nothing_else_leaks_the_clock() -> None:
    process = compile_bundle(validate(mini_sources()).bundles[0])
    case_id = uuid.uuid5(uuid.NAMESPACE_OID, "case")
    runtime = Runtime()
    opened = runtime.start(process, case_id, at(), StartCase({}))
    received = runtime.apply(
        process, case_id, opened.state, at(days=2), CompleteTask("Task_Reception", {"documents_complete": True})
    )
    from engine.commands import DeliverMessage

    early = runtime.apply(process, case_id, received.state, at(days=3), DeliverMessage("agency_answer", {}))
    late = runtime.apply(process, case_id, received.state, at(days=4), DeliverMessage("agency_answer", {}))
    assert early.effects["timers_scheduled"][0]["due"] == at(days=33).isoformat()
    assert late.effects["timers_scheduled"][0]["due"] == at(days=34).isoformat()


def test_a_timer_date_without_a_zone_is_utc_whatever_the_hosts_zone() -> None:
    """SpiffWorkflow reads such a date in the host's zone; okno's timers read it as UTC."""
    script = textwrap.dedent("""
        import uuid
        from engine.bpmn.library import compile_bundle
        from engine.bpmn.runtime import Runtime
        from engine.commands import CompleteTask, DeliverMessage, StartCase
        from engine.bpmn.sources import SourceFile
        from engine.bpmn.validation import validate
        from tests.conftest import at, mini_sources

        source = mini_sources()[0]
        kind = 'xsi:type="bpmn:tFormalExpression"'
        text = source.text.replace(f'<bpmn:timeDuration {kind}>"P30D"</bpmn:timeDuration>',
                                   f'<bpmn:timeDate {kind}>"2026-12-01T09:00:00"</bpmn:timeDate>')
        process = compile_bundle(validate([SourceFile(source.name, text)]).bundles[0])
        runtime, case_id = Runtime(), uuid.uuid5(uuid.NAMESPACE_OID, "naive")
        step = runtime.start(process, case_id, at(), StartCase({}))
        step = runtime.apply(process, case_id, step.state, at(5),
                             CompleteTask("Task_Reception", {"documents_complete": True, "pages": 1}))
        step = runtime.apply(process, case_id, step.state, at(days=3), DeliverMessage("agency_answer", {}))
        print(step.effects["timers_scheduled"][0]["due"])
    """)
    root = Path(__file__).resolve().parents[2]
    found = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TZ": "Asia/Vladivostok"},
        check=True,
    )
    assert found.stdout.strip() == "2026-12-01T09:00:00+00:00"
