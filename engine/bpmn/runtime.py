"""The deterministic runtime, okno's adapter around SpiffWorkflow: one command applied to
a case's workflow, and its effects.

A step takes the case's serialized state, the command and the time of the event, and
returns the new state and the effects, both plain JSON. The same state, command and time
give byte-identical results on any machine: that is what replay checks. A workflow
command (engine.commands.WorkflowCommand) steps the workflow here; a case command is
decided by its own rule (engine/commands/) and leaves the workflow as it was.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.defaults import EventBasedGateway
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as AnyMessage
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import branch_data, case_timers, determinism, event_subprocesses, job_workers, jobs, zeebe_messages
from engine.bpmn.case_timers import utc_datetime
from engine.bpmn.determinism import CaseClock, CaseWorkflow, clock_of
from engine.bpmn.forms import check_task_data
from engine.bpmn.library import CompiledProcess
from engine.bpmn.message_contracts import check_payload
from engine.case_variables import reserved_problems
from engine.commands import (
    CaseCommand,
    CaseFacts,
    Command,
    CompleteJob,
    CompleteLockedJob,
    CompleteTask,
    DeliverMessage,
    DeliverSignal,
    FireTimer,
    OpenJob,
    Ruling,
    StartCase,
    ThrowJobError,
    Withdraw,
)
from engine.commands.beside import beside_workflow
from engine.commands.tasks import completing
from engine.errors import (
    ExpressionError,
    InputRefused,
    MessageNotAwaited,
    OknoError,
    ProcessFailure,
    SignalNotAwaited,
    TaskNotReady,
    TimerNotDue,
)
from engine.expressions.time_functions import ZONE as MOSCOW


@dataclass(frozen=True)
class Step:
    state: str  # canonical JSON: the workflow's state and the id counter
    effects: dict[str, Any] = field(default_factory=dict)
    # The case data after the step (the last completed task's data): for auditors' views
    # of what changed; not recorded, since replay recomputes it.
    data: dict[str, Any] = field(default_factory=dict, compare=False)


class _StateConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """SpiffWorkflow's workflow converter without the spec: the spec is stored once per
    process version, not in every case."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def restore_state(self, dct: dict[str, Any], process: CompiledProcess, clock: CaseClock) -> BpmnWorkflow:
        workflow = CaseWorkflow(process.spec, process.subprocess_specs, clock, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], uuid.UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(uuid.UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.get("bpmn_events", []))
        return workflow


_REGISTRY = BpmnWorkflowSerializer.configure(deepcopy(CAMUNDA_CONFIG))
# okno's case tasks, subprocesses and timers, under SpiffWorkflow's own type names.
determinism.register(_REGISTRY, CAMUNDA_CONFIG)
case_timers.register(_REGISTRY, CAMUNDA_CONFIG)
# A Zeebe catch's message, should one ever wait among the workflow's pending events.
CAMUNDA_CONFIG[MessageEventDefinition](zeebe_messages.MergedMessage, _REGISTRY, typename="MergedMessageEventDefinition")
_CONVERTER = _StateConverter(BpmnWorkflow, _REGISTRY)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@contextmanager
def _spiff_errors(what: str) -> Iterator[None]:
    try:
        yield
    except OknoError:
        raise
    except (SpiffWorkflowException, ExpressionError, ValueError, TypeError, KeyError) as error:
        inner = _expression_error(error)
        said = _explain(error)
        if inner is not None and inner is not error and str(inner) not in said:
            said = f"{said.rstrip('.')}: {inner}"  # SpiffWorkflow's wrapper names the expression, not what failed
        raise ProcessFailure(
            f"{what}: {said}", element=_element(error), variable=inner.name if inner is not None else None
        ) from None


def _element(error: Exception) -> str | None:
    task = getattr(error, "task", None)
    element = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
    return element if isinstance(element, str) else None


