"""Event subprocesses, in their own scope: started by an error or an escalation thrown
there, or by a message or a signal while their scope runs.

BPMN: an error or escalation thrown inside a (sub)process is caught by the innermost
scope that handles it: a boundary event on the activity that threw it, else an event
subprocess of the (sub)process it was thrown in, whose errorRef names its code or names
none (a specific code first), else the next scope out. An event subprocess started by a
message or a signal waits for it as long as its scope (the process, an embedded
subprocess, a called process) runs, and starts each time it comes. An interrupting event
subprocess (an error start always; an escalation, message or signal start unless
``isInterrupting="false"``) ends everything else running in its scope; when it ends, its
scope ends, and the flow goes on after it.

SpiffWorkflow 3.2 starts an event subprocess only at a process's top level: a thrown
event walks up the scopes looking for a waiting catch, and an event subprocess of an
embedded subprocess is no waiting catch, only a trigger in its process's spec; the
subprocess ended normally and the case went on. Nothing of an event subprocess exists
before its event comes, so a case was never seen to wait for a message or signal one:
a delivery was refused as not awaited. It never interrupts either. And the first time it
starts one, it links the event subprocess to its process's start in the compiled spec
every case shares: each later case of the version started the event subprocess with the
process, waiting beside the work, and never completed.

okno, in this layer:

- links each event subprocess to its process once, when the process is compiled, as
  SpiffWorkflow's first trigger would, but as an input of its start only (never an
  output), so no later case starts it and SpiffWorkflow's trigger leaves the spec as it
  is (:func:`adopt`);
- catches a thrown error or escalation in the scope it was thrown in when no waiting
  catch there takes it: the event subprocess is started there and its start event
  catches the event (:class:`ScopedEventManager`, the case workflow's);
- starts the event subprocesses a message or a signal is for itself, in every running
  scope, before the event is caught (:func:`start_waiting`, also from
  :class:`ScopedEventManager`): one from outside and one the case throws alike; and lists
  their start events among what the case waits for (:func:`latent_catches`), so the
  case's awaited messages and signals include them, until their scope ends or an
  interrupting event subprocess has started in it. Such an event subprocess starts with
  the data of its scope's last completed step (:class:`EventSubprocess`; SpiffWorkflow
  would hand it the data the scope began with), and its message start takes the payload
  as a message catch event does (Camunda's definition, with its result variable);
- when an interrupting start event has run, cancels everything else in its scope
  (:func:`_interrupt_scope`, connected to the start event's completion).
"""

from __future__ import annotations

from collections.abc import Iterator
from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import CallActivity
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    CodeEventDefinition,
    ErrorEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BareMessage
from SpiffWorkflow.bpmn.util.event import EventManager
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

# Set by okno's start event parser (engine/bpmn/event_parser.py) from ``isInterrupting``.
INTERRUPTS = "okno_interrupts_scope"
# On a (sub)process's start: the event subprocesses a message or signal starts, which okno
# starts itself (SpiffWorkflow's ``trigger_specs`` keeps the error and escalation ones).
BY_MESSAGE_OR_SIGNAL = "okno_started_by_message_or_signal"


def adopt(*specs: Any) -> None:
    """Link the event subprocesses an event starts into their processes, once, at compile
    time; interrupting start events cancel their scope when they have run."""
    for spec in specs:
        started = []
        for name in spec.start.trigger_specs:
            task_spec = spec.task_specs[name]
            if spec.start not in task_spec.inputs:
                # An input of the start, not an output: SpiffWorkflow's trigger sees it
                # linked and leaves the spec alone; no case's start ever runs it.
                task_spec._connect_notify(spec.start)
            if spec.end not in task_spec.outputs:
                task_spec.connect(spec.end)  # it ends its scope as the scope's own ends do
            sub_spec = _sub_spec(specs, task_spec.spec)
            if _by_message_or_signal(sub_spec):
                started.append(name)
                if type(task_spec) is CallActivity:
                    task_spec.__class__ = EventSubprocess
                for start in sub_spec.bpmn_start_events:
                    definition = start.event_definition
                    if isinstance(definition, BareMessage) and not isinstance(definition, MessageEventDefinition):
                        # Camunda's, as message catch events have: the payload under its result variable.
                        start.event_definition = MessageEventDefinition(
                            definition.name, definition.correlation_properties, description=definition.description
                        )
        spec.start.trigger_specs = [name for name in spec.start.trigger_specs if name not in started]
        setattr(spec.start, BY_MESSAGE_OR_SIGNAL, tuple(started))
    for spec in specs:
        for start in spec.bpmn_start_events:
            if _interrupts(start) and not start.completed_event.is_connected(_interrupt_scope):
                start.completed_event.connect(_interrupt_scope)


def _sub_spec(specs: tuple[Any, ...], name: str) -> Any:
    return next(spec for spec in specs if spec.name == name)


