"""Camunda 8 (Zeebe) merges a correlated message's variables into the case.

A Camunda 7 model reads a delivered message's payload under the message's name (or its
``camunda:resultVariable``): ``${reviewReceived.reviewResult}``. Zeebe sets the
message's variables in the process instance, so a model drawn in Camunda Modeler 8 reads
``= reviewResult`` right after the catch (the gateway after ``reviewReceived`` in
Zeebe's own pull-request example does). In a Zeebe model every message catch (an
intermediate catch, a receive task, a boundary event, an event-based gateway's branch,
an event subprocess's start) therefore merges a payload that is an object into the
case's data; a payload that is not an object is kept under the message's name, as
before. Camunda 7, Flowable, Activiti and SpiffWorkflow models are left as they are."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as AnyMessage
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition

from engine.bpmn.multi_instance import ZEEBE_NS

_MODELER_NS = "http://camunda.org/schema/modeler/1.0"


class MergedMessage(MessageEventDefinition):  # type: ignore[misc]
    """A message catch that merges its payload into the case's data (Zeebe's way)."""

    def update_task_data(self, my_task: Any) -> None:
        caught = my_task.internal_data.get(self.name)
        payload = caught["payload"]
        if isinstance(payload, dict):
            my_task.data.update(deepcopy(payload))
        else:
            my_task.data[caught["result_var"]] = payload


def is_zeebe(root: etree._Element) -> bool:
    """Drawn for Camunda 8: Camunda Modeler's execution platform says so, or Zeebe's
    namespace is declared (Camunda Modeler declares Camunda 7's in some Camunda 8 files too)."""
    platform = (root.get(f"{{{_MODELER_NS}}}executionPlatform") or "").strip().lower()
    return platform == "camunda cloud" or ZEEBE_NS in set(root.nsmap.values())


def adopt(*specs: Any) -> None:
    """Make every message catch of these (Zeebe) process specs merge what it catches. The
    throwing ones are given the same kind too: a message reaches only a catch of its own
    kind, and a case may throw a message to one of its own catches."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if isinstance(definition, MultipleEventDefinition):
                definition.event_definitions = [_merged(d) for d in definition.event_definitions]
            elif isinstance(task_spec, CatchingEvent) or isinstance(definition, MessageEventDefinition):
                task_spec.event_definition = _merged(definition)


def _merged(definition: Any) -> Any:
    if not isinstance(definition, AnyMessage) or isinstance(definition, MergedMessage):
        return definition
    return MergedMessage(
        definition.name,
        definition.correlation_properties,
        expression=getattr(definition, "expression", None),  # what a throw sends
        result_var=getattr(definition, "result_var", None),
        description=definition.description,
    )