def _expression_error(error: BaseException | None) -> ExpressionError | None:
    """The interpreter's own error, however deep SpiffWorkflow wrapped it."""
    for _ in range(10):
        if error is None or isinstance(error, ExpressionError):
            return error
        error = error.__cause__ or error.__context__
    return None


def _explain(error: Exception) -> str:
    element = _element(error)
    prefix = f"element {element}: " if element else ""
    # SpiffWorkflow wraps the real error and prefixes its class name; show okno's own words.
    message = str(error).strip()
    error_type = getattr(error, "error_type", "")
    if error_type and message.startswith(f"{error_type}:"):
        message = message[len(error_type) + 1 :].strip()
    return f"{prefix}{message}"


class Runtime:
    """Runs inputs against compiled processes, each step on the case's own clock
    (engine.bpmn.determinism): it holds nothing between calls but what it is given."""

    def start(self, process: CompiledProcess, case_id: uuid.UUID, at: datetime, start: StartCase) -> Step:
        workflow, outcome = self._start(process, case_id, at, start)
        return outcome.step(workflow)

    def apply(self, process: CompiledProcess, case_id: uuid.UUID, state: str, at: datetime, step: Command) -> Step:
        stored = json.loads(state)
        workflow, outcome = self._advance(process, case_id, None, stored, None, at, step)
        return outcome.step(workflow)

    def start_kept(
        self, process: CompiledProcess, case_id: uuid.UUID, at: datetime, start: StartCase, kept: LiveCache
    ) -> Step:
        """:meth:`start` for commands (no ``data``), keeping the new workflow in ``kept`` for
        the case's next command."""
        workflow, outcome = self._start(process, case_id, at, start)
        step = outcome.step(workflow, with_data=False)
        if _flat_data(workflow):
            kept.put(step.state, LiveCase(process, case_id, workflow, outcome.kept(), outcome.after))
        return step

    def apply_kept(
        self, process: CompiledProcess, case_id: uuid.UUID, state: str, at: datetime, step: Command, kept: LiveCache
    ) -> Step:
        """:meth:`apply` for commands: the same state and effects, byte for byte (no ``data``), but when ``kept`` holds
        this case's workflow in exactly ``state`` the step runs on it instead of a
        workflow restored from the JSON. The workflow stepped is kept again under the new
        state; a step that fails leaves nothing kept (it may be half-stepped)."""
        live = kept.take(case_id, state)
        if live is not None and live.process is process:
            workflow, outcome = self._advance(process, case_id, live.workflow, live.stored, live.snapshot, at, step)
        else:
            workflow, outcome = self._advance(process, case_id, None, json.loads(state), None, at, step)
        result = outcome.step(workflow, with_data=False)
        if _flat_data(workflow):
            kept.put(result.state, LiveCase(process, case_id, workflow, outcome.kept(), outcome.after))
        return result

    def start_live(
        self, process: CompiledProcess, case_id: uuid.UUID, at: datetime, start: StartCase
    ) -> tuple[LiveCase, str]:
        """Start a case and keep its workflow in memory (see :class:`LiveCase`); returns it
        and the step's effects as canonical JSON."""
        workflow, outcome = self._start(process, case_id, at, start)
        return LiveCase(process, case_id, workflow, outcome.kept(), outcome.after), outcome.canonical_effects()

    def apply_live(self, live: LiveCase, at: datetime, step: Command) -> str:
        """Apply one input to a live case in place; returns the step's effects as canonical
        JSON, the same bytes :meth:`apply` gives from the serialized state. After an error
        the live case is unusable (the workflow may be half-stepped): drop it."""
        _, outcome = self._advance(live.process, live.case_id, live.workflow, live.stored, live.snapshot, at, step)
        live.stored = outcome.kept()
        live.snapshot = outcome.after
        return outcome.canonical_effects()

    def _start(
        self, process: CompiledProcess, case_id: uuid.UUID, at: datetime, start: StartCase
    ) -> tuple[BpmnWorkflow, _Outcome]:
        clock = CaseClock(case_id, at, 0)
        with _spiff_errors("the process failed to start"):
            workflow = CaseWorkflow(process.spec, process.subprocess_specs, clock)
            before = _Snapshot.empty()
            workflow.get_next_task(spec_name="Start").data.update(deepcopy(start.data))
            workflow.do_engine_steps()
        return workflow, self._finish(process, workflow, before, clock, previous_stage=None)

    def _advance(
        self,
        process: CompiledProcess,
        case_id: uuid.UUID,
        workflow: BpmnWorkflow | None,
        stored: dict[str, Any],
        before: _Snapshot | None,
        at: datetime,
        step: Command,
    ) -> tuple[BpmnWorkflow, _Outcome]:
        """One input against the state ``stored`` describes: restored from it, or given live
        with its snapshot. Of ``before`` only task ids, elements and timers are read, never
        the due dates it computed at its own step's time, so a live case may pass the
        previous step's snapshot."""
        clock = CaseClock(case_id, at, stored["ids"])
        if workflow is None or before is None:
            with _spiff_errors("the case's state could not be restored"):
                workflow = _CONVERTER.restore_state(stored["workflow"], process, clock)
            before = _Snapshot.of(workflow, process)
        else:
            workflow.set_clock(clock)  # a workflow kept from its last step: this step's clock
        if isinstance(step, CaseCommand):
            # okno's own inputs (claims, feedback, acknowledgements, job accounting) are
            # decided by the case's rules and leave the workflow as it was, so its
            # snapshot is the one taken before: one walk of the task tree saved. (Only
            # due dates differ with the clock, and they are read for tasks opened in the
            # step, of which such a step has none.)
            ruling = step.decide(CaseFacts(stored, before.tasks, _open_jobs(process, before.jobs), clock.now))
            after: _Snapshot | None = before
        else:
            with _spiff_errors("the process failed"):
                ruling = self._run(process, workflow, step, clock.now, stored)
            after = None
        return workflow, self._finish(
            process,
            workflow,
            before,
            clock,
            previous_stage=stored.get("stage"),
            stored=stored,
            ruling=ruling,
            after=after,
        )

    def job_data(self, process: CompiledProcess, case_id: uuid.UUID, state: str, at: datetime, task: str) -> Any:
        """The case data a job's service task sees (an external worker's variables when the
        task declares no inputs); read only."""
        stored = json.loads(state)
        workflow = _CONVERTER.restore_state(stored["workflow"], process, CaseClock(case_id, at, stored["ids"]))
        return json.loads(canonical(_REGISTRY.convert(jobs.started_job(workflow, process, task).data)))

    def element_states(
        self, process: CompiledProcess, case_id: uuid.UUID, state: str, at: datetime
    ) -> tuple[set[str], set[str]]:
        """The BPMN elements a case has passed, and those it is at now (for drawing it)."""
        stored = json.loads(state)
        workflow = _CONVERTER.restore_state(stored["workflow"], process, CaseClock(case_id, at, stored["ids"]))
        done = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id}
        # STARTED: a service task waiting for its connector.
        live = TaskState.READY | TaskState.WAITING | TaskState.STARTED
        active = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=live) if t.task_spec.bpmn_id}
        return done, active

    def _run(
        self, process: CompiledProcess, workflow: BpmnWorkflow, step: Command, now: datetime, stored: dict[str, Any]
    ) -> Ruling:
        """Step the workflow; what a step decides beside it (an external worker's uncaught
        error) comes back as its ruling."""
        if isinstance(step, (CompleteLockedJob, ThrowJobError)):
            ruling = job_workers.run(process, workflow, step, stored, now)
            branch_data.merge_finished_branches(workflow)
            return ruling
        if isinstance(step, CompleteTask):
            claims: dict[str, str] = stored.get("claims", {})
            task = _ready_task(workflow, step.element, step.task, claims, step.holder)
            info = process.elements[step.element]
            # Who may complete it is decided before its data is read (engine/commands/tasks.py).
            ruling = completing(claims, {"element": step.element, "task": str(task.id), "role": info.role}, step)
            # The data is read only now, after who may complete it (another operator is refused
            # as not allowed, whatever the data): first what it may never set, then its form.
            # A field the task's own form declares is the analyst's choice (a warning at deploy).
            declared = {field.id for field in info.form.fields} if info.form is not None else set()
            if reserved := [p for p in reserved_problems(step.data, "data") if p.field[5:] not in declared]:
                raise InputRefused(reserved)
            check_task_data(info, step.data)
            task.data.update(deepcopy(step.data))
            task.run()
            workflow.do_engine_steps()
            branch_data.merge_finished_branches(workflow)
            return ruling
        elif isinstance(step, DeliverMessage):
            waiting = _waiting_message(workflow, step.name, now)
            check_payload(process.contracts, step.name, step.payload)  # refused before anything runs
            result_var = getattr(waiting, "result_var", None) or step.name
            # Of the waiting catch's own kind: a Zeebe model's catch merges the payload into the case.
            kind = type(waiting) if isinstance(waiting, MessageEventDefinition) else MessageEventDefinition
            event = BpmnEvent(kind(step.name), {"payload": deepcopy(step.payload), "result_var": result_var})
            workflow.send_event(event)
            workflow.do_engine_steps()
        elif isinstance(step, DeliverSignal):
            _waiting_signal(workflow, step.name, now)
            workflow.send_event(BpmnEvent(SignalEventDefinition(step.name), deepcopy(step.payload)))
            workflow.do_engine_steps()
        elif isinstance(step, FireTimer):
            timer = _waiting_timer(workflow, step.element)
            due = _timer_due(timer)
            if due is None or due > now:
                raise TimerNotDue(f"timer {step.element} is due at {due}, not yet at {now.isoformat()}")
            workflow.refresh_timers()
            workflow.do_engine_steps()
        elif isinstance(step, CompleteJob):
            task = jobs.started_job(workflow, process, step.task)
            task.data.update(deepcopy(jobs.checked_result(step.result)))
            task.complete()
            workflow.do_engine_steps()
        elif isinstance(step, Withdraw):
            workflow.cancel()
        else:  # pragma: no cover - StartCase goes through start()
            raise TypeError(f"unexpected input {step!r}")
        branch_data.merge_finished_branches(workflow)
        return Ruling()

    def _finish(
        self,
        process: CompiledProcess,
        workflow: BpmnWorkflow,
        before: _Snapshot,
        clock: CaseClock,
        previous_stage: str | None,
        stored: dict[str, Any] | None = None,
        ruling: Ruling | None = None,
        after: _Snapshot | None = None,
    ) -> _Outcome:
        """The step's effects and state; ``stored`` is okno's state before it (None at the
        start) and ``ruling`` what a case rule decided in it."""
        stored = stored or {}
        ruling = ruling or Ruling()
        after = after or _Snapshot.of(workflow, process)
        opened = [after.tasks[t] for t in after.tasks if t not in before.tasks]
        stage = previous_stage
        # Every element this step reached starts its stage, the ones it passed straight
        # through too (a script, an end event: "Отказ в приёме документов", or the return of
        # an unclaimed result inside a called process); tree order, so the last new one wins.
        seen_before = set(before.order) | before.passed
        for task_id, element_id in after.walk:
            element = process.elements.get(element_id)
            if task_id not in seen_before and element is not None and element.stage:
                stage = element.stage
        for task_id, element_id in after.jobs.items():  # a service task may start a stage too
            element = process.elements.get(element_id)
            if task_id not in before.jobs and element is not None and element.stage:
                stage = element.stage
        # Only messages go to an agency: a terminate, escalation, signal or error end event is
        # thrown too (get_events lists every throw), and has no message name.
        sent = [
            {
                "name": e.event_definition.name,
                "payload": e.payload.get("payload") if isinstance(e.payload, dict) else e.payload,
            }
            for e in workflow.get_events()
            if isinstance(e.event_definition, AnyMessage)
        ]
        completed = bool(workflow.is_completed())
        # A cycle timer that fired and waits for its next time keeps its task: it fired at
        # its old due time and is scheduled again at the new one.
        cycled = {t for t in after.timers if t in before.timers and after.timers[t]["due"] != before.timers[t]["due"]}
        effects = {
            "tasks_opened": opened,
            "tasks_closed": [
                {"element": before.tasks[t]["element"], "task": t} for t in before.tasks if t not in after.tasks
            ],
            "timers_scheduled": [after.timers[t] for t in after.timers if t not in before.timers or t in cycled],
            "timers_fired": [before.timers[t] for t in before.timers if t in after.fired or t in cycled],
            "timers_cancelled": [
                before.timers[t] for t in before.timers if t not in after.timers and t not in after.fired
            ],
            "messages_sent": sent,
            "awaiting": sorted(set(after.waits.values())),
            "stage": stage,
            "completed": completed,
            "outcome": after.outcome if completed else None,
        }
        # Keys present only when they happen, so effects recorded before them stay byte-identical.
        if ruling.claims_changed:
            effects["claims"] = ruling.claims_changed
        if before.signals or after.signals:  # only for models with signal catches: others record as before
            effects["signals_awaited"] = sorted(set(after.signals.values()))
        effects.update(jobs.opened_and_closed(workflow, process, before.jobs, after.jobs))
        effects.update(ruling.feedback)
        # The workflow's own state is filled in only when the step is serialized (a live case
        # skips it); the key is placed now so the stored JSON keeps its order.
        state: dict[str, Any] = {
            "ids": clock.next_id,
            "stage": stage,
            "workflow": None,
        }
        claims = ruling.claims if ruling.claims is not None else stored.get("claims", {})
        state.update(
            beside_workflow(
                stored, ruling.feedback, claims, [message["name"] for message in sent], after.tasks, after.jobs
            )
        )
        return _Outcome(effects, state, after)


