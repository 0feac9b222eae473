"""Event subprocesses started by an error or an escalation, in their own scope.

BPMN: an error or escalation thrown inside a (sub)process is caught by the innermost
scope that handles it: a boundary event on the activity that threw it, else an event
subprocess of the (sub)process it was thrown in, whose errorRef names its code or names
none (a specific code first), else the next scope out. An interrupting event subprocess
(an error start always, an escalation start unless ``isInterrupting="false"``) ends
everything else running in its scope; when it ends, its scope ends, and the flow goes on
after it.

SpiffWorkflow 3.2 starts such an event subprocess only at a process's top level: a
thrown event walks up the scopes looking for a waiting catch, and an event subprocess of
an embedded subprocess is no waiting catch, only a trigger in its process's spec; the
subprocess ended normally and the case went on. It never interrupts either. And the
first time it starts one, it links the event subprocess to its process's start in the
compiled spec every case shares: each later case of the version started the event
subprocess with the process, waiting for an error beside the work, and never completed.

okno, in this layer:

- links each event subprocess to its process once, when the process is compiled, as
  SpiffWorkflow's first trigger would, but as an input of its start only (never an
  output), so no later case starts it and SpiffWorkflow's trigger leaves the spec as it
  is (:func:`adopt`);
- catches a thrown error or escalation in the scope it was thrown in when no waiting
  catch there takes it: the event subprocess is started there and its start event
  catches the event (:class:`ScopedEventManager`, the case workflow's);
- when an interrupting start event has run, cancels everything else in its scope
  (:func:`_interrupt_scope`, connected to the start event's completion).
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    CodeEventDefinition,
    ErrorEventDefinition,
)
from SpiffWorkflow.bpmn.util.event import EventManager
from SpiffWorkflow.util.task import TaskState

# Set by okno's start event parser (engine/bpmn/event_parser.py) from ``isInterrupting``.
INTERRUPTS = "okno_interrupts_scope"


def adopt(*specs: Any) -> None:
    """Link the event subprocesses an event starts into their processes, once, at compile
    time; interrupting start events cancel their scope when they have run."""
    for spec in specs:
        for name in spec.start.trigger_specs:
            task_spec = spec.task_specs[name]
            if spec.start not in task_spec.inputs:
                # An input of the start, not an output: SpiffWorkflow's trigger sees it
                # linked and leaves the spec alone; no case's start ever runs it.
                task_spec._connect_notify(spec.start)
            if spec.end not in task_spec.outputs:
                task_spec.connect(spec.end)  # it ends its scope as the scope's own ends do
    for spec in specs:
        for start in spec.bpmn_start_events:
            if _interrupts(start) and not start.completed_event.is_connected(_interrupt_scope):
                start.completed_event.connect(_interrupt_scope)


def _interrupts(start: Any) -> bool:
    definition = getattr(start, "event_definition", None)
    if isinstance(definition, ErrorEventDefinition):
        return True  # an error event subprocess always interrupts (BPMN 2.0, 10.3.5)
    return isinstance(definition, CodeEventDefinition) and bool(getattr(start, INTERRUPTS, True))


class ScopedEventManager(EventManager):  # type: ignore[misc]
    """SpiffWorkflow's event manager, with the event subprocesses of an embedded
    subprocess (or a called process) among the catches of its scope."""

    def catch(self, event: Any, internal: bool = True) -> int:
        scope = event.target
        if isinstance(event.event_definition, CodeEventDefinition) and scope is not None and scope is not self.workflow:
            waiting = [
                t for t in self.tasks.values() if t.workflow == scope and t.task_spec.event_definition.catches(t, event)
            ]
            if not waiting:
                start = _start_event_subprocess(scope, event)
                if start is not None:
                    start.task_spec.catch(start, event)
                    start.task_spec._update(start)
                    return 1
        # The top level's event subprocesses SpiffWorkflow starts itself.
        caught: int = super().catch(event, internal)
        return caught


def _start_event_subprocess(scope: Any, event: Any) -> Any:
    """Start the event subprocess of ``scope`` whose start event catches ``event`` (one
    naming the code before one naming none), and return its waiting start event."""
    catching = []
    for name in scope.spec.start.trigger_specs:
        sub_spec = scope.top_workflow.subprocess_specs[name]
        for start in sub_spec.bpmn_start_events:
            if start.event_definition == event.event_definition:
                catching.append((start.event_definition.code is None, name, start.name))
                break
    if not catching:
        return None
    _, name, start_name = min(catching, key=lambda found: found[0])  # stable: the first specific one
    task_id = scope.spec.start.trigger_wf(scope.task_tree, name)
    subprocess = scope.top_workflow.subprocesses[task_id]
    return subprocess.get_next_task(state=TaskState.WAITING, spec_name=start_name)


def _interrupt_scope(workflow: Any, start: Any) -> None:
    """An interrupting event subprocess has begun: everything else in the scope it was
    started in (tasks waiting, open or yet to come, subprocesses, other event
    subprocesses) is cancelled, so the scope ends when it does."""
    own = start.workflow  # the event subprocess's own workflow
    if own is own.top_workflow:
        return  # a process's own start event: no scope around it
    scope = own.parent_workflow
    started = scope.tasks[own.parent_task_id]
    if started.task_spec.name not in scope.spec.start.trigger_specs:
        return  # a called process's start: its call activity is no event subprocess
    keep = {task.id for task in _and_descendants(started)}
    for task in list(scope.tasks.values()):
        if task.id in keep or task.id not in scope.tasks or not task.has_state(TaskState.NOT_FINISHED_MASK):
            continue
        task.cancel()
    if not started.children:
        # SpiffWorkflow adds a triggered event subprocess without the path after it, and
        # ends the scope by the end join some other path waits at; none is left, so the
        # event subprocess gets its own path to the scope's end, taken when it ends.
        started.task_spec._predict(started, mask=TaskState.NOT_FINISHED_MASK)


def _and_descendants(task: Any) -> list[Any]:
    found = [task]
    for child in task.children:
        found.extend(_and_descendants(child))
    return found
