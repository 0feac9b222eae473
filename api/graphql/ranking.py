"""The office ranking's formula as data: its weights, the prior that pulls small offices
towards the region's average and the queue's waiting caps, so a page explaining a score
shows the constants office_ranking used instead of copies of them."""

from __future__ import annotations

import strawberry

from api.context import Context
from api.graphql.views import from_view
from projections.queries import RankingFormula as RankingFormulaView


@strawberry.type(
    description="score = 100 × (onTimeWeight × onTime + ratingWeight × (rating − 1) / 4 + complaintsWeight "
    "× max(0, 1 − complaintRate / complaintRateFloor) + waitingWeight × waiting); onTime, rating and waiting "
    "are shrunk towards the region's average: (office total + priorWeight × region average) / "
    "(office count + priorWeight)."
)
class RankingFormula(RankingFormulaView):
    prior_weight: int = strawberry.field(
        description="Cases (ratings, visits) worth of the region's average mixed into each office's figure."
    )
    complaint_rate_floor: float = strawberry.field(
        description="Complaints per case opened at which the complaints part scores 0."
    )
    wait_cap_minutes: int = strawberry.field(description="waiting: called to a window within this many minutes.")
    booked_wait_cap_minutes: int = strawberry.field(
        description="waiting, for visitors who booked: within this many minutes of the booked time."
    )


@strawberry.type
class RankingQuery:
    @strawberry.field(description="The constants of officeRanking's score (supervisors, auditors, analysts).")
    def ranking_formula(self, info: strawberry.Info[Context, None]) -> RankingFormula:
        info.context.who.require("supervisor", "auditor", "analyst")
        return from_view(RankingFormula, RankingFormulaView())