@dataclass
class _Outcome:
    """What a step computed, before anything is serialized."""

    effects: dict[str, Any]
    state: dict[str, Any]  # okno's state; its "workflow" is filled in by step()
    after: _Snapshot

    def canonical_effects(self) -> str:
        return canonical(self.effects)

    def kept(self) -> dict[str, Any]:
        """The state a live case carries to its next step: exactly what the restore path
        reads back from the stored JSON (a round trip, so no tuple or shared object
        survives that the stored state would not have)."""
        kept: dict[str, Any] = json.loads(json.dumps({k: v for k, v in self.state.items() if k != "workflow"}))
        return kept

    def step(self, workflow: BpmnWorkflow, with_data: bool = True) -> Step:
        """The Step, serialized. Commands do not read ``data`` (only auditors' history does,
        through :meth:`Runtime.apply`), so they skip converting it: ``with_data=False``."""
        state = dict(self.state)
        state["workflow"] = _CONVERTER.to_dict(workflow)
        # The state keeps SpiffWorkflow's own key order: its tasks store data as changes
        # against their parent, so they must be restored parents first (sorting the keys
        # by task id would lose data). That order is itself deterministic.
        last = workflow.last_task
        data = json.loads(canonical(_REGISTRY.convert(last.data))) if last is not None and with_data else {}
        return Step(
            json.dumps(state, ensure_ascii=False, separators=(",", ":")), json.loads(self.canonical_effects()), data
        )


