"""Services of the catalog and offices of the network, with an office's dashboard."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from api.context import Context
from api.graphql.relay import Node, global_id
from projections.queries import office_dashboard


@strawberry.type
class Service(Node):
    code: str
    title: str
    agency: str
    level: str
    term_days: int = strawberry.field(description="Regulated term in working days.")
    documents: list[str]
    fee: int
    process: str

    @classmethod
    def of(cls, data: dict[str, Any]) -> Service:
        return cls(id=global_id("Service", data["code"]), code=data["code"], title=data["title"],
                   agency=data["agency"], level=data["level"], term_days=data["term_days"],
                   documents=list(data.get("documents", [])), fee=data.get("fee", 0), process=data["process"])


@strawberry.type
class LeadTime:
    service: str
    median_days: float
    p90_days: float


@strawberry.type
class DayCount:
    day: str
    count: int


@strawberry.type
class RoleCount:
    role: str
    count: int


@strawberry.type
class Dashboard:
    day: str
    open_cases: int
    due_today: int
    overdue: int
    tasks_by_role: list[RoleCount]
    opened_per_day: list[DayCount]
    completed_per_day: list[DayCount]
    lead_times: list[LeadTime]


@strawberry.type
class Office(Node):
    code: str
    name: str
    kind: str
    district: str
    windows: int
    timezone: str
    parent: str | None

    @classmethod
    def of(cls, data: dict[str, Any]) -> Office:
        return cls(id=global_id("Office", data["code"]), code=data["code"], name=data["name"], kind=data["kind"],
                   district=data["district"], windows=data.get("windows", 0), timezone=data["timezone"],
                   parent=data.get("parent"))

    @strawberry.field(description="Operators and supervisors of this office; auditors.")
    def dashboard(self, info: strawberry.Info[Context, None], day: date | None = None) -> Dashboard:
        who = info.context.who
        who.require("operator", "supervisor", "auditor", office=self.code)
        today = day or info.context.services.clock().date()
        board = office_dashboard(info.context.services.reader, self.code, today)
        return Dashboard(
            day=board.today, open_cases=board.open_cases, due_today=board.due_today, overdue=board.overdue,
            tasks_by_role=[RoleCount(role=r, count=n) for r, n in board.tasks_by_role.items()],
            opened_per_day=[DayCount(day=d, count=n) for d, n in board.opened_per_day.items()],
            completed_per_day=[DayCount(day=d, count=n) for d, n in board.completed_per_day.items()],
            lead_times=[LeadTime(service=s, median_days=m, p90_days=p) for s, (m, p) in board.lead_time_days.items()])
