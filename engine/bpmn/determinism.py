"""Make SpiffWorkflow deterministic per case.

SpiffWorkflow 3.2 draws task ids from ``uuid4()``, stamps tasks with ``time.time()`` and
computes timer due times from ``datetime.now()``. We replace those three module-level
names once, with sources that read the *current case context*: ids seeded from the case
id and a counter kept in the case's state, and "now" = the time of the event being
applied. Outside a context they refuse to work, so a forgotten context is a loud bug,
not a silent source of non-determinism.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import SpiffWorkflow.task as spiff_task
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer


@dataclass
class CaseContext:
    case_id: uuid.UUID
    now: datetime
    next_id: int

    def new_id(self) -> uuid.UUID:
        issued = uuid.uuid5(self.case_id, str(self.next_id))
        self.next_id += 1
        return issued


_current: ContextVar[CaseContext | None] = ContextVar("okno_case_context", default=None)


def current() -> CaseContext:
    context = _current.get()
    if context is None:
        raise RuntimeError("SpiffWorkflow was used outside a deterministic case context")
    return context


@contextmanager
def case_context(case_id: uuid.UUID, now: datetime, next_id: int) -> Iterator[CaseContext]:
    if now.tzinfo is None:
        raise ValueError("case time must be timezone-aware")
    context = CaseContext(case_id, now.astimezone(UTC), next_id)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def _seeded_uuid4() -> uuid.UUID:
    return current().new_id()


class _CaseTime:
    """Stands in for the ``time`` module inside ``SpiffWorkflow.task``."""

    @staticmethod
    def time() -> float:
        return current().now.timestamp()


class _CaseDatetime(datetime):
    """Stands in for ``datetime`` inside SpiffWorkflow's timer module."""

    @classmethod
    def now(cls, tz: Any = None) -> Any:
        moment = current().now
        return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


def install() -> None:
    """Idempotent: replace SpiffWorkflow's sources of ids and time."""
    spiff_task.uuid4 = _seeded_uuid4
    spiff_task.time = _CaseTime
    spiff_timer.datetime = _CaseDatetime
    # Naive timer dates would otherwise be read in the host's local zone.
    spiff_timer.LOCALTZ = UTC


install()