@dataclass
class LiveCase:
    """A case's workflow kept in memory from one step to the next, as replay uses it: no
    restore from JSON and no serialization between steps. Ids and time still come only
    from each step's own case context (the id counter is carried in ``stored``, as the
    serialized state carries it), so a live step issues the ids and stamps the times the
    restore path does. Where a live workflow can still differ from a restored one (see
    engine/replay.py), the restore path is the reference."""

    process: CompiledProcess
    case_id: uuid.UUID
    workflow: BpmnWorkflow
    stored: dict[str, Any]  # okno's state beside the workflow's, as json.loads of the stored state has it
    snapshot: _Snapshot  # the workflow's snapshot after the last step

    def state(self) -> str:
        """The serialized state, as the restore path would have stored it after the same
        steps (tests compare the two at every step)."""
        state = {
            "ids": self.stored["ids"],
            "stage": self.stored["stage"],
            "workflow": _CONVERTER.to_dict(self.workflow),
        }
        state.update((key, value) for key, value in self.stored.items() if key not in state)
        return json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def _flat_data(workflow: BpmnWorkflow) -> bool:
    """True when no task's data holds a record or list inside a record or list: only then
    is a kept workflow sure to behave as one restored from its state.

    SpiffWorkflow copies a task's data from its parent one level deep (a shallow merge), so
    nested records are shared between tasks; a restored tree shares them along the lines
    of its stored deltas, a live one along those of its history (a script's ``b = a`` is
    one list in the live tree, two after a restore). A later step that assigns inside a
    nested record (``a[0]["n"] = 2``) could then read differently on the two, and a
    command must record what restoring gives. One level of records and lists is copied
    on every inheritance in both trees, so flat data leaves nothing shared to differ."""
    workflows = [workflow, *workflow.subprocesses.values()]
    for each in workflows:
        for data in [each.data, *(task.data for task in each.tasks.values())]:
            for value in data.values():
                if isinstance(value, dict):
                    value = value.values()
                elif not isinstance(value, list):
                    continue
                if any(isinstance(item, (dict, list)) for item in value):
                    return False
    return True


