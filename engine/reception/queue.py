"""Who an operator's window calls next.

Booked visitors are called at their time (the regulations allow them 5 minutes of
waiting), then visitors of the priority categories, then everyone else in the order
they arrived; a booked visitor who came early is called early only when nobody else
waits. A window calls only visitors for services it serves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

# The regulations' caps on waiting, which the read models measure visits against.
WAIT_CAP_MINUTES = 15
WAIT_CAP_BOOKED_MINUTES = 5


def pick_next(waiting: list[dict[str, Any]], serves: Callable[[str], bool], at: datetime) -> dict[str, Any] | None:
    candidates = [t for t in waiting if serves(t["service"])]
    if not candidates:
        return None

    def rank(ticket: dict[str, Any]) -> tuple[int, str, str]:
        start = ticket.get("appointment_start")
        if start and datetime.fromisoformat(start) <= at:
            return 0, start, ticket["arrived_at"]
        if start:
            return 3, start, ticket["arrived_at"]
        return (1 if ticket["category"] == "priority" else 2), ticket["arrived_at"], ticket["number"]

    return min(candidates, key=rank)


def waited_from(ticket: dict[str, Any]) -> datetime:
    """Waiting counts from arrival, or from the booked time for a visitor who came early."""
    arrived = datetime.fromisoformat(ticket["arrived_at"])
    start = ticket.get("appointment_start")
    return max(arrived, datetime.fromisoformat(start)) if start else arrived
