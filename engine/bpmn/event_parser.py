"""okno's BPMN parser: SpiffWorkflow's Camunda parser, reading error and escalation start
events too. SpiffWorkflow 3.2's start event parser knows message, signal, timer and
conditional starts only: an event subprocess started by an error or an escalation got a
plain start and ran with the case, whatever was thrown. With the definition read, the
event subprocess waits for its error or escalation, as BPMN (and Camunda) has it. Whether
a start event interrupts its scope (``isInterrupting``, which SpiffWorkflow does not read)
is kept on its spec for engine/bpmn/event_subprocesses.py."""

from __future__ import annotations

from typing import Any, ClassVar

from SpiffWorkflow.bpmn.parser.event_parsers import (
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
    StartEventParser,
)
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.camunda.parser import CamundaParser

from engine.bpmn.event_subprocesses import INTERRUPTS

_START_EVENTS = [
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
]


class _StartEventParser(StartEventParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        # SpiffWorkflow's own create_task, with error and escalation among the definitions.
        task = self._create_task(self.get_event_definition(_START_EVENTS))
        self.spec.start.connect(task)
        # Read by engine/bpmn/event_subprocesses.py: an escalation start may leave its scope running.
        setattr(task, INTERRUPTS, (self.node.get("isInterrupting") or "true").strip().lower() != "false")
        return task


class OknoParser(CamundaParser):  # type: ignore[misc]
    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, tuple[Any, Any]]] = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (_StartEventParser, CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("startEvent")][1]),
    }
