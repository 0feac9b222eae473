"""Timers on the case's clock: SpiffWorkflow's timer event definitions (3.2) with "now"
read from the clock of the workflow a task belongs to (engine.bpmn.determinism), never
from ``datetime.now()``, and dates without a zone read as UTC, never in the host's zone.

A compiled process gets these in place of SpiffWorkflow's (:func:`adopt`), once, when it
is compiled. The methods are SpiffWorkflow's own, line for line, but for where "now" and
the zone come from; the class names are SpiffWorkflow's too, since they show in what
SpiffWorkflow reports of a pending timer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway, IntermediateCatchEvent
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import cron
from engine.bpmn.determinism import clock_of


def utc_datetime(expression: str) -> datetime:
    """An ISO date-time; one without a zone is UTC (SpiffWorkflow would use the host's)."""
    moment = datetime.fromisoformat(expression)
    if moment.tzinfo is None:
        moment = datetime.combine(moment.date(), moment.time(), UTC)
    return moment.astimezone(UTC)


def _now(task: Any) -> datetime:
    return clock_of(task.workflow).now


def _from_start(parsed_duration: Any, start: datetime) -> timedelta:
    delta: timedelta = spiff.TimerEventDefinition.get_timedelta_from_start(parsed_duration, start)
    return delta


def _iso_week(expression: str) -> datetime:
    found = re.match(r"(\d{4})W(\d{2})(\d)(T.+)?", expression.upper().replace("-", ""))
    assert found is not None, f"not an ISO week date: {expression!r}"
    year, week, day, at = found.groups()
    date = datetime.fromisocalendar(int(year), int(week), int(day)).strftime("%Y-%m-%d")
    return utc_datetime(date + (at or ""))


def _time_or_duration(expression: str) -> Any:
    if expression.upper().startswith("P"):
        return spiff.TimerEventDefinition.parse_iso_duration(expression)
    if "W" in expression.upper():
        return _iso_week(expression)
    return utc_datetime(expression)


def _recurring_interval(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    components = expression.upper().replace("--", "/").strip("R").split("/")
    cycles = int(components[0]) if components[0] else -1
    start_or_duration = _time_or_duration(components[1])
    end_or_duration = _time_or_duration(components[2]) if len(components) == 3 else None
    if isinstance(start_or_duration, datetime):
        start = start_or_duration
        duration = _from_start(end_or_duration, start_or_duration)
    elif isinstance(end_or_duration, datetime):
        duration = spiff.TimerEventDefinition.get_timedelta_from_end(start_or_duration, end_or_duration)
        start = end_or_duration - duration
    elif end_or_duration is None:
        duration = _from_start(start_or_duration, now)
        start = now + duration
    else:
        raise Exception("Invalid recurring interval")  # SpiffWorkflow's own refusal
    return cycles, start, duration


class TimeDateEventDefinition(spiff.TimeDateEventDefinition):  # type: ignore[misc]
    def has_fired(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            my_task._set_internal_data(event_value=event_value)
        if _time_or_duration(event_value) <= _now(my_task):  # due at this very moment: due
            my_task._set_internal_data(event_fired=True)
        fired: bool = my_task._get_internal_data("event_fired", False)
        return fired


class DurationTimerEventDefinition(spiff.DurationTimerEventDefinition):  # type: ignore[misc]
    def has_fired(self, my_task: Any) -> bool:
        now = _now(my_task)
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed_duration = spiff.TimerEventDefinition.parse_iso_duration(expression)
            event_value = (now + _from_start(parsed_duration, now)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if utc_datetime(event_value) <= now:
            my_task._set_internal_data(event_fired=True)
        fired: bool = my_task._get_internal_data("event_fired", False)
        return fired


class CycleTimerEventDefinition(spiff.CycleTimerEventDefinition):  # type: ignore[misc]
    def has_fired(self, my_task: Any) -> bool:
        if isinstance(my_task.task_spec, EventBasedGateway):
            # An event-based gateway takes the first of its events, once: a cycle behind it
            # fires at its first due time. SpiffWorkflow computes a cycle only in
            # update_task, which a gateway never calls for the events it holds, so the
            # cycle got no due time and never fired.
            return self.cycle_complete(my_task) or bool(super().has_fired(my_task))
        if isinstance(my_task.task_spec, IntermediateCatchEvent) and self.cycle_complete(my_task):
            # An intermediate catch is passed once (Camunda 7 runs a cron on one so: "at ten,
            # not at weekends"): at its first due time the flow goes on and the cycle ends.
            # SpiffWorkflow ran it as a boundary cycle: a new token at every occurrence,
            # the catch waiting for ever. Its path was never predicted (a cycle's is not):
            # it is added now, as SpiffWorkflow's update_task adds a boundary cycle's.
            for output in my_task.task_spec.outputs:
                child = my_task._add_child(output, TaskState.FUTURE)
                child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
            my_task._set_internal_data(event_fired=True)
        fired: bool = super().has_fired(my_task)
        return fired

    def cycle_complete(self, my_task: Any) -> bool:
        now = _now(my_task)
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            if cron.is_cron(expression):
                # A cron cycle repeats for as long as its activity waits.
                event_value = {"cycles": -1, "next": cron.next_after(expression, now).isoformat(), "cron": expression}
            else:
                cycles, start, duration = _recurring_interval(expression, now)
                event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                if "cron" in event_value:  # the next occurrence after this step: missed ones fire once
                    event_value["next"] = cron.next_after(event_value["cron"], now).isoformat()
                else:
                    event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready


_OURS: dict[type, type] = {
    spiff.TimeDateEventDefinition: TimeDateEventDefinition,
    spiff.DurationTimerEventDefinition: DurationTimerEventDefinition,
    spiff.CycleTimerEventDefinition: CycleTimerEventDefinition,
}


def register(registry: DefaultRegistry, config: dict[type, Any]) -> None:
    """Serialize okno's timer definitions under SpiffWorkflow's type names (a task that
    saw a timer fire keeps the event in its state) and restore them as okno's."""
    for theirs, ours in _OURS.items():
        config[theirs](ours, registry, typename=theirs.__name__)


def adopt(*specs: Any) -> None:
    """Put okno's timer definitions in compiled process specs, in place: each keeps its
    attributes and takes okno's class (definitions are plain objects the parser made)."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if definition is not None:
                _adopt(definition)


def _adopt(definition: Any) -> None:
    ours = _OURS.get(type(definition))
    if ours is not None:
        definition.__class__ = ours
    if isinstance(definition, MultipleEventDefinition):
        for each in definition.event_definitions:
            _adopt(each)
