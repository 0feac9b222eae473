"""The one table of BPMN element kinds okno knows, and what it does with each.

Validation, ``okno validate --explain`` and processes/README.md's element table all read
this table (tests/engine/test_element_table.py holds the README to it), so supporting a
new kind is one word here, ``refused`` → ``runs``, and its README row.

- ``runs``: executed as BPMN says;
- ``kept``: kept in the model (diagram, documentation, data drawn for readers) and not
  executed — never a reason to refuse a model;
- ``part``: a part of another element (its flows, expressions, timer), checked with it;
- ``refused``: a deploy-time problem, with the advice given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Support = Literal["runs", "kept", "part", "refused"]


@dataclass(frozen=True)
class ElementKind:
    support: Support
    note: str = ""
    listed: bool = True  # False: a reference or text inside its parent, not listed by explain

    @property
    def supported(self) -> bool:
        return self.support != "refused"


def _runs(note: str = "") -> ElementKind:
    return ElementKind("runs", note)


def _kept(note: str = "kept, not executed") -> ElementKind:
    return ElementKind("kept", note)


def _part(note: str = "", *, listed: bool = True) -> ElementKind:
    return ElementKind("part", note, listed)


def _refused(why: str) -> ElementKind:
    return ElementKind("refused", why)


# Pseudo-kinds: a multi-instance marker written in a dialect okno does not run yet.
MI_STANDARD = "multiInstanceLoopCharacteristics[loopDataInputRef]"
MI_ZEEBE = "zeebe:loopCharacteristics"
# An event subprocess (triggeredByEvent) whose start event waits for a message.
EVENT_SUBPROCESS_MESSAGE = "subProcess[triggeredByEvent, message start]"

KINDS: dict[str, ElementKind] = {
    # events
    "startEvent": _runs(),
    "endEvent": _runs(),
    "intermediateCatchEvent": _runs(),
    "intermediateThrowEvent": _runs(),
    "boundaryEvent": _runs(),
    # event definitions
    "messageEventDefinition": _runs(),
    "timerEventDefinition": _runs(),
    "terminateEventDefinition": _runs(),
    "errorEventDefinition": _runs(),
    "escalationEventDefinition": _runs(),
    "signalEventDefinition": _runs(),
    "conditionalEventDefinition": _refused(
        "conditional events are refused: SpiffWorkflow keeps case data per branch, so a waiting condition "
        "would not see data another branch changes and could wait forever; decide on the data with an "
        "exclusive gateway, or wait for a message or signal sent when the data changes"
    ),
    "linkEventDefinition": _runs("a link throw joins the catch of the same name in its process"),
    "compensateEventDefinition": _refused(
        "compensation is not supported: model the undoing step as a task on the path that needs it "
        "(an error boundary leading to it)"
    ),
    "cancelEventDefinition": _refused(
        "cancel events belong to transactions, which are not supported: use an error end event and an "
        "error boundary event"
    ),
    # tasks
    "task": _runs("an untyped task passes straight through (with a warning), as the BPMN engines run it"),
    "userTask": _runs(),
    "manualTask": _runs(),
    "scriptTask": _runs(),
    "businessRuleTask": _runs(),
    "serviceTask": _runs(),
    "sendTask": _runs("a message throw; with a job type (zeebe:taskDefinition, an external topic) a job"),
    "receiveTask": _runs("waits for its message as a message catch event does"),
    "callActivity": _runs("the called process is pinned in the caller's version and runs in its case"),
    # gateways
    "exclusiveGateway": _runs(),
    "parallelGateway": _runs(),
    "inclusiveGateway": _runs(),
    "eventBasedGateway": _runs(
        "takes the first of its events in time order, once: a message, a signal or a timer (a cron or ISO "
        "cycle fires at its first due time)"
    ),
    "complexGateway": _refused("complex gateways are not supported"),
    # subprocesses
    "subProcess": _runs(
        "an event subprocess started by an error or escalation catches it in the (sub)process it was thrown in "
        "first; an interrupting one ends the rest of that scope, which goes on after it"
    ),
    EVENT_SUBPROCESS_MESSAGE: _runs(
        "interrupting or not, in a process, subprocess or called process: the case awaits its message "
        "while its scope runs"
    ),
    "transaction": _refused("transactions are not supported"),
    "adHocSubProcess": _refused("ad-hoc subprocesses are not supported"),
    # loops
    "multiInstanceLoopCharacteristics": _part("loopCardinality or camunda:collection"),
    MI_STANDARD: _runs("sequential or parallel, output collections and completion conditions"),
    MI_ZEEBE: _runs(
        "standardized at deploy: inputCollection (a variable or an expression), inputElement, outputCollection, "
        "outputElement"
    ),
    "standardLoopCharacteristics": _runs(
        "on an activity: runs again while loopCondition holds (testBefore: asked before the first run too), "
        "at most loopMaximum runs (1…100; 100 when not set, with a warning)"
    ),
    # flows and the parts of elements
    "sequenceFlow": _runs(),
    "conditionExpression": _part(listed=False),
    "incoming": _part(listed=False),
    "outgoing": _part(listed=False),
    "flowNodeRef": _part(listed=False),
    "timeDuration": _part(),
    "timeDate": _part(),
    "timeCycle": _part(
        "an ISO cycle or cron; a boundary event fires at every occurrence, an intermediate catch (after an "
        "event-based gateway too) once, at the first"
    ),
    "loopCardinality": _part(),
    "completionCondition": _part(),
    "loopCondition": _part(),
    "script": _part(listed=False),
    "text": _part(listed=False),
    "sourceRef": _part(listed=False),
    "targetRef": _part(listed=False),
    "documentation": _part(listed=False),
    "extensionElements": _part(listed=False),
    # kept for readers
    "laneSet": _kept("kept for the diagram; lanes name roles"),
    "lane": _kept("kept for the diagram; lanes name roles"),
    "childLaneSet": _kept("kept for the diagram; lanes name roles"),
    "textAnnotation": _kept(),
    "association": _kept(),
    "group": _kept(),
    "category": _kept(),
    "categoryValue": _kept(),
    "dataObject": _kept(),
    "dataObjectReference": _kept(),
    "dataStore": _kept(),
    "dataStoreReference": _kept(),
    "dataInputAssociation": _kept(),
    "dataOutputAssociation": _kept(),
    "ioSpecification": _kept(),
    "dataInput": _kept(),
    "dataOutput": _kept(),
    "inputSet": _kept(),
    "outputSet": _kept(),
    "property": _kept(),
    "collaboration": _kept("pools and message flows: each executable pool is its own process"),
    "participant": _kept("each executable pool is its own process"),
    "messageFlow": _kept("messages reach a case by name"),
}

# Children that are parts of their parent: they carry no id of their own.
PARTS = frozenset(
    {kind for kind, entry in KINDS.items() if entry.support == "part"}
    | {"ioSpecification", "property", "dataInputAssociation", "dataOutputAssociation", "standardLoopCharacteristics"}
)


def kind_of(kind: str) -> ElementKind:
    return KINDS.get(kind, _refused(f"{kind} is not supported"))
