"""A case's status, the one rule the case, its read model and the store's scan share.

A case is open until a step withdraws it or completes its workflow; then it is closed
for good, with the outcome its end event names (if any). Inputs a closed case still
takes (ratings, complaints, acknowledgements) leave its status and outcome as they are.
"""

from __future__ import annotations

from typing import Any, Protocol

from engine.commands import Withdraw

OPEN = "open"
COMPLETED = "completed"
WITHDRAWN = "withdrawn"


class CaseEvent(Protocol):
    """A case's event (engine.case.Case.Event, which imports this module)."""

    effects: dict[str, Any]


def status_after(status: str, outcome: str | None, event: CaseEvent) -> tuple[str, str | None]:
    """The status and outcome once an event is applied, from those before it (an opened
    case starts from OPEN and no outcome). A withdrawal is told by its event class, the
    one the Withdraw command names, as read models and the store know events."""
    if status != OPEN:
        return status, outcome
    if type(event).__name__ == Withdraw.event:
        return WITHDRAWN, event.effects.get("outcome")
    if event.effects.get("completed"):
        return COMPLETED, event.effects.get("outcome")
    return status, outcome
