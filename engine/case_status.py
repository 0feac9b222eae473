"""A case's status, the one rule the case, its read model and the store's scan share.

A case is open until a step withdraws it or completes its workflow; then it is closed
for good, with the outcome its end event names (if any). Inputs a closed case still
takes (ratings, complaints, acknowledgements) leave its status and outcome as they are.
"""

from __future__ import annotations

from typing import Any

from engine.commands import Withdraw

OPEN = "open"
COMPLETED = "completed"
WITHDRAWN = "withdrawn"


def status_after(status: str, outcome: str | None, recorded_input: dict[str, Any],
                 effects: dict[str, Any]) -> tuple[str, str | None]:
    """The status and outcome once an event is applied, from those before it and the
    event's recorded input and effects (an opened case starts from OPEN and no outcome)."""
    if status != OPEN:
        return status, outcome
    if recorded_input["kind"] == Withdraw.kind:
        return WITHDRAWN, effects.get("outcome")
    if effects.get("completed"):
        return COMPLETED, effects.get("outcome")
    return status, outcome