class LiveCache:
    """The live workflows of the cases most recently stepped by commands, each under the
    exact serialized state it is in, so the next command on a case skips restoring its
    task tree from JSON (see :meth:`Runtime.apply_kept`).

    Keyed by the state string itself, not by a version number: a command that was
    computed but not saved (refused, a concurrency conflict, a failed group commit)
    leaves the case's stored state unchanged, which then no longer matches what is kept,
    and the next command restores as before. A taken entry leaves the cache, so two
    threads never step one workflow. Bounded, least recently used out first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[uuid.UUID, tuple[str, LiveCase]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0  # steps run on a kept workflow (for tests and profiles)
        self.misses = 0

    def take(self, case_id: uuid.UUID, state: str) -> LiveCase | None:
        with self._lock:
            entry = self._entries.pop(case_id, None)
        if entry is not None and (entry[0] is state or entry[0] == state):
            self.hits += 1
            return entry[1]
        self.misses += 1
        return None

    def put(self, state: str, live: LiveCase) -> None:
        if self._size <= 0:
            return
        with self._lock:
            self._entries[live.case_id] = (state, live)
            self._entries.move_to_end(live.case_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class _Snapshot:
    tasks: dict[str, dict[str, Any]]  # open user tasks by task id
    timers: dict[str, dict[str, Any]]  # waiting timers by task id
    waits: dict[str, str]  # waiting message catches: task id -> message name
    elements: dict[str, str]  # live (ready or waiting) task id -> element id
    order: list[str]
    fired: set[str]
    jobs: dict[str, str] = field(default_factory=dict)  # service tasks waiting on a connector: task id -> element
    # The outcome of the last completed end event that names one, in tree order (what the
    # case ended with, once it has): found on the same walk.
    outcome: str | None = None
    signals: dict[str, str] = field(default_factory=dict)  # waiting signal catches: task id -> signal name
    passed: set[str] = field(default_factory=set)  # completed task ids
    walk: list[tuple[str, str]] = field(default_factory=list)  # live and completed (task id, element id), tree order

    @classmethod
    def empty(cls) -> _Snapshot:
        return cls({}, {}, {}, {}, [], set())

    @classmethod
    def of(cls, workflow: BpmnWorkflow, process: CompiledProcess) -> _Snapshot:
        snap = cls.empty()
        live = TaskState.READY | TaskState.WAITING | TaskState.COMPLETED | TaskState.STARTED
        for task in workflow.get_tasks(state=live):  # one walk of the tree: it is the step's main cost
            element_id = task.task_spec.bpmn_id
            if element_id is None:
                continue
            task_id = str(task.id)
            if task.state == TaskState.COMPLETED:
                snap.passed.add(task_id)
                snap.walk.append((task_id, element_id))
                snap.fired.update(_fired_timers(task))
                ended = process.elements.get(element_id)
                if ended is not None and ended.kind == "endEvent" and ended.outcome:
                    snap.outcome = ended.outcome
                continue
            if task.state == TaskState.STARTED:
                if jobs.is_open_job(process, task):
                    snap.jobs[task_id] = element_id
                continue
            snap.order.append(task_id)
            snap.walk.append((task_id, element_id))
            snap.elements[task_id] = element_id
            info = process.elements.get(element_id)
            if task.state == TaskState.READY and task.task_spec.manual:
                snap.tasks[task_id] = {
                    "element": element_id,
                    "task": task_id,
                    "name": info.name if info else element_id,
                    "role": info.role if info else None,
                }
                if info is not None and info.deadline_days is not None:
                    snap.tasks[task_id]["due"] = _working_days_from(task, info.deadline_days)
            elif task.state == TaskState.WAITING:
                for key, element, definition in _catches(task):
                    if isinstance(definition, TimerEventDefinition):
                        due = _timer_due(task)
                        snap.timers[key] = {"element": element, "task": key, "due": due.isoformat() if due else None}
                    elif isinstance(definition, MessageEventDefinition):
                        snap.waits[key] = definition.name
                    elif isinstance(definition, SignalEventDefinition):
                        snap.signals[key] = definition.name
        # Event subprocesses a message or signal would start: waited for, though nothing of them exists yet.
        for key, _element, definition in event_subprocesses.latent_catches(workflow):
            if isinstance(definition, MessageEventDefinition):
                snap.waits[key] = definition.name
            elif isinstance(definition, SignalEventDefinition):
                snap.signals[key] = definition.name
        return snap


def _catches(task: Any) -> list[tuple[str, str, Any]]:
    """What a waiting task waits for: (key, element id, event definition). An event-based
    gateway holds its following events' definitions itself, one per outgoing branch."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition) and isinstance(task.task_spec, EventBasedGateway):
        return [
            (f"{task.id}/{spec.bpmn_id}", str(spec.bpmn_id), sub)
            for spec, sub in zip(task.task_spec.outputs, definition.event_definitions, strict=False)
        ]
    return [(str(task.id), str(task.task_spec.bpmn_id), definition)]


