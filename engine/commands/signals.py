"""A signal: broadcast by name to every case that waits for it (BPMN signals are not
addressed to one case, as messages are). Each case it reaches records it once, as its own
input; the fan-out to the waiting cases is done outside the engine (okno.signals), from
the read model of cases waiting per signal name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.commands.command import WorkflowCommand


@dataclass(frozen=True)
class DeliverSignal(WorkflowCommand, kind="signal", event="SignalReceived"):
    name: str
    payload: dict[str, Any]  # merged into the case's data where the signal is caught
