"""SpiffArena's event payloads: a ``bpmn:signal``, ``bpmn:error`` or ``bpmn:escalation``
whose ``spiffworkflow:payloadExpression`` the thrower evaluates and whose
``spiffworkflow:variableName`` the catcher stores it under (SpiffWorkflow's EventPayloadTest).

Only an event whose referenced element carries these extensions gets SpiffWorkflow's
payload-aware definition; every other event keeps the standard one, so what existing
models record does not change. The expression runs in okno's own interpreter (the
workflow's script engine), like every other expression of a model.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.event_parsers import EventDefinitionParser
from SpiffWorkflow.spiff.specs.event_definitions import (
    ErrorEventDefinition,
    EscalationEventDefinition,
    SignalEventDefinition,
)

from engine.bpmn.sources import BPMN_NS

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def _payload_of(node: etree._Element | None) -> tuple[str | None, str | None] | None:
    """(payloadExpression, variableName) of a referenced element, or None without them."""
    if node is None:
        return None
    found: dict[str, str | None] = {}
    for tag in ("payloadExpression", "variableName"):
        child = node.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}{tag}")
        found[tag] = child.text.strip() if child is not None and child.text and child.text.strip() else None
    if found["payloadExpression"] is None and found["variableName"] is None:
        return None
    return found["payloadExpression"], found["variableName"]


def _referenced(parser: Any, event: etree._Element, attribute: str, tag: str) -> etree._Element | None:
    ref = event.get(attribute)
    if not ref:
        return None
    nodes = parser.doc_xpath(f'.//bpmn:{tag}[@id="{ref}"]')
    return nodes[0] if len(nodes) == 1 else None


class _PayloadAware:
    """Mixed into SpiffWorkflow's event parsers (before them in the MRO)."""

    def parse_signal_event(self, signal_event: etree._Element) -> Any:
        standard = super().parse_signal_event(signal_event)  # type: ignore[misc]
        payload = _payload_of(_referenced(self, signal_event, "signalRef", "signal"))
        if payload is None:
            return standard
        return SignalEventDefinition(standard.name, expression=payload[0], variable=payload[1])

    def parse_error_event(self, error_event: etree._Element) -> Any:
        standard = super().parse_error_event(error_event)  # type: ignore[misc]
        payload = _payload_of(_referenced(self, error_event, "errorRef", "error"))
        if payload is None:
            return standard
        return ErrorEventDefinition(standard.name, expression=payload[0], variable=payload[1], code=standard.code)

    def parse_escalation_event(self, escalation_event: etree._Element) -> Any:
        standard = super().parse_escalation_event(escalation_event)  # type: ignore[misc]
        payload = _payload_of(_referenced(self, escalation_event, "escalationRef", "escalation"))
        if payload is None:
            return standard
        return EscalationEventDefinition(standard.name, expression=payload[0], variable=payload[1], code=standard.code)


def payload_aware(parser_class: type) -> type:
    """An event parser class that reads SpiffArena's payloads; other classes unchanged."""
    if not issubclass(parser_class, EventDefinitionParser):
        return parser_class
    return type(parser_class.__name__, (_PayloadAware, parser_class), {})
