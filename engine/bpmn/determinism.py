"""Make SpiffWorkflow deterministic per case, by an adapter on the workflow being stepped.

SpiffWorkflow 3.2 draws task ids from ``uuid4()``, stamps tasks with ``time.time()`` and
computes timer due times from ``datetime.now()``. A workflow okno runs is a
:class:`CaseWorkflow`: it carries a :class:`CaseClock` (ids seeded from the case id and a
counter kept in the case's state; "now" = the time of the event being applied), set
afresh for every step, and everything that would read those sources reads the clock of
the workflow it belongs to instead:

- its tasks are :class:`CaseTask` (SpiffWorkflow makes every new task through its
  parent's ``_add_child``, a workflow's root through the workflow; both are ours here,
  and the serializer restores ``Task`` entries as CaseTask: see :func:`serializer`);
- its timers' event definitions are okno's (engine.bpmn.case_timers), put into the
  compiled process once, when it is compiled;
- its script engine is made for the step, with the clock's time for ``now()``.

Nothing here is global: two cases stepped at once in two threads each read their own
workflow's clock. A task made outside a case workflow has no clock and fails loudly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.event_subprocesses import ScopedEventManager
from engine.bpmn.script_engine import SandboxedScriptEngine


@dataclass
class CaseClock:
    """The only source of ids and time a case's workflow has, for one step."""

    case_id: uuid.UUID
    now: datetime
    next_id: int

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("case time must be timezone-aware")
        self.now = self.now.astimezone(UTC)

    def new_id(self) -> uuid.UUID:
        issued = uuid.uuid5(self.case_id, str(self.next_id))
        self.next_id += 1
        return issued


def clock_of(workflow: Any) -> CaseClock:
    """The clock of the case ``workflow`` (or a subprocess of it) belongs to."""
    clock = getattr(workflow.top_workflow, "case_clock", None)
    if not isinstance(clock, CaseClock):
        raise RuntimeError("SpiffWorkflow was used outside a case workflow: it has no case clock for ids and time")
    return clock


class CaseTask(Task):  # type: ignore[misc]
    """A task whose id and state-change times come from its case's clock."""

    def __init__(
        self,
        workflow: Any,
        task_spec: Any,
        parent: Task | None = None,
        state: int = TaskState.MAYBE,
        id: uuid.UUID | None = None,
    ) -> None:
        clock = clock_of(workflow)
        super().__init__(workflow, task_spec, parent, state, id=id or clock.new_id())
        # SpiffWorkflow stamped the host's time; the serialized state holds the case's.
        self.last_state_change = clock.now.timestamp()

    def _add_child(self, task_spec: Any, state: int = TaskState.MAYBE) -> Task:
        # SpiffWorkflow's Task._add_child (3.2), making a CaseTask instead of a Task.
        if self.has_state(TaskState.PREDICTED_MASK) and state & TaskState.PREDICTED_MASK == 0:
            raise WorkflowException("Attempt to add non-predicted child to predicted task", task_spec=self.task_spec)
        task = CaseTask(self.workflow, task_spec, self, state=state)
        task.thread_id = self.thread_id
        if state == TaskState.READY:
            task._ready()
        return task

    def _set_state(self, value: int) -> None:
        # SpiffWorkflow's Task._set_state (3.2) with the case's time (and without its log line).
        if value != self.state:
            self.last_state_change = clock_of(self.workflow).now.timestamp()
            self._state = value


def _plant_root(workflow: Any) -> None:
    """What SpiffWorkflow's Workflow.__init__ (3.2) does for a new workflow, with a CaseTask root."""
    workflow.task_tree = CaseTask(workflow, workflow.spec.start, state=TaskState.FUTURE)
    workflow.task_tree.task_spec._predict(workflow.task_tree, mask=TaskState.NOT_FINISHED_MASK)
    workflow.task_tree._ready()


