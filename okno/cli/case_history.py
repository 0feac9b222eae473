"""A case's history as people read it (`okno audit history`): element names from the
model, actors, stage labels, times in the office's time zone, and the case's state at a
moment — status, stage, open tasks and data, personal fields masked."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine.bpmn.library import ElementInfo
from engine.case import Case
from engine.case_status import OPEN, status_after
from engine.case_steps import CaseSteps
from engine.errors import OknoError
from engine.replay import HistoryEntry, history

MASK = "•••"  # what a personal value reads as: its presence is history, its content is not
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def moment_in(text: str, zone: ZoneInfo) -> datetime:
    """An --as-of value as a moment: a date alone is the end of that day in the office's
    zone (everything that happened that day, there); a time without a zone is the office's."""
    if _DATE_ONLY.fullmatch(text):
        day = date.fromisoformat(text)
        return datetime.combine(day + timedelta(days=1), time(), zone) - timedelta(microseconds=1)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def trusted_history(steps: CaseSteps, events: list[Case.Event], problems: dict[int, str]) -> list[HistoryEntry]:
    """The history's entries with their data changes (a replay); for a history that fails
    its integrity check and does not replay (an event missing or undecodable), the events
    as recorded without data changes, so the auditor still sees what is stored, warned."""
    try:
        return history(steps, events)
    except (OknoError, KeyError, ValueError, AssertionError):
        if not problems:
            raise
        return [
            HistoryEntry(
                e.originator_version,
                type(e).__name__,
                e.timestamp,
                e.actor,
                e.input,
                e.effects,
                {"set": {}, "removed": []},
            )
            for e in events
        ]


def personal_fields(elements: dict[str, ElementInfo]) -> frozenset[str]:
    """The data keys the case's model declares personal (a form field marked personal)."""
    return frozenset(
        f.id for info in elements.values() for f in (info.form.fields if info.form else info.fields) if f.personal
    )


def masked(data: dict[str, Any], personal: frozenset[str]) -> dict[str, Any]:
    return {k: (MASK if k in personal else v) for k, v in data.items()}


@dataclass
class CaseState:
    """A case as it stood after some of its events, folded from what they recorded."""

    status: str = OPEN
    outcome: str | None = None
    stage: str | None = None
    open_tasks: dict[str, dict[str, Any]] = field(default_factory=dict)  # task id -> the task, with its holder
    data: dict[str, Any] = field(default_factory=dict)

    def fold(self, event: Case.Event, entry: HistoryEntry) -> None:
        effects = event.effects
        for closed in effects.get("tasks_closed", []):
            self.open_tasks.pop(closed["task"], None)
        for opened in effects.get("tasks_opened", []):
            self.open_tasks[opened["task"]] = dict(opened)
        for claim in effects.get("claims", []):
            if claim["task"] in self.open_tasks:
                self.open_tasks[claim["task"]]["holder"] = claim.get("holder")
        if "stage" in effects:
            self.stage = effects["stage"]
        self.status, self.outcome = status_after(self.status, self.outcome, event)
        self.data.update(entry.data_change.get("set", {}))
        for gone in entry.data_change.get("removed", []):
            self.data.pop(gone, None)


def element_name(elements: dict[str, ElementInfo], element: str | None) -> str:
    info = elements.get(element or "")
    return info.name if info is not None and info.name else str(element)


def what_happened(event: Case.Event, elements: dict[str, ElementInfo], tasks: dict[str, str]) -> str:
    """The step in words, with the model's element names (``tasks``: task id -> element)."""
    step = event.input
    claims = event.effects.get("claims", [])
    claimed = element_name(elements, claims[0]["element"] if claims else tasks.get(str(step.get("task"))))
    if isinstance(event, Case.Opened):
        return "Заявление принято"
    if isinstance(event, Case.TaskCompleted):
        return f"Выполнена задача «{element_name(elements, step.get('element'))}»"
    if isinstance(event, Case.TaskClaimed):
        return f"Задача «{claimed}» взята в работу: {step.get('holder') or event.actor}"
    if isinstance(event, Case.TaskReleased):
        return f"Задача «{claimed}» возвращена в очередь"
    if isinstance(event, Case.TaskReassigned):
        return f"Задача «{claimed}» передана: {step.get('holder') or '-'}"
    if isinstance(event, Case.MessageReceived):
        return f"Получен ответ ведомства: {step.get('name')}"
    if isinstance(event, Case.SignalReceived):
        return f"Получен сигнал: {step.get('name')}"
    if isinstance(event, Case.TimerFired):
        return f"Истёк срок: {element_name(elements, step.get('element'))}"
    if isinstance(event, Case.Withdrawn):
        return "Заявление отозвано"
    if isinstance(event, Case.ServiceTaskCompleted | Case.ServiceTaskFailed):
        jobs = event.effects.get("jobs_closed", []) or event.effects.get("jobs_opened", [])
        verb = "Выполнен" if isinstance(event, Case.ServiceTaskCompleted) else "Не выполнен"
        return f"{verb} шаг «{element_name(elements, jobs[0]['element'] if jobs else step.get('element'))}»"
    return type(event).__name__


def lines(
    events: list[Case.Event],
    entries: list[HistoryEntry],
    elements: dict[str, ElementInfo],
    zone: ZoneInfo,
    as_of: datetime | None,
) -> Iterator[str]:
    """The history up to ``as_of`` (all of it: None), then the case's state at that moment."""
    personal = personal_fields(elements)
    state = CaseState()
    tasks: dict[str, str] = {}
    for event, entry in zip(events, entries, strict=True):
        if as_of is not None and event.timestamp > as_of:
            break
        state.fold(event, entry)
        for opened in event.effects.get("tasks_opened", []):
            tasks[opened["task"]] = opened["element"]
        yield (
            f"v{entry.version} {_local(event.timestamp, zone)} {what_happened(event, elements, tasks)} "
            f"— {event.actor}; stage: {event.effects.get('stage') or '-'}"
        )
        for opened in event.effects.get("tasks_opened", []):
            yield f"  opened task «{element_name(elements, opened['element'])}» for {opened.get('role') or '-'}"
        for sent in event.effects.get("messages_sent", []):
            yield f"  sent to the agency: {sent['name']}"
        step = dict(entry.input)
        if isinstance(step.get("data"), dict):
            step["data"] = masked(step["data"], personal)
        yield f"  input:   {json.dumps(step, ensure_ascii=False)}"
        effects = {k: v for k, v in entry.effects.items() if v not in ([], None, False)}
        yield f"  effects: {json.dumps(effects, ensure_ascii=False)}"
        change = dict(entry.data_change, set=masked(entry.data_change.get("set", {}), personal))
        yield f"  data:    {json.dumps(change, ensure_ascii=False)}"
    if as_of is not None:
        yield from _state_lines(state, elements, personal, zone, as_of)


def _state_lines(
    state: CaseState, elements: dict[str, ElementInfo], personal: frozenset[str], zone: ZoneInfo, as_of: datetime
) -> Iterable[str]:
    outcome = f" ({state.outcome})" if state.outcome else ""
    yield f"as of {_local(as_of, zone)}: {state.status}{outcome}; stage: {state.stage or '-'}"
    if not state.open_tasks:
        yield "  no open tasks"
    for task in state.open_tasks.values():
        holder = f", held by {task['holder']}" if task.get("holder") else ""
        yield f"  open task «{element_name(elements, task['element'])}» ({task.get('role') or '-'}{holder})"
    yield f"  data: {json.dumps(masked(state.data, personal), ensure_ascii=False, sort_keys=True)}"


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
