"""The event log in IEEE XES (1849-2016) for standard process-mining tools: one trace per
case (with its process version), one event per step that happened (case opened, agency
request and answer, timer, withdrawal), and per task its lifecycle: ``schedule`` when it
opened, ``start`` when work began (its first claim, or its opening if nobody claimed it),
``complete`` when it was done. Staff are the resources of their steps, the agency (its
name from the catalog) the resource of an agency's steps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
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


def write_xes(
    library: ProcessLibrary,
    cases: Iterable[list[Case.Event]],
    out: IO[bytes],
    agencies: Mapping[str, str] | None = None,
    integrity: Mapping[str, str] | None = None,
) -> int:
    """Write the log (element names from ``library``, an engine's; ``agencies``: service
    code -> the agency's name, from the catalog); return the number of traces written.
    ``integrity``: case number -> why its stored history cannot be trusted ("failed: …"),
    written as the trace's okno:integrity attribute; it is read as each trace is written,
    so ``cases`` may fill it as it reads each case."""
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
            xml.write(
                etree.Element("classifier", name="Activity and transition", keys="concept:name lifecycle:transition")
            )
            for events in cases:
                trace = _trace(library, events, agencies or {})
                if trace is not None:
                    number = events[0].number if isinstance(events[0], Case.Opened) else ""
                    if integrity and number in integrity:  # a mining tool keeps the mark with the trace
                        _attribute(trace, "string", "okno:integrity", integrity[number])
                    xml.write(trace)
                    count += 1
    return count


@dataclass
class _Task:
    """What the log knows of one task while reading a case's events."""

    name: str
    role: str
    opened: datetime
    claims: list[tuple[datetime, str]] = field(default_factory=list)


def _trace(library: ProcessLibrary, events: list[Case.Event], agencies: Mapping[str, str]) -> Any:
    opened = events[0] if events else None
    if not isinstance(opened, Case.Opened):
        return None
    elements = library.get(opened.process_version).elements
    agency = agencies.get(opened.service, "agency")
    trace = etree.Element("trace")
    _attribute(trace, "string", "concept:name", opened.number)
    _attribute(trace, "string", "okno:service", opened.service)
    _attribute(trace, "string", "okno:office", opened.office)
    _attribute(trace, "string", "okno:process_version", opened.process_version)
    tasks: dict[str, _Task] = {}
    jobs: dict[str, datetime] = {}
    # A task's start is known only when it completes: the trace's events are gathered,
    # then written in time order (stable, so one step's events keep the order they happened in).
    gathered: list[tuple[datetime, Any]] = []

    def add(activity: str, at: datetime, resource: str, transition: str, **extra: str) -> None:
        item = etree.Element("event")
        _attribute(item, "string", "concept:name", activity)
        _attribute(item, "date", "time:timestamp", at.isoformat(timespec="milliseconds"))
        _attribute(item, "string", "org:resource", resource)
        _attribute(item, "string", "lifecycle:transition", transition)
        for key, value in extra.items():
            _attribute(item, "string", f"okno:{key}", value)
        gathered.append((at, item))

    for event in events:
        effects = event.effects
        # A task that closes: its start (first claim, else its opening) and its completion.
        for closed in effects.get("tasks_closed", []):
            task = tasks.pop(closed["task"], None)
            done = isinstance(event, Case.TaskCompleted) and closed["element"] == event.input.get("element")
            if task is None or not done:
                continue  # cancelled by a boundary event or a withdrawal: it never completed
            began, worker = task.claims[0] if task.claims else (task.opened, event.actor)
            add(task.name, began, worker, "start", role=task.role, claims=str(len(task.claims)))
            add(task.name, event.timestamp, event.actor, "complete", role=task.role, claims=str(len(task.claims)))
        activity = _activity(event, elements)
        if activity is not None:
            resource = agency if isinstance(event, Case.MessageReceived) else event.actor
            add(activity, event.timestamp, resource, "complete")
        for sent in effects.get("messages_sent", []):
            add(f"Отправлен запрос: {sent['name']}", event.timestamp, agency, "complete")
        for new in effects.get("tasks_opened", []):
            tasks[new["task"]] = _Task(_name(elements, new["element"], new.get("name")), new["role"], event.timestamp)
            add(tasks[new["task"]].name, event.timestamp, new["role"], "schedule", role=new["role"])
        for claim in effects.get("claims", []):
            if claim["task"] in tasks:
                tasks[claim["task"]].claims.append((event.timestamp, claim["holder"]))
        for job in effects.get("jobs_opened", []):
            jobs[job["task"]] = event.timestamp
        if isinstance(event, Case.ServiceTaskCompleted):
            for job in effects.get("jobs_closed", []):
                name = _name(elements, job["element"], None)
                add(name, jobs.pop(job["task"], event.timestamp), event.actor, "start")
                add(name, event.timestamp, event.actor, "complete")
    for _, item in sorted(gathered, key=lambda pair: pair[0]):
        trace.append(item)
    return trace


def _name(elements: dict[str, Any], element: str, given: str | None) -> str:
    info = elements.get(element)
    return str(info.name) if info is not None and info.name else (given or element)


def _activity(event: Case.Event, elements: dict[str, Any]) -> str | None:
    """The activity of a step that is not a task's (tasks are told by their lifecycle)."""
    step = event.input
    if isinstance(event, Case.Opened):
        return "Заявление принято"
    if isinstance(event, Case.MessageReceived):
        return f"Получен ответ: {step['name']}"
    if isinstance(event, Case.SignalReceived):
        return f"Получен сигнал: {step['name']}"
    if isinstance(event, Case.TimerFired):
        return f"Срок истёк: {_name(elements, step['element'], None)}"
    if isinstance(event, Case.Withdrawn):
        return "Заявление отозвано"
    return None  # ratings, complaints and connector retries are not steps of the process


def _attribute(parent: Any, kind: str, key: str, value: str) -> None:
    etree.SubElement(parent, kind, key=key, value=value)
