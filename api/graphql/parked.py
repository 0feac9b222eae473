"""Parked cases: cases a read model could not fold, for supervisors and auditors to see
(what waits, since when, why) before an operator fixes the cause and runs a retry."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.context import Context
from projections.parking import ParkedCase as Parked


@strawberry.type(
    description="A case one read model could not fold: its events from `position` on wait for "
    "`okno projections retry` after a fix; every other case goes on."
)
class ParkedCase:
    model: str = strawberry.field(description="The read model that could not fold it, e.g. outbox.")
    case_number: str | None = strawberry.field(description="None for an event that is not a case's.")
    position: int = strawberry.field(description="The event log position of its first unfolded event.")
    error: str = strawberry.field(description="Why the fold failed (a bounded excerpt).")
    parked_at: datetime

    @classmethod
    def of(cls, parked: Parked) -> ParkedCase:
        return cls(
            model=parked.model,
            case_number=parked.number,
            position=parked.position,
            error=parked.error,
            parked_at=parked.parked_at,
        )


@strawberry.type
class ParkedQuery:
    @strawberry.field(
        description="Cases the read models could not fold (all models, or the one named). "
        "A supervisor sees its office's; an auditor sees all."
    )
    def parked_cases(self, info: strawberry.Info[Context, None], model: str | None = None) -> list[ParkedCase]:
        who = info.context.who
        who.require("supervisor", "auditor")
        found = info.context.services.projector.parked(model)
        return [ParkedCase.of(p) for p in found if who.role == "auditor" or p.office == who.office]
