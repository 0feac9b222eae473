"""Send and receive tasks: a send task throws its message as an intermediate message throw
event does (recorded among the messages sent), a receive task waits for its message as an
intermediate message catch event does (and takes the payload the same way).

A send task that names a worker (Camunda 7 ``camunda:type="external"``, a Java class or
expression, Camunda 8 ``zeebe:taskDefinition``) is a job, not a message: those are left to
the service-task rules (engine/bpmn/jobs.py), and nothing here checks or changes them."""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.defaults import ReceiveTask
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BareMessage
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition

from engine.bpmn.sources import BPMN_NS, CAMUNDA_NS

_WORKER_ATTRIBUTES = ("type", "class", "delegateExpression", "expression", "topic")
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"


def is_worker_task(node: etree._Element) -> bool:
    """True for a send task some worker carries out: a job, not a message okno sends."""
    if any(node.get(f"{{{CAMUNDA_NS}}}{name}") for name in _WORKER_ATTRIBUTES):
        return True
    return node.find(f"{{{BPMN_NS}}}extensionElements/{{{ZEEBE_NS}}}taskDefinition") is not None


def problems(node: etree._Element, messages: dict[str | None, etree._Element]) -> list[tuple[etree._Element, str]]:
    """What stands between a send or receive task and running: its message."""
    kind = etree.QName(node).localname
    if kind not in ("sendTask", "receiveTask") or (kind == "sendTask" and is_worker_task(node)):
        return []
    ref = node.get("messageRef")
    message = messages.get(ref)
    if message is None:
        what = "send" if kind == "sendTask" else "receive"
        return [(node, f"{kind} needs messageRef naming a bpmn:message in this file: the message it {what}s")]
    if not message.get("name"):
        return [(message, "a message needs a name: cases receive messages by name")]
    return []


def adopt(*specs: Any) -> None:
    """Give receive tasks the message definition message catch events have (Camunda's,
    with a result variable), so a delivered message reaches them as it reaches a catch."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            bare = isinstance(definition, BareMessage) and not isinstance(definition, MessageEventDefinition)
            if isinstance(task_spec, ReceiveTask) and definition is not None and bare:
                task_spec.event_definition = MessageEventDefinition(
                    definition.name, definition.correlation_properties, description=definition.description
                )
