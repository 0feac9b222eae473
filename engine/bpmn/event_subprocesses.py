"""Event subprocesses started by a message or a signal.

An event subprocess (``triggeredByEvent``) belongs to a scope: the case's process, an
embedded subprocess, a called process, or another event subprocess. SpiffWorkflow 3.2
starts one only in the case's process itself, and okno needs more of it, so okno starts
those that begin on a message or a signal itself, in every scope:

- **The case is seen to wait for them.** Nothing of an event subprocess exists until its
  event comes, so :func:`latent_catches` lists the start events a delivery would start
  now, in every scope still running: the case's awaited messages and signals include
  them, and a message or signal delivered for them is taken. A scope that has ended (its
  subprocess completed or was cancelled, the case ended) waits for none.
- **Delivery reaches them.** :class:`CaseEvents`, the case's event manager, starts each
  event subprocess whose start event catches the event, in each scope that waits for it,
  before the event is caught: a message or signal from outside and one the case throws
  itself alike. Its start event then catches the event as a catch event would.
- **An interrupting one interrupts.** Started with ``isInterrupting`` true (BPMN's
  default), it cancels the rest of its scope: the scope's main path and the event
  subprocesses already running there. The scope then waits for none of its event
  subprocesses; when this one ends, the scope ends (a subprocess goes on along its flow).
  A non-interrupting one runs beside the work, again each time its event comes.
- **The compiled process stays as it was compiled.** SpiffWorkflow wires an event
  subprocess into the spec the first time it starts (``BpmnStartTask.trigger_wf``
  connects it to the process's start), so every case started later on the same compiled
  version would begin with it, and a case would step differently in a long-running engine
  than when replayed from a fresh compile. :class:`CaseStart` starts one without touching
  the spec (error and escalation ones too, which SpiffWorkflow still starts itself).
- **It starts with the scope's data, and a message's payload as other catches take it**:
  with the data of its scope's last completed step (SpiffWorkflow would hand it the data
  the scope began with), and its message start is Camunda's definition, with the
  message's result variable, as message catch events have (engine.bpmn.send_receive does
  the same for receive tasks).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from copy import deepcopy
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.control import BpmnStartTask
from SpiffWorkflow.bpmn.specs.defaults import CallActivity
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BareMessage
from SpiffWorkflow.bpmn.util.event import EventManager
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.sources import BPMN_NS


class EventSubprocess(CallActivity):  # type: ignore[misc]
    """An event subprocess started by a message or a signal: it starts with the data of its
    scope's last completed step (SpiffWorkflow's would take the data the scope began with)."""

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        last = my_task.workflow.last_task
        data = last.data if last is not None and last.workflow is my_task.workflow else my_task.data
        start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
        start.set_data(**deepcopy(data))


class CaseStart(BpmnStartTask):  # type: ignore[misc]
    """The start of a process or subprocess, starting its event subprocesses without rewiring
    the compiled spec, and letting an interrupting one cancel the rest of its scope."""

    # Task spec names of the event subprocesses started by a message or a signal (okno
    # starts them; SpiffWorkflow's ``trigger_specs`` keeps the others), and of those among
    # them that interrupt (set by :func:`adopt`).
    started: tuple[str, ...] = ()
    interrupting: frozenset[str] = frozenset()

    def trigger_wf(self, my_task: Any, spec_name: str) -> Any:
        spec = self._wf_spec.task_specs[spec_name]
        child = my_task._add_child(spec, TaskState.FUTURE)
        child.triggered = True  # never dropped when the start's children are synced
        if spec_name in self.started:
            # Its way on to where the scope ends, which SpiffWorkflow never adds: a subprocess
            # completes only when its end is reached. (Error and escalation ones, at process
            # level only, stay as SpiffWorkflow has always run them: recorded cases replay.)
            spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
        child.task_spec._update(child)
        if spec_name in self.interrupting:
            for other in my_task.children:
                if other is not child:
                    other.cancel()  # finished tasks stay; everything still open below them ends
        return child.id


class CaseEvents(EventManager):  # type: ignore[misc]
    """A case's event manager: before an event is caught, the event subprocesses waiting for
    it are started (:func:`start_waiting`), so their start events catch it."""

    def catch(self, event: Any, internal: bool = True) -> int:
        start_waiting(self.workflow, event.event_definition)
        caught: int = super().catch(event, internal)
        return caught


def adopt(specs: Iterable[Any], roots: Iterable[etree._Element]) -> None:
    """Give every compiled (sub)process okno's start (:class:`CaseStart`), and the event
    subprocesses started by a message or a signal their class and Camunda's message
    definition, in place. ``roots`` are the model files' XML, for ``isInterrupting``."""
    every = list(specs)
    interrupting_ids = _interrupting_ids(roots)
    subprocess_specs = {spec.name: spec for spec in every}
    for spec in every:
        names: list[str] = list(spec.start.trigger_specs)
        spec.start.__class__ = CaseStart
        started, interrupting = [], set()
        for name in names:
            task_spec = spec.task_specs[name]
            # Wired as SpiffWorkflow wires it when it first starts, but for the start's own
            # outputs: it comes from the start (a task needs an input) and ends where the
            # scope ends, and the start never predicts it as a child of every case.
            if spec.start.name not in task_spec._inputs:
                task_spec._connect_notify(spec.start)
            if spec.end not in task_spec.outputs:
                task_spec.connect(spec.end)
            starts = subprocess_specs[task_spec.spec].bpmn_start_events
            if not any(isinstance(s.event_definition, (BareMessage, SignalEventDefinition)) for s in starts):
                continue  # an error or escalation: SpiffWorkflow starts it
            started.append(name)
            if type(task_spec) is CallActivity:
                task_spec.__class__ = EventSubprocess
            for start in starts:
                definition = start.event_definition
                if isinstance(definition, BareMessage) and not isinstance(definition, MessageEventDefinition):
                    start.event_definition = MessageEventDefinition(
                        definition.name, definition.correlation_properties, description=definition.description
                    )
            if task_spec.bpmn_id in interrupting_ids:
                interrupting.add(name)
        spec.start.trigger_specs = [name for name in names if name not in started]
        spec.start.started = tuple(started)
        spec.start.interrupting = frozenset(interrupting)


def _interrupting_ids(roots: Iterable[etree._Element]) -> set[str]:
    b = f"{{{BPMN_NS}}}"
    return {
        str(node.get("id"))
        for root in roots
        for node in root.iter(f"{b}subProcess")
        if (node.get("triggeredByEvent") or "").lower() == "true"
        and all((s.get("isInterrupting") or "true").strip().lower() != "false" for s in node.findall(f"{b}startEvent"))
    }


def _scopes(workflow: Any) -> Iterator[Any]:
    """The case's process and its subprocesses still running, in the workflow's own order."""
    if not workflow.is_completed():
        yield workflow
        for subprocess in workflow.subprocesses.values():
            if not subprocess.completed:  # a cancelled or ended subprocess is completed
                yield subprocess


def _waiting_starts(scope: Any) -> Iterator[tuple[str, Any]]:
    """(event subprocess name, its start event spec) for each event subprocess of ``scope``
    a message or signal would start now: none once an interrupting one has started."""
    start = scope.spec.start
    started: tuple[str, ...] = getattr(start, "started", ())
    if not started:
        return
    if any(child.task_spec.name in start.interrupting for child in scope.task_tree.children):
        return
    specs = scope.top_workflow.subprocess_specs
    for name in started:
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