def _fired_timers(task: Any) -> set[str]:
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        return {str(task.id)}
    fired = set()
    if isinstance(definition, MultipleEventDefinition) and isinstance(task.task_spec, EventBasedGateway):
        taken = {child.task_spec.bpmn_id for child in task.children if not child.has_state(TaskState.CANCELLED)}
        for spec, sub in zip(task.task_spec.outputs, definition.event_definitions, strict=False):
            if isinstance(sub, TimerEventDefinition) and spec.bpmn_id in taken:
                fired.add(f"{task.id}/{spec.bpmn_id}")
    return fired


def _working_days_from(task: Any, days: int) -> str:
    from engine.working_days import add_working_days

    opened = clock_of(task.workflow).now.astimezone(MOSCOW).date()
    return add_working_days(opened, days).isoformat()


def _open_jobs(process: CompiledProcess, waiting: dict[str, str]) -> dict[str, OpenJob]:
    """The jobs waiting on their connectors, as a case rule reads them."""
    open_jobs = {}
    for task, element in waiting.items():
        spec = jobs.spec_of(process, element)
        open_jobs[task] = OpenJob(element, spec.name, spec.attempts, spec.backoff_seconds)
    return open_jobs


def _ready_task(
    workflow: BpmnWorkflow, element: str, task_id: str | None, claims: dict[str, str], holder: str | None
) -> Any:
    """The ready task of ``element`` a completion means: the one named, else (several
    instances of one element) the first the completer holds, else the first nobody holds,
    else the first."""
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    candidates = [t for t in ready if t.task_spec.bpmn_id == element and (task_id is None or str(t.id) == task_id)]
    for wanted in (holder, None) if holder is not None else ():  # recorded before holders: the first, as then
        for task in candidates:
            if claims.get(str(task.id)) == wanted:
                return task
    if candidates:
        return candidates[0]
    listed = ", ".join(sorted({t.task_spec.bpmn_id for t in ready})) or "none"
    raise TaskNotReady(f"task {element} is not ready in this case (ready: {listed})")