def _by_message_or_signal(sub_spec: Any) -> bool:
    return any(isinstance(s.event_definition, (BareMessage, SignalEventDefinition)) for s in sub_spec.bpmn_start_events)


def _interrupts(start: Any) -> bool:
    definition = getattr(start, "event_definition", None)
    if isinstance(definition, ErrorEventDefinition):
        return True  # an error event subprocess always interrupts (BPMN 2.0, 10.3.5)
    kinds = (CodeEventDefinition, SignalEventDefinition, BareMessage)
    return isinstance(definition, kinds) and bool(getattr(start, INTERRUPTS, True))


def _event_subprocesses(spec: Any) -> list[str]:
    """The event subprocesses of a (sub)process started by an event, whoever starts them."""
    return [*spec.start.trigger_specs, *getattr(spec.start, BY_MESSAGE_OR_SIGNAL, ())]


class EventSubprocess(CallActivity):  # type: ignore[misc]
    """An event subprocess started by a message or a signal: it starts with the data of its
    scope's last completed step (SpiffWorkflow's would take the data the scope began with)."""

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        last = my_task.workflow.last_task
        data = last.data if last is not None and last.workflow is my_task.workflow else my_task.data
        start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
        start.set_data(**deepcopy(data))


class ScopedEventManager(EventManager):  # type: ignore[misc]
    """SpiffWorkflow's event manager, with the event subprocesses of an embedded
    subprocess (or a called process) among the catches of its scope, and those a message
    or signal starts started before it is caught."""

    def catch(self, event: Any, internal: bool = True) -> int:
        start_waiting(self.workflow, event.event_definition)
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
        # The top level's error and escalation event subprocesses SpiffWorkflow starts itself.
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


def _scopes(workflow: Any) -> Iterator[Any]:
    """The case's process and its subprocesses still running, in the workflow's own order."""
    if not workflow.is_completed():
        yield workflow
        for subprocess in workflow.subprocesses.values():
            if not subprocess.completed:  # a cancelled or ended subprocess is completed
                yield subprocess


def _waiting_starts(scope: Any) -> Iterator[tuple[str, Any]]:
    """(event subprocess name, its start event spec) for each event subprocess of ``scope``
    a message or signal would start now: none once an interrupting one has started there."""
    names: tuple[str, ...] = getattr(scope.spec.start, BY_MESSAGE_OR_SIGNAL, ())
    if not names:
        return
    specs = scope.top_workflow.subprocess_specs
    own = set(_event_subprocesses(scope.spec))
    for child in scope.task_tree.children:
        name = child.task_spec.name
        if name in own and any(_interrupts(s) for s in specs[scope.spec.task_specs[name].spec].bpmn_start_events):
            return
    for name in names:
        for event in specs[scope.spec.task_specs[name].spec].bpmn_start_events:
            yield name, event


def latent_catches(workflow: Any) -> list[tuple[str, str, Any]]:
    """The start events of event subprocesses started by a message or a signal that a
    delivery would start now, in every running scope: (key, element id, event
    definition), as runtime's ``_catches`` lists a waiting task's."""
    return [
        (f"{scope.task_tree.id}/{event.bpmn_id}", str(event.bpmn_id), event.event_definition)
        for scope in _scopes(workflow)
        for _name, event in _waiting_starts(scope)
    ]


def start_waiting(workflow: Any, definition: Any) -> None:
    """Start, in every running scope, each event subprocess whose start event catches
    ``definition`` (unless one started for it already waits for it to be caught)."""
    if not isinstance(definition, (BareMessage, SignalEventDefinition)):
        return
    for scope in list(_scopes(workflow.top_workflow)):
        for name, event in list(_waiting_starts(scope)):
            if event.event_definition == definition and not _already_waiting(scope, name, event):
                scope.spec.start.trigger_wf(scope.task_tree, name)


def _already_waiting(scope: Any, name: str, event: Any) -> bool:
    """An event subprocess of ``scope`` started for this event whose start event has not
    caught it yet (an event is caught by every catch waiting for it, once)."""
    subprocesses = scope.top_workflow.subprocesses
    return any(
        child.task_spec.name == name
        and child.state == TaskState.STARTED
        and child.id in subprocesses
        and subprocesses[child.id].get_next_task(state=TaskState.WAITING, spec_name=event.name) is not None
        for child in scope.task_tree.children
    )


def _interrupt_scope(workflow: Any, start: Any) -> None:
    """An interrupting event subprocess has begun: everything else in the scope it was
    started in (tasks waiting, open or yet to come, subprocesses, other event
    subprocesses) is cancelled, so the scope ends when it does."""
    own = start.workflow  # the event subprocess's own workflow
    if own is own.top_workflow:
        return  # a process's own start event: no scope around it
    scope = own.parent_workflow
    started = scope.tasks[own.parent_task_id]
    if started.task_spec.name not in _event_subprocesses(scope.spec):
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
