"""Queries: they read the read models, never an aggregate (history reads the event log)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import strawberry

from api.callers import caller_key
from api.context import Context
from api.graphql.cases import Case, CaseConnection, CaseEdge, CaseStatus
from api.graphql.directory import Office, Service
from api.graphql.jobs import Job
from api.graphql.notifications import NotificationConnection, notifications_page
from api.graphql.outbox import OutboxConnection, OutboxEdge, OutboxMessage
from api.graphql.parked import ParkedQuery
from api.graphql.reception import ReceptionQuery
from api.graphql.relay import Node, PageInfo, keyset_page, parse_global_id, row_cursor
from api.graphql.tasks import Task, TaskConnection, TaskEdge
from api.graphql.views import from_view
from engine.errors import InvalidInput
from projections.jobs import incidents
from projections.queries import office_ranking, service_statistics, track
from projections.time_travel import case_as_of


@strawberry.type
class ServiceFigures:
    service: str
    title: str
    applications: int
    completed: int
    on_time_share: float | None
    same_period_last_year: int
    growth: float | None


@strawberry.type
class OfficeRank:
    rank: int
    office: str
    name: str
    score: float
    on_time_share: float | None
    rating: float | None
    ratings: int
    complaints: int
    visits: int = strawberry.field(description="Visitors called to a window from the queue in the period.")
    waiting_share: float | None = strawberry.field(description="Of them, the share called within 15 minutes "
                                                               "(5 with a booking).")


def _service(row: dict[str, Any]) -> Service:
    return Service.of({**row, "documents": json.loads(row["documents"])})


def _find_service(info: strawberry.Info[Context, None], code: str) -> Service | None:
    rows = info.context.services.reader.rows("SELECT * FROM rm_services WHERE code = ?", (code,))
    return _service(rows[0]) if rows else None


def _find_office(info: strawberry.Info[Context, None], code: str) -> Office | None:
    rows = info.context.services.reader.rows("SELECT * FROM rm_offices WHERE code = ?", (code,))
    return Office.of(rows[0]) if rows else None


def _case_as_of(info: strawberry.Info[Context, None], number: str, moment: datetime) -> Case | None:
    if moment.tzinfo is None:
        raise InvalidInput("asOf needs a time zone, e.g. 2026-11-02T12:00:00+03:00")
    current = _find_case(info, number)  # also checks the caller may see this case
    if current is None:
        return None
    events = list(info.context.services.engine.case_events(number))
    found = case_as_of(info.context.services.reader, events, moment)
    if found is None:
        return None
    row, tasks = found
    case = Case.of(row)
    case.as_of_tasks = [Task.of(t) for t in tasks]
    return case


def _find_case(info: strawberry.Info[Context, None], number: str) -> Case | None:
    who = info.context.who
    rows = info.context.services.reader.rows("SELECT * FROM rm_cases WHERE number = ?", (number,))
    if not rows:
        return None
    who.require("operator", "supervisor", "auditor", "integrator", office=rows[0]["office"])
    return Case.of(rows[0])


@strawberry.type
class Query(ReceptionQuery, ParkedQuery):
    @strawberry.field(description="The service catalog.")
    def services(self, info: strawberry.Info[Context, None]) -> list[Service]:
        return [_service(r) for r in info.context.services.reader.rows("SELECT * FROM rm_services ORDER BY code")]

    @strawberry.field
    def service(self, info: strawberry.Info[Context, None], code: str) -> Service | None:
        return _find_service(info, code)

    @strawberry.field(description="Centres and remote offices.")
    def offices(self, info: strawberry.Info[Context, None]) -> list[Office]:
        return [Office.of(r) for r in info.context.services.reader.rows("SELECT * FROM rm_offices ORDER BY code")]

    @strawberry.field
    def office(self, info: strawberry.Info[Context, None], id: str) -> Office | None:
        return _find_office(info, id)

    @strawberry.field(description="One case by its number; with asOf, as it stood at that moment "
                                  "(rebuilt from its events).")
    def case(self, info: strawberry.Info[Context, None], number: str, as_of: datetime | None = None) -> Case | None:
        if as_of is None:
            return _find_case(info, number)
        return _case_as_of(info, number, as_of)

    @strawberry.field(description="Cases, newest first, as a Relay connection with keyset cursors.")
    def cases(self, info: strawberry.Info[Context, None], office_id: str | None = None, status: str | None = None,
              first: int = 20, after: str | None = None) -> CaseConnection:
        who = info.context.who
        who.require("operator", "supervisor", "auditor", "integrator")
        if who.role in ("operator", "supervisor"):
            if office_id not in (None, who.office):
                who.require(who.role, office=office_id)
            office_id = who.office
        sql, params = "SELECT * FROM rm_cases WHERE 1 = 1", []
        if office_id:
            sql += " AND office = ?"
            params.append(office_id)
        if status:
            sql += " AND status = ?"
            params.append(status)
        columns = ["opened_at", "number"]
        rows, more = keyset_page(info.context.services.reader.rows, sql, params, columns, first, after,
                                 descending=True)
        edges = [CaseEdge(node=Case.of(r), cursor=row_cursor(r, columns)) for r in rows]
        return CaseConnection(edges=edges, page_info=PageInfo(has_next_page=more,
                                                              end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="An office's work list, oldest first, as a Relay connection.")
    def tasks(self, info: strawberry.Info[Context, None], office_id: str, role: str | None = None,
              state: str | None = None, first: int = 20, after: str | None = None) -> TaskConnection:
        info.context.who.require("operator", "supervisor", office=office_id)
        sql, params = "SELECT * FROM rm_tasks WHERE office = ?", [office_id]
        if role:
            sql += " AND role = ?"
            params.append(role)
        if state:
            sql += " AND state = ?"
            params.append(state)
        columns = ["opened_at", "task_id"]
        rows, more = keyset_page(info.context.services.reader.rows, sql, params, columns, first, after)
        edges = [TaskEdge(node=Task.of(r), cursor=row_cursor(r, columns)) for r in rows]
        return TaskConnection(edges=edges, page_info=PageInfo(has_next_page=more,
                                                              end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="Messages cases sent, oldest first (integrators: agency gateways; auditors). "
                                  "names filters by message name; pending: only those not yet acknowledged.")
    def outbox(self, info: strawberry.Info[Context, None], names: list[str] | None = None, pending: bool = True,
               first: int = 20, after: str | None = None) -> OutboxConnection:
        info.context.who.require("integrator", "auditor")
        sql, params = "SELECT * FROM rm_outbox WHERE 1 = 1", []
        if names:
            sql += f" AND name IN ({', '.join('?' for _ in names)})"
            params += names
        if pending:
            sql += " AND acknowledged_at IS NULL"
        columns = ["sent_at", "case_number", "message"]
        rows, more = keyset_page(info.context.services.reader.rows, sql, params, columns, first, after,
                                 kinds=(str, str, int))
        edges = [OutboxEdge(node=OutboxMessage.of(r), cursor=row_cursor(r, columns)) for r in rows]
        return OutboxConnection(edges=edges, page_info=PageInfo(has_next_page=more,
                                                                end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="Jobs whose connector failed every attempt, oldest first (supervisors of the "
                                  "office; auditors across offices).")
    def incidents(self, info: strawberry.Info[Context, None], office_id: str | None = None) -> list[Job]:
        if office_id is None:
            info.context.who.require("auditor")
        else:
            info.context.who.require("supervisor", "auditor", office=office_id)
        return [Job.of(row) for row in incidents(info.context.services.reader.rows, office_id)]

    @strawberry.field(description="Integrators (SMS and mail gateways): notifications to send, oldest first. "
                                  "Each read of a recipient is recorded in its case's access log.")
    def notifications(self, info: strawberry.Info[Context, None], channel: str | None = None, pending: bool = True,
                      first: int = 20, after: str | None = None) -> NotificationConnection:
        return notifications_page(info, channel, pending, first, after)

    @strawberry.field(description="A citizen's view of a case; needs no token, only the number and the PIN.")
    def track(self, info: strawberry.Info[Context, None], number: str, pin: str) -> CaseStatus:
        services = info.context.services
        client = caller_key(info.context.principal, info.context.request)
        return CaseStatus.of(track(services.reader, number, pin, services.clock(), client))

    @strawberry.field(description="Any object by its global id.")
    def node(self, info: strawberry.Info[Context, None], id: strawberry.ID) -> Node | None:
        kind, key = parse_global_id(id)
        if kind == "Case":
            return _find_case(info, key)
        if kind == "Service":
            return _find_service(info, key)
        if kind == "Office":
            return _find_office(info, key)
        rows = info.context.services.reader.rows("SELECT * FROM rm_tasks WHERE task_id = ?", (key,))
        if not rows:
            return None
        info.context.who.require("operator", "supervisor", office=rows[0]["office"])
        return Task.of(rows[0])

    @strawberry.field(description="Applications per service in a month (YYYY-MM).")
    def statistics(self, info: strawberry.Info[Context, None], month: str, office_id: str | None = None,
                   district: str | None = None) -> list[ServiceFigures]:
        info.context.who.require("supervisor", "auditor", "analyst")
        figures = service_statistics(info.context.services.reader, month, office_id, district)
        return [from_view(ServiceFigures, f) for f in figures]

    @strawberry.field(description="Offices ranked on on-time delivery, ratings, complaints and waiting in the queue.")
    def office_ranking(self, info: strawberry.Info[Context, None], since: date, until: date) -> list[OfficeRank]:
        info.context.who.require("supervisor", "auditor", "analyst")
        if (until - since).days > 366:
            raise InvalidInput("a ranking covers at most a year")
        return [from_view(OfficeRank, r) for r in office_ranking(info.context.services.reader, since, until)]