def _waiting_message(workflow: BpmnWorkflow, name: str, now: datetime | None = None) -> Any:
    """The event definition that waits for this message (for its result variable); given
    the step's time, a message an event-based gateway's due timer beat is refused."""
    names = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        for _key, _element, definition in _catches(task):
            if isinstance(definition, MessageEventDefinition):
                if definition.name == name:
                    if now is not None:
                        _refuse_after_due_timer(task, f"message {name!r}", now)
                    return definition
                names.append(definition.name)
    for _key, _element, definition in event_subprocesses.latent_catches(workflow):
        if isinstance(definition, MessageEventDefinition):
            if definition.name == name:
                return definition
            names.append(definition.name)
    listed = ", ".join(sorted(set(names))) or "no message"
    raise MessageNotAwaited(f"this case is not waiting for message {name!r} (it waits for: {listed})")


def _refuse_after_due_timer(task: Any, what: str, now: datetime) -> None:
    """An event-based gateway takes the first of its events, in time order: a message (or
    signal) that arrives when one of its timers is already due comes second, even if the
    timer has not been fired yet. (SpiffWorkflow would take both branches.) The timer
    worker fires it."""
    if not isinstance(task.task_spec, EventBasedGateway):
        return
    for _key, element, definition in _catches(task):
        if isinstance(definition, TimerEventDefinition):
            due = _timer_due(task)  # set when the gateway began to wait
            if due is not None and due <= now:
                error = MessageNotAwaited if what.startswith("message") else SignalNotAwaited
                raise error(
                    f"this case no longer waits for {what}: gateway "
                    f"{task.task_spec.bpmn_id}'s timer {element} came due first, at {due.isoformat()}"
                )


