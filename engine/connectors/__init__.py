"""Connectors: plain Python callables, registered by name, that service tasks call.

A connector takes a :class:`ConnectorCall` (the job's recorded input, the case and the
attempt) and returns the values to merge into the case data, or raises to fail the
attempt. Connectors run in the worker, never in the engine: their results come back as
recorded inputs, so replaying a case never calls a connector again. A connector may be
called more than once for one attempt (two workers racing): ``key`` is the same for such
calls, so a connector with side effects makes the repeat harmless with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ConnectorCall:
    case_number: str
    office: str
    task: str
    element: str
    connector: str
    input: Mapping[str, Any]
    attempt: int
    key: str  # the same for every call of one attempt of one job


Connector = Callable[[ConnectorCall], Mapping[str, Any]]


class ConnectorError(Exception):
    """A connector's own, expected failure (an agency system down, a bad answer)."""


@dataclass(frozen=True)
class Outcome:
    result: dict[str, Any] | None = None
    error: str = ""


class ConnectorRegistry:
    def __init__(self) -> None:
        self._connectors: dict[str, Connector] = {}

    def register(self, name: str, connector: Connector) -> None:
        self._connectors[name] = connector

    def names(self) -> list[str]:
        return sorted(self._connectors)

    def call(self, call: ConnectorCall) -> Outcome:
        """Run one attempt; any exception is that attempt's failure, in words for the incident."""
        connector = self._connectors.get(call.connector)
        if connector is None:
            return Outcome(error=f"no connector named {call.connector!r} is registered in this worker")
        try:
            result = dict(connector(call))
            json.dumps(result)
        except ConnectorError as error:
            return Outcome(error=(str(error) or type(error).__name__)[:2000])
        except Exception as error:  # a connector is outside code: any failure is that attempt's
            return Outcome(error=f"{type(error).__name__}: {error}"[:2000])
        return Outcome(result=result)
