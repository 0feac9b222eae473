"""A timer that has come due."""

from __future__ import annotations

from dataclasses import dataclass

from engine.commands.command import WorkflowCommand


@dataclass(frozen=True)
class FireTimer(WorkflowCommand, kind="timer", event="TimerFired"):
    element: str