class CaseWorkflow(BpmnWorkflow):  # type: ignore[misc]
    """A case's workflow: SpiffWorkflow's, stepped on its case's clock."""

    def __init__(
        self, spec: Any, subprocess_specs: dict[str, Any], clock: CaseClock, deserializing: bool = False
    ) -> None:
        self.case_clock = clock
        # The root is planted here, not by SpiffWorkflow, so that it is a CaseTask. It
        # issues the same ids in the same order: nothing before it issues any.
        super().__init__(spec, subprocess_specs, script_engine=SandboxedScriptEngine(clock.now), deserializing=True)
        # Event subprocesses start in the scope an event is for (engine/bpmn/event_subprocesses.py).
        self.event_manager = ScopedEventManager(self)
        if not deserializing:
            _plant_root(self)

    def set_clock(self, clock: CaseClock) -> None:
        """The clock for the next step (a workflow kept in memory is stepped again later)."""
        self.case_clock = clock
        self.script_engine = SandboxedScriptEngine(clock.now)

    def _do_engine_steps(self, will_complete_task: Any = None, did_complete_task: Any = None) -> bool:
        # SpiffWorkflow's BpmnWorkflow._do_engine_steps (3.2), but a subprocess that an
        # earlier one's step removed (an error caught on a parallel multi-instance
        # subprocess cancels its sibling instances) is skipped instead of looked up: there
        # its parent task is gone and SpiffWorkflow fails with "A task with id … was not
        # found". Where no subprocess goes, this steps exactly as SpiffWorkflow does.
        def update_workflow(wf: Any) -> int:
            count = 0
            for task in wf.get_tasks(state=TaskState.READY):
                if not task.task_spec.manual:
                    if will_complete_task is not None:
                        will_complete_task(task)
                    task.run()
                    count += 1
                    if did_complete_task is not None:
                        did_complete_task(task)
            return count

        active_subprocesses = self.get_active_subprocesses()
        for subprocess in sorted(active_subprocesses, key=lambda v: v.depth, reverse=True):
            if not self._holds(subprocess.parent_task_id):
                continue  # its parent task went while an earlier subprocess stepped
            count = None
            while count is None or count > 0:
                count = update_workflow(subprocess)
            if subprocess.parent_task_id is not None:
                task = self.get_task_from_id(subprocess.parent_task_id)
                task.task_spec._update(task)

        count = update_workflow(self)
        return count > 0 or len(self.get_active_subprocesses()) > len(active_subprocesses)

    def _holds(self, task_id: Any) -> bool:
        return task_id in self.tasks or any(task_id in sp.tasks for sp in self.subprocesses.values())

    def create_subprocess(self, my_task: Any, spec_name: str) -> BpmnSubWorkflow:
        # SpiffWorkflow's BpmnWorkflow.create_subprocess (3.2), making a CaseSubWorkflow.
        subprocess = CaseSubWorkflow(self.subprocess_specs[spec_name], parent_task_id=my_task.id, top_workflow=self)
        self.subprocesses[my_task.id] = subprocess
        return subprocess


class CaseSubWorkflow(BpmnSubWorkflow):  # type: ignore[misc]
    """A subprocess of a case's workflow: its root, too, is a CaseTask."""

    def __init__(
        self, spec: Any, parent_task_id: uuid.UUID, top_workflow: CaseWorkflow, deserializing: bool = False
    ) -> None:
        super().__init__(spec, parent_task_id, top_workflow, deserializing=True)
        if not deserializing:
            _plant_root(self)


def register(registry: DefaultRegistry, config: dict[type, Any]) -> None:
    """Serialize case tasks and subprocesses under SpiffWorkflow's own type names, "Task"
    and "BpmnSubWorkflow" (the stored state is unchanged), and restore them as okno's."""
    config[Task](CaseTask, registry, typename="Task")
    config[BpmnSubWorkflow](CaseSubWorkflow, registry, typename="BpmnSubWorkflow")
