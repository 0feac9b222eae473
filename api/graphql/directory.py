"""Services of the catalog and offices of the network, with an office's dashboard."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.scalars import JSON

from api.context import Context
from api.graphql.forms import UserTask
from api.graphql.messages import MessageContract
from api.graphql.office_day import office_today_now
from api.graphql.relay import Node, global_id
from api.graphql.views import from_view
from projections.directory import OfficeRow, ServiceRow
from projections.queries import office_dashboard


@strawberry.type
class Service(ServiceRow, Node):
    term_days: int = strawberry.field(description="Regulated term in working days.")
    retired: bool = strawberry.field(
        description="Takes no new case (retired with `okno retire`); its open cases go on. "
        "`services` lists only the services that take cases, as openCase accepts them."
    )
    reception_minutes: int = strawberry.field(
        description="How long a window receives one visitor for it: the length of a booked slot."
    )
    # The row's dict, typed as GraphQL's JSON scalar (the read side does not know strawberry).
    parameters: JSON = strawberry.field(  # type: ignore[assignment]
        description="What tells it apart from the other services of its process (a certificate's kind, a "
        "permit's object), as its flow reads them: the case variable service_parameters."
    )
    sources: list[str] = strawberry.field(
        description="The published acts its term, fee, documents and flow come from (regulations, laws, orders)."
    )

    @strawberry.field(
        description="The user tasks of the service's current process version with their forms, before "
        "any case exists (a case's own tasks show the forms of the version it is pinned to: Task.form)."
    )
    def user_tasks(self, info: strawberry.Info[Context, None]) -> list[UserTask]:
        return [UserTask.of(e) for e in info.context.services.engine.user_tasks(self.process)]

    @classmethod
    def of(cls, row: ServiceRow) -> Service:
        return from_view(cls, row, id=global_id("Service", row.code))

    @strawberry.field(description="The messages the service's process receives and sends, with their payload schemas.")
    def messages(self, info: strawberry.Info[Context, None]) -> list[MessageContract]:
        services = info.context.services
        return [MessageContract.of(c) for c in services.engine.message_contracts(self.process, services.clock())]


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
class Office(OfficeRow, Node):
    @classmethod
    def of(cls, row: OfficeRow) -> Office:
        return from_view(cls, row, id=global_id("Office", row.code))

    @strawberry.field(description="Staff of this office (operators, experts, supervisors); auditors.")
    def dashboard(self, info: strawberry.Info[Context, None], day: date | None = None) -> Dashboard:
        who = info.context.who
        who.require("operator", "expert", "supervisor", "auditor", office=self.code)
        # The office's own today, as its work list's and its deadlines' (not UTC's).
        today = day or office_today_now(info, self.code)
        board = office_dashboard(info.context.services.reader, self.code, today)
        return Dashboard(
            day=board.today,
            open_cases=board.open_cases,
            due_today=board.due_today,
            overdue=board.overdue,
            tasks_by_role=[RoleCount(role=r, count=n) for r, n in board.tasks_by_role.items()],
            opened_per_day=[DayCount(day=d, count=n) for d, n in board.opened_per_day.items()],
            completed_per_day=[DayCount(day=d, count=n) for d, n in board.completed_per_day.items()],
            lead_times=[LeadTime(service=s, median_days=m, p90_days=p) for s, (m, p) in board.lead_time_days.items()],
        )