def _waiting_signal(workflow: BpmnWorkflow, name: str, now: datetime) -> None:
    """Refuse a signal no catch in this case waits for: it would change nothing, and a
    broadcast records it only in the cases it reaches."""
    names = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        for _key, _element, definition in _catches(task):
            if isinstance(definition, SignalEventDefinition):
                if definition.name == name:
                    _refuse_after_due_timer(task, f"signal {name!r}", now)
                    return
                names.append(definition.name)
    for _key, _element, definition in event_subprocesses.latent_catches(workflow):
        if isinstance(definition, SignalEventDefinition):
            if definition.name == name:
                return
            names.append(definition.name)
    listed = ", ".join(sorted(set(names))) or "no signal"
    raise SignalNotAwaited(f"this case is not waiting for signal {name!r} (it waits for: {listed})")


def _waiting_timer(workflow: BpmnWorkflow, element: str) -> Any:
    for task in workflow.get_tasks(state=TaskState.WAITING):
        for _key, waiting_element, definition in _catches(task):
            if isinstance(definition, TimerEventDefinition) and waiting_element == element:
                return task
    raise TimerNotDue(f"no timer {element} is waiting in this case")


def _timer_due(task: Any) -> datetime | None:
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):  # cycle timers keep their next due time
        value = value.get("next")
    if not isinstance(value, str):
        return None
    return utc_datetime(value)
