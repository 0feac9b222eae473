"""Messages: one from an agency that the case waits for, and an agency's receipt of one
the case sent (numbered 1, 2, … in the case's outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.commands.command import CaseCommand, CaseFacts, Ruling, WorkflowCommand
from engine.errors import InvalidInput


@dataclass(frozen=True)
class DeliverMessage(WorkflowCommand, kind="message", event="MessageReceived"):
    name: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Acknowledge(CaseCommand, kind="acknowledge", event="MessageAcknowledged", closed_ok=True):
    """An agency's receipt of a message the case sent (its number in the case's outbox)."""

    message: int
    reference: str

    def decide(self, case: CaseFacts) -> Ruling:
        outbox = case.stored.get("outbox", {})
        if str(self.message) not in outbox:
            sent = case.stored.get("sent", 0)
            reason = "was already acknowledged" if 0 < self.message <= sent else "was never sent by this case"
            raise InvalidInput(f"message {self.message} {reason}", field="message")
        if not isinstance(self.reference, str) or not 0 < len(self.reference) <= 200:
            raise InvalidInput(
                "an acknowledgement carries the agency's reference (1–200 characters)", field="reference"
            )
        return Ruling(
            {"acknowledged": {"message": self.message, "name": outbox[str(self.message)], "reference": self.reference}}
        )
