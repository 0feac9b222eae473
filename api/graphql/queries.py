"""Queries: they read the read models, never an aggregate (history reads the event log)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import strawberry

from api.callers import caller_key
from api.context import Context
from api.graphql.cases import Case, CaseConnection, CaseEdge, CaseStatus
from api.graphql.directory import Office, Service
from api.graphql.enums import CaseState, Holder, NotificationChannel, Role, TaskSort, TaskState
from api.graphql.jobs import Job
from api.graphql.notifications import NotificationConnection, notifications_page
from api.graphql.office_day import office_today_now
from api.graphql.outbox import OutboxConnection, OutboxEdge, OutboxMessage
from api.graphql.parked import ParkedQuery
from api.graphql.ranking import RankingQuery
from api.graphql.reception import ReceptionQuery
from api.graphql.relay import Node, cursors, paged, parse_global_id, resume_after
from api.graphql.tasks import Task, TaskConnection, TaskEdge
from api.graphql.viewer import Viewer, viewer
from api.graphql.views import from_view
from engine.errors import InvalidInput
from engine.sealed_fields import holds_tokens
from projections import case_queries, directory, outbox
from projections.jobs import incidents
from projections.queries import OfficeRank as OfficeRankView
from projections.queries import ServiceFigures as ServiceFiguresView
from projections.queries import office_ranking, service_statistics
from projections.time_travel import case_then


@strawberry.type
class ServiceFigures(ServiceFiguresView):
    pass


@strawberry.type
class OfficeRank(OfficeRankView):
    complaint_rate: strawberry.Private[float | None]  # not published: complaints and cases give it
    visits: int = strawberry.field(description="Visitors called to a window from the queue in the period.")
    waiting_share: float | None = strawberry.field(
        description="Of them, the share called within 15 minutes (5 with a booking)."
    )


def _find_service(info: strawberry.Info[Context, None], code: str) -> Service | None:
    found = directory.service(info.context.services.reader, code)
    return Service.of(found) if found else None


def _find_office(info: strawberry.Info[Context, None], code: str) -> Office | None:
    found = directory.office(info.context.services.reader, code)
    return Office.of(found) if found else None


def _case_as_of(info: strawberry.Info[Context, None], number: str, moment: datetime) -> Case | None:
    if moment.tzinfo is None:
        raise InvalidInput("asOf needs a time zone, e.g. 2026-11-02T12:00:00+03:00", field="as_of")
    current = _find_case(info, number)  # also checks the caller may see this case
    if current is None:
        return None
    events = list(info.context.services.engine.case_events(number))
    then = case_then(info.context.services.reader, events, moment)
    if then is None:
        return None
    case = Case.of(then.case, then.tasks, then.jobs)
    case.as_of = moment
    return case


def _find_case(info: strawberry.Info[Context, None], number: str) -> Case | None:
    who = info.context.who
    found = case_queries.case_with_tasks(info.context.services.reader, number)
    if found is None:
        return None
    row, tasks = found
    who.require("operator", "expert", "supervisor", "auditor", "integrator", office=row.office_code)
    return Case.of(row, tasks)


@strawberry.type
class Query(ReceptionQuery, ParkedQuery, RankingQuery):
    @strawberry.field(description="The caller as their token names them: subject, role and office (needs a token).")
    def me(self, info: strawberry.Info[Context, None]) -> Viewer:
        return viewer(info)

    @strawberry.field(description="The service catalog: the services that take new cases (openCase accepts each).")
    def services(self, info: strawberry.Info[Context, None]) -> list[Service]:
        return [Service.of(s) for s in directory.services(info.context.services.reader)]

    @strawberry.field
    def service(self, info: strawberry.Info[Context, None], code: str) -> Service | None:
        return _find_service(info, code)

    @strawberry.field(
        description="The network: centres, remote offices and information terminal points, each with "
        "its windows and its self-service information terminals (`terminals`)."
    )
    def offices(self, info: strawberry.Info[Context, None]) -> list[Office]:
        return [Office.of(o) for o in directory.offices(info.context.services.reader)]

    @strawberry.field
    def office(self, info: strawberry.Info[Context, None], id: str) -> Office | None:
        return _find_office(info, id)

    @strawberry.field(
        description="One case by its number; with asOf, as it stood at that moment (rebuilt from its events)."
    )
    def case(self, info: strawberry.Info[Context, None], number: str, as_of: datetime | None = None) -> Case | None:
        if as_of is None:
            return _find_case(info, number)
        return _case_as_of(info, number, as_of)

    @strawberry.field(
        description="Cases, newest first, as a Relay connection with keyset cursors. dueBefore: the "
        "regulated deadline is on the day named or before; overdue: the deadline is before the office's "
        "today (with an office; UTC's today without one). With status OPEN they are the cases to chase."
    )
    def cases(
        self,
        info: strawberry.Info[Context, None],
        office_id: str | None = None,
        status: CaseState | None = None,
        first: int = 20,
        after: str | None = None,
        due_before: date | None = None,
        overdue: bool | None = None,
    ) -> CaseConnection:
        who = info.context.who
        who.require("operator", "expert", "supervisor", "auditor", "integrator")
        if who.role in ("operator", "expert", "supervisor"):
            if office_id not in (None, who.office):
                who.require(who.role, office=office_id)
            office_id = who.office
        today = None
        if overdue is not None:
            today = office_today_now(info, office_id) if office_id else info.context.services.clock().date()
        page, tasks = case_queries.cases_with_tasks(
            info.context.services.reader,
            office_id,
            None if status is None else status.value,
            first=first,
            after=resume_after(after, case_queries.CASES_NEWEST_FIRST, "cases"),
            deadline=case_queries.DeadlineFilter(due_before=due_before, overdue=overdue, today=today),
        )
        return CaseConnection(
            edges=[
                CaseEdge(node=Case.of(row, tasks[row.number]), cursor=at)
                for row, at in zip(page.rows, cursors(page, "cases"), strict=True)
            ],
            **paged(page, "cases"),
        )

    @strawberry.field(
        description="An office's work list (its open and claimed tasks; its completed ones with state "
        "COMPLETED), oldest first unless sorted otherwise, as a Relay connection. holder MINE: the "
        "caller's; UNASSIGNED: nobody's; heldBy: one actor's (office/subject). dueBefore and dueAfter "
        "include the day named; overdue: due before the office's today."
    )
    def tasks(
        self,
        info: strawberry.Info[Context, None],
        office_id: str,
        role: Role | None = None,
        state: TaskState | None = None,
        service_code: str | None = None,
        holder: Holder | None = None,
        held_by: str | None = None,
        due_before: date | None = None,
        due_after: date | None = None,
        overdue: bool | None = None,
        sort: TaskSort | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> TaskConnection:
        info.context.who.require("operator", "expert", "supervisor", office=office_id)
        order = "created_asc" if sort is None else str(sort.value)
        connection = "tasks" if order == "created_asc" else f"tasks sorted {order.upper()}"
        keyset = case_queries.TASK_SORTS[order]
        only = case_queries.WorkListFilter(
            service=service_code,
            holder=info.context.actor() if holder == Holder.MINE else held_by,
            unassigned=holder == Holder.UNASSIGNED,
            due_before=due_before,
            due_after=due_after,
            overdue=overdue,
            today=office_today_now(info, office_id) if overdue is not None else None,
        )
        page = case_queries.work_list(
            info.context.services.reader,
            office_id,
            None if role is None else role.value,
            None if state is None else state.value,
            first=first,
            after=resume_after(after, keyset, connection),
            only=only,
            sort=keyset,
        )
        return TaskConnection(
            edges=[
                TaskEdge(node=Task.of(row), cursor=at)
                for row, at in zip(page.rows, cursors(page, connection), strict=True)
            ],
            **paged(page, connection),
        )

    @strawberry.field(
        description="Messages cases sent, oldest first (integrators: agency gateways; auditors). "
        "names filters by message name; pending: only those not yet acknowledged; caseNumber: one case's."
    )
    def outbox(
        self,
        info: strawberry.Info[Context, None],
        names: list[str] | None = None,
        pending: bool = True,
        case_number: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> OutboxConnection:
        info.context.who.require("integrator", "auditor")
        page = outbox.messages(
            info.context.services.reader,
            names,
            pending,
            case_number,
            first=first,
            after=resume_after(after, outbox.OLDEST_FIRST, "outbox"),
        )
        rows = page.rows
        if info.context.who.role == "integrator":
            # The gateway carries the message to the agency: it gets the personal values
            # the read model holds sealed, and each case's read is recorded. Auditors see
            # them sealed (engine.sealed_fields).
            services = info.context.services
            sealed = sorted({row.case_number for row in rows if holds_tokens(row.payload)})
            for number in sealed:
                services.engine.record_personal_data_read(
                    number,
                    actor=info.context.actor(),
                    role="integrator",
                    purpose="message delivery",
                    at=services.clock(),
                )
            rows = [
                replace(row, payload=services.engine.opened(row.case_number, row.payload))
                if row.case_number in sealed
                else row
                for row in rows
            ]
        return OutboxConnection(
            edges=[
                OutboxEdge(node=OutboxMessage.of(row), cursor=at)
                for row, at in zip(rows, cursors(page, "outbox"), strict=True)
            ],
            **paged(page, "outbox"),
        )

    @strawberry.field(
        description="Jobs whose connector failed every attempt, oldest first (supervisors of the "
        "office; auditors across offices)."
    )
    def incidents(self, info: strawberry.Info[Context, None], office_id: str | None = None) -> list[Job]:
        if office_id is None:
            info.context.who.require("auditor")
        else:
            info.context.who.require("supervisor", "auditor", office=office_id)
        return [Job.of(row) for row in incidents(info.context.services.reader, office_id)]

    @strawberry.field(
        description="Integrators (SMS and mail gateways): notifications to send, oldest first. "
        "Each read of a recipient is recorded in its case's access log."
    )
    def notifications(
        self,
        info: strawberry.Info[Context, None],
        channel: NotificationChannel | None = None,
        pending: bool = True,
        first: int = 20,
        after: str | None = None,
    ) -> NotificationConnection:
        return notifications_page(info, channel, pending, first, after)

    @strawberry.field(description="A citizen's view of a case; needs no token, only the number and the PIN.")
    def track(self, info: strawberry.Info[Context, None], number: str, pin: str) -> CaseStatus:
        services = info.context.services
        client = caller_key(info.context.principal, info.context.request)
        return CaseStatus.of(services.tracking.track(number, pin, services.clock(), client))

    @strawberry.field(description="Any object by its global id.")
    def node(self, info: strawberry.Info[Context, None], id: strawberry.ID) -> Node | None:
        kind, key = parse_global_id(id)
        if kind == "Case":
            return _find_case(info, key)
        if kind == "Service":
            return _find_service(info, key)
        if kind == "Office":
            return _find_office(info, key)
        found = case_queries.task(info.context.services.reader, key)
        if found is None:
            return None
        info.context.who.require("operator", "expert", "supervisor", office=found.office)
        return Task.of(found)

    @strawberry.field(description="Applications per service in a month (YYYY-MM).")
    def statistics(
        self,
        info: strawberry.Info[Context, None],
        month: str,
        office_id: str | None = None,
        district: str | None = None,
    ) -> list[ServiceFigures]:
        info.context.who.require("supervisor", "auditor", "analyst")
        figures = service_statistics(info.context.services.reader, month, office_id, district)
        return [from_view(ServiceFigures, f) for f in figures]

    @strawberry.field(description="Offices ranked on on-time delivery, ratings, complaints and waiting in the queue.")
    def office_ranking(self, info: strawberry.Info[Context, None], since: date, until: date) -> list[OfficeRank]:
        info.context.who.require("supervisor", "auditor", "analyst")
        if (until - since).days > 366:
            raise InvalidInput("a ranking covers at most a year")
        return [from_view(OfficeRank, r) for r in office_ranking(info.context.services.reader, since, until)]
