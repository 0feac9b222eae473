"""The closed sets a client filters by and reads back, as GraphQL enums: a misspelt value
is refused by the schema, never answered with an empty list.

Each is derived from the list the rest of okno keeps (the roles tokens carry, the states
the read models write, the channels the engine accepts), so the two cannot drift. A
value's GraphQL name is the engine's text in upper case (GraphQL's convention); the enum
member's value is the engine's text itself.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

import strawberry

from api.auth import ROLES
from engine.application import CHANNELS
from engine.connectors.notifications import FIELD as NOTIFICATION_FIELDS
from projections.case_queries import CASE_STATES, TASK_SORTS, TASK_STATES


def _enum(name: str, values: list[str], description: str) -> type[Enum]:
    # Built from data, which mypy's Enum plugin cannot read (it wants literals).
    enum: type[Enum] = Enum(name, {value.upper(): value for value in values})  # type: ignore[misc]
    return strawberry.enum(enum, description=description)


if TYPE_CHECKING:  # what mypy sees: enums whose members it cannot know (they come from data)

    class Role(Enum): ...

    class TaskState(Enum): ...

    class CaseState(Enum): ...

    class Channel(Enum): ...

    class TaskSort(Enum): ...

    class NotificationChannel(Enum): ...

else:
    Role = _enum("Role", list(ROLES), "A caller's role, as tokens carry it.")
    TaskState = _enum(
        "TaskState",
        list(TASK_STATES),
        "OPEN: nobody holds it; CLAIMED: its holder works it; COMPLETED: done (see completedBy).",
    )
    CaseState = _enum("CaseState", list(CASE_STATES), "Where a case stands: open, or closed for good.")
    Channel = _enum("Channel", sorted(CHANNELS), "Where an application came in.")
    NotificationChannel = _enum(
        "NotificationChannel", sorted(NOTIFICATION_FIELDS), "How an applicant is told: by SMS or by e-mail."
    )
    TaskSort = _enum(
        "TaskSort", list(TASK_SORTS), "The order of a work list: by time opened or by due day, ascending or descending."
    )


@strawberry.enum(description="Whose tasks: the caller's own, or those nobody holds.")
class Holder(Enum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
