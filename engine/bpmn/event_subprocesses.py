"""Event subprocesses started by a message or a signal, at process level.

SpiffWorkflow 3.2 starts an event subprocess when its event comes (its event manager asks
the process's start task to trigger it), but okno needs four more things of it:

- **The compiled process stays as it was compiled.** SpiffWorkflow wires an event
  subprocess into the spec the first time it starts (``BpmnStartTask.trigger_wf``
  connects it to the process's start), so every case started later on the same compiled
  version would begin with it, and a case would step differently in a long-running
  engine than when replayed from a fresh compile. :class:`CaseStart` triggers it without
  touching the spec (for every event subprocess, error and escalation ones too).
- **An interrupting one interrupts.** Started by a message or a signal with
  ``isInterrupting`` true (BPMN's default), it cancels the rest of its process: the main
  path and the event subprocesses already running. The case then waits for nothing its
  process's event subprocesses start on: the process is being replaced by this one.
- **The case is seen to wait for it.** Nothing of an event subprocess exists until its
  event comes, so :func:`latent_catches` lists the start events a running case would
  catch: the case's awaited messages and signals include them, and a message or signal
  delivered for them is taken. A non-interrupting one may start again, each time its
  event comes, as long as its process runs.
- **It starts with the case's data, and a message's payload as other catches take it.**
  SpiffWorkflow would hand it the data the case started with, and its message start the
  bare message definition; here it starts with the data of the process's last completed
  step, and its message start is Camunda's definition, with the message's result
  variable, as message catch events have (engine.bpmn.send_receive does the same for
  receive tasks).

Only event subprocesses directly in the case's process run so: SpiffWorkflow starts none
inside an embedded subprocess or a called process, so validation refuses those started by
a message or a signal (:func:`problems`, engine.bpmn.elements'
EVENT_SUBPROCESS_NESTED)."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.control import BpmnStartTask
from SpiffWorkflow.bpmn.specs.defaults import CallActivity
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BareMessage
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.sources import BPMN_NS


def starts_on_message_or_signal(node: etree._Element) -> bool:
    """An event subprocess (``triggeredByEvent``) whose start event waits for a message or signal."""
    b = f"{{{BPMN_NS}}}"
    if etree.QName(node).localname != "subProcess" or (node.get("triggeredByEvent") or "").lower() != "true":
        return False
    return any(
        start.find(f"{b}messageEventDefinition") is not None or start.find(f"{b}signalEventDefinition") is not None
        for start in node.findall(f"{b}startEvent")
    )


def nested(node: etree._Element) -> bool:
    """Such an event subprocess inside another subprocess: nothing starts it there."""
    parent = node.getparent()
    return starts_on_message_or_signal(node) and parent is not None and etree.QName(parent).localname != "process"


def problems(process: etree._Element, called: bool) -> list[etree._Element]:
    """The event subprocesses of ``process`` started by a message or a signal that nothing
    would start: inside a subprocess, or anywhere in a process another one calls."""
    return [
        node
        for node in process.iter(f"{{{BPMN_NS}}}subProcess")
        if starts_on_message_or_signal(node) and (called or nested(node))
    ]


class EventSubprocess(CallActivity):  # type: ignore[misc]
    """An event subprocess started by a message or a signal: it starts with the data of its
    process's last completed step (SpiffWorkflow's would take the data the case began with)."""

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        last = my_task.workflow.last_task
        data = last.data if last is not None and last.workflow is my_task.workflow else my_task.data
        start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
        start.set_data(**deepcopy(data))


class CaseStart(BpmnStartTask):  # type: ignore[misc]
    """The start of the case's process, triggering its event subprocesses without rewiring
    the compiled spec, and letting an interrupting one started by a message or a signal
    cancel the rest of the process."""

    # Task spec names of the event subprocesses started by a message or a signal, and of
    # those among them that interrupt (set by :func:`adopt`).
    started: frozenset[str] = frozenset()
    interrupting: frozenset[str] = frozenset()

    def trigger_wf(self, my_task: Any, spec_name: str) -> Any:
        spec = self._wf_spec.task_specs[spec_name]
        child = my_task._add_child(spec, TaskState.FUTURE)
        child.triggered = True  # never dropped when the start's children are synced
        child.task_spec._update(child)
        if spec_name in self.interrupting:
            for other in my_task.children:
                if other is not child:
                    other.cancel()  # finished tasks stay; everything still open below them ends
        return child.id


def adopt(spec: Any, subprocess_specs: dict[str, Any], root: etree._Element) -> None:
    """Give the case's process okno's start (:class:`CaseStart`), and its event subprocesses
    started by a message or a signal their class and Camunda's message definition, in place."""
    trigger_names: list[str] = list(spec.start.trigger_specs)
    spec.start.__class__ = CaseStart
    started, interrupting = set(), set()
    for name in trigger_names:
        task_spec = spec.task_specs[name]
        # Wired as SpiffWorkflow wires it when it first starts, but for the start's own
        # outputs: it comes from the start (a task needs an input) and ends where the
        # process ends, and the start never predicts it as a child of every case.
        if spec.start.name not in task_spec._inputs:
            task_spec._connect_notify(spec.start)
        if spec.end not in task_spec.outputs:
            task_spec.connect(spec.end)
        starts = subprocess_specs[task_spec.spec].bpmn_start_events
        definitions = [start.event_definition for start in starts]
        if not any(isinstance(d, (BareMessage, SignalEventDefinition)) for d in definitions):
            continue
        started.add(name)
        if type(task_spec) is CallActivity:
            task_spec.__class__ = EventSubprocess
        for start in starts:
            definition = start.event_definition
            if isinstance(definition, BareMessage) and not isinstance(definition, MessageEventDefinition):
                start.event_definition = MessageEventDefinition(
                    definition.name, definition.correlation_properties, description=definition.description
                )
        if _interrupting(root, str(task_spec.bpmn_id)):
            interrupting.add(name)
    spec.start.started = frozenset(started)
    spec.start.interrupting = frozenset(interrupting)


def _interrupting(root: etree._Element, subprocess_id: str) -> bool:
    b = f"{{{BPMN_NS}}}"
    for node in root.iter(f"{b}subProcess"):
        if node.get("id") == subprocess_id:
            return all(
                (start.get("isInterrupting") or "true").strip().lower() != "false"
                for start in node.findall(f"{b}startEvent")
            )
    return True


def latent_catches(workflow: Any) -> list[tuple[str, str, Any]]:
    """The start events of the process's event subprocesses started by a message or a signal
    that a delivery would start now: (key, element id, event definition), as runtime's
    ``_catches`` lists a waiting task's. None once the case has ended or an interrupting one
    has started."""
    start = workflow.spec.start
    started: frozenset[str] = getattr(start, "started", frozenset())
    if not started or workflow.is_completed():
        return []
    tree = workflow.task_tree
    interrupting: frozenset[str] = start.interrupting
    if any(child.task_spec.name in interrupting for child in tree.children):
        return []
    found = []
    for name in sorted(started):
        for event in workflow.subprocess_specs[workflow.spec.task_specs[name].spec].bpmn_start_events:
            found.append((f"{tree.id}/{event.bpmn_id}", str(event.bpmn_id), event.event_definition))
    return found
