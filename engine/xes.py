"""The event log in IEEE XES (1849-2016) for standard process-mining tools: one trace per
case, one event per step that happened (case opened, task done, agency answer, timer,
withdrawal), with activity, timestamp, resource and lifecycle."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from lxml import etree

from engine.bpmn.library import ProcessLibrary
from engine.case import Case

XES_NS = "http://www.xes-standard.org/"
EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
)


def write_xes(library: ProcessLibrary, cases: Iterable[list[Case.Event]], out: IO[bytes]) -> int:
    """Write the log (element names from ``library``, an engine's); return the number of traces written."""
    count = 0
    with etree.xmlfile(out, encoding="utf-8") as xml:
        xml.write_declaration()
        with xml.element("log", {"xes.version": "1849-2016", "xes.features": "nested-attributes", "xmlns": XES_NS}):
            for name, prefix, uri in EXTENSIONS:
                xml.write(etree.Element("extension", name=name, prefix=prefix, uri=uri))
            trace_global = etree.Element("global", scope="trace")
            etree.SubElement(trace_global, "string", key="concept:name", value="__INVALID__")
            xml.write(trace_global)
            event_global = etree.Element("global", scope="event")
            etree.SubElement(event_global, "string", key="concept:name", value="__INVALID__")
            etree.SubElement(event_global, "date", key="time:timestamp", value="1970-01-01T00:00:00.000+00:00")
            etree.SubElement(event_global, "string", key="lifecycle:transition", value="complete")
            xml.write(event_global)
            xml.write(etree.Element("classifier", name="Activity", keys="concept:name"))
            for events in cases:
                trace = _trace(library, events)
                if trace is not None:
                    xml.write(trace)
                    count += 1
    return count


def _trace(library: ProcessLibrary, events: list[Case.Event]) -> Any:
    opened = events[0] if events else None
    if not isinstance(opened, Case.Opened):
        return None
    elements = library.get(opened.process_version).elements
    trace = etree.Element("trace")
    _attribute(trace, "string", "concept:name", opened.number)
    _attribute(trace, "string", "okno:service", opened.service)
    _attribute(trace, "string", "okno:office", opened.office)
    for event in events:
        activity = _activity(event, elements)
        if activity is None:
            continue
        item = etree.SubElement(trace, "event")
        _attribute(item, "string", "concept:name", activity)
        _attribute(item, "date", "time:timestamp", event.timestamp.isoformat(timespec="milliseconds"))
        _attribute(item, "string", "org:resource", event.actor)
        _attribute(item, "string", "lifecycle:transition", "complete")
    return trace


def _activity(event: Case.Event, elements: dict[str, Any]) -> str | None:
    step = event.input
    if isinstance(event, Case.Opened):
        return "Заявление принято"
    if isinstance(event, Case.TaskCompleted):
        element = elements.get(step["element"])
        return str(element.name if element is not None else step["element"])
    if isinstance(event, Case.MessageReceived):
        return f"Получен ответ: {step['name']}"
    if isinstance(event, Case.SignalReceived):
        return f"Получен сигнал: {step['name']}"
    if isinstance(event, Case.TimerFired):
        element = elements.get(step["element"])
        return f"Срок истёк: {element.name if element is not None else step['element']}"
    if isinstance(event, Case.Withdrawn):
        return "Заявление отозвано"
    if isinstance(event, Case.ServiceTaskCompleted):
        # The job's element is in the effects of the event that opened it; its closing names it too.
        closed = event.effects.get("jobs_closed", [])
        element = elements.get(closed[0]["element"]) if closed else None
        return str(element.name) if element is not None else None
    return None  # claims, ratings, complaints and connector retries are not steps of the process


def _attribute(parent: Any, kind: str, key: str, value: str) -> None:
    etree.SubElement(parent, kind, key=key, value=value)
