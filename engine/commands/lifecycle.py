"""A case's start and its withdrawal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.commands.command import WorkflowCommand


@dataclass(frozen=True)
class StartCase(WorkflowCommand, kind="start", event="Opened"):
    """The application: its data becomes the start event's data (Case.open records it)."""

    data: dict[str, Any]


@dataclass(frozen=True)
class Withdraw(WorkflowCommand, kind="withdraw", event="Withdrawn"):
    """The citizen or the office withdraws the case: its workflow is cancelled."""

    reason: str
